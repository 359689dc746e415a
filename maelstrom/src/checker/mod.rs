//! Checkers: pure functions from a history (and options) to a results entry (spec 9).
//!
//! One file per checker, each with a `check` function returning its EDN entry, so each can be
//! unit-tested on a hand-made history. `analyze` runs them all and builds the results map in
//! Maelstrom's key order, with the overall `:valid?` merged as Jepsen does (false beats
//! `:unknown` beats true). Entries this runner adds (`:targets`, `:protocol`, `:crash`) only
//! appear when they have something to say.

pub mod availability;
pub mod cycle_exists;
pub mod cycles;
pub mod echo;
pub mod exceptions;
pub mod explain;
pub mod graph;
pub mod kafka;
pub mod net;
pub mod perf;
pub mod set_full;
pub mod stats;
pub mod targets;
pub mod txn;
pub mod unique_ids;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::cli::TestOptions;
use crate::edn::Edn;
use crate::history::{History, OpType, Process};
use crate::journal::Event;

/// A node that died during the test (spec 0: noticed when it happens, reported in `:crash`).
#[derive(Debug, Clone, PartialEq)]
pub struct CrashReport {
    pub node: String,
    /// e.g. "exit status 1", "signal 9".
    pub status: String,
    /// The last lines the node wrote to stdout.
    pub stdout: Vec<String>,
    /// The last lines the node wrote to stderr.
    pub stderr: Vec<String>,
    /// Where the node's full stderr log is.
    pub log_path: String,
}

/// What the runtime observed besides the history and the journal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    /// Full human texts, each naming the node and quoting the line (spec 0 / 2.6).
    pub protocol_errors: Vec<String>,
    /// Warnings only (a late reply to a client that gave up).
    pub late_replies: Vec<String>,
    pub crash: Option<CrashReport>,
}

/// The whole results map, keys in Maelstrom's order (spec 9.5): `:perf :exceptions :stats
/// :availability :net :workload`, then `:targets` (only if any `--max-*` option was given),
/// `:protocol` (only if there were protocol errors or late replies), `:crash` (only if a node
/// crashed), `:seed` (when the options carry one), `:valid?`. No `:timeline`: no timeline file
/// is written.
pub fn analyze(opts: &TestOptions, history: &History, journal: &[Event], facts: &RunFacts) -> Edn {
    let mut entries: Vec<(&str, Edn)> = vec![
        ("perf", guarded(|| perf::check(history))),
        ("exceptions", guarded(|| exceptions::check(history))),
        ("stats", guarded(|| stats::check(history))),
        (
            "availability",
            guarded(|| availability::check(opts.availability, history)),
        ),
        ("net", guarded(|| net::check(journal, history))),
        ("workload", guarded(|| workload(&opts.workload, history))),
    ];
    if targets::any_set(opts) {
        let net = &entries[4].1;
        let workload = &entries[5].1;
        let result = guarded(|| targets::check(opts, net, workload));
        entries.push(("targets", result));
    }
    if let Some(protocol) = protocol_entry(facts) {
        entries.push(("protocol", protocol));
    }
    if let Some(crash) = &facts.crash {
        entries.push(("crash", crash_entry(crash)));
    }
    let valid = merge_valid(entries.iter().map(|(_, result)| valid_of(result)));
    if let Some(seed) = opts.seed {
        // Seeds are u64; EDN integers are i64. Seeds above i64::MAX keep their bits.
        entries.push(("seed", Edn::Int(seed as i64)));
    }
    entries.push(("valid?", valid));
    Edn::map(entries)
}

/// The workload's own checker (spec 7), chosen by workload name.
fn workload(name: &str, history: &History) -> Edn {
    match name {
        "echo" => echo::check(history),
        "unique-ids" => unique_ids::check(history),
        // Maelstrom renames :broadcast to :add and runs set-full.
        "broadcast" => set_full::check(history, "broadcast"),
        "g-set" => set_full::check(history, "add"),
        other => unknown(format!("no checker for workload {other:?} yet")),
    }
}

/// `:protocol`: stdout lines the runner could not route (invalid) and late replies to clients
/// that had given up (warnings, still valid).
fn protocol_entry(facts: &RunFacts) -> Option<Edn> {
    if facts.protocol_errors.is_empty() && facts.late_replies.is_empty() {
        return None;
    }
    Some(Edn::map([
        ("valid?", Edn::Bool(facts.protocol_errors.is_empty())),
        ("error-count", Edn::Int(facts.protocol_errors.len() as i64)),
        ("errors", strings(&facts.protocol_errors)),
        (
            "late-reply-count",
            Edn::Int(facts.late_replies.len() as i64),
        ),
        ("late-replies", strings(&facts.late_replies)),
    ]))
}

/// `:crash`: a node died during the test; always invalid.
fn crash_entry(crash: &CrashReport) -> Edn {
    Edn::map([
        ("valid?", Edn::Bool(false)),
        ("node", Edn::str(&crash.node)),
        ("status", Edn::str(&crash.status)),
        ("stdout", strings(&crash.stdout)),
        ("stderr", strings(&crash.stderr)),
        ("log", Edn::str(&crash.log_path)),
    ])
}

/// Texts as an EDN vector of strings.
fn strings(lines: &[String]) -> Edn {
    Edn::Vector(lines.iter().map(|l| Edn::str(l)).collect())
}

/// Runs one checker; a panic becomes `{:valid? :unknown, :error "..."}`, as Jepsen's
/// `check-safe` turns an exception into an unknown result instead of losing the whole analysis.
fn guarded(check: impl FnOnce() -> Edn) -> Edn {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(result) => result,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            unknown(format!("checker failed: {text}"))
        }
    }
}

/// `{:valid? :unknown, :error text}`: what a checker that could not decide returns.
pub fn unknown(error: String) -> Edn {
    Edn::map([("valid?", Edn::kw("unknown")), ("error", Edn::Str(error))])
}

/// The `:valid?` of a result entry (`:unknown` when missing).
pub fn valid_of(result: &Edn) -> Edn {
    result
        .get("valid?")
        .cloned()
        .unwrap_or_else(|| Edn::kw("unknown"))
}

/// Jepsen's `merge-valid`: `false` if any is false, else `:unknown` if any is unknown (or not a
/// validity at all), else `true`. An empty input is `true`.
pub fn merge_valid(values: impl IntoIterator<Item = Edn>) -> Edn {
    let mut merged = Edn::Bool(true);
    for value in values {
        match value {
            Edn::Bool(false) => return Edn::Bool(false),
            Edn::Bool(true) => {}
            _ => merged = Edn::kw("unknown"),
        }
    }
    merged
}

/// For every history index, the index of its partner: an invocation's completion (the next
/// non-invoke op of the same client process) and a completion's invocation. Nemesis ops and
/// invocations still pending at the end have none. Like Jepsen's `pair-index`.
pub fn pair_index(history: &History) -> Vec<Option<usize>> {
    let mut partner = vec![None; history.len()];
    let mut open: HashMap<u64, usize> = HashMap::new();
    for (i, op) in history.iter().enumerate() {
        let Process::Client(process) = op.process else {
            continue;
        };
        if op.op_type == OpType::Invoke {
            open.insert(process, i);
        } else if let Some(invoke) = open.remove(&process) {
            partner[invoke] = Some(i);
            partner[i] = Some(invoke);
        }
    }
    partner
}

/// Helpers shared by the checkers' unit tests: readable hand-made histories.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::edn::Edn;
    use crate::history::{Exception, History, Op, OpType, Process};

    /// Builds a history op by op; times are in milliseconds for readability.
    #[derive(Default)]
    pub struct Builder {
        pub ops: History,
    }

    impl Builder {
        pub fn new() -> Builder {
            Builder::default()
        }

        /// Appends an op of client `process` at `ms` milliseconds.
        pub fn op(
            &mut self,
            ms: u64,
            process: u64,
            op_type: OpType,
            f: &str,
            value: Edn,
        ) -> &mut Op {
            let mut op = Op::new(op_type, Process::Client(process), f, value);
            op.index = self.ops.len();
            op.time = ms * 1_000_000;
            self.ops.push(op);
            self.ops.last_mut().expect("just pushed")
        }

        pub fn invoke(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Invoke, f, value);
            self
        }

        pub fn ok(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Ok, f, value);
            self
        }

        pub fn fail(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Fail, f, value);
            self
        }

        pub fn info(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Info, f, value);
            self
        }

        /// An `:info` completion carrying an exception of `class`.
        pub fn exception(&mut self, ms: u64, process: u64, f: &str, class: &str) -> &mut Self {
            let op = self.op(ms, process, OpType::Info, f, Edn::Nil);
            op.exception = Some(Exception {
                class: class.to_string(),
                message: format!("{class} happened"),
            });
            self
        }

        /// A nemesis op (always `:info`).
        pub fn nemesis(&mut self, ms: u64, f: &str) -> &mut Self {
            let mut op = Op::new(OpType::Info, Process::Nemesis, f, Edn::Nil);
            op.index = self.ops.len();
            op.time = ms * 1_000_000;
            self.ops.push(op);
            self
        }

        pub fn build(&self) -> History {
            self.ops.clone()
        }
    }

    /// `[1 2 3]` as an EDN vector of integers.
    pub fn ints(values: &[i64]) -> Edn {
        Edn::Vector(values.iter().map(|v| Edn::Int(*v)).collect())
    }

    /// Reads a value written in EDN, for expected results.
    pub fn edn(text: &str) -> Edn {
        crate::edn::parse(text).unwrap_or_else(|e| panic!("bad EDN in a test: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{edn, ints, Builder};
    use super::*;
    use crate::cli::Availability;
    use crate::journal::EventKind;

    fn options(workload: &str) -> TestOptions {
        TestOptions {
            workload: workload.to_string(),
            nodes: vec!["n0".into()],
            concurrency: 1,
            ..TestOptions::default()
        }
    }

    fn keys(results: &Edn) -> Vec<String> {
        match results {
            Edn::Map(entries) => entries
                .iter()
                .map(|(k, _)| crate::edn::compact(k))
                .collect(),
            _ => vec![],
        }
    }

    /// merge-valid: false beats :unknown beats true, and nothing at all is true.
    #[test]
    fn merge_valid_priorities() {
        let t = Edn::Bool(true);
        let f = Edn::Bool(false);
        let u = Edn::kw("unknown");
        assert_eq!(merge_valid([t.clone(), u.clone(), t.clone()]), u);
        assert_eq!(merge_valid([u.clone(), f.clone(), t.clone()]), f);
        assert_eq!(merge_valid([t.clone(), t.clone()]), t);
        assert_eq!(merge_valid([]), t);
    }

    /// A clean echo run: Maelstrom's key order and an overall true.
    #[test]
    fn analyze_clean_echo_run_in_key_order() {
        let mut b = Builder::new();
        b.invoke(0, 0, "echo", Edn::str("hi")).ok(
            1,
            0,
            "echo",
            edn(r#"{:type "echo_ok", :echo "hi"}"#),
        );
        let journal = vec![
            Event {
                kind: EventKind::Send,
                id: 0,
                time: 0,
                src: "c2".into(),
                dest: "n0".into(),
            },
            Event {
                kind: EventKind::Recv,
                id: 0,
                time: 0,
                src: "c2".into(),
                dest: "n0".into(),
            },
        ];
        let results = analyze(&options("echo"), &b.build(), &journal, &RunFacts::default());
        assert_eq!(
            keys(&results),
            [
                ":perf",
                ":exceptions",
                ":stats",
                ":availability",
                ":net",
                ":workload",
                ":valid?"
            ]
        );
        assert_eq!(results.get("valid?"), Some(&Edn::Bool(true)));
    }

    /// Protocol errors, a crash, targets and a seed add their entries and make the run invalid.
    #[test]
    fn analyze_adds_targets_protocol_crash_and_seed() {
        let mut opts = options("echo");
        opts.max_msgs_per_op = Some(10.0);
        opts.seed = Some(42);
        opts.availability = Some(Availability::Total);
        let facts = RunFacts {
            protocol_errors: vec![
                "Node n0 printed a line to STDOUT which was not well-formed JSON: x".into(),
            ],
            late_replies: vec![],
            crash: Some(CrashReport {
                node: "n0".into(),
                status: "exit status 1".into(),
                stdout: vec![],
                stderr: vec!["boom".into()],
                log_path: "/tmp/n0.log".into(),
            }),
        };
        let results = analyze(&opts, &vec![], &[], &facts);
        assert_eq!(
            keys(&results),
            [
                ":perf",
                ":exceptions",
                ":stats",
                ":availability",
                ":net",
                ":workload",
                ":targets",
                ":protocol",
                ":crash",
                ":seed",
                ":valid?"
            ]
        );
        assert_eq!(results.get("valid?"), Some(&Edn::Bool(false)));
        assert_eq!(results.get("seed"), Some(&Edn::Int(42)));
        let crash = results.get("crash").cloned().unwrap_or(Edn::Nil);
        assert_eq!(crash.get("stderr"), Some(&edn(r#"["boom"]"#)));
    }

    /// Late replies alone are reported but keep the run valid.
    #[test]
    fn late_replies_are_warnings() {
        let facts = RunFacts {
            protocol_errors: vec![],
            late_replies: vec!["n1 replied to c7 after it gave up".into()],
            crash: None,
        };
        let entry = protocol_entry(&facts).unwrap_or(Edn::Nil);
        assert_eq!(entry.get("valid?"), Some(&Edn::Bool(true)));
        assert_eq!(entry.get("late-reply-count"), Some(&Edn::Int(1)));
        assert_eq!(protocol_entry(&RunFacts::default()), None);
    }

    /// A checker that errors (incomparable unique ids) gives :unknown overall, not a panic.
    #[test]
    fn erroring_checker_makes_results_unknown() {
        let mut b = Builder::new();
        b.invoke(0, 0, "generate", Edn::Nil)
            .ok(1, 0, "generate", Edn::Int(1))
            .invoke(2, 0, "generate", Edn::Nil)
            .ok(3, 0, "generate", Edn::str("a"));
        let results = analyze(
            &options("unique-ids"),
            &b.build(),
            &[],
            &RunFacts::default(),
        );
        let workload = results.get("workload").cloned().unwrap_or(Edn::Nil);
        assert_eq!(workload.get("valid?"), Some(&Edn::kw("unknown")));
        assert!(matches!(workload.get("error"), Some(Edn::Str(_))));
        assert_eq!(results.get("valid?"), Some(&Edn::kw("unknown")));
    }

    /// A panicking checker is caught and reported as :unknown with its message.
    #[test]
    fn guarded_turns_panics_into_unknown() {
        let result = guarded(|| panic!("index out of range"));
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            result.get("error"),
            Some(&Edn::str("checker failed: index out of range"))
        );
    }

    /// Invocations pair with the next completion of the same process; nemesis ops stay unpaired.
    #[test]
    fn pair_index_pairs_per_process() {
        let mut b = Builder::new();
        b.invoke(0, 0, "read", Edn::Nil)
            .invoke(0, 1, "read", Edn::Nil)
            .nemesis(1, "start-partition")
            .ok(2, 1, "read", ints(&[]))
            .ok(3, 0, "read", ints(&[]))
            .invoke(4, 0, "read", Edn::Nil);
        let pairs = pair_index(&b.build());
        assert_eq!(pairs, vec![Some(4), Some(3), None, Some(1), Some(0), None]);
    }

    /// Spec 12.3's run: 101 broadcasts and 105 reads on one process, one op per millisecond,
    /// every read seeing every element so far; 4040 server and 432 client messages.
    fn spec_example() -> (History, Vec<Event>) {
        let mut b = Builder::new();
        let mut t = 0;
        let mut added = Vec::new();
        for k in 0..206 {
            if k % 2 == 0 && added.len() < 101 {
                b.invoke(t, 0, "broadcast", Edn::Int(added.len() as i64));
                b.ok(t + 1, 0, "broadcast", Edn::Int(added.len() as i64));
                added.push(added.len() as i64);
            } else {
                b.invoke(t, 0, "read", Edn::Nil)
                    .ok(t + 1, 0, "read", ints(&added));
            }
            t += 2;
        }
        let mut journal = Vec::new();
        for id in 0..4472u64 {
            let (src, dest) = if id < 432 { ("c9", "n0") } else { ("n0", "n1") };
            for kind in [EventKind::Send, EventKind::Recv] {
                journal.push(Event {
                    kind,
                    id,
                    time: id,
                    src: src.into(),
                    dest: dest.into(),
                });
            }
        }
        (b.build(), journal)
    }

    /// Spec 9.5's map built from the same numbers, printed as Jepsen's fipp prints it (width
    /// 70: the :by-f and :net groups that do not fit break, unlike the spec's hand-made
    /// sample), with our :latencies added to :perf and no :timeline.
    #[test]
    fn spec_example_prints_exactly() {
        let (history, journal) = spec_example();
        let results = analyze(
            &options("broadcast"),
            &history,
            &journal,
            &RunFacts::default(),
        );
        assert_eq!(
            crate::edn::pretty(&results),
            "{:perf {:latency-graph {:valid? true},
        :rate-graph {:valid? true},
        :latencies {:broadcast {0.5 1.0, 0.95 1.0, 0.99 1.0, 1 1.0},
                    :read {0.5 1.0, 0.95 1.0, 0.99 1.0, 1 1.0}},
        :valid? true},
 :exceptions {:valid? true},
 :stats {:valid? true,
         :count 206,
         :ok-count 206,
         :fail-count 0,
         :info-count 0,
         :by-f {:broadcast {:valid? true,
                            :count 101,
                            :ok-count 101,
                            :fail-count 0,
                            :info-count 0},
                :read {:valid? true,
                       :count 105,
                       :ok-count 105,
                       :fail-count 0,
                       :info-count 0}}},
 :availability {:valid? true, :ok-fraction 1.0},
 :net {:all {:send-count 4472,
             :recv-count 4472,
             :msg-count 4472,
             :msgs-per-op 21.708738},
       :clients {:send-count 432, :recv-count 432, :msg-count 432},
       :servers {:send-count 4040,
                 :recv-count 4040,
                 :msg-count 4040,
                 :msgs-per-op 19.61165},
       :valid? true},
 :workload {:worst-stale (),
            :duplicated-count 0,
            :valid? true,
            :lost-count 0,
            :lost (),
            :stable-count 101,
            :stale-count 0,
            :stale (),
            :never-read-count 0,
            :stable-latencies {0 0, 0.5 0, 0.95 0, 0.99 0, 1 0},
            :attempt-count 101,
            :never-read (),
            :duplicated {}},
 :valid? true}
"
        );
    }

    /// A client history of `ops` completed ops over 25 processes: op k is `make(k)` = (f,
    /// invocation value, completion value).
    fn big_history(ops: usize, make: impl Fn(usize) -> (&'static str, Edn, Edn)) -> History {
        let mut b = Builder::new();
        for k in 0..ops {
            let (f, invoked, completed) = make(k);
            let p = (k % 25) as u64;
            b.invoke(k as u64, p, f, invoked)
                .ok(k as u64 + 3, p, f, completed);
        }
        // Interleave: completions of 25 concurrent processes arrive after other invocations.
        b.build()
    }

    /// Prints how long `analyze` takes on large histories (a benchmark, not a pass/fail test):
    /// `cargo test -p maelstrom --release --lib analysis_speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn analysis_speed() {
        let journal: Vec<Event> = (0..200_000u64)
            .flat_map(|id| {
                [EventKind::Send, EventKind::Recv].map(|kind| Event {
                    kind,
                    id,
                    time: id,
                    src: "c30".into(),
                    dest: "n0".into(),
                })
            })
            .collect();
        let time = |name: &str, workload: &str, history: &History| {
            let start = std::time::Instant::now();
            let results = analyze(&options(workload), history, &journal, &RunFacts::default());
            let elapsed = start.elapsed();
            let text = crate::edn::pretty(&results);
            eprintln!(
                "{name}: {} ops, analyze {:.1} ms, pretty {:.1} ms, valid? {}",
                history.len() / 2,
                elapsed.as_secs_f64() * 1e3,
                start.elapsed().saturating_sub(elapsed).as_secs_f64() * 1e3,
                crate::edn::compact(results.get("valid?").unwrap_or(&Edn::Nil)),
            );
            assert!(text.ends_with("}\n"));
        };
        let echo = big_history(100_000, |k| {
            let text = Edn::Str(format!("Please echo {}", k % 128));
            let reply = Edn::map([("type", Edn::str("echo_ok")), ("echo", text.clone())]);
            ("echo", text, reply)
        });
        time("echo", "echo", &echo);
        let ids = big_history(100_000, |k| ("generate", Edn::Nil, Edn::Int(k as i64 * 7)));
        time("unique-ids", "unique-ids", &ids);
        // Broadcast, reads returning the 100 newest elements: linear here, reads x elements
        // (2.5e9 steps) in Jepsen's formulation.
        let windowed = big_history(100_000, |k| {
            if k % 2 == 0 {
                ("broadcast", Edn::Int(k as i64 / 2), Edn::Int(k as i64 / 2))
            } else {
                let newest = k as i64 / 2;
                (
                    "read",
                    Edn::Nil,
                    ints(&((newest - 99).max(0)..=newest).collect::<Vec<_>>()),
                )
            }
        });
        time("broadcast, 100-element reads", "broadcast", &windowed);
        // A healthy broadcast run: every read holds every element so far, so the history itself
        // grows quadratically (6,000 ops: 4.5 million read elements).
        let full = big_history(6_000, |k| {
            if k % 2 == 0 {
                ("broadcast", Edn::Int(k as i64 / 2), Edn::Int(k as i64 / 2))
            } else {
                (
                    "read",
                    Edn::Nil,
                    ints(&(0..=k as i64 / 2).collect::<Vec<_>>()),
                )
            }
        });
        time("broadcast, full reads", "broadcast", &full);
    }

    /// Ops print as Jepsen op maps with their optional keys.
    #[test]
    fn op_edn_has_jepsen_keys() {
        let mut b = Builder::new();
        b.info(5, 3, "broadcast", Edn::Int(7));
        let mut op = b.build().remove(0);
        op.error = Some(Edn::kw("net-timeout"));
        assert_eq!(
            crate::edn::compact(&crate::store::op_edn(&op)),
            "{:index 0, :time 5000000, :type :info, :process 3, :f :broadcast, :value 7, :error :net-timeout}"
        );
    }
}
