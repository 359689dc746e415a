//! rw-register's version order (Elle's `version-graphs` in `elle/rw_register.clj`): what can be
//! inferred about the order of a key's values, source by source.
//!
//! - `initial-state`: `nil` precedes every value written (by `:ok` or `:info` transactions) or
//!   read (by `:ok` ones).
//! - `wfr-keys` (Maelstrom's `:wfr-keys? true`): within an `:ok` transaction, the value a key had
//!   when first read precedes the value the transaction finally wrote to it.
//! - `wfr-mops` (`Options::mop_versions`, ours): within an `:ok` transaction, every value read or
//!   written precedes the next value written to the same key, intermediate writes included.
//!
//! A source that would make some key's versions cyclic is left out, and each cycle it made is a
//! `:cyclic-versions` case naming the sources.

use std::collections::{HashMap, HashSet};

use crate::checker::graph::{DepGraphBuilder, Rel};
use crate::checker::txn::ops::{Mop, Val, F};
use crate::checker::txn::rw_register::Ext;
use crate::checker::txn::Ctx;
use crate::edn::Edn;
use crate::history::OpType;

/// A version edge between values of a key: (key, value, next value).
type VersionEdge = (u32, u32, u32);

/// The inferred version order: edges v -> v' per key, `None` being the initial nil.
pub(super) struct Versions {
    pub edges: HashSet<(u32, Option<u32>, u32)>,
}

impl Versions {
    pub fn precedes(&self, key: u32, v: Option<u32>, v2: u32) -> bool {
        self.edges.contains(&(key, v, v2))
    }
}

/// Builds the version order source by source (Elle's `version-graphs`): `initial-state`,
/// `wfr-keys`, then (with `mop_versions`) `wfr-mops`. A source that would make some key's
/// versions cyclic is left out, and each cycle it made is a `:cyclic-versions` case.
pub(super) fn versions(ctx: &Ctx, exts: &[Ext], mop_versions: bool) -> (Versions, Vec<Edn>) {
    let t = &ctx.t;
    let mut accepted: HashSet<(u32, Option<u32>, u32)> = HashSet::new();
    let mut sources: Vec<&str> = vec!["initial-state"];
    // initial-state: nil precedes every value written (:ok or :info) or read (:ok).
    for (txn, e) in t.txns.iter().zip(exts) {
        if txn.op_type == OpType::Fail {
            continue;
        }
        for &(k, v) in &e.writes {
            accepted.insert((k, None, v));
        }
        if txn.op_type == OpType::Ok {
            for &(k, v) in &e.reads {
                if let Some(v) = v {
                    accepted.insert((k, None, v));
                }
            }
        }
    }
    let mut candidates: Vec<(&str, Vec<VersionEdge>)> = Vec::new();
    let oks = || {
        t.txns
            .iter()
            .zip(exts)
            .filter(|(t, _)| t.op_type == OpType::Ok)
    };
    let mut wfr = Vec::new();
    for (_, e) in oks() {
        for &(k, v) in &e.reads {
            let Some(v) = v else { continue };
            for &(k2, v2) in e.writes.iter().filter(|(k2, _)| *k2 == k) {
                if v != v2 {
                    wfr.push((k2, v, v2));
                }
            }
        }
    }
    candidates.push(("wfr-keys", wfr));
    if mop_versions {
        let mut mops = Vec::new();
        for (txn, _) in oks() {
            let mut last: HashMap<u32, Option<u32>> = HashMap::new();
            for Mop { f, key, value } in &txn.mops {
                let v = match value {
                    Val::One(v) => Some(*v),
                    _ => None,
                };
                if *f == F::Write {
                    if let (Some(Some(prev)), Some(v)) = (last.get(key), v) {
                        if *prev != v {
                            mops.push((*key, *prev, v));
                        }
                    }
                }
                last.insert(*key, v);
            }
        }
        candidates.push(("wfr-mops", mops));
    }
    let mut cases = Vec::new();
    let mut known: Vec<VersionEdge> = Vec::new();
    for (name, edges) in candidates {
        let mut trial = known.clone();
        trial.extend(edges.iter().copied());
        let mut with = sources.clone();
        with.push(name);
        let cycles = version_cycles(&trial);
        if cycles.is_empty() {
            known = trial;
            sources = with;
        } else {
            for (key, scc) in cycles {
                let values: Vec<String> = scc.iter().map(|v| ctx.value(*v)).collect();
                cases.push(Edn::map([
                    ("key", ctx.t.key(key)),
                    (
                        "scc",
                        Edn::Set(scc.iter().map(|v| ctx.t.value(*v)).collect()),
                    ),
                    (
                        "sources",
                        Edn::Vector(with.iter().map(|s| Edn::kw(s)).collect()),
                    ),
                    (
                        "explanation",
                        Edn::Str(
                            format!(
                                "the version order of key {} inferred from {} runs in a cycle \
                             through the values {}, so it was not used",
                                ctx.key(key),
                                with.join(", "),
                                values.join(", ")
                            )
                            .into(),
                        ),
                    ),
                ]));
            }
        }
    }
    accepted.extend(known.into_iter().map(|(k, v, v2)| (k, Some(v), v2)));
    (Versions { edges: accepted }, cases)
}

/// The cycles among version edges (key, v, v'): (key, the values of each strongly connected
/// component), found through the dependency-graph module with versions as vertices.
fn version_cycles(edges: &[VersionEdge]) -> Vec<(u32, Vec<u32>)> {
    let mut ids: HashMap<(u32, u32), usize> = HashMap::new();
    let mut names: Vec<(u32, u32)> = Vec::new();
    let mut id = |kv: (u32, u32)| {
        *ids.entry(kv).or_insert_with(|| {
            names.push(kv);
            names.len() - 1
        })
    };
    let mut g = DepGraphBuilder::new();
    for &(k, v, v2) in edges {
        let (a, b) = (id((k, v)), id((k, v2)));
        g.link(a, b, Rel::Ww);
    }
    g.build()
        .sccs()
        .into_iter()
        .map(|scc| {
            let key = names[scc[0]].0;
            let mut values: Vec<u32> = scc.iter().map(|i| names[*i].1).collect();
            values.sort_unstable();
            (key, values)
        })
        .collect()
}
