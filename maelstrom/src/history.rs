//! The history: every operation the clients and the nemesis invoked and completed, in order.
//!
//! This is what the checkers read. It mirrors Jepsen's op maps (`:index :time :type :process :f
//! :value` plus optional `:error`, `:final?`, `:exception`).

use std::collections::{BTreeMap, HashMap};

use crate::edn::Edn;

/// `:invoke`, `:ok`, `:fail` or `:info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpType {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl OpType {
    /// The keyword name, without the colon: `"invoke"`, `"ok"`, ...
    pub fn name(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }
}

/// Who performed an op: a client process number (thread t starts as process t and becomes
/// t + C after each `:info`) or the nemesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Process {
    Client(u64),
    Nemesis,
}

/// One history entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// 0-based position in the history.
    pub index: usize,
    /// Nanoseconds since relative time 0 (just before client setup).
    pub time: u64,
    pub op_type: OpType,
    pub process: Process,
    /// `broadcast`, `read`, `echo`, `generate`, `start-partition`, ... (no colon).
    pub f: String,
    pub value: Edn,
    /// `:net-timeout`, `[:crash "text"]`, `"indeterminate: ..."`.
    pub error: Option<Edn>,
    /// Set on the final reads of the final phase.
    pub final_read: bool,
    /// Class name of an exception on `:info` ops (what `:exceptions` groups by), with its message.
    /// Boxed: most ops have none, and the history holds millions of ops.
    pub exception: Option<Box<Exception>>,
}

/// A client-side exception recorded on an `:info` op.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// e.g. `"clojure.lang.ExceptionInfo"` or our own class names such as `"MalformedRpcResponse"`.
    pub class: String,
    pub message: String,
}

impl Op {
    /// A fresh op with no error, not final, no exception. `index` and `time` are filled in by
    /// whoever appends it to a history.
    pub fn new(op_type: OpType, process: Process, f: &str, value: Edn) -> Op {
        Op {
            index: 0,
            time: 0,
            op_type,
            process,
            f: f.to_string(),
            value,
            error: None,
            final_read: false,
            exception: None,
        }
    }

    /// True for ops of client processes (not the nemesis).
    pub fn is_client(&self) -> bool {
        matches!(self.process, Process::Client(_))
    }
}

/// How an op's process prints: its number, or `:nemesis`.
pub fn process_edn(process: Process) -> Edn {
    match process {
        Process::Client(p) => Edn::Int(saturate(p)),
        Process::Nemesis => Edn::kw("nemesis"),
    }
}

/// A count or time as an EDN integer (a Java long): values past `i64::MAX` are clamped, which a
/// real run never reaches.
pub fn saturate(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// An op as Jepsen's history.edn prints it: `{:index 0, :time 123, :type :invoke, :process 0,
/// :f :broadcast, :value 0}`, plus `:error`, `:final?` and `:exception` when present.
///
/// `store` prints the same text without building this map, for speed; its tests hold the two
/// to the same output.
pub fn op_edn(op: &Op) -> Edn {
    let mut entries = vec![
        ("index", Edn::Int(saturate(op.index))),
        ("time", Edn::Int(saturate(op.time))),
        ("type", Edn::kw(op.op_type.name())),
        ("process", process_edn(op.process)),
        ("f", Edn::kw(&op.f)),
        ("value", op.value.clone()),
    ];
    if let Some(error) = &op.error {
        entries.push(("error", error.clone()));
    }
    if op.final_read {
        entries.push(("final?", Edn::Bool(true)));
    }
    if let Some(e) = &op.exception {
        entries.push(("exception", exception_edn(e)));
    }
    Edn::map(entries)
}

/// Shaped like Clojure's datafied exception (`Throwable->map`), reduced to what we know.
pub fn exception_edn(e: &Exception) -> Edn {
    Edn::map([
        (
            "via",
            Edn::Vector(
                vec![Edn::map([
                    ("type", Edn::str(&e.class)),
                    ("message", Edn::str(&e.message)),
                ])]
                .into(),
            ),
        ),
        ("cause", Edn::str(&e.message)),
    ])
}

/// The inverse of [`op_edn`]: an op from its EDN map, as `history.edn` holds it. Errors say
/// which key is missing or wrong.
pub fn op_from_edn(value: &Edn) -> Result<Op, String> {
    // What was found instead, as EDN (`"x"`, `-5`), or that the key is missing.
    let got = |found: Option<&Edn>| match found {
        Some(v) => format!("got {}", crate::edn::compact_cut(v, 100)),
        None => "the key is missing".to_string(),
    };
    let int = |key: &str| match value.get(key) {
        Some(Edn::Int(n)) if *n >= 0 => Ok(*n as u64),
        other => Err(format!(
            "expected a non-negative integer under :{key}, {}",
            got(other)
        )),
    };
    let keyword = |key: &str| match value.get(key) {
        Some(Edn::Keyword(name)) => Ok(name.clone()),
        other => Err(format!("expected a keyword under :{key}, {}", got(other))),
    };
    let op_type = match &*keyword("type")? {
        "invoke" => OpType::Invoke,
        "ok" => OpType::Ok,
        "fail" => OpType::Fail,
        "info" => OpType::Info,
        other => return Err(format!("unknown op :type :{other}")),
    };
    let process = match value.get("process") {
        Some(Edn::Keyword(name)) if &**name == "nemesis" => Process::Nemesis,
        _ => Process::Client(int("process")?),
    };
    let mut op = Op::new(
        op_type,
        process,
        &keyword("f")?,
        value.get("value").cloned().unwrap_or(Edn::Nil),
    );
    op.index = int("index")? as usize;
    op.time = int("time")?;
    op.error = value.get("error").cloned();
    op.final_read = value.get("final?") == Some(&Edn::Bool(true));
    op.exception = value.get("exception").map(|e| {
        let cause = e.get("via").and_then(|via| match via {
            Edn::Vector(items) => items.first(),
            _ => None,
        });
        let text = |v: Option<&Edn>| match v {
            Some(Edn::Str(s)) => s.to_string(),
            _ => String::new(),
        };
        Box::new(Exception {
            class: text(cause.and_then(|c| c.get("type"))),
            message: text(e.get("cause")),
        })
    });
    Ok(op)
}

/// A whole history, in order; `ops[i].index == i`.
pub type History = Vec<Op>;

/// A node that died during the test: noticed when it happens and reported in `:crash` (Maelstrom
/// only notices at teardown; see the README's deliberate differences). `process` fills it in.
#[derive(Debug, Clone, PartialEq)]
pub struct CrashReport {
    pub node: String,
    /// e.g. "exit status 1", "signal 9".
    pub status: String,
    /// The last lines the node wrote to stdout.
    pub stdout: Vec<String>,
    /// The last lines the node wrote to stderr.
    pub stderr: Vec<String>,
    /// Where the node's full stderr log is.
    pub log_path: String,
}

/// How a [`CrashReport`]'s status starts when the node did not exit but stopped reading its
/// stdin (a write to it made no progress for `process::STALL_LIMIT`).
pub const STOPPED_READING: &str = "stopped reading its input";

/// How a [`CrashReport`]'s status starts when a node killed by the kill fault could not be
/// started again (it exited at once, or did not answer `init`).
pub const NOT_RESTARTED: &str = "could not be started again after a kill";

/// True for a crash status that is not how a process exited (`exit status 1`, `signal 9`) but
/// what a node failed to do (`stopped reading its input: ...`, [`NOT_RESTARTED`]`: ...`), so
/// that texts say "Node n1 could not be started again", never "Node n1 crashed with could ...".
pub fn status_is_a_failure(status: &str) -> bool {
    status.starts_with(STOPPED_READING) || status.starts_with(NOT_RESTARTED)
}

impl CrashReport {
    /// Maelstrom's crash text (`src/maelstrom/process.clj`); for a node that stopped reading its
    /// input, the same layout under a heading that says so.
    pub fn text(&self) -> String {
        // Maelstrom leaves an empty section blank; a reader is better told there was nothing.
        let lines = |lines: &[String]| {
            if lines.is_empty() {
                "(nothing)".to_string()
            } else {
                lines.join("\n")
            }
        };
        if status_is_a_failure(&self.status) {
            return format!(
                "Node {} {}. Its last lines on STDOUT:\n\n{}\n\nAnd on STDERR:\n\n{}\n\nFull \
                 STDERR logs are available in {}",
                self.node,
                self.status,
                lines(&self.stdout),
                lines(&self.stderr),
                self.log_path
            );
        }
        format!(
            "Node {} crashed with {}. Before crashing, it wrote to STDOUT:\n\n{}\n\nAnd to \
             STDERR:\n\n{}\n\nFull STDERR logs are available in {}",
            self.node,
            self.status,
            lines(&self.stdout),
            lines(&self.stderr),
            self.log_path
        )
    }
}

/// What the runtime observed besides the history and the journal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    /// Full human texts, each naming the node and quoting the line (the first 100, then a line
    /// counting the rest).
    pub protocol_errors: Vec<String>,
    /// Every protocol error, the ones beyond the kept texts included.
    pub protocol_error_count: usize,
    /// Per node that printed bad lines: how many, and the text of its first.
    pub protocol_by_node: BTreeMap<String, (usize, String)>,
    /// Warnings only (a late reply to a client that gave up).
    pub late_replies: Vec<String>,
    pub crash: Option<CrashReport>,
    /// When the node crashed, in ns on the history's clock (as an op's `:time`).
    pub crash_time: Option<u64>,
    /// The history index at which the final phase began (its first op), if it ran: the final
    /// reads of workloads that do not flag them (g-set) are the reads invoked from there on.
    pub final_phase_start: Option<usize>,
    /// The run folder's budget was passed (`budget.rs`) and the test stopped there.
    pub budget: Option<BudgetPassed>,
}

/// When the nodes' output passed the run folder's budget, and what to tell the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetPassed {
    /// The budget, bytes.
    pub limit: u64,
    /// When it was passed, in ns on the history's clock (as an op's `:time`).
    pub time: u64,
    /// One sentence naming the nodes and how much each sent (`budget::Passed::sentence`).
    pub text: String,
}

// History queries: where each process ran, and which ops pair up. Checkers, views and the
// runner all ask these; they are answered here only.

/// Where client processes run: worker thread t talks to `nodes[t mod n]`, and process p is
/// thread `p mod concurrency` (`src/maelstrom/core.clj`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement<'a> {
    /// The nodes in command-line order (`TestOptions::nodes`).
    pub nodes: &'a [String],
    /// How many worker threads share them (`TestOptions::concurrency`).
    pub concurrency: usize,
}

impl<'a> Placement<'a> {
    /// The node worker thread `thread` talks to. Panics on an empty cluster, which the runner
    /// refuses before any worker starts.
    pub fn node_for(self, thread: usize) -> &'a str {
        &self.nodes[thread % self.nodes.len()]
    }

    /// The node a client process talks to; None for the nemesis or an empty cluster.
    pub fn node_of(self, process: Process) -> Option<&'a str> {
        let Process::Client(p) = process else {
            return None;
        };
        if self.nodes.is_empty() || self.concurrency == 0 {
            return None;
        }
        Some(self.node_for((p % self.concurrency as u64) as usize))
    }
}

/// [`Placement::node_of`] for a cluster given as its parts.
pub fn node_of(process: Process, concurrency: usize, nodes: &[String]) -> Option<&str> {
    Placement { nodes, concurrency }.node_of(process)
}

/// For every history index, the index of its partner: an invocation's completion (the next
/// non-invoke op of the same client process) and a completion's invocation. Nemesis ops and
/// invocations still pending at the end have none. Like Jepsen's `pair-index`.
pub fn pair_index(history: &History) -> Vec<Option<usize>> {
    let mut partner = vec![None; history.len()];
    let mut open: HashMap<u64, usize> = HashMap::new();
    for (i, op) in history.iter().enumerate() {
        let Process::Client(process) = op.process else {
            continue;
        };
        if op.op_type == OpType::Invoke {
            open.insert(process, i);
        } else if let Some(invoke) = open.remove(&process) {
            partner[invoke] = Some(i);
            partner[i] = Some(invoke);
        }
    }
    partner
}

/// An op and how it ended: `(invocation, completion)`, or `(info, None)` for an `:info` that
/// has no invocation (the nemesis), or `(invocation, None)` when the history ended first.
pub type Pair<'a> = (&'a Op, Option<&'a Op>);

/// Pairs each invocation with its process's next completion, in history order (Jepsen's
/// `timeline.clj` `pairs`); ops are listed by where they start.
pub fn pairs(history: &History) -> Vec<Pair<'_>> {
    let mut open: HashMap<Process, usize> = HashMap::new();
    let mut out: Vec<Pair<'_>> = Vec::new();
    for op in history {
        match op.op_type {
            OpType::Invoke => {
                open.insert(op.process, out.len());
                out.push((op, None));
            }
            _ => match open.remove(&op.process) {
                Some(slot) => out[slot].1 = Some(op),
                None => out.push((op, None)),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ops print as Jepsen op maps with their optional keys.
    #[test]
    fn op_edn_has_jepsen_keys() {
        let mut op = Op::new(OpType::Info, Process::Client(3), "broadcast", Edn::Int(7));
        op.time = 5_000_000;
        op.error = Some(Edn::kw("net-timeout"));
        assert_eq!(
            crate::edn::compact(&op_edn(&op)),
            "{:index 0, :time 5000000, :type :info, :process 3, :f :broadcast, :value 7, :error :net-timeout}"
        );
    }

    /// The crash text follows Maelstrom's layout.
    #[test]
    fn crash_text_has_maelstrom_layout() {
        let crash = CrashReport {
            node: "n1".into(),
            status: "exit status 1".into(),
            stdout: vec!["a".into(), "b".into()],
            stderr: vec!["oops".into()],
            log_path: "/x/n1.log".into(),
        };
        assert_eq!(
            crash.text(),
            "Node n1 crashed with exit status 1. Before crashing, it wrote to STDOUT:\n\na\nb\n\n\
             And to STDERR:\n\noops\n\nFull STDERR logs are available in /x/n1.log"
        );
    }

    /// A node that could not be started again is said to be so, not to have "crashed with"
    /// it.
    #[test]
    fn crash_text_of_a_failed_restart_reads_as_a_sentence() {
        let crash = CrashReport {
            node: "n1".into(),
            status: format!("{NOT_RESTARTED}: it did not answer init"),
            stdout: vec![],
            stderr: vec!["oops".into()],
            log_path: "/x/n1.log".into(),
        };
        assert!(
            crash.text().starts_with(
                "Node n1 could not be started again after a kill: it did not answer init. \
                 Its last lines on STDOUT:"
            ),
            "{}",
            crash.text()
        );
    }

    /// A node that wrote nothing gets "(nothing)" where Maelstrom leaves a blank section.
    #[test]
    fn crash_text_says_when_a_node_wrote_nothing() {
        let crash = CrashReport {
            node: "n1".into(),
            status: "exit status 3".into(),
            stdout: vec![],
            stderr: vec![],
            log_path: "/x/n1.log".into(),
        };
        assert!(
            crash
                .text()
                .contains("STDOUT:\n\n(nothing)\n\nAnd to STDERR:\n\n(nothing)\n\n"),
            "{}",
            crash.text()
        );
    }

    /// Every op, with each optional key, reads back from its EDN as it was.
    #[test]
    fn op_edn_round_trips() {
        let mut op = Op::new(OpType::Info, Process::Client(3), "read", Edn::Int(7));
        op.index = 4;
        op.time = 9;
        op.error = Some(Edn::kw("net-timeout"));
        op.final_read = true;
        op.exception = Some(Box::new(Exception {
            class: "MalformedRpcResponse".into(),
            message: "bad".into(),
        }));
        let nemesis = Op::new(OpType::Info, Process::Nemesis, "start-partition", Edn::Nil);
        for op in [op, nemesis] {
            assert_eq!(op_from_edn(&op_edn(&op)), Ok(op.clone()));
        }
        assert!(op_from_edn(&Edn::map([("type", Edn::kw("ok"))])).is_err());
    }

    /// A wrong value is shown as EDN (`"x"`, `-5`, a big integer), never as Rust's Debug text
    /// (`Some(Str("x"))`), and a missing key is named as missing.
    #[test]
    fn op_errors_show_values_as_edn() {
        let op = |process: Edn, time: Edn| {
            let mut entries = vec![
                ("index", Edn::Int(0)),
                ("type", Edn::kw("invoke")),
                ("process", process),
                ("f", Edn::kw("read")),
            ];
            if time != Edn::Nil {
                entries.push(("time", time));
            }
            op_from_edn(&Edn::map(entries)).unwrap_err()
        };
        assert_eq!(
            op(Edn::str("x"), Edn::Int(1)),
            "expected a non-negative integer under :process, got \"x\""
        );
        assert_eq!(
            op(Edn::Int(0), Edn::Int(-5)),
            "expected a non-negative integer under :time, got -5"
        );
        assert_eq!(
            op(Edn::Int(0), Edn::big_int("99999999999999999999999")),
            "expected a non-negative integer under :time, got 99999999999999999999999N"
        );
        assert_eq!(
            op(Edn::Int(0), Edn::Nil),
            "expected a non-negative integer under :time, the key is missing"
        );
    }
}
