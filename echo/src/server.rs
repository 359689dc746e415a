//! Challenge #1: Echo (<https://fly.io/dist-sys/1/>).
//!
//! ```text
//! maelstrom/maelstrom test -w echo --bin target/release/echo --node-count 1 --time-limit 10
//! ```
//! (`make run MODULE=echo` builds the release binary and runs exactly this.)
//!
//! The starting point: one node answers every `echo` with an `echo_ok`
//! carrying the same `echo` payload. The library answers `init` itself; our
//! `init` handler only records and logs the node's id, as the Go version does.

use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"type":"echo","echo":...}` from a client.
#[derive(Debug, Serialize, Deserialize)]
struct EchoMessage {
    #[serde(rename = "type")]
    typ: String,
    /// Any JSON: Maelstrom sends a string, but echoing need not care.
    echo: Value,
}

/// `{"type":"echo_ok","echo":...}`, the answer.
///
/// Go's version also copies the request's `msg_id` into the reply. We leave
/// it out: `reply` sets `in_reply_to`, which is what ties a reply to its
/// request, and a `msg_id` we send should be one of our own.
#[derive(Debug, Serialize, Deserialize)]
struct EchoMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    echo: Value,
}

/// The echo node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
        });

        // Go's `s.node.Handle("echo", s.echoHandler)`: each handler gets a
        // handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("echo", Server::echo_handler);

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

    /// Answers `echo` with `echo_ok` and the same payload.
    fn echo_handler(&self, msg: Message) -> Result<(), Error> {
        let body: EchoMessage = msg.body()?;
        debug!("echo from {}: {}", msg.src, body.echo);

        let echo_message_response = EchoMessageResponse {
            typ: "echo_ok".to_string(),
            echo: body.echo,
        };

        self.node.reply(&msg, &echo_message_response)
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
