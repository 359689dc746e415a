//! What is printed between the results map and the verdict line (ours; Maelstrom prints the map
//! and the verdict only): a warning per node that answered requests with error 13, then a short
//! summary a reader takes in at a glance, read back from the results map:
//!
//! ```text
//! warning: n2 answered 1 broadcast request with error 13 crash: BUG: I don't like 7; see store/broadcast/20261129T172003.512+0000/node-logs/n2.log
//!
//! Summary:
//!   valid?       false: workload
//!   ops          212 ok, 0 fail, 0 info
//!   elements     104 added: 0 lost, 61 stale (seen late, allowed), 0 never read
//!   final reads  n4 missed 17 acknowledged values (0 1 3 5 8 9 10 12 ... +9 more)
//!   msgs-per-op  12.6 (servers)
//!   latency      stable: median 82 ms, max 99 ms
//!   targets      not met: max-latency 120 > 100
//!   stored in    store/broadcast/20261129T172003.512+0000
//! ```
//!
//! A run the nodes' output stopped at the run folder's budget (`budget.rs`) ends with a
//! `stopped` line saying which nodes sent how much.
//!
//! A line whose figures the results do not have (no `:targets`, a workload without elements) is
//! left out.

mod run;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::edn::{compact, Edn};
use crate::history::{node_of, Op, OpType};
use crate::nemesis::Fault;
use crate::options::TestOptions;
use crate::workload::extras::{int, name};
use crate::workload::Workload;

pub use run::{log_line, read_log_line, what_ran};

/// The warnings and the summary block, ending with a newline: the run-level lines, with the
/// lines `workload` brings (`Workload::summary_lines`) after `ops` and the history's lines.
/// `run_dir` is the run's store directory; `node_log` gives a node's log file. `ran` are
/// [`what_ran`]'s lines for the run's options (first), `from_history` what [`from_history`]
/// read of its history (its lines after the ops).
pub fn summary(
    results: &Edn,
    workload: &dyn Workload,
    run_dir: &Path,
    node_log: &dyn Fn(&str) -> PathBuf,
    ran: &[(&str, String)],
    from_history: &FromHistory,
) -> String {
    let mut text = String::new();
    for warning in crash_warnings(results, node_log) {
        text.push_str(&warning);
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str("Summary:\n");
    // A line quoting a node's value is cut (`report::PRINTED_STRING_BYTES`, twice over).
    let mut line = |label: &str, value: String| {
        let value =
            crate::edn::cut_text(&value, value.len(), 2 * crate::report::PRINTED_STRING_BYTES);
        text.push_str(&format!("  {label:<12} {value}\n"));
    };
    for (label, value) in ran {
        line(label, value.clone());
    }
    line("valid?", verdict(results));
    for (label, value) in run::protocol_lines(results) {
        line(label, value);
    }
    if let Some(stats) = results.get("stats") {
        line(
            "ops",
            format!(
                "{} ok, {} fail, {} info{}",
                int(stats.get("ok-count")),
                int(stats.get("fail-count")),
                int(stats.get("info-count")),
                replaced_clients(stats)
            ),
        );
    }
    for (label, value) in &from_history.lines {
        line(label, value.clone());
    }
    if results.get("valid?") == Some(&Edn::Bool(false))
        && from_history.killed_a_node
        && invalid_beyond_stats(results)
    {
        line("note", KILL_NOTE.to_string());
    }
    // The workload's own lines (elements, final reads, anomalies): each workload brings them.
    let workload_result = results.get("workload");
    for (label, value) in workload_result.map_or_else(Vec::new, |w| workload.summary_lines(w)) {
        line(label, value);
    }
    if let Some(a) = results
        .get("availability")
        .filter(|a| a.get("valid?") == Some(&Edn::Bool(false)))
    {
        line(
            "availability",
            format!(
                "ok-fraction {}, below --availability (fail and info ops count against it)",
                a.get("ok-fraction").map_or("?".into(), compact)
            ),
        );
    }
    if let Some(m) = results
        .get("net")
        .and_then(|n| n.get("servers"))
        .and_then(|s| s.get("msgs-per-op"))
    {
        line("msgs-per-op", format!("{} (servers)", compact(m)));
    }
    if let Some(l) = workload_result.and_then(|w| w.get("stable-latencies")) {
        line(
            "latency",
            format!(
                "stable: median {} ms, max {} ms",
                quantile(l, Edn::Float(0.5)),
                quantile(l, Edn::Int(1))
            ),
        );
    }
    if let Some(targets) = results.get("targets") {
        line("targets", targets_line(targets));
    }
    line(
        "stored in",
        crate::console::printable(&run_dir.display().to_string()),
    );
    // A run stopped at the run folder's budget judged only part of what was asked: said last,
    // right above the verdict.
    if let Some(Edn::Str(why)) = results.get("budget").and_then(|b| b.get("why")) {
        line("stopped", why.to_string());
    }
    text
}

/// For a run with `:crash` ops (kafka's): `, of them 7 :crash: a client replaced on purpose,
/// as Maelstrom's kafka workload does (no node crashed; :stats :by-f :crash, never ok, does
/// not count against the verdict)`. Empty otherwise.
fn replaced_clients(stats: &Edn) -> String {
    let Some(crash) = stats.get("by-f").and_then(|f| f.get("crash")) else {
        return String::new();
    };
    format!(
        ", of them {} :crash: a client the workload replaced on purpose, as Maelstrom's kafka \
         workload does (no node crashed; :stats :by-f :crash, never ok, does not count against \
         the verdict)",
        int(crash.get("info-count"))
    )
}

/// `true`, or `false: workload, crash` naming the top-level entries that are not valid, or
/// `unknown: workload (its error)`.
fn verdict(results: &Edn) -> String {
    let overall = results.get("valid?").map_or("unknown".into(), compact);
    if overall == "true" {
        return overall;
    }
    let Edn::Map(entries) = results else {
        return overall;
    };
    let culprits: Vec<String> = entries
        .iter()
        .filter(|(k, _)| *k != Edn::kw("valid?"))
        .filter_map(|(k, v)| {
            let valid = v.get("valid?")?;
            if *valid == Edn::Bool(true) {
                return None;
            }
            let why = match v.get("error") {
                Some(Edn::Str(e)) => format!(" ({e})"),
                _ => String::new(),
            };
            (compact(valid) == overall).then(|| format!("{}{why}", name(k)))
        })
        .collect();
    if culprits.is_empty() {
        overall
    } else {
        format!("{overall}: {}", culprits.join(", "))
    }
}

/// Each target with its figure: `met: msgs-per-op 12.6 <= 30, median latency 82 ms <= 400 ms`,
/// or `not met: max latency 120 ms > 100 ms; met: msgs-per-op 12.6 <= 30` (the missed first).
fn targets_line(targets: &Edn) -> String {
    let Edn::Map(entries) = targets else {
        return compact(targets);
    };
    let (mut met, mut missed) = (Vec::new(), Vec::new());
    for (key, entry) in entries.iter().filter(|(_, v)| matches!(v, Edn::Map(_))) {
        let figure = |k: &str| entry.get(k).map_or("nil".into(), compact);
        let key = name(key);
        let (what, unit) = match key.as_str() {
            "max-msgs-per-op" => ("msgs-per-op", ""),
            "max-median-latency" => ("median latency", " ms"),
            "max-latency" => ("max latency", " ms"),
            other => (other, ""),
        };
        let ok = entry.get("met?") == Some(&Edn::Bool(true));
        let text = format!(
            "{what} {}{unit} {} {}{unit}",
            figure("measured"),
            if ok { "<=" } else { ">" },
            figure("target")
        );
        if ok {
            met.push(text);
        } else {
            missed.push(text);
        }
    }
    match (missed.is_empty(), met.is_empty()) {
        (true, _) => format!("met: {}", met.join(", ")),
        (false, true) => format!("not met: {}", missed.join(", ")),
        (false, false) => format!("not met: {}; met: {}", missed.join(", "), met.join(", ")),
    }
}

/// One warning per node of `:crash-errors`: `n2 answered 1 broadcast request with error 13 crash: BUG:
/// I don't like 7; see store/.../node-logs/n2.log`.
fn crash_warnings(results: &Edn, node_log: &dyn Fn(&str) -> PathBuf) -> Vec<String> {
    let Some(Edn::Map(nodes)) = results.get("crash-errors").and_then(|c| c.get("nodes")) else {
        return Vec::new();
    };
    nodes
        .iter()
        .map(|(node, errors)| {
            let node = name(node);
            let counts: Vec<String> = match errors.get("by-f") {
                Some(Edn::Map(by_f)) => by_f
                    .iter()
                    .map(|(f, n)| {
                        let n = int(Some(n));
                        let plural = if n == 1 { "" } else { "s" };
                        format!("{n} {} request{plural}", name(f))
                    })
                    .collect(),
                _ => vec![format!("{} requests", int(errors.get("count")))],
            };
            let first = match errors.get("first-error") {
                Some(Edn::Str(text)) => crate::console::printable(text),
                other => other.map_or(String::new(), compact),
            };
            let first = if int(errors.get("count")) > 1 {
                format!(", the first: {first}")
            } else {
                format!(": {first}")
            };
            format!(
                "warning: {node} answered {} with error 13 crash{first}; see {}",
                counts.join(" and "),
                node_log(&node).display()
            )
        })
        .collect()
}

/// A quantile of a `{0 a, 0.5 b, ...}` map, `?` when missing.
fn quantile(latencies: &Edn, q: Edn) -> String {
    match latencies {
        Edn::Map(entries) => entries
            .iter()
            .find(|(k, _)| *k == q)
            .map_or("?".into(), |(_, v)| compact(v)),
        _ => "?".into(),
    }
}

/// `n0: 3 send, 1 poll; n1: 2 send (no reply within 5 s)`: the requests each node left
/// unanswered until the client gave up after `rpc_timeout` (`Workload::rpc_timeout`: 5 s, lin-kv's
/// 1 s or more) (ops completed with `:error :net-timeout`), the node
/// found from the op's process as Maelstrom assigns them; None when there are none. A node that
/// never replies otherwise shows only as `info` counts and 5000 ms latencies. Requests to the
/// node that crashed (`crash`: its id and the time it exited, ns) still waiting when it exited
/// are not timeouts: the crash line counts them.
pub fn timeouts(
    history: &[Op],
    nodes: &[String],
    concurrency: usize,
    crash: Option<(&str, u64)>,
    rpc_timeout: std::time::Duration,
) -> Option<String> {
    let mut counts: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for op in history {
        if op.op_type != OpType::Invoke && op.error == Some(Edn::kw("net-timeout")) {
            let node = node_of(op.process, concurrency, nodes).unwrap_or("?");
            if crash.is_some_and(|(crashed, at)| crashed == node && op.time >= at) {
                continue;
            }
            *counts
                .entry(node)
                .or_default()
                .entry(op.f.as_str())
                .or_default() += 1;
        }
    }
    if counts.is_empty() {
        return None;
    }
    let per_node: Vec<String> = counts
        .iter()
        .map(|(node, by_f)| {
            let fs: Vec<String> = by_f.iter().map(|(f, n)| format!("{n} {f}")).collect();
            format!("{node}: {}", fs.join(", "))
        })
        .collect();
    let ms = rpc_timeout.as_millis();
    let within = match ms % 1000 {
        0 => format!("{} s", ms / 1000),
        _ => format!("{ms} ms"),
    };
    Some(format!(
        "{} (no reply within {within})",
        per_node.join("; ")
    ))
}

/// Whether some check other than `:stats` found the run invalid: a run invalid only for
/// `:stats` (no `:ok` op of some kind, as in a short run under many faults) gets no hint about
/// lost state, which would suggest a cause its node may not have (one that keeps its state on
/// disk).
fn invalid_beyond_stats(results: &Edn) -> bool {
    let Edn::Map(entries) = results else {
        return false;
    };
    entries.iter().any(|(key, value)| {
        *key != Edn::kw("stats") && value.get("valid?") == Some(&Edn::Bool(false))
    })
}

/// Said under a run in which kill killed a node and a check other than `:stats` failed
/// (README, "Faults").
const KILL_NOTE: &str = "kill wipes what a node keeps in memory: a node that keeps its state \
     only in memory loses it at each kill, so it cannot pass a workload that needs that state \
     (nodes/<id>/ in the run's folder is the node's disk, kept across kills)";

/// What the summary needs of a run's history besides the results ([`from_history`]).
#[derive(Debug, Clone, Default)]
pub struct FromHistory {
    /// `(label, text)`, in the order printed.
    pub lines: Vec<(&'static str, String)>,
    /// True if kill killed some node (`nemesis::effects::node_hits`): an invalid run then gets
    /// the note that kill wipes a node's memory.
    pub killed_a_node: bool,
}

/// The summary lines that need the history besides the results: the partitions the nemesis
/// made, the node that crashed with the requests in flight to it, [`timeouts`] (after the
/// workload's `rpc_timeout`) and [`errors`], each when there is something to say; and whether
/// kill killed a node.
pub fn from_history(
    history: &crate::history::History,
    opts: &TestOptions,
    results: &Edn,
    rpc_timeout: std::time::Duration,
) -> FromHistory {
    let (nodes, concurrency) = (&opts.nodes, opts.concurrency);
    let mut lines = Vec::new();
    lines.extend(run::faults(history, &opts.nemesis));
    let crash = run::crash_of(results);
    let in_flight = crash.as_ref().map_or_else(BTreeMap::new, |(node, at)| {
        run::in_flight_to_crashed(history, nodes, concurrency, node, *at)
    });
    lines.extend(run::crash_lines(results, &in_flight));
    let crash = crash.as_ref().map(|(node, at)| (node.as_str(), *at));
    if let Some(t) = timeouts(history, nodes, concurrency, crash, rpc_timeout) {
        lines.push(("timeouts", t));
    }
    if let Some(e) = errors(history) {
        lines.push(("errors", e));
    }
    let kill = crate::nemesis::kill::Kill.shade();
    FromHistory {
        lines,
        killed_a_node: crate::nemesis::effects::node_hits(history, &kill).is_some(),
    }
}

/// `492 txn-conflict, 3 temporarily-unavailable (fail and info replies; history.txt has each)`:
/// the errors nodes answered requests with, by name (the first element of an `:error` such as
/// `[:txn-conflict "text"]`, or the class of a reply that could not be read, such as
/// `MalformedRpcResponse`), most frequent first; timeouts are [`timeouts`]' and the kafka
/// workload's `:crash` ops (a client replaced on purpose) are left out. None when there are none.
pub fn errors(history: &[Op]) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for op in history {
        if op.op_type == OpType::Invoke || op.f == "crash" {
            continue;
        }
        let label = match (&op.error, &op.exception) {
            (Some(error), _) if *error == Edn::kw("net-timeout") => continue,
            (Some(Edn::Vector(parts) | Edn::List(parts)), _) => {
                parts.first().map_or(String::new(), name)
            }
            (Some(Edn::Str(text)), _) => error_class(text),
            (Some(other), _) => name(other),
            // A reply the client could not read (`MalformedRpcResponse`: a field of the wrong
            // type), recorded as an exception rather than an error.
            (None, Some(exception)) => exception.class.clone(),
            (None, None) => continue,
        };
        *counts.entry(crate::console::printable(&label)).or_default() += 1;
    }
    if counts.is_empty() {
        return None;
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut listed: Vec<String> = ranked
        .iter()
        .take(MAX_ERROR_KINDS)
        .map(|(e, n)| format!("{n} {e}"))
        .collect();
    if ranked.len() > MAX_ERROR_KINDS {
        let rest = &ranked[MAX_ERROR_KINDS..];
        let count: usize = rest.iter().map(|(_, n)| n).sum();
        listed.push(format!("{count} more of {} other kinds", rest.len()));
    }
    Some(format!(
        "{} (fail and info replies; history.txt has each)",
        listed.join(", ")
    ))
}

/// Most kinds of error the `errors` line names; the others are counted together.
const MAX_ERROR_KINDS: usize = 6;

/// The kind of an error given as text (the runner's `"indeterminate: Malformed RPC response.
/// Maelstrom sent node n0 the following request: ..."`, which quotes the request): its first
/// sentence, at most 60 characters, so that one kind of error is one entry however its texts
/// differ.
fn error_class(text: &str) -> String {
    let first = text.split(['\n', '.']).next().unwrap_or_default().trim();
    let mut class: String = first.chars().take(60).collect();
    if class.len() < first.len() {
        class.push_str("...");
    }
    class
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::edn;
    use std::time::Duration;

    /// Maelstrom's RPC timeout, most workloads'.
    const FIVE_S: Duration = Duration::from_secs(5);

    /// The workload `name` of the registry, as `main` builds it.
    fn workload(name: &str) -> Box<dyn Workload> {
        let opts = crate::options::TestOptions {
            workload: name.into(),
            ..Default::default()
        };
        crate::workload::for_name(&opts).expect("a supported workload")
    }

    fn node_log(node: &str) -> PathBuf {
        Path::new("store/x/node-logs").join(format!("{node}.log"))
    }

    /// An invalid broadcast run: the entries at fault, every figure, the final reads and the
    /// error 13 warning.
    #[test]
    fn invalid_broadcast_run() {
        let results = edn(
            "{:stats {:valid? true, :count 215, :ok-count 212, :fail-count 0, :info-count 3},
              :net {:servers {:msgs-per-op 12.6}, :valid? true},
              :workload {:valid? false, :lost-count 0, :stable-count 104, :stale-count 61,
                         :never-read-count 0, :attempt-count 104,
                         :stable-latencies {0 0, 0.5 82, 0.95 95, 0.99 99, 1 99},
                         :final-reads {:n4 {:missing-count 10, :missing (0 1 2 3 4 5 6 7 8 9)}}},
              :targets {:max-latency {:target 100, :measured 120, :met? false},
                        :max-msgs-per-op {:target 30.0, :measured 12.6, :met? true},
                        :valid? false},
              :crash-errors {:valid? true, :count 3,
                             :nodes {:n2 {:count 3, :by-f {:broadcast 2, :read 1},
                                          :first-error \"BUG: I don't like 7\"}}},
              :valid? false}",
        );
        assert_eq!(
            summary(&results, workload("broadcast").as_ref(), Path::new("store/x"), &node_log, &[], &FromHistory::default()),
            "warning: n2 answered 2 broadcast requests and 1 read request with error 13 crash, the first: BUG: I \
             don't like 7; see store/x/node-logs/n2.log\n\
             \n\
             Summary:\n  \
             valid?       false: workload, targets\n  \
             ops          212 ok, 0 fail, 3 info\n  \
             elements     104 added: 0 lost, 61 stale (seen late, allowed), 0 never read\n  \
             final reads  n4 missed 10 acknowledged values (0 1 2 3 4 5 6 7 ... +2 more)\n  \
             msgs-per-op  12.6 (servers)\n  \
             latency      stable: median 82 ms, max 99 ms\n  \
             targets      not met: max latency 120 ms > 100 ms; met: msgs-per-op 12.6 <= 30.0\n  \
             stored in    store/x\n"
        );
    }

    /// Kafka and txn runs name the anomalies that make them invalid, with counts where the
    /// checker gives them, and quote the first explanation; a missed availability is named.
    #[test]
    fn anomalies_and_availability_are_named() {
        let kafka = edn(
            "{:workload {:valid? false, :bad-error-types (:duplicate :lost-write),
                         :error-types (:duplicate :int-send-skip :lost-write),
                         :duplicate {:count 354, :errs ({:key \"7\", :explanation \"message 5 appears at 2 offsets of key \\\"7\\\": 3, 4\"})},
                         :lost-write {:count 2, :errs ()}},
              :valid? false}",
        );
        let text = summary(
            &kafka,
            workload("kafka").as_ref(),
            Path::new("store/k"),
            &node_log,
            &[],
            &FromHistory::default(),
        );
        assert!(
            text.contains(
                "  anomalies    duplicate (354), lost-write (2)\n    \
                 the first  duplicate: message 5 appears at 2 offsets of key \"7\": 3, 4\n"
            ),
            "{text}"
        );
        let txn = edn("{:workload {:valid? false, :anomaly-types (:G1b :G1c),
                         :anomalies {:G1b [{:explanation \"T1 read an intermediate state\"}],
                                     :G1c [{:cycle []}]}},
              :availability {:valid? false, :ok-fraction 0.8998},
              :valid? false}");
        let text = summary(
            &txn,
            workload("txn-rw-register").as_ref(),
            Path::new("store/t"),
            &node_log,
            &[],
            &FromHistory::default(),
        );
        assert!(text.contains("  anomalies    G1b, G1c\n"), "{text}");
        assert!(
            text.contains("    the first  G1b: T1 read an intermediate state\n"),
            "{text}"
        );
        assert!(
            text.contains("  availability ok-fraction 0.8998, below --availability"),
            "{text}"
        );
        let valid = edn("{:workload {:valid? true, :anomaly-types (), :bad-error-types ()}}");
        let text = summary(
            &valid,
            workload("txn-rw-register").as_ref(),
            Path::new("store/v"),
            &node_log,
            &[],
            &FromHistory::default(),
        );
        assert!(!text.contains("anomalies"), "{text}");
    }

    /// Requests that timed out are counted per node and kind, the node found from the process;
    /// other errors by name, the kafka workload's client crashes aside; a run without any has
    /// no line.
    #[test]
    fn timeouts_are_counted_per_node() {
        use crate::history::Process;
        let nodes = vec!["n0".to_string(), "n1".to_string()];
        let timed_out = |p: u64, f: &str| {
            let mut op = Op::new(OpType::Info, Process::Client(p), f, Edn::Nil);
            op.error = Some(Edn::kw("net-timeout"));
            op
        };
        let mut ok = Op::new(OpType::Ok, Process::Client(1), "send", Edn::Nil);
        ok.error = None;
        let history = vec![
            timed_out(0, "send"),
            timed_out(2, "send"),
            timed_out(2, "poll"),
            timed_out(1, "send"),
            ok,
        ];
        assert_eq!(
            timeouts(&history, &nodes, 2, None, FIVE_S).as_deref(),
            Some("n0: 1 poll, 2 send; n1: 1 send (no reply within 5 s)")
        );
        // lin-kv's clients give up after 1 s (max(10 x latency, 1 s)), and the line says so.
        assert_eq!(
            timeouts(&history[3..], &nodes, 2, None, Duration::from_secs(1)).as_deref(),
            Some("n1: 1 send (no reply within 1 s)")
        );
        assert_eq!(
            timeouts(&history[3..], &nodes, 2, None, Duration::from_millis(1500)).as_deref(),
            Some("n1: 1 send (no reply within 1500 ms)")
        );
        assert_eq!(timeouts(&history[4..], &nodes, 2, None, FIVE_S), None);
        let mut history = history;
        let mut conflict = Op::new(OpType::Fail, Process::Client(0), "txn", Edn::Nil);
        conflict.error = Some(Edn::Vector(
            vec![Edn::kw("txn-conflict"), Edn::str("lost the race")].into(),
        ));
        history.push(conflict.clone());
        history.push(conflict);
        let mut crash = Op::new(OpType::Info, Process::Client(0), "crash", Edn::Nil);
        crash.error = Some(Edn::kw("crash"));
        history.push(crash);
        let results = edn("{:valid? false}");
        let opts = TestOptions {
            nodes: nodes.clone(),
            concurrency: 2,
            ..TestOptions::default()
        };
        let lines = from_history(&history, &opts, &results, FIVE_S);
        let text = summary(
            &results,
            workload("kafka").as_ref(),
            Path::new("s"),
            &node_log,
            &[],
            &lines,
        );
        assert!(
            text.contains("  timeouts     n0: 1 poll, 2 send;"),
            "{text}"
        );
        assert!(
            text.contains("  errors       2 txn-conflict (fail and info replies;"),
            "{text}"
        );
        assert_eq!(errors(&history[..5]), None, "timeouts are not errors");
        let mut malformed = Op::new(OpType::Info, Process::Client(1), "poll", Edn::Nil);
        malformed.exception = Some(Box::new(crate::history::Exception {
            class: "MalformedRpcResponse".into(),
            message: "msgs not pairs".into(),
        }));
        history.push(malformed);
        assert_eq!(
            errors(&history).as_deref(),
            Some("2 txn-conflict, 1 MalformedRpcResponse (fail and info replies; history.txt has each)")
        );
    }

    /// Errors given as texts that quote the request are one kind each (their first sentence),
    /// and past six kinds the rest are counted together: the line stays short however many
    /// texts there are.
    #[test]
    fn errors_are_grouped_by_kind_and_capped() {
        use crate::history::Process;
        let failed = |p: u64, error: Edn| {
            let mut op = Op::new(OpType::Info, Process::Client(p), "echo", Edn::Nil);
            op.error = Some(error);
            op
        };
        let mut history: Vec<Op> = (0..900)
            .map(|i| {
                failed(
                    0,
                    Edn::str(&format!(
                        "indeterminate: Malformed RPC response. Maelstrom sent node n0 the \
                         following request:\n\n{{:echo \"Please echo {i}\"}}"
                    )),
                )
            })
            .collect();
        let line = errors(&history).unwrap_or_default();
        assert_eq!(
            line,
            "900 indeterminate: Malformed RPC response (fail and info replies; history.txt has each)"
        );
        for (i, kind) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
            for _ in 0..(10 - i) {
                history.push(failed(
                    1,
                    Edn::Vector(vec![Edn::kw(kind), Edn::str("x")].into()),
                ));
            }
        }
        let line = errors(&history).unwrap_or_default();
        assert!(
            line.starts_with(
                "900 indeterminate: Malformed RPC response, 10 a, 9 b, 8 c, 7 d, 6 e, 12 more of 3 other kinds ("
            ),
            "{line}"
        );
    }

    /// A valid echo run: no element, latency or target lines; one error 13 names its text.
    #[test]
    fn valid_echo_run() {
        let results = edn(
            "{:stats {:valid? true, :ok-count 5, :fail-count 0, :info-count 1},
              :workload {:valid? true, :errors ()},
              :crash-errors {:valid? true, :count 1,
                             :nodes {:n0 {:count 1, :by-f {:echo 1}, :first-error \"boom\"}}},
              :valid? true}",
        );
        assert_eq!(
            summary(&results, workload("echo").as_ref(), Path::new("store/e"), &node_log, &[], &FromHistory::default()),
            "warning: n0 answered 1 echo request with error 13 crash: boom; see store/x/node-logs/n0.log\n\
             \n\
             Summary:\n  \
             valid?       true\n  \
             ops          5 ok, 0 fail, 1 info\n  \
             stored in    store/e\n"
        );
    }

    /// The workload's lines come from the workload: a result with set figures prints no
    /// `elements` line for a workload that does not bring one (echo), and does for broadcast.
    #[test]
    fn workload_lines_come_from_the_workload() {
        let results = edn("{:workload {:valid? true, :lost-count 0, :attempt-count 3}}");
        let text = |name: &str| {
            summary(
                &results,
                workload(name).as_ref(),
                Path::new("s"),
                &node_log,
                &[],
                &FromHistory::default(),
            )
        };
        assert!(!text("echo").contains("elements"), "{}", text("echo"));
        assert!(
            text("broadcast").contains("  elements     3 added: 0 lost"),
            "{}",
            text("broadcast")
        );
    }

    /// An undecided run names the entry that could not decide and why.
    #[test]
    fn unknown_names_the_error() {
        let results =
            edn("{:workload {:valid? :unknown, :error \"no checker\"}, :valid? :unknown}");
        assert!(summary(
            &results,
            workload("echo").as_ref(),
            Path::new("s"),
            &node_log,
            &[],
            &FromHistory::default()
        )
        .contains("valid?       :unknown: workload (no checker)\n"));
    }

    /// A fault's line names the nodes it hit; an invalid run in which kill killed a node adds
    /// the note that kill wipes memory, a valid one, one without kills or one whose kill found
    /// every node already dead does not.
    #[test]
    fn faults_and_the_kill_note() {
        let nemesis = |f: &str, value: &str| {
            Op::new(
                OpType::Info,
                crate::history::Process::Nemesis,
                f,
                edn(value),
            )
        };
        let history = vec![
            nemesis("kill", ":one"),
            nemesis("kill", r#"{"n1" :killed}"#),
            nemesis("start", ":all"),
            nemesis("start", r#"{"n0" :already-running, "n1" :started}"#),
        ];
        let opts = TestOptions {
            nodes: vec!["n0".to_string(), "n1".to_string()],
            concurrency: 2,
            ..TestOptions::default()
        };
        let ran = what_ran(&opts);
        let echo = workload("echo");
        let lines = from_history(&history, &opts, &edn("{}"), FIVE_S);
        let text = |valid: &str, lines: &FromHistory| {
            summary(
                &edn(valid),
                echo.as_ref(),
                Path::new("s"),
                &node_log,
                &ran,
                lines,
            )
        };
        let invalid = text("{:valid? false, :workload {:valid? false}}", &lines);
        assert!(invalid.contains("  kill         1 time"), "{invalid}");
        assert!(invalid.contains("nodes hit: n1 1\n"), "{invalid}");
        assert!(
            invalid.contains("kill wipes what a node keeps in memory"),
            "{invalid}"
        );
        assert!(!text("{:valid? true}", &lines).contains("wipes"));
        // Invalid only for :stats (no :ok op of some kind): the hint would name a cause the
        // node may not have.
        let stats_only = text(
            "{:valid? false, :stats {:valid? false}, :workload {:valid? true}}",
            &lines,
        );
        assert!(!stats_only.contains("wipes"), "{stats_only}");
        // A kill that picked no node (`:minority` of one node) is not counted as a kill.
        let picked_none = from_history(
            &vec![
                nemesis("kill", ":minority"),
                nemesis("kill", "{}"),
                nemesis("start", ":all"),
                nemesis("start", r#"{"n0" :already-running}"#),
            ],
            &opts,
            &edn("{}"),
            FIVE_S,
        );
        assert!(!picked_none.killed_a_node);
        let picked_none = text("{:valid? false, :workload {:valid? false}}", &picked_none);
        assert!(
            picked_none.contains("  kill         1 time, but it hit no node"),
            "{picked_none}"
        );
        assert!(!picked_none.contains("wipes"), "{picked_none}");
        let paused = from_history(
            &vec![
                nemesis("pause", ":one"),
                nemesis("pause", r#"{"n0" :paused}"#),
            ],
            &opts,
            &edn("{}"),
            FIVE_S,
        );
        let paused_text = text("{:valid? false}", &paused);
        assert!(
            paused_text.contains("  pause        1 time"),
            "{paused_text}"
        );
        assert!(paused_text.contains("nodes hit: n0 1\n"), "{paused_text}");
        assert!(!paused_text.contains("wipes"), "{paused_text}");
        // A kill that found every node already dead killed none: no note.
        let none = from_history(
            &vec![
                nemesis("kill", ":all"),
                nemesis("kill", r#"{"n0" :already-dead, "n1" :already-dead}"#),
            ],
            &opts,
            &edn("{}"),
            FIVE_S,
        );
        assert!(!none.killed_a_node);
        let text = text("{:valid? false}", &none);
        assert!(text.contains("  kill         1 time"), "{text}");
        assert!(!text.contains("wipes"), "{text}");
    }
}
