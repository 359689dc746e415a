//! `lin-tso`: a linearizable timestamp oracle (Maelstrom's `(linearizable (persistent-tso))` in
//! `src/maelstrom/service.clj`): `{"type": "ts"}` gets `{"type": "ts_ok", "ts": t}` with t = 0, 1,
//! 2, ... across all nodes.

use serde_json::{json, Value};

use crate::service::{reply_to, request_type, Service};

/// The `lin-tso` service.
#[derive(Debug, Default)]
pub struct LinTso {
    /// The timestamp the next `ts` request gets.
    next: u64,
}

impl LinTso {
    /// An oracle whose first timestamp is 0.
    pub fn new() -> LinTso {
        LinTso::default()
    }
}

/// The registry's constructor (see `service::REGISTRY`).
pub fn build(_seed: u64) -> Box<dyn Service> {
    Box::new(LinTso::new())
}

impl Service for LinTso {
    fn handle(&mut self, _src: &str, body: &Value) -> Option<Value> {
        // Any other type gets no reply, as in Maelstrom.
        if request_type(body) != Some("ts") {
            return None;
        }
        let ts = self.next;
        self.next += 1;
        Some(reply_to(body, json!({"type": "ts_ok", "ts": ts})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Timestamps count up from 0, one per request, whichever node asks.
    #[test]
    fn timestamps_count_up_across_nodes() {
        let mut tso = LinTso::new();
        let replies: Vec<Option<Value>> = ["n1", "n2", "n1"]
            .iter()
            .enumerate()
            .map(|(i, src)| tso.handle(src, &json!({"type": "ts", "msg_id": i})))
            .collect();
        assert_eq!(
            replies,
            [
                Some(json!({"type": "ts_ok", "ts": 0, "in_reply_to": 0})),
                Some(json!({"type": "ts_ok", "ts": 1, "in_reply_to": 1})),
                Some(json!({"type": "ts_ok", "ts": 2, "in_reply_to": 2})),
            ]
        );
    }

    /// A KV request gets no reply and does not use up a timestamp.
    #[test]
    fn other_requests_get_no_reply() {
        let mut tso = LinTso::new();
        assert_eq!(
            tso.handle("n1", &json!({"type": "read", "key": "x", "msg_id": 1})),
            None
        );
        assert_eq!(
            tso.handle("n1", &json!({"type": "ts", "msg_id": 2})),
            Some(json!({"type": "ts_ok", "ts": 0, "in_reply_to": 2}))
        );
    }
}
