//! `lin-kv`: a linearizable key-value store (Maelstrom's `(linearizable (persistent-kv))` in
//! `src/maelstrom/service.clj`): one store, every request applied in the order it arrives.

use serde_json::Value;

use crate::service::kv::{Dialect, Kv, Request};
use crate::service::{reply_to, Service};

/// The `lin-kv` service.
#[derive(Debug, Default)]
pub struct LinKv {
    kv: Kv,
}

impl LinKv {
    /// An empty store.
    pub fn new() -> LinKv {
        LinKv::default()
    }
}

/// The registry's constructor (see `service::REGISTRY`).
pub fn build(_seed: u64) -> Box<dyn Service> {
    Box::new(LinKv::new())
}

impl Service for LinKv {
    fn handle(&mut self, _src: &str, body: &Value) -> Option<Value> {
        // Any other type gets no reply, as in Maelstrom.
        let request = Request::parse(body)?;
        let reply = self.kv.handle(&request, Dialect::Persistent);
        Some(reply_to(body, reply))
    }

    fn held_bytes(&self) -> u64 {
        self.kv.held_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every node sees every earlier write at once: n2 reads what n1 wrote, cas chains apply.
    #[test]
    fn requests_apply_in_arrival_order() {
        let mut kv = LinKv::new();
        let write = json!({"type": "write", "key": "x", "value": 1, "msg_id": 1});
        assert_eq!(
            kv.handle("n1", &write),
            Some(json!({"type": "write_ok", "in_reply_to": 1}))
        );
        let read = json!({"type": "read", "key": "x", "msg_id": 9});
        assert_eq!(
            kv.handle("n2", &read),
            Some(json!({"type": "read_ok", "value": 1, "in_reply_to": 9}))
        );
        let cas = json!({"type": "cas", "key": "x", "from": 1, "to": 2, "msg_id": 2});
        assert_eq!(
            kv.handle("n2", &cas),
            Some(json!({"type": "cas_ok", "in_reply_to": 2}))
        );
        assert_eq!(
            kv.handle("n1", &cas),
            Some(
                json!({"type": "error", "code": 22, "text": "current value 2 is not 1", "in_reply_to": 2})
            )
        );
        assert_eq!(
            kv.handle("n3", &read),
            Some(json!({"type": "read_ok", "value": 2, "in_reply_to": 9}))
        );
    }

    /// cas with create_if_not_exists creates the key once; a second one compares.
    #[test]
    fn cas_creates_missing_keys() {
        let mut kv = LinKv::new();
        let create = json!({"type": "cas", "key": "c", "from": 0, "to": 5, "create_if_not_exists": true, "msg_id": 1});
        assert_eq!(
            kv.handle("n1", &create),
            Some(json!({"type": "cas_ok", "in_reply_to": 1}))
        );
        assert_eq!(
            kv.handle("n2", &create),
            Some(
                json!({"type": "error", "code": 22, "text": "current value 5 is not 0", "in_reply_to": 1})
            )
        );
    }

    /// lin-tso's request type is not a KV request: no reply.
    #[test]
    fn ts_is_not_a_kv_request() {
        let mut kv = LinKv::new();
        assert_eq!(kv.handle("n1", &json!({"type": "ts", "msg_id": 1})), None);
    }
}
