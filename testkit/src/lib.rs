//! Test helpers: drive a real node binary over its stdin/stdout, speaking
//! Maelstrom's protocol, one JSON message a line.
//!
//! ```no_run
//! use serde_json::json;
//! use testkit::NodeProcess;
//!
//! // In a part's tests/: NodeProcess::spawn(env!("CARGO_BIN_EXE_echo")).
//! let mut node = NodeProcess::spawn("target/debug/echo");
//! node.init("n0", &["n0"]);
//! let reply = node.request("c1", json!({"type": "echo", "echo": "hi"}));
//! assert_eq!(reply["body"]["echo"], "hi");
//! assert!(node.shutdown().is_empty());
//! ```
//!
//! A helper that finds something wrong panics with a message naming the
//! binary, what was expected, what came instead and the node's stderr; the
//! helpers are `#[track_caller]`, so the failure points at the test's line.
//! The node is killed when the [`NodeProcess`] is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{json, Value};

/// How long to wait for one message before declaring the node stuck.
///
/// Generous on purpose: tests run in parallel on a busy 2-core machine, and
/// this is a guard against hanging for ever, not a speed check.
pub const RECV_TIMEOUT: Duration = Duration::from_secs(30);

/// A node binary running as a child process.
pub struct NodeProcess {
    /// The binary's path, for messages.
    bin: String,
    child: Child,
    /// `None` once [`shutdown`](NodeProcess::shutdown) has closed it.
    stdin: Option<ChildStdin>,
    /// Lines of stdout, read by a thread so that a node can always write.
    lines: Receiver<String>,
    /// Everything the node wrote to stderr so far, shown when a helper fails.
    stderr: Arc<Mutex<String>>,
    /// The thread filling `stderr`; joined by `shutdown`, so that after it
    /// `stderr()` holds everything the node wrote.
    stderr_reader: Option<JoinHandle<()>>,
    /// The node's id once [`init`](NodeProcess::init) ran (`dest` of requests).
    node_id: String,
    /// The last `msg_id` that [`request`](NodeProcess::request) used.
    last_msg_id: u64,
}

impl NodeProcess {
    /// Starts `bin` with piped stdin/stdout/stderr.
    #[track_caller]
    pub fn spawn(bin: &str) -> NodeProcess {
        let mut child = match Command::new(bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("cannot start node binary {bin}: {e}"),
        };
        let (stdin, stdout, stderr_pipe) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => panic!("{bin}: stdio pipes missing after spawn"),
            };

        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let stderr_reader = thread::spawn(move || {
            let mut reader = BufReader::new(stderr_pipe);
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut chunk) {
                let text = String::from_utf8_lossy(&chunk[..n]);
                if let Ok(mut all) = sink.lock() {
                    all.push_str(&text);
                }
            }
        });

        NodeProcess {
            bin: bin.to_string(),
            child,
            stdin: Some(stdin),
            lines,
            stderr,
            stderr_reader: Some(stderr_reader),
            node_id: String::new(),
            last_msg_id: 0,
        }
    }

    /// Writes `message` (a whole `{"src","dest","body"}` object) as one line.
    #[track_caller]
    pub fn send(&mut self, message: Value) {
        let Some(stdin) = self.stdin.as_mut() else {
            panic!("{}: send after shutdown: {message}", self.bin);
        };
        let line = format!("{message}\n");
        if let Err(e) = stdin.write_all(line.as_bytes()) {
            panic!(
                "{}: cannot write {message} to its stdin: {e}{}",
                self.bin,
                self.stderr_note()
            );
        }
    }

    /// The next message the node writes, parsed; panics after [`RECV_TIMEOUT`],
    /// when the node closes stdout, or on a line that is not a JSON object.
    #[track_caller]
    pub fn recv(&mut self) -> Value {
        let line = match self.lines.recv_timeout(RECV_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "{}: no message within {RECV_TIMEOUT:?}{}",
                self.bin,
                self.stderr_note()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "{}: stdout closed while a message was expected{}",
                self.bin,
                self.stderr_note()
            ),
        };
        self.parse(&line)
    }

    /// Sends `init` for `node_id` in a cluster of `node_ids` and checks the
    /// `init_ok` that answers it.
    #[track_caller]
    pub fn init(&mut self, node_id: &str, node_ids: &[&str]) {
        self.node_id = node_id.to_string();
        let reply = self.request(
            "c0",
            json!({"type": "init", "node_id": node_id, "node_ids": node_ids}),
        );
        assert_eq!(
            reply["body"]["type"], "init_ok",
            "{}: init answered with {reply}",
            self.bin
        );
    }

    /// Sends `body` from `src` to this node with a fresh `msg_id` and returns
    /// the next message, checking that it is the reply: addressed to `src`,
    /// with that `in_reply_to`. For nodes that write nothing else meanwhile.
    #[track_caller]
    pub fn request(&mut self, src: &str, mut body: Value) -> Value {
        self.last_msg_id += 1;
        let msg_id = self.last_msg_id;
        body["msg_id"] = msg_id.into();
        let dest = self.node_id.clone();
        self.send(json!({"src": src, "dest": dest, "body": body}));
        let reply = self.recv();
        assert!(
            reply["dest"] == src && reply["body"]["in_reply_to"] == msg_id,
            "{}: expected the reply to {src}'s msg_id {msg_id}, got {reply}",
            self.bin
        );
        reply
    }

    /// Closes stdin (end of input), collects every message the node still
    /// writes until it exits, and checks that it exited successfully.
    ///
    /// A node finishes its in-flight handlers before exiting, so the result
    /// is everything it had left to say: tests assert on it to prove that
    /// nothing unexpected was sent, without waiting for a quiet period.
    #[track_caller]
    pub fn shutdown(&mut self) -> Vec<Value> {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(RECV_TIMEOUT) {
                Ok(line) => rest.push(self.parse(&line)),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: still running {RECV_TIMEOUT:?} after its stdin was closed{}",
                    self.bin,
                    self.stderr_note()
                ),
            }
        }
        let status = self.child.wait();
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        match status {
            Ok(status) if status.success() => rest,
            Ok(status) => panic!(
                "{}: exited with {status} after its stdin was closed{}",
                self.bin,
                self.stderr_note()
            ),
            Err(e) => panic!("{}: cannot wait for it: {e}", self.bin),
        }
    }

    /// What the node wrote to stderr so far; all of it after `shutdown`.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// `line` as a JSON object, or a panic naming the line.
    #[track_caller]
    fn parse(&self, line: &str) -> Value {
        match serde_json::from_str::<Value>(line) {
            Ok(value) if value.is_object() => value,
            Ok(_) | Err(_) => panic!(
                "{}: wrote a line that is not a JSON object: {line:?}{}",
                self.bin,
                self.stderr_note()
            ),
        }
    }

    /// The node's stderr, set off for a panic message.
    fn stderr_note(&self) -> String {
        format!("\n--- stderr of the node ---\n{}", self.stderr())
    }
}

impl Drop for NodeProcess {
    /// Kills the node if it still runs, so a failed test leaves no process behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message `{"src","dest","body"}`, for tests that build their own.
pub fn message(src: &str, dest: &str, body: Value) -> Value {
    json!({"src": src, "dest": dest, "body": body})
}
