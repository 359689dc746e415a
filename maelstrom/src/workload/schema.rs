//! What a reply must look like: Maelstrom's error codes and their definiteness
//! (`doc/protocol.md`), the response schemas of `src/maelstrom/client.clj` (exact keys, expected
//! `type`, integer `in_reply_to`, optional integer `msg_id`, no extra keys) and the "Malformed RPC
//! response" text a reply that breaks its schema gets.

use serde_json::Value;

use crate::edn::Edn;

/// Name and definiteness of a Maelstrom error code (`doc/protocol.md`, Maelstrom's `errors.edn`).
/// `None` for codes Maelstrom does not know, including every user code >= 1000: those are
/// named `unknown` and are indefinite.
pub fn error_code(code: i64) -> Option<(&'static str, bool)> {
    let entry = match code {
        0 => ("timeout", false),
        1 => ("node-not-found", true),
        10 => ("not-supported", true),
        11 => ("temporarily-unavailable", true),
        12 => ("malformed-request", true),
        13 => ("crash", false),
        14 => ("abort", true),
        20 => ("key-does-not-exist", true),
        21 => ("key-already-exists", true),
        22 => ("precondition-failed", true),
        30 => ("txn-conflict", true),
        _ => return None,
    };
    Some(entry)
}

/// What a workload field of a reply must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Any JSON value, `null` included (Maelstrom's `s/Any`); the key must still be present.
    Any,
    /// An array; `null` is accepted too (Maelstrom's `[s/Any]` lets `nil` through).
    Array,
    /// A 64-bit integer (Maelstrom's `s/Int`, which the counters' clients then turn into a
    /// `long`): `3.7`, `"3"` and `null` are not.
    Int,
}

/// The response schema of one RPC (`src/maelstrom/client.clj`): `type` must equal `reply_type`, `fields` must all
/// be present, `in_reply_to` is a required integer, `msg_id` an optional integer, and nothing else
/// is allowed.
#[derive(Debug, Clone, Copy)]
pub struct ReplySchema {
    pub reply_type: &'static str,
    pub fields: &'static [(&'static str, FieldKind)],
}

/// One reason a reply does not fit its schema: the body key (empty when the whole body is
/// wrong) and the problem in Maelstrom's words (`missing-required-key`, `disallowed-key`,
/// `(not (= "echo_ok" "echo_okay"))`, `(not (integer? 1.5))`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    pub key: String,
    pub problem: String,
}

impl ReplySchema {
    /// Every way `body` departs from the schema; empty when it is valid.
    pub fn problems(&self, body: &Value) -> Vec<SchemaProblem> {
        let problem = |key: &str, problem: String| SchemaProblem {
            key: key.to_string(),
            problem,
        };
        let Value::Object(map) = body else {
            return vec![problem("", format!("(not (map? {}))", json_text(body)))];
        };
        let mut found = Vec::new();
        match map.get("type") {
            None => found.push(problem("type", "missing-required-key".into())),
            Some(Value::String(t)) if t == self.reply_type => {}
            Some(other) => found.push(problem(
                "type",
                format!("(not (= {:?} {}))", self.reply_type, json_text(other)),
            )),
        }
        for &(key, kind) in self.fields {
            match (map.get(key), kind) {
                (None, _) => found.push(problem(key, "missing-required-key".into())),
                (Some(_), FieldKind::Any) => {}
                (Some(Value::Array(_) | Value::Null), FieldKind::Array) => {}
                (Some(v), FieldKind::Int) if is_integer(v) => {}
                (Some(other), FieldKind::Int) => found.push(problem(
                    key,
                    format!("(not (integer? {}))", json_text(other)),
                )),
                (Some(other), FieldKind::Array) => found.push(problem(
                    key,
                    format!("(not (sequential? {}))", json_text(other)),
                )),
            }
        }
        match map.get("in_reply_to") {
            None => found.push(problem("in_reply_to", "missing-required-key".into())),
            Some(v) if is_integer(v) => {}
            Some(other) => found.push(problem(
                "in_reply_to",
                format!("(not (integer? {}))", json_text(other)),
            )),
        }
        if let Some(v) = map.get("msg_id") {
            if !is_integer(v) {
                found.push(problem(
                    "msg_id",
                    format!("(not (integer? {}))", json_text(v)),
                ));
            }
        }
        for key in map.keys() {
            let known = key == "type"
                || key == "in_reply_to"
                || key == "msg_id"
                || self.fields.iter().any(|(name, _)| name == key);
            if !known {
                found.push(problem(key, "disallowed-key".into()));
            }
        }
        found
    }

    /// The schema as Maelstrom explains it, for error texts:
    /// `{:type (eq "read_ok"), :messages [Any], (optional-key :msg_id) Int, :in_reply_to Int}`.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!(":type (eq {:?})", self.reply_type)];
        for &(key, kind) in self.fields {
            let shape = match kind {
                FieldKind::Any => "Any",
                FieldKind::Array => "[Any]",
                FieldKind::Int => "Int",
            };
            parts.push(format!(":{key} {shape}"));
        }
        parts.push("(optional-key :msg_id) Int".into());
        parts.push(":in_reply_to Int".into());
        format!("{{{}}}", parts.join(", "))
    }
}

/// True for JSON integers of any size (Maelstrom's `s/Int`); `1.0` is not one.
fn is_integer(v: &Value) -> bool {
    crate::edn::is_json_integer(v)
}

/// A JSON value printed as EDN, the way Maelstrom quotes values in its texts.
pub(super) fn json_text(v: &Value) -> String {
    crate::edn::compact(&Edn::from_json(v))
}

/// A message body pretty-printed as EDN (Maelstrom's `pprint`), without the final newline.
pub(super) fn body_text(body: &Value) -> String {
    crate::edn::pretty(&Edn::from_json_body(body))
        .trim_end()
        .to_string()
}

/// Converts an op value into the JSON a request carries (`"Please echo 3"`, `7`). Keywords become
/// their names; map keys that are not strings become their EDN text.
pub fn edn_to_json(v: &Edn) -> Value {
    match v {
        Edn::Nil => Value::Null,
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Int(i) => Value::from(*i),
        // Exact, since the runner's serde_json keeps numbers as text (`arbitrary_precision`).
        Edn::BigInt(digits) => digits
            .parse::<serde_json::Number>()
            .map_or(Value::Null, Value::Number),
        Edn::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Edn::Float32(f) => {
            serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number)
        }
        Edn::Str(s) => Value::String(s.to_string()),
        Edn::Keyword(k) => Value::String(k.to_string()),
        Edn::List(items) | Edn::Vector(items) | Edn::Set(items) => {
            Value::Array(items.iter().map(edn_to_json).collect())
        }
        Edn::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Edn::Str(s) | Edn::Keyword(s) => s.to_string(),
                        other => crate::edn::compact(other),
                    };
                    (key, edn_to_json(v))
                })
                .collect(),
        ),
    }
}

/// The full "Malformed RPC response" text of `src/maelstrom/client.clj`. `request` is the body as sent (with its
/// `msg_id`), `body` what came back.
pub fn malformed_text(
    node: Option<&str>,
    request: &Value,
    schema: &ReplySchema,
    body: &Value,
    problems: &[SchemaProblem],
) -> String {
    let sent_to = match node {
        Some(node) => format!("node {node}"),
        None => "a node".to_string(),
    };
    let why = match problems {
        [only] if only.key.is_empty() => only.problem.clone(),
        _ => {
            let entries: Vec<String> = problems
                .iter()
                .map(|p| format!(":{} {}", p.key, p.problem))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    };
    format!(
        "Malformed RPC response. Maelstrom sent {sent_to} the following request:\n\n{}\n\n\
         And expected a response of the form:\n\n{}\n\n\
         ... but instead received\n\n{}\n\n\
         This is malformed because:\n\n{why}\n\n\
         See maelstrom/doc/protocol.md (maelstrom/maelstrom doc protocol) for more guidance.",
        body_text(request),
        schema.describe(),
        received_text(body),
    )
}

/// The most of a malformed reply the error text quotes (bytes, ours: Maelstrom quotes it
/// whole, and the text goes into the op's `:error`, the results and the console).
pub const RECEIVED_BYTES: usize = 1_000;

/// A malformed reply as the error quotes it: pretty-printed as [`body_text`] does, or, when
/// that would be longer than [`RECEIVED_BYTES`] (a node's reply of megabytes), its first
/// `RECEIVED_BYTES` on one line and how much was cut.
fn received_text(body: &Value) -> String {
    let edn = Edn::from_json_body(body);
    if crate::edn::compact_len(&edn) <= RECEIVED_BYTES {
        return crate::edn::pretty(&edn).trim_end().to_string();
    }
    crate::edn::compact_cut(&edn, RECEIVED_BYTES)
}

/// The request as the node saw it: `request` plus the `msg_id` the client gave it, which is the
/// reply's `in_reply_to` (the client only hands over replies whose `in_reply_to` matched).
pub(super) fn request_as_sent(request: &Value, reply: &Value) -> Value {
    let mut sent = request.clone();
    if let (Value::Object(map), Some(id)) = (&mut sent, reply.get("in_reply_to")) {
        if is_integer(id) {
            map.insert("msg_id".into(), id.clone());
        }
    }
    sent
}

/// Exception class recorded on ops whose reply did not fit the schema (grouped by `:exceptions`).
pub const MALFORMED_CLASS: &str = "MalformedRpcResponse";
