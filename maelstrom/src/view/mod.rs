//! Views: the files a person opens to see what happened in a run, drawn after analysis into the
//! run's folder, as Jepsen's and Maelstrom's checkers draw them (`src/maelstrom/net/viz.clj`,
//! `jepsen/checker/timeline.clj`, `jepsen/checker/perf.clj`).
//!
//! - `timeline`: `timeline.html`, ops per process (Jepsen's `checker/timeline.clj`).
//! - `perf`: `latency-raw.png`, `latency-quantiles.png`, `rate.png` (Jepsen's
//!   `checker/perf.clj`), drawn with plotters and a bundled font: no gnuplot, no system fonts;
//!   `chart` holds what the three share.
//! - `messages`: `messages.svg`, the Lamport diagram of the network journal (Maelstrom's
//!   `src/maelstrom/net/viz.clj`), split into windows with an index so a whole run stays usable.
//! - `linear`: `independent/<key>/linear.svg`, for each key a linearizability checker found
//!   not linearizable or undecided, Knossos's `linear.svg` (`src/knossos/linear/report.clj`).
//! - `run_page`: `index.html`, the run's page: verdict, summary, the whole run's Lamport diagram
//!   (interactive, drawn in the browser from `run_data`'s `run-data.js` and `run-bodies.js`),
//!   checkers, plots and links.
//!
//! Each view is a pure function of the history (and the journal) that writes its files, with
//! `store::files`'s writers and [`AtLink::Replace`](crate::store::files::AtLink::Replace): a
//! link where a view's file or folder goes (in a folder copied from elsewhere, or changed by a
//! node from its own folder `nodes/<id>/`) is replaced by the view, never written through. A view
//! that fails is reported in the results' `:views` entry and never changes the verdict: Jepsen's
//! graphs turning `:unknown` without gnuplot is a trap we do not copy.

pub mod chart;
pub mod linear;
pub mod messages;
pub mod perf;
pub mod run_data;
pub mod run_page;
pub mod timeline;

use std::path::Path;
use std::time::Instant;

use crate::edn::Edn;
use crate::history::{History, OpType, Placement, Process};
use crate::journal::Event;
use crate::nemesis::{self, Shade};
use crate::workload::extras::RunPageExtras;
use crate::workload::Workload;

/// One span of a fault's activity, in nanoseconds on the history's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultSpan {
    /// The fault's shade: its name and colour.
    pub shade: Shade,
    pub start: u64,
    pub end: u64,
}

/// Every fault's activity, by start time: for each fault of the registry (`nemesis::shades`),
/// spans from its first start op to the last stop op after it (each step is logged by an op
/// before and an op after it is applied, and a repeated start extends the span). A fault never
/// undone lasts to the last op.
pub fn fault_spans(history: &History) -> Vec<FaultSpan> {
    let mut spans: Vec<FaultSpan> = nemesis::shades()
        .flat_map(|shade| {
            spans_of(history, &shade)
                .into_iter()
                .map(move |(start, end)| FaultSpan { shade, start, end })
        })
        .collect();
    spans.sort_by_key(|s| (s.start, s.end));
    spans
}

/// The shade of the fault whose start or stop op is `f` (`start-partition`), if any.
pub fn shade_of_op(f: &str) -> Option<Shade> {
    nemesis::shades().find(|s| s.start.contains(&f) || s.stop.contains(&f))
}

/// `(start, end)` of one fault's spans.
fn spans_of(history: &History, shade: &Shade) -> Vec<(u64, u64)> {
    let mut spans = Vec::new();
    let mut open: Option<u64> = None;
    let mut last_stop: Option<(u64, u64)> = None;
    for op in history.iter().filter(|op| op.process == Process::Nemesis) {
        if shade.start.contains(&&*op.f) {
            if let Some(span) = last_stop.take() {
                spans.push(span);
            }
            open.get_or_insert(op.time);
        } else if shade.stop.contains(&&*op.f) {
            if let Some(start) = open.take() {
                last_stop = Some((start, op.time));
            } else if let Some((start, _)) = last_stop {
                // The second op of a stop pair moves the end of the span.
                last_stop = Some((start, op.time));
            }
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

/// Escapes text for HTML and SVG content and attribute values. A character XML 1.0 forbids
/// even as a reference (control characters other than tab, newline and carriage return, and
/// U+FFFE/U+FFFF), which a node may put in a message type or an error text, is shown as Rust
/// escapes it (`\u{1b}`): one such character would make a whole SVG file invalid.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() && (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

/// What a view is drawn from: one run's history, journal and placement, and what its workload
/// adds to the run page.
pub struct Inputs<'a> {
    pub dir: &'a Path,
    pub history: &'a History,
    pub journal: &'a [Event],
    pub placement: Placement<'a>,
    pub extras: &'a RunPageExtras,
}

/// One view: how it is drawn, and how the run page shows its files.
pub struct View {
    /// Its first file, or the folder its files go in (`independent/`): what `:views :ms-each`
    /// and `:errors` name it by.
    pub file: &'static str,
    /// Draws it into `inputs.dir`; returns the names of the files written.
    pub draw: fn(&Inputs) -> Result<Vec<String>, String>,
    /// The run page's links to its files, `(file, what it shows)`, each shown when written.
    pub links: &'static [(&'static str, &'static str)],
    /// True if the run page shows its file as an image: the perf plots under "Performance";
    /// every file of a folder (the linearizability pictures) at the top, below the summary.
    pub image: bool,
    /// True if it is drawn on a thread of its own, beside the others (the slowest).
    pub apart: bool,
}

/// Every view, in the order their files are listed; the run page (`index.html`, `run_page.rs`)
/// is drawn after them from what they wrote, and reads this list for its links and images.
/// A new view is one file in `view/` and one entry here.
pub static VIEWS: &[View] = &[
    View {
        file: "timeline.html",
        draw: |i| timeline::write(i.dir, i.history),
        links: &[("timeline.html", "ops per process, invocation to completion")],
        image: false,
        apart: false,
    },
    View {
        file: perf::Plot::LatencyRaw.file_name(),
        draw: |i| perf::write(i.dir, i.history, perf::Plot::LatencyRaw),
        links: &[],
        image: true,
        apart: false,
    },
    View {
        file: perf::Plot::LatencyQuantiles.file_name(),
        draw: |i| perf::write(i.dir, i.history, perf::Plot::LatencyQuantiles),
        links: &[],
        image: true,
        apart: false,
    },
    View {
        file: perf::Plot::Rate.file_name(),
        draw: |i| perf::write(i.dir, i.history, perf::Plot::Rate),
        links: &[],
        image: true,
        apart: false,
    },
    View {
        file: linear::DIR,
        draw: |i| linear::write(i.dir, &i.extras.counterexamples),
        links: &[],
        image: true,
        apart: false,
    },
    View {
        file: "run-data.js",
        draw: |i| run_data::write(i.dir, i.history, i.journal, i.placement, i.extras),
        links: &[],
        image: false,
        apart: false,
    },
    // The Lamport diagrams take the longest (tens of MB of SVG for a 25-node run): they are
    // drawn on a thread of their own while the others are drawn.
    View {
        file: "messages.svg",
        draw: |i| messages::write(i.dir, i.journal),
        links: &[
            ("messages.svg", "the Lamport diagram of the network"),
            ("messages.html", "every window of the Lamport diagram"),
        ],
        image: false,
        apart: true,
    },
];

/// Writes every view of [`VIEWS`] into `dir`, then the run page (from `results`, the console's
/// `summary` and the files written before it) and returns the results map's `:views` entry:
/// `{:dir "<dir>", :files [<written, in order>], :errors {<file> "<why>"}, :ms <drawing time>,
/// :ms-each {<first file of a view> <ms>}}` (`:errors` only when a view failed; the views on
/// two threads, so `:ms` is less than the sum). `placement` puts each client process on its
/// node; `workload` gives the run page its extras (`Workload::run_page_extras`).
pub fn write_all(
    dir: &Path,
    history: &History,
    journal: &[Event],
    results: &Edn,
    placement: Placement,
    workload: &dyn Workload,
    summary: &str,
) -> Edn {
    let started = Instant::now();
    let extras = match results.get("workload") {
        Some(result) => workload.run_page_extras(history, result, placement),
        None => RunPageExtras::default(),
    };
    let inputs = Inputs {
        dir,
        history,
        journal,
        placement,
        extras: &extras,
    };
    let took = parking_lot::Mutex::new(Vec::new());
    let draw = |view: &View| {
        let started = Instant::now();
        let outcome = safely(view.file, || (view.draw)(&inputs));
        let ms = started.elapsed().as_millis() as i64;
        took.lock().push((Edn::str(view.file), Edn::Int(ms)));
        outcome
    };
    let mut outcomes: Vec<Result<Vec<String>, (String, String)>> = Vec::new();
    let apart = std::thread::scope(|scope| {
        let apart: Vec<_> = VIEWS
            .iter()
            .filter(|v| v.apart)
            .map(|view| (view, scope.spawn(|| draw(view))))
            .collect();
        for view in VIEWS.iter().filter(|v| !v.apart) {
            outcomes.push(draw(view));
        }
        apart
            .into_iter()
            .map(|(view, thread)| {
                thread
                    .join()
                    .unwrap_or_else(|_| Err((view.file.into(), "panicked".into())))
            })
            .collect::<Vec<_>>()
    });
    outcomes.extend(apart);
    let written: Vec<String> = outcomes.iter().flatten().flatten().cloned().collect();
    let started_page = Instant::now();
    outcomes.push(safely("index.html", || {
        run_page::write(dir, results, summary, &written)
    }));
    let ms = started_page.elapsed().as_millis() as i64;
    took.lock().push((Edn::str("index.html"), Edn::Int(ms)));
    let mut files: Vec<Edn> = Vec::new();
    let mut errors: Vec<(Edn, Edn)> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(written) => files.extend(written.iter().map(|f| Edn::str(f))),
            Err((file, why)) => errors.push((Edn::str(&file), Edn::str(&why))),
        }
    }
    let mut entries = vec![
        ("dir", Edn::str(&dir.display().to_string())),
        ("files", Edn::Vector(files.into())),
    ];
    if !errors.is_empty() {
        entries.push(("errors", Edn::Map(errors.into())));
    }
    entries.push(("ms", Edn::Int(started.elapsed().as_millis() as i64)));
    entries.push(("ms-each", Edn::Map(took.into_inner().into())));
    Edn::map(entries)
}

/// Runs one view; an error or a panic (a bug of ours) becomes `(file, why)`, so that a view
/// that cannot be drawn never costs the run its results.
fn safely<T>(file: &str, draw: impl FnOnce() -> Result<T, String>) -> Result<T, (String, String)> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(draw)) {
        Ok(result) => result.map_err(|why| (file.to_string(), why)),
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            Err((file.to_string(), format!("drawing failed: {text}")))
        }
    }
}

/// The results map with `:views` added just before `:valid?` (which stays last, as Jepsen
/// prints it). Anything but a map comes back unchanged.
pub fn add_to_results(results: Edn, views: Edn) -> Edn {
    match results {
        Edn::Map(entries) => {
            let mut entries = entries.into_vec();
            let at = entries
                .iter()
                .position(|(k, _)| *k == Edn::kw("valid?"))
                .unwrap_or(entries.len());
            entries.insert(at, (Edn::kw("views"), views));
            Edn::Map(entries.into())
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
        let spans: Vec<(&str, u64, u64)> = fault_spans(&history)
            .iter()
            .map(|s| (s.shade.name, s.start, s.end))
            .collect();
        let partition = |(a, b)| ("partition", a, b);
        assert_eq!(spans, [partition(ms(100, 302)), partition(ms(500, 900))]);
        assert!(fault_spans(&vec![client(0), client(5)]).is_empty());
    }

    /// A view that fails or panics is reported by file name; the others still come out.
    #[test]
    fn failures_are_reported_not_fatal() {
        assert_eq!(
            safely("a.svg", || -> Result<(), String> { panic!("boom") }),
            Err(("a.svg".to_string(), "drawing failed: boom".to_string()))
        );
        assert_eq!(
            safely("b.png", || -> Result<(), String> {
                Err("disk full".into())
            }),
            Err(("b.png".to_string(), "disk full".to_string()))
        );
        let missing =
            std::env::temp_dir().join(format!("maelstrom-views-none-{}", std::process::id()));
        let placement = Placement {
            nodes: &[],
            concurrency: 1,
        };
        let echo = crate::workload::echo::build(&Default::default());
        let views = write_all(
            &missing,
            &vec![client(0)],
            &[],
            &Edn::Nil,
            placement,
            echo.as_ref(),
            "",
        );
        assert_eq!(views.get("files"), Some(&Edn::Vector(Vec::new().into())));
        let Some(Edn::Map(errors)) = views.get("errors") else {
            panic!("no :errors in {views:?}")
        };
        // Every view of VIEWS and the run page failed on the missing folder.
        assert_eq!(errors.len(), VIEWS.len() + 1, "{errors:?}");
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
