//! Maelstrom's Raft chapter, step 1: a key-value store
//! (`doc/06-raft/01-key-value.md` in jepsen-io/maelstrom).
//!
//! ```text
//! maelstrom/maelstrom test -w lin-kv --bin target/release/raft-1-kv --time-limit 10 --rate 10 --node-count 1 --concurrency 2n
//! ```
//! (`make run MODULE=raft-1-kv` builds the release binary and runs exactly
//! this.)
//!
//! After the Gossip Glomers challenges, Maelstrom's own book builds a
//! linearizable key-value store on Raft in four steps; these parts follow
//! it, one crate a step. The `lin-kv` workload's clients `read`, `write`
//! and compare-and-set (`cas`) integer registers, and its checker asks
//! whether every answer fits one order of the operations that respects real
//! time (linearizability, checked per key with Knossos's algorithm).
//!
//! This first step has no Raft yet: the state machine, a [`Map`] (`map.rs`),
//! applies each request under one lock and the answer goes straight back.
//! On one node that is linearizable: the lock orders the operations, and
//! each takes effect between its request and its reply.
//!
//! On two nodes it is not, and the chapter shows it:
//! ```text
//! maelstrom/maelstrom test -w lin-kv --bin target/release/raft-1-kv --time-limit 10 --node-count 2 --rate 10 --concurrency 2n
//! ```
//! ends `Analysis invalid!`: each node keeps a copy of its own, so a client
//! can write 2 on one node and then read 4, written earlier on the other.
//! Step 2 (`raft-2-election`) starts replicating by electing a leader.

use std::sync::Arc;

use common::{Error, Message, Node};
use log::debug;
use parking_lot::Mutex;

use crate::map::{Map, Op};

/// The key-value node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// Everything the chapter guards with its `@lock`.
    raft: Mutex<Raft>,
}

/// The node's state, one lock for all of it, as in the chapter.
struct Raft {
    /// The key-value map the requests read and change.
    state_machine: Map,
}

impl Server {
    /// A server on `node`, with its handlers registered.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            raft: Mutex::new(Raft {
                state_machine: Map::new(),
            }),
        });

        // The chapter's `@node.on 'read' do |m| ... end`: each handler gets
        // a handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Arc<Server>, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("read", Server::client_req);
        handle("write", Server::client_req);
        handle("cas", Server::client_req);

        server
    }

    /// Serves messages until the input ends.
    pub fn run(self: &Arc<Self>) -> Result<(), Error> {
        self.node.run()
    }

    /// A client's `read`, `write` or `cas`: applied to the state machine
    /// under the lock, and answered with its response, or with its error
    /// (20 for a missing key, 22 for a cas that finds another value).
    fn client_req(self: &Arc<Self>, msg: Message) -> Result<(), Error> {
        let op: Op = msg.body()?;
        let mut raft = self.raft.lock();
        let res = raft.state_machine.apply(&op);
        debug!("{op:?} from {}: {res:?}", msg.src);
        match res {
            Ok(response) => self.node.reply(&msg, &response),
            Err(error) => self.node.reply(&msg, &error),
        }
    }
}
