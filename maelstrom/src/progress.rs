//! The status line: on a terminal, one live line on stderr (phase, elapsed time against the
//! time limit, ops ok/fail/info); when stderr is not a terminal (CI, a pipe, a test harness), a
//! plain line every few seconds and at each phase change instead, so logs stay readable.
//!
//! A request a node answers with error 13 (`crash`: a handler failed or panicked) is counted in
//! the line, and the first one from each node is printed as a warning at once, with its text:
//! Maelstrom records such ops as indefinite and says nothing (the README's deliberate
//! differences).
//!
//! Counting must not slow the clients down at high rates, so `record` only bumps an atomic
//! counter; a small ticker thread redraws the line a few times a second.
//!
//! It prints through `console::print_stdout` / `console::print_stderr` (re-exported here), which
//! never panic.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use parking_lot::Mutex;

pub use crate::console::{print_stderr, print_stdout};
use crate::history::OpType;

/// How often the live line is redrawn.
const TICK: Duration = Duration::from_millis(200);
/// How often a plain line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// How long the final phase's recovery sleep lasts (`src/maelstrom/core.clj`), to show "3s/10s".
const RECOVERY_SECS: u64 = 10;

/// The phases of one test, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Setup,
    Main,
    Recovery,
    Final,
    Analysis,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Main => "main",
            Phase::Recovery => "recovery",
            Phase::Final => "final",
            Phase::Analysis => "analysis",
        }
    }
}

/// ` 12s/20s` for a phase with a length, ` 3s` for the others. Past its length the main phase
/// is waiting for the replies to the last requests (each may take the 5 s RPC timeout): it says
/// so instead of counting `25s/20s`.
fn clock(phase: Phase, elapsed: u64, time_limit_secs: u64) -> String {
    let limit = match phase {
        Phase::Main => time_limit_secs,
        Phase::Recovery => RECOVERY_SECS,
        _ => return format!(" {elapsed}s"),
    };
    if elapsed > limit && phase == Phase::Main {
        format!(" {limit}s/{limit}s, waiting for the last replies")
    } else {
        format!(" {}s/{limit}s", elapsed.min(limit))
    }
}

/// What the ticker thread and the callers share.
struct State {
    time_limit_secs: u64,
    /// The current phase and when it began.
    phase: Mutex<(Phase, Instant)>,
    ok: AtomicU64,
    fail: AtomicU64,
    info: AtomicU64,
    /// Requests answered with error 13 (`crash`).
    crash_errors: AtomicU64,
    /// The live line, when stderr is a terminal.
    bar: Option<ProgressBar>,
}

impl State {
    /// `main 12s/20s | ok 118, fail 0, info 2`.
    fn status(&self) -> String {
        let (phase, since) = *self.phase.lock();
        let clock = clock(phase, since.elapsed().as_secs(), self.time_limit_secs);
        let crash_errors = match self.crash_errors.load(Ordering::Relaxed) {
            0 => String::new(),
            n => format!(", error 13: {n}"),
        };
        format!(
            "{}{clock} | ok {}, fail {}, info {}{crash_errors}",
            phase.name(),
            self.ok.load(Ordering::Relaxed),
            self.fail.load(Ordering::Relaxed),
            self.info.load(Ordering::Relaxed)
        )
    }

    fn draw(&self) {
        match &self.bar {
            Some(bar) => bar.set_message(self.status()),
            None => print_stderr(&format!("[maelstrom] {}\n", self.status())),
        }
    }
}

/// The status display of one test. `Send + Sync`: share it by reference between threads.
pub struct Progress {
    state: Arc<State>,
    /// Dropping the sender stops the ticker; `None` once finished.
    ticker: Mutex<Option<(Sender<()>, JoinHandle<()>)>>,
    /// The nodes already warned about for an error 13 reply.
    crash_warned: Mutex<Vec<String>>,
}

impl Progress {
    /// Starts the display: a live line if stderr is a terminal, else plain lines every 5 s.
    pub fn new(time_limit_secs: u64) -> Progress {
        let live = std::io::stderr().is_terminal();
        Progress::with_display(time_limit_secs, live)
    }

    /// `new` with the choice made by the caller (tests use the plain form).
    fn with_display(time_limit_secs: u64, live: bool) -> Progress {
        let bar = live.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        });
        let state = Arc::new(State {
            time_limit_secs,
            phase: Mutex::new((Phase::Setup, Instant::now())),
            ok: AtomicU64::new(0),
            fail: AtomicU64::new(0),
            info: AtomicU64::new(0),
            crash_errors: AtomicU64::new(0),
            bar,
        });
        let (stop, stopped) = mpsc::channel::<()>();
        let ticker_state = Arc::clone(&state);
        let handle = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                let every = if ticker_state.bar.is_some() {
                    TICK
                } else {
                    PLAIN_EVERY
                };
                loop {
                    match stopped.recv_timeout(every) {
                        Err(RecvTimeoutError::Timeout) => {
                            if let Some(bar) = &ticker_state.bar {
                                bar.tick();
                            }
                            ticker_state.draw();
                        }
                        // A message or a dropped sender: finish.
                        _ => return,
                    }
                }
            });
        let ticker = match handle {
            Ok(handle) => Some((stop, handle)),
            // No thread: the line is still drawn at each phase change.
            Err(_) => None,
        };
        let progress = Progress {
            state,
            ticker: Mutex::new(ticker),
            crash_warned: Mutex::new(Vec::new()),
        };
        progress.state.draw();
        progress
    }

    /// Moves to the next phase; its clock starts now. Setting the phase it is already in (the
    /// runner announces `Setup`, which `new` has already drawn) restarts the clock silently.
    pub fn set_phase(&self, phase: Phase) {
        let changed = {
            let mut current = self.state.phase.lock();
            let changed = current.0 != phase;
            *current = (phase, Instant::now());
            changed
        };
        if changed {
            self.state.draw();
        }
    }

    /// Counts one completion (`:invoke` is not a completion and is ignored).
    pub fn record(&self, op_type: OpType) {
        let counter = match op_type {
            OpType::Ok => &self.state.ok,
            OpType::Fail => &self.state.fail,
            OpType::Info => &self.state.info,
            OpType::Invoke => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request `node` answered with error 13 (`crash`); the first one from each node is
    /// printed at once: `warning: n2 answered a broadcast request with error 13 crash: BUG: I don't
    /// like 7 (the first from n2; all are counted after the run)`.
    pub fn crash_error(&self, node: &str, f: &str, text: &str) {
        self.state.crash_errors.fetch_add(1, Ordering::Relaxed);
        let first = {
            let mut warned = self.crash_warned.lock();
            let first = !warned.iter().any(|n| n == node);
            if first {
                warned.push(node.to_string());
            }
            first
        };
        if first {
            self.println(&crash_warning(node, f, text));
        }
    }

    /// Stops the ticker and clears the live line (idempotent).
    pub fn finish(&self) {
        let ticker = self.ticker.lock().take();
        if let Some((stop, handle)) = ticker {
            drop(stop);
            let _ = handle.join();
        }
        if let Some(bar) = &self.state.bar {
            bar.finish_and_clear();
        }
    }

    /// Prints a line on stdout; on a terminal the live line is hidden meanwhile and redrawn
    /// below it, so the two never mix.
    pub fn println(&self, line: &str) {
        let text = format!("{line}\n");
        match &self.state.bar {
            Some(bar) => bar.suspend(|| print_stdout(&text)),
            None => print_stdout(&text),
        }
    }

    /// The counts so far: (ok, fail, info).
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.state.ok.load(Ordering::Relaxed),
            self.state.fail.load(Ordering::Relaxed),
            self.state.info.load(Ordering::Relaxed),
        )
    }
}

/// The live warning for the first error 13 reply from `node`.
fn crash_warning(node: &str, f: &str, text: &str) -> String {
    let text = crate::console::printable(text);
    format!(
        "warning: {node} answered a {f} request with error 13 crash: {text} (the first from {node}; all \
         are counted after the run)"
    )
}

impl Drop for Progress {
    /// A forgotten `finish` must not leave the ticker thread drawing.
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type can be shared between worker threads.
    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Progress>();
    }

    /// Completions are counted by type, invocations are not, across threads.
    #[test]
    fn counts_completions() {
        let progress = Progress::with_display(5, false);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        progress.record(OpType::Invoke);
                        progress.record(OpType::Ok);
                    }
                    progress.record(OpType::Fail);
                    progress.record(OpType::Info);
                    progress.record(OpType::Info);
                });
            }
        });
        assert_eq!(progress.counts(), (400, 4, 8));
        progress.finish();
        progress.finish();
    }

    /// The status names the phase, the clock against the limit, and the counts.
    #[test]
    fn status_text() {
        let progress = Progress::with_display(20, false);
        assert!(progress.state.status().starts_with("setup 0s | ok 0"));
        progress.set_phase(Phase::Main);
        progress.record(OpType::Ok);
        progress.record(OpType::Info);
        assert_eq!(
            progress.state.status(),
            "main 0s/20s | ok 1, fail 0, info 1"
        );
        progress.set_phase(Phase::Recovery);
        assert!(progress.state.status().starts_with("recovery 0s/10s"));
        progress.set_phase(Phase::Analysis);
        assert!(progress.state.status().starts_with("analysis 0s"));
    }

    /// Past the time limit the clock stops at the limit and says what the phase waits for.
    #[test]
    fn clock_stops_at_the_limit() {
        assert_eq!(clock(Phase::Main, 12, 20), " 12s/20s");
        assert_eq!(
            clock(Phase::Main, 23, 20),
            " 20s/20s, waiting for the last replies"
        );
        assert_eq!(clock(Phase::Recovery, 11, 20), " 10s/10s");
        assert_eq!(clock(Phase::Analysis, 42, 20), " 42s");
    }

    /// Error 13 replies are counted in the status line; each node is warned about once.
    #[test]
    fn crash_errors_counted_and_warned_once_per_node() {
        let progress = Progress::with_display(5, false);
        progress.set_phase(Phase::Main);
        progress.crash_error("n2", "broadcast", "BUG: I don't like 7");
        progress.crash_error("n2", "broadcast", "BUG: I don't like 14");
        progress.crash_error("n0", "read", "boom");
        assert_eq!(
            progress.state.status(),
            "main 0s/5s | ok 0, fail 0, info 0, error 13: 3"
        );
        assert_eq!(*progress.crash_warned.lock(), ["n2", "n0"]);
        assert_eq!(
            crash_warning("n2", "broadcast", "BUG: I don't like 7"),
            "warning: n2 answered a broadcast request with error 13 crash: BUG: I don't like 7 (the \
             first from n2; all are counted after the run)"
        );
        progress.finish();
    }

    /// finish returns promptly (the ticker is woken, not waited out) and a live bar clears.
    #[test]
    fn finish_stops_the_ticker() {
        let progress = Progress::with_display(1, true);
        progress.set_phase(Phase::Final);
        let started = Instant::now();
        progress.finish();
        assert!(started.elapsed() < PLAIN_EVERY, "finish waited for a tick");
        assert!(progress.ticker.lock().is_none());
        if let Some(bar) = &progress.state.bar {
            assert!(bar.is_finished());
        }
    }
}
