//! End to end: the real `broadcast-3d` binary, driven over stdin/stdout. The
//! test plays the clients, Maelstrom's `topology` message, and the other
//! nodes of the 25-node cluster, deciding which forwards they acknowledge.
//!
//! A forward is sent from a thread of its own, so it may come before or
//! after the reply to the message that caused it: the tests receive until
//! what they want has arrived and judge the rest afterwards.

use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{message, node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3d");

/// Node `node_id` of the 25-node cluster, initialised and sent Maelstrom's
/// `topology` (a grid around it, which the node ignores for its own tree).
#[track_caller]
fn start(node_id: &str) -> NodeProcess {
    let mut node = NodeProcess::start(BIN, node_id, &node_ids(25));
    let grid = json!({"type": "topology", "topology": {node_id: ["n0", "n5"]}});
    let reply = node.request("c0", grid);
    assert_eq!(reply["body"]["type"], "topology_ok", "{reply}");
    node
}

/// Whether `msg` is a forward (a `broadcast_internal`) of `value` to `peer`.
fn is_forward(msg: &Value, peer: &str, value: i64) -> bool {
    msg["dest"] == peer
        && msg["body"]["type"] == "broadcast_internal"
        && msg["body"]["message"] == value
}

/// The acknowledgement `peer` sends for `forward`.
#[track_caller]
fn ack(peer: &str, forward: &Value) -> Value {
    let Some(msg_id) = forward["body"]["msg_id"].as_u64() else {
        panic!("a forward without an integer msg_id cannot be acknowledged: {forward}");
    };
    let node = forward["src"].as_str().unwrap_or_default();
    let body = json!({"type": "broadcast_internal_ok", "in_reply_to": msg_id});
    message(peer, node, body)
}

/// Receives the first forward of `value` to each of `peers` (some may be in
/// `others` already), acknowledges each, and returns the set of peers.
#[track_caller]
fn ack_forwards(
    node: &mut NodeProcess,
    value: i64,
    peers: &[&str],
    others: &mut Vec<Value>,
) -> BTreeSet<String> {
    let mut acked = BTreeSet::new();
    for &peer in peers {
        let forward = match others.iter().position(|m| is_forward(m, peer, value)) {
            Some(pos) => others.remove(pos),
            None => node.recv_until(others, |m| is_forward(m, peer, value)),
        };
        node.send(ack(peer, &forward));
        acked.insert(peer.to_string());
    }
    acked
}

/// The destinations of every `broadcast_internal` in `messages`.
fn forward_destinations(messages: &[Value]) -> BTreeSet<String> {
    let forwards = messages
        .iter()
        .filter(|m| m["body"]["type"] == "broadcast_internal");
    forwards
        .filter_map(|m| m["dest"].as_str().map(str::to_string))
        .collect()
}

/// A client's value at a follower goes to its children in the tree and to the master, nowhere else.
#[test]
fn a_followers_client_value_goes_to_its_children_and_the_master() {
    let mut node = start("n3");
    let mut others = Vec::new();

    node.broadcast("c1", 7, &mut others);
    ack_forwards(&mut node, 7, &["n4", "n12"], &mut others);

    others.extend(node.shutdown());
    // Nothing else: no forward to Maelstrom's neighbours n0 and n5, no retry.
    assert_eq!(others, Vec::<Value>::new());
}

/// The master forwards a client's value to its four children only.
#[test]
fn the_masters_client_value_goes_to_its_children() {
    let mut node = start("n12");
    let mut others = Vec::new();

    node.broadcast("c1", 8, &mut others);
    ack_forwards(&mut node, 8, &["n7", "n11", "n13", "n17"], &mut others);

    others.extend(node.shutdown());
    assert_eq!(others, Vec::<Value>::new());
}

/// A value from another node is acknowledged and passed down to the children, not back up to the master.
#[test]
fn a_value_from_a_node_goes_down_the_tree() {
    let mut node = start("n2");
    let mut others = Vec::new();

    let forward = json!({"type": "broadcast_internal", "message": 9, "msg_id": 40});
    node.send_from("n7", forward);
    let reply = node.recv_until(&mut others, |m| m["dest"] == "n7");
    let ok = json!({"type": "broadcast_internal_ok", "in_reply_to": 40});
    assert_eq!(reply, message("n2", "n7", ok));
    ack_forwards(&mut node, 9, &["n1", "n3"], &mut others);

    assert_eq!(node.read("c1", &mut others), [9]);
    others.extend(node.shutdown());
    assert_eq!(others, Vec::<Value>::new());
}

/// A value seen before, from a client or another node, is acknowledged but never forwarded again.
#[test]
fn a_seen_value_is_only_acknowledged() {
    let mut node = start("n2");
    let mut others = Vec::new();

    node.broadcast("c1", 5, &mut others);
    ack_forwards(&mut node, 5, &["n1", "n3", "n12"], &mut others);
    node.broadcast("c2", 5, &mut others);
    let again = json!({"type": "broadcast_internal", "message": 5, "msg_id": 41});
    node.send_from("n7", again);
    let reply = node.recv_until(&mut others, |m| m["dest"] == "n7");
    assert_eq!(reply["body"]["type"], "broadcast_internal_ok", "{reply}");

    others.extend(node.shutdown());
    assert_eq!(forward_destinations(&others), BTreeSet::new(), "{others:?}");
}

/// A forward nobody acknowledges is sent again, as a new request, until acknowledged; then it stops.
#[test]
fn an_unacknowledged_forward_is_retried_until_acknowledged() {
    let mut node = start("n23");
    let mut others = Vec::new();

    node.broadcast("c1", 3, &mut others);
    ack_forwards(&mut node, 3, &["n12"], &mut others);
    // n24 stays silent for its first copy (a partition dropped it).
    let first = node.recv_until(&mut others, |m| is_forward(m, "n24", 3));
    let retry = node.recv_until(&mut others, |m| is_forward(m, "n24", 3));
    assert_ne!(
        retry["body"]["msg_id"], first["body"]["msg_id"],
        "a retry is a new request: {retry}"
    );
    node.send(ack("n24", &retry));

    // Longer than a timeout and the longest pause: retries would show by now.
    thread::sleep(Duration::from_millis(1600));
    others.extend(node.shutdown());
    let late: Vec<&Value> = others.iter().filter(|m| is_forward(m, "n24", 3)).collect();
    assert!(
        late.len() <= 1,
        "forwards after the acknowledgement: {late:?}"
    );
}
