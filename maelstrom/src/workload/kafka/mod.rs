//! The kafka workload (Maelstrom's `workload/kafka.clj` over Jepsen's `jepsen.tests.kafka`, in
//! assign mode): clients append messages to string-keyed logs with `send`, read them back from
//! their own positions with `poll` (committing what they read with `commit_offsets`), and move
//! to other keys with `assign` (starting from `list_committed_offsets`). `checker/kafka` judges
//! the history.
//!
//! The generator is Jepsen's: single-micro-op list-append transactions over `--key-count`
//! active keys (exponential key choice; after `--max-writes-per-key` messages a key is retired
//! for a new one), an appended value becoming `[[:send "k" v]]` and a read `[[:poll]]`; one op in
//! 64 becomes an assign of its key instead, and a third of those also take the keys with sent
//! but not yet polled offsets; on their own schedule (gaps uniform in [0, 2 x 30/C) s) `:crash`
//! ops replace a client. In the final phase each worker crashes its client, assigns every key
//! seen from the beginning, and polls (gaps uniform in [0, 0.4) s) until it has caught up with
//! the highest offset seen of every key, or 10 s have passed.
//!
//! Departure: Maelstrom records `:seek-to-beginning? true` on the final assign; the runner's ops
//! carry no extra keys, so it is implied by `:final?`.

mod rpcs;

use super::extras;
use super::{edn_to_json, unknown_op, Call, ClientState, Completion, RpcOutcome, Workload};
use crate::edn::Edn;
use crate::history::{History, Op, OpType, RunFacts};
use crate::options::TestOptions;
use rand::rngs::StdRng;
use rand::Rng;
use rpcs::{assign, complete_send, poll};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Mean seconds between crashes of some client, times the concurrency (Jepsen's
/// `:crash-client-interval`, 30 s, divided among the C clients).
const CRASH_INTERVAL_SECS: f64 = 30.0;

/// Probability that an op becomes an assign of its key (Jepsen's `:sub-p`).
const ASSIGN_P: f64 = 1.0 / 64.0;

/// Mean gap between final polls (Jepsen staggers them by 1/5 s).
const FINAL_POLL_GAP: Duration = Duration::from_millis(200);

/// The kafka workload.
pub struct Kafka {
    key_count: usize,
    max_writes_per_key: u64,
    concurrency: usize,
    generator: Mutex<Generator>,
}

/// What the generator remembers between ops.
#[derive(Default)]
struct Generator {
    /// The active keys (integers, as Jepsen draws them; ops carry them as strings).
    active: Vec<u64>,
    /// The next value to append, per active key (1 when absent).
    next_value: HashMap<u64, u64>,
    /// When the next `:crash` is due.
    next_crash: Option<Instant>,
    /// Jepsen's `poll-unseen`: the highest offset sent and polled per key, for keys where polls
    /// lag behind sends.
    sent: BTreeMap<String, i64>,
    polled: BTreeMap<String, i64>,
    /// Jepsen's `track-key-offsets`: the highest offset seen per key.
    max_offsets: BTreeMap<String, i64>,
    /// Per worker thread in the final phase: the offsets it must still reach.
    finals: HashMap<usize, BTreeMap<String, i64>>,
}

/// A client's poll positions: key -> next offset to poll.
#[derive(Default)]
struct Positions(BTreeMap<String, i64>);

/// The registry's constructor.
pub fn build(opts: &TestOptions) -> Box<dyn Workload> {
    let key_count = opts.workload_opts.key_count.unwrap_or(10).max(1) as usize;
    Box::new(Kafka {
        key_count,
        max_writes_per_key: opts.workload_opts.max_writes_per_key,
        concurrency: opts.concurrency.max(1),
        generator: Mutex::new(Generator {
            active: (0..key_count as u64).collect(),
            ..Generator::default()
        }),
    })
}

impl Kafka {
    fn generator(&self) -> std::sync::MutexGuard<'_, Generator> {
        self.generator.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Jepsen's `rand-key` with an exponential distribution of base 2: the i-th active key is
    /// 2^i times as likely as the first.
    fn random_key_index(&self, rng: &mut StdRng) -> usize {
        let n = self.key_count as i32;
        let scale = (2f64.powi(n) - 1.0) * 2.0;
        let r: f64 = rng.gen::<f64>() * scale;
        let i = ((r + 2.0).log2() - 1.0).floor() as usize;
        i.min(self.key_count - 1)
    }

    /// One list-append micro-op as Jepsen's `wr-txns` draws it: a read or an append of the
    /// key's next value, retiring keys that reached `--max-writes-per-key`. Nothing changes
    /// until the caller adopts the draw (`Generator::adopt`).
    fn draw(&self, g: &Generator, rng: &mut StdRng) -> Draw {
        let mut active = g.active.clone();
        loop {
            let append = rng.gen_bool(0.5);
            let i = self.random_key_index(rng);
            let key = active[i];
            let value = g.next_value.get(&key).copied().unwrap_or(1);
            if append && value > self.max_writes_per_key {
                let fresh = active.iter().max().copied().unwrap_or(0) + 1;
                active[i] = fresh;
                continue;
            }
            return Draw {
                append,
                key,
                value,
                active,
            };
        }
    }
}

/// A drawn micro-op: an append of `value` to `key`, or a read of `key`; `active` is the set of
/// active keys once the keys it had to retire are replaced.
struct Draw {
    append: bool,
    key: u64,
    value: u64,
    active: Vec<u64>,
}

impl Generator {
    /// Makes a draw the generator's new state: retired keys are forgotten, an append moves its
    /// key's next value on.
    fn adopt(&mut self, draw: &Draw) {
        let active = &draw.active;
        self.next_value.retain(|k, _| active.contains(k));
        self.active = draw.active.clone();
        if draw.append {
            self.next_value.insert(draw.key, draw.value + 1);
        }
    }
}

/// Uniform in [0, 2 x mean), as Jepsen's `stagger`.
fn stagger(rng: &mut StdRng, mean: Duration) -> Duration {
    mean.mul_f64(2.0 * rng.gen::<f64>())
}

impl Workload for Kafka {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn next_op(&self, _thread: usize, rng: &mut StdRng) -> (String, Edn) {
        let mut g = self.generator();
        let now = Instant::now();
        let crash_gap = Duration::from_secs_f64(CRASH_INTERVAL_SECS / self.concurrency as f64);
        // Jepsen's stagger emits its first op at once, then one after each gap.
        if g.next_crash.is_none_or(|due| now >= due) {
            g.next_crash = Some(now + stagger(rng, crash_gap));
            return ("crash".into(), Edn::Nil);
        }
        let draw = self.draw(&g, rng);
        if rng.gen::<f64>() < ASSIGN_P {
            // The transaction is not used: the generator stays where it was.
            let mut keys = vec![draw.key.to_string()];
            if rng.gen::<f64>() < 1.0 / 3.0 {
                for unseen in g.sent.keys() {
                    if !keys.contains(unseen) {
                        keys.push(unseen.clone());
                    }
                }
            }
            return (
                "assign".into(),
                Edn::Vector(keys.into_iter().map(|k| Edn::Str(k.into())).collect()),
            );
        }
        g.adopt(&draw);
        let key = Edn::Str(draw.key.to_string().into());
        if draw.append {
            let mop = Edn::Vector(vec![Edn::kw("send"), key, Edn::Int(draw.value as i64)].into());
            ("send".into(), Edn::Vector(vec![mop].into()))
        } else {
            (
                "poll".into(),
                Edn::Vector(vec![Edn::Vector(vec![Edn::kw("poll")].into())].into()),
            )
        }
    }

    /// The first RPC of each op (the client's `invoke` sends them; see there).
    fn request(&self, f: &str, value: &Edn) -> Value {
        match f {
            "send" => {
                let (key, msg) = send_parts(value);
                json!({"type": "send", "key": key, "msg": msg})
            }
            "poll" => json!({"type": "poll", "offsets": {}}),
            "assign" => json!({"type": "list_committed_offsets", "keys": edn_to_json(value)}),
            other => json!({ "type": other }),
        }
    }

    /// Single-RPC completion, for a send; the other ops need the client (`invoke`).
    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        match f {
            "send" => complete_send(node, &self.request(f, value), value, outcome),
            other => unknown_op(self.name(), other, value),
        }
    }

    /// Maelstrom's kafka `Client/invoke!`: `:crash` sends nothing and completes `:info` (the
    /// client is then replaced); `:assign` asks for the committed offsets (or seeks to the
    /// beginning in the final phase) and sets the poll positions; `:poll` polls from the
    /// positions, advances them and commits what it read; `:send` sends. Only `:assign` is
    /// idempotent.
    fn invoke(
        &self,
        call: &mut dyn Call,
        state: &mut ClientState,
        f: &str,
        value: &Edn,
        final_phase: bool,
    ) -> Completion {
        let positions = state.get_or_insert_with(|| Box::new(Positions::default()));
        let Some(Positions(positions)) = positions.downcast_mut::<Positions>() else {
            return unknown_op(self.name(), f, value);
        };
        match f {
            "crash" => Completion {
                op_type: OpType::Info,
                value: value.clone(),
                error: None,
                exception: None,
            },
            "assign" => assign(call, positions, value, final_phase),
            "poll" => poll(call, positions, value),
            "send" => {
                let request = self.request(f, value);
                let outcome = call.rpc(request.clone());
                complete_send(Some(call.node()), &request, value, &outcome)
            }
            other => unknown_op(self.name(), other, value),
        }
    }

    fn client_reusable(&self) -> bool {
        false
    }

    /// Jepsen's `poll-unseen` and `track-key-offsets` follow the `:ok` sends and polls; a final
    /// poll also counts towards its worker's catching up.
    fn observe(&self, thread: usize, op: &Op) {
        if op.op_type != OpType::Ok {
            return;
        }
        let (sent, polled) = max_offsets(&op.value);
        let mut g = self.generator();
        for (k, o) in sent.iter().chain(&polled) {
            let m = g.max_offsets.entry(k.clone()).or_insert(*o);
            *m = (*m).max(*o);
        }
        for (k, o) in &sent {
            let m = g.sent.entry(k.clone()).or_insert(*o);
            *m = (*m).max(*o);
        }
        for (k, o) in &polled {
            let m = g.polled.entry(k.clone()).or_insert(*o);
            *m = (*m).max(*o);
        }
        let caught_up: Vec<String> = g
            .sent
            .iter()
            .filter(|(k, s)| g.polled.get(*k).copied().unwrap_or(-1) >= **s)
            .map(|(k, _)| k.clone())
            .collect();
        for k in caught_up {
            g.sent.remove(&k);
            g.polled.remove(&k);
        }
        if op.f == "poll" {
            if let Some(targets) = g.finals.get_mut(&thread) {
                targets.retain(|k, target| polled.get(k).is_none_or(|seen| *target > *seen));
            }
        }
    }

    /// The final phase: a crash, then with a fresh client an assign of every key seen, then
    /// polls until this worker has polled every key up to its highest offset seen in the test.
    /// No final phase at all when no offset was ever seen.
    fn final_op(&self) -> Option<(String, Edn)> {
        Some(("crash".into(), Edn::Nil))
    }

    fn next_final_op(
        &self,
        thread: usize,
        previous: Option<&Op>,
        rng: &mut StdRng,
    ) -> Option<(String, Edn, Duration)> {
        let mut g = self.generator();
        let Some(previous) = previous else {
            if g.max_offsets.is_empty() {
                return None;
            }
            let targets = g.max_offsets.clone();
            g.finals.insert(thread, targets);
            return Some(("crash".into(), Edn::Nil, Duration::ZERO));
        };
        let targets = g.finals.get(&thread)?;
        if targets.is_empty() {
            return None;
        }
        if previous.f == "crash" {
            let mut keys: Vec<String> = g.max_offsets.keys().cloned().collect();
            keys.sort_by_key(|k| (k.parse::<u64>().ok(), k.clone()));
            let keys = Edn::Vector(keys.into_iter().map(|k| Edn::Str(k.into())).collect());
            return Some(("assign".into(), keys, Duration::ZERO));
        }
        let poll = Edn::Vector(vec![Edn::Vector(vec![Edn::kw("poll")].into())].into());
        Some(("poll".into(), poll, stagger(rng, FINAL_POLL_GAP)))
    }

    fn check(&self, history: &History, _facts: &RunFacts, opts: &TestOptions) -> Edn {
        crate::checker::kafka::check(
            history,
            crate::checker::Placement {
                nodes: &opts.nodes,
                concurrency: opts.concurrency,
            },
        )
    }

    /// `anomalies` and the first one's explanation, from `:bad-error-types`.
    fn summary_lines(&self, result: &Edn) -> Vec<extras::Line> {
        extras::anomaly_lines(result, "bad-error-types")
    }
}

/// The key and message of `[[:send "k" msg]]`, as JSON.
fn send_parts(value: &Edn) -> (Value, Value) {
    match value {
        Edn::Vector(mops) => match mops.first() {
            Some(Edn::Vector(parts)) if parts.len() == 3 => {
                (edn_to_json(&parts[1]), edn_to_json(&parts[2]))
            }
            _ => (Value::Null, Value::Null),
        },
        _ => (Value::Null, Value::Null),
    }
}

/// The highest offsets per key an :ok op sent and polled (Jepsen's `op->max-send-offsets` and
/// `op->max-poll-offsets`; -1 for a key polled with no messages).
fn max_offsets(value: &Edn) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let (mut sent, mut polled) = (BTreeMap::new(), BTreeMap::new());
    let Edn::Vector(mops) = value else {
        return (sent, polled);
    };
    for mop in mops {
        let Edn::Vector(parts) = mop else { continue };
        match (parts.first(), parts.get(1), parts.get(2)) {
            (Some(Edn::Keyword(f)), Some(Edn::Str(k)), Some(Edn::Vector(pair)))
                if &**f == "send" =>
            {
                if let Some(Edn::Int(o)) = pair.first() {
                    let m = sent.entry(k.to_string()).or_insert(0);
                    *m = (*m).max(*o);
                }
            }
            (Some(Edn::Keyword(f)), Some(Edn::Map(entries)), _) if &**f == "poll" => {
                for (k, pairs) in entries {
                    let Edn::Str(k) = k else { continue };
                    let highest = match pairs {
                        Edn::Vector(pairs) => pairs
                            .iter()
                            .filter_map(|p| match p {
                                Edn::Vector(p) => match p.first() {
                                    Some(Edn::Int(o)) => Some(*o),
                                    _ => None,
                                },
                                _ => None,
                            })
                            .max()
                            .unwrap_or(-1),
                        _ => -1,
                    };
                    let m = polled.entry(k.to_string()).or_insert(highest);
                    *m = (*m).max(highest);
                }
            }
            _ => {}
        }
    }
    (sent, polled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::VecDeque;

    /// A node that answers from a script and records what it was sent.
    struct Scripted {
        replies: VecDeque<RpcOutcome>,
        sent: Vec<Value>,
    }

    impl Call for Scripted {
        fn node(&self) -> &str {
            "n0"
        }
        fn rpc(&mut self, body: Value) -> RpcOutcome {
            self.sent.push(body);
            self.replies.pop_front().unwrap_or(RpcOutcome::Timeout)
        }
    }

    fn scripted(replies: Vec<Value>) -> Scripted {
        Scripted {
            replies: replies.into_iter().map(RpcOutcome::Reply).collect(),
            sent: Vec::new(),
        }
    }

    fn kafka() -> Box<dyn Workload> {
        let opts = TestOptions {
            workload: "kafka".into(),
            nodes: vec!["n0".into()],
            concurrency: 2,
            ..TestOptions::default()
        };
        build(&opts)
    }

    fn edn(text: &str) -> Edn {
        crate::edn::parse(text).unwrap_or_else(|e| panic!("bad EDN in a test: {e}"))
    }

    /// Keys are chosen exponentially (the last active key about half the time), values per key
    /// count 1, 2, ... up to --max-writes-per-key, after which the key is replaced by a new one.
    #[test]
    fn generator_draws_exponential_keys_and_retires_them() {
        let w = kafka();
        let mut rng = StdRng::seed_from_u64(7);
        let mut sends: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut ops = BTreeMap::<String, usize>::new();
        for _ in 0..4000 {
            let (f, value) = w.next_op(0, &mut rng);
            *ops.entry(f.clone()).or_default() += 1;
            if f == "send" {
                let mop = match &value {
                    Edn::Vector(m) => m[0].clone(),
                    _ => Edn::Nil,
                };
                if let Edn::Vector(parts) = mop {
                    if let (Edn::Str(k), Edn::Int(v)) = (&parts[1], &parts[2]) {
                        sends.entry(k.to_string()).or_default().push(*v);
                    }
                }
            }
        }
        for (k, values) in &sends {
            let expected: Vec<i64> = (1..=values.len() as i64).collect();
            assert_eq!(values, &expected, "key {k}");
            assert!(values.len() <= 16, "key {k} got {} writes", values.len());
        }
        assert!(
            sends.len() > 10,
            "keys are retired and replaced: {:?}",
            sends.keys()
        );
        let (send, poll) = (ops["send"], ops["poll"]);
        assert!(send > 1600 && poll > 1600, "{ops:?}");
        assert!(
            ops.get("assign").copied().unwrap_or(0) > 20,
            "about 1 in 64: {ops:?}"
        );
        // Key 9, the last of the first active set, is chosen about half the time at first.
        assert!(
            sends.get("9").map_or(0, Vec::len) == 16,
            "{:?}",
            sends.get("9")
        );
    }

    /// A poll asks from the positions, moves them past what came back, and commits the highest
    /// offsets; its :ok value is Maelstrom's.
    #[test]
    fn poll_advances_positions_and_commits() {
        let w = kafka();
        let mut state: ClientState = None;
        let mut node = scripted(vec![
            json!({"type": "list_committed_offsets_ok", "offsets": {"3": 4}, "in_reply_to": 1}),
            json!({"type": "poll_ok", "msgs": {"3": [[4, 10], [5, 11]], "4": []}, "in_reply_to": 2}),
            json!({"type": "commit_offsets_ok", "in_reply_to": 3}),
            json!({"type": "poll_ok", "msgs": {}, "in_reply_to": 4}),
        ]);
        let assigned = w.invoke(&mut node, &mut state, "assign", &edn(r#"["3" "4"]"#), false);
        assert_eq!(assigned.op_type, OpType::Ok);
        let polled = w.invoke(&mut node, &mut state, "poll", &edn("[[:poll]]"), false);
        assert_eq!(polled.op_type, OpType::Ok, "{polled:?}");
        assert_eq!(
            crate::edn::compact(&polled.value),
            r#"[[:poll {"3" [[4 10] [5 11]], "4" []}]]"#
        );
        w.invoke(&mut node, &mut state, "poll", &edn("[[:poll]]"), false);
        assert_eq!(
            node.sent[0],
            json!({"type": "list_committed_offsets", "keys": ["3", "4"]})
        );
        assert_eq!(
            node.sent[1],
            json!({"type": "poll", "offsets": {"3": 4, "4": 0}})
        );
        assert_eq!(
            node.sent[2],
            json!({"type": "commit_offsets", "offsets": {"3": 5}})
        );
        assert_eq!(
            node.sent[3],
            json!({"type": "poll", "offsets": {"3": 6, "4": 0}})
        );
    }

    /// A send records its offset; a timed-out poll is indeterminate; an assign that times out
    /// failed (it is idempotent); a crash sends nothing; a final assign seeks to 0 unasked.
    #[test]
    fn send_timeouts_crash_and_final_assign() {
        let w = kafka();
        let mut state: ClientState = None;
        let mut node = scripted(vec![
            json!({"type": "send_ok", "offset": 7, "in_reply_to": 1}),
        ]);
        let sent = w.invoke(
            &mut node,
            &mut state,
            "send",
            &edn(r#"[[:send "3" 5]]"#),
            false,
        );
        assert_eq!(crate::edn::compact(&sent.value), r#"[[:send "3" [7 5]]]"#);
        let poll = w.invoke(&mut node, &mut state, "poll", &edn("[[:poll]]"), false);
        assert_eq!(
            (poll.op_type, poll.error),
            (OpType::Info, Some(Edn::kw("net-timeout")))
        );
        let assign = w.invoke(&mut node, &mut state, "assign", &edn(r#"["3"]"#), false);
        assert_eq!(assign.op_type, OpType::Fail);
        let before = node.sent.len();
        let crash = w.invoke(&mut node, &mut state, "crash", &Edn::Nil, false);
        assert_eq!((crash.op_type, crash.error), (OpType::Info, None));
        let seek = w.invoke(&mut node, &mut state, "assign", &edn(r#"["3"]"#), true);
        assert_eq!(seek.op_type, OpType::Ok);
        assert_eq!(
            node.sent.len(),
            before,
            "neither a crash nor a final assign sends anything"
        );
    }

    /// A send_ok whose offset is not an integer is a malformed reply naming the field.
    #[test]
    fn malformed_offset_is_indeterminate() {
        let w = kafka();
        let mut state: ClientState = None;
        let mut node = scripted(vec![
            json!({"type": "send_ok", "offset": "7", "in_reply_to": 1}),
        ]);
        let sent = w.invoke(
            &mut node,
            &mut state,
            "send",
            &edn(r#"[[:send "3" 5]]"#),
            false,
        );
        assert_eq!(sent.op_type, OpType::Info);
        let text = sent.exception.map(|e| e.message).unwrap_or_default();
        assert!(text.contains("Maelstrom sent node n0"), "{text}");
        assert!(text.contains(r#":offset (not (integer? "7"))"#), "{text}");
    }

    const NONE: (String, Edn, Duration) = (String::new(), Edn::Nil, Duration::ZERO);

    /// The final phase: nothing when no offset was seen; else crash, assign of every key seen,
    /// then polls until this worker has polled every key up to its highest offset.
    #[test]
    fn final_phase_polls_until_caught_up() {
        let w = kafka();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(w.next_final_op(0, None, &mut rng), None);
        let op = |f: &str, value: &str| {
            let mut op = Op::new(
                OpType::Ok,
                crate::history::Process::Client(0),
                f,
                edn(value),
            );
            op.index = 0;
            op
        };
        w.observe(1, &op("send", r#"[[:send "10" [3 1]]]"#));
        w.observe(1, &op("send", r#"[[:send "2" [0 1]]]"#));
        let (f, _, _) = w.next_final_op(0, None, &mut rng).unwrap_or(NONE);
        assert_eq!(f, "crash");
        let crash = op("crash", "nil");
        let (f, keys, _) = w.next_final_op(0, Some(&crash), &mut rng).unwrap_or(NONE);
        assert_eq!(
            (f.as_str(), crate::edn::compact(&keys)),
            ("assign", r#"["2" "10"]"#.into())
        );
        let poll = op("poll", r#"[[:poll {"2" [[0 1]], "10" [[2 0]]}]]"#);
        w.observe(0, &poll);
        let (f, _, gap) = w.next_final_op(0, Some(&poll), &mut rng).unwrap_or(NONE);
        assert_eq!(f, "poll");
        assert!(gap < Duration::from_millis(400));
        let caught_up = op("poll", r#"[[:poll {"10" [[3 1]]}]]"#);
        w.observe(0, &caught_up);
        assert_eq!(w.next_final_op(0, Some(&caught_up), &mut rng), None);
    }
}
