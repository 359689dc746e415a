//! The unique-ids workload (`src/maelstrom/workload/unique_ids.clj`): clients send `{"type":"generate"}` and record the `id` of
//! each `generate_ok`; the checker then looks for duplicates.
//!
//! Ids may be any JSON value. Nothing is idempotent (a timed-out generate may have produced an
//! id), but unlike echo the client is reused after an `:info`, as in Maelstrom.

use super::{complete_call, unknown_op, Completion, FieldKind, ReplySchema, RpcOutcome, Workload};
use crate::edn::Edn;
use crate::history::{History, RunFacts};
use crate::options::TestOptions;
use rand::rngs::StdRng;
use serde_json::{json, Value};

/// `{"type":"generate_ok","id":<any>}`.
const GENERATE_OK: ReplySchema = ReplySchema {
    reply_type: "generate_ok",
    fields: &[("id", FieldKind::Any)],
};

/// The unique-ids workload; it has no state.
#[derive(Debug, Clone, Copy, Default)]
pub struct UniqueIds;

/// The registry's constructor.
pub fn build(_opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(UniqueIds)
}

impl Workload for UniqueIds {
    fn name(&self) -> &'static str {
        "unique-ids"
    }

    /// Endless `{:f :generate}`; no randomness involved.
    fn next_op(&self, _thread: usize, _rng: &mut StdRng) -> (String, Edn) {
        ("generate".to_string(), Edn::Nil)
    }

    fn request(&self, f: &str, _value: &Edn) -> Value {
        json!({ "type": f })
    }

    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        if f != "generate" {
            return unknown_op(self.name(), f, value);
        }
        let request = self.request(f, value);
        complete_call(
            node,
            &request,
            &GENERATE_OK,
            false,
            value,
            outcome,
            |body| body.get("id").map_or(Edn::Nil, Edn::from_json),
        )
    }

    fn client_reusable(&self) -> bool {
        true
    }

    /// No id was handed out twice (`checker/unique_ids.rs`).
    fn check(&self, history: &History, _facts: &RunFacts, _opts: &TestOptions) -> Edn {
        crate::checker::unique_ids::check(history)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::error_body;
    use super::*;
    use crate::history::OpType;
    use rand::SeedableRng;

    fn complete(outcome: RpcOutcome) -> Completion {
        UniqueIds.complete_at(Some("n0"), "generate", &Edn::Nil, &outcome)
    }

    /// Every op is a generate with a nil value, sent as {"type":"generate"}.
    #[test]
    fn ops_and_request() {
        let mut rng = StdRng::seed_from_u64(3);
        let (f, value) = UniqueIds.next_op(2, &mut rng);
        assert_eq!((f.as_str(), &value), ("generate", &Edn::Nil));
        assert_eq!(UniqueIds.request(&f, &value), json!({"type": "generate"}));
    }

    /// A valid reply is :ok with the id (any JSON) as value.
    #[test]
    fn ok_value_is_id() {
        let c = complete(RpcOutcome::Reply(
            json!({"type": "generate_ok", "id": "n0-17", "in_reply_to": 2}),
        ));
        assert_eq!(c.op_type, OpType::Ok);
        assert_eq!(c.value, Edn::str("n0-17"));
        let c = complete(RpcOutcome::Reply(
            json!({"type": "generate_ok", "id": [1, 2], "in_reply_to": 2, "msg_id": 5}),
        ));
        assert_eq!(c.value, Edn::Vector(vec![Edn::Int(1), Edn::Int(2)].into()));
    }

    /// A timeout is :info with :net-timeout (generate is not idempotent).
    #[test]
    fn timeout_is_info() {
        let c = complete(RpcOutcome::Timeout);
        assert_eq!(c.op_type, OpType::Info);
        assert_eq!(c.error, Some(Edn::kw("net-timeout")));
        assert_eq!(c.value, Edn::Nil);
    }

    /// Definite errors are :fail, indefinite ones :info, each with [:name text].
    #[test]
    fn error_replies() {
        for (code, name, op_type) in [
            (11, "temporarily-unavailable", OpType::Fail),
            (14, "abort", OpType::Fail),
            (13, "crash", OpType::Info),
            (0, "timeout", OpType::Info),
            (4242, "unknown", OpType::Info),
        ] {
            let c = complete(RpcOutcome::Reply(error_body(code, "x")));
            assert_eq!(c.op_type, op_type, "code {code}");
            assert_eq!(
                c.error,
                Some(Edn::Vector(vec![Edn::kw(name), Edn::str("x")].into()))
            );
        }
    }

    /// A reply with an extra key is malformed: :info with an exception.
    #[test]
    fn malformed_reply_is_info() {
        let c = complete(RpcOutcome::Reply(
            json!({"type": "generate_ok", "id": 1, "in_reply_to": 2, "node": "n0"}),
        ));
        assert_eq!(c.op_type, OpType::Info);
        assert!(c.exception.is_some());
        assert!(matches!(c.error, Some(Edn::Str(ref e)) if e.contains(":node disallowed-key")));
    }

    /// unique-ids reuses its client after :info and has no setup or final phase.
    #[test]
    fn reusable_no_final() {
        assert!(UniqueIds.client_reusable());
        assert_eq!(UniqueIds.final_op(), None);
        assert_eq!(UniqueIds.setup_request("n0"), None);
    }
}
