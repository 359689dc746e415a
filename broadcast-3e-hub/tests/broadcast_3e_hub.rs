//! End to end: the real `broadcast-3e-hub` binary, driven over stdin/stdout. The
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
use testkit::{message, node_ids, values, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3e-hub");

/// Node `node_id` of the 25-node cluster `n0` ... `n24`, initialised.
fn start(node_id: &str) -> NodeProcess {
    NodeProcess::start(BIN, node_id, &node_ids(25))
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

    node.broadcast("c1", 7, &mut others);
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

    hub.broadcast("c1", 1, &mut others);
    hub.send_from(
        "n3",
        json!({"type": "broadcast_internal", "messages": [2, 3]}),
    );

    // Receive until every peer has had all three values.
    let mut received: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let complete = |received: &BTreeMap<String, Vec<i64>>| {
        received.len() == 24 && received.values().all(|v| v.len() >= 3)
    };
    while !complete(&received) {
        let msg = hub.recv_until(&mut others, is_internal);
        let dest = msg["dest"].as_str().unwrap_or_default().to_string();
        received.entry(dest).or_default().extend(values(&msg));
    }
    // Several batch intervals with nothing new: no more batches.
    thread::sleep(Duration::from_secs(1));
    others.extend(hub.shutdown());

    let peers: BTreeSet<String> = node_ids(25).into_iter().filter(|id| id != "n0").collect();
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

    hub.broadcast("c1", 1, &mut others);
    // Wait until value 1 has been batched to n5 and is older than the
    // allowance for values in flight, so that a sync without it is a loss.
    hub.recv_until(&mut others, |m| is_internal(m) && m["dest"] == "n5");
    thread::sleep(Duration::from_millis(1200));

    hub.send_from("n5", json!({"type": "sync", "messages": [9]}));
    let answer = hub.recv_until(&mut others, |m| {
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
        let msg = hub.recv_until(&mut others, |m| is_internal(m) && values(m) == [9]);
        let dest = msg["dest"].as_str().unwrap_or_default().to_string();
        assert!(batched_9.insert(dest), "9 batched twice: {msg}");
    }
}

/// A node's anti-entropy timer sends its whole set to the hub.
#[test]
fn nodes_sync_with_the_hub() {
    let mut node = start("n7");
    let mut others = Vec::new();

    node.send_from(
        "n0",
        json!({"type": "broadcast_internal", "messages": [4, 5]}),
    );
    node.broadcast("c1", 6, &mut others);
    let sync = node.recv_until(&mut others, |m| {
        m["body"]["type"] == "sync" && values(m).len() == 3
    });

    assert_eq!(sync["dest"], "n0", "{sync}");
    let mut got = values(&sync);
    got.sort_unstable();
    assert_eq!(got, [4, 5, 6]);
}
