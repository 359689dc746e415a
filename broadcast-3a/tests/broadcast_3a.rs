//! End to end: the real `broadcast-3a` binary, driven over stdin/stdout.

use std::collections::HashSet;

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3a");

/// After 200 acknowledged broadcasts (some values twice), read returns each value exactly once.
#[test]
fn read_returns_every_value_it_was_given() {
    let mut node = NodeProcess::start(BIN, "n0", &["n0"]);
    let mut others = Vec::new();
    assert_eq!(node.read("c1", &mut others), Vec::<i64>::new());

    // Values -50..150, with 0..50 sent a second time, all pipelined: the
    // handlers run concurrently and must not lose a value.
    let values: Vec<i64> = (-50..150).chain(0..50).collect();
    for (msg_id, value) in (100..).zip(&values) {
        node.send_from(
            "c1",
            json!({"type": "broadcast", "message": value, "msg_id": msg_id}),
        );
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

    assert_eq!(node.read("c2", &mut others), (-50..150).collect::<Vec<_>>());
    others.extend(node.shutdown());
    assert_eq!(others, Vec::<Value>::new());
}

/// Topology is answered with exactly `topology_ok` (Maelstrom aborts the test otherwise).
#[test]
fn topology_is_acknowledged() {
    let mut node = NodeProcess::start(BIN, "n0", &["n0"]);

    let topology = json!({"type": "topology", "topology": {"n0": []}, "msg_id": 9});
    node.send_from("c1", topology);

    assert_eq!(
        node.recv(),
        message("n0", "c1", json!({"type": "topology_ok", "in_reply_to": 9}))
    );
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
