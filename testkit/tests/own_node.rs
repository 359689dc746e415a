//! End to end: the README's "Write your own node" path, as a reader takes it, in a temporary
//! copy of this repository: `make new NAME=my-echo FROM=echo`, `cargo test -p my-echo`,
//! `make run MODULE=my-echo WORKLOAD=echo` passes; a broken `my-echo` makes the same command
//! fail with the runner's "Analysis invalid!"; and the README's Python node passes the echo
//! workload too.
//!
//! It lives here because testkit is the workspace's test crate; it drives `make`, `cargo` and
//! the runner, not a node.
//!
//! Cost, kept small: the copy is the repository's tracked and unignored files (no `target/`,
//! no `.git`), so nothing here touches the repository itself. Builds in the copy use this
//! workspace's target directory, so only `common` and `my-echo` are compiled, not their
//! dependencies (on a fresh clone, the first run also compiles the five node dependencies in
//! release mode, about a minute on two cores). The runner is the debug build `cargo test`
//! already made, passed as `MAELSTROM=`, so no release build of it either. The echo workload
//! has no recovery sleep, and `ARGS='--time-limit 2'` keeps each run to about two seconds.
//! Altogether about 20 s of CPU on a warm target directory (three small builds, three short
//! runs); 50 s of wall-clock time on the busy 2-core machine it was written on.
//!
//! A failing test leaves its temporary directory (named in its output) for a closer look.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

/// The runner's verdict lines.
const VALID: &str = "Everything looks good!";
const INVALID: &str = "Analysis invalid!";

/// The repository: the parent of this crate's folder.
fn repository() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The target directory this test was built in (`<target>/debug/deps/own_node-...`).
#[track_caller]
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no current_exe: {e}"));
    match exe.ancestors().nth(3) {
        Some(dir) => dir.to_path_buf(),
        None => panic!("cannot find the target directory above {}", exe.display()),
    }
}

/// Runs `program args` in `dir` with `CARGO_TARGET_DIR` set to this workspace's target
/// directory and returns what it did; panics only if it cannot start.
#[track_caller]
fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output();
    output.unwrap_or_else(|e| panic!("cannot run {program} {args:?} in {}: {e}", dir.display()))
}

/// stdout and stderr of `output`, for assertions and failure messages.
fn text(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    format!("--- stdout\n{stdout}\n--- stderr\n{stderr}")
}

/// Runs `program args` in `dir` and panics unless it succeeds; returns its output.
#[track_caller]
fn succeed(dir: &Path, program: &str, args: &[&str]) -> Output {
    let output = run(dir, program, args);
    let status = output.status;
    assert!(
        status.success(),
        "{program} {args:?} failed ({status}):\n{}",
        text(&output)
    );
    output
}

/// A fresh directory under the system's temporary directory.
#[track_caller]
fn temp_dir(label: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("{label}-{}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Copies the repository's tracked and unignored files (as `git ls-files` lists them, with
/// their current content) into `dest`.
#[track_caller]
fn copy_repository(dest: &Path) {
    let repo = repository();
    let args = [
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ];
    let list = succeed(&repo, "git", &args).stdout;
    let list = String::from_utf8_lossy(&list);
    for file in list.split('\0').filter(|f| !f.is_empty()) {
        let from = repo.join(file);
        if !from.is_file() {
            continue; // Tracked but deleted in the working tree.
        }
        let to = dest.join(file);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        fs::copy(&from, &to).unwrap_or_else(|e| panic!("cannot copy {file}: {e}"));
    }
}

/// The debug runner that `cargo test` built, made sure of with cargo (a no-op when built).
#[track_caller]
fn runner() -> PathBuf {
    succeed(
        &repository(),
        "cargo",
        &["build", "--quiet", "-p", "maelstrom"],
    );
    target_dir().join("debug").join("maelstrom")
}

/// `make new`, `cargo test -p`, `make run` passing, then failing once the node is broken.
#[test]
fn own_node_scaffolds_builds_passes_and_fails_when_broken() {
    let root = temp_dir("own-node");
    eprintln!("working in {}", root.display());
    let copy = root.join("repo");
    copy_repository(&copy);
    let maelstrom = format!("MAELSTROM={}", runner().display());
    let make_run = [
        "run",
        "MODULE=my-echo",
        "WORKLOAD=echo",
        &maelstrom,
        "ARGS=--time-limit 2",
    ];

    // Scaffold: a crate of the workspace, named and tested as my-echo.
    let created = text(&succeed(
        &copy,
        "make",
        &["new", "NAME=my-echo", "FROM=echo"],
    ));
    assert!(
        created.contains("make run MODULE=my-echo WORKLOAD=echo"),
        "{created}"
    );
    let manifest = fs::read_to_string(copy.join("Cargo.toml")).unwrap_or_default();
    assert!(
        manifest.contains("    \"my-echo\",\n"),
        "not a member:\n{manifest}"
    );
    let server = fs::read_to_string(copy.join("my-echo/src/server.rs")).unwrap_or_default();
    assert!(
        server.starts_with("//! `my-echo`: your own node, made by `make new"),
        "{server}"
    );
    assert!(server.contains("--bin target/release/my-echo "), "{server}");

    // Its copied tests drive its own binary.
    let tested = text(&succeed(&copy, "cargo", &["test", "-p", "my-echo"]));
    assert!(tested.contains("test result: ok"), "{tested}");

    // Build and run: valid.
    let passed = text(&succeed(&copy, "make", &make_run));
    assert!(passed.contains(VALID), "{passed}");
    assert!(copy.join("store/latest/results.edn").is_file(), "{passed}");

    // Break it (a wrong payload), run again: the runner says invalid and make fails.
    let broken = server.replace(
        "echo: body.echo,",
        "echo: Value::from(\"not what you sent\"),",
    );
    assert_ne!(
        broken, server,
        "the echo handler no longer looks as this test expects"
    );
    let path = copy.join("my-echo/src/server.rs");
    fs::write(&path, broken).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    let failed = run(&copy, "make", &make_run);
    let failed_text = text(&failed);
    assert!(
        !failed.status.success(),
        "a broken node passed:\n{failed_text}"
    );
    assert!(failed_text.contains(INVALID), "{failed_text}");

    // Nothing of this lands in the repository itself.
    assert!(!repository().join("my-echo").exists());
    fs::remove_dir_all(&root).unwrap_or_default();
}

/// The README's Python echo node, taken from the README itself, passes the echo workload.
///
/// Skipped, with a note, where no `python3` runs: the workspace needs only Rust.
#[test]
fn the_readmes_python_node_passes_the_echo_workload() {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("no python3 here: the README's Python node is not tried");
        return;
    }
    let readme = fs::read_to_string(repository().join("README.md")).unwrap_or_default();
    let Some(code) = readme
        .split_once("```python\n")
        .and_then(|(_, rest)| rest.split_once("```\n"))
        .map(|(code, _)| code)
    else {
        panic!("no ```python block in README.md");
    };

    let dir = temp_dir("python-node");
    eprintln!("working in {}", dir.display());
    let node = dir.join("echo.py");
    fs::write(&node, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", node.display()));
    let executable = fs::Permissions::from_mode(0o755);
    fs::set_permissions(&node, executable).unwrap_or_else(|e| panic!("cannot chmod: {e}"));
    let runner = runner();
    let args = [
        "test",
        "-w",
        "echo",
        "--bin",
        "./echo.py",
        "--node-count",
        "1",
        "--time-limit",
        "2",
    ];
    let output = text(&succeed(&dir, &runner.to_string_lossy(), &args));
    assert!(output.contains(VALID), "{output}");
    fs::remove_dir_all(&dir).unwrap_or_default();
}
