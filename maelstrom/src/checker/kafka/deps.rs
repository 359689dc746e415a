//! The dependency graph of sends and polls, and its cycles (Jepsen's kafka `graph` and
//! `cycles!`).
//!
//! Edges, as Maelstrom's kafka test draws them: `wr` from the op that sent a message to every
//! other op that polled it, and `realtime` from an op to the ops invoked after it completed
//! (Jepsen asks Elle for strict serializability, which brings in the realtime graph). Maelstrom
//! does not turn on `:ww-deps`, so there are no `ww` edges: writes are not isolated in Kafka's
//! model, and those cycles (G0) would be expected anyway. What remains to be found is mostly
//! G1c-realtime: a poll that completed before the send of a message it returned was invoked.

use crate::checker::cycles::{self, Step};
use crate::checker::explain::{describe, finding_edn, ExplainData};
use crate::checker::graph::{DepGraph, DepGraphBuilder, Rel};
use crate::checker::kafka::Ctx;
use crate::edn::Edn;
use crate::history::Op;

/// The graph, or an error naming a polled message that no op sent (Jepsen fails the whole
/// analysis on it: without a writer the reads cannot be ordered).
pub fn graph(ctx: &Ctx) -> Result<DepGraph, String> {
    let (t, history) = (ctx.t, ctx.history);
    let mut g = DepGraphBuilder::new();
    for op in t.ops.iter().filter(|op| op.kind.is_txn()) {
        for row in t.op_reads(op) {
            let Some(&writer) = ctx.writer_of.get(&(row.key, row.value)) else {
                return Err(format!(
                    "{} polled message {} at offset {} of key {}, which no op sent",
                    ctx.who(op.index),
                    crate::edn::compact(&ctx.value(row.value)),
                    row.offset().map_or("nil".into(), |o| o.to_string()),
                    crate::edn::compact(&ctx.key(row.key)),
                ));
            };
            g.link(t.ops[writer as usize].index, op.index, Rel::Wr);
        }
    }
    let is_txn = |op: &Op| matches!(op.f.as_str(), "send" | "poll" | "txn");
    g.link_realtime(history, ctx.pairs, is_txn);
    Ok(g.build())
}

/// Cycle anomalies by type, in order of first appearance; `empty-transaction-graph` when the
/// graph has no vertex at all (Elle takes that as a sign that nothing could be inferred).
pub fn anomalies(ctx: &Ctx, g: &DepGraph) -> Vec<(String, Vec<Edn>)> {
    let mut by_type: Vec<(String, Vec<Edn>)> = Vec::new();
    if g.vertex_count() == 0 {
        by_type.push(("empty-transaction-graph".into(), vec![Edn::Bool(true)]));
        return by_type;
    }
    for finding in cycles::find(g) {
        let edn = finding_edn(ctx.history, ctx.pairs, &finding, ctx);
        let kind = finding.kind().to_string();
        match by_type.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, list)) => list.push(edn),
            None => by_type.push((kind, vec![edn])),
        }
    }
    by_type
}

/// Steps in a cycle, for sorting examples by length.
pub fn step_count(cycle: &Edn) -> usize {
    match cycle.get("steps") {
        Some(Edn::Vector(steps)) => steps.len(),
        _ => 0,
    }
}

impl ExplainData for Ctx<'_> {
    fn explain(&self, step: &Step, a: &str, b: &str) -> (Edn, String) {
        let t = self.t;
        let reader = self.position(step.to);
        let row = reader.and_then(|r| {
            t.op_reads(&t.ops[r]).iter().find(|row| {
                self.writer_of
                    .get(&(row.key, row.value))
                    .is_some_and(|w| t.ops[*w as usize].index == step.from)
            })
        });
        let Some(row) = row.filter(|_| step.rel == Rel::Wr) else {
            return (
                Edn::map([("type", Edn::kw(step.rel.name()))]),
                format!("{a} and {b} are related by {}", step.rel.name()),
            );
        };
        let mop = |index: usize, f: &str| {
            mop_index(&self.history[index], f, &self.t.keys[row.key as usize])
                .map_or(Edn::Nil, |i| Edn::Int(i as i64))
        };
        let data = Edn::map([
            ("type", Edn::kw("wr")),
            ("key", self.key(row.key)),
            ("value", self.value(row.value)),
            ("a-mop-index", mop(step.from, "send")),
            ("b-mop-index", mop(step.to, "poll")),
        ]);
        let at = row
            .offset()
            .map_or(String::new(), |o| format!(" at offset {o}"));
        let why = format!(
            "{a} sent {} to key {}{at}, which {b} polled",
            crate::edn::compact(&self.value(row.value)),
            crate::edn::compact(&self.key(row.key)),
        );
        (data, why)
    }

    fn op(&self, index: usize) -> Edn {
        self.op_edn(index)
    }

    fn describe(&self, index: usize) -> String {
        describe(&self.history[index], &self.who(index))
    }
}

/// The index of the first `f` micro-op of `op` that touches `key` (Jepsen's `mop-index`).
fn mop_index(op: &Op, f: &str, key: &Edn) -> Option<usize> {
    let Edn::Vector(mops) = &op.value else {
        return None;
    };
    mops.iter().position(|mop| match mop {
        Edn::Vector(parts) => {
            parts.first() == Some(&Edn::kw(f))
                && match parts.get(1) {
                    Some(Edn::Map(entries)) => entries.iter().any(|(k, _)| k == key),
                    Some(k) => k == key,
                    None => false,
                }
        }
        _ => false,
    })
}
