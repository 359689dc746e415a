//! Challenge #5c: Efficient Kafka-Style Log (<https://fly.io/dist-sys/5c/>).
//!
//! ```text
//! maelstrom/maelstrom test -w kafka --bin target/release/kafka-5c --node-count 2 --concurrency 2n --time-limit 20 --rate 1000
//! ```
//! (`make run MODULE=kafka-5c` builds the release binary and runs exactly this.)
//!
//! Changed since 5b: the challenge asks for fewer messages per operation,
//! fewer failed compare-and-swaps, lower latency and better availability.
//! 5b pays for `lin-kv` on every request, so 5c leaves `lin-kv` and goes
//! back to 5a's logs in memory, with one twist: each key has an owner node,
//! and only the owner keeps that key's log and committed offset.
//!
//! - The owner of a key is the same on every node: for the workload's keys,
//!   which are numbers, the key's number modulo the node count, so that
//!   consecutive keys alternate between the nodes; for any other key, a
//!   fixed hash of its bytes (FNV-1a) in its place. `init` gives every node
//!   the same list of node ids, in the same order.
//! - A request about keys this node owns is served from memory, as in 5a.
//!   The owner's lock makes each send take the next offset of its log: one
//!   writer per key, so no compare-and-swap, and nothing to retry.
//! - A request about keys owned elsewhere is forwarded to their owner, the
//!   same body restricted to those keys, one RPC per owner, and the answers
//!   are merged into ours. The owner serves a forwarded request like any
//!   other, since it owns every key in it.
//!
//! Cost: a request about its own keys makes no message between nodes; one
//! about another node's keys makes 2 (the forward and its answer). With two
//! nodes half the sends and about half the polls are forwarded, and a poll
//! that returns messages is followed by the client's commit, forwarded as
//! often: about 1 server message per operation on average, and the latency
//! of one more hop at most.
//!
//! Trade-off: a log lives in its owner's memory only. If a node crashed, its
//! keys' logs would be lost and its keys unavailable, and nothing moves a
//! key to another owner; a real system would replicate each log (Kafka keeps
//! copies on followers). The kafka workload does not crash nodes or
//! partition the network, so the challenge does not ask for that. Forwards
//! go to one owner after the other, so with more than two nodes a poll of
//! keys spread over all of them waits for each in turn.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info};
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long a forwarded request waits for the owner's answer. The owner
/// answers from memory after one network round trip; the workload's client
/// gives up after 5 s, so the forward must give up well before that.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(1);

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

/// The log server: the owner of some keys, a forwarder for the others.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
    /// Every node's id, this one included, in `init`'s order (the same on
    /// every node): the owners, by `owner_index`.
    node_ids: OnceLock<Vec<String>>,
    /// The log of each key this node owns: the message at index i has offset i.
    logs: Mutex<HashMap<String, Vec<Value>>>,
    /// The highest committed offset of each key this node owns.
    committed_offsets: Mutex<HashMap<String, u64>>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            node_ids: OnceLock::new(),
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

    /// Records this node's id and every node's; the library then answers `init_ok`.
    fn init_handler(&self, msg: Message) -> Result<(), Error> {
        let body: InitMessageBody = msg.body()?;

        self.node_id
            .set(body.node_id)
            .map_err(|id| format!("init for {id}: this node is already initialised"))?;
        info!("Node id set to: {}", self.node_id());
        self.node_ids
            .set(body.node_ids)
            .map_err(|_| "init: the node ids are already set")?;
        info!("Key owners: {:?}", self.node_ids());

        Ok(())
    }

    /// Appends the message to its key's log, here or at the key's owner,
    /// and answers its offset.
    fn send_handler(&self, msg: Message) -> Result<(), Error> {
        let body: SendMessage = msg.body()?;

        let owner = self.owner(&body.key);
        let offset = if owner == self.node_id() {
            self.append(&body.key, body.msg)
        } else {
            let answer: SendMessageResponse = self.forward(owner, &body)?;
            answer.offset
        };
        debug!(
            "send to {} from {}: offset {offset} at {owner}",
            body.key, msg.src
        );

        let send_message_response = SendMessageResponse {
            typ: "send_ok".to_string(),
            offset,
        };

        self.node.reply(&msg, &send_message_response)
    }

    /// Answers the messages of each asked key from the asked offset on:
    /// ours from memory, the others from their owners.
    fn poll_handler(&self, msg: Message) -> Result<(), Error> {
        let body: PollMessage = msg.body()?;

        let mut msgs = BTreeMap::new();
        for (owner, offsets) in self.split_by_owner(body.offsets) {
            if owner == self.node_id() {
                msgs.append(&mut self.read_from(&offsets));
            } else {
                let poll = PollMessage {
                    typ: "poll".to_string(),
                    offsets,
                };
                let mut answer: PollMessageResponse = self.forward(&owner, &poll)?;
                msgs.append(&mut answer.msgs);
            }
        }
        debug!("poll from {}: {} keys with messages", msg.src, msgs.len());

        let poll_message_response = PollMessageResponse {
            typ: "poll_ok".to_string(),
            msgs,
        };

        self.node.reply(&msg, &poll_message_response)
    }

    /// Records the committed offsets, here or at their keys' owners, then
    /// acknowledges.
    fn commit_offsets_handler(&self, msg: Message) -> Result<(), Error> {
        let body: CommitOffsetsMessage = msg.body()?;

        for (owner, offsets) in self.split_by_owner(body.offsets) {
            if owner == self.node_id() {
                self.commit(&offsets);
            } else {
                let commit = CommitOffsetsMessage {
                    typ: "commit_offsets".to_string(),
                    offsets,
                };
                let _answer: CommitOffsetsMessageResponse = self.forward(&owner, &commit)?;
            }
        }

        let commit_offsets_message_response = CommitOffsetsMessageResponse {
            typ: "commit_offsets_ok".to_string(),
        };

        self.node.reply(&msg, &commit_offsets_message_response)
    }

    /// Answers the committed offset of each asked key that has one, from
    /// here or from the key's owner.
    fn list_committed_offsets_handler(&self, msg: Message) -> Result<(), Error> {
        let body: ListCommittedOffsetsMessage = msg.body()?;

        // The keys as a map to nothing, to split them as the other requests.
        let keys = body.keys.into_iter().map(|key| (key, ()));
        let mut offsets = BTreeMap::new();
        for (owner, keys) in self.split_by_owner(keys.collect()) {
            let keys: Vec<String> = keys.into_keys().collect();
            if owner == self.node_id() {
                offsets.append(&mut self.committed(&keys));
            } else {
                let list = ListCommittedOffsetsMessage {
                    typ: "list_committed_offsets".to_string(),
                    keys,
                };
                let mut answer: ListCommittedOffsetsMessageResponse =
                    self.forward(&owner, &list)?;
                offsets.append(&mut answer.offsets);
            }
        }

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

    /// The node that owns `key` (see the module doc); this node before
    /// `init`, when there is no other.
    fn owner(&self, key: &str) -> &str {
        match self.node_ids() {
            [] => self.node_id(),
            node_ids => &node_ids[owner_index(key, node_ids.len())],
        }
    }

    /// The entries of `by_key` grouped by the owner of their key, in a
    /// fixed order (the owners' ids).
    fn split_by_owner<V>(
        &self,
        by_key: BTreeMap<String, V>,
    ) -> BTreeMap<String, BTreeMap<String, V>> {
        let mut by_owner: BTreeMap<String, BTreeMap<String, V>> = BTreeMap::new();
        for (key, value) in by_key {
            let owner = self.owner(&key).to_string();
            by_owner.entry(owner).or_default().insert(key, value);
        }
        by_owner
    }

    /// Sends `request` to the node `owner` and waits for its answer, read
    /// as an `Answer`. An error answer, or none within [`FORWARD_TIMEOUT`]
    /// (code `timeout`, 0), goes back to our client as is: a forwarded send
    /// that timed out may still have been appended, which the client then
    /// records as indefinite.
    fn forward<Request: Serialize, Answer: DeserializeOwned>(
        &self,
        owner: &str,
        request: &Request,
    ) -> Result<Answer, Error> {
        let answer = self.node.sync_rpc(owner, request, FORWARD_TIMEOUT)?;
        answer
            .body()
            .map_err(|e| Error::Other(format!("the answer of {owner} to a forward: {e}")))
    }

    /// Every node's id, or none before `init`.
    fn node_ids(&self) -> &[String] {
        self.node_ids.get().map(Vec::as_slice).unwrap_or_default()
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

/// The index in the node ids of the owner of `key`, among `node_count`
/// nodes (at least 1): a numeric key's number, any other key's FNV-1a
/// hash, modulo the node count.
fn owner_index(key: &str, node_count: usize) -> usize {
    let hash = key.parse::<u64>().unwrap_or_else(|_| fnv1a(key.as_bytes()));
    (hash % node_count as u64) as usize
}

/// The 64-bit FNV-1a hash of `bytes`: simple, and fixed for good (std's
/// `DefaultHasher` promises no particular hash from one Rust release to the
/// next).
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A server whose node has no input and discards its output.
    fn server() -> Arc<Server> {
        Server::new(Node::with_io(std::io::empty(), std::io::sink()))
    }

    /// A server initialised as `node_id` in a cluster of `node_ids`.
    fn server_in(node_id: &str, node_ids: &[&str]) -> Arc<Server> {
        let server = server();
        let init = Message {
            src: "c0".into(),
            dest: node_id.into(),
            body: json!({"type": "init", "node_id": node_id, "node_ids": node_ids, "msg_id": 1}),
        };
        assert_eq!(server.init_handler(init), Ok(()));
        server
    }

    /// Numeric keys alternate between two nodes; any key has the same owner on every node.
    #[test]
    fn owners_alternate_and_every_node_agrees() {
        let n0 = server_in("n0", &["n0", "n1"]);
        let n1 = server_in("n1", &["n0", "n1"]);
        let owners: Vec<&str> = ["0", "1", "2", "3", "10"]
            .iter()
            .map(|key| n0.owner(key))
            .collect();
        assert_eq!(owners, ["n0", "n1", "n0", "n1", "n0"]);
        for key in ["0", "7", "k1", "", "a somewhat longer key"] {
            assert_eq!(n0.owner(key), n1.owner(key), "{key:?}");
        }
        // FNV-1a of the empty input is its offset basis; of "a", the published value.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    /// A request's keys are split by owner, each key with its value, owners in id order.
    #[test]
    fn requests_split_by_owner() {
        let server = server_in("n1", &["n0", "n1", "n2"]);
        let split = server.split_by_owner(offsets(&[("3", 30), ("4", 40), ("5", 50), ("6", 60)]));
        let expected: BTreeMap<String, BTreeMap<String, u64>> = [
            ("n0".to_string(), offsets(&[("3", 30), ("6", 60)])),
            ("n1".to_string(), offsets(&[("4", 40)])),
            ("n2".to_string(), offsets(&[("5", 50)])),
        ]
        .into_iter()
        .collect();
        assert_eq!(split, expected);
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
