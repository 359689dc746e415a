//! Challenge #3c: Fault Tolerant Broadcast (<https://fly.io/dist-sys/3c/>).
//!
//! ```text
//! maelstrom/maelstrom test -w broadcast --bin target/release/broadcast-3c --node-count 5 --time-limit 20 --rate 10 --nemesis partition
//! ```
//! (`make run MODULE=broadcast-3c` builds the release binary and runs exactly this.)
//!
//! Changed since 3b: the network now splits into partitions for long
//! stretches, and a message sent across one is simply lost. 3b's fire-and-
//! forget `send` then loses values for good: a node cut off when a value was
//! forwarded never hears of it.
//!
//! So each forward now waits for the peer's `broadcast_ok`: for every peer,
//! the broadcast handler starts a thread (the tutorial's goroutine),
//! [`broadcast_message_to_peer`], that sends the value with `sync_rpc` and
//! waits up to [`RPC_TIMEOUT`] for the acknowledgement. Without one (the
//! request or its reply was dropped, or the peer answered with an error) it
//! sleeps a few random milliseconds and sends again, until the peer
//! acknowledges. So a value crosses a partition once it heals. The handler
//! itself never waits: it answers the client at once.
//!
//! The price of this simplicity: a thread per unacknowledged forward. During
//! a partition they pile up (each retrying once a second), and all end once
//! it heals.
//!
//! The peers' `broadcast_ok`s now answer our requests (`in_reply_to` names
//! the `msg_id` that `sync_rpc` gave each try), so the library hands them
//! to the waiting thread, and drops a late one. The no-op handler for
//! `broadcast_ok` stays, as in the tutorial, but only a `broadcast_ok`
//! without `in_reply_to` would reach it.
//!
//! Cost without partitions: still 40 messages between nodes per broadcast
//! (a forward to each of 4 peers from each of 5 nodes, each acknowledged).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// How long a forward waits for the peer's `broadcast_ok` before it is sent
/// again: the tutorial's `context.WithTimeout(..., time.Second)`.
///
/// Without partitions the acknowledgement comes back in two network hops,
/// far sooner; during one, retrying more often would only add messages that
/// the partition drops.
const RPC_TIMEOUT: Duration = Duration::from_secs(1);

/// The pause between two tries is random, below this (the tutorial's
/// `rand.Intn(50)` ms), so that the retries of many forwards spread out.
const MAX_RETRY_PAUSE_MS: u64 = 50;

/// `{"type":"broadcast","message":...}`: a value to keep.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BroadcastMessage {
    #[serde(rename = "type")]
    typ: String,
    message: i64,
}

/// `{"type":"broadcast_ok"}`.
#[derive(Debug, Serialize, Deserialize)]
struct BroadcastMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"read"}`: which values do you hold?
#[derive(Debug, Serialize, Deserialize)]
struct ReadMessage {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"read_ok","messages":[...]}`: every value held, in no particular order.
#[derive(Debug, Serialize, Deserialize)]
struct ReadMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    messages: Vec<i64>,
}

/// `{"type":"topology","topology":{"n0":["n1"],...}}`: each node's neighbours.
#[derive(Debug, Serialize, Deserialize)]
struct TopologyMessage {
    #[serde(rename = "type")]
    typ: String,
    /// Sorted by node id, so that the log reads the same on every run.
    topology: BTreeMap<String, Vec<String>>,
}

/// `{"type":"topology_ok"}`.
#[derive(Debug, Serialize, Deserialize)]
struct TopologyMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// The broadcast node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
    /// Every other node in the cluster, set once by `init`: whom we forward to.
    peers: OnceLock<Vec<String>>,
    /// Every value broadcast to this node; a set, so a value is kept once.
    messages: Mutex<HashSet<i64>>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            peers: OnceLock::new(),
            messages: Mutex::new(HashSet::new()),
        });

        // Go's `s.node.Handle("broadcast", s.broadcastHandler)`: each handler
        // gets a handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("broadcast", Server::broadcast_handler);
        handle("read", Server::read_handler);
        handle("topology", Server::topology_handler);

        // no-op handlers
        handle("broadcast_ok", Server::no_op_handler);

        server
    }

    /// Records this node's id and its peers; the library then answers `init_ok`.
    fn init_handler(&self, msg: Message) -> Result<(), Error> {
        let body: InitMessageBody = msg.body()?;

        self.node_id
            .set(body.node_id)
            .map_err(|id| format!("init for {id}: this node is already initialised"))?;
        info!("Node id set to: {}", self.node_id());

        // Everyone but ourselves, to avoid sending to ourselves (n0 -> n0).
        let peers = body
            .node_ids
            .into_iter()
            .filter(|peer_id| peer_id != self.node_id())
            .collect();
        self.peers
            .set(peers)
            .map_err(|_| "init: this node's peers are already set")?;
        info!("Discovered cluster peers: {:?}", self.peers());

        Ok(())
    }

    /// Keeps a value seen for the first time and forwards it to every peer,
    /// until each acknowledges it; acknowledges it either way.
    fn broadcast_handler(&self, msg: Message) -> Result<(), Error> {
        let body: BroadcastMessage = msg.body()?;
        debug!("broadcast {} from {}", body.message, msg.src);

        // To avoid cycles (n0 -> n1 -> n2 -> n0), a value already seen is
        // only acknowledged, never forwarded again.
        let first_time = self.messages.lock().insert(body.message);
        if first_time {
            // One thread per peer, each until that peer acknowledges.
            for peer_id in self.peers() {
                self.spawn_broadcast(peer_id, &body);
            }
        }

        let broadcast_message_response = BroadcastMessageResponse {
            typ: "broadcast_ok".to_string(),
        };

        self.node.reply(&msg, &broadcast_message_response)
    }

    /// Ignores a message that needs no answer: a `broadcast_ok` that answers
    /// no request of ours (those that do go to `sync_rpc`).
    fn no_op_handler(&self, _msg: Message) -> Result<(), Error> {
        Ok(())
    }

    /// Answers with every value kept so far.
    fn read_handler(&self, msg: Message) -> Result<(), Error> {
        let _body: ReadMessage = msg.body()?;

        let messages: Vec<i64> = self.messages.lock().iter().copied().collect();
        debug!("read from {}: {} values", msg.src, messages.len());

        let read_message_response = ReadMessageResponse {
            typ: "read_ok".to_string(),
            messages,
        };

        self.node.reply(&msg, &read_message_response)
    }

    /// Acknowledges the topology; we ignore it, at least for now.
    fn topology_handler(&self, msg: Message) -> Result<(), Error> {
        let body: TopologyMessage = msg.body()?;
        info!(
            "Received topology information from controller: {:?}",
            body.topology
        );

        let topology_message_response = TopologyMessageResponse {
            typ: "topology_ok".to_string(),
        };

        self.node.reply(&msg, &topology_message_response)
    }

    /// This node's id, or `""` before `init`.
    fn node_id(&self) -> &str {
        self.node_id.get().map(String::as_str).unwrap_or_default()
    }

    /// Every other node, or none before `init`.
    fn peers(&self) -> &[String] {
        self.peers.get().map(Vec::as_slice).unwrap_or_default()
    }

    /// Starts the thread that sends `body` to `peer_id` until it acknowledges
    /// (the tutorial's `go broadcastMessageToPeer(...)`).
    fn spawn_broadcast(&self, peer_id: &str, body: &BroadcastMessage) {
        let node = self.node.clone();
        let peer_id = peer_id.to_string();
        let body = body.clone();
        thread::spawn(move || broadcast_message_to_peer(node, peer_id, body));
    }

    /// Serves messages until input ends.
    pub fn run(&self) -> Result<(), Error> {
        self.node.run()
    }
}

/// Sends `body` to `peer_id` until it acknowledges: each try is a `sync_rpc`
/// that waits up to [`RPC_TIMEOUT`]; after a failed one, a random pause.
/// Runs on a thread of its own, started by the broadcast handler.
///
/// Every try is a new request with a new `msg_id`, so a late
/// acknowledgement of an earlier try finds nobody waiting and is dropped by
/// the library; the peer acknowledges every copy, whether it has seen the
/// value before or not.
fn broadcast_message_to_peer(node: Node, peer_id: String, body: BroadcastMessage) {
    loop {
        match node.sync_rpc(&peer_id, &body, RPC_TIMEOUT) {
            Ok(_) => return,
            Err(err) => debug!("Retrying {} to {peer_id}: {err}", body.message),
        }

        thread::sleep(Duration::from_millis(random_below(MAX_RETRY_PAUSE_MS)));
    }
}

/// A random number in `0..bound` (`bound` > 0), for retry pauses.
///
/// The node may use only its five crates, none of which makes random
/// numbers, so this takes them from the standard library's hash seeds:
/// every `RandomState` hashes differently. Good enough to spread retries,
/// not for anything that needs real randomness.
fn random_below(bound: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};

    let hash = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    hash % bound
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A server whose node has no input and discards its output, initialised as
    /// `node_id` in a cluster of `node_ids`.
    fn server(node_id: &str, node_ids: &[&str]) -> Arc<Server> {
        let server = Server::new(Node::with_io(std::io::empty(), std::io::sink()));
        let init = Message {
            src: "c0".into(),
            dest: node_id.into(),
            body: json!({"type": "init", "node_id": node_id, "node_ids": node_ids, "msg_id": 1}),
        };
        assert_eq!(server.init_handler(init), Ok(()));
        server
    }

    /// Peers are all the other nodes, in init's order, never the node itself.
    #[test]
    fn peers_are_all_other_nodes() {
        let server = server("n2", &["n0", "n1", "n2", "n3", "n4"]);
        assert_eq!(server.peers(), ["n0", "n1", "n3", "n4"]);
    }

    /// A single node has no peers, so it forwards to nobody.
    #[test]
    fn a_single_node_has_no_peers() {
        assert!(server("n0", &["n0"]).peers().is_empty());
    }

    /// The body forwarded to peers keeps type and message and drops the client's msg_id.
    #[test]
    fn forwarded_body_has_no_msg_id() {
        let msg = Message {
            src: "c1".into(),
            dest: "n0".into(),
            body: json!({"type": "broadcast", "message": 7, "msg_id": 3}),
        };
        let body: BroadcastMessage = msg.body().unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"type": "broadcast", "message": 7})
        );
    }

    /// Retry pauses stay below the bound and are not all the same.
    #[test]
    fn random_pauses_are_below_the_bound_and_vary() {
        let pauses: HashSet<u64> = (0..200).map(|_| random_below(50)).collect();
        assert!(pauses.iter().all(|&p| p < 50), "{pauses:?}");
        assert!(pauses.len() > 10, "hardly random: {pauses:?}");
    }
}
