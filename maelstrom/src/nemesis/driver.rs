//! The nemesis driver: runs one fault on its schedule during the main phase, as Jepsen's
//! `nemesis/combined.clj` packages do (`gen/flip-flop` of start and stop, `gen/stagger`ed by the
//! interval), recording each step in the history as `:nemesis :info` ops
//! (`src/maelstrom/nemesis.clj`).

use std::time::Instant;

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{Context, Fault};
use crate::generator::{derive_seed, StopSignal, Stream};

/// The random stream of the fault at `index` in [`super::REGISTRY`]: the run's nemesis stream
/// for the first (so that a seed repeats the partitions it always did), that seed plus the
/// index for the others, as services are seeded.
pub fn rng_for_fault(seed: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(derive_seed(seed, Stream::Nemesis).wrapping_add(index as u64))
}

/// Start, stop, start, ... from `start`, each step after [`Fault::next_gap`], until `cutoff`
/// or until `stop` fires. A fault still active at the end stays so until its final op.
pub fn run(
    fault: &dyn Fault,
    ctx: &Context,
    rng: &mut StdRng,
    interval_secs: f64,
    (start, cutoff): (Instant, Instant),
    stop: &StopSignal,
) {
    let mut due = start;
    let mut active = false;
    while due < cutoff {
        if !stop.sleep_until(due) || Instant::now() >= cutoff {
            break;
        }
        if active {
            fault.stop(ctx);
        } else {
            fault.start(ctx, rng);
        }
        active = !active;
        due = Instant::now() + fault.next_gap(interval_secs, rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;
    use crate::history::Op;
    use crate::nemesis::{Grudge, Network, Shade};
    use parking_lot::Mutex;
    use std::time::Duration;

    /// A fault that only records its steps.
    struct Steps;

    impl Fault for Steps {
        fn shade(&self) -> Shade {
            Shade {
                name: "steps",
                start: &["start-steps"],
                stop: &["stop-steps"],
                color: "#000000",
            }
        }
        fn start(&self, ctx: &Context, _rng: &mut StdRng) {
            ctx.record("start-steps", Edn::Nil);
        }
        fn stop(&self, ctx: &Context) {
            ctx.record("stop-steps", Edn::Nil);
        }
    }

    struct NoNetwork;
    impl Network for NoNetwork {
        fn partition(&self, _grudge: &Grudge) {}
        fn heal(&self) {}
    }

    /// The schedule alternates start and stop, beginning with a start, until the cutoff.
    #[test]
    fn steps_alternate_until_the_cutoff() {
        let ops = Mutex::new(Vec::new());
        let record = |op: Op| ops.lock().push(op.f.to_string());
        let ctx = Context {
            nodes: &[],
            network: &NoNetwork,
            processes: &crate::nemesis::node_faults::tests::FakeNodes::default(),
            record_op: &record,
            log_line: &|_| {},
        };
        let start = Instant::now();
        let cutoff = start + Duration::from_millis(200);
        let mut rng = rng_for_fault(1, 0);
        run(
            &Steps,
            &ctx,
            &mut rng,
            0.005,
            (start, cutoff),
            &StopSignal::new(),
        );
        let ops = ops.into_inner();
        assert!(ops.len() >= 4, "{ops:?}");
        for (i, f) in ops.iter().enumerate() {
            let expected = if i % 2 == 0 {
                "start-steps"
            } else {
                "stop-steps"
            };
            assert_eq!(f, expected, "{ops:?}");
        }
    }

    /// The first registered fault keeps the run's nemesis stream; later ones get their own.
    #[test]
    fn fault_streams_differ_by_index() {
        use rand::Rng;
        let mut first = rng_for_fault(7, 0);
        let mut nemesis = crate::generator::rng_for(7, Stream::Nemesis);
        assert_eq!(first.gen::<u64>(), nemesis.gen::<u64>());
        let mut second = rng_for_fault(7, 1);
        assert_ne!(rng_for_fault(7, 0).gen::<u64>(), second.gen::<u64>());
    }
}
