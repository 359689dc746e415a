//! Maelstrom's error codes, [`RpcError`] (an error that travels on the wire)
//! and [`Error`] (what a handler or a library call returns).
//!
//! Mirrors `rpc_error.go` in Maelstrom's Go library: a handler that returns an
//! [`Error::Rpc`] gets exactly that error sent back to the requester; anything
//! else becomes a `crash` (13).

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The requester gave up waiting (also returned by `sync_rpc` on timeout).
pub const TIMEOUT: i64 = 0;
/// The request named a node that does not exist.
pub const NODE_NOT_FOUND: i64 = 1;
/// The node does not handle this message type.
pub const NOT_SUPPORTED: i64 = 10;
/// The node cannot serve the request right now (e.g. no leader); retry later.
pub const TEMPORARILY_UNAVAILABLE: i64 = 11;
/// The request body is missing fields or has fields of the wrong kind.
pub const MALFORMED_REQUEST: i64 = 12;
/// The node failed while handling the request; the request may have taken effect.
pub const CRASH: i64 = 13;
/// The operation was aborted and certainly did not take effect.
pub const ABORT: i64 = 14;
/// A key-value read or update named a key that is not there.
pub const KEY_DOES_NOT_EXIST: i64 = 20;
/// A key-value create named a key that is already there.
pub const KEY_ALREADY_EXISTS: i64 = 21;
/// A compare-and-set found a different value than expected.
pub const PRECONDITION_FAILED: i64 = 22;
/// A transaction conflicted with another and was rolled back.
pub const TXN_CONFLICT: i64 = 30;

/// Every code Maelstrom defines: code, name (as Maelstrom prints it), definite.
///
/// "Definite" means the operation certainly did not happen; Maelstrom's checkers
/// treat an indefinite error like a timeout (the write may or may not be there).
const CODES: [(i64, &str, bool); 11] = [
    (TIMEOUT, "timeout", false),
    (NODE_NOT_FOUND, "node-not-found", true),
    (NOT_SUPPORTED, "not-supported", true),
    (TEMPORARILY_UNAVAILABLE, "temporarily-unavailable", true),
    (MALFORMED_REQUEST, "malformed-request", true),
    (CRASH, "crash", false),
    (ABORT, "abort", true),
    (KEY_DOES_NOT_EXIST, "key-does-not-exist", true),
    (KEY_ALREADY_EXISTS, "key-already-exists", true),
    (PRECONDITION_FAILED, "precondition-failed", true),
    (TXN_CONFLICT, "txn-conflict", true),
];

/// Maelstrom's name for an error code (`"crash"` for 13), or `"unknown"` for a
/// code it does not define (user codes from 1000 up included).
pub fn error_code_name(code: i64) -> &'static str {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("unknown", |(_, name, _)| name)
}

/// Whether an error with this code means the operation certainly did not
/// happen. Timeout (0), crash (13) and codes Maelstrom does not define are
/// indefinite, as Maelstrom treats them.
pub fn is_definite_code(code: i64) -> bool {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .is_some_and(|(_, _, definite)| *definite)
}

/// An error as Maelstrom carries it in a message body:
/// `{"type":"error","code":13,"text":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// One of the code constants in this module, or a user code (>= 1000).
    pub code: i64,
    /// Free text for the human reading the results.
    pub text: String,
}

impl RpcError {
    /// An error with this code and text.
    pub fn new(code: i64, text: impl Into<String>) -> RpcError {
        RpcError {
            code,
            text: text.into(),
        }
    }

    /// Maelstrom's name for this error's code, e.g. `"crash"`.
    pub fn name(&self) -> &'static str {
        error_code_name(self.code)
    }

    /// Whether the failed operation certainly did not happen.
    pub fn is_definite(&self) -> bool {
        is_definite_code(self.code)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.code, self.text)
    }
}

impl std::error::Error for RpcError {}

/// Written as an error body, so `node.reply(&msg, &rpc_error)` sends it as is.
impl Serialize for RpcError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("type", "error")?;
        map.serialize_entry("code", &self.code)?;
        map.serialize_entry("text", &self.text)?;
        map.end()
    }
}

/// What handlers and the library's calls return.
///
/// The split decides what the requester sees: `Rpc` is sent back as that
/// error, `Other` is a failure of this node and goes back as `crash` (13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An error meant for the requester (or one a peer sent us).
    Rpc(RpcError),
    /// Anything else: I/O, serialisation, a bug.
    Other(String),
}

impl Error {
    /// The Maelstrom error code, if this is an RPC error; Go's
    /// `maelstrom.ErrorCode(err)` (which says -1 where this says `None`).
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Rpc(e) => Some(e.code),
            Error::Other(_) => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rpc(e) => write!(f, "RPC error {e}"),
            Error::Other(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}

impl From<RpcError> for Error {
    fn from(e: RpcError) -> Error {
        Error::Rpc(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Other(format!("JSON error: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Other(format!("I/O error: {e}"))
    }
}

impl From<String> for Error {
    fn from(text: String) -> Error {
        Error::Other(text)
    }
}

impl From<&str> for Error {
    fn from(text: &str) -> Error {
        Error::Other(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Maelstrom code has its name and definiteness; unknown codes are indefinite.
    #[test]
    fn code_names_and_definiteness() {
        assert_eq!(error_code_name(TIMEOUT), "timeout");
        assert_eq!(error_code_name(TXN_CONFLICT), "txn-conflict");
        assert_eq!(error_code_name(1000), "unknown");
        assert!(!is_definite_code(TIMEOUT));
        assert!(!is_definite_code(CRASH));
        assert!(!is_definite_code(1000));
        for code in [1, 10, 11, 12, 14, 20, 21, 22, 30] {
            assert!(is_definite_code(code), "code {code} should be definite");
        }
    }

    /// An RpcError serialises as Maelstrom's error body, text included.
    #[test]
    fn rpc_error_serialises_as_error_body() {
        let json = serde_json::to_value(RpcError::new(CRASH, "boom")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "error", "code": 13, "text": "boom"})
        );
    }

    /// Display names the code so that a log line says what went wrong.
    #[test]
    fn display_names_the_code() {
        assert_eq!(
            RpcError::new(KEY_DOES_NOT_EXIST, "key 3").to_string(),
            "key-does-not-exist (20): key 3"
        );
    }
}
