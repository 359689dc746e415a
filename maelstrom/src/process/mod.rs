//! Node processes: spawning, stdout/stderr handling, crash detection, teardown, after
//! Maelstrom's `src/maelstrom/process.clj`.
//!
//! Each node is the `--bin` program started with the trailing arguments (through the runner's
//! own binary, which sets a parent-death signal first: `cleanup.rs`), in a working directory of
//! its own (`nodes/<id>/` in the run's folder; Maelstrom runs every node in the system temp
//! directory, README), with piped stdio and in a process group of its own. Three threads serve
//! it:
//! - the network's delivery thread writes messages to its stdin (see `net`), each write bounded
//!   in time (`stdin.rs`): a node that stops reading is reported and ends the test;
//! - a stdout reader checks every line against the envelope (`envelope.rs`) and hands it to the
//!   network. A bad line is reported at once (naming the node and quoting the line), recorded,
//!   and reading goes on: unlike Maelstrom, one bad line does not mute the node (README);
//! - a stderr reader appends each line to `node-logs/<id>.log`, flushed per line.
//!
//! Both readers hold at most [`MAX_MESSAGE_BYTES`] / [`MAX_STDERR_LINE_BYTES`] of a line
//! (`lines.rs`), whatever the node writes, and errors quote at most [`QUOTE_BYTES`] of it.
//!
//! A monitor notices a node that exits while the test runs, and reports it as a crash with its
//! exit status and last lines of output (Maelstrom only notices at teardown; README).
//!
//! A nemesis may kill a node, start it again or pause it (`node.rs`); a node it killed is not a
//! crash.
//!
//! The parts, one concept per file: `program` (what to run), `node` (one node's processes and
//! what a nemesis does to them), `envelope` (the stdout line check),
//! `incidents` (what went wrong, as it happens), `cleanup` (no node, and nothing a node started,
//! outlives the run), `stdin` (writes bounded in time), `lines` (reads bounded in memory); this
//! file spawns the nodes and routes their output.

mod cleanup;
mod envelope;
mod incidents;
mod lines;
mod node;
mod program;
mod stdin;

pub use crate::console::{printable, quote, QUOTE_BYTES};
pub use cleanup::{
    adopt_orphans, exec_node, install_cleanup, interrupted, kill_all, on_interrupt,
    unless_interrupted, EXEC_NODE,
};
use cleanup::{kill_children, kill_orphans, registry, SHUTTING_DOWN};
pub use envelope::parse_envelope;
pub use incidents::Incidents;
use lines::{for_each_line, Line};
use node::Launch;
pub use node::{Node, NodeState};
pub use program::NodeProgram;
use stdin::BoundedStdin;
pub use stdin::STALL_LIMIT;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::budget::Budget;
use crate::history::{CrashReport, STOPPED_READING};
use crate::net::{Net, SendError};

/// How many stdout and stderr lines a crash report shows.
const RING_LINES: usize = 32;
/// The largest message a node may print on stdout, in bytes (8 MiB, newline excluded). A longer
/// line is a protocol error that quotes its start; reading it costs at most this much memory.
pub const MAX_MESSAGE_BYTES: usize = 8 << 20;
/// How much of one stderr line is kept (in the node's log, its crash report and on the console
/// with `--log-stderr`); the rest is counted and noted in the log (64 KiB).
pub const MAX_STDERR_LINE_BYTES: usize = 64 << 10;

/// The most a node's log (`node-logs/<node>.log`, its stderr) may hold: 64 MiB. Past it, one
/// line says the log was cut, and the node's later stderr only reaches the crash report's last
/// lines (and the console with `--log-stderr`, until the run folder's budget is passed), so a
/// node writing a gigabyte of stderr leaves a 64 MiB log.
pub const MAX_NODE_LOG_BYTES: u64 = 64 << 20;
/// What `jepsen.log` writes before each line: its timestamp (`2026-12-07 19:53:42,387 `,
/// `Store::log`).
const LOG_STAMP_BYTES: usize = 24;
/// How often the monitor looks for exited nodes.
const MONITOR_PERIOD: Duration = Duration::from_millis(5);

/// The last few lines of a stream.
#[derive(Default)]
struct Ring {
    lines: VecDeque<String>,
}

impl Ring {
    /// Keeps `line`, dropping the oldest once full. Called for every routed stdout line, so the
    /// dropped line's buffer is reused rather than allocating anew.
    fn push(&mut self, line: &str) {
        // A crash report quotes these lines: keep each one short.
        let quoted;
        let line = if line.len() > QUOTE_BYTES {
            quoted = quote(line, line.len());
            quoted.as_str()
        } else {
            line
        };
        let mut kept = if self.lines.len() == RING_LINES {
            self.lines.pop_front().unwrap_or_default()
        } else {
            String::new()
        };
        kept.clear();
        kept.push_str(line);
        self.lines.push_back(kept);
    }

    fn lines(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

/// `exit status 1`, or `signal 9 (SIGKILL)` for a process killed by a signal.
pub fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exit status {code}")
    } else if let Some(signal) = status.signal() {
        match signal_hook::low_level::signal_name(signal) {
            Some(name) => format!("signal {signal} ({name})"),
            None => format!("signal {signal}"),
        }
    } else {
        format!("{status}")
    }
}

/// All nodes of one test, and the monitor watching them.
pub struct Cluster {
    nodes: Vec<Arc<Node>>,
    monitoring: Arc<AtomicBool>,
    monitor: Option<JoinHandle<()>>,
}

impl Cluster {
    /// Starts one process per id (registering each in the network first, `src/maelstrom/db.clj`),
    /// each in its own working directory `dir(id)`, then the crash monitor. On error every node
    /// started so far is killed.
    pub fn start(
        ids: &[String],
        program: &NodeProgram,
        files: &NodeFiles,
        net: &Arc<Net>,
        incidents: &Arc<Incidents>,
    ) -> Result<Cluster, String> {
        let mut cluster = Cluster {
            nodes: Vec::new(),
            monitoring: Arc::new(AtomicBool::new(true)),
            monitor: None,
        };
        (incidents.log)(&program.launch_line());
        for id in ids {
            (incidents.log)(&format!("Setting up {id}"));
            let launch = Launch {
                program: program.clone(),
                dir: (files.dir)(id),
                log_path: (files.log_path)(id),
                net: Arc::clone(net),
                incidents: Arc::clone(incidents),
            };
            let node = Node::start_first(id, launch)?;
            cluster.nodes.push(Arc::new(node));
        }
        let nodes = cluster.nodes.clone();
        let monitoring = Arc::clone(&cluster.monitoring);
        let incidents = Arc::clone(incidents);
        let monitor = std::thread::Builder::new()
            .name("node monitor".into())
            .spawn(move || monitor(&nodes, &monitoring, &incidents))
            .map_err(|e| format!("Cannot start the node monitor thread: {e}"))?;
        cluster.monitor = Some(monitor);
        Ok(cluster)
    }

    /// The nodes, in the order given.
    pub fn nodes(&self) -> &[Arc<Node>] {
        &self.nodes
    }

    /// The node named `id`.
    pub fn node(&self, id: &str) -> Option<&Arc<Node>> {
        self.nodes.iter().find(|n| n.id() == id)
    }

    /// Stops crash monitoring and kills every node (SIGKILL to its process group, no grace
    /// period, as Maelstrom does; a paused node is continued first), reaping them.
    pub fn teardown(&mut self) {
        self.monitoring.store(false, Ordering::SeqCst);
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.join();
        }
        let children: Vec<Arc<Mutex<Child>>> = self.nodes.iter().map(|n| n.child()).collect();
        kill_children(&children);
        registry().retain(|c| !children.iter().any(|mine| Arc::ptr_eq(c, mine)));
        kill_orphans();
        // Let the readers drain what the nodes wrote last (a long stderr line still in the pipe)
        // into the node logs before the run's files are written; bounded, in case something
        // still holds a pipe open.
        let give_up = Instant::now() + READERS_DRAIN;
        while self.nodes.iter().any(|n| !n.readers_done()) && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Where each node's files go: its working directory (`nodes/<id>/`, its "disk", kept across
/// kills) and its stderr log (`node-logs/<id>.log`).
pub struct NodeFiles<'a> {
    pub dir: &'a dyn Fn(&str) -> PathBuf,
    pub log_path: &'a dyn Fn(&str) -> PathBuf,
}

/// How long teardown waits for the stdout/stderr readers to reach the end of their pipes.
const READERS_DRAIN: Duration = Duration::from_secs(2);

impl Drop for Cluster {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// Watches for nodes that exit while the test runs; the first one is reported as a crash. A
/// node the nemesis killed is not watched until it is started again.
fn monitor(nodes: &[Arc<Node>], monitoring: &AtomicBool, incidents: &Incidents) {
    while monitoring.load(Ordering::SeqCst) && !SHUTTING_DOWN.load(Ordering::SeqCst) {
        for node in nodes {
            if let Some(status) = node.crashed() {
                if monitoring.load(Ordering::SeqCst) && !SHUTTING_DOWN.load(Ordering::SeqCst) {
                    incidents.crash(node.crash_report(status));
                }
                return;
            }
        }
        std::thread::sleep(MONITOR_PERIOD);
    }
}

/// The node's stdin with every write bounded by [`STALL_LIMIT`] (`stdin.rs`): a node that stops
/// reading is reported as such, with its last output, and ends the test early like a crash.
fn bounded_stdin(
    id: &str,
    stdin: ChildStdin,
    log_path: &Path,
    incidents: &Arc<Incidents>,
    (stdout_ring, stderr_ring): (&Arc<Mutex<Ring>>, &Arc<Mutex<Ring>>),
    paused: Arc<AtomicBool>,
) -> Box<dyn Write + Send> {
    let (node, reporter, stdout_ring, stderr_ring) = (
        id.to_string(),
        Arc::clone(incidents),
        Arc::clone(stdout_ring),
        Arc::clone(stderr_ring),
    );
    let log_path = std::fs::canonicalize(log_path).unwrap_or(log_path.to_path_buf());
    let on_stall = Box::new(move |waited: Duration| {
        reporter.crash(CrashReport {
            node,
            status: format!(
                "{STOPPED_READING}: a write to its stdin made no progress for {} ms",
                waited.as_millis()
            ),
            stdout: stdout_ring.lock().lines(),
            stderr: stderr_ring.lock().lines(),
            log_path: log_path.display().to_string(),
        })
    });
    match BoundedStdin::new(stdin, STALL_LIMIT, on_stall, paused) {
        Ok(bounded) => Box::new(bounded),
        Err((stdin, e)) => {
            (incidents.log)(&format!(
                "Cannot make {id}'s stdin non-blocking ({e}); writes to it are not bounded in time"
            ));
            Box::new(stdin)
        }
    }
}

fn thread(name: String, body: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, String> {
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(body)
        .map_err(|e| format!("Cannot start thread {name}: {e}"))
}

fn read_stdout(
    node: &str,
    stdout: impl Read,
    net: &Net,
    incidents: &Incidents,
    ring: &Mutex<Ring>,
) {
    for_each_line(stdout, MAX_MESSAGE_BYTES, |line| {
        if line.cut() {
            incidents.protocol_error(
                node,
                format!(
                    "Node {node} printed a line of {} bytes to STDOUT, more than the {} bytes a \
                 message may have; it was dropped. It began:\n{}",
                    line.len,
                    MAX_MESSAGE_BYTES,
                    quote(line.text, line.len)
                ),
            );
        } else if !line.terminated && parse_envelope(node, line.text).is_err() {
            // The node died (a kill, a crash) or closed its stdout in the middle of writing
            // this line: what it wrote is cut, not wrong, so it is not held against it. A whole
            // message without its newline is delivered, as Maelstrom's line reader delivers it.
            (incidents.log)(&format!(
                "Node {node}'s output ended in the middle of a line (it was killed or exited \
                 while writing it); the partial line was dropped: {}",
                quote(line.text, line.len)
            ));
        } else {
            route_line(node, line.text, net, incidents, ring);
        }
    });
}

fn read_stderr(
    node: &str,
    stderr: impl Read,
    log_file: File,
    incidents: &Incidents,
    ring: &Mutex<Ring>,
    budget: &Budget,
) {
    let mut log = CappedLog {
        file: log_file,
        written: 0,
        cap: MAX_NODE_LOG_BYTES,
        ok: true,
    };
    for_each_line(stderr, MAX_STDERR_LINE_BYTES, |line: Line| {
        let text = if line.cut() {
            format!(
                "{}... [{} more bytes cut, {} in all]",
                line.text,
                line.len - line.text.len(),
                line.len
            )
        } else {
            line.text.to_string()
        };
        log.line(&text, |bytes| budget.charge(node, "stderr", bytes));
        ring.lock().push(&text);
        if incidents.log_stderr {
            // The console's lines go to `jepsen.log` too, each after a timestamp: charged to the
            // node like its log (a short line costs more there), and not shown past the budget.
            let shown = format!("{node} stderr: {}", quote(&text, text.len()));
            if budget.charge(node, "stderr", (LOG_STAMP_BYTES + shown.len() + 1) as u64) {
                (incidents.console)(&shown);
            }
        }
    });
}

/// A node's log file, written line by line up to `cap` bytes or until the run folder's budget
/// is passed, then closed with one line saying so; a failed write stops it.
struct CappedLog<W: Write> {
    file: W,
    written: u64,
    cap: u64,
    ok: bool,
}

impl<W: Write> CappedLog<W> {
    /// Writes one line; `charge` charges its bytes to the run folder's budget and says whether
    /// the budget still holds them.
    fn line(&mut self, text: &str, charge: impl FnOnce(u64) -> bool) {
        if !self.ok {
            return;
        }
        let line = format!("{text}\n");
        let result = if self.written + line.len() as u64 > self.cap {
            self.ok = false;
            self.file.write_all(
                format!(
                    "[maelstrom: this log stops at {} MiB; the node wrote more on stderr, which \
                     is not kept]\n",
                    self.cap >> 20
                )
                .as_bytes(),
            )
        } else if charge(line.len() as u64) {
            self.written += line.len() as u64;
            // One write per line: the file is flushed line by line, so it is complete even
            // if the runner is killed.
            self.file.write_all(line.as_bytes())
        } else {
            self.ok = false;
            self.file.write_all(
                b"[maelstrom: this log stops here: the run folder's budget was passed \
                  (--run-budget); the node's later stderr is not kept]\n",
            )
        };
        self.ok &= result.is_ok();
    }
}

/// Handles one line a node printed on stdout (`src/maelstrom/process.clj`, with a departure listed in the README's deliberate differences: errors are
/// reported and reading continues). Errors quote at most [`QUOTE_BYTES`] of the line.
fn route_line(node: &str, line: &str, net: &Net, incidents: &Incidents, ring: &Mutex<Ring>) {
    let (src, dest, body) = match parse_envelope(node, line) {
        Ok(envelope) => envelope,
        Err(text) => return incidents.protocol_error(node, text),
    };
    if src != node {
        // Maelstrom's `validate-msg` (`net.clj`) only asks that `src` be some known id, and its
        // own `demo/python/raft.py` forwards a client's request to the leader as that client:
        // delivered as Maelstrom delivers it, with one warning per node (the README's
        // deliberate differences).
        incidents.foreign_src(node, || foreign_src_warning(node, &src, &dest, line));
    }
    match net.send_written_by(node, &src, &dest, body) {
        Ok(_) => ring.lock().push(line),
        Err(SendError::ClosedClient(_)) => incidents.late_reply(format!(
            "Node {node} sent a message to client {dest}, which was no longer waiting for a \
             reply (its request had timed out or the test had ended) and was closed; ignored: {}",
            quote(line, line.len())
        )),
        Err(error) => {
            let which = match error {
                SendError::InvalidSource(_) => format!("source {:?}", quote(&src, src.len())),
                _ => format!("destination {:?}", quote(&dest, dest.len())),
            };
            incidents.protocol_error(
                node,
                format!(
                    "Node {node} printed a message to STDOUT with an unknown {which}, which is \
                     not a node, service or open client of this test:\n{}",
                    quote(line, line.len()),
                ),
            )
        }
    }
}

/// The warning for a node's first message with another id as `src`: what Maelstrom does with
/// it, and the usual mistake when it was meant as a reply.
fn foreign_src_warning(node: &str, src: &str, dest: &str, line: &str) -> String {
    let mistake = if dest == node || dest == src {
        format!(
            " It goes to {}: if it was meant as a reply, its src should be {node:?} and its dest \
             the request's src.",
            quote(dest, dest.len())
        )
    } else {
        String::new()
    };
    format!(
        "Node {node} printed a message with \"src\": {:?}, not its own id {node:?}. Maelstrom \
         delivers it as if {0:?} had sent it (a client's message: no latency, never \
         partitioned), and so does this runner; later ones from {node} are not warned about.{mistake} \
         The message: {}",
        quote(src, src.len()),
        quote(line, line.len())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node's output that ends in the middle of a line (a kill cut the write) is no protocol
    /// error; a whole message without its newline is still delivered, as Maelstrom's line
    /// reader delivers it; a bad line that ends with a newline is still an error.
    #[test]
    fn a_line_cut_by_the_end_of_output_is_not_an_error() {
        use crate::net::{Delivery, NetOptions};
        let net = Net::new(NetOptions::for_tests(1), Arc::new(|_: &str| {}));
        net.register_server("n0");
        let (client, rx) = net.open_client();
        let logged = Arc::new(Mutex::new(Vec::<String>::new()));
        let log = Arc::clone(&logged);
        let incidents = Incidents::new(
            Arc::new(|_: &str| {}),
            Arc::new(move |line: &str| log.lock().push(line.to_string())),
            false,
        );
        let ring = Mutex::new(Ring::default());
        let cut = format!(r#"{{"src": "n0", "dest": "{client}", "body": "#);
        read_stdout("n0", cut.as_bytes(), &net, &incidents, &ring);
        assert_eq!(incidents.protocol_error_count(), 0);
        assert!(
            logged
                .lock()
                .iter()
                .any(|l| l.contains("ended in the middle of a line")),
            "{:?}",
            logged.lock()
        );
        let whole = format!(r#"{{"src":"n0","dest":"{client}","body":{{"type":"echo_ok"}}}}"#);
        read_stdout("n0", whole.as_bytes(), &net, &incidents, &ring);
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(5)),
            Ok(Delivery::Message(_))
        ));
        read_stdout("n0", format!("{cut}\n").as_bytes(), &net, &incidents, &ring);
        assert_eq!(incidents.protocol_error_count(), 1);
    }

    /// The ring keeps only the last 32 lines.
    #[test]
    fn ring_keeps_last_lines() {
        let mut ring = Ring::default();
        for i in 0..40 {
            ring.push(&i.to_string());
        }
        let lines = ring.lines();
        assert_eq!(lines.len(), RING_LINES);
        assert_eq!(lines.first().map(String::as_str), Some("8"));
        assert_eq!(lines.last().map(String::as_str), Some("39"));
    }

    /// A node's log stops at its cap with one line saying so, however much more comes.
    #[test]
    fn node_log_stops_at_its_cap() {
        let mut log = CappedLog {
            file: Vec::new(),
            written: 0,
            cap: 1000,
            ok: true,
        };
        for _ in 0..10_000 {
            log.line(&"e".repeat(99), |_| true);
        }
        let text = String::from_utf8(log.file).expect("utf-8");
        assert!(text.len() <= 1000 + 200, "{} bytes", text.len());
        assert_eq!(text.lines().count(), 11);
        assert!(text.ends_with("which is not kept]\n"), "{text}");
    }

    /// With `--log-stderr`, what the console shows of a node's stderr (which `jepsen.log`
    /// keeps too, each line after a timestamp) is charged to the node: a flood of short lines
    /// passes the budget on the console's account, and nothing more is shown after it.
    #[test]
    fn shown_stderr_is_charged_and_stops_at_the_budget() {
        let shown = Arc::new(Mutex::new(Vec::<String>::new()));
        let console: crate::net::LogSink = {
            let shown = Arc::clone(&shown);
            Arc::new(move |line: &str| shown.lock().push(line.to_string()))
        };
        let incidents = Incidents::new(console, Arc::new(|_: &str| {}), true);
        let path =
            std::env::temp_dir().join(format!("maelstrom-stderr-{}.log", std::process::id()));
        let file = File::create(&path).expect("log file");
        let budget = Budget::new(100_000);
        let flood = "e\n".repeat(100_000);
        read_stderr(
            "n1",
            flood.as_bytes(),
            file,
            &incidents,
            &Mutex::default(),
            &budget,
        );
        let log_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        let _ = std::fs::remove_file(&path);
        let passed = budget
            .passed()
            .expect("the console's lines passed the budget");
        assert_eq!(
            (passed.who.as_str(), passed.what.as_str()),
            ("n1", "stderr")
        );
        let shown = shown.lock();
        assert_eq!(shown[0], "n1 stderr: e");
        // Each shown line costs its jepsen.log line: "<timestamp> n1 stderr: e\n".
        let jepsen_log = shown.len() as u64 * (LOG_STAMP_BYTES as u64 + 13);
        assert!(
            jepsen_log + log_bytes <= 100_000 + 200,
            "{} lines shown, {log_bytes} bytes of log",
            shown.len()
        );
    }

    /// A node's log counts against the run folder's budget: once it is passed, the log stops
    /// with one line saying so, and the node's lines were charged to it.
    #[test]
    fn node_log_stops_when_the_budget_is_passed() {
        let budget = Budget::new(1000);
        let mut log = CappedLog {
            file: Vec::new(),
            written: 0,
            cap: MAX_NODE_LOG_BYTES,
            ok: true,
        };
        for _ in 0..100 {
            log.line(&"e".repeat(99), |bytes| {
                budget.charge("n1", "stderr", bytes)
            });
        }
        let text = String::from_utf8(log.file).expect("utf-8");
        assert_eq!(text.lines().count(), 11, "{text}");
        assert!(
            text.ends_with("the node's later stderr is not kept]\n"),
            "{text}"
        );
        let passed = budget.passed().expect("passed");
        assert_eq!(
            (passed.who.as_str(), passed.what.as_str()),
            ("n1", "stderr")
        );
    }
}
