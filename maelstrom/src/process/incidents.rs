//! Incidents: what went wrong with the nodes during a run (protocol errors, late replies, a
//! crash), printed the moment it happens and kept for the results (`:protocol`, `:crash`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use crate::history::CrashReport;
use crate::net::LogSink;

/// How many protocol error texts are kept (and printed); later ones are only counted.
const MAX_PROTOCOL_ERRORS: usize = 100;

/// What went wrong with the nodes during a run: protocol errors, late replies, a crash.
/// Everything is printed the moment it happens and kept for the results.
pub struct Incidents {
    /// Prints a line on the console (and the run log).
    pub(super) console: LogSink,
    /// Writes a line to the run log only.
    pub(super) log: LogSink,
    protocol_errors: Mutex<Vec<String>>,
    protocol_error_count: AtomicUsize,
    /// When each node printed its first bad line: the init wait gives up soon after it.
    first_protocol_error: Mutex<BTreeMap<String, Instant>>,
    /// Per node: how many protocol errors, and the text of the first (kept even when the first
    /// [`MAX_PROTOCOL_ERRORS`] texts all came from other nodes).
    protocol_by_node: Mutex<BTreeMap<String, (usize, String)>>,
    late_replies: Mutex<Vec<String>>,
    late_reply_count: AtomicUsize,
    /// The warnings already given once per node: (node, what), e.g. `(n1, "foreign src")`.
    warned: Mutex<BTreeSet<(String, &'static str)>>,
    crash: Mutex<Option<CrashReport>>,
    /// When the crash was recorded.
    crashed_at: Mutex<Option<Instant>>,
    /// Called once, on the first crash, so the runner can end the run early.
    on_crash: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    /// Copy node stderr to the console (`--log-stderr`).
    pub(super) log_stderr: bool,
}

impl Incidents {
    /// An empty record. `console` prints (and logs) a line; `log` only logs it.
    pub fn new(console: LogSink, log: LogSink, log_stderr: bool) -> Arc<Incidents> {
        Arc::new(Incidents {
            console,
            log,
            protocol_errors: Mutex::new(Vec::new()),
            protocol_error_count: AtomicUsize::new(0),
            first_protocol_error: Mutex::new(BTreeMap::new()),
            protocol_by_node: Mutex::new(BTreeMap::new()),
            late_replies: Mutex::new(Vec::new()),
            late_reply_count: AtomicUsize::new(0),
            warned: Mutex::new(BTreeSet::new()),
            crash: Mutex::new(None),
            crashed_at: Mutex::new(None),
            on_crash: Mutex::new(None),
            log_stderr,
        })
    }

    /// Sets what to do on the first crash (e.g. stop issuing ops, wake waiting clients).
    pub fn on_crash(&self, action: Box<dyn FnOnce() + Send>) {
        *self.on_crash.lock() = Some(action);
    }

    /// Records and prints a protocol error of `node`. After [`MAX_PROTOCOL_ERRORS`] only the
    /// count grows.
    pub fn protocol_error(&self, node: &str, text: String) {
        self.first_protocol_error
            .lock()
            .entry(node.to_string())
            .or_insert_with(Instant::now);
        self.protocol_by_node
            .lock()
            .entry(node.to_string())
            .or_insert_with(|| (0, text.clone()))
            .0 += 1;
        let n = self.protocol_error_count.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= MAX_PROTOCOL_ERRORS {
            (self.console)(&format!("Protocol error: {text}"));
            self.protocol_errors.lock().push(text);
        } else if n == MAX_PROTOCOL_ERRORS + 1 {
            (self.console)("Further protocol errors are counted but not shown.");
        }
    }

    /// Records a late reply (a warning, the README's deliberate differences). Only the first few are printed.
    pub fn late_reply(&self, text: String) {
        let n = self.late_reply_count.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= MAX_PROTOCOL_ERRORS {
            if n <= 5 {
                (self.console)(&format!("Warning: {text}"));
            } else {
                (self.log)(&format!("Warning: {text}"));
            }
            self.late_replies.lock().push(text);
        }
    }

    /// Prints `text()` as a warning the first time `node` sends with another id as `src`; one
    /// line per node says what happens to all of them.
    pub fn foreign_src(&self, node: &str, text: impl FnOnce() -> String) {
        self.warn_once(node, "foreign src", text);
    }

    /// Prints `text()` as a warning the first time `node` does `what` (a kind of oddity that
    /// changes no verdict, such as an error reply whose code is no integer); later ones are
    /// silent, so the text says what happens to all of them.
    pub fn warn_once(&self, node: &str, what: &'static str, text: impl FnOnce() -> String) {
        if self.warned.lock().insert((node.to_string(), what)) {
            (self.console)(&format!("Warning: {}", text()));
        }
    }

    /// Records a crash (the first one wins), reports it and runs the on-crash action.
    pub fn crash(&self, crash: CrashReport) {
        {
            let mut slot = self.crash.lock();
            if slot.is_some() {
                return;
            }
            // The full report goes to the run log now and into the results (or the setup error)
            // later; the console gets one line, so it is not shown twice.
            (self.log)(&crash.text());
            (self.console)(&if crate::history::status_is_a_failure(&crash.status) {
                format!("Node {} {}; ending the run.", crash.node, crash.status)
            } else {
                format!(
                    "Node {} exited ({}); ending the run.",
                    crash.node, crash.status
                )
            });
            *slot = Some(crash);
            *self.crashed_at.lock() = Some(Instant::now());
        }
        if let Some(action) = self.on_crash.lock().take() {
            action();
        }
    }

    /// When `node` printed its first line that was not a valid message, if it did.
    pub fn first_protocol_error(&self, node: &str) -> Option<Instant> {
        self.first_protocol_error.lock().get(node).copied()
    }

    /// The crash, if a node crashed.
    pub fn crashed(&self) -> Option<CrashReport> {
        self.crash.lock().clone()
    }

    /// When the crash was recorded, if a node crashed.
    pub fn crashed_at(&self) -> Option<Instant> {
        *self.crashed_at.lock()
    }

    /// Every protocol error, counted, the texts beyond the kept ones included.
    pub fn protocol_error_count(&self) -> usize {
        self.protocol_error_count.load(Ordering::Relaxed)
    }

    /// Per node that printed bad lines: how many, and the text of its first.
    pub fn protocol_errors_by_node(&self) -> BTreeMap<String, (usize, String)> {
        self.protocol_by_node.lock().clone()
    }

    /// The protocol error texts, plus a closing line counting those not kept.
    pub fn protocol_errors(&self) -> Vec<String> {
        let mut texts = self.protocol_errors.lock().clone();
        let total = self.protocol_error_count.load(Ordering::Relaxed);
        if total > texts.len() {
            texts.push(format!(
                "... and {} more protocol errors",
                total - texts.len()
            ));
        }
        texts
    }

    /// The late-reply warnings, plus a closing line counting those not kept.
    pub fn late_replies(&self) -> Vec<String> {
        let mut texts = self.late_replies.lock().clone();
        let total = self.late_reply_count.load(Ordering::Relaxed);
        if total > texts.len() {
            texts.push(format!("... and {} more late replies", total - texts.len()));
        }
        texts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A once-per-node warning is printed the first time a node does that thing, once per
    /// node and per kind of warning.
    #[test]
    fn warnings_once_per_node_and_kind() {
        let printed = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = printed.clone();
        let console: LogSink = Arc::new(move |line: &str| sink.lock().push(line.to_string()));
        let incidents = Incidents::new(console, Arc::new(|_: &str| {}), false);
        for node in ["n1", "n1", "n2", "n1"] {
            incidents.warn_once(node, "error code", || format!("{node} code"));
        }
        incidents.foreign_src("n1", || "n1 src".to_string());
        incidents.foreign_src("n1", || "n1 src again".to_string());
        assert_eq!(
            *printed.lock(),
            ["Warning: n1 code", "Warning: n2 code", "Warning: n1 src"]
        );
    }
}
