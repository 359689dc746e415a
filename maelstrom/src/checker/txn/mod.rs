//! The transaction checkers: Elle's rw-register and list-append analyses as Maelstrom's
//! `workload/txn_rw_register.clj` and `workload/txn_list_append.clj` run them.
//!
//! - `ops`: the history's `:txn` completions as compact rows; replies that do not answer their
//!   request (`:mismatched-txn`).
//! - `rw_register`: registers: `:internal`, `:G1a`, `:G1b`, and the ww, wr, rw edges of the
//!   version order `versions` infers (writes follow reads within a transaction;
//!   `:cyclic-versions`).
//! - `list_append`: lists: the version order the longest read of each key gives
//!   (`:incompatible-order`) and its ww, wr, rw edges; `append_cases` the rest (`:internal`,
//!   `:future-read`, `:G1a`, `:G1b`, `:dirty-update`, `:duplicate-elements`).
//! - `cases`: what both find the same way (`:lost-update`, failed and intermediate writes).
//! - `model`: which anomalies the `--consistency-models` prohibit, and which models a set of
//!   anomalies rules out (`:not`, `:also-not`); `result`: Elle's result map.
//!
//! This file joins them: the data edges plus the process or realtime order (only when a
//! prohibited anomaly needs it, as Elle's `additional-graphs` decides), cycles found and named
//! by `checker::cycles`, explained by `checker::explain`, then the result map.
//!
//! Departures, on purpose: each example carries an `:explanation` and its ops a `:node`; each
//! anomaly type keeps at most `MAX_EXAMPLES` examples; anti-dependency (rw) edges are left out
//! of the graph when no prohibited anomaly needs them (so `:not` and `:also-not` are computed
//! over the anomalies searched for); `Options::mop_versions` adds an inference Maelstrom lacks.

mod append_cases;
mod cases;
mod list_append;
pub mod model;
mod ops;
mod result;
mod rw_register;
#[cfg(test)]
mod tests;
mod versions;

use crate::checker::cycles::{self, Finding, Step};
use crate::checker::explain::{describe, finding_edn, ExplainData};
use crate::checker::graph::{DepGraphBuilder, Rel};
use crate::checker::Placement;
use crate::checker::{pair_index, unknown};
use crate::edn::Edn;
use crate::history::{History, Op, Process};
use ops::Txns;
use result::{anomalies_edn, set_entry, Found};

/// How many examples of one anomaly type the results keep.
pub const MAX_EXAMPLES: usize = 8;

/// What the checker is told.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// `--consistency-models`, friendly or canonical names (`read-committed`, `PL-2`).
    pub consistency_models: Vec<String>,
    /// Which node each process talked to, for the `:node` of each op.
    pub placement: Placement<'a>,
    /// rw-register only, off in Maelstrom: also infer the version order from every read or
    /// write followed by a write of the same key inside a transaction, intermediate writes
    /// included, and link intermediate writers. This finds the dirty writes (G0) of
    /// transactions whose writes interleave, which Maelstrom's external-only inference cannot
    /// see; a node that runs each transaction as one step on its replica never produces such
    /// an edge against real time, so its verdict does not change.
    pub mop_versions: bool,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            consistency_models: vec!["strict-serializable".to_string()],
            placement: Placement::default(),
            mop_versions: false,
        }
    }
}

/// Checks a txn-rw-register history, with Maelstrom's result shape: `{:valid? bool,
/// :anomaly-types (...), :anomalies {...}}` plus `:not` and `:also-not` when anomalies were found.
/// `:valid?` is true exactly when no anomaly type remains once `:cycle-search-timeout` is dropped:
/// never `:unknown`. Unknown model names or duplicate writes give `{:valid? :unknown, :error ..}`.
pub fn check_rw_register(history: &History, opts: &Options) -> Edn {
    match analyze(history, opts, DataType::RwRegister) {
        Err(e) => unknown(e),
        Ok(found) => {
            let mut result = found.result_map();
            // Maelstrom's wrapper (`workload/txn_rw_register.clj`'s `checker`).
            let anomalies = found.reportable_without("cycle-search-timeout");
            let types: Vec<Edn> = anomalies.iter().map(|(k, _)| Edn::kw(k)).collect();
            let map = if found.reportable().is_empty() {
                Edn::Nil
            } else {
                anomalies_edn(&anomalies)
            };
            set_entry(&mut result, "valid?", Edn::Bool(types.is_empty()));
            set_entry(&mut result, "anomaly-types", Edn::List(types.into()));
            set_entry(&mut result, "anomalies", map);
            result
        }
    }
}

/// Checks a txn-list-append history: Elle's result map, `{:valid? true}` when nothing
/// reportable was found, else `{:valid? false|:unknown, :anomaly-types (...), :anomalies {...},
/// :not #{...}, :also-not #{...}}`.
pub fn check_list_append(history: &History, opts: &Options) -> Edn {
    match analyze(history, opts, DataType::ListAppend) {
        Err(e) => unknown(e),
        Ok(found) => found.result_map(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataType {
    RwRegister,
    ListAppend,
}

/// What a data type's analysis hands back: its anomalies (type, examples) and the data edges.
struct DataAnalysis {
    anomalies: Vec<(String, Vec<Edn>)>,
    edges: DepGraphBuilder,
    explainer: Box<dyn DataEdges>,
}

/// Explains a ww, wr or rw edge between two transactions (by history index), with Elle's data
/// (`{:type :wr, :key 3, :value 5, ...}`) and a clause naming `a` and `b`.
trait DataEdges {
    fn explain(&self, ctx: &Ctx, step: &Step, a: &str, b: &str) -> (Edn, String);
}

/// Everything the analyses need to name ops, keys and values.
pub struct Ctx<'a> {
    pub history: &'a History,
    pairs: Vec<Option<usize>>,
    t: Txns,
    placement: Placement<'a>,
}

impl Ctx<'_> {
    /// The node a client process talked to: Maelstrom's worker thread p mod concurrency
    /// talks to node thread mod n (`doc/workloads.md`).
    fn node(&self, process: u64) -> Option<&str> {
        let Placement { nodes, concurrency } = self.placement;
        crate::history::node_of(crate::history::Process::Client(process), concurrency, nodes)
    }

    /// "op 12 (process 3 on n1)".
    fn who(&self, index: usize) -> String {
        match self.history[index].process {
            Process::Client(p) => match self.node(p) {
                Some(node) => format!("op {index} (process {p} on {node})"),
                None => format!("op {index} (process {p})"),
            },
            Process::Nemesis => format!("op {index} (nemesis)"),
        }
    }

    /// The op as a Jepsen op map, with `:node` when known.
    fn op_edn(&self, index: usize) -> Edn {
        let op: &Op = &self.history[index];
        let mut edn = crate::history::op_edn(op);
        if let Process::Client(p) = op.process {
            if let Some(node) = self.node(p) {
                edn.push_entry("node", Edn::str(node));
            }
        }
        edn
    }

    /// The transaction at position `pos` of `t.txns`, as an op map.
    fn txn_edn(&self, pos: usize) -> Edn {
        self.op_edn(self.t.txns[pos].index)
    }

    fn who_at(&self, pos: usize) -> String {
        self.who(self.t.txns[pos].index)
    }

    fn key(&self, key: u32) -> String {
        crate::edn::compact(&self.t.key(key))
    }

    fn value(&self, value: u32) -> String {
        crate::edn::compact(&self.t.value(value))
    }
}

/// The ops in a cycle, explained for `checker::explain`.
struct Explainer<'a> {
    ctx: &'a Ctx<'a>,
    data: &'a dyn DataEdges,
}

impl ExplainData for Explainer<'_> {
    fn explain(&self, step: &Step, a: &str, b: &str) -> (Edn, String) {
        self.data.explain(self.ctx, step, a, b)
    }

    fn op(&self, index: usize) -> Edn {
        self.ctx.op_edn(index)
    }

    fn describe(&self, index: usize) -> String {
        describe(&self.ctx.history[index], &self.ctx.who(index))
    }
}

/// Anomaly types whose cycles need anti-dependency (rw) edges.
fn needs_rw(kind: &str) -> bool {
    const RW_MODELS: [&str; 7] = [
        "PL-SI",
        "PL-2.99",
        "PL-3",
        "PL-SS",
        "strong-session-snapshot-isolation",
        "strong-session-serializable",
        "strong-snapshot-isolation",
    ];
    kind.starts_with("G-single")
        || kind.starts_with("G-nonadjacent")
        || kind.starts_with("G2")
        || kind
            .strip_suffix("-cycle-exists")
            .is_some_and(|m| RW_MODELS.contains(&m))
}

fn analyze(history: &History, opts: &Options, data: DataType) -> Result<Found, String> {
    let prohibited = model::prohibited(&opts.consistency_models)?;
    let pairs = pair_index(history);
    let t = Txns::parse(history, &pairs, data == DataType::ListAppend);
    let ctx = Ctx {
        history,
        pairs,
        t,
        placement: opts.placement,
    };
    let keep_rw = prohibited.iter().any(|k| needs_rw(k));
    let analysis = match data {
        DataType::RwRegister => rw_register::analyze(&ctx, opts.mop_versions, keep_rw)?,
        DataType::ListAppend => list_append::analyze(&ctx, keep_rw)?,
    };
    let mut all: Vec<(String, Edn)> = analysis
        .anomalies
        .into_iter()
        .filter(|(_, cases)| !cases.is_empty())
        .map(|(k, cases)| (k, capped(cases)))
        .collect();
    let mismatched: Vec<Edn> = ctx
        .t
        .mismatches
        .iter()
        .map(|m| {
            Edn::map([
                ("op", ctx.op_edn(m.index)),
                (
                    "explanation",
                    Edn::Str(
                        format!(
                            "{} does not answer its request: {}",
                            ctx.who(m.index),
                            m.why
                        )
                        .into(),
                    ),
                ),
            ])
        })
        .collect();
    if !mismatched.is_empty() {
        all.push(("mismatched-txn".into(), capped(mismatched)));
    }

    // The process or realtime order, only when a prohibited anomaly needs it.
    let mut edges = analysis.edges;
    let is_txn = |op: &Op| op.f == "txn";
    if prohibited.iter().any(|k| k.ends_with("-realtime")) {
        edges.link_realtime(history, &ctx.pairs, is_txn);
    } else if prohibited.iter().any(|k| k.ends_with("-process")) {
        edges.link_process(history, is_txn);
    }
    let graph = edges.build();
    if graph.vertex_count() == 0 {
        all.push(("empty-transaction-graph".into(), Edn::Bool(true)));
    } else {
        let explainer = Explainer {
            ctx: &ctx,
            data: analysis.explainer.as_ref(),
        };
        let mut cycles: Vec<(String, Vec<Edn>)> = Vec::new();
        for finding in cycles::find(&graph) {
            let kind = finding.kind().to_string();
            let keep = |list: &Vec<Edn>| list.len() < MAX_EXAMPLES;
            match cycles.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, list)) if !keep(list) => {}
                Some((_, list)) => list.push(edn_of(&ctx, &finding, &explainer)),
                None => cycles.push((kind, vec![edn_of(&ctx, &finding, &explainer)])),
            }
        }
        all.extend(cycles.into_iter().map(|(k, v)| (k, Edn::Vector(v.into()))));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Found { all, prohibited })
}

fn edn_of(ctx: &Ctx, finding: &Finding, explainer: &Explainer) -> Edn {
    finding_edn(ctx.history, &ctx.pairs, finding, explainer)
}

fn capped(mut cases: Vec<Edn>) -> Edn {
    cases.truncate(MAX_EXAMPLES);
    Edn::Vector(cases.into())
}

/// The data edge `rel` between transactions at positions `a` and `b`, for explainers that found
/// nothing more specific.
fn plain_edge(rel: Rel, a: &str, b: &str) -> (Edn, String) {
    (
        Edn::map([("type", Edn::kw(rel.name()))]),
        format!("{a} and {b} are related by {}", rel.name()),
    )
}
