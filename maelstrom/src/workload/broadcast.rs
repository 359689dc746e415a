//! The broadcast workload (`src/maelstrom/workload/broadcast.clj`): every node first gets the cluster's topology; then clients
//! broadcast the values 0, 1, 2, ... and read back the messages a node holds; after the recovery
//! sleep each worker does one final read. The set-full checker then asks whether every
//! acknowledged value reached every node.
//!
//! `:read` is idempotent (a timed-out read is a `:fail`), `:broadcast` is not, and the client is
//! replaced after an `:info`, as in Maelstrom.

use super::extras;
use super::{
    check_setup_call, complete_call, edn_to_json, unknown_op, Completion, FieldKind, ReplySchema,
    RpcOutcome, Workload,
};
use crate::checker::final_reads;
use crate::edn::Edn;
use crate::history::{History, Placement, RunFacts};
use crate::options::{TestOptions, TopologyKind};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// `{"type":"topology_ok"}`.
const TOPOLOGY_OK: ReplySchema = ReplySchema {
    reply_type: "topology_ok",
    fields: &[],
};

/// `{"type":"broadcast_ok"}`.
const BROADCAST_OK: ReplySchema = ReplySchema {
    reply_type: "broadcast_ok",
    fields: &[],
};

/// `{"type":"read_ok","messages":[...]}` (`null` accepted for the array).
const READ_OK: ReplySchema = ReplySchema {
    reply_type: "read_ok",
    fields: &[("messages", FieldKind::Array)],
};

/// The broadcast workload.
#[derive(Debug)]
pub struct Broadcast {
    /// The `topology` request, the same for every node.
    topology_request: Value,
    /// The next value to broadcast: shared by all workers so that values are unique and
    /// increasing across the whole test.
    next_message: AtomicI64,
}

impl Broadcast {
    /// A broadcast workload for these nodes (CLI order) with the `--topology` kind.
    pub fn new(kind: TopologyKind, nodes: &[String]) -> Broadcast {
        let topology: Map<String, Value> = topology(kind, nodes)
            .into_iter()
            .map(|(node, neighbours)| (node, json!(neighbours)))
            .collect();
        Broadcast {
            topology_request: json!({"type": "topology", "topology": topology}),
            next_message: AtomicI64::new(0),
        }
    }
}

/// The registry's constructor: the topology offered to the nodes comes from `--topology`.
pub fn build(opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(Broadcast::new(opts.topology, &opts.nodes))
}

impl Workload for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast"
    }

    /// Every node gets the whole topology map, not just its own neighbours (as in Maelstrom).
    fn setup_request(&self, _node: &str) -> Option<Value> {
        Some(self.topology_request.clone())
    }

    fn check_setup_reply(&self, node: &str, reply: &RpcOutcome) -> Result<(), String> {
        check_setup_call(node, &self.topology_request, &TOPOLOGY_OK, reply)
    }

    /// Maelstrom's `gen/mix`: each op is, with equal chance, a broadcast of the next value or a
    /// read.
    fn next_op(&self, _thread: usize, rng: &mut StdRng) -> (String, Edn) {
        if rng.gen_bool(0.5) {
            let message = self.next_message.fetch_add(1, Ordering::Relaxed);
            ("broadcast".to_string(), Edn::Int(message))
        } else {
            ("read".to_string(), Edn::Nil)
        }
    }

    fn request(&self, f: &str, value: &Edn) -> Value {
        match f {
            "broadcast" => json!({"type": "broadcast", "message": edn_to_json(value)}),
            other => json!({ "type": other }),
        }
    }

    /// A broadcast's `:ok` value is the value sent; a read's is the `messages` array (`null`
    /// becomes the empty vector, since Maelstrom treats it as an empty read).
    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        let request = self.request(f, value);
        match f {
            "broadcast" => {
                complete_call(node, &request, &BROADCAST_OK, false, value, outcome, |_| {
                    value.clone()
                })
            }
            "read" => {
                complete_call(
                    node,
                    &request,
                    &READ_OK,
                    true,
                    value,
                    outcome,
                    |body| match body.get("messages") {
                        Some(Value::Array(items)) => {
                            Edn::Vector(items.iter().map(Edn::from_json).collect())
                        }
                        _ => Edn::Vector(Vec::new().into()),
                    },
                )
            }
            other => unknown_op(self.name(), other, value),
        }
    }

    /// One `{:f :read}` per worker after the recovery sleep; the runner marks it `:final?`.
    fn final_op(&self) -> Option<(String, Edn)> {
        Some(("read".to_string(), Edn::Nil))
    }

    fn client_reusable(&self) -> bool {
        false
    }

    /// Maelstrom renames `:broadcast` to `:add` and runs its set-full checker
    /// (`src/maelstrom/workload/broadcast.clj`; `checker/set_full.rs`); every node's final read
    /// must also hold every acknowledged value (`checker/final_reads.rs`, the README's
    /// deliberate differences).
    fn check(&self, history: &History, facts: &RunFacts, opts: &TestOptions) -> Edn {
        let result = crate::checker::set_full::check(history, "broadcast");
        final_reads::amend(
            result,
            history,
            "broadcast",
            &final_reads::Cluster::of(opts, facts),
        )
    }

    /// `elements` and `final reads` (`extras::set_lines`).
    fn summary_lines(&self, result: &Edn) -> Vec<extras::Line> {
        extras::set_lines(result)
    }

    /// The lost and stale values, with the `broadcast` that added each and the reads that lacked it.
    fn run_page_extras(
        &self,
        history: &History,
        result: &Edn,
        placement: Placement,
    ) -> extras::RunPageExtras {
        extras::RunPageExtras {
            lacks: extras::lacks(history, result, "broadcast", placement),
            ..Default::default()
        }
    }
}

/// Each node's neighbours for a `--topology` kind (`src/maelstrom/workload/broadcast.clj`), in node (CLI) order. Nodes are
/// numbered by their position in `nodes`.
pub fn topology(kind: TopologyKind, nodes: &[String]) -> Vec<(String, Vec<String>)> {
    let by_index = match kind {
        TopologyKind::Grid => grid(nodes.len()),
        TopologyKind::Line => line(nodes.len()),
        TopologyKind::Total => total(nodes.len()),
        TopologyKind::Tree(b) => tree(b, nodes.len()),
    };
    by_index
        .into_iter()
        .map(|(k, neighbours)| {
            let names = neighbours.into_iter().map(|i| nodes[i].clone()).collect();
            (nodes[k].clone(), names)
        })
        .collect()
}

/// A roughly square grid: side = ⌈√n⌉, node k at row k / side, column k mod side; neighbours
/// below, above, right, left, in that order, when they exist.
fn grid(n: usize) -> Vec<(usize, Vec<usize>)> {
    let mut side = 0;
    while side * side < n {
        side += 1;
    }
    (0..n)
        .map(|k| {
            let (row, col) = (k / side, k % side);
            let mut neighbours = Vec::new();
            if k + side < n {
                neighbours.push(k + side);
            }
            if row > 0 {
                neighbours.push(k - side);
            }
            if col + 1 < side && k + 1 < n {
                neighbours.push(k + 1);
            }
            if col > 0 {
                neighbours.push(k - 1);
            }
            (k, neighbours)
        })
        .collect()
}

/// A line: fewer than two nodes give the empty map; otherwise each node knows its left and
/// right neighbours.
fn line(n: usize) -> Vec<(usize, Vec<usize>)> {
    if n < 2 {
        return Vec::new();
    }
    (0..n)
        .map(|k| {
            let neighbours = if k == 0 {
                vec![1]
            } else if k == n - 1 {
                vec![n - 2]
            } else {
                vec![k - 1, k + 1]
            };
            (k, neighbours)
        })
        .collect()
}

/// Everyone knows everyone else.
fn total(n: usize) -> Vec<(usize, Vec<usize>)> {
    (0..n)
        .map(|k| (k, (0..n).filter(|&other| other != k).collect()))
        .collect()
}

/// A b-ary tree filled tier by tier in node order (tiers of 1, b, b², ... nodes); each tier's
/// nodes are dealt to the previous tier's parents b at a time, left to right. Each node's list
/// is its parent, then its children.
fn tree(b: usize, n: usize) -> Vec<(usize, Vec<usize>)> {
    let b = b.max(1);
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
    // The previous tier, as a range of node indices, and where the next tier starts.
    let mut parents = 0..n.min(1);
    let mut tier_size = 1;
    let mut next = parents.end;
    while next < n {
        tier_size *= b;
        let children = next..n.min(next + tier_size);
        for (position, child) in children.clone().enumerate() {
            let parent = parents.start + position / b;
            neighbours[parent].push(child);
            neighbours[child].push(parent);
        }
        next = children.end;
        parents = children;
    }
    neighbours.into_iter().enumerate().collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::error_body;
    use super::*;
    use crate::history::OpType;
    use rand::SeedableRng;
    use std::collections::BTreeSet;
    use std::sync::Arc;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    /// Topology with neighbour lists written as "n3 n1" strings, for compact comparisons.
    fn compact(kind: TopologyKind, n: usize) -> Vec<(String, String)> {
        topology(kind, &nodes(n))
            .into_iter()
            .map(|(node, ns)| (node, ns.join(" ")))
            .collect()
    }

    fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Neighbour sets as index pairs, for symmetry checks.
    fn edges(kind: TopologyKind, n: usize) -> BTreeSet<(usize, usize)> {
        let index = |name: &str| name[1..].parse::<usize>().unwrap_or(usize::MAX);
        topology(kind, &nodes(n))
            .into_iter()
            .flat_map(|(node, ns)| {
                let a = index(&node);
                ns.into_iter().map(move |m| (a, index(&m)))
            })
            .collect()
    }

    /// grid n = 5 is `src/maelstrom/workload/broadcast.clj`'s example.
    #[test]
    fn grid_five_matches_example() {
        assert_eq!(
            compact(TopologyKind::Grid, 5),
            expect(&[
                ("n0", "n3 n1"),
                ("n1", "n4 n2 n0"),
                ("n2", "n1"),
                ("n3", "n0 n4"),
                ("n4", "n1 n3"),
            ])
        );
    }

    /// grid n = 1 is {n0 []}; n = 2 is side 2, one row.
    #[test]
    fn grid_small() {
        assert_eq!(compact(TopologyKind::Grid, 1), expect(&[("n0", "")]));
        assert_eq!(
            compact(TopologyKind::Grid, 2),
            expect(&[("n0", "n1"), ("n1", "n0")])
        );
    }

    /// grid n = 10 and 25: every node's neighbours are its grid neighbours (side 4 and 5),
    /// symmetric, degree 2-4; n = 25 has the 5x5 grid's 40 links.
    #[test]
    fn grid_larger_follow_construction() {
        for (n, side) in [(10, 4), (25, 5)] {
            let e = edges(TopologyKind::Grid, n);
            for &(a, b) in &e {
                assert!(e.contains(&(b, a)), "n={n}: {a}-{b} not symmetric");
                let (ra, ca, rb, cb) = (a / side, a % side, b / side, b % side);
                assert_eq!(ra.abs_diff(rb) + ca.abs_diff(cb), 1, "n={n}: {a}-{b}");
            }
            for (node, ns) in topology(TopologyKind::Grid, &nodes(n)) {
                assert!((1..=4).contains(&ns.len()), "n={n} {node}: {ns:?}");
            }
            if n == 25 {
                assert_eq!(e.len(), 2 * 40);
                assert_eq!(
                    compact(TopologyKind::Grid, 25)[6],
                    ("n6".to_string(), "n11 n1 n7 n5".to_string())
                );
            }
        }
    }

    /// line: n = 1 is the empty map, n = 2 a pair, otherwise left/right neighbours.
    #[test]
    fn line_topologies() {
        assert!(topology(TopologyKind::Line, &nodes(1)).is_empty());
        assert_eq!(
            compact(TopologyKind::Line, 2),
            expect(&[("n0", "n1"), ("n1", "n0")])
        );
        assert_eq!(
            compact(TopologyKind::Line, 5),
            expect(&[
                ("n0", "n1"),
                ("n1", "n0 n2"),
                ("n2", "n1 n3"),
                ("n3", "n2 n4"),
                ("n4", "n3"),
            ])
        );
        for n in [10, 25] {
            let e = edges(TopologyKind::Line, n);
            assert_eq!(e.len(), 2 * (n - 1));
            assert!(e.iter().all(|&(a, b)| a.abs_diff(b) == 1));
        }
    }

    /// total: every node lists all the others in node order.
    #[test]
    fn total_topologies() {
        assert_eq!(compact(TopologyKind::Total, 1), expect(&[("n0", "")]));
        assert_eq!(
            compact(TopologyKind::Total, 2),
            expect(&[("n0", "n1"), ("n1", "n0")])
        );
        for n in [5, 10, 25] {
            for (k, (node, ns)) in topology(TopologyKind::Total, &nodes(n))
                .into_iter()
                .enumerate()
            {
                let others: Vec<String> = nodes(n).into_iter().filter(|m| *m != node).collect();
                assert_eq!(ns, others, "n={n} k={k}");
            }
        }
    }

    /// tree2 n = 5 is `src/maelstrom/workload/broadcast.clj`'s example; tree n = 1 is {n0 []}.
    #[test]
    fn tree_examples() {
        assert_eq!(
            compact(TopologyKind::Tree(2), 5),
            expect(&[
                ("n0", "n1 n2"),
                ("n1", "n0 n3 n4"),
                ("n2", "n0"),
                ("n3", "n1"),
                ("n4", "n1"),
            ])
        );
        assert_eq!(compact(TopologyKind::Tree(2), 1), expect(&[("n0", "")]));
        assert_eq!(
            compact(TopologyKind::Tree(3), 2),
            expect(&[("n0", "n1"), ("n1", "n0")])
        );
    }

    /// tree2-4 for n = 1, 2, 5, 10, 25: filling tiers in order gives node k > 0 the parent
    /// (k-1)/b (heap order), lists are [parent, children...] and children ascend.
    #[test]
    fn trees_are_heap_ordered() {
        for b in 2..=4 {
            for n in [1, 2, 5, 10, 25] {
                for (k, (node, ns)) in topology(TopologyKind::Tree(b), &nodes(n))
                    .into_iter()
                    .enumerate()
                {
                    assert_eq!(node, format!("n{k}"));
                    let mut expected: Vec<String> = Vec::new();
                    if k > 0 {
                        expected.push(format!("n{}", (k - 1) / b));
                    }
                    for child in (b * k + 1)..=(b * k + b) {
                        if child < n {
                            expected.push(format!("n{child}"));
                        }
                    }
                    assert_eq!(ns, expected, "tree{b} n={n} {node}");
                }
            }
        }
    }

    /// The topology request names every node with its neighbours.
    #[test]
    fn setup_request_has_whole_topology() {
        let workload = Broadcast::new(TopologyKind::Line, &nodes(3));
        assert_eq!(
            workload.setup_request("n2"),
            Some(
                json!({"type": "topology", "topology": {"n0": ["n1"], "n1": ["n0", "n2"], "n2": ["n1"]}})
            )
        );
        let single = Broadcast::new(TopologyKind::Line, &nodes(1));
        assert_eq!(
            single.setup_request("n0"),
            Some(json!({"type": "topology", "topology": {}}))
        );
    }

    /// topology_ok passes; an error, a timeout or an extra key fails naming the node.
    #[test]
    fn setup_reply_checked() {
        let workload = Broadcast::new(TopologyKind::Grid, &nodes(2));
        let ok = RpcOutcome::Reply(json!({"type": "topology_ok", "in_reply_to": 1}));
        assert_eq!(workload.check_setup_reply("n1", &ok), Ok(()));
        let bad =
            RpcOutcome::Reply(json!({"type": "topology_ok", "in_reply_to": 1, "msg_id": 1.5}));
        let Err(text) = workload.check_setup_reply("n1", &bad) else {
            panic!("accepted a float msg_id");
        };
        assert!(text.starts_with("Malformed RPC response. Maelstrom sent node n1"));
        assert!(workload
            .check_setup_reply("n0", &RpcOutcome::Reply(error_body(13, "x")))
            .is_err_and(|t| t.contains("node n0") && t.contains("[:crash \"x\"]")));
        assert!(workload
            .check_setup_reply("n0", &RpcOutcome::Timeout)
            .is_err_and(|t| t.contains("node n0")));
    }

    /// Broadcast values are unique and increasing, across threads sharing the workload; about
    /// half the ops are reads.
    #[test]
    fn values_unique_and_increasing_across_threads() {
        let workload = Arc::new(Broadcast::new(TopologyKind::Grid, &nodes(5)));
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let workload = Arc::clone(&workload);
                std::thread::spawn(move || {
                    let mut rng = StdRng::seed_from_u64(t);
                    let mut values = Vec::new();
                    let mut reads = 0;
                    for _ in 0..2000 {
                        match workload.next_op(t as usize, &mut rng) {
                            (f, Edn::Int(v)) if f == "broadcast" => values.push(v),
                            (f, Edn::Nil) if f == "read" => reads += 1,
                            other => panic!("unexpected op {other:?}"),
                        }
                    }
                    (values, reads)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut reads = 0;
        for handle in handles {
            let Ok((values, r)) = handle.join() else {
                panic!("worker panicked");
            };
            assert!(values.windows(2).all(|w| w[0] < w[1]), "not increasing");
            all.extend(values);
            reads += r;
        }
        all.sort_unstable();
        let expected: Vec<i64> = (0..all.len() as i64).collect();
        assert_eq!(all, expected, "values are not exactly 0..count");
        assert!((3600..=4400).contains(&reads), "{reads} reads of 8000");
    }

    /// Requests: broadcast carries "message", read is bare.
    #[test]
    fn requests() {
        let w = Broadcast::new(TopologyKind::Grid, &nodes(1));
        assert_eq!(
            w.request("broadcast", &Edn::Int(7)),
            json!({"type": "broadcast", "message": 7})
        );
        assert_eq!(w.request("read", &Edn::Nil), json!({"type": "read"}));
    }

    /// `src/maelstrom/client.clj` for broadcast (not idempotent): ok keeps the value; timeout and indefinite
    /// errors are :info; definite errors :fail; malformed :info with an exception.
    #[test]
    fn broadcast_outcomes() {
        let w = Broadcast::new(TopologyKind::Grid, &nodes(1));
        let value = Edn::Int(4);
        let complete = |o: RpcOutcome| w.complete_at(Some("n0"), "broadcast", &value, &o);
        let ok = complete(RpcOutcome::Reply(
            json!({"type": "broadcast_ok", "in_reply_to": 9}),
        ));
        assert_eq!(
            (ok.op_type, &ok.value, &ok.error),
            (OpType::Ok, &value, &None)
        );
        let t = complete(RpcOutcome::Timeout);
        assert_eq!(
            (t.op_type, t.error),
            (OpType::Info, Some(Edn::kw("net-timeout")))
        );
        for (code, name, op_type) in [
            (11, "temporarily-unavailable", OpType::Fail),
            (1, "node-not-found", OpType::Fail),
            (13, "crash", OpType::Info),
            (0, "timeout", OpType::Info),
            (1001, "unknown", OpType::Info),
        ] {
            let c = complete(RpcOutcome::Reply(error_body(code, "t")));
            assert_eq!(c.op_type, op_type, "code {code}");
            assert_eq!(
                c.error,
                Some(Edn::Vector(vec![Edn::kw(name), Edn::str("t")].into()))
            );
            assert_eq!(c.value, value);
        }
        let m = complete(RpcOutcome::Reply(json!({"type": "broadcast_ok"})));
        assert_eq!(m.op_type, OpType::Info);
        assert!(m
            .exception
            .is_some_and(|e| e.message.contains(":in_reply_to missing-required-key")));
    }

    /// `src/maelstrom/client.clj` for read (idempotent): ok gives the messages; timeout and every error are
    /// :fail; malformed is still :info.
    #[test]
    fn read_outcomes() {
        let w = Broadcast::new(TopologyKind::Grid, &nodes(1));
        let complete = |o: RpcOutcome| w.complete_at(Some("n0"), "read", &Edn::Nil, &o);
        let ok = complete(RpcOutcome::Reply(
            json!({"type": "read_ok", "messages": [3, 1], "in_reply_to": 2}),
        ));
        assert_eq!(ok.op_type, OpType::Ok);
        assert_eq!(ok.value, Edn::Vector(vec![Edn::Int(3), Edn::Int(1)].into()));
        let null = complete(RpcOutcome::Reply(
            json!({"type": "read_ok", "messages": null, "in_reply_to": 2}),
        ));
        assert_eq!(
            (null.op_type, null.value),
            (OpType::Ok, Edn::Vector(Vec::new().into()))
        );
        let t = complete(RpcOutcome::Timeout);
        assert_eq!(
            (t.op_type, t.error),
            (OpType::Fail, Some(Edn::kw("net-timeout")))
        );
        for code in [10, 13, 0, 2000] {
            let c = complete(RpcOutcome::Reply(error_body(code, "t")));
            assert_eq!(c.op_type, OpType::Fail, "code {code}");
            assert_eq!(c.value, Edn::Nil);
        }
        let m = complete(RpcOutcome::Reply(
            json!({"type": "read_ok", "messages": [], "in_reply_to": 2, "seen": []}),
        ));
        assert_eq!(m.op_type, OpType::Info);
        assert!(m
            .exception
            .is_some_and(|e| e.message.contains(":seen disallowed-key")));
    }

    /// The final op is a read; the client is not reusable.
    #[test]
    fn final_read_not_reusable() {
        let w = Broadcast::new(TopologyKind::Grid, &nodes(1));
        assert_eq!(w.final_op(), Some(("read".to_string(), Edn::Nil)));
        assert!(!w.client_reusable());
    }
}
