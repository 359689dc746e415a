//! list-append's anomalies found without the dependency graph (Elle's `elle/list_append.clj`):
//! `:G1a`, `:G1b`, `:duplicate-elements`, `:internal`, `:future-read`, `:dirty-update`.

use std::collections::HashMap;

use crate::checker::txn::cases::{dirty_read_case, list_edn, show_list, written, Written};
use crate::checker::txn::list_append::{list, possible, Orders};
use crate::checker::txn::ops::{Mop, Val, F};
use crate::checker::txn::Ctx;
use crate::edn::Edn;
use crate::history::OpType;

/// `:G1a` (`aborted`) or `:G1b` cases.
pub(super) fn dirty_reads(ctx: &Ctx, aborted: bool) -> Vec<Edn> {
    let t = &ctx.t;
    let Written {
        failed,
        intermediate,
    } = written(ctx, F::Append);
    let mut cases = Vec::new();
    for (pos, txn) in t.txns.iter().enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        for mop in txn.mops.iter().filter(|m| m.f == F::Read) {
            let items = list(&mop.value);
            if aborted {
                for e in items {
                    if let Some(&w) = failed.get(&(mop.key, *e)) {
                        cases.push(dirty_read_case(ctx, pos, mop, w, *e, true));
                    }
                }
            } else if let Some(e) = items.last() {
                if let Some(&w) = intermediate
                    .get(&(mop.key, *e))
                    .filter(|w| **w as usize != pos)
                {
                    cases.push(dirty_read_case(ctx, pos, mop, w, *e, false));
                }
            }
        }
    }
    cases
}

/// `:duplicate-elements`: reads (of possible transactions) with an element more than once.
pub(super) fn duplicates(ctx: &Ctx) -> Vec<Edn> {
    let mut cases = Vec::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate().filter(|(_, x)| possible(x)) {
        for mop in txn.mops.iter().filter(|m| m.f == F::Read) {
            let counts = repeated(list(&mop.value));
            if counts.is_empty() {
                continue;
            }
            let dups: Vec<String> = counts
                .iter()
                .map(|(e, n)| format!("{} ({n} times)", ctx.value(*e)))
                .collect();
            cases.push(Edn::map([
                ("op", ctx.txn_edn(pos)),
                ("mop", ctx.t.mop_edn(mop)),
                (
                    "duplicates",
                    Edn::Map(
                        counts
                            .iter()
                            .map(|(e, n)| (ctx.t.value(*e), Edn::Int(*n)))
                            .collect(),
                    ),
                ),
                (
                    "explanation",
                    Edn::Str(
                        format!(
                            "{} read key {} with elements appended once but seen more often: {}",
                            ctx.who_at(pos),
                            ctx.key(mop.key),
                            dups.join(", ")
                        )
                        .into(),
                    ),
                ),
            ]));
        }
    }
    cases
}

/// The elements of `items` seen more than once, with their counts, in order of first
/// appearance. A long list takes one pass with a hash map (Elle's `fast-frequencies`), so a read
/// of a million elements costs a million steps, not a million squared; a short one (most reads)
/// is scanned in place, which allocates nothing.
fn repeated(items: &[u32]) -> Vec<(u32, i64)> {
    const SHORT: usize = 32;
    if items.len() <= SHORT {
        if items
            .iter()
            .enumerate()
            .all(|(i, e)| !items[..i].contains(e))
        {
            return Vec::new();
        }
        let mut counts: Vec<(u32, i64)> = Vec::new();
        for e in items {
            match counts.iter_mut().find(|(x, _)| x == e) {
                Some((_, n)) => *n += 1,
                None => counts.push((*e, 1)),
            }
        }
        counts.retain(|(_, n)| *n > 1);
        return counts;
    }
    let mut counts: HashMap<u32, i64> = HashMap::with_capacity(items.len());
    let mut order: Vec<u32> = Vec::new();
    for &e in items {
        let n = counts.entry(e).or_insert(0);
        *n += 1;
        if *n == 1 {
            order.push(e);
        }
    }
    order
        .into_iter()
        .filter_map(|e| Some((e, counts[&e])).filter(|(_, n)| *n > 1))
        .collect()
}

/// What a transaction's own micro-ops say a key holds: a whole list, or (after appends to a key
/// it had not read) a known ending.
#[derive(Clone)]
enum Expect {
    Whole(Vec<u32>),
    EndsWith(Vec<u32>),
}

/// `:internal` (Elle's `op-int-case`).
pub(super) fn internal(ctx: &Ctx) -> Vec<Edn> {
    let mut cases = Vec::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        let mut state: HashMap<u32, Expect> = HashMap::new();
        for mop in &txn.mops {
            match (mop.f, &mop.value) {
                (F::Append, Val::One(v)) => {
                    let next = match state.remove(&mop.key) {
                        None => Expect::EndsWith(vec![*v]),
                        Some(Expect::Whole(mut l)) => {
                            l.push(*v);
                            Expect::Whole(l)
                        }
                        Some(Expect::EndsWith(mut l)) => {
                            l.push(*v);
                            Expect::EndsWith(l)
                        }
                    };
                    state.insert(mop.key, next);
                }
                (F::Read, value) => {
                    let seen = list(value);
                    let ok = match state.get(&mop.key) {
                        None => true,
                        Some(Expect::Whole(l)) => l.as_slice() == seen,
                        Some(Expect::EndsWith(l)) => seen.ends_with(l),
                    };
                    if !ok {
                        let (key, text) = match &state[&mop.key] {
                            Expect::Whole(l) => ("expected", show_list(ctx, l)),
                            Expect::EndsWith(l) => ("expected-ending", show_list(ctx, l)),
                        };
                        let expected = match &state[&mop.key] {
                            Expect::Whole(l) | Expect::EndsWith(l) => list_edn(ctx, l),
                        };
                        cases.push(Edn::map([
                            ("op", ctx.txn_edn(pos)),
                            ("mop", ctx.t.mop_edn(mop)),
                            (key, expected),
                            (
                                "explanation",
                                Edn::Str(
                                    format!(
                                    "{} read key {} as {}, but its own earlier micro-ops say it \
                                     should {} {text}",
                                    ctx.who_at(pos),
                                    ctx.key(mop.key),
                                    show_list(ctx, seen),
                                    if key == "expected" { "be" } else { "end with" },
                                )
                                    .into(),
                                ),
                            ),
                        ]));
                        break;
                    }
                    state.insert(mop.key, Expect::Whole(seen.to_vec()));
                }
                _ => {}
            }
        }
    }
    cases
}

/// `:future-read`: a read containing an element the same transaction appends afterwards.
pub(super) fn future_reads(ctx: &Ctx) -> Vec<Edn> {
    let mut cases = Vec::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        let mut read: Vec<&Mop> = Vec::new();
        for mop in &txn.mops {
            match (mop.f, &mop.value) {
                (F::Read, _) => read.push(mop),
                (F::Append, Val::One(v)) => {
                    let early = read
                        .iter()
                        .find(|r| r.key == mop.key && list(&r.value).contains(v));
                    if let Some(r) = early {
                        cases.push(Edn::map([
                            ("op", ctx.txn_edn(pos)),
                            ("mop", ctx.t.mop_edn(r)),
                            ("element", ctx.t.value(*v)),
                            (
                                "explanation",
                                Edn::Str(
                                    format!(
                                        "{} read {} in key {} before appending it itself",
                                        ctx.who_at(pos),
                                        ctx.value(*v),
                                        ctx.key(mop.key)
                                    )
                                    .into(),
                                ),
                            ),
                        ]));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    cases
}

/// `:dirty-update`: in a key's version order, a committed append right after one or more
/// appends of failed transactions (Elle's `dirty-update-cases`).
pub(super) fn dirty_updates(ctx: &Ctx, orders: &Orders) -> Vec<Edn> {
    let t = &ctx.t;
    let mut writer: HashMap<(u32, u32), u32> = HashMap::new();
    for (pos, txn) in t.txns.iter().enumerate() {
        for mop in txn.mops.iter().filter(|m| m.f == F::Append) {
            if let Val::One(v) = mop.value {
                writer.insert((mop.key, v), pos as u32);
            }
        }
    }
    let mut keys: Vec<&u32> = orders.values.keys().collect();
    keys.sort_unstable();
    let mut cases = Vec::new();
    for &k in keys {
        // The last transaction that counts (None: the initial state) and the elements since.
        let mut t1: Option<u32> = None;
        let mut since: Vec<u32> = Vec::new();
        let kind = |pos: Option<u32>| pos.map_or(OpType::Ok, |p| t.txns[p as usize].op_type);
        for &v in &orders.values[&k] {
            let Some(&t2) = writer.get(&(k, v)) else {
                continue;
            };
            since.push(v);
            match (kind(t1), kind(Some(t2))) {
                (OpType::Fail, OpType::Ok) => {
                    let failed = t1.unwrap_or(t2) as usize;
                    cases.push(Edn::map([
                        ("key", t.key(k)),
                        ("values", list_edn(ctx, &since)),
                        (
                            "txns",
                            Edn::Vector(vec![ctx.txn_edn(failed), ctx.txn_edn(t2 as usize)].into()),
                        ),
                        (
                            "explanation",
                            Edn::Str(
                                format!(
                                "{} appended {} to key {} on top of {}, which {} appended in a \
                                 transaction that failed",
                                ctx.who_at(t2 as usize),
                                ctx.value(v),
                                ctx.key(k),
                                show_list(ctx, &since[..since.len() - 1]),
                                ctx.who_at(failed)
                            )
                                .into(),
                            ),
                        ),
                    ]));
                    (t1, since) = (Some(t2), vec![v]);
                }
                (_, OpType::Info) | (OpType::Fail, OpType::Fail) => {}
                _ => (t1, since) = (Some(t2), vec![v]),
            }
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::repeated;

    /// Elements seen more than once are found with their counts, in order of first appearance;
    /// a list without repeats gives nothing.
    #[test]
    fn repeated_elements_are_counted() {
        assert_eq!(repeated(&[3, 1, 3, 2, 1, 3]), [(3, 3), (1, 2)]);
        assert!(repeated(&[1, 2, 3]).is_empty());
        assert!(repeated(&[]).is_empty());
        let short: Vec<u32> = (0..20).chain([5, 5]).collect();
        assert_eq!(repeated(&short), [(5, 3)]);
        let long: Vec<u32> = (0..100_000).chain([99_999, 0]).collect();
        assert_eq!(repeated(&long), [(0, 2), (99_999, 2)]);
    }
}
