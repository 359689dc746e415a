//! Anomalies both data types find the same way, without the dependency graph (Elle's
//! `elle/txn.clj`: `failed-writes`, `intermediate-writes`, `lost-update-cases`), and the small
//! printing helpers their explanations share.

use std::collections::{HashMap, HashSet};

use crate::checker::txn::ops::{Mop, Val, F};
use crate::checker::txn::Ctx;
use crate::edn::Edn;
use crate::history::OpType;

/// Values by the transactions that wrote (or appended, `f`) them: `failed` by `:fail`
/// transactions, `intermediate` (overwritten later in the same transaction) by any completion.
/// Both map (key, value) to the writer's position in `t.txns`.
pub(super) struct Written {
    pub failed: HashMap<(u32, u32), u32>,
    pub intermediate: HashMap<(u32, u32), u32>,
}

pub(super) fn written(ctx: &Ctx, f: F) -> Written {
    let mut w = Written {
        failed: HashMap::new(),
        intermediate: HashMap::new(),
    };
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        let mut last: HashMap<u32, u32> = HashMap::new();
        for mop in txn.mops.iter().filter(|m| m.f == f) {
            let Val::One(v) = mop.value else { continue };
            if txn.op_type == OpType::Fail {
                w.failed.insert((mop.key, v), pos as u32);
            }
            if let Some(prev) = last.insert(mop.key, v) {
                w.intermediate.insert((mop.key, prev), pos as u32);
            }
        }
    }
    w
}

/// One G1a or G1b case: `reader` (position) read `mop`, whose value `element` came from `writer`.
pub(super) fn dirty_read_case(
    ctx: &Ctx,
    reader: usize,
    mop: &Mop,
    writer: u32,
    element: u32,
    aborted: bool,
) -> Edn {
    let why = if aborted {
        format!(
            "{} read {} of key {}, which {} wrote in a transaction that failed",
            ctx.who_at(reader),
            ctx.value(element),
            ctx.key(mop.key),
            ctx.who_at(writer as usize)
        )
    } else {
        format!(
            "{} read {} of key {}, an intermediate state: {} overwrote it later in the same transaction",
            ctx.who_at(reader),
            ctx.value(element),
            ctx.key(mop.key),
            ctx.who_at(writer as usize)
        )
    };
    Edn::map([
        ("op", ctx.txn_edn(reader)),
        ("mop", ctx.t.mop_edn(mop)),
        ("writer", ctx.txn_edn(writer as usize)),
        ("element", ctx.t.value(element)),
        ("explanation", Edn::Str(why.into())),
    ])
}

/// `:lost-update` (Elle's `lost-update-cases`): committed transactions that read the same value
/// of a key before first writing (`f`) it, two or more per (key, value).
pub(super) fn lost_updates(ctx: &Ctx, f: F) -> Vec<Edn> {
    let mut by: HashMap<(u32, &Val), Vec<usize>> = HashMap::new();
    let mut order: Vec<(u32, &Val)> = Vec::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        let mut reads: HashMap<u32, &Val> = HashMap::new();
        let mut writes: HashSet<u32> = HashSet::new();
        for mop in &txn.mops {
            if mop.f == f && !writes.contains(&mop.key) {
                if let Some(&read) = reads.get(&mop.key) {
                    writes.insert(mop.key);
                    let list = by.entry((mop.key, read)).or_default();
                    if list.is_empty() {
                        order.push((mop.key, read));
                    }
                    list.push(pos);
                }
            } else if mop.f == F::Read {
                reads.entry(mop.key).or_insert(&mop.value);
            }
        }
    }
    let mut cases = Vec::new();
    for key in order {
        let txns = &by[&key];
        if txns.len() < 2 {
            continue;
        }
        let (k, value) = key;
        let shown = match value {
            Val::Nil => "nil".to_string(),
            Val::One(v) => ctx.value(*v),
            Val::List(items) => show_list(ctx, items),
        };
        let value_edn = match value {
            Val::Nil => Edn::Nil,
            Val::One(v) => ctx.t.value(*v),
            Val::List(items) => list_edn(ctx, items),
        };
        let who: Vec<String> = txns.iter().map(|p| ctx.who_at(*p)).collect();
        cases.push(Edn::map([
            ("key", ctx.t.key(k)),
            ("value", value_edn),
            (
                "txns",
                Edn::Vector(txns.iter().map(|p| ctx.txn_edn(*p)).collect()),
            ),
            (
                "explanation",
                Edn::Str(
                    format!(
                    "{} all read key {} = {shown} and then wrote it: all but one update was lost",
                    who.join(", "),
                    ctx.key(k)
                )
                    .into(),
                ),
            ),
        ]));
    }
    cases
}

/// A list of values as text: `[1 2 3]`.
pub(super) fn show_list(ctx: &Ctx, items: &[u32]) -> String {
    let parts: Vec<String> = items.iter().map(|v| ctx.value(*v)).collect();
    format!("[{}]", parts.join(" "))
}

/// A list of values as EDN.
pub(super) fn list_edn(ctx: &Ctx, items: &[u32]) -> Edn {
    Edn::Vector(items.iter().map(|v| ctx.t.value(*v)).collect())
}
