//! The replication protocol of the challenge 6 parts that replicate (txn-6b, txn-6c: the same
//! protocol, 6c only applies a peer's transaction in one step), checked on a real binary with
//! the test playing the clients and the peer node `n1`. Each part's `tests/` calls these with its
//! own binary.

use serde_json::{json, Value};

use crate::{message, NodeProcess};

/// Sends `txn` from client `c1` with `msg_id` and returns the answer's body. The replicating
/// thread may write a `replicate` before it: those go to `early`.
#[track_caller]
pub fn txn(node: &mut NodeProcess, msg_id: u64, txn: Value, early: &mut Vec<Value>) -> Value {
    node.send_from("c1", json!({"type": "txn", "txn": txn, "msg_id": msg_id}));
    let reply = node.recv_until(early, |m| m["dest"] == "c1");
    assert_eq!(reply["body"]["in_reply_to"], msg_id, "{reply}");
    reply["body"].clone()
}

/// The next `replicate` from n0 to n1 (from `early` first) that ends with `txns`; returns its
/// `msg_id`. A `replicate` of earlier transactions only is acknowledged and skipped: on a slow
/// machine our `replicate_ok` can arrive after the node gave up waiting, and it sends them again.
#[track_caller]
pub fn expect_replicate(node: &mut NodeProcess, early: &mut Vec<Value>, txns: Value) -> Value {
    let wanted = txns.as_array().cloned().unwrap_or_default();
    for _ in 0..10 {
        let msg = if early.is_empty() {
            node.recv()
        } else {
            early.remove(0)
        };
        assert_eq!(
            (&msg["src"], &msg["dest"], &msg["body"]["type"]),
            (&json!("n0"), &json!("n1"), &json!("replicate")),
            "{msg}"
        );
        let msg_id = msg["body"]["msg_id"].clone();
        assert!(msg_id.is_u64(), "{msg}");
        let got = msg["body"]["txns"].as_array().cloned().unwrap_or_default();
        if got.ends_with(&wanted) {
            return msg_id;
        }
        assert!(
            got.iter().all(|txn| !wanted.contains(txn)),
            "expected {txns}, got {msg}"
        );
        node.send(message(
            "n1",
            "n0",
            json!({"type": "replicate_ok", "in_reply_to": msg_id}),
        ));
    }
    panic!("no replicate of {txns} after 10 others");
}

/// A txn is answered at once; its writes then go to the peer in a `replicate`, again (with a
/// new msg_id) while no `replicate_ok` comes, and once acknowledged are never sent again.
pub fn txns_are_answered_at_once_and_replicated_until_acknowledged(bin: &str) {
    let mut node = NodeProcess::start(bin, "n0", &["n0", "n1"]);
    let mut early = Vec::new();

    let ops = json!([["w", 1, 5], ["w", 1, 6], ["r", 2, null]]);
    let answer = txn(&mut node, 10, ops, &mut early);
    let done = json!([["w", 1, 5], ["w", 1, 6], ["r", 2, null]]);
    assert_eq!(
        answer,
        json!({"type": "txn_ok", "txn": done, "in_reply_to": 10})
    );

    let first = json!([{"version": [1, "n0"], "writes": [[1, 5], [1, 6]]}]);
    let unanswered = expect_replicate(&mut node, &mut early, first.clone());
    let again = expect_replicate(&mut node, &mut early, first);
    assert_ne!(unanswered, again, "a retry is a new request");
    node.send(message(
        "n1",
        "n0",
        json!({"type": "replicate_ok", "in_reply_to": again}),
    ));

    txn(&mut node, 11, json!([["w", 3, 1]]), &mut early);
    let second = json!([{"version": [2, "n0"], "writes": [[3, 1]]}]);
    let msg_id = expect_replicate(&mut node, &mut early, second);
    node.send(message(
        "n1",
        "n0",
        json!({"type": "replicate_ok", "in_reply_to": msg_id}),
    ));

    assert_eq!(
        node.shutdown(),
        Vec::<Value>::new(),
        "nothing left to replicate"
    );
}

/// A `replicate` from the peer is applied and acknowledged: reads here see its final writes,
/// an older version does not overwrite a newer one, and the clock moves past its version.
pub fn a_replicate_from_the_peer_is_applied_and_acknowledged(bin: &str) {
    let mut node = NodeProcess::start(bin, "n0", &["n0", "n1"]);
    let mut early = Vec::new();

    let txns = json!([
        {"version": [3, "n1"], "writes": [[2, 7], [2, 8]]},
        {"version": [2, "n1"], "writes": [[2, 1], [4, 1]]}
    ]);
    let reply = node.request("n1", json!({"type": "replicate", "txns": txns}));
    let ok = json!({"type": "replicate_ok", "in_reply_to": 2});
    assert_eq!(reply, message("n0", "n1", ok), "init was msg_id 1");

    let ops = json!([["r", 2, null], ["r", 4, null], ["w", 5, 1]]);
    let answer = txn(&mut node, 10, ops, &mut early);
    let done = json!([["r", 2, 8], ["r", 4, 1], ["w", 5, 1]]);
    assert_eq!(
        answer,
        json!({"type": "txn_ok", "txn": done, "in_reply_to": 10})
    );

    let ours = json!([{"version": [4, "n0"], "writes": [[5, 1]]}]);
    let msg_id = expect_replicate(&mut node, &mut early, ours);
    node.send(message(
        "n1",
        "n0",
        json!({"type": "replicate_ok", "in_reply_to": msg_id}),
    ));
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
