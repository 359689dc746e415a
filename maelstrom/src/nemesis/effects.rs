//! What the faults did, read back from a history: each node's downtimes (when it was dead or
//! paused, for the run page) and how many times each fault acted on which nodes (for the
//! summary). Pure functions of the history's `:nemesis` ops, in the shapes `partition.rs` and
//! `node_faults.rs` record them.

use std::collections::BTreeMap;

use super::node_faults::{DOWN, UP};
use super::Shade;
use crate::edn::Edn;
use crate::history::{Op, Process};

/// One stretch of time a node was dead (kill) or stopped (pause), in nanoseconds on the
/// history's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downtime {
    pub node: String,
    /// The fault that did it (its name and colour).
    pub shade: Shade,
    pub start: u64,
    /// When the node was started or resumed again; the history's last op if it never was.
    pub end: u64,
}

/// The nodes an op on nodes names with `word` (`{"n1" :killed, "n2" :already-dead}` and
/// `killed` give `n1`).
fn nodes_with<'a>(op: &'a Op, words: &[&str]) -> Vec<&'a str> {
    let Edn::Map(entries) = &op.value else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(node, word)| match (node, word) {
            (Edn::Str(node), Edn::Keyword(w)) if words.contains(&&**w) => Some(&**node),
            _ => None,
        })
        .collect()
}

/// Every node's downtimes, by start time: from the op that killed or paused it to the op that
/// started or resumed it, for the faults whose shades are given.
pub fn downtimes(history: &[Op], shades: &[Shade]) -> Vec<Downtime> {
    let mut open: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut out = Vec::new();
    for op in history.iter().filter(|op| op.process == Process::Nemesis) {
        let Some(shade) = shades
            .iter()
            .find(|s| s.start.contains(&&*op.f) || s.stop.contains(&&*op.f))
        else {
            continue;
        };
        for node in nodes_with(op, &DOWN) {
            open.entry((shade.name, node)).or_insert(op.time);
        }
        for node in nodes_with(op, &UP) {
            if let Some(start) = open.remove(&(shade.name, node)) {
                out.push(Downtime {
                    node: node.to_string(),
                    shade: *shade,
                    start,
                    end: op.time,
                });
            }
        }
    }
    let last = history.last().map_or(0, |op| op.time);
    for ((fault, node), start) in open {
        if let Some(shade) = shades.iter().find(|s| s.name == fault) {
            out.push(Downtime {
                node: node.to_string(),
                shade: *shade,
                start,
                end: last.max(start),
            });
        }
    }
    out.sort_by(|a, b| (a.start, &a.node).cmp(&(b.start, &b.node)));
    out
}

/// How many of `shade`'s start ops changed something (a partition always does; a kill or pause
/// that named no live node does not), whether they act on nodes, and how many times each node
/// was hit.
fn hits<'a>(history: &'a [Op], shade: &Shade) -> (usize, bool, BTreeMap<&'a str, usize>) {
    let starts: Vec<&Op> = history
        .iter()
        .filter(|op| op.process == Process::Nemesis && shade.start.contains(&&*op.f))
        .collect();
    // A start is recorded twice, before and after it acts; the second names what it did.
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    let mut times = 0;
    let mut on_nodes = false;
    for op in starts.iter().skip(1).step_by(2) {
        if let Edn::Map(_) = op.value {
            on_nodes = true;
            let hit = nodes_with(op, &DOWN);
            if hit.is_empty() {
                continue;
            }
            for node in hit {
                *per_node.entry(node).or_default() += 1;
            }
        }
        times += 1;
    }
    (times, on_nodes, per_node)
}

/// For a fault on nodes (kill, pause), each of its start ops (recorded twice, before and
/// after it acts) as the time of its first record, where the views' span for it starts, and
/// whether it hit some node (`{}`, or every node it picked already down, hit none); empty
/// for a fault that does not act on nodes (a partition).
pub fn start_hits(history: &[Op], shade: &Shade) -> Vec<(u64, bool)> {
    let starts: Vec<&Op> = history
        .iter()
        .filter(|op| op.process == Process::Nemesis && shade.start.contains(&&*op.f))
        .collect();
    starts
        .chunks(2)
        .filter_map(|pair| match pair {
            // `{"n1" :killed}` or `{}`: a map of nodes to what happened to each (a
            // partition's grudge maps nodes to sets).
            [asked, done] => match &done.value {
                Edn::Map(entries) if entries.iter().all(|(_, v)| matches!(v, Edn::Keyword(_))) => {
                    Some((asked.time, !nodes_with(done, &DOWN).is_empty()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The nodes `shade`'s fault hit and how often (`n0 1, n2 3`); None for a fault that hit no
/// node (a partition, or a kill that found every node already down).
pub fn node_hits(history: &[Op], shade: &Shade) -> Option<String> {
    let (_, _, per_node) = hits(history, shade);
    let nodes: Vec<String> = per_node.iter().map(|(n, k)| format!("{n} {k}")).collect();
    (!nodes.is_empty()).then(|| nodes.join(", "))
}

/// `partition 3 times; kill 4 times (n0 1, n2 3)`: for each fault of `shades` that acted, how
/// many of its start ops changed something and, for faults on nodes, how many times each node
/// was hit ([`node_hits`]). None when no fault acted.
pub fn summary_line(history: &[Op], shades: &[Shade]) -> Option<String> {
    let mut parts = Vec::new();
    for shade in shades {
        let (times, on_nodes, _) = hits(history, shade);
        if times == 0 {
            continue;
        }
        let mut part = format!(
            "{} {times} time{}",
            shade.name,
            if times == 1 { "" } else { "s" }
        );
        if on_nodes {
            part.push_str(&format!(
                " ({})",
                node_hits(history, shade).unwrap_or_default()
            ));
        }
        parts.push(part);
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType;
    use crate::nemesis::{kill::Kill, partition::Partition, pause::Pause, Fault};

    fn nemesis(time: u64, f: &str, value: &str) -> Op {
        let mut op = Op::new(
            OpType::Info,
            Process::Nemesis,
            f,
            crate::edn::parse(value).expect("edn"),
        );
        op.time = time;
        op
    }

    fn history() -> Vec<Op> {
        vec![
            nemesis(1, "kill", ":majority"),
            nemesis(2, "kill", r#"{"n1" :killed, "n2" :killed}"#),
            nemesis(3, "pause", ":one"),
            nemesis(4, "pause", r#"{"n0" :paused}"#),
            nemesis(5, "start-partition", ":one"),
            nemesis(
                6,
                "start-partition",
                r#"[:isolated {"n0" #{"n1"}, "n1" #{"n0"}}]"#,
            ),
            nemesis(7, "start", ":all"),
            nemesis(
                8,
                "start",
                r#"{"n0" :already-running, "n1" :started, "n2" :started}"#,
            ),
            nemesis(9, "kill", ":minority-third"),
            nemesis(10, "kill", "{}"),
            nemesis(11, "start", ":all"),
            nemesis(12, "start", r#"{"n0" :already-running}"#),
            nemesis(13, "kill", ":one"),
            nemesis(14, "kill", r#"{"n2" :killed}"#),
        ]
    }

    fn shades() -> Vec<Shade> {
        vec![Partition.shade(), Pause.shade(), Kill.shade()]
    }

    /// A node is down from the op that killed or paused it to the one that started or resumed
    /// it, or to the end; a kill that named nobody leaves nothing.
    #[test]
    fn downtimes_follow_each_node() {
        let spans: Vec<(String, &str, u64, u64)> = downtimes(&history(), &shades())
            .into_iter()
            .map(|d| (d.node, d.shade.name, d.start, d.end))
            .collect();
        assert_eq!(
            spans,
            [
                ("n1".into(), "kill", 2, 8),
                ("n2".into(), "kill", 2, 8),
                ("n0".into(), "pause", 4, 14),
                ("n2".into(), "kill", 14, 14),
            ]
        );
    }

    /// The summary counts the starts that did something, per fault and per node.
    #[test]
    fn summary_counts_faults_per_node() {
        assert_eq!(
            summary_line(&history(), &shades()).as_deref(),
            Some("partition 1 time; pause 1 time (n0 1); kill 2 times (n1 1, n2 2)")
        );
        assert_eq!(summary_line(&history()[8..10], &shades()), None);
        assert_eq!(summary_line(&[], &shades()), None);
    }
}
