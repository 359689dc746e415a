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
//! gets clap's "did you mean" suggestion.

mod analyze;
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
        other => {
            let mut message = "Usage: maelstrom COMMAND [OPTIONS ...]\n\
                               Commands: analyze, serve, test\n\
                               Run maelstrom test --help for the options of a test."
                .to_string();
            // Jepsen prints only the usage; a mistyped command is worth naming.
            if let Some(command) = other.filter(|c| !matches!(*c, "-h" | "--help")) {
                message.push_str(&format!(
                    "\nUnknown command {command:?}: the commands are analyze, serve and test."
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
    let errors = matches.errors_in_order(|o| {
        match o.long {
            "host" => host = o.value.clone(),
            "port" => port = parse_port(o)?,
            _ => {}
        }
        Ok(())
    });
    if errors.is_empty() {
        Ok(Command::Serve { host, port })
    } else {
        Err(CliError::bad_args(errors))
    }
}

/// `serve --port`: a positive integer that fits a port number.
fn parse_port(o: &Occurrence) -> Result<u16, String> {
    match parse_long_strict(o)? {
        p if p <= 0 => Err(invalid(o, "Must be positive")),
        p => u16::try_from(p).map_err(|_| invalid(o, "Must be a port number, at most 65535")),
    }
}

/// `test`: Maelstrom's parsing, then our check that the runner supports the workload yet.
fn parse_test(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    let command = parse_test_options(args, registry)?;
    if let Command::Test(opts) = &command {
        // A workload Maelstrom knows but the runner does not support yet, or options the
        // workload cannot run with (lin-kv's concurrency), is an argument error; the workload
        // registry owns the list and the texts.
        if let Err(mut e) = workload::build_from(registry, opts).map(|_| ()) {
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

/// Tokens that look like an option written with a Unicode dash (`–-nemesis`, `—rate`), as a
/// command line pasted from a web page may have them. Such a token is not an option to the
/// command line, so it silently becomes an argument of the node program: each one gets a
/// warning naming it, the dash and the option it was probably meant to be.
pub fn unicode_dash_warnings(args: &[String]) -> Vec<String> {
    const DASHES: &[(char, &str)] = &[
        ('\u{2010}', "HYPHEN"),
        ('\u{2011}', "NON-BREAKING HYPHEN"),
        ('\u{2012}', "FIGURE DASH"),
        ('\u{2013}', "EN DASH"),
        ('\u{2014}', "EM DASH"),
        ('\u{2015}', "HORIZONTAL BAR"),
        ('\u{2212}', "MINUS SIGN"),
        ('\u{FE63}', "SMALL HYPHEN-MINUS"),
        ('\u{FF0D}', "FULLWIDTH HYPHEN-MINUS"),
    ];
    let dash_name = |c: char| DASHES.iter().find(|(d, _)| *d == c).map(|(_, n)| *n);
    args.iter()
        .filter_map(|token| {
            let first = token.chars().next()?;
            let name = dash_name(first)?;
            let rest = token.trim_start_matches(|c: char| c == '-' || dash_name(c).is_some());
            if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                return None;
            }
            let meant = if rest.chars().count() == 1 {
                format!("-{rest}")
            } else {
                format!("--{rest}")
            };
            Some(format!(
                "WARNING: {token:?} starts with a Unicode dash (U+{:04X} {name}), not an ASCII \
                 hyphen, so it is not read as an option: it is passed to the node program as an \
                 argument. Was it pasted from a web page? Type it as {meant}.",
                u32::from(first)
            ))
        })
        .collect()
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
        None => errors.push("Expected a --bin PATH_TO_BINARY to test".to_string()),
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
    if errors.is_empty() {
        Ok(Command::Test(raw.opts))
    } else {
        Err(CliError::bad_args(errors))
    }
}
