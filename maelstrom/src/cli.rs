//! The command line: `maelstrom test ...` and `maelstrom serve`, with Maelstrom's options,
//! defaults, error messages and exit codes (spec 1).
//!
//! Maelstrom parses its arguments with Clojure's tools.cli, and users see tools.cli's texts
//! (`Unknown option: "--foo"`, `Failed to validate "--rate -1": Can't be negative`), every error
//! at once, one per line, in command-line order. A small tokenizer splits the command line as
//! tools.cli does and takes out what the option table lacks (an error each, in place); clap
//! then does the matching (long and short names, `--`, options anywhere among the trailing
//! arguments), and every value is parsed and validated below, option by option, so the
//! messages name what was typed.
//!
//! Where this parser knowingly differs from Maelstrom (spec 0): `--consistency-models` is a plain
//! comma list whose names are checked; node names starting with `c` (clients), service names and
//! duplicates are rejected; `--concurrency 0` is rejected; `--seed` and the performance targets
//! of issue 4 are extra options.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches};

use crate::options::{Availability, LatencyDist, TestOptions, TopologyKind, DEFAULT_NODES};
use crate::workload::{self, Entry};

/// Exit status for bad arguments or an unknown command (spec 1.7).
pub const EXIT_BAD_ARGS: i32 = 254;

/// What the command line asks for.
// Built once per run, so the size difference between variants costs nothing; boxing would only
// change the shared signature.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Test(TestOptions),
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

/// Every consistency model name Elle 0.2.2 knows (`elle.consistency-model/all-models`), sorted.
const CONSISTENCY_MODELS: &[&str] = &[
    "1SR",
    "PL-1",
    "PL-2",
    "PL-2+",
    "PL-2.99",
    "PL-2L",
    "PL-3",
    "PL-3U",
    "PL-CS",
    "PL-FCV",
    "PL-MSR",
    "PL-SI",
    "PL-SS",
    "PRAM",
    "causal",
    "causal-cerone",
    "conflict-serializable",
    "consistent-view",
    "cursor-stability",
    "forward-consistent-view",
    "linearizable",
    "monotonic-atomic-view",
    "monotonic-reads",
    "monotonic-snapshot-read",
    "monotonic-view",
    "monotonic-writes",
    "parallel-snapshot-isolation",
    "prefix",
    "read-atomic",
    "read-committed",
    "read-uncommitted",
    "read-your-writes",
    "repeatable-read",
    "sequential",
    "serializable",
    "session-serializable",
    "snapshot-isolation",
    "strict-serializable",
    "strong-PL-1",
    "strong-PL-2",
    "strong-read-committed",
    "strong-read-uncommitted",
    "strong-serializable",
    "strong-session-PL-1",
    "strong-session-PL-2",
    "strong-session-read-committed",
    "strong-session-read-uncommitted",
    "strong-session-serializable",
    "strong-session-snapshot-isolation",
    "strong-snapshot-isolation",
    "update-atomic",
    "update-serializable",
    "view-serializable",
    "writes-follow-reads",
];

/// One option as the usage summary and the error messages show it.
struct OptSpec {
    short: Option<char>,
    long: &'static str,
    /// The argument's name in messages (`RATE` in `Missing required argument for "--rate RATE"`);
    /// `None` for flags.
    arg: Option<&'static str>,
    /// Default as shown in the summary ("" when none).
    default: &'static str,
    help: &'static str,
}

/// Shorthand constructors keep the option table readable.
const fn opt(
    short: Option<char>,
    long: &'static str,
    arg: &'static str,
    default: &'static str,
    help: &'static str,
) -> OptSpec {
    OptSpec {
        short,
        long,
        arg: Some(arg),
        default,
        help,
    }
}

const fn flag(short: Option<char>, long: &'static str, help: &'static str) -> OptSpec {
    OptSpec {
        short,
        long,
        arg: None,
        default: "",
        help,
    }
}

/// `test`'s options: Jepsen's inherited ones first, then Maelstrom's, then ours (spec 1.2).
const TEST_OPTS: &[OptSpec] = &[
    flag(Some('h'), "help", "Print out this message and exit"),
    opt(
        Some('n'),
        "node",
        "HOSTNAME",
        "[\"n1\" \"n2\" \"n3\" \"n4\" \"n5\"]",
        "Node(s) to run test on. Flag may be given many times, one node per flag.",
    ),
    opt(None, "nodes", "NODE_LIST", "", "Comma-separated list of node names."),
    opt(None, "nodes-file", "FILENAME", "", "File with node names, one per line."),
    opt(None, "username", "USER", "root", "Accepted and ignored (no SSH here)."),
    opt(None, "password", "PASS", "root", "Accepted and ignored (no SSH here)."),
    flag(None, "strict-host-key-checking", "Accepted and ignored (no SSH here)."),
    flag(None, "no-ssh", "Accepted and ignored (no SSH here)."),
    opt(None, "ssh-private-key", "FILE", "", "Accepted and ignored (no SSH here)."),
    opt(
        None,
        "concurrency",
        "NUMBER",
        "1n",
        "How many client workers to run: an integer, optionally followed by n (3n = 3 x nodes).",
    ),
    flag(
        None,
        "leave-db-running",
        "Accepted; nodes are still stopped at the end (no process is left behind).",
    ),
    flag(None, "logging-json", "Accepted and ignored."),
    opt(None, "test-count", "NUMBER", "1", "How many times to repeat the test."),
    opt(
        None,
        "time-limit",
        "SECONDS",
        "60",
        "How long the main phase runs, in seconds (setup, recovery and analysis excluded).",
    ),
    opt(None, "bin", "FILE", "", "Path to the program that runs a node."),
    opt(Some('w'), "workload", "NAME", ":lin-kv", "What workload to run."),
    opt(
        None,
        "availability",
        "EXPECTED",
        "nil",
        "Fraction of requests that must succeed: a number from 0 to 1, or total. Unset: no check.",
    ),
    opt(
        None,
        "consistency-models",
        "MODELS",
        "[:strict-serializable]",
        "Comma-separated consistency models to check (txn workloads).",
    ),
    opt(None, "key-count", "INT", "", "Active keys at once (txn and kafka workloads)."),
    opt(None, "latency", "MILLIS", "0", "Mean network latency between nodes, in ms."),
    opt(
        None,
        "latency-dist",
        "TYPE",
        ":constant",
        "Latency distribution: constant, uniform or exponential.",
    ),
    flag(None, "log-net-send", "Log messages as they are sent."),
    flag(None, "log-net-recv", "Log messages as they are delivered."),
    flag(None, "log-stderr", "Also log the nodes' stderr lines to the console."),
    opt(None, "max-txn-length", "INT", "4", "Most micro-operations per transaction."),
    opt(None, "max-writes-per-key", "INT", "16", "Writes per key before it is retired."),
    opt(
        None,
        "node-count",
        "NUM",
        "",
        "How many nodes to run, named n0, n1, ...; overrides --nodes.",
    ),
    opt(
        None,
        "nemesis",
        "FAULTS",
        "#{}",
        "Comma-separated faults to inject; the only one is partition.",
    ),
    opt(
        None,
        "nemesis-interval",
        "SECONDS",
        "10",
        "Mean seconds between nemesis operations.",
    ),
    opt(None, "rate", "RATE", "5", "Approximate requests per second, in total."),
    opt(
        None,
        "topology",
        "SPEC",
        ":grid",
        "Topology offered to broadcast nodes: grid, line, total, tree, tree2, tree3, tree4.",
    ),
    opt(
        None,
        "seed",
        "N",
        "",
        "Seed for every random choice (op values, gaps, latencies, partitions); printed when unset.",
    ),
    opt(
        None,
        "max-msgs-per-op",
        "N",
        "",
        "Target: :net :servers :msgs-per-op at most N, else the test is invalid.",
    ),
    opt(
        None,
        "max-median-latency",
        "MS",
        "",
        "Target: median stable latency at most MS ms, else the test is invalid.",
    ),
    opt(
        None,
        "max-latency",
        "MS",
        "",
        "Target: maximum stable latency at most MS ms, else the test is invalid.",
    ),
    flag(
        None,
        "wfr-mops",
        "txn-rw-register: also order versions by every micro-op, finding interleaved writes (G0).",
    ),
];

/// `serve`'s options (spec 10.4).
const SERVE_OPTS: &[OptSpec] = &[
    flag(Some('h'), "help", "Print out this message and exit"),
    opt(Some('b'), "host", "HOST", "0.0.0.0", "Hostname to bind to"),
    opt(
        Some('p'),
        "port",
        "NUMBER",
        "8080",
        "Port number to bind to",
    ),
];

/// Jepsen's usage text for `test` (spec 1.1).
const TEST_USAGE: &str = "Usage: lein run -- COMMAND [OPTIONS ...]

Runs a Jepsen test and exits with a status code:

  0     All tests passed
  1     Some test failed
  2     Some test had an :unknown validity
  254   Invalid arguments
  255   Internal Jepsen error

Options:
";

/// Parses the command line (without argv\[0\]).
pub fn parse(args: &[String]) -> Result<Command, CliError> {
    parse_with(args, workload::REGISTRY)
}

/// [`parse`] against a given workload registry: `-w` accepts exactly the names in `registry`.
pub fn parse_with(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    match args.first().map(String::as_str) {
        Some("test") => parse_test(&args[1..], registry),
        Some("serve") => parse_serve(&args[1..]),
        _ => Err(CliError {
            message: "Usage: lein run -- COMMAND [OPTIONS ...]\nCommands: serve, test".to_string(),
            exit_code: EXIT_BAD_ARGS,
        }),
    }
}

/// The help text Jepsen prints for a command: usage, a blank line, the option summary.
fn help_text(usage: &str, specs: &[OptSpec]) -> String {
    format!("{usage}\n\n{}\n", summary(specs))
}

/// tools.cli's option summary: three left-aligned columns (option, default, description).
fn summary(specs: &[OptSpec]) -> String {
    let rows: Vec<[String; 3]> = specs
        .iter()
        .map(|s| {
            let name = match s.short {
                Some(c) => format!("-{c}, --{}", s.long),
                None => format!("    --{}", s.long),
            };
            let name = match s.arg {
                Some(arg) => format!("{name} {arg}"),
                None => name,
            };
            [name, s.default.to_string(), s.help.to_string()]
        })
        .collect();
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    rows.iter()
        .map(|[a, b, c]| format!("  {a:<w0$}  {b:<w1$}  {c}").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn find_long<'a>(specs: &'a [OptSpec], long: &str) -> Option<&'a OptSpec> {
    specs.iter().find(|s| s.long == long)
}

fn find_short(specs: &[OptSpec], short: char) -> Option<&OptSpec> {
    specs.iter().find(|s| s.short == Some(short))
}

/// The command line split the way tools.cli's `tokenize-args` splits it and checked against an
/// option table, before clap sees it. clap stops at the first option it does not know, but
/// tools.cli reports every bad token, so those are taken out here and reported in order.
struct Tokens {
    /// What clap matches: known options, each value-taking one followed by its value as a token
    /// of its own (so an error can quote `"<option as typed> <value>"`), trailing arguments, and
    /// `--` with everything after it verbatim.
    clap: Vec<String>,
    /// tools.cli's errors for the options left out of `clap`, each with the number of `clap`
    /// tokens before it: its place among the errors found later in option values.
    errors: Vec<(usize, String)>,
}

/// Splits `args` into [`Tokens`] like tools.cli: `--opt=value` and `-wvalue` become two tokens,
/// the token after a value-taking option is its value even if it starts with `-`, short
/// clusters (`-hn n1`) are expanded, and an option the table lacks is an error, not a trailing
/// argument (its `=value`, if any, goes with it; a separate next token stays an argument).
fn tokenize(specs: &[OptSpec], args: &[String]) -> Tokens {
    let mut tokens = Tokens {
        clap: Vec::with_capacity(args.len() + 2),
        errors: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(token) = rest.next() {
        if token == "--" {
            tokens.clap.push(token.clone());
            tokens.clap.extend(rest.by_ref().cloned());
        } else if let Some(long) = token.strip_prefix("--") {
            tokens.long_option(specs, long, &mut rest);
        } else if let Some(cluster) = token.strip_prefix('-').filter(|c| !c.is_empty()) {
            tokens.short_options(specs, cluster, &mut rest);
        } else {
            tokens.clap.push(token.clone());
        }
    }
    tokens
}

impl Tokens {
    /// `--name`, `--name value` or `--name=value`.
    fn long_option<'a>(
        &mut self,
        specs: &[OptSpec],
        long: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) {
        let (name, inline_value) = match long.split_once('=') {
            Some((name, value)) if !name.is_empty() => (name, Some(value)),
            _ => (long, None),
        };
        let typed = format!("--{name}");
        match (find_long(specs, name), inline_value) {
            (None, _) => self.error(format!("Unknown option: \"{typed}\"")),
            (Some(OptSpec { arg: None, .. }), None) => self.clap.push(typed),
            // tools.cli ignores the value; a flag given one is more likely a typo worth naming.
            (Some(OptSpec { arg: None, .. }), Some(_)) => {
                self.error(format!("Option \"{typed}\" takes no argument"))
            }
            (Some(OptSpec { arg: Some(arg), .. }), inline_value) => {
                let value = inline_value
                    .map(str::to_string)
                    .or_else(|| rest.next().cloned());
                self.option_with_value(typed, arg, value);
            }
        }
    }

    /// `-x`, or a cluster `-xyz`: each letter is an option until one takes a value, which is the
    /// rest of the cluster (`-wecho`) or else the next token (`-hw echo`).
    fn short_options<'a>(
        &mut self,
        specs: &[OptSpec],
        cluster: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) {
        for (i, c) in cluster.char_indices() {
            let typed = format!("-{c}");
            match find_short(specs, c) {
                None => self.error(format!("Unknown option: \"{typed}\"")),
                Some(OptSpec { arg: None, .. }) => self.clap.push(typed),
                Some(OptSpec { arg: Some(arg), .. }) => {
                    let tail = &cluster[i + c.len_utf8()..];
                    let value = match tail {
                        "" => rest.next().cloned(),
                        _ => Some(tail.to_string()),
                    };
                    self.option_with_value(typed, arg, value);
                    return;
                }
            }
        }
    }

    /// A value-taking option and its value, or tools.cli's error when the command line ended.
    fn option_with_value(&mut self, typed: String, arg: &str, value: Option<String>) {
        match value {
            Some(value) => self.clap.extend([typed, value]),
            None => self.error(format!("Missing required argument for \"{typed} {arg}\"")),
        }
    }

    fn error(&mut self, message: String) {
        self.errors.push((self.clap.len(), message));
    }
}

/// The clap command for a table of options: every value option may repeat (the last one wins,
/// except `-n`, which accumulates), values may start with `-`, and everything else is a trailing
/// argument.
fn clap_command(name: &'static str, specs: &[OptSpec]) -> clap::Command {
    let mut cmd = clap::Command::new(name)
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("args")
                .num_args(0..)
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(String)),
        );
    for spec in specs {
        let mut arg = Arg::new(spec.long).long(spec.long);
        if let Some(c) = spec.short {
            arg = arg.short(c);
        }
        arg = match spec.arg {
            Some(name) => arg
                .value_name(name)
                .num_args(1)
                .allow_hyphen_values(true)
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(String)),
            None => arg.action(ArgAction::Count),
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// One option occurrence, in command-line order.
#[derive(Clone)]
struct Occurrence {
    /// The option as typed (`-w`, `--workload`).
    typed: String,
    long: &'static str,
    value: String,
    /// Where the option sits among the tokens clap matched (see [`Tokens::errors`]).
    position: usize,
}

/// Parsed matches: option occurrences in order, flags seen, trailing arguments, and the errors
/// found while tokenizing.
struct Matches {
    occurrences: Vec<Occurrence>,
    flags: Vec<&'static str>,
    trailing: Vec<String>,
    /// Unknown options and missing values, with their positions (see [`Tokens::errors`]).
    token_errors: Vec<(usize, String)>,
}

impl Matches {
    /// Every error in command-line order, as tools.cli reports them: the tokenizer's, and
    /// `check` run on each option occurrence.
    fn errors_in_order(
        &self,
        mut check: impl FnMut(&Occurrence) -> Result<(), String>,
    ) -> Vec<String> {
        let mut errors = self.token_errors.clone();
        for o in &self.occurrences {
            if let Err(e) = check(o) {
                errors.push((o.position, e));
            }
        }
        // Stable: at equal positions the tokenizer's error came first (its token was dropped
        // just before the option's).
        errors.sort_by_key(|(position, _)| *position);
        errors.into_iter().map(|(_, e)| e).collect()
    }
}

/// Tokenizes, runs clap over what is left, and collects option occurrences in order. The error
/// is every message to print, should clap still reject something.
fn run_clap(
    name: &'static str,
    specs: &[OptSpec],
    args: &[String],
) -> Result<Matches, Vec<String>> {
    let Tokens {
        clap: tokens,
        errors: token_errors,
    } = tokenize(specs, args);
    let matches: ArgMatches = match clap_command(name, specs).try_get_matches_from(&tokens) {
        Ok(m) => m,
        Err(e) => {
            let mut errors: Vec<String> = token_errors.into_iter().map(|(_, e)| e).collect();
            errors.push(clap_error_text(&e));
            return Err(errors);
        }
    };
    let mut occurrences = Vec::new();
    let mut flags = Vec::new();
    for spec in specs {
        if spec.arg.is_none() {
            if matches.get_count(spec.long) > 0 {
                flags.push(spec.long);
            }
            continue;
        }
        let (Some(indices), Some(values)) = (
            matches.indices_of(spec.long),
            matches.get_many::<String>(spec.long),
        ) else {
            continue;
        };
        for (index, value) in indices.zip(values) {
            // clap's index of a value is its position in `tokens` plus one (clap counts a
            // binary-name slot even without one), and the option as typed is the token before
            // the value.
            let position = index.saturating_sub(2);
            let typed = tokens
                .get(position)
                .cloned()
                .unwrap_or_else(|| format!("--{}", spec.long));
            occurrences.push(Occurrence {
                typed,
                long: spec.long,
                value: value.clone(),
                position,
            });
        }
    }
    occurrences.sort_by_key(|o| o.position);
    let trailing = matches
        .get_many::<String>("args")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    Ok(Matches {
        occurrences,
        flags,
        trailing,
        token_errors,
    })
}

/// clap's own first line, without its "error: " prefix. [`tokenize`] leaves clap nothing it
/// should reject, so this is a fallback that at least says what clap saw.
fn clap_error_text(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let line = text.lines().next().unwrap_or("invalid arguments");
    line.trim_start_matches("error: ").to_string()
}

/// `"-h"` or `"--help"` among the tokens before `--`: help wins over argument errors, as in
/// Jepsen, which checks for it before printing errors.
fn asks_for_help(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
}

fn parse_serve(args: &[String]) -> Result<Command, CliError> {
    let usage = "Usage: lein run -- serve [OPTIONS ...]";
    let matches = match run_clap("serve", SERVE_OPTS, args) {
        Ok(m) => m,
        Err(_) if asks_for_help(args) => return Ok(Command::Help(help_text(usage, SERVE_OPTS))),
        Err(errors) => return Err(CliError::bad_args(errors)),
    };
    if matches.flags.contains(&"help") {
        return Ok(Command::Help(help_text(usage, SERVE_OPTS)));
    }
    let mut host = "0.0.0.0".to_string();
    let mut port = 8080u16;
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

/// `Failed to validate "<option as typed> <value>": <message>`.
fn invalid(o: &Occurrence, message: &str) -> String {
    format!("Failed to validate \"{} {}\": {message}", o.typed, o.value)
}

/// `Error while parsing option "<option as typed> <value>": <message>`.
fn unparsable(o: &Occurrence, message: &str) -> String {
    format!(
        "Error while parsing option \"{} {}\": {message}",
        o.typed, o.value
    )
}

/// Java's `Long.parseLong` (`--time-limit`, `--test-count`): garbage is a parse error.
fn parse_long_strict(o: &Occurrence) -> Result<i64, String> {
    parse_long(&o.value).ok_or_else(|| {
        unparsable(
            o,
            &format!(
                "java.lang.NumberFormatException: For input string: \"{}\"",
                o.value
            ),
        )
    })
}

/// Clojure's `parse-long`: an optional sign and decimal digits, else nothing.
fn parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Clojure's reader on a number (`--nemesis-interval`, `--availability`): integers, decimals
/// (`0.5`, `1e3`) and ratios (`1/2`). Anything else is not a number.
fn read_number(s: &str) -> Option<f64> {
    if let Some((num, den)) = s.split_once('/') {
        let (num, den) = (parse_long(num)?, parse_long(den)?);
        if den <= 0 {
            return None;
        }
        return Some(num as f64 / den as f64);
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Java's `Double.parseDouble` (`--rate`): surrounding whitespace is fine, garbage is a parse
/// error.
fn parse_double(o: &Occurrence) -> Result<f64, String> {
    let s = o.value.trim();
    let plain = s.strip_prefix(['+', '-']).unwrap_or(s);
    let looks_numeric = plain.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    match s.parse::<f64>() {
        Ok(x) if looks_numeric => Ok(x),
        _ if s.is_empty() => Err(unparsable(
            o,
            "java.lang.NumberFormatException: empty String",
        )),
        _ => Err(unparsable(
            o,
            &format!(
                "java.lang.NumberFormatException: For input string: \"{}\"",
                o.value
            ),
        )),
    }
}

/// Options of `test` as parsed, before the node list and concurrency are resolved.
struct Raw<'a> {
    /// The workloads `-w` may name.
    registry: &'a [Entry],
    opts: TestOptions,
    bin: Option<String>,
    node_flags: Vec<String>,
    nodes: Option<Vec<String>>,
    nodes_file: Option<String>,
    node_count: Option<u64>,
    /// The last `--concurrency`, resolved once the node count is known.
    concurrency: Option<Occurrence>,
}

/// `test`: Maelstrom's parsing, then our check that the runner supports the workload yet.
fn parse_test(args: &[String], registry: &[Entry]) -> Result<Command, CliError> {
    let command = parse_test_options(args, registry)?;
    if let Command::Test(opts) = &command {
        // A workload Maelstrom knows but the runner does not support yet is an argument error;
        // the workload registry owns the list and the text.
        if let Err(e) = workload::build_from(registry, opts) {
            return Err(CliError::bad_args(vec![e]));
        }
    }
    Ok(command)
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
    let mut raw = Raw {
        registry,
        opts: TestOptions::default(),
        bin: None,
        node_flags: Vec::new(),
        nodes: None,
        nodes_file: None,
        node_count: None,
        concurrency: None,
    };
    // Errors in tools.cli's order: every bad option token in command-line order, then the
    // missing --bin, then our checks of the node list and concurrency.
    let mut errors = matches.errors_in_order(|o| apply(&mut raw, o));
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

/// Parses and validates one option occurrence into `raw` (spec 1.2's parsing and validation
/// columns); a later occurrence overrides an earlier one, except `-n`.
fn apply(raw: &mut Raw, o: &Occurrence) -> Result<(), String> {
    let opts = &mut raw.opts;
    let v = o.value.as_str();
    match o.long {
        "bin" => raw.bin = Some(o.value.clone()),
        "workload" => {
            let names = workload::names(raw.registry);
            if !names.contains(&v) {
                return Err(invalid(o, &format!("Must be one of {}", names.join(", "))));
            }
            opts.workload = o.value.clone();
        }
        "node" => raw.node_flags.push(o.value.clone()),
        "nodes" => raw.nodes = Some(split_nodes(v)),
        "nodes-file" => raw.nodes_file = Some(o.value.clone()),
        "concurrency" => {
            let valid = v.strip_suffix('n').unwrap_or(v);
            if valid.is_empty() || !valid.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(o, "Must be an integer, optionally followed by n."));
            }
            raw.concurrency = Some(o.clone());
        }
        "test-count" => match parse_long_strict(o)? {
            n if n > 0 => opts.test_count = n as u64,
            _ => return Err(invalid(o, "Must be positive")),
        },
        "time-limit" => match parse_long_strict(o)? {
            n if n > 0 => opts.time_limit = n as u64,
            _ => return Err(invalid(o, "Must be positive")),
        },
        "availability" => {
            opts.availability = match v {
                "" => None,
                "total" => Some(Availability::Total),
                _ => match read_number(v) {
                    Some(a) if (0.0..=1.0).contains(&a) => Some(Availability::AtLeast(a)),
                    _ => {
                        return Err(invalid(
                            o,
                            "must be either 'total' or a number between 0 and 1.",
                        ))
                    }
                },
            }
        }
        "consistency-models" => opts.workload_opts.consistency_models = consistency_models(o)?,
        "key-count" => match parse_long(v) {
            Some(n) if n > 0 => opts.workload_opts.key_count = Some(n as u64),
            _ => return Err(invalid(o, "must be positive")),
        },
        "latency" => match parse_long(v) {
            Some(n) if n >= 0 => opts.latency = n as u64,
            _ => return Err(invalid(o, "Must be non-negative")),
        },
        "latency-dist" => {
            opts.latency_dist = match v {
                "constant" => LatencyDist::Constant,
                "uniform" => LatencyDist::Uniform,
                "exponential" => LatencyDist::Exponential,
                _ => return Err(invalid(o, "Must be constant, uniform, or exponential")),
            }
        }
        "max-txn-length" => match parse_long(v) {
            Some(n) if n > 0 => opts.workload_opts.max_txn_length = n as u64,
            _ => return Err(invalid(o, "must be positive")),
        },
        "max-writes-per-key" => match parse_long(v) {
            Some(n) if n > 0 => opts.workload_opts.max_writes_per_key = n as u64,
            _ => return Err(invalid(o, "must be positive")),
        },
        "node-count" => match parse_long(v) {
            Some(n) if n > 0 => raw.node_count = Some(n as u64),
            _ => return Err(invalid(o, "Must be positive.")),
        },
        "nemesis" => {
            // Split on `\s*,\s*` like Maelstrom; the only fault is `partition`.
            let faults: Vec<&str> = v.split(',').map(str::trim).collect();
            if !faults.iter().all(|f| *f == "partition") {
                return Err(invalid(o, "Must be one of partition"));
            }
            opts.nemesis_partition = true;
        }
        "nemesis-interval" => match read_number(v) {
            Some(x) if x > 0.0 => opts.nemesis_interval = x,
            _ => return Err(invalid(o, "Must be positive")),
        },
        "rate" => match parse_double(o)? {
            x if x.is_nan() || x.is_infinite() => {
                return Err(invalid(o, "Must be a finite number"))
            }
            x if x < 0.0 => return Err(invalid(o, "Can't be negative")),
            x => opts.rate = x,
        },
        "topology" => {
            opts.topology = match v {
                "grid" => TopologyKind::Grid,
                "line" => TopologyKind::Line,
                "total" => TopologyKind::Total,
                "tree" | "tree2" => TopologyKind::Tree(2),
                "tree3" => TopologyKind::Tree(3),
                "tree4" => TopologyKind::Tree(4),
                _ => {
                    return Err(invalid(
                        o,
                        "Must be one of grid, line, total, tree, tree2, tree3, tree4",
                    ))
                }
            }
        }
        "seed" => match parse_long_strict(o)? {
            n if n >= 0 => opts.seed = Some(n as u64),
            _ => return Err(invalid(o, "Must be non-negative")),
        },
        "max-msgs-per-op" => match parse_double(o)? {
            x if x.is_finite() && x >= 0.0 => opts.max_msgs_per_op = Some(x),
            _ => return Err(invalid(o, "Must be a non-negative number")),
        },
        "max-median-latency" => match parse_long(v) {
            Some(n) if n >= 0 => opts.max_median_latency_ms = Some(n as u64),
            _ => return Err(invalid(o, "Must be non-negative")),
        },
        "max-latency" => match parse_long(v) {
            Some(n) if n >= 0 => opts.max_latency_ms = Some(n as u64),
            _ => return Err(invalid(o, "Must be non-negative")),
        },
        // --username, --password, --ssh-private-key: accepted and ignored (no SSH here).
        _ => {}
    }
    Ok(())
}

/// `--nodes`: split on `,\s*` (so `n1, n2` works); a trailing comma adds nothing.
fn split_nodes(list: &str) -> Vec<String> {
    let mut nodes: Vec<String> = list
        .split(',')
        .map(|n| n.trim_start().to_string())
        .collect();
    while nodes.last().is_some_and(|n| n.is_empty()) {
        nodes.pop();
    }
    nodes
}

/// `--consistency-models`: a plain comma-separated list of Elle's model names (spec 0).
fn consistency_models(o: &Occurrence) -> Result<Vec<String>, String> {
    let names: Vec<String> = o
        .value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.trim_start_matches(':').to_string())
        .collect();
    if names.is_empty() {
        return Err(invalid(o, "Must name at least one consistency model"));
    }
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| !CONSISTENCY_MODELS.contains(&n.as_str()))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(names)
    } else {
        Err(invalid(
            o,
            &format!(
                "Unknown consistency model {}; known models are: {}",
                unknown.join(", "),
                CONSISTENCY_MODELS.join(", ")
            ),
        ))
    }
}

/// The node list (spec 1.3, as Maelstrom's code does it): `--nodes-file` lines, then the
/// `--node-count` names (which replace `--nodes`) or `--nodes`, then the `-n` flags; the
/// default `n1..n5` only when none of these is given. Then our checks: no empty names, no
/// name a client or service could have, no duplicates.
fn resolve_nodes(raw: &Raw) -> Result<Vec<String>, Vec<String>> {
    let mut nodes = Vec::new();
    let mut errors = Vec::new();
    if let Some(path) = &raw.nodes_file {
        match std::fs::read_to_string(path) {
            Ok(text) => nodes.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            ),
            Err(e) => errors.push(format!("Can't read --nodes-file {path}: {e}")),
        }
    }
    if let Some(n) = raw.node_count {
        nodes.extend((0..n).map(|i| format!("n{i}")));
    } else if let Some(list) = &raw.nodes {
        nodes.extend(list.iter().cloned());
    }
    let given = raw.nodes_file.is_some() || raw.node_count.is_some() || raw.nodes.is_some();
    if raw.node_flags.is_empty() && !given {
        nodes.extend(DEFAULT_NODES.iter().map(|n| n.to_string()));
    }
    nodes.extend(raw.node_flags.iter().cloned());
    if nodes.is_empty() && errors.is_empty() {
        errors.push("No nodes to test: the node list is empty".to_string());
    }
    for (i, node) in nodes.iter().enumerate() {
        if node.is_empty() {
            errors.push("Invalid node name \"\": node names can't be empty".to_string());
        } else if node.starts_with('c') {
            errors.push(format!(
                "Invalid node name \"{node}\": names starting with \"c\" are Maelstrom's clients"
            ));
        } else if crate::service::MAELSTROM_SERVICE_IDS.contains(&node.as_str()) {
            errors.push(format!(
                "Invalid node name \"{node}\": that is the id of a Maelstrom service"
            ));
        } else if nodes[..i].contains(node) {
            errors.push(format!(
                "Invalid node list: \"{node}\" appears more than once"
            ));
        }
    }
    if errors.is_empty() {
        Ok(nodes)
    } else {
        Err(errors)
    }
}

/// `--concurrency K` or `Kn` (K x the number of nodes); C = 0 would run no client: rejected.
fn resolve_concurrency(raw: &Raw) -> Result<usize, String> {
    let Some(o) = &raw.concurrency else {
        return Ok(raw.opts.nodes.len());
    };
    let (digits, per_node) = match o.value.strip_suffix('n') {
        Some(d) => (d, true),
        None => (o.value.as_str(), false),
    };
    let k: usize = digits
        .parse()
        .map_err(|_| invalid(o, "Must be an integer, optionally followed by n."))?;
    let c = if per_node {
        k.checked_mul(raw.opts.nodes.len())
            .ok_or_else(|| invalid(o, "Too large"))?
    } else {
        k
    };
    if c == 0 {
        return Err(invalid(o, "Must be positive"));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a command line on whitespace (no quoting needed in these tests).
    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    /// Options of a `test ...` line, as Maelstrom parses them (any workload name it knows).
    #[track_caller]
    fn test_opts(line: &str) -> TestOptions {
        let all = args(line);
        assert_eq!(all.first().map(String::as_str), Some("test"));
        match parse_test_options(&all[1..], workload::REGISTRY) {
            Ok(Command::Test(opts)) => opts,
            other => panic!("expected test options for {line:?}, got {other:?}"),
        }
    }

    /// The error text for a command line that must fail with exit 254.
    #[track_caller]
    fn error(line: &str) -> String {
        match parse(&args(line)) {
            Err(e) => {
                assert_eq!(e.exit_code, 254, "exit code for {line:?}");
                e.message
            }
            other => panic!("expected an argument error for {line:?}, got {other:?}"),
        }
    }

    /// Without options every default is Maelstrom's (spec 1.2-1.4).
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
        assert!(!o.nemesis_partition);
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
        assert!(o.nemesis_partition && o.log_stderr);
        assert!(!o.workload_opts.wfr_mops);
        assert!(test_opts("test --bin x --wfr-mops").workload_opts.wfr_mops);
        assert_eq!(o.seed, Some(42));
    }

    /// `--opt=value`, `-wvalue`, options after trailing arguments, `--` and repeated options.
    #[test]
    fn token_forms() {
        let o =
            test_opts("test extra1 --rate=7.5 -wecho --bin=/b extra2 --rate 8 -- --verbose -w x");
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
        for line in ["", "frobnicate", "--help", "analyze -t 1"] {
            let e = error(line);
            assert!(
                e.starts_with("Usage: lein run -- COMMAND [OPTIONS ...]\nCommands: serve, test"),
                "{e}"
            );
        }
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
                "Error while parsing option \"--time-limit abc\": java.lang.NumberFormatException: For input string: \"abc\"",
            ),
            ("test --bin x --time-limit 0", "Failed to validate \"--time-limit 0\": Must be positive"),
            ("test --bin x --test-count -2", "Failed to validate \"--test-count -2\": Must be positive"),
            (
                "test --bin x --rate ten",
                "Error while parsing option \"--rate ten\": java.lang.NumberFormatException: For input string: \"ten\"",
            ),
            ("test --bin x --latency abc", "Failed to validate \"--latency abc\": Must be non-negative"),
            ("test --bin x --node-count 0", "Failed to validate \"--node-count 0\": Must be positive."),
            ("test --bin x --key-count 0", "Failed to validate \"--key-count 0\": must be positive"),
            (
                "test --bin x --latency-dist normal",
                "Failed to validate \"--latency-dist normal\": Must be constant, uniform, or exponential",
            ),
            ("test --bin x --nemesis kill", "Failed to validate \"--nemesis kill\": Must be one of partition"),
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
            ("test -w echo", "Expected a --bin PATH_TO_BINARY to test"),
            (
                "test --bin x -w nope",
                "Failed to validate \"-w nope\": Must be one of broadcast, echo, g-counter, g-set, kafka, lin-kv, pn-counter, txn-list-append, txn-rw-register, unique-ids",
            ),
            ("test --bin x --seed -3", "Failed to validate \"--seed -3\": Must be non-negative"),
            ("test --bin x --max-latency x", "Failed to validate \"--max-latency x\": Must be non-negative"),
            (
                "test --bin x --max-msgs-per-op -1",
                "Failed to validate \"--max-msgs-per-op -1\": Must be a non-negative number",
            ),
            ("serve -p 0", "Failed to validate \"-p 0\": Must be positive"),
            ("serve --port 70000", "Failed to validate \"--port 70000\": Must be a port number, at most 65535"),
        ];
        for (line, expected) in cases {
            assert_eq!(error(line), expected, "for {line:?}");
        }
    }

    /// Several errors are all reported, one per line, in command-line order, then the missing --bin.
    #[test]
    fn several_errors() {
        assert_eq!(
            error("test --rate -1 --latency x"),
            "Failed to validate \"--rate -1\": Can't be negative\n\
             Failed to validate \"--latency x\": Must be non-negative\n\
             Expected a --bin PATH_TO_BINARY to test"
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
             Expected a --bin PATH_TO_BINARY to test"
        );
        assert_eq!(
            error("test --foo=3 --latency x -z --bin b --log-stderr=1 --rate=-1 --topology star -n"),
            "Unknown option: \"--foo\"\n\
             Failed to validate \"--latency x\": Must be non-negative\n\
             Unknown option: \"-z\"\n\
             Option \"--log-stderr\" takes no argument\n\
             Failed to validate \"--rate -1\": Can't be negative\n\
             Failed to validate \"--topology star\": Must be one of grid, line, total, tree, tree2, tree3, tree4\n\
             Missing required argument for \"-n HOSTNAME\""
        );
    }

    /// Short clusters expand like tools.cli's: each unknown letter is an error, a value letter takes the rest.
    #[test]
    fn short_option_clusters() {
        assert_eq!(
            error("test --bin x -zyw nope -q"),
            "Unknown option: \"-z\"\n\
             Unknown option: \"-y\"\n\
             Failed to validate \"-w nope\": Must be one of broadcast, echo, g-counter, g-set, kafka, lin-kv, pn-counter, txn-list-append, txn-rw-register, unique-ids\n\
             Unknown option: \"-q\""
        );
        assert_eq!(
            error("test --bin x -zwecho --rate -1"),
            "Unknown option: \"-z\"\n\
             Failed to validate \"--rate -1\": Can't be negative"
        );
        assert!(matches!(
            parse(&args("test -zh --foo")),
            Ok(Command::Help(_))
        ));
    }

    /// The tokens clap sees: unknown options dropped (with an inline value), values split off, `--` verbatim.
    #[test]
    fn tokenize_drops_unknown_options() {
        let t = tokenize(
            TEST_OPTS,
            &args("a --foo=3 --foo 4 -zwecho --nodes --bar --rate=1 -- --baz -y"),
        );
        assert_eq!(
            t.clap,
            args("a 4 -w echo --nodes --bar --rate 1 -- --baz -y")
        );
        assert_eq!(
            t.errors,
            vec![
                (1, "Unknown option: \"--foo\"".to_string()),
                (1, "Unknown option: \"--foo\"".to_string()),
                (2, "Unknown option: \"-z\"".to_string()),
            ]
        );
    }

    /// After `--` nothing is an option, and a value-taking option's value is never an unknown option.
    #[test]
    fn no_unknown_options_in_values_or_after_double_dash() {
        assert_eq!(
            error("test --bin x --foo -- --bar -z"),
            "Unknown option: \"--foo\""
        );
        let o = test_opts("test --bin x --nodes --foo,n2 -- --bar");
        assert_eq!(o.nodes, vec!["--foo", "n2"]);
        assert_eq!(o.node_args, vec!["--bar"]);
    }

    /// `serve` reports every bad option in order too.
    #[test]
    fn serve_reports_every_error() {
        assert_eq!(
            error("serve --bogus -p 0 -z --host=h --port=x"),
            "Unknown option: \"--bogus\"\n\
             Failed to validate \"-p 0\": Must be positive\n\
             Unknown option: \"-z\"\n\
             Error while parsing option \"--port x\": java.lang.NumberFormatException: For input string: \"x\""
        );
    }

    /// Number forms Maelstrom's parsers accept.
    #[test]
    fn number_forms() {
        let o = test_opts(
            "test --bin x --rate 1e3 --nemesis-interval 1/2 --availability 0.99 --time-limit +5",
        );
        assert_eq!((o.rate, o.nemesis_interval, o.time_limit), (1000.0, 0.5, 5));
        assert_eq!(o.availability, Some(Availability::AtLeast(0.99)));
        let o = test_opts("test --bin x --rate 0 --availability total --nemesis-interval 3");
        assert_eq!((o.rate, o.nemesis_interval), (0.0, 3.0));
        assert_eq!(o.availability, Some(Availability::Total));
        assert_eq!(
            test_opts("test --bin x --availability 1").availability,
            Some(Availability::AtLeast(1.0))
        );
        let o = parse(&[
            "test".into(),
            "-w".into(),
            "echo".into(),
            "--bin".into(),
            "x".into(),
            "--availability".into(),
            String::new(),
        ]);
        assert!(matches!(
            o,
            Ok(Command::Test(TestOptions {
                availability: None,
                ..
            }))
        ));
    }

    /// `Kn` multiplies by the node count after the node list is resolved (spec 1.4).
    #[test]
    fn concurrency_forms() {
        assert_eq!(test_opts("test --bin x --concurrency 2n").concurrency, 10);
        assert_eq!(
            test_opts("test --bin x --node-count 3 --concurrency 2n").concurrency,
            6
        );
        assert_eq!(
            test_opts("test --bin x --node-count 3 --concurrency 7").concurrency,
            7
        );
        assert_eq!(test_opts("test --bin x --node-count 4").concurrency, 4);
    }

    /// Node lists: `--node-count`, `--nodes` split on `,\s*`, repeated `-n`, `--nodes-file`.
    #[test]
    fn node_lists() {
        assert_eq!(
            test_opts("test --bin x --node-count 2").nodes,
            vec!["n0", "n1"]
        );
        assert_eq!(test_opts("test --bin x --nodes a,b,").nodes, vec!["a", "b"]);
        let o =
            parse(&["test", "-w", "echo", "--bin", "x", "--nodes", "a, b,  d"].map(String::from));
        assert!(
            matches!(o, Ok(Command::Test(ref t)) if t.nodes == vec!["a", "b", "d"]),
            "{o:?}"
        );
        assert_eq!(
            test_opts("test --bin x -n a -n b --node z").nodes,
            vec!["a", "b", "z"]
        );
        // --node-count replaces --nodes, explicit -n flags still follow (Maelstrom's code).
        assert_eq!(
            test_opts("test --bin x --nodes a,b --node-count 1 -n q").nodes,
            vec!["n0", "q"]
        );
        let file = std::env::temp_dir().join(format!("maelstrom-cli-nodes-{}", std::process::id()));
        std::fs::write(&file, "  f1\n\nf2  \n").expect("temp file");
        let o = test_opts(&format!(
            "test --bin x --nodes-file {} --nodes a -n b",
            file.display()
        ));
        let _ = std::fs::remove_file(&file);
        assert_eq!(o.nodes, vec!["f1", "f2", "a", "b"]);
    }

    /// Names a client or service would have, empty names and duplicates are rejected clearly.
    #[test]
    fn bad_node_names() {
        assert!(error("test --bin x --nodes n1,c2").contains("Invalid node name \"c2\""));
        assert!(error("test --bin x -n lin-kv").contains("Maelstrom service"));
        assert!(error("test --bin x -n a -n a").contains("\"a\" appears more than once"));
        assert!(error("test --bin x --nodes ,a").contains("can't be empty"));
        assert!(error("test --bin x --nodes-file /nonexistent/nodes")
            .contains("Can't read --nodes-file /nonexistent/nodes"));
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
        let mut sorted = CONSISTENCY_MODELS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            sorted, CONSISTENCY_MODELS,
            "the model list stays sorted and unique"
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
    #[test]
    fn targets() {
        let o = test_opts(
            "test --bin x --max-msgs-per-op 30 --max-median-latency 400 --max-latency=600",
        );
        assert_eq!(o.max_msgs_per_op, Some(30.0));
        assert_eq!(
            (o.max_median_latency_ms, o.max_latency_ms),
            (Some(400), Some(600))
        );
    }

    /// `parse` itself rejects a workload the runner does not support yet, with exit 254.
    #[test]
    fn unsupported_workload() {
        assert!(error("test --bin x").contains("lin-kv is not supported yet"));
        assert!(error("test --bin x -w g-set").contains("not supported yet"));
        assert!(matches!(
            parse(&args("test --bin x -w broadcast")),
            Ok(Command::Test(_))
        ));
    }

    /// `serve` defaults and options.
    #[test]
    fn serve() {
        assert_eq!(
            parse(&args("serve")),
            Ok(Command::Serve {
                host: "0.0.0.0".into(),
                port: 8080
            })
        );
        assert_eq!(
            parse(&args("serve -b 127.0.0.1 --port=9000")),
            Ok(Command::Serve {
                host: "127.0.0.1".into(),
                port: 9000
            })
        );
        assert_eq!(error("serve --bogus"), "Unknown option: \"--bogus\"");
    }

    /// Adding a workload to the registry is all the command line needs to accept it; a name the
    /// registry lacks is refused, and one marked `not_yet` gets "not supported yet".
    #[test]
    fn registry_decides_the_workloads() {
        let mut registry = workload::REGISTRY.to_vec();
        registry.push(Entry::new("zz-new", workload::echo::build));
        registry.push(Entry::not_yet("zz-later"));
        let line = args("test --bin x -w zz-new");
        assert!(
            matches!(parse_with(&line, &registry), Ok(Command::Test(o)) if o.workload == "zz-new")
        );
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
}
