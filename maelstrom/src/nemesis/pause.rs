//! The pause fault (`--nemesis pause`), after Jepsen's `db-package` (`jepsen/nemesis/combined.clj`)
//! as Maelstrom's main branch composes it (`src/maelstrom/nemesis.clj`, `db.clj`): `:pause`
//! sends SIGSTOP to the process groups of the nodes a random node spec names; `:resume` sends
//! SIGCONT to every paused node. A paused node keeps its memory; what is sent to it waits in its
//! queue, so its clients time out as against a slow node, and it answers again once resumed. At
//! teardown a paused node is continued and then killed.

use rand::rngs::StdRng;

use super::node_faults::{act_on_nodes, NodeAction, NodeSpec};
use super::{Context, Fault, Shade};

/// The pause package: `:pause` a spec's nodes, `:resume` all of them; a resume is its final op.
pub struct Pause;

impl Fault for Pause {
    /// Jepsen's `db-package`, which mixes kill and pause on one schedule.
    fn package(&self) -> &'static str {
        "db"
    }

    fn shade(&self) -> Shade {
        Shade {
            name: "pause",
            start: &["pause"],
            stop: &["resume"],
            // Jepsen's `db-package` colour for pause (`nemesis/combined.clj`).
            color: "#A0B1E9",
        }
    }

    /// `:nemesis :info :pause :one`, the pauses, `:nemesis :info :pause {"n3" :paused}`.
    fn start(&self, ctx: &Context, rng: &mut StdRng) {
        let spec = NodeSpec::random(rng);
        let nodes = spec.pick(ctx.nodes, rng);
        act_on_nodes(ctx, NodeAction::Pause, spec, &nodes);
    }

    /// `:nemesis :info :resume :all`, every paused node continued,
    /// `:nemesis :info :resume {"n0" :not-paused, "n3" :resumed, ...}`.
    fn stop(&self, ctx: &Context) {
        act_on_nodes(ctx, NodeAction::Resume, NodeSpec::All, ctx.nodes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Op;
    use crate::nemesis::driver::rng_for_fault;
    use crate::nemesis::node_faults::tests::{FakeNodes, NoNetwork};
    use parking_lot::Mutex;

    /// A pause names a spec and pauses the nodes it picks; its undo resumes every node; the
    /// same seed pauses the same nodes.
    #[test]
    fn pause_then_resume_every_node() {
        let nodes: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
        let run = |seed| {
            let fake = FakeNodes::default();
            let ops = Mutex::new(Vec::new());
            let record = |op: Op| ops.lock().push(op);
            let ctx = Context {
                nodes: &nodes,
                network: &NoNetwork,
                processes: &fake,
                record_op: &record,
                log_line: &|_| {},
            };
            let mut rng = rng_for_fault(seed, 1);
            for _ in 0..5 {
                Pause.start(&ctx, &mut rng);
                Pause.stop(&ctx);
            }
            let asked = fake.asked.into_inner();
            let values: Vec<String> = ops
                .into_inner()
                .iter()
                .map(|op| format!("{} {}", op.f, crate::edn::compact(&op.value)))
                .collect();
            (asked, values)
        };
        let (asked, values) = run(4);
        assert!(values[0].starts_with("pause "), "{values:?}");
        assert!(values.iter().any(|v| v == "resume :all"), "{values:?}");
        let resumed: Vec<&str> = asked
            .iter()
            .filter(|(_, a)| *a == NodeAction::Resume)
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(resumed.len(), 25, "each resume asks every node");
        assert_eq!(run(4), (asked, values), "same seed, same pauses");
    }
}
