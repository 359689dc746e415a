//! The option tables of `test` and `serve` and the help text printed from them, in the layout
//! of Clojure's tools.cli (`Options:` then three columns: option, default, description).
//!
//! A default shown in the help is read from `TestOptions::default()`, so the help and the
//! parser cannot disagree.

use crate::options::{Availability, TestOptions};

/// One option as the usage summary and the error messages show it.
pub(super) struct OptSpec {
    pub(super) short: Option<char>,
    pub(super) long: &'static str,
    /// The argument's name in messages (`RATE` in `Missing required argument for "--rate RATE"`);
    /// `None` for flags.
    pub(super) arg: Option<&'static str>,
    /// The default as the summary shows it ("" when none), read from the options' one default
    /// (`TestOptions::default()`) where there is one.
    pub(super) default: fn(&TestOptions) -> String,
    /// The description; [`FAULTS`] in it stands for the fault registry's names.
    pub(super) help: &'static str,
}

/// Stands for the names `--nemesis` accepts (`nemesis::REGISTRY`) in a help text.
const FAULTS: &str = "{faults}";

/// `serve`'s default host and port.
// 127.0.0.1 rather than Jepsen's 0.0.0.0: a deliberate difference (README).
pub(super) const DEFAULT_HOST: &str = "127.0.0.1";
pub(super) const DEFAULT_PORT: u16 = 8080;

/// The summary's default column for an option that has none.
fn no_default(_: &TestOptions) -> String {
    String::new()
}

/// `["n1" "n2"]`: strings as Clojure prints a vector of them.
fn edn_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    format!("[{}]", quoted.join(" "))
}

/// `[:strict-serializable]`: names as Clojure prints a vector of keywords.
fn edn_keywords(items: &[String]) -> String {
    let keywords: Vec<String> = items.iter().map(|i| format!(":{i}")).collect();
    format!("[{}]", keywords.join(" "))
}

/// Shorthand constructors keep the option table readable.
pub(super) const fn opt(
    short: Option<char>,
    long: &'static str,
    arg: &'static str,
    default: fn(&TestOptions) -> String,
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

pub(super) const fn flag(short: Option<char>, long: &'static str, help: &'static str) -> OptSpec {
    OptSpec {
        short,
        long,
        arg: None,
        default: no_default,
        help,
    }
}

/// `test`'s options: Jepsen's inherited ones first, then Maelstrom's, then ours (`jepsen.cli`'s, then `src/maelstrom/core.clj`'s).
pub(super) const TEST_OPTS: &[OptSpec] = &[
    flag(Some('h'), "help", "Print out this message and exit"),
    opt(Some('n'), "node", "HOSTNAME", |o| edn_strings(&o.nodes),
        "Node(s) to run test on. Flag may be given many times, one node per flag.",
    ),
    opt(None, "nodes", "NODE_LIST", no_default, "Comma-separated list of node names."),
    opt(None, "nodes-file", "FILENAME", no_default, "File with node names, one per line."),
    opt(None, "username", "USER", |_| "root".into(), "Accepted and ignored (no SSH here)."),
    opt(None, "password", "PASS", |_| "root".into(), "Accepted and ignored (no SSH here)."),
    flag(None, "strict-host-key-checking", "Accepted and ignored (no SSH here)."),
    flag(None, "no-ssh", "Accepted and ignored (no SSH here)."),
    opt(None, "ssh-private-key", "FILE", no_default, "Accepted and ignored (no SSH here)."),
    opt(None, "concurrency", "NUMBER", |_| "1n".into(),
        "How many client workers to run: an integer, optionally followed by n (3n = 3 x nodes).",
    ),
    flag(
        None,
        "leave-db-running",
        "Accepted; nodes are still stopped at the end (no process is left behind).",
    ),
    flag(None, "logging-json", "Accepted and ignored."),
    opt(None, "test-count", "NUMBER", |o| o.test_count.to_string(), "How many times to repeat the test."),
    opt(None, "time-limit", "SECONDS", |o| o.time_limit.to_string(),
        "How long the main phase runs, in seconds (setup, recovery and analysis excluded).",
    ),
    opt(None, "bin", "FILE", no_default, "Path to the program that runs a node."),
    opt(Some('w'), "workload", "NAME", |o| format!(":{}", o.workload), "What workload to run."),
    opt(None, "availability", "EXPECTED", |o| match o.availability {
            None => "nil".into(),
            Some(Availability::Total) => ":total".into(),
            Some(Availability::AtLeast(a)) => a.to_string(),
        },
        "Fraction of requests that must succeed: a number from 0 to 1, or total. Unset: no check.",
    ),
    opt(None, "consistency-models", "MODELS", |o| edn_keywords(&o.workload_opts.consistency_models),
        "Comma-separated consistency models to check (txn workloads).",
    ),
    opt(None, "key-count", "INT", |o| o.workload_opts.key_count.map_or(String::new(), |n| n.to_string()), "Active keys at once (txn and kafka workloads), at most 1000."),
    opt(None, "latency", "MILLIS", |o| o.latency.to_string(), "Mean network latency between nodes, in ms."),
    opt(None, "latency-dist", "TYPE", |o| format!(":{}", o.latency_dist.name()),
        "Latency distribution: constant, uniform or exponential.",
    ),
    flag(None, "log-net-send", "Log messages as they are sent."),
    flag(None, "log-net-recv", "Log messages as they are delivered."),
    flag(None, "log-stderr", "Also log the nodes' stderr lines to the console."),
    opt(None, "max-txn-length", "INT", |o| o.workload_opts.max_txn_length.to_string(), "Most micro-operations per transaction, at most 1000."),
    opt(None, "max-writes-per-key", "INT", |o| o.workload_opts.max_writes_per_key.to_string(), "Writes per key before it is retired, at most 1000000."),
    opt(None, "node-count", "NUM", no_default,
        "How many nodes to run, named n0, n1, ...; overrides --nodes.",
    ),
    opt(None, "nemesis", "FAULTS", |o| {
            let faults: Vec<String> = o.nemesis.iter().map(|f| format!(":{f}")).collect();
            format!("#{{{}}}", faults.join(" "))
        },
        "Comma-separated faults to inject: {faults}.",
    ),
    opt(None, "nemesis-interval", "SECONDS", |o| o.nemesis_interval.to_string(),
        "Mean seconds between nemesis operations.",
    ),
    opt(None, "rate", "RATE", |o| o.rate.to_string(), "Approximate requests per second, in total."),
    opt(None, "topology", "SPEC", |o| format!(":{}", o.topology.name()),
        "Topology offered to broadcast nodes: grid, line, total, tree, tree2, tree3, tree4.",
    ),
    opt(None, "seed", "N", no_default,
        "Seed for every random choice (op values, gaps, latencies, partitions); printed when unset.",
    ),
    opt(None, "max-msgs-per-op", "N", no_default,
        "Target: :net :servers :msgs-per-op at most N, else the test is invalid.",
    ),
    opt(None, "max-median-latency", "MS", no_default,
        "Target: median stable latency at most MS ms, else the test is invalid.",
    ),
    opt(None, "max-latency", "MS", no_default,
        "Target: maximum stable latency at most MS ms, else the test is invalid.",
    ),
    opt(None, "run-budget", "MIB", |o| (o.run_budget >> 20).to_string(),
        "The most the nodes' output may make the run's folder hold, in MiB; past it the test stops, not valid.",
    ),
    flag(None, "wfr-mops",
        "txn-rw-register: also order versions by every micro-op, finding interleaved writes (G0).",
    ),
    opt(None, "linearizable-time-limit", "SECONDS", |o| o.workload_opts.linearizable_time_limit.to_string(),
        "lin-kv (ours): seconds the linearizability check may take; undecided keys are :unknown.",
    ),
    opt(None, "linearizable-memory-limit", "MB", |o| o.workload_opts.linearizable_memory_limit_mb.to_string(),
        "lin-kv (ours): MB of search state the linearizability check may hold; beyond, :unknown.",
    ),
];

/// `serve`'s options (`src/maelstrom/core.clj`).
pub(super) const SERVE_OPTS: &[OptSpec] = &[
    flag(Some('h'), "help", "Print out this message and exit"),
    opt(
        Some('b'),
        "host",
        "HOST",
        |_| DEFAULT_HOST.into(),
        "Hostname to bind to",
    ),
    opt(
        Some('p'),
        "port",
        "NUMBER",
        |_| DEFAULT_PORT.to_string(),
        "Port number to bind to",
    ),
];

/// The usage text for `test`: this runner's command, and Jepsen's exit statuses (`jepsen.cli`).
pub(super) const TEST_USAGE: &str =
    "Usage: maelstrom test --bin PATH [OPTIONS ...] [-- NODE ARGUMENTS ...]

Runs a test and exits with a status code:

  0     All tests passed
  1     Some test failed
  2     Some test had an :unknown validity
  254   Invalid arguments
  255   The test could not be set up or run

Options:";

/// The help text for a command: its usage (ending in `Options:`), then the option summary.
pub(super) fn help_text(usage: &str, specs: &[OptSpec]) -> String {
    format!("{usage}\n{}\n", summary(specs))
}

/// tools.cli's option summary: three left-aligned columns (option, default, description).
pub(super) fn summary(specs: &[OptSpec]) -> String {
    let defaults = TestOptions::default();
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
            let faults: Vec<&str> = crate::nemesis::names().collect();
            let help = s.help.replace(FAULTS, &faults.join(", "));
            [name, (s.default)(&defaults), help]
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

pub(super) fn find_long<'a>(specs: &'a [OptSpec], long: &str) -> Option<&'a OptSpec> {
    specs.iter().find(|s| s.long == long)
}

pub(super) fn find_short(specs: &[OptSpec], short: char) -> Option<&OptSpec> {
    specs.iter().find(|s| s.short == Some(short))
}
