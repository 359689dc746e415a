//! Challenge #2: Unique ID Generation (<https://fly.io/dist-sys/2/>).
//!
//! ```text
//! maelstrom/maelstrom test -w unique-ids --bin target/release/unique-ids --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition
//! ```
//! (`make run MODULE=unique-ids` builds the release binary and runs exactly this.)
//!
//! Changed since echo: the `echo` handler is gone; `generate` answers with an
//! id `"<node id>-<counter>"`. Node ids are unique in the cluster and each
//! node's counter never repeats, so ids are unique without asking any other
//! node: the node stays totally available while the network is partitioned.
//! The counter is the node's first state, so it sits behind a mutex.

use std::sync::{Arc, OnceLock};

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// `{"type":"generate"}` from a client.
#[derive(Debug, Serialize, Deserialize)]
struct GenerateMessage {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"generate_ok","id":...}`, the answer.
#[derive(Debug, Serialize, Deserialize)]
struct GenerateMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    id: String,
}

/// The id-generating node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`; the prefix of every id.
    node_id: OnceLock<String>,
    /// The number of the next id; the mutex makes concurrent `generate`s
    /// each take a different number.
    counter: Mutex<u64>,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            counter: Mutex::new(0),
        });

        // Go's `s.node.Handle("generate", s.generateHandler)`: each handler
        // gets a handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("generate", Server::generate_handler);

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

    /// Answers `generate` with a fresh id.
    fn generate_handler(&self, msg: Message) -> Result<(), Error> {
        let _body: GenerateMessage = msg.body()?;

        let generate_message_response = GenerateMessageResponse {
            typ: "generate_ok".to_string(),
            id: self.next_id(),
        };
        debug!("generated {} for {}", generate_message_response.id, msg.src);

        self.node.reply(&msg, &generate_message_response)
    }

    /// The next id, `"<node id>-<counter>"`, counting up from `<node id>-0`.
    fn next_id(&self) -> String {
        let mut counter = self.counter.lock();
        let id = format!("{}-{}", self.node_id(), *counter);
        *counter += 1;
        id
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

    /// A server whose node has no input and discards its output, initialised as `node_id`.
    fn server(node_id: &str) -> Arc<Server> {
        let server = Server::new(Node::with_io(std::io::empty(), std::io::sink()));
        let init = Message {
            src: "c0".into(),
            dest: node_id.into(),
            body: json!({"type": "init", "node_id": node_id, "node_ids": [node_id], "msg_id": 1}),
        };
        assert_eq!(server.init_handler(init), Ok(()));
        server
    }

    /// Ids are the node id, a dash and the counter, counting up from 0.
    #[test]
    fn ids_are_node_id_dash_counter() {
        let server = server("n2");
        let ids: Vec<String> = (0..3).map(|_| server.next_id()).collect();
        assert_eq!(ids, ["n2-0", "n2-1", "n2-2"]);
    }

    /// Nodes whose ids share a prefix (`n1`, `n11`) still never give the same id: the dash separates.
    #[test]
    fn nodes_never_share_an_id() {
        let (a, b) = (server("n1"), server("n11"));
        let ids: std::collections::HashSet<String> =
            (0..200).flat_map(|_| [a.next_id(), b.next_id()]).collect();
        assert_eq!(ids.len(), 400);
    }

    /// Concurrent callers each take a different number: 8 threads x 1000 ids, no repeats.
    #[test]
    fn concurrent_ids_do_not_repeat() {
        let server = server("n0");
        let ids: Vec<String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..1000).map(|_| server.next_id()).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        });
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!((ids.len(), distinct.len()), (8000, 8000));
    }
}
