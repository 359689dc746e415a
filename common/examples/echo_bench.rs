//! A minimal echo node for benchmarking `common` on its own, before or apart
//! from the `echo` part: `scripts/bench-echo.sh` uses the real part when it
//! builds, this otherwise.

use serde::{Deserialize, Serialize};

use common::{Error, Message, Node};

/// The request: `{"type":"echo","echo":..}`.
#[derive(Deserialize)]
struct Echo {
    echo: serde_json::Value,
}

/// The reply: `{"type":"echo_ok","echo":..}`.
#[derive(Serialize)]
struct EchoOk {
    r#type: &'static str,
    echo: serde_json::Value,
}

fn main() {
    common::init_logging("echo_bench");
    let node = Node::new();
    let handle = node.clone();
    node.handle("echo", move |msg: Message| -> Result<(), Error> {
        let body: Echo = msg.body()?;
        handle.reply(
            &msg,
            &EchoOk {
                r#type: "echo_ok",
                echo: body.echo,
            },
        )
    });
    if let Err(e) = node.run() {
        eprintln!("echo_bench: {e}");
        std::process::exit(1);
    }
}
