//! Helpers shared by the runner's end-to-end tests (`e2e.rs`, `broadcast_parts.rs`, ...): build
//! node binaries with cargo, run the runner in a private working directory, read its results and
//! the files of its run, and find node processes it left behind.
//!
//! Each run happens in its own temporary working directory (so `store/` lands there). The runner
//! is started with a unique `MAELSTROM_E2E_TAG` environment variable, which node processes
//! inherit (`src/maelstrom/process.clj`), so after a run `/proc/*/environ` is scanned for it: any live process
//! carrying the tag is a node the runner failed to stop. Misbehaving nodes also drop a file
//! named after their pid into `MISBEHAVE_PID_DIR`, which proves the nodes did start.
//!
//! Slow runs (broadcast always sleeps 10 s for recovery) are described as `Scenario`s and
//! started together by `Runs::start`, each in a background thread; a test then waits for its
//! own run. So a suite takes about as long as its slowest run, not their sum, whatever
//! `--test-threads` is.

// Each test crate compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use maelstrom::edn::{self, Edn};

/// A run that takes longer than this is killed and fails its test.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(150);

/// The verdict lines of `jepsen.cli`.
pub const VALID: &str = "Everything looks good! ヽ(‘ー`)ノ";
pub const INVALID: &str = "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻";

/// What one run of the runner produced.
#[derive(Debug, Clone)]
pub struct Run {
    pub name: String,
    /// Exit status (`None`: killed by a signal, or by us after the timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The run's working directory (kept for inspection when a test fails).
    pub cwd: PathBuf,
    /// Pids of node processes still alive after the runner exited (killed by the test since).
    pub leftovers: Vec<u32>,
    /// Pids misbehaving nodes wrote to `MISBEHAVE_PID_DIR`.
    pub node_pids: Vec<u32>,
    pub timed_out: bool,
    /// How long the runner ran (printed by tests that report timings).
    pub elapsed: Duration,
}

impl Run {
    /// stdout and stderr together, for messages whose stream the spec leaves open.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The text of `store/latest/<file>`; fails the test if there is none.
    #[track_caller]
    pub fn stored(&self, file: &str) -> String {
        let path = self.cwd.join("store/latest").join(file);
        fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: no {}: {e}\n{}",
                self.name,
                path.display(),
                self.output()
            )
        })
    }

    /// `store/latest/results.edn`, parsed.
    #[track_caller]
    pub fn results(&self) -> Edn {
        let text = self.stored("results.edn");
        edn::parse(&text)
            .unwrap_or_else(|e| panic!("{}: results.edn does not parse: {e}\n{text}", self.name))
    }

    /// `store/latest/history.edn` (one op per line, `jepsen.store`), each line parsed.
    #[track_caller]
    pub fn history(&self) -> Vec<Edn> {
        self.stored("history.edn")
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                edn::parse(line).unwrap_or_else(|e| {
                    panic!(
                        "{}: history.edn line {} does not parse: {e}\n{line}",
                        self.name,
                        i + 1
                    )
                })
            })
            .collect()
    }

    /// Fails unless the runner exited with `code`, no node was left running, and the run was
    /// not killed for taking too long.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) {
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

    /// Fails unless the run passed: exit 0 (see `assert_exit`) and the valid verdict on stdout.
    #[track_caller]
    pub fn assert_valid(&self) {
        self.assert_exit(0);
        assert!(self.stdout.contains(VALID), "{}", self.output());
    }

    /// Fails unless the run was judged invalid: exit 1 (see `assert_exit`) and the invalid
    /// verdict on stdout.
    #[track_caller]
    pub fn assert_invalid(&self) {
        self.assert_exit(1);
        assert!(self.stdout.contains(INVALID), "{}", self.output());
    }

    /// Removes the working directory (call at the end of a passing test).
    pub fn clean(&self) {
        let _ = fs::remove_dir_all(&self.cwd);
    }

    /// The keys a lin-kv run's workload names under `:failures`.
    #[track_caller]
    pub fn failures(&self) -> Vec<Edn> {
        items(at(&self.results(), &["workload", "failures"])).to_vec()
    }

    /// Fails unless the nemesis started partitions and they dropped messages between the
    /// nodes, so that a valid verdict means the part recovered from real losses; `results` are
    /// the run's.
    #[track_caller]
    pub fn assert_partitions_dropped_messages(&self, results: &Edn) {
        let partitions = self
            .history()
            .iter()
            .filter(|op| {
                op.get("process") == Some(&Edn::kw("nemesis"))
                    && op.get("f") == Some(&Edn::kw("start-partition"))
            })
            .count();
        assert!(
            partitions > 0,
            "{}: no :start-partition in history.edn",
            self.name
        );
        let sent = int(at(results, &["net", "servers", "send-count"]));
        let received = int(at(results, &["net", "servers", "recv-count"]));
        assert!(
            sent > received,
            "{}: {partitions} partitions but no server message was dropped ({sent} sent, \
             {received} received)",
            self.name
        );
    }
}

/// What one quick command of the runner (`analyze`, `serve` that fails at once) printed, and
/// its exit status.
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// stdout and stderr together.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// How many times a verdict line was printed.
    pub fn count(&self, verdict: &str) -> usize {
        self.stdout.lines().filter(|l| *l == verdict).count()
    }
}

/// Runs the runner with `args` in `cwd` and waits for it (for commands that end by
/// themselves; a test run goes through [`run`]).
pub fn maelstrom_in(cwd: &Path, args: &[&str]) -> Finished {
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run the runner");
    Finished {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Follows a path of keywords into nested maps: `at(&results, &["workload", "valid?"])`.
#[track_caller]
pub fn at<'a>(value: &'a Edn, path: &[&str]) -> &'a Edn {
    path.iter().fold(value, |v, key| {
        v.get(key)
            .unwrap_or_else(|| panic!("no {key:?} along {path:?} in {}", edn::pretty(value)))
    })
}

#[track_caller]
pub fn int(value: &Edn) -> i64 {
    match value {
        Edn::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Any EDN number as an `f64` (`:msgs-per-op` is a float, latencies are integers).
#[track_caller]
pub fn number(value: &Edn) -> f64 {
    match value {
        Edn::Int(i) => *i as f64,
        Edn::Float(x) => *x,
        Edn::Float32(x) => f64::from(*x),
        other => panic!("expected a number, got {other:?}"),
    }
}

/// Items of a list, vector or set.
#[track_caller]
pub fn items(value: &Edn) -> &[Edn] {
    match value {
        Edn::List(v) | Edn::Vector(v) | Edn::Set(v) => v,
        other => panic!("expected a collection, got {other:?}"),
    }
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Binaries

/// The workspace root (this crate's parent directory).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// `target/<profile>`, where cargo put the runner under test.
pub fn profile_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_maelstrom"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Builds with cargo (same profile as the runner under test) and returns the artifact's path.
/// Builds are serialized and remembered, so each binary is built at most once per test process.
pub fn build(cargo_args: &[&str], artifact: PathBuf) -> Result<PathBuf, String> {
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

/// A node binary a scenario runs.
#[derive(Debug, Clone, Copy)]
pub enum Bin {
    /// A part's binary (`echo`, `broadcast-3b`, ...): `cargo build -p <name>`.
    Part(&'static str),
    /// An example of this crate (`misbehave`): `cargo build -p maelstrom --example <name>`.
    Example(&'static str),
}

impl Bin {
    /// The binary's path, built if needed.
    pub fn path(self) -> Result<PathBuf, String> {
        match self {
            Bin::Part(name) => build(&["-p", name], profile_dir().join(name)),
            Bin::Example(name) => build(
                &["-p", "maelstrom", "--example", name],
                profile_dir().join("examples").join(name),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the runner

/// A fresh working directory for one run.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("maelstrom-e2e-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::create_dir_all(dir.join("pids"));
    dir
}

/// A runner started in the background by [`spawn`].
pub struct Spawned {
    /// Its working directory ([`work_dir`]), holding `stdout.txt`, `stderr.txt` and `pids/`.
    pub cwd: PathBuf,
    /// Its `MAELSTROM_E2E_TAG`, which its nodes inherit ([`tagged_processes`]).
    pub tag: String,
    /// The runner's process, or why it could not start.
    pub child: std::io::Result<Child>,
}

/// Starts the runner with `args` in a fresh working directory, tagged, with misbehaving
/// nodes' pids going to `pids/` and its stdout and stderr to `stdout.txt` and `stderr.txt`.
pub fn spawn(name: &str, args: &[String]) -> Spawned {
    let cwd = work_dir(name);
    let tag = format!("{}-{name}", std::process::id());
    let child = (|| -> std::io::Result<_> {
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
    Spawned { cwd, tag, child }
}

/// Sends the runner `signal` (`"-INT"`, `"-TERM"`) and waits for it to exit.
pub fn stop_with(runner: &mut Child, signal: &str) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args([signal, &runner.id().to_string()])
        .status();
    runner.wait().expect("runner exits")
}

/// Runs the runner with `args` in a fresh directory and collects what it did.
pub fn run(name: &str, args: &[String]) -> Run {
    let Spawned { cwd, tag, child } = spawn(name, args);
    let mut run = Run {
        name: name.to_string(),
        code: None,
        stdout: String::new(),
        stderr: String::new(),
        cwd: cwd.clone(),
        leftovers: Vec::new(),
        node_pids: Vec::new(),
        timed_out: false,
        elapsed: Duration::ZERO,
    };
    let mut child = match child {
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
    run.elapsed = started.elapsed();
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
pub fn tagged_processes(tag: &str) -> Vec<u32> {
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
pub fn leftover_nodes(tag: &str) -> Vec<u32> {
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

// ---------------------------------------------------------------------------------------------
// The slow runs, started together

/// How to start one slow run: the node binary, then the runner arguments (after `test`).
pub struct Scenario {
    pub name: &'static str,
    pub bin: Bin,
    pub args: &'static [&'static str],
}

/// A test crate's scenarios, started together the first time a test waits for one:
/// `static RUNS: Scenarios = Scenarios::new(SCENARIOS);`, then `RUNS.wait("echo")`.
pub struct Scenarios {
    list: &'static [Scenario],
    runs: OnceLock<Runs>,
}

impl Scenarios {
    pub const fn new(list: &'static [Scenario]) -> Scenarios {
        Scenarios {
            list,
            runs: OnceLock::new(),
        }
    }

    /// Waits for the named scenario's run (starting them all the first time), and says on
    /// stderr how long the runner took (shown with a failing test, or with `--nocapture`).
    #[track_caller]
    pub fn wait(&self, name: &str) -> Run {
        let run = self.runs.get_or_init(|| Runs::start(self.list)).wait(name);
        eprintln!("{name}: the runner took {:.1?}", run.elapsed);
        run
    }
}

/// A run's result, filled in by its background thread.
type Slot = Arc<(Mutex<Option<Result<Run, String>>>, Condvar)>;

/// Every scenario of a test crate, each running (or done) in its own background thread.
pub struct Runs {
    slots: HashMap<&'static str, Slot>,
}

impl Runs {
    /// Builds each scenario's binary and starts its run, all in background threads. A test
    /// crate keeps them in a static [`Scenarios`] so the runs start once, when the first test
    /// asks for one.
    pub fn start(scenarios: &'static [Scenario]) -> Runs {
        let mut slots = HashMap::new();
        for scenario in scenarios {
            let slot: Slot = Arc::new((Mutex::new(None), Condvar::new()));
            slots.insert(scenario.name, Arc::clone(&slot));
            std::thread::spawn(move || {
                let result = scenario.bin.path().map(|bin| {
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
        Runs { slots }
    }

    /// Waits for the named scenario's run.
    #[track_caller]
    pub fn wait(&self, name: &str) -> Run {
        let slot = self
            .slots
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
}
