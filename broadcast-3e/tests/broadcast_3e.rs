//! End to end: the real `broadcast-3e` binary, driven over stdin/stdout. The
//! test plays the clients, Maelstrom's `topology` message, and the other
//! nodes of the 25-node cluster, deciding which batches they acknowledge.
//!
//! Batches leave on the batcher's tick, from threads of their own, so the
//! tests receive until what they want has arrived and judge the rest
//! afterwards.

use std::collections::BTreeMap;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{message, node_ids, values, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3e");

/// Longer than a batch timeout (200 ms) and the time a batch takes to leave.
const A_FEW_TICKS: Duration = Duration::from_millis(700);

/// Node `node_id` of the 25-node cluster, initialised and sent Maelstrom's
/// `topology` (a grid around it, which the node ignores for its own tree).
#[track_caller]
fn start(node_id: &str) -> NodeProcess {
    let mut node = NodeProcess::start(BIN, node_id, &node_ids(25));
    let grid = json!({"type": "topology", "topology": {node_id: ["n0", "n5"]}});
    let reply = node.request("c0", grid);
    assert_eq!(reply["body"]["type"], "topology_ok", "{reply}");
    node
}

/// Whether `msg` is a batch (a `broadcast_internal`).
fn is_batch(msg: &Value) -> bool {
    msg["body"]["type"] == "broadcast_internal"
}

/// The acknowledgement the batch's destination sends for it.
#[track_caller]
fn ack(batch: &Value) -> Value {
    let Some(msg_id) = batch["body"]["msg_id"].as_u64() else {
        panic!("a batch without an integer msg_id cannot be acknowledged: {batch}");
    };
    let (src, dest) = (batch["dest"].as_str(), batch["src"].as_str());
    let body = json!({"type": "broadcast_internal_ok", "in_reply_to": msg_id});
    message(src.unwrap_or_default(), dest.unwrap_or_default(), body)
}

/// Receives batches (taking those already in `others` first), acknowledging
/// each, until every peer in `peers` has had all of `wanted`; returns the
/// batches each peer got, as lists of values.
#[track_caller]
fn receive_batches(
    node: &mut NodeProcess,
    peers: &[&str],
    wanted: &[i64],
    others: &mut Vec<Value>,
) -> BTreeMap<String, Vec<Vec<i64>>> {
    let mut got: BTreeMap<String, Vec<Vec<i64>>> = BTreeMap::new();
    let complete = |got: &BTreeMap<String, Vec<Vec<i64>>>| {
        peers.iter().all(|peer| {
            let values: Vec<i64> = got
                .get(*peer)
                .into_iter()
                .flatten()
                .flatten()
                .copied()
                .collect();
            wanted.iter().all(|w| values.contains(w))
        })
    };
    while !complete(&got) {
        let batch = match others.iter().position(is_batch) {
            Some(pos) => others.remove(pos),
            None => node.recv_until(others, is_batch),
        };
        node.send(ack(&batch));
        let dest = batch["dest"].as_str().unwrap_or_default().to_string();
        got.entry(dest).or_default().push(values(&batch));
    }
    got
}

/// A follower's client values travel in batches to its children and the master, each value once.
#[test]
fn client_values_travel_together_to_children_and_master() {
    let mut node = start("n2");
    let mut others = Vec::new();

    for value in 1..=5 {
        node.broadcast("c1", value, &mut others);
    }
    let got = receive_batches(
        &mut node,
        &["n1", "n3", "n12"],
        &[1, 2, 3, 4, 5],
        &mut others,
    );

    let peers: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(peers, ["n1", "n12", "n3"], "{got:?}");
    for (peer, batches) in &got {
        // Five quick broadcasts fit in one batch, or two if a tick fell between them.
        assert!(batches.len() <= 2, "to {peer}: {batches:?}");
        let mut all: Vec<i64> = batches.concat();
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3, 4, 5], "to {peer}: {batches:?}");
    }
    // Nothing new, so nothing more in the next ticks.
    thread::sleep(A_FEW_TICKS);
    others.extend(node.shutdown());
    let more: Vec<&Value> = others.iter().filter(|m| is_batch(m)).collect();
    assert!(more.is_empty(), "batches with nothing new: {more:?}");
}

/// A batch from another node is acknowledged, and only its new values go on, to the children only.
#[test]
fn only_new_values_of_a_batch_go_down_the_tree() {
    let mut node = start("n2");
    let mut others = Vec::new();

    node.broadcast("c1", 5, &mut others);
    receive_batches(&mut node, &["n1", "n3", "n12"], &[5], &mut others);
    let batch = json!({"type": "broadcast_internal", "messages": [5, 6, 7], "msg_id": 30});
    node.send_from("n7", batch);
    let reply = node.recv_until(&mut others, |m| m["dest"] == "n7");
    let ok = json!({"type": "broadcast_internal_ok", "in_reply_to": 30});
    assert_eq!(reply, message("n2", "n7", ok));

    let got = receive_batches(&mut node, &["n1", "n3"], &[6, 7], &mut others);
    thread::sleep(A_FEW_TICKS);
    others.extend(node.shutdown());
    for batches in got.values() {
        assert_eq!(batches.concat(), [6, 7], "{got:?}");
    }
    assert!(
        !got.contains_key("n12"),
        "not back up to the master: {got:?}"
    );
    let more: Vec<&Value> = others.iter().filter(|m| is_batch(m)).collect();
    assert!(more.is_empty(), "more batches: {more:?}");
    assert_eq!(node.stderr().matches("Closing batcher").count(), 1);
}

/// A batch nobody acknowledges is sent again, whole, as a new request.
#[test]
fn an_unacknowledged_batch_is_retried() {
    let mut node = start("n12");
    let mut others = Vec::new();

    // One value, so that the second batch to n13 cannot be a new one.
    node.broadcast("c1", 8, &mut others);
    let first = node.recv_until(&mut others, |m| is_batch(m) && m["dest"] == "n13");
    let retry = node.recv_until(&mut others, |m| is_batch(m) && m["dest"] == "n13");

    assert_eq!(values(&retry), values(&first), "{first} then {retry}");
    assert_ne!(retry["body"]["msg_id"], first["body"]["msg_id"], "{retry}");
}
