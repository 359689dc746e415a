//! The node library every part builds on: the Rust counterpart of Maelstrom's
//! Go library (`demo/go/node.go`, `kv.go`, `rpc_error.go`), with the same
//! functions in snake_case.
//!
//! - [`node`](Node): `Node`, handler registration, the run loop, `reply`,
//!   `send`, `rpc`, `sync_rpc`, message ids and callbacks.
//! - `message`: [`Message`] and typed access to its body and reserved keys.
//! - `error`: Maelstrom's error codes, [`RpcError`] and [`Error`].
//! - [`kv`](KV): [`KV`], the client of the `seq-kv`, `lin-kv` and `lww-kv`
//!   services, with a table mapping each function of Go's `kv.go` to ours.
//! - `pool` (private): the worker threads that run handlers concurrently,
//!   at most 512, and no more while stdout is blocked.
//! - `output` (private): writes each message whole, as one line, and
//!   decides when to flush.
//! - [`init_logging`]: stderr logging, level from `GLOMERS_LOG`.

mod error;
mod kv;
mod message;
mod node;
mod output;
mod pool;

pub use error::{
    error_code_name, is_definite_code, Error, RpcError, ABORT, CRASH, KEY_ALREADY_EXISTS,
    KEY_DOES_NOT_EXIST, MALFORMED_REQUEST, NODE_NOT_FOUND, NOT_SUPPORTED, PRECONDITION_FAILED,
    TEMPORARILY_UNAVAILABLE, TIMEOUT, TXN_CONFLICT,
};
pub use kv::{DEFAULT_KV_TIMEOUT, KV, LIN_KV, LWW_KV, SEQ_KV};
pub use message::{InitMessageBody, Message};
pub use node::Node;

/// The environment variable that sets the log level.
pub const LOG_ENV: &str = "GLOMERS_LOG";

/// Sets up logging to stderr (stdout is the network) at the level named by
/// `GLOMERS_LOG` (`error`, `warn`, `info`, `debug`, `trace`; default `info`).
///
/// Per-message logging is at `debug` or below, so the default stays fast; a
/// run can be made chatty without recompiling. A value that is not a level is
/// reported on stderr and the default used, rather than stopping the node.
pub fn init_logging(program: &str) {
    let level = match std::env::var(LOG_ENV) {
        Err(_) => log::Level::Info,
        Ok(value) => match parse_level(&value) {
            Some(level) => level,
            None => {
                eprintln!(
                    "{program}: {LOG_ENV}={value:?} is not a log level \
                     (expected error, warn, info, debug or trace); using info"
                );
                log::Level::Info
            }
        },
    };
    // A second call (tests, or a part that calls it twice) keeps the first logger.
    if stderrlog::new()
        .verbosity(level)
        .show_module_names(true)
        .init()
        .is_ok()
    {
        log::debug!("{program}: logging at {level}");
    }
}

/// The log level named by `text`, ignoring case and surrounding blanks.
fn parse_level(text: &str) -> Option<log::Level> {
    match text.trim().to_ascii_lowercase().as_str() {
        "error" => Some(log::Level::Error),
        "warn" => Some(log::Level::Warn),
        "info" => Some(log::Level::Info),
        "debug" => Some(log::Level::Debug),
        "trace" => Some(log::Level::Trace),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Level names are read case-insensitively and anything else is rejected.
    #[test]
    fn log_levels_parse() {
        assert_eq!(parse_level("debug"), Some(log::Level::Debug));
        assert_eq!(parse_level(" WARN "), Some(log::Level::Warn));
        assert_eq!(parse_level("verbose"), None);
        assert_eq!(parse_level(""), None);
    }
}
