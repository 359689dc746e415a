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
use maelstrom::{analyze, console, process, runner, workload};
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
    for warning in cli::unicode_dash_warnings(&args) {
        console::print_stderr(&format!("{warning}\n"));
    }
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
            match maelstrom::serve::run(Path::new("store"), &host, port, say) {
                Ok(()) => 0,
                Err(problem) => {
                    say(&problem);
                    EXIT_CRASHED
                }
            }
        }
        Ok(Command::Test(opts)) => run_tests(&opts),
        Ok(Command::Analyze(command)) => {
            let options_for =
                |stored: Option<&TestOptions>| command.options_over(stored).map_err(|e| e.message);
            analyze::run(&command.paths, &options_for, &say)
        }
    }
}

/// Runs `--test-count` tests; the first that is not valid decides the exit status.
fn run_tests(opts: &TestOptions) -> i32 {
    for _ in 0..opts.test_count {
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
    // line, as in Maelstrom; a run that ended without one says it here.
    if outcome.is_err() {
        let dir = std::path::absolute(store.dir()).unwrap_or_else(|_| store.dir().to_path_buf());
        say(&format!(
            "This run's results, history, jepsen.log and node-logs/ are in {}",
            dir.display()
        ));
    }
    outcome
}

/// Runs the test, writes its history, analyses it, writes the results and prints the verdict.
/// A setup failure or an interrupt writes what was recorded and a `results.edn` saying why
/// there is no verdict.
fn run_and_record(opts: &TestOptions, store: &Store) -> Result<Validity, i32> {
    // The workload is built once: the runner drives it and the analysis runs its checker.
    // The command line has already checked that `-w` names a supported workload.
    let workload = match workload::for_name(opts) {
        Ok(workload) => workload,
        Err(problem) => {
            say(&problem);
            return Err(EXIT_CRASHED);
        }
    };
    let workload = workload.as_ref();
    let progress = Progress::new(opts.time_limit);
    let outcome = match runner::run_test(opts, workload, store, &progress) {
        Ok(outcome) => outcome,
        Err(problem) => {
            progress.finish();
            if let Some(signal) = process::interrupted() {
                write_interrupted(opts, store, signal, None);
                return Err(128 + signal);
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
            return Err(EXIT_CRASHED);
        }
    };
    if let Some(signal) = process::interrupted() {
        progress.finish();
        write_interrupted(opts, store, signal, Some(&outcome));
        return Err(128 + signal);
    }
    // What the runner observed (a crash, protocol errors, where the final phase began) joins
    // the options in test.edn, for `maelstrom analyze`.
    if let Err(e) = store.write_test(opts, Some(&outcome.facts)) {
        say(&format!("Cannot write test.edn: {e}"));
    }
    let started = Instant::now();
    match store.write_history(&outcome.history) {
        // The timings are logged for scripts/bench-runner.sh.
        Ok(()) => store.log(&format!(
            "Wrote the history ({} entries) in {} ms",
            outcome.history.len(),
            started.elapsed().as_millis()
        )),
        Err(e) => say(&format!("Cannot write the history: {e}")),
    }

    progress.set_phase(Phase::Analysis);
    let judged = analyze::judge_and_record(
        opts,
        workload,
        store,
        &outcome.history,
        Some(&outcome.journal),
        &outcome.facts,
        &say,
    );
    progress.finish();
    console::print_stdout(&judged.rendered);
    write_journal(store, &outcome);
    Ok(report::validity(&judged.results))
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
        if let Err(e) = store.write_test(opts, Some(&outcome.facts)) {
            say(&format!("Cannot write test.edn: {e}"));
        }
        if let Err(e) = store.write_history(&outcome.history) {
            say(&format!("Cannot write the history: {e}"));
        }
    }
    let results = Edn::map([
        ("valid?", Edn::kw("unknown")),
        ("interrupted", Edn::str(&text)),
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
