//! What kill and pause share: Jepsen's node specs (which nodes a fault op acts on, `db-nodes`
//! in `jepsen/nemesis/combined.clj`) and how an op on nodes is carried out and recorded, as
//! Jepsen's `db-nemesis` records it: an `:info` invocation whose value is the node spec
//! (`:nemesis :info :kill :majority`), then an `:info` completion whose value maps each node to
//! what was done (`{"n1" :killed, "n3" :killed}`). The undo ops (`:start`, `:resume`) act on
//! `:all` nodes, since Jepsen's flip-flops undo with `{:value :all}`.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::partition::{majority, minority_third};
use super::Context;
use crate::edn::Edn;

/// Which nodes a fault op acts on (`db-nodes` in `jepsen/nemesis/combined.clj`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeSpec {
    /// A random, non-empty subset (Jepsen's `nil`).
    Some,
    /// One random node.
    One,
    /// ⌊(n−1)/3⌋ random nodes (none for n ≤ 3).
    MinorityThird,
    /// majority(n) − 1 random nodes.
    Minority,
    /// majority(n) random nodes.
    Majority,
    /// Every node.
    All,
}

impl NodeSpec {
    /// Jepsen's `node-specs`, in its order: what a fault op draws from.
    pub const ALL: [NodeSpec; 6] = [
        NodeSpec::Some,
        NodeSpec::One,
        NodeSpec::MinorityThird,
        NodeSpec::Minority,
        NodeSpec::Majority,
        NodeSpec::All,
    ];

    /// The spec as an invocation's value: `nil`, `:one`, `:minority-third`, `:minority`,
    /// `:majority`, `:all`.
    pub fn edn(self) -> Edn {
        match self {
            NodeSpec::Some => Edn::Nil,
            NodeSpec::One => Edn::kw("one"),
            NodeSpec::MinorityThird => Edn::kw("minority-third"),
            NodeSpec::Minority => Edn::kw("minority"),
            NodeSpec::Majority => Edn::kw("majority"),
            NodeSpec::All => Edn::kw("all"),
        }
    }

    /// The nodes this spec names among `nodes`, drawn with `rng`; shuffled, as Jepsen's are.
    pub fn pick(self, nodes: &[String], rng: &mut StdRng) -> Vec<String> {
        let mut shuffled = nodes.to_vec();
        let n = nodes.len();
        let count = match self {
            NodeSpec::All => return shuffled,
            NodeSpec::Some if n == 0 => 0,
            NodeSpec::Some => rng.gen_range(1..=n),
            NodeSpec::One => n.min(1),
            NodeSpec::MinorityThird => minority_third(n),
            NodeSpec::Minority => majority(n) - 1,
            NodeSpec::Majority => majority(n).min(n),
        };
        shuffled.shuffle(rng);
        shuffled.truncate(count);
        shuffled
    }
}

impl NodeSpec {
    /// A spec drawn uniformly from [`NodeSpec::ALL`], as each `:kill` and `:pause` does.
    pub fn random(rng: &mut StdRng) -> NodeSpec {
        NodeSpec::ALL[rng.gen_range(0..NodeSpec::ALL.len())]
    }
}

/// What a fault does to one node, as the runner carries it out (`jepsen.db`'s `kill!`,
/// `start!`, `pause!`, `resume!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAction {
    Kill,
    /// Start a killed node again (and send it `init`).
    Start,
    Pause,
    Resume,
}

impl NodeAction {
    /// The op's `:f`: `kill`, `start`, `pause`, `resume`.
    pub fn name(self) -> &'static str {
        match self {
            NodeAction::Kill => "kill",
            NodeAction::Start => "start",
            NodeAction::Pause => "pause",
            NodeAction::Resume => "resume",
        }
    }
}

/// What a node answers to an action that changed it; anything else (`already-dead`,
/// `not-paused`, ...) left it as it was.
const CHANGED: [&str; 4] = ["killed", "started", "paused", "resumed"];

/// Records the invocation (`spec` as its value), carries out `action` on each of `nodes`
/// (starts in parallel: each waits for its node's `init_ok`), logs which nodes changed, and
/// records the completion naming what each node did; a node the runner could not act on is
/// `:failed` (the runner has reported why).
pub(super) fn act_on_nodes(ctx: &Context, action: NodeAction, spec: NodeSpec, nodes: &[String]) {
    let f = action.name();
    ctx.record(f, spec.edn());
    let outcomes: Vec<Result<&'static str, String>> = if action == NodeAction::Start {
        std::thread::scope(|scope| {
            let handles: Vec<_> = nodes
                .iter()
                .map(|node| scope.spawn(move || ctx.processes.act(node, action)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("panicked".into())))
                .collect()
        })
    } else {
        nodes
            .iter()
            .map(|node| ctx.processes.act(node, action))
            .collect()
    };
    let mut done: BTreeMap<&str, &'static str> = BTreeMap::new();
    for (node, outcome) in nodes.iter().zip(outcomes) {
        let word = outcome.unwrap_or_else(|e| {
            ctx.log(&format!("Nemesis could not {f} {node}: {e}"));
            "failed"
        });
        done.insert(node, word);
    }
    let changed: Vec<&str> = done
        .iter()
        .filter(|(_, word)| CHANGED.contains(word))
        .map(|(node, _)| *node)
        .collect();
    ctx.log(&format!(
        "Nemesis {f}: {}",
        if changed.is_empty() {
            "no node changed".to_string()
        } else {
            changed.join(", ")
        }
    ));
    let value = Edn::Map(
        done.iter()
            .map(|(node, word)| (Edn::str(node), Edn::kw(word)))
            .collect(),
    );
    ctx.record(f, value);
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::history::Op;
    use crate::nemesis::{Grudge, Network, Processes};
    use parking_lot::Mutex;
    use rand::SeedableRng;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    /// Node specs name Jepsen's counts: one 1, minority-third ⌊(n−1)/3⌋, minority majority−1,
    /// majority ⌊n/2⌋+1, all n, a random subset 1..=n; never a node twice, never a stranger.
    #[test]
    fn node_specs_pick_jepsens_counts() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in [1, 2, 3, 5, 25] {
            let all = nodes(n);
            for _ in 0..50 {
                for (spec, expected) in [
                    (NodeSpec::One, Some(1)),
                    (NodeSpec::MinorityThird, Some(minority_third(n))),
                    (NodeSpec::Minority, Some(majority(n) - 1)),
                    (NodeSpec::Majority, Some(majority(n).min(n))),
                    (NodeSpec::All, Some(n)),
                    (NodeSpec::Some, None),
                ] {
                    let picked = spec.pick(&all, &mut rng);
                    match expected {
                        Some(count) => assert_eq!(picked.len(), count, "{spec:?} n={n}"),
                        None => assert!((1..=n).contains(&picked.len()), "{picked:?}"),
                    }
                    let distinct: std::collections::BTreeSet<&String> = picked.iter().collect();
                    assert_eq!(distinct.len(), picked.len(), "{spec:?}: {picked:?}");
                    assert!(picked.iter().all(|p| all.contains(p)));
                }
            }
        }
        assert!(NodeSpec::Some.pick(&[], &mut rng).is_empty());
        let sizes: std::collections::BTreeSet<usize> = (0..200)
            .map(|_| NodeSpec::Some.pick(&nodes(5), &mut rng).len())
            .collect();
        assert_eq!(sizes.len(), 5, "every subset size is drawn: {sizes:?}");
    }

    /// The same seed draws the same specs and nodes; every spec gets drawn.
    #[test]
    fn same_seed_same_specs_and_nodes() {
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..50)
                .map(|_| {
                    let spec = NodeSpec::random(&mut rng);
                    (spec, spec.pick(&nodes(5), &mut rng))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
        for spec in NodeSpec::ALL {
            assert!(draw(42).iter().any(|(s, _)| *s == spec), "{spec:?}");
        }
    }

    /// Answers as live nodes would; n2 cannot be started.
    #[derive(Default)]
    pub(in crate::nemesis) struct FakeNodes {
        pub(in crate::nemesis) asked: Mutex<Vec<(String, NodeAction)>>,
    }

    impl Processes for FakeNodes {
        fn act(&self, node: &str, action: NodeAction) -> Result<&'static str, String> {
            self.asked.lock().push((node.to_string(), action));
            match action {
                NodeAction::Start if node == "n2" => Err("no init_ok".into()),
                NodeAction::Kill => Ok("killed"),
                NodeAction::Start => Ok("started"),
                NodeAction::Pause => Ok("paused"),
                NodeAction::Resume => Ok("not-paused"),
            }
        }
    }

    pub(in crate::nemesis) struct NoNetwork;
    impl Network for NoNetwork {
        fn partition(&self, _grudge: &Grudge) {}
        fn heal(&self) {}
    }

    /// An op on nodes is an invocation naming the spec and a completion naming what each node
    /// did; a node that could not be started is `:failed`, and the log says why.
    #[test]
    fn an_op_on_nodes_records_the_spec_then_each_node() {
        let fake = FakeNodes::default();
        let ops = Mutex::new(Vec::new());
        let logged = Mutex::new(Vec::new());
        let record = |op: Op| ops.lock().push(op);
        let log = |line: &str| logged.lock().push(line.to_string());
        let all = nodes(3);
        let ctx = Context {
            nodes: &all,
            network: &NoNetwork,
            processes: &fake,
            record_op: &record,
            log_line: &log,
        };
        act_on_nodes(&ctx, NodeAction::Start, NodeSpec::All, &all);
        act_on_nodes(&ctx, NodeAction::Kill, NodeSpec::One, &all[1..2]);
        let shown: Vec<(String, String)> = ops
            .lock()
            .iter()
            .map(|op| (op.f.to_string(), crate::edn::compact(&op.value)))
            .collect();
        assert_eq!(
            shown,
            [
                ("start".into(), ":all".into()),
                (
                    "start".into(),
                    "{\"n0\" :started, \"n1\" :started, \"n2\" :failed}".into()
                ),
                ("kill".into(), ":one".into()),
                ("kill".into(), "{\"n1\" :killed}".into()),
            ]
        );
        let logged = logged.lock();
        assert!(logged
            .iter()
            .any(|l| l.contains("could not start n2: no init_ok")));
        assert!(
            logged.iter().any(|l| l == "Nemesis start: n0, n1"),
            "{logged:?}"
        );
        assert_eq!(fake.asked.lock().len(), 4);
    }
}
