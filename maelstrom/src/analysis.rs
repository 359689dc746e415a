//! The analysis of a run: every checker over the history, the journal and what the run
//! recorded, composed into Maelstrom's results map.
//!
//! The generic checkers (`checker/*`) run for every workload; the workload brings its own
//! (`Workload::check`), as each Maelstrom workload returns its `:checker` and `core.clj` composes
//! them. Entries are built in Maelstrom's key order, later ones read earlier ones by key, and the
//! overall `:valid?` is merged as Jepsen does (false beats `:unknown` beats true). Entries this
//! runner adds (`:targets`, `:protocol`, `:crash`, `:crash-errors`, `:budget`) only appear when they have
//! something to say.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crate::checker::{
    availability, crash_errors, exceptions, merge_valid, net, perf, stats, targets, unknown,
    valid_of,
};
use crate::edn::Edn;
use crate::history::{saturate, BudgetPassed, CrashReport, History, RunFacts};
use crate::journal::Event;
use crate::options::TestOptions;
use crate::workload::Workload;

/// The whole results map, keys in Maelstrom's order (`src/maelstrom/core.clj`'s
/// checker composition): `:perf :exceptions :stats
/// :availability :net :workload`, then `:targets` (only if any `--max-*` option was given),
/// `:protocol` (only if there were protocol errors or late replies), `:crash` (only if a node
/// crashed), `:crash-errors` (only if a node answered error 13), `:budget` (only if the nodes'
/// output passed the run folder's budget), `:seed` (when the options
/// carry one), `:analysis` (ours: how long the checkers took, see [`Timings`]), `:valid?`. No
/// `:timeline`: no timeline file is written.
pub fn analyze(
    opts: &TestOptions,
    workload: &dyn Workload,
    history: &History,
    journal: &[Event],
    facts: &RunFacts,
) -> Edn {
    compose(opts, workload, history, Some(journal), facts)
}

/// [`analyze`] for a history whose network journal was not recorded (a `history.edn` from
/// elsewhere, given to `maelstrom analyze`): `:net` says so and counts nothing, rather than
/// counting zero messages, and a `--max-msgs-per-op` target cannot be met.
pub fn analyze_without_journal(
    opts: &TestOptions,
    workload: &dyn Workload,
    history: &History,
    facts: &RunFacts,
) -> Edn {
    compose(opts, workload, history, None, facts)
}

/// `:net` when there is no journal.
fn no_journal() -> Edn {
    Edn::map([
        (
            "journal",
            Edn::str(
                "not recorded: the run's folder has no journal.jsonl, so no message is counted",
            ),
        ),
        ("valid?", Edn::Bool(true)),
    ])
}

fn compose(
    opts: &TestOptions,
    workload: &dyn Workload,
    history: &History,
    journal: Option<&[Event]>,
    facts: &RunFacts,
) -> Edn {
    let mut took = Timings::start();
    let mut entries: Vec<(&str, Edn)> = vec![
        ("perf", took.guarded("perf", || perf::check(history))),
        (
            "exceptions",
            took.guarded("exceptions", || exceptions::check(history)),
        ),
        ("stats", took.guarded("stats", || stats::check(history))),
        (
            "availability",
            took.guarded("availability", || {
                availability::check(opts.availability, history)
            }),
        ),
        (
            "net",
            took.guarded("net", || match journal {
                Some(journal) => net::check(journal, history),
                None => no_journal(),
            }),
        ),
        (
            "workload",
            took.guarded("workload", || workload.check(history, facts, opts)),
        ),
    ];
    if targets::any_set(opts) {
        let net = entry(&entries, "net");
        let workload = entry(&entries, "workload");
        let result = took.guarded("targets", || targets::check(opts, net, workload));
        entries.push(("targets", result));
    }
    if let Some(protocol) = protocol_entry(facts) {
        entries.push(("protocol", protocol));
    }
    if let Some(crash) = &facts.crash {
        entries.push(("crash", crash_entry(crash, facts.crash_time)));
    }
    let crash_errors = took.guarded("crash-errors", || {
        crash_errors::check(history, &opts.nodes, opts.concurrency).unwrap_or(Edn::Nil)
    });
    if crash_errors != Edn::Nil {
        entries.push(("crash-errors", crash_errors));
    }
    if let Some(budget) = &facts.budget {
        entries.push(("budget", budget_entry(budget)));
    }
    let valid = merge_valid(entries.iter().map(|(_, result)| valid_of(result)));
    if let Some(seed) = opts.seed {
        // Seeds are u64; EDN integers are i64. Seeds above i64::MAX keep their bits.
        entries.push(("seed", Edn::Int(seed as i64)));
    }
    entries.push(("analysis", took.entry()));
    entries.push(("valid?", valid));
    Edn::map(entries)
}

/// How long the analysis took, as the results' `:analysis` entry records it, beside `:views`'
/// times: `{:ms <whole analysis>, :ms-each {"perf" <ms>, "workload" <ms>, ...}}`, each checker
/// by the name of its entry, in the order they ran (whole milliseconds).
struct Timings {
    started: Instant,
    each: Vec<(Edn, Edn)>,
}

impl Timings {
    fn start() -> Timings {
        Timings {
            started: Instant::now(),
            each: Vec::new(),
        }
    }

    /// Runs one checker through [`guarded`] and records its time under `name`.
    fn guarded(&mut self, name: &str, check: impl FnOnce() -> Edn) -> Edn {
        let started = Instant::now();
        let result = guarded(check);
        self.each
            .push((Edn::str(name), Edn::Int(millis(started.elapsed()))));
        result
    }

    fn entry(self) -> Edn {
        Edn::map([
            ("ms", Edn::Int(millis(self.started.elapsed()))),
            ("ms-each", Edn::Map(self.each.into())),
        ])
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The entry under `key` (`nil` if there is none yet): later entries read earlier ones by name.
fn entry<'a>(entries: &'a [(&str, Edn)], key: &str) -> &'a Edn {
    const NIL: &Edn = &Edn::Nil;
    entries
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(NIL, |(_, v)| v)
}

/// `:protocol`: stdout lines the runner could not route (invalid) and late replies to clients
/// that had given up (warnings, still valid).
fn protocol_entry(facts: &RunFacts) -> Option<Edn> {
    if facts.protocol_errors.is_empty() && facts.late_replies.is_empty() {
        return None;
    }
    Some(Edn::map([
        ("valid?", Edn::Bool(facts.protocol_errors.is_empty())),
        // Every error, not only the texts kept (`facts.protocol_errors` stops at 100).
        (
            "error-count",
            Edn::Int(facts.protocol_error_count.max(facts.protocol_errors.len()) as i64),
        ),
        ("errors", strings(&facts.protocol_errors)),
        (
            "nodes",
            Edn::Map(
                facts
                    .protocol_by_node
                    .iter()
                    .map(|(node, (count, first))| {
                        (
                            Edn::kw(node),
                            Edn::map([
                                ("count", Edn::Int(*count as i64)),
                                ("first", Edn::str(first)),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "late-reply-count",
            Edn::Int(facts.late_replies.len() as i64),
        ),
        ("late-replies", strings(&facts.late_replies)),
    ]))
}

/// `:budget` (ours, see the README's deliberate differences): the nodes' output passed the run
/// folder's budget, so the test stopped early and judged only part of what was asked; never
/// valid (`:unknown`, unless something else makes the run invalid). `:time` is when, in ns on
/// the history's clock; `:limit` the budget in bytes; `:why` the sentence naming the nodes.
fn budget_entry(budget: &BudgetPassed) -> Edn {
    Edn::map([
        ("valid?", Edn::kw("unknown")),
        ("limit", Edn::Int(saturate(budget.limit))),
        ("time", Edn::Int(saturate(budget.time))),
        ("why", Edn::str(&budget.text)),
    ])
}

/// `:crash`: a node died during the test; always invalid. `:time` is when, in ns on the
/// history's clock (as an op's `:time`), when known.
fn crash_entry(crash: &CrashReport, time: Option<u64>) -> Edn {
    let mut entries = vec![
        ("valid?", Edn::Bool(false)),
        ("node", Edn::str(&crash.node)),
    ];
    if let Some(time) = time {
        entries.push(("time", Edn::Int(time as i64)));
    }
    entries.extend([
        ("status", Edn::str(&crash.status)),
        ("stdout", strings(&crash.stdout)),
        ("stderr", strings(&crash.stderr)),
        ("log", Edn::str(&crash.log_path)),
    ]);
    Edn::map(entries)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `analyze` with the workload `opts.workload` built from the registry, as `main` does.
    fn analyze_named(
        opts: &TestOptions,
        history: &History,
        journal: &[Event],
        facts: &RunFacts,
    ) -> Edn {
        let workload = crate::workload::for_name(opts).expect("a supported workload");
        analyze(opts, workload.as_ref(), history, journal, facts)
    }
    use crate::checker::test_support::{edn, ints, Builder};
    use crate::history::{CrashReport, History};
    use crate::journal::{Event, EventKind};
    use crate::options::Availability;

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
                client: true,
                msg_type: "".into(),
                body: None,
            },
            Event {
                kind: EventKind::Recv,
                id: 0,
                time: 0,
                src: "c2".into(),
                dest: "n0".into(),
                client: true,
                msg_type: "".into(),
                body: None,
            },
        ];
        let results = analyze_named(&options("echo"), &b.build(), &journal, &RunFacts::default());
        assert_eq!(
            keys(&results),
            [
                ":perf",
                ":exceptions",
                ":stats",
                ":availability",
                ":net",
                ":workload",
                ":analysis",
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
            crash_time: Some(1_100_000_000),
            protocol_error_count: 150,
            protocol_by_node: [("n0".to_string(), (150, "first".to_string()))].into(),
            final_phase_start: None,
            budget: None,
        };
        let results = analyze_named(&opts, &vec![], &[], &facts);
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
                ":analysis",
                ":valid?"
            ]
        );
        assert_eq!(results.get("valid?"), Some(&Edn::Bool(false)));
        assert_eq!(results.get("seed"), Some(&Edn::Int(42)));
        let crash = results.get("crash").cloned().unwrap_or(Edn::Nil);
        assert_eq!(crash.get("stderr"), Some(&edn(r#"["boom"]"#)));
        assert_eq!(crash.get("time"), Some(&Edn::Int(1_100_000_000)));
        let protocol = results.get("protocol").cloned().unwrap_or(Edn::Nil);
        assert_eq!(
            protocol.get("error-count"),
            Some(&Edn::Int(150)),
            "every error is counted, not only the texts kept"
        );
        assert_eq!(
            protocol.get("nodes"),
            Some(&edn(r#"{:n0 {:count 150, :first "first"}}"#))
        );
    }

    /// `:analysis` gives the whole time and each checker's, by entry name, in the order they ran.
    #[test]
    fn analysis_records_each_checkers_time() {
        let mut opts = options("echo");
        opts.max_latency_ms = Some(10);
        let results = analyze_named(&opts, &vec![], &[], &RunFacts::default());
        let analysis = results.get("analysis").cloned().unwrap_or(Edn::Nil);
        assert!(
            matches!(analysis.get("ms"), Some(Edn::Int(ms)) if *ms >= 0),
            "{analysis:?}"
        );
        let Some(Edn::Map(each)) = analysis.get("ms-each") else {
            panic!("no :ms-each in {analysis:?}")
        };
        let names: Vec<&Edn> = each.iter().map(|(name, _)| name).collect();
        let expected = [
            "perf",
            "exceptions",
            "stats",
            "availability",
            "net",
            "workload",
            "targets",
            "crash-errors",
        ]
        .map(Edn::str);
        assert_eq!(names, expected.iter().collect::<Vec<_>>());
        assert!(each
            .iter()
            .all(|(_, ms)| matches!(ms, Edn::Int(n) if *n >= 0)));
    }

    /// Without a journal `:net` says it was not recorded, and a messages target is not met
    /// (never judged on a count of zero).
    #[test]
    fn no_journal_counts_nothing() {
        let mut b = Builder::new();
        b.invoke(0, 0, "echo", Edn::str("hi")).ok(
            1,
            0,
            "echo",
            edn(r#"{:type "echo_ok", :echo "hi"}"#),
        );
        let mut opts = options("echo");
        opts.max_msgs_per_op = Some(10.0);
        let workload = crate::workload::for_name(&opts).expect("echo");
        let results =
            analyze_without_journal(&opts, workload.as_ref(), &b.build(), &RunFacts::default());
        let net = results.get("net").cloned().unwrap_or(Edn::Nil);
        assert!(net.get("servers").is_none(), "{net:?}");
        assert!(matches!(net.get("journal"), Some(Edn::Str(s)) if s.contains("no journal.jsonl")));
        let targets = results.get("targets").cloned().unwrap_or(Edn::Nil);
        let msgs = targets.get("max-msgs-per-op").cloned().unwrap_or(Edn::Nil);
        assert_eq!(msgs.get("met?"), Some(&Edn::Bool(false)), "{targets:?}");
        assert_eq!(results.get("valid?"), Some(&Edn::Bool(false)));
    }

    /// Late replies alone are reported but keep the run valid.
    #[test]
    fn late_replies_are_warnings() {
        let facts = RunFacts {
            protocol_errors: vec![],
            late_replies: vec!["n1 replied to c7 after it gave up".into()],
            ..RunFacts::default()
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
        let results = analyze_named(
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

    /// A reference run: 101 broadcasts and 105 reads on one process, one op per millisecond,
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
                    time: id as i64,
                    src: src.into(),
                    dest: dest.into(),
                    client: id < 432,
                    msg_type: "".into(),
                    body: None,
                });
            }
        }
        (b.build(), journal)
    }

    /// The results map of `doc/results.md` built from the same numbers, printed as Jepsen's fipp prints it (width
    /// 70: the :by-f and :net groups that do not fit break, unlike a hand-made
    /// sample), with our :latencies added to :perf and no :timeline.
    #[test]
    fn spec_example_prints_exactly() {
        let (history, journal) = spec_example();
        let results = analyze_named(
            &options("broadcast"),
            &history,
            &journal,
            &RunFacts::default(),
        );
        // `:analysis` holds times, which vary: `analysis_records_each_checkers_time` checks it.
        let Edn::Map(entries) = results else {
            panic!("results are a map")
        };
        let results = Edn::Map(
            entries
                .iter()
                .filter(|(k, _)| *k != Edn::kw("analysis"))
                .cloned()
                .collect(),
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
                    time: id as i64,
                    src: "c30".into(),
                    dest: "n0".into(),
                    client: true,
                    msg_type: "".into(),
                    body: None,
                })
            })
            .collect();
        let time = |name: &str, workload: &str, history: &History| {
            let start = std::time::Instant::now();
            let results =
                analyze_named(&options(workload), history, &journal, &RunFacts::default());
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
            let text = Edn::Str(format!("Please echo {}", k % 128).into());
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
}
