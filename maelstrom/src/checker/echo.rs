//! The echo workload's checker (`src/maelstrom/workload/echo.clj`): every invocation's value must come back as the
//! `:echo` field of its completion.
//!
//! As in Maelstrom, a failed or timed-out echo is an error too: its completion's value is the
//! original string, which has no `:echo`.

use crate::checker::pair_index;
use crate::edn::Edn;
use crate::history::{History, OpType};

/// `{:valid? <no errors>, :errors (...)}`, each error
/// `["Expected a message with :echo" <sent> "But received" <completion value or nil>]`.
pub fn check(history: &History) -> Edn {
    let pairs = pair_index(history);
    let mut errors = Vec::new();
    for (i, invoke) in history.iter().enumerate() {
        if !invoke.is_client() || invoke.op_type != OpType::Invoke {
            continue;
        }
        let received = pairs[i].map(|c| &history[c].value);
        let echoed = received.and_then(|value| value.get("echo"));
        if echoed != Some(&invoke.value) {
            errors.push(Edn::Vector(
                vec![
                    Edn::str("Expected a message with :echo"),
                    invoke.value.clone(),
                    Edn::str("But received"),
                    received.cloned().unwrap_or(Edn::Nil),
                ]
                .into(),
            ));
        }
    }
    Edn::map([
        ("valid?", Edn::Bool(errors.is_empty())),
        ("errors", Edn::List(errors.into())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{edn, Builder};
    use crate::edn::compact;

    /// Matching echoes pass: {:valid? true, :errors ()}.
    #[test]
    fn accepts_matching_echoes() {
        let mut b = Builder::new();
        b.invoke(0, 0, "echo", Edn::str("Please echo 7"))
            .invoke(0, 1, "echo", Edn::str("Please echo 9"))
            .ok(
                1,
                1,
                "echo",
                edn(r#"{:type "echo_ok", :echo "Please echo 9", :msg_id 1, :in_reply_to 1}"#),
            )
            .ok(
                2,
                0,
                "echo",
                edn(r#"{:type "echo_ok", :echo "Please echo 7", :in_reply_to 1}"#),
            );
        assert_eq!(compact(&check(&b.build())), "{:valid? true, :errors ()}");
    }

    /// A wrong payload, a timeout and a pending invocation are each reported.
    #[test]
    fn rejects_wrong_failed_and_pending_echoes() {
        let mut b = Builder::new();
        b.invoke(0, 0, "echo", Edn::str("Please echo 7"))
            .ok(
                1,
                0,
                "echo",
                edn(r#"{:type "echo_ok", :echo "Please echo 8"}"#),
            )
            .invoke(2, 0, "echo", Edn::str("Please echo 1"))
            .info(3, 0, "echo", Edn::str("Please echo 1"))
            .invoke(4, 1, "echo", Edn::str("Please echo 2"));
        assert_eq!(
            compact(&check(&b.build())),
            r#"{:valid? false, :errors (["Expected a message with :echo" "Please echo 7" "But received" {:type "echo_ok", :echo "Please echo 8"}] ["Expected a message with :echo" "Please echo 1" "But received" "Please echo 1"] ["Expected a message with :echo" "Please echo 2" "But received" nil])}"#
        );
    }
}
