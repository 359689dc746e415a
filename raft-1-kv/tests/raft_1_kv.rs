//! End to end: the real `raft-1-kv` binary, driven over stdin/stdout, with the test playing
//! the `lin-kv` workload's clients.

use serde_json::{json, Value};
use testkit::{node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_raft-1-kv");

/// The body of the reply to `body`, sent by client `c1`, without its `in_reply_to`.
#[track_caller]
fn answer(node: &mut NodeProcess, body: Value) -> Value {
    let mut reply = node.request("c1", body)["body"].clone();
    reply.as_object_mut().map(|b| b.remove("in_reply_to"));
    reply
}

/// Reads, writes and compare-and-sets are answered from the node's map, with errors 20 and
/// 22 where the workload expects them, and nothing else is sent.
#[test]
fn requests_are_answered_from_the_map() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(1));
    let error = |code: i64| json!({"type": "error", "code": code});
    let code_only = |mut reply: Value| {
        reply.as_object_mut().map(|b| b.remove("text"));
        reply
    };

    let read = json!({"type": "read", "key": 0});
    assert_eq!(code_only(answer(&mut node, read.clone())), error(20));
    let write = json!({"type": "write", "key": 0, "value": 2});
    assert_eq!(answer(&mut node, write), json!({"type": "write_ok"}));
    let cas = json!({"type": "cas", "key": 0, "from": 1, "to": 3});
    assert_eq!(code_only(answer(&mut node, cas)), error(22));
    let cas = json!({"type": "cas", "key": 0, "from": 2, "to": 3});
    assert_eq!(answer(&mut node, cas), json!({"type": "cas_ok"}));
    assert_eq!(
        answer(&mut node, read),
        json!({"type": "read_ok", "value": 3})
    );

    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A request that is not an operation gets `malformed-request` (12), not a crash.
#[test]
fn a_malformed_request_is_refused() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(1));
    let reply = answer(&mut node, json!({"type": "write", "key": 0}));
    assert_eq!(reply["code"], 12, "{reply}");
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
