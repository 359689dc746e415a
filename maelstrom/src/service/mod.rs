//! Services: the nodes Maelstrom itself runs next to the user's (`lin-kv`, `seq-kv`, `lww-kv`,
//! `lin-tso`), as its `src/maelstrom/service.clj` and `doc/services.md` describe them.
//!
//! A node uses a service by sending it an ordinary request (`{"type": "read", "key": "x",
//! "msg_id": 7}`) with the service's name as `dest`; the reply comes back with `in_reply_to`.
//! Each service here is a pure state machine: [`Service::handle`] takes one request and returns
//! the reply body. Delivery, latency and journaling are the network's job; the network calls
//! `handle` for one request at a time, as Maelstrom's single service thread does.
//!
//! - `kv`: the key-value store all three KV services share (read, write, cas).
//! - `lin_kv`: one store, every request applied in arrival order (linearizable).
//! - `seq_kv`: Maelstrom's simulation of sequential consistency (requests may see old states).
//! - `lww_kv`: Maelstrom's last-write-wins store as coded: two replicas that never converge.
//! - `lin_tso`: a linearizable timestamp oracle (`ts` -> `ts_ok`).
//!
//! An unknown request type gets no reply at all, as in Maelstrom (whose service thread throws and
//! logs `Error in service worker!`); the caller times out. Here the runner's log gets a warning
//! naming the service, the node and the type.

pub mod kv;
pub mod lin_kv;
pub mod lin_tso;
pub mod lww_kv;
pub mod seq_kv;

use serde_json::{json, Value};

/// An in-runner service (Maelstrom's `src/maelstrom/service.clj`): it answers requests one at a time.
pub trait Service: Send {
    /// Handles one request from `src` with body `body` (which carries `type` and `msg_id`), and returns the
    /// reply body (with `in_reply_to` set) or None for no reply.
    fn handle(&mut self, src: &str, body: &serde_json::Value) -> Option<serde_json::Value>;
}

/// The services every test starts, sorted (Maelstrom's `default-services`: it starts all four in
/// every test, whatever the workload).
pub const NAMES: [&str; 4] = ["lin-kv", "lin-tso", "lww-kv", "seq-kv"];

/// Builds the service registered under `name`; `seed` feeds the random choices of `seq-kv` and
/// `lww-kv`, so a run with `--seed` repeats them. None for a name that is not a service.
pub fn for_name(name: &str, seed: u64) -> Option<Box<dyn Service>> {
    match name {
        "lin-kv" => Some(Box::new(lin_kv::LinKv::new())),
        "lin-tso" => Some(Box::new(lin_tso::LinTso::new())),
        "lww-kv" => Some(Box::new(lww_kv::LwwKv::new(seed))),
        "seq-kv" => Some(Box::new(seq_kv::SeqKv::new(seed))),
        _ => None,
    }
}

/// Finishes a reply: sets `in_reply_to` to the request's `msg_id`. A request without one gets
/// `"in_reply_to": null`, as Maelstrom's service thread does (`(assoc reply :in_reply_to (:msg_id
/// body))`).
fn reply_to(request: &Value, mut reply: Value) -> Value {
    let msg_id = request.get("msg_id").cloned().unwrap_or(Value::Null);
    if let Value::Object(map) = &mut reply {
        map.insert("in_reply_to".to_string(), msg_id);
    }
    reply
}

/// An error body (`{"type": "error", "code": 20, "text": "key does not exist"}`).
fn error(code: i64, text: &str) -> Value {
    json!({"type": "error", "code": code, "text": text})
}

/// The request's `type`, if it is a string.
fn request_type(body: &Value) -> Option<&str> {
    body.get("type").and_then(Value::as_str)
}

/// Logs the request a service does not answer: Maelstrom's service thread throws on an unknown
/// `type` and the caller simply times out, so this warning is the only trace.
fn warn_unknown(service: &str, src: &str, body: &Value) {
    let kind = match body.get("type") {
        Some(Value::String(kind)) => format!("{kind:?}"),
        Some(other) => other.to_string(),
        None => "(none)".to_string(),
    };
    log::warn!(
        "{service} got a request of unknown type {kind} from {src} and does not reply: {body}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name in NAMES builds a service, and nothing else does.
    #[test]
    fn registry_builds_exactly_the_named_services() {
        for name in NAMES {
            assert!(for_name(name, 1).is_some(), "{name} should be a service");
        }
        assert!(for_name("n1", 1).is_none());
        assert!(for_name("lin_kv", 1).is_none());
        let mut sorted = NAMES;
        sorted.sort_unstable();
        assert_eq!(sorted, NAMES);
    }

    /// A reply carries the request's msg_id as in_reply_to, or null when there was none.
    #[test]
    fn replies_carry_in_reply_to() {
        let mut tso = for_name("lin-tso", 0).expect("lin-tso");
        assert_eq!(
            tso.handle("n1", &json!({"type": "ts", "msg_id": 4})),
            Some(json!({"type": "ts_ok", "ts": 0, "in_reply_to": 4}))
        );
        assert_eq!(
            tso.handle("n1", &json!({"type": "ts"})),
            Some(json!({"type": "ts_ok", "ts": 1, "in_reply_to": null}))
        );
    }

    /// Every service ignores a request of an unknown type, or with no type at all.
    #[test]
    fn unknown_types_get_no_reply() {
        for name in NAMES {
            let mut service = for_name(name, 3).expect("a service");
            for body in [
                json!({"type": "delete", "key": "x", "msg_id": 1}),
                json!({"key": "x", "msg_id": 2}),
                json!({"type": 5, "msg_id": 3}),
            ] {
                assert_eq!(service.handle("n1", &body), None, "{name} answered {body}");
            }
        }
    }
}
