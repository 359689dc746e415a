//! End to end: the real `broadcast-3e` binary, driven over stdin/stdout. The
//! test plays the clients and the other nodes of a 25-node cluster whose hub
//! is `n0` (the first id).
//!
//! The node's timers (batches, anti-entropy) may send at any moment, so the
//! tests never expect a particular message next: they receive until what they
//! want has arrived and judge the rest afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3e");

/// `n0` ... `n24`.
fn cluster() -> Vec<String> {
    (0..25).map(|i| format!("n{i}")).collect()
}

/// Node `node_id` of the 25-node cluster, initialised.
fn start(node_id: &str) -> NodeProcess {
    let ids = cluster();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut node = NodeProcess::spawn(BIN);
    node.init(node_id, &ids);
    node
}

/// Receives until a message matching `wanted` arrives and returns it; the
/// ones before it are appended to `others`.
#[track_caller]
fn recv_until(
    node: &mut NodeProcess,
    others: &mut Vec<Value>,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        let msg = node.recv();
        if wanted(&msg) {
            return msg;
        }
        others.push(msg);
    }
}

/// Sends a client broadcast of `value` to `node_id` and waits for its `broadcast_ok`.
#[track_caller]
fn broadcast(node: &mut NodeProcess, node_id: &str, value: i64, others: &mut Vec<Value>) {
    let body = json!({"type": "broadcast", "message": value, "msg_id": value});
    node.send(message("c1", node_id, body));
    let ack = recv_until(node, others, |m| m["dest"] == "c1");
    let ok = json!({"type": "broadcast_ok", "in_reply_to": value});
    assert_eq!(ack, message(node_id, "c1", ok));
}

/// The integer values of a message body's `messages`; panics on anything else.
#[track_caller]
fn values(msg: &Value) -> Vec<i64> {
    let Some(values) = msg["body"]["messages"].as_array() else {
        panic!("no messages array: {msg}");
    };
    values
        .iter()
        .map(|v| match v.as_i64() {
            Some(v) => v,
            None => panic!("a value that is not an integer: {msg}"),
        })
        .collect()
}

/// Whether `msg` is a `broadcast_internal`.
fn is_internal(msg: &Value) -> bool {
    msg["body"]["type"] == "broadcast_internal"
}

/// A node that is not the hub passes a client's value to the hub alone, once.
#[test]
fn a_value_goes_to_the_hub_only() {
    let mut node = start("n1");
    let mut others = Vec::new();

    broadcast(&mut node, "n1", 7, &mut others);
    others.extend(node.shutdown());

    let internal: Vec<&Value> = others.iter().filter(|m| is_internal(m)).collect();
    let expected = message(
        "n1",
        "n0",
        json!({"type": "broadcast_internal", "messages": [7]}),
    );
    assert_eq!(internal, [&expected]);
    let strays: Vec<&Value> = others
        .iter()
        .filter(|m| !(is_internal(m) || m["dest"] == "n0" && m["body"]["type"] == "sync"))
        .collect();
    assert!(strays.is_empty(), "unexpected messages: {strays:?}");
}

/// The hub batches values from clients and nodes to all 24 peers, each value
/// once per peer, and sends nothing more once nothing is new.
#[test]
fn the_hub_batches_values_to_every_peer() {
    let mut hub = start("n0");
    let mut others = Vec::new();

    broadcast(&mut hub, "n0", 1, &mut others);
    hub.send(message(
        "n3",
        "n0",
        json!({"type": "broadcast_internal", "messages": [2, 3]}),
    ));

    // Receive until every peer has had all three values.
    let mut received: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let complete = |received: &BTreeMap<String, Vec<i64>>| {
        received.len() == 24 && received.values().all(|v| v.len() >= 3)
    };
    while !complete(&received) {
        let msg = recv_until(&mut hub, &mut others, is_internal);
        let dest = msg["dest"].as_str().unwrap_or_default().to_string();
        received.entry(dest).or_default().extend(values(&msg));
    }
    // Several batch intervals with nothing new: no more batches.
    thread::sleep(Duration::from_secs(1));
    others.extend(hub.shutdown());

    let peers: BTreeSet<String> = cluster().into_iter().filter(|id| id != "n0").collect();
    assert_eq!(received.keys().cloned().collect::<BTreeSet<_>>(), peers);
    for (peer, mut got) in received {
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3], "values batched to {peer}");
    }
    let more: Vec<&Value> = others.iter().filter(|m| is_internal(m)).collect();
    assert!(more.is_empty(), "batches with nothing new: {more:?}");
}

/// The hub answers a `sync` with the old values its sender lacks, and batches
/// what the sync brought to everyone.
#[test]
fn the_hub_repairs_a_node_through_sync() {
    let mut hub = start("n0");
    let mut others = Vec::new();

    broadcast(&mut hub, "n0", 1, &mut others);
    // Wait until value 1 has been batched to n5 and is older than the
    // allowance for values in flight, so that a sync without it is a loss.
    recv_until(&mut hub, &mut others, |m| {
        is_internal(m) && m["dest"] == "n5"
    });
    thread::sleep(Duration::from_millis(1200));

    hub.send(message(
        "n5",
        "n0",
        json!({"type": "sync", "messages": [9]}),
    ));
    let answer = recv_until(&mut hub, &mut others, |m| {
        is_internal(m) && m["dest"] == "n5" && values(m) == [1]
    });
    assert_eq!(
        answer,
        message(
            "n0",
            "n5",
            json!({"type": "broadcast_internal", "messages": [1]})
        )
    );
    // 9 was new to the hub: it goes to everyone in a batch (n5 included).
    let mut batched_9 = BTreeSet::new();
    while batched_9.len() < 24 {
        let msg = recv_until(&mut hub, &mut others, |m| {
            is_internal(m) && values(m) == [9]
        });
        let dest = msg["dest"].as_str().unwrap_or_default().to_string();
        assert!(batched_9.insert(dest), "9 batched twice: {msg}");
    }
}

/// A node's anti-entropy timer sends its whole set to the hub.
#[test]
fn nodes_sync_with_the_hub() {
    let mut node = start("n7");
    let mut others = Vec::new();

    node.send(message(
        "n0",
        "n7",
        json!({"type": "broadcast_internal", "messages": [4, 5]}),
    ));
    broadcast(&mut node, "n7", 6, &mut others);
    let sync = recv_until(&mut node, &mut others, |m| {
        m["body"]["type"] == "sync" && values(m).len() == 3
    });

    assert_eq!(sync["dest"], "n0", "{sync}");
    let mut got = values(&sync);
    got.sort_unstable();
    assert_eq!(got, [4, 5, 6]);
}
