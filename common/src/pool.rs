//! The worker pool that runs handlers: Go's `go handler(msg)` without a thread
//! per message.
//!
//! Handlers must run concurrently, because a handler may block (in
//! `sync_rpc`, or in a sleep) while the node still has to read and answer
//! other messages, including the reply the handler waits for. Spawning a thread
//! per message would cost more than the handler itself, so a few long-lived
//! workers take jobs from one queue, and the pool grows only when every worker
//! is stuck:
//!
//! - at once, when every worker is blocked in `sync_rpc` (the pool is told,
//!   see [`Pool::blocking`]);
//! - otherwise after [`STALL`], if jobs are waiting and no worker has taken a
//!   job in that time (a handler sleeping, or waiting in some other way). A
//!   watchdog thread checks this only while jobs are waiting.
//!
//! A worker blocked in a write to stdout is not stuck in that sense: the
//! output is (whoever reads our stdout has stopped reading), and every other
//! job would block on it too. So the watchdog adds no worker when a write
//! has been in progress for the whole [`STALL`] without any write
//! finishing, and a node whose stdout is not read keeps the workers it had,
//! plus at most one (the reader waits too: it checks the output for a write error between
//! reads, so what queues up meanwhile is one read's worth of jobs). Whatever
//! happens, the pool never has more than [`MAX_WORKERS`]
//! threads; beyond that, jobs wait for a worker to come free. A handler
//! blocked in `sync_rpc` still gets its reply, because the reader hands it
//! over without a worker; only a handler that waits for another job to run
//! can wait in vain then (until its own timeout).
//!
//! Workers above the first leave again after [`IDLE_EXIT`] without work, so a
//! burst of blocked handlers does not leave threads behind for ever.
//!
//! The worker that takes the last queued job calls the `drained` hook (the
//! node flushes its output there): see `output.rs` for why.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

/// A unit of work: one handler call or one reply callback.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How long waiting jobs may see no progress before the pool adds a worker.
pub(crate) const STALL: Duration = Duration::from_millis(10);
/// How long a surplus worker waits for work before it leaves.
const IDLE_EXIT: Duration = Duration::from_secs(10);
/// The most worker threads a pool has at once: far more than the handlers
/// a challenge's node has blocked at once, far fewer than the threads a
/// process may have.
pub(crate) const MAX_WORKERS: usize = 512;

/// A growable set of worker threads sharing one job queue.
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// The queue's length, readable without the lock (see `Pool::has_queued`).
    queued: AtomicUsize,
    /// Called after taking the last queued job.
    drained: Box<dyn Fn() + Send + Sync>,
    /// While a write to the output is in progress, how many have finished
    /// (see the module doc); `None` when none is.
    writing: Box<dyn Fn() -> Option<u64> + Send + Sync>,
    /// The most workers at once: [`MAX_WORKERS`] but in tests.
    max_workers: usize,
    /// Workers wait here for jobs.
    work: Condvar,
    /// The watchdog waits here.
    watchdog: Condvar,
    /// `wait_idle` waits here for the last running job to end.
    idle: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Live worker threads.
    workers: usize,
    /// Workers waiting on `work` for a job.
    waiting: usize,
    /// Workers blocked in `sync_rpc` (they count as busy but make no progress).
    blocked: usize,
    /// Jobs queued or running, so `wait_idle` knows when all are done.
    unfinished: usize,
    /// Jobs taken from the queue so far: the watchdog's measure of progress.
    taken: u64,
    /// Whether the watchdog thread exists.
    watchdog_started: bool,
    /// Whether the watchdog sleeps until woken (no jobs were waiting).
    watchdog_parked: bool,
}

thread_local! {
    /// The pool this thread works for (its address), so `blocking` can tell a
    /// worker from any other thread that calls `sync_rpc`.
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}

impl Pool {
    /// An empty pool; the first job starts the first worker. `drained` runs
    /// each time a worker takes the last queued job; `writing` tells, while
    /// a write to the output is in progress, how many writes have finished.
    pub(crate) fn new(
        drained: impl Fn() + Send + Sync + 'static,
        writing: impl Fn() -> Option<u64> + Send + Sync + 'static,
    ) -> Pool {
        Pool::with_max_workers(drained, writing, MAX_WORKERS)
    }

    /// [`Pool::new`] with at most `max_workers` threads.
    fn with_max_workers(
        drained: impl Fn() + Send + Sync + 'static,
        writing: impl Fn() -> Option<u64> + Send + Sync + 'static,
        max_workers: usize,
    ) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                queued: AtomicUsize::new(0),
                drained: Box::new(drained),
                writing: Box::new(writing),
                max_workers,
                work: Condvar::new(),
                watchdog: Condvar::new(),
                idle: Condvar::new(),
            }),
        }
    }

    /// Queues `jobs` (in order) to run on the workers, leaving `jobs` empty.
    ///
    /// The reader hands over jobs in batches: one lock and at most one
    /// wake-up for many messages.
    pub(crate) fn submit_all(&self, jobs: &mut Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        let mut state = self.shared.state.lock();
        let count = jobs.len();
        state.queue.extend(jobs.drain(..));
        state.unfinished += count;
        self.shared
            .queued
            .store(state.queue.len(), Ordering::SeqCst);
        for _ in 0..count.min(state.waiting) {
            self.shared.work.notify_one();
        }
        if state.workers == state.blocked {
            // No worker at all, or every one is blocked in sync_rpc: nobody
            // would ever take these jobs.
            spawn_worker(&self.shared, &mut state);
        }
        // Whatever happens to these jobs, the watchdog watches the queue
        // (waking it costs little: it sleeps for a whole STALL each time).
        if !state.watchdog_started {
            state.watchdog_started = true;
            let shared = Arc::clone(&self.shared);
            thread::Builder::new()
                .name("pool-watchdog".into())
                .spawn(move || watchdog(&shared))
                .map_err(|e| log::error!("cannot start the pool watchdog: {e}"))
                .ok();
        } else if state.watchdog_parked {
            state.watchdog_parked = false;
            self.shared.watchdog.notify_one();
        }
    }

    /// Whether jobs wait in the queue (a worker will take them, and the one
    /// that takes the last calls `drained`).
    pub(crate) fn has_queued(&self) -> bool {
        self.shared.queued.load(Ordering::SeqCst) > 0
    }

    /// Runs `wait` (a blocking wait for a reply), telling the pool that this
    /// worker makes no progress meanwhile, so that waiting jobs get a new
    /// worker at once instead of after [`STALL`]. On a thread that is not one
    /// of this pool's workers it just runs `wait`.
    pub(crate) fn blocking<T>(&self, wait: impl FnOnce() -> T) -> T {
        let me = Arc::as_ptr(&self.shared) as usize;
        if WORKER_OF.with(Cell::get) != me {
            return wait();
        }
        {
            let mut state = self.shared.state.lock();
            state.blocked += 1;
            if !state.queue.is_empty() && state.waiting == 0 && state.workers == state.blocked {
                spawn_worker(&self.shared, &mut state);
            }
        }
        let result = wait();
        self.shared.state.lock().blocked -= 1;
        result
    }

    /// How many worker threads are alive.
    #[cfg(test)]
    pub(crate) fn workers(&self) -> usize {
        self.shared.state.lock().workers
    }

    /// Returns once no job is queued or running.
    pub(crate) fn wait_idle(&self) {
        let mut state = self.shared.state.lock();
        while state.unfinished > 0 {
            self.shared.idle.wait(&mut state);
        }
    }
}

/// Starts one more worker (called with the state locked), unless the pool
/// already has its most.
fn spawn_worker(shared: &Arc<Shared>, state: &mut State) {
    if state.workers >= shared.max_workers {
        log::debug!(
            "{} jobs waiting, and the pool already has its {} workers",
            state.queue.len(),
            state.workers
        );
        return;
    }
    let worker = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("handler".into())
        .spawn(move || work(&worker));
    match spawned {
        Ok(_) => state.workers += 1,
        // Out of threads: the jobs wait for a running worker instead.
        Err(e) => log::error!("cannot start a handler thread: {e}"),
    }
}

/// A worker's life: take jobs until none come for [`IDLE_EXIT`].
fn work(shared: &Arc<Shared>) {
    WORKER_OF.with(|w| w.set(Arc::as_ptr(shared) as usize));
    let mut state = shared.state.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            state.taken += 1;
            let left = state.queue.len();
            shared.queued.store(left, Ordering::SeqCst);
            drop(state);
            if left == 0 {
                (shared.drained)();
            }
            // A panicking job is caught by the node before it gets here; this
            // guard only keeps a worker alive against a bug in the library.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                log::error!("a job panicked outside its handler guard");
            }
            state = shared.state.lock();
            state.unfinished -= 1;
            if state.unfinished == 0 {
                shared.idle.notify_all();
            }
            continue;
        }
        state.waiting += 1;
        let timed_out = shared.work.wait_for(&mut state, IDLE_EXIT).timed_out();
        state.waiting -= 1;
        if timed_out && state.queue.is_empty() && state.workers > 1 {
            state.workers -= 1;
            return;
        }
    }
}

/// Adds a worker when jobs wait and none has been taken for [`STALL`].
fn watchdog(shared: &Arc<Shared>) {
    let mut state = shared.state.lock();
    loop {
        if state.queue.is_empty() {
            state.watchdog_parked = true;
            while state.watchdog_parked {
                shared.watchdog.wait(&mut state);
            }
        }
        // Wait a full period even right after being woken, so that the
        // watchdog runs at most once per STALL however busy the node is.
        let taken = state.taken;
        let writing = (shared.writing)();
        shared.watchdog.wait_for(&mut state, STALL);
        // The same write in progress all along: the output is blocked.
        let output_blocked = || writing.is_some() && (shared.writing)() == writing;
        if !state.queue.is_empty()
            && state.waiting == 0
            && state.taken == taken
            && !output_blocked()
        {
            log::debug!(
                "{} jobs waiting and no progress for {STALL:?}: adding a worker to the {}",
                state.queue.len(),
                state.workers
            );
            spawn_worker(shared, &mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    /// A pool whose `drained` hook counts its calls.
    fn counting_pool() -> (Pool, Arc<AtomicUsize>) {
        let drained = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&drained);
        let pool = Pool::new(
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
            },
            || None,
        );
        (pool, drained)
    }

    /// Every job runs, wait_idle returns only after all of them, and the last take calls `drained`.
    #[test]
    fn runs_every_job_and_waits_for_them() {
        let (pool, drained) = counting_pool();
        let done = Arc::new(AtomicUsize::new(0));
        let mut jobs: Vec<Job> = (0..100)
            .map(|_| {
                let done = Arc::clone(&done);
                Box::new(move || {
                    thread::sleep(Duration::from_micros(100));
                    done.fetch_add(1, Ordering::SeqCst);
                }) as Job
            })
            .collect();
        pool.submit_all(&mut jobs);
        assert!(jobs.is_empty());
        pool.wait_idle();
        assert_eq!(done.load(Ordering::SeqCst), 100);
        assert!(!pool.has_queued());
        assert!(drained.load(Ordering::SeqCst) >= 1);
    }

    /// A job stuck waiting for a later job gets that job run by a new worker.
    #[test]
    fn a_stuck_job_does_not_stop_the_next() {
        let (pool, _) = counting_pool();
        let (signal, wait) = mpsc::channel::<()>();
        let (outcome, result) = mpsc::channel();
        let mut first: Vec<Job> = vec![Box::new(move || {
            let _ = outcome.send(wait.recv_timeout(Duration::from_secs(20)).is_ok());
        })];
        pool.submit_all(&mut first);
        let mut second: Vec<Job> = vec![Box::new(move || {
            let _ = signal.send(());
        })];
        pool.submit_all(&mut second);
        assert_eq!(result.recv_timeout(Duration::from_secs(30)), Ok(true));
        pool.wait_idle();
    }

    /// However many workers are blocked, the pool stops at its most; the jobs beyond wait for one to come free, then all run.
    #[test]
    fn the_pool_never_exceeds_its_most_workers() {
        let pool = Arc::new(Pool::with_max_workers(|| {}, || None, 3));
        let release = Arc::new((Mutex::new(false), Condvar::new()));
        let done = Arc::new(AtomicUsize::new(0));
        let mut jobs: Vec<Job> = (0..8)
            .map(|_| {
                let (pool, release, done) =
                    (Arc::clone(&pool), Arc::clone(&release), Arc::clone(&done));
                Box::new(move || {
                    pool.blocking(|| {
                        let (open, opened) = &*release;
                        let mut open = open.lock();
                        while !*open {
                            opened.wait(&mut open);
                        }
                    });
                    done.fetch_add(1, Ordering::SeqCst);
                }) as Job
            })
            .collect();
        pool.submit_all(&mut jobs);
        thread::sleep(STALL * 20);
        assert_eq!(pool.workers(), 3);
        assert_eq!(done.load(Ordering::SeqCst), 0);
        *release.0.lock() = true;
        release.1.notify_all();
        pool.wait_idle();
        assert_eq!(done.load(Ordering::SeqCst), 8);
    }

    /// A worker blocked through `blocking` gets a replacement for the jobs queued behind it.
    #[test]
    fn blocking_worker_is_replaced() {
        let (pool, _) = counting_pool();
        let pool = Arc::new(pool);
        let (signal, wait) = mpsc::channel::<()>();
        let (outcome, result) = mpsc::channel();
        let inner = Arc::clone(&pool);
        let mut first: Vec<Job> = vec![Box::new(move || {
            let got = inner.blocking(|| wait.recv_timeout(Duration::from_secs(20)));
            let _ = outcome.send(got.is_ok());
        })];
        pool.submit_all(&mut first);
        let mut second: Vec<Job> = vec![Box::new(move || {
            let _ = signal.send(());
        })];
        pool.submit_all(&mut second);
        assert_eq!(result.recv_timeout(Duration::from_secs(30)), Ok(true));
        pool.wait_idle();
    }
}
