//! Read-write registers (Elle's `elle/rw_register.clj`, with Maelstrom's `:wfr-keys? true`).
//!
//! A register's versions cannot be ordered by looking at them; `versions` infers what it can
//! (nil first, then writes follow reads within a transaction). From that order come the edges:
//! ww from the writer of a version to the writer of the next, rw from a reader of a version to
//! the writer of the next, and wr from a writer to the readers of what it wrote. Only external
//! reads and writes count (a key's first read before the transaction wrote it, its last write).
//! Two transactions that both blindly overwrite a key are never ordered, so a pure write cycle
//! (G0) between them cannot be seen: `Options::mop_versions` narrows that blind spot.
//!
//! Besides cycles: `:internal` (a read disagreeing with the transaction's own earlier read or
//! write), `:G1a` (a read of a failed transaction's write), `:G1b` (a read of a value its writer
//! overwrote in the same transaction), and, from `cases`, `:lost-update`.

use std::collections::HashMap;

use crate::checker::cycles::Step;
use crate::checker::graph::{DepGraphBuilder, Rel};
use crate::checker::txn::cases::{dirty_read_case, lost_updates, written};
use crate::checker::txn::ops::{Txn, Val, F};
use crate::checker::txn::versions::{versions, Versions};
use crate::checker::txn::{plain_edge, Ctx, DataAnalysis, DataEdges};
use crate::edn::Edn;
use crate::history::OpType;

/// A transaction's external reads (key, value or `None` for nil) and the writes that give
/// versions (its last write of each key; every write with `mop_versions`).
#[derive(Debug, Default, Clone)]
pub(super) struct Ext {
    pub reads: Vec<(u32, Option<u32>)>,
    pub writes: Vec<(u32, u32)>,
}

fn ext(txn: &Txn, all_writes: bool) -> Ext {
    let mut e = Ext::default();
    let mut touched: Vec<u32> = Vec::new();
    for mop in &txn.mops {
        match (mop.f, &mop.value) {
            (F::Read, v) if !touched.contains(&mop.key) => {
                let v = match v {
                    Val::One(v) => Some(*v),
                    _ => None,
                };
                e.reads.push((mop.key, v));
                touched.push(mop.key);
            }
            (F::Write, Val::One(v)) => {
                if !all_writes {
                    e.writes.retain(|(k, _)| *k != mop.key);
                }
                e.writes.push((mop.key, *v));
                touched.push(mop.key);
            }
            _ => {}
        }
    }
    e
}

/// Transactions (positions in `t.txns`) by the versions they wrote and read.
struct Index {
    writers: HashMap<(u32, u32), Vec<u32>>,
    readers: HashMap<(u32, Option<u32>), Vec<u32>>,
    /// Every value written per key, for the nil -> v edges.
    values_of: HashMap<u32, Vec<u32>>,
}

fn index(ctx: &Ctx, exts: &[Ext]) -> Index {
    let mut ix = Index {
        writers: HashMap::new(),
        readers: HashMap::new(),
        values_of: HashMap::new(),
    };
    for (pos, (txn, e)) in ctx.t.txns.iter().zip(exts).enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        for &(k, v) in &e.writes {
            let list = ix.writers.entry((k, v)).or_default();
            if list.is_empty() {
                ix.values_of.entry(k).or_default().push(v);
            }
            list.push(pos as u32);
        }
        for &(k, v) in &e.reads {
            ix.readers.entry((k, v)).or_default().push(pos as u32);
        }
    }
    ix
}

/// `keep_rw`: also link anti-dependencies (rw).
pub(super) fn analyze(
    ctx: &Ctx,
    mop_versions: bool,
    keep_rw: bool,
) -> Result<DataAnalysis, String> {
    let t = &ctx.t;
    let exts: Vec<Ext> = t.txns.iter().map(|x| ext(x, mop_versions)).collect();
    let (versions, cyclic) = versions(ctx, &exts, mop_versions);
    let ix = index(ctx, &exts);
    let mut g = DepGraphBuilder::new();
    let at = |pos: u32| t.txns[pos as usize].index;
    // wr: the one writer of each value read, when that was its last write of the key (Elle's
    // wr graph links external writes only; reading an intermediate write is G1b, and with
    // `mop_versions` those writes order versions without becoming wr edges).
    let last_write = |w: u32, k: u32| {
        exts[w as usize]
            .writes
            .iter()
            .rev()
            .find(|(k2, _)| *k2 == k)
            .map(|(_, v)| *v)
    };
    for (txn, e) in t.txns.iter().zip(&exts) {
        if txn.op_type != OpType::Ok {
            continue;
        }
        for &(k, v) in &e.reads {
            let Some(v) = v else { continue };
            match ix.writers.get(&(k, v)).map(Vec::as_slice) {
                None | Some([]) => {}
                Some([w]) if last_write(*w, k) != Some(v) => {}
                Some([w]) => g.link(at(*w), txn.index, Rel::Wr),
                Some(ws) => {
                    return Err(format!(
                        "key {} had value {} written by more than one op ({} and {}): the \
                         checker needs unique values per key",
                        ctx.key(k),
                        ctx.value(v),
                        ctx.who_at(ws[0] as usize),
                        ctx.who_at(ws[1] as usize),
                    ))
                }
            }
        }
    }
    // ww and rw, from each version edge v -> v'.
    let empty: Vec<u32> = Vec::new();
    for &(k, v, v2) in &versions.edges {
        let next = ix.writers.get(&(k, v2)).unwrap_or(&empty);
        if next.is_empty() {
            continue;
        }
        if let Some(v) = v {
            for &a in ix.writers.get(&(k, v)).unwrap_or(&empty) {
                for &b in next {
                    g.link(at(a), at(b), Rel::Ww);
                }
            }
        }
        if !keep_rw {
            continue;
        }
        for &r in ix.readers.get(&(k, v)).unwrap_or(&empty) {
            for &b in next {
                g.link(at(r), at(b), Rel::Rw);
            }
        }
    }
    let anomalies = vec![
        ("G1a".to_string(), g1a(ctx)),
        ("G1b".to_string(), g1b(ctx)),
        ("cyclic-versions".to_string(), cyclic),
        ("internal".to_string(), internal(ctx)),
        ("lost-update".to_string(), lost_updates(ctx, F::Write)),
    ];
    Ok(DataAnalysis {
        anomalies,
        edges: g,
        explainer: Box::new(RwExplainer { exts, versions }),
    })
}

/// `:internal`: a read that disagrees with what the transaction itself last read or wrote.
fn internal(ctx: &Ctx) -> Vec<Edn> {
    let mut cases = Vec::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        let mut state: HashMap<u32, &Val> = HashMap::new();
        for mop in &txn.mops {
            if mop.f == F::Read {
                if let Some(expected) = state.get(&mop.key) {
                    if **expected != mop.value {
                        let show = |v: &Val| match v {
                            Val::One(v) => ctx.value(*v),
                            _ => "nil".to_string(),
                        };
                        cases.push(Edn::map([
                            ("op", ctx.txn_edn(pos)),
                            ("mop", ctx.t.mop_edn(mop)),
                            (
                                "expected",
                                match expected {
                                    Val::One(v) => ctx.t.value(*v),
                                    _ => Edn::Nil,
                                },
                            ),
                            (
                                "explanation",
                                Edn::Str(format!(
                                    "{} read key {} = {}, but its own earlier micro-ops left it at {}",
                                    ctx.who_at(pos),
                                    ctx.key(mop.key),
                                    show(&mop.value),
                                    show(expected)
                                ).into()),
                            ),
                        ]));
                        break;
                    }
                }
            }
            state.insert(mop.key, &mop.value);
        }
    }
    cases
}

fn g1a(ctx: &Ctx) -> Vec<Edn> {
    let failed = written(ctx, F::Write).failed;
    reads_of(ctx, |k, v| failed.get(&(k, v)).copied(), true)
}

fn g1b(ctx: &Ctx) -> Vec<Edn> {
    let intermediate = written(ctx, F::Write).intermediate;
    reads_of(ctx, |k, v| intermediate.get(&(k, v)).copied(), false)
}

/// Cases for `:ok` reads of a value `source` finds a writer for (other than the reader).
fn reads_of(ctx: &Ctx, source: impl Fn(u32, u32) -> Option<u32>, aborted: bool) -> Vec<Edn> {
    let mut cases = Vec::new();
    for (pos, txn) in ctx.t.txns.iter().enumerate() {
        if txn.op_type != OpType::Ok {
            continue;
        }
        for mop in txn.mops.iter().filter(|m| m.f == F::Read) {
            let Val::One(v) = mop.value else { continue };
            if let Some(w) = source(mop.key, v).filter(|w| *w as usize != pos) {
                cases.push(dirty_read_case(ctx, pos, mop, w, v, aborted));
            }
        }
    }
    cases
}

/// Explains rw-register edges from external reads, writes and the version order.
struct RwExplainer {
    exts: Vec<Ext>,
    versions: Versions,
}

impl DataEdges for RwExplainer {
    fn explain(&self, ctx: &Ctx, step: &Step, a: &str, b: &str) -> (Edn, String) {
        let (Some(pa), Some(pb)) = (ctx.t.position(step.from), ctx.t.position(step.to)) else {
            return plain_edge(step.rel, a, b);
        };
        let (ea, eb) = (&self.exts[pa], &self.exts[pb]);
        let data = |kind: &str, k: u32, v: Option<u32>, v2: Option<u32>| {
            let value = |v: Option<u32>| v.map_or(Edn::Nil, |v| ctx.t.value(v));
            let mut entries = vec![
                ("type", Edn::kw(kind)),
                ("key", ctx.t.key(k)),
                ("value", value(v)),
            ];
            if kind != "wr" {
                entries.push(("value'", value(v2)));
            }
            Edn::map(entries)
        };
        let show = |v: Option<u32>| v.map_or("nil".to_string(), |v| ctx.value(v));
        match step.rel {
            Rel::Wr => {
                for &(k, v) in &ea.writes {
                    if eb.reads.contains(&(k, Some(v))) {
                        let why = format!(
                            "{a} wrote key {} = {}, which {b} read",
                            ctx.key(k),
                            ctx.value(v)
                        );
                        return (data("wr", k, Some(v), None), why);
                    }
                }
            }
            Rel::Ww | Rel::Rw => {
                let froms: Vec<(u32, Option<u32>)> = if step.rel == Rel::Ww {
                    ea.writes.iter().map(|&(k, v)| (k, Some(v))).collect()
                } else {
                    ea.reads.clone()
                };
                for &(k, v) in &froms {
                    for &(k2, v2) in eb.writes.iter().filter(|(k2, _)| *k2 == k) {
                        if self.versions.precedes(k2, v, v2) {
                            let (kind, what) = if step.rel == Rel::Ww {
                                ("ww", format!("{a} set key {} to {}", ctx.key(k), show(v)))
                            } else {
                                ("rw", format!("{a} read key {} = {}", ctx.key(k), show(v)))
                            };
                            let why = format!(
                                "{what}, and {b} set it to {}, which came later in the version order",
                                ctx.value(v2)
                            );
                            return (data(kind, k, v, Some(v2)), why);
                        }
                    }
                }
            }
            Rel::Process | Rel::Realtime => {}
        }
        plain_edge(step.rel, a, b)
    }
}
