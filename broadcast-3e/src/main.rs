//! The node binary: logging to stderr, a `Node` on stdin/stdout, and the
//! `Server` from `server.rs`, which is where this part's solution lives.

mod batcher;
mod server;
mod topology;

use common::Node;

/// This binary's name, for logs and error messages.
const PROGRAM: &str = env!("CARGO_BIN_NAME");

fn main() {
    common::init_logging(PROGRAM);
    let node = Node::new();
    let server = server::Server::new(node);
    // Go's `defer s.Close()`: the batcher stops once `run` returns, however it ends.
    let result = server.run();
    server.close();
    if let Err(err) = result {
        eprintln!("{PROGRAM}: {err}");
        std::process::exit(1);
    }
}
