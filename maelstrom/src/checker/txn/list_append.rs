//! Append-only lists (Elle's `elle/list_append.clj`).
//!
//! Every read returns a key's whole list, so reads reveal the order of appends: if all reads of
//! a key are prefixes of one another, the longest is the version order (`:incompatible-order`
//! when two are not). From it come the edges: ww from the transaction that appended an element
//! to the one that appended the next, wr from the appender of a read's last element to the
//! reader, rw from a reader that saw a list to the transaction that appended the next element.
//!
//! Besides cycles (found in `append_cases`, `:lost-update` in `cases`): `:duplicate-elements`
//! (a read with an element twice), `:internal` (a read
//! disagreeing with the transaction's own earlier reads and appends), `:future-read` (a read
//! containing an element the same transaction appends later), `:G1a` (a failed transaction's
//! element read), `:G1b` (a read ending in an element its appender followed with another in the
//! same transaction), `:dirty-update` (a committed append right after failed ones, in the version
//! order), `:lost-update` (two committed transactions that read the same list of a key and both
//! appended to it).

use std::collections::{HashMap, HashSet};

use crate::checker::cycles::Step;
use crate::checker::graph::{DepGraphBuilder, Rel};
use crate::checker::txn::append_cases::{
    dirty_reads, dirty_updates, duplicates, future_reads, internal,
};
use crate::checker::txn::cases::{list_edn, lost_updates, show_list};
use crate::checker::txn::ops::{Txn, Val, F};
use crate::checker::txn::{plain_edge, Ctx, DataAnalysis, DataEdges};
use crate::edn::Edn;
use crate::history::OpType;

/// `:ok` or `:info`: transactions that may have taken effect (Elle's `possible`).
pub(super) fn possible(txn: &Txn) -> bool {
    matches!(txn.op_type, OpType::Ok | OpType::Info)
}

pub(super) fn list(value: &Val) -> &[u32] {
    match value {
        Val::List(items) => items,
        _ => &[],
    }
}

/// Each key's version order: its elements in the order of the longest read.
#[derive(Default)]
pub(super) struct Orders {
    pub values: HashMap<u32, Vec<u32>>,
    pub position: HashMap<(u32, u32), usize>,
    /// Appender of each element (position in `t.txns`), among possible transactions.
    pub writer: HashMap<(u32, u32), u32>,
}

impl Orders {
    /// The element appended just before `v` on `key` (`None`: the initial empty list). An
    /// element never read is placed after the last one observed.
    fn previous(&self, key: u32, v: u32) -> Option<u32> {
        match self.position.get(&(key, v)) {
            Some(0) => None,
            Some(&i) => Some(self.values[&key][i - 1]),
            None => self.values.get(&key).and_then(|vs| vs.last().copied()),
        }
    }
}

/// `keep_rw`: also link anti-dependencies (rw).
pub(super) fn analyze(ctx: &Ctx, keep_rw: bool) -> Result<DataAnalysis, String> {
    let t = &ctx.t;
    unique_appends(ctx)?;
    // Distinct reads of each key, then the single-append special case.
    let mut reads: HashMap<u32, HashSet<&[u32]>> = HashMap::new();
    let mut appends: HashMap<u32, Vec<u32>> = HashMap::new();
    for txn in t.txns.iter().filter(|x| possible(x)) {
        for mop in &txn.mops {
            match (mop.f, &mop.value) {
                (F::Read, Val::List(items)) if !items.is_empty() => {
                    reads.entry(mop.key).or_default().insert(items);
                }
                (F::Append, Val::One(v)) => appends.entry(mop.key).or_default().push(*v),
                _ => {}
            }
        }
    }
    let singles: Vec<(u32, [u32; 1])> = appends
        .iter()
        .filter(|(_, vs)| vs.len() == 1)
        .map(|(k, vs)| (*k, [vs[0]]))
        .collect();
    // Elle's `(merge reads (values-from-single-appends history))`: a key with one append has
    // the version order [v] whatever its reads said, so they are not compared (a read `[9 1]` of a
    // key whose only append is 1 is no `:incompatible-order`; `:duplicate-elements`, `:G1a` and
    // the cycles still judge it).
    for (k, single) in &singles {
        reads.insert(*k, HashSet::from([&single[..]]));
    }
    let mut incompatible = Vec::new();
    let mut orders = Orders::default();
    let mut keys: Vec<u32> = reads.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        let mut sorted: Vec<&[u32]> = reads[&k].iter().copied().collect();
        sorted.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
        if let Some(pair) = sorted.windows(2).find(|w| !w[1].starts_with(w[0])) {
            incompatible.push(incompatible_case(ctx, k, pair[0], pair[1]));
        }
        let mut seen = HashSet::new();
        let longest: Vec<u32> = sorted
            .last()
            .map_or(&[][..], |l| l)
            .iter()
            .copied()
            .filter(|v| seen.insert(*v))
            .collect();
        for (i, v) in longest.iter().enumerate() {
            orders.position.insert((k, *v), i);
        }
        orders.values.insert(k, longest);
    }
    for (pos, txn) in t.txns.iter().enumerate().filter(|(_, x)| possible(x)) {
        for mop in txn.mops.iter().filter(|m| m.f == F::Append) {
            if let Val::One(v) = mop.value {
                orders.writer.insert((mop.key, v), pos as u32);
            }
        }
    }

    let g = edges(ctx, &orders, keep_rw);
    let all_orders = orders_of_all_reads(ctx);
    let anomalies = vec![
        ("G1a".to_string(), dirty_reads(ctx, true)),
        ("G1b".to_string(), dirty_reads(ctx, false)),
        ("dirty-update".to_string(), dirty_updates(ctx, &all_orders)),
        ("duplicate-elements".to_string(), duplicates(ctx)),
        ("future-read".to_string(), future_reads(ctx)),
        ("incompatible-order".to_string(), incompatible),
        ("internal".to_string(), internal(ctx)),
        ("lost-update".to_string(), lost_updates(ctx, F::Append)),
    ];
    Ok(DataAnalysis {
        anomalies,
        edges: g,
        explainer: Box::new(AppendExplainer { orders }),
    })
}

/// The version orders Elle's `dirty-update-cases` works from: the longest read of each key among
/// every transaction, failed ones included, and no single-append inference (Elle computes them
/// over the whole history, where each append appears in its invocation and its completion).
fn orders_of_all_reads(ctx: &Ctx) -> Orders {
    let mut longest: HashMap<u32, &[u32]> = HashMap::new();
    for txn in &ctx.t.txns {
        for mop in txn.mops.iter().filter(|m| m.f == F::Read) {
            let items = list(&mop.value);
            let best = longest.entry(mop.key).or_insert(items);
            if (items.len(), items) > (best.len(), *best) {
                *best = items;
            }
        }
    }
    let mut orders = Orders::default();
    for (k, items) in longest {
        let mut seen = HashSet::new();
        let values: Vec<u32> = items.iter().copied().filter(|v| seen.insert(*v)).collect();
        orders.values.insert(k, values);
    }
    orders
}

/// Elle refuses histories where one element is appended to a key twice: the version order
/// would be ambiguous.
fn unique_appends(ctx: &Ctx) -> Result<(), String> {
    let mut by: HashMap<(u32, u32), usize> = HashMap::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        for mop in txn.mops.iter().filter(|m| m.f == F::Append) {
            let Val::One(v) = mop.value else { continue };
            if let Some(first) = by.insert((mop.key, v), pos) {
                if first != pos {
                    return Err(format!(
                        "value {} appended to key {} by both {} and {}: the checker needs \
                         unique values per key",
                        ctx.value(v),
                        ctx.key(mop.key),
                        ctx.who_at(first),
                        ctx.who_at(pos)
                    ));
                }
            }
        }
    }
    Ok(())
}

fn incompatible_case(ctx: &Ctx, key: u32, a: &[u32], b: &[u32]) -> Edn {
    Edn::map([
        ("key", ctx.t.key(key)),
        (
            "values",
            Edn::Vector(vec![list_edn(ctx, a), list_edn(ctx, b)].into()),
        ),
        (
            "explanation",
            Edn::Str(
                format!(
                "key {} was read as {} and as {}: neither is a prefix of the other, so no single \
                 order of appends explains both",
                ctx.key(key),
                show_list(ctx, a),
                show_list(ctx, b)
            )
                .into(),
            ),
        ),
    ])
}

/// The data edges, over possible transactions.
fn edges(ctx: &Ctx, orders: &Orders, keep_rw: bool) -> DepGraphBuilder {
    let t = &ctx.t;
    let mut readers: HashMap<(u32, Option<u32>), Vec<u32>> = HashMap::new();
    for (pos, txn) in t
        .txns
        .iter()
        .enumerate()
        .filter(|(_, x)| keep_rw && possible(x))
    {
        for mop in txn.mops.iter().filter(|m| m.f == F::Read) {
            // An :info read of nil is the request's nil, not an observation.
            if txn.op_type == OpType::Info && mop.value == Val::Nil {
                continue;
            }
            let last = list(&mop.value).last().copied();
            readers.entry((mop.key, last)).or_default().push(pos as u32);
        }
    }
    let mut g = DepGraphBuilder::new();
    let at = |pos: u32| t.txns[pos as usize].index;
    for (pos, txn) in t.txns.iter().enumerate().filter(|(_, x)| possible(x)) {
        for mop in &txn.mops {
            match (mop.f, &mop.value) {
                (F::Read, Val::List(items)) => {
                    let Some(last) = items.last() else { continue };
                    if let Some(&w) = orders.writer.get(&(mop.key, *last)) {
                        g.link(at(w), txn.index, Rel::Wr);
                    }
                }
                (F::Append, Val::One(v)) => {
                    let prev = orders.previous(mop.key, *v);
                    if let Some(p) = prev {
                        if let Some(&w) = orders.writer.get(&(mop.key, p)) {
                            g.link(at(w), txn.index, Rel::Ww);
                        }
                    }
                    for &r in readers.get(&(mop.key, prev)).map_or(&[][..], |v| v) {
                        if r as usize != pos {
                            g.link(at(r), txn.index, Rel::Rw);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    g
}

/// Explains list-append edges from the version order.
struct AppendExplainer {
    orders: Orders,
}

impl DataEdges for AppendExplainer {
    fn explain(&self, ctx: &Ctx, step: &Step, a: &str, b: &str) -> (Edn, String) {
        let t = &ctx.t;
        let (Some(pa), Some(pb)) = (t.position(step.from), t.position(step.to)) else {
            return plain_edge(step.rel, a, b);
        };
        let o = &self.orders;
        let data = |kind: &str, k: u32, v: Option<u32>, v2: Option<u32>| {
            let value = |v: Option<u32>| v.map_or(Edn::Nil, |v| t.value(v));
            let mut entries = vec![
                ("type", Edn::kw(kind)),
                ("key", t.key(k)),
                ("value", value(v)),
            ];
            if kind != "wr" {
                entries.push(("value'", value(v2)));
            }
            Edn::map(entries)
        };
        for mop in &t.txns[pb].mops {
            match (step.rel, mop.f, &mop.value) {
                (Rel::Wr, F::Read, Val::List(items)) => {
                    let Some(&last) = items.last() else { continue };
                    if o.writer.get(&(mop.key, last)) == Some(&(pa as u32)) {
                        let why = format!(
                            "{a} appended {} to key {}, which {b} observed",
                            ctx.value(last),
                            ctx.key(mop.key)
                        );
                        return (data("wr", mop.key, Some(last), None), why);
                    }
                }
                (Rel::Ww, F::Append, Val::One(v)) => {
                    let Some(prev) = o.previous(mop.key, *v) else {
                        continue;
                    };
                    if o.writer.get(&(mop.key, prev)) == Some(&(pa as u32)) {
                        let why = format!(
                            "{a} appended {} to key {}, and {b} appended {} right after it",
                            ctx.value(prev),
                            ctx.key(mop.key),
                            ctx.value(*v)
                        );
                        return (data("ww", mop.key, Some(prev), Some(*v)), why);
                    }
                }
                (Rel::Rw, F::Append, Val::One(v)) => {
                    let prev = o.previous(mop.key, *v);
                    let saw = t.txns[pa].mops.iter().any(|r| {
                        r.f == F::Read && r.key == mop.key && list(&r.value).last().copied() == prev
                    });
                    if saw {
                        let why = match prev {
                            None => format!(
                                "{a} observed the initial (empty) state of key {}, which {b} \
                                 changed by appending {}",
                                ctx.key(mop.key),
                                ctx.value(*v)
                            ),
                            Some(p) => format!(
                                "{a} read key {} ending in {}, and did not observe {b}'s \
                                 append of {}, the next element",
                                ctx.key(mop.key),
                                ctx.value(p),
                                ctx.value(*v)
                            ),
                        };
                        return (data("rw", mop.key, prev, Some(*v)), why);
                    }
                }
                _ => {}
            }
        }
        plain_edge(step.rel, a, b)
    }
}
