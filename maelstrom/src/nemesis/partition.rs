//! The partition fault (`--nemesis partition`): partition specs and their grudges, and the
//! package that starts and heals partitions (`src/maelstrom/nemesis.clj`, Jepsen's
//! `nemesis/combined.clj` `partition-package`).
//!
//! A *grudge* maps each destination node to the set of source nodes whose messages it drops.
//! Every random choice comes from the `StdRng` passed in, so a seeded run repeats its partitions.

use super::{Context, Fault, Grudge, Shade};
use crate::edn::Edn;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};

/// The partition package: `:start-partition` cuts the network by a random spec's grudge,
/// `:stop-partition` heals it, and a heal is its final op.
pub struct Partition;

impl Fault for Partition {
    fn shade(&self) -> Shade {
        Shade {
            name: "partition",
            start: &["start-partition"],
            stop: &["stop-partition"],
            // Jepsen's `partition-package` colour (`nemesis/combined.clj`).
            color: "#E9DCA0",
        }
    }

    /// `:nemesis :info :start-partition :majority`, the cut, then
    /// `:nemesis :info :start-partition [:isolated {...}]` with the grudge applied.
    fn start(&self, ctx: &Context, rng: &mut StdRng) {
        let spec = random_spec(rng);
        ctx.record("start-partition", spec_edn(spec));
        let grudge = grudge(spec, ctx.nodes, rng);
        ctx.network.partition(&grudge);
        ctx.log(&format!(
            "Partitioned: {}",
            crate::edn::compact(&grudge_edn(&grudge))
        ));
        ctx.record("start-partition", grudge_edn(&grudge));
    }

    /// `:nemesis :info :stop-partition nil`, heal, `:nemesis :info :stop-partition :network-healed`.
    fn stop(&self, ctx: &Context) {
        ctx.record("stop-partition", Edn::Nil);
        ctx.network.heal();
        ctx.log("Network healed");
        ctx.record("stop-partition", Edn::kw("network-healed"));
    }
}

/// How a `:start-partition` cuts the cluster (Jepsen's partition specs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionSpec {
    /// One random node alone against the rest.
    One,
    /// The first ⌊(n−1)/3⌋ shuffled nodes against the rest.
    MinorityThird,
    /// The first ⌊n/2⌋ shuffled nodes (a minority) against the rest.
    Majority,
    /// Every node sees a majority, but no two nodes see the same one.
    MajoritiesRing,
}

impl PartitionSpec {
    /// All specs, in Jepsen's order (the order `random_spec` draws from).
    pub const ALL: [PartitionSpec; 4] = [
        PartitionSpec::One,
        PartitionSpec::MinorityThird,
        PartitionSpec::Majority,
        PartitionSpec::MajoritiesRing,
    ];

    /// The keyword name: `one`, `minority-third`, `majority`, `majorities-ring`.
    pub fn name(self) -> &'static str {
        match self {
            PartitionSpec::One => "one",
            PartitionSpec::MinorityThird => "minority-third",
            PartitionSpec::Majority => "majority",
            PartitionSpec::MajoritiesRing => "majorities-ring",
        }
    }
}

/// A spec chosen uniformly from the four, as each start-partition does.
pub fn random_spec(rng: &mut StdRng) -> PartitionSpec {
    PartitionSpec::ALL[rng.gen_range(0..PartitionSpec::ALL.len())]
}

/// ⌊n/2⌋ + 1: the smallest number of nodes strictly greater than half.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// ⌊(n−1)/3⌋: the largest number of nodes strictly less than a third (0 for n ≤ 3).
pub fn minority_third(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

/// The grudge for `spec` over `nodes` (`src/maelstrom/nemesis.clj`). With no nodes the grudge is empty.
pub fn grudge(spec: PartitionSpec, nodes: &[String], rng: &mut StdRng) -> Grudge {
    if nodes.is_empty() {
        return Grudge::new();
    }
    match spec {
        PartitionSpec::One => {
            let loner = nodes[rng.gen_range(0..nodes.len())].clone();
            let rest: Vec<String> = nodes.iter().filter(|n| **n != loner).cloned().collect();
            complete_grudge(&[vec![loner], rest])
        }
        PartitionSpec::Majority => split_grudge(nodes, nodes.len() / 2, rng),
        PartitionSpec::MinorityThird => split_grudge(nodes, minority_third(nodes.len()), rng),
        PartitionSpec::MajoritiesRing if nodes.len() <= 5 => majorities_ring_perfect(nodes, rng),
        PartitionSpec::MajoritiesRing => majorities_ring_stochastic(nodes, rng),
    }
}

/// Shuffles the nodes and cuts them into the first `at` and the rest.
fn split_grudge(nodes: &[String], at: usize, rng: &mut StdRng) -> Grudge {
    let mut shuffled = nodes.to_vec();
    shuffled.shuffle(rng);
    let rest = shuffled.split_off(at);
    complete_grudge(&[shuffled, rest])
}

/// Every node drops every node outside its own component. Every node of every component gets
/// an entry, possibly empty (an empty component cuts nothing).
fn complete_grudge(components: &[Vec<String>]) -> Grudge {
    let universe: BTreeSet<&String> = components.iter().flatten().collect();
    let mut grudge = Grudge::new();
    for component in components {
        let own: BTreeSet<&String> = component.iter().collect();
        let others: BTreeSet<String> = universe.difference(&own).map(|n| (*n).clone()).collect();
        for node in component {
            grudge.insert(node.clone(), others.clone());
        }
    }
    grudge
}

/// n ≤ 5: shuffle the nodes into a ring; for each of the n windows of m = majority(n)
/// consecutive ring positions, the window's middle node drops everyone outside the window. With
/// five nodes each node then hears exactly its two ring neighbours.
fn majorities_ring_perfect(nodes: &[String], rng: &mut StdRng) -> Grudge {
    let mut ring = nodes.to_vec();
    ring.shuffle(rng);
    let n = ring.len();
    let m = majority(n);
    let universe: BTreeSet<&String> = ring.iter().collect();
    let mut grudge = Grudge::new();
    for start in 0..n {
        let window: BTreeSet<&String> = (0..m).map(|j| &ring[(start + j) % n]).collect();
        let middle = ring[(start + m / 2) % n].clone();
        let dropped = universe.difference(&window).map(|s| (*s).clone()).collect();
        grudge.insert(middle, dropped);
    }
    grudge
}

/// n > 5: repeatedly link a least-connected node to another least-connected node it is not yet
/// linked to (ties broken at random), until every node is linked to at least majority(n) nodes,
/// itself included; each node then drops the nodes it is not linked to. Links are symmetric.
fn majorities_ring_stochastic(nodes: &[String], rng: &mut StdRng) -> Grudge {
    let m = majority(nodes.len());
    let mut links: BTreeMap<&String, BTreeSet<&String>> =
        nodes.iter().map(|n| (n, BTreeSet::from([n]))).collect();
    loop {
        // Nodes by ascending degree, shuffled within each degree.
        let mut by_degree: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
        for (node, linked) in &links {
            by_degree.entry(linked.len()).or_default().push(node);
        }
        let mut order: Vec<&String> = Vec::with_capacity(nodes.len());
        for group in by_degree.values_mut() {
            group.shuffle(rng);
            order.extend(group.iter());
        }
        let Some(&a) = order.first() else {
            break;
        };
        if links[a].len() >= m {
            break;
        }
        let Some(&b) = order.iter().find(|b| !links[a].contains(*b)) else {
            // Linked to everyone yet below a majority: impossible, but never loop forever.
            break;
        };
        links.entry(a).or_default().insert(b);
        links.entry(b).or_default().insert(a);
    }
    links
        .iter()
        .map(|(node, linked)| {
            let dropped = nodes
                .iter()
                .filter(|other| !linked.contains(other))
                .cloned()
                .collect();
            ((*node).clone(), dropped)
        })
        .collect()
}

/// The spec as the start-partition invocation's value: `:majority`.
pub fn spec_edn(spec: PartitionSpec) -> Edn {
    Edn::kw(spec.name())
}

/// The grudge as the start-partition completion's value:
/// `[:isolated {"n0" #{"n3" "n4"}, ...}]`, keys and members sorted.
pub fn grudge_edn(grudge: &Grudge) -> Edn {
    let map = grudge
        .iter()
        .map(|(dest, sources)| {
            let set = sources
                .iter()
                .map(|s| Edn::Str(s.as_str().into()))
                .collect();
            (Edn::Str(dest.as_str().into()), Edn::Set(set))
        })
        .collect();
    Edn::Vector(vec![Edn::kw("isolated"), Edn::Map(map)].into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    /// Groups nodes into components: nodes that drop exactly the same set and hear each other.
    /// Returns the component sizes, sorted, after checking the grudge is a complete grudge.
    fn component_sizes(grudge: &Grudge, n: usize) -> Vec<usize> {
        assert_eq!(grudge.len(), n, "every node has an entry: {grudge:?}");
        let all: BTreeSet<String> = nodes(n).into_iter().collect();
        let mut components: Vec<BTreeSet<String>> = Vec::new();
        for (node, dropped) in grudge {
            assert!(!dropped.contains(node), "{node} drops itself");
            let component: BTreeSet<String> = all.difference(dropped).cloned().collect();
            if !components.contains(&component) {
                components.push(component);
            }
        }
        // Components partition the nodes, and each member of a component drops exactly the rest.
        let covered: usize = components.iter().map(BTreeSet::len).sum();
        assert_eq!(covered, n, "components overlap: {components:?}");
        let mut sizes: Vec<usize> = components.iter().map(BTreeSet::len).collect();
        sizes.sort_unstable();
        sizes
    }

    /// Checks that a drops b exactly when b drops a.
    fn assert_symmetric(grudge: &Grudge) {
        for (a, dropped) in grudge {
            for b in dropped {
                assert!(grudge[b].contains(a), "{a} drops {b} but not the reverse");
            }
        }
    }

    /// :one isolates exactly one node, symmetrically, for n = 3, 5, 25.
    #[test]
    fn one_isolates_a_single_node() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in [3, 5, 25] {
            let g = grudge(PartitionSpec::One, &nodes(n), &mut rng);
            assert_eq!(component_sizes(&g, n), [1, n - 1]);
            assert_symmetric(&g);
        }
    }

    /// :majority splits ⌊n/2⌋ from the rest: 1|2, 2|3, 12|13.
    #[test]
    fn majority_splits_in_half() {
        let mut rng = StdRng::seed_from_u64(8);
        for (n, sizes) in [(3, [1, 2]), (5, [2, 3]), (25, [12, 13])] {
            let g = grudge(PartitionSpec::Majority, &nodes(n), &mut rng);
            assert_eq!(component_sizes(&g, n), sizes);
            assert_symmetric(&g);
        }
    }

    /// :minority-third cuts off ⌊(n−1)/3⌋ nodes: nothing for n = 3, 1 for n = 5, 8 for n = 25.
    #[test]
    fn minority_third_sizes() {
        let mut rng = StdRng::seed_from_u64(9);
        let g = grudge(PartitionSpec::MinorityThird, &nodes(3), &mut rng);
        assert_eq!(g.len(), 3);
        assert!(g.values().all(BTreeSet::is_empty), "{g:?}");
        for (n, sizes) in [(5, [1, 4]), (25, [8, 17])] {
            let g = grudge(PartitionSpec::MinorityThird, &nodes(n), &mut rng);
            assert_eq!(component_sizes(&g, n), sizes);
            assert_symmetric(&g);
        }
    }

    /// majorities-ring n = 5: each node hears exactly itself and two others, its ring
    /// neighbours, which form one 5-cycle; drops are symmetric.
    #[test]
    fn majorities_ring_five_is_a_ring() {
        let mut rng = StdRng::seed_from_u64(10);
        let all: BTreeSet<String> = nodes(5).into_iter().collect();
        for _ in 0..20 {
            let g = grudge(PartitionSpec::MajoritiesRing, &nodes(5), &mut rng);
            assert_eq!(g.len(), 5);
            assert_symmetric(&g);
            let hears = |node: &String| -> Vec<String> {
                all.difference(&g[node])
                    .filter(|m| *m != node)
                    .cloned()
                    .collect()
            };
            for node in &all {
                assert_eq!(hears(node).len(), 2, "{node}: {g:?}");
            }
            // Walk the ring from n0: five steps visit every node and return.
            let (mut prev, mut at) = (String::new(), "n0".to_string());
            let mut visited = BTreeSet::new();
            for _ in 0..5 {
                visited.insert(at.clone());
                let next = hears(&at)
                    .into_iter()
                    .find(|m| *m != prev)
                    .unwrap_or_default();
                prev = std::mem::replace(&mut at, next);
            }
            assert_eq!((visited.len(), at.as_str()), (5, "n0"), "{g:?}");
        }
    }

    /// majorities-ring n = 3: each node drops exactly one other, one-directionally around a ring.
    #[test]
    fn majorities_ring_three_is_one_directional() {
        let mut rng = StdRng::seed_from_u64(11);
        let g = grudge(PartitionSpec::MajoritiesRing, &nodes(3), &mut rng);
        assert_eq!(g.len(), 3);
        for (a, dropped) in &g {
            assert_eq!(dropped.len(), 1, "{g:?}");
            let b = dropped.iter().next().cloned().unwrap_or_default();
            assert!(!g[&b].contains(a), "{a} and {b} drop each other");
        }
        let dropped: BTreeSet<&String> = g.values().flatten().collect();
        assert_eq!(dropped.len(), 3, "every node is dropped by someone");
    }

    /// majorities-ring n > 5 (6, 7, 25): symmetric, every node hears at least a majority
    /// (itself included), and not everyone hears everyone.
    #[test]
    fn majorities_ring_large_gives_each_node_a_majority() {
        let mut rng = StdRng::seed_from_u64(12);
        for n in [6, 7, 25] {
            let g = grudge(PartitionSpec::MajoritiesRing, &nodes(n), &mut rng);
            assert_eq!(g.len(), n);
            assert_symmetric(&g);
            for (node, dropped) in &g {
                assert!(!dropped.contains(node));
                assert!(
                    n - dropped.len() >= majority(n),
                    "n={n} {node}: {dropped:?}"
                );
            }
            assert!(g.values().any(|d| !d.is_empty()), "n={n}: nothing dropped");
        }
    }

    /// The same seed gives the same grudge (and spec) for every spec and size; other seeds differ.
    #[test]
    fn same_seed_same_grudge() {
        for n in [3, 5, 25] {
            for spec in PartitionSpec::ALL {
                let run = |seed| {
                    let mut rng = StdRng::seed_from_u64(seed);
                    (random_spec(&mut rng), grudge(spec, &nodes(n), &mut rng))
                };
                assert_eq!(run(42), run(42), "{spec:?} n={n}");
            }
        }
        // And different seeds give different grudges (the randomness is used at all).
        for spec in PartitionSpec::ALL {
            for n in [5, 25] {
                let distinct: BTreeSet<Vec<(String, BTreeSet<String>)>> = (0..20)
                    .map(|seed| {
                        let mut rng = StdRng::seed_from_u64(seed);
                        grudge(spec, &nodes(n), &mut rng).into_iter().collect()
                    })
                    .collect();
                assert!(distinct.len() > 1, "{spec:?} n={n} ignores the rng");
            }
        }
    }

    /// random_spec draws all four specs.
    #[test]
    fn random_spec_covers_all() {
        let mut rng = StdRng::seed_from_u64(1);
        let drawn: Vec<PartitionSpec> = (0..200).map(|_| random_spec(&mut rng)).collect();
        for spec in PartitionSpec::ALL {
            assert!(drawn.contains(&spec), "{spec:?} never drawn");
        }
    }

    /// majority and minority-third follow Maelstrom's formulas.
    #[test]
    fn majority_formulas() {
        let majorities: Vec<usize> = (1..=6).map(majority).collect();
        assert_eq!(majorities, [1, 2, 2, 3, 3, 4]);
        let thirds: Vec<usize> = [0, 1, 3, 4, 5, 7, 25]
            .into_iter()
            .map(minority_third)
            .collect();
        assert_eq!(thirds, [0, 0, 0, 1, 1, 2, 8]);
    }

    /// spec_edn is the keyword; grudge_edn is [:isolated {...}] with sorted keys and members.
    #[test]
    fn edn_forms() {
        assert_eq!(
            spec_edn(PartitionSpec::MinorityThird),
            Edn::kw("minority-third")
        );
        let mut g = Grudge::new();
        g.insert(
            "n3".into(),
            ["n1", "n0"].iter().map(|s| s.to_string()).collect(),
        );
        g.insert("n0".into(), ["n3"].iter().map(|s| s.to_string()).collect());
        assert_eq!(
            grudge_edn(&g),
            Edn::Vector(
                vec![
                    Edn::kw("isolated"),
                    Edn::Map(
                        vec![
                            (Edn::str("n0"), Edn::Set(vec![Edn::str("n3")].into())),
                            (
                                Edn::str("n3"),
                                Edn::Set(vec![Edn::str("n0"), Edn::str("n1")].into())
                            ),
                        ]
                        .into()
                    ),
                ]
                .into()
            )
        );
    }
}
