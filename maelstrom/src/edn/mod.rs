//! EDN values: the format Maelstrom (Clojure) writes `results.edn` and `history.edn` in.
//!
//! Maps keep insertion order, because Maelstrom's printed key orders are part of what users compare.
//! Printing (`pretty`, `compact`) lives here; a small reader (`parse`, which reads the store's files
//! back) in `read.rs`; bounded prints (a prefix of a huge value, saying how much was cut) in
//! `cut.rs`.

mod cut;
mod read;
pub use cut::{compact_cut, compact_len, cut_strings, cut_text, value_count};
pub use read::parse;

/// One EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer outside the 64-bit signed range, exact: its decimal digits, with a leading `-`
    /// if negative and no leading zeros (`18446744073709551616`). Printed as Clojure prints a
    /// `BigInt`, with an `N` (`18446744073709551616N`). JSON integers of any size read this way
    /// (serde_json's `arbitrary_precision` keeps their text), as Maelstrom's JSON reader does.
    BigInt(Box<str>),
    /// A Java `double`, printed the Java way (`1.0`, `0.5`, `1.0E7`).
    Float(f64),
    /// A Java `float` (Maelstrom's `msgs-per-op` and `ok-fraction`), printed with the shortest
    /// representation that round-trips as an f32 (`19.61165`, `1.0`).
    Float32(f32),
    Str(Box<str>),
    /// Without the leading colon: `Keyword("valid?".into())` prints `:valid?`.
    Keyword(Box<str>),
    /// Printed `(a b c)`.
    List(Box<[Edn]>),
    /// Printed `[a b c]`.
    Vector(Box<[Edn]>),
    /// Printed `#{a b c}`, in the order given.
    Set(Box<[Edn]>),
    /// Printed `{k v, k v}`, in the order given.
    Map(Box<[(Edn, Edn)]>),
}

impl Edn {
    /// `Edn::kw("valid?")` is `:valid?`.
    pub fn kw(name: &str) -> Edn {
        Edn::Keyword(name.into())
    }

    /// A name a node chose (a body key, a micro-op's function) as a keyword when it reads back
    /// as one, else as a string: `"r"` is `:r`, `"r x"` is `"r x"` (as `:r x` it would read back
    /// as two values, and `results.edn` would no longer read).
    pub fn kw_or_str(name: &str) -> Edn {
        if is_keyword_name(name) {
            Edn::kw(name)
        } else {
            Edn::str(name)
        }
    }

    /// A string value.
    pub fn str(s: &str) -> Edn {
        Edn::Str(s.into())
    }

    /// A map with keyword keys, in the given order: `Edn::map([("valid?", Edn::Bool(true))])`.
    pub fn map<'a>(entries: impl IntoIterator<Item = (&'a str, Edn)>) -> Edn {
        Edn::Map(entries.into_iter().map(|(k, v)| (Edn::kw(k), v)).collect())
    }

    /// Appends a keyword entry to a map; other values are left as they are. A map's entries
    /// are a boxed slice (8 bytes smaller than a `Vec`, in every value of a long history), so
    /// this copies them: for building results, not for hot loops.
    pub fn push_entry(&mut self, key: &str, value: Edn) {
        if let Edn::Map(entries) = self {
            let mut grown = std::mem::take(entries).into_vec();
            grown.push((Edn::kw(key), value));
            *entries = grown.into_boxed_slice();
        }
    }

    /// Looks up a keyword key in a map (`None` for non-maps or a missing key).
    pub fn get(&self, keyword: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries.iter().find_map(|(k, v)| match k {
                Edn::Keyword(name) if **name == *keyword => Some(v),
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
                None => match json_integer_text(n) {
                    Some(digits) => Edn::big_int(&digits),
                    None => Edn::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
            },
            Value::String(s) => Edn::Str(s.as_str().into()),
            Value::Array(items) => Edn::Vector(items.iter().map(Edn::from_json).collect()),
            Value::Object(map) => Edn::Map(
                map.iter()
                    .map(|(k, v)| (Edn::Str(k.as_str().into()), Edn::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// An integer from its decimal text (optional `-`, digits): `Int` if it fits in an i64,
    /// otherwise `BigInt` with leading zeros removed. Text that is not an integer gives `Nil`.
    pub fn big_int(text: &str) -> Edn {
        if let Ok(i) = text.parse::<i64>() {
            return Edn::Int(i);
        }
        let (sign, digits) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text.strip_prefix('+').unwrap_or(text)),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Edn::Nil;
        }
        let digits = digits.trim_start_matches('0');
        Edn::BigInt(format!("{sign}{digits}").into())
    }

    /// Like `from_json`, but an object's own keys become keywords (`{:type "echo_ok", ...}`), as
    /// Maelstrom does for message bodies.
    pub fn from_json_body(value: &serde_json::Value) -> Edn {
        match value {
            serde_json::Value::Object(map) => Edn::Map(
                map.iter()
                    .map(|(k, v)| (Edn::kw_or_str(k), Edn::from_json(v)))
                    .collect(),
            ),
            other => Edn::from_json(other),
        }
    }
}

/// Whether `name` prints as a keyword that reads back as itself: ASCII letters, digits and
/// `*+!-_?<>=.$%&`, not starting with a digit (EDN's symbol characters, without `/`, `:` and
/// `#`, whose places are restricted), at most 200 bytes.
pub fn is_keyword_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let symbol_char = |c: char| c.is_ascii_alphanumeric() || "*+!-_?<>=.$%&".contains(c);
    name.len() <= 200 && symbol_char(first) && !first.is_ascii_digit() && chars.all(symbol_char)
}

/// Column limit of the pretty printer: Jepsen prints results with fipp's default width, 70.
const WIDTH: usize = 70;

/// Prints `value` the way Jepsen prints `results.edn` (fipp's `pprint`, width 70): a collection
/// that fits in what is left of the line is printed on one line; otherwise each map entry or
/// element goes on its own line, aligned under the first one (`{:a 1,\n :b 2}`). Ends with "\n".
pub fn pretty(value: &Edn) -> String {
    pretty_abbreviated(value, usize::MAX)
}

/// `pretty`, with every collection cut after `max_items` elements (or map entries) and the rest
/// counted, `(0 1 2 ... +1180 more)`, as Clojure's `*print-length*` cuts with `...`: for the
/// console, where a list of a thousand elements buries the verdict. The text is no longer EDN
/// once something was cut; `results.edn` is printed whole.
pub fn pretty_abbreviated(value: &Edn, max_items: usize) -> String {
    let mut out = String::new();
    let mut column = 0;
    write_pretty(value, &mut out, &mut column, max_items);
    out.push('\n');
    out
}

/// Prints `value` on one line, as Clojure's `pr-str` does (`{:a 1, :b [1 2]}`): for history lines.
pub fn compact(value: &Edn) -> String {
    let mut out = String::new();
    write_flat(value, &mut out, usize::MAX);
    out
}

/// The number of columns `text` takes, counted like Java's `String.length()` (UTF-16 units),
/// which is what fipp measures.
fn columns(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The first `max_items` of `items`, and the text that stands for the rest (`... +12 more`), if
/// any were cut.
fn shown<T>(items: &[T], max_items: usize) -> (&[T], Option<String>) {
    if items.len() <= max_items {
        (items, None)
    } else {
        let hidden = items.len() - max_items;
        (&items[..max_items], Some(format!("... +{hidden} more")))
    }
}

/// `shown` for map entries: a map keyed by keywords is a record (`{:valid? .., :lost ..}`, nodes)
/// and is never cut; a map keyed by data (`:duplicated {0 3, 1 2, ...}`) is.
fn shown_entries(entries: &[(Edn, Edn)], max_items: usize) -> (&[(Edn, Edn)], Option<String>) {
    if entries.iter().all(|(k, _)| matches!(k, Edn::Keyword(_))) {
        (entries, None)
    } else {
        shown(entries, max_items)
    }
}

/// The flat width of `value`, or `None` as soon as it exceeds `limit` (fipp's bounded
/// look-ahead: deciding whether a group fits never needs to measure past the line end, which
/// keeps pretty printing linear).
fn flat_width(value: &Edn, limit: usize, max_items: usize) -> Option<usize> {
    let (open, close, items): (&str, &str, &[Edn]) = match value {
        Edn::List(items) => ("(", ")", items),
        Edn::Vector(items) => ("[", "]", items),
        Edn::Set(items) => ("#{", "}", items),
        Edn::Map(entries) => {
            let (entries, rest) = shown_entries(entries, max_items);
            let mut width = 2;
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    width += 2;
                }
                width += flat_width(k, limit.checked_sub(width)?, max_items)? + 1;
                width += flat_width(v, limit.checked_sub(width)?, max_items)?;
                if width > limit {
                    return None;
                }
            }
            if let Some(rest) = rest {
                width += 2 + columns(&rest);
            }
            return (width <= limit).then_some(width);
        }
        scalar => {
            let mut text = String::new();
            write_flat(scalar, &mut text, max_items);
            let width = columns(&text);
            return (width <= limit).then_some(width);
        }
    };
    let (items, rest) = shown(items, max_items);
    let mut width = open.len() + close.len();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            width += 1;
        }
        width += flat_width(item, limit.checked_sub(width)?, max_items)?;
        if width > limit {
            return None;
        }
    }
    if let Some(rest) = rest {
        width += 1 + columns(&rest);
    }
    (width <= limit).then_some(width)
}

/// Pretty-prints `value` starting at `column`, leaving `column` where the output ends.
fn write_pretty(value: &Edn, out: &mut String, column: &mut usize, max_items: usize) {
    let fits = WIDTH
        .checked_sub(*column)
        .and_then(|room| flat_width(value, room, max_items))
        .is_some();
    let (open, close, items) = match value {
        _ if fits => {
            let mut text = String::new();
            write_flat(value, &mut text, max_items);
            *column += columns(&text);
            out.push_str(&text);
            return;
        }
        Edn::List(items) => ("(", ")", items),
        Edn::Vector(items) => ("[", "]", items),
        Edn::Set(items) => ("#{", "}", items),
        Edn::Map(entries) => {
            let (entries, rest) = shown_entries(entries, max_items);
            out.push('{');
            *column += 1;
            let indent = *column;
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                    out.push_str(&" ".repeat(indent));
                    *column = indent;
                }
                write_pretty(k, out, column, max_items);
                out.push(' ');
                *column += 1;
                write_pretty(v, out, column, max_items);
            }
            if let Some(rest) = rest {
                out.push_str(",\n");
                out.push_str(&" ".repeat(indent));
                out.push_str(&rest);
                *column = indent + columns(&rest);
            }
            out.push('}');
            *column += 1;
            return;
        }
        // A scalar wider than the line: nothing to break.
        scalar => {
            let mut text = String::new();
            write_flat(scalar, &mut text, max_items);
            *column += columns(&text);
            out.push_str(&text);
            return;
        }
    };
    let (items, rest) = shown(items, max_items);
    out.push_str(open);
    *column += open.len();
    let indent = *column;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            *column = indent;
        }
        write_pretty(item, out, column, max_items);
    }
    if let Some(rest) = rest {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(&rest);
        *column = indent + columns(&rest);
    }
    out.push_str(close);
    *column += close.len();
}

/// Appends the one-line form of `value`.
fn write_flat(value: &Edn, out: &mut String, max_items: usize) {
    match value {
        Edn::Nil => out.push_str("nil"),
        Edn::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Edn::Int(i) => out.push_str(&i.to_string()),
        Edn::BigInt(digits) => {
            out.push_str(digits);
            out.push('N');
        }
        Edn::Float(x) => out.push_str(&edn_number(*x)),
        Edn::Float32(x) => out.push_str(&edn_number(*x)),
        Edn::Str(s) => write_string(s, out),
        Edn::Keyword(name) => {
            out.push(':');
            out.push_str(name);
        }
        Edn::List(items) => write_seq("(", ")", items, out, max_items),
        Edn::Vector(items) => write_seq("[", "]", items, out, max_items),
        Edn::Set(items) => write_seq("#{", "}", items, out, max_items),
        Edn::Map(entries) => {
            let (entries, rest) = shown_entries(entries, max_items);
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flat(k, out, max_items);
                out.push(' ');
                write_flat(v, out, max_items);
            }
            if let Some(rest) = rest {
                out.push_str(", ");
                out.push_str(&rest);
            }
            out.push('}');
        }
    }
}

fn write_seq(open: &str, close: &str, items: &[Edn], out: &mut String, max_items: usize) {
    let (items, rest) = shown(items, max_items);
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_flat(item, out, max_items);
    }
    if let Some(rest) = rest {
        out.push(' ');
        out.push_str(&rest);
    }
    out.push_str(close);
}

/// A string as Clojure's `pr` writes it: quotes, backslashes and the five named control
/// characters escaped, everything else (including non-ASCII) as is.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '\u{8}' => out.push_str("\\b"),
            // Clojure prints other control characters raw; escaped (`\u001b`, which its reader
            // reads back the same) they cannot restyle a terminal showing the results.
            other if other.is_control() => out.push_str(&format!("\\u{:04x}", other as u32)),
            other => out.push(other),
        }
    }
    out.push('"');
}

/// A double (f64) or float (f32) as Clojure prints it: Java's `Double.toString` or
/// `Float.toString` (shortest digits that read back as the same type), with EDN's
/// `##NaN`/`##Inf`.
fn edn_number<T: Copy + Into<f64> + std::fmt::LowerExp>(x: T) -> String {
    // Widening f32 to f64 is exact, so the tests below see the value itself.
    let wide: f64 = x.into();
    if wide.is_nan() {
        "##NaN".to_string()
    } else if wide.is_infinite() {
        if wide > 0.0 { "##Inf" } else { "##-Inf" }.to_string()
    } else {
        // `{:e}` of `x` (not `wide`) gives the digits shortest for x's own type.
        let scientific = format!("{x:e}");
        java_float_text(
            wide.is_sign_negative(),
            scientific.trim_start_matches('-'),
            wide.abs() >= 1e7 || (wide != 0.0 && wide.abs() < 1e-3),
        )
    }
}

/// Builds Java's text from Rust's shortest scientific form (`"1.2345e3"`): plain decimal with at
/// least one fractional digit (`1234.5`, `1.0`, `0.001`), or `d.dddE<exp>` (`1.0E7`, `1.0E-4`)
/// outside [1e-3, 1e7).
fn java_float_text(negative: bool, scientific: &str, use_exponent: bool) -> String {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    if use_exponent {
        text.push_str(&digits[..1]);
        text.push('.');
        text.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        text.push('E');
        text.push_str(&exponent.to_string());
    } else if exponent >= 0 {
        let int_len = exponent as usize + 1;
        if digits.len() > int_len {
            text.push_str(&digits[..int_len]);
            text.push('.');
            text.push_str(&digits[int_len..]);
        } else {
            text.push_str(&digits);
            text.push_str(&"0".repeat(int_len - digits.len()));
            text.push_str(".0");
        }
    } else {
        text.push_str("0.");
        text.push_str(&"0".repeat((-exponent - 1) as usize));
        text.push_str(&digits);
    }
    text
}

/// The decimal text of a JSON number that is an integer (no fraction, no exponent), whatever
/// its size: with `arbitrary_precision` a number keeps the text the node wrote. `None` for
/// `1.0`, `1e3` and the like, which Maelstrom's schemas do not count as integers either.
pub fn json_integer_text(n: &serde_json::Number) -> Option<String> {
    if n.is_i64() || n.is_u64() {
        return Some(n.to_string());
    }
    let text = n.to_string();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

/// True for a JSON integer of any size (Maelstrom's `s/Int`); `1.0` is not one.
pub fn is_json_integer(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => json_integer_text(n).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nesting past MAX_DEPTH is an error naming the limit, not a stack overflow; nesting up
    /// to it reads.
    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let error = parse(&deep).expect_err("too deep");
        assert!(error.contains("nested deeper than 512 levels"), "{error}");
        let tags = format!("{}1", "#{".repeat(10_000));
        assert!(parse(&tags).is_err());
        let fine = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert!(parse(&fine).is_ok());
    }

    /// Body keys a node chose become keywords only when they read back as keywords: the
    /// printed body reads back as the same value.
    #[test]
    fn body_keys_that_are_no_keyword_stay_strings() {
        let body =
            serde_json::json!({"type": "echo", "a b": 1, "x\ny": 2, "1st": 3, "": 4, "ok?": 5});
        let edn = Edn::from_json_body(&body);
        let printed = pretty(&edn);
        assert_eq!(parse(&printed), Ok(edn.clone()), "{printed}");
        assert_eq!(edn.get("type"), Some(&Edn::str("echo")));
        assert_eq!(edn.get("ok?"), Some(&Edn::Int(5)));
        assert!(printed.contains("\"a b\" 1"), "{printed}");
        assert!(printed.contains("\"1st\" 3"), "{printed}");
        assert!(
            !is_keyword_name("a:b") && !is_keyword_name("#x") && is_keyword_name("in_reply_to")
        );
    }

    /// Parses test input, failing the test with the reader's message.
    fn read(text: &str) -> Edn {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Float32 reads back as a Float with the same printed digits; compare them that way.
    fn normalized(value: &Edn) -> Edn {
        match value {
            Edn::Float32(x) => Edn::Float(edn_number(*x).parse().unwrap_or(f64::NAN)),
            Edn::List(items) => Edn::List(items.iter().map(normalized).collect()),
            Edn::Vector(items) => Edn::Vector(items.iter().map(normalized).collect()),
            Edn::Set(items) => Edn::Set(items.iter().map(normalized).collect()),
            Edn::Map(entries) => Edn::Map(
                entries
                    .iter()
                    .map(|(k, v)| (normalized(k), normalized(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Abbreviated printing cuts long collections and counts the rest, on one line or broken;
    /// short ones, maps keyed by keywords and `pretty` are untouched.
    #[test]
    fn abbreviated_collections_count_what_was_cut() {
        let ints = |n: i64| Edn::List((0..n).map(Edn::Int).collect());
        let value = Edn::map([
            ("stale", ints(1000)),
            ("lost", ints(3)),
            (
                "dup",
                Edn::Map((0..5).map(|i| (Edn::Int(i), Edn::Int(2))).collect()),
            ),
            ("a", Edn::kw("b")),
            ("c", Edn::kw("d")),
        ]);
        assert_eq!(
            pretty_abbreviated(&value, 4),
            "{:stale (0 1 2 3 ... +996 more),\n :lost (0 1 2),\n :dup {0 2, 1 2, 2 2, 3 2, ... +1 more},\n :a :b,\n :c :d}\n"
        );
        let long = Edn::map([(
            "errors",
            Edn::Vector(
                (0..5)
                    .map(|i| Edn::Str(format!("{i}: {}", "x".repeat(40)).into()))
                    .collect(),
            ),
        )]);
        let x = "x".repeat(40);
        assert_eq!(
            pretty_abbreviated(&long, 2),
            format!("{{:errors [\"0: {x}\"\n          \"1: {x}\"\n          ... +3 more]}}\n")
        );
        assert_eq!(pretty(&value).lines().count(), 1000 + 4);
    }

    /// Doubles print like Java's Double.toString.
    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (9999999.0, "9999999.0"),
            (1e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.5e-7, "1.5E-7"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "##NaN"),
            (f64::NEG_INFINITY, "##-Inf"),
        ];
        for (x, text) in cases {
            assert_eq!(compact(&Edn::Float(x)), text, "printing {x:?}");
        }
    }

    /// Floats (f32) print the shortest digits that read back as the same f32.
    #[test]
    fn floats_print_like_java() {
        let cases = [
            (4040.0f32 / 206.0, "19.61165"),
            ((4472.0f64 / 206.0) as f32, "21.708738"),
            (2.0 / 3.0, "0.6666667"),
            (1.0, "1.0"),
            (1e7, "1.0E7"),
            (0.1, "0.1"),
        ];
        for (x, text) in cases {
            assert_eq!(compact(&Edn::Float32(x)), text, "printing {x:?}");
        }
    }

    /// Strings escape quotes, backslashes and control characters like Clojure's pr, and the
    /// control characters Clojure prints raw as `\uXXXX` (which read back the same).
    #[test]
    fn strings_escape_like_clojure() {
        let s = Edn::str("say \"hi\"\\\n\ttab\r\u{c}\u{8} ヽ");
        assert_eq!(compact(&s), r#""say \"hi\"\\\n\ttab\r\f\b ヽ""#);
        assert_eq!(read(&compact(&s)), s);
        assert_eq!(read(r#""\u0041""#), Edn::str("A"));
        let evil = Edn::str("\u{1b}[2J\u{7}\u{0}");
        assert_eq!(compact(&evil), r#""\u001b[2J\u0007\u0000""#);
        assert_eq!(read(&compact(&evil)), evil);
    }

    /// Every kind of value survives pretty and compact printing and reading back.
    #[test]
    fn round_trips_through_the_reader() {
        let value = Edn::map([
            ("valid?", Edn::kw("unknown")),
            ("nil", Edn::Nil),
            (
                "bools",
                Edn::Vector(vec![Edn::Bool(true), Edn::Bool(false)].into()),
            ),
            (
                "ints",
                Edn::List(vec![Edn::Int(-3), Edn::Int(0), Edn::Int(i64::MAX)].into()),
            ),
            (
                "floats",
                Edn::Vector(
                    vec![Edn::Float(-0.125), Edn::Float(1e21), Edn::Float32(19.61165)].into(),
                ),
            ),
            ("set", Edn::Set(vec![Edn::str("n3"), Edn::str("n4")].into())),
            (
                "empty",
                Edn::Vector(
                    vec![
                        Edn::List(vec![].into()),
                        Edn::Map(vec![].into()),
                        Edn::Set(vec![].into()),
                    ]
                    .into(),
                ),
            ),
            ("text", Edn::str("line\n\"quoted\" \\ done")),
            (
                "nested",
                Edn::Map(
                    vec![(
                        Edn::str("n0"),
                        Edn::map([("deep", Edn::Vector((0..40).map(Edn::Int).collect()))]),
                    )]
                    .into(),
                ),
            ),
        ]);
        let pretty_text = pretty(&value);
        assert!(pretty_text.ends_with("}\n"));
        assert!(
            pretty_text.lines().count() > 5,
            "should break lines:\n{pretty_text}"
        );
        assert_eq!(read(&pretty_text), normalized(&value));
        assert_eq!(read(&compact(&value)), normalized(&value));
    }

    /// fipp's layout: a collection that fits stays on one line; otherwise one item per line,
    /// aligned after the opening bracket (checked against Maelstrom's own docs).
    #[test]
    fn pretty_layout_matches_fipp() {
        let docs = "{:perf {:latency-graph {:valid? true},
        :rate-graph {:valid? true},
        :valid? true},
 :timeline {:valid? true},
 :exceptions {:valid? true},
 :stats {:valid? true,
         :count 12,
         :ok-count 12,
         :fail-count 0,
         :info-count 0,
         :by-f {:echo {:valid? true,
                       :count 12,
                       :ok-count 12,
                       :fail-count 0,
                       :info-count 0}}},
 :net {:stats {:all {:send-count 26, :recv-count 26, :msg-count 26},
               :clients {:send-count 26,
                         :recv-count 26,
                         :msg-count 26},
               :servers {:send-count 0, :recv-count 0, :msg-count 0}},
       :valid? true},
 :workload {:valid? true, :errors ()},
 :valid? true}
";
        assert_eq!(pretty(&read(docs)), docs);
        let long_vector = Edn::Vector((100..130).map(Edn::Int).collect());
        let text = pretty(&Edn::map([("xs", long_vector)]));
        assert!(
            text.starts_with("{:xs [100\n      101\n      102\n"),
            "{text}"
        );
        assert_eq!(pretty(&Edn::List(vec![].into())), "()\n");
        assert_eq!(
            pretty(&Edn::Set(vec![Edn::Int(1), Edn::Int(2)].into())),
            "#{1 2}\n"
        );
    }

    /// A map with a key twice, or a set with an element twice, is refused naming it, as
    /// Clojure's reader refuses them, in small and large collections alike.
    #[test]
    fn reader_refuses_duplicate_keys() {
        let e = parse("{:workload :lin-kv, :nodes [], :workload :echo}").unwrap_err();
        assert!(e.contains("a map holds the key :workload twice"), "{e}");
        let e = parse("#{1 2 1}").unwrap_err();
        assert!(e.contains("a set holds 1 twice"), "{e}");
        let big: String = (0..100).map(|i| format!("\"k{i}\" {i} ")).collect();
        assert!(parse(&format!("{{{big}}}")).is_ok());
        let e = parse(&format!("{{{big} \"k42\" 0}}")).unwrap_err();
        assert!(e.contains("the key \"k42\" twice"), "{e}");
        // Equal-looking values of different kinds are different keys, as in Clojure.
        assert!(parse("{1 :a, 1.0 :b, \"1\" :c, :a 1, \"a\" 2}").is_ok());
    }

    /// The reader reports what is wrong and where instead of panicking.
    #[test]
    fn reader_errors_are_clear() {
        assert_eq!(
            parse("{:a 1"),
            Err("EDN: missing closing '}' at byte 5 (before \"\")".to_string())
        );
        assert!(parse("{:a}").is_err_and(|e| e.contains("odd number")));
        assert!(parse("[1 2] 3").is_err_and(|e| e.contains("after the EDN value")));
        assert!(parse("\"abc").is_err_and(|e| e.contains("unterminated string")));
        assert!(parse("foo").is_err_and(|e| e.contains("unsupported symbol")));
        assert_eq!(
            read("[1, 2 ; comment\n #_ 9 -4.5e1 ##Inf]"),
            Edn::Vector(
                vec![
                    Edn::Int(1),
                    Edn::Int(2),
                    Edn::Float(-45.0),
                    Edn::Float(f64::INFINITY),
                ]
                .into()
            )
        );
    }

    /// Integers of any size stay exact from JSON to EDN and back: beyond 2^63 they print with
    /// Clojure's `N`, read back equal, and neighbours stay distinct.
    #[test]
    fn big_integers_are_exact() {
        let json: serde_json::Value = serde_json::from_str(
            r#"[9223372036854775807, 9223372036854775808, 9223372036854775809,
                18446744073709551616, -9223372036854775809, 123456789012345678901234567890, 1.5]"#,
        )
        .expect("json");
        let edn = Edn::from_json(&json);
        assert_eq!(
            compact(&edn),
            "[9223372036854775807 9223372036854775808N 9223372036854775809N \
             18446744073709551616N -9223372036854775809N 123456789012345678901234567890N 1.5]"
        );
        assert_eq!(parse(&compact(&edn)), Ok(edn));
        assert_eq!(parse("5N"), Ok(Edn::Int(5)));
        assert!(is_json_integer(&json[3]) && !is_json_integer(&json[6]));
    }
}
