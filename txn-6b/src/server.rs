//! Challenge #6b: Totally-Available, Read Uncommitted Transactions (<https://fly.io/dist-sys/6b/>).
//!
//! ```text
//! maelstrom/maelstrom test -w txn-rw-register --bin target/release/txn-6b --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted --availability total --nemesis partition
//! ```
//! (`make run MODULE=txn-6b` builds the release binary and runs exactly this.)
//!
//! Changed since 6a: two nodes, partitions between them, and still every
//! transaction must be answered `txn_ok` (totally available). So a node
//! never waits for its peer: it runs the transaction on its own copy of the
//! registers under its lock, as in 6a, answers at once, and sends the
//! transaction's writes to the peer later. The consistency asked for is
//! read uncommitted, which forbids only G0, a cycle of write-write
//! dependencies ("T1 overwrote T2's x, and T2 overwrote T1's y").
//!
//! Replication, as in Maelstrom's own `demo/clojure/txn_rw_register_hat.clj`
//! (after Bailis et al.'s Highly Available Transactions):
//! - Each transaction gets a version, `[clock, node id]`, from a Lamport
//!   clock: one more than the largest clock this node has run or received,
//!   so a transaction's version is above that of every transaction whose
//!   writes it could have seen. The node id breaks ties.
//! - Each register keeps the version of the transaction that wrote it, and
//!   a write is applied only over an older (or equal) version: the last
//!   writer wins, with "last" meaning the larger version. So every copy
//!   ends up ordering the writes of a key the same way.
//! - The node logs each of its own transactions' writes. A thread per peer
//!   sends, every [`REPLICATE_INTERVAL`], the ones the peer has not
//!   acknowledged yet, oldest first, in one `replicate` message, and sends
//!   them again until an acknowledgement comes: a partition only delays
//!   them. Messages between nodes grow with time, not with the number of
//!   transactions: about 40 a second for two nodes at most, against the
//!   1000 transactions a second of the test.
//!
//! Why no G0: every write-write dependency goes from a smaller version to a
//! larger one, on every copy, since larger versions win. A cycle would need
//! a version larger than itself. (Maelstrom's checker infers the version
//! order only from transactions that read a key and then write it, so it
//! could not see most G0 cycles anyway; this node has none to see.)
//!
//! What read uncommitted allows and this node does: the peer applies a
//! replicated transaction's writes one at a time, like writes of its own, so
//! a transaction running there in between can see some of them and not
//! others, or the first of two writes to the same key (an intermediate
//! read, G1b). 6c closes that gap.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use common::{Error, InitMessageBody, Message, Node, RpcError, MALFORMED_REQUEST};
use log::{debug, info};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// How often a node sends each peer the transactions it has not
/// acknowledged yet. Shorter means fresher copies and more messages.
const REPLICATE_INTERVAL: Duration = Duration::from_millis(100);

/// How long a `replicate` waits for its `replicate_ok` before the same
/// transactions are sent again. Without a partition it comes back in two
/// network hops, far sooner. During one, a shorter wait means a short
/// healing is less likely to pass between two tries unnoticed (the
/// partitions of `--nemesis partition` come and go at random, and the test
/// may end inside one).
const RPC_TIMEOUT: Duration = Duration::from_millis(500);

/// At most this many transactions go in one `replicate`, so that the first
/// message after a long partition stays small.
const MAX_BATCH: usize = 1000;

/// One micro-op as it travels: `["r", key, null]`, `["w", key, value]`, or
/// in an answer `["r", key, value_read]`.
type MicroOp = (String, i64, Option<i64>);

/// A transaction's version: `[Lamport clock, node id]`, compared clock
/// first. Unique, since each node's clock grows with every transaction.
type Version = (u64, String);

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

/// `{"version":[7,"n0"],"writes":[[1,6],[2,3]]}`: the writes of one
/// transaction, `[key, value]` in the order it made them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ReplicatedTxn {
    version: Version,
    writes: Vec<(i64, i64)>,
}

/// `{"type":"replicate","txns":[...]}`: transactions another node ran,
/// oldest first.
#[derive(Debug, Serialize, Deserialize)]
struct ReplicateMessage {
    #[serde(rename = "type")]
    typ: String,
    txns: Vec<ReplicatedTxn>,
}

/// `{"type":"replicate_ok"}`: all of them applied.
#[derive(Debug, Serialize, Deserialize)]
struct ReplicateMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// A register's value and the version of the transaction that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Register {
    value: i64,
    version: Version,
}

/// This node's copy of the registers, its clock and its own transactions,
/// all behind one lock.
#[derive(Debug, Default)]
struct Store {
    /// Every register written so far, by key.
    registers: HashMap<i64, Register>,
    /// The Lamport clock: at least the clock of every version run or
    /// received here.
    clock: u64,
    /// This node's transactions that wrote something, in the order they
    /// ran (so in version order), for the peers. Kept whole for the run
    /// (about 10,000 small entries in the challenge's 20 s); a node that
    /// runs for long would drop those every peer has acknowledged.
    log: Vec<ReplicatedTxn>,
}

impl Store {
    /// Writes `value` to `key` unless the register holds a newer version:
    /// the last writer wins.
    fn write(&mut self, key: i64, value: i64, version: &Version) {
        let newer_held = self
            .registers
            .get(&key)
            .is_some_and(|held| held.version > *version);
        if !newer_held {
            let version = version.clone();
            self.registers.insert(key, Register { value, version });
        }
    }

    /// The value of `key`; `None` if nobody has written it.
    fn read(&self, key: i64) -> Option<i64> {
        self.registers.get(&key).map(|register| register.value)
    }

    /// Up to [`MAX_BATCH`] of this node's transactions, from the one at
    /// `from` on: those a peer that acknowledged `from` of them still needs.
    fn unacknowledged(&self, from: usize) -> Vec<ReplicatedTxn> {
        let from = from.min(self.log.len());
        let to = self.log.len().min(from + MAX_BATCH);
        self.log[from..to].to_vec()
    }
}

/// The transaction node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
    /// The registers, the clock and the log. A transaction holds the lock
    /// from its first micro-op to its last. Shared with the threads that
    /// replicate to the peers.
    store: Arc<Mutex<Store>>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            store: Arc::new(Mutex::new(Store::default())),
        });

        // Go's `s.node.Handle("txn", s.txnHandler)`: each handler gets a
        // handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("txn", Server::txn_handler);
        handle("replicate", Server::replicate_handler);

        server
    }

    /// Records this node's id and starts a thread per peer that sends it
    /// this node's transactions; the library then answers `init_ok`.
    fn init_handler(&self, msg: Message) -> Result<(), Error> {
        let body: InitMessageBody = msg.body()?;

        self.node_id
            .set(body.node_id)
            .map_err(|id| format!("init for {id}: this node is already initialised"))?;
        info!("Node id set to: {}", self.node_id());

        for peer_id in body.node_ids {
            if peer_id != self.node_id() {
                let (node, store) = (self.node.clone(), Arc::clone(&self.store));
                thread::spawn(move || replicate_to_peer(node, store, peer_id));
            }
        }

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

    /// Applies the transactions another node ran, then acknowledges them.
    fn replicate_handler(&self, msg: Message) -> Result<(), Error> {
        let body: ReplicateMessage = msg.body()?;
        debug!("replicate of {} txns from {}", body.txns.len(), msg.src);

        for txn in &body.txns {
            self.apply_replicated_txn(txn);
        }

        let replicate_message_response = ReplicateMessageResponse {
            typ: "replicate_ok".to_string(),
        };

        self.node.reply(&msg, &replicate_message_response)
    }

    /// Runs the micro-ops in order under the lock, as one step, at a new
    /// version, and logs the writes for the peers.
    fn apply_txn(&self, txn: Vec<MicroOp>) -> Vec<MicroOp> {
        let mut store = self.store.lock();
        store.clock += 1;
        let version: Version = (store.clock, self.node_id().to_string());
        let mut writes = Vec::new();
        let txn = txn
            .into_iter()
            .map(|(f, key, value)| match f.as_str() {
                "r" => {
                    let read = store.read(key);
                    (f, key, read)
                }
                _ => {
                    // A write: `check_micro_ops` has made sure it has a value.
                    if let Some(value) = value {
                        // Our version is the newest here, so this always wins.
                        store.write(key, value, &version);
                        writes.push((key, value));
                    }
                    (f, key, value)
                }
            })
            .collect();
        if !writes.is_empty() {
            store.log.push(ReplicatedTxn { version, writes });
        }
        txn
    }

    /// Applies another node's transaction: its writes one at a time, each
    /// as a write of its own, which read uncommitted allows (see the module
    /// doc). The clock moves past the transaction's version, so that our
    /// next transactions come after it.
    fn apply_replicated_txn(&self, txn: &ReplicatedTxn) {
        for &(key, value) in &txn.writes {
            let mut store = self.store.lock();
            store.clock = store.clock.max(txn.version.0);
            store.write(key, value, &txn.version);
        }
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

/// Sends `peer_id` this node's transactions until the node exits: every
/// [`REPLICATE_INTERVAL`], those it has not acknowledged yet (at most
/// [`MAX_BATCH`]) go in one `replicate`, a `sync_rpc` that waits up to
/// [`RPC_TIMEOUT`]. Acknowledged, they are done; otherwise (a partition, a
/// lost message) the same ones go again next time. Runs on a thread of its
/// own, started by `init`.
///
/// A copy applied twice (the acknowledgement was lost) changes nothing: the
/// peer already holds those versions, or newer ones.
fn replicate_to_peer(node: Node, store: Arc<Mutex<Store>>, peer_id: String) {
    // How many of our transactions the peer has acknowledged.
    let mut acknowledged = 0;
    loop {
        thread::sleep(REPLICATE_INTERVAL);
        let txns = store.lock().unacknowledged(acknowledged);
        if txns.is_empty() {
            continue;
        }
        let count = txns.len();
        let replicate_message = ReplicateMessage {
            typ: "replicate".to_string(),
            txns,
        };
        match node.sync_rpc(&peer_id, &replicate_message, RPC_TIMEOUT) {
            Ok(_) => acknowledged += count,
            Err(err) => debug!("Retrying {count} txns to {peer_id}: {err}"),
        }
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

    /// A server whose node has no input and discards its output, initialised as `n0` of two
    /// nodes. Its replicating thread sends into the void and never gets an acknowledgement.
    fn server() -> Arc<Server> {
        let server = Server::new(Node::with_io(std::io::empty(), std::io::sink()));
        let init = Message {
            src: "c0".into(),
            dest: "n0".into(),
            body: json!({"type": "init", "node_id": "n0", "node_ids": ["n0", "n1"], "msg_id": 1}),
        };
        assert_eq!(server.init_handler(init), Ok(()));
        server
    }

    /// The micro-ops of a `txn` request, parsed as the handler parses them.
    fn micro_ops(txn: serde_json::Value) -> Vec<MicroOp> {
        let body: TxnMessage = serde_json::from_value(json!({"type": "txn", "txn": txn})).unwrap();
        body.txn
    }

    /// A transaction from another node, as a `replicate` carries it.
    fn replicated(txn: serde_json::Value) -> ReplicatedTxn {
        serde_json::from_value(txn).unwrap()
    }

    /// Each transaction runs at a new version; those that wrote are logged for the peers, with
    /// their writes in order, and reads see the writes before them.
    #[test]
    fn local_txns_get_growing_versions_and_log_their_writes() {
        let server = server();
        let done = server.apply_txn(micro_ops(json!([["w", 1, 6], ["r", 1, null], ["w", 1, 7]])));
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!([["w", 1, 6], ["r", 1, 6], ["w", 1, 7]])
        );
        server.apply_txn(micro_ops(json!([["r", 2, null]])));
        server.apply_txn(micro_ops(json!([["w", 2, 1]])));

        let store = server.store.lock();
        let log = serde_json::to_value(&store.log).unwrap();
        assert_eq!(
            log,
            json!([
                {"version": [1, "n0"], "writes": [[1, 6], [1, 7]]},
                {"version": [3, "n0"], "writes": [[2, 1]]}
            ]),
            "the read-only transaction is not logged"
        );
        assert_eq!(store.clock, 3);
    }

    /// A replicated write is applied over an older version and ignored under a newer one; the
    /// clock moves past the replicated version, so the next local transaction wins over it.
    #[test]
    fn the_larger_version_wins_and_the_clock_follows() {
        let server = server();
        server.apply_txn(micro_ops(json!([["w", 1, 10]])));
        server.apply_replicated_txn(&replicated(
            json!({"version": [5, "n1"], "writes": [[1, 11], [2, 21]]}),
        ));
        server.apply_replicated_txn(&replicated(
            json!({"version": [3, "n1"], "writes": [[1, 12], [2, 22], [3, 32]]}),
        ));
        let done = server.apply_txn(micro_ops(json!([
            ["r", 1, null],
            ["r", 2, null],
            ["r", 3, null]
        ])));
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!([["r", 1, 11], ["r", 2, 21], ["r", 3, 32]])
        );
        assert_eq!(
            server.store.lock().clock,
            6,
            "5 received, then one local transaction"
        );

        server.apply_txn(micro_ops(json!([["w", 1, 13]])));
        server.apply_replicated_txn(&replicated(
            json!({"version": [7, "n1"], "writes": [[1, 14]]}),
        ));
        let done = server.apply_txn(micro_ops(json!([["r", 1, null]])));
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!([["r", 1, 14]]),
            "[7, \"n1\"] is newer than our [7, \"n0\"]: the node id breaks the tie"
        );
    }

    /// A peer gets the transactions it has not acknowledged, oldest first, at most a batch.
    #[test]
    fn unacknowledged_txns_come_oldest_first_in_batches() {
        let server = server();
        for value in 0..(MAX_BATCH as i64 + 5) {
            server.apply_txn(micro_ops(json!([["w", 1, value]])));
        }
        let store = server.store.lock();
        let first = store.unacknowledged(0);
        assert_eq!(first.len(), MAX_BATCH);
        assert_eq!(first[0].writes, [(1, 0)]);
        let rest = store.unacknowledged(MAX_BATCH);
        let values: Vec<i64> = rest.iter().map(|txn| txn.writes[0].1).collect();
        let expected: Vec<i64> = (MAX_BATCH as i64..MAX_BATCH as i64 + 5).collect();
        assert_eq!(values, expected);
        assert!(store.unacknowledged(MAX_BATCH + 5).is_empty());
        assert!(store.unacknowledged(MAX_BATCH + 50).is_empty());
    }

    /// `replicate` carries a list of transactions, each with its version and writes.
    #[test]
    fn replicate_carries_versions_and_writes() {
        let body = ReplicateMessage {
            typ: "replicate".to_string(),
            txns: vec![replicated(
                json!({"version": [2, "n1"], "writes": [[4, 5]]}),
            )],
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"type": "replicate", "txns": [{"version": [2, "n1"], "writes": [[4, 5]]}]})
        );
    }

    /// A write without a value or an unknown function is refused with malformed-request, naming
    /// the micro-op, and nothing of that transaction is applied or logged.
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
        let store = server.store.lock();
        assert!(store.registers.is_empty() && store.log.is_empty());
        assert!(check_micro_ops(&micro_ops(json!([["w", 1, null]]))).is_err());
    }
}
