//! Runs that end badly: files the runner cannot write. Each test drives the real runner against
//! a node of `examples/misbehave.rs`.

mod support;

use support::{Bin, Scenario, Scenarios};

const SCENARIOS: &[Scenario] = &[Scenario {
    name: "block-results",
    bin: Bin::Example("misbehave"),
    args: &[
        "-w",
        "echo",
        "--node-count",
        "1",
        "--time-limit",
        "2",
        "--rate",
        "10",
        "--",
        "block-results",
    ],
}];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// A run whose results.edn cannot be written (a directory stands in its place, as a full disk
/// would stop it) prints its verdict, then says last that results.edn could not be written,
/// and exits 255, not 0.
#[test]
fn unwritable_results_exit_255_and_say_so_last() {
    let run = RUNS.wait("block-results");
    run.assert_exit(255);
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with("The verdict above is not stored"),
        "last line: {last}\n{}",
        run.output()
    );
    let before = lines[lines.len().saturating_sub(2)];
    assert!(
        before.starts_with("Cannot write results.edn"),
        "{}",
        run.output()
    );
    assert!(run.stdout.contains(support::VALID), "{}", run.output());
    run.clean();
}
