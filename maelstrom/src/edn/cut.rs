//! Bounded prints of a value: its printed length without printing it ([`compact_len`], what a
//! value costs in `history.edn`), a prefix with how much was cut ([`compact_cut`],
//! [`cut_text`]) and long strings cut inside a value ([`cut_strings`]), for the files a person
//! reads, where a node's value may be megabytes long (the README's deliberate differences).

use super::{compact, edn_number, write_flat, write_string, Edn};

/// The length in bytes of [`compact`]`(value)`, counted without building the text: what a
/// value costs in `history.edn` (the run folder's budget, `budget.rs`).
pub fn compact_len(value: &Edn) -> usize {
    let seq = |items: &[Edn]| -> usize {
        items.iter().map(compact_len).sum::<usize>() + items.len().saturating_sub(1)
    };
    match value {
        Edn::Nil => 3,
        Edn::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Edn::Int(i) => {
            let digits = i
                .unsigned_abs()
                .checked_ilog10()
                .map_or(1, |d| d as usize + 1);
            digits + usize::from(*i < 0)
        }
        Edn::BigInt(digits) => digits.len() + 1,
        Edn::Float(x) => edn_number(*x).len(),
        Edn::Float32(x) => edn_number(*x).len(),
        Edn::Str(s) => 2 + escaped_len(s),
        Edn::Keyword(name) => name.len() + 1,
        Edn::List(items) | Edn::Vector(items) => 2 + seq(items),
        Edn::Set(items) => 3 + seq(items),
        Edn::Map(entries) => {
            let pairs: usize = entries
                .iter()
                .map(|(k, v)| compact_len(k) + 1 + compact_len(v))
                .sum();
            2 + pairs + 2 * entries.len().saturating_sub(1)
        }
    }
}

/// How many values `value` is made of: 1 for a scalar, 1 plus its items' for a collection
/// (a map counts its keys and values): what the runner holds in memory grows with it.
pub fn value_count(value: &Edn) -> usize {
    match value {
        Edn::List(items) | Edn::Vector(items) | Edn::Set(items) => {
            1 + items.iter().map(value_count).sum::<usize>()
        }
        Edn::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| value_count(k) + value_count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// How many bytes [`write_string`] writes for the characters of `s` (quotes aside), counted on
/// bytes, which is several times faster than on characters for the megabyte strings a node
/// may send: the named escapes (`\\n`, `\\"`) add one byte, other control characters
/// (U+0000-U+001F, U+007F, and U+0080-U+009F, two bytes in UTF-8 starting 0xC2) become six.
fn escaped_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut extra = 0;
    for (i, &b) in bytes.iter().enumerate() {
        extra += match b {
            b'"' | b'\\' | b'\n' | b'\t' | b'\r' | 0x0c | 0x08 => 1,
            0x00..=0x1f | 0x7f => 5,
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => 4,
            _ => 0,
        };
    }
    s.len() + extra
}

/// [`compact`], cut to at most `max` bytes (on a character boundary) when it is longer, with
/// how much was cut: `[1 2 3 ... [2998976 more bytes cut, 3000000 in all]`. For the files a
/// person reads (`history.txt`, the views), which keep a bounded prefix of a value a node may
/// have made megabytes long; `history.edn` keeps it whole. Only about `max` bytes are printed.
pub fn compact_cut(value: &Edn, max: usize) -> String {
    let len = compact_len(value);
    if len <= max {
        return compact(value);
    }
    let mut out = String::new();
    write_flat_until(value, &mut out, max);
    cut_note(&out, len, max)
}

/// `text` (a whole printed value, or a prefix at least `max` long of one `len` bytes long)
/// cut to `max` bytes, with the note [`compact_cut`] adds; `text` itself when `len <= max`.
pub fn cut_text(text: &str, len: usize, max: usize) -> String {
    if len <= max {
        return text.to_string();
    }
    cut_note(text, len, max)
}

fn cut_note(text: &str, len: usize, max: usize) -> String {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}... [{} more bytes cut, {len} in all]",
        &text[..end],
        len - end
    )
}

/// Appends [`write_flat`]'s text of `value` until `out` holds at least `limit` bytes (or the
/// whole text, if shorter): a collection stops at the item that reaches it, a string is
/// escaped only as far as it.
fn write_flat_until(value: &Edn, out: &mut String, limit: usize) {
    let seq = |open: &str, close: &str, items: &[Edn], out: &mut String| {
        out.push_str(open);
        for (i, item) in items.iter().enumerate() {
            if out.len() >= limit {
                return;
            }
            if i > 0 {
                out.push(' ');
            }
            write_flat_until(item, out, limit);
        }
        out.push_str(close);
    };
    match value {
        Edn::List(items) => seq("(", ")", items, out),
        Edn::Vector(items) => seq("[", "]", items, out),
        Edn::Set(items) => seq("#{", "}", items, out),
        Edn::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if out.len() >= limit {
                    return;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write_flat_until(k, out, limit);
                out.push(' ');
                write_flat_until(v, out, limit);
            }
            out.push('}');
        }
        Edn::Str(s) => {
            // Each character escapes to at most 6 bytes: this much of the string is enough.
            let mut end = (limit.saturating_sub(out.len()) + 1).min(s.len());
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            write_string(&s[..end], out);
        }
        scalar => write_flat(scalar, out, usize::MAX),
    }
}

/// `value` with every string longer than `max` bytes cut as [`cut_text`] cuts it: for the
/// printed results (console, `jepsen.log`, the run page), where an error text quoting a
/// node's huge reply would bury the verdict. `results.edn` keeps them whole.
pub fn cut_strings(value: &Edn, max: usize) -> Edn {
    let all = |items: &[Edn]| -> Box<[Edn]> { items.iter().map(|i| cut_strings(i, max)).collect() };
    match value {
        Edn::Str(s) if s.len() > max => Edn::str(&cut_note(s, s.len(), max)),
        Edn::List(items) => Edn::List(all(items)),
        Edn::Vector(items) => Edn::Vector(all(items)),
        Edn::Set(items) => Edn::Set(all(items)),
        Edn::Map(entries) => Edn::Map(
            entries
                .iter()
                .map(|(k, v)| (cut_strings(k, max), cut_strings(v, max)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `compact_len` is the length of `compact`'s text, for every kind of value, escapes and
    /// multi-byte characters included.
    #[test]
    fn compact_len_is_the_printed_length() {
        let values = [
            Edn::Nil,
            Edn::Bool(false),
            Edn::Int(0),
            Edn::Int(-1234),
            Edn::Int(i64::MIN),
            Edn::big_int("18446744073709551616"),
            Edn::Float(0.5),
            Edn::Float(1e7),
            Edn::Float32(19.61165),
            Edn::str("a\"b\\c\n\u{1b}é\u{7f}\u{85}\u{c}\u{8}\r\t\u{a0}"),
            Edn::kw("valid?"),
            Edn::List(vec![Edn::Int(1), Edn::Nil].into()),
            Edn::Set(vec![Edn::Int(1), Edn::Int(22)].into()),
            Edn::map([("a", Edn::Vector(vec![].into())), ("bb", Edn::Int(2))]),
            Edn::Map(vec![(Edn::Int(1), Edn::str("x")), (Edn::Int(2), Edn::str("y"))].into()),
        ];
        for value in values {
            assert_eq!(compact_len(&value), compact(&value).len(), "{value:?}");
        }
    }

    /// A value longer than the limit keeps a prefix of its text and says how much was cut;
    /// a shorter one is printed whole; a long string inside results is cut the same way.
    #[test]
    fn long_values_keep_a_prefix_and_say_so() {
        let read = Edn::Vector((0..400_000).map(Edn::Int).collect());
        let whole = compact(&read);
        let cut = compact_cut(&read, 100);
        assert!(cut.starts_with(&whole[..100]), "{cut}");
        assert!(
            cut.ends_with(&format!(
                "... [{} more bytes cut, {} in all]",
                whole.len() - 100,
                whole.len()
            )),
            "{cut}"
        );
        assert!(cut.len() < 160, "{}", cut.len());
        assert_eq!(compact_cut(&Edn::Int(7), 100), "7");
        let id = Edn::str(&format!("n0-1-{}", "é".repeat(1 << 20)));
        let cut = compact_cut(&id, 50);
        assert!(cut.starts_with("\"n0-1-éé"), "{cut}");
        assert!(cut.contains(" more bytes cut, 2097159 in all]"), "{cut}");
        let results = Edn::map([("error", id), ("valid?", Edn::Bool(true))]);
        let printed = compact(&cut_strings(&results, 20));
        assert!(printed.len() < 100, "{printed}");
        assert!(printed.contains("more bytes cut"), "{printed}");
    }
}
