//! `timeline.html`: every op as a box in its process's column, from its invocation down to its
//! completion, coloured by how it completed, with the whole op on hover. The layout is Jepsen's
//! (`jepsen/src/jepsen/checker/timeline.clj`): a column per process (clients by number, the
//! nemesis last), one 16 px row per history entry, boxes that link to themselves (`#i<index>`),
//! at most 10,000 ops. Values are cut to [`BOX_VALUE_BYTES`] in a box and [`HOVER_VALUE_BYTES`]
//! in its hover text (ours), with how much was cut. An op that ended `:info` runs to the bottom, since it may still take
//! effect; an `:info` with no invocation (the nemesis) is one row high.
//!
//! We add a header row naming each column and, left of the columns, a time axis (the time of
//! the history entry at every 8th row, in ms since the test began: rows are entries, not
//! equal steps of time), which Jepsen's page lacks.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use crate::edn;
use crate::history::{pairs, History, Op, OpType, Process};
use crate::store::files::AtLink;
use crate::view::{escape_html, shade_of_op};

/// Most ops drawn (`timeline.clj`'s `op-limit`).
pub const OP_LIMIT: usize = 10_000;
/// The most of a value a box shows (bytes; the box is 100 px wide), and the most its hover
/// text quotes: a longer one is cut, saying how much was (ours: Jepsen prints values whole,
/// and a node's 3 MB reads made a 111 MB page).
pub const BOX_VALUE_BYTES: usize = 100;
pub const HOVER_VALUE_BYTES: usize = 1_000;
/// Column width, gap between columns, row height (px), as in `timeline.clj`.
const COL_WIDTH: usize = 100;
const GUTTER_WIDTH: usize = 106;
const ROW_HEIGHT: usize = 16;
/// Room for the column headers above the first row.
const TOP: usize = 24;
/// Room for the time axis left of the first column, and how many rows apart its labels are.
const AXIS_WIDTH: usize = 64;
const AXIS_EVERY: usize = 8;

const STYLESHEET: &str = "body { font-family: sans-serif; font-size: 11px; margin: 0; }
.ops { position: absolute; }
.op { position: absolute; padding: 2px; border-radius: 2px; box-sizing: border-box; \
box-shadow: 0 1px 3px rgba(0,0,0,0.12), 0 1px 2px rgba(0,0,0,0.24); overflow: hidden; \
color: #000; text-decoration: none; }
.op.invoke { background: #eeeeee; }
.op.ok { background: #6DB6FE; }
.op.info { background: #FFAA26; }
.op.fail { background: #FEB5DA; }
.op:target { box-shadow: 0 14px 28px rgba(0,0,0,0.25), 0 10px 10px rgba(0,0,0,0.22); }
.process { position: absolute; top: 4px; font-weight: bold; }
.time { position: absolute; left: 2px; width: 58px; color: #666; border-top: 1px solid #ccc; }
.truncation-warning { padding: 4px; color: #D96918; }";

/// Writes `dir/timeline.html`; returns the file names written.
pub fn write(dir: &Path, history: &History) -> Result<Vec<String>, String> {
    let path = dir.join("timeline.html");
    crate::store::files::write_file(&path, render(history), AtLink::Replace)
        .map_err(|e| e.to_string())?;
    Ok(vec!["timeline.html".to_string()])
}

/// The page for `history`.
pub fn render(history: &History) -> String {
    let processes: BTreeSet<Process> = history.iter().map(|op| op.process).collect();
    let column: HashMap<Process, usize> =
        processes.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let all = pairs(history);
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Timeline</title>\
         <style>{STYLESHEET}</style></head><body>\n"
    );
    if all.len() > OP_LIMIT {
        let _ = writeln!(
            page,
            "<div class=\"truncation-warning\">Showing only {OP_LIMIT} of {} operations in this \
             history.</div>",
            all.len()
        );
    }
    page.push_str("<div class=\"ops\">\n");
    for (p, i) in &column {
        let _ = writeln!(
            page,
            "<div class=\"process\" style=\"left:{}px\">{}</div>",
            AXIS_WIDTH + GUTTER_WIDTH * i + 2,
            process_name(*p)
        );
    }
    for op in history.iter().step_by(AXIS_EVERY) {
        let _ = writeln!(
            page,
            "<div class=\"time\" style=\"top:{}px\">{} ms</div>",
            TOP + ROW_HEIGHT * op.index,
            op.time / 1_000_000
        );
    }
    let rows = history.len();
    for (start, stop) in all.iter().take(OP_LIMIT) {
        let op = stop.unwrap_or(start);
        let height = match stop {
            Some(s) if s.op_type == OpType::Info => rows + 1 - start.index,
            Some(s) => s.index - start.index,
            None => 1,
        };
        // A fault's ops are drawn in the fault's colour (its `nemesis::Shade`).
        let fill = match start.process {
            Process::Nemesis => shade_of_op(&start.f).map_or(String::new(), |shade| {
                format!(";background:{}", shade.color)
            }),
            Process::Client(_) => String::new(),
        };
        let _ = writeln!(
            page,
            "<a href=\"#i{index}\" id=\"i{index}\" class=\"op {kind}\" \
             style=\"width:{COL_WIDTH}px;left:{left}px;top:{top}px;height:{height}px{fill}\" \
             title=\"{title}\">{body}</a>",
            index = op.index,
            kind = op.op_type.name(),
            left = AXIS_WIDTH + GUTTER_WIDTH * column[&start.process],
            top = TOP + ROW_HEIGHT * start.index,
            height = ROW_HEIGHT * height.max(1),
            title = escape_html(&title(start, *stop)),
            body = body(start, *stop),
        );
    }
    page.push_str("</div>\n</body></html>\n");
    page
}

fn process_name(p: Process) -> String {
    match p {
        Process::Client(n) => n.to_string(),
        Process::Nemesis => ":nemesis".to_string(),
    }
}

/// The box's text: process, f, value, and the completion's value when it differs.
fn body(start: &Op, stop: Option<&Op>) -> String {
    let mut text = format!("{} {}", process_name(start.process), start.f);
    if start.process != Process::Nemesis {
        let _ = write!(text, " {}", edn::compact_cut(&start.value, BOX_VALUE_BYTES));
    }
    let mut text = escape_html(&text);
    if let Some(stop) = stop.filter(|s| s.value != start.value) {
        let value = edn::compact_cut(&stop.value, BOX_VALUE_BYTES);
        let _ = write!(text, "<br>{}", escape_html(&value));
    }
    text
}

/// The hover text: duration, error, time, and the whole op (`timeline.clj`'s `title`).
fn title(start: &Op, stop: Option<&Op>) -> String {
    let op = stop.unwrap_or(start);
    let mut text = String::new();
    if let Some(stop) = stop {
        let _ = writeln!(
            text,
            "Dur: {} ms",
            stop.time.saturating_sub(start.time) / 1_000_000
        );
    }
    if let Some(error) = &op.error {
        let _ = writeln!(text, "Err: {}", edn::compact_cut(error, HOVER_VALUE_BYTES));
    }
    let _ = writeln!(text, "Time: {:.3} s\n", start.time as f64 / 1e9);
    let _ = write!(
        text,
        "Op:\n{{:process {}\n :type :{}\n :f :{}\n :index {}\n :value {}}}",
        process_name(op.process),
        op.op_type.name(),
        op.f,
        op.index,
        edn::compact_cut(&op.value, HOVER_VALUE_BYTES)
    );
    if stop.is_some_and(|s| s.value != start.value) {
        let value = edn::compact_cut(&start.value, HOVER_VALUE_BYTES);
        let _ = write!(text, "\n\nInvoked with: {value}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;

    /// A read of megabytes is cut in its box and its hover text, each saying how much was cut:
    /// the page stays small.
    #[test]
    fn huge_values_are_cut() {
        let read = Edn::Vector((0..500_000).map(Edn::Int).collect());
        let h = vec![
            op(0, OpType::Invoke, Process::Client(0), "read", Edn::Nil),
            op(1, OpType::Ok, Process::Client(0), "read", read),
        ];
        let page = render(&h);
        assert!(page.len() < 4_000, "{} bytes", page.len());
        assert_eq!(
            page.matches(" more bytes cut, 3388891 in all]").count(),
            2,
            "{page}"
        );
    }

    fn op(index: usize, t: OpType, p: Process, f: &str, value: Edn) -> Op {
        let mut op = Op::new(t, p, f, value);
        op.index = index;
        op.time = index as u64 * 1_000_000;
        op
    }

    fn history() -> History {
        use OpType::*;
        use Process::*;
        let mut timeout = op(5, Info, Client(1), "broadcast", Edn::Int(3));
        timeout.error = Some(Edn::kw("net-timeout"));
        vec![
            op(0, Invoke, Client(0), "broadcast", Edn::Int(7)),
            op(1, Invoke, Client(1), "broadcast", Edn::Int(3)),
            op(2, Ok, Client(0), "broadcast", Edn::Int(7)),
            op(3, Info, Nemesis, "start-partition", Edn::kw("majority")),
            op(4, Invoke, Client(0), "read", Edn::Nil),
            timeout,
            op(6, Fail, Client(0), "read", Edn::Nil),
            op(7, Invoke, Client(2), "read", Edn::Nil),
            op(
                8,
                Ok,
                Client(2),
                "read",
                Edn::Vector(vec![Edn::Int(7)].into()),
            ),
        ]
    }

    /// Invocations pair with their process's completion; a lone :info stands alone.
    #[test]
    fn pairs_follow_processes() {
        let h = history();
        let got: Vec<(usize, Option<usize>)> = pairs(&h)
            .iter()
            .map(|(a, b)| (a.index, b.map(|b| b.index)))
            .collect();
        assert_eq!(
            got,
            [
                (0, Some(2)),
                (1, Some(5)),
                (3, None),
                (4, Some(6)),
                (7, Some(8))
            ]
        );
    }

    /// Each op is one box coloured by its completion; an :info runs to the bottom; the value
    /// and the error are in the hover text; columns are processes with the nemesis last.
    #[test]
    fn boxes_colours_and_hover() {
        let page = render(&history());
        assert_eq!(page.matches("class=\"op ").count(), 5);
        assert!(
            page.contains(
                "id=\"i2\" class=\"op ok\" style=\"width:100px;left:64px;top:24px;height:32px\""
            ),
            "{page}"
        );
        // The timeout: rows 1..=9 (9 rows + 1 - 1), fail pink and info orange used.
        assert!(page.contains("id=\"i5\" class=\"op info\" style=\"width:100px;left:170px;top:40px;height:144px\""), "{page}");
        assert!(page.contains("class=\"op fail\""));
        assert!(page.contains("Err: :net-timeout"), "{page}");
        assert!(page.contains(">2 read nil<br>[7]</a>"), "{page}");
        assert!(page.contains("left:384px\">:nemesis</div>"), "{page}");
        // The nemesis op is drawn in its fault's colour, read from the fault's shade.
        assert!(
            page.contains("id=\"i3\" class=\"op info\" style=\"width:100px;left:382px;top:72px;height:16px;background:#E9DCA0\""),
            "{page}"
        );
        assert!(page.contains(".op.ok { background: #6DB6FE; }"));
    }

    /// Past 10,000 ops the page says how many it left out.
    #[test]
    fn truncates_huge_histories() {
        let mut h = Vec::new();
        for i in 0..(OP_LIMIT + 5) {
            h.push(op(
                2 * i,
                OpType::Invoke,
                Process::Client(0),
                "echo",
                Edn::Int(1),
            ));
            h.push(op(
                2 * i + 1,
                OpType::Ok,
                Process::Client(0),
                "echo",
                Edn::Int(1),
            ));
        }
        let page = render(&h);
        assert_eq!(page.matches("class=\"op ").count(), OP_LIMIT);
        assert!(page.contains("Showing only 10000 of 10005 operations"));
    }
}
