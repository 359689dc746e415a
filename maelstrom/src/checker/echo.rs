//! The echo workload's checker (`src/maelstrom/workload/echo.clj`): every invocation's value must come back as the
//! `:echo` field of its completion.
//!
//! As in Maelstrom, a failed or timed-out echo is an error too: its completion's value is the
//! original string, which has no `:echo`. Where Maelstrom then prints that string as what was
//! received (`"Please echo 126" But received "Please echo 126"`, two identical strings), this
//! checker says what came instead of an `echo_ok` (the README's deliberate differences).

use crate::checker::pair_index;
use crate::edn::Edn;
use crate::history::{History, OpType};

/// `{:valid? <no errors>, :errors (...)}`, each error
/// `["Expected a message with :echo" <sent> "But received" <what came>]`: the `:ok`
/// completion's value (the reply body), or for a `:fail`/`:info` completion a string such as
/// `"no echo_ok: info, net-timeout (no reply in time)"`, or, for an echo that never completed
/// (Maelstrom: nil), `"nothing: the echo invoked at history index 14 (history.edn line 15)
/// never completed (the history ends first)"`.
pub fn check(history: &History) -> Edn {
    let pairs = pair_index(history);
    let mut errors = Vec::new();
    for (i, invoke) in history.iter().enumerate() {
        if !invoke.is_client() || invoke.op_type != OpType::Invoke {
            continue;
        }
        let completion = pairs[i].map(|c| &history[c]);
        let received = completion.map(|c| &c.value);
        let echoed = completion
            .filter(|c| c.op_type == OpType::Ok)
            .and_then(|c| c.value.get("echo"));
        if echoed != Some(&invoke.value) {
            let received = match completion {
                Some(c) if c.op_type != OpType::Ok => Edn::str(&no_reply(c)),
                Some(_) => received.cloned().unwrap_or(Edn::Nil),
                // Only a history cut short (edited, or an interrupted run's) ends with an
                // invocation: say which, rather than Maelstrom's bare nil.
                None => Edn::str(&format!(
                    "nothing: the echo invoked at history index {} (history.edn line {}) \
                     never completed (the history ends first)",
                    invoke.index,
                    invoke.index + 1
                )),
            };
            errors.push(Edn::Vector(
                vec![
                    Edn::str("Expected a message with :echo"),
                    invoke.value.clone(),
                    Edn::str("But received"),
                    received,
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

/// What a `:fail` or `:info` echo got instead of an `echo_ok`: its type and error
/// (`no echo_ok: info, net-timeout (no reply in time)`, `no echo_ok: info, crash "boom"`).
fn no_reply(completion: &crate::history::Op) -> String {
    let kind = match completion.op_type {
        OpType::Fail => "fail",
        _ => "info",
    };
    let error = match &completion.error {
        Some(e) if *e == Edn::kw("net-timeout") => "net-timeout (no reply in time)".to_string(),
        Some(Edn::Vector(parts) | Edn::List(parts)) => parts
            .iter()
            .map(|p| match p {
                Edn::Keyword(k) => k.to_string(),
                other => crate::edn::compact(other),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(Edn::Keyword(k)) => k.to_string(),
        Some(other) => crate::edn::compact(other),
        None => "no error given".to_string(),
    };
    format!("no echo_ok: {kind}, {error}")
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

    /// A wrong payload, a timeout and a pending invocation are each reported; the timeout says
    /// it was one rather than repeating the string sent, the pending one names its invocation.
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
        let mut history = b.build();
        history[3].error = Some(Edn::kw("net-timeout"));
        assert_eq!(
            compact(&check(&history)),
            r#"{:valid? false, :errors (["Expected a message with :echo" "Please echo 7" "But received" {:type "echo_ok", :echo "Please echo 8"}] ["Expected a message with :echo" "Please echo 1" "But received" "no echo_ok: info, net-timeout (no reply in time)"] ["Expected a message with :echo" "Please echo 2" "But received" "nothing: the echo invoked at history index 4 (history.edn line 5) never completed (the history ends first)"])}"#
        );
    }
}
