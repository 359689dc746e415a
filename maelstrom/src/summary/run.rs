//! The summary's run-level lines, which any workload's run has: what ran (the binary, the
//! nodes, the faults asked for, the options that differ from Maelstrom's defaults), what
//! happened to the cluster (the partitions the nemesis made), the node that crashed (when, its
//! status, its last stderr lines, the requests in flight to it), and the nodes that printed
//! lines that are not messages (how many, and the first):
//!
//! ```text
//!   ran          broadcast-3c (--bin target/release/broadcast-3c), -w broadcast
//!   nodes        5: n0 to n4
//!   faults       partition, every 10 s
//!   options      --rate 10 --time-limit 20 (others at their defaults)
//!   partition    2 times, in all 10.0 s of the 30.2 s run (messages between the sides are
//!                dropped until it heals)
//!   crashed      n0 exited (exit status 1) 1.1 s into the run, which ended there; 1 echo
//!                request in flight to it got no reply
//!   its stderr   ZeroDivisionError: division by zero
//!   protocol     n0: 1478 bad stdout lines, the first:
//!                Node n0 printed a line to STDOUT which was not well-formed JSON:
//!                "this line is not JSON"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

use crate::edn::Edn;
use crate::history::{node_of, History, Op, OpType};
use crate::options::TestOptions;

use super::{int, name};

/// How many of a crashed node's last stderr lines the summary shows (`:crash :stderr` in the
/// results has up to 32).
const STDERR_LINES: usize = 5;
/// How many nodes' protocol errors the summary details; the rest are counted.
const PROTOCOL_NODES: usize = 3;

/// `ran`, `nodes`, `faults` and `options`: what the run was, from its options. Runs of
/// different parts under one workload (3a to 3e, a reader's own node) differ here.
pub fn what_ran(opts: &TestOptions) -> Vec<(&'static str, String)> {
    let bin = opts.bin.display().to_string();
    let ran = match part_name(&opts.bin) {
        Some(part) => format!("{part} (--bin {bin}), -w {}", opts.workload),
        None => format!("--bin {bin}, -w {}", opts.workload),
    };
    let defaults = TestOptions::default();
    let nodes = if opts.nodes == defaults.nodes {
        format!(
            "{}: {} (no --node-count, so Maelstrom's default five, numbered from 1; \
             --node-count 5 gives n0 to n4)",
            opts.nodes.len(),
            node_list(&opts.nodes)
        )
    } else {
        format!("{}: {}", opts.nodes.len(), node_list(&opts.nodes))
    };
    let faults = if opts.nemesis.is_empty() {
        "none (no --nemesis)".to_string()
    } else {
        let names: Vec<&str> = opts.nemesis.iter().map(String::as_str).collect();
        format!(
            "{}, every {} s",
            names.join(", "),
            number(opts.nemesis_interval)
        )
    };
    let changed = changed_options(opts, &defaults);
    let options = if changed.is_empty() {
        "all at their defaults".to_string()
    } else {
        format!("{} (others at their defaults)", changed.join(" "))
    };
    vec![
        ("ran", ran),
        ("nodes", nodes),
        ("faults", faults),
        ("options", options),
    ]
}

/// What ran, as one line of the run's `jepsen.log` (its first lines, where `serve`'s index
/// reads it back with [`read_log_line`], even for a run that could not be set up).
pub fn log_line(opts: &TestOptions) -> String {
    let parts: Vec<String> = what_ran(opts)
        .into_iter()
        .map(|(label, value)| format!("{label} {value}"))
        .collect();
    format!("{LOG_PREFIX}{}", parts.join("; "))
}

/// How [`log_line`] starts.
const LOG_PREFIX: &str = "What ran: ";

/// [`log_line`]'s text (after its prefix) from the start of a run's `jepsen.log`: only its
/// first 16 KiB are read, however long the log. None when it is not there (a run from before).
pub fn read_log_line(jepsen_log: &Path) -> Option<String> {
    use std::io::Read;
    // Only a regular file: opening a named pipe would block whoever asks (serve's index).
    if !std::fs::symlink_metadata(jepsen_log).is_ok_and(|m| m.file_type().is_file()) {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(jepsen_log)
        .ok()?
        .take(16 << 10)
        .read_to_end(&mut head)
        .ok()?;
    String::from_utf8_lossy(&head).lines().find_map(|line| {
        let (_, ran) = line.split_once(LOG_PREFIX)?;
        Some(ran.to_string())
    })
}

/// The part a `--bin` is, when it is a binary cargo built in this workspace's
/// `target/<profile>/` (or a `CARGO_TARGET_DIR` named so): its file name.
fn part_name(bin: &Path) -> Option<String> {
    let mut parts = bin.components().rev();
    let file = parts.next()?;
    let profile = parts.next()?;
    let target = parts.next()?;
    let is = |c: Component, names: &[&str]| {
        c.as_os_str()
            .to_str()
            .is_some_and(|name| names.contains(&name))
    };
    (is(profile, &["release", "debug"]) && is(target, &["target"]))
        .then(|| file.as_os_str().to_string_lossy().into_owned())
}

/// `n0 to n4` for a numbered range (`n0 and n1` for two), else the names (the first 8, then a
/// count).
fn node_list(nodes: &[String]) -> String {
    let number = |n: &String| n.strip_prefix('n').and_then(|d| d.parse::<usize>().ok());
    let first = nodes.first().and_then(number);
    let consecutive = first.is_some_and(|first| {
        nodes
            .iter()
            .enumerate()
            .all(|(i, n)| number(n) == Some(first + i))
    });
    match (consecutive, nodes) {
        (true, [only]) => only.clone(),
        (true, [first, last]) => format!("{first} and {last}"),
        (true, [first, .., last]) => format!("{first} to {last}"),
        _ if nodes.len() > 8 => format!("{} ... +{} more", nodes[..8].join(" "), nodes.len() - 8),
        _ => nodes.join(" "),
    }
}

/// The options that differ from Maelstrom's defaults, as they would be typed (the binary, the
/// workload, the nodes and the nemesis have lines of their own; the seed is in the results).
fn changed_options(opts: &TestOptions, defaults: &TestOptions) -> Vec<String> {
    let mut changed = Vec::new();
    let mut option = |differs: bool, name: &str, value: String| {
        if differs {
            changed.push(format!("--{name} {value}"));
        }
    };
    option(
        opts.time_limit != defaults.time_limit,
        "time-limit",
        opts.time_limit.to_string(),
    );
    option(opts.rate != defaults.rate, "rate", number(opts.rate));
    // `--concurrency 2n` is resolved to a number before the run; the multiple of the node count
    // is said beside it (`--concurrency 6 (= 2n)`), so a reader who typed `2n` recognises it
    // (how it was typed is not recorded).
    let n = opts.nodes.len();
    option(
        opts.concurrency != n,
        "concurrency",
        match n > 0 && opts.concurrency.is_multiple_of(n) {
            true => format!("{} (= {}n)", opts.concurrency, opts.concurrency / n),
            false => opts.concurrency.to_string(),
        },
    );
    option(
        opts.latency != defaults.latency,
        "latency",
        opts.latency.to_string(),
    );
    option(
        opts.latency_dist != defaults.latency_dist,
        "latency-dist",
        format!("{:?}", opts.latency_dist).to_lowercase(),
    );
    option(
        opts.topology != defaults.topology,
        "topology",
        format!("{:?}", opts.topology).to_lowercase(),
    );
    option(
        opts.availability != defaults.availability,
        "availability",
        match opts.availability {
            Some(crate::options::Availability::Total) => "total".to_string(),
            Some(crate::options::Availability::AtLeast(a)) => number(a),
            None => "nil".to_string(),
        },
    );
    let w = &opts.workload_opts;
    let dw = &defaults.workload_opts;
    option(
        w.consistency_models != dw.consistency_models,
        "consistency-models",
        w.consistency_models.join(","),
    );
    option(
        w.key_count != dw.key_count,
        "key-count",
        w.key_count.map_or(String::new(), |k| k.to_string()),
    );
    option(
        w.max_txn_length != dw.max_txn_length,
        "max-txn-length",
        w.max_txn_length.to_string(),
    );
    option(
        w.max_writes_per_key != dw.max_writes_per_key,
        "max-writes-per-key",
        w.max_writes_per_key.to_string(),
    );
    if let Some(m) = opts.max_msgs_per_op {
        option(true, "max-msgs-per-op", number(m));
    }
    if let Some(ms) = opts.max_median_latency_ms {
        option(true, "max-median-latency", ms.to_string());
    }
    if let Some(ms) = opts.max_latency_ms {
        option(true, "max-latency", ms.to_string());
    }
    if w.wfr_mops {
        changed.push("--wfr-mops".to_string());
    }
    if !opts.node_args.is_empty() {
        changed.push(format!("-- {}", opts.node_args.join(" ")));
    }
    changed
}

/// A number as typed: `10` for 10.0, `0.5` for 0.5.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// Seconds with one decimal, from ns.
fn seconds(ns: u64) -> String {
    format!("{:.1} s", ns as f64 / 1e9)
}

/// One line per fault asked for or seen (`partition  2 times, in all 10.0 s of the 30.2 s
/// run (...)`): how often it was in force and for how long, from the history's nemesis ops as
/// the views shade them (`view::fault_spans`). A fault asked for that never started says so.
pub fn faults(history: &History, asked: &BTreeSet<String>) -> Vec<(&'static str, String)> {
    let end = history.last().map_or(0, |op| op.time);
    let spans = crate::view::fault_spans(history);
    let mut lines = Vec::new();
    for shade in crate::nemesis::shades() {
        let all: Vec<_> = spans
            .iter()
            .filter(|s| s.shade.name == shade.name)
            .collect();
        // A kill or pause whose every start in its span hit no node (`:kill {}`: `:minority`
        // of one node is nobody) did nothing: counted apart, as a partition that cut nothing.
        let starts = crate::nemesis::effects::start_hits(history, &shade);
        let hit_nothing = |start: u64, end: u64| {
            let within: Vec<bool> = starts
                .iter()
                .filter(|(t, _)| (start..=end).contains(t))
                .map(|(_, hit)| *hit)
                .collect();
            !within.is_empty() && within.iter().all(|hit| !hit)
        };
        let (missed, mine): (Vec<&crate::view::FaultSpan>, Vec<_>) =
            all.into_iter().partition(|s| hit_nothing(s.start, s.end));
        let total: u64 = mine.iter().map(|s| s.end.saturating_sub(s.start)).sum();
        let missed_text = match missed.len() {
            0 => String::new(),
            n => format!(
                " (and {n} time{} it hit no node: every node it picked was already down, or \
                 it picked none, as :minority-third does on 3 nodes or fewer and :minority on one)",
                if n == 1 { "" } else { "s" }
            ),
        };
        let effect = match shade.name {
            "partition" if !partition_cut_anything(history) => {
                " (but it cut nothing: every node was left with all the others, as with a \
                 single node, so no message was dropped)"
            }
            "partition" => " (messages between the sides are dropped until it heals)",
            _ => "",
        };
        // For a fault on nodes, which nodes it hit and how often (`nemesis::effects`).
        let hits = crate::nemesis::effects::node_hits(history, &shade)
            .map_or(String::new(), |h| format!("; nodes hit: {h}"));
        let line = match (mine.len(), missed.len()) {
            (0, 0) if asked.contains(shade.name) => {
                "never started (the run ended first; see --nemesis-interval)".to_string()
            }
            (0, 0) => continue,
            (0, n) => format!(
                "{n} time{}, but it hit no node: every node it picked was already down, or it \
                 picked none, as :minority-third does on 3 nodes or fewer and :minority on one",
                if n == 1 { "" } else { "s" }
            ),
            (n, _) => format!(
                "{n} time{}, in all {} of the {} run{effect}{hits}{missed_text}",
                if n == 1 { "" } else { "s" },
                seconds(total),
                seconds(end)
            ),
        };
        lines.push((shade.name, line));
    }
    lines
}

/// Whether some partition the nemesis made cut a node off from another: a `:start-partition`
/// grudge (`[:isolated {"n0" #{"n1"}, ...}]`) with a node in some set. With one node every grudge is
/// `{"n0" #{}}`; true when no grudge was recorded (nothing to say otherwise).
fn partition_cut_anything(history: &History) -> bool {
    let mut grudges = history
        .iter()
        .filter(|op| op.process == crate::history::Process::Nemesis && op.f == "start-partition")
        .filter_map(|op| match &op.value {
            // `[:isolated {"n0" #{"n1"}, ...}]`, as Jepsen's partitioner records it.
            Edn::Vector(v) | Edn::List(v) => match v.get(1) {
                Some(Edn::Map(grudge)) => Some(grudge),
                _ => None,
            },
            Edn::Map(grudge) => Some(grudge),
            _ => None,
        })
        .peekable();
    if grudges.peek().is_none() {
        return true;
    }
    grudges.any(|grudge| {
        grudge
            .iter()
            .any(|(_, cut)| !matches!(cut, Edn::Set(s) if s.is_empty()))
    })
}

/// The requests to the node that crashed that were still waiting for a reply when it exited
/// (they end as timeouts, but their node was gone): ops on `node` completed with
/// `:net-timeout` at or after `time`, counted by `f`.
pub fn in_flight_to_crashed(
    history: &[Op],
    nodes: &[String],
    concurrency: usize,
    node: &str,
    time: u64,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for op in history {
        if op.op_type != OpType::Invoke
            && op.time >= time
            && op.error == Some(Edn::kw("net-timeout"))
            && node_of(op.process, concurrency, nodes) == Some(node)
        {
            *counts.entry(op.f.clone()).or_default() += 1;
        }
    }
    counts
}

/// The node and time (ns) of the results' `:crash`, if a node crashed and the time is known.
pub fn crash_of(results: &Edn) -> Option<(String, u64)> {
    let crash = results.get("crash")?;
    let node = match crash.get("node")? {
        Edn::Str(node) => node.to_string(),
        _ => return None,
    };
    Some((node, int(crash.get("time")).max(0) as u64))
}

/// `crashed` and `its stderr`: which node exited, when, with what status, the requests in
/// flight to it (`in_flight`, by f), and the last lines it wrote to stderr.
pub fn crash_lines(
    results: &Edn,
    in_flight: &BTreeMap<String, usize>,
) -> Vec<(&'static str, String)> {
    let Some(crash) = results.get("crash") else {
        return Vec::new();
    };
    let text = |key: &str| crash.get(key).map_or(String::new(), name);
    let node = text("node");
    let status = text("status");
    let when = match crash.get("time") {
        Some(Edn::Int(ns)) => format!(" {} into the run", seconds(*ns as u64)),
        _ => String::new(),
    };
    let what = if crate::history::status_is_a_failure(&status) {
        // `stopped reading its input: a write to its stdin made no progress for 5000 ms`,
        // `could not be started again after a kill: Expected node n1 to respond ...`
        match status.split_once(": ") {
            Some((what, why)) => format!("{node} {what}{when} ({why}); the run ended there"),
            None => format!("{node} {status}{when}; the run ended there"),
        }
    } else {
        format!("{node} exited ({status}){when}; the run ended there")
    };
    let requests: Vec<String> = in_flight
        .iter()
        .map(|(f, n)| format!("{n} {f} request{}", if *n == 1 { "" } else { "s" }))
        .collect();
    let what = if requests.is_empty() {
        what
    } else {
        format!(
            "{what}; {} in flight to it got no reply (not counted as timeouts)",
            requests.join(", ")
        )
    };
    let mut lines = vec![("crashed", what)];
    let stderr: Vec<String> = match crash.get("stderr") {
        Some(Edn::Vector(l) | Edn::List(l)) => l.iter().map(name).collect(),
        _ => Vec::new(),
    };
    let shown = &stderr[stderr.len().saturating_sub(STDERR_LINES)..];
    let mut label = "its stderr";
    if shown.is_empty() {
        lines.push((label, format!("(empty; see {})", text("log"))));
    }
    for l in shown {
        lines.push((label, crate::console::printable(l)));
        label = "";
    }
    lines
}

/// `protocol`: per node that printed lines that are not messages (`:protocol :nodes`), how
/// many, and its first error: what was wrong and the line, quoted.
pub fn protocol_lines(results: &Edn) -> Vec<(&'static str, String)> {
    let Some(Edn::Map(nodes)) = results.get("protocol").and_then(|p| p.get("nodes")) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (node, errors) in nodes.iter().take(PROTOCOL_NODES) {
        let count = int(errors.get("count"));
        let plural = if count == 1 { "" } else { "s" };
        let first = errors.get("first").map_or(String::new(), name);
        let mut shown = first.lines().filter(|l| !l.trim().is_empty()).take(2);
        lines.push((
            "protocol",
            format!(
                "{}: {count} bad stdout line{plural}, the first: {}",
                name(node),
                crate::console::printable(shown.next().unwrap_or(""))
            ),
        ));
        if let Some(line) = shown.next() {
            lines.push(("", crate::console::printable(line)));
        }
    }
    if nodes.len() > PROTOCOL_NODES {
        lines.push((
            "",
            format!(
                "... and {} more nodes (results.edn's :protocol has each)",
                nodes.len() - PROTOCOL_NODES
            ),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::edn;
    use crate::history::Process;

    /// A concurrency that is a multiple of the node count says which (`2n` is resolved before
    /// the run); another is shown as it is.
    #[test]
    fn concurrency_names_its_multiple_of_the_nodes() {
        let with = |nodes: usize, concurrency: usize| {
            let opts = TestOptions {
                bin: "./x".into(),
                nodes: (0..nodes).map(|i| format!("n{i}")).collect(),
                concurrency,
                ..TestOptions::default()
            };
            changed_options(&opts, &TestOptions::default())
        };
        assert_eq!(with(3, 6), ["--concurrency 6 (= 2n)"]);
        assert_eq!(with(3, 5), ["--concurrency 5"]);
        assert!(with(3, 3).is_empty());
    }

    /// A part built by cargo is named, the default five nodes are said to be the default, and
    /// only the options that differ from Maelstrom's defaults are listed, as typed.
    #[test]
    fn what_ran_names_the_part_and_the_changed_options() {
        let opts = TestOptions {
            bin: "target/release/broadcast-3c".into(),
            workload: "broadcast".into(),
            nodes: (0..25).map(|i| format!("n{i}")).collect(),
            concurrency: 25,
            rate: 10.0,
            time_limit: 20,
            nemesis: ["partition".to_string()].into(),
            ..TestOptions::default()
        };
        let lines = what_ran(&opts);
        assert_eq!(
            lines,
            vec![
                (
                    "ran",
                    "broadcast-3c (--bin target/release/broadcast-3c), -w broadcast".to_string()
                ),
                ("nodes", "25: n0 to n24".to_string()),
                ("faults", "partition, every 10 s".to_string()),
                (
                    "options",
                    "--time-limit 20 --rate 10 (others at their defaults)".to_string()
                ),
            ]
        );
        let defaults = what_ran(&TestOptions {
            bin: "./echo.py".into(),
            ..TestOptions::default()
        });
        assert_eq!(defaults[0].1, "--bin ./echo.py, -w lin-kv");
        assert!(
            defaults[1].1.starts_with("5: n1 to n5 (no --node-count"),
            "{defaults:?}"
        );
        assert_eq!(defaults[3].1, "all at their defaults");
        assert_eq!(node_list(&["a".into(), "n3".into()]), "a n3");
        assert_eq!(node_list(&["n0".into(), "n1".into()]), "n0 and n1");
        assert_eq!(node_list(&["n4".into()]), "n4");
    }

    /// A partition's time is counted from its first start op to its stop op; one asked for that
    /// never started says so; none asked, none seen: no line.
    #[test]
    fn faults_count_spans_and_say_when_none_happened() {
        let nemesis = |f: &str, ms: u64| {
            let mut op = Op::new(OpType::Info, Process::Nemesis, f, Edn::Nil);
            op.time = ms * 1_000_000;
            op
        };
        let history = vec![
            nemesis("start-partition", 1000),
            nemesis("start-partition", 1001),
            nemesis("stop-partition", 3000),
            nemesis("stop-partition", 3001),
            nemesis("start-partition", 5000),
            nemesis("start-partition", 5001),
            nemesis("stop-partition", 6001),
            Op::new(OpType::Ok, Process::Client(0), "read", Edn::Nil),
        ];
        let mut history = history;
        history[7].time = 10_000_000_000;
        let asked: BTreeSet<String> = ["partition".to_string()].into();
        let lines = faults(&history, &asked);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0]
                .1
                .starts_with("2 times, in all 3.0 s of the 10.0 s run"),
            "{lines:?}"
        );
        assert!(faults(&history[7..].to_vec(), &asked)[0]
            .1
            .starts_with("never started"));
        assert!(faults(&history[7..].to_vec(), &BTreeSet::new()).is_empty());
    }

    /// A kill or pause that hit no node (`{}`) is not counted with those that did, nor in
    /// their time: the line says how many hit nothing, or that every one did.
    #[test]
    fn a_kill_that_hit_nothing_says_so() {
        let op = |time: u64, f: &str, value: &str| {
            let mut op = Op::new(
                OpType::Info,
                Process::Nemesis,
                f,
                crate::edn::parse(value).expect("value"),
            );
            op.time = time * 1_000_000_000;
            op
        };
        let asked: BTreeSet<String> = ["kill".to_string(), "pause".to_string()].into();
        let history = vec![
            op(1, "kill", ":minority"),
            op(1, "kill", "{}"),
            op(2, "start", ":all"),
            op(2, "start", r#"{"n0" :already-running}"#),
            op(3, "kill", ":one"),
            op(3, "kill", r#"{"n0" :killed}"#),
            op(5, "start", ":all"),
            op(5, "start", r#"{"n0" :started}"#),
            op(6, "pause", ":minority"),
            op(6, "pause", "{}"),
            op(8, "resume", ":all"),
            op(8, "resume", r#"{"n0" :not-paused}"#),
        ];
        let lines = faults(&history, &asked);
        assert_eq!(
            lines,
            vec![
                (
                    "pause",
                    "1 time, but it hit no node: every node it picked was already down, or it \
                     picked none, as :minority-third does on 3 nodes or fewer and :minority on one"
                        .to_string()
                ),
                (
                    "kill",
                    "1 time, in all 2.0 s of the 8.0 s run; nodes hit: n0 1 (and 1 time it hit \
                     no node: every node it picked was already down, or it picked none, as \
                     :minority-third does on 3 nodes or fewer and :minority on one)"
                        .to_string()
                ),
            ]
        );
    }

    /// A partition whose grudge cut nobody off (one node: `{"n0" #{}}`) says it dropped
    /// nothing; one that cut a node off says messages between the sides are dropped.
    #[test]
    fn a_partition_that_cut_nothing_says_so() {
        let grudge = |text: &str| {
            let mut op = Op::new(
                OpType::Info,
                Process::Nemesis,
                "start-partition",
                crate::edn::parse(text).expect("grudge"),
            );
            op.time = 1_000_000_000;
            op
        };
        let stop = {
            let mut op = Op::new(OpType::Info, Process::Nemesis, "stop-partition", Edn::Nil);
            op.time = 2_000_000_000;
            op
        };
        let asked: BTreeSet<String> = ["partition".to_string()].into();
        let lone = faults(
            &vec![
                grudge(":majority"),
                grudge(r#"[:isolated {"n0" #{}}]"#),
                stop.clone(),
            ],
            &asked,
        );
        assert!(lone[0].1.contains("it cut nothing"), "{lone:?}");
        assert!(!lone[0].1.contains("between the sides"), "{lone:?}");
        let cut = faults(
            &vec![
                grudge(":majority"),
                grudge(r#"{"n0" #{"n1"}, "n1" #{"n0"}}"#),
                stop,
            ],
            &asked,
        );
        assert!(
            cut[0].1.contains("between the sides are dropped"),
            "{cut:?}"
        );
    }

    /// The crash line names the node, its status, when, and the requests in flight; the last
    /// stderr lines follow; protocol errors quote the first bad line per node.
    #[test]
    fn crash_and_protocol_lines() {
        let results = edn(
            r#"{:crash {:valid? false, :node "n0", :time 1100000000, :status "exit status 1",
                        :stdout [], :stderr ["a" "b" "c" "d" "e" "ZeroDivisionError"], :log "n0.log"},
                :protocol {:valid? false, :error-count 3,
                           :nodes {:n1 {:count 3, :first "Node n1 printed a line:\n\nnot json\nmore"}}}}"#,
        );
        let in_flight: BTreeMap<String, usize> = [("echo".to_string(), 2)].into();
        let lines = crash_lines(&results, &in_flight);
        assert_eq!(
            lines[0].1,
            "n0 exited (exit status 1) 1.1 s into the run; the run ended there; 2 echo requests \
             in flight to it got no reply (not counted as timeouts)"
        );
        assert_eq!(lines.len(), 6, "the last 5 stderr lines: {lines:?}");
        assert_eq!(lines[1], ("its stderr", "b".to_string()));
        assert_eq!(lines[5], ("", "ZeroDivisionError".to_string()));
        assert_eq!(
            protocol_lines(&results),
            vec![
                (
                    "protocol",
                    "n1: 3 bad stdout lines, the first: Node n1 printed a line:".to_string()
                ),
                ("", "not json".to_string()),
            ]
        );
        assert!(crash_lines(&edn("{}"), &BTreeMap::new()).is_empty());
    }
}
