//! Nodes that use Maelstrom's services by writing raw JSON, for the runner's end-to-end tests
//! (`tests/services.rs`). The first trailing argument picks the node (`--bin kv_nodes -- probe`):
//!
//! | mode | run it with | what it does |
//! |---|---|---|
//! | `probe [MS]` | `-w echo --node-count 2` | answers `echo`, and from `init` on checks every service's replies (below); every round trip must take at least MS ms |
//! | `lin-kv-counter` | `-w g-counter` / `-w pn-counter` | a correct counter: each add is a read + `cas` loop on one `lin-kv` key, reads read it |
//! | `local-counter` | `-w g-counter` / `-w pn-counter` | a broken counter: each node counts only the adds it received itself |
//! | `local-set` | `-w g-set --node-count 1` | a grow-only set kept in the node (correct on one node only) |
//!
//! The probe compares each reply, without `in_reply_to`, with what Maelstrom's
//! `src/maelstrom/service.clj` answers. n0 checks `lin-kv`, `lin-tso`, `lww-kv` (two replicas
//! that never converge), waits for n1's `go`, then reads `seq-kv` as a node that has never used
//! it, which may see any retained state, and finally sends a request of an unknown type to each
//! service and checks that none answers. n1 writes x = 1..=30 to `seq-kv`, checks `cas` there,
//! and sends n0 `go`. On the first mismatch a probe prints what it sent, expected and got to
//! stderr and exits with status 1 (the runner reports the crash); when every check passed it
//! prints `probe passed: sent S, received R` (its messages to services and nodes, and the
//! replies it got), which the test adds up to check the runner's `:net :servers` counts.
//!
//! Plain std and serde_json on purpose: the tests must not depend on the node library.
#![allow(clippy::print_stdout)] // stdout is the network: this program speaks the protocol there.

use std::collections::{HashSet, VecDeque};
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a probe waits for a reply before calling it missing.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a probe listens for a reply that must not come.
const SILENCE: Duration = Duration::from_millis(400);
/// How many values n1 writes to `seq-kv` before n0 reads.
const SEQ_WRITES: i64 = 30;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().cloned().unwrap_or_default();
    if !["probe", "lin-kv-counter", "local-counter", "local-set"].contains(&mode.as_str()) {
        eprintln!("usage: kv_nodes <probe [MS]|lin-kv-counter|local-counter|local-set>");
        std::process::exit(2);
    }
    let min_rtt = Duration::from_millis(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0));
    let out = Arc::new(Mutex::new(io::stdout()));
    let (tx, rx) = mpsc::channel();
    let echo_out = Arc::clone(&out);
    // The reader: answers `echo` at once (the probe runs under the echo workload, and its checks
    // must not hold clients up), and passes every other message on.
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let Ok(msg) = serde_json::from_str::<Value>(&line) else {
                eprintln!("kv_nodes: ignoring a line that is not JSON: {line}");
                continue;
            };
            if msg["body"]["type"] == "echo" {
                let body = json!({
                    "type": "echo_ok",
                    "echo": msg["body"]["echo"],
                    "in_reply_to": msg["body"]["msg_id"],
                });
                let me = msg["dest"].as_str().unwrap_or_default();
                let client = msg["src"].as_str().unwrap_or_default();
                Net::write(&echo_out, me, client, body);
            } else if tx.send(msg).is_err() {
                break;
            }
        }
    });
    let mut net = Net::new(out, rx, min_rtt);
    let init = net.wait_for(|m| m["body"]["type"] == "init");
    net.id = init["body"]["node_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    net.reply(&init, json!({"type": "init_ok"}));
    match mode.as_str() {
        "probe" => probe(net),
        "lin-kv-counter" => counter(net, true),
        "local-counter" => counter(net, false),
        _ => set(net),
    }
}

/// The node's side of the network: stdout shared by the threads, incoming messages, msg ids.
struct Net {
    /// This node's id, from `init`.
    id: String,
    out: Arc<Mutex<io::Stdout>>,
    rx: Receiver<Value>,
    /// Messages that arrived while waiting for something else, oldest first.
    held: VecDeque<Value>,
    next_msg_id: u64,
    /// Ids of requests that must get no reply.
    silenced: HashSet<u64>,
    /// The shortest round trip allowed: the latency both ways.
    min_rtt: Duration,
    /// Messages sent to services and nodes (replies to clients not counted).
    sent: u64,
    /// Replies received to those requests.
    received: u64,
}

impl Net {
    fn new(out: Arc<Mutex<io::Stdout>>, rx: Receiver<Value>, min_rtt: Duration) -> Net {
        Net {
            id: String::new(),
            out,
            rx,
            held: VecDeque::new(),
            next_msg_id: 0,
            silenced: HashSet::new(),
            min_rtt,
            sent: 0,
            received: 0,
        }
    }

    fn write(out: &Mutex<io::Stdout>, src: &str, dest: &str, body: Value) {
        let line = json!({"src": src, "dest": dest, "body": body}).to_string();
        let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            std::process::exit(0);
        }
    }

    fn send(&mut self, dest: &str, body: Value) {
        self.sent += 1;
        Net::write(&self.out, &self.id, dest, body);
    }

    fn reply(&self, request: &Value, mut body: Value) {
        body["in_reply_to"] = request["body"]["msg_id"].clone();
        let dest = request["src"].as_str().unwrap_or_default();
        Net::write(&self.out, &self.id, dest, body);
    }

    /// The next incoming message, held ones first; None after `timeout`. Exits when stdin closes.
    fn next(&mut self, timeout: Duration) -> Option<Value> {
        if let Some(msg) = self.held.pop_front() {
            return Some(msg);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(msg) => {
                let in_reply_to = msg["body"]["in_reply_to"].as_u64();
                if in_reply_to.is_some_and(|id| self.silenced.contains(&id)) {
                    fail(&format!(
                        "{} answered a request it should ignore: {msg}",
                        msg["src"]
                    ));
                }
                Some(msg)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => std::process::exit(0),
        }
    }

    /// Waits for the first message `wanted` accepts, holding the others for later.
    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let mut skipped = Vec::new();
        let found = loop {
            match self.next(REPLY_TIMEOUT) {
                Some(msg) if wanted(&msg) => break msg,
                Some(msg) => skipped.push(msg),
                None => fail("timed out waiting for a message"),
            }
        };
        self.held.extend(skipped);
        found
    }

    /// Sends `body` to `dest` as an RPC and returns the reply's body without `in_reply_to`.
    fn call(&mut self, dest: &str, mut body: Value) -> Value {
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        body["msg_id"] = json!(msg_id);
        let started = Instant::now();
        self.send(dest, body.clone());
        let reply = self.wait_for(|m| m["body"]["in_reply_to"] == msg_id);
        self.received += 1;
        if started.elapsed() < self.min_rtt {
            fail(&format!(
                "{dest} answered {body} in {:?}, faster than {:?}",
                started.elapsed(),
                self.min_rtt
            ));
        }
        let mut reply_body = reply["body"].clone();
        if let Some(map) = reply_body.as_object_mut() {
            map.remove("in_reply_to");
        }
        reply_body
    }

    /// Fails unless `dest` answers `body` with exactly `expected` (besides `in_reply_to`).
    fn expect(&mut self, dest: &str, body: Value, expected: Value) {
        let got = self.call(dest, body.clone());
        if got != expected {
            fail(&format!(
                "{dest} answered {body}\n  with     {got}\n  expected {expected}"
            ));
        }
    }

    /// Sends `body`, which `dest` must never answer.
    fn expect_silence(&mut self, dest: &str, mut body: Value) {
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        self.silenced.insert(msg_id);
        body["msg_id"] = json!(msg_id);
        self.send(dest, body);
    }
}

/// Reports a failed check and ends the node (the runner reports the crash with this text).
fn fail(text: &str) -> ! {
    eprintln!("probe failed: {text}");
    std::process::exit(1);
}

fn error(code: i64, text: &str) -> Value {
    json!({"type": "error", "code": code, "text": text})
}

/// What a `read` of `key` on `dest` returned: the value, or None for error 20.
fn read(net: &mut Net, dest: &str, key: &str) -> Option<Value> {
    let reply = net.call(dest, json!({"type": "read", "key": key}));
    match reply["type"].as_str() {
        Some("read_ok") => Some(reply["value"].clone()),
        _ if reply == error(20, "key does not exist") => None,
        _ => fail(&format!("{dest} answered a read of {key} with {reply}")),
    }
}

/// The probe: the checks of this node, then nothing but echoes (answered by the reader) until
/// the test ends.
fn probe(mut net: Net) {
    match net.id.as_str() {
        "n0" => probe_n0(&mut net),
        "n1" => probe_n1(&mut net),
        other => fail(&format!("the probe runs as n0 and n1, not {other}")),
    }
    eprintln!("probe passed: sent {}, received {}", net.sent, net.received);
    loop {
        if let Some(msg) = net.next(Duration::from_secs(3600)) {
            eprintln!("kv_nodes: ignoring {msg}");
        }
    }
}

/// n0: lin-kv, lin-tso, lww-kv; then seq-kv as a newcomer; then requests no service answers.
fn probe_n0(net: &mut Net) {
    let ok = |kind: &str| json!({"type": kind});
    // lin-kv: read, write, cas, with and without create_if_not_exists, and the error texts.
    let kv = "lin-kv";
    net.expect(
        kv,
        json!({"type": "read", "key": "k"}),
        error(20, "key does not exist"),
    );
    net.expect(
        kv,
        json!({"type": "write", "key": "k", "value": 1}),
        ok("write_ok"),
    );
    net.expect(
        kv,
        json!({"type": "read", "key": "k"}),
        json!({"type": "read_ok", "value": 1}),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "k", "from": 2, "to": 3}),
        error(22, "current value 1 is not 2"),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "k", "from": 1.0, "to": 3}),
        error(22, "current value 1 is not 1.0"),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "k", "from": 1, "to": 3}),
        ok("cas_ok"),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "k", "from": "a", "to": 4}),
        error(22, "current value 3 is not \"a\""),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "new", "from": 0, "to": 1}),
        error(20, "key does not exist"),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "new", "from": 0, "to": [1, {"a": null}], "create_if_not_exists": true}),
        ok("cas_ok"),
    );
    net.expect(
        kv,
        json!({"type": "read", "key": "new"}),
        json!({"type": "read_ok", "value": [1, {"a": null}]}),
    );

    // lin-tso: 0, 1, 2.
    for ts in 0..3 {
        net.expect(
            "lin-tso",
            json!({"type": "ts"}),
            json!({"type": "ts_ok", "ts": ts}),
        );
    }

    // lww-kv: after one write, reads keep finding the value on one replica and not the other.
    let lww = "lww-kv";
    net.expect(
        lww,
        json!({"type": "write", "key": "x", "value": 1}),
        ok("write_ok"),
    );
    let seen: Vec<Option<Value>> = (0..40).map(|_| read(net, lww, "x")).collect();
    if !seen.contains(&Some(json!(1))) || !seen.contains(&None) {
        fail(&format!(
            "lww-kv reads should see both replicas, saw {seen:?}"
        ));
    }
    for _ in 0..10 {
        net.expect(
            lww,
            json!({"type": "cas", "key": "y", "from": 0, "to": 1, "create_if_not_exists": true}),
            error(20, "key does not exist"),
        );
    }
    for _ in 0..40 {
        net.expect(
            lww,
            json!({"type": "write", "key": "z", "value": "a"}),
            ok("write_ok"),
        );
    }
    net.expect(
        lww,
        json!({"type": "cas", "key": "z", "from": "b", "to": "c"}),
        error(22, "current value \"a\" is not b"),
    );

    // seq-kv: n0 has never used it, so its first reads may see any retained state; they never
    // go back, and they reach n1's last write.
    net.wait_for(|m| m["body"]["type"] == "go");
    let seen: Vec<Option<i64>> = (0..40)
        .map(|_| read(net, "seq-kv", "x").and_then(|v| v.as_i64()))
        .collect();
    if seen.windows(2).any(|w| w[1] < w[0]) {
        fail(&format!("seq-kv reads went back in time: {seen:?}"));
    }
    if seen.last() != Some(&Some(SEQ_WRITES)) || seen.first() == Some(&Some(SEQ_WRITES)) {
        fail(&format!(
            "seq-kv reads should start stale and end at {SEQ_WRITES}: {seen:?}"
        ));
    }

    // Types a service does not know get no reply at all.
    net.expect_silence("lin-kv", json!({"type": "ts"}));
    net.expect_silence("lin-tso", json!({"type": "read", "key": "k"}));
    net.expect_silence("seq-kv", json!({"type": "delete", "key": "x"}));
    net.expect_silence("lww-kv", json!({"key": "x"}));
    if let Some(msg) = net.next(SILENCE) {
        fail(&format!("unexpected message {msg}"));
    }
}

/// n1: writes x = 1..=30 to seq-kv, checks cas there, then tells n0 to read.
fn probe_n1(net: &mut Net) {
    let kv = "seq-kv";
    for value in 1..=SEQ_WRITES {
        net.expect(
            kv,
            json!({"type": "write", "key": "x", "value": value}),
            json!({"type": "write_ok"}),
        );
    }
    // The writer is always at the latest state.
    net.expect(
        kv,
        json!({"type": "read", "key": "x"}),
        json!({"type": "read_ok", "value": SEQ_WRITES}),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "c", "from": 0, "to": 1}),
        error(20, "key does not exist"),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "c", "from": 0, "to": 1, "create_if_not_exists": true}),
        json!({"type": "cas_ok"}),
    );
    net.expect(
        kv,
        json!({"type": "cas", "key": "c", "from": 5, "to": 6}),
        error(22, "current value 1 is not 5"),
    );
    net.send("n0", json!({"type": "go"}));
}

/// A counter node: `shared` keeps the count in lin-kv (correct); otherwise each node counts only
/// its own adds (wrong as soon as there are two nodes).
fn counter(mut net: Net, shared: bool) {
    let key = "counter";
    let mut local: i64 = 0;
    // The last value this node saw in lin-kv: the `from` of its next cas.
    let mut known: i64 = 0;
    loop {
        let Some(msg) = net.next(Duration::from_secs(3600)) else {
            continue;
        };
        let body = &msg["body"];
        match body["type"].as_str() {
            Some("add") => {
                let delta = body["delta"].as_i64().unwrap_or(0);
                if shared {
                    loop {
                        let cas = json!({"type": "cas", "key": key, "from": known, "to": known + delta, "create_if_not_exists": true});
                        let reply = net.call("lin-kv", cas);
                        if reply["type"] == "cas_ok" {
                            known += delta;
                            break;
                        }
                        known = read(&mut net, "lin-kv", key)
                            .and_then(|v| v.as_i64())
                            .unwrap_or(0);
                    }
                } else {
                    local += delta;
                }
                net.reply(&msg, json!({"type": "add_ok"}));
            }
            Some("read") => {
                let value = if shared {
                    read(&mut net, "lin-kv", key)
                        .and_then(|v| v.as_i64())
                        .unwrap_or(0)
                } else {
                    local
                };
                net.reply(&msg, json!({"type": "read_ok", "value": value}));
            }
            _ => eprintln!("kv_nodes: ignoring {msg}"),
        }
    }
}

/// A grow-only set kept in the node: `add` inserts the element, `read` returns them all.
fn set(mut net: Net) {
    let mut elements: Vec<Value> = Vec::new();
    loop {
        let Some(msg) = net.next(Duration::from_secs(3600)) else {
            continue;
        };
        let body = &msg["body"];
        match body["type"].as_str() {
            Some("add") => {
                if !elements.contains(&body["element"]) {
                    elements.push(body["element"].clone());
                }
                net.reply(&msg, json!({"type": "add_ok"}));
            }
            Some("read") => net.reply(&msg, json!({"type": "read_ok", "value": elements})),
            _ => eprintln!("kv_nodes: ignoring {msg}"),
        }
    }
}
