//! The schedule: stagger, worker threads, time limit, final phase (`src/maelstrom/client.clj`).
//!
//! Jepsen's generator is a pure data structure interpreted by a scheduler; this runner needs
//! only the pieces Maelstrom's tests use, so they are written out directly:
//! - [`Stagger`]: the gaps between ops, uniform in [0, 2/rate) (and [0, 2 × interval) for the
//!   nemesis);
//! - [`Schedule`]: the main phase's op slots, each due a gap after the previous one, claimed by
//!   worker threads as they become idle, until the time limit;
//! - [`StopSignal`]: an interruptible sleep, so a crash ends the run at once;
//! - [`derive_seed`]: one seed per random stream, all from the run's seed, so `--seed` repeats
//!   op values, stagger gaps, latencies and partitions independently of each other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The random streams of a run, each seeded from the run's seed with [`derive_seed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Op kinds and values (the workload's generator).
    Ops = 1,
    /// Gaps between client ops.
    Stagger = 2,
    /// Network latencies.
    Latency = 3,
    /// Nemesis gaps, partition specs and grudges.
    Nemesis = 4,
    /// The in-runner services' own draws (service k of the workload gets this seed + k).
    Services = 5,
}

/// A seed for one random stream, mixed from the run's seed (splitmix64), so streams do not
/// share values and adding draws to one does not shift another.
pub fn derive_seed(seed: u64, stream: Stream) -> u64 {
    let mut z = seed
        .wrapping_add((stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded generator for one stream.
pub fn rng_for(seed: u64, stream: Stream) -> StdRng {
    StdRng::seed_from_u64(derive_seed(seed, stream))
}

/// The longest wait the runner schedules: 100 years, i.e. never. Longer waits come from
/// extreme but valid options (`--time-limit 9223372036854775807`, `--latency` near `u64::MAX`,
/// `--nemesis-interval 1e300`); capping them keeps `Instant` arithmetic from overflowing, which
/// would panic.
pub const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `t + d`, with `d` capped at [`NEVER`], so that a far deadline cannot overflow `Instant`.
pub fn later(t: Instant, d: Duration) -> Instant {
    t + d.min(NEVER)
}

/// `secs` seconds as a `Duration` capped at [`NEVER`] (also for values too large for a
/// `Duration`); zero for negative or NaN values, which option validation already rejects.
pub fn capped_secs(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs).map_or(NEVER, |d| d.min(NEVER))
}

/// Jepsen's `stagger`: gaps uniform in [0, 2 × mean), so the mean gap is `mean`.
pub struct Stagger {
    rng: StdRng,
    max_gap_nanos: u64,
}

impl Stagger {
    /// Gaps for `rate` ops per second: uniform in [0, 2/rate) seconds. A rate of 0 (or less)
    /// gives zero gaps; the caller issues no ops at all then.
    pub fn for_rate(rate: f64, rng: StdRng) -> Stagger {
        let mean = if rate > 0.0 {
            // A rate so low that the gap overflows a Duration means "practically never".
            capped_secs(1.0 / rate)
        } else {
            Duration::ZERO
        };
        Stagger::with_mean(mean, rng)
    }

    /// Gaps uniform in [0, 2 × mean).
    pub fn with_mean(mean: Duration, rng: StdRng) -> Stagger {
        let nanos = u64::try_from(mean.as_nanos()).unwrap_or(u64::MAX);
        let max_gap_nanos = nanos.saturating_mul(2);
        Stagger { rng, max_gap_nanos }
    }

    /// The next gap.
    pub fn next_gap(&mut self) -> Duration {
        if self.max_gap_nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.rng.gen_range(0..self.max_gap_nanos))
    }
}

/// A flag that ends sleeps early: set when the run must stop (a node crashed).
#[derive(Default)]
pub struct StopSignal {
    stopped: Mutex<bool>,
    changed: Condvar,
    /// The same flag, readable without the lock (checked before every op).
    fired: AtomicBool,
}

impl StopSignal {
    /// A signal that has not fired.
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Fires the signal, waking every sleeper.
    pub fn stop(&self) {
        self.fired.store(true, Ordering::SeqCst);
        *self.stopped.lock() = true;
        self.changed.notify_all();
    }

    /// True once [`StopSignal::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Sleeps until `until`. Returns false if the signal fired (before or during the sleep).
    pub fn sleep_until(&self, until: Instant) -> bool {
        if self.is_stopped() {
            return false;
        }
        if Instant::now() >= until {
            return true;
        }
        let mut stopped = self.stopped.lock();
        while !*stopped && Instant::now() < until {
            self.changed.wait_until(&mut stopped, until);
        }
        !*stopped
    }
}

/// The main phase's op slots (`src/maelstrom/core.clj`), handed out to worker threads as they become idle.
///
/// Each idle worker claims the next slot: its due time and its op (generated in slot order, so a
/// seed always gives the same sequence of ops). The following slot is due a stagger gap later.
/// Workers then sleep until their slot is due; an idle worker claims the next slot at once, so
/// several slots are usually claimed ahead and each op starts on time without a central
/// scheduler thread handing it over.
///
/// A slot claimed after its due time means every worker was busy when it fell due: the op starts
/// now and the next gap counts from now ("the next gap is drawn from its actual issue time").
/// Otherwise the gap counts from the due time, so a sleep's overshoot never slows the rate down.
/// Slots at or after the cutoff are not issued: the phase ends (the time limit).
pub struct Schedule {
    state: Mutex<ScheduleState>,
    cutoff: Instant,
}

struct ScheduleState {
    next_due: Instant,
    stagger: Stagger,
    ops: StdRng,
}

/// A claimed slot: when the op is due, and the op.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot<T> {
    pub due: Instant,
    pub op: T,
}

impl Schedule {
    /// Slots from `start` (the first op is due at once) until `cutoff`; `ops` is the random
    /// stream the op generator draws from.
    pub fn new(start: Instant, cutoff: Instant, stagger: Stagger, ops: StdRng) -> Schedule {
        Schedule {
            state: Mutex::new(ScheduleState {
                next_due: start,
                stagger,
                ops,
            }),
            cutoff,
        }
    }

    /// Claims the next slot, generating its op with `make_op` (called in slot order). `None`
    /// once the time limit is reached.
    pub fn claim<T>(&self, make_op: impl FnOnce(&mut StdRng) -> T) -> Option<Slot<T>> {
        let mut state = self.state.lock();
        let due = state.next_due;
        if due >= self.cutoff {
            return None;
        }
        // Late (every worker was busy when it fell due): the op starts now, and so does the gap.
        let due = due.max(Instant::now());
        state.next_due = due + state.stagger.next_gap();
        let op = make_op(&mut state.ops);
        Some(Slot { due, op })
    }
}

/// The process a worker uses after an op of its completed with `:info` (`src/maelstrom/core.clj`).
pub fn next_process(process: u64, concurrency: usize) -> u64 {
    process + concurrency as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Stagger gaps stay in [0, 2/rate) and average 1/rate (rate 10: [0, 200 ms), mean 100 ms).
    #[test]
    fn stagger_gaps_have_bounds_and_mean() {
        let mut stagger = Stagger::for_rate(10.0, rng_for(3, Stream::Stagger));
        let gaps: Vec<Duration> = (0..100_000).map(|_| stagger.next_gap()).collect();
        assert!(gaps.iter().all(|g| *g < Duration::from_millis(200)));
        let max = gaps.iter().max().copied().unwrap_or_default();
        let min = gaps.iter().min().copied().unwrap_or_default();
        assert!(max > Duration::from_millis(199) && min < Duration::from_millis(1));
        let mean = gaps.iter().map(Duration::as_secs_f64).sum::<f64>() / gaps.len() as f64;
        assert!((mean - 0.1).abs() < 0.001, "mean gap {mean}");
    }

    /// The nemesis stagger with interval 10 s has gaps in [0, 20 s), mean 10 s.
    #[test]
    fn nemesis_gaps_have_bounds_and_mean() {
        let mut stagger = Stagger::with_mean(Duration::from_secs(10), rng_for(5, Stream::Nemesis));
        let gaps: Vec<f64> = (0..50_000)
            .map(|_| stagger.next_gap().as_secs_f64())
            .collect();
        assert!(gaps.iter().all(|g| (0.0..20.0).contains(g)));
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        assert!((mean - 10.0).abs() < 0.15, "mean gap {mean}");
    }

    /// The same seed gives the same gaps; different streams and seeds differ.
    #[test]
    fn seeds_repeat_and_streams_differ() {
        let gaps = |seed, stream| {
            let mut stagger = Stagger::for_rate(100.0, rng_for(seed, stream));
            (0..20).map(|_| stagger.next_gap()).collect::<Vec<_>>()
        };
        assert_eq!(gaps(9, Stream::Stagger), gaps(9, Stream::Stagger));
        assert_ne!(gaps(9, Stream::Stagger), gaps(10, Stream::Stagger));
        assert_ne!(gaps(9, Stream::Stagger), gaps(9, Stream::Ops));
    }

    /// Process numbering and worker-to-node assignment follow `src/maelstrom/core.clj`.
    #[test]
    fn processes_and_nodes() {
        assert_eq!(next_process(2, 5), 7);
        assert_eq!(next_process(next_process(2, 5), 5), 12);
        let nodes: Vec<String> = ["n0", "n1", "n2"].iter().map(|s| s.to_string()).collect();
        let placement = crate::history::Placement {
            nodes: &nodes,
            concurrency: 7,
        };
        let assigned: Vec<&str> = (0..7).map(|t| placement.node_for(t)).collect();
        assert_eq!(assigned, ["n0", "n1", "n2", "n0", "n1", "n2", "n0"]);
    }

    /// Slots are spaced by stagger gaps from the start, carry ops in claim order, and stop at
    /// the cutoff; a late claim restarts the spacing from the claim time.
    #[test]
    fn schedule_spaces_slots_and_stops_at_cutoff() {
        let start = Instant::now() + Duration::from_secs(3600);
        let cutoff = start + Duration::from_secs(1);
        let gaps = |seed| {
            let mut stagger = Stagger::for_rate(100.0, rng_for(seed, Stream::Stagger));
            (0..1000).map(|_| stagger.next_gap()).collect::<Vec<_>>()
        };
        let expected_gaps = gaps(4);
        let schedule = Schedule::new(
            start,
            cutoff,
            Stagger::for_rate(100.0, rng_for(4, Stream::Stagger)),
            rng_for(4, Stream::Ops),
        );
        let mut counter = 0;
        let mut slots = Vec::new();
        while let Some(slot) = schedule.claim(|_| {
            counter += 1;
            counter
        }) {
            slots.push(slot);
        }
        assert_eq!(slots[0].due, start, "the first op is due at once");
        let mut due = start;
        for (k, slot) in slots.iter().enumerate() {
            assert_eq!(slot.due, due);
            assert_eq!(slot.op, k + 1);
            due += expected_gaps[k];
        }
        assert!(due >= cutoff && slots.last().is_some_and(|s| s.due < cutoff));
        // About 100 ops in one second at rate 100 (mean gap 10 ms).
        assert!((60..140).contains(&slots.len()), "{} slots", slots.len());
        assert!(schedule.claim(|_| ()).is_none(), "stays exhausted");

        // A start in the past: the claim is late, so the op is due now and the gap counts
        // from now.
        let late = Schedule::new(
            Instant::now() - Duration::from_secs(5),
            Instant::now() + Duration::from_secs(60),
            Stagger::for_rate(100.0, rng_for(4, Stream::Stagger)),
            rng_for(4, Stream::Ops),
        );
        let before = Instant::now();
        let first = late.claim(|_| ()).expect("slot");
        assert!(first.due >= before);
        let second = late.claim(|_| ()).expect("slot");
        assert!(second.due >= first.due && second.due <= first.due + Duration::from_millis(20));
    }

    /// The same seed gives the same op sequence through the schedule.
    #[test]
    fn schedule_ops_repeat_with_the_seed() {
        let ops = |seed| {
            let far = Instant::now() + Duration::from_secs(3600);
            let schedule = Schedule::new(
                far,
                far + Duration::from_secs(1),
                Stagger::for_rate(50.0, rng_for(seed, Stream::Stagger)),
                rng_for(seed, Stream::Ops),
            );
            let mut drawn = Vec::new();
            while let Some(slot) = schedule.claim(|rng| rng.gen_range(0..128)) {
                drawn.push(slot.op);
            }
            drawn
        };
        assert_eq!(ops(11), ops(11));
        assert_ne!(ops(11), ops(12));
    }

    /// Far deadlines and huge second counts are capped at NEVER instead of panicking; ordinary
    /// ones are exact.
    #[test]
    fn far_deadlines_are_capped() {
        let now = Instant::now();
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert_eq!(later(now, Duration::MAX), now + NEVER);
        assert_eq!(
            later(now, Duration::from_secs(i64::MAX as u64)),
            now + NEVER
        );
        assert_eq!(capped_secs(2.5), Duration::from_millis(2500));
        assert_eq!(capped_secs(2e300), NEVER);
        assert_eq!(capped_secs(f64::INFINITY), NEVER);
        assert_eq!(capped_secs(-1.0), Duration::ZERO);
        assert_eq!(capped_secs(f64::NAN), Duration::ZERO);
    }

    /// A stop signal wakes a long sleep.
    #[test]
    fn stop_wakes_sleepers() {
        let stop = Arc::new(StopSignal::new());
        assert!(stop.sleep_until(Instant::now() + Duration::from_millis(5)));
        let stopper = Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            stopper.stop();
        });
        let started = Instant::now();
        assert!(!stop.sleep_until(Instant::now() + Duration::from_secs(60)));
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(stop.is_stopped());
    }
}
