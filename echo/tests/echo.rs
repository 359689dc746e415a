//! End to end: the real `echo` binary, driven over stdin/stdout.

use std::collections::HashMap;

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

/// 1000 pipelined echoes each come back once, to the sender, with their own payload and `in_reply_to`.
#[test]
fn echoes_1000_requests_with_their_payloads() {
    let mut node = NodeProcess::start(env!("CARGO_BIN_EXE_echo"), "n0", &["n0"]);

    // Send them all before reading any reply: handlers run concurrently, so
    // replies may come back in any order and are matched by `in_reply_to`.
    let mut expected: HashMap<u64, String> = HashMap::new();
    for msg_id in 1..=1000u64 {
        let payload = format!("Please echo {msg_id}");
        let body = json!({"type": "echo", "echo": payload, "msg_id": msg_id});
        node.send_from("c1", body);
        expected.insert(msg_id, payload);
    }
    for _ in 0..1000 {
        let reply = node.recv();
        assert_eq!(reply["src"], "n0", "{reply}");
        assert_eq!(reply["dest"], "c1", "{reply}");
        assert_eq!(reply["body"]["type"], "echo_ok", "{reply}");
        let Some(msg_id) = reply["body"]["in_reply_to"].as_u64() else {
            panic!("reply without an integer in_reply_to: {reply}");
        };
        let Some(payload) = expected.remove(&msg_id) else {
            panic!("reply to msg_id {msg_id}, which is unknown or already answered: {reply}");
        };
        assert_eq!(reply["body"]["echo"], payload, "{reply}");
    }

    assert!(expected.is_empty(), "unanswered: {expected:?}");
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A payload that is not a string comes back exactly as sent, and the reply body has nothing else.
#[test]
fn echoes_any_json_payload() {
    let mut node = NodeProcess::start(env!("CARGO_BIN_EXE_echo"), "n0", &["n0"]);

    let payload = json!({"nested": [1, 2.5, null, "three"], "flag": true});
    let body = json!({"type": "echo", "echo": payload.clone(), "msg_id": 42});
    node.send_from("c7", body);

    assert_eq!(
        node.recv(),
        message(
            "n0",
            "c7",
            json!({"type": "echo_ok", "echo": payload, "in_reply_to": 42})
        )
    );
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}
