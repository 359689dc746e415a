//! EDN values: the format Maelstrom (Clojure) writes `results.edn` and `history.edn` in.
//!
//! Maps keep insertion order, because Maelstrom's printed key orders are part of what users compare.
//! Printing (`pretty`, `compact`) and a small reader (`parse`, used by tests to read files back) live
//! below.

/// One EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    /// A Java `double`, printed the Java way (`1.0`, `0.5`, `1.0E7`).
    Float(f64),
    /// A Java `float` (Maelstrom's `msgs-per-op` and `ok-fraction`), printed with the shortest
    /// representation that round-trips as an f32 (`19.61165`, `1.0`).
    Float32(f32),
    Str(String),
    /// Without the leading colon: `Keyword("valid?".into())` prints `:valid?`.
    Keyword(String),
    /// Printed `(a b c)`.
    List(Vec<Edn>),
    /// Printed `[a b c]`.
    Vector(Vec<Edn>),
    /// Printed `#{a b c}`, in the order given.
    Set(Vec<Edn>),
    /// Printed `{k v, k v}`, in the order given.
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// `Edn::kw("valid?")` is `:valid?`.
    pub fn kw(name: &str) -> Edn {
        Edn::Keyword(name.to_string())
    }

    /// A string value.
    pub fn str(s: &str) -> Edn {
        Edn::Str(s.to_string())
    }

    /// A map with keyword keys, in the given order: `Edn::map([("valid?", Edn::Bool(true))])`.
    pub fn map<'a>(entries: impl IntoIterator<Item = (&'a str, Edn)>) -> Edn {
        Edn::Map(entries.into_iter().map(|(k, v)| (Edn::kw(k), v)).collect())
    }

    /// Looks up a keyword key in a map (`None` for non-maps or a missing key).
    pub fn get(&self, keyword: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries.iter().find_map(|(k, v)| match k {
                Edn::Keyword(name) if name == keyword => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Converts a JSON value the way Maelstrom's clients see it: objects become maps with
    /// *string* keys (only top-level body keys are keywordized, by the caller), arrays become
    /// vectors, integers stay integers.
    pub fn from_json(value: &serde_json::Value) -> Edn {
        use serde_json::Value;
        match value {
            Value::Null => Edn::Nil,
            Value::Bool(b) => Edn::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Edn::Int(i),
                None => Edn::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Edn::Str(s.clone()),
            Value::Array(items) => Edn::Vector(items.iter().map(Edn::from_json).collect()),
            Value::Object(map) => Edn::Map(
                map.iter()
                    .map(|(k, v)| (Edn::Str(k.clone()), Edn::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Like `from_json`, but an object's own keys become keywords (`{:type "echo_ok", ...}`), as
    /// Maelstrom does for message bodies.
    pub fn from_json_body(value: &serde_json::Value) -> Edn {
        match value {
            serde_json::Value::Object(map) => Edn::Map(
                map.iter()
                    .map(|(k, v)| (Edn::Keyword(k.clone()), Edn::from_json(v)))
                    .collect(),
            ),
            other => Edn::from_json(other),
        }
    }
}
