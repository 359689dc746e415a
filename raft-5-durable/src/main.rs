//! The node binary: logging to stderr, a `Node` on stdin/stdout, and the
//! `Server` from `server.rs`, which is where this part's solution lives.

mod map;
mod raft_log;
mod server;
mod storage;
mod timers;

use common::Node;

/// This binary's name, for logs and error messages.
const PROGRAM: &str = env!("CARGO_BIN_NAME");

fn main() {
    common::init_logging(PROGRAM);
    let node = Node::new();
    let server = server::Server::new(node);
    if let Err(err) = server.run() {
        eprintln!("{PROGRAM}: {err}");
        std::process::exit(1);
    }
}
