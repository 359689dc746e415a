//! Dependency graphs between operations, as Elle builds them (`elle/graph.clj`, `elle/core.clj`).
//!
//! A vertex is a completed operation, named by its history index. An edge a → b says "a must come
//! before b" and carries the set of relations that say why: `ww` (a wrote a version b overwrote),
//! `wr` (b read what a wrote), `rw` (a read a version b overwrote), `process` (the same process ran
//! a, then b), `realtime` (a completed before b was invoked). A cycle means no order of the
//! operations explains what was observed: that is an anomaly, and `checker::cycles` names it.
//!
//! The workload's checker adds the data edges it can infer (`link`); the process and realtime
//! orders are the same for every workload (`link_process`, `link_realtime`). Strongly connected
//! components come from petgraph's Kosaraju search, which is iterative: a history of a million
//! operations is one long realtime chain, deep enough to overflow a recursive search's stack.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::HashMap;

use crate::history::{History, Op, OpType, Process};

/// One reason for an edge, with Elle's names (`elle/rels.clj`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rel {
    Ww,
    Wr,
    Rw,
    Process,
    Realtime,
}

impl Rel {
    /// Every relation, data dependencies first: the order in which a step's reason is chosen
    /// when an edge has several (a `wr` says more than the `realtime` beside it).
    pub const ALL: [Rel; 5] = [Rel::Ww, Rel::Wr, Rel::Rw, Rel::Process, Rel::Realtime];

    /// The keyword name, without the colon: `"ww"`, `"realtime"`, ...
    pub fn name(self) -> &'static str {
        match self {
            Rel::Ww => "ww",
            Rel::Wr => "wr",
            Rel::Rw => "rw",
            Rel::Process => "process",
            Rel::Realtime => "realtime",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of relations, kept as bits so that an edge costs one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Rels(u8);

impl Rels {
    pub const NONE: Rels = Rels(0);

    /// The set of the given relations.
    pub fn of(rels: &[Rel]) -> Rels {
        Rels(rels.iter().fold(0, |bits, rel| bits | rel.bit()))
    }

    pub fn contains(self, rel: Rel) -> bool {
        self.0 & rel.bit() != 0
    }

    pub fn union(self, other: Rels) -> Rels {
        Rels(self.0 | other.0)
    }

    pub fn intersection(self, other: Rels) -> Rels {
        Rels(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The relations in the set, in `Rel::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Rel> {
        Rel::ALL.into_iter().filter(move |rel| self.contains(*rel))
    }
}

/// Collects edges, then builds the graph in one go. Edges are kept in a plain vector and merged
/// once sorted: checking for an existing edge on every link walks the source's edge list, and a
/// message read by hundreds of polls makes that quadratic.
#[derive(Debug, Clone, Default)]
pub struct DepGraphBuilder {
    edges: Vec<(u32, u32, Rels)>,
}

impl DepGraphBuilder {
    pub fn new() -> DepGraphBuilder {
        DepGraphBuilder::default()
    }

    /// True when no edge has been linked.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Adds `rel` to the edge `from` → `to`. Self-edges are ignored, as in Elle: an op does not
    /// depend on itself.
    pub fn link(&mut self, from: usize, to: usize, rel: Rel) {
        if from != to {
            self.edges.push((from as u32, to as u32, Rels::of(&[rel])));
        }
    }

    /// Links the `:ok` ops of each client process in the order the process performed them
    /// (Elle's `process-graph`), over the ops `include` accepts.
    pub fn link_process(&mut self, history: &History, include: impl Fn(&Op) -> bool) {
        let mut last: HashMap<u64, usize> = HashMap::new();
        for op in history.iter().filter(|op| include(op)) {
            let Process::Client(p) = op.process else {
                continue;
            };
            if op.op_type == OpType::Ok {
                if let Some(prev) = last.insert(p, op.index) {
                    self.link(prev, op.index, Rel::Process);
                }
            }
        }
    }

    /// Links every `:ok` op to the completion of every op invoked after it completed (Elle's
    /// `realtime-graph`), keeping only a transitive reduction: an op is linked forward until an
    /// op that follows it has completed, after which that op carries the order on. `pairs` is
    /// `checker::pair_index(history)`. Completions that are `:fail` or `:info` get incoming
    /// edges (a crashed op may still have taken effect) but none outgoing.
    pub fn link_realtime(
        &mut self,
        history: &History,
        pairs: &[Option<usize>],
        include: impl Fn(&Op) -> bool,
    ) {
        // Completed ops not yet known to precede a later completed op, each with the number
        // of ops that had entered the frontier before it.
        let mut frontier: Vec<(usize, u64)> = Vec::new();
        let mut entered: u64 = 0;
        // Completion -> how many ops had entered the frontier when it was invoked. Those still
        // in the frontier were all linked to it (an op never enters twice), so its completion
        // retires them: nothing more to keep per op than this count.
        let mut linked_upto: HashMap<usize, u64> = HashMap::new();
        for op in history.iter().filter(|op| include(op) && op.is_client()) {
            match op.op_type {
                OpType::Invoke => {
                    if let Some(completion) = pairs.get(op.index).copied().flatten() {
                        for &(done, _) in &frontier {
                            self.link(done, completion, Rel::Realtime);
                        }
                        linked_upto.insert(completion, entered);
                    }
                }
                OpType::Ok => {
                    if let Some(upto) = linked_upto.remove(&op.index) {
                        frontier.retain(|&(_, n)| n >= upto);
                    }
                    frontier.push((op.index, entered));
                    entered += 1;
                }
                OpType::Fail | OpType::Info => {
                    linked_upto.remove(&op.index);
                }
            }
        }
    }

    /// The graph: one edge per linked pair, carrying every relation it was linked with.
    pub fn build(mut self) -> DepGraph {
        // Sorted in decreasing order and taken from the end, so that the graph gets its edges in
        // increasing order while this list shrinks: the list (12 bytes an edge) and the graph
        // (20 bytes an edge) are never both whole, hundreds of MB apart on a long history.
        self.edges
            .sort_unstable_by_key(|&(a, b, _)| std::cmp::Reverse((a, b)));
        // The vertices, marked in a vector indexed by op (a byte per op) rather than listed
        // twice per edge and sorted (8 bytes per edge, tens of MB for a long history), then
        // added in increasing order.
        let end = self
            .edges
            .iter()
            .map(|&(a, b, _)| a.max(b) as usize + 1)
            .max()
            .unwrap_or(0);
        let mut is_vertex = vec![false; end];
        for &(a, b, _) in &self.edges {
            is_vertex[a as usize] = true;
            is_vertex[b as usize] = true;
        }
        let mut g = DepGraph {
            graph: DiGraph::with_capacity(
                is_vertex.iter().filter(|v| **v).count(),
                self.edges.len(),
            ),
            node: Vec::new(),
        };
        for (op, _) in is_vertex.iter().enumerate().filter(|(_, v)| **v) {
            g.vertex(op);
        }
        let shrink_below = |len: usize| len - len / 8;
        let mut next_shrink = shrink_below(self.edges.len());
        while let Some((a, b, mut rels)) = self.edges.pop() {
            while let Some(&(_, _, more)) = self.edges.last().filter(|e| (e.0, e.1) == (a, b)) {
                rels = rels.union(more);
                self.edges.pop();
            }
            let (na, nb) = (g.vertex(a as usize), g.vertex(b as usize));
            g.graph.add_edge(na, nb, rels);
            if self.edges.len() < next_shrink {
                self.edges.shrink_to_fit();
                next_shrink = shrink_below(self.edges.len());
            }
        }
        g
    }
}

/// A directed graph of operations (history indexes) with relation sets on its edges.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    graph: DiGraph<usize, Rels>,
    /// History index -> graph node index + 1 (0: not a vertex). A vector, not a map: histories
    /// are dense, and this costs 4 bytes per op instead of a hash entry.
    node: Vec<u32>,
}

impl DepGraph {
    /// The node of op `op`, added if it is not there yet.
    fn vertex(&mut self, op: usize) -> NodeIndex {
        if op >= self.node.len() {
            self.node.resize(op + 1, 0);
        }
        match self.node[op] {
            0 => {
                let n = self.graph.add_node(op);
                self.node[op] = n.index() as u32 + 1;
                n
            }
            k => NodeIndex::new(k as usize - 1),
        }
    }

    fn node(&self, op: usize) -> Option<NodeIndex> {
        match self.node.get(op) {
            Some(&k) if k > 0 => Some(NodeIndex::new(k as usize - 1)),
            _ => None,
        }
    }

    pub fn vertex_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The relations on the edge `from` → `to` (empty when there is none).
    pub fn rels(&self, from: usize, to: usize) -> Rels {
        match (self.node(from), self.node(to)) {
            (Some(a), Some(b)) => self
                .graph
                .find_edge(a, b)
                .map_or(Rels::NONE, |e| self.graph[e]),
            _ => Rels::NONE,
        }
    }

    /// The vertices (history indexes), in increasing order.
    pub fn vertices(&self) -> impl Iterator<Item = usize> + '_ {
        self.graph.node_weights().copied()
    }

    /// The edges leaving `op`: (target op, relations).
    pub fn out_edges(&self, op: usize) -> impl Iterator<Item = (usize, Rels)> + '_ {
        self.node(op).into_iter().flat_map(move |n| {
            self.graph
                .edges_directed(n, Direction::Outgoing)
                .map(|e| (self.graph[e.target()], *e.weight()))
        })
    }

    /// The strongly connected components with more than one vertex (self-edges are never
    /// added), each sorted by history index, ordered by their first index.
    pub fn sccs(&self) -> Vec<Vec<usize>> {
        // Most graphs of a healthy run are acyclic: a topological sort (iterative, one vector)
        // proves it without the million one-op components Kosaraju's search would hand back.
        if petgraph::algo::toposort(&self.graph, None).is_ok() {
            return Vec::new();
        }
        let mut sccs: Vec<Vec<usize>> = petgraph::algo::kosaraju_scc(&self.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1)
            .map(|scc| {
                let mut ops: Vec<usize> = scc.into_iter().map(|n| self.graph[n]).collect();
                ops.sort_unstable();
                ops
            })
            .collect();
        sccs.sort_unstable_by_key(|scc| scc[0]);
        sccs
    }

    /// The graph restricted to `ops`, keeping only the relations in `rels` (edges left with
    /// none are dropped). Elle's `project-rels` of a `select`.
    pub fn subgraph(&self, ops: &[usize], rels: Rels) -> DepGraph {
        let mut sorted = ops.to_vec();
        sorted.sort_unstable();
        let inside = |op: usize| sorted.binary_search(&op).is_ok();
        let mut sub = DepGraphBuilder::new();
        for &a in &sorted {
            for (b, r) in self.out_edges(a) {
                if inside(b) {
                    for rel in r.intersection(rels).iter() {
                        sub.link(a, b, rel);
                    }
                }
            }
        }
        sub.build()
    }

    /// The graph with, besides its `a_rels` edges, an edge a → c (carrying `b_rels`' relation)
    /// for every path a → b → c whose first edge has a relation in `a_rels` and second in
    /// `b_rels`: the "sequential extension" Elle uses for snapshot-isolation cycles, where every
    /// anti-dependency must follow a dependency.
    pub fn extension(&self, a_rels: Rels, b_rels: Rels) -> DepGraph {
        let mut out = DepGraphBuilder::new();
        for a in self.vertices() {
            for (b, r1) in self.out_edges(a) {
                if r1.intersection(a_rels).is_empty() {
                    continue;
                }
                for rel in r1.intersection(a_rels).iter() {
                    out.link(a, b, rel);
                }
                for (c, r2) in self.out_edges(b) {
                    if let Some(rel) = r2.intersection(b_rels).iter().next() {
                        out.link(a, c, rel);
                    }
                }
            }
        }
        out.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::pair_index;
    use crate::checker::test_support::Builder;
    use crate::edn::Edn;

    /// Relation sets hold exactly what was put in, in `Rel::ALL` order.
    #[test]
    fn rels_are_sets() {
        let rels = Rels::of(&[Rel::Realtime, Rel::Wr]);
        assert!(rels.contains(Rel::Wr) && rels.contains(Rel::Realtime));
        assert!(!rels.contains(Rel::Ww));
        assert_eq!(rels.iter().collect::<Vec<_>>(), [Rel::Wr, Rel::Realtime]);
        assert!(Rels::NONE.is_empty());
    }

    /// Linking twice merges relations on one edge; self-edges are dropped.
    #[test]
    fn link_merges_relations_and_skips_self_edges() {
        let mut g = DepGraphBuilder::new();
        g.link(3, 7, Rel::Wr);
        g.link(3, 7, Rel::Realtime);
        g.link(7, 7, Rel::Ww);
        let g = g.build();
        assert_eq!(g.edge_count(), 1);
        assert_eq!(g.rels(3, 7), Rels::of(&[Rel::Wr, Rel::Realtime]));
        assert_eq!(g.rels(7, 3), Rels::NONE);
        assert_eq!(g.rels(7, 7), Rels::NONE);
    }

    /// Only components of two or more ops are reported, sorted; an acyclic chain has none.
    #[test]
    fn sccs_are_the_nontrivial_components() {
        let mut g = DepGraphBuilder::new();
        g.link(1, 2, Rel::Ww);
        g.link(2, 3, Rel::Ww);
        g.link(9, 5, Rel::Wr);
        g.link(5, 9, Rel::Rw);
        g.link(3, 1, Rel::Ww);
        g.link(3, 4, Rel::Realtime);
        let g = g.build();
        assert_eq!(g.sccs(), vec![vec![1, 2, 3], vec![5, 9]]);
        let mut chain = DepGraphBuilder::new();
        for i in 0..100_000 {
            chain.link(i, i + 1, Rel::Realtime);
        }
        assert!(chain.build().sccs().is_empty(), "a long chain is acyclic");
    }

    /// Realtime edges: a precedes the ops invoked after it completed, and no longer once an op
    /// that follows it has completed (the transitive reduction); concurrent ops are unrelated.
    #[test]
    fn realtime_links_a_transitive_reduction() {
        // a: [0,1]  b: [2,3]  c: [4,7] (concurrent with d)  d: [5,6]  e: [8,9]
        let mut b = Builder::new();
        b.invoke(0, 0, "poll", Edn::Nil)
            .ok(1, 0, "poll", Edn::Nil)
            .invoke(2, 0, "poll", Edn::Nil)
            .ok(3, 0, "poll", Edn::Nil)
            .invoke(4, 0, "poll", Edn::Nil)
            .invoke(5, 1, "poll", Edn::Nil)
            .ok(6, 1, "poll", Edn::Nil)
            .ok(7, 0, "poll", Edn::Nil)
            .invoke(8, 1, "poll", Edn::Nil)
            .ok(9, 1, "poll", Edn::Nil);
        let history = b.build();
        let mut g = DepGraphBuilder::new();
        g.link_realtime(&history, &pair_index(&history), |_| true);
        let g = g.build();
        let mut edges: Vec<(usize, usize)> = g
            .vertices()
            .flat_map(|a| g.out_edges(a).map(move |(b, _)| (a, b)).collect::<Vec<_>>())
            .collect();
        edges.sort_unstable();
        assert_eq!(edges, [(1, 3), (3, 6), (3, 7), (6, 9), (7, 9)]);
    }

    /// Process edges chain each process's :ok ops, skipping failed and crashed ones.
    #[test]
    fn process_edges_follow_each_process() {
        let mut b = Builder::new();
        b.invoke(0, 0, "send", Edn::Nil)
            .ok(1, 0, "send", Edn::Nil)
            .invoke(2, 1, "send", Edn::Nil)
            .fail(3, 1, "send", Edn::Nil)
            .invoke(4, 0, "send", Edn::Nil)
            .ok(5, 0, "send", Edn::Nil);
        let mut g = DepGraphBuilder::new();
        g.link_process(&b.build(), |_| true);
        let g = g.build();
        assert_eq!(g.edge_count(), 1);
        assert_eq!(g.rels(1, 5), Rels::of(&[Rel::Process]));
    }

    /// A subgraph keeps the chosen ops and relations; an extension adds dependency-then-anti-
    /// dependency shortcuts.
    #[test]
    fn subgraph_and_extension() {
        let mut g = DepGraphBuilder::new();
        g.link(1, 2, Rel::Wr);
        g.link(2, 3, Rel::Rw);
        g.link(3, 1, Rel::Realtime);
        g.link(3, 4, Rel::Ww);
        let g = g.build();
        let sub = g.subgraph(&[1, 2, 3], Rels::of(&[Rel::Wr, Rel::Rw]));
        assert_eq!(sub.edge_count(), 2);
        assert_eq!(sub.rels(3, 4), Rels::NONE);
        let ext = g.extension(Rels::of(&[Rel::Wr, Rel::Ww]), Rels::of(&[Rel::Rw]));
        assert_eq!(ext.rels(1, 3), Rels::of(&[Rel::Rw]));
        assert_eq!(
            ext.rels(2, 3),
            Rels::NONE,
            "a lone anti-dependency is not kept"
        );
        assert_eq!(ext.rels(1, 2), Rels::of(&[Rel::Wr]));
    }
}
