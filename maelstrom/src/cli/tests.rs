//! The command line's tests: each parses a real command line and checks the options or the
//! exact texts Maelstrom would print.

use super::*;
use crate::options::{LatencyDist, TopologyKind};

/// Splits a command line on whitespace (no quoting needed in these tests).
pub(super) fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// Options of a `test ...` line, as Maelstrom parses them (any workload name it knows).
#[track_caller]
pub(super) fn test_opts(line: &str) -> TestOptions {
    let all = args(line);
    assert_eq!(all.first().map(String::as_str), Some("test"));
    match parse_test_options(&all[1..], workload::REGISTRY) {
        Ok(Command::Test(opts)) => opts,
        other => panic!("expected test options for {line:?}, got {other:?}"),
    }
}

/// The error text for a command line that must fail with exit 254.
#[track_caller]
pub(super) fn error(line: &str) -> String {
    match parse(&args(line)) {
        Err(e) => {
            assert_eq!(e.exit_code, 254, "exit code for {line:?}");
            e.message
        }
        other => panic!("expected an argument error for {line:?}, got {other:?}"),
    }
}

/// Without options every default is Maelstrom's.
#[test]
fn defaults_are_maelstroms() {
    let o = test_opts("test --bin ./x");
    assert_eq!(o.bin, PathBuf::from("./x"));
    assert_eq!(o.workload, "lin-kv");
    assert_eq!(o.time_limit, 60);
    assert_eq!(o.rate, 5.0);
    assert_eq!(o.latency, 0);
    assert_eq!(o.latency_dist, LatencyDist::Constant);
    assert_eq!(o.nemesis_interval, 10.0);
    assert!(o.nemesis.is_empty());
    assert_eq!(o.topology, TopologyKind::Grid);
    assert_eq!(o.nodes, vec!["n1", "n2", "n3", "n4", "n5"]);
    assert_eq!(o.concurrency, 5);
    assert_eq!(o.test_count, 1);
    assert_eq!(o.availability, None);
    assert_eq!(
        o.workload_opts.consistency_models,
        vec!["strict-serializable"]
    );
    assert_eq!(
        (
            o.workload_opts.max_txn_length,
            o.workload_opts.max_writes_per_key,
            o.workload_opts.key_count
        ),
        (4, 16, None)
    );
    assert_eq!(o.seed, None);
    assert!(o.node_args.is_empty());
    assert!(!o.log_stderr && !o.log_net_send && !o.log_net_recv);
    assert_eq!(
        o,
        TestOptions {
            bin: PathBuf::from("./x"),
            ..TestOptions::default()
        }
    );
}

/// The tutorial's broadcast command parses to what it says.
#[test]
fn tutorial_command() {
    let o = test_opts(
        "test -w broadcast --bin target/release/broadcast-3b --node-count 5 --time-limit 20 --rate 10 --nemesis partition --latency 100 --latency-dist uniform --topology tree3 --log-stderr --seed 42",
    );
    assert_eq!(o.workload, "broadcast");
    assert_eq!(o.nodes, vec!["n0", "n1", "n2", "n3", "n4"]);
    assert_eq!((o.time_limit, o.rate, o.latency), (20, 10.0, 100));
    assert_eq!(o.latency_dist, LatencyDist::Uniform);
    assert_eq!(o.topology, TopologyKind::Tree(3));
    assert!(o.nemesis.contains("partition") && o.nemesis.len() == 1 && o.log_stderr);
    assert!(!o.workload_opts.wfr_mops);
    assert!(test_opts("test --bin x --wfr-mops").workload_opts.wfr_mops);
    assert_eq!(o.seed, Some(42));
}

/// `--opt=value`, `-wvalue`, options after trailing arguments, `--` and repeated options.
#[test]
fn token_forms() {
    let o = test_opts("test extra1 --rate=7.5 -wecho --bin=/b extra2 --rate 8 -- --verbose -w x");
    assert_eq!(o.rate, 8.0);
    assert_eq!(o.workload, "echo");
    assert_eq!(o.bin, PathBuf::from("/b"));
    assert_eq!(
        o.node_args,
        vec!["extra1", "extra2", "--verbose", "-w", "x"]
    );
}

/// A value that starts with `-` is still the option's value (tools.cli consumes the next token).
#[test]
fn hyphen_values_are_values() {
    assert_eq!(
        error("test --bin x --latency -1"),
        "Failed to validate \"--latency -1\": Must be non-negative"
    );
    let o = test_opts("test --nodes -n1 --bin x");
    assert_eq!(o.nodes, vec!["-n1"]);
}

/// No command, or an unknown one, prints the usage and exits 254.
#[test]
fn unknown_command() {
    for line in ["", "frobnicate", "--help"] {
        let e = error(line);
        assert!(
            e.starts_with(
                "Usage: maelstrom COMMAND [OPTIONS ...]\nCommands: analyze, doc, serve, test"
            ),
            "{e}"
        );
    }
    assert!(error("tset -w echo")
        .ends_with("Unknown command \"tset\": the commands are analyze, doc, serve and test."));
    assert!(!error("--help").contains("Unknown command"));
}

/// `test --help` gives the usage text and the option summary, even with bad options around.
#[test]
fn help() {
    for line in ["test --help", "test -h", "test --bogus -h --rate"] {
        let Ok(Command::Help(text)) = parse(&args(line)) else {
            panic!("no help for {line:?}");
        };
        assert!(text.starts_with(TEST_USAGE), "{text}");
        assert!(text.contains("  254   Invalid arguments\n"));
        assert!(text.contains("    --rate RATE"), "{text}");
        assert!(text.contains("-w, --workload NAME"), "{text}");
        assert!(text.ends_with('\n'));
    }
    let Ok(Command::Help(text)) = parse(&args("serve --help")) else {
        panic!("no serve help");
    };
    assert!(text.contains("-p, --port NUMBER"), "{text}");
}

/// `--nemesis` takes names from the fault registry: the help lists them, the options hold the
/// set chosen (a name given twice is chosen once), and an unknown name is refused naming them.
#[test]
fn nemesis_names_come_from_the_registry() {
    let names: Vec<&str> = crate::nemesis::names().collect();
    let Ok(Command::Help(text)) = parse(&args("test --help")) else {
        panic!("no help");
    };
    let listed = format!("Comma-separated faults to inject: {}.", names.join(", "));
    assert!(text.contains(&listed), "{text}");
    assert!(!text.contains("{faults}"), "{text}");
    let Ok(Command::Test(o)) = parse(&args("test -w echo --bin x --nemesis partition,partition"))
    else {
        panic!("partition refused");
    };
    assert_eq!(o.nemesis.iter().collect::<Vec<_>>(), ["partition"]);
    let Err(e) = parse(&args("test -w echo --bin x --nemesis partition,zap")) else {
        panic!("zap accepted");
    };
    let expected = format!(
        "Failed to validate \"--nemesis partition,zap\": Must be one of {}",
        names.join(", ")
    );
    assert!(e.message.contains(&expected), "{}", e.message);
}

/// Misleading words, kind "help that is not this program's": the usage names `maelstrom`, not
/// `lein run` or Java, has no blank lines between "Options:" and the options, and keeps
/// Maelstrom's option names and exit codes; number errors are plain words.
#[test]
fn help_is_this_runners_own() {
    for line in ["test --help", "serve --help"] {
        let Ok(Command::Help(text)) = parse(&args(line)) else {
            panic!("no help for {line:?}");
        };
        assert!(text.starts_with("Usage: maelstrom "), "{text}");
        assert!(!text.contains("lein") && !text.contains("java"), "{text}");
        assert!(text.contains("Options:\n  -"), "{text}");
    }
    assert!(!error("").contains("lein"));
    for line in [
        "test --bin x --time-limit abc",
        "test --bin x --rate ten",
        "test --bin x --rate=",
    ] {
        let text = error(line);
        assert!(
            !text.contains("java") && !text.contains("Exception"),
            "{text}"
        );
    }
}

/// Misleading words, kind "a default the user did not see": without -w the error says -w
/// defaults to lin-kv; with -w it does not.
#[test]
fn missing_workload_says_the_default() {
    let text = error("test --bin x");
    assert!(
        text.contains("-w was not given, and it defaults to lin-kv"),
        "{text}"
    );
    assert!(!error("test --bin x -w lin-kv").contains("-w was not given"));
}

/// Misleading words, kind "an option pasted with a Unicode dash": each such token before `--`
/// is an argument error naming it, its dash, the option it was meant to be and `--`; ASCII
/// options, plain arguments, a lone dash, and anything after `--` pass.
#[test]
fn unicode_dashes_are_refused() {
    let line: Vec<String> = [
        "test",
        "--bin",
        "x",
        "-w",
        "echo",
        "\u{2013}-nemesis",
        "partition",
        "\u{2014}rate",
        "\u{2212}n",
        "n1",
        "\u{2013}",
        "--",
        "\u{2013}-verbose",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let text = parse(&line).expect_err("refused").message;
    let errors: Vec<&str> = text.lines().collect();
    assert_eq!(errors.len(), 3, "{text}");
    assert!(
        errors[0].contains("\"\u{2013}-nemesis\"") && errors[0].contains("U+2013 EN DASH"),
        "{text}"
    );
    assert!(errors[0].contains("Type it as --nemesis;"), "{text}");
    assert!(errors[0].contains("put it after --."), "{text}");
    assert!(errors[1].contains("Type it as --rate;"), "{text}");
    assert!(errors[2].contains("Type it as -n;"), "{text}");
    let o = test_opts("test --bin x -w echo --nemesis partition -- \u{2013}-x");
    assert_eq!(o.node_args, vec!["\u{2013}-x"]);
}

/// tools.cli's message shapes, each exactly.
#[test]
fn error_shapes() {
    let cases = [
        ("test --bin x --foo", "Unknown option: \"--foo\""),
        ("test --bin x --foo=3", "Unknown option: \"--foo\""),
        ("test --bin x -z", "Unknown option: \"-z\""),
        ("test --bin x --log-stderr=1", "Option \"--log-stderr\" takes no argument"),
        ("test --bin x -n", "Missing required argument for \"-n HOSTNAME\""),
        ("test --bin x --rate", "Missing required argument for \"--rate RATE\""),
        ("test --bin x -w", "Missing required argument for \"-w NAME\""),
        ("test --bin x --rate -1", "Failed to validate \"--rate -1\": Can't be negative"),
        ("test --bin x --rate=-1", "Failed to validate \"--rate -1\": Can't be negative"),
        (
            "test --bin x --time-limit abc",
            "Error while parsing option \"--time-limit abc\": \"abc\" is not a whole number",
        ),
        ("test --bin x --time-limit 0", "Failed to validate \"--time-limit 0\": Must be positive"),
        ("test --bin x --test-count -2", "Failed to validate \"--test-count -2\": Must be positive"),
        (
            "test --bin x --rate ten",
            "Error while parsing option \"--rate ten\": \"ten\" is not a number",
        ),
        ("test --bin x --latency abc", "Failed to validate \"--latency abc\": Must be a whole number of ms, 0 or more"),
        ("test --bin x --latency 1e3", "Failed to validate \"--latency 1e3\": Must be a whole number of ms, 0 or more"),
        (
            "test --bin x --time-limit 99999999999999999999",
            "Error while parsing option \"--time-limit 99999999999999999999\": \
             \"99999999999999999999\" is too large: a whole number here is at most \
             9223372036854775807 and at least -9223372036854775808",
        ),
        ("serve -p -1", "Failed to validate \"-p -1\": Must be a port number, 0 or more (0: any free port)"),
        ("test --bin x --node-count 0", "Failed to validate \"--node-count 0\": Must be positive."),
        ("test --bin x --key-count 0", "Failed to validate \"--key-count 0\": must be positive"),
        (
            "test --bin x --latency-dist normal",
            "Failed to validate \"--latency-dist normal\": Must be constant, uniform, or exponential",
        ),
        ("test --bin x --nemesis crash", "Failed to validate \"--nemesis crash\": Must be one of partition, pause, kill"),
        ("test --bin x --nemesis-interval 0", "Failed to validate \"--nemesis-interval 0\": Must be positive"),
        (
            "test --bin x --topology star",
            "Failed to validate \"--topology star\": Must be one of grid, line, total, tree, tree2, tree3, tree4",
        ),
        (
            "test --bin x --availability 2",
            "Failed to validate \"--availability 2\": must be either 'total' or a number between 0 and 1.",
        ),
        (
            "test --bin x --concurrency 2x",
            "Failed to validate \"--concurrency 2x\": Must be an integer, optionally followed by n.",
        ),
        ("test --bin x --concurrency 0n", "Failed to validate \"--concurrency 0n\": Must be positive"),
        ("test --bin x --concurrency 0", "Failed to validate \"--concurrency 0\": Must be positive"),
        ("test -w echo", "Expected a --bin PATH_TO_BINARY to test (a part's binary is target/release/<part>, built by make build MODULE=<part>, e.g. --bin target/release/echo)"),
        (
            "test --bin x -w nope",
            "Failed to validate \"-w nope\": Must be one of broadcast, echo, g-counter, g-set, kafka, lin-kv, pn-counter, txn-list-append, txn-rw-register, unique-ids",
        ),
        ("test --bin x --seed -3", "Failed to validate \"--seed -3\": Must be non-negative"),
        ("test --bin x --max-latency x", "Failed to validate \"--max-latency x\": Must be a whole number of ms, 0 or more"),
        (
            "test --bin x --max-msgs-per-op -1",
            "Failed to validate \"--max-msgs-per-op -1\": Must be a non-negative number",
        ),
        ("serve --port 70000", "Failed to validate \"--port 70000\": Must be a port number, at most 65535"),
    ];
    for (line, expected) in cases {
        assert_eq!(error(line), expected, "for {line:?}");
    }
    // An unknown workload: every name of the registry, in its order (Maelstrom's text).
    let names = crate::workload::names(crate::workload::REGISTRY).join(", ");
    assert_eq!(
        error("test --bin x -w nope"),
        format!("Failed to validate \"-w nope\": Must be one of {names}")
    );
}

/// Several errors are all reported, one per line, in command-line order, then the missing --bin.
#[test]
fn several_errors() {
    assert_eq!(
        error("test --rate -1 --latency x"),
        "Failed to validate \"--rate -1\": Can't be negative\n\
         Failed to validate \"--latency x\": Must be a whole number of ms, 0 or more\n\
         Expected a --bin PATH_TO_BINARY to test (a part's binary is target/release/<part>, built by make build MODULE=<part>, e.g. --bin target/release/echo)"
    );
}

/// Unknown options no longer stop parsing: each is reported in its place, then the missing --bin.
#[test]
fn unknown_options_among_other_errors() {
    assert_eq!(
        error("test --rate -1 --foo --bar"),
        "Failed to validate \"--rate -1\": Can't be negative\n\
         Unknown option: \"--foo\"\n\
         Unknown option: \"--bar\"\n\
         Expected a --bin PATH_TO_BINARY to test (a part's binary is target/release/<part>, built by make build MODULE=<part>, e.g. --bin target/release/echo)"
    );
    assert_eq!(
        error("test --foo=3 --latency x -z --bin b --log-stderr=1 --rate=-1 --topology star -n"),
        "Unknown option: \"--foo\"\n\
         Failed to validate \"--latency x\": Must be a whole number of ms, 0 or more\n\
         Unknown option: \"-z\"\n\
         Option \"--log-stderr\" takes no argument\n\
         Failed to validate \"--rate -1\": Can't be negative\n\
         Failed to validate \"--topology star\": Must be one of grid, line, total, tree, tree2, tree3, tree4\n\
         Missing required argument for \"-n HOSTNAME\""
    );
}

/// `serve` reports every bad option in order too.
#[test]
fn serve_reports_every_error() {
    assert_eq!(
        error("serve --bogus -p -1 -z --host=h --port=x"),
        "Unknown option: \"--bogus\"\n\
         Failed to validate \"-p -1\": Must be a port number, 0 or more (0: any free port)\n\
         Unknown option: \"-z\"\n\
         Error while parsing option \"--port x\": \"x\" is not a whole number"
    );
}

/// A word after `serve` is an argument error naming it, not silently ignored.
#[test]
fn serve_refuses_arguments() {
    assert_eq!(
        error("serve store/echo"),
        "serve takes no arguments, only options (it serves store/ under the working directory; \
         cd to where store/ is): store/echo"
    );
}

/// Jepsen's SSH and DB options are accepted and change nothing.
#[test]
fn ignored_jepsen_options() {
    let o = test_opts(
        "test --bin x --leave-db-running --logging-json --username u --password p --no-ssh --strict-host-key-checking --ssh-private-key k",
    );
    assert_eq!(
        o,
        TestOptions {
            bin: PathBuf::from("x"),
            ..TestOptions::default()
        }
    );
}

/// Issue 4's targets parse into their fields.
/// `--run-budget` (ours) is in MiB, 1 GiB by default; 0, a negative or a fraction is refused,
/// saying what is wanted.
#[test]
fn run_budget() {
    assert_eq!(test_opts("test --bin x").run_budget, 1 << 30);
    assert_eq!(
        test_opts("test --bin x --run-budget 16").run_budget,
        16 << 20
    );
    for bad in ["0", "-1", "1.5"] {
        let e = error(&format!("test --bin x --run-budget {bad}"));
        assert!(
            e.ends_with(": Must be a whole number of MiB, from 1 to 1073741824")
                || e.ends_with(&format!(": \"{bad}\" is not a whole number")),
            "{e}"
        );
    }
}

#[test]
fn targets() {
    let o =
        test_opts("test --bin x --max-msgs-per-op 30 --max-median-latency 400 --max-latency=600");
    assert_eq!(o.max_msgs_per_op, Some(30.0));
    assert_eq!(
        (o.max_median_latency_ms, o.max_latency_ms),
        (Some(400), Some(600))
    );
}

/// The default workload, lin-kv, runs with a concurrency that is a multiple of 2n; otherwise
/// `parse` says so with exit 254 (Maelstrom's generator would crash the test with exit 255).
#[test]
fn default_workload_needs_concurrency_2n() {
    assert!(matches!(
        parse(&args("test --bin x --concurrency 2n")),
        Ok(Command::Test(o)) if o.workload == "lin-kv"
    ));
    assert!(error("test --bin x").contains("at least 10 (--concurrency 2n)"));
    assert!(
        error("test --bin x -w lin-kv --node-count 2 --concurrency 6").contains("a multiple of 4")
    );
}

/// `serve` defaults and options.
#[test]
fn serve() {
    assert_eq!(
        parse(&args("serve")),
        Ok(Command::Serve {
            host: "127.0.0.1".into(),
            port: 8080
        })
    );
    assert_eq!(
        parse(&args("serve -b 0.0.0.0 --port=9000")),
        Ok(Command::Serve {
            host: "0.0.0.0".into(),
            port: 9000
        })
    );
    assert_eq!(error("serve --bogus"), "Unknown option: \"--bogus\"");
    // Port 0: any free port, which serve prints once it listens.
    assert_eq!(
        parse(&args("serve -p 0")),
        Ok(Command::Serve {
            host: "127.0.0.1".into(),
            port: 0
        })
    );
}

/// The command line checks a workload's name and options without building it (`main` builds
/// it once per test): parsing never calls a build, and an entry's check that refuses the
/// options is an argument error carrying its text.
#[test]
fn parsing_checks_options_without_building() {
    let mut registry = workload::REGISTRY.to_vec();
    registry.push(Entry::new("zz-unbuilt", |_| {
        panic!("the command line built the workload")
    }));
    registry.push(
        Entry::new("zz-picky", workload::echo::build)
            .checked(|_| Err("zz-picky refuses these options".into())),
    );
    let parsed = parse_with(&args("test --bin x -w zz-unbuilt"), &registry);
    assert!(matches!(parsed, Ok(Command::Test(_))), "{parsed:?}");
    let Err(picky) = parse_with(&args("test --bin x -w zz-picky"), &registry) else {
        panic!("zz-picky accepted");
    };
    assert_eq!(picky.exit_code, EXIT_BAD_ARGS);
    assert!(picky.message.contains("zz-picky refuses"), "{picky}");
}

/// Adding a workload to the registry is all the command line needs to accept it; a name the
/// registry lacks is refused, and one marked `not_yet` gets "not supported yet".
#[test]
fn registry_decides_the_workloads() {
    let mut registry = workload::REGISTRY.to_vec();
    registry.push(Entry::new("zz-new", workload::echo::build));
    registry.push(Entry::not_yet("zz-later"));
    let line = args("test --bin x -w zz-new");
    assert!(matches!(parse_with(&line, &registry), Ok(Command::Test(o)) if o.workload == "zz-new"));
    let Err(refused) = parse(&line) else {
        panic!("zz-new accepted without a registry entry");
    };
    assert!(
        refused.message.contains("Must be one of broadcast, echo,"),
        "{refused}"
    );
    let Err(later) = parse_with(&args("test --bin x -w zz-later"), &registry) else {
        panic!("zz-later accepted");
    };
    assert_eq!(later.exit_code, EXIT_BAD_ARGS);
    assert!(
        later.message.contains("zz-later is not supported yet"),
        "{later}"
    );
}

/// Our own options and `--bin` say what they want instead of copying a Maelstrom text that fits
/// another mistake.
#[test]
fn own_option_errors_say_what_is_wanted() {
    let e = error("test --bin x --max-latency abc");
    assert!(
        e.ends_with("\"--max-latency abc\": Must be a whole number of ms, 0 or more"),
        "{e}"
    );
    let e = error("test --bin x --max-median-latency 1.5");
    assert!(e.contains("Must be a whole number of ms"), "{e}");
    let empty: Vec<String> = ["test", "-w", "echo", "--bin", ""]
        .map(String::from)
        .to_vec();
    let e = parse(&empty).expect_err("an empty --bin is an argument error");
    assert_eq!(e.exit_code, 254);
    assert!(
        e.message
            .contains("Must be the path of the node program, not empty"),
        "{}",
        e.message
    );
}

/// `--consistency-models` is a plain comma list of known models; unknown names are errors.
#[test]
fn consistency_model_lists() {
    let o = test_opts("test --bin x --consistency-models serializable,strict-serializable");
    assert_eq!(
        o.workload_opts.consistency_models,
        vec!["serializable", "strict-serializable"]
    );
    let e = error("test --bin x --consistency-models serializable,bogus");
    assert!(e.starts_with("Failed to validate \"--consistency-models serializable,bogus\": Unknown consistency model bogus;"), "{e}");
    assert!(e.contains("known models are: 1SR, PL-1, PL-2,"), "{e}");
}

/// Node names escape the store, kind "a name that is not a plain file name": `/`, `.`, `..`,
/// NUL and over-long names are argument errors (exit 254) naming the node.
#[test]
fn node_names_must_be_file_names() {
    for line in [
        "test --bin x -w echo -n ../../latest/jepsen",
        "test --bin x -w echo --nodes n1,a/b",
        "test --bin x -w echo -n ..",
        "test --bin x -w echo -n .",
    ] {
        let text = error(line);
        assert!(text.contains("must be a plain file name"), "{line}: {text}");
    }
    let long = "n".repeat(201);
    assert!(error(&format!("test --bin x -w echo -n {long}")).contains("201 bytes long"));
    let dir = std::env::temp_dir().join(format!("maelstrom-nodes-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("nodes");
    std::fs::write(&file, "n1\nx\0y\n").expect("nodes file");
    let text = error(&format!(
        "test --bin x -w echo --nodes-file {}",
        file.display()
    ));
    assert!(text.contains("NUL"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(
        parse(&args("test --bin x -w echo -n n.1 -n node-2")),
        Ok(Command::Test(_))
    ));
}

/// The lin-kv checker's budgets (ours) parse into their fields, with the defaults otherwise.
#[test]
fn linearizable_budgets_parse() {
    let o = test_opts("test --bin x");
    assert_eq!(
        (
            o.workload_opts.linearizable_time_limit,
            o.workload_opts.linearizable_memory_limit_mb
        ),
        (30.0, 1024)
    );
    let o = test_opts("test --bin x --linearizable-time-limit 2.5 --linearizable-memory-limit=300");
    assert_eq!(
        (
            o.workload_opts.linearizable_time_limit,
            o.workload_opts.linearizable_memory_limit_mb
        ),
        (2.5, 300)
    );
    let help = match parse(&args("test --help")) {
        Ok(Command::Help(text)) => text,
        other => panic!("{other:?}"),
    };
    assert!(
        help.contains("--linearizable-time-limit SECONDS")
            && help.contains("--linearizable-memory-limit MB")
            && help.contains("lin-kv (ours)"),
        "{help}"
    );
}

/// A budget that is not positive, not a number or out of range is an argument error naming
/// the option.
#[test]
fn linearizable_budgets_reject_bad_values() {
    for (line, wanted) in [
        (
            "test --bin x --linearizable-time-limit 0",
            "\"--linearizable-time-limit 0\": Must be a positive number of seconds, at most 1000000",
        ),
        (
            "test --bin x --linearizable-time-limit -3",
            "\"--linearizable-time-limit -3\": Must be a positive number of seconds",
        ),
        (
            "test --bin x --linearizable-time-limit 1e9",
            "\"--linearizable-time-limit 1e9\": Must be a positive number of seconds, at most 1000000",
        ),
        (
            "test --bin x --linearizable-time-limit soon",
            "--linearizable-time-limit",
        ),
        (
            "test --bin x --linearizable-memory-limit 0",
            "\"--linearizable-memory-limit 0\": Must be a whole number of MB, from 1 to 1048576",
        ),
        (
            "test --bin x --linearizable-memory-limit 1.5",
            "\"--linearizable-memory-limit 1.5\": Must be a whole number of MB",
        ),
        (
            "test --bin x --linearizable-memory-limit 99999999",
            "\"--linearizable-memory-limit 99999999\": Must be a whole number of MB",
        ),
    ] {
        let e = error(line);
        assert!(e.contains(wanted), "{line}: {e}");
    }
}

/// `--key-count` past the bound, even one too large for a long, is an argument error naming the
/// option and the bound, not an allocation failure or a hang while the key pool is built.
#[test]
fn key_count_is_bounded() {
    assert_eq!(
        test_opts("test -w txn-rw-register --bin x --key-count 1000")
            .workload_opts
            .key_count,
        Some(1000)
    );
    for value in ["1001", "100000000", "99999999999", "99999999999999999999"] {
        let e = error(&format!("test -w kafka --bin x --key-count {value}"));
        assert!(
            e.contains(&format!("\"--key-count {value}\": At most 1000: ")),
            "{value}: {e}"
        );
    }
    for value in ["0", "-3"] {
        let e = error(&format!("test --bin x --key-count {value}"));
        assert!(e.contains("must be positive"), "{value}: {e}");
    }
    let e = error("test --bin x --key-count many");
    assert!(e.contains("\"many\" is not a whole number"), "{e}");
}

/// `--max-txn-length` and `--max-writes-per-key` past their bounds (the trial's 100000000
/// took 11.8 GB; 1000000 made a correct node's reply a protocol error), or together too large
/// for a reply of full lists to fit a message, are argument errors naming the options.
#[test]
fn txn_sizes_are_bounded() {
    let o = test_opts(
        "test -w txn-list-append --bin x --max-txn-length 1000 --max-writes-per-key 1000",
    );
    assert_eq!(
        (
            o.workload_opts.max_txn_length,
            o.workload_opts.max_writes_per_key
        ),
        (1000, 1000)
    );
    // One key that is never retired (the dirty-writes end-to-end test).
    let o = test_opts(
        "test -w txn-rw-register --bin x --max-txn-length 10 --max-writes-per-key 100000",
    );
    assert_eq!(o.workload_opts.max_writes_per_key, 100000);
    for (option, value, bound) in [
        ("max-txn-length", "1001", "1000"),
        ("max-txn-length", "1000000", "1000"),
        ("max-txn-length", "99999999999999999999", "1000"),
        ("max-writes-per-key", "1000001", "1000000"),
        ("max-writes-per-key", "99999999999999999999", "1000000"),
    ] {
        let e = error(&format!(
            "test -w txn-rw-register --bin x --{option} {value}"
        ));
        assert!(
            e.contains(&format!("\"--{option} {value}\": At most {bound}: "))
                && e.contains("8 MiB"),
            "{option} {value}: {e}"
        );
    }
    for option in ["max-txn-length", "max-writes-per-key"] {
        let e = error(&format!("test --bin x --{option} 0"));
        assert!(e.contains("must be positive"), "{option}: {e}");
        let e = error(&format!("test --bin x --{option} 1e3"));
        assert!(e.contains("\"1e3\" is not a whole number"), "{option}: {e}");
    }
    // Only txn-list-append's replies grow with both: elsewhere the product is not bounded.
    let o = test_opts("test -w lin-kv --bin x --max-writes-per-key 1000000");
    assert_eq!(o.workload_opts.max_writes_per_key, 1000000);
    let e =
        error("test -w txn-list-append --bin x --max-txn-length 1000 --max-writes-per-key 2000");
    assert!(
        e.contains("--max-txn-length 1000 with --max-writes-per-key 2000 (each as given")
            && e.contains("about 10 MB, more than the 8 MiB a message may have"),
        "{e}"
    );
}

/// The largest reply the bounds allow is at least as large as a real one: a correct node's
/// reply to the largest transaction (every micro-op a read of a full list, keys as large as a
/// long) at the limit of what [`values::check_txn_sizes`] accepts fits a message, so the node
/// is never blamed for its size.
#[test]
fn txn_bounds_fit_a_message() {
    use super::values::{largest_txn_reply, MAX_TXN_LENGTH, MAX_WRITES_PER_KEY};
    for (length, writes) in [
        (MAX_TXN_LENGTH, 1000),
        (1, MAX_WRITES_PER_KEY),
        (10, 100_000),
    ] {
        let full: Vec<u64> = (1..=writes).collect();
        let reply: Vec<_> = (0..length)
            .map(|_| serde_json::json!(["r", i64::MAX, full]))
            .collect();
        let reply = serde_json::json!({"src": "n999", "dest": "c99999", "body": {
            "type": "txn_ok", "msg_id": u64::MAX, "in_reply_to": u64::MAX, "txn": reply
        }})
        .to_string()
        .len();
        let bound = largest_txn_reply(length, writes);
        assert!(
            reply as u128 <= bound,
            "{length} x {writes}: {reply} > {bound}"
        );
        assert!(
            bound <= crate::process::MAX_MESSAGE_BYTES as u128,
            "{length} x {writes}: {bound}"
        );
    }
}
