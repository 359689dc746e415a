//! When kill and pause act, and on which nodes: Jepsen's `db-package`
//! (`jepsen/nemesis/combined.clj`), which Maelstrom's `src/maelstrom/nemesis.clj` composes with
//! the partition package. Pure: every choice comes from seeded generators, so the same `--seed`
//! gives the same faults, after the same gaps, against the same nodes.
//!
//! Each fault is a flip-flop of two ops: `:kill` then `:start`, `:pause` then `:resume`. The
//! fault op's value is a node spec drawn from [`NodeSpec::ALL`] (resolved to nodes by
//! [`NodeSpec::pick`]); the undo op acts on `:all` nodes. With both faults on, each step draws
//! one of the two flip-flops at random (`gen/mix`), which gives its next op; steps are
//! staggered around the nemesis interval (gaps uniform in [0, 2 × interval), `gen/stagger`),
//! one stream for both faults, beside the partition nemesis's own.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::time::Duration;

use super::{majority, minority_third};
use crate::edn::Edn;
use crate::generator::Stagger;

/// Which nodes a fault op acts on (`db-nodes` in `jepsen/nemesis/combined.clj`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeSpec {
    /// A random, non-empty subset (Jepsen's `nil`).
    Some,
    /// One random node.
    One,
    /// ⌊(n−1)/3⌋ random nodes (none for n ≤ 3).
    MinorityThird,
    /// majority(n) − 1 random nodes.
    Minority,
    /// majority(n) random nodes.
    Majority,
    /// Every node.
    All,
}

impl NodeSpec {
    /// Jepsen's `node-specs`, in its order: what a fault op draws from.
    pub const ALL: [NodeSpec; 6] = [
        NodeSpec::Some,
        NodeSpec::One,
        NodeSpec::MinorityThird,
        NodeSpec::Minority,
        NodeSpec::Majority,
        NodeSpec::All,
    ];

    /// The spec as an invocation's value: `nil`, `:one`, `:minority-third`, `:minority`,
    /// `:majority`, `:all`.
    pub fn edn(self) -> Edn {
        match self {
            NodeSpec::Some => Edn::Nil,
            NodeSpec::One => Edn::kw("one"),
            NodeSpec::MinorityThird => Edn::kw("minority-third"),
            NodeSpec::Minority => Edn::kw("minority"),
            NodeSpec::Majority => Edn::kw("majority"),
            NodeSpec::All => Edn::kw("all"),
        }
    }

    /// The nodes this spec names among `nodes`, drawn with `rng`; shuffled, as Jepsen's are.
    pub fn pick(self, nodes: &[String], rng: &mut StdRng) -> Vec<String> {
        let mut shuffled = nodes.to_vec();
        let n = nodes.len();
        let count = match self {
            NodeSpec::All => return shuffled,
            NodeSpec::Some if n == 0 => 0,
            NodeSpec::Some => rng.gen_range(1..=n),
            NodeSpec::One => n.min(1),
            NodeSpec::MinorityThird => minority_third(n),
            NodeSpec::Minority => majority(n) - 1,
            NodeSpec::Majority => majority(n).min(n),
        };
        shuffled.shuffle(rng);
        shuffled.truncate(count);
        shuffled
    }
}

/// A fault that acts on nodes' processes: the op that does it and the op that undoes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeFault {
    /// `:kill` / `:start`.
    Kill,
    /// `:pause` / `:resume`.
    Pause,
}

impl NodeFault {
    /// Its name on the command line and its fault op's `:f`: `kill`, `pause`.
    pub fn name(self) -> &'static str {
        match self {
            NodeFault::Kill => "kill",
            NodeFault::Pause => "pause",
        }
    }

    /// The op that undoes it: `start`, `resume`.
    pub fn undo_name(self) -> &'static str {
        match self {
            NodeFault::Kill => "start",
            NodeFault::Pause => "resume",
        }
    }
}

/// One step of the schedule: after `gap`, do `fault` (or its undo) to `nodes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// How long after the previous step (the first step comes at once).
    pub gap: Duration,
    pub fault: NodeFault,
    /// False for the fault op, true for its undo.
    pub undo: bool,
    /// The spec drawn (`All` for an undo).
    pub spec: NodeSpec,
    /// The nodes it names.
    pub nodes: Vec<String>,
}

impl Step {
    /// The op's `:f`: `kill`, `start`, `pause`, `resume`.
    pub fn f(&self) -> &'static str {
        if self.undo {
            self.fault.undo_name()
        } else {
            self.fault.name()
        }
    }
}

/// The schedule of kill and pause ops over a run: an endless sequence of [`Step`]s.
pub struct NodeFaultSchedule {
    /// Each enabled fault and whether its next op is the undo.
    flip_flops: Vec<(NodeFault, bool)>,
    nodes: Vec<String>,
    choices: StdRng,
    gaps: Stagger,
    first: bool,
}

impl NodeFaultSchedule {
    /// The schedule for `faults` (kill and/or pause; the order does not matter) over `nodes`,
    /// with gaps around `interval`. `choices` picks flip-flops, specs and nodes; `gaps` the gaps.
    pub fn new(
        faults: &[NodeFault],
        nodes: &[String],
        interval: Duration,
        choices: StdRng,
        gaps: StdRng,
    ) -> NodeFaultSchedule {
        // Jepsen lists pause's flip-flop before kill's.
        let mut flip_flops: Vec<(NodeFault, bool)> = [NodeFault::Pause, NodeFault::Kill]
            .into_iter()
            .filter(|f| faults.contains(f))
            .map(|f| (f, false))
            .collect();
        flip_flops.dedup();
        NodeFaultSchedule {
            flip_flops,
            nodes: nodes.to_vec(),
            choices,
            gaps: Stagger::with_mean(interval, gaps),
            first: true,
        }
    }

    /// The next step, or `None` if no fault is enabled.
    pub fn next_step(&mut self) -> Option<Step> {
        if self.flip_flops.is_empty() {
            return None;
        }
        let gap = if std::mem::take(&mut self.first) {
            Duration::ZERO
        } else {
            self.gaps.next_gap()
        };
        let which = self.choices.gen_range(0..self.flip_flops.len());
        let (fault, undo) = self.flip_flops[which];
        self.flip_flops[which].1 = !undo;
        let spec = if undo {
            NodeSpec::All
        } else {
            NodeSpec::ALL[self.choices.gen_range(0..NodeSpec::ALL.len())]
        };
        let nodes = spec.pick(&self.nodes, &mut self.choices);
        Some(Step {
            gap,
            fault,
            undo,
            spec,
            nodes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    fn schedule(faults: &[NodeFault], n: usize, seed: u64) -> NodeFaultSchedule {
        NodeFaultSchedule::new(
            faults,
            &nodes(n),
            Duration::from_secs(10),
            StdRng::seed_from_u64(seed),
            StdRng::seed_from_u64(seed ^ 0xFF),
        )
    }

    fn steps(faults: &[NodeFault], n: usize, seed: u64, count: usize) -> Vec<Step> {
        let mut s = schedule(faults, n, seed);
        (0..count).filter_map(|_| s.next_step()).collect()
    }

    /// Node specs name Jepsen's counts: one 1, minority-third ⌊(n−1)/3⌋, minority majority−1,
    /// majority ⌊n/2⌋+1, all n, a random subset 1..=n; never a node twice, never a stranger.
    #[test]
    fn node_specs_pick_jepsens_counts() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in [1, 2, 3, 5, 25] {
            let all = nodes(n);
            for _ in 0..50 {
                for (spec, expected) in [
                    (NodeSpec::One, Some(1)),
                    (NodeSpec::MinorityThird, Some(minority_third(n))),
                    (NodeSpec::Minority, Some(majority(n) - 1)),
                    (NodeSpec::Majority, Some(majority(n).min(n))),
                    (NodeSpec::All, Some(n)),
                    (NodeSpec::Some, None),
                ] {
                    let picked = spec.pick(&all, &mut rng);
                    match expected {
                        Some(count) => assert_eq!(picked.len(), count, "{spec:?} n={n}"),
                        None => assert!((1..=n).contains(&picked.len()), "{picked:?}"),
                    }
                    let distinct: std::collections::BTreeSet<&String> = picked.iter().collect();
                    assert_eq!(distinct.len(), picked.len(), "{spec:?}: {picked:?}");
                    assert!(picked.iter().all(|p| all.contains(p)));
                }
            }
        }
        assert!(NodeSpec::Some.pick(&[], &mut rng).is_empty());
        let sizes: std::collections::BTreeSet<usize> = (0..200)
            .map(|_| NodeSpec::Some.pick(&nodes(5), &mut rng).len())
            .collect();
        assert_eq!(sizes.len(), 5, "every subset size is drawn: {sizes:?}");
    }

    /// Each fault alternates with its undo, whatever the mix: kill, start, kill, start; the
    /// undo acts on all nodes; with both faults on, both appear.
    #[test]
    fn flip_flops_alternate_within_the_mix() {
        let steps = steps(&[NodeFault::Kill, NodeFault::Pause], 5, 9, 200);
        for fault in [NodeFault::Kill, NodeFault::Pause] {
            let own: Vec<&Step> = steps.iter().filter(|s| s.fault == fault).collect();
            assert!(own.len() > 40, "{fault:?} drawn {} times", own.len());
            for (i, step) in own.iter().enumerate() {
                assert_eq!(step.undo, i % 2 == 1, "{fault:?} op {i}");
                if step.undo {
                    assert_eq!((step.spec, step.nodes.len()), (NodeSpec::All, 5));
                }
            }
        }
        let f: Vec<&str> = steps.iter().take(1).map(Step::f).collect();
        assert!(
            f == ["kill"] || f == ["pause"],
            "a fault comes first: {f:?}"
        );
        let kill_only = self::steps(&[NodeFault::Kill], 3, 9, 6);
        let fs: Vec<&str> = kill_only.iter().map(Step::f).collect();
        assert_eq!(fs, ["kill", "start", "kill", "start", "kill", "start"]);
    }

    /// The first step comes at once, the others after gaps in [0, 2 × interval) whose mean is
    /// about the interval; every spec is drawn.
    #[test]
    fn steps_are_staggered_around_the_interval() {
        let steps = steps(&[NodeFault::Pause], 5, 4, 2000);
        assert_eq!(steps[0].gap, Duration::ZERO);
        assert!(steps.iter().all(|s| s.gap < Duration::from_secs(20)));
        let mean = steps[1..].iter().map(|s| s.gap.as_secs_f64()).sum::<f64>() / 1999.0;
        assert!((mean - 10.0).abs() < 0.6, "mean gap {mean}");
        for spec in NodeSpec::ALL {
            assert!(steps.iter().any(|s| !s.undo && s.spec == spec), "{spec:?}");
        }
    }

    /// The same seed gives the same steps (gaps, faults, specs, nodes); another seed does not.
    #[test]
    fn same_seed_same_schedule() {
        let both = [NodeFault::Kill, NodeFault::Pause];
        assert_eq!(steps(&both, 5, 42, 100), steps(&both, 5, 42, 100));
        assert_eq!(
            steps(&both, 5, 42, 100),
            steps(&[NodeFault::Pause, NodeFault::Kill], 5, 42, 100),
            "the order faults are named in does not matter"
        );
        assert_ne!(steps(&both, 5, 42, 100), steps(&both, 5, 43, 100));
    }

    /// No fault, no steps.
    #[test]
    fn no_fault_no_steps() {
        assert_eq!(schedule(&[], 3, 1).next_step(), None);
    }
}
