//! End-to-end tests of the kafka workload: the runner drives a small kafka node
//! (`examples/kafka_node.rs`), right or wrong on purpose, and the kafka checker judges it.
//!
//! The runs start together in background threads the first time a test asks for one (the final
//! phase always waits 10 s for recovery first), as in `e2e.rs`.

mod support;

use maelstrom::edn::{self, Edn};
use support::{at, int, items, Bin, Run, Scenario, Scenarios};

/// `-w kafka` on one node with two workers, `--rate 100` for 3 s, then the node's mode.
macro_rules! kafka_scenario {
    ($name:literal, $mode:literal) => {
        Scenario {
            name: $name,
            bin: Bin::Example("kafka_node"),
            args: &[
                "-w",
                "kafka",
                "--node-count",
                "1",
                "--concurrency",
                "2",
                "--time-limit",
                "3",
                "--rate",
                "100",
                "--",
                $mode,
            ],
        }
    };
}

const SCENARIOS: &[Scenario] = &[
    kafka_scenario!("correct", "correct"),
    kafka_scenario!("lose-writes", "lose-writes"),
    kafka_scenario!("duplicate-offsets", "duplicate-offsets"),
    kafka_scenario!("poll-backwards", "poll-backwards"),
    kafka_scenario!("skip-offsets", "skip-offsets"),
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// The run's `:workload` results.
fn workload(run: &Run) -> Edn {
    at(&run.results(), &["workload"]).clone()
}

/// The error types the kafka checker found, as printed (`(:lost-write :unseen)`).
fn error_types(run: &Run) -> String {
    edn::compact(at(&workload(run), &["error-types"]))
}

/// A correct single-node log passes, with sends, polls, assigns and the final phase's crash,
/// assign and polls all in the history, and every op's value in Maelstrom's shapes.
#[test]
fn correct_node_is_valid() {
    let run = RUNS.wait("correct");
    run.assert_valid();
    assert_eq!(error_types(&run), "()", "{}", run.output());
    let history = run.history();
    let count = |f: &str, t: &str| {
        history
            .iter()
            .filter(|op| {
                edn::compact(at(op, &["f"])) == format!(":{f}")
                    && edn::compact(at(op, &["type"])) == format!(":{t}")
            })
            .count()
    };
    assert!(count("send", "ok") > 10, "{}", run.output());
    assert!(count("poll", "ok") > 10, "{}", run.output());
    assert!(
        count("assign", "ok") >= 2,
        "the final phase assigns on every worker"
    );
    assert!(
        count("crash", "info") >= 2,
        "the final phase crashes every worker's client"
    );
    let send = history
        .iter()
        .find(|op| {
            edn::compact(at(op, &["f"])) == ":send" && edn::compact(at(op, &["type"])) == ":ok"
        })
        .cloned()
        .unwrap_or(Edn::Nil);
    let mop = &items(at(&send, &["value"]))[0];
    assert_eq!(edn::compact(&items(mop)[0]), ":send");
    assert_eq!(
        items(&items(mop)[2]).len(),
        2,
        "[offset msg]: {}",
        edn::compact(mop)
    );
    assert!(int(&items(&items(mop)[2])[0]) >= 0);
    run.clean();
}

/// A node that acknowledges writes it does not keep: lost writes.
#[test]
fn lost_writes_are_caught() {
    let run = RUNS.wait("lose-writes");
    run.assert_invalid();
    assert!(
        error_types(&run).contains(":lost-write"),
        "{}",
        error_types(&run)
    );
    run.clean();
}

/// A node that hands out one offset twice: inconsistent offsets.
#[test]
fn duplicate_offsets_are_caught() {
    let run = RUNS.wait("duplicate-offsets");
    run.assert_invalid();
    assert!(
        error_types(&run).contains(":inconsistent-offsets"),
        "{}",
        error_types(&run)
    );
    run.clean();
}

/// A node whose polls sometimes start before the asked offset: nonmonotonic polls.
#[test]
fn backward_polls_are_caught() {
    let run = RUNS.wait("poll-backwards");
    run.assert_invalid();
    assert!(
        error_types(&run).contains(":nonmonotonic-poll"),
        "{}",
        error_types(&run)
    );
    run.clean();
}

/// A node whose polls sometimes start after the asked offset: poll skips.
#[test]
fn skipped_offsets_are_caught() {
    let run = RUNS.wait("skip-offsets");
    run.assert_invalid();
    assert!(
        error_types(&run).contains(":poll-skip"),
        "{}",
        error_types(&run)
    );
    run.clean();
}
