//! What a reader of the tutorial meets: commands pasted from a challenge page, the errors a
//! mistyped command gets, and what the summary says about a run (which node crashed, what ran,
//! what happened to the cluster, the first bad line of a node).

mod support;

use maelstrom::edn::Edn;
use support::*;

/// The runs the summary's tests read, started together (see `support::Runs`).
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "crash",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "10",
            "--",
            "crash-mid-test",
        ],
    },
    Scenario {
        name: "many-bad-lines",
        bin: Bin::Example("misbehave"),
        args: &[
            "-w",
            "echo",
            "--node-count",
            "1",
            "--time-limit",
            "3",
            "--",
            "many-bad-lines",
        ],
    },
    Scenario {
        name: "partitioned",
        bin: Bin::Part("unique-ids"),
        args: &[
            "-w",
            "unique-ids",
            "--node-count",
            "3",
            "--time-limit",
            "3",
            "--rate",
            "10",
            "--nemesis",
            "partition",
            "--availability",
            "total",
        ],
    },
    Scenario {
        name: "targets",
        bin: Bin::Part("broadcast-3b"),
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "5",
            "--time-limit",
            "3",
            "--rate",
            "10",
            "--max-msgs-per-op",
            "100",
            "--max-median-latency",
            "1000",
            "--max-latency",
            "2000",
        ],
    },
    Scenario {
        name: "g-counter",
        bin: Bin::Part("g-counter"),
        args: &[
            "-w",
            "g-counter",
            "--node-count",
            "3",
            "--time-limit",
            "3",
            "--rate",
            "50",
        ],
    },
    Scenario {
        name: "kafka",
        bin: Bin::Part("kafka-5a"),
        args: &[
            "-w",
            "kafka",
            "--node-count",
            "1",
            "--concurrency",
            "2n",
            "--time-limit",
            "3",
            "--rate",
            "100",
        ],
    },
    Scenario {
        name: "zipped",
        bin: Bin::Part("echo"),
        args: &["-w", "echo", "--node-count", "1", "--time-limit", "1"],
    },
    Scenario {
        name: "default-nodes",
        bin: Bin::Part("echo"),
        args: &["-w", "echo", "--time-limit", "2"],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// The summary block of a run's stdout, from `Summary:` to the verdict.
#[track_caller]
fn summary_of(run: &Run) -> String {
    let at = run
        .stdout
        .find("Summary:\n")
        .unwrap_or_else(|| panic!("{}: no summary\n{}", run.name, run.output()));
    run.stdout[at..].to_string()
}

// ---------------------------------------------------------------------------------------------
// Pasted commands

/// Challenge 6c's command as its page prints it (`–-nemesis partition`, an en dash) is refused
/// with exit 254, naming the token and the fix, before any node starts (the README's
/// deliberate differences); after `--` the same token goes to the node.
#[test]
fn unicode_dash_option_is_refused() {
    let run = run(
        "unicode-dash",
        &strings(&[
            "test",
            "-w",
            "txn-rw-register",
            "--bin",
            "/bin/cat",
            "--node-count",
            "2",
            "--concurrency",
            "2n",
            "--time-limit",
            "20",
            "--rate",
            "1000",
            "--consistency-models",
            "read-committed",
            "--availability",
            "total",
            "\u{2013}-nemesis",
            "partition",
        ]),
    );
    run.assert_exit(254);
    assert!(
        run.stdout.contains("\"\u{2013}-nemesis\"")
            && run.stdout.contains("U+2013 EN DASH")
            && run.stdout.contains("Type it as --nemesis")
            && run.stdout.contains("after --"),
        "{}",
        run.output()
    );
    assert!(!run.cwd.join("store").exists(), "no run was started");
    run.clean();
}

// ---------------------------------------------------------------------------------------------
// Commands readers bring

/// Names from the Go tutorial and common slips get a pointer to what was meant: the Makefile's
/// `WORKLOAD=broadcast-3de` names 3d and 3e, `-w brodcast` gets "did you mean broadcast?",
/// `--node-count one` is not a whole number, a missing `--bin` says how parts are built.
#[test]
fn readers_slips_get_pointers() {
    let make = std::process::Command::new("make")
        .args(["-s", "check-workload", "WORKLOAD=broadcast-3de"])
        .current_dir(workspace())
        .output()
        .expect("make runs");
    let said = String::from_utf8_lossy(&make.stderr);
    assert!(!make.status.success(), "{said}");
    assert!(
        said.contains("WORKLOAD=broadcast-3d or WORKLOAD=broadcast-3e"),
        "{said}"
    );

    let cases: &[(&[&str], &str)] = &[
        (
            &["test", "-w", "brodcast", "--bin", "x"],
            "(did you mean broadcast?)",
        ),
        (
            &["test", "-w", "echo", "--bin", "x", "--node-count", "one"],
            "Error while parsing option \"--node-count one\": \"one\" is not a whole number",
        ),
        (&["test", "-w", "echo"], "built by make build MODULE=<part>"),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let run = run(&format!("slip-{i}"), &strings(args));
        run.assert_exit(254);
        assert!(
            run.stdout.contains(expected),
            "{args:?}: expected {expected:?} in\n{}",
            run.output()
        );
        run.clean();
    }

    // A part's binary that was never built: the setup error says how to build it.
    let run = run(
        "unbuilt-part",
        &strings(&[
            "test",
            "-w",
            "echo",
            "--bin",
            "target/release/echo",
            "--node-count",
            "1",
        ]),
    );
    run.assert_exit(255);
    assert!(
        run.stdout.contains("make build MODULE=echo"),
        "{}",
        run.output()
    );
    run.clean();
}

/// The runner's own reference ships with it: `maelstrom doc` prints the protocol and the
/// workloads (exit 0), the README links both files, and error texts point at them rather than at
/// a file only Maelstrom's repository has.
#[test]
fn doc_prints_the_reference() {
    let run = run("doc", &strings(&["doc"]));
    run.assert_exit(0);
    assert!(
        run.stdout.contains("# The protocol a node speaks")
            && run.stdout.contains("## init")
            && run.stdout.contains("## kafka")
            && run.stdout.contains("\"type\": \"broadcast_ok\""),
        "{}",
        run.output()
    );
    run.clean();
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README");
    for doc in ["maelstrom/doc/protocol.md", "maelstrom/doc/workloads.md"] {
        assert!(readme.contains(&format!("({doc})")), "README links {doc}");
        assert!(workspace().join(doc).exists(), "{doc}");
    }
    let sources = [
        "process/envelope.rs",
        "workload/schema.rs",
        "workload/mod.rs",
    ];
    for file in sources {
        let text =
            std::fs::read_to_string(workspace().join("maelstrom/src").join(file)).expect("source");
        assert!(!text.contains("See Maelstrom's doc/protocol.md"), "{file}");
    }
}

/// The README's list of the commands `--help` prints is the list `--help` prints.
#[test]
fn readme_lists_the_commands_help_lists() {
    let run = run("help-commands", &strings(&["--help"]));
    let commands = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Commands: "))
        .unwrap_or_else(|| panic!("no Commands: line\n{}", run.output()))
        .to_string();
    run.clean();
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README");
    let said = format!("`--help` lists the commands this runner has (`{commands}`)");
    assert!(readme.contains(&said), "README should say: {said}");
}

/// A run that could not be set up shows in `serve`'s index why it failed, not just `unknown`.
#[test]
fn failed_setup_says_why_in_the_index() {
    let run = run(
        "setup-failed",
        &strings(&[
            "test",
            "-w",
            "echo",
            "--bin",
            "/nonexistent/node",
            "--node-count",
            "1",
        ]),
    );
    run.assert_exit(255);
    let reply = maelstrom::serve::respond(&run.cwd.join("store"), "/");
    let page = match reply.body {
        maelstrom::serve::Body::Bytes(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        other => panic!("the index is a page, not {other:?}"),
    };
    assert!(
        page.contains("setup failed: Cannot run --bin /nonexistent/node"),
        "{page}"
    );
    run.clean();
}

// ---------------------------------------------------------------------------------------------
// The first run

/// When the runner is not built yet, `maelstrom/maelstrom` shows cargo's own progress while it
/// builds it (a cold build takes minutes); once built, cargo's no-op check stays quiet, unless
/// cargo rebuilds after all, which is said. A fake `cargo` first on the PATH stands in for the
/// build.
#[test]
fn first_run_shows_cargos_progress() {
    let dir = work_dir("first-run");
    let fake = dir.join("bin");
    std::fs::create_dir_all(&fake).expect("bin dir");
    let cargo = fake.join("cargo");
    std::fs::write(
        &cargo,
        "#!/bin/sh\n\
         if [ -x \"$CARGO_TARGET_DIR/release/maelstrom\" ]; then\n\
           [ -n \"$FAKE_REBUILD\" ] && echo '   Compiling serde_json v1.0.0 (fake)' >&2\n\
           echo '    Finished `release` profile [optimized] target(s) in 0.10s' >&2\n\
           exit 0\n\
         fi\n\
         echo '   Compiling maelstrom v0.1.0 (fake)' >&2\n\
         mkdir -p \"$CARGO_TARGET_DIR/release\"\n\
         printf '#!/bin/sh\\necho runner ran\\n' > \"$CARGO_TARGET_DIR/release/maelstrom\"\n\
         chmod +x \"$CARGO_TARGET_DIR/release/maelstrom\"\n",
    )
    .expect("fake cargo");
    std::process::Command::new("chmod")
        .args(["+x", &cargo.display().to_string()])
        .status()
        .expect("chmod");
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = workspace().join("maelstrom/maelstrom");
    let launch_with = |rebuild: &str| {
        std::process::Command::new(&script)
            .arg("--help")
            .env("FAKE_REBUILD", rebuild)
            .env("PATH", &path)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .current_dir(&dir)
            .output()
            .expect("the launcher runs")
    };
    let launch = || launch_with("");
    let first = launch();
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{said}");
    assert!(
        said.contains("building the runner") && said.contains("Compiling maelstrom"),
        "{said}"
    );
    assert_eq!(String::from_utf8_lossy(&first.stdout), "runner ran\n");
    let second = launch();
    assert!(
        second.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    // Built, but cargo rebuilds anyway (after a `cargo build --workspace`): said, not silent.
    let rebuilt = launch_with("1");
    let said = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(rebuilt.status.success(), "{said}");
    assert!(
        said.starts_with("maelstrom: cargo is rebuilding the runner")
            && said.contains("Compiling serde_json"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// What the summary says

/// A node that exits mid-test is named in the summary with its status, when, and its last
/// stderr line; the request in flight to it is counted as such, not as a timeout; the echo
/// checker says that request got no echo_ok instead of printing the sent string twice.
#[test]
fn crashed_node_is_summarised_as_a_crash() {
    let run = RUNS.wait("crash");
    run.assert_invalid();
    let summary = summary_of(&run);
    let crashed = summary
        .lines()
        .find(|l| l.starts_with("  crashed "))
        .unwrap_or_else(|| panic!("no crashed line:\n{summary}"));
    assert!(
        crashed.contains("n0 exited (exit status 3)")
            && crashed.contains(" s into the run")
            && crashed.contains("1 echo request in flight to it got no reply"),
        "{summary}"
    );
    assert!(
        summary.contains("  its stderr   misbehave: crashing on purpose after 5 echoes"),
        "{summary}"
    );
    assert!(!summary.contains("  timeouts "), "{summary}");
    assert!(
        run.stdout
            .contains("\"But received\"\n                      \"no echo_ok: info, net-timeout"),
        "{}",
        run.output()
    );
    assert!(matches!(
        at(&run.results(), &["crash", "time"]),
        Edn::Int(_)
    ));
    run.clean();
}

/// A node that printed 150 lines that are not messages: every one is counted in
/// `:error-count`, and the summary names the node and quotes its first bad line.
#[test]
fn protocol_errors_name_the_node_and_its_first_line() {
    let run = RUNS.wait("many-bad-lines");
    run.assert_invalid();
    let results = run.results();
    assert_eq!(int(at(&results, &["protocol", "error-count"])), 150);
    let summary = summary_of(&run);
    assert!(
        summary.contains(
            "  protocol     n0: 150 bad stdout lines, the first: Node n0 printed a line to \
             STDOUT which was not well-formed JSON:\n               bad line 1\n"
        ),
        "{summary}"
    );
    run.clean();
}

/// What ran is said in the summary, on the run page and in serve's index: the part and its
/// binary, the node count, the faults and the options that differ from the defaults; the
/// partitions that happened get a line of their own.
#[test]
fn what_ran_is_shown_everywhere() {
    let run = RUNS.wait("partitioned");
    run.assert_valid();
    let summary = summary_of(&run);
    for expected in [
        "  ran          unique-ids (--bin ",
        "/unique-ids), -w unique-ids\n",
        "  nodes        3: n0 to n2\n",
        "  faults       partition, every 10 s\n",
        "  options      --time-limit 3 --rate 10 --availability total (others at their defaults)\n",
        "  partition    1 time, in all ",
    ] {
        assert!(summary.contains(expected), "{expected:?} in\n{summary}");
    }
    let page = run.stored("index.html");
    assert!(
        page.contains("ran          unique-ids (--bin "),
        "the run page"
    );
    let index = maelstrom::serve::respond(&run.cwd.join("store"), "/");
    let maelstrom::serve::Body::Bytes(index) = index.body else {
        panic!("the index is a page");
    };
    let index = String::from_utf8_lossy(&index);
    assert!(
        index.contains("ran unique-ids (--bin ") && index.contains("faults partition, every 10 s"),
        "{index}"
    );
    run.clean();
}

/// Without --node-count the summary says the five default nodes are n1 to n5, as Maelstrom
/// names them, and that no faults were asked for.
#[test]
fn default_node_count_is_said() {
    let run = RUNS.wait("default-nodes");
    run.assert_valid();
    let summary = summary_of(&run);
    assert!(
        summary
            .contains("  nodes        5: n1 to n5 (no --node-count, so Maelstrom's default five"),
        "{summary}"
    );
    assert!(
        summary.contains("  faults       none (no --nemesis)\n"),
        "{summary}"
    );
    run.clean();
}

// ---------------------------------------------------------------------------------------------
// Test output

/// The runner's unit tests print only the harness's own lines: the warnings and status lines
/// of runs that break nodes on purpose go through the harness's capture, not to the terminal.
#[test]
fn unit_tests_print_only_the_harness_lines() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = std::process::Command::new(cargo)
        .args([
            "test",
            "-q",
            "-p",
            "maelstrom",
            "--lib",
            "--",
            "progress::",
            "runner::",
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    let stray: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("warning: n") || l.starts_with("[maelstrom]"))
        .collect();
    assert!(
        stray.is_empty(),
        "lines a reader would take for failures:\n{text}"
    );
}

/// `.ci/install-chromium.sh` on a fresh root machine (fake `dpkg`, `apt-get`, `id` and a
/// `chromium` launcher that prints Debian's `[: ...: unexpected operator` on the PATH) says what
/// it installed without running the launcher, so `make test` shows no such line.
#[test]
fn chromium_install_prints_no_launcher_noise() {
    let dir = work_dir("install-chromium");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let fakes = [
        // Nothing installed yet: every status query fails; after apt-get, the version.
        (
            "dpkg-query",
            "#!/bin/sh\ncase \"$*\" in *Status*) exit 1;; esac\necho 'installed chromium 1.0'\n",
        ),
        ("apt-get", "#!/bin/sh\nexit 0\n"),
        ("id", "#!/bin/sh\necho 0\n"),
        (
            "chromium",
            "#!/bin/sh\necho '/usr/bin/chromium: 9: [: 1 2: unexpected operator' >&2\necho 'Chromium 1.0'\n",
        ),
    ];
    for (name, script) in fakes {
        let path = bin.join(name);
        std::fs::write(&path, script).expect("fake");
        std::process::Command::new("chmod")
            .args(["+x", &path.display().to_string()])
            .status()
            .expect("chmod");
    }
    let out = std::process::Command::new(workspace().join(".ci/install-chromium.sh"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("the script runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("unexpected operator"), "{text}");
    assert!(text.contains("installed chromium"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run's zip (`serve`'s zip link) dates each entry by its file's modification time, not
/// 1980-01-01.
#[test]
fn zip_entries_carry_their_files_dates() {
    let run = RUNS.wait("zipped");
    run.assert_valid();
    let dir = std::fs::canonicalize(run.cwd.join("store/latest")).expect("the run's folder");
    let mut bytes = Vec::new();
    maelstrom::serve::write_zip(&dir, &mut bytes).expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let this_year = {
        use chrono::Datelike;
        chrono::Local::now().year()
    };
    for i in 0..zip.len() {
        let entry = zip.by_index(i).expect("entry");
        let date = entry.last_modified().expect("a date");
        assert!(
            i32::from(date.year()) >= this_year - 1,
            "{:?} is dated {date:?}",
            entry.name()
        );
    }
    assert!(zip.len() > 3, "{} entries", zip.len());
    run.clean();
}

/// Targets are shown with their figures, not only `met`.
#[test]
fn targets_show_their_figures() {
    let run = RUNS.wait("targets");
    run.assert_valid();
    let summary = summary_of(&run);
    let line = summary
        .lines()
        .find(|l| l.starts_with("  targets "))
        .unwrap_or_else(|| panic!("no targets line:\n{summary}"));
    assert!(
        line.starts_with("  targets      met: msgs-per-op ")
            && line.contains(" <= 100.0, median latency ")
            && line.contains(" ms <= 1000 ms, max latency ")
            && line.ends_with(" ms <= 2000 ms"),
        "{summary}"
    );
    run.clean();
}

/// A g-counter run shows its final reads and the range they had to fall in.
#[test]
fn g_counter_shows_final_value_and_range() {
    let run = RUNS.wait("g-counter");
    run.assert_valid();
    let summary = summary_of(&run);
    assert!(
        summary.contains("  final reads  ") && summary.contains(" final reads\n"),
        "{summary}"
    );
    assert!(
        summary.contains("  acceptable   ")
            && summary.contains(
                "(the acknowledged adds' sum, plus any of the adds whose outcome is unknown)"
            ),
        "{summary}"
    );
    run.clean();
}

/// A kafka run's info ops are explained as the clients the workload replaces on purpose
/// (`:crash`), not nodes crashing.
#[test]
fn kafka_crash_ops_are_explained() {
    let run = RUNS.wait("kafka");
    run.assert_valid();
    let summary = summary_of(&run);
    let ops = summary
        .lines()
        .find(|l| l.starts_with("  ops "))
        .unwrap_or_else(|| panic!("no ops line:\n{summary}"));
    assert!(
        ops.contains(" :crash: a client the workload replaced on purpose")
            && ops.contains("no node crashed"),
        "{summary}"
    );
    run.clean();
}
