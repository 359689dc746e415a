//! The worker side of Maelstrom's `src/maelstrom/client.clj`: one op from invocation to
//! completion through the worker's client (the workload turns the RPC's outcome into the
//! completion: with-errors), and a warning for each stray reply the client saw.

use std::time::Duration;

use serde_json::Value;

use super::Shared;
use crate::client::Client;
use crate::edn::Edn;
use crate::generator::next_process;
use crate::history::{Op, OpType, Process};
use crate::process::Incidents;
use crate::workload::{Call, ClientState, RpcOutcome};

/// A client worker thread's state, kept across the main and final phases.
pub(super) struct Worker {
    /// The thread id t: it talks to `nodes[t mod n]`.
    pub(super) thread: usize,
    /// Its current process number (t, then + C after each `:info`).
    pub(super) process: u64,
    /// Opened lazily on the first op; replaced after an `:info` if not reusable.
    pub(super) client: Option<Client>,
    /// What the workload keeps for this client; dropped with it.
    pub(super) state: ClientState,
}

/// Warns (as a late reply: a warning under `:protocol`, not an error) of each message the
/// client got that answered no request it was waiting for: a second reply, a reply after its
/// request timed out, or an `in_reply_to` that matches nothing (Maelstrom drops these silently).
fn warn_of_strays(client: &mut Client, incidents: &Incidents) {
    let (strays, dropped) = client.take_strays();
    for (message, awaited) in strays {
        incidents.late_reply(stray_text(&message, awaited));
    }
    if dropped > 0 {
        incidents.late_reply(format!(
            "... and {dropped} more messages to client {} that answered no request",
            client.id()
        ));
    }
}

/// The warning for a message that answered no request in flight (`awaited` is the msg_id the
/// client was waiting for); an `in_reply_to` that is no integer (`"1"`) is said to be one.
fn stray_text(message: &crate::net::Message, awaited: u64) -> String {
    let in_reply_to = match message.body.get("in_reply_to") {
        None => "none".to_string(),
        Some(id) if crate::edn::is_json_integer(id) => id.to_string(),
        Some(id) => format!(
            "{}, which must be an integer, the msg_id of the request it answers",
            quote_json(id)
        ),
    };
    let body = message.body.to_string();
    format!(
        "Node {} sent client {} a message that answers none of its requests in flight \
         (in_reply_to {in_reply_to}; the request awaited was msg_id {awaited}: a second \
         reply, a reply after a timeout, or a wrong in_reply_to); ignored: {}",
        message.src,
        message.dest,
        crate::console::quote(&body, body.len())
    )
}

/// A JSON value a node sent, as printed, quoted for the console (cut when long).
fn quote_json(value: &Value) -> String {
    let text = value.to_string();
    crate::console::quote(&text, text.len())
}

/// Runs one op against `nodes[thread mod n]`: invocation, RPC, completion (`src/maelstrom/client.clj`).
/// Returns the completed op in the final phase, where the next op depends on it.
pub(super) fn run_op(
    worker: &mut Worker,
    f: &str,
    value: Edn,
    final_read: bool,
    shared: &Shared,
) -> Option<Op> {
    let opts = shared.opts;
    let node = shared.placement().node_for(worker.thread);
    let process = Process::Client(worker.process);
    let client = worker
        .client
        .get_or_insert_with(|| Client::open(&shared.net));
    let mut invoke = Op::new(OpType::Invoke, process, f, value.clone());
    invoke.final_read = final_read;
    shared.history.push(invoke);

    let mut call = NodeCall {
        client,
        node,
        timeout: shared.workload.rpc_timeout(),
        crash_text: None,
        incidents: &shared.incidents,
    };
    let completion = shared
        .workload
        .invoke(&mut call, &mut worker.state, f, &value, final_read);
    let crash_text = call.crash_text.take();
    warn_of_strays(call.client, &shared.incidents);
    let op_type = completion.op_type;
    let mut done = Op::new(op_type, process, f, completion.value);
    done.error = completion.error;
    done.exception = completion.exception.map(Box::new);
    done.final_read = final_read;
    shared.workload.observe(worker.thread, &done);
    shared.net.budget().charge(
        node,
        &format!("{f} replies"),
        reply_charge(&done.value, done.error.as_ref()),
    );
    // The final phase decides its next op from how the last one ended.
    let recorded = final_read.then(|| done.clone());
    shared.history.push(done);
    shared.progress.record(op_type);
    if let Some(text) = crash_text {
        shared.progress.crash_error(node, f, &text);
    }

    if op_type == OpType::Info {
        worker.process = next_process(worker.process, opts.concurrency);
        if !shared.workload.client_reusable() {
            // Closing the client removes its id from the network: a reply that still arrives
            // for it is a late reply (`src/maelstrom/core.clj`).
            worker.client = None;
            worker.state = None;
        }
    }
    recorded
}

/// A worker's client as the workload's `invoke` sees it: RPCs to the worker's node.
struct NodeCall<'a> {
    client: &'a mut Client,
    node: &'a str,
    /// The workload's RPC timeout.
    timeout: Duration,
    /// The text of the first error 13 (crash) reply the node gave during this op, for the
    /// live warning.
    crash_text: Option<String>,
    /// Where a reply's oddities are warned of (an error code that is no integer).
    incidents: &'a Incidents,
}

impl Call for NodeCall<'_> {
    fn node(&self) -> &str {
        self.node
    }

    fn rpc(&mut self, body: Value) -> RpcOutcome {
        let outcome = match self.client.rpc(self.node, body, self.timeout) {
            Some(reply) => RpcOutcome::Reply(reply),
            None => RpcOutcome::Timeout,
        };
        if self.crash_text.is_none() {
            self.crash_text = crash_reply_text(&outcome).map(str::to_string);
        }
        if let Some(warning) = odd_error_code(self.node, &outcome) {
            self.incidents
                .warn_once(self.node, "error code", || warning);
        }
        outcome
    }
}

/// The warning for an error reply whose `code` is missing or no integer (`"twenty"`, `11.0`):
/// Maelstrom's `client.clj` finds no such code in its error registry and records the error
/// as `:unknown` and indefinite, and so does the runner; the warning says why.
fn odd_error_code(node: &str, outcome: &RpcOutcome) -> Option<String> {
    let RpcOutcome::Reply(body) = outcome else {
        return None;
    };
    if body.get("type") != Some(&Value::from("error")) {
        return None;
    }
    let found = match body.get("code") {
        Some(code) if crate::edn::is_json_integer(code) => return None,
        Some(code) => format!("whose \"code\" is {}", quote_json(code)),
        None => "without a \"code\"".to_string(),
    };
    Some(format!(
        "Node {node} sent an error reply {found}: error codes are integers (doc/protocol.md), \
         so, as in Maelstrom, it is recorded as an :unknown error, one that may have happened \
         (:info). Further such replies from {node} are not reported"
    ))
}

/// The text of an error 13 (`crash`) reply: a node's handler failed or panicked.
fn crash_reply_text(outcome: &RpcOutcome) -> Option<&str> {
    let RpcOutcome::Reply(body) = outcome else {
        return None;
    };
    let is_crash = body.get("type") == Some(&Value::from("error"))
        && body.get("code").and_then(Value::as_i64) == Some(13);
    is_crash.then(|| body.get("text").and_then(Value::as_str).unwrap_or(""))
}

/// Bytes of an `:ok`/`:fail`/`:info` op's value and error to charge to the node that answered
/// (the run folder's budget, `budget.rs`): what `history.edn` keeps whole and `history.txt` up
/// to `TXT_VALUE_BYTES` of, or, when more, what the runner holds of it in memory until the
/// end: [`HELD_BYTES_PER_VALUE`] per value in it, so that a reply of millions of small
/// numbers (`[0,0,0,...]`, 2 bytes each in the file) cannot grow the runner 15 times more.
fn reply_charge(value: &crate::edn::Edn, error: Option<&crate::edn::Edn>) -> u64 {
    let parts = std::iter::once(value).chain(error);
    let printed: usize = parts.clone().map(crate::edn::compact_len).sum();
    let kept = printed + printed.min(crate::store::TXT_VALUE_BYTES);
    let held: usize = parts.map(crate::edn::value_count).sum::<usize>() * HELD_BYTES_PER_VALUE;
    kept.max(held) as u64
}

/// What the runner holds in memory per value (an element of a vector, a map's key or value)
/// of an op: its `Edn` (24 bytes) and its share of the collection, measured as about 30 bytes
/// a number for a broadcast read of 3 million zeros (peak resident memory over the reads).
const HELD_BYTES_PER_VALUE: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;
    use serde_json::json;

    /// An error reply whose code is a string, a float or missing gets a warning naming the
    /// node, the field and that codes are integers; an integer code, even one no registry
    /// knows, and a reply that is no error get none.
    #[test]
    fn error_codes_that_are_no_integer_are_warned_of() {
        let reply = |body| RpcOutcome::Reply(body);
        let warning = odd_error_code(
            "n2",
            &reply(json!({"type": "error", "code": "twenty", "text": 5})),
        )
        .expect("a warning");
        assert!(
            warning.starts_with("Node n2 sent an error reply whose \"code\" is \"twenty\": error codes are integers"),
            "{warning}"
        );
        assert!(odd_error_code("n2", &reply(json!({"type": "error", "code": 11.0}))).is_some());
        let missing = odd_error_code("n2", &reply(json!({"type": "error", "text": "x"})));
        assert!(missing.is_some_and(|w| w.contains("without a \"code\"")));
        for fine in [
            json!({"type": "error", "code": 20}),
            json!({"type": "error", "code": 1000}),
            json!({"type": "read_ok", "code": "x"}),
        ] {
            assert_eq!(odd_error_code("n2", &reply(fine.clone())), None, "{fine}");
        }
        assert_eq!(odd_error_code("n2", &RpcOutcome::Timeout), None);
    }

    /// A stray reply whose in_reply_to is no integer is said to need one; an integer one is
    /// shown as it is.
    #[test]
    fn stray_replies_say_in_reply_to_is_an_integer() {
        let stray = |in_reply_to: Value| crate::net::Message {
            id: 9,
            src: "n0".into(),
            dest: "c3".into(),
            body: json!({"type": "read_ok", "in_reply_to": in_reply_to}),
        };
        let text = stray_text(&stray(json!("1")), 1);
        assert!(
            text.contains("(in_reply_to \"1\", which must be an integer, the msg_id of the request it answers;"),
            "{text}"
        );
        let text = stray_text(&stray(json!(4)), 1);
        assert!(
            text.contains("(in_reply_to 4; the request awaited was msg_id 1"),
            "{text}"
        );
    }

    /// A reply of a million small numbers costs what the runner holds of it (32 MB), not its
    /// 2 MB of text; a 3 MB string costs its text (twice: history.edn, and history.txt's
    /// prefix); a small value its text.
    #[test]
    fn replies_cost_their_text_or_what_memory_holds() {
        let zeros = Edn::Vector(vec![Edn::Int(0); 1_000_000].into());
        assert_eq!(reply_charge(&zeros, None), 32 * 1_000_001);
        let big = Edn::str(&"x".repeat(3 << 20));
        assert_eq!(
            reply_charge(&big, None),
            (3 << 20) + 2 + crate::store::TXT_VALUE_BYTES as u64
        );
        assert_eq!(reply_charge(&Edn::Int(7), Some(&Edn::str("e"))), 32 * 2);
    }
}
