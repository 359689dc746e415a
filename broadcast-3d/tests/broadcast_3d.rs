//! End to end: the real `broadcast-3d` binary, driven over stdin/stdout. The
//! test plays the clients and the 24 other nodes of a 25-node cluster.
//!
//! The node's anti-entropy timer may send a `sync` at any moment, so the
//! tests never expect a particular message next: they receive until the one
//! they want and judge the others afterwards.

use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{message, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast-3d");

/// `n0` ... `n24`.
fn cluster() -> Vec<String> {
    (0..25).map(|i| format!("n{i}")).collect()
}

/// Node `n1` of the 25-node cluster, initialised.
fn n1() -> NodeProcess {
    let ids = cluster();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut node = NodeProcess::spawn(BIN);
    node.init("n1", &ids);
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

/// Sends a client `read` and returns the sorted values of its `read_ok`.
#[track_caller]
fn read(node: &mut NodeProcess, others: &mut Vec<Value>) -> Vec<i64> {
    node.send(message("c9", "n1", json!({"type": "read", "msg_id": 99})));
    let reply = recv_until(node, others, |m| m["dest"] == "c9");
    assert_eq!(reply["body"]["type"], "read_ok", "{reply}");
    assert_eq!(reply["body"]["in_reply_to"], 99, "{reply}");
    let Some(values) = reply["body"]["messages"].as_array() else {
        panic!("read_ok without a messages array: {reply}");
    };
    let mut values: Vec<i64> = values.iter().filter_map(Value::as_i64).collect();
    values.sort_unstable();
    values
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

    let body = json!({"type": "broadcast", "message": 7, "msg_id": 1});
    node.send(message("c1", "n1", body));
    let ack = recv_until(&mut node, &mut others, |m| m["dest"] == "c1");
    assert_eq!(
        ack,
        message(
            "n1",
            "c1",
            json!({"type": "broadcast_ok", "in_reply_to": 1})
        )
    );
    others.extend(node.shutdown());

    let internal = json!({"type": "broadcast_internal", "messages": [7]});
    let mut destinations = BTreeSet::new();
    for msg in others.iter().filter(|m| !is_sync(m)) {
        assert_eq!(msg["body"], internal, "{msg}");
        let dest = msg["dest"].as_str().unwrap_or_default().to_string();
        assert!(destinations.insert(dest), "sent twice: {msg}");
    }
    let peers: BTreeSet<String> = cluster().into_iter().filter(|id| id != "n1").collect();
    assert_eq!(destinations, peers);
}

/// Values from a peer are kept and read back, but neither answered nor passed on.
#[test]
fn peer_values_are_kept_without_answer_or_forwarding() {
    let mut node = n1();
    let mut others = Vec::new();

    let internal = json!({"type": "broadcast_internal", "messages": [4, 5]});
    node.send(message("n7", "n1", internal));
    node.send(message(
        "n8",
        "n1",
        json!({"type": "broadcast_internal", "messages": [5, 6]}),
    ));

    assert_eq!(read(&mut node, &mut others), [4, 5, 6]);
    others.extend(node.shutdown());
    let strays: Vec<&Value> = others.iter().filter(|m| !is_sync(m)).collect();
    assert!(strays.is_empty(), "unexpected messages: {strays:?}");
}

/// A `sync` gets back exactly what its sender lacks, and what it brings is kept.
#[test]
fn sync_exchanges_the_differences() {
    let mut node = n1();
    let mut others = Vec::new();

    for (msg_id, value) in [(1, 1), (2, 2)] {
        let body = json!({"type": "broadcast", "message": value, "msg_id": msg_id});
        node.send(message("c1", "n1", body));
        recv_until(&mut node, &mut others, |m| m["dest"] == "c1");
    }
    // Values younger than the in-flight allowance are not offered; wait it out.
    thread::sleep(Duration::from_millis(600));

    let sync = json!({"type": "sync", "messages": [2, 3]});
    node.send(message("n3", "n1", sync));
    // The forwards of 1 and 2 to n3 went out before each broadcast_ok, so
    // they are behind us: the next broadcast_internal to n3 is the answer.
    let answer = recv_until(&mut node, &mut others, |m| {
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
    assert_eq!(read(&mut node, &mut others), [1, 2, 3]);
}

/// A `sync` from a peer that holds everything gets no answer.
#[test]
fn sync_from_a_peer_in_step_gets_no_answer() {
    let mut node = n1();
    let mut others = Vec::new();

    node.send(message(
        "n4",
        "n1",
        json!({"type": "broadcast_internal", "messages": [8]}),
    ));
    thread::sleep(Duration::from_millis(600));
    node.send(message(
        "n4",
        "n1",
        json!({"type": "sync", "messages": [8, 9]}),
    ));

    assert_eq!(read(&mut node, &mut others), [8, 9]);
    others.extend(node.shutdown());
    let strays: Vec<&Value> = others.iter().filter(|m| !is_sync(m)).collect();
    assert!(strays.is_empty(), "unexpected messages: {strays:?}");
}

/// The anti-entropy timer sends the node's whole set to a peer, unasked.
#[test]
fn anti_entropy_sends_the_whole_set() {
    let mut node = n1();
    let mut others = Vec::new();

    node.send(message(
        "n5",
        "n1",
        json!({"type": "broadcast_internal", "messages": [10, 11, 12]}),
    ));
    // The first sync may predate the values; wait for one that has them all.
    let sync = recv_until(&mut node, &mut others, |m| {
        is_sync(m) && m["body"]["messages"].as_array().map(Vec::len) == Some(3)
    });

    let Some(values) = sync["body"]["messages"].as_array() else {
        panic!("sync without messages: {sync}");
    };
    let values: BTreeSet<i64> = values.iter().filter_map(Value::as_i64).collect();
    assert_eq!(values, BTreeSet::from([10, 11, 12]), "{sync}");
    let dest = sync["dest"].as_str().unwrap_or_default();
    assert!(
        dest != "n1" && cluster().iter().any(|id| id == dest),
        "{sync}"
    );
}
