//! End to end: the real `raft-3-replication` binary as `n0` of three nodes, driven over
//! stdin/stdout, with the test playing the clients and the other nodes (the peer protocol
//! checks are `testkit::raft`'s, shared with the later steps).

use serde_json::json;
use testkit::{node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_raft-3-replication");

/// The chapter's lurking bug is not here: refusals never take the leader to previous index 0.
#[test]
fn refusals_never_roll_back_to_index_0() {
    testkit::raft::refusals_never_roll_back_to_index_0(BIN);
}

/// The leader logs a client's request in its term and replicates it until acknowledged.
#[test]
fn the_leader_replicates_a_request() {
    testkit::raft::the_leader_replicates_a_request(BIN);
}

/// A follower that never answers gets a request every half second, not every 50 ms.
#[test]
fn a_silent_follower_is_not_flooded() {
    testkit::raft::a_silent_follower_is_not_flooded(BIN);
}

/// A follower takes entries that follow its log and refuses those that do not.
#[test]
fn a_follower_takes_the_leaders_entries() {
    testkit::raft::a_follower_takes_the_leaders_entries(BIN);
}

/// Only the leader serves clients: a node that is not one answers `temporarily-unavailable`.
#[test]
fn a_node_that_is_not_leader_refuses_clients() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));
    node.send_from("c1", json!({"type": "read", "key": 0, "msg_id": 1}));
    let mut others = Vec::new();
    let reply = node.recv_until(&mut others, |m| m["dest"] == "c1");
    assert_eq!(reply["body"]["code"], 11, "{reply}");
    node.shutdown();
}

/// The leader answers at once from its own map, before any follower has the entry.
#[test]
fn the_leader_answers_at_once() {
    let mut others = Vec::new();
    let dir = testkit::raft::NodeDir::new();
    let (mut node, _) = testkit::raft::start_leader(BIN, &dir, &mut others);
    node.send_from(
        "c1",
        json!({"type": "write", "key": 0, "value": 7, "msg_id": 1}),
    );
    let reply = node.recv_until(&mut others, |m| m["dest"] == "c1");
    assert_eq!(reply["body"], json!({"type": "write_ok", "in_reply_to": 1}));
    node.shutdown();
}
