//! `maelstrom analyze`: judges stored runs again (Jepsen's `analyze` command, `jepsen.cli`,
//! which re-runs a stored test's checkers), and the end of a run that `test` shares with it:
//! the analysis, the views, `results.edn`, and the results and verdict to print.
//!
//! For each folder: its `test.edn` (the options the run was started with, and the facts the
//! runner observed, `store/test_edn.rs`) with the command line's options over it, its
//! `history.edn` (which must be well-formed, `store::read_history`) and its `journal.jsonl`
//! when there is one; then the same analysis, views and printed results as at the end of
//! `test`. `results.edn`, the views and `index.html` are replaced; `test.edn` is written with
//! the options used, so that it always says what `results.edn` was judged with (Jepsen's
//! `analyze` saves the combined test too). Nothing outside the folder is written: `store/latest`
//! stays where it was.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::edn::{self, Edn};
use crate::history::{Placement, RunFacts};
use crate::options::TestOptions;
use crate::report;
use crate::runner::RunOutcome;
use crate::store::{self, Store};
use crate::workload::{self, Workload};
use crate::{analysis, console, process, summary, view};

/// Exit status when a stored history or test.edn cannot be read (Jepsen's "internal error").
pub const EXIT_UNREADABLE: i32 = 255;
/// Exit status for bad arguments, the command line's (`cli::EXIT_BAD_ARGS`, `jepsen.cli`).
const EXIT_BAD_ARGS: i32 = 254;
/// The folder analysed when no PATH is given.
pub const DEFAULT_PATH: &str = "store/latest";

/// The options to analyse one folder with, given its test.edn's (`None` when it has none):
/// the command line's options laid over them (`cli::Analyze::options_over`), or the argument
/// error to print (exit 254).
pub type OptionsFor<'a> = &'a dyn Fn(Option<&TestOptions>) -> Result<TestOptions, String>;

/// What the end of a run produced: the results map as written to `results.edn`, the text
/// to print (the results with long lists cut, the summary, the verdict line), and why
/// `results.edn` could not be written, if it could not (the caller says so last and exits 255).
pub struct Judged {
    pub results: Edn,
    pub rendered: String,
    pub unwritten: Option<String>,
}

/// Analyses a run and records it in its folder: runs every checker and `workload`'s
/// (`analysis::analyze`, or `analyze_without_journal` when `has_journal` is false), draws the
/// views (`view::write_all`), adds their `:views` entry, writes `results.edn`, and logs each
/// step and the rendered results to `jepsen.log`.
///
/// The checkers run on a thread of their own (`process::unless_interrupted`), so that Ctrl-C
/// during a long analysis is answered at once: `Err(signal)` then, and the caller leaves the
/// folder saying the analysis was interrupted.
pub fn judge_and_record(
    opts: &TestOptions,
    workload: Arc<dyn Workload>,
    store: &Store,
    run: Arc<RunOutcome>,
    has_journal: bool,
) -> Result<Judged, i32> {
    store.log("Analyzing...");
    let started = Instant::now();
    let results = {
        let (opts, run, workload) = (opts.clone(), Arc::clone(&run), Arc::clone(&workload));
        process::unless_interrupted(move || {
            let workload = workload.as_ref();
            match has_journal {
                true => analysis::analyze(&opts, workload, &run.history, &run.journal, &run.facts),
                false => {
                    analysis::analyze_without_journal(&opts, workload, &run.history, &run.facts)
                }
            }
        })?
    };
    store.log("Analysis complete");
    // The timings are read by scripts/bench-runner.sh and scripts/bench-txn.sh.
    store.log(&format!(
        "Analysis took {} ms ({} history entries)",
        started.elapsed().as_millis(),
        run.history.len()
    ));
    // The verdict is stored before the views are drawn (which can take long for a run with
    // huge values), so that an interrupt while they are drawn still leaves it in the folder;
    // it is written again below with their `:views` entry, and a failure is reported there.
    let _ = store.write_results(&results);
    // timeline.html, the perf PNGs, messages.svg, the run page (index.html with its data, which
    // shows the summary printed below); the results' `:views` says where.
    let workload = workload.as_ref();
    let node_log = |node: &str| store.node_log_path(node);
    let ran = summary::what_ran(opts);
    let from_history = summary::from_history(&run.history, opts, &results, workload.rpc_timeout());
    let placement = Placement {
        nodes: &opts.nodes,
        concurrency: opts.concurrency,
    };
    // Rendered once: the views' `:views` entry, added below, changes nothing it says.
    let summary = summary::summary(
        &results,
        workload,
        store.dir(),
        &node_log,
        &ran,
        &from_history,
    );
    let views = view::write_all(
        store.dir(),
        &run.history,
        &run.journal,
        &results,
        placement,
        workload,
        &summary,
    );
    store.log(&format!("Drew the views: {}", edn::compact(&views)));
    let results = view::add_to_results(results, views);
    let unwritten = match store.write_results(&results) {
        Ok(()) => {
            store.log(&format!(
                "Wrote {}",
                store.dir().join("results.edn").display()
            ));
            None
        }
        Err(e) => Some(format!("Cannot write results.edn: {e}")),
    };
    let rendered = report::render(&results, &summary);
    store.log(&rendered);
    Ok(Judged {
        results,
        rendered,
        unwritten,
    })
}

/// Runs `maelstrom analyze` on `paths`: every folder is checked first (a PATH that is not a
/// run's folder is an argument error, 254, before anything is analysed), then each is analysed
/// in turn with `options_for` its test.edn, its results and verdict printed. Returns the worst
/// status (see [`worst`]); an interrupt between folders returns 128 + the signal.
pub fn run(paths: &[PathBuf], options_for: OptionsFor, say: &dyn Fn(&str)) -> i32 {
    // Folder names and what they hold come from anyone: a name with a newline and an escape
    // sequence must not print a line of its own (a fake verdict), so control characters are
    // escaped in every line said here (README, "printable").
    let say = &|line: &str| say(&console::printable(line));
    let not_folders: Vec<String> = paths
        .iter()
        .filter_map(|path| not_a_run_folder(path))
        .collect();
    if !not_folders.is_empty() {
        for problem in not_folders {
            say(&problem);
        }
        return EXIT_BAD_ARGS;
    }
    let mut status = 0;
    for path in paths {
        if let Some(signal) = process::interrupted() {
            return 128 + signal;
        }
        status = worst(status, analyze_folder(path, options_for, say));
    }
    status
}

/// Why `path` is not a run's folder, if it is not: missing, not a directory, or without a
/// `history.edn`.
fn not_a_run_folder(path: &Path) -> Option<String> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound && path == Path::new(DEFAULT_PATH) => {
            Some(format!(
                "There is no {DEFAULT_PATH} here: no run has been stored under this directory. \
                 Run analyze where store/ is, or give a run's folder (store/<workload>/<time>)"
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Some(format!("No run folder at {shown}: it does not exist"))
        }
        Err(e) => Some(format!("Cannot open {shown}: {e}")),
        Ok(m) if !m.is_dir() => Some(format!(
            "{shown} is not a run's folder: it is a file (give the folder that holds history.edn)"
        )),
        Ok(_) if !path.join("history.edn").exists() => {
            // A run writes test.edn when it starts and history.edn when it ends.
            if path.join("test.edn").exists() && !path.join("results.edn").exists() {
                return Some(format!(
                    "{shown} holds no history.edn yet: its run is still in progress, or was \
                     stopped before it could write its history (a run writes history.edn when \
                     it ends); analyze it once the run is over"
                ));
            }
            let why = match path.join("results.edn").exists() {
                true => " (its run ended before the history was written: see its results.edn)",
                false => "",
            };
            Some(format!(
                "{shown} is not a run's folder: it holds no history.edn{why}"
            ))
        }
        Ok(_) => None,
    }
}

/// Analyses one folder and prints its results and verdict; the status for it: 0, 1 or 2 for
/// the verdict, 254 when the options do not fit it (no workload named), 255 when its
/// `test.edn`, `history.edn` or `journal.jsonl` cannot be read (the error names the file,
/// and the line or key).
fn analyze_folder(path: &Path, options_for: OptionsFor, say: &dyn Fn(&str)) -> i32 {
    // `store/latest` is a link: the results name the folder it points at.
    let real = resolved(path);
    if real != path {
        say(&format!(
            "Analyzing {} ({})",
            real.display(),
            path.display()
        ));
    } else {
        say(&format!("Analyzing {}", path.display()));
    }
    let path = real.as_path();
    let cannot = |e: &dyn std::fmt::Display| {
        say(&format!("Cannot analyse {}: {e}", path.display()));
        EXIT_UNREADABLE
    };
    let (stored, facts) = match store::read_test(path) {
        Ok(Some((opts, facts))) => (Some(opts), facts),
        Ok(None) => (None, RunFacts::default()),
        Err(e) => return cannot(&e),
    };
    let opts = match options_for(stored.as_ref()) {
        Ok(opts) => opts,
        Err(e) => {
            say(&format!("{}: {e}", path.display()));
            return EXIT_BAD_ARGS;
        }
    };
    // The workload is built once, here, for its checker (the command line only checked its
    // name). Not through `workload::for_name`: what it checks besides (lin-kv's concurrency, a
    // multiple of 2n) is what the generator needs, not the checker.
    let workload = match workload::builder(workload::REGISTRY, &opts.workload) {
        Ok(build) => build(&opts),
        Err(e) => {
            say(&format!("{}: {e}", path.display()));
            return EXIT_BAD_ARGS;
        }
    };
    let history = match store::read_history(path) {
        Ok(history) => history,
        Err(e) => return cannot(&e),
    };
    // Jepsen's checkers find nothing wrong in no operations and call that valid; a verdict on
    // an empty history would say "Everything looks good!" about a run that tested nothing.
    if history.is_empty() {
        say(&format!(
            "{}: it holds no operations, so there is nothing to judge (no verdict)",
            path.join("history.edn").display()
        ));
        return EXIT_UNREADABLE;
    }
    let journal = match store::read_journal(path) {
        Ok(journal) => Some(journal),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return cannot(&e),
    };
    let store = match Store::open(path) {
        Ok(store) => store,
        Err(e) => return cannot(&e),
    };
    // The records analyze writes are checked before the verdict is printed: `Everything looks
    // good!` followed by "Cannot write results.edn" would read as a success.
    if let Err(e) = store.check_records() {
        return cannot(&e);
    }
    store.log(&format!(
        "maelstrom analyze: judging this run again ({} history entries{})",
        history.len(),
        match journal {
            Some(_) => "",
            None => ", no journal.jsonl",
        }
    ));
    if let Err(e) = store.write_test(&opts, Some(&facts)) {
        say(&format!("Cannot write test.edn: {e}"));
    }
    // A run ended by Ctrl-C was not analysed; its results say so. Judging it now judges only
    // what was recorded until then, which the reader should know before the verdict.
    if let Ok(previous) = store::read_results(path) {
        if let Some(Edn::Str(why)) = previous.get("interrupted") {
            let warning = format!(
                "warning: this run was interrupted, so the verdict below judges only the history \
                 recorded until then ({why})"
            );
            store.log(&warning);
            say(&warning);
        }
    }
    let has_journal = journal.is_some();
    let run = Arc::new(RunOutcome {
        history,
        journal: journal.unwrap_or_default(),
        facts,
    });
    let judged = match judge_and_record(&opts, workload.into(), &store, run, has_journal) {
        Ok(judged) => judged,
        Err(signal) => {
            let text =
                format!("Analysis interrupted by signal {signal}: results.edn is as it was before");
            store.log(&text);
            say(&text);
            return 128 + signal;
        }
    };
    console::print_stdout(&judged.rendered);
    // A verdict that could not be stored is said last, and the run is not taken as judged.
    if let Some(problem) = judged.unwritten {
        say(&problem);
        return EXIT_UNREADABLE;
    }
    report::exit_code(report::validity(&judged.results))
}

/// `path` with its links resolved, relative to the working directory when it is under it
/// (`store/latest` becomes `store/echo/20261207T155224.210Z`); `path` itself if that fails.
fn resolved(path: &Path) -> PathBuf {
    let Ok(real) = std::fs::canonicalize(path) else {
        return path.to_path_buf();
    };
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    match cwd
        .as_ref()
        .ok()
        .and_then(|cwd| real.strip_prefix(cwd).ok())
    {
        Some(relative) if !relative.as_os_str().is_empty() => relative.to_path_buf(),
        _ => real,
    }
}

/// The worse of two statuses: unreadable (255), then bad arguments (254), then invalid (1),
/// unknown (2), valid (0), as Jepsen's validity merge puts false above `:unknown`.
pub fn worst(a: i32, b: i32) -> i32 {
    let rank = |code: i32| match code {
        0 => 0,
        2 => 1,
        1 => 2,
        EXIT_BAD_ARGS => 3,
        _ => 4,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statuses combine to the worst: unreadable over bad arguments over invalid over unknown
    /// over valid, whatever the order.
    #[test]
    fn worst_status() {
        let order = [0, 2, 1, 254, 255];
        for (i, a) in order.iter().enumerate() {
            for b in &order[..=i] {
                assert_eq!(worst(*a, *b), *a, "{a} {b}");
                assert_eq!(worst(*b, *a), *a, "{b} {a}");
            }
        }
    }

    /// A folder name holding a newline and an escape sequence is said escaped: no line of its
    /// own, no colour, no fake verdict.
    #[test]
    fn folder_names_are_said_escaped() {
        let lines = std::sync::Mutex::new(Vec::new());
        let say = |line: &str| lines.lock().expect("lines").push(line.to_string());
        let name = PathBuf::from("no-such\n\u{1b}[32mEverything looks good!");
        let status = run(&[name], &|_| Err("unused".to_string()), &say);
        assert_eq!(status, EXIT_BAD_ARGS);
        let lines = lines.into_inner().expect("lines");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            !lines[0].contains('\n') && !lines[0].contains('\u{1b}'),
            "{lines:?}"
        );
        assert!(
            lines[0].contains("no-such\\n\\u{1b}[32mEverything"),
            "{lines:?}"
        );
    }

    /// A missing folder, a file, and a folder without history.edn are each named as not a
    /// run's folder (one with only a test.edn as a run in progress or stopped); a folder with a
    /// history.edn is one.
    #[test]
    fn run_folders() {
        let dir = std::env::temp_dir().join(format!("maelstrom-analyze-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let missing = not_a_run_folder(&dir.join("absent")).unwrap_or_default();
        assert!(missing.contains("absent: it does not exist"), "{missing}");
        std::fs::write(dir.join("file"), "").expect("file");
        let file = not_a_run_folder(&dir.join("file")).unwrap_or_default();
        assert!(file.contains("it is a file"), "{file}");
        std::fs::write(dir.join("test.edn"), "{}").expect("test.edn");
        let started = not_a_run_folder(&dir).unwrap_or_default();
        assert!(
            started.contains("holds no history.edn yet: its run is still in progress, or was"),
            "{started}"
        );
        std::fs::write(dir.join("results.edn"), "{}").expect("results");
        let empty = not_a_run_folder(&dir).unwrap_or_default();
        assert!(
            empty.contains("holds no history.edn (its run ended before"),
            "{empty}"
        );
        std::fs::write(dir.join("history.edn"), "").expect("history");
        assert_eq!(not_a_run_folder(&dir), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
