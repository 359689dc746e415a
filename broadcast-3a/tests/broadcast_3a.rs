//! End to end: the real `broadcast-3a` binary, driven over stdin/stdout.

use std::collections::HashSet;

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

/// The values in a `read_ok` reply, sorted; panics on anything else.
#[track_caller]
fn read_values(reply: &Value) -> Vec<i64> {
    assert_eq!(reply["body"]["type"], "read_ok", "{reply}");
    let Some(messages) = reply["body"]["messages"].as_array() else {
        panic!("read_ok without a messages array: {reply}");
    };
    let mut values: Vec<i64> = messages
        .iter()
        .map(|v| match v.as_i64() {
            Some(v) => v,
            None => panic!("read_ok with a non-integer value {v}: {reply}"),
        })
        .collect();
    values.sort_unstable();
    values
}

/// After 200 acknowledged broadcasts (some values twice), read returns each value exactly once.
#[test]
fn read_returns_every_value_it_was_given() {
    let mut node = NodeProcess::spawn(env!("CARGO_BIN_EXE_broadcast-3a"));
    node.init("n0", &["n0"]);
    assert_eq!(
        read_values(&node.request("c1", json!({"type": "read"}))),
        Vec::<i64>::new()
    );

    // Values -50..150, with 0..50 sent a second time, all pipelined: the
    // handlers run concurrently and must not lose a value.
    let values: Vec<i64> = (-50..150).chain(0..50).collect();
    for (msg_id, value) in (100..).zip(&values) {
        let body = json!({"type": "broadcast", "message": value, "msg_id": msg_id});
        node.send(message("c1", "n0", body));
    }
    let mut acknowledged = HashSet::new();
    for _ in &values {
        let reply = node.recv();
        assert_eq!(reply["dest"], "c1", "{reply}");
        assert_eq!(reply["body"]["type"], "broadcast_ok", "{reply}");
        let Some(msg_id) = reply["body"]["in_reply_to"].as_u64() else {
            panic!("broadcast_ok without an integer in_reply_to: {reply}");
        };
        assert!(
            acknowledged.insert(msg_id),
            "msg_id {msg_id} acknowledged twice"
        );
    }

    let read = node.request("c2", json!({"type": "read"}));
    assert_eq!(read_values(&read), (-50..150).collect::<Vec<_>>());
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// Topology is answered with exactly `topology_ok` (Maelstrom aborts the test otherwise).
#[test]
fn topology_is_acknowledged() {
    let mut node = NodeProcess::spawn(env!("CARGO_BIN_EXE_broadcast-3a"));
    node.init("n0", &["n0"]);

    let body = json!({"type": "topology", "topology": {"n0": []}, "msg_id": 9});
    node.send(message("c1", "n0", body));

    assert_eq!(
        node.recv(),
        message("n0", "c1", json!({"type": "topology_ok", "in_reply_to": 9}))
    );
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
