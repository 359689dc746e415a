//! `independent/<key>/linear.svg`: for each key that is not linearizable (or undecided), the
//! picture Knossos's `linear.svg` gives (`src/knossos/linear/report.clj`), in the folder where
//! Jepsen's `independent` checker keeps the key's results (`jepsen/independent.clj`, Maelstrom's
//! `doc/06-raft/01-key-value.md`): the key's ops, one row per process, each a bar from its
//! invocation to its completion, blue `:ok`, orange `:info` (crashed: running to the end of the
//! run, since it may take effect at any time), pale pink `:fail` (took no effect: the checker
//! drops it), labelled `r 3`, `w 2`, `cas 1→4`; the longest linearization found drawn through
//! them, a point at a moment each op can take effect with the register's state after it; and
//! the impossible op outlined in red, with the states the register could hold just before it
//! and Knossos's final paths in words. Each op links to its box in `timeline.html`, as
//! Knossos's do. Like Porcupine's visualisation, and unlike Knossos's,
//! every op of the key is drawn, not only those of the final paths.
//!
//! Time flows right, in seconds since the test began; stretches where nothing starts or ends
//! are squeezed (as Maelstrom's own diagrams flow nonlinearly), so that ops a few ms long stay
//! readable in a run of minutes. A key with more than [`WINDOW_OPS`] ops is drawn in a window
//! around the impossible op (or the end of the linearization), which the picture says. Every
//! text is escaped (`view::escape_html`), whatever a node wrote.
//!
//! The data comes from `checker::linearizable::counterexample`, through the workload's run page
//! extras (`Workload::run_page_extras`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::checker::linearizable::counterexample::{Counterexample, KeyOp};
use crate::edn::{compact, Edn};
use crate::history::OpType;
use crate::store::files::AtLink;
use crate::view::{escape_html, type_color};

/// The folder every picture goes under, and what `:views` names this view by.
pub const DIR: &str = "independent/";

/// Most ops drawn in one picture: those invoked before the window still open at its start
/// (crashed ones, at most [`CARRIED_OPS`]), then at most this many up to a few after the op in
/// focus (later ones play no part in the counterexample).
pub const WINDOW_OPS: usize = 40;
/// Of the window, how many ops are invoked after the op in focus.
const AFTER_FOCUS: usize = 6;
/// Most ops from before the window drawn because they are still open (the latest invoked).
const CARRIED_OPS: usize = 20;

/// Layout, in px.
const LEFT: f64 = 96.0;
const RIGHT: f64 = 60.0;
const ROW: f64 = 44.0;
/// From a row's top to its bars' top: room for the states above the points.
const ABOVE: f64 = 20.0;
const BAR: f64 = 18.0;
/// Width given to a stretch between two consecutive event times: at least `GAP_MIN`, plus
/// `PX_PER_MS` per ms, at most `GAP_MAX`; more where an op's label needs it.
const GAP_MIN: f64 = 12.0;
const PX_PER_MS: f64 = 0.5;
const GAP_MAX: f64 = 48.0;
/// Width of a label's character (11 px sans-serif, generously), and the room around it.
const CHAR: f64 = 6.8;
const PAD: f64 = 8.0;
/// Room for a bar that starts before the window or runs to the end of the run.
const TAIL: f64 = 36.0;
const LINE: f64 = 17.0;
/// Characters per line of the explanation.
const WRAP: usize = 150;

const RED: &str = "#FF1E90";

/// Writes each picture of `counterexamples` into `dir`; returns the file names written, relative
/// to `dir`. Nothing is removed or written through a link: a run folder copied from elsewhere,
/// or one a node changed from its own folder inside it (`nodes/<id>/`), may hold a link where a
/// picture or its folder goes, which could lead out of the run's folder. Such a link is
/// replaced (the link only, as every view's is: `store::files::AtLink::Replace`); a file where
/// a folder goes is an error naming it.
pub fn write(dir: &Path, counterexamples: &[Counterexample]) -> Result<Vec<String>, String> {
    // The run's folder must be there: only `independent/` is created inside it.
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    remove_old(dir);
    let mut written = Vec::new();
    for c in counterexamples {
        let path = dir.join(&c.file);
        // Each folder on the way must be a real one (`independent/`, `independent/<key>/`), and
        // the file is written as every view's is: a link there replaced, never followed.
        let mut folder = dir.to_path_buf();
        if let Some(parent) = Path::new(&c.file).parent() {
            for part in parent.components() {
                folder.push(part);
                crate::store::files::ensure_dir(&folder, AtLink::Replace)
                    .map_err(|e| e.to_string())?;
            }
        }
        crate::store::files::write_file(&path, render(c), AtLink::Replace)
            .map_err(|e| e.to_string())?;
        written.push(c.file.clone());
    }
    Ok(written)
}

/// Removes the pictures an earlier analysis of the run drew (`maelstrom analyze` judges a run
/// again, and a key that is linearizable now must not keep its old picture), and the folders
/// left empty; anything else under `independent/` stays.
fn remove_old(dir: &Path) {
    // Without the trailing `/`, which would make the check below follow a link.
    let root = dir.join(DIR.trim_end_matches('/'));
    // `independent/` itself a link (out of the run's folder): nothing under it is ours.
    if !std::fs::symlink_metadata(&root).is_ok_and(|m| m.file_type().is_dir()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(&root) else {
        return;
    };
    for entry in entries.flatten() {
        // A link could lead out of the run's folder: left alone.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let folder = entry.path();
        // A link named `linear.svg` is removed, not what it points to.
        let _ = std::fs::remove_file(folder.join("linear.svg"));
        let _ = std::fs::remove_dir(&folder);
    }
    let _ = std::fs::remove_dir(root);
}

/// The ops drawn: indexes into `c.ops` in order, how many of them come from before the window
/// (still open at its start), and whether the key was cut to a window.
fn window(c: &Counterexample) -> (Vec<usize>, usize, bool) {
    let n = c.ops.len();
    if n <= WINDOW_OPS {
        return ((0..n).collect(), 0, false);
    }
    let focus = c
        .impossible
        .or(c.linearization.last().map(|s| s.op))
        .unwrap_or(0);
    let end = (focus + AFTER_FOCUS + 1).min(n);
    let start = end.saturating_sub(WINDOW_OPS);
    let opened = c.ops[start].start;
    let mut drawn: Vec<usize> = (0..start)
        .filter(|&i| c.ops[i].end.is_none_or(|e| e > opened))
        .collect();
    let keep = drawn.len().saturating_sub(CARRIED_OPS);
    drawn.drain(..keep);
    let carried = drawn.len();
    drawn.extend(start..end);
    (drawn, carried, true)
}

/// Maps times (ns) to x: consecutive event times get [`GAP_MIN`] to [`GAP_MAX`] px apart, and
/// an op's completion is pushed right until its label fits in its bar.
struct Axis {
    /// (time, x) of every event, in time order.
    marks: Vec<(u64, f64)>,
}

impl Axis {
    /// `spans`: each op's (start, end, width its label needs); `from`: the window's first time
    /// (ops that start before it start at the left edge).
    fn new(spans: &[(u64, Option<u64>, f64)], from: u64) -> Axis {
        let mut times: Vec<u64> = spans
            .iter()
            .flat_map(|&(start, end, _)| [Some(start), end])
            .flatten()
            .filter(|&t| t >= from)
            .collect();
        times.sort_unstable();
        times.dedup();
        let mut ending: Vec<Vec<(u64, f64)>> = vec![Vec::new(); times.len()];
        for &(start, end, width) in spans {
            if let Some(at) = end.and_then(|e| times.binary_search(&e).ok()) {
                ending[at].push((start, width));
            }
        }
        let mut axis = Axis {
            marks: Vec::with_capacity(times.len()),
        };
        let mut x = LEFT + TAIL;
        for (i, &t) in times.iter().enumerate() {
            if i > 0 {
                let ms = (t - times[i - 1]) as f64 / 1e6;
                x += (GAP_MIN + ms * PX_PER_MS).min(GAP_MAX);
            }
            for &(start, width) in &ending[i] {
                x = x.max(axis.x(start).max(LEFT) + width);
            }
            axis.marks.push((t, x));
        }
        axis
    }

    fn first(&self) -> f64 {
        self.marks.first().map_or(LEFT + TAIL, |m| m.1)
    }

    fn last(&self) -> f64 {
        self.marks.last().map_or(LEFT + TAIL, |m| m.1)
    }

    /// x of `t`, interpolated between marks; before the first or after the last, the tails.
    fn x(&self, t: u64) -> f64 {
        let at = self.marks.partition_point(|m| m.0 <= t);
        match (at.checked_sub(1).map(|i| self.marks[i]), self.marks.get(at)) {
            (Some((t0, x0)), _) if t0 == t => x0,
            (Some((t0, x0)), Some(&(t1, x1))) => {
                x0 + (x1 - x0) * (t - t0) as f64 / (t1 - t0) as f64
            }
            (None, _) => self.first() - TAIL,
            (Some(_), None) => self.last() + TAIL,
        }
    }
}

/// The SVG of one key's picture.
pub fn render(c: &Counterexample) -> String {
    let (drawn, carried, cut) = window(c);
    let in_window = |i: usize| drawn.binary_search(&i).is_ok();
    // The window's own ops (not those carried in from before it) set the axis.
    let own_start = drawn.get(carried).map_or(0, |&i| c.ops[i].start);
    let label_width = |op: &KeyOp| op.label.chars().count() as f64 * CHAR + PAD;
    let spans: Vec<(u64, Option<u64>, f64)> = drawn
        .iter()
        .map(|&i| (c.ops[i].start, c.ops[i].end, label_width(&c.ops[i])))
        .collect();
    let axis = Axis::new(&spans, own_start);
    let processes: BTreeMap<u64, usize> = {
        let mut ps: Vec<u64> = drawn.iter().map(|&i| c.ops[i].process).collect();
        ps.sort_unstable();
        ps.dedup();
        ps.into_iter()
            .enumerate()
            .map(|(row, p)| (p, row))
            .collect()
    };

    // The header: title, explanation, window, legend.
    let verdict = match &c.valid {
        Edn::Bool(false) => "not linearizable".to_string(),
        Edn::Keyword(k) if &**k == "unknown" => "undecided".to_string(),
        other => format!(":valid? {}", compact(other)),
    };
    let mut header: Vec<(String, &str)> = vec![(
        format!("key {}: {verdict}", short(&compact(&c.key))),
        "font-size=\"16\" font-weight=\"bold\"",
    )];
    for line in wrap(&c.explanation, WRAP) {
        header.push((line, ""));
    }
    if cut {
        header.push((
            format!(
                "Showing {} of the key's {} ops: a window around {}, with the ops still open \
                 from before it.",
                drawn.len(),
                c.ops.len(),
                if c.impossible.is_some() {
                    "the impossible op"
                } else {
                    "the end of the linearization"
                }
            ),
            "fill=\"#D96918\"",
        ));
    }
    if let Some(f) = c.impossible {
        let could = match c.states_before.as_slice() {
            [] => String::new(),
            states => format!(
                ": the register could only hold {} just before it",
                states.join(" or ")
            ),
        };
        header.push((
            format!(
                "Impossible (outlined in red): {} by process {}{could}.",
                c.ops[f].label, c.ops[f].process
            ),
            "fill=\"#FF1E90\" font-weight=\"bold\"",
        ));
    }
    let legend_y = 20.0 + LINE * header.len() as f64 + 8.0;
    let top = legend_y + 34.0;
    let rows = processes.len().max(1) as f64;
    let axis_y = top + ROW * rows + 6.0;
    let paths_y = axis_y + 62.0;
    // Crashed ops run to the right edge, which leaves room for their labels.
    let right_edge = drawn
        .iter()
        .map(|&i| &c.ops[i])
        .filter(|op| op.end.is_none())
        .map(|op| axis.x(op.start).max(LEFT) + label_width(op))
        .fold(axis.last() + TAIL, f64::max);
    let width = (right_edge + RIGHT).max(LEGEND_WIDTH);
    let height = paths_y + LINE * (c.final_paths.len() as f64 + 1.0) + 10.0;

    let mut svg = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<title>{}</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
        escape_html(&header[0].0)
    );
    for (i, (text, attrs)) in header.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"10\" y=\"{:.1}\" {attrs}>{}</text>",
            20.0 + LINE * i as f64,
            escape_html(text)
        );
    }
    legend(&mut svg, legend_y);

    // Rows.
    for (p, row) in &processes {
        let y = top + ROW * *row as f64;
        let _ = writeln!(
            svg,
            "<text class=\"process\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#666\">\
             process {p}</text><line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" \
             stroke=\"#eee\"/>",
            LEFT - 8.0,
            y + ABOVE + BAR / 2.0 + 4.0,
            y + ROW,
            width - RIGHT / 2.0,
            y + ROW
        );
    }
    let bar_y = |op: &KeyOp| top + ROW * processes[&op.process] as f64 + ABOVE;

    // Ops.
    svg.push_str("<g class=\"ops\">\n");
    for &i in &drawn {
        let op = &c.ops[i];
        let x0 = axis.x(op.start).max(LEFT);
        let x1 = op.end.map_or(right_edge, |e| axis.x(e)).max(x0 + 4.0);
        let (class, fill, opacity, text) = match op.outcome {
            OpType::Ok => ("ok", type_color(OpType::Ok), "1", "#000"),
            OpType::Fail => ("fail", type_color(OpType::Fail), "0.45", "#888"),
            _ => ("info", type_color(OpType::Info), "1", "#000"),
        };
        let _ = writeln!(
            svg,
            "<g class=\"op {class}\" data-index=\"{}\"><a href=\"../../timeline.html#i{}\" \
             target=\"_top\"><title>{}</title><rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" \
             height=\"{BAR}\" rx=\"4\" fill=\"{fill}\" fill-opacity=\"{opacity}\"/><text \
             x=\"{:.1}\" y=\"{:.1}\" fill=\"{text}\">{}</text></a></g>",
            op.index,
            op.done.unwrap_or(op.index),
            escape_html(&op.title),
            bar_y(op),
            x1 - x0,
            x0 + 3.0,
            bar_y(op) + 13.0,
            escape_html(&op.label)
        );
    }
    svg.push_str("</g>\n");

    // The linearization: a point per op at a moment it can take effect, the state after it.
    let points: Vec<(f64, f64, usize)> = c
        .linearization
        .iter()
        .enumerate()
        .filter(|(_, s)| in_window(s.op))
        .map(|(n, s)| {
            let op = &c.ops[s.op];
            (axis.x(s.at).max(LEFT), bar_y(op), n)
        })
        .collect();
    if points.len() > 1 {
        let line: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"linearization\" points=\"{}\" fill=\"none\" stroke=\"#222\" \
             stroke-width=\"1.5\" stroke-opacity=\"0.7\"/>",
            line.join(" ")
        );
    }
    for &(x, y, n) in &points {
        let step = &c.linearization[n];
        let op = &c.ops[step.op];
        let _ = writeln!(
            svg,
            "<g class=\"step\"><title>{}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" \
             fill=\"#222\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
             font-size=\"11\" font-weight=\"bold\">{}</text></g>",
            escape_html(&format!(
                "step {} of the linearization: {} leaves {}",
                n + 1,
                op.title,
                step.state
            )),
            y - 6.0,
            escape_html(&step.state)
        );
    }

    // The impossible op, and the step to it that cannot be taken.
    if let Some(f) = c.impossible.filter(|&f| in_window(f)) {
        let op = &c.ops[f];
        let x0 = axis.x(op.start).max(LEFT);
        let x1 = op.end.map_or(right_edge, |e| axis.x(e)).max(x0 + 4.0);
        let y = bar_y(op);
        let _ = writeln!(
            svg,
            "<g class=\"impossible\"><title>impossible: {}</title><rect x=\"{:.1}\" \
             y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"5\" fill=\"none\" \
             stroke=\"{RED}\" stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" \
             fill=\"{RED}\" font-weight=\"bold\">impossible</text></g>",
            escape_html(&op.title),
            x0 - 2.0,
            y - 2.0,
            x1 - x0 + 4.0,
            BAR + 4.0,
            x0,
            y - 6.0,
        );
        if let Some(&(x, py, _)) = points.last() {
            let _ = writeln!(
                svg,
                "<line class=\"cannot\" x1=\"{x:.1}\" y1=\"{py:.1}\" x2=\"{x1:.1}\" \
                 y2=\"{:.1}\" stroke=\"{RED}\" stroke-width=\"2\" stroke-dasharray=\"5,4\"/>",
                y + BAR / 2.0
            );
        }
    }

    // The time axis: a tick at every event at least 90 px from the last tick.
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\" stroke=\"#999\"/>\
         <text x=\"10\" y=\"{:.1}\" fill=\"#666\">time (s)</text>",
        right_edge,
        axis_y + 16.0
    );
    let mut last_tick = f64::MIN;
    for &(t, x) in &axis.marks {
        if x - last_tick >= 90.0 {
            last_tick = x;
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{axis_y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" \
                 stroke=\"#999\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" \
                 text-anchor=\"middle\" fill=\"#666\">{:.3}</text>",
                axis_y + 5.0,
                axis_y + 18.0,
                t as f64 / 1e9
            );
        }
    }
    let _ = writeln!(
        svg,
        "<text x=\"10\" y=\"{:.1}\" fill=\"#666\">Time flows right, in seconds since the test \
         began; stretches where no op starts or ends are squeezed. Orange ops crashed and run \
         to the end of the run ({:.3} s).</text>",
        axis_y + 34.0,
        c.run_end as f64 / 1e9
    );

    // Knossos's final paths, in words.
    if !c.final_paths.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"10\" y=\"{paths_y:.1}\" font-weight=\"bold\">Final paths (from where the \
             linearization stopped, through the ops open then, to the impossible op):</text>"
        );
        for (i, path) in c.final_paths.iter().enumerate() {
            let _ = writeln!(
                svg,
                "<text class=\"path\" x=\"20\" y=\"{:.1}\">{}</text>",
                paths_y + LINE * (i as f64 + 1.0),
                escape_html(path)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// How wide the legend's one line is (its last entry ends near x = 1,280): a narrower picture
/// would cut it.
const LEGEND_WIDTH: f64 = 1300.0;

/// The legend: what the colours, the points and the red outline mean.
fn legend(svg: &mut String, y: f64) {
    let mut x = 10.0;
    for (fill, opacity, what) in [
        (type_color(OpType::Ok), "1", "ok"),
        (
            type_color(OpType::Info),
            "1",
            "info (crashed: may take effect any time later, or never)",
        ),
        (type_color(OpType::Fail), "0.45", "fail (took no effect)"),
    ] {
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"22\" height=\"12\" rx=\"3\" fill=\"{fill}\" \
             fill-opacity=\"{opacity}\"/><text x=\"{:.1}\" y=\"{y:.1}\">{what}</text>",
            y - 10.0,
            x + 28.0
        );
        x += 40.0 + 6.5 * what.len() as f64;
    }
    let _ = writeln!(
        svg,
        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#222\"/><text x=\"{:.1}\" y=\"{y:.1}\">\
         the longest linearization found, with the register after each op</text>",
        x + 6.0,
        y - 4.0,
        x + 16.0
    );
    x += 16.0 + 6.3 * 66.0;
    let _ = writeln!(
        svg,
        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"22\" height=\"12\" rx=\"3\" fill=\"none\" \
         stroke=\"{RED}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{y:.1}\">the op that cannot \
         be linearized</text>",
        y - 10.0,
        x + 28.0
    );
}

/// At most 60 characters of a key, `...` when cut.
fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::linearizable::counterexample::counterexamples;
    use crate::checker::linearizable::{check, Limits};
    use crate::checker::test_support::Builder;
    use crate::history::History;
    use crate::history::OpType::{Fail, Info, Invoke, Ok as Done};

    fn kv(k: Edn, v: Edn) -> Edn {
        Edn::Vector(vec![k, v].into())
    }

    fn cas(k: i64, from: i64, to: i64) -> Edn {
        kv(
            Edn::Int(k),
            Edn::Vector(vec![Edn::Int(from), Edn::Int(to)].into()),
        )
    }

    fn pictures(history: &History) -> Vec<Counterexample> {
        let limits = Limits {
            threads: 1,
            ..Limits::default()
        };
        counterexamples(history, &check(history, limits))
    }

    /// Key 1: a write of 3, a cas 3 -> 4, a failed and a crashed write, then a stale read of 3;
    /// key 0 beside it is linearizable.
    fn stale_read() -> History {
        let one = |v: i64| kv(Edn::Int(1), Edn::Int(v));
        let mut b = Builder::new();
        b.op(0, 0, Invoke, "write", one(3));
        b.op(100, 0, Done, "write", one(3));
        b.op(150, 5, Invoke, "write", kv(Edn::Int(0), Edn::Int(1)));
        b.op(160, 5, Done, "write", kv(Edn::Int(0), Edn::Int(1)));
        b.op(200, 1, Invoke, "cas", cas(1, 3, 4));
        b.op(300, 1, Done, "cas", cas(1, 3, 4));
        b.op(320, 2, Invoke, "write", one(0));
        b.op(330, 2, Fail, "write", one(0));
        b.op(340, 3, Invoke, "write", one(2));
        b.op(350, 3, Info, "write", one(2));
        b.op(400, 0, Invoke, "read", kv(Edn::Int(1), Edn::Nil));
        b.op(500, 0, Done, "read", one(3));
        b.ops
    }

    /// The picture of a stale read: one row per process of the key, every op coloured by its
    /// outcome, the linearization with the state after each op, the read outlined as
    /// impossible with the states the register could hold; the valid key gets no picture.
    #[test]
    fn stale_read_is_drawn() {
        let all = pictures(&stale_read());
        assert_eq!(all.len(), 1, "key 0 is linearizable");
        let svg = render(&all[0]);
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(svg.contains("key 1: not linearizable"), "{svg}");
        for p in 0..4 {
            assert!(svg.contains(&format!(">process {p}</text>")), "{p}: {svg}");
        }
        assert!(!svg.contains(">process 5</text>"), "key 0's process: {svg}");
        assert_eq!(svg.matches("<g class=\"op ok\"").count(), 3, "{svg}");
        assert_eq!(svg.matches("<g class=\"op fail\"").count(), 1, "{svg}");
        assert_eq!(svg.matches("<g class=\"op info\"").count(), 1, "{svg}");
        assert!(svg.contains(">cas 3\u{2192}4</text>"), "{svg}");
        // Each op links to its box in timeline.html (`#i<index of its completion>`), as
        // Knossos's does.
        assert!(
            svg.contains(
                "<a href=\"../../timeline.html#i5\" target=\"_top\"><title>process 1: cas 3 -&gt; 4"
            ),
            "{svg}"
        );
        assert!(svg.contains("<polyline class=\"linearization\""), "{svg}");
        assert!(svg.contains("leaves 4</title>"), "{svg}");
        assert_eq!(svg.matches("<g class=\"impossible\">").count(), 1, "{svg}");
        assert!(
            svg.contains(
                ">Impossible (outlined in red): r 3 by process 0: the register could only hold "
            ),
            "{svg}"
        );
        assert!(svg.contains("can&#39;t read 3 from register 4"), "{svg}");
        assert!(!svg.contains("Showing"), "no window for 5 ops: {svg}");
    }

    /// Whatever a node read (markup, control characters) and whatever the key, the SVG stays
    /// well-formed: every text is escaped and no character XML forbids is written.
    #[test]
    fn node_text_is_escaped() {
        let key = Edn::str("k<&\"'>");
        let weird = Edn::str("<b>\u{1b}[2J&\u{0}\u{ffff}");
        let mut b = Builder::new();
        b.op(0, 0, Invoke, "write", kv(key.clone(), Edn::Int(1)));
        b.op(10, 0, Done, "write", kv(key.clone(), Edn::Int(1)));
        b.op(20, 1, Invoke, "read", kv(key.clone(), Edn::Nil));
        b.op(30, 1, Done, "read", kv(key.clone(), weird));
        let all = pictures(&b.ops);
        assert_eq!(all.len(), 1);
        let svg = render(&all[0]);
        let forbidden = |c: char| {
            (c.is_control() && (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
                || c == '\u{ffff}'
        };
        assert!(!svg.chars().any(forbidden), "{svg:?}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;b&gt;\\u001b[2"), "{svg}");
        assert!(
            svg.contains("key &quot;k&lt;&amp;\\&quot;&#39;&gt;&quot;"),
            "{svg}"
        );
        // Every tag opened is closed: a crude well-formedness check.
        assert_eq!(svg.matches("<g ").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert_eq!(
            all[0].file,
            "independent/_22k_3c_26_5c_22_27_3e_22/linear.svg"
        );
    }

    /// A key of 400 ops is drawn in a window around the impossible op, which says so, with the
    /// latest 20 of the 25 crashed ops from long before, still open in it.
    #[test]
    fn long_keys_are_windowed() {
        let one = |v: i64| kv(Edn::Int(1), Edn::Int(v));
        let mut b = Builder::new();
        for p in 100..125 {
            b.op(0, p, Invoke, "write", one(7));
            b.op(1, p, Info, "write", one(7));
        }
        let mut ms = 10;
        for i in 0..200 {
            b.op(ms, 0, Invoke, "write", one(i % 5));
            b.op(ms + 5, 0, Done, "write", one(i % 5));
            b.op(ms + 10, 1, Invoke, "read", kv(Edn::Int(1), Edn::Nil));
            // The 150th read is stale.
            let read = if i == 150 { (i + 1) % 5 } else { i % 5 };
            b.op(ms + 15, 1, Done, "read", one(read));
            ms += 20;
        }
        let all = pictures(&b.ops);
        assert_eq!(all.len(), 1);
        let c = &all[0];
        assert_eq!(c.ops.len(), 425);
        let svg = render(c);
        assert!(svg.contains("Showing 60 of the key&#39;s 425 ops"), "{svg}");
        assert_eq!(svg.matches("<g class=\"op ").count(), 60);
        assert_eq!(svg.matches("<g class=\"op info\"").count(), 20);
        assert!(
            svg.contains(">process 124</text>"),
            "the latest crashed write"
        );
        assert!(!svg.contains(">process 104</text>"), "an earlier one");
        assert_eq!(svg.matches("<g class=\"impossible\">").count(), 1);
        assert!(svg.contains("<g class=\"step\">"), "{svg}");
    }

    /// Each picture is written under `independent/<key>/`, and only bad keys get one; drawing
    /// again removes the old pictures and nothing else.
    #[test]
    fn written_per_key() {
        let dir = std::env::temp_dir().join(format!("maelstrom-linear-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let written = write(&dir, &pictures(&stale_read())).expect("written");
        assert_eq!(written, ["independent/1/linear.svg"]);
        let svg = std::fs::read_to_string(dir.join("independent/1/linear.svg")).expect("svg");
        assert!(svg.contains("<g class=\"impossible\">"));
        assert!(!dir.join("independent/0").exists());
        // Judged again with nothing to draw: the old picture goes, another file stays.
        std::fs::write(dir.join("independent/1/notes.txt"), "mine").expect("notes");
        assert_eq!(write(&dir, &[]), Ok(vec![]));
        assert!(!dir.join("independent/1/linear.svg").exists());
        assert!(dir.join("independent/1/notes.txt").exists());
        std::fs::remove_file(dir.join("independent/1/notes.txt")).expect("rm");
        assert_eq!(write(&dir, &[]), Ok(vec![]));
        assert!(!dir.join("independent").exists(), "empty folders go too");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// An `independent/` (or `independent/<key>/`) that is a link out of the run's folder is
    /// neither cleaned nor written through: the link is replaced by a folder of the run's own,
    /// the files the link leads to are left as they were; a file where a folder goes is refused
    /// by name.
    #[test]
    fn never_written_through_a_link() {
        let dir =
            std::env::temp_dir().join(format!("maelstrom-linear-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (run, outside) = (dir.join("run"), dir.join("outside"));
        std::fs::create_dir_all(run.clone()).expect("run");
        std::fs::create_dir_all(outside.join("1")).expect("outside");
        std::fs::write(outside.join("1/linear.svg"), "precious").expect("outside file");
        let is_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
        std::os::unix::fs::symlink(&outside, run.join("independent")).expect("link");
        assert_eq!(write(&run, &[]), Ok(vec![]));
        assert!(run.join("independent").is_symlink(), "not ours to clean");
        let written = write(&run, &pictures(&stale_read())).expect("link replaced");
        assert_eq!(written, ["independent/1/linear.svg"]);
        assert!(
            is_dir(&run.join("independent")),
            "a folder of the run's own"
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("1/linear.svg")).expect("outside file"),
            "precious"
        );
        std::fs::remove_dir_all(run.join("independent")).expect("clean");
        std::fs::create_dir_all(run.join("independent")).expect("folder");
        std::os::unix::fs::symlink(outside.join("1"), run.join("independent/1")).expect("link");
        write(&run, &pictures(&stale_read())).expect("link replaced");
        assert!(is_dir(&run.join("independent/1")));
        assert_eq!(
            std::fs::read_to_string(outside.join("1/linear.svg")).expect("outside file"),
            "precious"
        );
        std::fs::remove_dir_all(run.join("independent")).expect("clean");
        std::fs::write(run.join("independent"), "a file").expect("file");
        let e = write(&run, &pictures(&stale_read())).expect_err("refused");
        assert!(e.contains("independent: is a file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
