//! End to end: the real `raft-5-durable` binary as `n0` of three nodes, driven over stdin/stdout,
//! with the test playing the clients and the other nodes (the peer protocol checks shared with
//! steps 3 and 4 are `testkit::raft`'s).

use serde_json::{json, Value};
use testkit::message;
use testkit::raft::{
    answer, ask_for_vote, next_to, second_vote_after_restart, start_in, start_leader, NodeDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_raft-5-durable");

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

/// The leader answers a request only once a follower (with it, a majority of three) holds its
/// entry, and then with the state machine's response; the next `append_entries` carries the
/// new commit index.
#[test]
fn the_leader_answers_once_a_majority_holds_the_entry() {
    let mut others = Vec::new();
    let dir = NodeDir::new();
    let (mut node, _) = start_leader(BIN, &dir, &mut others);
    node.send_from(
        "c1",
        json!({"type": "write", "key": 0, "value": 7, "msg_id": 1}),
    );
    let request = loop {
        let request = next_to(&mut node, "n1", "append_entries", &mut others);
        if request["body"]["entries"] != json!([]) {
            break request;
        }
    };
    let early: Vec<&Value> = others.iter().filter(|m| m["dest"] == "c1").collect();
    assert!(early.is_empty(), "answered before commit: {early:?}");
    let term = request["body"]["term"].clone();
    answer(
        &mut node,
        &request,
        json!({"type": "append_entries_res", "term": term, "success": true}),
    );
    let reply = node.recv_until(&mut others, |m| m["dest"] == "c1");
    assert_eq!(reply["body"], json!({"type": "write_ok", "in_reply_to": 1}));
    // n2 has not acknowledged, so it gets the entry again, with the commit index.
    let request = next_to(&mut node, "n2", "append_entries", &mut others);
    assert_eq!(request["body"]["leader_commit"], 2, "{request}");
    node.shutdown();
}

/// A follower proxies a client's request to the leader it heard from, with an id the answer
/// must carry, and passes the leader's answer back to the client without it; an answer that
/// does not carry the id (a leader answering an older request that had the same `msg_id`,
/// from before this node was restarted) is not passed on.
#[test]
fn a_follower_proxies_to_the_leader() {
    let dir = NodeDir::new();
    let mut node = start_in(BIN, &dir, 3);
    let mut others = Vec::new();
    node.send_from(
        "n1",
        json!({"type": "append_entries", "term": 1, "leader_id": "n1", "prev_log_index": 1,
               "prev_log_term": 0, "entries": [], "leader_commit": 0, "msg_id": 1}),
    );
    let res = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == 1);
    assert_eq!(res["body"]["success"], true, "{res}");

    node.send_from("c1", json!({"type": "read", "key": 0, "msg_id": 5}));
    let proxied = next_to(&mut node, "n1", "read", &mut others);
    assert_eq!(proxied["body"]["key"], 0, "{proxied}");
    let proxy_id = proxied["body"]["proxy_id"].clone();
    assert!(proxy_id.is_string(), "{proxied}");
    answer(
        &mut node,
        &proxied,
        json!({"type": "read_ok", "value": 9, "proxy_id": "other"}),
    );
    node.send_from("c1", json!({"type": "read", "key": 1, "msg_id": 6}));
    let second = next_to(&mut node, "n1", "read", &mut others);
    answer(
        &mut node,
        &second,
        json!({"type": "read_ok", "value": 3, "proxy_id": second["body"]["proxy_id"]}),
    );
    let reply = node.recv_until(&mut others, |m| m["dest"] == "c1");
    assert_eq!(
        reply,
        message(
            "n0",
            "c1",
            json!({"type": "read_ok", "value": 3, "in_reply_to": 6})
        ),
        "the answer without the right id was passed on"
    );
    node.shutdown();
}

/// A lone node elects itself and commits alone: the chapter's single-node test passes.
#[test]
fn a_lone_node_serves_clients() {
    let dir = NodeDir::new();
    let mut node = start_in(BIN, &dir, 1);
    let mut others = Vec::new();
    // Its first election comes within a tick or two; until then it answers 11.
    for msg_id in 1..100 {
        node.send_from(
            "c1",
            json!({"type": "write", "key": 0, "value": 4, "msg_id": msg_id}),
        );
        let reply = node.recv_until(&mut others, |m| m["dest"] == "c1");
        if reply["body"]["type"] == "write_ok" {
            node.send_from("c1", json!({"type": "read", "key": 0, "msg_id": 100}));
            let reply = node.recv_until(&mut others, |m| m["dest"] == "c1");
            assert_eq!(
                reply["body"],
                json!({"type": "read_ok", "value": 4, "in_reply_to": 100})
            );
            node.shutdown();
            return;
        }
        assert_eq!(reply["body"]["code"], 11, "{reply}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no write_ok from a lone node in 5 s: {}", node.stderr());
}

/// A vote survives a restart: a node that voted for n1 in term 5, stopped and started again
/// in the same directory, refuses n2 in term 5 (in memory only, it would start from term 0 and
/// vote twice in one term).
#[test]
fn a_vote_survives_a_restart() {
    let (answer, stderr) = second_vote_after_restart(BIN);
    assert_eq!(
        answer,
        json!({"type": "request_vote_res", "term": 5, "vote_granted": false})
    );
    assert!(stderr.contains("Restored term 5"), "{stderr}");
}

/// The log survives a restart: entries taken from a leader in term 1 are still there, so a
/// candidate whose log lacks them gets no vote, and the leader's next entries follow them.
#[test]
fn the_log_survives_a_restart() {
    let dir = NodeDir::new();
    let mut node = start_in(BIN, &dir, 3);
    let entry = json!({"term": 1, "op": message("c1", "n1",
        json!({"type": "write", "key": 0, "value": 7, "msg_id": 1}))});
    node.send_from(
        "n1",
        json!({"type": "append_entries", "term": 1, "leader_id": "n1", "prev_log_index": 1,
               "prev_log_term": 0, "entries": [entry], "leader_commit": 0, "msg_id": 1}),
    );
    let mut others = Vec::new();
    let res = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == 1);
    assert_eq!(res["body"]["success"], true, "{res}");
    node.shutdown();

    let mut node = start_in(BIN, &dir, 3);
    node.send_from(
        "n1",
        json!({"type": "append_entries", "term": 1, "leader_id": "n1", "prev_log_index": 2,
               "prev_log_term": 1, "entries": [], "leader_commit": 0, "msg_id": 2}),
    );
    let res = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == 2);
    assert_eq!(
        res["body"]["success"], true,
        "entry 2 is still there: {res}"
    );
    assert_eq!(
        ask_for_vote(&mut node, "n2", 2, 3),
        json!({"type": "request_vote_res", "term": 2, "vote_granted": false})
    );
    node.shutdown();
}

/// A state file that cannot be read stops the node with an error naming it, instead of
/// starting from nothing.
#[test]
fn a_broken_state_file_stops_the_node() {
    let dir = NodeDir::new();
    std::fs::write(dir.path().join("raft-state.json"), "{\"term\": 3, \"vo").unwrap();
    let output = std::process::Command::new(BIN)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("raft-state.json"), "{stderr}");
}
