//! The echo workload (`src/maelstrom/workload/echo.clj`): clients send `{"type":"echo","echo":"Please echo 42"}` and expect
//! the same payload back in an `echo_ok`.
//!
//! The `:ok` value is the *whole* reply body (a map with keyword keys), because the echo checker
//! compares the invocation's string with that map's `:echo`. Nothing is idempotent and the
//! client is replaced after an `:info`, as in Maelstrom.

use super::{
    complete_call, edn_to_json, unknown_op, Completion, FieldKind, ReplySchema, RpcOutcome,
    Workload,
};
use crate::edn::Edn;
use crate::history::{History, RunFacts};
use crate::options::TestOptions;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// `{"type":"echo_ok","echo":<any>}`.
const ECHO_OK: ReplySchema = ReplySchema {
    reply_type: "echo_ok",
    fields: &[("echo", FieldKind::Any)],
};

/// The echo workload; it has no state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echo;

/// The registry's constructor.
pub fn build(_opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(Echo)
}

impl Workload for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }

    /// `{:f :echo, :value "Please echo <r>"}` with r uniform in 0..127, like Maelstrom's
    /// `(rand-int 128)`.
    fn next_op(&self, _thread: usize, rng: &mut StdRng) -> (String, Edn) {
        let r: u32 = rng.gen_range(0..128);
        (
            "echo".to_string(),
            Edn::Str(format!("Please echo {r}").into()),
        )
    }

    fn request(&self, f: &str, value: &Edn) -> Value {
        match f {
            "echo" => json!({"type": "echo", "echo": edn_to_json(value)}),
            other => json!({ "type": other }),
        }
    }

    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        if f != "echo" {
            return unknown_op(self.name(), f, value);
        }
        let request = self.request(f, value);
        complete_call(node, &request, &ECHO_OK, false, value, outcome, |body| {
            Edn::from_json_body(&Value::Object(body.clone()))
        })
    }

    fn client_reusable(&self) -> bool {
        false
    }

    /// Every `:ok` echo returned what was sent (`checker/echo.rs`).
    fn check(&self, history: &History, _facts: &RunFacts, _opts: &TestOptions) -> Edn {
        crate::checker::echo::check(history)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::error_body;
    use super::*;
    use crate::history::OpType;
    use rand::SeedableRng;

    fn sent() -> Edn {
        Edn::str("Please echo 7")
    }

    fn complete(outcome: RpcOutcome) -> Completion {
        Echo.complete_at(Some("n1"), "echo", &sent(), &outcome)
    }

    /// Echo values are "Please echo r" with r in 0..=127, and both ends occur.
    #[test]
    fn values_within_range() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut seen = Vec::new();
        for _ in 0..5000 {
            let (f, value) = Echo.next_op(0, &mut rng);
            assert_eq!(f, "echo");
            let Edn::Str(text) = value else {
                panic!("not a string: {value:?}");
            };
            let Some(r) = text.strip_prefix("Please echo ") else {
                panic!("bad value {text}");
            };
            let r: u32 = r.parse().unwrap_or(u32::MAX);
            assert!(r <= 127, "{text}");
            seen.push(r);
        }
        assert_eq!(seen.iter().min(), Some(&0));
        assert_eq!(seen.iter().max(), Some(&127));
    }

    /// The request carries the value under "echo".
    #[test]
    fn request_body() {
        assert_eq!(
            Echo.request("echo", &sent()),
            json!({"type": "echo", "echo": "Please echo 7"})
        );
    }

    /// A valid reply is :ok with the whole body as a keyword map.
    #[test]
    fn ok_value_is_whole_body() {
        let c = complete(RpcOutcome::Reply(
            json!({"type": "echo_ok", "echo": "Please echo 7", "in_reply_to": 3, "msg_id": 1}),
        ));
        assert_eq!(c.op_type, OpType::Ok);
        assert_eq!(c.error, None);
        assert_eq!(c.value.get("echo"), Some(&sent()));
        assert_eq!(c.value.get("in_reply_to"), Some(&Edn::Int(3)));
        assert_eq!(c.value.get("type"), Some(&Edn::str("echo_ok")));
    }

    /// A timeout is :info (echo is not idempotent) with :net-timeout and the sent value.
    #[test]
    fn timeout_is_info() {
        let c = complete(RpcOutcome::Timeout);
        assert_eq!(c.op_type, OpType::Info);
        assert_eq!(c.error, Some(Edn::kw("net-timeout")));
        assert_eq!(c.value, sent());
    }

    /// A definite error is :fail; indefinite ones (0, 13, unknown, >= 1000) are :info.
    #[test]
    fn error_replies() {
        for (code, name, op_type) in [
            (10, "not-supported", OpType::Fail),
            (11, "temporarily-unavailable", OpType::Fail),
            (0, "timeout", OpType::Info),
            (13, "crash", OpType::Info),
            (5, "unknown", OpType::Info),
            (1000, "unknown", OpType::Info),
        ] {
            let c = complete(RpcOutcome::Reply(error_body(code, "boom")));
            assert_eq!(c.op_type, op_type, "code {code}");
            assert_eq!(
                c.error,
                Some(Edn::Vector(vec![Edn::kw(name), Edn::str("boom")].into())),
                "code {code}"
            );
            assert_eq!(c.exception, None);
        }
    }

    /// A reply without "echo" is malformed: :info, indeterminate error, exception naming node.
    #[test]
    fn malformed_reply_is_info_with_exception() {
        let c = complete(RpcOutcome::Reply(
            json!({"type": "echo_ok", "in_reply_to": 3}),
        ));
        assert_eq!(c.op_type, OpType::Info);
        let Some(exception) = c.exception else {
            panic!("no exception");
        };
        assert_eq!(exception.class, super::super::MALFORMED_CLASS);
        assert!(exception.message.contains("sent node n1"));
        assert!(exception.message.contains(":echo missing-required-key"));
        assert!(
            matches!(c.error, Some(Edn::Str(e)) if e.starts_with("indeterminate: Malformed RPC response."))
        );
    }

    /// Echo has no setup, no final phase, and replaces its client after :info.
    #[test]
    fn no_setup_no_final_not_reusable() {
        assert_eq!(Echo.setup_request("n0"), None);
        assert_eq!(Echo.final_op(), None);
        assert!(!Echo.client_reusable());
    }
}
