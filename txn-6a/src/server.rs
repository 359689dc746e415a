//! Challenge #6a: Single-Node, Totally-Available Transactions (<https://fly.io/dist-sys/6a/>).
//!
//! ```text
//! maelstrom/maelstrom test -w txn-rw-register --bin target/release/txn-6a --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n --consistency-models read-uncommitted --availability total
//! ```
//! (`make run MODULE=txn-6a` builds the release binary and runs exactly this.)
//!
//! Changed since the counters: a new workload, a key-value store of
//! registers read and written in transactions. A `txn` request carries a
//! list of micro-ops, `["r", key, null]` to read a key and `["w", key,
//! value]` to write one; the answer, `txn_ok`, is the same list with each
//! read's `null` replaced by the value read (still `null` for a key nobody
//! has written). Keys and values are integers.
//!
//! One node holds every register in a map behind one lock, and a
//! transaction runs whole while holding it: no other transaction sees its
//! writes before it is done, or changes what it reads while it runs. So the
//! transactions take effect one after the other, each at one instant
//! between its request and its answer: serializable, and even strict
//! serializable, far above the read uncommitted the test asks for. And the
//! node never waits for anyone, so every request is answered `txn_ok`,
//! which `--availability total` demands.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node, RpcError, MALFORMED_REQUEST};
use log::{debug, info};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// One micro-op as it travels: `["r", key, null]`, `["w", key, value]`, or
/// in an answer `["r", key, value_read]`.
type MicroOp = (String, i64, Option<i64>);

/// `{"type":"txn","txn":[["r",1,null],["w",1,6]]}`: run these micro-ops as
/// one transaction.
#[derive(Debug, Serialize, Deserialize)]
struct TxnMessage {
    #[serde(rename = "type")]
    typ: String,
    txn: Vec<MicroOp>,
}

/// `{"type":"txn_ok","txn":[["r",1,3],["w",1,6]]}`: the micro-ops, reads
/// filled in.
#[derive(Debug, Serialize, Deserialize)]
struct TxnMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    txn: Vec<MicroOp>,
}

/// The transaction node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`), set once by `init`.
    node_id: OnceLock<String>,
    /// Every register written so far, by key. A transaction holds the lock
    /// from its first micro-op to its last.
    registers: Mutex<HashMap<i64, i64>>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            registers: Mutex::new(HashMap::new()),
        });

        // Go's `s.node.Handle("txn", s.txnHandler)`: each handler gets a
        // handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("txn", Server::txn_handler);

        server
    }

    /// Records this node's id; the library then answers `init_ok`.
    fn init_handler(&self, msg: Message) -> Result<(), Error> {
        let body: InitMessageBody = msg.body()?;

        self.node_id
            .set(body.node_id)
            .map_err(|id| format!("init for {id}: this node is already initialised"))?;
        info!("Node id set to: {}", self.node_id());

        Ok(())
    }

    /// Runs the transaction and answers with its micro-ops, reads filled in.
    fn txn_handler(&self, msg: Message) -> Result<(), Error> {
        let body: TxnMessage = msg.body()?;
        debug!("txn of {} micro-ops from {}", body.txn.len(), msg.src);

        check_micro_ops(&body.txn)?;
        let txn = self.apply_txn(body.txn);

        let txn_message_response = TxnMessageResponse {
            typ: "txn_ok".to_string(),
            txn,
        };

        self.node.reply(&msg, &txn_message_response)
    }

    /// Runs the micro-ops in order under the lock, as one step: a read sees
    /// the writes before it, ours included, and nobody else's in between.
    fn apply_txn(&self, txn: Vec<MicroOp>) -> Vec<MicroOp> {
        let mut registers = self.registers.lock();
        txn.into_iter()
            .map(|(f, key, value)| match f.as_str() {
                "r" => {
                    let read = registers.get(&key).copied();
                    (f, key, read)
                }
                _ => {
                    // A write: `check_micro_ops` has made sure it has a value.
                    if let Some(value) = value {
                        registers.insert(key, value);
                    }
                    (f, key, value)
                }
            })
            .collect()
    }

    /// This node's id, or `""` before `init`.
    fn node_id(&self) -> &str {
        self.node_id.get().map(String::as_str).unwrap_or_default()
    }

    /// Serves messages until input ends.
    pub fn run(&self) -> Result<(), Error> {
        self.node.run()
    }
}

/// Fails with `malformed-request` (12), naming the micro-op, unless every
/// micro-op is a read or a write with a value: a transaction is refused
/// whole before any of it runs, never half applied.
fn check_micro_ops(txn: &[MicroOp]) -> Result<(), Error> {
    for (i, (f, key, value)) in txn.iter().enumerate() {
        let fine = match f.as_str() {
            "r" => true,
            "w" => value.is_some(),
            _ => false,
        };
        if !fine {
            let value = value.map_or("null".to_string(), |v| v.to_string());
            let text = format!(
                "micro-op {i} of the txn is [{f:?}, {key}, {value}]: expected [\"r\", key, null] \
                 or [\"w\", key, value] with an integer value"
            );
            return Err(RpcError::new(MALFORMED_REQUEST, text).into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A server whose node has no input and discards its output, initialised as `n0`.
    fn server() -> Arc<Server> {
        let server = Server::new(Node::with_io(std::io::empty(), std::io::sink()));
        let init = Message {
            src: "c0".into(),
            dest: "n0".into(),
            body: json!({"type": "init", "node_id": "n0", "node_ids": ["n0"], "msg_id": 1}),
        };
        assert_eq!(server.init_handler(init), Ok(()));
        server
    }

    /// The micro-ops of a `txn` request, parsed as the handler parses them.
    fn micro_ops(txn: serde_json::Value) -> Vec<MicroOp> {
        let body: TxnMessage = serde_json::from_value(json!({"type": "txn", "txn": txn})).unwrap();
        body.txn
    }

    /// Reads see the writes before them in the same transaction and in earlier ones; a key
    /// nobody wrote reads as null.
    #[test]
    fn reads_see_earlier_writes() {
        let server = server();
        let done = server.apply_txn(micro_ops(json!([
            ["r", 1, null],
            ["w", 1, 6],
            ["r", 1, null]
        ])));
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!([["r", 1, null], ["w", 1, 6], ["r", 1, 6]])
        );
        let done = server.apply_txn(micro_ops(json!([["r", 1, null], ["r", 2, null]])));
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!([["r", 1, 6], ["r", 2, null]])
        );
    }

    /// A write without a value or an unknown function is refused with malformed-request, naming
    /// the micro-op, and nothing of that transaction is applied.
    #[test]
    fn a_bad_micro_op_refuses_the_whole_txn() {
        let server = server();
        let msg = Message {
            src: "c1".into(),
            dest: "n0".into(),
            body: json!({"type": "txn", "txn": [["w", 1, 5], ["append", 2, 3]], "msg_id": 2}),
        };
        let err = server.txn_handler(msg).unwrap_err();
        assert_eq!(err.code(), Some(MALFORMED_REQUEST));
        assert!(err.to_string().contains("micro-op 1"), "{err}");
        assert!(
            server.registers.lock().is_empty(),
            "the first write was applied"
        );
        assert!(check_micro_ops(&micro_ops(json!([["w", 1, null]]))).is_err());
    }
}
