//! End-to-end tests of the in-runner services and the workloads built on them: nodes that write
//! raw JSON (`examples/kv_nodes.rs`) talk to `lin-kv`, `seq-kv`, `lww-kv` and `lin-tso` through
//! the runner's network, and counter and set nodes, correct and broken, are judged by `-w
//! g-counter`, `-w pn-counter` and `-w g-set`.
//!
//! As in `e2e.rs`, every run starts at once in its own background thread and working directory
//! the first time a test asks for one.

mod support;

use std::fs;

use maelstrom::edn::{self, Edn};
use support::{at, int, items, Bin, Run, Scenario, Scenarios};

const SCENARIOS: &[Scenario] = &[
    // 10 ms each way: every service round trip must take at least 20 ms.
    Scenario {
        name: "probe",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "2",
            "--time-limit",
            "8",
            "--latency",
            "10",
            "--seed",
            "7",
            "--",
            "probe",
            "20",
        ],
    },
    Scenario {
        name: "g-counter-lin-kv",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-counter",
            "--node-count",
            "3",
            "--time-limit",
            "4",
            "--rate",
            "20",
            "--latency",
            "5",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "1",
            "--",
            "lin-kv-counter",
        ],
    },
    Scenario {
        name: "g-counter-local",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-counter",
            "--node-count",
            "2",
            "--time-limit",
            "3",
            "--rate",
            "20",
            "--seed",
            "3",
            "--",
            "local-counter",
        ],
    },
    Scenario {
        name: "pn-counter-lin-kv",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "pn-counter",
            "--node-count",
            "2",
            "--time-limit",
            "3",
            "--rate",
            "20",
            "--",
            "lin-kv-counter",
        ],
    },
    Scenario {
        name: "pn-counter-local",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "pn-counter",
            "--node-count",
            "2",
            "--time-limit",
            "3",
            "--rate",
            "20",
            "--seed",
            "3",
            "--",
            "local-counter",
        ],
    },
    Scenario {
        name: "g-set",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-set",
            "--node-count",
            "1",
            "--time-limit",
            "3",
            "--rate",
            "20",
            "--",
            "local-set",
        ],
    },
    Scenario {
        name: "g-set-local-on-two-nodes",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-set",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--seed",
            "5",
            "--",
            "local-set",
        ],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// A node's stderr, as the run stored it.
#[track_caller]
fn node_log(run: &Run, node: &str) -> String {
    run.stored(&format!("node-logs/{node}.log"))
}

/// The `sent S, received R` a probe printed when all its checks passed, as (S, R).
#[track_caller]
fn probe_counts(run: &Run, node: &str) -> (i64, i64) {
    let log = node_log(run, node);
    let Some(line) = log.lines().find(|l| l.starts_with("probe passed: ")) else {
        panic!(
            "{node}'s probe did not pass; its log:\n{log}\nrunner output:\n{}",
            run.output()
        );
    };
    let numbers: Vec<i64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [sent, received] => (sent, received),
        _ => panic!("unexpected line {line:?}"),
    }
}

/// Every service answers raw JSON requests as Maelstrom's does (lin-kv's reads, writes and cas
/// with and without create_if_not_exists and their error texts, lin-tso's timestamps, lww-kv's
/// two unconverging replicas, seq-kv's stale reads for a newcomer and its cas texts, no reply to
/// unknown types), with the latency on both ways; and all that traffic counts under :servers.
#[test]
fn services_answer_raw_json_through_the_runner() {
    let run = RUNS.wait("probe");
    run.assert_valid();
    let (sent0, received0) = probe_counts(&run, "n0");
    let (sent1, received1) = probe_counts(&run, "n1");
    let results = run.results();
    let servers = at(&results, &["net", "servers"]);
    let expected = sent0 + received0 + sent1 + received1;
    assert_eq!(
        int(at(servers, &["msg-count"])),
        expected,
        "{}",
        edn::pretty(servers)
    );
    assert_eq!(int(at(servers, &["send-count"])), expected);
    assert_eq!(int(at(servers, &["recv-count"])), expected);
    // n0 sent four requests that got no reply; n1 sent n0 one `go`.
    assert_eq!(sent0 - received0, 4);
    assert_eq!(sent1 - received1, 1);
    let log = fs::read_to_string(run.cwd.join("store/latest/jepsen.log")).unwrap_or_default();
    assert!(
        log.contains("Starting services: (lin-kv lin-tso lww-kv seq-kv)"),
        "jepsen.log should announce the services:\n{log}"
    );
    // Each unanswered request is logged with the service, the node and the type.
    for (service, kind) in [
        ("lin-kv", "\"ts\""),
        ("lin-tso", "\"read\""),
        ("seq-kv", "\"delete\""),
        ("lww-kv", "none"),
    ] {
        let warning = format!("WARN Service {service} does not answer n0's request of type {kind}");
        assert!(
            log.contains(&warning),
            "no {warning:?} in jepsen.log:\n{log}"
        );
    }
    run.clean();
}

/// Counter nodes keeping the count in lin-kv pass g-counter, partitions notwithstanding (services
/// are never partitioned): every final read is the one acceptable value.
#[test]
fn lin_kv_counter_passes_g_counter() {
    let run = RUNS.wait("g-counter-lin-kv");
    run.assert_valid();
    let results = run.results();
    let workload = at(&results, &["workload"]);
    let finals = items(at(workload, &["final-reads"]));
    assert_eq!(finals.len(), 3, "{}", edn::pretty(workload));
    let acceptable = items(at(workload, &["acceptable"]));
    assert_eq!(acceptable.len(), 1, "{}", edn::pretty(workload));
    let range = items(&acceptable[0]);
    assert!(finals
        .iter()
        .all(|v| int(v) >= int(&range[0]) && int(v) <= int(&range[1])));
    assert!(int(at(&results, &["net", "servers", "msg-count"])) > 0);
    let history = run.history();
    let partitions = history
        .iter()
        .filter(|op| op.get("f") == Some(&Edn::kw("start-partition")))
        .count();
    assert!(
        partitions > 0,
        "the nemesis should have partitioned the nodes"
    );
    // Had a partition cut a node off lin-kv, its add would have timed out: an :info op.
    let indeterminate = history.iter().filter(|op| {
        op.get("type") == Some(&Edn::kw("info")) && op.get("process") != Some(&Edn::kw("nemesis"))
    });
    assert_eq!(indeterminate.count(), 0, "every client op should complete");
    run.clean();
}

/// Nodes that count only their own adds fail g-counter: their final reads differ from the total,
/// and each offending read is listed with its op.
#[test]
fn local_counter_fails_g_counter() {
    let run = RUNS.wait("g-counter-local");
    run.assert_invalid();
    let results = run.results();
    let workload = at(&results, &["workload"]);
    assert_eq!(at(workload, &["valid?"]), &Edn::Bool(false));
    let errors = items(at(workload, &["errors"]));
    assert!(!errors.is_empty(), "{}", edn::pretty(workload));
    assert!(errors
        .iter()
        .all(|op| at(op, &["final?"]) == &Edn::Bool(true)));
    assert_eq!(int(at(&results, &["net", "servers", "msg-count"])), 0);
    run.clean();
}

/// The lin-kv counter handles negative deltas: pn-counter passes, with deltas below zero seen.
#[test]
fn lin_kv_counter_passes_pn_counter() {
    let run = RUNS.wait("pn-counter-lin-kv");
    run.assert_valid();
    let history = run.history();
    let negative = history.iter().any(|op| {
        op.get("f") == Some(&Edn::kw("add"))
            && matches!(op.get("value"), Some(Edn::Int(d)) if *d < 0)
    });
    assert!(negative, "pn-counter should add negative deltas");
    run.clean();
}

/// Local counters fail pn-counter too.
#[test]
fn local_counter_fails_pn_counter() {
    let run = RUNS.wait("pn-counter-local");
    run.assert_invalid();
    let results = run.results();
    assert!(!items(at(&results, &["workload", "errors"])).is_empty());
    run.clean();
}

/// A one-node set passes g-set under set-full; its final reads carry no :final? flag.
#[test]
fn local_set_passes_g_set() {
    let run = RUNS.wait("g-set");
    run.assert_valid();
    let results = run.results();
    assert!(int(at(&results, &["workload", "stable-count"])) > 0);
    let history = run.history();
    assert!(history.iter().all(|op| op.get("final?").is_none()));
    let reads = history
        .iter()
        .filter(|op| {
            op.get("f") == Some(&Edn::kw("read")) && op.get("type") == Some(&Edn::kw("ok"))
        })
        .count();
    assert!(reads > 0);
    run.clean();
}

/// A set kept by each node alone fails g-set on two nodes: each node's final read (unflagged,
/// found by the final phase's start) is named with the other node's elements it missed.
#[test]
fn unshared_set_fails_each_nodes_final_read() {
    let run = RUNS.wait("g-set-local-on-two-nodes");
    run.assert_invalid();
    let results = run.results();
    assert_eq!(at(&results, &["workload", "valid?"]), &Edn::Bool(false));
    for node in ["n0", "n1"] {
        let missed = at(
            &results,
            &["workload", "final-reads", node, "missing-count"],
        );
        assert!(int(missed) > 0, "{}", edn::pretty(&results));
    }
    run.clean();
}
