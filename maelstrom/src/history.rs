//! The history: every operation the clients and the nemesis invoked and completed, in order.
//!
//! This is what the checkers read. It mirrors Jepsen's op maps (`:index :time :type :process :f
//! :value` plus optional `:error`, `:final?`, `:exception`).

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
    pub exception: Option<Exception>,
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

/// What the runtime observed besides the history and the journal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    /// Full human texts, each naming the node and quoting the line.
    pub protocol_errors: Vec<String>,
    /// Warnings only (a late reply to a client that gave up).
    pub late_replies: Vec<String>,
    pub crash: Option<CrashReport>,
}
