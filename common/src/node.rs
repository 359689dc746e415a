//! [`Node`]: handlers, the run loop, and reply/send/rpc/sync_rpc.
//! (Stub: the API is fixed; the implementation follows.)

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;
use crate::message::Message;

/// A handle on this node, cheap to clone and share with threads.
#[derive(Clone)]
pub struct Node {
    _shared: Arc<()>,
}

impl Node {
    /// A node speaking on stdin/stdout.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Node {
        Node::with_io(
            std::io::BufReader::with_capacity(1 << 16, std::io::stdin()),
            std::io::stdout(),
        )
    }

    /// A node over any reader and writer (tests use in-memory pipes).
    pub fn with_io(
        _input: impl BufRead + Send + 'static,
        _output: impl Write + Send + 'static,
    ) -> Node {
        Node {
            _shared: Arc::new(()),
        }
    }

    /// Registers the handler for one message type; panics if registered twice.
    pub fn handle(
        &self,
        _msg_type: &str,
        _handler: impl Fn(Message) -> Result<(), Error> + Send + Sync + 'static,
    ) {
    }

    /// Reads messages until input ends, then waits for in-flight handlers.
    pub fn run(&self) -> Result<(), Error> {
        Err(Error::Other("not implemented yet".into()))
    }

    /// This node's id; valid after init.
    pub fn id(&self) -> String {
        String::new()
    }

    /// All node ids; valid after init.
    pub fn node_ids(&self) -> Vec<String> {
        Vec::new()
    }

    /// Replies to `request` with `body`, adding `in_reply_to`.
    pub fn reply<B: Serialize>(&self, _request: &Message, _body: &B) -> Result<(), Error> {
        Err(Error::Other("not implemented yet".into()))
    }

    /// Sends `body` to `dest`, expecting no reply.
    pub fn send<B: Serialize>(&self, _dest: &str, _body: &B) -> Result<(), Error> {
        Err(Error::Other("not implemented yet".into()))
    }

    /// Sends a request with a fresh `msg_id`; the reply goes to `callback`.
    pub fn rpc<B: Serialize>(
        &self,
        _dest: &str,
        _body: &B,
        _callback: impl FnOnce(Message) -> Result<(), Error> + Send + 'static,
    ) -> Result<(), Error> {
        Err(Error::Other("not implemented yet".into()))
    }

    /// Sends a request and waits for its reply.
    pub fn sync_rpc<B: Serialize>(
        &self,
        _dest: &str,
        _body: &B,
        _timeout: Duration,
    ) -> Result<Message, Error> {
        Err(Error::Other("not implemented yet".into()))
    }
}
