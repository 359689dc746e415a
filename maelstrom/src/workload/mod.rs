//! Workloads: what clients send, how replies become ops, what is checked (`doc/workloads.md`).
//!
//! One file per workload, all with the same shape: the RPC schemas, a generator (`next_op`,
//! `final_op`), the request bodies, `complete`, which turns a reply (or a timeout) into the op
//! that goes into the history, and `check`, the workload's own checker. Here:
//!
//! - the [`Workload`] trait and the [`REGISTRY`], the one list of workload names;
//! - in `extras.rs`: the summary lines and run-page extras workloads share;
//! - `complete_call`, Maelstrom's "with-errors" mapping from outcome to op
//!   (`src/maelstrom/client.clj`), and the setup reply check;
//! - in `schema.rs`: the error codes of `doc/protocol.md` and whether each is *definite*, and
//!   `ReplySchema`, the response schemas of `src/maelstrom/client.clj`.

pub mod broadcast;
pub mod echo;
pub mod extras;
pub mod g_counter;
pub mod g_set;
pub mod kafka;
pub mod lin_kv;
pub mod pn_counter;
mod schema;
pub mod txn_list_append;
pub mod txn_rw_register;
pub mod unique_ids;

use schema::request_as_sent;
pub use schema::{
    edn_to_json, error_code, malformed_text, FieldKind, ReplySchema, SchemaProblem, MALFORMED_CLASS,
};

use crate::edn::Edn;
use crate::history::{Exception, History, Op, OpType, Placement, RunFacts};
use crate::options::TestOptions;
use rand::rngs::StdRng;
use serde_json::{Map, Value};
use std::time::Duration;

/// What came back for one client request.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcOutcome {
    /// The whole body of the reply whose `in_reply_to` matched the request's `msg_id`.
    Reply(Value),
    /// No matching reply before the client's deadline.
    Timeout,
}

/// How an op completed: what the runner appends to the history after the invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub op_type: OpType,
    /// The value on `:ok` (per workload); otherwise the invocation's value, as Jepsen keeps it.
    pub value: Edn,
    /// `:net-timeout`, `[:crash "text"]`, `"indeterminate: ..."`; `None` on `:ok`.
    pub error: Option<Edn>,
    /// Set only for malformed replies, so `:exceptions` can group them.
    pub exception: Option<Exception>,
}

/// A worker's connection to its node, as [`Workload::invoke`] uses it: one RPC at a time.
pub trait Call {
    /// The node this worker talks to (`nodes[t mod n]`).
    fn node(&self) -> &str;
    /// Sends `body` (the client adds its `msg_id`) and waits for the reply or the client's
    /// timeout.
    fn rpc(&mut self, body: Value) -> RpcOutcome;
}

/// What a workload keeps for one client between its ops (kafka: the poll positions). It
/// starts empty and is dropped with the client, when the client is replaced after an `:info`.
pub type ClientState = Option<Box<dyn std::any::Any + Send>>;

/// One Maelstrom workload, as the runtime drives it.
pub trait Workload: Send + Sync {
    /// The workload's name as given to `-w` (`"broadcast"`).
    fn name(&self) -> &'static str;
    /// Body a setup client sends to `node` before the test (broadcast: the whole topology); None
    /// (the default) = nothing.
    fn setup_request(&self, _node: &str) -> Option<Value> {
        None
    }
    /// Checks the reply to the setup request; Err(text) crashes the test (exit 255) with that text.
    /// Only called for workloads with a `setup_request`.
    fn check_setup_reply(&self, _node: &str, _reply: &RpcOutcome) -> Result<(), String> {
        Ok(())
    }
    /// Next main-phase op for worker `thread`: (f, invocation value).
    fn next_op(&self, thread: usize, rng: &mut StdRng) -> (String, Edn);
    /// Request body for an op, without msg_id. `f` is one that `next_op` or `final_op` produced;
    /// any other `f` gets a body of just `{"type": f}`.
    fn request(&self, f: &str, value: &Edn) -> Value;
    /// Reply (or timeout) -> completion, per `src/maelstrom/client.clj` (schema check of the reply).
    /// Malformed-reply texts cannot name the node here; prefer `complete_at`.
    fn complete(&self, f: &str, value: &Edn, outcome: &RpcOutcome) -> Completion {
        self.complete_at(None, f, value, outcome)
    }
    /// Like `complete`, but a malformed-reply text names `node` ("Maelstrom sent node n1 ...",
    /// `src/maelstrom/client.clj`), which is what a reader needs to find the culprit.
    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion;
    /// The final-phase op each worker runs once after the recovery sleep (broadcast: read); None
    /// (the default) = no final phase.
    fn final_op(&self) -> Option<(String, Edn)> {
        None
    }
    /// Whether the final ops carry `:final? true` in the history. True by default (broadcast,
    /// g-counter, pn-counter: `{:f :read, :final? true}`); g-set's final generator is a plain
    /// `{:f :read}`.
    fn flags_final_ops(&self) -> bool {
        true
    }
    /// Performs one op with the worker's client, as Maelstrom's `client/invoke!` does. The
    /// default sends `request` and turns the outcome into the completion with `complete_at`; a
    /// workload whose ops take several RPCs, none at all, or state kept by the client (kafka)
    /// overrides it. `final_phase` is true for the ops of the final phase.
    fn invoke(
        &self,
        call: &mut dyn Call,
        _state: &mut ClientState,
        f: &str,
        value: &Edn,
        _final_phase: bool,
    ) -> Completion {
        let outcome = call.rpc(self.request(f, value));
        self.complete_at(Some(call.node()), f, value, &outcome)
    }
    /// Hears of every completed client op of worker `thread`, for generators that follow what
    /// happened (kafka's tracks the offsets sent and polled). Nothing by default.
    fn observe(&self, _thread: usize, _op: &Op) {}
    /// The final phase of worker `thread`, one op at a time: `previous` is how its last final
    /// op completed (`None` at the start). Returns the next op and how long to wait before it,
    /// or `None` when the worker is done; the runner stops asking after 10 s. The default runs
    /// `final_op` once. Whether there is a final phase at all is `final_op().is_some()`.
    fn next_final_op(
        &self,
        _thread: usize,
        previous: Option<&Op>,
        _rng: &mut StdRng,
    ) -> Option<(String, Edn, Duration)> {
        match previous {
            None => self.final_op().map(|(f, value)| (f, value, Duration::ZERO)),
            Some(_) => None,
        }
    }
    /// Whether a worker keeps its client after an :info op (Maelstrom's `client.clj`: a client
    /// that timed out may still get a late reply, so only idempotent workloads reuse it).
    fn client_reusable(&self) -> bool;
    /// How long a client waits for the reply to one of this workload's requests (setup
    /// requests included) before the op is `:info`: Maelstrom's 5 s for most workloads; its
    /// lin-kv waits `max(10 x mean latency, 1000 ms)` (`src/maelstrom/workload/lin_kv.clj`).
    fn rpc_timeout(&self) -> Duration {
        DEFAULT_RPC_TIMEOUT
    }
    /// The workload's own checker, as each Maelstrom workload returns its `:checker`: the
    /// history (and what else the run recorded) in, the `:workload` results entry out. It is a
    /// pure function; put the work in `checker/<name>.rs` so that it can be tested on its own.
    fn check(&self, history: &History, facts: &RunFacts, opts: &TestOptions) -> Edn;
    /// The summary lines this workload's result gives a reader (`elements`, `final reads`,
    /// `anomalies`; `extras` has the shared ones), printed after the run-level ones; `result`
    /// is the `:workload` entry [`Workload::check`] returned. None by default.
    fn summary_lines(&self, _result: &Edn) -> Vec<extras::Line> {
        Vec::new()
    }
    /// What the run page shows for this workload beside the diagram (broadcast's lost and stale
    /// values with the reads that lacked them); `result` as for `summary_lines`. None by default.
    fn run_page_extras(
        &self,
        _history: &History,
        _result: &Edn,
        _placement: Placement,
    ) -> extras::RunPageExtras {
        extras::RunPageExtras::default()
    }
}

/// The RPC timeout of Maelstrom's clients (`src/maelstrom/client.clj`), which every workload
/// but lin-kv keeps ([`Workload::rpc_timeout`]).
pub const DEFAULT_RPC_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds a workload from the test's options; it reads what it needs (`--topology`, the node
/// ids, `opts.workload_opts` for `--key-count` and friends).
pub type Build = fn(&TestOptions) -> Box<dyn Workload>;

/// Whether a workload can run with the test's options (lin-kv: a concurrency that is a multiple
/// of 2n); Err(text) stops the test before it starts, as Jepsen's generator assertions do. A
/// function of the options alone, so that the command line checks them without building the
/// workload, which `main` builds once per test.
pub type Check = fn(&TestOptions) -> Result<(), String>;

/// One workload Maelstrom has: the name `-w` takes, and how to build it, or `None` while this
/// runner does not support it yet; and the check of its options, if it has one.
#[derive(Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub build: Option<Build>,
    pub check: Option<Check>,
}

impl Entry {
    /// A workload this runner implements.
    pub const fn new(name: &'static str, build: Build) -> Entry {
        Entry {
            name,
            build: Some(build),
            check: None,
        }
    }

    /// This entry, with a check of the options its workload can run with.
    pub const fn checked(self, check: Check) -> Entry {
        Entry {
            check: Some(check),
            ..self
        }
    }

    /// A Maelstrom workload this runner does not implement yet: `-w` accepts the name and the
    /// command line says "not supported yet".
    pub const fn not_yet(name: &'static str) -> Entry {
        Entry {
            name,
            build: None,
            check: None,
        }
    }
}

/// Every workload Maelstrom has (`src/maelstrom/core.clj`'s `workloads`), sorted: the one list
/// of workload names. The command line's validation, its "not supported yet" text and the
/// runner all read it. Adding a workload is one file and one line here.
pub const REGISTRY: &[Entry] = &[
    Entry::new("broadcast", broadcast::build),
    Entry::new("echo", echo::build),
    Entry::new("g-counter", g_counter::build),
    Entry::new("g-set", g_set::build),
    Entry::new("kafka", kafka::build),
    Entry::new("lin-kv", lin_kv::build).checked(lin_kv::check_options),
    Entry::new("pn-counter", pn_counter::build),
    Entry::new("txn-list-append", txn_list_append::build),
    Entry::new("txn-rw-register", txn_rw_register::build),
    Entry::new("unique-ids", unique_ids::build),
];

/// Every name in `registry`, in its order.
pub fn names(registry: &[Entry]) -> Vec<&'static str> {
    registry.iter().map(|e| e.name).collect()
}

/// The names in `registry` this runner implements, in its order.
pub fn supported(registry: &[Entry]) -> Vec<&'static str> {
    registry
        .iter()
        .filter(|e| e.build.is_some())
        .map(|e| e.name)
        .collect()
}

/// Builds the workload named by `-w` from [`REGISTRY`].
pub fn for_name(opts: &TestOptions) -> Result<Box<dyn Workload>, String> {
    build_from(REGISTRY, opts)
}

/// Builds the workload `opts.workload` from `registry`; fails as [`check`] does.
pub fn build_from(registry: &[Entry], opts: &TestOptions) -> Result<Box<dyn Workload>, String> {
    check(registry, opts)?;
    builder(registry, &opts.workload).map(|build| build(opts))
}

/// Whether the workload `opts.workload` of `registry` can run with `opts`, without building
/// it: its name, as [`builder`] checks it, then its entry's [`Check`]. The command line turns
/// an error into an argument error (exit 254).
pub fn check(registry: &[Entry], opts: &TestOptions) -> Result<(), String> {
    builder(registry, &opts.workload)?;
    let entry = registry.iter().find(|e| e.name == opts.workload);
    entry
        .and_then(|e| e.check)
        .map_or(Ok(()), |check| check(opts))
}

/// How to build the workload `name` of `registry` (the command line checks the name with it
/// without building anything). Known but unimplemented workloads get a "not supported yet"
/// text (the command line turns it into exit 254), so a reader knows the name itself was right.
pub fn builder(registry: &[Entry], name: &str) -> Result<Build, String> {
    let supported = supported(registry).join(", ");
    match registry.iter().find(|e| e.name == name) {
        Some(Entry {
            build: Some(build), ..
        }) => Ok(*build),
        Some(_) => Err(format!(
            "Workload {name} is not supported yet (supported: {supported})"
        )),
        None => Err(format!(
            "Unknown workload {name:?} (supported: {supported})"
        )),
    }
}

/// Maelstrom's "with-errors" (`src/maelstrom/client.clj`): turns the outcome of one RPC into a completion.
///
/// - a valid reply: `:ok` with `ok_value(reply body)`;
/// - a timeout: `:fail` if the op is idempotent (it certainly did nothing harmful to retry),
///   else `:info`, error `:net-timeout`;
/// - an error reply: `:fail` if the code is definite or the op idempotent, else `:info`; error
///   `[:<code name> <text or nil>]`;
/// - a reply that breaks the schema: `:info` with `"indeterminate: <text>"` and an exception,
///   because Maelstrom treats it as a client crash, not as an answer.
///
/// Non-ok completions keep the invocation's `value`, as Jepsen does.
#[allow(clippy::too_many_arguments)]
pub fn complete_call(
    node: Option<&str>,
    request: &Value,
    schema: &ReplySchema,
    idempotent: bool,
    value: &Edn,
    outcome: &RpcOutcome,
    ok_value: impl FnOnce(&Map<String, Value>) -> Edn,
) -> Completion {
    let failed = |op_type: OpType, error: Edn| Completion {
        op_type,
        value: value.clone(),
        error: Some(error),
        exception: None,
    };
    let body = match outcome {
        RpcOutcome::Timeout => {
            let op_type = if idempotent {
                OpType::Fail
            } else {
                OpType::Info
            };
            return failed(op_type, Edn::kw("net-timeout"));
        }
        RpcOutcome::Reply(body) => body,
    };
    if let Some((name, definite, text)) = error_reply(body) {
        let op_type = if definite || idempotent {
            OpType::Fail
        } else {
            OpType::Info
        };
        return failed(
            op_type,
            Edn::Vector(vec![Edn::Keyword(name.into()), text].into()),
        );
    }
    let problems = schema.problems(body);
    match body {
        Value::Object(map) if problems.is_empty() => Completion {
            op_type: OpType::Ok,
            value: ok_value(map),
            error: None,
            exception: None,
        },
        _ => {
            let sent = request_as_sent(request, body);
            let text = malformed_text(node, &sent, schema, body, &problems);
            Completion {
                op_type: OpType::Info,
                value: value.clone(),
                error: Some(Edn::Str(format!("indeterminate: {text}").into())),
                exception: Some(Exception {
                    class: MALFORMED_CLASS.to_string(),
                    message: text,
                }),
            }
        }
    }
}

/// Exception class of a client read timeout in workloads without with-errors.
pub const TIMEOUT_CLASS: &str = "ClientReadTimeout";

/// Exception class of an error reply in workloads without with-errors.
pub const RPC_ERROR_CLASS: &str = "RpcError";

/// The completion of an RPC in the workloads that do not use "with-errors" (g-set, g-counter,
/// pn-counter; see `with-errors` in Maelstrom's `src/maelstrom/client.clj`): their clients let
/// every failure escape as an exception, so a timeout or *any* error reply, even a definite one,
/// is an `:info` op with `"indeterminate: <message>"` and an exception, as Jepsen records a
/// client that threw. The messages are Maelstrom's: `Client read timeout`, and slingshot's
/// `throw+: {:type :rpc-error, :code 22, :name :precondition-failed, :definite? true, :body
/// {...}}` for an error reply. A valid reply is `:ok` with `ok_value(body)`; a malformed one is
/// handled as in [`complete_call`].
pub fn complete_unguarded(
    node: Option<&str>,
    request: &Value,
    schema: &ReplySchema,
    value: &Edn,
    outcome: &RpcOutcome,
    ok_value: impl FnOnce(&Map<String, Value>) -> Edn,
) -> Completion {
    let threw = |class: &str, message: String| Completion {
        op_type: OpType::Info,
        value: value.clone(),
        error: Some(Edn::Str(format!("indeterminate: {message}").into())),
        exception: Some(Exception {
            class: class.to_string(),
            message,
        }),
    };
    match outcome {
        RpcOutcome::Timeout => threw(TIMEOUT_CLASS, "Client read timeout".to_string()),
        RpcOutcome::Reply(body) => match error_reply(body) {
            Some((name, definite, _)) => {
                let code = body.get("code").map_or(Edn::Nil, Edn::from_json);
                let thrown = Edn::map([
                    ("type", Edn::kw("rpc-error")),
                    ("code", code),
                    ("name", Edn::Keyword(name.into())),
                    ("definite?", Edn::Bool(definite)),
                    ("body", Edn::from_json_body(body)),
                ]);
                threw(
                    RPC_ERROR_CLASS,
                    format!("throw+: {}", crate::edn::compact(&thrown)),
                )
            }
            None => complete_call(node, request, schema, false, value, outcome, ok_value),
        },
    }
}

/// The completion for an `f` the workload never generates: a bug in the runtime, recorded as an
/// `:info` with an exception rather than a panic, so the run still ends with a history.
pub fn unknown_op(workload: &str, f: &str, value: &Edn) -> Completion {
    let text = format!("The {workload} workload has no operation {f:?}");
    Completion {
        op_type: OpType::Info,
        value: value.clone(),
        error: Some(Edn::Str(format!("indeterminate: {text}").into())),
        exception: Some(Exception {
            class: "UnknownOperation".to_string(),
            message: text,
        }),
    }
}

/// If `body` is an error reply (`"type": "error"`), its code's name, definiteness and `text`
/// (as EDN, `nil` when absent). A missing or non-integer code is `unknown`, as in Maelstrom.
fn error_reply(body: &Value) -> Option<(String, bool, Edn)> {
    if body.get("type").and_then(Value::as_str) != Some("error") {
        return None;
    }
    let (name, definite) = body
        .get("code")
        .and_then(Value::as_i64)
        .and_then(error_code)
        .unwrap_or(("unknown", false));
    let text = body.get("text").map_or(Edn::Nil, Edn::from_json);
    Some((name.to_string(), definite, text))
}

/// Checks the reply to a setup RPC (broadcast's `topology`): anything but a valid reply crashes
/// the test, with a text that names the node and says what it did instead.
pub fn check_setup_call(
    node: &str,
    request: &Value,
    schema: &ReplySchema,
    outcome: &RpcOutcome,
) -> Result<(), String> {
    let what = request
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("setup");
    let body = match outcome {
        RpcOutcome::Timeout => {
            return Err(format!(
                "Expected node {node} to respond to a {what} message with {}, but node did not \
                 respond before the client timed out. Every node must answer {what}, even one \
                 that ignores it.",
                schema.reply_type
            ))
        }
        RpcOutcome::Reply(body) => body,
    };
    if let Some((name, _, text)) = error_reply(body) {
        return Err(format!(
            "Expected node {node} to respond to a {what} message with {}, but it returned an \
             error: {}",
            schema.reply_type,
            crate::edn::compact(&Edn::Vector(vec![Edn::Keyword(name.into()), text].into())),
        ));
    }
    let problems = schema.problems(body);
    if problems.is_empty() {
        return Ok(());
    }
    let sent = request_as_sent(request, body);
    Err(malformed_text(Some(node), &sent, schema, body, &problems))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// An error reply body with the given code and text.
    pub(crate) fn error_body(code: i64, text: &str) -> Value {
        json!({"type": "error", "in_reply_to": 1, "code": code, "text": text})
    }

    const READ_OK: ReplySchema = ReplySchema {
        reply_type: "read_ok",
        fields: &[("messages", FieldKind::Array)],
    };

    /// Returns the keys the schema complains about, in order.
    fn bad_keys(body: Value) -> Vec<String> {
        READ_OK.problems(&body).into_iter().map(|p| p.key).collect()
    }

    /// A reply with exactly the schema's keys (msg_id optional) passes.
    #[test]
    fn schema_accepts_exact_keys() {
        assert!(bad_keys(json!({"type": "read_ok", "messages": [1], "in_reply_to": 3})).is_empty());
        assert!(bad_keys(
            json!({"type": "read_ok", "messages": [], "in_reply_to": 3, "msg_id": 9})
        )
        .is_empty());
    }

    /// JSON null is accepted where an array is expected.
    #[test]
    fn schema_accepts_null_array() {
        assert!(
            bad_keys(json!({"type": "read_ok", "messages": null, "in_reply_to": 3})).is_empty()
        );
    }

    /// An extra key is rejected as disallowed-key.
    #[test]
    fn schema_rejects_extra_key() {
        let problems = READ_OK
            .problems(&json!({"type": "read_ok", "messages": [], "in_reply_to": 3, "extra": 1}));
        assert_eq!(
            problems,
            vec![SchemaProblem {
                key: "extra".into(),
                problem: "disallowed-key".into()
            }]
        );
    }

    /// Missing fields (including in_reply_to) are missing-required-key.
    #[test]
    fn schema_rejects_missing_keys() {
        let problems = READ_OK.problems(&json!({"type": "read_ok"}));
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["messages", "in_reply_to"]);
        assert!(problems.iter().all(|p| p.problem == "missing-required-key"));
    }

    /// Wrong types are reported: a wrong type string, a non-array, a float in_reply_to or msg_id.
    #[test]
    fn schema_rejects_wrong_types() {
        let problems = READ_OK.problems(
            &json!({"type": "read_okay", "messages": "x", "in_reply_to": 1.0, "msg_id": "2"}),
        );
        let texts: Vec<&str> = problems.iter().map(|p| p.problem.as_str()).collect();
        assert_eq!(
            texts,
            [
                r#"(not (= "read_ok" "read_okay"))"#,
                r#"(not (sequential? "x"))"#,
                "(not (integer? 1.0))",
                r#"(not (integer? "2"))"#,
            ]
        );
    }

    /// A body that is not an object is one whole-body problem.
    #[test]
    fn schema_rejects_non_object() {
        assert_eq!(bad_keys(json!([1, 2])), [""]);
    }

    /// A malformed reply of megabytes is quoted only to `schema::RECEIVED_BYTES`, with how much
    /// was cut, in the op's error text.
    #[test]
    fn malformed_text_cuts_a_huge_reply() {
        let body =
            json!({"type": "echo_ok", "in_reply_to": 4, "echo": "e", "pad": "x".repeat(3 << 20)});
        let completion = complete_call(
            Some("n0"),
            &json!({"type": "echo", "echo": "e"}),
            &READ_OK,
            true,
            &Edn::Nil,
            &RpcOutcome::Reply(body),
            |_| Edn::Nil,
        );
        let Some(Edn::Str(error)) = completion.error else {
            panic!("no error in {completion:?}");
        };
        assert!(
            error.len() < 4 * schema::RECEIVED_BYTES,
            "{} bytes",
            error.len()
        );
        assert!(error.contains(" more bytes cut, 3145"), "{error}");
    }

    /// The malformed text has `src/maelstrom/client.clj`'s shape and names node, request, schema and problems.
    #[test]
    fn malformed_text_has_spec_shape() {
        let body = json!({"type": "read_ok", "in_reply_to": 4, "extra": true, "messages": []});
        let request = json!({"type": "read"});
        let completion = complete_call(
            Some("n3"),
            &request,
            &READ_OK,
            true,
            &Edn::Nil,
            &RpcOutcome::Reply(body),
            |_| Edn::Nil,
        );
        let Some(exception) = completion.exception else {
            panic!("no exception in {completion:?}");
        };
        let text = exception.message;
        assert!(text.starts_with(
            "Malformed RPC response. Maelstrom sent node n3 the following request:\n\n"
        ));
        assert!(text.contains(r#"{:msg_id 4, :type "read"}"#), "{text}");
        assert!(text.contains("And expected a response of the form:\n\n{:type (eq \"read_ok\"), :messages [Any], (optional-key :msg_id) Int, :in_reply_to Int}\n\n... but instead received\n\n"));
        assert!(text.ends_with(
            "This is malformed because:\n\n{:extra disallowed-key}\n\nSee maelstrom/doc/protocol.md (maelstrom/maelstrom doc protocol) for more guidance."
        ));
        assert_eq!(
            completion.error,
            Some(Edn::Str(format!("indeterminate: {text}").into()))
        );
    }

    /// Every error code of `doc/protocol.md` has its name and definiteness; others are unknown.
    #[test]
    fn error_codes_match_spec() {
        let definite = [1, 10, 11, 12, 14, 20, 21, 22, 30];
        for code in [0, 1, 10, 11, 12, 13, 14, 20, 21, 22, 30] {
            let Some((_, is_definite)) = error_code(code) else {
                panic!("code {code} unknown");
            };
            assert_eq!(is_definite, definite.contains(&code), "code {code}");
        }
        assert_eq!(error_code(13), Some(("crash", false)));
        assert_eq!(error_code(30), Some(("txn-conflict", true)));
        assert_eq!(error_code(2), None);
        assert_eq!(error_code(1000), None);
    }

    /// An error reply with a non-integer code is unknown and indefinite; a missing text is nil.
    #[test]
    fn error_reply_odd_code_is_unknown() {
        let outcome = RpcOutcome::Reply(json!({"type": "error", "in_reply_to": 1, "code": 11.0}));
        let c = complete_call(
            None,
            &json!({}),
            &READ_OK,
            false,
            &Edn::Int(1),
            &outcome,
            |_| Edn::Nil,
        );
        assert_eq!(c.op_type, OpType::Info);
        assert_eq!(
            c.error,
            Some(Edn::Vector(vec![Edn::kw("unknown"), Edn::Nil].into()))
        );
        assert_eq!(c.value, Edn::Int(1));
    }

    /// Setup replies: ok passes; timeout, error and malformed replies fail naming the node.
    #[test]
    fn setup_reply_checks() {
        const TOPOLOGY_OK: ReplySchema = ReplySchema {
            reply_type: "topology_ok",
            fields: &[],
        };
        let request = json!({"type": "topology", "topology": {}});
        let check = |outcome: RpcOutcome| check_setup_call("n2", &request, &TOPOLOGY_OK, &outcome);
        assert_eq!(
            check(RpcOutcome::Reply(
                json!({"type": "topology_ok", "in_reply_to": 1})
            )),
            Ok(())
        );
        for outcome in [
            RpcOutcome::Timeout,
            RpcOutcome::Reply(error_body(10, "nope")),
            RpcOutcome::Reply(json!({"type": "topology_ok", "in_reply_to": 1, "x": 1})),
        ] {
            let Err(text) = check(outcome.clone()) else {
                panic!("{outcome:?} accepted");
            };
            assert!(text.contains("node n2"), "{text}");
        }
    }

    /// Every Maelstrom workload is implemented now; the registry builds each under its name.
    #[test]
    fn for_name_builds_every_workload() {
        let nodes: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
        for (name, ok) in [
            ("echo", true),
            ("unique-ids", true),
            ("broadcast", true),
            ("g-set", true),
            ("g-counter", true),
            ("pn-counter", true),
            ("kafka", true),
            ("txn-rw-register", true),
            ("txn-list-append", true),
            ("lin-kv", true),
        ] {
            let opts = TestOptions {
                workload: name.to_string(),
                nodes: nodes.clone(),
                concurrency: 2 * nodes.len(),
                ..TestOptions::default()
            };
            match for_name(&opts) {
                Ok(w) => {
                    assert!(ok, "{name} accepted");
                    assert_eq!(w.name(), name);
                }
                Err(text) => {
                    assert!(!ok, "{name} rejected: {text}");
                    assert_eq!(
                        text,
                        format!(
                            "Workload {name} is not supported yet (supported: {})",
                            supported(REGISTRY).join(", ")
                        )
                    );
                }
            }
        }
    }
}
