//! Challenge #3b: Multi-Node Broadcast (<https://fly.io/dist-sys/3b/>).
//!
//! ```text
//! maelstrom/maelstrom test -w broadcast --bin target/release/broadcast-3b --node-count 5 --time-limit 20 --rate 10
//! ```
//! (`make run MODULE=broadcast-3b` builds the release binary and runs exactly this.)
//!
//! Changed since 3a: five nodes, and a `read` on any of them must return
//! every value broadcast to any of them. The topology is still ignored: at
//! `init` each node takes every other node as a peer. A value seen for the
//! first time is kept and forwarded to every peer with a plain `send` of the
//! same `broadcast` body; a value already seen is only acknowledged, which
//! stops it circling (n0 -> n1 -> n2 -> n0). The client always gets its
//! `broadcast_ok`, and the `broadcast_ok`s that peers send back for our
//! forwards go to a handler that does nothing.
//!
//! Cost: each node forwards a new value to its 4 peers and each forward is
//! acknowledged, so one broadcast makes 5 x 4 x 2 = 40 messages between nodes.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info, warn};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// `{"type":"broadcast","message":...}`: a value to keep.
#[derive(Debug, Serialize, Deserialize)]
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

    /// Keeps a value seen for the first time and forwards it to every peer;
    /// acknowledges it either way.
    fn broadcast_handler(&self, msg: Message) -> Result<(), Error> {
        let body: BroadcastMessage = msg.body()?;
        debug!("broadcast {} from {}", body.message, msg.src);

        // To avoid cycles (n0 -> n1 -> n2 -> n0), a value already seen is
        // only acknowledged, never forwarded again.
        let first_time = self.messages.lock().insert(body.message);
        if first_time {
            // The same body (type and message: the client's msg_id is not
            // part of it), sent without a msg_id of ours: the peer's
            // broadcast_ok then has no in_reply_to and goes to no_op_handler.
            for peer_id in self.peers() {
                if let Err(err) = self.node.send(peer_id, &body) {
                    warn!("Failed to broadcast message to node {peer_id}: {err}");
                }
            }
        }

        let broadcast_message_response = BroadcastMessageResponse {
            typ: "broadcast_ok".to_string(),
        };

        self.node.reply(&msg, &broadcast_message_response)
    }

    /// Ignores a message that needs no answer: our peers' `broadcast_ok`s.
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

    /// Serves messages until input ends.
    pub fn run(&self) -> Result<(), Error> {
        self.node.run()
    }
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
}
