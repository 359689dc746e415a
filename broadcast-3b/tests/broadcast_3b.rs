//! End to end: real `broadcast-3b` binaries, driven over stdin/stdout. The
//! test plays the clients, the peers, and (in the last test) the network.
//!
//! Order-independent by design: each test collects everything a node writes,
//! up to and including what it still writes after its input is closed
//! (`shutdown`), and asserts on that whole transcript.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3b");
const CLUSTER: [&str; 5] = ["n0", "n1", "n2", "n3", "n4"];

/// Receives until the `broadcast_ok` addressed to `src` arrives and returns
/// it; everything else the node writes meanwhile is appended to `others`.
///
/// Not just "the next message to `src`": a peer is also sent forwards.
#[track_caller]
fn recv_ack(node: &mut NodeProcess, src: &str, others: &mut Vec<Value>) -> Value {
    node.recv_until(others, |m| {
        m["dest"] == src && m["body"]["type"] == "broadcast_ok"
    })
}

/// The forward of `value` that `n1` sends to each of its four peers, sorted by peer.
fn forwards_from_n1(value: i64) -> Vec<Value> {
    ["n0", "n2", "n3", "n4"]
        .iter()
        .map(|peer| message("n1", peer, json!({"type": "broadcast", "message": value})))
        .collect()
}

/// `messages` sorted by destination, then by body, for comparing transcripts.
fn sorted(mut messages: Vec<Value>) -> Vec<Value> {
    messages.sort_by_key(|m| (m["dest"].to_string(), m["body"].to_string()));
    messages
}

/// The lines of the node's stderr that log a warning or an error (as
/// stderrlog writes them: `module: WARN text`). A node that answered
/// every message as meant logs none at the default level.
fn warnings(node: &NodeProcess) -> Vec<String> {
    let stderr = node.stderr();
    let lines = stderr
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"));
    lines.map(str::to_string).collect()
}

/// A client's new value is acknowledged and forwarded once to each peer, as `{type, message}` only.
#[test]
fn new_value_is_forwarded_to_each_peer_exactly_once() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    node.broadcast("c1", 7, &mut others);

    others.extend(node.shutdown());
    assert_eq!(sorted(others), forwards_from_n1(7));
}

/// A value seen before, from a client or a peer, is acknowledged but never forwarded again.
#[test]
fn seen_value_is_only_acknowledged() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    node.broadcast("c1", 7, &mut others);
    // The same value again from another client, then back from a peer.
    node.broadcast("c2", 7, &mut others);
    node.send_from("n3", json!({"type": "broadcast", "message": 7}));
    let peer_ack = recv_ack(&mut node, "n3", &mut others);

    // A peer's forward has no msg_id, so neither does the ack an in_reply_to.
    assert_eq!(
        peer_ack,
        message("n1", "n3", json!({"type": "broadcast_ok"}))
    );
    others.extend(node.shutdown());
    assert_eq!(
        sorted(others),
        forwards_from_n1(7),
        "only the first copy is forwarded"
    );
}

/// A new value from a peer goes to all four peers, the sender too; peers' `broadcast_ok`s are quietly ignored.
#[test]
fn value_from_a_peer_is_forwarded_and_peer_acks_are_ignored() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    node.send_from("n3", json!({"type": "broadcast", "message": 9}));
    let ack = recv_ack(&mut node, "n3", &mut others);
    for peer in ["n0", "n2", "n3", "n4"] {
        node.send_from(peer, json!({"type": "broadcast_ok"}));
    }

    assert_eq!(ack, message("n1", "n3", json!({"type": "broadcast_ok"})));
    others.extend(node.shutdown());
    // Exactly the forwards: no error reply to any broadcast_ok, and (since the
    // library sends none to a message without msg_id) no warning about one.
    assert_eq!(sorted(others), forwards_from_n1(9));
    assert_eq!(warnings(&node), Vec::<String>::new());
}

/// Read answers with every value held, whether it came from a client or a peer.
#[test]
fn read_returns_values_from_clients_and_peers() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    for value in 0..20 {
        node.broadcast("c1", value, &mut others);
    }
    for value in 20..30 {
        node.send_from("n4", json!({"type": "broadcast", "message": value}));
        recv_ack(&mut node, "n4", &mut others);
    }

    assert_eq!(node.read("c2", &mut others), (0..30).collect::<Vec<_>>());
    others.extend(node.shutdown());
    let expected: Vec<Value> = (0..30).flat_map(forwards_from_n1).collect();
    assert_eq!(sorted(others), sorted(expected));
}

/// Five real nodes, with the test as their network: one broadcast costs exactly
/// 40 messages between nodes (the article's figure), and every node then reads it.
#[test]
fn one_broadcast_costs_40_messages_across_five_nodes() {
    let mut nodes: HashMap<&str, NodeProcess> = CLUSTER
        .iter()
        .map(|&id| (id, NodeProcess::start(BIN, id, &CLUSTER)))
        .collect();

    // Deliver one message at a time. After a broadcast, wait for its ack, so
    // that the node has finished with it; whatever it wrote goes in flight.
    let first = json!({"type": "broadcast", "message": 42, "msg_id": 1});
    let mut in_flight = VecDeque::from([message("c1", "n0", first)]);
    let mut between_nodes = 0;
    let mut to_clients = Vec::new();
    while let Some(msg) = in_flight.pop_front() {
        let (Some(src), Some(dest)) = (msg["src"].as_str(), msg["dest"].as_str()) else {
            panic!("message without src or dest: {msg}");
        };
        let src = src.to_string();
        let Some(node) = nodes.get_mut(dest) else {
            assert!(dest.starts_with('c'), "message to an unknown node: {msg}");
            to_clients.push(msg);
            continue;
        };
        if src.starts_with('n') {
            between_nodes += 1;
            // A node that re-forwards seen values would keep this loop going for ever.
            assert!(between_nodes <= 400, "values keep circling: {msg}");
        }
        let is_broadcast = msg["body"]["type"] == "broadcast";
        node.send(msg);
        if is_broadcast {
            let mut written = Vec::new();
            let ack = recv_ack(node, &src, &mut written);
            in_flight.extend(written);
            in_flight.push_back(ack);
        }
    }

    let ok = json!({"type": "broadcast_ok", "in_reply_to": 1});
    assert_eq!(to_clients, [message("n0", "c1", ok)]);
    assert_eq!(between_nodes, 40);
    for (id, node) in &mut nodes {
        let mut rest = Vec::new();
        assert_eq!(node.read("c2", &mut rest), [42], "read on {id}");
        rest.extend(node.shutdown());
        assert_eq!(rest, Vec::<Value>::new(), "{id} had more to say");
    }
}
