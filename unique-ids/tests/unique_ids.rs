//! End to end: three real `unique-ids` binaries, driven over stdin/stdout.

use std::collections::HashSet;

use serde_json::{json, Value};
use testkit::NodeProcess;

/// Requests per node.
const PER_NODE: u64 = 5000;

/// Three nodes asked 5000 times each give 15000 distinct ids, one per request.
#[test]
fn three_nodes_give_15000_distinct_ids() {
    let node_ids = ["n0", "n1", "n2"];
    let mut nodes: Vec<NodeProcess> = node_ids
        .iter()
        .map(|id| NodeProcess::start(env!("CARGO_BIN_EXE_unique-ids"), id, &node_ids))
        .collect();

    // Pipeline every request first, so that each node's handlers really run
    // concurrently; then read the replies, in whatever order they come.
    for node in &mut nodes {
        for msg_id in 1..=PER_NODE {
            node.send_from("c1", json!({"type": "generate", "msg_id": msg_id}));
        }
    }
    let mut ids = HashSet::new();
    for node in &mut nodes {
        let mut answered = HashSet::new();
        for _ in 0..PER_NODE {
            let reply = node.recv();
            assert_eq!(reply["dest"], "c1", "{reply}");
            assert_eq!(reply["body"]["type"], "generate_ok", "{reply}");
            let Some(msg_id) = reply["body"]["in_reply_to"].as_u64() else {
                panic!("reply without an integer in_reply_to: {reply}");
            };
            assert!(answered.insert(msg_id), "msg_id {msg_id} answered twice");
            let Some(id) = reply["body"]["id"].as_str() else {
                panic!("generate_ok without a string id: {reply}");
            };
            assert!(ids.insert(id.to_string()), "id {id} given twice: {reply}");
        }
        assert_eq!(node.shutdown(), Vec::<Value>::new());
    }

    assert_eq!(ids.len(), 15000);
}
