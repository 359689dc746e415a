//! Challenge #4: Grow-Only Counter (<https://fly.io/dist-sys/4/>).
//!
//! ```text
//! maelstrom/maelstrom test -w g-counter --bin target/release/g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition
//! ```
//! (`make run MODULE=g-counter` builds the release binary and runs exactly this.)
//!
//! Changed since broadcast: a new workload, and a node that keeps no state.
//! `add` adds a `delta` to one counter shared by the cluster and `read`
//! returns it; the counter lives in Maelstrom's `seq-kv` service, which we
//! reach through the library's `KV` client, as the challenge asks. The nodes
//! never talk to each other, and Maelstrom never partitions its services, so
//! the partitions do not reach us.
//!
//! `seq-kv` is sequentially consistent: every operation takes effect at one
//! point of a single order that keeps each node's own operations in the order
//! it made them, but that order need not follow real time. So a read may
//! return any state from the last one this node saw up to the newest,
//! missing adds that other nodes finished long ago (Maelstrom keeps the last
//! 32 states and picks one at random). An operation that changes the store,
//! on the other hand, is always applied to the newest state, and the node
//! then sees at least that state from then on. Hence:
//!
//! - `add` reads the counter and swaps it from what it read to that plus
//!   `delta`. If the read was stale the swap fails (`precondition-failed`),
//!   and we read and try again.
//! - `read` first writes a value this node has never written to a key of its
//!   own: a write that changes the store is applied to the newest state and
//!   moves this node's view there, so the read after it cannot return an
//!   older state. Once the adds have stopped, every node's read returns the
//!   final count, which is what the checker demands of the final reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node, RpcError, KV};
use common::{KEY_DOES_NOT_EXIST, MALFORMED_REQUEST, PRECONDITION_FAILED, TEMPORARILY_UNAVAILABLE};
use log::{debug, info};
use serde::{Deserialize, Serialize};

/// The `seq-kv` key that holds the counter.
const COUNTER_KEY: &str = "counter";
/// How many times `add` reads and swaps before giving up. Each failed swap
/// moves this node's view forward, so a few tries suffice unless the other
/// nodes keep winning; 100 in a row means something is wrong.
const MAX_ATTEMPTS: usize = 100;

/// `{"type":"add","delta":...}`: add `delta` to the counter (the workload
/// sends 0 to 4).
#[derive(Debug, Serialize, Deserialize)]
struct AddMessage {
    #[serde(rename = "type")]
    typ: String,
    delta: i64,
}

/// `{"type":"add_ok"}`.
#[derive(Debug, Serialize, Deserialize)]
struct AddMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"read"}`: what is the counter?
#[derive(Debug, Serialize, Deserialize)]
struct ReadMessage {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"read_ok","value":...}`: the counter.
#[derive(Debug, Serialize, Deserialize)]
struct ReadMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    value: i64,
}

/// The grow-only counter node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
    /// The client of `seq-kv`, where the counter lives.
    kv: KV,
    /// How many times `read` has written this node's own key: the next value
    /// to write there, new each time.
    syncs: AtomicU64,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            kv: KV::new_seq_kv(node.clone()),
            node,
            node_id: OnceLock::new(),
            syncs: AtomicU64::new(0),
        });

        // Go's `s.node.Handle("add", s.addHandler)`: each handler gets a
        // handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("add", Server::add_handler);
        handle("read", Server::read_handler);

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

    /// Adds the delta to the counter in `seq-kv`, then acknowledges.
    fn add_handler(&self, msg: Message) -> Result<(), Error> {
        let body: AddMessage = msg.body()?;
        debug!("add {} from {}", body.delta, msg.src);

        self.add_to_counter(body.delta)?;

        let add_message_response = AddMessageResponse {
            typ: "add_ok".to_string(),
        };

        self.node.reply(&msg, &add_message_response)
    }

    /// Answers with the counter as it is once every add before this read
    /// has taken effect.
    fn read_handler(&self, msg: Message) -> Result<(), Error> {
        let _body: ReadMessage = msg.body()?;

        let value = self.read_latest_counter()?;
        debug!("read from {}: {value}", msg.src);

        let read_message_response = ReadMessageResponse {
            typ: "read_ok".to_string(),
            value,
        };

        self.node.reply(&msg, &read_message_response)
    }

    /// Adds `delta` to the counter: read it, swap it from what we read to
    /// that plus `delta`, and try again while the swap finds another value
    /// (our read was stale, or another node added first).
    ///
    /// Any other error ends the attempt and goes back to the client as is.
    /// A timeout in particular must not be retried: the swap may have taken
    /// effect, and a second one would count the delta twice. The client then
    /// records the add as indefinite, which the checker allows for.
    fn add_to_counter(&self, delta: i64) -> Result<(), Error> {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.read_counter()?;
            let Some(sum) = current.checked_add(delta) else {
                let text = format!("adding {delta} to {current} leaves the 64-bit range");
                return Err(RpcError::new(MALFORMED_REQUEST, text).into());
            };
            // A missing key is a counter of 0 that nobody has written yet:
            // the swap then creates it.
            match self.kv.compare_and_swap(COUNTER_KEY, &current, &sum, true) {
                Err(e) if e.code() == Some(PRECONDITION_FAILED) => {
                    debug!("adding {delta} to {current}: {e}; trying again");
                }
                other => return other,
            }
        }
        let text =
            format!("could not add {delta}: {MAX_ATTEMPTS} swaps in a row found another value");
        Err(RpcError::new(TEMPORARILY_UNAVAILABLE, text).into())
    }

    /// The counter in whatever state `seq-kv` shows us; 0 if nobody has
    /// added anything yet.
    fn read_counter(&self) -> Result<i64, Error> {
        match self.kv.read_int(COUNTER_KEY) {
            Err(e) if e.code() == Some(KEY_DOES_NOT_EXIST) => Ok(0),
            other => other,
        }
    }

    /// The counter in the newest state `seq-kv` has (see the module doc):
    /// write a value never written before to this node's own key, which
    /// moves our view to the newest state, then read.
    fn read_latest_counter(&self) -> Result<i64, Error> {
        let sync_key = format!("sync-{}", self.node_id());
        let sync = self.syncs.fetch_add(1, Ordering::Relaxed) + 1;
        self.kv.write(&sync_key, &sync)?;
        self.read_counter()
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
