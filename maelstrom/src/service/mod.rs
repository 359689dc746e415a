//! In-runner services: key-value stores and a timestamp oracle that live inside the runner and
//! answer nodes over the simulated network, as Maelstrom's `src/maelstrom/service.clj` does
//! (`lin-kv`, `seq-kv`, `lww-kv`, `lin-tso`; `doc/services.md`).
//!
//! A service is a [`Service`]: a state machine that answers one request at a time. The network
//! (`net`) owns the rest: it queues requests for the service with the usual latency, hands them
//! over one by one on the service's own thread, and sends each reply back through the network
//! (latency, journal, `:net` counts under `:servers`), exactly like a message a node sent.
//! Services are never partitioned. As in Maelstrom (`default-services`, started by the primary
//! in `src/maelstrom/db.clj`), every test starts all of them, whatever the workload.
//!
//! - `kv`: the key-value store the three KV services share (read, write, cas).
//! - `lin_kv`: one store, every request applied in arrival order (linearizable).
//! - `seq_kv`: Maelstrom's simulation of sequential consistency (requests may see old states).
//! - `lww_kv`: Maelstrom's last-write-wins store as coded: two replicas that never converge.
//! - `lin_tso`: a linearizable timestamp oracle (`ts` -> `ts_ok`).
//!
//! An unknown request type gets no reply at all, as in Maelstrom (whose service thread throws and
//! logs `Error in service worker!`); the caller times out. The network logs each request a
//! service leaves unanswered, naming the service, the node and the type, in `jepsen.log`.
//!
//! Adding a service is one new file here and one line in [`REGISTRY`].

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

    /// About how many bytes of the nodes' keys and values the service holds now (their JSON
    /// text). The network charges its growth to the node whose request grew it, so that a
    /// node storing megabytes under ever new keys passes the run folder's budget (`budget.rs`)
    /// instead of the runner's memory growing without bound.
    fn held_bytes(&self) -> u64 {
        0
    }
}

/// The length of `value`'s JSON text, bytes (without writing it anywhere).
pub fn json_len(value: &Value) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0 += data.len() as u64;
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Builds a fresh service; the argument seeds whatever the service draws at random (the state
/// `seq-kv` evaluates a request on, the replica of `lww-kv` that answers), so that a run with the
/// same `--seed` makes the same draws.
pub type Build = fn(seed: u64) -> Box<dyn Service>;

/// Every service, by the id nodes send to, sorted (Maelstrom's `default-services`; its log says
/// `Starting services: (lin-kv lin-tso lww-kv seq-kv)`). The one list of them: node names are
/// checked against it too.
pub const REGISTRY: &[(&str, Build)] = &[
    ("lin-kv", lin_kv::build),
    ("lin-tso", lin_tso::build),
    ("lww-kv", lww_kv::build),
    ("seq-kv", seq_kv::build),
];

/// The constructor of service `id`, or None if there is no such service.
pub fn builder(id: &str) -> Option<Build> {
    REGISTRY
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, build)| *build)
}

/// Builds service `id` with `seed`, or None if there is no such service.
pub fn for_name(id: &str, seed: u64) -> Option<Box<dyn Service>> {
    builder(id).map(|build| build(seed))
}

/// The ids of all services, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|(name, _)| *name)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry holds Maelstrom's four services, sorted, and nothing else builds.
    #[test]
    fn registry_has_maelstroms_four_services() {
        assert_eq!(
            names().collect::<Vec<_>>(),
            ["lin-kv", "lin-tso", "lww-kv", "seq-kv"]
        );
        assert!(for_name("n1", 1).is_none());
        assert!(for_name("lin_kv", 1).is_none());
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
        for name in names() {
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
