//! End-to-end tests of `Node`: a node runs over in-memory pipes and the tests
//! speak the protocol to it, line by line, as Maelstrom would.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use common::{
    Error, Message, Node, RpcError, CRASH, MALFORMED_REQUEST, NOT_SUPPORTED, PRECONDITION_FAILED,
    TEMPORARILY_UNAVAILABLE, TIMEOUT,
};

/// How long a test waits for a line before it fails (generous: the machine is busy).
const PATIENCE: Duration = Duration::from_secs(20);

/// The node's stdin: lines the test pushes through a channel; EOF once the
/// test drops its sender.
struct ChannelReader {
    chunks: mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChannelReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

/// The node's stdout: reassembles bytes into lines and hands each whole line
/// to the test, so a message written in pieces or interleaved shows up as a
/// broken line.
struct ChannelWriter {
    partial: Vec<u8>,
    lines: mpsc::Sender<String>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        for &byte in data {
            if byte == b'\n' {
                let line = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                // The test may have stopped listening; that is not the node's problem.
                let _ = self.lines.send(line);
            } else {
                self.partial.push(byte);
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The test's end of a node's pipes.
struct Wire {
    input: Option<mpsc::Sender<Vec<u8>>>,
    output: mpsc::Receiver<String>,
    running: Option<thread::JoinHandle<Result<(), Error>>>,
}

/// A node over fresh in-memory pipes; register handlers, then `start`.
fn node_with_wire() -> (Node, Wire) {
    let (input, chunks) = mpsc::channel();
    let (lines, output) = mpsc::channel();
    let reader = ChannelReader {
        chunks,
        chunk: Vec::new(),
        pos: 0,
    };
    let writer = ChannelWriter {
        partial: Vec::new(),
        lines,
    };
    let wire = Wire {
        input: Some(input),
        output,
        running: None,
    };
    (Node::with_io(reader, writer), wire)
}

impl Wire {
    /// Runs the node on its own thread and initialises it (see `init`).
    #[track_caller]
    fn start(&mut self, node: &Node) {
        self.start_uninitialised(node);
        self.init();
    }

    /// Runs the node on its own thread, without sending `init`.
    fn start_uninitialised(&mut self, node: &Node) {
        let runner = node.clone();
        self.running = Some(thread::spawn(move || runner.run()));
    }

    /// Sends one raw line (a newline is added).
    #[track_caller]
    fn send_raw(&self, line: &[u8]) {
        let mut line = line.to_vec();
        line.push(b'\n');
        let sent = self.input.as_ref().map(|input| input.send(line));
        assert!(matches!(sent, Some(Ok(()))), "the node's input is closed");
    }

    /// Sends one message to node n1.
    #[track_caller]
    fn send(&self, src: &str, body: Value) {
        let line = json!({"src": src, "dest": "n1", "body": body}).to_string();
        self.send_raw(line.as_bytes());
    }

    /// Initialises the node as n1 of n1..n3 and checks the init_ok.
    #[track_caller]
    fn init(&self) {
        let body =
            json!({"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1", "n2", "n3"]});
        self.send("c0", body);
        assert_eq!(
            self.recv(),
            json!({"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1}})
        );
    }

    /// The next line the node writes, as written.
    #[track_caller]
    fn recv_line(&self) -> String {
        match self.output.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(e) => panic!("no line from the node within {PATIENCE:?}: {e}"),
        }
    }

    /// The next line the node writes, parsed.
    #[track_caller]
    fn recv(&self) -> Value {
        let line = self.recv_line();
        match serde_json::from_str(&line) {
            Ok(value) => value,
            Err(e) => panic!("the node wrote a line that is not JSON ({e}): {line}"),
        }
    }

    /// Closes the input, waits for `run` to return, and gives back every line
    /// written after the ones already received.
    #[track_caller]
    fn finish(mut self) -> Vec<String> {
        self.input = None;
        let running = self.running.take().map(|running| running.join());
        match running {
            Some(Ok(Ok(()))) => {}
            other => panic!("run did not end cleanly: {other:?}"),
        }
        self.output.try_iter().collect()
    }
}

/// A node with an `echo` handler, the simplest useful node.
fn echo_node() -> (Node, Wire) {
    let (node, wire) = node_with_wire();
    let handle = node.clone();
    node.handle("echo", move |msg| {
        let echo = msg.body.get("echo").cloned().unwrap_or(Value::Null);
        handle.reply(&msg, &json!({"type": "echo_ok", "echo": echo}))
    });
    (node, wire)
}

/// The library answers init with init_ok and in_reply_to, records the ids, and runs the part's init handler first.
#[test]
fn init_is_answered_and_ids_recorded() {
    let (node, mut wire) = node_with_wire();
    let (seen, saw) = mpsc::channel();
    let handle = node.clone();
    node.handle("init", move |_msg| {
        let _ = seen.send((handle.id(), handle.node_ids()));
        Ok(())
    });
    wire.start(&node);
    assert_eq!(
        saw.recv_timeout(PATIENCE).ok(),
        Some((
            "n1".to_string(),
            vec!["n1".to_string(), "n2".into(), "n3".into()]
        ))
    );
    assert_eq!(node.id(), "n1");
    assert_eq!(node.node_ids(), ["n1", "n2", "n3"]);
    assert!(wire.finish().is_empty());
}

/// reply adds in_reply_to (only when the request had a msg_id), send adds nothing, and no key is ever null.
#[test]
fn reply_and_send_write_exact_json() {
    let (node, mut wire) = node_with_wire();
    let handle = node.clone();
    node.handle("ping", move |msg| {
        handle.reply(&msg, &json!({"type": "pong", "n": 1}))?;
        handle.send("n2", &json!({"type": "note", "list": [1, 2]}))
    });
    wire.start(&node);
    wire.send("c1", json!({"type": "ping", "msg_id": 7}));
    let mut lines = [wire.recv(), wire.recv()];
    lines.sort_by_key(|line| line["dest"].to_string());
    assert_eq!(
        lines,
        [
            json!({"src": "n1", "dest": "c1", "body": {"type": "pong", "n": 1, "in_reply_to": 7}}),
            json!({"src": "n1", "dest": "n2", "body": {"type": "note", "list": [1, 2]}}),
        ]
    );
    // Without a msg_id there is nothing to reply to: in_reply_to is left out, not null.
    wire.send("n3", json!({"type": "ping"}));
    let mut lines = [wire.recv(), wire.recv()];
    lines.sort_by_key(|line| line["dest"].to_string());
    assert_eq!(
        lines[1],
        json!({"src": "n1", "dest": "n3", "body": {"type": "pong", "n": 1}})
    );
    assert!(wire.finish().is_empty());
}

/// A body that is not a JSON object cannot be sent, and says so.
#[test]
fn non_object_bodies_are_refused() {
    let (node, wire) = node_with_wire();
    match node.send("n2", &5) {
        Err(Error::Other(text)) => assert!(text.contains("JSON object"), "{text}"),
        other => panic!("expected Error::Other, got {other:?}"),
    }
    let request = Message {
        src: "c1".into(),
        dest: "n1".into(),
        body: json!({"type": "x", "msg_id": 1}),
    };
    assert!(matches!(
        node.reply(&request, &"text"),
        Err(Error::Other(_))
    ));
    assert!(matches!(
        node.rpc("n2", &[1, 2], |_| Ok(())),
        Err(Error::Other(_))
    ));
    drop(wire);
}

/// rpc gives each request a fresh msg_id and routes each reply to its own callback, whatever the reply order.
#[test]
fn rpc_replies_reach_their_callbacks() {
    let (node, mut wire) = node_with_wire();
    let handle = node.clone();
    node.handle("fetch", move |msg| {
        let key = msg.body["key"].clone();
        let client = msg.src.clone();
        let reporter = handle.clone();
        handle.rpc("n2", &json!({"type": "read", "key": key}), move |reply| {
            let body = json!({"type": "fetched", "key": key, "value": reply.body["value"]});
            reporter.send(&client, &body)
        })
    });
    wire.start(&node);
    wire.send("c1", json!({"type": "fetch", "key": "a"}));
    let first = wire.recv();
    wire.send("c1", json!({"type": "fetch", "key": "b"}));
    let second = wire.recv();
    assert_eq!(first["body"]["type"], "read");
    let (a, b) = (&first["body"]["msg_id"], &second["body"]["msg_id"]);
    assert!(a.is_u64() && b.is_u64() && a != b, "msg_ids {a} and {b}");
    // Answer b before a, each with a value the callback must pair with its own key.
    wire.send(
        "n2",
        json!({"type": "read_ok", "in_reply_to": b, "value": 2}),
    );
    wire.send(
        "n2",
        json!({"type": "read_ok", "in_reply_to": a, "value": 1}),
    );
    let mut got = [wire.recv(), wire.recv()];
    got.sort_by_key(|line| line["body"]["key"].to_string());
    assert_eq!(
        got,
        [
            json!({"src": "n1", "dest": "c1", "body": {"type": "fetched", "key": "a", "value": 1}}),
            json!({"src": "n1", "dest": "c1", "body": {"type": "fetched", "key": "b", "value": 2}}),
        ]
    );
    assert!(wire.finish().is_empty());
}

/// A node whose `ask` handler calls sync_rpc to n2 and answers the client with the reply's value.
fn asking_node(timeout: Duration) -> (Node, Wire) {
    let (node, wire) = echo_node();
    let handle = node.clone();
    node.handle("ask", move |msg| {
        let reply = handle.sync_rpc("n2", &json!({"type": "read"}), timeout)?;
        let value = reply.body["value"].clone();
        handle.reply(&msg, &json!({"type": "ask_ok", "value": value}))
    });
    (node, wire)
}

/// sync_rpc returns the peer's reply to the blocked handler.
#[test]
fn sync_rpc_returns_the_reply() {
    let (node, mut wire) = asking_node(PATIENCE);
    wire.start(&node);
    wire.send("c1", json!({"type": "ask", "msg_id": 5}));
    let request = wire.recv();
    assert_eq!(request["dest"], "n2");
    assert_eq!(request["body"]["type"], "read");
    let msg_id = request["body"]["msg_id"].clone();
    wire.send(
        "n2",
        json!({"type": "read_ok", "in_reply_to": msg_id, "value": 42}),
    );
    assert_eq!(
        wire.recv(),
        json!({"src": "n1", "dest": "c1", "body": {"type": "ask_ok", "value": 42, "in_reply_to": 5}})
    );
    assert!(wire.finish().is_empty());
}

/// sync_rpc turns the peer's error reply into that RpcError, which the handler passes back to its client.
#[test]
fn sync_rpc_returns_the_peers_error() {
    let (node, mut wire) = asking_node(PATIENCE);
    wire.start(&node);
    wire.send("c1", json!({"type": "ask", "msg_id": 5}));
    let msg_id = wire.recv()["body"]["msg_id"].clone();
    wire.send(
        "n2",
        json!({"type": "error", "in_reply_to": msg_id, "code": 22, "text": "stale"}),
    );
    assert_eq!(
        wire.recv(),
        json!({"src": "n1", "dest": "c1",
               "body": {"type": "error", "code": 22, "text": "stale", "in_reply_to": 5}})
    );
    assert!(wire.finish().is_empty());
}

/// sync_rpc gives up with code 0 when no reply comes; a late reply is then ignored.
#[test]
fn sync_rpc_times_out_with_code_0() {
    let (node, mut wire) = asking_node(Duration::from_millis(50));
    wire.start(&node);
    wire.send("c1", json!({"type": "ask", "msg_id": 5}));
    let msg_id = wire.recv()["body"]["msg_id"].clone();
    let error = wire.recv();
    assert_eq!(error["dest"], "c1");
    assert_eq!(error["body"]["type"], "error");
    assert_eq!(error["body"]["code"], TIMEOUT);
    assert_eq!(error["body"]["in_reply_to"], 5);
    assert!(
        error["body"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("n2")),
        "{error}"
    );
    // The late reply finds nobody waiting; the node goes on answering.
    wire.send(
        "n2",
        json!({"type": "read_ok", "in_reply_to": msg_id, "value": 1}),
    );
    wire.send("c1", json!({"type": "echo", "echo": "after", "msg_id": 6}));
    assert_eq!(wire.recv()["body"]["echo"], "after");
    assert!(wire.finish().is_empty());
}

/// While a handler waits in sync_rpc, the node keeps reading and answering other requests.
#[test]
fn blocked_handler_does_not_stop_the_node() {
    let (node, mut wire) = asking_node(PATIENCE);
    wire.start(&node);
    wire.send("c1", json!({"type": "ask", "msg_id": 5}));
    let msg_id = wire.recv()["body"]["msg_id"].clone();
    for i in 0..20 {
        wire.send("c2", json!({"type": "echo", "echo": i, "msg_id": 100 + i}));
    }
    let mut echoed: Vec<i64> = (0..20)
        .map(|_| wire.recv()["body"]["echo"].as_i64().unwrap_or(-1))
        .collect();
    echoed.sort_unstable();
    assert_eq!(echoed, (0..20).collect::<Vec<_>>());
    wire.send(
        "n2",
        json!({"type": "read_ok", "in_reply_to": msg_id, "value": 7}),
    );
    assert_eq!(
        wire.recv()["body"],
        json!({"type": "ask_ok", "value": 7, "in_reply_to": 5})
    );
    assert!(wire.finish().is_empty());
}

/// Many handlers blocked in sync_rpc at once still leave the node answering.
#[test]
fn many_blocked_handlers_do_not_starve_the_node() {
    let (node, mut wire) = asking_node(PATIENCE);
    wire.start(&node);
    let mut waiting = Vec::new();
    for i in 0..10 {
        wire.send("c1", json!({"type": "ask", "msg_id": i}));
        waiting.push(wire.recv()["body"]["msg_id"].clone());
    }
    wire.send(
        "c2",
        json!({"type": "echo", "echo": "still here", "msg_id": 99}),
    );
    assert_eq!(wire.recv()["body"]["echo"], "still here");
    for (value, msg_id) in waiting.iter().enumerate() {
        wire.send(
            "n2",
            json!({"type": "read_ok", "in_reply_to": msg_id, "value": value}),
        );
    }
    let mut answers: Vec<(i64, i64)> = (0..10)
        .map(|_| {
            let body = wire.recv()["body"].clone();
            (
                body["in_reply_to"].as_i64().unwrap_or(-1),
                body["value"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    answers.sort_unstable();
    assert_eq!(answers, (0..10).map(|i| (i, i)).collect::<Vec<_>>());
    assert!(wire.finish().is_empty());
}

/// A type without a handler gets not-supported (10) naming the type.
#[test]
fn unknown_type_is_not_supported() {
    let (node, mut wire) = echo_node();
    wire.start(&node);
    wire.send("c1", json!({"type": "frobnicate", "msg_id": 3}));
    assert_eq!(
        wire.recv(),
        json!({"src": "n1", "dest": "c1", "body": {"type": "error", "code": NOT_SUPPORTED,
               "text": "no handler for message type \"frobnicate\"", "in_reply_to": 3}})
    );
    assert!(wire.finish().is_empty());
}

/// Lines that are not messages are skipped without a word on stdout, and the node keeps answering.
#[test]
fn malformed_lines_are_skipped() {
    let (node, mut wire) = echo_node();
    wire.start(&node);
    wire.send_raw(b"this is not json");
    wire.send_raw(b"");
    wire.send_raw(b"[1, 2, 3]");
    wire.send_raw(b"{\"src\":\"c1\",\"body\":{\"type\":\"echo\",\"msg_id\":1}}"); // no dest
    wire.send_raw(b"{\"src\":\"c1\",\"dest\":\"n1\"}"); // no body
    wire.send("c1", json!({"echo": "no type", "msg_id": 2}));
    wire.send("c1", json!({"type": 5, "msg_id": 3}));
    wire.send_raw(
        b"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"echo\",\"echo\":\"\xff\xfe\"}}",
    );
    wire.send_raw(b"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"ec");
    // Arrays where objects belong, which serde would read as structs.
    wire.send_raw(b"{\"src\":\"c1\",\"dest\":\"n1\",\"body\":[\"echo\",null]}");
    wire.send_raw(b"[\"c1\",\"n1\",{\"type\":\"echo\",\"echo\":\"x\",\"msg_id\":9}]");
    // An error message nobody asked for is not answered (no error ping-pong).
    wire.send("n2", json!({"type": "error", "code": 10, "text": "no"}));
    wire.send("c1", json!({"type": "echo", "echo": "good", "msg_id": 4}));
    assert_eq!(
        wire.recv(),
        json!({"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "good", "in_reply_to": 4}})
    );
    assert_eq!(wire.finish(), Vec::<String>::new());
}

/// A body the handler cannot read is answered with malformed-request (12).
#[test]
fn unreadable_body_is_malformed_request() {
    #[derive(serde::Deserialize)]
    struct Add {
        #[allow(dead_code)] // only its presence is checked
        delta: i64,
    }
    let (node, mut wire) = node_with_wire();
    node.handle("add", |msg| msg.body::<Add>().map(|_| ()));
    wire.start(&node);
    wire.send("c1", json!({"type": "add", "delta": "three", "msg_id": 9}));
    let body = wire.recv()["body"].clone();
    assert_eq!(body["code"], MALFORMED_REQUEST);
    assert_eq!(body["in_reply_to"], 9);
    assert!(
        body["text"].as_str().is_some_and(|t| t.contains("\"add\"")),
        "{body}"
    );
    assert!(wire.finish().is_empty());
}

/// A handler's RpcError goes back as is; any other error as crash (13) with its text.
#[test]
fn handler_errors_are_sent_back() {
    let (node, mut wire) = node_with_wire();
    node.handle("cas", |_msg| {
        Err(RpcError::new(22, "expected 1, found 2").into())
    });
    node.handle("fail", |_msg| Err(Error::from("disk on fire")));
    wire.start(&node);
    wire.send("c1", json!({"type": "cas", "msg_id": 1}));
    assert_eq!(
        wire.recv()["body"],
        json!({"type": "error", "code": 22, "text": "expected 1, found 2", "in_reply_to": 1})
    );
    wire.send("c1", json!({"type": "fail", "msg_id": 2}));
    assert_eq!(
        wire.recv()["body"],
        json!({"type": "error", "code": CRASH, "text": "disk on fire", "in_reply_to": 2})
    );
    assert!(wire.finish().is_empty());
}

/// A panicking handler gets crash (13) with the panic message, and the node keeps running.
#[test]
fn handler_panic_is_crash_and_node_survives() {
    let (node, mut wire) = echo_node();
    node.handle("boom", |_msg| panic!("kaboom {}", 42));
    wire.start(&node);
    for msg_id in [1, 2] {
        wire.send("c1", json!({"type": "boom", "msg_id": msg_id}));
        let body = wire.recv()["body"].clone();
        assert_eq!(body["code"], CRASH);
        assert_eq!(body["in_reply_to"], msg_id);
        assert!(
            body["text"]
                .as_str()
                .is_some_and(|t| t.contains("kaboom 42")),
            "{body}"
        );
    }
    wire.send("c1", json!({"type": "echo", "echo": "alive", "msg_id": 3}));
    assert_eq!(wire.recv()["body"]["echo"], "alive");
    assert!(wire.finish().is_empty());
}

/// run returns only after the handlers still running have finished and their output is written.
#[test]
fn run_waits_for_in_flight_handlers() {
    let (node, mut wire) = node_with_wire();
    let handle = node.clone();
    node.handle("slow", move |msg| {
        thread::sleep(Duration::from_millis(300));
        handle.reply(&msg, &json!({"type": "slow_ok"}))
    });
    wire.start(&node);
    wire.send("c1", json!({"type": "slow", "msg_id": 1}));
    let rest = wire.finish();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(rest[0].contains("slow_ok"), "{rest:?}");
}

/// Registering a second handler for a type is a programming error and panics.
#[test]
#[should_panic(expected = "duplicate message handler")]
fn duplicate_handler_panics() {
    let (node, _wire) = node_with_wire();
    node.handle("echo", |_msg| Ok(()));
    node.handle("echo", |_msg| Ok(()));
}

/// Messages sent at once from many handlers and threads come out as whole lines, never interleaved.
#[test]
fn concurrent_output_is_never_interleaved() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 200;
    const REQUESTS: usize = 500;
    let (node, mut wire) = node_with_wire();
    let handle = node.clone();
    // Big replies cross the output buffer's boundaries.
    node.handle("big", move |msg| {
        let n = msg.body["n"].as_u64().unwrap_or(0);
        let payload = format!("r{n}-").repeat(500);
        handle.reply(&msg, &json!({"type": "big_ok", "n": n, "payload": payload}))
    });
    wire.start(&node);
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let node = node.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let payload = format!("t{t}i{i}-").repeat(300);
                    let body = json!({"type": "note", "t": t, "i": i, "payload": payload});
                    node.send("n2", &body)?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for n in 0..REQUESTS {
        wire.send("c1", json!({"type": "big", "n": n, "msg_id": n}));
    }
    for sender in senders {
        assert!(matches!(sender.join(), Ok(Ok(()))));
    }
    let mut notes = 0;
    let mut replies = 0;
    for _ in 0..THREADS * PER_THREAD + REQUESTS {
        let body = wire.recv()["body"].clone();
        let expected = match body["type"].as_str() {
            Some("note") => {
                notes += 1;
                format!("t{}i{}-", body["t"], body["i"]).repeat(300)
            }
            Some("big_ok") => {
                replies += 1;
                assert_eq!(body["n"], body["in_reply_to"]);
                format!("r{}-", body["n"]).repeat(500)
            }
            _ => panic!("unexpected message {body}"),
        };
        assert_eq!(body["payload"].as_str(), Some(expected.as_str()));
    }
    assert_eq!((notes, replies), (THREADS * PER_THREAD, REQUESTS));
    assert!(wire.finish().is_empty());
}

/// A handler blocked outside sync_rpc (here on a channel) does not stop the node either.
#[test]
fn handler_blocked_elsewhere_does_not_stop_the_node() {
    let (node, mut wire) = echo_node();
    let (release, released) = mpsc::channel::<()>();
    let released = parking_lot::Mutex::new(released);
    let handle = node.clone();
    node.handle("wait", move |msg| {
        let outcome = released.lock().recv_timeout(PATIENCE);
        let body = json!({"type": "wait_ok", "released": outcome.is_ok()});
        handle.reply(&msg, &body)
    });
    wire.start(&node);
    wire.send("c1", json!({"type": "wait", "msg_id": 1}));
    wire.send(
        "c1",
        json!({"type": "echo", "echo": "meanwhile", "msg_id": 2}),
    );
    assert_eq!(wire.recv()["body"]["echo"], "meanwhile");
    assert!(release.send(()).is_ok());
    assert_eq!(
        wire.recv()["body"],
        json!({"type": "wait_ok", "released": true, "in_reply_to": 1})
    );
    assert!(wire.finish().is_empty());
}

/// A refused second init changes nothing: the ids stay, later messages go out from the first id, the part's init handler is not run again.
#[test]
fn a_refused_init_changes_nothing() {
    let (node, mut wire) = echo_node();
    let (seen, saw) = mpsc::channel();
    node.handle("init", move |msg| {
        let _ = seen.send(msg.body["node_id"].clone());
        Ok(())
    });
    wire.start(&node);
    assert_eq!(saw.recv_timeout(PATIENCE).ok(), Some(json!("n1")));
    let second_inits = [
        // Another id, another cluster.
        json!({"type": "init", "msg_id": 2, "node_id": "n9", "node_ids": ["n9"]}),
        // The same init again.
        json!({"type": "init", "msg_id": 3, "node_id": "n1", "node_ids": ["n1", "n2", "n3"]}),
        // A malformed one.
        json!({"type": "init", "msg_id": 4, "node_id": "n7"}),
    ];
    for (init, msg_id) in second_inits.into_iter().zip(2..) {
        wire.send("c9", init);
        let reply = wire.recv();
        assert_eq!(reply["src"], "n1", "{reply}");
        assert_eq!(reply["dest"], "c9", "{reply}");
        assert_eq!(reply["body"]["type"], "error", "{reply}");
        assert_eq!(reply["body"]["code"], PRECONDITION_FAILED, "{reply}");
        assert_eq!(reply["body"]["in_reply_to"], msg_id, "{reply}");
        let text = reply["body"]["text"].as_str().unwrap_or("");
        assert!(text.contains("already initialised as \"n1\""), "{reply}");
    }
    assert_eq!(
        (node.id(), node.node_ids()),
        ("n1".into(), vec!["n1".into(), "n2".into(), "n3".into()])
    );
    wire.send("c1", json!({"type": "echo", "echo": "who", "msg_id": 5}));
    assert_eq!(
        wire.recv(),
        json!({"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "who", "in_reply_to": 5}})
    );
    assert!(saw.try_recv().is_err(), "the part's init handler ran again");
    assert!(wire.finish().is_empty());
}

/// An init that the part's own init handler refuses leaves the node uninitialised, and a later init can succeed.
#[test]
fn an_init_the_part_refuses_changes_nothing() {
    let (node, mut wire) = echo_node();
    let refused = std::sync::atomic::AtomicBool::new(false);
    node.handle("init", move |msg| {
        if refused.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let id = msg.body["node_id"].clone();
        Err(RpcError::new(MALFORMED_REQUEST, format!("no thanks, {id}")).into())
    });
    wire.start_uninitialised(&node);
    // Refused by the library before the part's handler sees them.
    let bad_inits = [
        json!({"type": "init", "msg_id": "1", "node_id": "n5", "node_ids": ["n5"]}),
        json!({"type": "init", "msg_id": 1, "node_id": "", "node_ids": []}),
    ];
    for init in bad_inits {
        wire.send("c0", init);
        let reply = wire.recv();
        assert_eq!(reply["body"]["code"], MALFORMED_REQUEST, "{reply}");
        assert_eq!(reply["src"], "n1", "{reply}");
        assert_eq!(node.id(), "");
    }
    wire.send(
        "c0",
        json!({"type": "init", "msg_id": 1, "node_id": "n5", "node_ids": ["n5"]}),
    );
    let reply = wire.recv();
    assert_eq!(reply["body"]["code"], MALFORMED_REQUEST, "{reply}");
    let text = reply["body"]["text"].as_str().unwrap_or("");
    assert!(text.contains("no thanks"), "{reply}");
    assert_eq!(node.id(), "");
    assert!(node.node_ids().is_empty());
    // Still uninitialised: a request is refused as before init.
    wire.send("c1", json!({"type": "echo", "echo": 1, "msg_id": 2}));
    assert_eq!(wire.recv()["body"]["code"], TEMPORARILY_UNAVAILABLE);
    wire.init();
    assert!(wire.finish().is_empty());
}

/// A msg_id that is not an integer from 0 to 2^64-1 gets malformed-request naming the field, echoing the msg_id exactly, and no handler runs.
#[test]
fn a_msg_id_that_is_not_one_is_malformed_request() {
    let (node, mut wire) = echo_node();
    wire.start(&node);
    // Each bad msg_id as written, and as it must come back in in_reply_to.
    let bad: [(&str, Option<&str>); 9] = [
        (r#""7""#, Some(r#""7""#)),
        ("-1", Some("-1")),
        ("1.5", Some("1.5")),
        ("7.0", Some("7.0")),
        ("1e3", Some("1e3")),
        ("18446744073709551616", Some("18446744073709551616")),
        ("true", Some("true")),
        (r#"{"n":1}"#, Some(r#"{"n":1}"#)),
        ("null", None),
    ];
    for msg_type in ["echo", "frobnicate"] {
        for (written, echoed) in bad {
            let line = format!(
                r#"{{"src":"c1","dest":"n1","body":{{"type":"{msg_type}","echo":"x","msg_id":{written}}}}}"#
            );
            wire.send_raw(line.as_bytes());
            let reply = wire.recv_line();
            let context = format!("msg_id {written} on {msg_type}: {reply}");
            match echoed {
                Some(echoed) => {
                    let field = format!(r#""in_reply_to":{echoed}"#);
                    assert!(reply.contains(&field), "{context}");
                }
                None => assert!(!reply.contains("in_reply_to"), "{context}"),
            }
            let reply: Value = serde_json::from_str(&reply).unwrap_or(Value::Null);
            assert_eq!(
                (&reply["src"], &reply["dest"]),
                (&json!("n1"), &json!("c1")),
                "{context}"
            );
            assert_eq!(reply["body"]["type"], "error", "{context}");
            assert_eq!(reply["body"]["code"], MALFORMED_REQUEST, "{context}");
            let text = reply["body"]["text"].as_str().unwrap_or("");
            assert!(text.contains("msg_id must be an integer"), "{context}");
            assert!(text.contains(written), "{context}");
        }
    }
    // The largest msg_id is a good one.
    wire.send(
        "c1",
        json!({"type": "echo", "echo": "max", "msg_id": u64::MAX}),
    );
    assert_eq!(wire.recv()["body"]["in_reply_to"], u64::MAX);
    assert!(wire.finish().is_empty());
}

/// Before init every request gets temporarily-unavailable (11), sent from the id it was addressed to; after init the node serves as usual.
#[test]
fn requests_before_init_are_temporarily_unavailable() {
    let (node, mut wire) = echo_node();
    wire.start_uninitialised(&node);
    for (msg_type, msg_id) in [("echo", 3), ("frobnicate", 4)] {
        wire.send(
            "c1",
            json!({"type": msg_type, "echo": "early", "msg_id": msg_id}),
        );
        let reply = wire.recv();
        assert_eq!(
            (&reply["src"], &reply["dest"]),
            (&json!("n1"), &json!("c1")),
            "{reply}"
        );
        assert_eq!(reply["body"]["code"], TEMPORARILY_UNAVAILABLE, "{reply}");
        assert_eq!(reply["body"]["in_reply_to"], msg_id, "{reply}");
        let text = reply["body"]["text"].as_str().unwrap_or("");
        assert!(text.contains("before init"), "{reply}");
    }
    // Without a msg_id there is nobody to tell: nothing is written.
    wire.send("n2", json!({"type": "echo", "echo": "gossip"}));
    // A bad msg_id before init is malformed too, also answered as n1.
    wire.send("c1", json!({"type": "echo", "echo": "x", "msg_id": "5"}));
    let reply = wire.recv();
    assert_eq!(
        (&reply["src"], &reply["body"]["code"]),
        (&json!("n1"), &json!(MALFORMED_REQUEST)),
        "{reply}"
    );
    wire.init();
    wire.send("c1", json!({"type": "echo", "echo": "late", "msg_id": 6}));
    assert_eq!(
        wire.recv(),
        json!({"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "late", "in_reply_to": 6}})
    );
    assert!(wire.finish().is_empty());
}
