//! The envelope check of a node's stdout line: what Maelstrom's `net.clj` asserts of every
//! message a node sends (`doc/protocol.md`: a JSON object with string `src` and `dest` and an
//! object `body`), with texts that name the node and quote the line.

use serde_json::{Map, Value};

use super::quote;
use crate::edn::Edn;

/// Checks one stdout line against the envelope schema: a JSON object with `src` and `dest`
/// strings, a `body` object (missing: `{}`), an optional integer `id`, and nothing else.
/// Returns the texts of `src/maelstrom/process.clj` on failure, naming the node and quoting the line.
pub fn parse_envelope(node: &str, line: &str) -> Result<(String, String, Value), String> {
    let value: Value = if line.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(line).map_err(|e| {
            if e.to_string().starts_with("recursion limit exceeded") {
                return format!(
                    "Node {node} printed a message to STDOUT nested more than 128 levels deep \
                     (arrays and objects within each other), more than this runner reads:\n{}",
                    quote(line, line.len())
                );
            }
            format!(
                "Node {node} printed a line to STDOUT which was not well-formed JSON:\n{}\n\
                 Did you mean to encode this line as JSON? Or was this line intended for \
                 STDERR? See maelstrom/doc/protocol.md (maelstrom/maelstrom doc protocol) for more guidance.",
                quote(line, line.len())
            )
        })?
    };
    let Value::Object(mut fields) = value else {
        let shown = edn_of(&value);
        return Err(malformed(
            node,
            line,
            &shown,
            &format!("(not (map? {shown}))"),
        ));
    };
    let mut problems: Vec<String> = Vec::new();
    let src = string_field(&fields, "src", &mut problems);
    let dest = string_field(&fields, "dest", &mut problems);
    if let Some(id) = fields.get("id") {
        if !crate::edn::is_json_integer(id) {
            problems.push(format!(":id (not (integer? {}))", edn_of(id)));
        }
    }
    match fields.get("body") {
        None | Some(Value::Object(_)) => {}
        Some(other) => problems.push(format!(":body (not (map? {}))", edn_of(other))),
    }
    for key in fields.keys() {
        if !matches!(key.as_str(), "src" | "dest" | "body" | "id") {
            problems.push(format!("{} disallowed-key", edn_key(key)));
        }
    }
    if !problems.is_empty() {
        let null_src = fields.get("src") == Some(&Value::Null);
        let shown = edn_of(&Value::Object(fields));
        let mut text = malformed(node, line, &shown, &format!("{{{}}}", problems.join(", ")));
        if null_src {
            text.push_str(&format!("\n{}", unset_id_hint(node)));
        }
        return Err(text);
    }
    let body = fields
        .remove("body")
        .unwrap_or_else(|| Value::Object(Map::new()));
    Ok((src.unwrap_or_default(), dest.unwrap_or_default(), body))
}

fn string_field(
    fields: &Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match fields.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(format!(
                ":{key} (not (instance? java.lang.String {}))",
                edn_of(other)
            ));
            None
        }
        None => {
            problems.push(format!(":{key} missing-required-key"));
            None
        }
    }
}

/// What a `"src": null` most likely means, and how Maelstrom would treat it (the README's table
/// of deliberate differences).
fn unset_id_hint(node: &str) -> String {
    format!(
        "Most likely {node} sent this before it knew its own id: it handled a message (a peer's, \
         say) before its own init had finished, while its node id was still unset. Handle init \
         first, or wait for it before answering. Maelstrom would not fail the test here: it stops \
         reading this node's output silently (and fails the setup if init_ok has not come yet); \
         this runner reports the line and fails the test instead."
    )
}

/// Maelstrom's malformed-message text; the message, the problems and the line are each quoted
/// to at most [`QUOTE_BYTES`](super::QUOTE_BYTES).
fn malformed(node: &str, line: &str, shown: &str, problems: &str) -> String {
    format!(
        "Malformed network message. Node {node} tried to send the following message via \
         STDOUT:\n\n{}\n\nThis is malformed because:\n\n{}\n\nSee \
         maelstrom/doc/protocol.md (maelstrom/maelstrom doc protocol) for more guidance. The line was:\n{}",
        quote(shown, shown.len()),
        quote(problems, problems.len()),
        quote(line, line.len())
    )
}

/// A JSON value as Maelstrom shows it: top-level and body keys as keywords.
fn edn_of(value: &Value) -> String {
    let edn = match value {
        Value::Object(map) => Edn::Map(
            map.iter()
                .map(|(k, v)| {
                    let inner = if k == "body" {
                        Edn::from_json_body(v)
                    } else {
                        Edn::from_json(v)
                    };
                    (Edn::Keyword(k.as_str().into()), inner)
                })
                .collect(),
        ),
        other => Edn::from_json(other),
    };
    crate::edn::compact(&edn)
}

/// A key as a keyword if it can be one, else as a string.
fn edn_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || "-_?!*+.".contains(c))
    {
        format!(":{key}")
    } else {
        Value::String(key.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A well-formed line yields src, dest and body; a missing body becomes {}; an id is allowed.
    #[test]
    fn envelope_accepts_valid_lines() {
        let (src, dest, body) = parse_envelope(
            "n1",
            r#"{"src":"n1","dest":"c3","body":{"type":"echo_ok"}}"#,
        )
        .expect("valid");
        assert_eq!((src.as_str(), dest.as_str()), ("n1", "c3"));
        assert_eq!(body["type"], "echo_ok");
        let (_, _, body) =
            parse_envelope("n1", r#"{"id":4,"src":"n1","dest":"n2"}"#).expect("valid");
        assert_eq!(body, serde_json::json!({}));
    }

    /// Non-JSON and blank lines get `src/maelstrom/process.clj`'s texts, naming the node and quoting the line.
    #[test]
    fn envelope_rejects_non_json() {
        let text = parse_envelope("n3", "hello there").expect_err("not JSON");
        assert!(text.starts_with(
            "Node n3 printed a line to STDOUT which was not well-formed JSON:\nhello there\n"
        ));
        assert!(text.contains("intended for STDERR?"));
        let deep = format!(
            r#"{{"src":"n3","dest":"c1","body":{{"x":{}{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let text = parse_envelope("n3", &deep).expect_err("too deep");
        assert!(text.contains("nested more than 128 levels deep"), "{text}");
        let text = parse_envelope("n3", "  ").expect_err("blank");
        assert!(
            text.contains("Malformed network message. Node n3"),
            "{text}"
        );
        let text = parse_envelope("n3", r#"{"src":"n3","dest":"n1","body":{}} {}"#)
            .expect_err("trailing text");
        assert!(text.contains("not well-formed JSON"));
    }

    /// Missing keys, wrong types and extra keys are all listed in the schema error.
    #[test]
    fn envelope_lists_schema_problems() {
        let line = r#"{"src":1,"body":{"type":"x"},"extra":true,"id":"7"}"#;
        let text = parse_envelope("n0", line).expect_err("malformed");
        assert!(text.starts_with(
            "Malformed network message. Node n0 tried to send the following message via STDOUT:"
        ));
        for problem in [
            ":src (not (instance? java.lang.String 1))",
            ":dest missing-required-key",
            ":extra disallowed-key",
            ":id (not (integer? \"7\"))",
        ] {
            assert!(text.contains(problem), "{problem} missing from {text}");
        }
        assert!(text.ends_with(line));
        let text = parse_envelope("n0", "[1,2]").expect_err("array");
        assert!(text.contains("(not (map? [1 2]))"), "{text}");
        let text = parse_envelope("n0", r#"{"src":"n0","dest":"n1","body":3}"#).expect_err("body");
        assert!(!text.contains("before it knew its own id"), "{text}");
        assert!(text.contains(":body (not (map? 3))"), "{text}");
    }

    /// A `"src": null` (a node answering before its init finished) says what most likely
    /// happened and that Maelstrom would mute the node instead of failing the test.
    #[test]
    fn null_src_says_the_node_id_was_unset() {
        let line = r#"{"src":null,"dest":"n1","body":{"type":"read_ok","in_reply_to":1}}"#;
        let text = parse_envelope("n2", line).expect_err("malformed");
        assert!(
            text.contains(":src (not (instance? java.lang.String nil))"),
            "{text}"
        );
        assert!(
            text.contains("Most likely n2 sent this before it knew its own id"),
            "{text}"
        );
        assert!(
            text.contains("Maelstrom would not fail the test here"),
            "{text}"
        );
    }
}
