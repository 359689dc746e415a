//! End-to-end tests of the runner binary: argument errors, every part passing, and nodes that
//! misbehave on purpose (`examples/misbehave.rs`) judged as Maelstrom judges them, with the README's deliberate differences.
//!
//! Each run happens in its own temporary working directory with short time limits. The slow
//! runs (broadcast always sleeps 10 s for recovery) are all started together, in background
//! threads, the first time any test asks for one; each test then waits for its own run. So the
//! suite takes about as long as its slowest run, not their sum. After every run the tests look
//! for node processes left behind (see `support`).

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use maelstrom::edn::{self, Edn};
use support::{
    at, int, items, run, spawn, stop_with, strings, tagged_processes, work_dir, Bin, Run, Scenario,
    Scenarios, Spawned,
};

// ---------------------------------------------------------------------------------------------
// The slow runs, started together

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "echo",
        bin: Bin::Part("echo"),
        args: &["-w", "echo", "--node-count", "1", "--time-limit", "3"],
    },
    Scenario {
        name: "unique-ids",
        bin: Bin::Part("unique-ids"),
        args: &[
            "-w",
            "unique-ids",
            "--node-count",
            "3",
            "--time-limit",
            "3",
            "--rate",
            "200",
            "--availability",
            "total",
            "--nemesis",
            "partition",
        ],
    },
    Scenario {
        name: "broadcast-3a",
        bin: Bin::Part("broadcast-3a"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "1",
            "--time-limit",
            "3",
            "--rate",
            "10",
        ],
    },
    Scenario {
        name: "broadcast-3b",
        bin: Bin::Part("broadcast-3b"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "5",
            "--time-limit",
            "3",
            "--rate",
            "10",
        ],
    },
    Scenario {
        name: "broadcast-3a-on-five-nodes",
        bin: Bin::Part("broadcast-3a"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "5",
            "--time-limit",
            "3",
            "--rate",
            "10",
        ],
    },
    Scenario {
        name: "wrong-echo",
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
            "wrong-echo",
        ],
    },
    Scenario {
        name: "duplicate-ids",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "unique-ids",
            "--node-count",
            "3",
            "--time-limit",
            "2",
            "--rate",
            "30",
            "--",
            "duplicate-ids",
        ],
    },
    Scenario {
        name: "forget-broadcast",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "forget-broadcast",
        ],
    },
    Scenario {
        name: "skip-n4-seed-1",
        bin: Bin::Example("misbehave"),
        args: SKIP_N4_SEED_1,
    },
    Scenario {
        name: "skip-n4-seed-2",
        bin: Bin::Example("misbehave"),
        args: SKIP_N4_SEED_2,
    },
    Scenario {
        name: "skip-n4-seed-3",
        bin: Bin::Example("misbehave"),
        args: SKIP_N4_SEED_3,
    },
    Scenario {
        name: "skip-n4-seed-4",
        bin: Bin::Example("misbehave"),
        args: SKIP_N4_SEED_4,
    },
    Scenario {
        name: "panicking-handler",
        bin: Bin::Example("panicking_broadcast"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "30",
            "--seed",
            "1",
        ],
    },
    Scenario {
        name: "crash-mid-test",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "5",
            "--rate",
            "20",
            "--",
            "crash-mid-test",
        ],
    },
    Scenario {
        name: "double-reply",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "double-reply",
        ],
    },
    Scenario {
        name: "wrong-src",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "wrong-src",
        ],
    },
    Scenario {
        name: "forward-as-client",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "forward-as-client",
        ],
    },
    Scenario {
        name: "non-json",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "non-json",
        ],
    },
    Scenario {
        name: "huge-nemesis-interval",
        bin: Bin::Part("echo"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "1e300",
        ],
    },
    Scenario {
        // The run ends early on the crash; the time limit itself must not overflow.
        name: "huge-time-limit",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "9223372036854775807",
            "--rate",
            "20",
            "--",
            "crash-mid-test",
        ],
    },
    Scenario {
        // Many clients writing straight into a pipe nobody reads.
        name: "deaf-main-phase",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--concurrency",
            "800",
            "--rate",
            "1e6",
            // Long enough for a second round of requests after the first round's 5 s timeouts:
            // on a loaded machine the first round alone may not fill the 64 KiB pipe.
            "--time-limit",
            "7",
            "--",
            "deaf",
        ],
    },
    Scenario {
        // A topology message bigger than a pipe (120 nodes, total: about 90 KB each).
        name: "deaf-setup",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "120",
            "--topology",
            "total",
            "--time-limit",
            "1",
            "--",
            "deaf",
        ],
    },
    Scenario {
        name: "helpers-then-crash",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "2",
            "--time-limit",
            "5",
            "--rate",
            "20",
            "--",
            "helpers-then-crash",
        ],
    },
    Scenario {
        name: "helpers",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "helpers",
        ],
    },
    Scenario {
        name: "huge-lines",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            // Time for 100 MB of writes on a loaded machine before the time limit ends the run.
            "--time-limit",
            "6",
            "--rate",
            "20",
            "--",
            "huge-lines",
        ],
    },
    Scenario {
        name: "big-ids",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "unique-ids",
            "--node-count",
            "3",
            "--time-limit",
            "2",
            "--rate",
            "100",
            "--",
            "big-ids",
        ],
    },
    Scenario {
        name: "silent-init",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--",
            "silent-init",
        ],
    },
    Scenario {
        name: "garbled-init",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--",
            "garbled-init",
        ],
    },
    Scenario {
        name: "txn-serial",
        bin: Bin::Example("txn_node"),
        args: &[
            "-w",
            "txn-rw-register",
            "--node-count",
            "1",
            "--time-limit",
            "3",
            "--rate",
            "100",
            "--concurrency",
            "2n",
            "--",
            "serial",
        ],
    },
    Scenario {
        name: "txn-dirty-writes",
        bin: Bin::Example("txn_node"),
        args: &[
            "-w",
            "txn-rw-register",
            "--node-count",
            "1",
            "--time-limit",
            "3",
            "--rate",
            "200",
            "--concurrency",
            "4n",
            "--key-count",
            "1",
            "--max-txn-length",
            "10",
            "--max-writes-per-key",
            "100000",
            "--consistency-models",
            "read-uncommitted",
            "--wfr-mops",
            "--",
            "dirty",
        ],
    },
    Scenario {
        name: "txn-dirty",
        bin: Bin::Example("txn_node"),
        args: &[
            "-w",
            "txn-list-append",
            "--node-count",
            "1",
            "--time-limit",
            "3",
            "--rate",
            "200",
            "--concurrency",
            "4n",
            "--consistency-models",
            "read-committed",
            "--",
            "dirty",
        ],
    },
];

/// A broadcast node that never gossips to n4, on five nodes, under four seeds (the last for the
/// summary's test).
const SKIP_N4_SEED_1: &[&str] = &[
    "-w",
    "broadcast",
    "--node-count",
    "5",
    "--time-limit",
    "2",
    "--rate",
    "20",
    "--seed",
    "1",
    "--",
    "skip-n4",
];
const SKIP_N4_SEED_2: &[&str] = &[
    "-w",
    "broadcast",
    "--node-count",
    "5",
    "--time-limit",
    "2",
    "--rate",
    "20",
    "--seed",
    "2",
    "--",
    "skip-n4",
];
const SKIP_N4_SEED_3: &[&str] = &[
    "-w",
    "broadcast",
    "--node-count",
    "5",
    "--time-limit",
    "2",
    "--rate",
    "20",
    "--seed",
    "3",
    "--",
    "skip-n4",
];
const SKIP_N4_SEED_4: &[&str] = &[
    "-w",
    "broadcast",
    "--node-count",
    "5",
    "--time-limit",
    "2",
    "--rate",
    "20",
    "--seed",
    "4",
    "--",
    "skip-n4",
];

/// The text of the first error 13 reply of `examples/panicking_broadcast.rs`, as the node
/// library words a panic.
const PANIC_TEXT: &str = "handler for \"broadcast\" panicked: BUG: I don't like 7";

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

// ---------------------------------------------------------------------------------------------
// Argument errors and other quick exits

/// No command prints Jepsen's usage and exits 254.
#[test]
fn no_command_is_usage_254() {
    let run = run("no-command", &[]);
    run.assert_exit(254);
    assert!(
        run.stdout
            .starts_with("Usage: maelstrom COMMAND [OPTIONS ...]\nCommands: "),
        "{}",
        run.output()
    );
    run.clean();
}

/// Each argument error prints tools.cli's text on stdout and exits 254.
#[test]
fn argument_errors_exit_254() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["test", "-w", "echo"],
            "Expected a --bin PATH_TO_BINARY to test",
        ),
        (
            &["test", "--bin", "x", "--rate", "-1"],
            "Failed to validate \"--rate -1\": Can't be negative",
        ),
        (
            &["test", "--bin", "x", "--foo"],
            "Unknown option: \"--foo\"",
        ),
        (
            &["test", "--bin", "x", "--rate"],
            "Missing required argument for \"--rate RATE\"",
        ),
        (
            &["test", "--bin", "x", "--time-limit", "abc"],
            "Error while parsing option \"--time-limit abc\": \"abc\" is not a whole number",
        ),
        (
            &["test", "--bin", "x", "--nodes", "n1,c1"],
            "Invalid node name \"c1\"",
        ),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let run = run(&format!("args-{i}"), &strings(args));
        run.assert_exit(254);
        assert!(
            run.stdout.contains(expected),
            "{args:?}: expected {expected:?} in\n{}",
            run.output()
        );
        run.clean();
    }
}

/// Node names escape the store, kind "path-like names": `-n ../../latest/jepsen` is an argument
/// error (exit 254) and nothing is written outside the working directory's store, not even
/// into an earlier run.
#[test]
fn path_like_node_names_exit_254() {
    let run = run(
        "path-node",
        &strings(&[
            "test",
            "-w",
            "echo",
            "--bin",
            "/bin/cat",
            "-n",
            "../../latest/jepsen",
        ]),
    );
    run.assert_exit(254);
    assert!(
        run.stdout
            .contains("Invalid node name \"../../latest/jepsen\""),
        "{}",
        run.output()
    );
    assert!(!run.cwd.join("store").exists(), "nothing is written");
    run.clean();
}

/// `test --help` prints the usage text and the options, exit 0.
#[test]
fn help_exits_0() {
    let run = run("help", &strings(&["test", "--help"]));
    run.assert_exit(0);
    assert!(
        run.stdout.contains("254   Invalid arguments"),
        "{}",
        run.output()
    );
    assert!(
        run.stdout.contains("--time-limit SECONDS"),
        "{}",
        run.output()
    );
    run.clean();
}

/// Misleading words, end to end: without -w the error says -w defaults to lin-kv (exit 254);
/// help has no lein or Java in it (a Unicode dash: `reader.rs`).
#[test]
fn misleading_words_are_plain() {
    let no_w = run("no-w", &strings(&["test", "--bin", "/bin/cat"]));
    no_w.assert_exit(254);
    assert!(
        no_w.stdout
            .contains("-w was not given, and it defaults to lin-kv"),
        "{}",
        no_w.output()
    );
    no_w.clean();

    let help = run("help-words", &strings(&["test", "--help"]));
    help.assert_exit(0);
    assert!(
        help.stdout.starts_with("Usage: maelstrom test"),
        "{}",
        help.stdout
    );
    assert!(
        !help.stdout.contains("lein") && !help.stdout.contains("Options:\n\n"),
        "{}",
        help.stdout
    );
    help.clean();
}

/// Options a workload cannot run with (lin-kv's concurrency, 5 by default, is no multiple of
/// 2n = 10 on the default five nodes) are an argument error naming the option, exit 254.
#[test]
fn workload_refusing_its_options_exits_254() {
    let run = run(
        "lin-kv",
        &strings(&[
            "test",
            "--bin",
            "/bin/cat",
            "-w",
            "lin-kv",
            "--time-limit",
            "1",
        ]),
    );
    run.assert_exit(254);
    assert!(
        run.output().contains("--concurrency 2n"),
        "{}",
        run.output()
    );
    run.clean();
}

/// A missing node binary is a setup error naming the path: exit 255.
#[test]
fn missing_binary_exits_255() {
    let bin = "/nonexistent/maelstrom-e2e-node";
    let run = run(
        "missing-bin",
        &strings(&[
            "test",
            "-w",
            "echo",
            "--bin",
            bin,
            "--node-count",
            "1",
            "--time-limit",
            "1",
        ]),
    );
    run.assert_exit(255);
    assert!(run.output().contains(bin), "{}", run.output());
    run.clean();
}

// ---------------------------------------------------------------------------------------------
// Every part passes

/// The echo part is valid under the runner.
#[test]
fn echo_part_passes() {
    let run = RUNS.wait("echo");
    run.assert_valid();
    let results = run.results();
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true));
    assert!(int(at(&results, &["stats", "ok-count"])) > 0);
    run.clean();
}

/// The unique-ids part is valid, with every op acknowledged despite partitions.
#[test]
fn unique_ids_part_passes() {
    let run = RUNS.wait("unique-ids");
    run.assert_valid();
    let results = run.results();
    assert_eq!(
        at(&results, &["workload", "duplicated-count"]),
        &Edn::Int(0)
    );
    assert!(int(at(&results, &["workload", "acknowledged-count"])) > 0);
    run.clean();
}

/// broadcast-3a on one node is valid.
#[test]
fn broadcast_3a_part_passes() {
    let run = RUNS.wait("broadcast-3a");
    run.assert_valid();
    assert_eq!(
        at(&run.results(), &["workload", "lost-count"]),
        &Edn::Int(0)
    );
    run.clean();
}

/// broadcast-3b on five nodes is valid, with the message counts of `doc/03-broadcast/02-performance.md`.
#[test]
fn broadcast_3b_part_passes_with_spec_message_counts() {
    let run = RUNS.wait("broadcast-3b");
    run.assert_valid();
    let results = run.results();
    let broadcasts = int(at(&results, &["stats", "by-f", "broadcast", "count"]));
    let ops = int(at(&results, &["stats", "count"]));
    assert!(broadcasts > 0);
    assert_eq!(
        int(at(&results, &["net", "servers", "msg-count"])),
        40 * broadcasts
    );
    assert_eq!(
        int(at(&results, &["net", "clients", "msg-count"])),
        2 * ops + 20
    );
    run.clean();
}

/// Single-node broadcast code on five nodes loses values: invalid, exit 1.
#[test]
fn broadcast_3a_on_five_nodes_is_invalid() {
    let run = RUNS.wait("broadcast-3a-on-five-nodes");
    run.assert_invalid();
    assert!(int(at(&run.results(), &["workload", "lost-count"])) > 0);
    run.clean();
}

// ---------------------------------------------------------------------------------------------
// Misbehaving nodes

/// Fails unless misbehaving nodes did start (so the leftover check looked at real processes).
#[track_caller]
fn assert_nodes_started(run: &Run, at_least: usize) {
    assert!(
        run.node_pids.len() >= at_least,
        "{}: expected {at_least} node pid files, found {:?}",
        run.name,
        run.node_pids
    );
}

/// Echo replies with an altered payload make the echo workload invalid.
#[test]
fn wrong_echo_is_invalid() {
    let run = RUNS.wait("wrong-echo");
    run.assert_invalid();
    assert_nodes_started(&run, 1);
    let results = run.results();
    assert_eq!(at(&results, &["workload", "valid?"]), &Edn::Bool(false));
    assert!(!items(at(&results, &["workload", "errors"])).is_empty());
    assert!(edn::compact(at(&results, &["workload", "errors"])).contains("(altered)"));
    run.clean();
}

/// Nodes handing out the same ids are caught as duplicates.
#[test]
fn duplicate_ids_are_invalid() {
    let run = RUNS.wait("duplicate-ids");
    run.assert_exit(1);
    assert_nodes_started(&run, 3);
    let results = run.results();
    assert_eq!(at(&results, &["workload", "valid?"]), &Edn::Bool(false));
    assert!(int(at(&results, &["workload", "duplicated-count"])) > 0);
    run.clean();
}

/// A broadcast node that forgets every third value loses exactly such values.
#[test]
fn forgotten_broadcasts_are_lost() {
    let run = RUNS.wait("forget-broadcast");
    run.assert_invalid();
    assert_nodes_started(&run, 1);
    let results = run.results();
    let lost = items(at(&results, &["workload", "lost"]));
    assert!(!lost.is_empty(), "{}", edn::pretty(&results));
    assert!(
        lost.iter().all(|v| int(v) % 3 == 0),
        "only multiples of 3 were dropped: {lost:?}"
    );
    run.clean();
}

/// A node left out of the gossip fails on every seed, whichever final read is invoked last:
/// its final read is named with the values it missed (the README's deliberate differences).
#[test]
fn node_missing_values_in_its_final_read_is_invalid() {
    for name in ["skip-n4-seed-1", "skip-n4-seed-2", "skip-n4-seed-3"] {
        let run = RUNS.wait(name);
        run.assert_invalid();
        assert_nodes_started(&run, 5);
        let results = run.results();
        let final_reads = at(&results, &["workload", "final-reads"]);
        let missing = int(at(final_reads, &["n4", "missing-count"]));
        assert!(missing > 0, "{name}: {}", edn::pretty(final_reads));
        assert_eq!(
            items(at(final_reads, &["n4", "missing"])).len() as i64,
            missing
        );
        assert_eq!(
            at(&results, &["workload", "valid?"]),
            &Edn::Bool(false),
            "{name}"
        );
        for other in ["n0", "n1", "n2", "n3"] {
            assert!(
                final_reads.get(other).is_none(),
                "{name}: {other} missed values too"
            );
        }
        run.clean();
    }
}

/// A handler that panics (the node library answers error 13) does not pass silently: a live
/// warning at the first one, a warning per node after the run with the count and the first
/// text, and `:crash-errors` in the results. The verdict stays Maelstrom's (the ops are
/// indefinite, nothing acknowledged is lost).
#[test]
fn panicking_handler_is_reported_per_node() {
    let run = RUNS.wait("panicking-handler");
    run.assert_valid();
    let results = run.results();
    let n0 = at(&results, &["crash-errors", "nodes", "n0"]);
    let count = int(at(n0, &["count"]));
    assert!(count >= 1, "{}", edn::pretty(&results));
    assert_eq!(at(n0, &["first-error"]), &Edn::Str(PANIC_TEXT.into()));
    assert_eq!(int(at(&results, &["crash-errors", "count"])), count);
    let stdout = &run.stdout;
    assert!(
        stdout.contains(&format!(
            "warning: n0 answered a broadcast request with error 13 crash: {PANIC_TEXT} (the first"
        )),
        "no live warning:\n{stdout}"
    );
    let plural = if count == 1 { "" } else { "s" };
    let after =
        format!("warning: n0 answered {count} broadcast request{plural} with error 13 crash");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&after))
        .unwrap_or_else(|| panic!("no warning after the run:\n{stdout}"));
    assert!(
        line.contains("BUG: I don't like 7; see store/broadcast/"),
        "{line}"
    );
    assert!(line.ends_with("/node-logs/n0.log"), "{line}");
    run.clean();
}

/// After the results map comes a short summary (verdict with the entries at fault, ops,
/// elements, final reads, msgs-per-op, latency, where the run is stored); long lists are cut on
/// the console but kept whole in results.edn.
#[test]
fn summary_follows_the_results_and_long_lists_are_cut() {
    let run = RUNS.wait("skip-n4-seed-4");
    run.assert_invalid();
    let stdout = &run.stdout;
    let summary = &stdout[stdout
        .find("\nSummary:\n")
        .unwrap_or_else(|| panic!("{stdout}"))..];
    for line in [
        "  valid?       false: workload\n",
        "  ops          ",
        "  elements     ",
        "  final reads  n4 missed ",
        "  msgs-per-op  ",
        "  latency      stable: median ",
        "  stored in    store/broadcast/",
    ] {
        assert!(summary.contains(line), "no {line:?} in\n{summary}");
    }
    assert!(
        summary.trim_end().ends_with(support::INVALID),
        "the verdict stays last:\n{summary}"
    );
    let results = run.results();
    let missing = items(at(&results, &["workload", "final-reads", "n4", "missing"]));
    assert_eq!(
        missing.len() as i64,
        int(at(
            &results,
            &["workload", "final-reads", "n4", "missing-count"]
        )),
        "results.edn keeps the whole list"
    );
    if missing.len() > 10 {
        assert!(
            stdout.contains(&format!("... +{} more)", missing.len() - 10)),
            "the printed list is cut:\n{stdout}"
        );
    }
    // Whatever the run's size: :worst-stale's 8 ops take about 140 lines, the rest is short.
    assert!(
        stdout.lines().count() < 250,
        "{} lines printed:\n{stdout}",
        stdout.lines().count()
    );
    run.clean();
}

/// A node that dies mid-test is reported at once with its exit status and last stderr lines;
/// results are still written, with :crash, and the verdict is invalid (the README's deliberate differences).
#[test]
fn crash_mid_test_is_reported() {
    let run = RUNS.wait("crash-mid-test");
    run.assert_exit(1);
    assert_nodes_started(&run, 1);
    let output = run.output();
    assert!(output.contains("n0"), "the crash names the node:\n{output}");
    assert!(
        output.contains("exit status 3"),
        "the crash gives the status:\n{output}"
    );
    assert!(
        output.contains("crashing on purpose"),
        "the crash quotes stderr:\n{output}"
    );
    let results = run.results();
    assert!(results.get("crash").is_some(), "{}", edn::pretty(&results));
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(false));
    run.clean();
}

/// The largest valid --nemesis-interval and --time-limit run normally: no panic, no hang.
#[test]
fn extreme_durations_run_normally() {
    let run = RUNS.wait("huge-nemesis-interval");
    run.assert_exit(0);
    let output = run.output();
    assert!(!output.contains("panicked"), "{output}");
    let history = run.history();
    let starts = history
        .iter()
        .filter(|op| at(op, &["f"]) == &Edn::kw("start-partition"))
        .count();
    assert_eq!(starts, 2, "one partition at t = 0, the next never");
    run.clean();

    let run = RUNS.wait("huge-time-limit");
    run.assert_exit(1);
    let output = run.output();
    assert!(!output.contains("panicked"), "{output}");
    assert!(
        output.contains("exit status 3"),
        "the crash ends it:\n{output}"
    );
    run.clean();
}

/// A non-JSON stdout line is an error naming the node and quoting the line; invalid (the README's deliberate differences).
#[test]
fn non_json_line_is_a_protocol_error() {
    let run = RUNS.wait("non-json");
    run.assert_exit(1);
    assert_nodes_started(&run, 1);
    let output = run.output();
    assert!(
        output.contains("this line is not JSON"),
        "the line is quoted:\n{output}"
    );
    assert!(output.contains("n0"), "the node is named:\n{output}");
    let results = run.results();
    assert!(
        results.get("protocol").is_some(),
        "{}",
        edn::pretty(&results)
    );
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(false));
    run.clean();
}

/// A second reply to a request is a warning that names the node, the client and the msg_id
/// awaited; the run stays valid (Maelstrom drops such replies without a word).
#[test]
fn second_replies_are_warned_about() {
    let run = RUNS.wait("double-reply");
    run.assert_exit(0);
    let output = run.output();
    assert!(
        output.contains("Warning: Node n0 sent client c") && output.contains("answers none of its requests in flight (in_reply_to 1; the request awaited was msg_id 2"),
        "{output}"
    );
    run.clean();
}

/// A reply sent with the client's id as `src` (and `dest`) reaches the client, as Maelstrom's
/// `net.clj` delivers it: valid, with one warning naming the node and both ids and saying what a
/// reply's src should be (the README's deliberate differences).
#[test]
fn message_from_another_id_is_delivered_with_a_warning() {
    let run = RUNS.wait("wrong-src");
    run.assert_exit(0);
    let output = run.output();
    assert!(
        output.contains("Warning: Node n0 printed a message with \"src\": \"c"),
        "{output}"
    );
    assert!(
        output.contains("if it was meant as a reply, its src should be \"n0\""),
        "{output}"
    );
    assert_eq!(
        output.matches("printed a message with \"src\"").count(),
        1,
        "one warning per node:\n{output}"
    );
    let results = run.results();
    assert!(
        results.get("protocol").is_none(),
        "{}",
        edn::pretty(&results)
    );
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true));
    run.clean();
}

/// A node that forwards a client's request to another node with the client's id as `src` (as
/// Maelstrom's `demo/python/raft.py` forwards to its leader) passes, as under Maelstrom: the
/// other node's reply reaches the client; one warning names the forwarding node.
#[test]
fn forward_as_the_client_passes() {
    let run = RUNS.wait("forward-as-client");
    run.assert_exit(0);
    let output = run.output();
    assert!(
        output.contains("Warning: Node n0 printed a message with \"src\": \"c")
            && output.contains("Maelstrom delivers it as if"),
        "{output}"
    );
    assert!(!output.contains("meant as a reply"), "{output}");
    let results = run.results();
    assert!(
        results.get("protocol").is_none(),
        "{}",
        edn::pretty(&results)
    );
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true));
    run.clean();
}

/// A node that never answers init fails setup with Maelstrom's text, exit 255, nodes stopped.
#[test]
fn silent_init_fails_setup() {
    let run = RUNS.wait("silent-init");
    run.assert_exit(255);
    assert_nodes_started(&run, 2);
    let output = run.output();
    assert!(
        output.contains("to respond to an init message, but node did not respond."),
        "{output}"
    );
    assert!(output.contains("n0") || output.contains("n1"), "{output}");
    run.clean();
}

/// A node that answers init with a line that is not a message fails setup with an error that
/// names the node and quotes the line, and does not blame an unflushed stdout (it gives up a
/// second after the bad line, not after the whole 10 s init timeout).
#[test]
fn garbled_init_fails_setup_at_once() {
    let run = RUNS.wait("garbled-init");
    run.assert_exit(255);
    let output = run.output();
    assert!(output.contains("this line is not JSON"), "{output}");
    assert!(
        output.contains("Node n0 answered init with lines that are not Maelstrom messages"),
        "{output}"
    );
    assert!(!output.contains("did not respond"), "{output}");
    let results = run.results();
    let text = edn::compact(at(&results, &["setup-failed"]));
    assert!(text.contains("not Maelstrom messages"), "{text}");
    run.clean();
}

/// A failed run points nowhere useful, kind "setup failure": `store/latest` is this run, with
/// its node logs and a results file saying why; the error says how long it waited, that the
/// node may only be slow, hints at flushing stdout and names the stderr log; the run's folder
/// is printed.
#[test]
fn failed_setup_is_stored_as_latest_with_a_hint() {
    let run = RUNS.wait("silent-init");
    run.assert_exit(255);
    let output = run.output();
    assert!(output.contains("Did the node flush its stdout"), "{output}");
    assert!(
        output
            .contains("Or it may only be slow to start: the runner waited 10 s, as Maelstrom does"),
        "{output}"
    );
    assert!(output.contains("node-logs/n"), "{output}");
    let latest = fs::canonicalize(run.cwd.join("store/latest")).expect("store/latest exists");
    assert!(
        output.contains(&latest.display().to_string()),
        "the run folder {} is printed:\n{output}",
        latest.display()
    );
    let log = fs::read_to_string(latest.join("node-logs/n0.log")).expect("n0's log");
    assert!(log.contains("not answering init"), "{log}");
    let results = run.results();
    assert!(
        edn::compact(at(&results, &["setup-failed"])).contains("did not respond"),
        "{}",
        edn::compact(&results)
    );
    run.clean();
}

/// A failed run points nowhere useful, kind "interrupted": after Ctrl-C the ops completed so far
/// are in `store/latest/history.edn`, `results.edn` says the run was interrupted, the folder is
/// printed and the exit status is 130.
#[test]
fn interrupted_run_keeps_its_history() {
    let (mut runner, cwd, tag) = start_long_run("sigint-history", 1, "helpers", 3);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = stop_with(&mut runner, "-INT");
    let stdout = fs::read_to_string(cwd.join("stdout.txt")).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stdout}");
    assert_eq!(support::leftover_nodes(&tag), Vec::<u32>::new());
    let latest = fs::canonicalize(cwd.join("store/latest")).expect("store/latest exists");
    assert!(stdout.contains(&latest.display().to_string()), "{stdout}");
    let history = fs::read_to_string(latest.join("history.edn")).expect("history.edn");
    assert!(
        history.lines().filter(|l| l.contains(":type :ok")).count() >= 2,
        "the ops completed before Ctrl-C are kept:\n{history}"
    );
    let results = fs::read_to_string(latest.join("results.edn")).expect("results.edn");
    assert!(results.contains(":interrupted"), "{results}");
    let _ = fs::remove_dir_all(cwd);
}

/// Interrupts, kind "one signal delivered twice": GNU `timeout -s INT` (and any supervisor that
/// signals the runner and then its process group) delivers the signal twice within a few
/// milliseconds; that is one interrupt, which still writes the history and results (exit 130),
/// not a second one that exits at once with nothing written.
#[test]
fn signal_delivered_twice_at_once_is_one_interrupt() {
    let (mut runner, cwd, tag) = start_long_run("sigint-twice", 1, "helpers", 3);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = runner.id();
    let _ = Command::new("sh")
        .args([
            "-c",
            &format!("kill -INT {pid}; sleep 0.01; kill -INT {pid}"),
        ])
        .status();
    let status = runner.wait().expect("runner exits");
    let stdout = fs::read_to_string(cwd.join("stdout.txt")).unwrap_or_default();
    let stderr = fs::read_to_string(cwd.join("stderr.txt")).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stdout}{stderr}");
    assert_eq!(support::leftover_nodes(&tag), Vec::<u32>::new());
    let latest = fs::canonicalize(cwd.join("store/latest")).expect("store/latest exists");
    let results = fs::read_to_string(latest.join("results.edn")).expect("results.edn");
    assert!(results.contains(":interrupted"), "{results}");
    assert!(latest.join("history.edn").exists(), "{stderr}");
    assert!(
        !stderr.contains("no process it started is left"),
        "the second delivery was taken for a second interrupt:\n{stderr}"
    );
    let _ = fs::remove_dir_all(cwd);
}

/// Hangs, kind "a node stops reading its input": with 800 clients writing requests straight
/// into its stdin, the run still ends on time, names the node, and analyses and stores the
/// history recorded so far (invalid, exit 1).
#[test]
fn node_that_stops_reading_ends_the_run_on_time() {
    let run = RUNS.wait("deaf-main-phase");
    run.assert_invalid();
    let output = run.output();
    assert!(output.contains("n0 stopped reading its input"), "{output}");
    assert!(
        run.elapsed < std::time::Duration::from_secs(30),
        "took {:?}",
        run.elapsed
    );
    let results = run.results();
    assert_eq!(at(&results, &["crash", "node"]), &Edn::str("n0"));
    assert!(!run.history().is_empty(), "the history so far is stored");
    run.clean();
}

/// Hangs, in setup: a topology message larger than a pipe, to nodes that stopped reading, fails
/// setup (exit 255) naming a node that stopped reading, instead of waiting for ever.
#[test]
fn node_that_stops_reading_fails_setup_on_time() {
    let run = RUNS.wait("deaf-setup");
    run.assert_exit(255);
    let output = run.output();
    assert!(output.contains("stopped reading its input"), "{output}");
    assert!(
        run.elapsed < std::time::Duration::from_secs(60),
        "took {:?}",
        run.elapsed
    );
    run.clean();
}

/// Leaked processes, kind "a node exits and leaves what it started": the helpers of a node that
/// crashed, in its process group and in a group of their own, do not outlive the run.
#[test]
fn helpers_of_a_crashed_node_do_not_outlive_the_run() {
    let run = RUNS.wait("helpers-then-crash");
    run.assert_invalid();
    assert!(run.output().contains("exit status 3"), "{}", run.output());
    run.clean();
}

/// Leaked processes, kind "the test ends while nodes run helpers": helpers in the node's group
/// and in groups of their own are stopped with the nodes.
#[test]
fn helpers_of_running_nodes_do_not_outlive_the_run() {
    let run = RUNS.wait("helpers");
    run.assert_valid();
    assert_nodes_started(&run, 2);
    run.clean();
}

/// Starts the runner on `misbehave <mode>` nodes with a long time limit and waits until
/// `processes` tagged processes run; gives back the runner, its working directory and its tag.
fn start_long_run(
    name: &str,
    nodes: usize,
    mode: &str,
    processes: usize,
) -> (std::process::Child, std::path::PathBuf, String) {
    let bin = Bin::Example("misbehave").path().expect("misbehave builds");
    let mut args = strings(&["test", "-w", "echo", "--node-count", &nodes.to_string()]);
    args.extend(strings(&["--time-limit", "60", "--rate", "5", "--bin"]));
    args.push(bin.display().to_string());
    args.extend(strings(&["--", mode]));
    let Spawned { cwd, tag, child } = spawn(name, &args);
    let runner = child.expect("runner starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while tagged_processes(&tag).len() < processes && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (runner, cwd, tag)
}

/// Leaked processes, kind "the runner is interrupted": on SIGTERM no node and no helper is left.
#[test]
fn sigterm_leaves_no_node_or_helper() {
    // Each node starts its two helpers when it gets init.
    let (mut runner, cwd, tag) = start_long_run("sigterm-helpers", 2, "helpers", 6);
    let running = tagged_processes(&tag).len();
    assert!(running >= 6, "2 nodes and 4 helpers run, found {running}");
    let status = stop_with(&mut runner, "-TERM");
    assert_eq!(status.code(), Some(143));
    assert_eq!(support::leftover_nodes(&tag), Vec::<u32>::new());
    let _ = fs::remove_dir_all(cwd);
}

/// Leaked processes, kind "the runner is killed outright": on SIGKILL, which runs no cleanup,
/// the kernel still kills every node (parent-death signal), even nodes that do not read their
/// stdin and so never see it close. (Helpers the nodes started are out of reach: README.)
#[test]
fn sigkill_of_the_runner_kills_its_nodes() {
    let (mut runner, cwd, tag) = start_long_run("sigkill-deaf", 2, "deaf", 2);
    let node_pids: Vec<u32> = fs::read_dir(cwd.join("pids"))
        .expect("pid dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    assert_eq!(node_pids.len(), 2);
    let _ = runner.kill();
    let _ = runner.wait();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let alive = |pid: &u32| {
        fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit_once(')')
                .is_some_and(|(_, s)| s.trim_start().starts_with('Z'))
        })
    };
    while node_pids.iter().any(alive) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let left: Vec<&u32> = node_pids.iter().filter(|pid| alive(pid)).collect();
    let helpers = support::leftover_nodes(&tag);
    assert!(
        left.is_empty(),
        "nodes outlived a SIGKILLed runner: {left:?}"
    );
    eprintln!(
        "helpers left by a SIGKILLed runner (killed by the test): {}",
        helpers.len()
    );
    let _ = fs::remove_dir_all(cwd);
}

/// Unbounded memory, kind "a node prints huge lines": a 50 MB stdout line is over the message
/// limit, reported as such and quoted in a few hundred bytes saying how much was cut, a 50 MB
/// stderr line is cut in the node's log; console, jepsen.log and results.edn stay small.
#[test]
fn huge_lines_are_quoted_in_bounded_space() {
    let run = RUNS.wait("huge-lines");
    run.assert_invalid();
    let output = run.output();
    // The first bad line ends the test, so its report is the one that is certain: the 50 MB
    // line, over the message limit, quoted in 300 bytes. On a busy machine the time limit can
    // end the test while the node is still writing it, and what was read of it (tens of MB) is
    // reported, so the sizes are not asserted. (The 1 MB line after it may be cut off by the
    // node's teardown; `process::lines`' unit tests quote lines of every length.)
    let head = &output[..output.len().min(5000)];
    let over = "bytes to STDOUT, more than the 8388608 bytes a message may have";
    assert!(output.contains(over), "{head}");
    let quoted = output.find(over).map_or("", |at| &output[at..]);
    assert!(
        quoted.contains(" more bytes cut, ") && quoted.len() < 1 << 20,
        "{head}"
    );
    let latest = run.cwd.join("store/latest");
    for file in ["jepsen.log", "results.edn", "node-logs/n0.log"] {
        let size = fs::metadata(latest.join(file)).map_or(0, |m| m.len());
        assert!(size < 1 << 20, "{file} is {size} bytes");
    }
    assert!(
        output.len() < 1 << 20,
        "console output is {} bytes",
        output.len()
    );
    let log = fs::read_to_string(latest.join("node-logs/n0.log")).expect("n0.log");
    // (The whole 52428800 bytes, unless the test's end cut the node off while it wrote them.)
    assert!(
        log.contains("eeee... [") && log.contains(" more bytes cut, ") && log.len() < 1 << 20,
        "stderr line cut"
    );
    run.clean();
}

/// Integers leave the 64-bit range, kind "exact integers of any size": distinct ids above 2^63
/// and above 2^64, in replies whose msg_id is 2^64, are judged valid (no duplicates, no
/// malformed replies), and the history and results keep every digit.
#[test]
fn ids_above_two_to_the_63_are_exact() {
    let run = RUNS.wait("big-ids");
    run.assert_valid();
    let history = run.stored("history.edn");
    assert!(
        history.contains(":value 9223372036854775"),
        "ids just above 2^63 kept exactly"
    );
    assert!(
        history.contains(":value 1000000000000"),
        "ids above 2^64 kept exactly"
    );
    let text = run.stored("history.txt");
    assert!(
        text.lines().any(|l| l.ends_with("5N")),
        "big integers print as Clojure's BigInt"
    );
    let results = run.results();
    assert_eq!(
        at(&results, &["workload", "duplicated-count"]),
        &Edn::Int(0)
    );
    run.clean();
}

/// The leftover check itself finds a live process carrying the tag, and stops seeing it once
/// it is gone (otherwise every "no process left" assertion above would prove nothing).
#[test]
fn leftover_scan_sees_tagged_processes() {
    let tag = format!("{}-scan-self-test", std::process::id());
    let mut child = Command::new("sleep")
        .arg("60")
        .env("MAELSTROM_E2E_TAG", &tag)
        .spawn()
        .expect("sleep starts");
    // `spawn` returns before the child has exec'd `sleep`; until then /proc shows the parent's
    // environment, without the tag. Look again for a while rather than race the exec.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut seen = tagged_processes(&tag);
    while seen.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        seen = tagged_processes(&tag);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(seen, vec![child.id()]);
    assert!(tagged_processes(&tag).is_empty());
}

// ---------------------------------------------------------------------------------------------
// The launcher

/// `maelstrom/maelstrom` builds the runner (release) and runs it from any directory. Ignored by
/// default because a first release build takes minutes; run with `--ignored`.
#[test]
#[ignore]
fn launcher_runs_from_any_directory() {
    let cwd = work_dir("launcher");
    let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("maelstrom");
    let out = Command::new(&launcher)
        .args(["test", "--rate", "-1", "--bin", "x"])
        .current_dir(&cwd)
        .output()
        .expect("the launcher starts");
    assert_eq!(out.status.code(), Some(254), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        "Failed to validate \"--rate -1\": Can't be negative"
    );
    assert!(
        out.stderr.is_empty(),
        "a quiet build prints nothing: {out:?}"
    );
    let _ = fs::remove_dir_all(&cwd);
}

/// A node that runs each transaction whole passes txn-rw-register under strict serializability,
/// with Maelstrom's clean result shape.
#[test]
fn serial_txn_node_is_valid() {
    let run = RUNS.wait("txn-serial");
    run.assert_valid();
    let results = run.results();
    assert_eq!(
        edn::compact(at(&results, &["workload"])),
        "{:valid? true, :anomaly-types (), :anomalies nil}"
    );
    run.clean();
}

/// A node that interleaves the micro-ops of concurrent transactions on shared state is caught
/// under read committed, each anomaly explained edge by edge.
#[test]
fn dirty_txn_node_breaks_read_committed() {
    let run = RUNS.wait("txn-dirty");
    run.assert_invalid();
    let results = run.results();
    let workload = at(&results, &["workload"]);
    assert_eq!(at(workload, &["valid?"]), &Edn::Bool(false));
    let types = edn::compact(at(workload, &["anomaly-types"]));
    assert!(
        ["G0", "G1b", "G1c"].iter().any(|t| types.contains(t)),
        "{types}"
    );
    assert!(
        edn::compact(workload).contains("because T"),
        "no explanation"
    );
    assert!(edn::compact(at(workload, &["not"])).contains("read-"));
    run.clean();
}

/// Interleaved writes of concurrent transactions to one key (Maelstrom's G0 blind spot under
/// read-uncommitted) are caught as G0 with `--wfr-mops`.
#[test]
fn dirty_writes_are_g0_with_wfr_mops() {
    let run = RUNS.wait("txn-dirty-writes");
    run.assert_invalid();
    let results = run.results();
    let types = edn::compact(at(&results, &["workload", "anomaly-types"]));
    assert!(types.contains(":G0"), "{types}");
    run.clean();
}
