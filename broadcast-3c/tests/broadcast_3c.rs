//! End to end: the real `broadcast-3c` binary, driven over stdin/stdout. The
//! test plays the clients and the peers, and decides which forwards the
//! peers acknowledge (a peer that never answers is one cut off by a partition).

use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3c");
const CLUSTER: [&str; 5] = ["n0", "n1", "n2", "n3", "n4"];

/// Whether `msg` is a forward of `value` from n1 to `peer`.
fn is_forward(msg: &Value, peer: &str, value: i64) -> bool {
    msg["src"] == "n1"
        && msg["dest"] == peer
        && msg["body"]["type"] == "broadcast"
        && msg["body"]["message"] == value
}

/// The `msg_id` of a forward, which the peer's acknowledgement must name.
#[track_caller]
fn msg_id(forward: &Value) -> u64 {
    match forward["body"]["msg_id"].as_u64() {
        Some(id) => id,
        None => panic!("a forward without an integer msg_id cannot be acknowledged: {forward}"),
    }
}

/// The acknowledgement `peer` sends for `forward`.
fn ack(peer: &str, forward: &Value) -> Value {
    message(
        peer,
        "n1",
        json!({"type": "broadcast_ok", "in_reply_to": msg_id(forward)}),
    )
}

/// A forward that a peer never acknowledges is sent again with a fresh
/// `msg_id`; once acknowledged, the retries stop, and acknowledged peers are
/// left alone.
#[test]
fn unacknowledged_forward_is_retried_until_acknowledged() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    node.broadcast("c1", 7, &mut others);

    // The first forward to each peer; n2, n3 and n4 acknowledge theirs, n0 stays silent.
    let mut first_to_n0 = Value::Null;
    for peer in ["n0", "n2", "n3", "n4"] {
        let pos = others.iter().position(|m| is_forward(m, peer, 7));
        let forward = match pos {
            Some(pos) => others.remove(pos),
            None => node.recv_until(&mut others, |m| is_forward(m, peer, 7)),
        };
        if peer == "n0" {
            first_to_n0 = forward;
        } else {
            node.send(ack(peer, &forward));
        }
    }

    // The retry: the same value to n0 again, as a new request.
    let retry = node.recv_until(&mut others, |m| is_forward(m, "n0", 7));
    assert_ne!(
        msg_id(&retry),
        msg_id(&first_to_n0),
        "a retry is a new rpc: {retry}"
    );
    node.send(ack("n0", &retry));

    // Three retry intervals: enough for several more retries if acks were ignored.
    thread::sleep(Duration::from_secs(3));
    others.extend(node.shutdown());

    // At most one more copy to each peer, sent before its ack was processed.
    for peer in CLUSTER.iter().filter(|&&p| p != "n1") {
        let copies = others.iter().filter(|m| is_forward(m, peer, 7)).count();
        assert!(
            copies <= 1,
            "{copies} more forwards to {peer} after its acknowledgement: {others:?}"
        );
    }
    let unexpected: Vec<&Value> = others
        .iter()
        .filter(|m| m["body"]["type"] != "broadcast")
        .collect();
    assert!(unexpected.is_empty(), "unexpected messages: {unexpected:?}");
}

/// An error reply is no acknowledgement: the forward is sent again.
#[test]
fn forward_answered_with_an_error_is_retried() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    // No `broadcast`: the forward to n2 may come before the client's ack.
    let broadcast = json!({"type": "broadcast", "message": 3, "msg_id": 1});
    node.send_from("c1", broadcast);
    let forward = node.recv_until(&mut others, |m| is_forward(m, "n2", 3));
    let error =
        json!({"type": "error", "code": 11, "text": "busy", "in_reply_to": msg_id(&forward)});
    node.send_from("n2", error);

    let retry = node.recv_until(&mut others, |m| is_forward(m, "n2", 3));
    assert_ne!(msg_id(&retry), msg_id(&forward), "{retry}");
}

/// A peer's forward carries a `msg_id` now; it is acknowledged with `in_reply_to`,
/// and a value already held is not forwarded again.
#[test]
fn forward_from_a_peer_is_acknowledged_with_in_reply_to() {
    let mut node = NodeProcess::start(BIN, "n1", &CLUSTER);
    let mut others = Vec::new();

    node.broadcast("c1", 9, &mut others);
    let forward = json!({"type": "broadcast", "message": 9, "msg_id": 40});
    node.send_from("n3", forward);
    let peer_ack = node.recv_until(&mut others, |m| {
        m["dest"] == "n3" && m["body"]["type"] == "broadcast_ok"
    });
    assert_eq!(
        peer_ack,
        message(
            "n1",
            "n3",
            json!({"type": "broadcast_ok", "in_reply_to": 40})
        )
    );

    // Retries may come first (nobody acknowledges here), so no `request`.
    assert_eq!(node.read("c2", &mut others), [9]);
    // Only forwards of 9 (first copies and retries) besides the replies.
    others.extend(node.shutdown());
    let strays: Vec<&Value> = others
        .iter()
        .filter(|m| !["n0", "n2", "n3", "n4"].iter().any(|p| is_forward(m, p, 9)))
        .collect();
    assert!(strays.is_empty(), "unexpected messages: {strays:?}");
}
