//! `maelstrom test ...`: parse the command line, run each test, analyse it, print the results
//! and the verdict, exit 0 / 1 / 2 (`jepsen.cli`); 254 for argument errors, 255 when a test cannot
//! be set up. However the program ends, no node process is left running. `maelstrom analyze`
//! judges stored runs again (`analyze.rs`); `maelstrom serve` browses them (`serve.rs`).
//!
//! Results and errors go to stdout, as Maelstrom's log does, through `console::print_stdout`,
//! which stops printing instead of panicking when stdout is closed (`... | head`).

use std::path::Path;
use std::time::Instant;

use maelstrom::cli::{self, Command};
use maelstrom::edn::Edn;
use maelstrom::options::TestOptions;
use maelstrom::progress::{Phase, Progress};
use maelstrom::report::{self, Validity};
use maelstrom::store::Store;
use maelstrom::{analyze, console, process, runner, summary, workload};
use rand::Rng;

/// Exit status when a test could not be set up or run (Jepsen's "internal error").
const EXIT_CRASHED: i32 = 255;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(process::EXEC_NODE) {
        // Started by ourselves to become a node (see `process::exec_node`).
        std::process::exit(process::exec_node(&args[1..]));
    }
    // A panic is a bug of ours: the hook installed by `process::install_cleanup` has already
    // killed the nodes and printed it; exit as Jepsen does when it breaks (255), not with Rust's 101.
    let code = std::panic::catch_unwind(run).unwrap_or(EXIT_CRASHED);
    // Nodes are normally torn down by the runner already; this covers every early return.
    process::kill_all();
    std::process::exit(code);
}

fn run() -> i32 {
    if let Err(problem) = process::install_cleanup() {
        console::print_stderr(&format!(
            "warning: {problem}; interrupting the runner may leave node processes behind\n"
        ));
    }
    match std::env::current_exe() {
        Ok(exe) => {
            if let Err(problem) = process::adopt_orphans(exe) {
                console::print_stderr(&format!(
                    "warning: {problem}; processes the nodes start may outlive the run\n"
                ));
            }
        }
        Err(e) => console::print_stderr(&format!(
            "warning: cannot find the runner's own binary ({e}); nodes will not die with the \
             runner if it is killed with SIGKILL\n"
        )),
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::parse(&args) {
        Err(error) => {
            say(&error.message);
            error.exit_code
        }
        Ok(Command::Help(text)) => {
            console::print_stdout(&text);
            0
        }
        Ok(Command::Serve { host, port }) => {
            let store = Path::new("store");
            if let Some(why) = maelstrom::serve::refuse_store(store) {
                say(&why);
                return cli::EXIT_BAD_ARGS;
            }
            match maelstrom::serve::run(store, &host, port, say) {
                Ok(()) => 0,
                Err(problem) => {
                    say(&problem);
                    EXIT_CRASHED
                }
            }
        }
        Ok(Command::Analyze(command)) => {
            let options_for =
                |stored: Option<&TestOptions>| command.options_over(stored).map_err(|e| e.message);
            analyze::run(&command.paths, &options_for, &say)
        }
        Ok(Command::Test(opts)) => run_tests(&opts),
    }
}

/// Runs `--test-count` tests; the first that is not valid decides the exit status.
fn run_tests(opts: &TestOptions) -> i32 {
    for i in 0..opts.test_count {
        if let Some(heading) = test_heading(i, opts.test_count) {
            say(&heading);
        }
        let mut opts = opts.clone();
        // The seed is fixed here so that the results can record it. It stays below 2^63 so that
        // it can be given back to `--seed`, which reads a (non-negative) Java long.
        opts.seed = Some(
            opts.seed
                .unwrap_or_else(|| rand::thread_rng().gen_range(0..=i64::MAX as u64)),
        );
        let outcome = run_one(&opts);
        // An interrupt during the analysis or between tests still ends the runner with 128 + the
        // signal, as one during the test does.
        if let Some(signal) = process::interrupted() {
            return 128 + signal;
        }
        match outcome {
            Ok(Validity::True) => continue,
            Ok(validity) => return report::exit_code(validity),
            Err(code) => return code,
        }
    }
    0
}

/// `Test 2 of 3` where each of several tests (`--test-count`) starts, so that a reader can tell
/// which summary is which; nothing for a single test.
fn test_heading(i: u64, count: u64) -> Option<String> {
    (count > 1).then(|| format!("Test {} of {count}", i + 1))
}

/// One test in its own store directory. However it ends (a verdict, a setup failure, an
/// interrupt), `store/latest` points at it and its path is printed (by the summary, when there
/// is a verdict).
fn run_one(opts: &TestOptions) -> Result<Validity, i32> {
    let store =
        Store::create(Path::new("store"), &opts.workload, chrono::Local::now()).map_err(|e| {
            say(&format!(
                "Cannot create the test's directory under store/: {e}"
            ));
            EXIT_CRASHED
        })?;
    // The options go into the run's folder before it starts, so that an interrupted or crashed
    // run can be analysed again too (`maelstrom analyze`).
    if let Err(e) = store.write_test(opts, None) {
        say(&format!("Cannot write test.edn: {e}"));
    }
    let outcome = run_and_record(opts, &store);
    if let Err(e) = store.update_latest() {
        say(&format!("Cannot point store/latest at this run: {e}"));
    }
    // A verdict's summary already says where the run is stored, and the verdict stays the last
    // line, as in Maelstrom; a run that ended without one says it here, and a run whose files
    // could not be written says that last.
    let dir = std::path::absolute(store.dir()).unwrap_or_else(|_| store.dir().to_path_buf());
    match outcome {
        Err(Ended::Early(code)) => {
            say(&format!(
                "This run's results, history, jepsen.log and node-logs/ are in {}",
                dir.display()
            ));
            Err(code)
        }
        Err(Ended::Unwritten {
            failures,
            verdict_stored,
        }) => {
            for failure in &failures {
                say(failure);
            }
            let what = if verdict_stored {
                "The verdict above is stored, but not the history it judged"
            } else {
                "The verdict above is not stored"
            };
            say(&format!(
                "{what}: files could not be written in {} (is the disk full?). Exit \
                 {EXIT_CRASHED}.",
                dir.display()
            ));
            Err(EXIT_CRASHED)
        }
        Ok(validity) => Ok(validity),
    }
}

/// How a run ended without a stored verdict.
enum Ended {
    /// A setup failure or an interrupt, already reported; the exit status.
    Early(i32),
    /// The verdict was printed, but the history or results could not be written: what failed,
    /// and whether `results.edn` was written all the same.
    Unwritten {
        failures: Vec<String>,
        verdict_stored: bool,
    },
}

/// Runs the test, writes its history, analyses it, writes the results and prints the verdict.
/// A setup failure or an interrupt writes what was recorded and a `results.edn` saying why
/// there is no verdict.
fn run_and_record(opts: &TestOptions, store: &Store) -> Result<Validity, Ended> {
    store.log(&summary::log_line(opts));
    // The workload is built once: the runner drives it and the analysis runs its checker.
    // The command line has already checked that `-w` names a supported workload.
    let workload: std::sync::Arc<dyn maelstrom::workload::Workload> = match workload::for_name(opts)
    {
        Ok(workload) => workload.into(),
        Err(problem) => {
            say(&problem);
            return Err(Ended::Early(EXIT_CRASHED));
        }
    };
    let progress = Progress::new(opts.time_limit);
    let outcome = match runner::run_test(opts, workload.as_ref(), store, &progress) {
        Ok(outcome) => outcome,
        Err(problem) => {
            progress.finish();
            if let Some(signal) = process::interrupted() {
                write_interrupted(opts, store, signal, None);
                return Err(Ended::Early(128 + signal));
            }
            store.log(&format!("Test crashed!\n{problem}"));
            say(&format!(
                "Test crashed! The test could not be set up:\n\n{problem}"
            ));
            let results = Edn::map([
                ("valid?", Edn::kw("unknown")),
                ("setup-failed", Edn::str(&problem)),
            ]);
            if let Err(e) = store.write_results(&results) {
                say(&format!("Cannot write results.edn: {e}"));
            }
            return Err(Ended::Early(EXIT_CRASHED));
        }
    };
    if let Some(signal) = process::interrupted() {
        progress.finish();
        write_interrupted(opts, store, signal, Some(&outcome));
        return Err(Ended::Early(128 + signal));
    }
    // What the runner observed (a crash, protocol errors, where the final phase began) joins
    // the options in test.edn, for `maelstrom analyze`.
    if let Err(e) = store.write_test(opts, Some(&outcome.facts)) {
        say(&format!("Cannot write test.edn: {e}"));
    }
    // What could not be written: the run then exits 255 and says so last.
    let mut unwritten = Vec::new();
    let started = Instant::now();
    match store.write_history(&outcome.history) {
        // The timings are logged for scripts/bench-runner.sh.
        Ok(()) => store.log(&format!(
            "Wrote the history ({} entries) in {} ms",
            outcome.history.len(),
            started.elapsed().as_millis()
        )),
        Err(e) => unwritten.push(format!("Cannot write the history: {e}")),
    }

    progress.set_phase(Phase::Analysis);
    let outcome = std::sync::Arc::new(outcome);
    let judged = analyze::judge_and_record(
        opts,
        std::sync::Arc::clone(&workload),
        store,
        std::sync::Arc::clone(&outcome),
        true,
    );
    let judged = match judged {
        Ok(judged) => judged,
        Err(signal) => {
            progress.finish();
            write_interrupted_analysis(store, signal, &outcome, unwritten.is_empty());
            return Err(Ended::Early(128 + signal));
        }
    };
    unwritten.extend(judged.unwritten);
    let verdict_stored = !unwritten
        .last()
        .is_some_and(|f| f.starts_with("Cannot write results.edn"));
    progress.finish();
    console::print_stdout(&judged.rendered);
    write_journal(store, &outcome);
    if !unwritten.is_empty() {
        return Err(Ended::Unwritten {
            failures: unwritten,
            verdict_stored,
        });
    }
    Ok(report::validity(&judged.results))
}

/// After an interrupt during the analysis: the history is already written, so `results.edn`
/// says the analysis was interrupted (`:interrupted-during :analysis`), `jepsen.log` gets a
/// line starting `Analysis interrupted by`, and the journal is written for the views, so that
/// `maelstrom analyze` can finish the run from its folder.
fn write_interrupted_analysis(
    store: &Store,
    signal: i32,
    outcome: &runner::RunOutcome,
    history_written: bool,
) {
    let name = signal_hook::low_level::signal_name(signal).unwrap_or("a signal");
    let text = if history_written {
        format!(
            "Analysis interrupted by {name}: the test ran to its end and history.edn holds all \
             {} entries, but there is no verdict; `maelstrom analyze` can finish this run.",
            outcome.history.len()
        )
    } else {
        format!(
            "Analysis interrupted by {name}: the test ran to its end, but history.edn could not \
             be written, so there is no verdict."
        )
    };
    store.log(&text);
    say(&text);
    let results = Edn::map([
        ("valid?", Edn::kw("unknown")),
        ("interrupted", Edn::str(&text)),
        ("interrupted-during", Edn::kw("analysis")),
    ]);
    if let Err(e) = store.write_results(&results) {
        say(&format!("Cannot write results.edn: {e}"));
    }
    write_journal(store, outcome);
}

/// After an interrupt: the history recorded so far, a `results.edn` that says the run was
/// interrupted (no analysis: the user asked to stop), and the journal.
fn write_interrupted(
    opts: &TestOptions,
    store: &Store,
    signal: i32,
    outcome: Option<&runner::RunOutcome>,
) {
    let name = signal_hook::low_level::signal_name(signal).unwrap_or("a signal");
    let ops = outcome.map_or(0, |o| o.history.len());
    let text = format!(
        "Interrupted by {name}: the test was ended early and not analysed; the history holds \
         the {ops} entries recorded until then."
    );
    store.log(&text);
    say(&text);
    if let Some(outcome) = outcome {
        if let Err(e) = store.write_history(&outcome.history) {
            say(&format!("Cannot write the history: {e}"));
        }
        if let Err(e) = store.write_test(opts, Some(&outcome.facts)) {
            say(&format!("Cannot write test.edn: {e}"));
        }
    }
    let results = Edn::map([
        ("valid?", Edn::kw("unknown")),
        ("interrupted", Edn::str(&text)),
        ("interrupted-during", Edn::kw("test")),
    ]);
    if let Err(e) = store.write_results(&results) {
        say(&format!("Cannot write results.edn: {e}"));
    }
    if let Some(outcome) = outcome {
        write_journal(store, outcome);
    }
}

/// The journal is for the views and `serve`, not the verdict: it is written once the verdict
/// is out, so a long run's journal does not delay it.
fn write_journal(store: &Store, outcome: &runner::RunOutcome) {
    let started = Instant::now();
    match store.write_journal(&outcome.journal) {
        Ok(()) => store.log(&format!(
            "Wrote the journal ({} events) in {} ms",
            outcome.journal.len(),
            started.elapsed().as_millis()
        )),
        Err(e) => say(&format!("Cannot write the network journal: {e}")),
    }
}

/// Prints one line on stdout; nothing happens (no panic) if stdout is closed.
fn say(line: &str) {
    console::print_stdout(&format!("{line}\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With --test-count 2 each test starts with `Test N of 2`; a single test has no heading.
    #[test]
    fn several_tests_are_numbered() {
        assert_eq!(test_heading(0, 2).as_deref(), Some("Test 1 of 2"));
        assert_eq!(test_heading(1, 2).as_deref(), Some("Test 2 of 2"));
        assert_eq!(test_heading(0, 1), None);
    }

    /// An interrupted analysis leaves its mark: results.edn reads back `:valid? :unknown` with
    /// `:interrupted-during :analysis` and the sentence, jepsen.log has the `Analysis
    /// interrupted by` line, and the journal is written.
    #[test]
    fn interrupted_analysis_marks_the_run_folder() {
        let root = std::env::temp_dir().join(format!("maelstrom-main-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let store = Store::create(&root, "echo", chrono::Local::now()).expect("store");
        let outcome = runner::RunOutcome {
            history: Vec::new(),
            journal: Vec::new(),
            facts: Default::default(),
        };
        write_interrupted_analysis(&store, 2, &outcome, true);
        let results = maelstrom::store::read_results(store.dir()).expect("results");
        assert_eq!(results.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            maelstrom::store::interrupted_during(&results),
            Some("analysis")
        );
        let log = std::fs::read_to_string(store.dir().join("jepsen.log")).expect("log");
        assert!(
            log.contains(" Analysis interrupted by SIGINT: the test ran to its end"),
            "{log}"
        );
        assert!(store.dir().join("journal.jsonl").exists());
        let _ = std::fs::remove_dir_all(&root);
    }
}
