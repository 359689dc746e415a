//! End-to-end tests of the faults that act on node processes, `--nemesis kill` and `--nemesis
//! pause` (Jepsen's `db-package`, which Maelstrom's `src/maelstrom/nemesis.clj` composes): a
//! killed node comes back as a new process that gets `init` again, a paused node makes clients
//! time out and then answers, every fault is undone before the final reads, a seed repeats the
//! schedule, an intended kill is not a crash while a node dying by itself still is, and no
//! process is left behind, whether the run ends normally, fails or is interrupted.
//!
//! Every run is short and all of them start together (`support::Runs`).

mod support;

use std::fs;
use std::time::{Duration, Instant};

use maelstrom::edn::{self, Edn};
use support::{
    at, spawn, stop_with, strings, tagged_processes, Bin, Run, Scenario, Scenarios, Spawned,
};

const SCENARIOS: &[Scenario] = &[
    // Kills every second or so, each followed by a start of every dead node.
    Scenario {
        name: "kill-echo",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "3",
            "--time-limit",
            "6",
            "--rate",
            "10",
            "--nemesis",
            "kill",
            "--nemesis-interval",
            "1",
            "--seed",
            "3",
            "--",
            "helpers",
        ],
    },
    // Seed 10 pauses the only node from the start for about 7.7 s.
    Scenario {
        name: "pause-echo",
        bin: Bin::Part("echo"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "10",
            "--rate",
            "5",
            "--nemesis",
            "pause",
            "--nemesis-interval",
            "4",
            "--seed",
            "10",
        ],
    },
    Scenario {
        name: "final-g-counter",
        bin: Bin::Part("g-counter"),
        args: &[
            "-w",
            "g-counter",
            "--node-count",
            "3",
            "--time-limit",
            "6",
            "--rate",
            "20",
            "--nemesis",
            "kill,pause,partition",
            "--nemesis-interval",
            "1",
            "--seed",
            "8",
        ],
    },
    Scenario {
        name: "seed-a",
        bin: Bin::Part("echo"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "3",
            "--time-limit",
            "5",
            "--rate",
            "5",
            "--nemesis",
            "kill,pause",
            "--nemesis-interval",
            "0.4",
            "--seed",
            "11",
        ],
    },
    Scenario {
        name: "seed-b",
        bin: Bin::Part("echo"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "3",
            "--time-limit",
            "5",
            "--rate",
            "5",
            "--nemesis",
            "kill,pause",
            "--nemesis-interval",
            "0.4",
            "--seed",
            "11",
        ],
    },
    // Each node exits with status 3 after 5 echoes; kills come about every 10 s.
    Scenario {
        name: "crash-during-kill",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "3",
            "--time-limit",
            "15",
            "--rate",
            "10",
            "--nemesis",
            "kill",
            "--nemesis-interval",
            "10",
            "--seed",
            "2",
            "--",
            "crash-mid-test",
        ],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// The nemesis ops of kill and pause, as `(f, value)` in history order.
fn node_fault_ops(run: &Run) -> Vec<(String, String)> {
    run.history()
        .iter()
        .filter(|op| at(op, &["process"]) == &Edn::kw("nemesis"))
        .filter_map(|op| {
            let Edn::Keyword(f) = at(op, &["f"]) else {
                return None;
            };
            ["kill", "start", "pause", "resume"]
                .contains(&&**f)
                .then(|| (f.to_string(), edn::compact(at(op, &["value"]))))
        })
        .collect()
}

/// The `init` messages the journal shows delivered to `node`.
fn inits_received(run: &Run, node: &str) -> usize {
    run.stored("journal.jsonl")
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|e| e["kind"] == "recv" && e["type"] == "init" && e["dest"] == node)
        .count()
}

/// A killed node comes back as a new process (more node processes started than nodes) that
/// gets `init` again; the kill is recorded as `:kill`/`:start` ops naming the nodes, it is not
/// reported as a crash, and neither the nodes nor the helpers they started outlive the run.
#[test]
fn a_killed_node_comes_back_with_a_new_process_and_a_second_init() {
    let run = RUNS.wait("kill-echo");
    assert!(
        run.code == Some(0) || run.code == Some(1),
        "{}",
        run.output()
    );
    run.assert_exit(run.code.unwrap_or(-1));
    let ops = node_fault_ops(&run);
    // The first node a kill killed, and a start that started it again.
    let killed = ops
        .iter()
        .filter(|(f, _)| f == "kill")
        .find_map(|(_, v)| {
            let Ok(Edn::Map(entries)) = edn::parse(v) else {
                return None;
            };
            entries.iter().find_map(|(node, word)| match (node, word) {
                (Edn::Str(node), Edn::Keyword(w)) if &**w == "killed" => Some(node.to_string()),
                _ => None,
            })
        })
        .unwrap_or_else(|| panic!("no node killed: {ops:?}"));
    assert!(
        ops.iter()
            .any(|(f, v)| f == "start" && v.contains(&format!("\"{killed}\" :started"))),
        "{ops:?}"
    );
    assert!(
        inits_received(&run, &killed) >= 2,
        "{killed} got init again"
    );
    assert!(
        run.node_pids.len() > 3,
        "new processes: {:?}",
        run.node_pids
    );
    let log = fs::read_to_string(run.cwd.join(format!("store/latest/node-logs/{killed}.log")))
        .unwrap_or_default();
    assert!(
        log.contains(&format!("[maelstrom] {killed} started again (process 2)")),
        "{log}"
    );
    let dir = run.cwd.join(format!("store/latest/nodes/{killed}"));
    assert!(dir.is_dir(), "its own directory");
    // An intended kill is not a crash.
    let results = run.results();
    assert!(results.get("crash").is_none(), "{}", run.output());
    assert!(!run.output().contains("ending the run"), "{}", run.output());
    run.clean();
}

/// A paused node makes its clients time out (`:info`), then answers again once resumed.
#[test]
fn a_paused_node_makes_clients_time_out_then_answers_again() {
    let run = RUNS.wait("pause-echo");
    let history = run.history();
    let resumed = history
        .iter()
        .position(|op| {
            at(op, &["f"]) == &Edn::kw("resume")
                && edn::compact(at(op, &["value"])).contains(":resumed")
        })
        .unwrap_or_else(|| panic!("no resume:\n{}", run.output()));
    let client = |op: &Edn, kind: &str| {
        at(op, &["type"]) == &Edn::kw(kind) && at(op, &["process"]) != &Edn::kw("nemesis")
    };
    let timed_out = history[..resumed]
        .iter()
        .filter(|op| client(op, "info"))
        .count();
    let ok_after = history[resumed..]
        .iter()
        .filter(|op| client(op, "ok"))
        .count();
    assert!(timed_out >= 1, "requests time out during the pause");
    assert!(
        ok_after >= 3,
        "the node answers again: {ok_after} ok after resuming"
    );
    // The checker counts a timed-out echo as an error (Maelstrom's echo checker does too).
    run.assert_invalid();
    assert!(run.results().get("crash").is_none());
    run.clean();
}

/// Every fault is undone before the final reads: the last nemesis ops are the heal, resume and
/// start of every node, no nemesis op comes after the first final read, and every final read
/// is answered.
#[test]
fn faults_are_undone_before_the_final_reads() {
    let run = RUNS.wait("final-g-counter");
    run.assert_exit(run.code.unwrap_or(-1));
    let history = run.history();
    let first_final = history
        .iter()
        .position(|op| op.get("final?") == Some(&Edn::Bool(true)))
        .unwrap_or_else(|| panic!("no final read:\n{}", run.output()));
    let nemesis: Vec<String> = history[..first_final]
        .iter()
        .filter(|op| at(op, &["process"]) == &Edn::kw("nemesis"))
        .map(|op| {
            format!(
                "{} {}",
                edn::compact(at(op, &["f"])),
                edn::compact(at(op, &["value"]))
            )
        })
        .collect();
    let last: Vec<&str> = nemesis[nemesis.len() - 6..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        &last[..3],
        [
            ":stop-partition nil",
            ":stop-partition :network-healed",
            ":resume :all"
        ]
    );
    assert_eq!(last[4], ":start :all");
    assert!(!last[5].contains(":failed"), "{last:?}");
    assert!(
        history[first_final..]
            .iter()
            .all(|op| at(op, &["process"]) != &Edn::kw("nemesis")),
        "no fault during the final phase"
    );
    let final_ok = history[first_final..]
        .iter()
        .filter(|op| {
            op.get("final?") == Some(&Edn::Bool(true)) && at(op, &["type"]) == &Edn::kw("ok")
        })
        .count();
    assert_eq!(
        final_ok,
        3,
        "each node answers its final read:\n{}",
        run.output()
    );
    run.clean();
}

/// Two runs with the same seed inject the same faults against the same nodes, in the same order
/// (each fault runs on its own thread, so only the interleaving of kill and pause ops may differ).
#[test]
fn a_seeded_run_repeats_its_fault_schedule() {
    let (a, b) = (RUNS.wait("seed-a"), RUNS.wait("seed-b"));
    for fault in [["kill", "start"], ["pause", "resume"]] {
        let own = |run: &Run| -> Vec<(String, String)> {
            node_fault_ops(run)
                .into_iter()
                .filter(|(f, _)| fault.contains(&f.as_str()))
                .collect()
        };
        let (ops_a, ops_b) = (own(&a), own(&b));
        let common = ops_a.len().min(ops_b.len());
        assert!(common >= 6, "{ops_a:?}");
        // Near the time limit one run may fit one more step (invocation and completion).
        assert!(
            ops_a.len().abs_diff(ops_b.len()) <= 2,
            "{ops_a:?}\n{ops_b:?}"
        );
        assert_eq!(ops_a[..common], ops_b[..common]);
    }
    for run in [a, b] {
        run.assert_exit(run.code.unwrap_or(-1));
        run.clean();
    }
}

/// A node that exits by itself during a kill run is still reported as a crash, with its own
/// exit status, and nothing is left running after the failed run.
#[test]
fn a_node_exiting_by_itself_during_a_kill_run_is_a_crash() {
    let run = RUNS.wait("crash-during-kill");
    run.assert_invalid();
    let output = run.output();
    assert!(output.contains("exit status 3"), "{output}");
    assert!(!output.contains("signal 9"), "{output}");
    assert!(run.results().get("crash").is_some());
    run.clean();
}

/// Interrupted while a node is paused: the paused node (and its helpers, stopped with it) is
/// continued and killed; nothing is left, stopped or not, and the run exits 130.
#[test]
fn an_interrupted_run_with_a_paused_node_leaves_nothing() {
    let bin = Bin::Example("misbehave").path().expect("misbehave builds");
    let mut args = strings(&[
        "test",
        "-w",
        "echo",
        "--node-count",
        "2",
        "--time-limit",
        "60",
    ]);
    args.extend(strings(&[
        "--nemesis",
        "pause",
        "--nemesis-interval",
        "0.5",
        "--bin",
    ]));
    args.push(bin.display().to_string());
    args.extend(strings(&["--", "helpers"]));
    let Spawned { cwd, tag, child } = spawn("interrupted-pause", &args);
    let mut runner = child.expect("runner starts");
    let stopped = |pid: &u32| {
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, rest)| rest.trim_start().starts_with('T'))
            })
            .unwrap_or(false)
    };
    // Interrupt as soon as a node (or a helper in its group) is seen stopped.
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut seen_paused = false;
    while !seen_paused && Instant::now() < deadline {
        seen_paused = tagged_processes(&tag).iter().any(stopped);
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = stop_with(&mut runner, "-INT");
    assert!(seen_paused, "a node was paused");
    assert_eq!(status.code(), Some(130));
    assert_eq!(support::leftover_nodes(&tag), Vec::<u32>::new());
    let _ = fs::remove_dir_all(cwd);
}

/// An unknown fault is an argument error that lists the faults there are.
#[test]
fn an_unknown_fault_lists_the_faults() {
    let run = support::run(
        "unknown-fault",
        &support::strings(&["test", "--bin", "x", "--nemesis", "kill,crash"]),
    );
    run.assert_exit(254);
    assert!(
        run.output()
            .contains("Must be one of partition, pause, kill"),
        "{}",
        run.output()
    );
    run.clean();
}

/// Interrupted while a killed node is being started again and has not answered `init` yet: the
/// restart was cut short by the run's end, not failed, so no crash is recorded and nothing
/// names the node as crashed; the run exits 130.
#[test]
fn an_interrupted_restart_is_not_a_crash() {
    let bin = Bin::Example("misbehave").path().expect("misbehave builds");
    let mut args = strings(&["test", "-w", "echo", "--node-count", "2"]);
    args.extend(strings(&["--time-limit", "30", "--nemesis", "kill"]));
    args.extend(strings(&[
        "--nemesis-interval",
        "1",
        "--seed",
        "3",
        "--bin",
    ]));
    args.push(bin.display().to_string());
    args.extend(strings(&["--", "silent-reinit"]));
    let Spawned { cwd, child, .. } = spawn("interrupted-restart", &args);
    let mut runner = child.expect("runner starts");
    // Interrupt once a node started again says it is not answering init.
    let waiting = || {
        fs::read_dir(cwd.join("store/current/node-logs"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|log| {
                fs::read_to_string(log.path()).is_ok_and(|text| text.contains("not answering init"))
            })
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut restarting = false;
    while !restarting && Instant::now() < deadline {
        restarting = waiting();
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = stop_with(&mut runner, "-INT");
    assert!(restarting, "a node was started again");
    let output = fs::read_to_string(cwd.join("stdout.txt")).unwrap_or_default()
        + &fs::read_to_string(cwd.join("stderr.txt")).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{output}");
    assert!(!output.contains("could not be started again"), "{output}");
    assert!(!output.contains("crashed"), "{output}");
    let results = fs::read_to_string(cwd.join("store/latest/results.edn")).expect("results");
    assert!(!results.contains(":crash"), "{results}");
    assert!(results.contains(":interrupted"), "{results}");
    let _ = fs::remove_dir_all(cwd);
}
