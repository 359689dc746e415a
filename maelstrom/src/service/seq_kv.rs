//! `seq-kv`: Maelstrom's simulation of a sequentially consistent key-value store
//! (`(sequential (persistent-kv))` in `src/maelstrom/service.clj`).
//!
//! All requests appear to happen in one total order, and each node sees that order move
//! forward, never back; but a node may act on an *old* state, as long as doing so does not
//! reorder any change. Maelstrom gets this with a window of the last 32 states of the store and,
//! per node (by `src`), the index of the last state that node observed:
//!
//! 1. pick a state index uniformly between the node's index and the latest index;
//! 2. evaluate the request on that state;
//! 3. if that leaves the state as it was (a read, a failed cas, a write or cas of the value the
//!    key already holds there), reply from that old state: stale reads, stale
//!    `precondition-failed`, stale `key does not exist`, and writes that "succeed" without
//!    touching the latest state;
//! 4. otherwise apply the request to the latest state instead, append the result as a new
//!    state (even if it equals the latest one, e.g. a cas that fails there) and reply from it;
//! 5. the node's index becomes the state it observed.
//!
//! A node that has never used the service starts at index 0, so its first reads may see any
//! retained state. Indexes older than the window wrap around it (Maelstrom's ring buffer takes
//! the offset modulo its length), so they land on some retained state, not necessarily the
//! oldest.
//!
//! What this means for a counter kept in `seq-kv`: a read may return an old value at any time,
//! even to the node that last wrote; only a change (a write of a new value, a successful cas)
//! forces a node up to the latest state.
//!
//! The states are not stored as 32 copies of the store, which would copy every key on every
//! change. Each key keeps instead the values it took, tagged with the index of the state that
//! first held each one; the value of a key in state i is the last one tagged i or less. A
//! request touches one key, so evaluating it on an old state is one lookup.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::service::kv::{evaluate, slot, Dialect, Request};
use crate::service::{json_len, reply_to, Service};

/// How many past states the service keeps (Maelstrom's default buffer size).
pub const WINDOW: u64 = 32;

/// The `seq-kv` service.
#[derive(Debug)]
pub struct SeqKv {
    /// Per key (by its canonical text), the values it took: (index of the first state that
    /// held it, value), oldest first. Versions no retained state can see are dropped.
    versions: HashMap<String, Vec<(u64, Value)>>,
    /// The index of the latest state (0 for the empty store the service starts with).
    last_index: u64,
    /// Per node, the index of the last state it observed (0 when absent).
    observed: HashMap<String, u64>,
    /// Picks the state each request is evaluated on.
    rng: StdRng,
    /// The JSON length of every version held, and of each key's text ([`Service::held_bytes`]).
    bytes: u64,
}

impl SeqKv {
    /// An empty store; `seed` fixes which states requests see.
    pub fn new(seed: u64) -> SeqKv {
        SeqKv {
            versions: HashMap::new(),
            last_index: 0,
            observed: HashMap::new(),
            rng: StdRng::seed_from_u64(seed),
            bytes: 0,
        }
    }

    /// How many states are retained: all of them until there are 32.
    fn retained(&self) -> u64 {
        (self.last_index + 1).min(WINDOW)
    }

    /// The state that index `index` (at most `last_index`) finds, as Maelstrom's ring buffer
    /// finds it: the offset from the latest state, taken modulo the number of retained states.
    /// Indexes within the window find themselves; older ones wrap around it.
    fn resolve(&self, index: u64) -> u64 {
        let len = self.retained() as i128;
        let offset = index as i128 - self.last_index as i128 - 1;
        let position = offset.rem_euclid(len) as u64;
        self.last_index + 1 - self.retained() + position
    }

    /// The value of the key with canonical text `slot` in state `index`.
    fn value_at(&self, slot: &str, index: u64) -> Option<&Value> {
        let versions = self.versions.get(slot)?;
        let newer = versions.partition_point(|(since, _)| *since <= index);
        newer.checked_sub(1).map(|i| &versions[i].1)
    }

    /// Adds a new latest state, in which the key `slot` holds `value` if given.
    fn push_state(&mut self, slot: String, value: Option<Value>) {
        self.last_index += 1;
        let oldest = self.last_index + 1 - self.retained();
        let Some(value) = value else {
            return;
        };
        if !self.versions.contains_key(&slot) {
            self.bytes += slot.len() as u64;
        }
        self.bytes += json_len(&value);
        let versions = self.versions.entry(slot).or_default();
        versions.push((self.last_index, value));
        // Keep the version the oldest retained state sees, and the newer ones.
        let seen_by_oldest = versions.partition_point(|(since, _)| *since <= oldest);
        for (_, old) in versions.drain(..seen_by_oldest.saturating_sub(1)) {
            self.bytes -= json_len(&old);
        }
    }
}

/// The registry's constructor (see `service::REGISTRY`).
pub fn build(seed: u64) -> Box<dyn Service> {
    Box::new(SeqKv::new(seed))
}

impl Service for SeqKv {
    fn handle(&mut self, src: &str, body: &Value) -> Option<Value> {
        // Any other type gets no reply, as in Maelstrom.
        let request = Request::parse(body)?;
        let key = slot(request.key());
        let from = self.observed.get(src).copied().unwrap_or(0);
        let index = self.rng.gen_range(from..=self.last_index);
        let old = self.value_at(&key, self.resolve(index));
        let outcome = evaluate(old, &request, Dialect::Persistent);
        if !outcome.changes(old) {
            // As in Maelstrom, the node's index is the one drawn, even if it wrapped around.
            self.observed.insert(src.to_string(), index);
            return Some(reply_to(body, outcome.reply));
        }
        // A change may not happen in the past: apply the request to the latest state, which
        // gives a new state (even when the request changes nothing there).
        let latest = self.value_at(&key, self.last_index);
        let outcome = evaluate(latest, &request, Dialect::Persistent);
        self.push_state(key, outcome.write);
        self.observed.insert(src.to_string(), self.last_index);
        Some(reply_to(body, outcome.reply))
    }

    fn held_bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// The value of x in the latest state.
    fn latest_x(kv: &SeqKv) -> Option<&Value> {
        kv.value_at(&slot(&json!("x")), kv.last_index)
    }

    fn write(kv: &mut SeqKv, src: &str, value: i64) -> Option<Value> {
        kv.handle(
            src,
            &json!({"type": "write", "key": "x", "value": value, "msg_id": 1}),
        )
    }

    /// What a read of x returns: the value, or None for "key does not exist".
    fn read(kv: &mut SeqKv, src: &str) -> Option<i64> {
        let reply = kv.handle(src, &json!({"type": "read", "key": "x", "msg_id": 2}));
        match reply {
            Some(r) if r["type"] == "read_ok" => r["value"].as_i64(),
            Some(r) if r["code"] == 20 => None,
            other => panic!("unexpected reply {other:?}"),
        }
    }

    /// n1 writes x = 1..=10; then 1100 fresh nodes read once each. Each sees a uniformly chosen
    /// state among the 11 (empty, 1, ..., 10): about 100 each, stale ones included.
    #[test]
    fn fresh_nodes_read_any_retained_state() {
        let mut kv = SeqKv::new(42);
        for v in 1..=10 {
            assert_eq!(
                write(&mut kv, "n1", v),
                Some(json!({"type": "write_ok", "in_reply_to": 1}))
            );
        }
        assert_eq!(kv.last_index, 10);
        let mut seen: BTreeMap<Option<i64>, u32> = BTreeMap::new();
        for node in 0..1100 {
            *seen.entry(read(&mut kv, &format!("c{node}"))).or_default() += 1;
        }
        let expected: Vec<Option<i64>> = std::iter::once(None).chain((1..=10).map(Some)).collect();
        assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), expected);
        // Binomial(1100, 1/11): 100 ± 9.5; 60..140 fails only if the choice is not uniform.
        for (value, count) in &seen {
            assert!((60..=140).contains(count), "{value:?} seen {count} times");
        }
        // Reads change nothing: still 10 writes' worth of states.
        assert_eq!(kv.last_index, 10);
    }

    /// One node reading over and over never goes back in time, and reaches the latest value;
    /// the writer itself always reads its own latest write.
    #[test]
    fn each_node_reads_monotonically() {
        let mut kv = SeqKv::new(7);
        for v in 1..=20 {
            write(&mut kv, "n1", v);
        }
        let mut last = None;
        let mut stale = 0;
        for _ in 0..200 {
            let value = read(&mut kv, "n2");
            assert!(value >= last, "n2 read {value:?} after {last:?}");
            if value != Some(20) {
                stale += 1;
            }
            last = value;
        }
        assert_eq!(last, Some(20));
        assert!(
            stale > 0,
            "the first read of a fresh node should usually be stale"
        );
        for _ in 0..50 {
            assert_eq!(read(&mut kv, "n1"), Some(20));
        }
    }

    /// A cas from a node that lags may fail with the old value in its text (a stale
    /// precondition-failed) and changes nothing; a successful cas lands on the latest state.
    #[test]
    fn cas_may_fail_on_a_stale_state() {
        let mut kv = SeqKv::new(3);
        for v in 1..=5 {
            write(&mut kv, "n1", v);
        }
        let (mut ok, mut stale) = (0, 0);
        for node in 0..300 {
            let cas = json!({"type": "cas", "key": "x", "from": 5, "to": 5, "msg_id": 3});
            // from == to: a success changes nothing either, so every reply is read off a state.
            let reply = kv.handle(&format!("c{node}"), &cas).expect("a reply");
            match reply["type"].as_str() {
                Some("cas_ok") => ok += 1,
                Some("error") => {
                    stale += 1;
                    let text = reply["text"].as_str().unwrap_or_default();
                    assert!(
                        text == "key does not exist"
                            || ["1", "2", "3", "4"]
                                .iter()
                                .any(|v| text == format!("current value {v} is not 5")),
                        "unexpected text {text}"
                    );
                }
                _ => panic!("unexpected reply {reply}"),
            }
        }
        assert!(ok > 20 && stale > 200, "ok {ok}, stale {stale}");
        assert_eq!(kv.last_index, 5);
        // A real change always applies to the latest state, whatever state it was tried on.
        let cas = json!({"type": "cas", "key": "x", "from": 5, "to": 6, "msg_id": 4});
        let mut reply = kv.handle("late", &cas);
        while reply
            .as_ref()
            .map(|r| r["type"] == "error")
            .unwrap_or(false)
        {
            reply = kv.handle("late", &cas);
        }
        assert_eq!(reply, Some(json!({"type": "cas_ok", "in_reply_to": 4})));
        assert_eq!(read(&mut kv, "late"), Some(6));
    }

    /// A write of the value an old state already holds is answered from that state: write_ok,
    /// yet the latest state keeps its newer value and no state is added.
    #[test]
    fn no_op_writes_are_served_from_old_states() {
        let mut kv = SeqKv::new(9);
        write(&mut kv, "n1", 1);
        write(&mut kv, "n1", 2);
        let mut ignored = 0;
        for node in 0..200 {
            let before = kv.last_index;
            let node = format!("c{node}");
            assert_eq!(
                write(&mut kv, &node, 1),
                Some(json!({"type": "write_ok", "in_reply_to": 1}))
            );
            if kv.last_index == before {
                ignored += 1;
                assert_ne!(latest_x(&kv), Some(&json!(1)));
            } else {
                // The write landed: put 2 back for the next node (n1's own write of 2 may itself
                // be served from an old state holding 2, so repeat until the latest holds it).
                while latest_x(&kv) != Some(&json!(2)) {
                    write(&mut kv, "n1", 2);
                }
            }
        }
        assert!(
            ignored > 20,
            "only {ignored} writes were served from an old state"
        );
    }

    /// Only the last 32 states are kept: after 100 writes a fresh node sees one of x = 69..=100,
    /// through the ring buffer's wrap-around.
    #[test]
    fn window_keeps_the_last_32_states() {
        let mut kv = SeqKv::new(1);
        for v in 1..=100 {
            write(&mut kv, "n1", v);
        }
        assert_eq!(kv.retained(), WINDOW);
        // x keeps only the versions the 32 retained states can see, and what it holds is
        // counted for the run folder's budget: the key's text and those versions.
        let kept = &kv.versions[&slot(&json!("x"))];
        assert_eq!(kept.len(), WINDOW as usize);
        let held: u64 = kept.iter().map(|(_, v)| json_len(v)).sum();
        assert_eq!(kv.held_bytes(), slot(&json!("x")).len() as u64 + held);
        let mut seen = std::collections::BTreeSet::new();
        for node in 0..2000 {
            let value = read(&mut kv, &format!("c{node}")).expect("x exists in every kept state");
            assert!((69..=100).contains(&value), "saw {value}");
            seen.insert(value);
        }
        assert_eq!(seen.len(), WINDOW as usize);
    }

    /// The ring buffer's arithmetic: offsets from the latest state, modulo the length.
    #[test]
    fn resolve_wraps_like_the_ring_buffer() {
        let mut kv = SeqKv::new(0);
        for v in 1..=40 {
            write(&mut kv, "n1", v);
        }
        let x = |kv: &SeqKv, index| kv.value_at(&slot(&json!("x")), kv.resolve(index)).cloned();
        assert_eq!(x(&kv, 40), Some(json!(40)));
        assert_eq!(x(&kv, 9), Some(json!(9)));
        // Index 8 is 32 states before 40, so it wraps to the state of index 40.
        assert_eq!(x(&kv, 8), Some(json!(40)));
        assert_eq!(x(&kv, 0), Some(json!(32)));
    }

    /// The same seed gives the same replies.
    #[test]
    fn seed_fixes_the_choices() {
        let replies = |seed| {
            let mut kv = SeqKv::new(seed);
            (0..60)
                .map(|i| {
                    if i % 4 == 0 {
                        write(&mut kv, "n1", i);
                    }
                    read(&mut kv, &format!("n{}", i % 5))
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(replies(8), replies(8));
        assert_ne!(replies(8), replies(9));
    }

    /// Prints how many requests per second seq-kv answers with many keys (a benchmark, not a
    /// pass/fail test): `cargo test -p maelstrom --release --lib seq_kv_speed -- --ignored
    /// --nocapture`.
    #[test]
    #[ignore]
    fn seq_kv_speed() {
        for keys in [10, 1_000, 10_000] {
            let mut kv = SeqKv::new(1);
            for k in 0..keys {
                kv.handle(
                    "n0",
                    &json!({"type": "write", "key": k, "value": 0, "msg_id": 1}),
                );
            }
            let requests = 20_000;
            let start = std::time::Instant::now();
            for i in 0..requests {
                let body = if i % 2 == 0 {
                    json!({"type": "write", "key": i % keys, "value": i, "msg_id": i})
                } else {
                    json!({"type": "read", "key": i % keys, "msg_id": i})
                };
                let node = format!("n{}", i % 5);
                assert!(kv.handle(&node, &body).is_some());
            }
            let elapsed = start.elapsed().as_secs_f64();
            eprintln!(
                "seq-kv, {keys} keys, half writes: {:.0} requests/s",
                requests as f64 / elapsed
            );
        }
    }
}
