//! End-to-end tests of `maelstrom analyze`: a stored run of each workload judged again gives the
//! run's verdict and results; a stored history edited to lose an acknowledged value is judged
//! invalid; a folder holding only a history is analysed with `-w`; ill-formed histories and
//! bad paths are errors naming the file, line, path or option (exit 255, 254).
//!
//! The runs are started together the first time a test asks for one (see `support`), with
//! short time limits. Each test analyses copies of a run's folder, under the run's working
//! directory, so that tests sharing a run never see each other's files.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use maelstrom::edn::{self, Edn};
use support::{at, items, maelstrom_in, Bin, Finished, Run, Scenario, Scenarios, INVALID, VALID};

// ---------------------------------------------------------------------------------------------
// The runs, started together

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "echo",
        bin: Bin::Part("echo"),
        args: &["-w", "echo", "--node-count", "1", "--time-limit", "2"],
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
            "2",
            "--rate",
            "100",
            "--availability",
            "total",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "1",
        ],
    },
    Scenario {
        name: "broadcast",
        bin: Bin::Part("broadcast-3b"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "3",
            "--time-limit",
            "2",
            "--rate",
            "20",
        ],
    },
    Scenario {
        name: "g-set",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-set",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "local-set",
        ],
    },
    Scenario {
        name: "g-counter",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-counter",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "lin-kv-counter",
        ],
    },
    Scenario {
        name: "pn-counter",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "pn-counter",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "lin-kv-counter",
        ],
    },
    Scenario {
        name: "kafka",
        bin: Bin::Example("kafka_node"),
        args: &[
            "-w",
            "kafka",
            "--node-count",
            "1",
            "--concurrency",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "100",
            "--",
            "correct",
        ],
    },
    Scenario {
        name: "txn-rw-register",
        bin: Bin::Example("txn_node"),
        args: &[
            "-w",
            "txn-rw-register",
            "--node-count",
            "1",
            "--concurrency",
            "2n",
            "--time-limit",
            "2",
            "--rate",
            "100",
            "--",
            "serial",
        ],
    },
    Scenario {
        name: "txn-list-append",
        bin: Bin::Example("txn_node"),
        args: &[
            "-w",
            "txn-list-append",
            "--node-count",
            "1",
            "--concurrency",
            "2n",
            "--time-limit",
            "2",
            "--rate",
            "100",
            "--consistency-models",
            "serializable",
            "--",
            "serial",
        ],
    },
    Scenario {
        name: "lin-kv",
        bin: Bin::Example("lin_kv_nodes"),
        args: &[
            "-w",
            "lin-kv",
            "--node-count",
            "2",
            "--concurrency",
            "4n",
            "--time-limit",
            "2",
            "--rate",
            "40",
            "--",
            "proxy",
        ],
    },
    // Invalid runs: the verdict rests on the final reads of the final phase (g-set's carry no
    // :final? flag: test.edn's facts say where the phase began), on a crash the runner saw
    // (test.edn's facts), on lost kafka writes, on reads that are not linearizable.
    Scenario {
        name: "g-set-local-on-two-nodes",
        bin: Bin::Example("kv_nodes"),
        args: &[
            "-w",
            "g-set",
            "--node-count",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--",
            "local-set",
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
        name: "kafka-lose-writes",
        bin: Bin::Example("kafka_node"),
        args: &[
            "-w",
            "kafka",
            "--node-count",
            "1",
            "--concurrency",
            "2",
            "--time-limit",
            "2",
            "--rate",
            "100",
            "--",
            "lose-writes",
        ],
    },
    Scenario {
        name: "lin-kv-stale-reads",
        bin: Bin::Example("lin_kv_nodes"),
        args: &[
            "-w",
            "lin-kv",
            "--node-count",
            "2",
            "--concurrency",
            "4n",
            "--time-limit",
            "4",
            "--rate",
            "40",
            "--seed",
            "5",
            "--",
            "stale-reads",
        ],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// The named run, once it has ended with a verdict (exit 0 or 1).
#[track_caller]
fn scenario(name: &str) -> Run {
    let run = RUNS.wait(name);
    assert!(
        matches!(run.code, Some(0 | 1)),
        "{name}: the run itself ended without a verdict ({:?}):\n{}",
        run.code,
        run.output()
    );
    run
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// `maelstrom analyze <args> <dir>` in `cwd`.
fn analyze(cwd: &Path, args: &[&str], dir: &Path) -> Finished {
    let dir = dir.display().to_string();
    let mut all = vec!["analyze"];
    all.extend_from_slice(args);
    all.push(&dir);
    maelstrom_in(cwd, &all)
}

/// A copy of the run's folder (its files, not `node-logs/`) under `<cwd>/copies/<name>`, or of
/// just the `files` named.
fn copy_run(run: &Run, name: &str, files: Option<&[&str]>) -> PathBuf {
    let from = fs::canonicalize(run.cwd.join("store/latest")).expect("store/latest");
    let to = run.cwd.join("copies").join(name);
    let _ = fs::remove_dir_all(&to);
    fs::create_dir_all(&to).expect("copy folder");
    for entry in fs::read_dir(&from).expect("run folder") {
        let entry = entry.expect("entry");
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let wanted = files.is_none_or(|files| files.contains(&file_name.as_str()));
        if entry.path().is_file() && wanted {
            fs::copy(entry.path(), to.join(&file_name)).expect("copy file");
        }
    }
    to
}

fn results(dir: &Path) -> Edn {
    let text = fs::read_to_string(dir.join("results.edn")).expect("results.edn");
    edn::parse(&text).expect("results.edn parses")
}

/// The results map without what varies from one analysis to the next: the times (`:analysis`)
/// and where and how fast the views were drawn (`:views`).
fn without_times(results: &Edn) -> Edn {
    let Edn::Map(entries) = results else {
        panic!("results are not a map: {results:?}")
    };
    let timeless = [Edn::kw("analysis"), Edn::kw("views")];
    Edn::Map(
        entries
            .iter()
            .filter(|(k, _)| !timeless.contains(k))
            .cloned()
            .collect(),
    )
}

/// The ops of `dir/history.edn`, as EDN maps.
fn history(dir: &Path) -> Vec<Edn> {
    fs::read_to_string(dir.join("history.edn"))
        .expect("history.edn")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| edn::parse(l).expect("history line"))
        .collect()
}

fn write_history(dir: &Path, ops: &[Edn]) {
    let text: String = ops.iter().map(|op| edn::compact(op) + "\n").collect();
    fs::write(dir.join("history.edn"), text).expect("write history.edn");
}

/// `op` with `key` set to `value`.
fn with(op: &Edn, key: &str, value: Edn) -> Edn {
    let Edn::Map(entries) = op else {
        panic!("an op is a map: {op:?}")
    };
    Edn::Map(
        entries
            .iter()
            .map(|(k, v)| match *k == Edn::kw(key) {
                true => (k.clone(), value.clone()),
                false => (k.clone(), v.clone()),
            })
            .collect(),
    )
}

fn is(op: &Edn, op_type: &str, f: &str) -> bool {
    op.get("type") == Some(&Edn::kw(op_type)) && op.get("f") == Some(&Edn::kw(f))
}

// ---------------------------------------------------------------------------------------------
// The same verdict as the run

/// Analyses a copy of the named run's folder and checks that the verdict, the exit status and
/// the whole results map (times aside) are the run's, and that `:analysis` gives the checkers'
/// times.
#[track_caller]
fn same_verdict(name: &str) {
    let run = scenario(name);
    let dir = copy_run(&run, "same", None);
    let before = results(&dir);
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(
        out.code,
        run.code,
        "{name}: analyze's status\n{}",
        out.output()
    );
    let verdict = match run.code {
        Some(0) => VALID,
        _ => INVALID,
    };
    assert_eq!(out.count(verdict), 1, "{name}:\n{}", out.output());
    let after = results(&dir);
    assert_eq!(
        edn::pretty(&without_times(&after)),
        edn::pretty(&without_times(&before)),
        "{name}: analyze's results differ from the run's"
    );
    let each = at(&after, &["analysis", "ms-each"]);
    assert!(each.get("workload").is_none(), "keys are strings: {each:?}");
    let Edn::Map(each) = each else {
        panic!("{name}: :ms-each is not a map")
    };
    assert!(
        each.iter().any(|(k, _)| *k == Edn::str("workload")),
        "{name}: {each:?}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A run folder whose views are links to files outside it (as a folder copied from elsewhere,
/// or changed by a node, may hold) is analysed without writing through them: the links are
/// replaced by the views, the files they pointed to are untouched.
#[test]
fn views_are_not_written_through_links() {
    let run = scenario("echo");
    // Its own copy: `analyze_never_writes_through_a_link` links the records of "links".
    let dir = copy_run(&run, "view-links", None);
    let outside = run.cwd.join("copies/outside.txt");
    fs::write(&outside, "theirs").expect("outside");
    for view in [
        "timeline.html",
        "index.html",
        "rate.png",
        "messages.svg",
        "run-data.js",
    ] {
        let _ = fs::remove_file(dir.join(view));
        std::os::unix::fs::symlink(&outside, dir.join(view)).expect("link");
    }
    let analysed = analyze(&run.cwd, &[], &dir);
    assert_eq!(analysed.code, Some(0), "{}", analysed.output());
    assert_eq!(fs::read_to_string(&outside).expect("outside"), "theirs");
    for view in [
        "timeline.html",
        "index.html",
        "rate.png",
        "messages.svg",
        "run-data.js",
    ] {
        let meta = fs::symlink_metadata(dir.join(view)).expect(view);
        assert!(meta.is_file(), "{view} is a file again");
    }
}

/// echo: analyze judges a stored run as the run did.
#[test]
fn echo_same_verdict() {
    same_verdict("echo");
}

/// unique-ids (partitions, total availability): analyze judges a stored run as the run did.
#[test]
fn unique_ids_same_verdict() {
    same_verdict("unique-ids");
}

/// broadcast: analyze judges a stored run as the run did.
#[test]
fn broadcast_same_verdict() {
    same_verdict("broadcast");
}

/// g-set: analyze judges a stored run as the run did.
#[test]
fn g_set_same_verdict() {
    same_verdict("g-set");
}

/// g-counter: analyze judges a stored run as the run did.
#[test]
fn g_counter_same_verdict() {
    same_verdict("g-counter");
}

/// pn-counter: analyze judges a stored run as the run did.
#[test]
fn pn_counter_same_verdict() {
    same_verdict("pn-counter");
}

/// kafka: analyze judges a stored run as the run did.
#[test]
fn kafka_same_verdict() {
    same_verdict("kafka");
}

/// txn-rw-register: analyze judges a stored run as the run did.
#[test]
fn txn_rw_register_same_verdict() {
    same_verdict("txn-rw-register");
}

/// txn-list-append (serializable, from test.edn): analyze judges a stored run as the run did.
#[test]
fn txn_list_append_same_verdict() {
    same_verdict("txn-list-append");
}

/// lin-kv: analyze judges a stored run as the run did.
#[test]
fn lin_kv_same_verdict() {
    same_verdict("lin-kv");
}

/// A lin-kv run whose nodes serve stale reads (not linearizable): invalid again.
#[test]
fn lin_kv_stale_reads_same_verdict() {
    scenario("lin-kv-stale-reads").assert_invalid();
    same_verdict("lin-kv-stale-reads");
}

/// An invalid g-set run whose nodes' final reads (found through test.edn's `:final-phase-start`)
/// missed values: invalid again.
#[test]
fn invalid_g_set_same_verdict() {
    let run = scenario("g-set-local-on-two-nodes");
    run.assert_invalid();
    same_verdict("g-set-local-on-two-nodes");
}

/// A run in which a node crashed (test.edn's `:facts :crash`): invalid again, with the crash.
#[test]
fn crashed_run_same_verdict() {
    let run = scenario("crash-mid-test");
    run.assert_invalid();
    same_verdict("crash-mid-test");
}

/// A kafka run that lost writes: invalid again.
#[test]
fn kafka_lost_writes_same_verdict() {
    scenario("kafka-lose-writes").assert_invalid();
    same_verdict("kafka-lose-writes");
}

// ---------------------------------------------------------------------------------------------
// The opposite verdict on a history edited to lose an acknowledged value

/// Analyses the edited copy `dir` of a valid run and checks that it is invalid (exit 1, one
/// invalid verdict line) with the workload at fault.
#[track_caller]
fn assert_edited_invalid(run: &Run, dir: &Path) -> Edn {
    assert_eq!(run.code, Some(0), "{}: the run itself was valid", run.name);
    let out = analyze(&run.cwd, &[], dir);
    assert_eq!(out.code, Some(1), "{}\n{}", run.name, out.output());
    assert_eq!(out.count(INVALID), 1, "{}", out.output());
    let results = results(dir);
    assert_eq!(at(&results, &["workload", "valid?"]), &Edn::Bool(false));
    results
}

/// The first element acknowledged by an `:ok` op of `f`.
fn first_acknowledged(ops: &[Edn], f: &str) -> Edn {
    ops.iter()
        .find(|op| is(op, "ok", f))
        .and_then(|op| op.get("value"))
        .cloned()
        .expect("an acknowledged element")
}

/// `op`'s read value without `element`.
fn without_element(op: &Edn, element: &Edn) -> Edn {
    let kept: Vec<Edn> = items(op.get("value").unwrap_or(&Edn::Nil))
        .iter()
        .filter(|e| *e != element)
        .cloned()
        .collect();
    with(op, "value", Edn::Vector(kept.into()))
}

/// broadcast: a history whose final reads lost one acknowledged value is invalid, and the
/// value is named as lost to every node.
#[test]
fn broadcast_losing_an_acknowledged_value_is_invalid() {
    let run = scenario("broadcast");
    let dir = copy_run(&run, "lose-value", None);
    let ops = history(&dir);
    let lost = first_acknowledged(&ops, "broadcast");
    let edited: Vec<Edn> = ops
        .iter()
        .map(
            |op| match is(op, "ok", "read") && op.get("final?") == Some(&Edn::Bool(true)) {
                true => without_element(op, &lost),
                false => op.clone(),
            },
        )
        .collect();
    assert_ne!(edited, ops, "there were final reads to edit");
    write_history(&dir, &edited);
    let results = assert_edited_invalid(&run, &dir);
    let final_reads = at(&results, &["workload", "final-reads"]);
    assert!(
        edn::compact(final_reads).contains(":missing-count 1"),
        "{}",
        edn::pretty(final_reads)
    );
    let _ = fs::remove_dir_all(&dir);
}

/// g-set: a history from which one acknowledged element was removed from every read is
/// invalid: the final reads (found through test.edn's `:final-phase-start`) miss it.
#[test]
fn g_set_losing_an_acknowledged_element_is_invalid() {
    let run = scenario("g-set");
    let dir = copy_run(&run, "lose-element", None);
    let ops = history(&dir);
    let lost = first_acknowledged(&ops, "add");
    let edited: Vec<Edn> = ops
        .iter()
        .map(|op| match is(op, "ok", "read") {
            true => without_element(op, &lost),
            false => op.clone(),
        })
        .collect();
    write_history(&dir, &edited);
    let results = assert_edited_invalid(&run, &dir);
    assert!(
        edn::compact(at(&results, &["workload", "final-reads"])).contains(&edn::compact(&lost)),
        "{}",
        edn::pretty(&results)
    );
    let _ = fs::remove_dir_all(&dir);
}

/// pn-counter: a history with one acknowledged add dropped (its invocation and completion) is
/// invalid: the final reads count a delta no add accounts for.
#[test]
fn pn_counter_dropping_an_acknowledged_add_is_invalid() {
    let run = scenario("pn-counter");
    let dir = copy_run(&run, "drop-add", None);
    let ops = history(&dir);
    let done = ops
        .iter()
        .position(|op| is(op, "ok", "add") && op.get("value") != Some(&Edn::Int(0)))
        .expect("an acknowledged add of a non-zero delta");
    let process = ops[done].get("process").cloned();
    let invoked = ops[..done]
        .iter()
        .rposition(|op| op.get("process").cloned() == process && is(op, "invoke", "add"))
        .expect("its invocation");
    let edited: Vec<Edn> = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != invoked && *i != done)
        .map(|(_, op)| op.clone())
        .collect();
    write_history(&dir, &edited);
    assert_edited_invalid(&run, &dir);
    let _ = fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// Options: a folder with only a history, options over test.edn, several folders, store/latest

/// A folder holding only history.edn: without -w it is an argument error saying to give -w;
/// with `-w echo --node-count 1` it gets the run's verdict, `:net` saying there was no journal,
/// and a test.edn recording the options used.
#[test]
fn history_alone_is_analysed_with_w() {
    let run = scenario("echo");
    let dir = copy_run(&run, "history-only", Some(&["history.edn"]));
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(
        out.stdout.contains("no test.edn to name its workload"),
        "{}",
        out.output()
    );
    assert!(out.stdout.contains("-w echo"), "{}", out.output());
    assert!(!dir.join("results.edn").exists());

    let out = analyze(&run.cwd, &["-w", "echo", "--node-count", "1"], &dir);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert_eq!(out.count(VALID), 1, "{}", out.output());
    let results = results(&dir);
    assert!(
        matches!(at(&results, &["net", "journal"]), Edn::Str(s) if s.contains("no journal.jsonl"))
    );
    let test = fs::read_to_string(dir.join("test.edn")).expect("test.edn written");
    assert!(test.contains(":workload :echo"), "{test}");
    assert!(test.contains(":nodes [\"n0\"]"), "{test}");
    let _ = fs::remove_dir_all(&dir);
}

/// A run that was interrupted (its results say so, with no analysis) is judged on the history
/// recorded, with a warning saying that is all the verdict covers.
#[test]
fn interrupted_run_is_judged_with_a_warning() {
    let run = scenario("echo");
    let dir = copy_run(&run, "interrupted", None);
    fs::write(
        dir.join("results.edn"),
        "{:valid? :unknown, :interrupted \"Interrupted by SIGINT: the test was ended early\"}",
    )
    .expect("write results");
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout.contains(
            "warning: this run was interrupted, so the verdict below judges only the history \
             recorded until then (Interrupted by SIGINT"
        ),
        "{}",
        out.output()
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A broadcast history alone, with the run's workload and nodes given: the run's verdict.
#[test]
fn broadcast_history_alone_same_verdict() {
    let run = scenario("broadcast");
    let dir = copy_run(&run, "history-only", Some(&["history.edn"]));
    let out = analyze(&run.cwd, &["-w", "broadcast", "--node-count", "3"], &dir);
    assert_eq!(out.code, run.code, "{}", out.output());
    assert_eq!(
        at(&results(&dir), &["workload"]),
        at(&run.results(), &["workload"])
    );
    let _ = fs::remove_dir_all(&dir);
}

/// Options given override test.edn and are recorded in it: a messages target the run did not
/// have makes it invalid, it stays when analysed again without options, and a looser one given
/// later makes it valid again.
#[test]
fn options_override_test_edn_and_are_recorded() {
    let run = scenario("broadcast");
    let dir = copy_run(&run, "targets", None);
    let out = analyze(&run.cwd, &["--max-msgs-per-op", "0.5"], &dir);
    assert_eq!(out.code, Some(1), "{}", out.output());
    assert_eq!(
        at(&results(&dir), &["targets", "max-msgs-per-op", "met?"]),
        &Edn::Bool(false)
    );
    let again = analyze(&run.cwd, &[], &dir);
    assert_eq!(again.code, Some(1), "{}", again.output());
    let looser = analyze(&run.cwd, &["--max-msgs-per-op", "1000"], &dir);
    assert_eq!(looser.code, Some(0), "{}", looser.output());
    let _ = fs::remove_dir_all(&dir);
}

/// Several folders: one verdict line each, in order, and the worst status (invalid over
/// valid); without a PATH, store/latest is analysed.
#[test]
fn several_folders_and_the_default_one() {
    let valid = scenario("echo");
    let invalid = scenario("crash-mid-test");
    let a = copy_run(&valid, "several", None);
    let b = copy_run(&invalid, "several", None);
    let (a_text, b_text) = (a.display().to_string(), b.display().to_string());
    let out = maelstrom_in(&valid.cwd, &["analyze", &a_text, &b_text]);
    assert_eq!(out.code, Some(1), "{}", out.output());
    let verdicts: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| *l == VALID || *l == INVALID)
        .collect();
    assert_eq!(verdicts, [VALID, INVALID], "{}", out.output());

    // A working directory whose store/latest points at a copy of the echo run.
    let cwd = valid.cwd.join("copies/default");
    let _ = fs::remove_dir_all(&cwd);
    fs::create_dir_all(cwd.join("store/echo")).expect("store");
    fs::rename(&a, cwd.join("store/echo/run")).expect("move the copy");
    std::os::unix::fs::symlink("echo/run", cwd.join("store/latest")).expect("link");
    let out = maelstrom_in(&cwd, &["analyze"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(
        out.stdout
            .starts_with("Analyzing store/echo/run (store/latest)"),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("stored in    store/echo/run"),
        "{}",
        out.output()
    );
    let _ = fs::remove_dir_all(&cwd);
    let _ = fs::remove_dir_all(&b);
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Each kind of ill-formed history (not EDN, an op without :process, :type or :f, a completion
/// without an invocation) exits 255 naming the file and the line, with no verdict; so do a
/// test.edn with a bad key and a journal with a bad line.
#[test]
fn ill_formed_files_exit_255_naming_file_and_line() {
    let run = scenario("echo");
    let dir = copy_run(&run, "ill-formed", None);
    let good = fs::read_to_string(dir.join("history.edn")).expect("history");
    let lines: Vec<&str> = good.lines().collect();
    let edit = |n: usize, line: &str| {
        let mut edited = lines.clone();
        edited[n] = line;
        edited.join("\n")
    };
    let drop_key = |n: usize, key: &str| {
        let op = edn::parse(lines[n]).expect("op");
        let Edn::Map(entries) = op else { panic!() };
        let kept: Vec<(Edn, Edn)> = entries
            .iter()
            .filter(|(k, _)| *k != Edn::kw(key))
            .cloned()
            .collect();
        edit(n, &edn::compact(&Edn::Map(kept.into())))
    };
    let cases = [
        (edit(2, "{:index 2, :type"), 3, "EDN"),
        (drop_key(1, "process"), 2, "the op has no :process"),
        (drop_key(1, "type"), 2, "the op has no :type"),
        (drop_key(1, "f"), 2, "the op has no :f"),
        (lines[1..].join("\n"), 1, "without an invocation"),
    ];
    // The folder is under the working directory, so it is named relative to it.
    let history_file = "copies/ill-formed/history.edn";
    for (text, line, problem) in cases {
        fs::write(dir.join("history.edn"), &text).expect("write");
        let out = analyze(&run.cwd, &[], &dir);
        assert_eq!(out.code, Some(255), "{problem}\n{}", out.output());
        let place = format!("{history_file}, line {line}: ");
        assert!(out.stdout.contains(&place), "{place}\n{}", out.output());
        assert!(out.stdout.contains(problem), "{problem}\n{}", out.output());
        assert_eq!(out.count(VALID) + out.count(INVALID), 0, "{}", out.output());
    }
    // An empty history is no run to judge: no verdict, least of all "Everything looks good!".
    fs::write(dir.join("history.edn"), "").expect("empty");
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(out.code, Some(255), "{}", out.output());
    assert!(
        out.stdout.contains("holds no operations"),
        "{}",
        out.output()
    );
    assert_eq!(out.count(VALID) + out.count(INVALID), 0, "{}", out.output());
    fs::write(dir.join("history.edn"), &good).expect("restore");

    let test = fs::read_to_string(dir.join("test.edn")).expect("test.edn");
    fs::write(
        dir.join("test.edn"),
        test.replace(":rate 5.0", ":rate \"fast\""),
    )
    .expect("write");
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(out.code, Some(255), "{}", out.output());
    assert!(
        out.stdout.contains("test.edn: :rate must be a number"),
        "{}",
        out.output()
    );
    fs::write(dir.join("test.edn"), &test).expect("restore");

    fs::write(dir.join("journal.jsonl"), "{\"kind\": \"send\"}\n").expect("write");
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(out.code, Some(255), "{}", out.output());
    assert!(
        out.stdout.contains("journal.jsonl, line 1: "),
        "{}",
        out.output()
    );
    let _ = fs::remove_dir_all(&dir);
}

/// Paths that are not run folders and bad options exit 254 naming the path or the option,
/// before any folder is analysed; `--help` gives analyze's usage.
#[test]
fn bad_paths_and_options_exit_254() {
    let run = scenario("echo");
    let good = copy_run(&run, "bad-paths", None);
    fs::remove_file(good.join("results.edn")).expect("remove results");
    let empty = run.cwd.join("copies/empty");
    fs::create_dir_all(&empty).expect("empty dir");

    let out = maelstrom_in(&empty, &["analyze"]);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(
        out.stdout.contains("There is no store/latest here"),
        "{}",
        out.output()
    );

    let good_text = good.display().to_string();
    let out = maelstrom_in(&run.cwd, &["analyze", &good_text, "no/such/run"]);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(
        out.stdout.contains("No run folder at no/such/run"),
        "{}",
        out.output()
    );
    assert!(!good.join("results.edn").exists(), "nothing is analysed");

    let file = good.join("history.edn").display().to_string();
    let out = maelstrom_in(&run.cwd, &["analyze", &file]);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(out.stdout.contains("it is a file"), "{}", out.output());

    let out = maelstrom_in(&run.cwd, &["analyze", &empty.display().to_string()]);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(
        out.stdout.contains("holds no history.edn"),
        "{}",
        out.output()
    );

    let out = maelstrom_in(&run.cwd, &["analyze", "--rate", "-1", &good_text]);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(
        out.stdout
            .contains("Failed to validate \"--rate -1\": Can't be negative"),
        "{}",
        out.output()
    );
    assert!(!good.join("results.edn").exists(), "nothing is analysed");

    let out = maelstrom_in(&run.cwd, &["analyze", "--help"]);
    assert_eq!(out.code, Some(0), "{}", out.output());
    assert!(out
        .stdout
        .starts_with("Usage: maelstrom analyze [OPTIONS ...] [PATH ...]"));
    let _ = fs::remove_dir_all(&good);
    let _ = fs::remove_dir_all(&empty);
}

/// A run folder whose files are links to files outside it (results.edn, index.html,
/// timeline.html, messages.svg, test.edn) is analysed without writing through them: the
/// outside files are unchanged, the records' links are refused by name (the views' are
/// replaced by the views), before any verdict is printed; a linked jepsen.log (which
/// analyze appends to) is refused before anything is written (exit 255).
#[test]
fn analyze_never_writes_through_a_link() {
    let run = scenario("echo");
    let dir = copy_run(&run, "links", None);
    let outside = run.cwd.join("copies/links-outside");
    let _ = fs::remove_dir_all(&outside);
    fs::create_dir_all(&outside).expect("outside");
    let linked = [
        "results.edn",
        "index.html",
        "timeline.html",
        "messages.svg",
        "test.edn",
    ];
    for name in linked {
        let target = outside.join(name);
        fs::copy(dir.join(name), &target).expect("copy out");
        fs::remove_file(dir.join(name)).expect("remove");
        std::os::unix::fs::symlink(&target, dir.join(name)).expect("link");
    }
    let before: Vec<String> = linked
        .iter()
        .map(|n| fs::read_to_string(outside.join(n)).expect("outside file"))
        .collect();
    let out = analyze(&run.cwd, &[], &dir);
    for (name, text) in linked.iter().zip(&before) {
        assert_eq!(
            &fs::read_to_string(outside.join(name)).expect("outside file"),
            text,
            "{name} was written through its link\n{}",
            out.output()
        );
        // The run's records stay links, refused by name; a view's link is replaced by the view
        // (`views_are_not_written_through_links`).
        if ["results.edn", "test.edn"].contains(name) {
            assert!(
                fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_symlink()),
                "{name}"
            );
        }
    }
    assert!(
        out.stdout.contains("results.edn: is a symbolic link"),
        "{}",
        out.output()
    );
    // Refused before judging: no verdict is printed that could not be stored.
    assert!(
        !out.stdout.contains(VALID) && !out.stdout.contains("valid?"),
        "{}",
        out.output()
    );
    assert_eq!(out.code, Some(255), "{}", out.output());

    let log = outside.join("jepsen.log");
    fs::write(&log, "precious\n").expect("log");
    fs::remove_file(dir.join("jepsen.log")).expect("remove log");
    std::os::unix::fs::symlink(&log, dir.join("jepsen.log")).expect("link log");
    let out = analyze(&run.cwd, &[], &dir);
    assert_eq!(out.code, Some(255), "{}", out.output());
    assert!(
        out.stdout.contains("jepsen.log: is a symbolic link"),
        "{}",
        out.output()
    );
    assert_eq!(fs::read_to_string(&log).expect("log"), "precious\n");
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&outside);
}

/// A named pipe or a link to /dev/zero where history.edn, test.edn, journal.jsonl or
/// results.edn should be is an error naming the file (exit 255) at once: no hang, no memory
/// filled.
#[test]
fn pipes_and_devices_are_refused_not_read() {
    let run = scenario("echo");
    for (name, special) in [
        ("history.edn", "fifo"),
        ("test.edn", "fifo"),
        ("journal.jsonl", "fifo"),
        ("results.edn", "fifo"),
        ("history.edn", "zero"),
        ("test.edn", "zero"),
    ] {
        let dir = copy_run(&run, "special", None);
        fs::remove_file(dir.join(name)).expect("remove");
        match special {
            "fifo" => {
                let made = Command::new("mkfifo")
                    .arg(dir.join(name))
                    .status()
                    .expect("mkfifo");
                assert!(made.success());
            }
            _ => std::os::unix::fs::symlink("/dev/zero", dir.join(name)).expect("link"),
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
            .arg("analyze")
            .arg(&dir)
            .current_dir(&run.cwd)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("analyze");
        let started = std::time::Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if started.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                panic!("analyze hung on a {special} {name}");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().expect("output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(255), "{special} {name}\n{stdout}");
        let said = match special {
            "fifo" => format!("{name}: is a named pipe"),
            _ => format!("{name}: is a device"),
        };
        assert!(stdout.contains(&said), "{said}\n{stdout}");
        let _ = fs::remove_dir_all(&dir);
    }
}

/// A lin-kv history whose first `:ok` read of a value was edited to something that is not a
/// `[key value]` pair (a bare 42, `[0 42 0]`, `{0 42}`) gets no verdict: `:unknown` (exit 2)
/// with an error naming the op's history index, never "Everything looks good!".
#[test]
fn lin_kv_read_that_is_not_a_pair_is_named_not_judged() {
    let run = scenario("lin-kv");
    let dir = copy_run(&run, "lin-kv-not-a-pair", None);
    let ops = history(&dir);
    let n = ops
        .iter()
        .position(|op| {
            is(op, "ok", "read")
                && matches!(op.get("value"), Some(Edn::Vector(kv)) if kv.len() == 2 && kv[1] != Edn::Nil)
        })
        .expect("an :ok read of a value");
    let Some(Edn::Vector(kv)) = ops[n].get("value") else {
        unreachable!()
    };
    let key = kv[0].clone();
    for value in [
        Edn::Int(42),
        Edn::Vector(vec![key.clone(), Edn::Int(42), Edn::Int(0)].into()),
        Edn::Map(vec![(key.clone(), Edn::Int(42))].into()),
    ] {
        let mut edited = ops.clone();
        edited[n] = with(&ops[n], "value", value.clone());
        write_history(&dir, &edited);
        let out = analyze(&run.cwd, &[], &dir);
        assert_eq!(out.code, Some(2), "{value:?}\n{}", out.output());
        assert_eq!(out.count(VALID), 0, "{}", out.output());
        let named = format!(
            "the :ok :read at history index {n} (history.edn line {})",
            n + 1
        );
        assert!(out.stdout.contains(&named), "{named}\n{}", out.output());
    }
    let _ = fs::remove_dir_all(&dir);
}

/// `-w` naming another workload than the one test.edn says ran is refused (exit 254) before
/// anything is written: no verdict, and test.edn still says what ran.
#[test]
fn another_workload_than_the_run_is_refused() {
    let run = scenario("lin-kv");
    let dir = copy_run(&run, "other-workload", None);
    let test = fs::read_to_string(dir.join("test.edn")).expect("test.edn");
    let out = analyze(&run.cwd, &["-w", "unique-ids"], &dir);
    assert_eq!(out.code, Some(254), "{}", out.output());
    assert!(
        out.stdout
            .contains("test.edn says it ran -w lin-kv, so -w unique-ids cannot judge it"),
        "{}",
        out.output()
    );
    assert_eq!(out.count(VALID) + out.count(INVALID), 0, "{}", out.output());
    assert_eq!(
        fs::read_to_string(dir.join("test.edn")).expect("test.edn"),
        test
    );
    let _ = fs::remove_dir_all(&dir);
}
