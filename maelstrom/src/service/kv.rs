//! The key-value store behind `lin-kv`, `seq-kv` and `lww-kv` (Maelstrom's `PersistentKV` and
//! `LWWKV` in `src/maelstrom/service.clj`): `read`, `write` and `cas` on keys and values that are
//! arbitrary JSON.
//!
//! Keys and values are compared as values, the way Clojure's `=` compares the messages
//! Maelstrom parsed (cheshire reads a JSON integer as a `Long` or `BigInteger`, any other number
//! as a `Double`): integers are equal when their values are (`-0` and `0`), numbers with a
//! fraction or exponent when their doubles are (`1.50` and `1.5`, `1e2` and `100.0`), an integer
//! never equals a double (`1` and `1.0` differ), and `{"a":1,"b":2}` equals `{"b":2,"a":1}`.
//! Values are stored and returned as the node wrote them ([`same`], [`slot`]).
//!
//! Every request touches one key, so its meaning is a function of that key's current value
//! ([`evaluate`]): the reply, and the value the key gets, if any. `seq-kv` needs exactly this: it
//! evaluates a request against an old state of the key, and only if that would change the key
//! does it apply the request to the latest state instead. [`Kv`] is the plain store `lin-kv` and
//! each `lww-kv` replica keep.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::edn::{compact, Edn};
use crate::service::{error, json_len, request_type};

/// Error code and text for a missing key (Maelstrom's `key-does-not-exist`).
const KEY_DOES_NOT_EXIST: (i64, &str) = (20, "key does not exist");

/// Error code for a failed compare (Maelstrom's `precondition-failed`).
const PRECONDITION_FAILED: i64 = 22;

/// One request to a KV service, with Maelstrom's defaults for missing fields: a missing `key`,
/// `value`, `from` or `to` is `null` (Clojure's `nil`), which is a key or value like any other.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Read {
        key: Value,
    },
    Write {
        key: Value,
        value: Value,
    },
    Cas {
        key: Value,
        from: Value,
        to: Value,
        /// True when `create_if_not_exists` is present and neither `false` nor `null` (Clojure
        /// truthiness: `0` and `""` count as true).
        create_if_not_exists: bool,
    },
}

impl Request {
    /// Reads a request body; None for any `type` other than `read`, `write`, `cas`.
    pub fn parse(body: &Value) -> Option<Request> {
        let field = |name: &str| body.get(name).cloned().unwrap_or(Value::Null);
        let key = field("key");
        match request_type(body)? {
            "read" => Some(Request::Read { key }),
            "write" => Some(Request::Write {
                key,
                value: field("value"),
            }),
            "cas" => Some(Request::Cas {
                key,
                from: field("from"),
                to: field("to"),
                create_if_not_exists: !matches!(
                    body.get("create_if_not_exists"),
                    None | Some(Value::Null) | Some(Value::Bool(false))
                ),
            }),
            _ => None,
        }
    }
}

/// Which of Maelstrom's two KV codes answers: they differ only in `cas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `PersistentKV` (lin-kv, seq-kv): `create_if_not_exists` creates a missing key; error 22's
    /// text prints both values as EDN (`current value "a" is not "b"`).
    Persistent,
    /// `LWWKV` (lww-kv): `create_if_not_exists` is ignored (a missing key is error 20); error 22's
    /// text prints `from` with Clojure's `str`, so a string has no quotes and `null` is empty.
    Lww,
}

impl Request {
    /// The key the request is about.
    pub fn key(&self) -> &Value {
        match self {
            Request::Read { key } | Request::Write { key, .. } | Request::Cas { key, .. } => key,
        }
    }
}

/// What a request does to its key: the reply (without `in_reply_to` yet), and the value it
/// stores under the key (`None` for reads and failed ops).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub reply: Value,
    pub write: Option<Value>,
}

impl Outcome {
    /// Whether the outcome leaves a key that held `current` different: false for reads, failed
    /// ops, and writes of the value already there (what Clojure's `=` on the old and new store
    /// finds).
    pub fn changes(&self, current: Option<&Value>) -> bool {
        match (&self.write, current) {
            (Some(value), Some(current)) => !same(value, current),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// What `request` does to its key when the key holds `current` (`None`: the key does not exist).
pub fn evaluate(current: Option<&Value>, request: &Request, dialect: Dialect) -> Outcome {
    let missing = || answer(error(KEY_DOES_NOT_EXIST.0, KEY_DOES_NOT_EXIST.1));
    match request {
        Request::Read { .. } => match current {
            Some(value) => answer(json!({"type": "read_ok", "value": value})),
            None => missing(),
        },
        Request::Write { value, .. } => Outcome {
            reply: json!({"type": "write_ok"}),
            write: Some(value.clone()),
        },
        Request::Cas {
            from,
            to,
            create_if_not_exists,
            ..
        } => match current {
            Some(current) if same(current, from) => Outcome {
                reply: json!({"type": "cas_ok"}),
                write: Some(to.clone()),
            },
            Some(current) => {
                let from_text = match dialect {
                    Dialect::Persistent => pr_str(from),
                    Dialect::Lww => clojure_str(from),
                };
                let text = format!("current value {} is not {from_text}", pr_str(current));
                answer(error(PRECONDITION_FAILED, &text))
            }
            None if *create_if_not_exists && dialect == Dialect::Persistent => Outcome {
                reply: json!({"type": "cas_ok"}),
                write: Some(to.clone()),
            },
            None => missing(),
        },
    }
}

/// A key-value store. Keys are indexed by their compact JSON text ([`slot`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kv {
    /// Canonical key text -> (key, value).
    entries: BTreeMap<String, (Value, Value)>,
    /// The JSON length of every key and value held ([`Kv::held_bytes`]).
    bytes: u64,
}

impl Kv {
    /// An empty store.
    pub fn new() -> Kv {
        Kv::default()
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries.get(&slot(key)).map(|(_, value)| value)
    }

    /// Evaluates `request` and applies its write; returns the reply (without `in_reply_to`).
    pub fn handle(&mut self, request: &Request, dialect: Dialect) -> Value {
        let slot = slot(request.key());
        let current = self.entries.get(&slot).map(|(_, value)| value);
        let outcome = evaluate(current, request, dialect);
        if let Some(value) = outcome.write {
            self.bytes += json_len(request.key()) + json_len(&value);
            if let Some((key, old)) = self.entries.insert(slot, (request.key().clone(), value)) {
                self.bytes -= json_len(&key) + json_len(&old);
            }
        }
        outcome.reply
    }

    /// The JSON length of every key and value it holds, bytes.
    pub fn held_bytes(&self) -> u64 {
        self.bytes
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// An outcome that writes nothing.
fn answer(reply: Value) -> Outcome {
    Outcome { reply, write: None }
}

/// A key's canonical text: equal values (Clojure's `=`, see the module's doc) have equal texts,
/// different ones different texts.
pub fn slot(key: &Value) -> String {
    let mut out = String::new();
    canonical(key, &mut out);
    out
}

/// Whether two values are equal as Clojure's `=` finds the parsed JSON (the module's doc).
pub fn same(a: &Value, b: &Value) -> bool {
    a == b || slot(a) == slot(b)
}

/// Writes `value` as JSON whose numbers are canonical: an integer as its decimal digits (no
/// `-0`), any other number as its double in Rust's shortest exponent form (`1.5e0`, `inf`; the
/// `e` keeps it apart from every integer, `-0.0` is `0e0` as `=` finds them equal), and object
/// entries sorted by key.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Number(n) => match crate::edn::json_integer_text(n) {
            Some(text) => match text.strip_prefix('-') {
                Some(digits) if digits.bytes().all(|b| b == b'0') => out.push('0'),
                _ => out.push_str(&text),
            },
            None => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                let x = if x == 0.0 { 0.0 } else { x };
                out.push_str(&format!("{x:e}"));
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A value as Clojure's `pr-str` prints the parsed JSON (`"a"`, `nil`, `[1 2]`, `{"a" 1}`): the
/// texts of Maelstrom's `precondition-failed` errors. Objects print with sorted keys (Maelstrom
/// prints small objects in the order they came in).
pub fn pr_str(value: &Value) -> String {
    compact(&Edn::from_json(value))
}

/// A value as Clojure's `str` prints it: like `pr_str`, except that a string is printed bare and
/// `nil` as nothing.
pub fn clojure_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => pr_str(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> Request {
        Request::parse(&body).unwrap_or_else(|| panic!("not a KV request: {body}"))
    }

    /// Evaluates `body` and applies its write, as lin-kv does; returns the reply.
    fn run(kv: &mut Kv, dialect: Dialect, body: Value) -> Value {
        kv.handle(&request(body), dialect)
    }

    /// read of a missing key is error 20; write then read returns the value.
    #[test]
    fn read_write_read() {
        let mut kv = Kv::new();
        let p = Dialect::Persistent;
        assert_eq!(
            run(&mut kv, p, json!({"type": "read", "key": "x"})),
            json!({"type": "error", "code": 20, "text": "key does not exist"})
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                json!({"type": "write", "key": "x", "value": [1, {"a": null}]})
            ),
            json!({"type": "write_ok"})
        );
        assert_eq!(
            run(&mut kv, p, json!({"type": "read", "key": "x"})),
            json!({"type": "read_ok", "value": [1, {"a": null}]})
        );
    }

    /// cas succeeds on an equal value and fails with Maelstrom's EDN text on a different one.
    #[test]
    fn cas_compares_json_values() {
        let mut kv = Kv::new();
        let p = Dialect::Persistent;
        run(&mut kv, p, json!({"type": "write", "key": 1, "value": 1}));
        assert_eq!(
            run(
                &mut kv,
                p,
                json!({"type": "cas", "key": 1, "from": 1.0, "to": 2})
            ),
            json!({"type": "error", "code": 22, "text": "current value 1 is not 1.0"})
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                json!({"type": "cas", "key": 1, "from": 1, "to": "two"})
            ),
            json!({"type": "cas_ok"})
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                json!({"type": "cas", "key": 1, "from": "one", "to": 3})
            ),
            json!({"type": "error", "code": 22, "text": "current value \"two\" is not \"one\""})
        );
        run(
            &mut kv,
            p,
            json!({"type": "write", "key": 1, "value": {"a": [1, 2]}}),
        );
        assert_eq!(
            run(&mut kv, p, json!({"type": "cas", "key": 1, "to": 3})),
            json!({"type": "error", "code": 22, "text": "current value {\"a\" [1 2]} is not nil"})
        );
    }

    /// Numbers compare as Clojure's `=` compares the doubles and integers Maelstrom parsed:
    /// `1.50` is `1.5`, `1e2` is `100.0`, `-0` is `0`, nested too, as keys too; `1` is not
    /// `1.0`.
    #[test]
    fn numbers_compare_by_value() {
        let parse = |text: &str| -> Value { serde_json::from_str(text).expect("json") };
        let p = Dialect::Persistent;
        let mut kv = Kv::new();
        run(
            &mut kv,
            p,
            parse(r#"{"type": "write", "key": "k", "value": 1.5}"#),
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                parse(r#"{"type": "cas", "key": "k", "from": 1.50, "to": 1e2}"#)
            ),
            json!({"type": "cas_ok"})
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                parse(r#"{"type": "cas", "key": "k", "from": 100.0, "to": [-0]}"#)
            ),
            json!({"type": "cas_ok"})
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                parse(r#"{"type": "cas", "key": "k", "from": [0], "to": 1}"#)
            ),
            json!({"type": "cas_ok"})
        );
        assert_eq!(
            run(
                &mut kv,
                p,
                parse(r#"{"type": "cas", "key": "k", "from": 1.0, "to": 2}"#)
            ),
            json!({"type": "error", "code": 22, "text": "current value 1 is not 1.0"})
        );
        // Keys: 2.50 and 2.5 name the same key; 2 and 2.0 do not.
        run(
            &mut kv,
            p,
            parse(r#"{"type": "write", "key": 2.50, "value": "a"}"#),
        );
        assert_eq!(kv.get(&parse("2.5")), Some(&json!("a")));
        assert_eq!(kv.get(&parse("2.0")), None);
        assert_eq!(kv.get(&parse("2")), None);
        assert!(same(&parse("1e400"), &parse("2e400")));
        assert!(same(
            &parse("100000000000000000000"),
            &parse("100000000000000000000")
        ));
        assert!(!same(&parse("100000000000000000000"), &parse("1e20")));
    }

    /// cas on a missing key is error 20, unless create_if_not_exists is truthy (lin-kv, seq-kv).
    #[test]
    fn cas_create_if_not_exists() {
        let p = Dialect::Persistent;
        for flag in [json!(null), json!(false)] {
            let mut kv = Kv::new();
            let body = json!({"type": "cas", "key": "k", "from": 0, "to": 1, "create_if_not_exists": flag});
            assert_eq!(
                run(&mut kv, p, body),
                json!({"type": "error", "code": 20, "text": "key does not exist"})
            );
            assert!(kv.is_empty());
        }
        for flag in [json!(true), json!(0), json!("")] {
            let mut kv = Kv::new();
            let body = json!({"type": "cas", "key": "k", "from": 0, "to": 1, "create_if_not_exists": flag});
            assert_eq!(run(&mut kv, p, body), json!({"type": "cas_ok"}));
            assert_eq!(kv.get(&json!("k")), Some(&json!(1)));
        }
    }

    /// lww-kv's dialect ignores create_if_not_exists and prints `from` bare.
    #[test]
    fn lww_dialect() {
        let mut kv = Kv::new();
        let l = Dialect::Lww;
        assert_eq!(
            run(
                &mut kv,
                l,
                json!({"type": "cas", "key": "k", "from": 0, "to": 1, "create_if_not_exists": true})
            ),
            json!({"type": "error", "code": 20, "text": "key does not exist"})
        );
        run(
            &mut kv,
            l,
            json!({"type": "write", "key": "k", "value": "a"}),
        );
        assert_eq!(
            run(
                &mut kv,
                l,
                json!({"type": "cas", "key": "k", "from": "b", "to": 1})
            ),
            json!({"type": "error", "code": 22, "text": "current value \"a\" is not b"})
        );
        assert_eq!(
            run(
                &mut kv,
                l,
                json!({"type": "cas", "key": "k", "from": null, "to": 1})
            ),
            json!({"type": "error", "code": 22, "text": "current value \"a\" is not "})
        );
    }

    /// Keys are JSON values: object key order does not matter, numbers keep their kind.
    #[test]
    fn keys_are_json_values() {
        let mut kv = Kv::new();
        let p = Dialect::Persistent;
        run(
            &mut kv,
            p,
            json!({"type": "write", "key": {"a": 1, "b": 2}, "value": "ab"}),
        );
        let reordered: Value = serde_json::from_str(r#"{"b":2,"a":1}"#).expect("json");
        assert_eq!(kv.get(&reordered), Some(&json!("ab")));
        run(
            &mut kv,
            p,
            json!({"type": "write", "key": 1, "value": "int"}),
        );
        run(
            &mut kv,
            p,
            json!({"type": "write", "key": 1.0, "value": "float"}),
        );
        run(
            &mut kv,
            p,
            json!({"type": "write", "key": "1", "value": "string"}),
        );
        assert_eq!(kv.len(), 4);
        assert_eq!(kv.get(&json!(1)), Some(&json!("int")));
        // A request without a key uses the key null.
        run(&mut kv, p, json!({"type": "write", "value": "none"}));
        assert_eq!(kv.get(&Value::Null), Some(&json!("none")));
    }

    /// Only a write that stores a different value changes the key.
    #[test]
    fn changes_compares_values() {
        let p = Dialect::Persistent;
        let write_one = evaluate(
            None,
            &request(json!({"type": "write", "key": "x", "value": 1})),
            p,
        );
        assert!(write_one.changes(None));
        assert!(!write_one.changes(Some(&json!(1))));
        assert!(write_one.changes(Some(&json!(1.0))));
        let same_cas = request(json!({"type": "cas", "key": "x", "from": 1, "to": 1}));
        assert!(!evaluate(Some(&json!(1)), &same_cas, p).changes(Some(&json!(1))));
        let read = request(json!({"type": "read", "key": "x"}));
        assert!(!evaluate(Some(&json!(1)), &read, p).changes(Some(&json!(1))));
        assert_eq!(read.key(), &json!("x"));
    }

    /// Types other than read, write and cas are not KV requests.
    #[test]
    fn parse_rejects_other_types() {
        assert_eq!(Request::parse(&json!({"type": "ts"})), None);
        assert_eq!(Request::parse(&json!({"key": "x"})), None);
        assert_eq!(
            Request::parse(&json!({"type": "read"})),
            Some(Request::Read { key: Value::Null })
        );
    }
}
