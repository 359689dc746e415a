//! The phases of a test, as Maelstrom's `src/maelstrom/core.clj` runs them: the main phase (C
//! worker threads on the staggered schedule, one nemesis thread per chosen fault package), then, for
//! workloads with a final phase, every fault's final op, a recovery sleep and the final ops.

use std::time::{Duration, Instant};

use super::worker::{run_op, Worker};
use super::Shared;
use crate::generator::{later, rng_for, Schedule, Stagger, Stream};
use crate::history::Op;
use crate::nemesis::{self, driver, Context, Fault, Grudge, Network};
use crate::net::Net;
use crate::options::TestOptions;
use crate::progress::Phase;

/// How early a worker may start an op that is almost due (see `main_loop`).
const EARLY_START: Duration = Duration::from_millis(1);
/// How long the final phase waits for the cluster to recover (`src/maelstrom/core.clj`).
const RECOVERY_SLEEP: Duration = Duration::from_secs(10);
/// How long a worker's final phase may go on (Maelstrom clips kafka's final polls to 10 s:
/// `src/maelstrom/workload/kafka.clj`).
const FINAL_TIME_LIMIT: Duration = Duration::from_secs(10);

/// The main phase, then (if the workload has one) the final phase (`src/maelstrom/core.clj`).
/// Returns the history index of the final phase's first op, if the final phase ran.
pub(super) fn main_and_final_phases(shared: &Shared, seed: u64) -> Option<usize> {
    let opts = shared.opts;
    let mut workers: Vec<Worker> = (0..opts.concurrency)
        .map(|thread| Worker {
            thread,
            process: thread as u64,
            client: None,
            state: None,
        })
        .collect();

    shared.progress.set_phase(Phase::Main);
    let start = Instant::now();
    let cutoff = later(start, Duration::from_secs(opts.time_limit));
    let stagger = Stagger::for_rate(
        opts.rate.max(f64::MIN_POSITIVE),
        rng_for(seed, Stream::Stagger),
    );
    let schedule = Schedule::new(start, cutoff, stagger, rng_for(seed, Stream::Ops));
    let schedule = &schedule;
    std::thread::scope(|scope| {
        // One nemesis thread per chosen package: packages compose (`nemesis/combined.clj`).
        for (index, package) in chosen_packages(opts) {
            scope.spawn(move || {
                let mut rng = driver::rng_for_fault(seed, index);
                let interval = opts.nemesis_interval;
                with_fault_context(shared, |ctx| {
                    driver::run(
                        &package,
                        ctx,
                        &mut rng,
                        interval,
                        (start, cutoff),
                        &shared.stop,
                    )
                });
            });
        }
        if opts.rate > 0.0 {
            for worker in workers.iter_mut() {
                let spawned = std::thread::Builder::new()
                    .name(format!("jepsen worker {}", worker.thread))
                    .spawn_scoped(scope, move || main_loop(worker, schedule, shared));
                if let Err(e) = spawned {
                    (shared.console)(&format!("Cannot start a worker thread: {e}"));
                }
            }
        } else {
            // Rate 0: no client ops, just the time limit (`src/maelstrom/core.clj`).
            shared.stop.sleep_until(cutoff);
        }
        // The scope ends when every worker has finished its op in flight and the nemesis has
        // stopped: the next phase starts with every thread idle.
    });

    if shared.workload.final_op().is_none() || shared.stop.is_stopped() {
        return None;
    }
    // Every fault is undone before the final phase (each package's `:final-generator`).
    for fault in chosen_packages(opts)
        .into_iter()
        .flat_map(|(_, faults)| faults)
    {
        with_fault_context(shared, |ctx| fault.final_op(ctx));
    }
    shared.progress.set_phase(Phase::Recovery);
    (shared.console)("Waiting for recovery...");
    if !shared.stop.sleep_until(Instant::now() + RECOVERY_SLEEP) {
        return None;
    }
    shared.progress.set_phase(Phase::Final);
    let start = shared.history.len();
    let flagged = shared.workload.flags_final_ops();
    std::thread::scope(|scope| {
        for worker in workers.iter_mut() {
            scope.spawn(move || final_loop(worker, shared, seed, flagged));
        }
    });
    Some(start)
}

/// A worker's final phase: the workload's final ops, one after the other, for at most
/// `FINAL_TIME_LIMIT`; `flagged` marks them `:final? true` in the history.
fn final_loop(worker: &mut Worker, shared: &Shared, seed: u64, flagged: bool) {
    use rand::SeedableRng;
    let seed = crate::generator::derive_seed(seed, Stream::Ops) ^ (worker.thread as u64 + 1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed.rotate_left(17));
    let deadline = later(Instant::now(), FINAL_TIME_LIMIT);
    let mut previous: Option<Op> = None;
    while let Some((f, value, wait)) =
        shared
            .workload
            .next_final_op(worker.thread, previous.as_ref(), &mut rng)
    {
        let due = later(Instant::now(), wait);
        if shared.stop.is_stopped() || previous.is_some() && due >= deadline {
            return;
        }
        if due > Instant::now() && !shared.stop.sleep_until(due) {
            return;
        }
        previous = run_op(worker, &f, value, flagged, shared);
        if previous.is_none() {
            return;
        }
    }
}

/// A worker's main phase: claim the next slot, wait until it is due, run the op; until the
/// time limit or a crash.
fn main_loop(worker: &mut Worker, schedule: &Schedule, shared: &Shared) {
    while !shared.stop.is_stopped() {
        let Some(slot) = schedule.claim(|rng| shared.workload.next_op(worker.thread, rng)) else {
            return;
        };
        // An op due within EARLY_START is started at once rather than after a sleep of a few
        // hundred microseconds: at tens of thousands of ops per second the wake-ups would cost
        // more than the ops. Slots stay spaced by the stagger, so the rate is unchanged.
        if slot.due > Instant::now() + EARLY_START && !shared.stop.sleep_until(slot.due) {
            return;
        }
        let (f, value) = slot.op;
        run_op(worker, &f, value, false, shared);
    }
}

/// The faults `--nemesis` chose, by package ([`Fault::package`]), each package with the
/// registry place of its first fault, which seeds its random stream (so `kill` alone repeats
/// the kills it always did for a seed); in registry order.
fn chosen_packages(opts: &TestOptions) -> Vec<(usize, Vec<&'static dyn Fault>)> {
    let mut packages: Vec<(usize, Vec<&'static dyn Fault>)> = Vec::new();
    let chosen = nemesis::REGISTRY
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, fault)| opts.nemesis.contains(fault.shade().name));
    for (index, fault) in chosen {
        match packages
            .iter_mut()
            .find(|(_, faults)| faults[0].package() == fault.package())
        {
            Some((_, faults)) => faults.push(fault),
            None => packages.push((index, vec![fault])),
        }
    }
    packages
}

/// Runs `act` with the context a fault acts through: this run's network, nodes, history and
/// log. A capability a new fault needs (node processes, say) is filled in here.
fn with_fault_context<T>(shared: &Shared, act: impl FnOnce(&Context) -> T) -> T {
    let record = |op: Op| shared.history.push(op);
    let log = |line: &str| (shared.log)(line);
    let ctx = Context {
        nodes: &shared.opts.nodes,
        network: shared.net.as_ref(),
        processes: shared,
        record_op: &record,
        log_line: &log,
    };
    act(&ctx)
}

/// The simulated network, as faults act on it.
impl Network for Net {
    fn partition(&self, grudge: &Grudge) {
        Net::partition(self, grudge);
    }

    fn heal(&self) {
        Net::heal(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of each chosen package's faults, with the registry place seeding it.
    fn packages(nemesis: &[&str]) -> Vec<(usize, Vec<&'static str>)> {
        let opts = TestOptions {
            nemesis: nemesis.iter().map(|s| s.to_string()).collect(),
            ..TestOptions::default()
        };
        chosen_packages(&opts)
            .into_iter()
            .map(|(i, faults)| (i, faults.iter().map(|f| f.shade().name).collect()))
            .collect()
    }

    /// Kill and pause share Jepsen's `db-package` schedule, partition runs beside it; a lone
    /// fault keeps its own registry place, so its seeded stream is what it always was.
    #[test]
    fn kill_and_pause_share_one_schedule() {
        assert_eq!(
            packages(&["kill", "pause", "partition"]),
            [(0, vec!["partition"]), (1, vec!["pause", "kill"])]
        );
        assert_eq!(packages(&["kill"]), [(2, vec!["kill"])]);
        assert_eq!(packages(&["pause"]), [(1, vec!["pause"])]);
        assert!(packages(&[]).is_empty());
    }
}
