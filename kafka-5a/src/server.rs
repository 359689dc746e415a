//! Challenge #5a: Single-Node Kafka-Style Log (<https://fly.io/dist-sys/5a/>).
//!
//! ```text
//! maelstrom/maelstrom test -w kafka --bin target/release/kafka-5a --node-count 1 --concurrency 2n --time-limit 20 --rate 1000
//! ```
//! (`make run MODULE=kafka-5a` builds the release binary and runs exactly this.)
//!
//! Changed since g-counter: a new workload. Clients append messages to logs
//! named by string keys with `send`, which answers the offset the message
//! got; read them back with `poll`, from an offset of their choosing per
//! key; record with `commit_offsets` how far they have processed each key;
//! and ask `list_committed_offsets` where to resume when they move to other
//! keys. The checker wants each key's log to look like one log to everyone:
//! an offset holds one message, a message has one offset, offsets grow with
//! each send, and a poll skips no offset that exists.
//!
//! One node, so everything lives in its memory. A key's log is a `Vec` and
//! a message's offset is its index (0, 1, 2, ..., no gaps); the lock around
//! the logs makes each send take the next index, whatever the other
//! handlers do meanwhile. A poll returns every message from the asked offset
//! on (the challenge leaves the number to us; the workload's logs are short,
//! `--max-writes-per-key` 16 messages each). A committed offset only moves
//! forward: a commit below the one recorded changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// The single-node log server.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`), set once by `init`.
    node_id: OnceLock<String>,
    /// Each key's log: the message at index i has offset i.
    logs: Mutex<HashMap<String, Vec<Value>>>,
    /// Each key's highest committed offset.
    committed_offsets: Mutex<HashMap<String, u64>>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            logs: Mutex::new(HashMap::new()),
            committed_offsets: Mutex::new(HashMap::new()),
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

        let offset = self.append(&body.key, body.msg);
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

        let msgs = self.read_from(&body.offsets);
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

        self.commit(&body.offsets);

        let commit_offsets_message_response = CommitOffsetsMessageResponse {
            typ: "commit_offsets_ok".to_string(),
        };

        self.node.reply(&msg, &commit_offsets_message_response)
    }

    /// Answers the committed offset of each asked key that has one.
    fn list_committed_offsets_handler(&self, msg: Message) -> Result<(), Error> {
        let body: ListCommittedOffsetsMessage = msg.body()?;

        let offsets = self.committed(&body.keys);

        let list_committed_offsets_message_response = ListCommittedOffsetsMessageResponse {
            typ: "list_committed_offsets_ok".to_string(),
            offsets,
        };

        self.node
            .reply(&msg, &list_committed_offsets_message_response)
    }

    /// Appends `msg` to the log of `key`; returns its offset, the log's
    /// length before. One lock for the whole append, so two sends never
    /// get the same offset.
    fn append(&self, key: &str, msg: Value) -> u64 {
        let mut logs = self.logs.lock();
        let log = logs.entry(key.to_string()).or_default();
        log.push(msg);
        (log.len() - 1) as u64
    }

    /// For each key of `offsets`, its messages from that offset on, as
    /// `(offset, msg)` pairs; keys with none are left out.
    fn read_from(&self, offsets: &BTreeMap<String, u64>) -> BTreeMap<String, Vec<(u64, Value)>> {
        let logs = self.logs.lock();
        let mut msgs = BTreeMap::new();
        for (key, &from) in offsets {
            let Some(log) = logs.get(key) else { continue };
            let pairs: Vec<(u64, Value)> = log
                .iter()
                .enumerate()
                .skip(usize::try_from(from).unwrap_or(usize::MAX))
                .map(|(offset, msg)| (offset as u64, msg.clone()))
                .collect();
            if !pairs.is_empty() {
                msgs.insert(key.clone(), pairs);
            }
        }
        msgs
    }

    /// Moves each key's committed offset up to the given one (never down).
    fn commit(&self, offsets: &BTreeMap<String, u64>) {
        let mut committed = self.committed_offsets.lock();
        for (key, &offset) in offsets {
            let at = committed.entry(key.clone()).or_insert(offset);
            *at = (*at).max(offset);
        }
    }

    /// The committed offset of each of `keys` that has one.
    fn committed(&self, keys: &[String]) -> BTreeMap<String, u64> {
        let committed = self.committed_offsets.lock();
        keys.iter()
            .filter_map(|key| Some((key.clone(), *committed.get(key)?)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A server whose node has no input and discards its output.
    fn server() -> Arc<Server> {
        Server::new(Node::with_io(std::io::empty(), std::io::sink()))
    }

    /// `offsets` as the poll and commit bodies carry them.
    fn offsets(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, o)| (k.to_string(), *o)).collect()
    }

    /// Each key's offsets count 0, 1, 2, ... on their own.
    #[test]
    fn each_key_counts_its_own_offsets() {
        let server = server();
        assert_eq!(server.append("a", json!(10)), 0);
        assert_eq!(server.append("a", json!(11)), 1);
        assert_eq!(server.append("b", json!(20)), 0);
        assert_eq!(server.append("a", json!(12)), 2);
    }

    /// A poll returns each key's messages from the asked offset on and leaves out keys with none.
    #[test]
    fn poll_reads_from_the_asked_offset() {
        let server = server();
        for msg in [10, 11, 12] {
            server.append("a", json!(msg));
        }
        server.append("b", json!(20));
        let msgs = server.read_from(&offsets(&[("a", 1), ("b", 1), ("c", 0)]));
        assert_eq!(
            serde_json::to_value(&msgs).unwrap(),
            json!({"a": [[1, 11], [2, 12]]})
        );
    }

    /// A committed offset moves forward only, and keys never committed are not listed.
    #[test]
    fn commits_only_move_forward() {
        let server = server();
        server.commit(&offsets(&[("a", 3)]));
        server.commit(&offsets(&[("a", 1), ("b", 0)]));
        let keys = ["a", "b", "c"].map(String::from);
        assert_eq!(server.committed(&keys), offsets(&[("a", 3), ("b", 0)]));
    }
}
