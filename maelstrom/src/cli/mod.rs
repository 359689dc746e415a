//! The command line: `maelstrom test ...`, `maelstrom analyze` and `maelstrom serve`, with Maelstrom's options,
//! defaults, error messages and exit codes (`src/maelstrom/core.clj`, `jepsen.cli`).
//!
//! Maelstrom parses its arguments with Clojure's tools.cli, and users see tools.cli's texts
//! (`Unknown option: "--foo"`, `Failed to validate "--rate -1": Can't be negative`), every error
//! at once, one per line, in command-line order. The parts:
//! - `table`: the option tables and the help text (defaults read from `TestOptions::default()`);
//! - `tokens`: tools.cli's tokenizing, then clap's matching;
//! - `values`: each option's value parsed and validated into the options;
//! - `nodes`: the node list and the concurrency, once every option is read;
//! - `analyze`: `analyze`'s paths, and its options laid over each run's stored test.edn.
//!
//! The command line only fills [`TestOptions`] (`options`); nothing below it imports this
//! module. Where this parser knowingly differs from Maelstrom (see the README's deliberate
//! differences): `--consistency-models` is a plain comma list whose names are checked; node names
//! starting with `c` (clients), service names and duplicates are rejected; `--concurrency 0` is
//! rejected; `--seed` and the performance targets (`--max-*`) are extra options; an unknown option
//! gets clap's "did you mean" suggestion; a token before `--` that starts with a Unicode dash
//! (`–-nemesis`, pasted from a web page) is an argument error, not an argument to the node.

mod analyze;
mod doc;
mod nodes;
mod table;
#[cfg(test)]
mod tests;
mod tokens;
mod values;

use std::path::PathBuf;

use crate::options::TestOptions;
use crate::workload::{self, Entry};
pub use analyze::Analyze;
use nodes::{resolve_concurrency, resolve_nodes};
use table::{help_text, DEFAULT_HOST, DEFAULT_PORT, SERVE_OPTS, TEST_OPTS, TEST_USAGE};
use tokens::{run_clap, Matches, Occurrence};
use values::{apply, invalid, parse_long_strict, Raw};

/// Exit status for bad arguments or an unknown command (`jepsen.cli`).
pub const EXIT_BAD_ARGS: i32 = 254;

/// What the command line asks for.
// Built once per run, so the size difference between variants costs nothing; boxing would only
// change the shared signature.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Test(TestOptions),
    /// `analyze`: judge stored runs again (`analyze.rs`).
    Analyze(Analyze),
    /// `serve`: parsed, not implemented yet (the runtime says so).
    Serve {
        host: String,
        port: u16,
    },
    /// `-h`/`--help` after a command: print this text as is (it ends with a newline), exit 0.
    Help(String),
}

/// An argument error: print `message` (one line per error) to stdout and exit with `exit_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    pub exit_code: i32,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl CliError {
    fn bad_args(messages: Vec<String>) -> CliError {
        CliError {
            message: messages.join("\n"),
            exit_code: EXIT_BAD_ARGS,
        }
    }
}

/// Parses the command line (without argv\[0\]).
pub fn parse(args: &[String]) -> Result<Command, CliError> {
    parse_with(args, workload::REGISTRY)
}

/// [`parse`] against a given workload registry: `-w` accepts exactly the names in `registry`.
pub fn parse_with(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    match args.first().map(String::as_str) {
        Some("test") => parse_test(&args[1..], registry),
        Some("serve") => parse_serve(&args[1..]),
        Some("analyze") => analyze::parse(&args[1..], registry),
        // The reference is printed like a help text: as is, exit 0.
        Some("doc") => doc::text(&args[1..])
            .map(Command::Help)
            .map_err(|e| CliError::bad_args(vec![e])),
        other => {
            let mut message = "Usage: maelstrom COMMAND [OPTIONS ...]\n\
                               Commands: analyze, doc, serve, test\n\
                               Run maelstrom test --help for the options of a test, maelstrom \
                               doc for the protocol and the workloads."
                .to_string();
            // Jepsen prints only the usage; a mistyped command is worth naming.
            if let Some(command) = other.filter(|c| !matches!(*c, "-h" | "--help")) {
                message.push_str(&format!(
                    "\nUnknown command {command:?}: the commands are analyze, doc, serve and test."
                ));
            }
            Err(CliError {
                message,
                exit_code: EXIT_BAD_ARGS,
            })
        }
    }
}

/// `"-h"` or `"--help"` among the tokens before `--`: help wins over argument errors, as in
/// Jepsen, which checks for it before printing errors.
fn asks_for_help(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
}

fn parse_serve(args: &[String]) -> Result<Command, CliError> {
    let usage = "Usage: maelstrom serve [OPTIONS ...]\n\nOptions:";
    let matches = match run_clap("serve", SERVE_OPTS, args) {
        Ok(m) => m,
        Err(_) if asks_for_help(args) => return Ok(Command::Help(help_text(usage, SERVE_OPTS))),
        Err(errors) => return Err(CliError::bad_args(errors)),
    };
    if matches.flags.contains(&"help") {
        return Ok(Command::Help(help_text(usage, SERVE_OPTS)));
    }
    let mut host = DEFAULT_HOST.to_string();
    let mut port = DEFAULT_PORT;
    let mut errors = matches.errors_in_order(|o| {
        match o.long {
            "host" => host = o.value.clone(),
            "port" => port = parse_port(o)?,
            _ => {}
        }
        Ok(())
    });
    // `serve` serves `store/` under the working directory and takes no path: a word left over
    // (`serve store/echo`) would otherwise be ignored without a word.
    if !matches.trailing.is_empty() {
        errors.push(format!(
            "serve takes no arguments, only options (it serves store/ under the working \
             directory; cd to where store/ is): {}",
            matches.trailing.join(" ")
        ));
    }
    if errors.is_empty() {
        Ok(Command::Serve { host, port })
    } else {
        Err(CliError::bad_args(errors))
    }
}

/// `serve --port`: a port number; 0 asks for any free port, which `serve` prints (Jepsen
/// wants a positive one).
fn parse_port(o: &Occurrence) -> Result<u16, String> {
    match parse_long_strict(o)? {
        p if p < 0 => Err(invalid(
            o,
            "Must be a port number, 0 or more (0: any free port)",
        )),
        p => u16::try_from(p).map_err(|_| invalid(o, "Must be a port number, at most 65535")),
    }
}

/// `test`: Maelstrom's parsing, then our check that the runner supports the workload yet.
fn parse_test(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    let command = parse_test_options(args, registry)?;
    if let Command::Test(opts) = &command {
        // A workload Maelstrom knows but the runner does not support yet, or options the
        // workload cannot run with (lin-kv's concurrency), is an argument error; the workload
        // registry owns the list and the texts, and checks without building the workload.
        if let Err(mut e) = workload::check(registry, opts) {
            if !names_a_workload(args) {
                e.push_str(&format!(
                    ". -w was not given, and it defaults to {}, as in Maelstrom: choose the \
                     workload with -w, e.g. -w echo",
                    opts.workload
                ));
            }
            return Err(CliError::bad_args(vec![e]));
        }
    }
    Ok(command)
}

/// True if the options (before `--`) give a workload: `-w NAME`, `-wNAME`, `--workload ...`.
fn names_a_workload(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a.starts_with("-w") || a.starts_with("--workload"))
}

/// Every option occurrence and flag of `matches` applied to `raw`, in command-line order; the
/// errors, in that order too.
fn apply_all(raw: &mut Raw, matches: &Matches) -> Vec<String> {
    let errors = matches.errors_in_order(|o| apply(raw, o));
    for flag in &matches.flags {
        match *flag {
            "log-net-send" => raw.opts.log_net_send = true,
            "log-net-recv" => raw.opts.log_net_recv = true,
            "log-stderr" => raw.opts.log_stderr = true,
            "wfr-mops" => raw.opts.workload_opts.wfr_mops = true,
            // --leave-db-running, --logging-json and the SSH flags are accepted and ignored:
            // nodes are always stopped, and there is no SSH.
            _ => {}
        }
    }
    errors
}

/// `test`'s options as Maelstrom parses them (`src/maelstrom/core.clj`'s option table).
fn parse_test_options(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    let help = || Command::Help(help_text(TEST_USAGE, TEST_OPTS));
    let matches = match run_clap("test", TEST_OPTS, args) {
        Ok(m) => m,
        Err(_) if asks_for_help(args) => return Ok(help()),
        Err(errors) => return Err(CliError::bad_args(errors)),
    };
    if matches.flags.contains(&"help") {
        return Ok(help());
    }
    let mut raw = Raw::over(registry, TestOptions::default());
    // Errors in tools.cli's order: every bad option token in command-line order, then the
    // missing --bin, then our checks of the node list and concurrency.
    let mut errors = apply_all(&mut raw, &matches);
    match &raw.bin {
        Some(bin) => raw.opts.bin = PathBuf::from(bin),
        None => errors.push(
            "Expected a --bin PATH_TO_BINARY to test (a part's binary is \
             target/release/<part>, built by make build MODULE=<part>, e.g. --bin \
             target/release/echo)"
                .to_string(),
        ),
    }
    raw.opts.node_args = matches.trailing;
    match resolve_nodes(&raw) {
        Ok(nodes) => {
            raw.opts.nodes = nodes;
            match resolve_concurrency(&raw) {
                Ok(c) => raw.opts.concurrency = c,
                Err(e) => errors.push(e),
            }
        }
        Err(mut e) => errors.append(&mut e),
    }
    if let Err(e) = values::check_txn_sizes(&raw.opts.workload, &raw.opts.workload_opts) {
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(Command::Test(raw.opts))
    } else {
        Err(CliError::bad_args(errors))
    }
}
