//! The schedule: stagger, worker threads, time limit, final phase (spec 5.4-5.7).
//!
//! Jepsen's generator is a pure data structure interpreted by a scheduler; this runner needs
//! only the pieces Maelstrom's tests use, so they are written out directly:
//! - [`Stagger`]: the gaps between ops, uniform in [0, 2/rate) (and [0, 2 × interval) for the
//!   nemesis);
//! - [`WorkerPool`]: which worker threads are idle; an op goes to a random idle one;
//! - [`run_schedule`]: the main phase loop: wait for the next op's time, wait for an idle
//!   worker, hand it the op, draw the next gap, until the time limit;
//! - [`StopSignal`]: an interruptible sleep, so a crash ends the run at once;
//! - [`derive_seed`]: one seed per random stream, all from the run's seed, so `--seed` repeats
//!   op values, stagger gaps, latencies and partitions independently of each other.

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
    /// Which idle worker gets the next op.
    Workers = 5,
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

/// Jepsen's `stagger`: gaps uniform in [0, 2 × mean), so the mean gap is `mean`.
pub struct Stagger {
    rng: StdRng,
    max_gap_nanos: u64,
}

impl Stagger {
    /// Gaps for `rate` ops per second: uniform in [0, 2/rate) seconds. `rate` must be positive.
    pub fn for_rate(rate: f64, rng: StdRng) -> Stagger {
        Stagger::with_mean(Duration::from_secs_f64(1.0 / rate), rng)
    }

    /// Gaps uniform in [0, 2 × mean).
    pub fn with_mean(mean: Duration, rng: StdRng) -> Stagger {
        let max_gap_nanos = (mean.as_nanos() as u64).saturating_mul(2);
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
}

impl StopSignal {
    /// A signal that has not fired.
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Fires the signal, waking every sleeper.
    pub fn stop(&self) {
        *self.stopped.lock() = true;
        self.changed.notify_all();
    }

    /// True once [`StopSignal::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock()
    }

    /// Sleeps until `until`. Returns false if the signal fired (before or during the sleep).
    pub fn sleep_until(&self, until: Instant) -> bool {
        let mut stopped = self.stopped.lock();
        while !*stopped && Instant::now() < until {
            self.changed.wait_until(&mut stopped, until);
        }
        !*stopped
    }
}

/// The idle worker threads.
pub struct WorkerPool {
    state: Mutex<PoolState>,
    changed: Condvar,
    size: usize,
}

struct PoolState {
    idle: Vec<usize>,
    stopped: bool,
}

/// An idle worker handed out by [`WorkerPool::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acquired {
    pub thread: usize,
    /// True if every worker was busy and the op had to wait for one.
    pub waited: bool,
}

impl WorkerPool {
    /// A pool of `size` idle workers, 0..size.
    pub fn new(size: usize) -> WorkerPool {
        WorkerPool {
            state: Mutex::new(PoolState {
                idle: (0..size).collect(),
                stopped: false,
            }),
            changed: Condvar::new(),
            size,
        }
    }

    /// Takes a random idle worker, waiting for one until `until`. `None` if none became idle
    /// in time or the pool was stopped.
    pub fn acquire(&self, rng: &mut StdRng, until: Instant) -> Option<Acquired> {
        let mut state = self.state.lock();
        let mut waited = false;
        loop {
            if state.stopped {
                return None;
            }
            if !state.idle.is_empty() {
                let k = rng.gen_range(0..state.idle.len());
                let thread = state.idle.swap_remove(k);
                return Some(Acquired { thread, waited });
            }
            if Instant::now() >= until {
                return None;
            }
            waited = true;
            self.changed.wait_until(&mut state, until);
        }
    }

    /// Takes a specific worker, waiting until it is idle (for the final phase). `false` if the
    /// pool was stopped.
    pub fn acquire_thread(&self, thread: usize) -> bool {
        let mut state = self.state.lock();
        loop {
            if state.stopped {
                return false;
            }
            if let Some(k) = state.idle.iter().position(|&t| t == thread) {
                state.idle.swap_remove(k);
                return true;
            }
            self.changed.wait(&mut state);
        }
    }

    /// Returns a worker to the pool.
    pub fn release(&self, thread: usize) {
        self.state.lock().idle.push(thread);
        self.changed.notify_all();
    }

    /// Waits until every worker is idle (ops in flight have completed), or `until` passes.
    /// Returns true if all are idle.
    pub fn wait_idle(&self, until: Instant) -> bool {
        let mut state = self.state.lock();
        while state.idle.len() < self.size {
            if Instant::now() >= until {
                return false;
            }
            self.changed.wait_until(&mut state, until);
        }
        true
    }

    /// Stops handing out workers; waiting `acquire`s return `None`.
    pub fn stop(&self) {
        self.state.lock().stopped = true;
        self.changed.notify_all();
    }
}

/// The main phase (spec 5.6): from `start`, issue ops with staggered gaps until `cutoff`, each to
/// a random idle worker through `dispatch(thread)`. Returns how many ops were issued.
///
/// The next op is due a gap after the previous op's *scheduled* time, or after its actual issue
/// time if it had to wait for a worker (spec: "the next gap is drawn from its actual issue
/// time"). Measuring from the scheduled time when the only delay was the sleep's own overshoot
/// keeps high rates (tens of thousands per second) on target without busy-waiting.
pub fn run_schedule(
    start: Instant,
    cutoff: Instant,
    stagger: &mut Stagger,
    pool: &WorkerPool,
    pick: &mut StdRng,
    stop: &StopSignal,
    mut dispatch: impl FnMut(usize),
) -> u64 {
    let mut due = start;
    let mut issued = 0;
    while due < cutoff {
        if !stop.sleep_until(due) {
            break;
        }
        let Some(acquired) = pool.acquire(pick, cutoff) else {
            break;
        };
        dispatch(acquired.thread);
        issued += 1;
        let base = if acquired.waited { Instant::now() } else { due };
        due = base + stagger.next_gap();
    }
    issued
}

/// The process a worker uses after an op of its completed with `:info` (spec 5.4).
pub fn next_process(process: u64, concurrency: usize) -> u64 {
    process + concurrency as u64
}

/// The node worker thread `thread` talks to (spec 5.4).
pub fn node_for(thread: usize, nodes: &[String]) -> &str {
    &nodes[thread % nodes.len()]
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

    /// Process numbering and worker-to-node assignment follow spec 5.4 and 12.5.
    #[test]
    fn processes_and_nodes() {
        assert_eq!(next_process(2, 5), 7);
        assert_eq!(next_process(next_process(2, 5), 5), 12);
        let nodes: Vec<String> = ["n0", "n1", "n2"].iter().map(|s| s.to_string()).collect();
        let assigned: Vec<&str> = (0..7).map(|t| node_for(t, &nodes)).collect();
        assert_eq!(assigned, ["n0", "n1", "n2", "n0", "n1", "n2", "n0"]);
    }

    /// The pool hands out each idle worker once, waits for a release, and times out when all
    /// stay busy.
    #[test]
    fn pool_hands_out_idle_workers() {
        let pool = Arc::new(WorkerPool::new(3));
        let mut rng = rng_for(1, Stream::Workers);
        let far = Instant::now() + Duration::from_secs(30);
        let mut taken: Vec<usize> = (0..3)
            .map(|_| pool.acquire(&mut rng, far).expect("idle").thread)
            .collect();
        taken.sort();
        assert_eq!(taken, vec![0, 1, 2]);
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(pool.acquire(&mut rng, soon), None);
        let releaser = Arc::clone(&pool);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            releaser.release(1);
        });
        let got = pool.acquire(&mut rng, far).expect("released");
        assert_eq!(
            got,
            Acquired {
                thread: 1,
                waited: true
            }
        );
        assert!(!pool.wait_idle(Instant::now() + Duration::from_millis(10)));
        for t in [0, 1, 2] {
            pool.release(t);
        }
        assert!(pool.wait_idle(far));
        pool.stop();
        assert_eq!(pool.acquire(&mut rng, far), None);
    }

    /// With idle workers, the schedule issues one op per gap until the cutoff, and a stop
    /// signal ends it early.
    #[test]
    fn schedule_issues_ops_until_cutoff_or_stop() {
        let pool = WorkerPool::new(2);
        let stop = StopSignal::new();
        let mut stagger = Stagger::for_rate(2000.0, rng_for(1, Stream::Stagger));
        let mut pick = rng_for(1, Stream::Workers);
        let start = Instant::now();
        let cutoff = start + Duration::from_millis(100);
        let mut threads = Vec::new();
        let issued = run_schedule(start, cutoff, &mut stagger, &pool, &mut pick, &stop, |t| {
            threads.push(t);
            pool.release(t);
        });
        assert_eq!(issued as usize, threads.len());
        // Expected about 200 ops; the bounds only guard against "none" and "unpaced".
        assert!(issued > 20 && issued < 2000, "issued {issued}");
        assert!(Instant::now() >= cutoff);

        stop.stop();
        let issued = run_schedule(
            Instant::now(),
            Instant::now() + Duration::from_secs(30),
            &mut stagger,
            &pool,
            &mut pick,
            &stop,
            |_| {},
        );
        assert_eq!(issued, 0);
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
