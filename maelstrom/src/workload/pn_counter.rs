//! The pn-counter workload (Maelstrom's `src/maelstrom/workload/pn_counter.clj`): clients
//! add deltas, positive or negative, to a counter the nodes keep between them, and read it; after
//! the recovery sleep each worker reads once more, and every final read must be a value the
//! counter could have reached (`checker/pn_counter.rs`).
//!
//! `{"type":"add","delta":d}` -> `{"type":"add_ok"}`, `{"type":"read"}` -> `{"type":"read_ok",
//! "value":<integer>}`. Like Maelstrom's client, this one has no "with-errors": a timeout or an
//! error reply is an `:info` op with an exception (`complete_unguarded`), so an add that failed
//! for sure still counts as one that may have happened. The client is replaced after an `:info`.
//!
//! g-counter (`g_counter.rs`) is this workload with the negative adds filtered out, as Maelstrom's
//! `g_counter.clj` builds it.

use super::{
    complete_unguarded, unknown_op, Completion, FieldKind, ReplySchema, RpcOutcome, Workload,
};
use crate::edn::Edn;
use crate::history::{History, RunFacts};
use crate::options::TestOptions;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// `{"type":"add_ok"}`.
const ADD_OK: ReplySchema = ReplySchema {
    reply_type: "add_ok",
    fields: &[],
};

/// `{"type":"read_ok","value":<integer>}`.
const READ_OK: ReplySchema = ReplySchema {
    reply_type: "read_ok",
    fields: &[("value", FieldKind::Int)],
};

/// The counter workloads: pn-counter, and g-counter when `grow_only`.
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    grow_only: bool,
}

impl Counter {
    /// pn-counter: deltas uniform in -5..=4.
    pub fn pn() -> Counter {
        Counter { grow_only: false }
    }

    /// g-counter: the same draws with negative adds dropped, so deltas are uniform in 0..=4.
    pub fn grow_only() -> Counter {
        Counter { grow_only: true }
    }
}

/// The registry's constructor.
pub fn build(_opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(Counter::pn())
}

impl Workload for Counter {
    fn name(&self) -> &'static str {
        if self.grow_only {
            "g-counter"
        } else {
            "pn-counter"
        }
    }

    /// Maelstrom's `gen/mix` of `{:f :add, :value (- (rand-int 10) 5)}` and `{:f :read}`, each
    /// op choosing one with equal chance. g-counter's `gen/filter` drops negative adds and asks
    /// the mix again, so there reads are 2/3 of the ops and deltas are uniform in 0..=4.
    fn next_op(&self, _thread: usize, rng: &mut StdRng) -> (String, Edn) {
        loop {
            if rng.gen_bool(0.5) {
                return ("read".to_string(), Edn::Nil);
            }
            let delta: i64 = rng.gen_range(0..10) - 5;
            if !(self.grow_only && delta < 0) {
                return ("add".to_string(), Edn::Int(delta));
            }
        }
    }

    fn request(&self, f: &str, value: &Edn) -> Value {
        match (f, value) {
            ("add", Edn::Int(delta)) => json!({"type": "add", "delta": delta}),
            (other, _) => json!({ "type": other }),
        }
    }

    /// An add's `:ok` value is its delta; a read's is the counter's value.
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
            // Any integer the schema accepts, kept as the node wrote it (beyond 64 bits too).
            "read" => complete_unguarded(node, &request, &READ_OK, value, outcome, |body| {
                body.get("value").map_or(Edn::Nil, Edn::from_json)
            }),
            other => unknown_op(self.name(), other, value),
        }
    }

    /// `{:f :read, :final? true}` on every worker after the recovery sleep.
    fn final_op(&self) -> Option<(String, Edn)> {
        Some(("read".to_string(), Edn::Nil))
    }

    fn client_reusable(&self) -> bool {
        false
    }

    /// Every final read lies in the acceptable set, and every node answered one
    /// (`checker/pn_counter.rs`).
    fn check(&self, history: &History, facts: &RunFacts, opts: &TestOptions) -> Edn {
        let cluster = crate::checker::final_reads::Cluster::of(opts, facts);
        crate::checker::pn_counter::check(history, &cluster)
    }

    /// `final reads` (the value each final read returned, or that they all agree) and
    /// `acceptable` (the range(s) they had to fall in, and why).
    fn summary_lines(&self, result: &Edn) -> Vec<super::extras::Line> {
        counter_lines(result)
    }
}

/// The summary lines of a counter's result (`checker::pn_counter`): `final reads  42 on all 3
/// final reads` or the values, those outside the acceptable set marked, and `acceptable  40 to
/// 44 (...)`.
fn counter_lines(result: &Edn) -> Vec<super::extras::Line> {
    let list = |key: &str| match result.get(key) {
        Some(Edn::List(v) | Edn::Vector(v)) => v.to_vec(),
        _ => Vec::new(),
    };
    let (reads, ranges) = (list("final-reads"), list("acceptable"));
    let bounds: Vec<(i64, i64)> = ranges
        .iter()
        .filter_map(|r| match r {
            Edn::Vector(b) | Edn::List(b) if b.len() == 2 => match (&b[0], &b[1]) {
                (Edn::Int(lo), Edn::Int(hi)) => Some((*lo, *hi)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let inside =
        |v: &Edn| matches!(v, Edn::Int(n) if bounds.iter().any(|(lo, hi)| lo <= n && n <= hi));
    let shown = |v: &Edn| {
        let text = crate::edn::compact(v);
        if inside(v) {
            text
        } else {
            format!("{text} (outside)")
        }
    };
    let mut lines = Vec::new();
    match reads.as_slice() {
        [] => lines.push(("final reads", "none completed".to_string())),
        [first, rest @ ..] if rest.iter().all(|v| v == first) => lines.push((
            "final reads",
            format!("{} on all {} final reads", shown(first), reads.len()),
        )),
        _ => lines.push((
            "final reads",
            reads.iter().map(shown).collect::<Vec<_>>().join(", "),
        )),
    }
    if !bounds.is_empty() {
        let ranges: Vec<String> = bounds
            .iter()
            .map(|(lo, hi)| {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo} to {hi}")
                }
            })
            .collect();
        lines.push((
            "acceptable",
            format!(
                "{} (the acknowledged adds' sum, plus any of the adds whose outcome is unknown)",
                ranges.join(", ")
            ),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::tests::error_body;

    /// The final reads and the acceptable range(s): agreeing reads once, a read outside marked.
    #[test]
    fn summary_lines_show_final_reads_and_the_range() {
        use crate::checker::test_support::edn;
        let lines = counter_lines(&edn(
            "{:valid? true, :errors nil, :final-reads (42 42 42), :acceptable ([40 44])}",
        ));
        assert_eq!(
            lines[0],
            ("final reads", "42 on all 3 final reads".to_string())
        );
        assert!(
            lines[1].1.starts_with("40 to 44 (the acknowledged"),
            "{lines:?}"
        );
        let lines = counter_lines(&edn(
            "{:valid? false, :errors (), :final-reads (42 39), :acceptable ([40 41] [43 43])}",
        ));
        assert_eq!(lines[0].1, "42 (outside), 39 (outside)");
        assert!(lines[1].1.starts_with("40 to 41, 43 (the"), "{lines:?}");
    }
    use super::*;
    use crate::history::OpType;
    use rand::SeedableRng;

    /// Half reads, half adds with deltas uniform in -5..=4 (each about 5% of ops).
    #[test]
    fn generator_mixes_reads_and_signed_adds() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut reads = 0;
        let mut deltas = [0u32; 10];
        for _ in 0..20_000 {
            match Counter::pn().next_op(0, &mut rng) {
                (f, Edn::Nil) if f == "read" => reads += 1,
                (f, Edn::Int(d)) if f == "add" && (-5..=4).contains(&d) => {
                    deltas[(d + 5) as usize] += 1
                }
                other => panic!("unexpected op {other:?}"),
            }
        }
        // 10,000 ± 71 reads; each delta 1,000 ± 31.
        assert!((9_700..=10_300).contains(&reads), "{reads} reads");
        assert!(
            deltas.iter().all(|&n| (850..=1_150).contains(&n)),
            "{deltas:?}"
        );
    }

    /// Requests carry the delta; reads are bare.
    #[test]
    fn requests() {
        let w = Counter::pn();
        assert_eq!(
            w.request("add", &Edn::Int(-3)),
            json!({"type": "add", "delta": -3})
        );
        assert_eq!(w.request("read", &Edn::Nil), json!({"type": "read"}));
    }

    /// An add_ok completes with the delta; a read_ok with its integer value.
    #[test]
    fn ok_replies() {
        let w = Counter::pn();
        let add = w.complete(
            "add",
            &Edn::Int(4),
            &RpcOutcome::Reply(json!({"type": "add_ok", "in_reply_to": 1})),
        );
        assert_eq!((add.op_type, add.value), (OpType::Ok, Edn::Int(4)));
        let read = w.complete(
            "read",
            &Edn::Nil,
            &RpcOutcome::Reply(
                json!({"type": "read_ok", "value": -12, "in_reply_to": 2, "msg_id": 5}),
            ),
        );
        assert_eq!((read.op_type, read.value), (OpType::Ok, Edn::Int(-12)));
    }

    /// Without with-errors, a timeout and even a definite error are :info with an exception.
    #[test]
    fn failures_are_indeterminate_exceptions() {
        let w = Counter::pn();
        let timeout = w.complete("add", &Edn::Int(2), &RpcOutcome::Timeout);
        assert_eq!(timeout.op_type, OpType::Info);
        assert_eq!(timeout.value, Edn::Int(2));
        assert_eq!(
            timeout.error,
            Some(Edn::str("indeterminate: Client read timeout"))
        );
        assert_eq!(
            timeout.exception.map(|e| e.class),
            Some(super::super::TIMEOUT_CLASS.to_string())
        );

        let error = w.complete(
            "add",
            &Edn::Int(2),
            &RpcOutcome::Reply(error_body(22, "no")),
        );
        assert_eq!(error.op_type, OpType::Info);
        assert_eq!(
            error.error,
            Some(Edn::str(
                "indeterminate: throw+: {:type :rpc-error, :code 22, :name :precondition-failed, :definite? true, :body {:code 22, :in_reply_to 1, :text \"no\", :type \"error\"}}"
            ))
        );
        assert_eq!(
            error.exception.map(|e| e.class),
            Some(super::super::RPC_ERROR_CLASS.to_string())
        );
    }

    /// A read_ok whose value is not an integer is malformed: :info with the schema's complaint.
    #[test]
    fn non_integer_reads_are_malformed() {
        let w = Counter::pn();
        for value in [json!(3.7), json!("3"), json!(null)] {
            let body = json!({"type": "read_ok", "value": value, "in_reply_to": 1});
            let c = w.complete("read", &Edn::Nil, &RpcOutcome::Reply(body));
            assert_eq!(c.op_type, OpType::Info);
            let text = c.exception.map(|e| e.message).unwrap_or_default();
            assert!(text.contains(":value (not (integer? "), "{text}");
            assert!(text.contains(":value Int"), "{text}");
        }
    }

    /// A read of an integer beyond 64 bits is recorded as the node wrote it, not as nil.
    #[test]
    fn reads_beyond_64_bits_are_kept() {
        let w = Counter::pn();
        let body: Value = serde_json::from_str(
            r#"{"type": "read_ok", "value": 36893488147419103232, "in_reply_to": 1}"#,
        )
        .expect("json");
        let c = w.complete("read", &Edn::Nil, &RpcOutcome::Reply(body));
        assert_eq!(c.op_type, OpType::Ok);
        assert_eq!(crate::edn::compact(&c.value), "36893488147419103232N");
    }

    /// Final reads are flagged, as Maelstrom's `{:f :read, :final? true}`.
    #[test]
    fn final_reads_are_flagged() {
        let w = Counter::pn();
        assert_eq!(w.final_op(), Some(("read".to_string(), Edn::Nil)));
        assert!(w.flags_final_ops());
        assert!(!w.client_reusable());
        assert_eq!(w.name(), "pn-counter");
    }
}
