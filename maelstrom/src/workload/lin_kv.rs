//! The lin-kv workload (`src/maelstrom/workload/lin_kv.clj` over Jepsen's
//! `jepsen/tests/linearizable_register.clj`): clients read, write and compare-and-set
//! independent keys, and the checker asks whether each key behaved like one linearizable
//! register (`checker/linearizable/`).
//!
//! The generator, as Jepsen's `independent/concurrent-generator`: worker threads form groups of
//! 2n (n = node count), group g starting on key g; in each group the first n threads only read
//! and the other n write or cas (1:2), values 0-4. A group leaves its key for the next unused one
//! once more than 20 distinct processes would have worked on it (`gen/process-limit 20`): a
//! worker's process changes only after an `:info` op, so in a healthy run each group keeps its
//! first key for the whole test.
//!
//! The client, as Maelstrom's `with-errors` with `:read` idempotent: a read that errors or times
//! out is `:fail`; a write or cas is `:fail` only on a definite error code (20 key does not exist,
//! 22 precondition failed, ...), else `:info`. The RPC timeout is `max(10 x --latency, 1000)` ms.

use super::{complete_call, unknown_op, Completion, FieldKind, ReplySchema, RpcOutcome, Workload};
use crate::checker::linearizable::{self, counterexample, Limits};
use crate::edn::Edn;
use crate::history::{History, Op, OpType, Placement, Process, RunFacts};
use crate::options::TestOptions;
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

/// `{"type":"read_ok","value":<any>}`.
const READ_OK: ReplySchema = ReplySchema {
    reply_type: "read_ok",
    fields: &[("value", FieldKind::Any)],
};

/// `{"type":"write_ok"}`.
const WRITE_OK: ReplySchema = ReplySchema {
    reply_type: "write_ok",
    fields: &[],
};

/// `{"type":"cas_ok"}`.
const CAS_OK: ReplySchema = ReplySchema {
    reply_type: "cas_ok",
    fields: &[],
};

/// `gen/process-limit`'s bound in `linearizable_register.clj`.
pub const PROCESS_LIMIT: usize = 20;

/// The lin-kv workload.
pub struct LinKv {
    /// n, the node count: groups are 2n workers.
    nodes: usize,
    /// C, the worker count.
    concurrency: usize,
    /// `max(10 x --latency, 1000)` ms.
    timeout: Duration,
    keys: Mutex<Keys>,
}

/// Which key each group works on, and who has worked on it.
struct Keys {
    /// Each worker thread's current process.
    process: Vec<u64>,
    /// Per group: its key and the processes seen on it.
    groups: Vec<(u64, HashSet<u64>)>,
    /// The next key no group has used yet.
    next_key: u64,
}

/// The registry's constructor.
pub fn build(opts: &TestOptions) -> Box<dyn Workload> {
    let nodes = opts.nodes.len().max(1);
    let concurrency = opts.concurrency.max(1);
    let groups = concurrency.div_ceil(2 * nodes);
    Box::new(LinKv {
        nodes,
        concurrency,
        timeout: rpc_timeout(opts.latency),
        keys: Mutex::new(Keys {
            process: (0..concurrency as u64).collect(),
            groups: (0..groups as u64).map(|k| (k, HashSet::new())).collect(),
            next_key: groups as u64,
        }),
    })
}

/// Whether lin-kv can run with `opts` (its registry entry's check, `Entry::checked`): each key
/// is worked on by 2 threads per node, so the concurrency must be a multiple of 2n.
pub fn check_options(opts: &TestOptions) -> Result<(), String> {
    let group = 2 * opts.nodes.len().max(1);
    let concurrency = opts.concurrency.max(1);
    if concurrency < group {
        return Err(format!(
            "With {concurrency} worker threads, the lin-kv workload cannot run a key with {group} \
             threads concurrently (2 per node). Consider raising --concurrency to at least \
             {group} (--concurrency 2n)"
        ));
    }
    if !concurrency.is_multiple_of(group) {
        return Err(format!(
            "The lin-kv workload has {concurrency} worker threads to work with, but runs each \
             key with {group} threads (2 per node). Use a --concurrency that is a multiple of \
             {group} (--concurrency 2n, 4n, ...)"
        ));
    }
    Ok(())
}

/// The client's RPC timeout: `max(10 x latency, 1000)` ms (`lin_kv.clj`).
pub fn rpc_timeout(latency_ms: u64) -> Duration {
    Duration::from_millis(latency_ms.saturating_mul(10).max(1000))
}

/// `pictures  independent/1/linear.svg and 2 more under independent/ (also on index.html)`:
/// where the first bad key's picture is, when some key is not linearizable or undecided.
fn pictures_line(result: &Edn) -> Option<super::extras::Line> {
    let Some(Edn::Map(per_key)) = result.get("results") else {
        return None;
    };
    let bad: Vec<&Edn> = per_key
        .iter()
        .filter(|(_, r)| !matches!(r.get("valid?"), Some(Edn::Bool(true))))
        .map(|(k, _)| k)
        .collect();
    let first = counterexample::picture_file(bad.first()?);
    let drawn = bad.len().min(counterexample::MAX_PICTURES);
    let more = match (drawn - 1, bad.len() - drawn) {
        (0, _) => String::new(),
        (n, 0) => format!(" and {n} more under independent/"),
        (n, left) => format!(" and {n} more under independent/ ({left} keys not drawn)"),
    };
    Some(("pictures", format!("{first}{more} (also on index.html)")))
}

/// `[k v]`.
fn tuple(k: u64, v: Edn) -> Edn {
    Edn::Vector(vec![Edn::Int(k as i64), v].into())
}

impl LinKv {
    /// The key worker `thread` works on now, moving its group to a fresh key when the process
    /// limit would be exceeded (`gen/process-limit` counts every process of the group's workers).
    fn key_for(&self, thread: usize) -> u64 {
        let group_size = 2 * self.nodes;
        let mut keys = self.keys.lock();
        let g = (thread / group_size).min(keys.groups.len().saturating_sub(1));
        let members = g * group_size..((g + 1) * group_size).min(self.concurrency);
        let current: Vec<u64> = members.map(|t| keys.process[t]).collect();
        let Keys {
            groups, next_key, ..
        } = &mut *keys;
        let (key, seen) = &mut groups[g];
        let fresh = current.iter().filter(|p| !seen.contains(p)).count();
        // A fresh key always gets its first workers, even with more than 20 of them (Jepsen
        // would skip keys forever there).
        if !seen.is_empty() && seen.len() + fresh > PROCESS_LIMIT {
            *key = *next_key;
            *next_key += 1;
            seen.clear();
        }
        seen.extend(current);
        *key
    }
}

impl Workload for LinKv {
    fn name(&self) -> &'static str {
        "lin-kv"
    }

    /// Readers read; writers write (1/3) or cas (2/3); values 0-4.
    fn next_op(&self, thread: usize, rng: &mut StdRng) -> (String, Edn) {
        let key = self.key_for(thread);
        if thread % (2 * self.nodes) < self.nodes {
            return ("read".into(), tuple(key, Edn::Nil));
        }
        if rng.gen_range(0..3) == 0 {
            ("write".into(), tuple(key, Edn::Int(rng.gen_range(0..5))))
        } else {
            let from = Edn::Int(rng.gen_range(0..5));
            let to = Edn::Int(rng.gen_range(0..5));
            ("cas".into(), tuple(key, Edn::Vector(vec![from, to].into())))
        }
    }

    fn request(&self, f: &str, value: &Edn) -> Value {
        let (key, arg) = match value {
            Edn::Vector(kv) if kv.len() == 2 => (super::edn_to_json(&kv[0]), &kv[1]),
            _ => return json!({ "type": f }),
        };
        match (f, arg) {
            ("read", _) => json!({"type": "read", "key": key}),
            ("write", v) => json!({"type": "write", "key": key, "value": super::edn_to_json(v)}),
            ("cas", Edn::Vector(ft)) if ft.len() == 2 => json!({
                "type": "cas",
                "key": key,
                "from": super::edn_to_json(&ft[0]),
                "to": super::edn_to_json(&ft[1]),
            }),
            _ => json!({ "type": f }),
        }
    }

    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        let schema = match f {
            "read" => &READ_OK,
            "write" => &WRITE_OK,
            "cas" => &CAS_OK,
            _ => return unknown_op(self.name(), f, value),
        };
        let request = self.request(f, value);
        let key = match value {
            Edn::Vector(kv) if !kv.is_empty() => kv[0].clone(),
            _ => Edn::Nil,
        };
        complete_call(
            node,
            &request,
            schema,
            f == "read",
            value,
            outcome,
            |body| match f {
                "read" => {
                    let v = body.get("value").map_or(Edn::Nil, Edn::from_json);
                    Edn::Vector(vec![key, v].into())
                }
                _ => value.clone(),
            },
        )
    }

    /// A worker's process moves on by C after an :info, and the generator must know it.
    fn observe(&self, thread: usize, op: &Op) {
        if let (OpType::Info, Process::Client(p)) = (op.op_type, op.process) {
            let mut keys = self.keys.lock();
            if let Some(slot) = keys.process.get_mut(thread) {
                *slot = p + self.concurrency as u64;
            }
        }
    }

    fn rpc_timeout(&self) -> Duration {
        self.timeout
    }

    fn client_reusable(&self) -> bool {
        true
    }

    /// The keys not linearizable, the first impossible op in words, undecided keys, nil reads,
    /// and where their pictures are.
    fn summary_lines(&self, result: &Edn) -> Vec<super::extras::Line> {
        let mut lines = linearizable::summary_lines(result);
        lines.extend(pictures_line(result));
        lines
    }

    /// A picture of each key that is not linearizable or undecided
    /// (`checker/linearizable/counterexample.rs`), which `view/linear.rs` draws.
    fn run_page_extras(
        &self,
        history: &History,
        result: &Edn,
        _placement: Placement,
    ) -> super::extras::RunPageExtras {
        super::extras::RunPageExtras {
            counterexamples: counterexample::counterexamples(history, result),
            ..Default::default()
        }
    }

    /// Each key linearizable as a compare-and-set register (`checker/linearizable/`).
    /// The budgets come from `--linearizable-time-limit` and `--linearizable-memory-limit`.
    fn check(&self, history: &History, _facts: &RunFacts, opts: &TestOptions) -> Edn {
        linearizable::check(history, Limits::from_options(&opts.workload_opts))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::error_body;
    use super::*;
    use rand::SeedableRng;

    fn lin_kv(nodes: usize, concurrency: usize) -> Box<dyn Workload> {
        build(&options(nodes, concurrency))
    }

    fn options(nodes: usize, concurrency: usize) -> TestOptions {
        TestOptions {
            workload: "lin-kv".into(),
            nodes: (0..nodes).map(|i| format!("n{i}")).collect(),
            concurrency,
            ..TestOptions::default()
        }
    }

    fn kv(k: i64, v: Edn) -> Edn {
        Edn::Vector(vec![Edn::Int(k), v].into())
    }

    /// The console summary of an invalid run names the keys that are not linearizable (or
    /// unknown), the first one's explanation and where their pictures are; a valid run adds no
    /// line.
    #[test]
    fn summary_names_bad_keys_and_the_first_explanation() {
        let parse = |t: &str| crate::edn::parse(t).expect("edn");
        let w = lin_kv(1, 2);
        let bad = parse(
            r#"{:valid? false,
                :results {0 {:linearizable {:valid? true}, :valid? true},
                          1 {:linearizable {:valid? false, :explanation "read 3 of key 1: stale"},
                             :valid? false},
                          2 {:linearizable {:valid? :unknown, :cause "out of time"},
                             :valid? :unknown}},
                :failures [1]}"#,
        );
        let lines = w.summary_lines(&bad);
        assert_eq!(
            lines,
            vec![
                ("failing keys", "1 of 3 keys: key 1".to_string()),
                ("impossible", "read 3 of key 1: stale".to_string()),
                ("undecided", "1 of 3 keys: key 2".to_string()),
                (
                    "pictures",
                    "independent/1/linear.svg and 1 more under independent/ (also on index.html)"
                        .to_string()
                ),
            ]
        );
        let good = parse("{:valid? true, :results {0 {:linearizable {:valid? true}, :valid? true}}, :failures []}");
        assert!(w.summary_lines(&good).is_empty());
    }

    /// `--linearizable-time-limit` reaches the checker: with a budget of a nanosecond a long key
    /// is :unknown and its cause names the budget; with the default it is valid.
    #[test]
    fn check_takes_its_budget_from_the_options() {
        use crate::checker::test_support::Builder;
        use crate::history::OpType;
        let mut b = Builder::new();
        for i in 0..3_000u64 {
            let v = kv(0, Edn::Int((i % 5) as i64));
            b.op(2 * i, 0, OpType::Invoke, "write", v.clone());
            b.op(2 * i + 1, 0, OpType::Ok, "write", v);
        }
        // A read that returns a value, so the run checked something (all-nil reads are :unknown).
        b.op(6_000, 0, OpType::Invoke, "read", kv(0, Edn::Nil));
        b.op(6_001, 0, OpType::Ok, "read", kv(0, Edn::Int(4)));
        let mut opts = TestOptions {
            workload: "lin-kv".into(),
            ..TestOptions::default()
        };
        let w = build(&opts);
        let facts = RunFacts::default();
        assert_eq!(
            w.check(&b.ops, &facts, &opts).get("valid?"),
            Some(&Edn::Bool(true))
        );
        opts.workload_opts.linearizable_time_limit = 1e-9;
        let result = w.check(&b.ops, &facts, &opts);
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        let Some(Edn::Map(keys)) = result.get("results") else {
            panic!("{result:?}")
        };
        let cause = keys
            .iter()
            .find(|(k, _)| *k == Edn::Int(0))
            .and_then(|(_, r)| r.get("linearizable"))
            .and_then(|l| l.get("cause"));
        assert!(
            matches!(cause, Some(Edn::Str(s)) if s.contains("time budget of 0.000000001 s")),
            "{cause:?}"
        );
    }

    /// Groups of 2n: the first n threads of each group read, the rest write or cas, values 0-4, one key per group.
    #[test]
    fn generator_groups_threads_by_key() {
        let w = lin_kv(2, 8);
        let mut rng = StdRng::seed_from_u64(1);
        let (mut writes, mut cases) = (0, 0);
        for round in 0..300 {
            let thread = round % 8;
            let (f, value) = w.next_op(thread, &mut rng);
            let Edn::Vector(kv) = &value else { panic!() };
            assert_eq!(kv[0], Edn::Int((thread / 4) as i64), "thread {thread}");
            match (thread % 4 < 2, f.as_str()) {
                (true, "read") => assert_eq!(kv[1], Edn::Nil),
                (false, "write") => {
                    writes += 1;
                    assert!(matches!(kv[1], Edn::Int(0..=4)));
                }
                (false, "cas") => cases += 1,
                other => panic!("thread {thread}: {other:?}"),
            }
        }
        // 1:2, roughly.
        assert!(
            writes > 25 && cases > 2 * writes - 40,
            "{writes} writes, {cases} cas"
        );
    }

    /// After enough crashes (processes) a group moves to the next unused key; the other group stays.
    #[test]
    fn key_retires_after_twenty_processes() {
        let w = lin_kv(1, 4);
        let mut rng = StdRng::seed_from_u64(2);
        let key_of =
            |w: &dyn Workload, thread: usize, rng: &mut StdRng| match w.next_op(thread, rng).1 {
                Edn::Vector(kv) => kv[0].clone(),
                _ => Edn::Nil,
            };
        assert_eq!(key_of(&*w, 1, &mut rng), Edn::Int(0));
        // Thread 1 crashes 18 times: processes 1, 5, ..., 73, with thread 0's process 0: 20.
        for crash in 0..18u64 {
            let op = Op::new(
                OpType::Info,
                Process::Client(1 + 4 * crash),
                "cas",
                Edn::Nil,
            );
            w.observe(1, &op);
            assert_eq!(key_of(&*w, 1, &mut rng), Edn::Int(0), "crash {crash}");
        }
        w.observe(
            1,
            &Op::new(OpType::Info, Process::Client(73), "cas", Edn::Nil),
        );
        assert_eq!(key_of(&*w, 0, &mut rng), Edn::Int(2));
        assert_eq!(key_of(&*w, 1, &mut rng), Edn::Int(2));
        assert_eq!(key_of(&*w, 2, &mut rng), Edn::Int(1));
    }

    /// Requests carry key, value, from and to as the lin-kv RPCs name them.
    #[test]
    fn requests_match_the_rpcs() {
        let w = lin_kv(1, 2);
        assert_eq!(
            w.request("read", &kv(3, Edn::Nil)),
            json!({"type": "read", "key": 3})
        );
        assert_eq!(
            w.request("write", &kv(3, Edn::Int(4))),
            json!({"type": "write", "key": 3, "value": 4})
        );
        let cas = kv(3, Edn::Vector(vec![Edn::Int(1), Edn::Int(2)].into()));
        assert_eq!(
            w.request("cas", &cas),
            json!({"type": "cas", "key": 3, "from": 1, "to": 2})
        );
    }

    /// with-errors: read timeouts fail, write/cas timeouts and crash errors are info, definite errors fail.
    #[test]
    fn completions_follow_with_errors() {
        let w = lin_kv(1, 2);
        let read = kv(0, Edn::Nil);
        let cas = kv(0, Edn::Vector(vec![Edn::Int(1), Edn::Int(2)].into()));
        let ok = w.complete(
            "read",
            &read,
            &RpcOutcome::Reply(json!({"type": "read_ok", "value": 3, "in_reply_to": 1})),
        );
        assert_eq!((ok.op_type, ok.value), (OpType::Ok, kv(0, Edn::Int(3))));
        assert_eq!(
            w.complete("read", &read, &RpcOutcome::Timeout).op_type,
            OpType::Fail
        );
        assert_eq!(
            w.complete("cas", &cas, &RpcOutcome::Timeout).op_type,
            OpType::Info
        );
        for (code, expected) in [
            (20, OpType::Fail),
            (22, OpType::Fail),
            (13, OpType::Info),
            (0, OpType::Info),
        ] {
            let c = w.complete("cas", &cas, &RpcOutcome::Reply(error_body(code, "x")));
            assert_eq!(c.op_type, expected, "code {code}");
            assert_eq!(c.value, cas);
        }
        let c = w.complete("read", &read, &RpcOutcome::Reply(error_body(13, "x")));
        assert_eq!(c.op_type, OpType::Fail);
        let c = w.complete(
            "cas",
            &cas,
            &RpcOutcome::Reply(json!({"type": "cas_ok", "in_reply_to": 1})),
        );
        assert_eq!((c.op_type, c.value), (OpType::Ok, cas));
    }

    /// The timeout is max(10 x latency, 1 s); concurrency must be a multiple of 2n.
    #[test]
    fn timeout_and_concurrency_rules() {
        assert_eq!(rpc_timeout(0), Duration::from_secs(1));
        assert_eq!(rpc_timeout(250), Duration::from_millis(2500));
        assert!(check_options(&options(3, 6)).is_ok());
        assert!(check_options(&options(3, 12)).is_ok());
        let low = check_options(&options(3, 3)).unwrap_err();
        assert!(low.contains("at least 6"), "{low}");
        let odd = check_options(&options(3, 9)).unwrap_err();
        assert!(odd.contains("multiple of 6"), "{odd}");
    }
}
