//! End-to-end tests of the runner binary: argument errors, every part passing, and nodes that
//! misbehave on purpose (`examples/misbehave.rs`) judged as the spec says (spec 0, issue 3).
//!
//! Each run happens in its own temporary working directory (so `store/` lands there) with short
//! time limits. The slow runs (broadcast always sleeps 10 s for recovery) are all started
//! together, in background threads, the first time any test asks for one; each test then waits
//! for its own run. So the suite takes about as long as its slowest run, not their sum.
//!
//! After every run the tests look for node processes left behind: the runner is started with a
//! unique `MAELSTROM_E2E_TAG` environment variable, which node processes inherit (spec 3.1), and
//! `/proc/*/environ` is scanned for it. Misbehaving nodes also drop a file named after their pid
//! into `MISBEHAVE_PID_DIR`, which proves the nodes did start.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use maelstrom::edn::{self, Edn};

/// A run that takes longer than this is killed and fails its test.
const RUN_TIMEOUT: Duration = Duration::from_secs(150);

/// The verdict lines of spec 1.7.
const VALID: &str = "Everything looks good! ヽ(‘ー`)ノ";
const INVALID: &str = "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻";

/// What one run of the runner produced.
#[derive(Debug, Clone)]
struct Run {
    name: String,
    /// Exit status (`None`: killed by a signal, or by us after the timeout).
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The run's working directory (kept for inspection when a test fails).
    cwd: PathBuf,
    /// Pids of node processes still alive after the runner exited (killed by the test since).
    leftovers: Vec<u32>,
    /// Pids misbehaving nodes wrote to `MISBEHAVE_PID_DIR`.
    node_pids: Vec<u32>,
    timed_out: bool,
}

impl Run {
    /// stdout and stderr together, for messages whose stream the spec leaves open.
    fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// `store/latest/results.edn`, parsed.
    #[track_caller]
    fn results(&self) -> Edn {
        let path = self.cwd.join("store/latest/results.edn");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: no {}: {e}\n{}",
                self.name,
                path.display(),
                self.output()
            )
        });
        edn::parse(&text)
            .unwrap_or_else(|e| panic!("{}: results.edn does not parse: {e}\n{text}", self.name))
    }

    /// Fails unless the runner exited with `code`, no node was left running, and the run was
    /// not killed for taking too long.
    #[track_caller]
    fn assert_exit(&self, code: i32) {
        assert!(
            !self.timed_out,
            "{}: the runner took longer than {RUN_TIMEOUT:?}",
            self.name
        );
        assert_eq!(
            self.code,
            Some(code),
            "{}: exit status; output:\n{}",
            self.name,
            self.output()
        );
        assert!(
            self.leftovers.is_empty(),
            "{}: node processes left running after the runner exited: {:?}",
            self.name,
            self.leftovers
        );
    }

    /// Removes the working directory (call at the end of a passing test).
    fn clean(&self) {
        let _ = fs::remove_dir_all(&self.cwd);
    }
}

/// Follows a path of keywords into nested maps: `at(&results, &["workload", "valid?"])`.
#[track_caller]
fn at<'a>(value: &'a Edn, path: &[&str]) -> &'a Edn {
    path.iter().fold(value, |v, key| {
        v.get(key)
            .unwrap_or_else(|| panic!("no {key:?} along {path:?} in {}", edn::pretty(value)))
    })
}

#[track_caller]
fn int(value: &Edn) -> i64 {
    match value {
        Edn::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Items of a list, vector or set.
#[track_caller]
fn items(value: &Edn) -> &[Edn] {
    match value {
        Edn::List(v) | Edn::Vector(v) | Edn::Set(v) => v,
        other => panic!("expected a collection, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Binaries

/// The workspace root (this crate's parent directory).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// `target/<profile>`, where cargo put the runner under test.
fn profile_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_maelstrom"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Builds with cargo (same profile as the runner under test) and returns the artifact's path.
/// Builds are serialized and remembered, so each binary is built at most once per test process.
fn build(cargo_args: &[&str], artifact: PathBuf) -> Result<PathBuf, String> {
    static BUILT: OnceLock<Mutex<HashMap<PathBuf, Result<PathBuf, String>>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(done) = built.get(&artifact) {
        return done.clone();
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("-q")
        .args(cargo_args)
        .current_dir(workspace());
    if profile_dir().file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let result = match cmd.output() {
        Ok(out) if out.status.success() && artifact.exists() => Ok(artifact.clone()),
        Ok(out) => Err(format!(
            "cargo build {cargo_args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("can't run cargo: {e}")),
    };
    built.insert(artifact, result.clone());
    result
}

/// A part's binary (`echo`, `broadcast-3b`, ...), built if needed.
fn part(name: &str) -> Result<PathBuf, String> {
    build(&["-p", name], profile_dir().join(name))
}

/// The misbehaving node of `examples/misbehave.rs`.
fn misbehave() -> Result<PathBuf, String> {
    build(
        &["-p", "maelstrom", "--example", "misbehave"],
        profile_dir().join("examples").join("misbehave"),
    )
}

// ---------------------------------------------------------------------------------------------
// Running the runner

/// A fresh working directory for one run.
fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("maelstrom-e2e-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::create_dir_all(dir.join("pids"));
    dir
}

/// Runs the runner with `args` in a fresh directory and collects what it did.
fn run(name: &str, args: &[String]) -> Run {
    let cwd = work_dir(name);
    let tag = format!("{}-{name}", std::process::id());
    let spawned = (|| -> std::io::Result<_> {
        Command::new(env!("CARGO_BIN_EXE_maelstrom"))
            .args(args)
            .current_dir(&cwd)
            .env("MAELSTROM_E2E_TAG", &tag)
            .env("MISBEHAVE_PID_DIR", cwd.join("pids"))
            .stdin(Stdio::null())
            .stdout(fs::File::create(cwd.join("stdout.txt"))?)
            .stderr(fs::File::create(cwd.join("stderr.txt"))?)
            .spawn()
    })();
    let mut run = Run {
        name: name.to_string(),
        code: None,
        stdout: String::new(),
        stderr: String::new(),
        cwd: cwd.clone(),
        leftovers: Vec::new(),
        node_pids: Vec::new(),
        timed_out: false,
    };
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            run.stderr = format!("test harness: can't start the runner: {e}");
            return run;
        }
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                run.code = status.code();
                break;
            }
            Ok(None) if started.elapsed() > RUN_TIMEOUT => {
                run.timed_out = true;
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                run.stderr = format!("test harness: waiting for the runner failed: {e}");
                break;
            }
        }
    }
    run.stdout = fs::read_to_string(cwd.join("stdout.txt")).unwrap_or_default();
    run.stderr
        .push_str(&fs::read_to_string(cwd.join("stderr.txt")).unwrap_or_default());
    run.leftovers = leftover_nodes(&tag);
    run.node_pids = fs::read_dir(cwd.join("pids"))
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    run
}

/// Live processes (zombies excluded) whose environment carries `MAELSTROM_E2E_TAG=<tag>`.
fn tagged_processes(tag: &str) -> Vec<u32> {
    let needle = format!("MAELSTROM_E2E_TAG={tag}\0");
    let Ok(proc_dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    proc_dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let environ = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let alive = fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, rest)| rest.trim_start().to_string())
                })
                .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'));
            alive
                && environ
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes())
        })
        .collect()
}

/// Node processes still running once the runner is gone (after a grace second for reaping);
/// they are killed so that a failing test leaves nothing behind either.
fn leftover_nodes(tag: &str) -> Vec<u32> {
    if tagged_processes(tag).is_empty() {
        return Vec::new();
    }
    std::thread::sleep(Duration::from_secs(1));
    let left = tagged_processes(tag);
    for pid in &left {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    left
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// The slow runs, started together

/// How to start one slow run: the node binary, then the runner arguments (after `test`).
struct Scenario {
    name: &'static str,
    bin: fn() -> Result<PathBuf, String>,
    args: &'static [&'static str],
}

fn echo_bin() -> Result<PathBuf, String> {
    part("echo")
}
fn unique_ids_bin() -> Result<PathBuf, String> {
    part("unique-ids")
}
fn broadcast_3a_bin() -> Result<PathBuf, String> {
    part("broadcast-3a")
}
fn broadcast_3b_bin() -> Result<PathBuf, String> {
    part("broadcast-3b")
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "echo",
        bin: echo_bin,
        args: &["-w", "echo", "--node-count", "1", "--time-limit", "3"],
    },
    Scenario {
        name: "unique-ids",
        bin: unique_ids_bin,
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
        bin: broadcast_3a_bin,
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
        bin: broadcast_3b_bin,
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
        bin: broadcast_3a_bin,
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
        bin: misbehave,
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
        bin: misbehave,
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
        bin: misbehave,
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
        name: "crash-mid-test",
        bin: misbehave,
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
        name: "non-json",
        bin: misbehave,
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
        name: "silent-init",
        bin: misbehave,
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
];

/// A run's result, filled in by its background thread.
type Slot = Arc<(Mutex<Option<Result<Run, String>>>, Condvar)>;

/// Starts every scenario (once per test process) and returns their slots.
fn slots() -> &'static HashMap<&'static str, Slot> {
    static SLOTS: OnceLock<HashMap<&'static str, Slot>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let mut slots = HashMap::new();
        for scenario in SCENARIOS {
            let slot: Slot = Arc::new((Mutex::new(None), Condvar::new()));
            slots.insert(scenario.name, Arc::clone(&slot));
            std::thread::spawn(move || {
                let result = (scenario.bin)().map(|bin| {
                    let mut args = strings(&["test", "--bin"]);
                    args.push(bin.display().to_string());
                    args.extend(strings(scenario.args));
                    run(scenario.name, &args)
                });
                let (lock, ready) = &*slot;
                *lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                ready.notify_all();
            });
        }
        slots
    })
}

/// Waits for the named scenario's run.
#[track_caller]
fn scenario(name: &str) -> Run {
    let slot = slots()
        .get(name)
        .unwrap_or_else(|| panic!("no scenario {name}"));
    let (lock, ready) = &**slot;
    let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
    while guard.is_none() {
        guard = ready.wait(guard).unwrap_or_else(|e| e.into_inner());
    }
    match guard.as_ref() {
        Some(Ok(run)) => run.clone(),
        Some(Err(e)) => panic!("{name}: could not build the node binary: {e}"),
        None => unreachable!("waited until the slot was filled"),
    }
}

// ---------------------------------------------------------------------------------------------
// Argument errors and other quick exits

/// No command prints Jepsen's usage and exits 254.
#[test]
fn no_command_is_usage_254() {
    let run = run("no-command", &[]);
    run.assert_exit(254);
    assert!(
        run.stdout
            .starts_with("Usage: lein run -- COMMAND [OPTIONS ...]\nCommands: "),
        "{}",
        run.output()
    );
    run.clean();
}

/// Each argument error prints tools.cli's text on stdout and exits 254.
#[test]
fn argument_errors_exit_254() {
    let cases: &[(&[&str], &str)] = &[
        (&["test", "-w", "echo"], "Expected a --bin PATH_TO_BINARY to test"),
        (&["test", "--bin", "x", "--rate", "-1"], "Failed to validate \"--rate -1\": Can't be negative"),
        (&["test", "--bin", "x", "--foo"], "Unknown option: \"--foo\""),
        (&["test", "--bin", "x", "--rate"], "Missing required argument for \"--rate RATE\""),
        (
            &["test", "--bin", "x", "--time-limit", "abc"],
            "Error while parsing option \"--time-limit abc\": java.lang.NumberFormatException: For input string: \"abc\"",
        ),
        (&["test", "--bin", "x", "--nodes", "n1,c1"], "Invalid node name \"c1\""),
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

/// A workload Maelstrom knows but we don't support yet is rejected with a clear text, exit 254.
#[test]
fn unsupported_workload_exits_254() {
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
        run.output().contains("not supported yet"),
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

/// `serve` says clearly that it is not implemented yet.
#[test]
fn serve_says_not_implemented() {
    let run = run("serve", &strings(&["serve"]));
    assert!(!run.timed_out, "serve must not wait for requests yet");
    assert!(
        run.output().to_lowercase().contains("not implemented"),
        "{}",
        run.output()
    );
    assert_ne!(run.code, Some(0), "an unimplemented command can't succeed");
    run.clean();
}

// ---------------------------------------------------------------------------------------------
// Every part passes

/// The echo part is valid under the runner.
#[test]
fn echo_part_passes() {
    let run = scenario("echo");
    run.assert_exit(0);
    assert!(run.stdout.contains(VALID), "{}", run.output());
    let results = run.results();
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true));
    assert!(int(at(&results, &["stats", "ok-count"])) > 0);
    run.clean();
}

/// The unique-ids part is valid, with every op acknowledged despite partitions.
#[test]
fn unique_ids_part_passes() {
    let run = scenario("unique-ids");
    run.assert_exit(0);
    assert!(run.stdout.contains(VALID), "{}", run.output());
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
    let run = scenario("broadcast-3a");
    run.assert_exit(0);
    assert!(run.stdout.contains(VALID), "{}", run.output());
    assert_eq!(
        at(&run.results(), &["workload", "lost-count"]),
        &Edn::Int(0)
    );
    run.clean();
}

/// broadcast-3b on five nodes is valid, with the message counts of spec 12.1-12.2.
#[test]
fn broadcast_3b_part_passes_with_spec_message_counts() {
    let run = scenario("broadcast-3b");
    run.assert_exit(0);
    assert!(run.stdout.contains(VALID), "{}", run.output());
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

/// Single-node broadcast code on five nodes loses values: invalid, exit 1 (issue 3 acceptance).
#[test]
fn broadcast_3a_on_five_nodes_is_invalid() {
    let run = scenario("broadcast-3a-on-five-nodes");
    run.assert_exit(1);
    assert!(run.stdout.contains(INVALID), "{}", run.output());
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
    let run = scenario("wrong-echo");
    run.assert_exit(1);
    assert_nodes_started(&run, 1);
    assert!(run.stdout.contains(INVALID), "{}", run.output());
    let results = run.results();
    assert_eq!(at(&results, &["workload", "valid?"]), &Edn::Bool(false));
    assert!(!items(at(&results, &["workload", "errors"])).is_empty());
    assert!(edn::compact(at(&results, &["workload", "errors"])).contains("(altered)"));
    run.clean();
}

/// Nodes handing out the same ids are caught as duplicates.
#[test]
fn duplicate_ids_are_invalid() {
    let run = scenario("duplicate-ids");
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
    let run = scenario("forget-broadcast");
    run.assert_exit(1);
    assert_nodes_started(&run, 1);
    assert!(run.stdout.contains(INVALID), "{}", run.output());
    let results = run.results();
    let lost = items(at(&results, &["workload", "lost"]));
    assert!(!lost.is_empty(), "{}", edn::pretty(&results));
    assert!(
        lost.iter().all(|v| int(v) % 3 == 0),
        "only multiples of 3 were dropped: {lost:?}"
    );
    run.clean();
}

/// A node that dies mid-test is reported at once with its exit status and last stderr lines;
/// results are still written, with :crash, and the verdict is invalid (spec 0).
#[test]
fn crash_mid_test_is_reported() {
    let run = scenario("crash-mid-test");
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

/// A non-JSON stdout line is an error naming the node and quoting the line; invalid (spec 0).
#[test]
fn non_json_line_is_a_protocol_error() {
    let run = scenario("non-json");
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

/// A node that never answers init fails setup with Maelstrom's text, exit 255, nodes stopped.
#[test]
fn silent_init_fails_setup() {
    let run = scenario("silent-init");
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
    let seen = tagged_processes(&tag);
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
