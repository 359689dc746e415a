//! End to end: the real `broadcast-3d-flat` binary, driven over stdin/stdout. The
//! test plays the clients and the 24 other nodes of a 25-node cluster.
//!
//! The node's anti-entropy timer may send a `sync` at any moment, so the
//! tests never expect a particular message next: they receive until the one
//! they want and judge the others afterwards.

use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{message, node_ids, values, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3d-flat");

/// Node `n1` of the 25-node cluster `n0` ... `n24`, initialised.
fn n1() -> NodeProcess {
    NodeProcess::start(BIN, "n1", &node_ids(25))
}

/// Whether `msg` is a `sync` from the node's anti-entropy timer.
fn is_sync(msg: &Value) -> bool {
    msg["src"] == "n1" && msg["body"]["type"] == "sync"
}

/// A client's value goes to each of the 24 peers exactly once, in one
/// `broadcast_internal` that asks for no acknowledgement.
#[test]
fn client_value_goes_to_every_peer_in_one_hop() {
    let mut node = n1();
    let mut others = Vec::new();

    node.broadcast("c1", 7, &mut others);
    others.extend(node.shutdown());

    let internal = json!({"type": "broadcast_internal", "messages": [7]});
    let mut destinations = BTreeSet::new();
    for msg in others.iter().filter(|m| !is_sync(m)) {
        assert_eq!(msg["body"], internal, "{msg}");
        let dest = msg["dest"].as_str().unwrap_or_default().to_string();
        assert!(destinations.insert(dest), "sent twice: {msg}");
    }
    let peers: BTreeSet<String> = node_ids(25).into_iter().filter(|id| id != "n1").collect();
    assert_eq!(destinations, peers);
}

/// Values from a peer are kept and read back, but neither answered nor passed on.
#[test]
fn peer_values_are_kept_without_answer_or_forwarding() {
    let mut node = n1();
    let mut others = Vec::new();

    node.send_from(
        "n7",
        json!({"type": "broadcast_internal", "messages": [4, 5]}),
    );
    node.send_from(
        "n8",
        json!({"type": "broadcast_internal", "messages": [5, 6]}),
    );

    assert_eq!(node.read("c9", &mut others), [4, 5, 6]);
    others.extend(node.shutdown());
    let strays: Vec<&Value> = others.iter().filter(|m| !is_sync(m)).collect();
    assert!(strays.is_empty(), "unexpected messages: {strays:?}");
}

/// A `sync` gets back exactly what its sender lacks, and what it brings is kept.
#[test]
fn sync_exchanges_the_differences() {
    let mut node = n1();
    let mut others = Vec::new();

    node.broadcast("c1", 1, &mut others);
    node.broadcast("c1", 2, &mut others);
    // Values younger than the in-flight allowance are not offered; wait it out.
    thread::sleep(Duration::from_millis(600));

    node.send_from("n3", json!({"type": "sync", "messages": [2, 3]}));
    // The forwards of 1 and 2 to n3 went out before each broadcast_ok, so
    // they are behind us: the next broadcast_internal to n3 is the answer.
    let answer = node.recv_until(&mut others, |m| {
        m["dest"] == "n3" && m["body"]["type"] == "broadcast_internal"
    });
    assert_eq!(
        answer,
        message(
            "n1",
            "n3",
            json!({"type": "broadcast_internal", "messages": [1]})
        )
    );
    assert_eq!(node.read("c9", &mut others), [1, 2, 3]);
}

/// A `sync` from a peer that holds everything gets no answer.
#[test]
fn sync_from_a_peer_in_step_gets_no_answer() {
    let mut node = n1();
    let mut others = Vec::new();

    node.send_from("n4", json!({"type": "broadcast_internal", "messages": [8]}));
    thread::sleep(Duration::from_millis(600));
    node.send_from("n4", json!({"type": "sync", "messages": [8, 9]}));

    assert_eq!(node.read("c9", &mut others), [8, 9]);
    others.extend(node.shutdown());
    let strays: Vec<&Value> = others.iter().filter(|m| !is_sync(m)).collect();
    assert!(strays.is_empty(), "unexpected messages: {strays:?}");
}

/// The anti-entropy timer sends the node's whole set to a peer, unasked.
#[test]
fn anti_entropy_sends_the_whole_set() {
    let mut node = n1();
    let mut others = Vec::new();

    let internal = json!({"type": "broadcast_internal", "messages": [10, 11, 12]});
    node.send_from("n5", internal);
    // The first sync may predate the values; wait for one that has them all.
    let sync = node.recv_until(&mut others, |m| is_sync(m) && values(m).len() == 3);

    let held: BTreeSet<i64> = values(&sync).into_iter().collect();
    assert_eq!(held, BTreeSet::from([10, 11, 12]), "{sync}");
    let dest = sync["dest"].as_str().unwrap_or_default();
    assert!(
        dest != "n1" && node_ids(25).iter().any(|id| id == dest),
        "{sync}"
    );
}
