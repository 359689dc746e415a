//! What workloads show a reader beside their checker's result: summary lines and the run page's
//! extras, built from the `:workload` entry of the results. Each workload picks the ones that
//! fit its checker in its own file (`Workload::summary_lines`, `Workload::run_page_extras`);
//! `summary.rs` and `view/run_data.rs` only place what they are given.
//!
//! - [`set_lines`]: the set checkers' `elements` and `final reads` lines (broadcast, g-set);
//! - [`anomaly_lines`]: the anomalies and the first one's explanation (kafka, the txn workloads);
//! - [`lacks`]: the run page's lost and stale values of a set, each with the op that added it
//!   and, per node, the last read that lacked it (broadcast, g-set);
//! - `counterexamples`: the pictures of keys that are not linearizable (lin-kv's, built by
//!   `checker::linearizable::counterexample`).

use std::collections::HashMap;

use crate::checker::linearizable::counterexample::Counterexample;
use crate::edn::{compact, Edn};
use crate::history::{pairs, History, OpType, Placement};

/// How many values a summary line lists before counting the rest.
const VALUES_SHOWN: usize = 8;
/// How long the first explanation of an anomaly may be on the console (results.edn has it whole).
const EXPLANATION_CHARS: usize = 400;
/// How many lost and stale values the run page lists (the results have them all).
pub const LACKS_SHOWN: usize = 100;

/// One summary line: its label (`elements`) and its text.
pub type Line = (&'static str, String);

/// What a workload adds to the run page (`run-data.js`); empty by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunPageExtras {
    /// `lacks`: values a reader should find in the diagram, at most [`LACKS_SHOWN`].
    pub lacks: Vec<Lack>,
    /// The pictures of keys that are not linearizable (lin-kv), which `view/linear.rs` draws
    /// and the run page shows.
    pub counterexamples: Vec<Counterexample>,
}

/// A value some reads lacked.
#[derive(Debug, Clone, PartialEq)]
pub struct Lack {
    pub value: Edn,
    /// `lost` (never read after it was acknowledged) or `stale` (read late).
    pub kind: &'static str,
    /// The history index of the invocation that added it, if it is in the history.
    pub add: Option<usize>,
    /// Per node, the history index of the last `:ok` read invoked on it that lacked the value,
    /// in node order of `Placement::nodes`.
    pub last: Vec<(String, usize)>,
}

/// `elements  104 added: 0 lost, 61 stale (seen late, allowed), 0 never read` and one
/// `final reads  n4 missed 17 acknowledged values (0 1 3 ...)` per node, from a set-full
/// result (`checker::set_full`, amended by `checker::final_reads`).
pub fn set_lines(result: &Edn) -> Vec<Line> {
    let mut lines = Vec::new();
    if result.get("lost-count").is_some() {
        lines.push((
            "elements",
            format!(
                "{} added: {} lost, {} stale (seen late, allowed), {} never read{}",
                int(result.get("attempt-count")),
                int(result.get("lost-count")),
                int(result.get("stale-count")),
                int(result.get("never-read-count")),
                match result.get("unexpected-count") {
                    Some(n) => format!("; {} read but never added", int(Some(n))),
                    None => String::new(),
                }
            ),
        ));
    }
    if let Some(Edn::Map(nodes)) = result.get("final-reads") {
        for (node, missed) in nodes.iter() {
            lines.push((
                "final reads",
                format!(
                    "{} missed {} acknowledged values {}",
                    name(node),
                    int(missed.get("missing-count")),
                    values(missed.get("missing"))
                ),
            ));
        }
    }
    lines
}

/// `anomalies  G1c (2), G-single (1)` and `  the first  G1c: ...`: the anomalies listed under
/// `key` of the result (kafka's `:bad-error-types`, each `{:count n, :errs (...)}`; the txn
/// checkers' `:anomaly-types`, each a vector of examples, under `:anomalies`), with counts where
/// the result has them, and the first one's explanation. Nothing when the list is empty.
pub fn anomaly_lines(result: &Edn, key: &str) -> Vec<Line> {
    let kinds = match result.get(key) {
        Some(Edn::List(kinds) | Edn::Vector(kinds)) if !kinds.is_empty() => kinds.clone(),
        _ => return Vec::new(),
    };
    let found = |kind: &Edn| -> Option<&Edn> {
        result
            .get(&name(kind))
            .or_else(|| result.get("anomalies").and_then(|a| a.get(&name(kind))))
    };
    let examples = |entry: &Edn| -> Vec<Edn> {
        match entry.get("errs").unwrap_or(entry) {
            Edn::List(e) | Edn::Vector(e) => e.to_vec(),
            _ => Vec::new(),
        }
    };
    let counted: Vec<String> = kinds
        .iter()
        .map(|kind| match found(kind).and_then(|e| e.get("count")) {
            Some(n) => format!("{} ({})", name(kind), compact(n)),
            None => name(kind),
        })
        .collect();
    let first = kinds.iter().find_map(|kind| {
        examples(found(kind)?)
            .iter()
            .find_map(|e| match e.get("explanation") {
                Some(Edn::Str(text)) => Some(format!(
                    "{}: {}",
                    name(kind),
                    crate::console::printable(&cut(text))
                )),
                _ => None,
            })
    });
    let mut lines = vec![("anomalies", counted.join(", "))];
    if let Some(first) = first {
        lines.push(("  the first", first));
    }
    lines
}

/// The lost and stale values of a set-full result (at most [`LACKS_SHOWN`], lost first), each
/// with the `add_f` op (`broadcast`, `add`) that added it and, per node, the last `:ok` read on
/// that node whose value lacked it.
pub fn lacks(history: &History, result: &Edn, add_f: &str, placement: Placement) -> Vec<Lack> {
    let listed = |key: &str| match result.get(key) {
        Some(Edn::List(v) | Edn::Vector(v) | Edn::Set(v)) => v.to_vec(),
        _ => Vec::new(),
    };
    let mut wanted: Vec<(Edn, &'static str)> =
        listed("lost").into_iter().map(|v| (v, "lost")).collect();
    wanted.extend(listed("stale").into_iter().map(|v| (v, "stale")));
    wanted.truncate(LACKS_SHOWN);
    if wanted.is_empty() {
        return Vec::new();
    }
    let slot: HashMap<String, usize> = wanted
        .iter()
        .enumerate()
        .map(|(i, (v, _))| (compact(v), i))
        .collect();
    let mut add: Vec<Option<usize>> = vec![None; wanted.len()];
    // last[value][node position]: the latest read invocation on that node that lacked it.
    let mut last: Vec<HashMap<usize, usize>> = vec![HashMap::new(); wanted.len()];
    let mut seen = vec![false; wanted.len()];
    for (start, stop) in pairs(history) {
        let Some(stop) = stop.filter(|s| s.op_type == OpType::Ok) else {
            continue;
        };
        if start.f == add_f {
            if let Some(&i) = slot.get(&compact(&start.value)) {
                add[i].get_or_insert(start.index);
            }
            continue;
        }
        let (Edn::List(read) | Edn::Vector(read) | Edn::Set(read)) = &stop.value else {
            continue;
        };
        let Some(node) = placement
            .node_of(start.process)
            .and_then(|name| placement.nodes.iter().position(|n| n == name))
        else {
            continue;
        };
        seen.iter_mut().for_each(|s| *s = false);
        for element in read {
            if let Some(&i) = slot.get(&compact(element)) {
                seen[i] = true;
            }
        }
        for (i, present) in seen.iter().enumerate() {
            if !present {
                last[i].insert(node, start.index);
            }
        }
    }
    wanted
        .into_iter()
        .zip(add)
        .zip(last)
        .map(|(((value, kind), add), last)| {
            let mut last: Vec<(usize, usize)> = last.into_iter().collect();
            last.sort_unstable();
            Lack {
                value,
                kind,
                add,
                last: last
                    .into_iter()
                    .map(|(n, read)| (placement.nodes[n].clone(), read))
                    .collect(),
            }
        })
        .collect()
}

/// A keyword's name without its colon, anything else printed.
pub fn name(value: &Edn) -> String {
    match value {
        Edn::Keyword(k) => k.to_string(),
        Edn::Str(s) => s.to_string(),
        other => compact(other),
    }
}

/// An integer entry, 0 when missing.
pub fn int(value: Option<&Edn>) -> i64 {
    match value {
        Some(Edn::Int(n)) => *n,
        _ => 0,
    }
}

/// `text` up to [`EXPLANATION_CHARS`] characters, with `...` when cut.
pub fn cut(text: &str) -> String {
    match text.char_indices().nth(EXPLANATION_CHARS) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// `(0 1 3 ... +9 more)`: the first values of a list, the rest counted.
fn values(list: Option<&Edn>) -> String {
    list.map_or(String::new(), |l| {
        crate::edn::pretty_abbreviated(l, VALUES_SHOWN)
            .trim_end()
            .to_string()
    })
}
