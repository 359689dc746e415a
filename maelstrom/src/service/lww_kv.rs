//! `lww-kv`: Maelstrom's "last-write-wins" key-value store, as `src/maelstrom/service.clj` codes
//! it (`(eventual (lww-kv))`), not as `doc/services.md` describes it.
//!
//! The docs promise five replicas that gossip and converge on the latest write. The code keeps
//! **two** replicas and sends each request to one of them, chosen uniformly at random; the merge
//! it computes on every request is thrown away, so the two replicas never converge. A node that
//! writes `x = 1` may then read `key does not exist`, and may keep seeing either replica's value
//! for the rest of the test. This is the behaviour nodes meet under Maelstrom, so it is the one
//! reproduced here (the README lists it among the deliberate notes).
//!
//! Each replica is a KV store in the `LWWKV` dialect: `cas` ignores `create_if_not_exists`, and
//! error 22 prints `from` with Clojure's `str`. The per-replica Lamport clock Maelstrom keeps only
//! feeds the discarded merge, so it is not kept.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::service::kv::{Dialect, Kv, Request};
use crate::service::{reply_to, Service};

/// How many replicas Maelstrom's `eventual` wrapper simulates by default.
pub const REPLICAS: usize = 2;

/// The `lww-kv` service.
#[derive(Debug)]
pub struct LwwKv {
    replicas: [Kv; REPLICAS],
    /// Picks the replica for each request.
    rng: StdRng,
}

impl LwwKv {
    /// Two empty replicas; `seed` fixes which replica serves each request.
    pub fn new(seed: u64) -> LwwKv {
        LwwKv {
            replicas: Default::default(),
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

/// The registry's constructor (see `service::REGISTRY`).
pub fn build(seed: u64) -> Box<dyn Service> {
    Box::new(LwwKv::new(seed))
}

impl Service for LwwKv {
    fn handle(&mut self, _src: &str, body: &Value) -> Option<Value> {
        // Any other type gets no reply, as in Maelstrom.
        let request = Request::parse(body)?;
        let replica = &mut self.replicas[self.rng.gen_range(0..REPLICAS)];
        let reply = replica.handle(&request, Dialect::Lww);
        Some(reply_to(body, reply))
    }

    fn held_bytes(&self) -> u64 {
        self.replicas.iter().map(Kv::held_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each request goes to one of two replicas that never converge: after one write, reads
    /// keep returning either the value or "key does not exist", each about half the time.
    #[test]
    fn two_replicas_never_converge() {
        let mut kv = LwwKv::new(11);
        let write = json!({"type": "write", "key": "x", "value": 1, "msg_id": 0});
        assert_eq!(
            kv.handle("n1", &write),
            Some(json!({"type": "write_ok", "in_reply_to": 0}))
        );
        let (mut found, mut missing) = (0, 0);
        for msg_id in 1..=400 {
            let read = json!({"type": "read", "key": "x", "msg_id": msg_id});
            match kv.handle("n1", &read) {
                Some(reply) if reply["type"] == "read_ok" && reply["value"] == 1 => found += 1,
                Some(reply) if reply["code"] == 20 => missing += 1,
                other => panic!("unexpected reply {other:?}"),
            }
        }
        // Binomial(400, 1/2): 200 ± 10; 150..250 fails only if the choice is not a fair coin.
        assert!(
            (150..=250).contains(&found),
            "found {found}, missing {missing}"
        );
        assert_eq!(found + missing, 400);
        // One replica holds the write, the other never hears of it.
        let holders = kv
            .replicas
            .iter()
            .filter(|r| r.get(&json!("x")).is_some())
            .count();
        assert_eq!(holders, 1);
    }

    /// cas ignores create_if_not_exists on both replicas and prints `from` bare in error 22.
    #[test]
    fn cas_as_lwwkv_codes_it() {
        let mut kv = LwwKv::new(5);
        for msg_id in 0..20 {
            let create = json!({"type": "cas", "key": "k", "from": 0, "to": 1, "create_if_not_exists": true, "msg_id": msg_id});
            assert_eq!(
                kv.handle("n1", &create),
                Some(
                    json!({"type": "error", "code": 20, "text": "key does not exist", "in_reply_to": msg_id})
                )
            );
        }
        // Write "a" until both replicas hold it, then a failed cas reads the same on either.
        for _ in 0..40 {
            kv.handle(
                "n1",
                &json!({"type": "write", "key": "k", "value": "a", "msg_id": 1}),
            );
        }
        assert!(kv
            .replicas
            .iter()
            .all(|r| r.get(&json!("k")) == Some(&json!("a"))));
        let cas = json!({"type": "cas", "key": "k", "from": "b", "to": "c", "msg_id": 2});
        assert_eq!(
            kv.handle("n2", &cas),
            Some(
                json!({"type": "error", "code": 22, "text": "current value \"a\" is not b", "in_reply_to": 2})
            )
        );
    }

    /// The same seed sends the same requests to the same replicas.
    #[test]
    fn seed_fixes_the_replica_choices() {
        let replies = |seed| {
            let mut kv = LwwKv::new(seed);
            (0..50)
                .map(|i| {
                    let body = if i % 3 == 0 {
                        json!({"type": "write", "key": "x", "value": i, "msg_id": i})
                    } else {
                        json!({"type": "read", "key": "x", "msg_id": i})
                    };
                    kv.handle("n1", &body)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(replies(3), replies(3));
        assert_ne!(replies(3), replies(4));
    }
}
