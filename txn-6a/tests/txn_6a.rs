//! End to end: the real `txn-6a` binary, driven over stdin/stdout.

use serde_json::json;
use testkit::{message, NodeProcess};

/// A `txn` is answered `txn_ok` with its reads filled in, seeing its own earlier writes and
/// those of earlier transactions; a malformed one gets error 12 and changes nothing.
#[test]
fn txns_read_what_was_written_before_them() {
    let mut node = NodeProcess::start(env!("CARGO_BIN_EXE_txn-6a"), "n0", &["n0"]);

    let reply = node.request(
        "c1",
        json!({"type": "txn", "txn": [["r", 1, null], ["w", 1, 5], ["r", 1, null]]}),
    );
    let ok = json!({"type": "txn_ok", "txn": [["r", 1, null], ["w", 1, 5], ["r", 1, 5]], "in_reply_to": 2});
    assert_eq!(reply, message("n0", "c1", ok));

    let reply = node.request(
        "c2",
        json!({"type": "txn", "txn": [["w", 1, 6], ["append", 2, 1]]}),
    );
    assert_eq!(reply["body"]["type"], "error", "{reply}");
    assert_eq!(reply["body"]["code"], 12, "{reply}");

    let reply = node.request(
        "c1",
        json!({"type": "txn", "txn": [["r", 1, null], ["r", 2, null]]}),
    );
    let ok = json!({"type": "txn_ok", "txn": [["r", 1, 5], ["r", 2, null]], "in_reply_to": 4});
    assert_eq!(reply, message("n0", "c1", ok));

    assert_eq!(node.shutdown(), Vec::<serde_json::Value>::new());
}
