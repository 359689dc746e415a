//! End-to-end tests of the Raft chapter's parts under the runner's `-w lin-kv`, with the
//! chapter's commands cut short: step 1 (a map per node) is linearizable on one node and not on
//! two, as the chapter shows; step 4 (the chapter's end) is linearizable on three nodes under
//! partitions, as in the chapter's last command, and on five; raft-5-durable (beyond the
//! chapter) is linearizable with nodes killed and started again as well.
//!
//! The runs start together in background threads the first time a test asks for one (see
//! `support::Runs`), so the file takes about as long as its slowest run. Each run has a fixed
//! `--seed`, so its schedule of operations and partitions repeats. This machine is small and
//! busy: beyond the verdict, only that enough operations succeeded to judge is checked.

mod support;

use maelstrom::edn::{self, Edn};
use support::{Bin, Run, Scenario, Scenarios};

#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    // The chapter's first command, on one node, then on two (its "But Does It Distribute?"),
    // 5 s instead of 10. At twice the chapter's rate on one node: with one writer, a short run
    // can end without a single successful cas, which the stats checker calls invalid.
    Scenario {
        name: "1-one-node",
        bin: Bin::Part("raft-1-kv"),
        args: &[
            "-w", "lin-kv", "--time-limit", "5", "--rate", "20", "--node-count", "1",
            "--concurrency", "2n", "--seed", "2",
        ],
    },
    Scenario {
        name: "1-two-nodes",
        bin: Bin::Part("raft-1-kv"),
        args: &[
            "-w", "lin-kv", "--time-limit", "5", "--node-count", "2", "--rate", "40",
            "--concurrency", "2n", "--seed", "1",
        ],
    },
    // The chapter's last command, 20 s instead of 60, partitions every 5 s instead of 10.
    Scenario {
        name: "4-partitions",
        bin: Bin::Part("raft-4-commit"),
        args: &[
            "-w", "lin-kv", "--node-count", "3", "--concurrency", "4n", "--rate", "30",
            "--time-limit", "20", "--nemesis", "partition", "--nemesis-interval", "5",
            "--seed", "1",
        ],
    },
    Scenario {
        name: "4-five-nodes",
        bin: Bin::Part("raft-4-commit"),
        args: &[
            "-w", "lin-kv", "--node-count", "5", "--concurrency", "4n", "--rate", "30",
            "--time-limit", "20", "--nemesis", "partition", "--nemesis-interval", "5",
            "--seed", "2",
        ],
    },
    // Stable storage: kills and partitions, each every 5 s or so.
    Scenario {
        name: "5-kill",
        bin: Bin::Part("raft-5-durable"),
        args: &[
            "-w", "lin-kv", "--node-count", "3", "--concurrency", "4n", "--rate", "30",
            "--time-limit", "20", "--nemesis", "kill,partition", "--nemesis-interval", "5",
            "--seed", "21",
        ],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// How many ops of the history are `:ok`.
fn oks(run: &Run) -> usize {
    run.history()
        .iter()
        .filter(|op| op.get("type") == Some(&Edn::kw("ok")))
        .count()
}

/// Fails unless the run is valid with no failing key, and at least `min_ok` ops succeeded.
#[track_caller]
fn assert_linearizable(run: &Run, min_ok: usize) {
    run.assert_valid();
    assert!(run.failures().is_empty(), "{}", run.output());
    let ok = oks(run);
    assert!(
        ok >= min_ok,
        "{}: only {ok} :ok ops: {}",
        run.name,
        edn::pretty(&run.results())
    );
}

/// Step 1 on one node: one map under one lock is linearizable.
#[test]
fn raft_1_is_linearizable_on_one_node() {
    let run = RUNS.wait("1-one-node");
    assert_linearizable(&run, 20);
    run.clean();
}

/// Step 1 on two nodes: each node's map goes its own way, and the checker finds a key that no
/// order of the operations explains.
#[test]
fn raft_1_is_not_linearizable_on_two_nodes() {
    let run = RUNS.wait("1-two-nodes");
    run.assert_invalid();
    assert!(!run.failures().is_empty(), "{}", run.output());
    run.clean();
}

/// Step 4 on three nodes under partitions: linearizable, and most operations succeed.
#[test]
fn raft_4_is_linearizable_under_partitions() {
    let run = RUNS.wait("4-partitions");
    assert_linearizable(&run, 100);
    run.clean();
}

/// Step 4 on five nodes under partitions: linearizable too.
#[test]
fn raft_4_is_linearizable_on_five_nodes() {
    let run = RUNS.wait("4-five-nodes");
    assert_linearizable(&run, 100);
    run.clean();
}

/// raft-5-durable with nodes killed and started again (and partitions): linearizable, its
/// term, vote and log read back from each node's directory.
#[test]
fn raft_5_is_linearizable_under_kills() {
    let run = RUNS.wait("5-kill");
    // Each kill costs an election or two: far fewer ops succeed than under partitions alone.
    assert_linearizable(&run, 20);
    let kills = run
        .history()
        .iter()
        .filter(|op| op.get("f") == Some(&Edn::kw("kill")))
        .count();
    assert!(kills > 0, "no node was killed: {}", run.output());
    run.clean();
}
