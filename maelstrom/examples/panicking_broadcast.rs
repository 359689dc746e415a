//! A single-node broadcast node on the node library (`common`) whose broadcast handler panics on
//! every positive multiple of 7, for the runner's end-to-end tests (`tests/e2e.rs`).
//!
//! The library turns the panic into an error 13 (`crash`) reply, `handler for "broadcast"
//! panicked: BUG: I don't like 7`, as Maelstrom's Go library turns a handler's error into one;
//! the op is indefinite, so the run is still valid, and the runner must say what happened.
//!
//! Run it with `-w broadcast --node-count 1`.

use std::collections::HashSet;
use std::sync::Arc;

use common::{Error, Message, Node};
use parking_lot::Mutex;
use serde_json::{json, Value};

fn main() {
    common::init_logging("panicking_broadcast");
    let node = Node::new();
    let messages: Arc<Mutex<HashSet<i64>>> = Arc::default();

    let (n, seen) = (node.clone(), Arc::clone(&messages));
    node.handle("broadcast", move |msg: Message| {
        let body: Value = msg.body()?;
        let message = body["message"].as_i64().unwrap_or_default();
        if message > 0 && message % 7 == 0 {
            panic!("BUG: I don't like {message}");
        }
        seen.lock().insert(message);
        n.reply(&msg, &json!({"type": "broadcast_ok"}))
    });
    let (n, seen) = (node.clone(), Arc::clone(&messages));
    node.handle("read", move |msg: Message| {
        let messages: Vec<i64> = seen.lock().iter().copied().collect();
        n.reply(&msg, &json!({"type": "read_ok", "messages": messages}))
    });
    let n = node.clone();
    node.handle("topology", move |msg: Message| -> Result<(), Error> {
        n.reply(&msg, &json!({"type": "topology_ok"}))
    });
    if let Err(e) = node.run() {
        eprintln!("panicking_broadcast: {e}");
        std::process::exit(1);
    }
}
