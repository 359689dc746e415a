//! Node processes: spawning, stdout/stderr handling, crash detection, teardown (spec 3).
//!
//! Each node is the `--bin` program started with the trailing arguments, in the system temp
//! directory, with piped stdio and in a process group of its own. Three threads serve it:
//! - the network's delivery thread writes messages to its stdin (see `net`);
//! - a stdout reader checks every line against the envelope of spec 2.6 and hands it to the
//!   network. A bad line is reported at once (naming the node and quoting the line), recorded,
//!   and reading goes on: unlike Maelstrom, one bad line does not mute the node (spec 0);
//! - a stderr reader appends each line to `node-logs/<id>.log`, flushed per line.
//!
//! A monitor notices a node that exits while the test runs, and reports it as a crash with its
//! exit status and last lines of output (spec 0: Maelstrom only noticed at teardown).
//!
//! No node may outlive the runner, however it ends: every child is kept in a global registry
//! that is killed on teardown, on `Drop`, from a panic hook, and on SIGINT/SIGTERM/SIGHUP
//! ([`install_cleanup`]); [`kill_all`] is also what `main` calls before exiting.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::edn::Edn;
use crate::net::{LogSink, Net, SendError};

/// How many stdout and stderr lines a crash report shows.
const RING_LINES: usize = 32;
/// How many protocol error texts are kept (and printed); later ones are only counted.
const MAX_PROTOCOL_ERRORS: usize = 100;
/// How often the monitor looks for exited nodes.
const MONITOR_PERIOD: Duration = Duration::from_millis(5);

/// A node that exited during the test: the checker's crash entry, built here.
pub use crate::history::CrashReport as Crash;

impl Crash {
    /// Maelstrom's crash text (spec 3.4).
    pub fn text(&self) -> String {
        format!(
            "Node {} crashed with {}. Before crashing, it wrote to STDOUT:\n\n{}\n\nAnd to \
             STDERR:\n\n{}\n\nFull STDERR logs are available in {}",
            self.node,
            self.status,
            self.stdout.join("\n"),
            self.stderr.join("\n"),
            self.log_path
        )
    }
}

/// What went wrong with the nodes during a run: protocol errors, late replies, a crash.
/// Everything is printed the moment it happens and kept for the results.
pub struct Incidents {
    /// Prints a line on the console (and the run log).
    console: LogSink,
    /// Writes a line to the run log only.
    log: LogSink,
    protocol_errors: Mutex<Vec<String>>,
    protocol_error_count: AtomicUsize,
    late_replies: Mutex<Vec<String>>,
    late_reply_count: AtomicUsize,
    crash: Mutex<Option<Crash>>,
    /// Called once, on the first crash, so the runner can end the run early.
    on_crash: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    /// Copy node stderr to the console (`--log-stderr`).
    log_stderr: bool,
}

impl Incidents {
    /// An empty record. `console` prints (and logs) a line; `log` only logs it.
    pub fn new(console: LogSink, log: LogSink, log_stderr: bool) -> Arc<Incidents> {
        Arc::new(Incidents {
            console,
            log,
            protocol_errors: Mutex::new(Vec::new()),
            protocol_error_count: AtomicUsize::new(0),
            late_replies: Mutex::new(Vec::new()),
            late_reply_count: AtomicUsize::new(0),
            crash: Mutex::new(None),
            on_crash: Mutex::new(None),
            log_stderr,
        })
    }

    /// Sets what to do on the first crash (e.g. stop issuing ops, wake waiting clients).
    pub fn on_crash(&self, action: Box<dyn FnOnce() + Send>) {
        *self.on_crash.lock() = Some(action);
    }

    /// Records and prints a protocol error. After [`MAX_PROTOCOL_ERRORS`] only the count grows.
    pub fn protocol_error(&self, text: String) {
        let n = self.protocol_error_count.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= MAX_PROTOCOL_ERRORS {
            (self.console)(&format!("Protocol error: {text}"));
            self.protocol_errors.lock().push(text);
        } else if n == MAX_PROTOCOL_ERRORS + 1 {
            (self.console)("Further protocol errors are counted but not shown.");
        }
    }

    /// Records a late reply (a warning, spec 0). Only the first few are printed.
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

    /// Records a crash (the first one wins), reports it and runs the on-crash action.
    pub fn crash(&self, crash: Crash) {
        {
            let mut slot = self.crash.lock();
            if slot.is_some() {
                return;
            }
            // The full report goes to the run log now and into the results (or the setup error)
            // later; the console gets one line, so it is not shown twice.
            (self.log)(&crash.text());
            (self.console)(&format!(
                "Node {} exited during the test ({}); ending the test early.",
                crash.node, crash.status
            ));
            *slot = Some(crash);
        }
        if let Some(action) = self.on_crash.lock().take() {
            action();
        }
    }

    /// The crash, if a node crashed.
    pub fn crashed(&self) -> Option<Crash> {
        self.crash.lock().clone()
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

/// The last few lines of a stream.
#[derive(Default)]
struct Ring {
    lines: VecDeque<String>,
}

impl Ring {
    /// Keeps `line`, dropping the oldest once full. Called for every routed stdout line, so the
    /// dropped line's buffer is reused rather than allocating anew.
    fn push(&mut self, line: &str) {
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

/// How nodes are started.
#[derive(Debug, Clone)]
pub struct NodeProgram {
    /// `--bin` as the user gave it (for the `launching` log line).
    pub given: PathBuf,
    /// The same, made absolute against the working directory and checked.
    pub path: PathBuf,
    /// Trailing arguments.
    pub args: Vec<String>,
}

impl NodeProgram {
    /// Resolves `--bin` against the working directory and checks that it is an executable file,
    /// with a clear error naming the path otherwise (the runner exits 255 on it).
    pub fn resolve(bin: &Path, args: &[String]) -> Result<NodeProgram, String> {
        let path = if bin.is_absolute() {
            bin.to_path_buf()
        } else {
            let cwd = std::env::current_dir()
                .map_err(|e| format!("Cannot determine the working directory: {e}"))?;
            cwd.join(bin)
        };
        let metadata = std::fs::metadata(&path).map_err(|e| {
            format!(
                "Cannot run --bin {}: {} ({e})",
                bin.display(),
                if e.kind() == std::io::ErrorKind::NotFound {
                    format!("no such file {}", path.display())
                } else {
                    format!("cannot read {}", path.display())
                }
            )
        })?;
        if !metadata.is_file() {
            return Err(format!(
                "Cannot run --bin {}: {} is not a file",
                bin.display(),
                path.display()
            ));
        }
        if metadata.permissions().mode() & 0o111 == 0 {
            return Err(format!(
                "Cannot run --bin {}: {} is not executable (try chmod +x)",
                bin.display(),
                path.display()
            ));
        }
        Ok(NodeProgram {
            given: bin.to_path_buf(),
            path,
            args: args.to_vec(),
        })
    }

    /// The `launching <bin> [<args>]` log line (spec 3.1).
    pub fn launch_line(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| Value::String(a.clone()).to_string())
            .collect();
        format!("launching {} [{}]", self.given.display(), args.join(" "))
    }
}

/// One running node.
pub struct Node {
    id: String,
    child: Arc<Mutex<Child>>,
    stdout_ring: Arc<Mutex<Ring>>,
    stderr_ring: Arc<Mutex<Ring>>,
    stdout_reader: JoinHandle<()>,
    stderr_reader: JoinHandle<()>,
    log_path: PathBuf,
}

impl Node {
    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The exit status, if the process has exited.
    fn exited(&self) -> Option<ExitStatus> {
        self.child.lock().try_wait().ok().flatten()
    }

    /// Builds the crash report, giving the readers a moment to drain the last lines.
    fn crash_report(&self, status: ExitStatus) -> Crash {
        let give_up = Instant::now() + Duration::from_millis(500);
        while !(self.stdout_reader.is_finished() && self.stderr_reader.is_finished())
            && Instant::now() < give_up
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        let log_path = std::fs::canonicalize(&self.log_path).unwrap_or(self.log_path.clone());
        Crash {
            node: self.id.clone(),
            status: describe_status(status),
            stdout: self.stdout_ring.lock().lines(),
            stderr: self.stderr_ring.lock().lines(),
            log_path: log_path.display().to_string(),
        }
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
    /// Starts one process per id (registering each in the network first, spec 3.3), then the
    /// crash monitor. On error every node started so far is killed.
    pub fn start(
        ids: &[String],
        program: &NodeProgram,
        log_path: &dyn Fn(&str) -> PathBuf,
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
            let node = spawn(id, program, &log_path(id), net, incidents)?;
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

    /// Stops crash monitoring and kills every node (SIGKILL to its process group, no grace
    /// period, as Maelstrom does), reaping them.
    pub fn teardown(&mut self) {
        self.monitoring.store(false, Ordering::SeqCst);
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.join();
        }
        let children: Vec<Arc<Mutex<Child>>> =
            self.nodes.iter().map(|n| Arc::clone(&n.child)).collect();
        kill_children(&children);
        let mut registry = registry();
        registry.retain(|c| !children.iter().any(|mine| Arc::ptr_eq(c, mine)));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// Watches for nodes that exit while the test runs; the first one is reported as a crash.
fn monitor(nodes: &[Arc<Node>], monitoring: &AtomicBool, incidents: &Incidents) {
    while monitoring.load(Ordering::SeqCst) && !SHUTTING_DOWN.load(Ordering::SeqCst) {
        for node in nodes {
            if let Some(status) = node.exited() {
                if monitoring.load(Ordering::SeqCst) && !SHUTTING_DOWN.load(Ordering::SeqCst) {
                    incidents.crash(node.crash_report(status));
                }
                return;
            }
        }
        std::thread::sleep(MONITOR_PERIOD);
    }
}

/// Starts one node: registers it in the network, spawns the process, wires its stdio.
fn spawn(
    id: &str,
    program: &NodeProgram,
    log_path: &Path,
    net: &Arc<Net>,
    incidents: &Arc<Incidents>,
) -> Result<Node, String> {
    let log_file = File::create(log_path).map_err(|e| {
        format!(
            "Cannot create the log file {} for node {id}: {e}",
            log_path.display()
        )
    })?;
    net.register_server(id);
    let mut command = Command::new(&program.path);
    command
        .args(&program.args)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a Ctrl-C at the terminal reaches the runner, which then kills
        // the whole group, helpers the node may have started included.
        .process_group(0);
    let mut child = command.spawn().map_err(|e| {
        format!(
            "Cannot start node {id} from --bin {}: {e}",
            program.path.display()
        )
    })?;
    let (stdin, stdout, stderr) =
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => (i, o, e),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("Node {id} was started without piped stdio"));
            }
        };
    let child = Arc::new(Mutex::new(child));
    registry().push(Arc::clone(&child));

    let stdout_ring = Arc::new(Mutex::new(Ring::default()));
    let stderr_ring = Arc::new(Mutex::new(Ring::default()));
    let stdout_reader = {
        let (net, incidents, ring, node) = (
            Arc::clone(net),
            Arc::clone(incidents),
            Arc::clone(&stdout_ring),
            id.to_string(),
        );
        thread(format!("{id} stdout"), move || {
            read_stdout(&node, stdout, &net, &incidents, &ring)
        })?
    };
    let stderr_reader = {
        let (incidents, ring, node) = (
            Arc::clone(incidents),
            Arc::clone(&stderr_ring),
            id.to_string(),
        );
        thread(format!("{id} stderr"), move || {
            read_stderr(&node, stderr, log_file, &incidents, &ring)
        })?
    };
    let writer: Box<dyn Write + Send> = Box::new(stdin as ChildStdin);
    if net.start_delivery(id, writer).is_none() {
        return Err(format!("Cannot start the delivery thread of node {id}"));
    }
    Ok(Node {
        id: id.to_string(),
        child,
        stdout_ring,
        stderr_ring,
        stdout_reader,
        stderr_reader,
        log_path: log_path.to_path_buf(),
    })
}

fn thread(name: String, body: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, String> {
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(body)
        .map_err(|e| format!("Cannot start thread {name}: {e}"))
}

/// Reads lines until EOF; invalid UTF-8 is replaced rather than ending the stream.
fn for_each_line(stream: impl Read, mut handle: impl FnMut(&str)) {
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut buffer = Vec::with_capacity(1024);
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if buffer.last() == Some(&b'\n') {
            buffer.pop();
        }
        handle(&String::from_utf8_lossy(&buffer));
    }
}

fn read_stdout(
    node: &str,
    stdout: impl Read,
    net: &Net,
    incidents: &Incidents,
    ring: &Mutex<Ring>,
) {
    for_each_line(stdout, |line| route_line(node, line, net, incidents, ring));
}

fn read_stderr(
    node: &str,
    stderr: impl Read,
    mut log_file: File,
    incidents: &Incidents,
    ring: &Mutex<Ring>,
) {
    let mut log_ok = true;
    for_each_line(stderr, |line| {
        if log_ok {
            // One write per line: the file is flushed line by line, so it is complete even
            // if the runner is killed.
            log_ok = log_file.write_all(format!("{line}\n").as_bytes()).is_ok();
        }
        ring.lock().push(line);
        if incidents.log_stderr {
            (incidents.console)(&format!("{node} stderr: {line}"));
        }
    });
}

/// Handles one line a node printed on stdout (spec 2.6, with spec 0's departure: errors are
/// reported and reading continues).
fn route_line(node: &str, line: &str, net: &Net, incidents: &Incidents, ring: &Mutex<Ring>) {
    let (src, dest, body) = match parse_envelope(node, line) {
        Ok(envelope) => envelope,
        Err(text) => return incidents.protocol_error(text),
    };
    match net.send(&src, &dest, body) {
        Ok(_) => ring.lock().push(line),
        Err(SendError::ClosedClient(_)) => incidents.late_reply(format!(
            "Node {node} sent a message to client {dest}, which had already given up on its \
             request (timed out) and was closed; ignored: {line}"
        )),
        Err(error) => {
            let which = match error {
                SendError::InvalidSource(_) => format!("source {src:?}"),
                _ => format!("destination {dest:?}"),
            };
            incidents.protocol_error(format!(
                "Node {node} printed a message to STDOUT with an unknown {which}, which is not \
                 a node, service or open client of this test:\n{line}\n{}",
                error.maelstrom_text()
            ))
        }
    }
}

/// Checks one stdout line against the envelope schema: a JSON object with `src` and `dest`
/// strings, a `body` object (missing: `{}`), an optional integer `id`, and nothing else.
/// Returns the texts of spec 2.6 on failure, naming the node and quoting the line.
pub fn parse_envelope(node: &str, line: &str) -> Result<(String, String, Value), String> {
    let value: Value = if line.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(line).map_err(|_| {
            format!(
                "Node {node} printed a line to STDOUT which was not well-formed JSON:\n{line}\n\
                 Did you mean to encode this line as JSON? Or was this line intended for \
                 STDERR? See doc/protocol.md for more guidance."
            )
        })?
    };
    let Value::Object(mut fields) = value else {
        let shown = edn_of(&value);
        return Err(malformed(
            node,
            line,
            &shown,
            &format!("(not (map? {shown}))"),
        ));
    };
    let mut problems: Vec<String> = Vec::new();
    let src = string_field(&fields, "src", &mut problems);
    let dest = string_field(&fields, "dest", &mut problems);
    if let Some(id) = fields.get("id") {
        if !(id.is_i64() || id.is_u64()) {
            problems.push(format!(":id (not (integer? {}))", edn_of(id)));
        }
    }
    match fields.get("body") {
        None | Some(Value::Object(_)) => {}
        Some(other) => problems.push(format!(":body (not (map? {}))", edn_of(other))),
    }
    for key in fields.keys() {
        if !matches!(key.as_str(), "src" | "dest" | "body" | "id") {
            problems.push(format!("{} disallowed-key", edn_key(key)));
        }
    }
    if !problems.is_empty() {
        let shown = edn_of(&Value::Object(fields));
        return Err(malformed(
            node,
            line,
            &shown,
            &format!("{{{}}}", problems.join(", ")),
        ));
    }
    let body = fields
        .remove("body")
        .unwrap_or_else(|| Value::Object(Map::new()));
    Ok((src.unwrap_or_default(), dest.unwrap_or_default(), body))
}

fn string_field(
    fields: &Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match fields.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(format!(
                ":{key} (not (instance? java.lang.String {}))",
                edn_of(other)
            ));
            None
        }
        None => {
            problems.push(format!(":{key} missing-required-key"));
            None
        }
    }
}

fn malformed(node: &str, line: &str, shown: &str, problems: &str) -> String {
    format!(
        "Malformed network message. Node {node} tried to send the following message via \
         STDOUT:\n\n{shown}\n\nThis is malformed because:\n\n{problems}\n\nSee \
         doc/protocol.md for more guidance. The line was:\n{line}"
    )
}

/// A JSON value as Maelstrom shows it: top-level and body keys as keywords.
fn edn_of(value: &Value) -> String {
    let edn = match value {
        Value::Object(map) => Edn::Map(
            map.iter()
                .map(|(k, v)| {
                    let inner = if k == "body" {
                        Edn::from_json_body(v)
                    } else {
                        Edn::from_json(v)
                    };
                    (Edn::Keyword(k.clone()), inner)
                })
                .collect(),
        ),
        other => Edn::from_json(other),
    };
    crate::edn::compact(&edn)
}

/// A key as a keyword if it can be one, else as a string.
fn edn_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "-_?!*+.".contains(c))
    {
        format!(":{key}")
    } else {
        Value::String(key.to_string()).to_string()
    }
}

// ---- Making sure no node outlives the runner ----

/// Every child started and not yet torn down.
static REGISTRY: std::sync::Mutex<Vec<Arc<Mutex<Child>>>> = std::sync::Mutex::new(Vec::new());
/// Set once the runner is going down: exits from then on are not crashes.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);

fn registry() -> std::sync::MutexGuard<'static, Vec<Arc<Mutex<Child>>>> {
    // A panic while holding the lock must not stop the cleanup that follows it.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kills every node process still running (and its process group) and reaps it. Safe to call
/// more than once and from any thread.
pub fn kill_all() {
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    let children: Vec<Arc<Mutex<Child>>> = registry().drain(..).collect();
    kill_children(&children);
}

/// SIGKILLs the process groups of the children that are still running (one `kill` command for
/// all of them, catching anything a node started), then each child directly, then reaps them.
fn kill_children(children: &[Arc<Mutex<Child>>]) {
    let mut guards: Vec<_> = children.iter().map(|c| c.lock()).collect();
    // A child that has not been reaped keeps its pid, so its group id cannot have been reused.
    let mut groups: Vec<String> = Vec::new();
    for child in guards.iter_mut() {
        if matches!(child.try_wait(), Ok(None)) {
            groups.push(format!("-{}", child.id()));
        }
    }
    if !groups.is_empty() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .args(&groups)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    for child in guards.iter_mut() {
        let _ = child.kill();
    }
    for child in guards.iter_mut() {
        let _ = child.wait();
    }
}

/// Installs the cleanup that kills every node when the runner is interrupted (SIGINT, SIGTERM,
/// SIGHUP: exit 130/143/129) or panics. Call once, at startup.
pub fn install_cleanup() -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        kill_all();
        previous(info);
    }));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| format!("Cannot install signal handlers: {e}"))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                kill_all();
                let name = signal_hook::low_level::signal_name(signal).unwrap_or("signal");
                crate::progress::print_stderr(&format!(
                    "\nmaelstrom: interrupted by {name}; every node process was killed.\n"
                ));
                std::process::exit(128 + signal);
            }
        })
        .map_err(|e| format!("Cannot start the signal thread: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A well-formed line yields src, dest and body; a missing body becomes {}; an id is allowed.
    #[test]
    fn envelope_accepts_valid_lines() {
        let (src, dest, body) = parse_envelope(
            "n1",
            r#"{"src":"n1","dest":"c3","body":{"type":"echo_ok"}}"#,
        )
        .expect("valid");
        assert_eq!((src.as_str(), dest.as_str()), ("n1", "c3"));
        assert_eq!(body["type"], "echo_ok");
        let (_, _, body) =
            parse_envelope("n1", r#"{"id":4,"src":"n1","dest":"n2"}"#).expect("valid");
        assert_eq!(body, serde_json::json!({}));
    }

    /// Non-JSON and blank lines get spec 2.6's texts, naming the node and quoting the line.
    #[test]
    fn envelope_rejects_non_json() {
        let text = parse_envelope("n3", "hello there").expect_err("not JSON");
        assert!(text.starts_with(
            "Node n3 printed a line to STDOUT which was not well-formed JSON:\nhello there\n"
        ));
        assert!(text.contains("intended for STDERR?"));
        let text = parse_envelope("n3", "  ").expect_err("blank");
        assert!(
            text.contains("Malformed network message. Node n3"),
            "{text}"
        );
        let text = parse_envelope("n3", r#"{"src":"n3","dest":"n1","body":{}} {}"#)
            .expect_err("trailing text");
        assert!(text.contains("not well-formed JSON"));
    }

    /// Missing keys, wrong types and extra keys are all listed in the schema error.
    #[test]
    fn envelope_lists_schema_problems() {
        let line = r#"{"src":1,"body":{"type":"x"},"extra":true,"id":"7"}"#;
        let text = parse_envelope("n0", line).expect_err("malformed");
        assert!(text.starts_with(
            "Malformed network message. Node n0 tried to send the following message via STDOUT:"
        ));
        for problem in [
            ":src (not (instance? java.lang.String 1))",
            ":dest missing-required-key",
            ":extra disallowed-key",
            ":id (not (integer? \"7\"))",
        ] {
            assert!(text.contains(problem), "{problem} missing from {text}");
        }
        assert!(text.ends_with(line));
        let text = parse_envelope("n0", "[1,2]").expect_err("array");
        assert!(text.contains("(not (map? [1 2]))"), "{text}");
        let text = parse_envelope("n0", r#"{"src":"n0","dest":"n1","body":3}"#).expect_err("body");
        assert!(text.contains(":body (not (map? 3))"), "{text}");
    }

    /// A missing --bin and a non-executable file are reported with their paths.
    #[test]
    fn resolve_checks_the_binary() {
        let missing = NodeProgram::resolve(Path::new("no/such/node"), &[]).expect_err("missing");
        assert!(
            missing.contains("no/such/node") && missing.contains("no such file"),
            "{missing}"
        );
        let dir = std::env::temp_dir().join(format!("maelstrom-resolve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("plain");
        std::fs::write(&file, "not a program").expect("write");
        let text = NodeProgram::resolve(&file, &[]).expect_err("not executable");
        assert!(text.contains("not executable"), "{text}");
        let text = NodeProgram::resolve(&dir, &[]).expect_err("directory");
        assert!(text.contains("is not a file"), "{text}");
        let sh = NodeProgram::resolve(Path::new("/bin/sh"), &["-c".into(), "x y".into()])
            .expect("sh is executable");
        assert_eq!(sh.launch_line(), r#"launching /bin/sh ["-c" "x y"]"#);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The crash text follows Maelstrom's layout.
    #[test]
    fn crash_text_has_maelstrom_layout() {
        let crash = Crash {
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
}
