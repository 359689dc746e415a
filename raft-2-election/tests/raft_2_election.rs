//! End to end: the real `raft-2-election` binary as `n0` of three nodes, driven over
//! stdin/stdout, with the test playing the other two, `n1` and `n2`.

use serde_json::{json, Value};
use testkit::raft::ask_for_vote;
use testkit::{message, node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_raft-2-election");

/// The next `request_vote` from `n0` to `peer` (other messages go to `others`).
#[track_caller]
fn vote_request(node: &mut NodeProcess, peer: &str, others: &mut Vec<Value>) -> Value {
    node.recv_until(others, |m| {
        m["dest"] == peer && m["body"]["type"] == "request_vote"
    })
}

/// A node that hears from no leader runs for election in term 1, asking both peers with its
/// log's last index and term; one vote besides its own makes it leader.
#[test]
fn a_node_runs_for_election_and_a_majority_makes_it_leader() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));
    let mut others = Vec::new();
    let mut requests = Vec::new();
    for peer in ["n1", "n2"] {
        let request = vote_request(&mut node, peer, &mut others);
        let mut body = request["body"].clone();
        let msg_id = body.as_object_mut().and_then(|b| b.remove("msg_id"));
        assert_eq!(
            body,
            json!({"type": "request_vote", "term": 1, "candidate_id": "n0",
                   "last_log_index": 1, "last_log_term": 0}),
            "{request}"
        );
        requests.push(msg_id.unwrap_or(Value::Null));
    }
    let grant = json!({"type": "request_vote_res", "term": 1, "vote_granted": true,
                       "in_reply_to": requests[0]});
    node.send(message("n1", "n0", grant));
    node.shutdown();
    let stderr = node.stderr();
    assert!(stderr.contains("Became candidate for term 1"), "{stderr}");
    assert!(stderr.contains("Became leader for term 1"), "{stderr}");
}

/// A vote request in a higher term makes the node adopt that term and grant its vote; a
/// second candidate in that term, or one in a lower term, is refused.
#[test]
fn one_vote_per_term_and_none_for_an_older_term() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));
    assert_eq!(
        ask_for_vote(&mut node, "n1", 5, 1),
        json!({"type": "request_vote_res", "term": 5, "vote_granted": true})
    );
    assert_eq!(
        ask_for_vote(&mut node, "n2", 5, 2),
        json!({"type": "request_vote_res", "term": 5, "vote_granted": false})
    );
    assert_eq!(
        ask_for_vote(&mut node, "n2", 4, 3),
        json!({"type": "request_vote_res", "term": 5, "vote_granted": false})
    );
    node.shutdown();
    assert!(node.stderr().contains("Granting vote to n1"));
}
