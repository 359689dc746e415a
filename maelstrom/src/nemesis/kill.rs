//! The kill fault (`--nemesis kill`), after Jepsen's `db-package` (`jepsen/nemesis/combined.clj`)
//! as Maelstrom's main branch composes it (`src/maelstrom/nemesis.clj`, `db.clj`): `:kill`
//! SIGKILLs the process groups of the nodes a random node spec names; `:start` starts every dead
//! node again as a fresh process, which gets `init` again and has lost everything it kept in
//! memory (its working directory, `nodes/<id>/`, is kept: README). While a node is dead it stays
//! on the network and what is sent to it is lost. A kill is not a crash; a node that exits by
//! itself still is.

use rand::rngs::StdRng;

use super::node_faults::{act_on_nodes, NodeAction, NodeSpec};
use super::{Context, Fault, Shade};

/// The kill package: `:kill` a spec's nodes, `:start` all of them; a start is its final op.
pub struct Kill;

impl Fault for Kill {
    /// Jepsen's `db-package`, which mixes kill and pause on one schedule.
    fn package(&self) -> &'static str {
        "db"
    }

    fn shade(&self) -> Shade {
        Shade {
            name: "kill",
            start: &["kill"],
            stop: &["start"],
            // Jepsen's `db-package` colour for kill (`nemesis/combined.clj`).
            color: "#E9A4A0",
        }
    }

    /// `:nemesis :info :kill :majority`, the kills, `:nemesis :info :kill {"n1" :killed, ...}`.
    fn start(&self, ctx: &Context, rng: &mut StdRng) {
        let spec = NodeSpec::random(rng);
        let nodes = spec.pick(ctx.nodes, rng);
        act_on_nodes(ctx, NodeAction::Kill, spec, &nodes);
    }

    /// `:nemesis :info :start :all`, every dead node started and sent `init`,
    /// `:nemesis :info :start {"n0" :already-running, "n1" :started, ...}`.
    fn stop(&self, ctx: &Context) {
        act_on_nodes(ctx, NodeAction::Start, NodeSpec::All, ctx.nodes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Op;
    use crate::nemesis::driver::rng_for_fault;
    use crate::nemesis::node_faults::tests::{FakeNodes, NoNetwork};
    use parking_lot::Mutex;

    /// A kill names a spec and kills the nodes it picks; its undo starts every node.
    #[test]
    fn kill_then_start_every_node() {
        let fake = FakeNodes::default();
        let ops = Mutex::new(Vec::new());
        let record = |op: Op| ops.lock().push(op);
        let nodes: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
        let ctx = Context {
            nodes: &nodes,
            network: &NoNetwork,
            processes: &fake,
            record_op: &record,
            log_line: &|_| {},
        };
        let mut rng = rng_for_fault(1, 2);
        Kill.start(&ctx, &mut rng);
        let killed: Vec<(String, NodeAction)> = fake.asked.lock().drain(..).collect();
        assert!(
            killed.iter().all(|(_, a)| *a == NodeAction::Kill),
            "{killed:?}"
        );
        Kill.final_op(&ctx);
        let mut started: Vec<String> = fake.asked.lock().iter().map(|(n, _)| n.clone()).collect();
        started.sort();
        assert_eq!(started, nodes, "every node is asked to start (in parallel)");
        let fs: Vec<String> = ops.lock().iter().map(|op| op.f.to_string()).collect();
        assert_eq!(fs, ["kill", "kill", "start", "start"]);
    }
}
