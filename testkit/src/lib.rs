//! Test helpers: drive a real node binary over its stdin/stdout, speaking
//! Maelstrom's protocol, one JSON message a line.
//!
//! ```no_run
//! use serde_json::json;
//! use testkit::NodeProcess;
//!
//! // In a part's tests/: NodeProcess::start(env!("CARGO_BIN_EXE_echo"), ...).
//! let mut node = NodeProcess::start("target/debug/echo", "n0", &["n0"]);
//! let reply = node.request("c1", json!({"type": "echo", "echo": "hi"}));
//! assert_eq!(reply["body"]["echo"], "hi");
//! assert!(node.shutdown().is_empty());
//! ```
//!
//! Nodes that also talk to their peers (or run timers) may write other
//! messages between a request and its reply: [`NodeProcess::recv_until`]
//! receives up to the wanted one and keeps the rest for the test to judge,
//! and the broadcast workload's client operations,
//! [`broadcast`](NodeProcess::broadcast) and [`read`](NodeProcess::read),
//! work that way.
//!
//! A helper that finds something wrong panics with a message naming the
//! binary, what was expected, what came instead and the node's stderr; the
//! helpers are `#[track_caller]`, so the failure points at the test's line.
//! The node is killed when the [`NodeProcess`] is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{json, Value};

pub mod raft;
pub mod txn;

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
        NodeProcess::spawn_in(bin, Path::new("."))
    }

    /// Starts `bin` with piped stdin/stdout/stderr in the working directory `dir` (a node's
    /// "disk", as the runner gives each node one).
    #[track_caller]
    pub fn spawn_in(bin: &str, dir: &Path) -> NodeProcess {
        let mut child = match Command::new(bin)
            .current_dir(dir)
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

    /// Starts `bin` and initialises it as `node_id` of the cluster `node_ids`.
    #[track_caller]
    pub fn start<S: AsRef<str>>(bin: &str, node_id: &str, node_ids: &[S]) -> NodeProcess {
        let mut node = NodeProcess::spawn(bin);
        node.init(node_id, node_ids);
        node
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

    /// Receives until a message matching `wanted` arrives and returns it; the ones before it go to `others`.
    #[track_caller]
    pub fn recv_until(
        &mut self,
        others: &mut Vec<Value>,
        wanted: impl Fn(&Value) -> bool,
    ) -> Value {
        loop {
            let msg = self.recv();
            if wanted(&msg) {
                return msg;
            }
            others.push(msg);
        }
    }

    /// Sends `body` from `src` to this node, as it is (no `msg_id` added).
    #[track_caller]
    pub fn send_from(&mut self, src: &str, body: Value) {
        let dest = self.node_id.clone();
        self.send(message(src, &dest, body));
    }

    /// Sends `init` for `node_id` in a cluster of `node_ids` and checks the
    /// `init_ok` that answers it.
    #[track_caller]
    pub fn init<S: AsRef<str>>(&mut self, node_id: &str, node_ids: &[S]) {
        self.node_id = node_id.to_string();
        let node_ids: Vec<&str> = node_ids.iter().map(AsRef::as_ref).collect();
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
    pub fn request(&mut self, src: &str, body: Value) -> Value {
        let msg_id = self.send_request(src, body);
        let reply = self.recv();
        assert!(
            reply["dest"] == src && reply["body"]["in_reply_to"] == msg_id,
            "{}: expected the reply to {src}'s msg_id {msg_id}, got {reply}",
            self.bin
        );
        reply
    }

    /// Sends a client `broadcast` of `value` from `client` and checks its exact `broadcast_ok`; other messages go to `others`.
    #[track_caller]
    pub fn broadcast(&mut self, client: &str, value: i64, others: &mut Vec<Value>) {
        let msg_id = self.send_request(client, json!({"type": "broadcast", "message": value}));
        let reply = self.recv_until(others, |m| m["dest"] == client);
        let ok = json!({"type": "broadcast_ok", "in_reply_to": msg_id});
        assert_eq!(
            reply,
            message(&self.node_id, client, ok),
            "{}: the answer to {client}'s broadcast of {value}",
            self.bin
        );
    }

    /// Sends a client `read` from `client` and returns the sorted values of its `read_ok`; other messages go to `others`.
    #[track_caller]
    pub fn read(&mut self, client: &str, others: &mut Vec<Value>) -> Vec<i64> {
        let msg_id = self.send_request(client, json!({"type": "read"}));
        let reply = self.recv_until(others, |m| m["dest"] == client);
        assert!(
            reply["body"]["type"] == "read_ok" && reply["body"]["in_reply_to"] == msg_id,
            "{}: expected the read_ok to {client}'s msg_id {msg_id}, got {reply}",
            self.bin
        );
        let mut values = values(&reply);
        values.sort_unstable();
        values
    }

    /// Sends `body` from `src` to this node with a fresh `msg_id`, and returns that id.
    #[track_caller]
    fn send_request(&mut self, src: &str, mut body: Value) -> u64 {
        self.last_msg_id += 1;
        body["msg_id"] = self.last_msg_id.into();
        self.send_from(src, body);
        self.last_msg_id
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

/// The ids `n0` ... `n{count-1}`, as Maelstrom names a cluster's nodes.
pub fn node_ids(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("n{i}")).collect()
}

/// The integers of `msg`'s `body.messages` (a `read_ok`, or a part's own gossip), in order; panics on anything else.
#[track_caller]
pub fn values(msg: &Value) -> Vec<i64> {
    let Some(values) = msg["body"]["messages"].as_array() else {
        panic!("no messages array in {msg}");
    };
    values
        .iter()
        .map(|v| match v.as_i64() {
            Some(v) => v,
            None => panic!("a value that is not an integer, {v}, in {msg}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `node_ids` counts from `n0`, the way Maelstrom names nodes.
    #[test]
    fn node_ids_are_n0_to_n_count_minus_one() {
        assert_eq!(node_ids(3), ["n0", "n1", "n2"]);
        assert_eq!(node_ids(0), Vec::<String>::new());
    }

    /// `values` keeps the order and the duplicates of `body.messages`.
    #[test]
    fn values_reads_body_messages_in_order() {
        let msg = message(
            "n1",
            "c1",
            json!({"type": "read_ok", "messages": [3, -1, 3]}),
        );
        assert_eq!(values(&msg), [3, -1, 3]);
    }

    /// `values` refuses a value that is not an integer rather than dropping it.
    #[test]
    #[should_panic(expected = "not an integer")]
    fn values_rejects_a_non_integer() {
        values(&message("n1", "c1", json!({"messages": [1, "2"]})));
    }

    /// `values` refuses a body without a `messages` array.
    #[test]
    #[should_panic(expected = "no messages array")]
    fn values_rejects_a_missing_array() {
        values(&message("n1", "c1", json!({"type": "read_ok"})));
    }

    /// `recv_until` returns the first match and keeps what came before it, in
    /// order; what came after stays to be received (`cat` plays the node).
    #[test]
    fn recv_until_keeps_the_messages_before_the_match() {
        let mut node = NodeProcess::spawn("cat");
        for n in 1..=4 {
            node.send(message("n0", "c1", json!({"n": n})));
        }
        let mut others = Vec::new();
        let found = node.recv_until(&mut others, |m| m["body"]["n"] == 3);
        assert_eq!(found["body"]["n"], 3);
        let before: Vec<&Value> = others.iter().map(|m| &m["body"]["n"]).collect();
        assert_eq!(before, [1, 2]);
        assert_eq!(node.shutdown(), [message("n0", "c1", json!({"n": 4}))]);
    }
}
