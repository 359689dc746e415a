//! A single-node kafka log server, right or wrong on purpose, for the kafka workload's
//! end-to-end tests (`tests/kafka.rs`). The trailing argument picks the behaviour
//! (`--bin kafka_node -- lose-writes`):
//!
//! | mode | what the node does | what the checker must say |
//! |---|---|---|
//! | `correct` | one in-memory log per key; polls return up to 3 messages from the offset | valid |
//! | `lose-writes` | acknowledges every 4th send without storing it | `:lost-write`, invalid |
//! | `duplicate-offsets` | gives every 4th send the previous send's offset again | `:inconsistent-offsets`, invalid |
//! | `poll-backwards` | every 5th poll starts 2 offsets before where it was asked to | `:nonmonotonic-poll`, invalid |
//! | `skip-offsets` | every 5th poll starts 1 offset after where it was asked to | `:poll-skip`, invalid |
//!
//! Plain std and serde_json on purpose, like `misbehave`: the test must not depend on the node
//! library of the parts (kafka-5a is a part of its own).
#![allow(clippy::print_stdout)] // stdout is the network: this program speaks the protocol there.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use serde_json::{json, Map, Value};

const MODES: [&str; 5] = [
    "correct",
    "lose-writes",
    "duplicate-offsets",
    "poll-backwards",
    "skip-offsets",
];

/// The node's state: logs, committed offsets, counters for the misbehaviours.
#[derive(Default)]
struct Node {
    id: String,
    logs: BTreeMap<String, Vec<(i64, Value)>>,
    committed: BTreeMap<String, i64>,
    sends: u64,
    polls: u64,
    next_msg_id: u64,
}

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if !MODES.contains(&mode.as_str()) {
        eprintln!("usage: kafka_node <{}>", MODES.join("|"));
        return ExitCode::from(2);
    }
    let mut node = Node::default();
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            eprintln!("kafka_node: not JSON: {line}");
            continue;
        };
        let body = &msg["body"];
        let Some(reply) = node.handle(&mode, body) else {
            continue;
        };
        node.next_msg_id += 1;
        let mut reply = reply;
        reply["msg_id"] = json!(node.next_msg_id);
        reply["in_reply_to"] = body["msg_id"].clone();
        let out_msg = json!({"src": node.id, "dest": msg["src"], "body": reply});
        if writeln!(out, "{out_msg}")
            .and_then(|_| out.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}

impl Node {
    fn handle(&mut self, mode: &str, body: &Value) -> Option<Value> {
        match body["type"].as_str()? {
            "init" => {
                self.id = body["node_id"].as_str().unwrap_or("n0").to_string();
                Some(json!({"type": "init_ok"}))
            }
            "send" => {
                let key = body["key"].as_str()?.to_string();
                self.sends += 1;
                let log = self.logs.entry(key).or_default();
                let mut offset = log.last().map_or(0, |(o, _)| o + 1);
                if mode == "duplicate-offsets" && self.sends.is_multiple_of(4) && offset > 0 {
                    offset -= 1;
                }
                if !(mode == "lose-writes" && self.sends.is_multiple_of(4)) {
                    log.push((offset, body["msg"].clone()));
                } else {
                    // Acknowledged at an offset it then never returns; the next message gets
                    // the one after, so the log has a hole.
                    log.push((offset, Value::Null));
                }
                Some(json!({"type": "send_ok", "offset": offset}))
            }
            "poll" => {
                self.polls += 1;
                let mut msgs = Map::new();
                for (key, from) in body["offsets"].as_object()? {
                    let mut from = from.as_i64().unwrap_or(0);
                    if mode == "poll-backwards" && self.polls.is_multiple_of(5) {
                        from = (from - 2).max(0);
                    }
                    if mode == "skip-offsets" && self.polls.is_multiple_of(5) {
                        from += 1;
                    }
                    let Some(log) = self.logs.get(key) else {
                        continue;
                    };
                    let pairs: Vec<Value> = log
                        .iter()
                        .filter(|(o, m)| *o >= from && !m.is_null())
                        .take(3)
                        .map(|(o, m)| json!([o, m]))
                        .collect();
                    if !pairs.is_empty() {
                        msgs.insert(key.clone(), Value::Array(pairs));
                    }
                }
                Some(json!({"type": "poll_ok", "msgs": msgs}))
            }
            "commit_offsets" => {
                for (key, offset) in body["offsets"].as_object()? {
                    let at = self.committed.entry(key.clone()).or_insert(0);
                    *at = (*at).max(offset.as_i64().unwrap_or(0));
                }
                Some(json!({"type": "commit_offsets_ok"}))
            }
            "list_committed_offsets" => {
                let mut offsets = Map::new();
                for key in body["keys"].as_array()? {
                    if let Some(o) = key.as_str().and_then(|k| self.committed.get(k)) {
                        offsets.insert(key.as_str()?.to_string(), json!(o));
                    }
                }
                Some(json!({"type": "list_committed_offsets_ok", "offsets": offsets}))
            }
            _ => Some(json!({"type": "error", "code": 10, "text": "not supported"})),
        }
    }
}
