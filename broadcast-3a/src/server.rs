//! Challenge #3a: Single-Node Broadcast (<https://fly.io/dist-sys/3a/>).
//!
//! ```text
//! maelstrom/maelstrom test -w broadcast --bin target/release/broadcast-3a --node-count 1 --time-limit 20 --rate 10
//! ```
//! (`make run MODULE=broadcast-3a` builds the release binary and runs exactly this.)
//!
//! Changed since unique-ids: a new workload with three messages. `broadcast`
//! hands the node a value to keep, `read` asks for every value kept so far,
//! and `topology` tells the node its neighbours. With a single node there is
//! nobody to tell, so the values go into a set and the topology is only
//! acknowledged and logged.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info};
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
    /// Every value broadcast to this node; a set, so a value is kept once.
    messages: Mutex<HashSet<i64>>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
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

    /// Keeps the value and acknowledges it.
    fn broadcast_handler(&self, msg: Message) -> Result<(), Error> {
        let body: BroadcastMessage = msg.body()?;
        debug!("broadcast {} from {}", body.message, msg.src);

        self.messages.lock().insert(body.message);

        let broadcast_message_response = BroadcastMessageResponse {
            typ: "broadcast_ok".to_string(),
        };

        self.node.reply(&msg, &broadcast_message_response)
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

    /// Serves messages until input ends.
    pub fn run(&self) -> Result<(), Error> {
        self.node.run()
    }
}
