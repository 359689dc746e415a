//! End to end: the real `g-counter` binary, driven over stdin/stdout, with
//! the test playing Maelstrom's `seq-kv` service (its semantics are in
//! `src/maelstrom/service.clj`: a request that changes nothing may be
//! evaluated at any state from the last one its node saw; one that changes
//! the store is applied to the newest state).

use std::collections::HashMap;

use serde_json::{json, Value};
use testkit::{message, node_ids, NodeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_g-counter");

/// The next message from `node`, which must be a request to `seq-kv` with
/// `body` (apart from its `msg_id`); returns that `msg_id`.
#[track_caller]
fn expect_kv(node: &mut NodeProcess, node_id: &str, body: Value) -> Value {
    let request = node.recv();
    assert_eq!(
        (&request["src"], &request["dest"]),
        (&json!(node_id), &json!("seq-kv")),
        "{request}"
    );
    let mut got = request["body"].clone();
    let msg_id = got
        .as_object_mut()
        .and_then(|b| b.remove("msg_id"))
        .unwrap_or(Value::Null);
    assert!(
        msg_id.is_u64(),
        "a request without an integer msg_id: {request}"
    );
    assert_eq!(got, body, "{request}");
    msg_id
}

/// Answers the `seq-kv` request `msg_id` of `node_id` with `body`.
fn answer(node: &mut NodeProcess, node_id: &str, msg_id: &Value, mut body: Value) {
    body["in_reply_to"] = msg_id.clone();
    node.send(message("seq-kv", node_id, body));
}

/// The next message from `node`, which must be the answer to client `c1`'s `msg_id`.
#[track_caller]
fn expect_answer(node: &mut NodeProcess, msg_id: u64, body: Value) {
    let reply = node.recv();
    let mut expected = body;
    expected["in_reply_to"] = msg_id.into();
    assert_eq!(reply, message("n0", "c1", expected));
}

/// An add reads the counter and swaps it from what it read; after a stale read the swap fails and it reads and swaps again.
#[test]
fn add_swaps_from_what_it_read_and_retries_after_a_stale_read() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));

    // Nobody has added yet: the key is missing and the swap creates it.
    node.send_from("c1", json!({"type": "add", "delta": 3, "msg_id": 1}));
    let read = expect_kv(&mut node, "n0", json!({"type": "read", "key": "counter"}));
    let missing = json!({"type": "error", "code": 20, "text": "key does not exist"});
    answer(&mut node, "n0", &read, missing);
    let cas =
        json!({"type": "cas", "key": "counter", "from": 0, "to": 3, "create_if_not_exists": true});
    let cas = expect_kv(&mut node, "n0", cas);
    answer(&mut node, "n0", &cas, json!({"type": "cas_ok"}));
    expect_answer(&mut node, 1, json!({"type": "add_ok"}));

    // The counter is 3, but seq-kv shows an older state; the swap, a change,
    // meets the newest state and fails; the next read sees 3.
    node.send_from("c1", json!({"type": "add", "delta": 2, "msg_id": 2}));
    let read = expect_kv(&mut node, "n0", json!({"type": "read", "key": "counter"}));
    answer(
        &mut node,
        "n0",
        &read,
        json!({"type": "read_ok", "value": 0}),
    );
    let cas =
        json!({"type": "cas", "key": "counter", "from": 0, "to": 2, "create_if_not_exists": true});
    let cas = expect_kv(&mut node, "n0", cas);
    let stale = json!({"type": "error", "code": 22, "text": "current value 3 is not 0"});
    answer(&mut node, "n0", &cas, stale);
    let read = expect_kv(&mut node, "n0", json!({"type": "read", "key": "counter"}));
    answer(
        &mut node,
        "n0",
        &read,
        json!({"type": "read_ok", "value": 3}),
    );
    let cas =
        json!({"type": "cas", "key": "counter", "from": 3, "to": 5, "create_if_not_exists": true});
    let cas = expect_kv(&mut node, "n0", cas);
    answer(&mut node, "n0", &cas, json!({"type": "cas_ok"}));
    expect_answer(&mut node, 2, json!({"type": "add_ok"}));

    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A read first writes a value never written before to the node's own key, then reads; a missing counter reads as 0.
#[test]
fn read_writes_a_new_value_to_its_own_key_first() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));
    let mut synced = Vec::new();
    for (msg_id, stored) in [(1, Some(7)), (2, None), (3, Some(9))] {
        node.send_from("c1", json!({"type": "read", "msg_id": msg_id}));
        let write = node.recv();
        assert_eq!(write["dest"], "seq-kv", "{write}");
        assert_eq!(write["body"]["type"], "write", "{write}");
        assert_eq!(write["body"]["key"], "sync-n0", "{write}");
        assert!(
            !synced.contains(&write["body"]["value"]),
            "a value written before: {write}"
        );
        synced.push(write["body"]["value"].clone());
        let written = write["body"]["msg_id"].clone();
        answer(&mut node, "n0", &written, json!({"type": "write_ok"}));
        let read = expect_kv(&mut node, "n0", json!({"type": "read", "key": "counter"}));
        let body = match stored {
            Some(value) => json!({"type": "read_ok", "value": value}),
            None => json!({"type": "error", "code": 20, "text": "key does not exist"}),
        };
        answer(&mut node, "n0", &read, body);
        let value = stored.unwrap_or(0);
        expect_answer(
            &mut node,
            msg_id,
            json!({"type": "read_ok", "value": value}),
        );
    }
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// A swap that gets no answer is not tried again (it may have taken effect): the client gets the timeout, an indefinite error.
#[test]
fn a_swap_without_an_answer_is_not_retried() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));
    node.send_from("c1", json!({"type": "add", "delta": 1, "msg_id": 1}));
    let read = expect_kv(&mut node, "n0", json!({"type": "read", "key": "counter"}));
    answer(
        &mut node,
        "n0",
        &read,
        json!({"type": "read_ok", "value": 4}),
    );
    let cas =
        json!({"type": "cas", "key": "counter", "from": 4, "to": 5, "create_if_not_exists": true});
    expect_kv(&mut node, "n0", cas);
    // No answer: the KV client gives up after its timeout.
    let reply = node.recv();
    assert_eq!(reply["dest"], "c1", "{reply}");
    assert_eq!(reply["body"]["type"], "error", "{reply}");
    assert_eq!(reply["body"]["code"], 0, "{reply}");
    assert_eq!(reply["body"]["in_reply_to"], 1, "{reply}");
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// An add whose delta is not an integer gets malformed-request and touches nothing.
#[test]
fn a_malformed_add_touches_nothing() {
    let mut node = NodeProcess::start(BIN, "n0", &node_ids(3));
    for delta in [json!("3"), json!(1.5), json!(null)] {
        let reply = node.request("c1", json!({"type": "add", "delta": delta}));
        assert_eq!(reply["body"]["code"], 12, "{reply}");
    }
    assert_eq!(node.shutdown(), Vec::<Value>::new());
}

/// `seq-kv` as `src/maelstrom/service.clj` (`Sequential`) simulates it:
/// each request is evaluated at a state between the last one its node saw
/// and the newest; if that changes nothing, that is the answer, else the
/// request is applied to the newest state. Which state: the oldest allowed
/// (`seed` 0, the most stale seq-kv can be), or one drawn from `seed`
/// (uniformly, as Maelstrom draws it).
struct StaleSeqKv {
    /// Every state so far, oldest first; the store starts empty.
    states: Vec<HashMap<String, Value>>,
    /// Per node, the index of the last state it saw (0 if none).
    seen: HashMap<String, usize>,
    /// 0, or the state of a small random generator (xorshift).
    seed: u64,
}

impl StaleSeqKv {
    fn new(seed: u64) -> StaleSeqKv {
        StaleSeqKv {
            states: vec![HashMap::new()],
            seen: HashMap::new(),
            seed,
        }
    }

    /// The index of the state at which a request from a node that last saw
    /// state `seen` is evaluated.
    fn pick(&mut self, seen: usize) -> usize {
        if self.seed == 0 {
            return seen;
        }
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let choices = (self.states.len() - seen) as u64;
        seen + (self.seed % choices) as usize
    }

    /// The answer to `body` from node `src`.
    fn request(&mut self, src: &str, body: &Value) -> Value {
        let seen = self.seen.get(src).copied().unwrap_or(0);
        let index = self.pick(seen);
        let mut state = self.states[index].clone();
        let answer = apply(&mut state, body);
        if state == self.states[index] {
            self.seen.insert(src.to_string(), index);
            return answer;
        }
        let mut newest = self.states[self.states.len() - 1].clone();
        let answer = apply(&mut newest, body);
        self.states.push(newest);
        self.seen.insert(src.to_string(), self.states.len() - 1);
        answer
    }
}

/// One KV request applied to `store`, as Maelstrom's `PersistentKV` does.
fn apply(store: &mut HashMap<String, Value>, body: &Value) -> Value {
    let key = body["key"].as_str().unwrap_or("").to_string();
    let missing = json!({"type": "error", "code": 20, "text": "key does not exist"});
    match body["type"].as_str() {
        Some("read") => match store.get(&key) {
            Some(value) => json!({"type": "read_ok", "value": value}),
            None => missing,
        },
        Some("write") => {
            store.insert(key, body["value"].clone());
            json!({"type": "write_ok"})
        }
        Some("cas") => match store.get(&key) {
            Some(current) if *current == body["from"] => {
                store.insert(key, body["to"].clone());
                json!({"type": "cas_ok"})
            }
            Some(current) => json!({"type": "error", "code": 22,
                "text": format!("current value {current} is not {}", body["from"])}),
            None if body["create_if_not_exists"] == true => {
                store.insert(key, body["to"].clone());
                json!({"type": "cas_ok"})
            }
            None => missing,
        },
        _ => panic!("a request seq-kv does not serve: {body}"),
    }
}

/// Sends client `c1`'s request `body` to `node` and plays `seq-kv` for it
/// until the node answers the client; returns that answer's body.
#[track_caller]
fn serve(node: &mut NodeProcess, kv: &mut StaleSeqKv, msg_id: u64, mut body: Value) -> Value {
    body["msg_id"] = msg_id.into();
    node.send_from("c1", body);
    loop {
        let msg = node.recv();
        if msg["dest"] == "c1" {
            assert_eq!(msg["body"]["in_reply_to"], msg_id, "{msg}");
            return msg["body"].clone();
        }
        assert_eq!(msg["dest"], "seq-kv", "{msg}");
        let src = msg["src"].as_str().unwrap_or("").to_string();
        let mut reply = kv.request(&src, &msg["body"]);
        reply["in_reply_to"] = msg["body"]["msg_id"].clone();
        node.send(message("seq-kv", &src, reply));
    }
}

/// Against seq-kv at its most stale, and as Maelstrom draws states, three nodes' adds all count, and each node's read after them returns the exact sum.
#[test]
fn reads_after_the_adds_return_the_sum_however_stale_seq_kv_is() {
    for seed in [0, 1, 42, 1234567, 987654321] {
        adds_then_reads_on_three_nodes(seed);
    }
}

/// Adds spread over three nodes, then a read on each, against `StaleSeqKv::new(seed)`.
#[track_caller]
fn adds_then_reads_on_three_nodes(seed: u64) {
    let ids = node_ids(3);
    let mut nodes: Vec<NodeProcess> = ids
        .iter()
        .map(|id| NodeProcess::start(BIN, id, &ids))
        .collect();
    let mut kv = StaleSeqKv::new(seed);
    let mut sum = 0;
    for (msg_id, delta) in (1..).zip([3, 0, 4, 1, 2, 4, 1, 3, 2]) {
        let node = &mut nodes[msg_id as usize % 3];
        let reply = serve(
            node,
            &mut kv,
            msg_id,
            json!({"type": "add", "delta": delta}),
        );
        let expected = json!({"type": "add_ok", "in_reply_to": msg_id});
        assert_eq!(reply, expected, "seed {seed}");
        sum += delta;
    }
    for (node, msg_id) in nodes.iter_mut().zip(100..) {
        let reply = serve(node, &mut kv, msg_id, json!({"type": "read"}));
        let expected = json!({"type": "read_ok", "value": sum, "in_reply_to": msg_id});
        assert_eq!(reply, expected, "seed {seed}");
    }
    for mut node in nodes {
        assert_eq!(node.shutdown(), Vec::<Value>::new());
    }
}
