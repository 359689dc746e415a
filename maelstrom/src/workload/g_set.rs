//! The g-set workload (Maelstrom's `src/maelstrom/workload/g_set.clj`): clients add the
//! elements 0, 1, 2, ... to a grow-only set the nodes keep between them, and read it back; after
//! the recovery sleep each worker reads once more. The set-full checker (as for broadcast) then
//! asks whether every added element reached every node.
//!
//! `{"type":"add","element":e}` -> `{"type":"add_ok"}`, `{"type":"read"}` -> `{"type":"read_ok",
//! "value":[...]}`: the key is `value`, although Maelstrom's doc text says "elements". Like
//! Maelstrom's client, this one has no "with-errors": a timeout or an error reply is an `:info` op
//! with an exception (`complete_unguarded`). The final reads carry no `:final?` flag, as in
//! Maelstrom.

use super::extras;
use super::{
    complete_unguarded, edn_to_json, unknown_op, Completion, FieldKind, ReplySchema, RpcOutcome,
    Workload,
};
use crate::checker::final_reads;
use crate::edn::Edn;
use crate::history::{History, Placement, RunFacts};
use crate::options::TestOptions;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// `{"type":"add_ok"}`.
const ADD_OK: ReplySchema = ReplySchema {
    reply_type: "add_ok",
    fields: &[],
};

/// `{"type":"read_ok","value":[...]}` (`null` accepted for the array).
const READ_OK: ReplySchema = ReplySchema {
    reply_type: "read_ok",
    fields: &[("value", FieldKind::Array)],
};

/// The g-set workload.
#[derive(Debug, Default)]
pub struct GSet {
    /// The next element to add, shared by all workers: elements are unique and increasing.
    next_element: AtomicI64,
}

/// The registry's constructor.
pub fn build(_opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(GSet::default())
}

impl Workload for GSet {
    fn name(&self) -> &'static str {
        "g-set"
    }

    /// Maelstrom's `gen/mix`: each op is, with equal chance, an add of the next element or a read.
    fn next_op(&self, _thread: usize, rng: &mut StdRng) -> (String, Edn) {
        if rng.gen_bool(0.5) {
            let element = self.next_element.fetch_add(1, Ordering::Relaxed);
            ("add".to_string(), Edn::Int(element))
        } else {
            ("read".to_string(), Edn::Nil)
        }
    }

    fn request(&self, f: &str, value: &Edn) -> Value {
        match f {
            "add" => json!({"type": "add", "element": edn_to_json(value)}),
            other => json!({ "type": other }),
        }
    }

    /// An add's `:ok` value is its element; a read's is the `value` array (`null` becomes the
    /// empty vector, as for broadcast).
    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        let request = self.request(f, value);
        match f {
            "add" => complete_unguarded(node, &request, &ADD_OK, value, outcome, |_| value.clone()),
            "read" => {
                complete_unguarded(node, &request, &READ_OK, value, outcome, |body| match body
                    .get("value")
                {
                    Some(Value::Array(items)) => {
                        Edn::Vector(items.iter().map(Edn::from_json).collect())
                    }
                    _ => Edn::Vector(Vec::new().into()),
                })
            }
            other => unknown_op(self.name(), other, value),
        }
    }

    /// One `{:f :read}` per worker after the recovery sleep.
    fn final_op(&self) -> Option<(String, Edn)> {
        Some(("read".to_string(), Edn::Nil))
    }

    /// Maelstrom's g-set final generator is a plain `{:f :read}`, without `:final?`.
    fn flags_final_ops(&self) -> bool {
        false
    }

    fn client_reusable(&self) -> bool {
        false
    }

    /// Every added element is eventually in every read, and stays (`checker/set_full.rs`); every
    /// node's final read holds every acknowledged element (`checker/final_reads.rs`, the README's
    /// deliberate differences).
    fn check(&self, history: &History, facts: &RunFacts, opts: &TestOptions) -> Edn {
        let result = crate::checker::set_full::check(history, "add");
        final_reads::amend(
            result,
            history,
            "add",
            &final_reads::Cluster::of(opts, facts),
        )
    }

    /// `elements` and `final reads` (`extras::set_lines`).
    fn summary_lines(&self, result: &Edn) -> Vec<extras::Line> {
        extras::set_lines(result)
    }

    /// The lost and stale values, with the `add` that added each and the reads that lacked it.
    fn run_page_extras(
        &self,
        history: &History,
        result: &Edn,
        placement: Placement,
    ) -> extras::RunPageExtras {
        extras::RunPageExtras {
            lacks: extras::lacks(history, result, "add", placement),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType;
    use rand::SeedableRng;

    /// Adds take 0, 1, 2, ... in order, about half the ops.
    #[test]
    fn generator_adds_increasing_elements() {
        let w = GSet::default();
        let mut rng = StdRng::seed_from_u64(3);
        let mut added = Vec::new();
        for _ in 0..2_000 {
            match w.next_op(0, &mut rng) {
                (f, Edn::Int(e)) if f == "add" => added.push(e),
                (f, Edn::Nil) if f == "read" => {}
                other => panic!("unexpected op {other:?}"),
            }
        }
        assert_eq!(added, (0..added.len() as i64).collect::<Vec<_>>());
        assert!((900..=1_100).contains(&added.len()), "{} adds", added.len());
    }

    /// Requests carry the element; a read_ok's `value` becomes the op's value.
    #[test]
    fn requests_and_replies() {
        let w = GSet::default();
        assert_eq!(
            w.request("add", &Edn::Int(7)),
            json!({"type": "add", "element": 7})
        );
        assert_eq!(w.request("read", &Edn::Nil), json!({"type": "read"}));
        let read = w.complete(
            "read",
            &Edn::Nil,
            &RpcOutcome::Reply(json!({"type": "read_ok", "value": [1, 2], "in_reply_to": 3})),
        );
        assert_eq!(read.op_type, OpType::Ok);
        assert_eq!(
            read.value,
            Edn::Vector(vec![Edn::Int(1), Edn::Int(2)].into())
        );
        let add = w.complete(
            "add",
            &Edn::Int(7),
            &RpcOutcome::Reply(json!({"type": "add_ok", "in_reply_to": 4})),
        );
        assert_eq!((add.op_type, add.value), (OpType::Ok, Edn::Int(7)));
    }

    /// The broadcast-style `messages` key is malformed here: g-set's key is `value`.
    #[test]
    fn messages_key_is_malformed() {
        let w = GSet::default();
        let body = json!({"type": "read_ok", "messages": [1], "in_reply_to": 3});
        let c = w.complete("read", &Edn::Nil, &RpcOutcome::Reply(body));
        assert_eq!(c.op_type, OpType::Info);
        let text = c.exception.map(|e| e.message).unwrap_or_default();
        assert!(
            text.contains("{:value missing-required-key, :messages disallowed-key}"),
            "{text}"
        );
    }

    /// Final reads are plain reads, not flagged; a timed-out add is :info.
    #[test]
    fn final_reads_are_not_flagged() {
        let w = GSet::default();
        assert_eq!(w.final_op(), Some(("read".to_string(), Edn::Nil)));
        assert!(!w.flags_final_ops());
        let timeout = w.complete("add", &Edn::Int(1), &RpcOutcome::Timeout);
        assert_eq!(timeout.op_type, OpType::Info);
    }
}
