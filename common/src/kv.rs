//! [`KV`]: a client for Maelstrom's key-value services `seq-kv`, `lin-kv` and
//! `lww-kv`; Go's `kv.go`.
//!
//! A service is a node like any other: a request is an RPC to the service's
//! id (`"seq-kv"`) and the answer comes back with `in_reply_to`. Each call
//! here is one [`Node::sync_rpc`], so it blocks the handler that makes it
//! (the node keeps serving other messages meanwhile) until the service
//! answers or the client's timeout passes.
//!
//! | Go (`demo/go/kv.go`) | Rust |
//! |---|---|
//! | `LinKV`, `SeqKV`, `LWWKV` | [`LIN_KV`], [`SEQ_KV`], [`LWW_KV`] |
//! | `NewKV(typ, node)` | [`KV::new(typ, node)`](KV::new) |
//! | `NewLinKV(node)` | [`KV::new_lin_kv(node)`](KV::new_lin_kv) |
//! | `NewSeqKV(node)` | [`KV::new_seq_kv(node)`](KV::new_seq_kv) |
//! | `NewLWWKV(node)` | [`KV::new_lww_kv(node)`](KV::new_lww_kv) |
//! | `kv.Read(ctx, key)` (an `any`) | [`kv.read::<Value>(key)`](KV::read) |
//! | `kv.ReadInto(ctx, key, &v)` | [`kv.read::<T>(key)`](KV::read) |
//! | `kv.ReadInt(ctx, key)` | [`kv.read_int(key)`](KV::read_int) |
//! | `kv.Write(ctx, key, value)` | [`kv.write(key, &value)`](KV::write) |
//! | `kv.CompareAndSwap(ctx, key, from, to, createIfNotExists)` | [`kv.compare_and_swap(key, &from, &to, create_if_not_exists)`](KV::compare_and_swap) |
//! | `ctx` with a deadline | the client's timeout, [`KV::with_timeout`] (default [`DEFAULT_KV_TIMEOUT`]) |
//! | `maelstrom.ErrorCode(err)` | [`err.code()`](Error::code) (`None` where Go says -1) |
//!
//! `Read` and `ReadInto` are one function here because serde does what Go's
//! `any` and `ReadInto` split between them: `read::<i64>`, `read::<Vec<u64>>`
//! or a struct of the part's own, and `read::<Value>` for any JSON. Go's
//! `Read` turns every number into an `int`; serde_json keeps integers as
//! integers, so nothing needs turning. Go's `ReadInt` returns 0 and no
//! error for a value that is not an integer; `read_int` returns an error
//! naming the key and the value.
//!
//! Errors, from the service (`src/maelstrom/service.clj` in Maelstrom):
//! `key-does-not-exist` (20) when reading a missing key or swapping one
//! without `create_if_not_exists` (`lww-kv` ignores that flag);
//! `precondition-failed` (22) when the value is not `from`. They come back as
//! [`Error::Rpc`] with that [`RpcError`](crate::RpcError), so a handler that
//! returns them with `?` passes them on to its own client; compare
//! [`Error::code`] with [`KEY_DOES_NOT_EXIST`](crate::KEY_DOES_NOT_EXIST) or
//! [`PRECONDITION_FAILED`](crate::PRECONDITION_FAILED) to act on them. No
//! answer in time is `timeout` (0). An answer whose value does not fit the
//! type asked for is [`Error::Other`]: the service is not at fault, and the
//! client of the handler should see a `crash`, not `malformed-request`.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::node::Node;

/// The linearizable key-value service: one map, requests applied in the
/// order they arrive.
pub const LIN_KV: &str = "lin-kv";
/// The sequentially consistent key-value service: reads may see an older
/// state, though never one older than what this node saw before.
pub const SEQ_KV: &str = "seq-kv";
/// The last-write-wins key-value service (as Maelstrom codes it, two
/// replicas that never converge, each request served by one at random).
pub const LWW_KV: &str = "lww-kv";

/// How long a call waits for the service's answer unless told otherwise.
///
/// Maelstrom's services answer after one network round trip (the
/// `--latency` both ways), never partitioned, so a second is long.
pub const DEFAULT_KV_TIMEOUT: Duration = Duration::from_secs(1);

/// A client of one key-value service, Go's `*KV`. Cheap to clone.
#[derive(Clone)]
pub struct KV {
    /// The service's node id: `seq-kv`, `lin-kv` or `lww-kv`.
    typ: String,
    /// Sends the requests and routes the answers back.
    node: Node,
    /// How long each call waits for the answer.
    timeout: Duration,
}

/// `{"type":"read","key":..}`.
#[derive(Serialize)]
struct ReadRequest<'a> {
    #[serde(rename = "type")]
    typ: &'static str,
    key: &'a str,
}

/// `{"type":"read_ok","value":..}`; `value` stays JSON until the caller's
/// type is known.
#[derive(Deserialize)]
struct ReadOk {
    value: Value,
}

/// `{"type":"write","key":..,"value":..}`.
#[derive(Serialize)]
struct WriteRequest<'a, V: ?Sized> {
    #[serde(rename = "type")]
    typ: &'static str,
    key: &'a str,
    value: &'a V,
}

/// `{"type":"cas","key":..,"from":..,"to":..}`, with
/// `"create_if_not_exists":true` only when asked, as Go's `omitempty` does.
#[derive(Serialize)]
struct CasRequest<'a, F: ?Sized, T: ?Sized> {
    #[serde(rename = "type")]
    typ: &'static str,
    key: &'a str,
    from: &'a F,
    to: &'a T,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    create_if_not_exists: bool,
}

impl KV {
    /// A client of the service named `typ` ([`LIN_KV`], [`SEQ_KV`],
    /// [`LWW_KV`]), sending through `node`; Go's `NewKV`.
    pub fn new(typ: &str, node: Node) -> KV {
        KV {
            typ: typ.to_string(),
            node,
            timeout: DEFAULT_KV_TIMEOUT,
        }
    }

    /// A client of `lin-kv`; Go's `NewLinKV`.
    pub fn new_lin_kv(node: Node) -> KV {
        KV::new(LIN_KV, node)
    }

    /// A client of `seq-kv`; Go's `NewSeqKV`.
    pub fn new_seq_kv(node: Node) -> KV {
        KV::new(SEQ_KV, node)
    }

    /// A client of `lww-kv`; Go's `NewLWWKV`.
    pub fn new_lww_kv(node: Node) -> KV {
        KV::new(LWW_KV, node)
    }

    /// This client with each call waiting at most `timeout` for the answer
    /// (Go passes a `ctx` with a deadline to each call instead).
    pub fn with_timeout(mut self, timeout: Duration) -> KV {
        self.timeout = timeout;
        self
    }

    /// The service's id, e.g. `seq-kv`.
    pub fn typ(&self) -> &str {
        &self.typ
    }

    /// The value of `key`, as `T`; Go's `Read` (with `T = Value`) and
    /// `ReadInto`.
    ///
    /// Errors: `key-does-not-exist` (20) if the service has no such key;
    /// `timeout` (0); [`Error::Other`] if the value is not a `T`.
    pub fn read<T: DeserializeOwned>(&self, key: &str) -> Result<T, Error> {
        let request = ReadRequest { typ: "read", key };
        let reply = self.node.sync_rpc(&self.typ, &request, self.timeout)?;
        let read_ok: ReadOk = serde_json::from_value(reply.body).map_err(|e| {
            Error::Other(format!(
                "{} answered the read of {key:?} without a value: {e}",
                self.typ
            ))
        })?;
        let shown = read_ok.value.to_string();
        serde_json::from_value(read_ok.value).map_err(|e| {
            Error::Other(format!(
                "{} holds {shown} under {key:?}, which is not a {}: {e}",
                self.typ,
                std::any::type_name::<T>()
            ))
        })
    }

    /// The value of `key` as an integer; Go's `ReadInt`.
    ///
    /// Errors as [`KV::read`]; a value that is not an integer (Go would
    /// return 0 and no error) is an [`Error::Other`] naming it.
    pub fn read_int(&self, key: &str) -> Result<i64, Error> {
        self.read(key)
    }

    /// Sets `key` to `value`, creating the key if need be; Go's `Write`.
    ///
    /// Errors: `timeout` (0), and whatever the service answers instead of
    /// `write_ok`.
    pub fn write<V: Serialize + ?Sized>(&self, key: &str, value: &V) -> Result<(), Error> {
        let request = WriteRequest {
            typ: "write",
            key,
            value,
        };
        self.node.sync_rpc(&self.typ, &request, self.timeout)?;
        Ok(())
    }

    /// Sets `key` to `to` if its value is `from` (compared as JSON values:
    /// `1` and `1.0` differ); if the key is missing, creates it with `to`
    /// when `create_if_not_exists` is true. Go's `CompareAndSwap`.
    ///
    /// Errors: `precondition-failed` (22) if the value is not `from`;
    /// `key-does-not-exist` (20) if the key is missing and may not be
    /// created (always, on `lww-kv`, which ignores the flag); `timeout` (0).
    pub fn compare_and_swap<F: Serialize + ?Sized, T: Serialize + ?Sized>(
        &self,
        key: &str,
        from: &F,
        to: &T,
        create_if_not_exists: bool,
    ) -> Result<(), Error> {
        let request = CasRequest {
            typ: "cas",
            key,
            from,
            to,
            create_if_not_exists,
        };
        self.node.sync_rpc(&self.typ, &request, self.timeout)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{KEY_DOES_NOT_EXIST, PRECONDITION_FAILED, TIMEOUT};
    use parking_lot::Mutex;
    use serde_json::json;
    use std::collections::HashMap;
    use std::io::{BufReader, Read, Write};
    use std::sync::{mpsc, Arc};
    use std::thread;

    /// How long a test waits for anything (generous: the machine is busy).
    const PATIENCE: Duration = Duration::from_secs(20);

    /// The node's stdin: what the fake service sends; EOF when it stops.
    struct Inbox {
        lines: mpsc::Receiver<Vec<u8>>,
        pending: Vec<u8>,
    }

    impl Read for Inbox {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                match self.lines.recv() {
                    Ok(line) => self.pending = line,
                    Err(_) => return Ok(0),
                }
            }
            let n = self.pending.len().min(out.len());
            out[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    /// The node's stdout: each whole line goes to the fake service.
    struct Outbox {
        partial: Vec<u8>,
        lines: mpsc::Sender<String>,
    }

    impl Write for Outbox {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            for &byte in data {
                if byte == b'\n' {
                    let line = String::from_utf8_lossy(&self.partial).into_owned();
                    self.partial.clear();
                    let _ = self.lines.send(line);
                } else {
                    self.partial.push(byte);
                }
            }
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// One key-value service as `src/maelstrom/service.clj` has it (one map,
    /// as lin-kv; staleness is the g-counter tests' business), applied to
    /// one request body; `None` for a request it ignores.
    fn answer(store: &mut HashMap<String, Value>, body: &Value) -> Option<Value> {
        let key = body["key"].as_str()?.to_string();
        let missing = json!({"type": "error", "code": 20, "text": "key does not exist"});
        Some(match body["type"].as_str()? {
            "read" => match store.get(&key) {
                Some(value) => json!({"type": "read_ok", "value": value}),
                None => missing,
            },
            "write" => {
                store.insert(key, body["value"].clone());
                json!({"type": "write_ok"})
            }
            "cas" => match store.get(&key) {
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
            _ => return None,
        })
    }

    /// A node `n1` whose peer `service` is a test thread answering as a
    /// key-value service would (`answer`), except for the key `"silent"`,
    /// which it never answers; with every request the node sent it, in
    /// order, each recorded before it is answered. (The thread, and the
    /// node with it, ends after [`PATIENCE`] without a request.)
    fn node_and_service(service: &'static str) -> (Node, Arc<Mutex<Vec<Value>>>) {
        let (to_node, lines) = mpsc::channel();
        let (sent, from_node) = mpsc::channel();
        let inbox = Inbox {
            lines,
            pending: Vec::new(),
        };
        let node = Node::with_io(
            BufReader::new(inbox),
            Outbox {
                partial: Vec::new(),
                lines: sent,
            },
        );
        let init = json!({"src": "c0", "dest": "n1",
            "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1"]}});
        let _ = to_node.send(format!("{init}\n").into_bytes());
        let runner = node.clone();
        thread::spawn(move || runner.run());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let (initialised, init_ok) = mpsc::channel();
        thread::spawn(move || {
            let mut store = HashMap::new();
            while let Ok(line) = from_node.recv_timeout(PATIENCE) {
                let msg: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if msg["body"]["type"] == "init_ok" {
                    let _ = initialised.send(());
                    continue;
                }
                recorded.lock().push(msg.clone());
                if msg["body"]["key"] == "silent" {
                    continue;
                }
                if let Some(mut body) = answer(&mut store, &msg["body"]) {
                    body["in_reply_to"] = msg["body"]["msg_id"].clone();
                    let reply = json!({"src": service, "dest": msg["src"], "body": body});
                    let _ = to_node.send(format!("{reply}\n").into_bytes());
                }
            }
        });
        // The node has its id once it has answered init.
        assert!(init_ok.recv_timeout(PATIENCE).is_ok(), "no init_ok");
        (node, requests)
    }

    /// The code of an RPC error, or a panic naming what came instead.
    #[track_caller]
    fn rpc_code<T: std::fmt::Debug>(result: Result<T, Error>) -> i64 {
        match result {
            Err(Error::Rpc(e)) => e.code,
            other => panic!("expected an RPC error, got {other:?}"),
        }
    }

    /// Reads, writes and swaps do what the service says, its errors come back with Maelstrom's codes, and the requests are Go's bodies exactly.
    #[test]
    fn calls_follow_the_service() {
        let (node, requests) = node_and_service(SEQ_KV);
        let kv = KV::new_seq_kv(node);
        assert_eq!(rpc_code(kv.read_int("counter")), KEY_DOES_NOT_EXIST);
        assert_eq!(
            rpc_code(kv.compare_and_swap("counter", &0, &1, false)),
            KEY_DOES_NOT_EXIST
        );
        kv.compare_and_swap("counter", &0, &1, true).unwrap();
        assert_eq!(kv.read_int("counter"), Ok(1));
        let stale = kv.compare_and_swap("counter", &0, &5, true);
        assert_eq!(rpc_code(stale), PRECONDITION_FAILED);
        kv.write("counter", &7).unwrap();
        assert_eq!(kv.read::<i64>("counter"), Ok(7));
        kv.compare_and_swap("counter", &7, &8, false).unwrap();
        assert_eq!(kv.read::<Value>("counter"), Ok(json!(8)));
        let bodies: Vec<Value> = requests
            .lock()
            .iter()
            .map(|m| {
                assert_eq!(
                    (&m["src"], &m["dest"]),
                    (&json!("n1"), &json!("seq-kv")),
                    "{m}"
                );
                let mut body = m["body"].clone();
                assert!(body["msg_id"].is_u64(), "{m}");
                body.as_object_mut().map(|b| b.remove("msg_id"));
                body
            })
            .collect();
        assert_eq!(
            bodies,
            [
                json!({"type": "read", "key": "counter"}),
                json!({"type": "cas", "key": "counter", "from": 0, "to": 1}),
                json!({"type": "cas", "key": "counter", "from": 0, "to": 1, "create_if_not_exists": true}),
                json!({"type": "read", "key": "counter"}),
                json!({"type": "cas", "key": "counter", "from": 0, "to": 5, "create_if_not_exists": true}),
                json!({"type": "write", "key": "counter", "value": 7}),
                json!({"type": "read", "key": "counter"}),
                json!({"type": "cas", "key": "counter", "from": 7, "to": 8}),
                json!({"type": "read", "key": "counter"}),
            ]
        );
    }

    /// Values of any serde type go in and come back out as that type.
    #[test]
    fn values_are_typed_through_serde() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Offsets {
            committed: u64,
            log: Vec<(u64, i64)>,
        }
        let (node, _service) = node_and_service(LIN_KV);
        let kv = KV::new_lin_kv(node);
        let offsets = Offsets {
            committed: 2,
            log: vec![(1, -5), (2, 9)],
        };
        kv.write("k1", &offsets).unwrap();
        assert_eq!(kv.read::<Offsets>("k1"), Ok(offsets));
        assert_eq!(
            kv.read::<Value>("k1"),
            Ok(json!({"committed": 2, "log": [[1, -5], [2, 9]]}))
        );
        kv.compare_and_swap("k2", "", "a", true).unwrap();
        kv.compare_and_swap("k2", "a", &["b", "c"][..], false)
            .unwrap();
        assert_eq!(
            kv.read::<Vec<String>>("k2"),
            Ok(vec!["b".into(), "c".into()])
        );
    }

    /// A value that is not of the type asked for is an error naming the key, the value and the type, not a made-up 0.
    #[test]
    fn a_value_of_another_type_is_an_error() {
        let (node, _service) = node_and_service(LWW_KV);
        let kv = KV::new_lww_kv(node);
        for value in [json!("three"), json!(1.5), json!(null), json!([1])] {
            kv.write("k", &value).unwrap();
            match kv.read_int("k") {
                Err(Error::Other(text)) => {
                    assert!(text.contains("lww-kv holds"), "{text}");
                    assert!(text.contains(&value.to_string()), "{text}");
                    assert!(text.contains("\"k\"") && text.contains("i64"), "{text}");
                }
                other => panic!("expected Error::Other for {value}, got {other:?}"),
            }
        }
    }

    /// A call the service never answers gives up after the client's timeout with code 0, and the client goes on working.
    #[test]
    fn no_answer_is_a_timeout() {
        let (node, _service) = node_and_service(SEQ_KV);
        let kv = KV::new(SEQ_KV, node).with_timeout(Duration::from_millis(50));
        assert_eq!(kv.typ(), "seq-kv");
        let error = kv.read_int("silent").unwrap_err();
        assert_eq!(error.code(), Some(TIMEOUT));
        assert_eq!(rpc_code(kv.write("silent", &1)), TIMEOUT);
        // Answered calls get time enough on a busy machine.
        let kv = kv.with_timeout(PATIENCE);
        kv.write("loud", &1).unwrap();
        assert_eq!(kv.read_int("loud"), Ok(1));
    }
}
