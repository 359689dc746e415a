//! Per-node final reads, for the set workloads (broadcast, g-set): after the final phase's
//! recovery sleep, every node's final read must hold every acknowledged element.
//!
//! Why: set-full (`checker/set_full.rs`, Jepsen's `jepsen.checker/set-full`) judges each element
//! by the latest-invoked read only. The final reads run concurrently, one per worker, so a node
//! that never received some values fails only when its final read happens to be invoked last:
//! the same broken node passes or fails from run to run. Here every node's final read is held to
//! every value whose add was acknowledged (all of them completed before the final phase began),
//! so such a node fails every time. This is a deliberate difference from Maelstrom (the README's
//! table).
//!
//! Result: `{n4 {:missing-count 22, :missing (3 7 ...)}}`, keyed by node keyword, only for nodes
//! whose final read missed something. A node with several workers (`--concurrency` above the
//! node count) has the union of what its final reads missed. Nodes whose final read failed or
//! timed out are not judged here (the stats show the failures).

use std::collections::BTreeMap;

use crate::checker::pair_index;
use crate::checker::values::{key, sort_by_id, Key, KeyMap};
use crate::edn::Edn;
use crate::history::{History, OpType, Placement, RunFacts};
use crate::options::TestOptions;

/// Which final reads to check and how to name their nodes.
pub struct Cluster<'a> {
    /// Where each process ran.
    pub placement: Placement<'a>,
    /// The history index where the final phase began, for workloads whose final reads carry no
    /// `:final?` flag (g-set); reads flagged `:final?` count whatever this is.
    pub final_phase_start: Option<usize>,
}

impl<'a> Cluster<'a> {
    /// The cluster of a run: its options and what the runner recorded.
    pub fn of(opts: &'a TestOptions, facts: &RunFacts) -> Cluster<'a> {
        Cluster {
            placement: Placement {
                nodes: &opts.nodes,
                concurrency: opts.concurrency,
            },
            final_phase_start: facts.final_phase_start,
        }
    }
}

/// The nodes whose final `:ok` read missed acknowledged elements (adds of `add_f` completed
/// `:ok`), with what they missed, sorted; an empty map when none did or there were no final reads.
pub fn check(history: &History, add_f: &str, cluster: &Cluster) -> Result<Edn, String> {
    let mut acknowledged: KeyMap<&Edn> = KeyMap::default();
    for op in history {
        if op.f == add_f && op.op_type == OpType::Ok && op.is_client() {
            acknowledged.entry(key(&op.value)).or_insert(&op.value);
        }
    }
    let pairs = pair_index(history);
    // Node -> the acknowledged elements its final reads missed.
    let mut missing: BTreeMap<usize, KeyMap<&Edn>> = BTreeMap::new();
    for (i, op) in history.iter().enumerate() {
        if op.f != "read" || op.op_type != OpType::Ok {
            continue;
        }
        let in_final_phase = cluster
            .final_phase_start
            .is_some_and(|start| pairs[i].is_some_and(|invoke| invoke >= start));
        if !op.final_read && !in_final_phase {
            continue;
        }
        let Some(node) = cluster.placement.node_of(op.process) else {
            continue;
        };
        let items: &[Edn] = match &op.value {
            Edn::Vector(items) | Edn::List(items) | Edn::Set(items) => items,
            _ => &[],
        };
        let seen: std::collections::HashSet<Key> = items.iter().map(key).collect();
        let position = cluster
            .placement
            .nodes
            .iter()
            .position(|n| n == node)
            .unwrap_or_default();
        let entry = missing.entry(position).or_default();
        for (k, value) in &acknowledged {
            if !seen.contains(k) {
                entry.insert(key(value), value);
            }
        }
    }
    let mut nodes = Vec::new();
    for (position, values) in missing {
        if values.is_empty() {
            continue;
        }
        let mut values: Vec<&Edn> = values.into_values().collect();
        sort_by_id(&mut values, |v| v)
            .map_err(|e| format!("cannot sort the elements a final read missed: {e}"))?;
        nodes.push((
            Edn::kw(&cluster.placement.nodes[position]),
            Edn::map([
                ("missing-count", Edn::Int(values.len() as i64)),
                ("missing", Edn::List(values.into_iter().cloned().collect())),
            ]),
        ));
    }
    Ok(Edn::Map(nodes.into()))
}

/// Set-full's result with `:final-reads` added when a node's final read missed something, and
/// then `:valid? false`. A result set-full could not decide (`:error`) is left as it is.
pub fn amend(set_full: Edn, history: &History, add_f: &str, cluster: &Cluster) -> Edn {
    let Edn::Map(entries) = set_full else {
        return set_full;
    };
    if entries.iter().any(|(k, _)| *k == Edn::kw("error")) {
        return Edn::Map(entries);
    }
    let mut entries = entries.into_vec();
    match check(history, add_f, cluster) {
        Ok(Edn::Map(nodes)) if nodes.is_empty() => {}
        Ok(nodes) => {
            for (k, v) in entries.iter_mut() {
                if *k == Edn::kw("valid?") {
                    *v = Edn::Bool(false);
                }
            }
            entries.push((Edn::kw("final-reads"), nodes));
        }
        Err(error) => entries.push((Edn::kw("final-reads-error"), Edn::Str(error.into()))),
    }
    Edn::Map(entries.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{ints, Builder};
    use crate::edn::compact;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    /// Two workers on n0 and n1: both add, then (flagged) final reads.
    fn two_nodes(final_n0: &[i64], final_n1: &[i64], flagged: bool) -> History {
        let mut b = Builder::new();
        b.invoke(0, 0, "broadcast", Edn::Int(1))
            .ok(1, 0, "broadcast", Edn::Int(1))
            .invoke(2, 1, "broadcast", Edn::Int(2))
            .ok(3, 1, "broadcast", Edn::Int(2))
            .invoke(4, 1, "broadcast", Edn::Int(3))
            .info(5, 1, "broadcast", Edn::Int(3));
        // Process 1 became 3 after its :info (concurrency 2): still thread 1, node n1.
        b.invoke(100, 0, "read", Edn::Nil)
            .invoke(100, 3, "read", Edn::Nil)
            .ok(101, 3, "read", ints(final_n1))
            .ok(102, 0, "read", ints(final_n0));
        let mut history = b.build();
        for op in history.iter_mut().skip(6) {
            op.final_read = flagged;
        }
        history
    }

    fn cluster(nodes: &[String], start: Option<usize>) -> Cluster<'_> {
        Cluster {
            placement: Placement {
                nodes,
                concurrency: 2,
            },
            final_phase_start: start,
        }
    }

    /// A node whose final read lacks an acknowledged value is named with what it missed; the
    /// unacknowledged value (3, :info) is not required.
    #[test]
    fn names_the_node_and_the_missing_values() {
        let names = nodes(2);
        let h = two_nodes(&[1, 2], &[1], true);
        let result = check(&h, "broadcast", &cluster(&names, None));
        assert_eq!(
            result.map(|r| compact(&r)),
            Ok("{:n1 {:missing-count 1, :missing (2)}}".to_string())
        );
    }

    /// Every final read complete: nothing to report, and set-full's result is left unchanged.
    #[test]
    fn complete_final_reads_change_nothing() {
        let names = nodes(2);
        let h = two_nodes(&[2, 1, 3], &[1, 2], true);
        let result = check(&h, "broadcast", &cluster(&names, None));
        assert_eq!(result.map(|r| compact(&r)), Ok("{}".to_string()));
        let set_full = Edn::map([("valid?", Edn::Bool(true))]);
        let amended = amend(set_full.clone(), &h, "broadcast", &cluster(&names, None));
        assert_eq!(amended, set_full);
    }

    /// A missing value makes set-full's valid result invalid and adds :final-reads.
    #[test]
    fn missing_value_makes_the_result_invalid() {
        let names = nodes(2);
        let h = two_nodes(&[], &[1, 2], true);
        let set_full = Edn::map([("valid?", Edn::Bool(true)), ("lost-count", Edn::Int(0))]);
        let amended = amend(set_full, &h, "broadcast", &cluster(&names, None));
        assert_eq!(
            compact(&amended),
            "{:valid? false, :lost-count 0, :final-reads {:n0 {:missing-count 2, :missing (1 2)}}}"
        );
    }

    /// Unflagged final reads (g-set) are found by the final phase's start; without it, and
    /// without flags, main-phase reads are never judged.
    #[test]
    fn unflagged_final_reads_need_the_phase_start() {
        let names = nodes(2);
        let h = two_nodes(&[1], &[1, 2], false);
        let unflagged = check(&h, "broadcast", &cluster(&names, None));
        assert_eq!(unflagged.map(|r| compact(&r)), Ok("{}".to_string()));
        let by_start = check(&h, "broadcast", &cluster(&names, Some(6)));
        assert_eq!(
            by_start.map(|r| compact(&r)),
            Ok("{:n0 {:missing-count 1, :missing (2)}}".to_string())
        );
    }

    /// A failed final read is not judged.
    #[test]
    fn failed_final_reads_are_not_judged() {
        let names = nodes(1);
        let mut b = Builder::new();
        b.invoke(0, 0, "broadcast", Edn::Int(1))
            .ok(1, 0, "broadcast", Edn::Int(1))
            .invoke(2, 0, "read", Edn::Nil)
            .fail(3, 0, "read", Edn::Nil);
        let result = check(&b.build(), "broadcast", &cluster(&names, Some(2)));
        assert_eq!(result.map(|r| compact(&r)), Ok("{}".to_string()));
    }
}
