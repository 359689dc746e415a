//! End to end: the real `kafka-5b` binary, driven over stdin/stdout, with
//! the test playing Maelstrom's `lin-kv` service (`src/maelstrom/service.clj`:
//! one map, `cas` fails with `precondition-failed` (22) when the value is not
//! `from`, a missing key is `key-does-not-exist` (20)).

use serde_json::{json, Value};
use testkit::{message, node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_kafka-5b");

/// The next message from `node`, which must be a request from `n0` to
/// `lin-kv` with `body` (apart from its `msg_id`); returns that `msg_id`.
#[track_caller]
fn expect_kv(node: &mut NodeProcess, body: Value) -> Value {
    let request = node.recv();
    assert_eq!(
        (&request["src"], &request["dest"]),
        (&json!("n0"), &json!("lin-kv")),
        "{request}"
    );
    let mut got = request["body"].clone();
    let msg_id = got
        .as_object_mut()
        .and_then(|b| b.remove("msg_id"))
        .unwrap_or(Value::Null);
    assert!(
        msg_id.is_u64(),
        "a request without an integer msg_id: {request}"
    );
    assert_eq!(got, body, "{request}");
    msg_id
}

/// Answers the `lin-kv` request `msg_id` with `body`.
fn answer(node: &mut NodeProcess, msg_id: &Value, mut body: Value) {
    body["in_reply_to"] = msg_id.clone();
    node.send(message("lin-kv", "n0", body));
}

/// The next message from `node`, which must be the answer to client `c1`'s `msg_id`.
#[track_caller]
fn expect_answer(node: &mut NodeProcess, msg_id: u64, body: Value) {
    let reply = node.recv();
    let mut expected = body;
    expected["in_reply_to"] = msg_id.into();
    assert_eq!(reply, message("n0", "c1", expected));
}

/// A send swaps the key's log for the log with the message appended and answers the length it
/// read as the offset; after a lost race it reads and swaps again.
#[test]
fn send_appends_by_swapping_the_log_and_retries_after_a_lost_race() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(2));

    // A new key: the log is missing, and the swap creates it.
    node.send_from(
        "c1",
        json!({"type": "send", "key": "7", "msg": 40, "msg_id": 1}),
    );
    let read = expect_kv(&mut node, json!({"type": "read", "key": "log-7"}));
    let missing = json!({"type": "error", "code": 20, "text": "key does not exist"});
    answer(&mut node, &read, missing);
    let cas = json!({"type": "cas", "key": "log-7", "from": [], "to": [40],
        "create_if_not_exists": true});
    let cas = expect_kv(&mut node, cas);
    answer(&mut node, &cas, json!({"type": "cas_ok"}));
    expect_answer(&mut node, 1, json!({"type": "send_ok", "offset": 0}));

    // Another node appended 41 in between: the swap from [40] fails, the
    // next read sees [40, 41], and the message gets offset 2.
    node.send_from(
        "c1",
        json!({"type": "send", "key": "7", "msg": 42, "msg_id": 2}),
    );
    let read = expect_kv(&mut node, json!({"type": "read", "key": "log-7"}));
    answer(&mut node, &read, json!({"type": "read_ok", "value": [40]}));
    let cas = json!({"type": "cas", "key": "log-7", "from": [40], "to": [40, 42],
        "create_if_not_exists": true});
    let cas = expect_kv(&mut node, cas);
    let lost = json!({"type": "error", "code": 22, "text": "current value [40, 41] is not [40]"});
    answer(&mut node, &cas, lost);
    let read = expect_kv(&mut node, json!({"type": "read", "key": "log-7"}));
    answer(
        &mut node,
        &read,
        json!({"type": "read_ok", "value": [40, 41]}),
    );
    let cas = json!({"type": "cas", "key": "log-7", "from": [40, 41], "to": [40, 41, 42],
        "create_if_not_exists": true});
    let cas = expect_kv(&mut node, cas);
    answer(&mut node, &cas, json!({"type": "cas_ok"}));
    expect_answer(&mut node, 2, json!({"type": "send_ok", "offset": 2}));

    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A poll reads each asked key's log and answers its messages from the asked offset on,
/// leaving out keys with none.
#[test]
fn poll_reads_each_log_from_the_asked_offset() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(2));
    node.send_from(
        "c1",
        json!({"type": "poll", "offsets": {"1": 1, "2": 0}, "msg_id": 1}),
    );
    let read = expect_kv(&mut node, json!({"type": "read", "key": "log-1"}));
    answer(
        &mut node,
        &read,
        json!({"type": "read_ok", "value": [10, 11, 12]}),
    );
    let read = expect_kv(&mut node, json!({"type": "read", "key": "log-2"}));
    let missing = json!({"type": "error", "code": 20, "text": "key does not exist"});
    answer(&mut node, &read, missing);
    expect_answer(
        &mut node,
        1,
        json!({"type": "poll_ok", "msgs": {"1": [[1, 11], [2, 12]]}}),
    );
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A commit moves the committed offset forward only: a lower one changes nothing, a higher one
/// is swapped in from the one read.
#[test]
fn commit_moves_the_committed_offset_forward_only() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(2));
    node.send_from(
        "c1",
        json!({"type": "commit_offsets", "offsets": {"1": 3, "2": 9}, "msg_id": 1}),
    );
    let read = expect_kv(&mut node, json!({"type": "read", "key": "committed-1"}));
    answer(&mut node, &read, json!({"type": "read_ok", "value": 5}));
    let read = expect_kv(&mut node, json!({"type": "read", "key": "committed-2"}));
    answer(&mut node, &read, json!({"type": "read_ok", "value": 4}));
    let cas = json!({"type": "cas", "key": "committed-2", "from": 4, "to": 9,
        "create_if_not_exists": true});
    let cas = expect_kv(&mut node, cas);
    answer(&mut node, &cas, json!({"type": "cas_ok"}));
    expect_answer(&mut node, 1, json!({"type": "commit_offsets_ok"}));
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
