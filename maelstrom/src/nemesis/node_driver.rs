//! The thread that kills, starts, pauses and resumes nodes during the main phase, following
//! [`NodeFaultSchedule`], and undoes every fault before the final phase; each op is recorded in
//! the history as Jepsen's `db-nemesis` records it (`jepsen/nemesis/combined.clj`): an `:info`
//! invocation whose value is the node spec (`:nemesis :info :kill :majority`), then an `:info`
//! completion whose value maps each node to what was done (`{"n1" :killed, "n3" :killed}`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::node_faults::{NodeFault, NodeFaultSchedule, NodeSpec, Step};
use crate::edn::Edn;
use crate::generator::{capped_secs, later, rng_for, StopSignal, Stream};
use crate::history::{Op, OpType, Process};
use crate::net::LogSink;

/// What the nemesis does to one node, as the runner carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeAction {
    Kill,
    /// Start a killed node again (and send it `init`).
    Start,
    Pause,
    Resume,
}

impl NodeAction {
    /// The action a step takes.
    pub fn of(step: &Step) -> NodeAction {
        match (step.fault, step.undo) {
            (NodeFault::Kill, false) => NodeAction::Kill,
            (NodeFault::Kill, true) => NodeAction::Start,
            (NodeFault::Pause, false) => NodeAction::Pause,
            (NodeFault::Pause, true) => NodeAction::Resume,
        }
    }
}

/// Carries out actions on nodes: the runner's cluster. `Ok` is what was done, as a keyword
/// (`killed`, `already-dead`, `started`, ...); `Err` says why it could not be (a node that
/// could not be started again or did not answer its new `init`).
pub trait NodeControl: Sync {
    fn act(&self, node: &str, action: NodeAction) -> Result<&'static str, String>;
}

/// The kill and pause nemesis of one run.
pub struct NodeNemesis<'a> {
    pub control: &'a dyn NodeControl,
    /// The faults asked for (kill, pause, or both).
    pub faults: &'a [NodeFault],
    /// The node ids faults are drawn over.
    pub nodes: &'a [String],
    /// Appends an op to the history.
    pub record: Box<dyn Fn(Op) + Sync + 'a>,
    /// The run log.
    pub log: &'a LogSink,
}

impl NodeNemesis<'_> {
    /// Runs the schedule from `start` until `cutoff` or until `stop` fires: the first op at
    /// `start`, each later one a staggered gap after the previous one ended.
    pub fn run(
        &self,
        interval_secs: f64,
        seed: u64,
        start: Instant,
        cutoff: Instant,
        stop: &StopSignal,
    ) {
        let mut schedule = NodeFaultSchedule::new(
            self.faults,
            self.nodes,
            capped_secs(interval_secs),
            rng_for(seed, Stream::NodeFaults),
            rng_for(seed, Stream::NodeFaultGaps),
        );
        let mut last = start;
        while let Some(step) = schedule.next_step() {
            let due = later(last, step.gap);
            if due >= cutoff || !stop.sleep_until(due) || Instant::now() >= cutoff {
                break;
            }
            self.apply(&step);
            last = Instant::now();
        }
    }

    /// Undoes every fault asked for, on all nodes, as Jepsen's final generator does before the
    /// final phase: resume, then start.
    pub fn undo_all(&self) {
        for fault in [NodeFault::Pause, NodeFault::Kill] {
            if self.faults.contains(&fault) {
                self.apply(&Step {
                    gap: Duration::ZERO,
                    fault,
                    undo: true,
                    spec: NodeSpec::All,
                    nodes: self.nodes.to_vec(),
                });
            }
        }
    }

    /// Records the invocation, acts on each node (starts in parallel: each waits for its
    /// node's `init_ok`), logs and records the completion.
    fn apply(&self, step: &Step) {
        let f = step.f();
        (self.record)(Op::new(OpType::Info, Process::Nemesis, f, step.spec.edn()));
        let action = NodeAction::of(step);
        let outcomes: Vec<(String, Result<&'static str, String>)> = if action == NodeAction::Start {
            std::thread::scope(|scope| {
                let handles: Vec<_> = step
                    .nodes
                    .iter()
                    .map(|node| (node, scope.spawn(move || self.control.act(node, action))))
                    .collect();
                handles
                    .into_iter()
                    .map(|(node, h)| {
                        let outcome = h
                            .join()
                            .unwrap_or_else(|_| Err(format!("starting {node} panicked")));
                        (node.clone(), outcome)
                    })
                    .collect()
            })
        } else {
            step.nodes
                .iter()
                .map(|node| (node.clone(), self.control.act(node, action)))
                .collect()
        };
        let mut done: BTreeMap<String, &'static str> = BTreeMap::new();
        for (node, outcome) in outcomes {
            let word = outcome.unwrap_or_else(|e| {
                (self.log)(&format!("Nemesis could not {f} {node}: {e}"));
                "failed"
            });
            done.insert(node, word);
        }
        let acted: Vec<&str> = done
            .iter()
            .filter(|(_, word)| ["killed", "started", "paused", "resumed"].contains(word))
            .map(|(node, _)| node.as_str())
            .collect();
        (self.log)(&format!(
            "Nemesis {f}: {}",
            if acted.is_empty() {
                "no node changed".to_string()
            } else {
                acted.join(", ")
            }
        ));
        let value = Edn::Map(
            done.iter()
                .map(|(node, word)| (Edn::str(node), Edn::kw(word)))
                .collect(),
        );
        (self.record)(Op::new(OpType::Info, Process::Nemesis, f, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::sync::Arc;

    /// Records what it is asked; every node answers as a live one would.
    #[derive(Default)]
    struct Recording {
        asked: Mutex<Vec<(String, NodeAction)>>,
    }

    impl NodeControl for Recording {
        fn act(&self, node: &str, action: NodeAction) -> Result<&'static str, String> {
            self.asked.lock().push((node.to_string(), action));
            match action {
                NodeAction::Start if node == "n2" => Err("no init_ok".into()),
                NodeAction::Kill => Ok("killed"),
                NodeAction::Start => Ok("started"),
                NodeAction::Pause => Ok("paused"),
                NodeAction::Resume => Ok("not-paused"),
            }
        }
    }

    /// The undo ops come in Jepsen's order (resume, then start), on every node, each as an
    /// invocation naming `:all` and a completion naming what each node did; a failed start is
    /// `:failed` and logged.
    #[test]
    fn undo_all_resumes_then_starts_every_node() {
        let control = Recording::default();
        let nodes: Vec<String> = ["n0", "n1", "n2"].map(String::from).into();
        let ops = Mutex::new(Vec::new());
        let logged = Arc::new(Mutex::new(Vec::new()));
        let log: LogSink = {
            let logged = Arc::clone(&logged);
            Arc::new(move |line: &str| logged.lock().push(line.to_string()))
        };
        let nemesis = NodeNemesis {
            control: &control,
            faults: &[NodeFault::Kill, NodeFault::Pause],
            nodes: &nodes,
            record: Box::new(|op| ops.lock().push(op)),
            log: &log,
        };
        nemesis.undo_all();
        drop(nemesis);
        let ops = ops.into_inner();
        let shown: Vec<(String, String)> = ops
            .iter()
            .map(|op| (op.f.to_string(), crate::edn::compact(&op.value)))
            .collect();
        assert_eq!(
            shown,
            [
                ("resume".into(), ":all".into()),
                (
                    "resume".into(),
                    "{\"n0\" :not-paused, \"n1\" :not-paused, \"n2\" :not-paused}".into()
                ),
                ("start".into(), ":all".into()),
                (
                    "start".into(),
                    "{\"n0\" :started, \"n1\" :started, \"n2\" :failed}".into()
                ),
            ]
        );
        assert!(ops.iter().all(|op| op.process == Process::Nemesis));
        assert!(logged
            .lock()
            .iter()
            .any(|l| l.contains("could not start n2: no init_ok")));
        assert_eq!(control.asked.lock().len(), 6);
    }

    /// A run with a stop already fired acts on nothing; a run whose cutoff is now acts at
    /// most once (the first op comes at once).
    #[test]
    fn run_stops_at_the_cutoff() {
        let control = Recording::default();
        let nodes: Vec<String> = ["n0", "n1"].map(String::from).into();
        let log: LogSink = Arc::new(|_: &str| {});
        let ops = Mutex::new(Vec::new());
        let nemesis = NodeNemesis {
            control: &control,
            faults: &[NodeFault::Kill],
            nodes: &nodes,
            record: Box::new(|op| ops.lock().push(op)),
            log: &log,
        };
        let stopped = StopSignal::new();
        stopped.stop();
        let now = Instant::now();
        nemesis.run(0.01, 1, now, now + Duration::from_secs(5), &stopped);
        assert!(ops.lock().is_empty());
        let start = Instant::now();
        nemesis.run(
            10.0,
            1,
            start,
            start + Duration::from_millis(200),
            &StopSignal::new(),
        );
        let fs: Vec<String> = ops.lock().iter().map(|op| op.f.to_string()).collect();
        assert_eq!(fs, ["kill", "kill"], "one op, invocation and completion");
    }
}
