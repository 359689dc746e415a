//! Finding and naming the cycles of a dependency graph, as Elle does (`elle/txn.clj`,
//! `elle/core.clj`, `elle/consistency_model.clj`).
//!
//! For each strongly connected component of a `DepGraph`:
//! 1. "Cycle exists" cases (`checker::cycle_exists`): for each consistency model's subgraph
//!    (read-uncommitted allows no cycle of ww edges, read-committed none of ww and wr edges,
//!    ...), whether it has a cycle at all. These are cheap, and a model found impossible makes
//!    every stronger one redundant.
//! 2. Specific cycles: for each anomaly (G0, G1c, G-single-item, G-nonadjacent-item, G2-item and
//!    their `-process` and `-realtime` variants, most severe first), a short cycle made of the
//!    edges the anomaly allows. A breadth-first search over (op, what the path has used so far)
//!    finds the shortest such cycle through a start op. An anomaly found makes the anomalies it
//!    implies redundant (G0 implies G1c; G0 implies G0-process, which implies G0-realtime).
//!
//! A cycle is named as Elle's `cycle-explainer` (`elle/txn.clj`) names it: each step is first
//! explained by the relation the data explainers give for that pair, data relations before the
//! process and realtime orders (so an edge that is both rw and realtime is an rw step, whatever
//! the search used it for), then the cycle is named by its explained steps: one rw edge is
//! G-single-item, several rw edges of which two are adjacent G2-item, otherwise
//! G-nonadjacent-item; with no rw, any wr makes G1c, only ww G0; a realtime edge adds
//! `-realtime`, else a process edge `-process`. A cycle found for a spec that insists on its type
//! (every spec but G0, G1c and their variants) and explained as another type is dropped, as Elle
//! drops it: that spec counts as not found. Our graphs have no predicate edges, so the predicate
//! forms (G-single, G2) never occur.
//!
//! Elle stops a search after one second and reports `:cycle-search-timeout`; here the limit is a
//! number of search steps (`SEARCH_BUDGET`), so that the same history always gets the same answer.

use std::collections::{HashMap, VecDeque};

use crate::checker::cycle_exists::cycle_exists;
use crate::checker::graph::{DepGraph, Rel, Rels};
use crate::edn::Edn;
use Rel::{Process as P, Realtime as Rt, Rw, Wr, Ww};

/// How many edge traversals the search may make in one component before giving up with
/// `:cycle-search-timeout` (a few seconds at worst).
pub const SEARCH_BUDGET: u64 = 20_000_000;

/// One edge of a cycle, with the relation the search used it for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub from: usize,
    pub to: usize,
    pub rel: Rel,
}

/// What the cycle search found in one component.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// A model's subgraph has a cycle somewhere in `scc` (sorted history indexes).
    CycleExists {
        /// `"PL-2-cycle-exists"`.
        kind: String,
        /// The friendly name of the model that cannot hold: `"read-committed"`.
        not: &'static str,
        /// Elle's description of the subgraph: `[:union :ww :wwp :wr :wrp]`.
        subgraph: Edn,
        scc: Vec<usize>,
    },
    /// A specific cycle: `steps[i].to == steps[i + 1].from`, and the last step returns to the
    /// first op.
    Cycle { kind: String, steps: Vec<Step> },
    /// The search ran out of budget while looking for `spec`.
    Timeout {
        spec: String,
        does_not_contain: Vec<String>,
        scc_size: usize,
    },
}

impl Finding {
    /// The anomaly type: `"G1c-realtime"`, `"strong-PL-2-cycle-exists"`, `"cycle-search-timeout"`.
    pub fn kind(&self) -> &str {
        match self {
            Finding::CycleExists { kind, .. } | Finding::Cycle { kind, .. } => kind,
            Finding::Timeout { .. } => "cycle-search-timeout",
        }
    }
}

/// Every cyclic anomaly of `graph`, component by component (in order of their first op), each
/// step explained by the first of its edge's relations in `Rel::ALL` order (ww, wr, rw, process,
/// realtime: Elle's list-append and Jepsen's kafka explainers).
pub fn find(graph: &DepGraph) -> Vec<Finding> {
    find_within(graph, SEARCH_BUDGET, &Rel::ALL)
}

/// `find`, explaining each step by the first of its edge's relations in `order` (rw-register's
/// explainers take wr before ww: `[Wr, Ww, Rw, Process, Realtime]`).
pub fn find_explained(graph: &DepGraph, order: &[Rel; 5]) -> Vec<Finding> {
    find_within(graph, SEARCH_BUDGET, order)
}

/// `find` with `budget` search steps per component.
fn find_within(graph: &DepGraph, budget: u64, order: &[Rel; 5]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for scc in graph.sccs() {
        let sub = graph.subgraph(&scc, Rels::of(&Rel::ALL));
        findings.extend(cycle_exists(&sub, &scc));
        findings.extend(cycles_in_scc(&sub, &scc, budget, order));
    }
    findings
}

/// The steps re-explained: each takes the first relation in `order` its edge carries, as Elle's
/// combined explainer asks its data explainers before the process or realtime one.
fn explain(local: &Local, steps: Vec<Step>, order: &[Rel; 5]) -> Vec<Step> {
    steps
        .into_iter()
        .map(|step| {
            let rels = local.rels(step.from, step.to);
            let rel = order
                .iter()
                .copied()
                .find(|r| rels.contains(*r))
                .unwrap_or(step.rel);
            Step { rel, ..step }
        })
        .collect()
}

/// Elle's name for a cycle with these edges (see the module doc).
pub fn classify(steps: &[Step]) -> String {
    let count = |rel: Rel| steps.iter().filter(|s| s.rel == rel).count();
    let rw = count(Rel::Rw);
    let adjacent_rw = (0..steps.len())
        .any(|i| steps[i].rel == Rel::Rw && steps[(i + 1) % steps.len()].rel == Rel::Rw);
    let base = if rw == 1 {
        "G-single-item"
    } else if rw > 1 && adjacent_rw {
        "G2-item"
    } else if rw > 1 {
        "G-nonadjacent-item"
    } else if count(Rel::Wr) > 0 {
        "G1c"
    } else if count(Rel::Ww) > 0 {
        "G0"
    } else {
        // Only process and realtime edges: both follow the history's order, so this cannot
        // happen; name it plainly rather than fail.
        "cycle"
    };
    let suffix = if count(Rel::Realtime) > 0 {
        "-realtime"
    } else if count(Rel::Process) > 0 {
        "-process"
    } else {
        ""
    };
    format!("{base}{suffix}")
}

/// What a cycle may do with anti-dependency (rw) edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RwRule {
    None,
    ExactlyOne,
    /// Two or more, two of them adjacent (G2-item).
    AdjacentPair,
    /// Two or more, no two adjacent, counting the last and first as adjacent.
    Nonadjacent,
}

/// One row of Elle's `cycle-anomaly-specs`.
#[derive(Debug, Clone)]
struct CycleSpec {
    name: String,
    /// Relations other than rw that edges may use.
    rels: Rels,
    /// Relations the cycle must use at least once (at most two).
    required: Vec<Rel>,
    rw: RwRule,
    /// Whether the explained cycle must be of this type (Elle's `:type`): every spec but G0,
    /// G1c and their variants.
    typed: bool,
}

/// The anomalies searched for, in an order where every anomaly comes after those implying it.
fn cycle_specs() -> Vec<CycleSpec> {
    let base = [
        ("G0", Rels::of(&[Ww]), vec![], RwRule::None),
        ("G1c", Rels::of(&[Ww, Wr]), vec![Wr], RwRule::None),
        (
            "G-single-item",
            Rels::of(&[Ww, Wr]),
            vec![],
            RwRule::ExactlyOne,
        ),
        (
            "G-nonadjacent-item",
            Rels::of(&[Ww, Wr]),
            vec![],
            RwRule::Nonadjacent,
        ),
        ("G2-item", Rels::of(&[Ww, Wr]), vec![], RwRule::AdjacentPair),
    ];
    let mut specs = Vec::new();
    for variant in [None, Some(P), Some(Rt)] {
        for (name, rels, required, rw) in &base {
            let mut spec = CycleSpec {
                name: name.to_string(),
                rels: *rels,
                required: required.clone(),
                rw: *rw,
                typed: *rw != RwRule::None,
            };
            if let Some(extra) = variant {
                spec.name = format!("{name}-{}", extra.name());
                spec.rels = spec.rels.union(Rels::of(&[extra]));
                spec.required.push(extra);
            }
            specs.push(spec);
        }
    }
    specs
}

/// The anomalies that finding `name` makes redundant (Elle's `implied-anomalies`, restricted to
/// cycles): the same or a later member of its family (G0 then G1c; G-single-item, then
/// G-nonadjacent-item, then G2-item) with the same or a weaker variant (none, then process,
/// then realtime).
fn implied_by(name: &str) -> impl Fn(&str) -> bool + '_ {
    fn parts(name: &str) -> (usize, usize, usize) {
        let (base, variant) = match name.strip_suffix("-realtime") {
            Some(base) => (base, 2),
            None => match name.strip_suffix("-process") {
                Some(base) => (base, 1),
                None => (name, 0),
            },
        };
        let (family, rank) = match base {
            "G0" => (0, 0),
            "G1c" => (0, 1),
            "G-single-item" => (1, 0),
            "G-nonadjacent-item" => (1, 1),
            _ => (1, 2),
        };
        (family, rank, variant)
    }
    let (family, rank, variant) = parts(name);
    move |other: &str| {
        let (f, r, v) = parts(other);
        f == family && r >= rank && v >= variant
    }
}

/// The component as local adjacency lists: op `ops[i]` has edges to `adj[i]` (local indexes).
struct Local {
    ops: Vec<usize>,
    adj: Vec<Vec<(u32, Rels)>>,
    position: HashMap<usize, u32>,
}

impl Local {
    fn new(sub: &DepGraph, scc: &[usize]) -> Local {
        let ops = scc.to_vec();
        let position: HashMap<usize, u32> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| (*op, i as u32))
            .collect();
        let adj = ops
            .iter()
            .map(|op| {
                sub.out_edges(*op)
                    .filter_map(|(to, rels)| position.get(&to).map(|&j| (j, rels)))
                    .collect()
            })
            .collect();
        Local { ops, adj, position }
    }

    /// Every relation on the edge `from` → `to` (history indexes).
    fn rels(&self, from: usize, to: usize) -> Rels {
        let (Some(&a), Some(&b)) = (self.position.get(&from), self.position.get(&to)) else {
            return Rels::NONE;
        };
        self.adj[a as usize]
            .iter()
            .filter(|(w, _)| *w == b)
            .fold(Rels::NONE, |all, (_, rels)| all.union(*rels))
    }
}

/// Search state bits beside the op: rw count (0, 1, 2+), required relations seen, whether the
/// last and the first edge were rw, whether two adjacent rw edges were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Flags {
    rw: u8,
    required: u8,
    last_rw: bool,
    first_rw: bool,
    adjacent: bool,
}

fn cycles_in_scc(sub: &DepGraph, scc: &[usize], mut budget: u64, order: &[Rel; 5]) -> Vec<Finding> {
    let local = Local::new(sub, scc);
    let mut found: Vec<Finding> = Vec::new();
    let mut searched: Vec<String> = Vec::new();
    let mut redundant: Vec<String> = Vec::new();
    for spec in cycle_specs() {
        if redundant.contains(&spec.name) {
            continue;
        }
        searched.push(spec.name.clone());
        match search(&local, &spec, &mut budget) {
            Ok(Some(steps)) => {
                let steps = explain(&local, steps, order);
                let kind = classify(&steps);
                if spec.typed && kind != spec.name {
                    // Explained as another type (an rw step that was also realtime, say):
                    // Elle's `cycle-in-scc-of-type` drops it, and the spec counts as not found.
                    continue;
                }
                let implied = implied_by(&spec.name);
                redundant.extend(
                    cycle_specs()
                        .into_iter()
                        .map(|s| s.name)
                        .filter(|n| implied(n)),
                );
                found.push(Finding::Cycle { kind, steps });
            }
            Ok(None) => {}
            Err(OutOfBudget) => {
                let kinds: Vec<String> = found.iter().map(|f| f.kind().to_string()).collect();
                searched.pop();
                found.insert(
                    0,
                    Finding::Timeout {
                        spec: spec.name.clone(),
                        does_not_contain: searched
                            .into_iter()
                            .filter(|s| !kinds.contains(s))
                            .collect(),
                        scc_size: scc.len(),
                    },
                );
                if let Some(steps) = any_cycle(&local) {
                    let steps = explain(&local, steps, order);
                    found.insert(
                        1,
                        Finding::Cycle {
                            kind: classify(&steps),
                            steps,
                        },
                    );
                }
                return found;
            }
        }
    }
    found
}

/// The search used up its budget.
struct OutOfBudget;

/// A shortest cycle matching `spec` through the first start op that has one.
fn search(
    local: &Local,
    spec: &CycleSpec,
    budget: &mut u64,
) -> Result<Option<Vec<Step>>, OutOfBudget> {
    let usable = spec.rels.union(if spec.rw == RwRule::None {
        Rels::NONE
    } else {
        Rels::of(&[Rw])
    });
    // A cycle must use an edge of each required relation (or an rw edge): start only at the
    // sources of the rarest such relation.
    let anchor = spec
        .required
        .iter()
        .copied()
        .chain((spec.rw != RwRule::None).then_some(Rw))
        .min_by_key(|rel| {
            local
                .adj
                .iter()
                .filter(|edges| edges.iter().any(|(_, r)| r.contains(*rel)))
                .count()
        });
    for start in 0..local.ops.len() {
        let starts_here = match anchor {
            Some(rel) => local.adj[start].iter().any(|(_, r)| r.contains(rel)),
            None => local.adj[start]
                .iter()
                .any(|(_, r)| !r.intersection(usable).is_empty()),
        };
        if starts_here {
            if let Some(steps) = search_from(local, spec, usable, start, budget)? {
                return Ok(Some(steps));
            }
        }
    }
    Ok(None)
}

/// Breadth-first search from `start` over (op, flags) states, for the shortest walk back to
/// `start` that `spec` accepts and that visits no op twice.
fn search_from(
    local: &Local,
    spec: &CycleSpec,
    usable: Rels,
    start: usize,
    budget: &mut u64,
) -> Result<Option<Vec<Step>>, OutOfBudget> {
    let all_required = (1u8 << spec.required.len()) - 1;
    let initial = Flags {
        rw: 0,
        required: 0,
        last_rw: false,
        first_rw: false,
        adjacent: false,
    };
    let mut parent: Parents = HashMap::new();
    let mut queue: VecDeque<(State, bool)> = VecDeque::new();
    queue.push_back(((start as u32, initial), true));
    while let Some(((v, flags), first)) = queue.pop_front() {
        for &(w, rels) in &local.adj[v as usize] {
            for rel in rels.intersection(usable).iter() {
                if *budget == 0 {
                    return Err(OutOfBudget);
                }
                *budget -= 1;
                let Some(next) = advance(spec, flags, rel, first) else {
                    continue;
                };
                let state = (w, next);
                if w as usize == start {
                    if accepts(spec, next, all_required) {
                        let steps = walk_back(local, &parent, (v, flags), state, rel);
                        if is_simple(&steps) {
                            return Ok(Some(steps));
                        }
                    }
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(state) {
                    e.insert(((v, flags), rel));
                    queue.push_back((state, false));
                }
            }
        }
    }
    Ok(None)
}

/// A search state: an op (local index) and what the walk to it has used.
type State = (u32, Flags);

/// Each reached state's predecessor and the relation of the edge between them.
type Parents = HashMap<State, (State, Rel)>;

/// The flags after taking an edge for `rel`, or `None` when the spec forbids it.
fn advance(spec: &CycleSpec, flags: Flags, rel: Rel, first: bool) -> Option<Flags> {
    let mut next = flags;
    if rel == Rw {
        match spec.rw {
            RwRule::None => return None,
            RwRule::ExactlyOne if flags.rw >= 1 => return None,
            RwRule::Nonadjacent if flags.last_rw => return None,
            _ => {}
        }
        next.adjacent |= flags.last_rw;
        next.rw = (flags.rw + 1).min(2);
        next.last_rw = true;
        next.first_rw |= first;
    } else {
        next.last_rw = false;
    }
    if let Some(i) = spec.required.iter().position(|r| *r == rel) {
        next.required |= 1 << i;
    }
    Some(next)
}

/// Whether a walk that just returned to its start with `flags` is a cycle of the spec's kind.
fn accepts(spec: &CycleSpec, flags: Flags, all_required: u8) -> bool {
    let wraps = flags.last_rw && flags.first_rw;
    flags.required == all_required
        && match spec.rw {
            RwRule::None => flags.rw == 0,
            RwRule::ExactlyOne => flags.rw == 1,
            RwRule::AdjacentPair => flags.rw >= 2 && (flags.adjacent || wraps),
            RwRule::Nonadjacent => flags.rw >= 2 && !flags.adjacent && !wraps,
        }
}

/// The steps of the walk ending with `last` → `end` (by `rel`), from the search's parents.
fn walk_back(local: &Local, parent: &Parents, last: State, end: State, rel: Rel) -> Vec<Step> {
    let op = |i: u32| local.ops[i as usize];
    let mut steps = vec![Step {
        from: op(last.0),
        to: op(end.0),
        rel,
    }];
    // The start's first state has no parent: the search never enters the start again.
    let mut state = last;
    while let Some(&(prev, rel)) = parent.get(&state) {
        steps.push(Step {
            from: op(prev.0),
            to: op(state.0),
            rel,
        });
        state = prev;
    }
    steps.reverse();
    steps
}

/// True when no op is left twice.
fn is_simple(steps: &[Step]) -> bool {
    let mut froms: Vec<usize> = steps.iter().map(|s| s.from).collect();
    froms.sort_unstable();
    froms.windows(2).all(|w| w[0] != w[1])
}

/// Some shortest cycle through the component's first op, over any edges (the fallback when the
/// search runs out of budget; a strongly connected component always has one).
fn any_cycle(local: &Local) -> Option<Vec<Step>> {
    let mut parent: HashMap<u32, (u32, Rel)> = HashMap::new();
    let mut queue = VecDeque::from([0u32]);
    while let Some(v) = queue.pop_front() {
        for &(w, rels) in &local.adj[v as usize] {
            let rel = rels.iter().next()?;
            if w == 0 {
                let mut steps = vec![Step {
                    from: local.ops[v as usize],
                    to: local.ops[0],
                    rel,
                }];
                let mut at = v;
                while let Some(&(prev, rel)) = parent.get(&at) {
                    steps.push(Step {
                        from: local.ops[prev as usize],
                        to: local.ops[at as usize],
                        rel,
                    });
                    at = prev;
                }
                steps.reverse();
                return Some(steps);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(w) {
                e.insert((v, rel));
                queue.push_back(w);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::graph::DepGraphBuilder;

    fn graph(edges: &[(usize, usize, Rel)]) -> DepGraph {
        let mut g = DepGraphBuilder::new();
        for &(a, b, rel) in edges {
            g.link(a, b, rel);
        }
        g.build()
    }

    fn kinds(findings: &[Finding]) -> Vec<String> {
        findings.iter().map(|f| f.kind().to_string()).collect()
    }

    /// Cycles are named by their edges, as Elle's explainer names them.
    #[test]
    fn classify_names_cycles_by_their_edges() {
        let s = |from, to, rel| Step { from, to, rel };
        assert_eq!(classify(&[s(1, 2, Ww), s(2, 1, Ww)]), "G0");
        assert_eq!(classify(&[s(1, 2, Ww), s(2, 1, Wr)]), "G1c");
        assert_eq!(classify(&[s(1, 2, Wr), s(2, 1, Rt)]), "G1c-realtime");
        assert_eq!(classify(&[s(1, 2, Ww), s(2, 1, P)]), "G0-process");
        assert_eq!(classify(&[s(1, 2, Wr), s(2, 1, Rw)]), "G-single-item");
        assert_eq!(classify(&[s(1, 2, Rw), s(2, 1, Rw)]), "G2-item");
        assert_eq!(
            classify(&[s(1, 2, Rw), s(2, 3, Wr), s(3, 4, Rw), s(4, 1, Ww)]),
            "G-nonadjacent-item"
        );
    }

    /// A read from the future (a poll that completed before the send it saw was invoked) is a
    /// wr + realtime cycle: G1c-realtime, and strong read-committed cannot hold.
    #[test]
    fn wr_realtime_cycle_is_g1c_realtime() {
        let g = graph(&[(10, 20, Wr), (20, 10, Rt)]);
        let findings = find(&g);
        assert_eq!(
            kinds(&findings),
            ["strong-PL-2-cycle-exists", "G1c-realtime"]
        );
        match &findings[0] {
            Finding::CycleExists {
                not, scc, subgraph, ..
            } => {
                assert_eq!(*not, "strong-read-committed");
                assert_eq!(scc, &vec![10, 20]);
                assert_eq!(
                    crate::edn::compact(subgraph),
                    "[:union :ww :wwp :wr :wrp :realtime]"
                );
            }
            other => panic!("expected cycle-exists, got {other:?}"),
        }
        match &findings[1] {
            Finding::Cycle { steps, .. } => assert_eq!(
                steps,
                &vec![
                    Step {
                        from: 10,
                        to: 20,
                        rel: Wr
                    },
                    Step {
                        from: 20,
                        to: 10,
                        rel: Rt
                    }
                ]
            ),
            other => panic!("expected a cycle, got {other:?}"),
        }
    }

    /// A pure ww cycle is G0; the implied G1c and the variants are not reported again, and only
    /// the weakest model's cycle-exists case is.
    #[test]
    fn g0_makes_implied_anomalies_redundant() {
        let g = graph(&[(1, 2, Ww), (2, 3, Ww), (3, 1, Ww), (1, 3, Rt)]);
        assert_eq!(kinds(&find(&g)), ["PL-1-cycle-exists", "G0"]);
    }

    /// The search returns the shortest cycle through a start op, not just any cycle.
    #[test]
    fn shortest_cycle_is_found() {
        let g = graph(&[(1, 2, Ww), (2, 3, Ww), (3, 4, Ww), (4, 1, Ww), (2, 1, Ww)]);
        let findings = find(&g);
        let Some(Finding::Cycle { steps, .. }) = findings.last() else {
            panic!("no cycle in {findings:?}");
        };
        assert_eq!(steps.len(), 2);
    }

    /// Anti-dependency cycles: one rw is G-single-item, two adjacent are G2-item, two apart are
    /// G-nonadjacent-item.
    #[test]
    fn rw_cycles_by_adjacency() {
        let single = graph(&[(1, 2, Wr), (2, 1, Rw)]);
        assert!(kinds(&find(&single)).contains(&"G-single-item".to_string()));
        let g2 = graph(&[(1, 2, Rw), (2, 1, Rw)]);
        assert!(kinds(&find(&g2)).contains(&"G2-item".to_string()));
        let nonadjacent = graph(&[(1, 2, Rw), (2, 3, Wr), (3, 4, Rw), (4, 1, Ww)]);
        let found = kinds(&find(&nonadjacent));
        assert!(
            found.contains(&"G-nonadjacent-item".to_string()),
            "{found:?}"
        );
        assert!(!found.contains(&"G2-item".to_string()), "{found:?}");
    }

    /// A cycle is named by its explained steps, data relations first: an edge that is both rw
    /// and realtime is an rw step, so the G-single-item-realtime search's cycle is explained as
    /// G2-item and dropped, as Elle drops it, leaving the G2-item found on its own.
    #[test]
    fn explained_type_must_match_the_spec() {
        let mut b = DepGraphBuilder::new();
        b.link(1, 2, Rw);
        b.link(1, 2, Rt);
        b.link(2, 1, Rw);
        let findings = find(&b.build());
        let found = kinds(&findings);
        assert!(found.contains(&"G2-item".to_string()), "{found:?}");
        assert!(
            !found.iter().any(|k| k.starts_with("G-single-item")),
            "{found:?}"
        );
        for finding in &findings {
            if let Finding::Cycle { steps, .. } = finding {
                assert!(steps.iter().all(|s| s.rel == Rw), "{steps:?}");
            }
        }
    }

    /// An acyclic graph has no findings at all.
    #[test]
    fn acyclic_graph_has_no_findings() {
        let g = graph(&[(1, 2, Wr), (2, 3, Rt), (1, 3, Ww)]);
        assert!(find(&g).is_empty());
    }

    /// When the search runs out of steps it says so, naming what it was looking for and what
    /// it had ruled out, and still shows some cycle of the component.
    #[test]
    fn out_of_budget_reports_a_timeout_and_a_fallback_cycle() {
        let g = graph(&[(1, 2, Ww), (2, 3, Ww), (3, 1, Wr)]);
        let findings = find_within(&g, 4, &Rel::ALL);
        assert_eq!(
            kinds(&findings),
            ["PL-2-cycle-exists", "cycle-search-timeout", "G1c"]
        );
        match &findings[1] {
            Finding::Timeout {
                spec,
                does_not_contain,
                scc_size,
            } => {
                assert_eq!(spec, "G1c");
                assert_eq!(does_not_contain, &["G0".to_string()]);
                assert_eq!(*scc_size, 3);
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
}
