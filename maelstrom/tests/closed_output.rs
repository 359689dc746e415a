//! End-to-end: the runner keeps going when its output is closed under it, as with
//! `maelstrom/maelstrom test ... | head`. A panic there would abandon the test halfway (exit 101,
//! no results); instead the test finishes, its results are stored, and the exit status is the
//! verdict's.

mod support;

use std::process::{Command, Stdio};

use maelstrom::edn::Edn;
use support::{at, leftover_nodes, work_dir, Bin};

/// What the runner did when its stdout (and maybe its stderr) was closed early.
struct ClosedRun {
    code: Option<i32>,
    /// stderr, when it was left open.
    stderr: String,
    results: Result<Edn, String>,
}

/// Runs a short echo test whose stdout is a pipe closed right after the start (the first line
/// on stdout, the results, comes seconds later); stderr too when `close_stderr`.
#[track_caller]
fn run_with_closed_output(name: &str, close_stderr: bool) -> ClosedRun {
    let echo = Bin::Part("echo").path().unwrap_or_else(|e| panic!("{e}"));
    let cwd = work_dir(name);
    let tag = format!("closed-output-{}-{name}", std::process::id());
    let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args([
            "test",
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
        ])
        .arg("--bin")
        .arg(&echo)
        .current_dir(&cwd)
        .env("MAELSTROM_E2E_TAG", &tag)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("can't start the runner: {e}"));
    // Closing our read ends makes the runner's writes fail with EPIPE.
    drop(child.stdout.take());
    let stderr_pipe = child.stderr.take();
    let stderr = match stderr_pipe {
        Some(pipe) if !close_stderr => std::io::read_to_string(pipe).unwrap_or_default(),
        _ => String::new(),
    };
    let status = child
        .wait()
        .unwrap_or_else(|e| panic!("can't wait for the runner: {e}"));
    assert!(
        leftover_nodes(&tag).is_empty(),
        "{name}: nodes left running"
    );
    let path = cwd.join("store/latest/results.edn");
    let results = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|text| maelstrom::edn::parse(&text));
    let _ = std::fs::remove_dir_all(&cwd);
    ClosedRun {
        code: status.code(),
        stderr,
        results,
    }
}

/// A closed stdout: no panic, the valid echo test exits 0 and stores its results.
#[test]
fn closed_stdout_does_not_stop_the_test() {
    let run = run_with_closed_output("stdout", false);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, Some(0), "stderr:\n{}", run.stderr);
    let results = run.results.unwrap_or_else(|e| panic!("no results: {e}"));
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true));
}

/// Closed stdout and stderr (the status lines go to stderr): still no panic, exit 0, results.
#[test]
fn closed_stdout_and_stderr_do_not_stop_the_test() {
    let run = run_with_closed_output("both", true);
    assert_eq!(run.code, Some(0));
    let results = run.results.unwrap_or_else(|e| panic!("no results: {e}"));
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true));
}
