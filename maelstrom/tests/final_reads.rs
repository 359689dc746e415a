//! Nodes whose final reads fail: no verdict may pass them. Each test drives the real runner
//! against a node of `examples/misbehave.rs` that answers every read until the final phase's
//! recovery sleep, then refuses its final read.

mod support;

use maelstrom::edn::{self, Edn};
use support::{at, Bin, Scenario, Scenarios};

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "counter-mute-final",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "g-counter",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "counter-mute-final",
        ],
    },
    Scenario {
        name: "skip-n4-mute-final",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "5",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "skip-n4-mute-final",
        ],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// A g-counter node that answers every read but its final one is not "Everything looks good!":
/// the workload is :unknown (exit 2), saying no final read of n0 succeeded, and names n0.
#[test]
fn counter_whose_final_reads_fail_is_unknown() {
    let run = RUNS.wait("counter-mute-final");
    run.assert_exit(2);
    assert!(!run.stdout.contains(support::VALID), "{}", run.output());
    let results = run.results();
    assert_eq!(at(&results, &["workload", "valid?"]), &Edn::kw("unknown"));
    let error = edn::compact(at(&results, &["workload", "error"]));
    assert!(error.contains("no final read of n0 succeeded"), "{error}");
    let failures = edn::compact(at(&results, &["workload", "final-read-failures"]));
    assert!(failures.contains(":n0"), "{failures}");
    run.clean();
}

/// A broadcast node (n4) that never learned the other nodes' values and then refuses its final
/// read is named, and the workload is not valid.
#[test]
fn broadcast_node_whose_final_read_fails_is_named() {
    let run = RUNS.wait("skip-n4-mute-final");
    assert!(!run.stdout.contains(support::VALID), "{}", run.output());
    let results = run.results();
    assert_ne!(at(&results, &["workload", "valid?"]), &Edn::Bool(true));
    let failures = edn::compact(at(&results, &["workload", "final-read-failures"]));
    assert!(failures.contains(":n4"), "{failures}");
    run.clean();
}
