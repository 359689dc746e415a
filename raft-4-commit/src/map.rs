//! The state machine: a key-value map that takes the `lin-kv` workload's
//! operations (`read`, `write`, `cas`) and answers them; the chapter's `Map`
//! class (`doc/06-raft/01-key-value.md`).
//!
//! The chapter's `Map#apply` returns a new map and the response, leaving the
//! old map as it was; ours changes the map in place and returns the
//! response. Either way, applying the same operations in the same order gives
//! the same map and the same responses, which is all Raft asks of a state
//! machine.

use std::collections::HashMap;

use common::{RpcError, KEY_DOES_NOT_EXIST, PRECONDITION_FAILED};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A client's operation, read from its request body (`msg_id` and any other
/// key are ignored). Keys and values are any JSON: the workload sends small
/// integers, the chapter's text speaks of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    /// `{"type":"read","key":k}`
    Read { key: Value },
    /// `{"type":"write","key":k,"value":v}`
    Write { key: Value, value: Value },
    /// `{"type":"cas","key":k,"from":a,"to":b}`: set `to` if the value is `from`.
    Cas { key: Value, from: Value, to: Value },
}

/// The answer to a successful [`Op`]; a failed one is an [`RpcError`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)] // The protocol's names: read_ok, write_ok, cas_ok.
pub enum Response {
    /// `{"type":"read_ok","value":v}`
    ReadOk { value: Value },
    /// `{"type":"write_ok"}`
    WriteOk,
    /// `{"type":"cas_ok"}`
    CasOk,
}

/// The key-value map.
#[derive(Debug, Default)]
pub struct Map {
    /// Key, as its JSON text (`0`, `"x"`), to value. JSON values cannot be
    /// hashed, their text can, and equal keys have equal text.
    map: HashMap<String, Value>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// Applies `op` and returns its response: `key-does-not-exist` (20) for
    /// a read or cas of a missing key, `precondition-failed` (22) for a cas
    /// that finds another value (and changes nothing).
    pub fn apply(&mut self, op: &Op) -> Result<Response, RpcError> {
        match op {
            Op::Read { key } => match self.map.get(&key.to_string()) {
                Some(value) => Ok(Response::ReadOk {
                    value: value.clone(),
                }),
                None => Err(RpcError::new(KEY_DOES_NOT_EXIST, "not found")),
            },
            Op::Write { key, value } => {
                self.map.insert(key.to_string(), value.clone());
                Ok(Response::WriteOk)
            }
            Op::Cas { key, from, to } => match self.map.get_mut(&key.to_string()) {
                Some(value) if value == from => {
                    *value = to.clone();
                    Ok(Response::CasOk)
                }
                Some(value) => Err(RpcError::new(
                    PRECONDITION_FAILED,
                    format!("expected {from}, but had {value}"),
                )),
                None => Err(RpcError::new(KEY_DOES_NOT_EXIST, "not found")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The op in a request body, as a handler reads it.
    fn op(body: Value) -> Op {
        serde_json::from_value(body).unwrap()
    }

    /// A read of a missing key fails with 20; a write makes it readable.
    #[test]
    fn writes_are_read_back() {
        let mut map = Map::new();
        let read = op(json!({"type": "read", "key": 0, "msg_id": 1}));
        assert_eq!(map.apply(&read).unwrap_err().code, KEY_DOES_NOT_EXIST);
        let write = op(json!({"type": "write", "key": 0, "value": 3}));
        assert_eq!(map.apply(&write), Ok(Response::WriteOk));
        assert_eq!(map.apply(&read), Ok(Response::ReadOk { value: json!(3) }));
    }

    /// A cas sets the value only when it finds `from`; otherwise it fails
    /// with 22 (or 20 for a missing key) and changes nothing.
    #[test]
    fn cas_compares_then_sets() {
        let mut map = Map::new();
        let cas = op(json!({"type": "cas", "key": 1, "from": 3, "to": 4}));
        assert_eq!(map.apply(&cas).unwrap_err().code, KEY_DOES_NOT_EXIST);
        map.apply(&op(json!({"type": "write", "key": 1, "value": 2})))
            .unwrap();
        let failed = map.apply(&cas).unwrap_err();
        assert_eq!(failed.code, PRECONDITION_FAILED);
        assert_eq!(failed.text, "expected 3, but had 2");
        let read = op(json!({"type": "read", "key": 1}));
        assert_eq!(map.apply(&read), Ok(Response::ReadOk { value: json!(2) }));
        let cas = op(json!({"type": "cas", "key": 1, "from": 2, "to": 4}));
        assert_eq!(map.apply(&cas), Ok(Response::CasOk));
        assert_eq!(map.apply(&read), Ok(Response::ReadOk { value: json!(4) }));
    }

    /// Keys are told apart by their JSON value: `1` and `"1"` are two keys.
    #[test]
    fn keys_of_different_types_differ() {
        let mut map = Map::new();
        map.apply(&op(json!({"type": "write", "key": 1, "value": "a"})))
            .unwrap();
        let read = op(json!({"type": "read", "key": "1"}));
        assert_eq!(map.apply(&read).unwrap_err().code, KEY_DOES_NOT_EXIST);
    }

    /// Responses are written as the workload expects them.
    #[test]
    fn responses_serialise_as_the_protocol_says() {
        let read_ok = Response::ReadOk { value: json!(2) };
        assert_eq!(
            serde_json::to_value(read_ok).unwrap(),
            json!({"type": "read_ok", "value": 2})
        );
        assert_eq!(
            serde_json::to_value(Response::CasOk).unwrap(),
            json!({"type": "cas_ok"})
        );
    }
}
