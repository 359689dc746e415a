//! The nemesis driver: runs one package's faults on its schedule during the main phase, as
//! Jepsen's `nemesis/combined.clj` packages do (`gen/flip-flop` of start and stop for each
//! fault, `gen/mix` of the package's flip-flops, `gen/stagger`ed by the interval), recording
//! each step in the history as `:nemesis :info` ops (`src/maelstrom/nemesis.clj`).

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Context, Fault};
use crate::generator::{derive_seed, StopSignal, Stream};

/// The least mean gap between nemesis ops, in seconds: a smaller `--nemesis-interval` (even
/// `1e-9`) acts as 1 ms, so the nemesis records at most about a thousand ops a second instead of
/// a million. Jepsen has no explicit floor, but one in practice: its nemesis runs one op at a
/// time through the generator interpreter (`jepsen/generator/interpreter.clj`, which re-polls a
/// waiting generator on a 1 ms `max-pending-interval`), and every op is logged as an invocation
/// and a completion, so back-to-back partitions cost it about that much each. The README's table
/// of deliberate differences lists it.
pub const MIN_INTERVAL_SECS: f64 = 0.001;

/// The random stream of the fault at `index` in [`super::REGISTRY`]: the run's nemesis stream
/// for the first (so that a seed repeats the partitions it always did), that seed plus the
/// index for the others, as services are seeded.
pub fn rng_for_fault(seed: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(derive_seed(seed, Stream::Nemesis).wrapping_add(index as u64))
}

/// One package's schedule, from `start` until `cutoff` or until `stop` fires: each step is
/// taken by one of `package`'s faults, drawn uniformly (`gen/mix`; no draw when there is one),
/// which starts it if it is not active and stops it if it is (its own flip-flop); the next step
/// comes after [`Fault::next_gap`] (of an interval of at least [`MIN_INTERVAL_SECS`]). So a
/// lone fault goes start, stop, start, ..., and `kill` with `pause` make about one step an
/// interval between them. A fault still active at the end stays so until its final op.
pub fn run(
    package: &[&dyn Fault],
    ctx: &Context,
    rng: &mut StdRng,
    interval_secs: f64,
    (start, cutoff): (Instant, Instant),
    stop: &StopSignal,
) {
    let Some(&first) = package.first() else {
        return;
    };
    let mut due = start;
    let mut active = vec![false; package.len()];
    while due < cutoff {
        if !stop.sleep_until(due) || Instant::now() >= cutoff {
            break;
        }
        let i = match package.len() {
            1 => 0,
            n => rng.gen_range(0..n),
        };
        if active[i] {
            package[i].stop(ctx);
        } else {
            package[i].start(ctx, rng);
        }
        active[i] = !active[i];
        due = Instant::now() + first.next_gap(interval_secs.max(MIN_INTERVAL_SECS), rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;
    use crate::history::Op;
    use crate::nemesis::node_faults::tests::FakeNodes;
    use crate::nemesis::{Grudge, Network, Shade};
    use parking_lot::Mutex;
    use std::time::Duration;

    /// A fault that only records its steps, as `start-<name>` and `stop-<name>`.
    struct Recorder(Shade);

    /// The recorder named `steps`.
    const STEPS: Recorder = Recorder(Shade {
        name: "steps",
        start: &["start-steps"],
        stop: &["stop-steps"],
        color: "#000000",
    });

    /// The recorder named `hops`.
    const HOPS: Recorder = Recorder(Shade {
        name: "hops",
        start: &["start-hops"],
        stop: &["stop-hops"],
        color: "#000000",
    });

    impl Fault for Recorder {
        fn shade(&self) -> Shade {
            self.0
        }
        fn start(&self, ctx: &Context, _rng: &mut StdRng) {
            ctx.record(self.0.start[0], Edn::Nil);
        }
        fn stop(&self, ctx: &Context) {
            ctx.record(self.0.stop[0], Edn::Nil);
        }
    }

    struct NoNetwork;
    impl Network for NoNetwork {
        fn partition(&self, _grudge: &Grudge) {}
        fn heal(&self) {}
    }

    /// A context with no nodes and no network, whose ops go to `record`.
    fn context<'a>(record: &'a (dyn Fn(Op) + Sync), nodes: &'a FakeNodes) -> Context<'a> {
        Context {
            nodes: &[],
            network: &NoNetwork,
            processes: nodes,
            record_op: record,
            log_line: &|_| {},
        }
    }

    /// The schedule alternates start and stop, beginning with a start, until the cutoff.
    #[test]
    fn steps_alternate_until_the_cutoff() {
        let ops = Mutex::new(Vec::new());
        let record = |op: Op| ops.lock().push(op.f.to_string());
        let nodes = FakeNodes::default();
        let ctx = context(&record, &nodes);
        let start = Instant::now();
        let cutoff = start + Duration::from_millis(200);
        let mut rng = rng_for_fault(1, 0);
        run(
            &[&STEPS],
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

    /// Two faults of one package share its schedule (`gen/mix`): each step is one of them, both
    /// take steps, and each one's own steps still alternate start and stop.
    #[test]
    fn a_package_mixes_its_faults_on_one_schedule() {
        let ops = Mutex::new(Vec::new());
        let record = |op: Op| ops.lock().push(op.f.to_string());
        let nodes = FakeNodes::default();
        let ctx = context(&record, &nodes);
        let start = Instant::now();
        let mut rng = rng_for_fault(1, 0);
        run(
            &[&STEPS, &HOPS],
            &ctx,
            &mut rng,
            0.002,
            (start, start + Duration::from_millis(200)),
            &StopSignal::new(),
        );
        let ops = ops.into_inner();
        for name in ["steps", "hops"] {
            let own: Vec<&String> = ops.iter().filter(|f| f.ends_with(name)).collect();
            assert!(own.len() >= 2, "{name}: {ops:?}");
            for (i, f) in own.iter().enumerate() {
                let expected = if i % 2 == 0 { "start-" } else { "stop-" };
                assert_eq!(**f, format!("{expected}{name}"), "{ops:?}");
            }
        }
    }

    /// `--nemesis-interval 1e-9` for 300 ms records a few hundred steps (about one a
    /// millisecond), not hundreds of thousands.
    #[test]
    fn tiny_intervals_are_floored() {
        let ops = Mutex::new(0usize);
        let record = |_: Op| *ops.lock() += 1;
        let nodes = FakeNodes::default();
        let ctx = context(&record, &nodes);
        let start = Instant::now();
        let mut rng = rng_for_fault(1, 0);
        run(
            &[&STEPS],
            &ctx,
            &mut rng,
            1e-9,
            (start, start + Duration::from_millis(300)),
            &StopSignal::new(),
        );
        let recorded = ops.into_inner();
        assert!(recorded <= 600, "{recorded} nemesis steps in 300 ms");
        assert!(recorded >= 10, "{recorded} nemesis steps in 300 ms");
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
