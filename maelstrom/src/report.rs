//! Printing the results map, the verdict line and the exit code (`jepsen.cli`, `doc/results.md`).
//!
//! Jepsen logs the pretty-printed results map, then (only if the map has a top-level `:error`)
//! two newlines and that error, then two newlines and exactly one verdict line. Tests and users
//! grep for these verdict lines, so they are copied byte for byte. Unlike Jepsen, long collections
//! in the printed map are cut (the file keeps them), and a short summary comes before the verdict.

use crate::edn::{compact, pretty_abbreviated, Edn};

/// The overall `:valid?` of a results map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    True,
    Unknown,
    False,
}

/// Reads `:valid?`: `true`, `false`, and anything else (`:unknown`, missing) as unknown.
pub fn validity(results: &Edn) -> Validity {
    match results.get("valid?") {
        Some(Edn::Bool(true)) => Validity::True,
        Some(Edn::Bool(false)) => Validity::False,
        _ => Validity::Unknown,
    }
}

/// Jepsen's verdict lines, exactly.
pub fn verdict_line(v: Validity) -> &'static str {
    match v {
        Validity::True => "Everything looks good! ヽ(‘ー`)ノ",
        Validity::False => "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻",
        Validity::Unknown => "Errors occurred during analysis, but no anomalies found. ಠ~ಠ",
    }
}

/// 0 when valid, 1 when invalid, 2 when unknown.
pub fn exit_code(v: Validity) -> i32 {
    match v {
        Validity::True => 0,
        Validity::False => 1,
        Validity::Unknown => 2,
    }
}

/// How many elements of a collection the printed results show; the rest are counted
/// (`(0 1 2 ... +1180 more)`). `results.edn` keeps them all.
pub const PRINTED_ITEMS: usize = 10;

/// The most of a string the printed results show (bytes; ours): an error text quoting a
/// node's reply of megabytes is cut, saying how much was (`edn::cut_strings`). `results.edn`
/// and the history keep it whole.
pub const PRINTED_STRING_BYTES: usize = 1_000;

/// The text printed at the end of a test: the pretty map (ending in a newline) with long
/// collections cut to `PRINTED_ITEMS`, the top-level `:error` if any, then a blank line pair,
/// `summary` (see `summary.rs`; ours, Maelstrom has none) and, after one more blank line if there
/// was one, the verdict line with its newline.
pub fn render(results: &Edn, summary: &str) -> String {
    let mut text = pretty_abbreviated(
        &crate::edn::cut_strings(results, PRINTED_STRING_BYTES),
        PRINTED_ITEMS,
    );
    if let Some(error) = results.get("error") {
        text.push_str("\n\n");
        match error {
            Edn::Str(s) => text.push_str(&crate::edn::cut_text(s, s.len(), PRINTED_STRING_BYTES)),
            other => text.push_str(&compact(other)),
        }
    }
    text.push_str("\n\n");
    if !summary.is_empty() {
        text.push_str(summary);
        text.push('\n');
    }
    text.push_str(verdict_line(validity(results)));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A huge string in the results (an error quoting a node's reply) is cut in the printed
    /// results, saying how much was.
    #[test]
    fn huge_strings_are_cut() {
        let results = Edn::map([
            ("error", Edn::str(&"e".repeat(1 << 20))),
            ("valid?", Edn::kw("unknown")),
        ]);
        let text = render(&results, "");
        assert!(
            text.len() < 4 * PRINTED_STRING_BYTES,
            "{} bytes",
            text.len()
        );
        assert_eq!(text.matches("more bytes cut").count(), 2, "{text}");
    }

    /// A long list is cut in the printed results, with a count of the rest.
    #[test]
    fn long_lists_are_cut() {
        let stale = Edn::List((0..1000).map(Edn::Int).collect());
        let results = Edn::map([("stale", stale), ("valid?", Edn::Bool(true))]);
        let text = render(&results, "");
        assert!(
            text.starts_with("{:stale (0 1 2 3 4 5 6 7 8 9 ... +990 more), :valid? true}\n"),
            "{text}"
        );
    }

    /// The verdict lines are `jepsen.cli`'s, code point by code point.
    #[test]
    fn verdict_lines_are_exact() {
        assert_eq!(
            verdict_line(Validity::True),
            "Everything looks good! \u{30FD}(\u{2018}\u{30FC}`)\u{30CE}"
        );
        assert_eq!(
            verdict_line(Validity::False),
            "Analysis invalid! (\u{FF89}\u{0CA5}\u{76CA}\u{0CA5}\u{FF09}\u{FF89} \u{253B}\u{2501}\u{253B}"
        );
        assert_eq!(
            verdict_line(Validity::Unknown),
            "Errors occurred during analysis, but no anomalies found. \u{0CA0}~\u{0CA0}"
        );
    }

    /// :valid? maps to validity and exit code 0 / 1 / 2.
    #[test]
    fn validity_and_exit_codes() {
        let with = |v: Edn| Edn::map([("valid?", v)]);
        assert_eq!(validity(&with(Edn::Bool(true))), Validity::True);
        assert_eq!(validity(&with(Edn::Bool(false))), Validity::False);
        assert_eq!(validity(&with(Edn::kw("unknown"))), Validity::Unknown);
        assert_eq!(validity(&Edn::map([])), Validity::Unknown);
        assert_eq!(
            [Validity::True, Validity::False, Validity::Unknown].map(exit_code),
            [0, 1, 2]
        );
    }

    /// The map, two empty lines, the verdict; a top-level :error and the summary go between
    /// them.
    #[test]
    fn render_layout() {
        let ok = Edn::map([("valid?", Edn::Bool(true))]);
        assert_eq!(
            render(&ok, ""),
            "{:valid? true}\n\n\nEverything looks good! ヽ(‘ー`)ノ\n"
        );
        assert_eq!(
            render(&ok, "Summary:\n  valid?  true\n"),
            "{:valid? true}\n\n\nSummary:\n  valid?  true\n\nEverything looks good! ヽ(‘ー`)ノ\n"
        );
        let broken = Edn::map([("valid?", Edn::kw("unknown")), ("error", Edn::str("boom"))]);
        assert_eq!(
            render(&broken, ""),
            "{:valid? :unknown, :error \"boom\"}\n\n\nboom\n\n\
             Errors occurred during analysis, but no anomalies found. ಠ~ಠ\n"
        );
    }
}
