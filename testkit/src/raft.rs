//! The Raft parts' peer protocol (`request_vote`, `append_entries`, as in Maelstrom's
//! `doc/06-raft/`), with the test playing the other nodes, `n1` and `n2`, of a real binary
//! started as `n0`. Each replicating part's `tests/` calls the checks here with its own binary.
//!
//! Each node runs in a fresh directory of its own under the system's temporary directory
//! ([`NodeDir`]), as the runner gives each node one: a part that saves its state there
//! (`raft-5-durable`) writes nothing into the source tree, and two tests never share a file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{message, node_ids, NodeProcess};

/// How long [`next_to`] waits for the message it wants while others keep coming (a leader
/// writes to its other followers every 50 ms, so a plain receive would never time out).
const WANTED_TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh working directory for a node, removed when dropped.
pub struct NodeDir {
    path: PathBuf,
}

impl NodeDir {
    /// A new, empty directory, named after this process and a counter.
    #[track_caller]
    pub fn new() -> NodeDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "testkit-raft-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("cannot create {}: {e}", path.display());
        }
        NodeDir { path }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for NodeDir {
    fn default() -> NodeDir {
        NodeDir::new()
    }
}

impl Drop for NodeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Starts `bin` in `dir` and initialises it as `n0` of `count` nodes.
#[track_caller]
pub fn start_in(bin: &str, dir: &NodeDir, count: usize) -> NodeProcess {
    let mut node = NodeProcess::spawn_in(bin, dir.path());
    node.init("n0", &node_ids(count));
    node
}

/// The next message from `n0` to `peer` of type `msg_type`; the others go to `others`.
/// Panics if none comes within [`WANTED_TIMEOUT`].
#[track_caller]
pub fn next_to(
    node: &mut NodeProcess,
    peer: &str,
    msg_type: &str,
    others: &mut Vec<Value>,
) -> Value {
    let start = Instant::now();
    loop {
        let msg = node.recv();
        if msg["dest"] == peer && msg["body"]["type"] == msg_type {
            return msg;
        }
        others.push(msg);
        assert!(
            start.elapsed() < WANTED_TIMEOUT,
            "no {msg_type} to {peer} within {WANTED_TIMEOUT:?}; the last messages: {:?}",
            &others[others.len().saturating_sub(5)..]
        );
    }
}

/// Answers, as `from`, the request `request` (a whole message) with `body`.
pub fn answer(node: &mut NodeProcess, request: &Value, mut body: Value) {
    body["in_reply_to"] = request["body"]["msg_id"].clone();
    let from = request["dest"].as_str().unwrap_or_default();
    node.send(message(from, "n0", body));
}

/// Starts `bin` as `n0` of three nodes and makes it leader: waits for its `request_vote` to
/// `n1`, grants it, and waits for its first `append_entries` to `n1` (a leader sends one at
/// once), which it returns. Returns the node too; other messages go to `others`.
#[track_caller]
pub fn start_leader(bin: &str, dir: &NodeDir, others: &mut Vec<Value>) -> (NodeProcess, Value) {
    let mut node = start_in(bin, dir, 3);
    let request = next_to(&mut node, "n1", "request_vote", others);
    let term = request["body"]["term"].clone();
    answer(
        &mut node,
        &request,
        json!({"type": "request_vote_res", "term": term, "vote_granted": true}),
    );
    let first = next_to(&mut node, "n1", "append_entries", others);
    assert_eq!(first["body"]["term"], term, "{first}");
    assert_eq!(first["body"]["prev_log_index"], 1, "{first}");
    (node, first)
}

/// Sends `n0` `peer`'s `request_vote` in `term`, its log ending at index 1 of term 0; returns `n0`'s
/// answer's body without its `in_reply_to`.
#[track_caller]
pub fn ask_for_vote(node: &mut NodeProcess, peer: &str, term: u64, msg_id: u64) -> Value {
    node.send_from(
        peer,
        json!({"type": "request_vote", "term": term, "candidate_id": peer,
               "last_log_index": 1, "last_log_term": 0, "msg_id": msg_id}),
    );
    let mut others = Vec::new();
    let mut reply = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == msg_id);
    assert_eq!(reply["dest"], peer, "{reply}");
    reply["body"]
        .as_object_mut()
        .map(|b| b.remove("in_reply_to"));
    reply["body"].clone()
}

/// A node's vote across a restart: `bin` started in a fresh directory as `n0` of three grants
/// n1 its vote in term 5 (checked), is stopped, started again in the same directory and asked by
/// n2 in term 5; returns that second answer's body and the second process's stderr.
#[track_caller]
pub fn second_vote_after_restart(bin: &str) -> (Value, String) {
    let dir = NodeDir::new();
    let mut node = start_in(bin, &dir, 3);
    assert_eq!(
        ask_for_vote(&mut node, "n1", 5, 1),
        json!({"type": "request_vote_res", "term": 5, "vote_granted": true})
    );
    node.shutdown();
    let mut node = start_in(bin, &dir, 3);
    let answer = ask_for_vote(&mut node, "n2", 5, 1);
    node.shutdown();
    (answer, node.stderr())
}

/// A leader whose follower refuses entries again and again (as several refusals of one
/// repeated request would) backs up to the entry after the first, which every log holds, and
/// no further: it never sends a previous index of 0, which Maelstrom's chapter warns its own
/// code may do ("roll back and append entries at 0"), and it keeps sending the entries.
#[track_caller]
pub fn refusals_never_roll_back_to_index_0(bin: &str) {
    let mut others = Vec::new();
    let dir = NodeDir::new();
    let (mut node, _) = start_leader(bin, &dir, &mut others);
    node.send_from(
        "c1",
        json!({"type": "write", "key": 0, "value": 1, "msg_id": 1}),
    );
    let mut refused = 0;
    while refused < 6 {
        let request = next_to(&mut node, "n1", "append_entries", &mut others);
        let body = &request["body"];
        assert_eq!(body["prev_log_index"], 1, "{request}");
        assert_eq!(body["prev_log_term"], 0, "{request}");
        if body["entries"].as_array().is_some_and(|e| !e.is_empty()) {
            let res = json!({"type": "append_entries_res", "term": body["term"], "success": false});
            answer(&mut node, &request, res);
            refused += 1;
        }
    }
    node.shutdown();
}

/// A leader puts a client's request in its log, in its term, and sends it to the followers
/// with the first entry (index 1, term 0) as the previous one; once a follower acknowledges
/// it, the leader sends that follower no more entries, only heartbeats.
#[track_caller]
pub fn the_leader_replicates_a_request(bin: &str) {
    let mut others = Vec::new();
    let dir = NodeDir::new();
    let (mut node, first) = start_leader(bin, &dir, &mut others);
    let term = first["body"]["term"].clone();
    let write = json!({"type": "write", "key": 0, "value": 7, "msg_id": 1});
    node.send_from("c1", write.clone());
    let request = loop {
        let request = next_to(&mut node, "n1", "append_entries", &mut others);
        if request["body"]["entries"] != json!([]) {
            break request;
        }
    };
    let entries = &request["body"]["entries"];
    assert_eq!(entries.as_array().map(Vec::len), Some(1), "{request}");
    assert_eq!(entries[0]["term"], term, "{request}");
    assert_eq!(entries[0]["op"]["src"], "c1", "{request}");
    assert_eq!(entries[0]["op"]["body"], write, "{request}");
    answer(
        &mut node,
        &request,
        json!({"type": "append_entries_res", "term": term, "success": true}),
    );
    // Later requests to n1 carry nothing new: at most a few already on their way.
    for _ in 0..3 {
        let request = next_to(&mut node, "n1", "append_entries", &mut others);
        if request["body"]["prev_log_index"] == 2 {
            assert_eq!(request["body"]["entries"], json!([]), "{request}");
            break;
        }
    }
    node.shutdown();
}

/// A follower takes a leader's entries, acknowledges them, and pushes its election back; a
/// request whose previous entry it lacks is refused, with its term (and, from step 4 on, the
/// index to try next: one past its last entry).
#[track_caller]
pub fn a_follower_takes_the_leaders_entries(bin: &str) {
    let dir = NodeDir::new();
    let mut node = start_in(bin, &dir, 3);
    let entry = json!({"term": 1, "op": message("c1", "n1",
        json!({"type": "write", "key": 0, "value": 7, "msg_id": 1}))});
    let append = |prev_log_index: u64, entries: Value, msg_id: u64| {
        json!({"type": "append_entries", "term": 1, "leader_id": "n1",
               "prev_log_index": prev_log_index, "prev_log_term": if prev_log_index > 1 { 1 } else { 0 },
               "entries": entries, "leader_commit": 0, "msg_id": msg_id})
    };
    let mut others = Vec::new();
    node.send_from("n1", append(1, json!([entry]), 1));
    let res = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == 1);
    assert_eq!(
        res["body"],
        json!({"type": "append_entries_res", "term": 1, "success": true, "in_reply_to": 1})
    );
    node.send_from("n1", append(3, json!([]), 2));
    let res = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == 2);
    let mut body = res["body"].clone();
    // From step 4 on, a refusal says where to try next: here one past our 2 entries.
    if let Some(hint) = body
        .as_object_mut()
        .and_then(|b| b.remove("conflict_index"))
    {
        assert_eq!(hint, 3, "{res}");
    }
    assert_eq!(
        body,
        json!({"type": "append_entries_res", "term": 1, "success": false, "in_reply_to": 2})
    );
    node.send_from("n1", append(2, json!([]), 3));
    let res = node.recv_until(&mut others, |m| m["body"]["in_reply_to"] == 3);
    assert_eq!(res["body"]["success"], true, "{res}");
    node.shutdown();
}

/// A leader waits for a follower's answer before sending it more: a follower that never
/// answers (cut off by a partition) gets a request every half second or so, not one every
/// 50 ms as in Maelstrom's chapter, even while new entries keep coming.
#[track_caller]
pub fn a_silent_follower_is_not_flooded(bin: &str) {
    let mut others = Vec::new();
    let dir = NodeDir::new();
    let (mut node, _) = start_leader(bin, &dir, &mut others);
    let start = Instant::now();
    let mut msg_id = 0;
    let mut to_n2 = 0;
    while start.elapsed() < Duration::from_millis(1500) {
        msg_id += 1;
        node.send_from(
            "c1",
            json!({"type": "write", "key": 0, "value": msg_id, "msg_id": msg_id}),
        );
        // n1 answers everything, so the leader commits and keeps replicating.
        let request = next_to(&mut node, "n1", "append_entries", &mut others);
        let res =
            json!({"type": "append_entries_res", "term": request["body"]["term"], "success": true});
        answer(&mut node, &request, res);
        to_n2 += others
            .drain(..)
            .filter(|m| m["dest"] == "n2" && m["body"]["type"] == "append_entries")
            .count();
    }
    node.shutdown();
    assert!(
        (1..=6).contains(&to_n2),
        "{to_n2} append_entries to the silent n2 in 1.5 s"
    );
}
