//! Key-value nodes for the lin-kv workload's end-to-end tests (`tests/lin_kv.rs`), correct and
//! broken. The first trailing argument picks the node (`--bin lin_kv_nodes -- proxy`):
//!
//! | mode | what it does | verdict |
//! |---|---|---|
//! | `proxy` | forwards every read, write and cas to the `lin-kv` service and relays its answer, errors included | linearizable |
//! | `local-map` | each node keeps its own map, as the first step of Maelstrom's Raft chapter (`doc/06-raft/01-key-value.md`) | linearizable on one node, not on two |
//! | `stale-reads` | like `proxy`, but answers reads of key 1 from the last value this node saw | key 1 not linearizable |
//! | `lost-cas` | like `proxy`, but acknowledges every second cas of key 0 without doing it | key 0 not linearizable |
//!
//! One thread, no blocking: a request for the service is remembered by the `msg_id` it was sent
//! with, and its reply is turned into the client's reply when it arrives. Plain std and
//! serde_json on purpose: the tests must not depend on the node library.
#![allow(clippy::print_stdout)] // stdout is the network: this program speaks the protocol there.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use serde_json::{json, Map, Value};

/// Which node this is.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Proxy,
    LocalMap,
    StaleReads,
    LostCas,
}

/// A client request waiting for the service's answer.
struct Pending {
    client: String,
    client_msg_id: Value,
    key: Value,
    /// For reads: remember the value in the stale cache.
    read: bool,
    /// For writes: the value written, also cached.
    written: Option<Value>,
}

struct Node {
    mode: Mode,
    id: String,
    next_msg_id: u64,
    pending: HashMap<u64, Pending>,
    /// `local-map`'s data, `stale-reads`'s cache (keys as their JSON text).
    map: HashMap<String, Value>,
    /// `lost-cas`: how many cas of key 0 this node has seen.
    cas_count: u64,
    out: io::Stdout,
}

fn main() {
    let mode = match std::env::args().nth(1).as_deref() {
        Some("proxy") => Mode::Proxy,
        Some("local-map") => Mode::LocalMap,
        Some("stale-reads") => Mode::StaleReads,
        Some("lost-cas") => Mode::LostCas,
        _ => {
            eprintln!("usage: lin_kv_nodes <proxy|local-map|stale-reads|lost-cas>");
            std::process::exit(2);
        }
    };
    let mut node = Node {
        mode,
        id: String::new(),
        next_msg_id: 0,
        pending: HashMap::new(),
        map: HashMap::new(),
        cas_count: 0,
        out: io::stdout(),
    };
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Value>(&line) {
            Ok(msg) => node.handle(&msg),
            Err(_) => eprintln!("lin_kv_nodes: ignoring a line that is not JSON: {line}"),
        }
    }
}

impl Node {
    fn handle(&mut self, msg: &Value) {
        let src = msg["src"].as_str().unwrap_or_default().to_string();
        let body = &msg["body"];
        if let Some(reply_to) = body["in_reply_to"].as_u64() {
            self.service_reply(reply_to, body);
            return;
        }
        let kind = body["type"].as_str().unwrap_or_default();
        let msg_id = body["msg_id"].clone();
        match kind {
            "init" => {
                self.id = body["node_id"].as_str().unwrap_or_default().to_string();
                self.send(&src, json!({"type": "init_ok", "in_reply_to": msg_id}));
            }
            "read" | "write" | "cas" if self.mode == Mode::LocalMap => {
                let reply = self.local(kind, body);
                self.reply(&src, msg_id, reply);
            }
            "read" if self.mode == Mode::StaleReads && body["key"] == json!(1) => {
                let cached = self.map.get(&body["key"].to_string()).cloned();
                let reply = match cached {
                    Some(value) => json!({"type": "read_ok", "value": value}),
                    None => {
                        self.forward(&src, msg_id, body);
                        return;
                    }
                };
                self.reply(&src, msg_id, reply);
            }
            "cas" if self.mode == Mode::LostCas && body["key"] == json!(0) => {
                self.cas_count += 1;
                if self.cas_count.is_multiple_of(2) {
                    self.reply(&src, msg_id, json!({"type": "cas_ok"}));
                } else {
                    self.forward(&src, msg_id, body);
                }
            }
            "read" | "write" | "cas" => self.forward(&src, msg_id, body),
            _ => {
                let text = format!("unknown message type {kind:?}");
                self.reply(
                    &src,
                    msg_id,
                    json!({"type": "error", "code": 10, "text": text}),
                );
            }
        }
    }

    /// The Raft chapter's first step: one map per node, with lin-kv's error codes.
    fn local(&mut self, kind: &str, body: &Value) -> Value {
        let key = body["key"].to_string();
        match (kind, self.map.get(&key)) {
            ("read", Some(v)) => json!({"type": "read_ok", "value": v}),
            ("write", _) => {
                self.map.insert(key, body["value"].clone());
                json!({"type": "write_ok"})
            }
            ("cas", Some(v)) if *v == body["from"] => {
                self.map.insert(key, body["to"].clone());
                json!({"type": "cas_ok"})
            }
            ("cas", Some(v)) => json!({"type": "error", "code": 22,
                "text": format!("expected {}, had {v}", body["from"])}),
            _ => json!({"type": "error", "code": 20, "text": "key does not exist"}),
        }
    }

    /// Sends the client's request on to the lin-kv service.
    fn forward(&mut self, client: &str, client_msg_id: Value, body: &Value) {
        self.next_msg_id += 1;
        let mut request = body.clone();
        request["msg_id"] = json!(self.next_msg_id);
        let read = body["type"] == "read";
        let written = (body["type"] == "write").then(|| body["value"].clone());
        self.pending.insert(
            self.next_msg_id,
            Pending {
                client: client.to_string(),
                client_msg_id,
                key: body["key"].clone(),
                read,
                written,
            },
        );
        self.send("lin-kv", request);
    }

    /// The service answered: answer the client the same way.
    fn service_reply(&mut self, in_reply_to: u64, body: &Value) {
        let Some(p) = self.pending.remove(&in_reply_to) else {
            return;
        };
        let mut reply: Map<String, Value> = body.as_object().cloned().unwrap_or_default();
        reply.remove("msg_id");
        reply.remove("in_reply_to");
        if self.mode == Mode::StaleReads {
            let seen = if p.read {
                body.get("value").cloned()
            } else {
                p.written.clone()
            };
            if let (Some(v), true) = (seen, body["type"] != "error") {
                self.map.insert(p.key.to_string(), v);
            }
        }
        self.reply(&p.client, p.client_msg_id, Value::Object(reply));
    }

    fn reply(&mut self, dest: &str, in_reply_to: Value, mut body: Value) {
        body["in_reply_to"] = in_reply_to;
        self.send(dest, body);
    }

    fn send(&mut self, dest: &str, body: Value) {
        let msg = json!({"src": self.id, "dest": dest, "body": body});
        let mut out = self.out.lock();
        let _ = writeln!(out, "{msg}");
        let _ = out.flush();
    }
}
