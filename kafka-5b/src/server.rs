//! Challenge #5b: Multi-Node Kafka-Style Log (<https://fly.io/dist-sys/5b/>).
//!
//! ```text
//! maelstrom/maelstrom test -w kafka --bin target/release/kafka-5b --node-count 2 --concurrency 2n --time-limit 20 --rate 1000
//! ```
//! (`make run MODULE=kafka-5b` builds the release binary and runs exactly this.)
//!
//! Changed since 5a: two nodes, and a client may send to one and poll the
//! other, so the logs can no longer live in one node's memory. Correctness
//! first, as the challenge suggests: everything moves to Maelstrom's
//! `lin-kv` service, which is linearizable (every request takes effect at
//! one instant between its sending and its answer), through the library's
//! `KV` client. The nodes never talk to each other.
//!
//! - A key's log is one `lin-kv` value, `log-<key>`: the JSON array of its
//!   messages, offset = index, as 5a's `Vec`. A send reads the array and
//!   swaps it (compare-and-swap, `cas`) for the array with the message
//!   appended; the message's offset is the length it read. If another send
//!   appended first, the swap finds another array (`precondition-failed`)
//!   and we read and try again. So each offset is taken by exactly one
//!   message, the message is stored in the same step, and a log never has
//!   a hole that a poll would skip.
//! - A poll reads each asked key's array.
//! - A key's committed offset is `committed-<key>`, moved forward by the
//!   same read-and-swap (two clients on two nodes may commit at once).
//!
//! Cost: a send is at least 2 `lin-kv` requests (4 messages), plus 2 per
//! lost race on a busy key; a poll is 1 request per key, its commit 2 per
//! key. And each send rewrites the key's whole log: fine for the
//! workload's short logs (`--max-writes-per-key` 16), quadratic for long
//! ones. 5c keeps each log in one node's memory instead.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node, RpcError, KV};
use common::{KEY_DOES_NOT_EXIST, PRECONDITION_FAILED, TEMPORARILY_UNAVAILABLE};
use log::{debug, info};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many times a send or a commit reads and swaps before giving up. Each
/// failed swap means another node's change went through, so a few tries
/// suffice unless the key is very busy; 100 in a row means something is wrong.
const MAX_ATTEMPTS: usize = 100;

/// `{"type":"send","key":"k1","msg":123}`: append `msg` to the log `key`.
#[derive(Debug, Serialize, Deserialize)]
struct SendMessage {
    #[serde(rename = "type")]
    typ: String,
    key: String,
    /// Any JSON value; the workload sends integers.
    msg: Value,
}

/// `{"type":"send_ok","offset":1000}`: the offset the message got.
#[derive(Debug, Serialize, Deserialize)]
struct SendMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    offset: u64,
}

/// `{"type":"poll","offsets":{"k1":1000}}`: messages of each key from its offset on.
#[derive(Debug, Serialize, Deserialize)]
struct PollMessage {
    #[serde(rename = "type")]
    typ: String,
    offsets: BTreeMap<String, u64>,
}

/// `{"type":"poll_ok","msgs":{"k1":[[1000,9],[1001,5]]}}`: `[offset, msg]`
/// pairs per key, offsets ascending; keys with no messages are left out.
#[derive(Debug, Serialize, Deserialize)]
struct PollMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    msgs: BTreeMap<String, Vec<(u64, Value)>>,
}

/// `{"type":"commit_offsets","offsets":{"k1":1000}}`: the client has
/// processed each key up to and including its offset.
#[derive(Debug, Serialize, Deserialize)]
struct CommitOffsetsMessage {
    #[serde(rename = "type")]
    typ: String,
    offsets: BTreeMap<String, u64>,
}

/// `{"type":"commit_offsets_ok"}`.
#[derive(Debug, Serialize, Deserialize)]
struct CommitOffsetsMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"list_committed_offsets","keys":["k1","k2"]}`: where were these keys committed?
#[derive(Debug, Serialize, Deserialize)]
struct ListCommittedOffsetsMessage {
    #[serde(rename = "type")]
    typ: String,
    keys: Vec<String>,
}

/// `{"type":"list_committed_offsets_ok","offsets":{"k1":1000}}`; keys never
/// committed are left out.
#[derive(Debug, Serialize, Deserialize)]
struct ListCommittedOffsetsMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    offsets: BTreeMap<String, u64>,
}

/// The log server: a front for `lin-kv`, where the logs and offsets live.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
    /// The client of `lin-kv`: `log-<key>` holds a key's log (the message
    /// at index i has offset i), `committed-<key>` its highest committed offset.
    kv: KV,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            kv: KV::new_lin_kv(node.clone()),
            node,
            node_id: OnceLock::new(),
        });

        // Go's `s.node.Handle("send", s.sendHandler)`: each handler gets a
        // handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("send", Server::send_handler);
        handle("poll", Server::poll_handler);
        handle("commit_offsets", Server::commit_offsets_handler);
        handle(
            "list_committed_offsets",
            Server::list_committed_offsets_handler,
        );

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

    /// Appends the message to its key's log and answers its offset.
    fn send_handler(&self, msg: Message) -> Result<(), Error> {
        let body: SendMessage = msg.body()?;

        let offset = self.append(&body.key, &body.msg)?;
        debug!("send to {} from {}: offset {offset}", body.key, msg.src);

        let send_message_response = SendMessageResponse {
            typ: "send_ok".to_string(),
            offset,
        };

        self.node.reply(&msg, &send_message_response)
    }

    /// Answers the messages of each asked key from the asked offset on.
    fn poll_handler(&self, msg: Message) -> Result<(), Error> {
        let body: PollMessage = msg.body()?;

        let msgs = self.read_from(&body.offsets)?;
        debug!("poll of {} keys from {}", body.offsets.len(), msg.src);

        let poll_message_response = PollMessageResponse {
            typ: "poll_ok".to_string(),
            msgs,
        };

        self.node.reply(&msg, &poll_message_response)
    }

    /// Records the committed offsets, then acknowledges.
    fn commit_offsets_handler(&self, msg: Message) -> Result<(), Error> {
        let body: CommitOffsetsMessage = msg.body()?;

        self.commit(&body.offsets)?;

        let commit_offsets_message_response = CommitOffsetsMessageResponse {
            typ: "commit_offsets_ok".to_string(),
        };

        self.node.reply(&msg, &commit_offsets_message_response)
    }

    /// Answers the committed offset of each asked key that has one.
    fn list_committed_offsets_handler(&self, msg: Message) -> Result<(), Error> {
        let body: ListCommittedOffsetsMessage = msg.body()?;

        let offsets = self.committed(&body.keys)?;

        let list_committed_offsets_message_response = ListCommittedOffsetsMessageResponse {
            typ: "list_committed_offsets_ok".to_string(),
            offsets,
        };

        self.node
            .reply(&msg, &list_committed_offsets_message_response)
    }

    /// Appends `msg` to the log of `key`; returns its offset, the log's
    /// length before: read the log, swap it for the log with `msg` appended,
    /// and try again while the swap finds another log (another send
    /// appended first).
    ///
    /// Any other error ends the attempt and goes back to the client as is.
    /// A timeout in particular must not be retried: the swap may have taken
    /// effect, and a second one would append the message twice. The client
    /// then records the send as indefinite, which the checker allows for.
    fn append(&self, key: &str, msg: &Value) -> Result<u64, Error> {
        for _ in 0..MAX_ATTEMPTS {
            let log = self.read_log(key)?;
            let offset = log.len() as u64;
            let mut appended = log.clone();
            appended.push(msg.clone());
            // A missing key is an empty log that nobody has written yet:
            // the swap then creates it.
            match self
                .kv
                .compare_and_swap(&log_key(key), &log, &appended, true)
            {
                Err(e) if e.code() == Some(PRECONDITION_FAILED) => {
                    debug!("appending to {key} at offset {offset}: {e}; trying again");
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(offset),
            }
        }
        let text = format!("could not append to {key}: {MAX_ATTEMPTS} swaps in a row lost");
        Err(RpcError::new(TEMPORARILY_UNAVAILABLE, text).into())
    }

    /// For each key of `offsets`, its messages from that offset on, as
    /// `(offset, msg)` pairs; keys with none are left out.
    fn read_from(
        &self,
        offsets: &BTreeMap<String, u64>,
    ) -> Result<BTreeMap<String, Vec<(u64, Value)>>, Error> {
        let mut msgs = BTreeMap::new();
        for (key, &from) in offsets {
            let log = self.read_log(key)?;
            let pairs: Vec<(u64, Value)> = log
                .into_iter()
                .enumerate()
                .skip(usize::try_from(from).unwrap_or(usize::MAX))
                .map(|(offset, msg)| (offset as u64, msg))
                .collect();
            if !pairs.is_empty() {
                msgs.insert(key.clone(), pairs);
            }
        }
        Ok(msgs)
    }

    /// Moves each key's committed offset up to the given one (never down):
    /// read it, and swap it for ours while ours is higher, as `append` does.
    fn commit(&self, offsets: &BTreeMap<String, u64>) -> Result<(), Error> {
        for (key, &offset) in offsets {
            self.commit_one(key, offset)?;
        }
        Ok(())
    }

    /// Moves the committed offset of `key` up to `offset` (see `commit`).
    fn commit_one(&self, key: &str, offset: u64) -> Result<(), Error> {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.read_committed(key)?;
            if current.is_some_and(|current| current >= offset) {
                return Ok(());
            }
            // A missing key is created whatever `from` says.
            let from = current.unwrap_or(0);
            match self
                .kv
                .compare_and_swap(&committed_key(key), &from, &offset, true)
            {
                Err(e) if e.code() == Some(PRECONDITION_FAILED) => {
                    debug!("committing {key} at {offset}: {e}; trying again");
                }
                other => return other,
            }
        }
        let text = format!("could not commit {key}: {MAX_ATTEMPTS} swaps in a row lost");
        Err(RpcError::new(TEMPORARILY_UNAVAILABLE, text).into())
    }

    /// The committed offset of each of `keys` that has one.
    fn committed(&self, keys: &[String]) -> Result<BTreeMap<String, u64>, Error> {
        let mut offsets = BTreeMap::new();
        for key in keys {
            if let Some(offset) = self.read_committed(key)? {
                offsets.insert(key.clone(), offset);
            }
        }
        Ok(offsets)
    }

    /// The log of `key` in `lin-kv`; empty if nobody has sent to it yet.
    fn read_log(&self, key: &str) -> Result<Vec<Value>, Error> {
        match self.kv.read(&log_key(key)) {
            Err(e) if e.code() == Some(KEY_DOES_NOT_EXIST) => Ok(Vec::new()),
            other => other,
        }
    }

    /// The committed offset of `key` in `lin-kv`, if it has one.
    fn read_committed(&self, key: &str) -> Result<Option<u64>, Error> {
        match self.kv.read(&committed_key(key)) {
            Err(e) if e.code() == Some(KEY_DOES_NOT_EXIST) => Ok(None),
            other => other.map(Some),
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

/// The `lin-kv` key of the log of `key`.
fn log_key(key: &str) -> String {
    format!("log-{key}")
}

/// The `lin-kv` key of the committed offset of `key`.
fn committed_key(key: &str) -> String {
    format!("committed-{key}")
}
