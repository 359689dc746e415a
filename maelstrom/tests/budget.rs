//! The run folder's budget (`src/budget.rs`, the README's deliberate differences): a node whose
//! replies are megabytes long cannot make the run's folder grow without bound. Drives the real
//! runner against `examples/misbehave.rs`'s `fat-ids` node.

mod support;

use std::path::Path;

use maelstrom::edn::Edn;
use support::{at, int, maelstrom_in, strings, Bin};

/// The budget the test gives the run, MiB.
const BUDGET_MIB: u64 = 4;
/// The size of each of `fat-ids`' replies (its ids), bytes.
const REPLY: u64 = 3 << 20;

/// Total bytes of the files under `dir`.
fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => folder_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A unique-ids node whose ids are 3 MB strings (valid for Maelstrom's checker) passes a budget
/// of 4 MiB on its second reply: the test stops there, long before its 5 s time limit; the
/// verdict is `:unknown` (exit 2, never "Everything looks good!"), with one sentence naming
/// the node and how much it sent, last before the verdict; the folder holds at most the budget
/// plus the reply in flight and a small margin; and `maelstrom analyze` reaches the same
/// verdict from the folder.
#[test]
fn huge_replies_stop_the_run_at_its_budget() {
    let bin = Bin::Example("misbehave").path().expect("misbehave");
    let args = strings(&[
        "test",
        "-w",
        "unique-ids",
        "--bin",
        &bin.display().to_string(),
        "--node-count",
        "1",
        "--time-limit",
        "5",
        "--rate",
        "10",
        "--run-budget",
        &BUDGET_MIB.to_string(),
        "--",
        "fat-ids",
    ]);
    let run = support::run("budget-fat-ids", &args);
    run.assert_exit(2);
    assert!(!run.stdout.contains(support::VALID), "{}", run.output());
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let stopped = lines[lines.len() - 2];
    assert!(
        stopped.starts_with(&format!(
            "  stopped      n0's generate replies passed the run folder's budget of \
             {BUDGET_MIB} MiB at "
        )),
        "{stopped}\n{}",
        run.output()
    );
    assert!(
        stopped.contains("(n0: 2 generate replies of up to 3.1 MiB"),
        "{stopped}"
    );
    assert!(stopped
        .ends_with("; the test stopped there, and what was recorded until then was analysed"));

    let results = run.results();
    assert_eq!(at(&results, &["budget", "valid?"]), &Edn::kw("unknown"));
    assert_eq!(results.get("valid?"), Some(&Edn::kw("unknown")));
    let passed_at = int(at(&results, &["budget", "time"]));
    assert!(passed_at < 5_000_000_000, "passed at {passed_at} ns");
    let completions = run
        .history()
        .iter()
        .filter(|op| op.get("type") == Some(&Edn::kw("ok")))
        .count();
    assert_eq!(
        completions, 2,
        "the test stopped at the reply that passed the budget"
    );

    let folder = run.cwd.join("store/latest");
    let bytes = folder_bytes(&folder);
    let ceiling = (BUDGET_MIB << 20) + REPLY + (1 << 20);
    assert!(bytes <= ceiling, "{bytes} bytes in {}", folder.display());
    // The views keep bounded prefixes: only history.edn holds the ids whole.
    for file in [
        "history.txt",
        "timeline.html",
        "index.html",
        "results.edn",
        "jepsen.log",
    ] {
        let len = std::fs::metadata(folder.join(file)).map_or(0, |m| m.len());
        assert!(len < 512 << 10, "{file}: {len} bytes");
    }

    let analyze = maelstrom_in(&run.cwd, &["analyze", "store/latest"]);
    let text = &analyze.stdout;
    assert_eq!(analyze.code, Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "  stopped      {}",
            &stopped["  stopped      ".len()..]
        )),
        "{text}"
    );
    run.clean();
}

/// A node flooding `lin-kv` with valid reads (5,000 per echo) passes a budget of 16 MiB with
/// its messages: the test stops before its 5 s time limit, `:unknown` (exit 2) with the
/// sentence naming the node's messages last, and the folder, views included, stays within
/// the budget and a small margin.
#[test]
fn a_flood_of_service_traffic_stops_at_the_budget() {
    let bin = Bin::Example("misbehave").path().expect("misbehave");
    let args = strings(&[
        "test",
        "-w",
        "echo",
        "--bin",
        &bin.display().to_string(),
        "--node-count",
        "1",
        "--time-limit",
        "5",
        "--rate",
        "20",
        "--run-budget",
        "16",
        "--",
        "flood-kv",
    ]);
    let run = support::run("budget-flood-kv", &args);
    run.assert_exit(2);
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let stopped = lines[lines.len() - 2];
    assert!(
        stopped.starts_with(
            "  stopped      n0's messages passed the run folder's budget of 16 MiB at "
        ),
        "{stopped}\n{}",
        run.output()
    );
    let results = run.results();
    assert_eq!(at(&results, &["budget", "valid?"]), &Edn::kw("unknown"));
    assert!(int(at(&results, &["budget", "time"])) < 5_000_000_000);
    let folder = run.cwd.join("store/latest");
    let bytes = folder_bytes(&folder);
    assert!(
        bytes <= (16 << 20) + (4 << 20),
        "{bytes} bytes in {}",
        folder.display()
    );
    run.clean();
}

/// A node writing stderr as fast as it can passes a budget of 16 MiB with its log: the test
/// stops before its 5 s time limit, `:unknown` (exit 2) with the sentence naming the node's
/// stderr last, and the node's log ends with a line saying the budget was passed.
#[test]
fn a_flood_of_stderr_stops_at_the_budget() {
    let bin = Bin::Example("misbehave").path().expect("misbehave");
    let args = strings(&[
        "test",
        "-w",
        "echo",
        "--bin",
        &bin.display().to_string(),
        "--node-count",
        "1",
        "--time-limit",
        "5",
        "--run-budget",
        "16",
        "--",
        "flood-stderr",
    ]);
    let run = support::run("budget-flood-stderr", &args);
    run.assert_exit(2);
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let stopped = lines[lines.len() - 2];
    assert!(
        stopped
            .starts_with("  stopped      n0's stderr passed the run folder's budget of 16 MiB at "),
        "{stopped}\n{}",
        run.output()
    );
    let folder = run.cwd.join("store/latest");
    let log = std::fs::read_to_string(folder.join("node-logs/n0.log")).expect("n0.log");
    assert!(
        log.ends_with("the run folder's budget was passed (--run-budget); the node's later stderr is not kept]\n"),
        "{}",
        &log[log.len().saturating_sub(300)..]
    );
    let bytes = folder_bytes(&folder);
    assert!(
        bytes <= (16 << 20) + (4 << 20),
        "{bytes} bytes in {}",
        folder.display()
    );
    run.clean();
}
