//! `maelstrom analyze [OPTIONS ...] [PATH ...]`: the command line of Jepsen's `analyze`
//! (`jepsen.cli`), which judges a stored test again with the test's own options.
//!
//! Jepsen's `analyze` takes `-t INDEX_OR_PATH` and rebuilds the test from the command line the
//! test was started with; ours takes run folders as its arguments (none: `store/latest`) and
//! reads each one's `test.edn`. It takes every option `test` takes, and those given override
//! what `test.edn` says, so a folder holding only a `history.edn` (from another runner, or
//! written by hand) is analysed with `-w NAME` and whatever else its checkers need. The options
//! are checked once when the command line is read (exit 254 before anything is analysed), and
//! applied to each folder's `test.edn` by [`Analyze::options_over`].

use std::path::PathBuf;

use crate::analyze::DEFAULT_PATH;
use crate::options::TestOptions;
use crate::workload::{self, Entry};

use super::nodes::{node_name_errors, resolve_concurrency, resolve_nodes};
use super::table::{help_text, TEST_OPTS};
use super::tokens::run_clap;
use super::values::Raw;
use super::{apply_all, asks_for_help, names_a_workload, CliError, Command};

/// The usage text of `analyze`, with its exit statuses.
pub(super) const ANALYZE_USAGE: &str = "Usage: maelstrom analyze [OPTIONS ...] [PATH ...]

Analyses stored runs again (Jepsen's analyze). Each PATH is a run's folder, holding its
history.edn and normally its test.edn (the options the run was started with); without a
PATH, store/latest. Options given here override what test.edn says (but -w must be the
workload it ran, and --bin and --test-count are test's only), so a folder holding
only a history.edn is analysed with -w NAME and the options given (the node list and
--concurrency place each client process on its node). Writes results.edn, the views and
index.html into each folder, prints each run's results and verdict, and exits with the
worst status:

  0     Every run is valid
  1     Some run is invalid
  2     Some run had an :unknown validity, and none is invalid
  254   Invalid arguments: an option, or a PATH that is not a run's folder
  255   A history.edn or test.edn that cannot be read (named with its line or key)

Options (the defaults are those of a test.edn that leaves the option out):";

/// What `analyze` was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyze {
    /// The run folders, in command-line order (`store/latest` when none is given).
    pub paths: Vec<PathBuf>,
    /// Every token after `analyze`: the options are read again over each folder's test.edn.
    args: Vec<String>,
    /// Whether `-w` was given: without it and without a test.edn, the error says so.
    names_workload: bool,
}

/// Parses `analyze`'s arguments (without the command name).
pub(super) fn parse(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    let help = || Command::Help(help_text(ANALYZE_USAGE, TEST_OPTS));
    let matches = match run_clap("analyze", TEST_OPTS, args) {
        Ok(m) => m,
        Err(_) if asks_for_help(args) => return Ok(help()),
        Err(errors) => return Err(CliError::bad_args(errors)),
    };
    if matches.flags.contains(&"help") {
        return Ok(help());
    }
    // Options that only say how to run nodes change nothing analyze does; taken silently, a
    // reader would believe they did (and --bin would change the summary's "ran" line).
    let idle: Vec<String> = matches
        .occurrences
        .iter()
        .filter(|o| ["bin", "test-count"].contains(&o.long))
        .map(|o| {
            format!(
                "{} is an option of test only: analyze runs no node and judges each folder \
                 once, so leave it out",
                o.typed
            )
        })
        .collect();
    if !idle.is_empty() {
        return Err(CliError::bad_args(idle));
    }
    let analyze = Analyze {
        paths: match matches.trailing.is_empty() {
            true => vec![PathBuf::from(DEFAULT_PATH)],
            false => matches.trailing.iter().map(PathBuf::from).collect(),
        },
        args: args.to_vec(),
        names_workload: names_a_workload(args),
    };
    // Every option error now, before any folder is read: over the defaults, as if no folder
    // had a test.edn (the workload is checked per folder, since test.edn may name it).
    analyze.overlay(registry, TestOptions::default(), false)?;
    Ok(Command::Analyze(analyze))
}

impl Analyze {
    /// The options to analyse one folder with: `stored` (its test.edn; `None` when it has none)
    /// with the command line's options over it. The node options replace the stored node list;
    /// `--concurrency` replaces the stored concurrency (`Kn` counting the nodes in force). Errors
    /// are argument errors (exit 254): an option; a folder with no test.edn when `-w` is not
    /// given (the default workload, lin-kv, is no guess to judge someone's history by); a `-w`
    /// other than the workload its test.edn says ran; a workload this runner cannot check.
    pub fn options_over(&self, stored: Option<&TestOptions>) -> Result<TestOptions, CliError> {
        if stored.is_none() && !self.names_workload {
            return Err(CliError::bad_args(vec![
                "The folder has no test.edn to name its workload: name it with -w, e.g. -w echo \
                 (and give the options its checker reads, such as --node-count)"
                    .to_string(),
            ]));
        }
        let base = stored.cloned().unwrap_or_default();
        let opts = self.overlay(workload::REGISTRY, base, stored.is_some())?;
        // The node list test.edn gives, when no option replaced it, is held to test's rules:
        // analyze writes files named by node too (the views), and a list test refuses is no
        // run's.
        if stored.is_some_and(|s| s.nodes == opts.nodes) {
            let errors = node_name_errors(&opts.nodes);
            if !errors.is_empty() {
                let errors = errors
                    .into_iter()
                    .map(|e| format!("test.edn's :nodes: {e}"));
                return Err(CliError::bad_args(errors.collect()));
            }
        }
        // Another workload's checker on this history judges nothing the run did, and analyze
        // records the options it used in test.edn: the record of what ran would say it too.
        if let Some(ran) = stored.filter(|s| s.workload != opts.workload) {
            return Err(CliError::bad_args(vec![format!(
                "The run's test.edn says it ran -w {}, so -w {} cannot judge it (its checker \
                 would read a {} history as its own, and test.edn would no longer say what \
                 ran): leave -w out, or give -w only for a folder without a test.edn",
                ran.workload, opts.workload, ran.workload
            )]));
        }
        workload::builder(workload::REGISTRY, &opts.workload)
            .map_err(|e| CliError::bad_args(vec![e]))?;
        Ok(opts)
    }

    /// The options over `base`, without the workload check. `stored` says whether `base` came
    /// from a test.edn, whose concurrency stays when only the nodes change (it is how many
    /// workers the history had); over the defaults, it is one per node, as for `test`.
    fn overlay(
        &self,
        registry: &[Entry],
        base: TestOptions,
        stored: bool,
    ) -> Result<TestOptions, CliError> {
        let matches = run_clap("analyze", TEST_OPTS, &self.args).map_err(CliError::bad_args)?;
        let mut raw = Raw::over(registry, base);
        let mut errors = apply_all(&mut raw, &matches);
        if let Some(bin) = &raw.bin {
            raw.opts.bin = PathBuf::from(bin);
        }
        if raw.names_nodes() {
            match resolve_nodes(&raw) {
                Ok(nodes) => raw.opts.nodes = nodes,
                Err(mut e) => errors.append(&mut e),
            }
        }
        if raw.concurrency.is_some() || (raw.names_nodes() && !stored) {
            match resolve_concurrency(&raw) {
                Ok(c) => raw.opts.concurrency = c,
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(raw.opts)
        } else {
            Err(CliError::bad_args(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse;
    use crate::cli::tests::args;

    fn analyze(line: &str) -> Analyze {
        match parse(&args(line)) {
            Ok(Command::Analyze(a)) => a,
            other => panic!("expected analyze for {line:?}, got {other:?}"),
        }
    }

    fn stored() -> TestOptions {
        TestOptions {
            workload: "broadcast".into(),
            nodes: vec!["n0".into(), "n1".into(), "n2".into()],
            concurrency: 6,
            rate: 10.0,
            max_latency_ms: Some(600),
            node_args: vec!["serial".into()],
            seed: Some(7),
            ..TestOptions::default()
        }
    }

    /// Paths are the trailing arguments, store/latest when there are none; options go anywhere.
    #[test]
    fn paths_and_the_default_path() {
        assert_eq!(analyze("analyze").paths, [PathBuf::from("store/latest")]);
        assert_eq!(
            analyze("analyze store/a -w echo store/b -- --odd").paths,
            ["store/a", "store/b", "--odd"].map(PathBuf::from)
        );
    }

    /// Without options a folder is analysed with its test.edn's options as they are.
    #[test]
    fn test_edn_as_it_is() {
        let opts = analyze("analyze store/x").options_over(Some(&stored()));
        assert_eq!(opts, Ok(stored()));
    }

    /// A test.edn whose `:nodes` test would refuse (a path, a client's id) is refused with
    /// test's own message, unless an option replaces the list.
    #[test]
    fn stored_node_names_follow_tests_rules() {
        let bad = TestOptions {
            nodes: vec!["n0".into(), "../../x".into(), "c1".into()],
            ..stored()
        };
        let e = analyze("analyze store/x")
            .options_over(Some(&bad))
            .unwrap_err();
        assert_eq!(e.exit_code, 254);
        assert!(
            e.message
                .contains("test.edn's :nodes: Invalid node name \"../../x\": it contains \"/\"")
                && e.message.contains(
                    "test.edn's :nodes: Invalid node name \"c1\": names starting with \"c\""
                ),
            "{e}"
        );
        let opts = analyze("analyze store/x --node-count 3").options_over(Some(&bad));
        assert_eq!(
            opts.map(|o| o.nodes),
            Ok(vec!["n0".into(), "n1".into(), "n2".into()])
        );
    }

    /// Options given override test.edn's; the node list changes without changing the stored
    /// concurrency, unless --concurrency is given (Kn counting the new nodes).
    #[test]
    fn options_override_test_edn() {
        let a = analyze("analyze store/x --max-latency 100 --wfr-mops --node-count 2");
        let opts = a.options_over(Some(&stored())).expect("options");
        assert_eq!(opts.max_latency_ms, Some(100));
        assert!(opts.workload_opts.wfr_mops);
        assert_eq!(opts.nodes, ["n0", "n1"]);
        assert_eq!(opts.concurrency, 6);
        assert_eq!((opts.rate, opts.seed), (10.0, Some(7)));
        assert_eq!(opts.node_args, ["serial"]);
        let a =
            analyze("analyze store/x --linearizable-time-limit 5 --linearizable-memory-limit 64");
        let opts = a.options_over(Some(&stored())).expect("options");
        assert_eq!(opts.workload_opts.linearizable_time_limit, 5.0);
        assert_eq!(opts.workload_opts.linearizable_memory_limit_mb, 64);
        let e = parse(&args("analyze store/x --linearizable-memory-limit 0")).unwrap_err();
        assert_eq!(e.exit_code, 254);
        assert!(e.message.contains("--linearizable-memory-limit 0"), "{e}");
        let a = analyze("analyze --concurrency 2n --nodes a,b,d,e");
        let opts = a.options_over(Some(&stored())).expect("options");
        assert_eq!((opts.nodes.len(), opts.concurrency), (4, 8));
    }

    /// A folder without test.edn takes the defaults under the options given: one worker per
    /// node, as for `test`.
    #[test]
    fn no_test_edn_takes_the_defaults() {
        let a = analyze("analyze -w echo --node-count 3 here");
        let opts = a.options_over(None).expect("options");
        assert_eq!((opts.workload.as_str(), opts.concurrency), ("echo", 3));
        assert_eq!(opts.nodes, ["n0", "n1", "n2"]);
    }

    /// Without -w and test.edn, the error says how to name the workload; a bad option is an
    /// error at once, before any folder is read; --help gives analyze's usage.
    #[test]
    fn errors_and_help() {
        let e = analyze("analyze here")
            .options_over(None)
            .expect_err("no workload");
        assert_eq!(e.exit_code, 254);
        assert!(
            e.message.contains("no test.edn to name its workload"),
            "{e}"
        );
        assert!(e.message.contains("-w echo"), "{e}");
        let stored = TestOptions::default();
        let opts = analyze("analyze here").options_over(Some(&stored));
        assert_eq!(opts, Ok(stored), "test.edn may name the default workload");
        let e = parse(&args("analyze here --rate -1 --node-cout 2")).expect_err("bad");
        assert_eq!(e.exit_code, 254);
        assert_eq!(
            e.message,
            "Failed to validate \"--rate -1\": Can't be negative\n\
             Unknown option: \"--node-cout\" (did you mean --node-count?)"
        );
        let Ok(Command::Help(text)) = parse(&args("analyze store/x -h")) else {
            panic!("no help");
        };
        assert!(text.starts_with(ANALYZE_USAGE), "{text}");
        assert!(text.contains("--max-msgs-per-op"), "{text}");
    }

    /// A -w other than the workload test.edn says ran is an argument error naming both; the
    /// same workload, or -w for a folder without test.edn, is not.
    #[test]
    fn another_workload_than_the_run_is_refused() {
        let e = analyze("analyze -w unique-ids store/x")
            .options_over(Some(&stored()))
            .expect_err("another workload");
        let text = format!("{e:?}");
        assert!(
            text.contains("test.edn says it ran -w broadcast, so -w unique-ids cannot judge it"),
            "{text}"
        );
        let same = analyze("analyze -w broadcast store/x").options_over(Some(&stored()));
        assert_eq!(same, Ok(stored()));
        let alone = analyze("analyze -w unique-ids store/x").options_over(None);
        assert_eq!(alone.map(|o| o.workload), Ok("unique-ids".to_string()));
    }

    /// --bin and --test-count, which analyze has no use for, are argument errors naming them,
    /// not silently taken.
    #[test]
    fn options_of_test_only_are_refused() {
        for (line, named) in [
            (
                "analyze --bin ./x store/a",
                "--bin is an option of test only",
            ),
            (
                "analyze --test-count 3 store/a",
                "--test-count is an option of test only",
            ),
        ] {
            let e = parse(&args(line)).expect_err(line);
            assert!(format!("{e:?}").contains(named), "{line}: {e:?}");
        }
    }
}
