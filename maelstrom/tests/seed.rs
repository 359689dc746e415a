//! End-to-end test of `--seed`: the same seed twice gives the same
//! sequence of op kinds and values and the same partitions; another seed gives others.
//!
//! With several worker threads, two ops due within a few microseconds of each other may be
//! recorded in either order, so these runs use one worker (`--concurrency 1`): the history then
//! lists invocations exactly in the order the seeded generator made them. The nemesis runs on its
//! own thread and is sequential anyway. The three runs start together in background threads.

mod support;

use maelstrom::edn::Edn;
use support::{Bin, Run, Scenario, Scenarios};

/// Three runs of broadcast-3b: seed 42 twice, seed 43 once; frequent partitions.
#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    Scenario { name: "seed-42-a", bin: Bin::Part("broadcast-3b"), args: &[
        "-w", "broadcast", "--node-count", "3", "--concurrency", "1", "--time-limit", "3",
        "--rate", "20", "--nemesis", "partition", "--nemesis-interval", "0.3", "--seed", "42",
    ] },
    Scenario { name: "seed-42-b", bin: Bin::Part("broadcast-3b"), args: &[
        "-w", "broadcast", "--node-count", "3", "--concurrency", "1", "--time-limit", "3",
        "--rate", "20", "--nemesis", "partition", "--nemesis-interval", "0.3", "--seed", "42",
    ] },
    Scenario { name: "seed-43", bin: Bin::Part("broadcast-3b"), args: &[
        "-w", "broadcast", "--node-count", "3", "--concurrency", "1", "--time-limit", "3",
        "--rate", "20", "--nemesis", "partition", "--nemesis-interval", "0.3", "--seed", "43",
    ] },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// Waits for the named run (starting them all the first time) and checks it passed.
#[track_caller]
fn scenario(name: &str) -> Run {
    let run = RUNS.wait(name);
    run.assert_exit(0);
    run
}

/// An op's `:f` and `:value`.
type FValue = (Edn, Edn);

/// The `:f` and `:value` of the history's ops of one kind of process, in history order:
/// client invocations, or the nemesis' completions (which carry the grudges).
fn schedule(run: &Run, nemesis: bool) -> Vec<FValue> {
    run.history()
        .iter()
        .filter(|op| {
            let is_nemesis = op.get("process") == Some(&Edn::kw("nemesis"));
            is_nemesis == nemesis && !op.get("final?").is_some_and(|v| *v == Edn::Bool(true))
        })
        .filter(|op| nemesis || op.get("type") == Some(&Edn::kw("invoke")))
        .map(|op| {
            let field = |key| op.get(key).cloned().unwrap_or(Edn::Nil);
            (field("f"), field("value"))
        })
        .collect()
}

/// The first `len` entries of both, which must have at least `min` entries in common.
#[track_caller]
fn common_prefix<'a>(a: &'a [FValue], b: &'a [FValue], min: usize) -> (&'a [FValue], &'a [FValue]) {
    let len = a.len().min(b.len());
    assert!(
        len >= min,
        "too few entries to compare: {} and {}",
        a.len(),
        b.len()
    );
    (&a[..len], &b[..len])
}

/// The same seed gives the same op kinds and values in the same order, and the same partitions
/// (specs and grudges); another seed gives other ops and other partitions.
#[test]
fn same_seed_same_schedule() {
    let (a, b, other) = (
        scenario("seed-42-a"),
        scenario("seed-42-b"),
        scenario("seed-43"),
    );

    let (ops_a, ops_b) = (schedule(&a, false), schedule(&b, false));
    // The time limit cuts each run after however many ops fit: compare what both have.
    let (prefix_a, prefix_b) = common_prefix(&ops_a, &ops_b, 20);
    assert_eq!(
        prefix_a, prefix_b,
        "seed 42 gave two different op sequences"
    );
    let kinds: Vec<&Edn> = prefix_a.iter().map(|(f, _)| f).collect();
    assert!(
        kinds.contains(&&Edn::kw("broadcast")) && kinds.contains(&&Edn::kw("read")),
        "expected both broadcasts and reads: {kinds:?}"
    );
    let ops_other = schedule(&other, false);
    let (prefix_a, prefix_other) = common_prefix(&ops_a, &ops_other, 20);
    assert_ne!(
        prefix_a, prefix_other,
        "seeds 42 and 43 gave the same op kinds"
    );

    let (nemesis_a, nemesis_b) = (schedule(&a, true), schedule(&b, true));
    let (prefix_a, prefix_b) = common_prefix(&nemesis_a, &nemesis_b, 6);
    assert_eq!(
        prefix_a, prefix_b,
        "seed 42 gave two different partition schedules"
    );
    assert!(
        prefix_a
            .iter()
            .any(|(f, _)| *f == Edn::kw("start-partition")),
        "no partition started: {prefix_a:?}"
    );
    let nemesis_other = schedule(&other, true);
    let (prefix_a, prefix_other) = common_prefix(&nemesis_a, &nemesis_other, 6);
    assert_ne!(
        prefix_a, prefix_other,
        "seeds 42 and 43 gave the same partitions"
    );

    for run in [a, b, other] {
        run.clean();
    }
}
