//! Runs one test from setup to history, split as Maelstrom splits it:
//!
//! - `setup` (`src/maelstrom/db.clj`): the network, the services, the node processes, `init`
//!   ([`setup::init_node`], also for a node started again later) and the workload's setup
//!   requests;
//! - `phases` (`src/maelstrom/core.clj`): the main phase (C worker threads fed by the staggered
//!   schedule, and one nemesis thread per chosen fault package), then, for workloads with a final phase,
//!   every fault's final op, 10 s of recovery and one final op per worker;
//! - `worker` (the worker side of `src/maelstrom/client.clj`): one op, invocation to completion,
//!   with-errors and the warning for stray replies.
//!
//! Then the nodes are killed and the history, the network journal and the incidents (protocol
//! errors, late replies, a crash) are handed back for analysis.
//!
//! A node that crashes ends the run early: the schedule stops, waiting clients give up at once,
//! and what was recorded so far is analysed (the README's deliberate differences).

mod phases;
mod setup;
mod worker;

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use rand::Rng;

use crate::generator::StopSignal;
use crate::history::{BudgetPassed, History, Op, Placement, RunFacts};
use crate::journal::Event;
use crate::net::{LogSink, Net};
use crate::options::TestOptions;
use crate::process::{Cluster, Incidents, Node, NodeFiles, NodeProgram};
use crate::progress::{Phase, Progress};
use crate::service;
use crate::store::Store;
use crate::workload::Workload;

/// Everything a test produced, for the checkers.
pub struct RunOutcome {
    pub history: History,
    pub journal: Vec<Event>,
    pub facts: RunFacts,
}

/// Runs one test of `workload` (built once from the options by the caller, which also hands
/// it to the analysis). `Err` is a setup failure (missing binary, init or setup error): the caller
/// prints it and exits 255. A crash during the test is not an error: it is in `facts.crash`.
///
/// `opts.seed` should be set by the caller (so that the results can carry it); if it is not,
/// a random seed is used and printed.
pub fn run_test(
    opts: &TestOptions,
    workload: &dyn Workload,
    store: &Store,
    progress: &Progress,
) -> Result<RunOutcome, String> {
    let seed = opts
        .seed
        .unwrap_or_else(|| rand::thread_rng().gen_range(0..=i64::MAX as u64));
    let write = |line: LogLine| match line {
        LogLine::Log(text) => store.log(&text),
        LogLine::Console(text) => {
            store.log(&text);
            progress.println(&text);
        }
        LogLine::Stop => {}
    };
    with_log_thread(write, |log_tx| {
        run(opts, workload, seed, store, progress, log_tx)
    })
}

/// A line for the run log, and whether it also goes on the console.
enum LogLine {
    Log(String),
    Console(String),
    Stop,
}

/// Runs `body` beside a log thread that passes every line sent on the channel to `write`.
/// Node threads and the network log from anywhere; one thread writes it all, so the hot paths
/// never wait on the terminal or the disk.
///
/// The log thread is stopped however `body` ends. If a panic in `body` left it running, the
/// scope would wait for it forever: the runner would hang instead of failing.
fn with_log_thread<T>(
    write: impl Fn(LogLine) + Send,
    body: impl FnOnce(&mpsc::Sender<LogLine>) -> T,
) -> T {
    /// Sends `Stop` when dropped, which happens on a panic too.
    struct StopOnDrop<'a>(&'a mpsc::Sender<LogLine>);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            let _ = self.0.send(LogLine::Stop);
        }
    }

    let (log_tx, log_rx) = mpsc::channel::<LogLine>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Ok(line) = log_rx.recv() {
                if matches!(line, LogLine::Stop) {
                    break;
                }
                write(line);
            }
        });
        let _stop = StopOnDrop(&log_tx);
        body(&log_tx)
    })
}

fn sink(tx: &mpsc::Sender<LogLine>, console: bool) -> LogSink {
    let tx = tx.clone();
    Arc::new(move |line: &str| {
        let line = line.to_string();
        let _ = tx.send(if console {
            LogLine::Console(line)
        } else {
            LogLine::Log(line)
        });
    })
}

/// What the worker threads, the nemesis and the setup steps share.
struct Shared<'a> {
    opts: &'a TestOptions,
    /// The nodes, which kill and pause act on.
    nodes: Vec<Arc<Node>>,
    workload: &'a dyn Workload,
    net: Arc<Net>,
    incidents: Arc<Incidents>,
    history: Recorder,
    stop: Arc<StopSignal>,
    progress: &'a Progress,
    log: LogSink,
    console: LogSink,
    /// Where a node's stderr log is (named in init's errors).
    node_log: &'a (dyn Fn(&str) -> PathBuf + Sync),
}

fn run(
    opts: &TestOptions,
    workload: &dyn Workload,
    seed: u64,
    store: &Store,
    progress: &Progress,
    log_tx: &mpsc::Sender<LogLine>,
) -> Result<RunOutcome, String> {
    let log = sink(log_tx, false);
    let console = sink(log_tx, true);
    progress.set_phase(Phase::Setup);
    console(&format!(
        "Seed {seed} (repeat this run's schedule with --seed {seed})"
    ));
    if opts.nodes.is_empty() || opts.concurrency == 0 {
        return Err("A test needs at least one node and a concurrency of at least 1".into());
    }
    let program = NodeProgram::resolve(&opts.bin, &opts.node_args)?;

    log("Starting Maelstrom network");
    let net = setup::start_network(opts, seed, &log, &console);
    let incidents = Incidents::new(Arc::clone(&console), Arc::clone(&log), opts.log_stderr);
    let stop = Arc::new(StopSignal::new());
    {
        let (stop, net) = (Arc::clone(&stop), Arc::clone(&net));
        incidents.on_crash(Box::new(move || {
            stop.stop();
            net.abort_clients();
        }));
    }

    {
        // The nodes' output passing the run folder's budget ends the test as its time limit
        // does: no new ops; the ops in flight complete (`budget.rs`).
        let (stop, console) = (Arc::clone(&stop), Arc::clone(&console));
        let limit = opts.run_budget;
        net.budget().on_pass(Box::new(move || {
            stop.stop();
            console(&format!(
                "The nodes' output passed the run folder's budget of {} (--run-budget): \
                 stopping the test",
                crate::budget::bytes_text(limit)
            ));
        }));
    }
    {
        // Ctrl-C ends the test like a crash does: no new ops, waiting clients give up at once.
        let (stop, net) = (Arc::clone(&stop), Arc::clone(&net));
        crate::process::on_interrupt(Box::new(move || {
            stop.stop();
            net.abort_clients();
        }));
    }

    let names: Vec<&str> = service::names().collect();
    log(&format!("Starting services: ({})", names.join(" ")));
    let services = setup::start_services(&net, seed)?;
    let node_log = |id: &str| store.node_log_path(id);
    let files = NodeFiles {
        dir: &|id| store.node_dir(id),
        log_path: &node_log,
    };
    let mut cluster = Cluster::start(&opts.nodes, &program, &files, &net, &incidents)?;
    let shared = Shared {
        opts,
        nodes: cluster.nodes().to_vec(),
        workload,
        net: Arc::clone(&net),
        incidents: Arc::clone(&incidents),
        history: Recorder::new(),
        stop,
        progress,
        log: Arc::clone(&log),
        console: Arc::clone(&console),
        node_log: &node_log,
    };
    setup::init_nodes(&shared)?;

    // Relative time 0 of the history (`src/maelstrom/db.clj`).
    let history = Recorder::new();
    net.set_history_origin(history.start);
    let shared = Shared { history, ..shared };
    // The setup clients stay open until the end of the test (`src/maelstrom/client.clj`).
    let setup_clients = setup::setup(&shared)?;

    let final_phase_start = phases::main_and_final_phases(&shared, seed);

    log("Run complete, writing");
    for node in cluster.nodes() {
        log(&format!("Tearing down {}", node.id()));
    }
    cluster.teardown();
    net.heal();
    net.shutdown();
    for service in services {
        let _ = service.join();
    }
    drop(setup_clients);
    log("Shutting down Maelstrom network");

    let facts = RunFacts {
        protocol_errors: incidents.protocol_errors(),
        protocol_error_count: incidents.protocol_error_count(),
        protocol_by_node: incidents.protocol_errors_by_node(),
        late_replies: incidents.late_replies(),
        crash: incidents.crashed(),
        crash_time: incidents.crashed_at().map(|at| {
            at.saturating_duration_since(shared.history.start)
                .as_nanos() as u64
        }),
        final_phase_start,
        budget: net.budget().passed().map(|passed| {
            let time = passed
                .at
                .saturating_duration_since(shared.history.start)
                .as_nanos() as u64;
            BudgetPassed {
                limit: passed.limit,
                time,
                text: passed.sentence(time as f64 / 1e9),
            }
        }),
    };
    // For scripts and readers: how much of the budget an honest run uses.
    log(&format!(
        "The nodes' output used {} of the run folder's budget of {} (--run-budget)",
        crate::budget::bytes_text(net.budget().used()),
        crate::budget::bytes_text(net.budget().limit())
    ));
    if net.unjournaled() > 0 {
        log(&format!(
            "The journal leaves out the {} events after the run folder's budget was passed",
            net.unjournaled()
        ));
    }
    Ok(RunOutcome {
        history: shared.history.take(),
        journal: net.take_journal(),
        facts,
    })
}

impl Shared<'_> {
    /// Where this run's worker threads and processes run.
    fn placement(&self) -> Placement<'_> {
        Placement {
            nodes: &self.opts.nodes,
            concurrency: self.opts.concurrency,
        }
    }
}

/// The history being recorded: appends get the next index and the time since relative 0.
struct Recorder {
    start: Instant,
    ops: Mutex<History>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            start: Instant::now(),
            ops: Mutex::new(Vec::new()),
        }
    }

    fn push(&self, mut op: Op) {
        let mut ops = self.ops.lock();
        // Taken under the lock, so that times never decrease along the history.
        op.time = self.start.elapsed().as_nanos() as u64;
        op.index = ops.len();
        ops.push(op);
    }

    /// How many ops were recorded so far: the index the next one gets.
    fn len(&self) -> usize {
        self.ops.lock().len()
    }

    fn take(&self) -> History {
        std::mem::take(&mut *self.ops.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Lines reach the writer in order; a panic in the body comes back out instead of leaving
    /// the runner waiting forever for its log thread.
    #[test]
    fn log_thread_ends_even_when_the_body_panics() {
        let written = Mutex::new(Vec::new());
        let value = with_log_thread(
            |line| {
                if let LogLine::Log(text) | LogLine::Console(text) = line {
                    written.lock().push(text);
                }
            },
            |tx| {
                let _ = tx.send(LogLine::Log("a".into()));
                let _ = tx.send(LogLine::Console("b".into()));
                7
            },
        );
        assert_eq!(value, 7);
        assert_eq!(*written.lock(), ["a", "b"]);

        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                with_log_thread(|_| {}, |_| -> u8 { panic!("a runner bug") })
            });
            let _ = done_tx.send(outcome.is_err());
        });
        assert_eq!(done_rx.recv_timeout(Duration::from_secs(60)), Ok(true));
    }
}
