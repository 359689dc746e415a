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
//! Workers above the first leave again after [`IDLE_EXIT`] without work, so a
//! burst of blocked handlers does not leave threads behind for ever.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

/// A unit of work: one handler call or one reply callback.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How long waiting jobs may see no progress before the pool adds a worker.
const STALL: Duration = Duration::from_millis(2);
/// How long a surplus worker waits for work before it leaves.
const IDLE_EXIT: Duration = Duration::from_secs(10);

/// A growable set of worker threads sharing one job queue.
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
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
    /// An empty pool; the first job starts the first worker.
    pub(crate) fn new() -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                watchdog: Condvar::new(),
                idle: Condvar::new(),
            }),
        }
    }

    /// Queues `job` to run on some worker.
    pub(crate) fn submit(&self, job: Job) {
        let mut state = self.shared.state.lock();
        state.queue.push_back(job);
        state.unfinished += 1;
        if state.waiting > 0 {
            self.shared.work.notify_one();
        } else if state.workers == state.blocked {
            // No worker at all, or every one is blocked in sync_rpc: nobody
            // would ever take this job.
            spawn_worker(&self.shared, &mut state);
        } else if !state.watchdog_started {
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

    /// Returns once no job is queued or running.
    pub(crate) fn wait_idle(&self) {
        let mut state = self.shared.state.lock();
        while state.unfinished > 0 {
            self.shared.idle.wait(&mut state);
        }
    }
}

/// Starts one more worker (called with the state locked).
fn spawn_worker(shared: &Arc<Shared>, state: &mut State) {
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
            drop(state);
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
        shared.watchdog.wait_for(&mut state, STALL);
        if !state.queue.is_empty() && state.waiting == 0 && state.taken == taken {
            log::debug!(
                "{} jobs waiting and no progress for {STALL:?}: adding a worker to the {}",
                state.queue.len(),
                state.workers
            );
            spawn_worker(shared, &mut state);
        }
    }
}
