//! End to end: the real `kafka-5c` binary as `n0` of two nodes, driven over
//! stdin/stdout, with the test playing the clients and the other node, `n1`,
//! which owns the odd keys.

use serde_json::{json, Value};
use testkit::{message, node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_kafka-5c");

/// The next message from `node`, which must be a request from `n0` to `n1`
/// with `body` (apart from its `msg_id`); returns that `msg_id`.
#[track_caller]
fn expect_forward(node: &mut NodeProcess, body: Value) -> Value {
    let request = node.recv();
    assert_eq!(
        (&request["src"], &request["dest"]),
        (&json!("n0"), &json!("n1")),
        "{request}"
    );
    let mut got = request["body"].clone();
    let msg_id = got
        .as_object_mut()
        .and_then(|b| b.remove("msg_id"))
        .unwrap_or(Value::Null);
    assert!(
        msg_id.is_u64(),
        "a forward without an integer msg_id: {request}"
    );
    assert_eq!(got, body, "{request}");
    msg_id
}

/// Answers, as `n1`, the forward `msg_id` with `body`.
fn answer(node: &mut NodeProcess, msg_id: &Value, mut body: Value) {
    body["in_reply_to"] = msg_id.clone();
    node.send(message("n1", "n0", body));
}

/// The next message from `node`, which must be the answer to client `c1`'s `msg_id`.
#[track_caller]
fn expect_answer(node: &mut NodeProcess, msg_id: u64, body: Value) {
    let reply = node.recv();
    let mut expected = body;
    expected["in_reply_to"] = msg_id.into();
    assert_eq!(reply, message("n0", "c1", expected));
}

/// A send to a key this node owns gets the next offset from memory with no other message; a
/// send to the other node's key is forwarded there, and its offset is the owner's.
#[test]
fn sends_are_served_by_the_owner() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(2));

    for (msg_id, msg, offset) in [(1, 40, 0), (2, 41, 1)] {
        node.send_from(
            "c1",
            json!({"type": "send", "key": "2", "msg": msg, "msg_id": msg_id}),
        );
        expect_answer(
            &mut node,
            msg_id,
            json!({"type": "send_ok", "offset": offset}),
        );
    }

    node.send_from(
        "c1",
        json!({"type": "send", "key": "3", "msg": 50, "msg_id": 3}),
    );
    let forward = expect_forward(&mut node, json!({"type": "send", "key": "3", "msg": 50}));
    answer(&mut node, &forward, json!({"type": "send_ok", "offset": 7}));
    expect_answer(&mut node, 3, json!({"type": "send_ok", "offset": 7}));

    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A poll and a commit are split by owner: this node's keys are served from memory, the other
/// node's go to it in one request, and the answers are merged.
#[test]
fn polls_and_commits_are_split_by_owner() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(2));
    node.send_from(
        "c1",
        json!({"type": "send", "key": "2", "msg": 40, "msg_id": 1}),
    );
    expect_answer(&mut node, 1, json!({"type": "send_ok", "offset": 0}));

    node.send_from(
        "c1",
        json!({"type": "poll", "offsets": {"1": 0, "2": 0, "3": 5}, "msg_id": 2}),
    );
    let forward = expect_forward(
        &mut node,
        json!({"type": "poll", "offsets": {"1": 0, "3": 5}}),
    );
    answer(
        &mut node,
        &forward,
        json!({"type": "poll_ok", "msgs": {"3": [[5, 9]]}}),
    );
    expect_answer(
        &mut node,
        2,
        json!({"type": "poll_ok", "msgs": {"2": [[0, 40]], "3": [[5, 9]]}}),
    );

    node.send_from(
        "c1",
        json!({"type": "commit_offsets", "offsets": {"2": 0, "3": 5}, "msg_id": 3}),
    );
    let forward = expect_forward(
        &mut node,
        json!({"type": "commit_offsets", "offsets": {"3": 5}}),
    );
    answer(&mut node, &forward, json!({"type": "commit_offsets_ok"}));
    expect_answer(&mut node, 3, json!({"type": "commit_offsets_ok"}));

    node.send_from(
        "c1",
        json!({"type": "list_committed_offsets", "keys": ["2", "3", "4"], "msg_id": 4}),
    );
    let forward = expect_forward(
        &mut node,
        json!({"type": "list_committed_offsets", "keys": ["3"]}),
    );
    answer(
        &mut node,
        &forward,
        json!({"type": "list_committed_offsets_ok", "offsets": {"3": 5}}),
    );
    expect_answer(
        &mut node,
        4,
        json!({"type": "list_committed_offsets_ok", "offsets": {"2": 0, "3": 5}}),
    );

    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A forward that gets no answer ends in a timeout error (code 0) to the client, which then
/// records the send as indefinite.
#[test]
fn a_forward_without_an_answer_times_out() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(2));
    node.send_from(
        "c1",
        json!({"type": "send", "key": "1", "msg": 5, "msg_id": 1}),
    );
    expect_forward(&mut node, json!({"type": "send", "key": "1", "msg": 5}));
    let reply = node.recv();
    assert_eq!(reply["dest"], "c1", "{reply}");
    assert_eq!(reply["body"]["type"], "error", "{reply}");
    assert_eq!(reply["body"]["code"], 0, "{reply}");
    assert_eq!(reply["body"]["in_reply_to"], 1, "{reply}");
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
