//! Views: the files a person opens to see what happened in a run, drawn after analysis into the
//! run's folder, as Jepsen's and Maelstrom's checkers draw them (spec 4.7, 9.2).
//!
//! - `timeline`: `timeline.html`, ops per process (Jepsen's `checker/timeline.clj`).
//! - `perf`: `latency-raw.png`, `latency-quantiles.png`, `rate.png` (Jepsen's
//!   `checker/perf.clj`), drawn with plotters and a bundled font: no gnuplot, no system fonts.
//! - `messages`: `messages.svg`, the Lamport diagram of the network journal (Maelstrom's
//!   `src/maelstrom/net/viz.clj`), split into windows with an index so a whole run stays usable.
//!
//! Each view is a pure function of the history (and the journal) that writes its files. A view
//! that fails is reported in the results' `:views` entry and never changes the verdict: Jepsen's
//! graphs turning `:unknown` without gnuplot is a trap we do not copy.

pub mod messages;
pub mod perf;
pub mod timeline;

use std::path::Path;
use std::time::Instant;

use crate::edn::Edn;
use crate::history::{History, OpType, Process};
use crate::journal::Event;

/// Nemesis activity: `(start, end)` in nanoseconds on the history's clock, from the first
/// `start-partition` op to the last `stop-partition` op after it (each fault is logged by an
/// op before and an op after it is applied). A partition never healed lasts to the last op.
pub fn nemesis_spans(history: &History) -> Vec<(u64, u64)> {
    let mut spans = Vec::new();
    let mut open: Option<u64> = None;
    let mut last_stop: Option<(u64, u64)> = None;
    for op in history.iter().filter(|op| op.process == Process::Nemesis) {
        match op.f.as_str() {
            "start-partition" => {
                if let Some(span) = last_stop.take() {
                    spans.push(span);
                }
                open.get_or_insert(op.time);
            }
            "stop-partition" => {
                if let Some(start) = open.take() {
                    last_stop = Some((start, op.time));
                } else if let Some((start, _)) = last_stop {
                    // The second op of a heal pair moves the end of the span.
                    last_stop = Some((start, op.time));
                }
            }
            _ => {}
        }
    }
    spans.extend(last_stop);
    if let Some(start) = open {
        let end = history.last().map_or(start, |op| op.time.max(start));
        spans.push((start, end));
    }
    spans
}

/// The colour Jepsen gives each op type in its timeline and perf plots.
pub fn type_color(t: OpType) -> &'static str {
    match t {
        OpType::Invoke => "#eeeeee",
        OpType::Ok => "#6DB6FE",
        OpType::Info => "#FFAA26",
        OpType::Fail => "#FEB5DA",
    }
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes every view into `dir` and returns the results map's `:views` entry:
/// `{:dir "<dir>", :files [<written, in order>], :errors {<file> "<why>"}, :ms <drawing time>}`
/// (`:errors` only when a view failed).
pub fn write_all(dir: &Path, history: &History, journal: &[Event]) -> Edn {
    let started = Instant::now();
    let mut files: Vec<String> = Vec::new();
    let mut errors: Vec<(Edn, Edn)> = Vec::new();
    let mut outcome = |result: Result<Vec<String>, (String, String)>| match result {
        Ok(written) => files.extend(written),
        Err((file, why)) => errors.push((Edn::str(&file), Edn::str(&why))),
    };
    outcome(timeline::write(dir, history).map_err(|e| ("timeline.html".into(), e)));
    for plot in perf::PLOTS {
        outcome(perf::write(dir, history, plot).map(|f| vec![f]));
    }
    outcome(messages::write(dir, journal).map_err(|e| ("messages.svg".into(), e)));
    let mut entries = vec![
        ("dir", Edn::str(&dir.display().to_string())),
        (
            "files",
            Edn::Vector(files.iter().map(|f| Edn::str(f)).collect()),
        ),
    ];
    if !errors.is_empty() {
        entries.push(("errors", Edn::Map(errors)));
    }
    entries.push(("ms", Edn::Int(started.elapsed().as_millis() as i64)));
    Edn::map(entries)
}

/// The results map with `:views` added just before `:valid?` (which stays last, as Jepsen
/// prints it). Anything but a map comes back unchanged.
pub fn add_to_results(results: Edn, views: Edn) -> Edn {
    match results {
        Edn::Map(mut entries) => {
            let at = entries
                .iter()
                .position(|(k, _)| *k == Edn::kw("valid?"))
                .unwrap_or(entries.len());
            entries.insert(at, (Edn::kw("views"), views));
            Edn::Map(entries)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Op;

    fn nemesis(time_ms: u64, f: &str) -> Op {
        let mut op = Op::new(OpType::Info, Process::Nemesis, f, Edn::Nil);
        op.time = time_ms * 1_000_000;
        op
    }

    fn client(time_ms: u64) -> Op {
        let mut op = Op::new(OpType::Invoke, Process::Client(0), "read", Edn::Nil);
        op.time = time_ms * 1_000_000;
        op
    }

    /// Each start/stop pair of pairs is one span from the first start to the last stop; a
    /// partition left open lasts to the end of the history.
    #[test]
    fn spans_of_partitions() {
        let ms = |a: u64, b: u64| (a * 1_000_000, b * 1_000_000);
        let history = vec![
            client(0),
            nemesis(100, "start-partition"),
            nemesis(101, "start-partition"),
            client(150),
            nemesis(300, "stop-partition"),
            nemesis(302, "stop-partition"),
            nemesis(500, "start-partition"),
            nemesis(501, "start-partition"),
            client(900),
        ];
        assert_eq!(nemesis_spans(&history), [ms(100, 302), ms(500, 900)]);
        assert!(nemesis_spans(&vec![client(0), client(5)]).is_empty());
    }

    /// `:views` goes just before `:valid?`.
    #[test]
    fn views_go_before_valid() {
        let results = Edn::map([("net", Edn::Nil), ("valid?", Edn::Bool(true))]);
        let with = add_to_results(results, Edn::Int(1));
        assert_eq!(
            with,
            Edn::map([
                ("net", Edn::Nil),
                ("views", Edn::Int(1)),
                ("valid?", Edn::Bool(true))
            ])
        );
    }
}
