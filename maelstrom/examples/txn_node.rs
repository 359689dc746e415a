//! A single-node transaction server for the txn workloads' end-to-end tests (`tests/e2e.rs`),
//! in one of two modes given as the trailing argument (`--bin txn_node -- serial`):
//!
//! | mode | what the node does | what the runner must say |
//! |---|---|---|
//! | `serial` | runs each transaction whole, under one lock | valid, even strict serializable |
//! | `dirty` | runs micro-ops one at a time, a millisecond apart, each request on its own thread, all on one shared state | read committed does not hold (intermediate reads, G1b) |
//!
//! It answers `txn` for registers (`w`) and lists (`append`) alike. Plain std and serde_json on
//! purpose, like `examples/misbehave.rs`.
#![allow(clippy::print_stdout)] // stdout is the network: this program speaks the protocol there.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// The store: registers and lists side by side, keyed by the key's JSON text.
#[derive(Default)]
struct Store {
    registers: HashMap<String, Value>,
    lists: HashMap<String, Vec<Value>>,
}

impl Store {
    /// Applies one micro-op, returning it with a read filled in.
    fn apply(&mut self, mop: &Value) -> Value {
        let (f, k, v) = (&mop[0], &mop[1], &mop[2]);
        let key = k.to_string();
        match f.as_str() {
            Some("r") => {
                let value = match (self.registers.get(&key), self.lists.get(&key)) {
                    (Some(r), _) => r.clone(),
                    (None, Some(l)) => json!(l),
                    (None, None) => Value::Null,
                };
                json!([f, k, value])
            }
            Some("w") => {
                self.registers.insert(key, v.clone());
                mop.clone()
            }
            Some("append") => {
                self.lists.entry(key).or_default().push(v.clone());
                mop.clone()
            }
            _ => mop.clone(),
        }
    }
}

type Shared<T> = Arc<Mutex<T>>;

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if !["serial", "dirty"].contains(&mode.as_str()) {
        eprintln!("usage: txn_node <serial|dirty>");
        return ExitCode::from(2);
    }
    let store: Shared<Store> = Arc::default();
    let out: Shared<io::Stdout> = Arc::new(Mutex::new(io::stdout()));
    let mut id = String::new();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            eprintln!("txn_node: ignoring a line that is not JSON: {line}");
            continue;
        };
        let body = msg["body"].clone();
        match body["type"].as_str() {
            Some("init") => {
                id = body["node_id"].as_str().unwrap_or_default().to_string();
                send(&out, &id, &msg, json!({"type": "init_ok"}));
            }
            Some("txn") => {
                let (store, out, id) = (store.clone(), out.clone(), id.clone());
                let dirty = mode == "dirty";
                let work = move || {
                    let mops = body["txn"].as_array().cloned().unwrap_or_default();
                    let done: Vec<Value> = if dirty {
                        mops.iter()
                            .map(|mop| {
                                thread::sleep(Duration::from_millis(1));
                                lock(&store).apply(mop)
                            })
                            .collect()
                    } else {
                        let mut s = lock(&store);
                        mops.iter().map(|mop| s.apply(mop)).collect()
                    };
                    send(&out, &id, &msg, json!({"type": "txn_ok", "txn": done}));
                };
                if dirty {
                    thread::spawn(work);
                } else {
                    work();
                }
            }
            other => eprintln!("txn_node: ignoring a message of type {other:?}"),
        }
    }
    ExitCode::SUCCESS
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Replies to `msg` with `body`, one whole line under the output lock.
fn send(out: &Mutex<io::Stdout>, id: &str, msg: &Value, mut body: Value) {
    body["in_reply_to"] = msg["body"]["msg_id"].clone();
    let envelope = json!({"src": id, "dest": msg["src"], "body": body});
    let mut out = lock(out);
    if writeln!(out, "{envelope}")
        .and_then(|_| out.flush())
        .is_err()
    {
        eprintln!("txn_node: stdout is closed");
    }
}
