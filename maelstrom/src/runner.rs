//! Runs one test from setup to history (`src/maelstrom/db.clj`).
//!
//! In order: start the network and the nodes, init every node in parallel (clients `c0..`),
//! open one setup client per node and run the workload's setup, then the main phase (C worker
//! threads fed by the staggered schedule, and the nemesis thread), then, for workloads with a
//! final phase, heal, sleep 10 s and run one final op per worker. Then the nodes are killed and
//! the history, the network journal and the incidents (protocol errors, late replies, a crash)
//! are handed back for analysis.
//!
//! A node that crashes ends the run early: the schedule stops, waiting clients give up at once,
//! and what was recorded so far is analysed (the README's deliberate differences).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::Rng;
use serde_json::Value;

use crate::client::{Client, INIT_TIMEOUT, RPC_TIMEOUT};
use crate::edn::Edn;
use crate::generator::{
    later, next_process, node_for, rng_for, Schedule, Stagger, StopSignal, Stream,
};
use crate::history::{CrashReport, History, Op, OpType, Process, RunFacts};
use crate::journal::Event;
use crate::nemesis::Nemesis;
use crate::net::{LogSink, Net, NetOptions};
use crate::options::TestOptions;
use crate::process::{Cluster, Incidents, NodeProgram};
use crate::progress::{Phase, Progress};
use crate::service;
use crate::store::Store;
use crate::workload::{self, Call, ClientState, RpcOutcome, Workload};

/// How early a worker may start an op that is almost due (see `main_loop`).
const EARLY_START: Duration = Duration::from_millis(1);
/// How long the final phase waits for the cluster to recover (`src/maelstrom/core.clj`).
const RECOVERY_SLEEP: Duration = Duration::from_secs(10);
/// How long a worker's final phase may go on (Maelstrom clips kafka's final polls to 10 s:
/// `src/maelstrom/workload/kafka.clj`).
const FINAL_TIME_LIMIT: Duration = Duration::from_secs(10);
/// How long init still waits for an init_ok after the node's first line that is not a message.
const GARBLED_INIT_GRACE: Duration = Duration::from_secs(1);

/// Everything a test produced, for the checkers.
pub struct RunOutcome {
    pub history: History,
    pub journal: Vec<Event>,
    pub facts: RunFacts,
}

/// Runs one test. `Err` is a setup failure (missing binary, init or setup error): the caller
/// prints it and exits 255. A crash during the test is not an error: it is in `facts.crash`.
///
/// `opts.seed` should be set by the caller (so that the results can carry it); if it is not,
/// a random seed is used and printed.
pub fn run_test(
    opts: &TestOptions,
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
    with_log_thread(write, |log_tx| run(opts, seed, store, progress, log_tx))
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
    workload: &'a dyn Workload,
    net: Arc<Net>,
    incidents: Arc<Incidents>,
    history: Recorder,
    stop: Arc<StopSignal>,
    progress: &'a Progress,
    log: LogSink,
    console: LogSink,
}

fn run(
    opts: &TestOptions,
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
    let workload = workload::for_name(opts)?;

    log("Starting Maelstrom network");
    let net = start_network(opts, seed, &log, &console);
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
        // Ctrl-C ends the test like a crash does: no new ops, waiting clients give up at once.
        let (stop, net) = (Arc::clone(&stop), Arc::clone(&net));
        crate::process::on_interrupt(Box::new(move || {
            stop.stop();
            net.abort_clients();
        }));
    }

    let names: Vec<&str> = service::names().collect();
    log(&format!("Starting services: ({})", names.join(" ")));
    let services = start_services(&net, seed)?;
    let mut cluster = Cluster::start(
        &opts.nodes,
        &program,
        &|id| store.node_log_path(id),
        &net,
        &incidents,
    )?;
    let shared = Shared {
        opts,
        workload: workload.as_ref(),
        net: Arc::clone(&net),
        incidents: Arc::clone(&incidents),
        history: Recorder::new(),
        stop,
        progress,
        log: Arc::clone(&log),
        console: Arc::clone(&console),
    };
    init_nodes(&shared, &|id| store.node_log_path(id))?;

    // Relative time 0 of the history (`src/maelstrom/db.clj`).
    let history = Recorder::new();
    net.set_history_origin(history.start);
    let shared = Shared { history, ..shared };
    // The setup clients stay open until the end of the test (`src/maelstrom/client.clj`).
    let setup_clients = setup(&shared)?;

    let final_phase_start = main_and_final_phases(&shared, seed);

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
    };
    Ok(RunOutcome {
        history: shared.history.take(),
        journal: net.take_journal(),
        facts,
    })
}

/// The network with the run's latency settings; its `--log-net-*` lines go to the console when
/// asked for, else to the run log.
fn start_network(opts: &TestOptions, seed: u64, log: &LogSink, console: &LogSink) -> Arc<Net> {
    let net_log = if opts.log_net_send || opts.log_net_recv {
        Arc::clone(console)
    } else {
        Arc::clone(log)
    };
    Net::new(
        NetOptions {
            latency_ms: opts.latency,
            dist: opts.latency_dist,
            log_send: opts.log_net_send,
            log_recv: opts.log_net_recv,
            seed: crate::generator::derive_seed(seed, Stream::Latency),
        },
        net_log,
    )
}

impl Shared<'_> {
    /// The nemesis, acting on this run's network and recording into its history.
    fn nemesis(&self) -> Nemesis<'_> {
        Nemesis {
            net: &self.net,
            nodes: &self.opts.nodes,
            record: Box::new(|op| self.history.push(op)),
            log: &self.log,
        }
    }
}

/// Registers every in-runner service on the network before any node starts, as Maelstrom's
/// primary does in `src/maelstrom/db.clj` (`default-services`: all four, whatever the workload).
/// Returns their delivery threads, which end when the network shuts down.
fn start_services(net: &Arc<Net>, seed: u64) -> Result<Vec<std::thread::JoinHandle<()>>, String> {
    let first_seed = crate::generator::derive_seed(seed, Stream::Services);
    let mut threads = Vec::new();
    for (k, (id, build)) in service::REGISTRY.iter().enumerate() {
        let service = build(first_seed.wrapping_add(k as u64));
        match net.register_service(id, service) {
            Some(thread) => threads.push(thread),
            None => return Err(format!("Could not start the thread of the {id} service")),
        }
    }
    Ok(threads)
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

/// Sends `init` to every node in parallel from clients `c0..c{n-1}` (`doc/protocol.md`). A node
/// that does not answer gets Maelstrom's text plus a hint: the usual cause is a reply left in an
/// unflushed stdout buffer, and the node's stderr log says more.
fn init_nodes(shared: &Shared, log_path: &(dyn Fn(&str) -> PathBuf + Sync)) -> Result<(), String> {
    let nodes = &shared.opts.nodes;
    let clients = nodes.iter().map(|_| Client::open(&shared.net));
    on_every_node(shared, clients, |mut client: Client, node| {
        let body = serde_json::json!({
            "type": "init",
            "node_id": node,
            "node_ids": nodes,
        });
        // A node that prints lines that are not messages (reported above as protocol errors)
        // and no init_ok within a second of the first one is not going to start: say so now
        // rather than after the whole init timeout.
        let garbled = || {
            shared
                .incidents
                .first_protocol_error(node)
                .is_some_and(|first| first.elapsed() >= GARBLED_INIT_GRACE)
        };
        match client.rpc_unless(node, body, INIT_TIMEOUT, Some(&garbled)) {
            Some(body) if body.get("type") == Some(&Value::from("init_ok")) => Ok(()),
            Some(body) if body.get("type") == Some(&Value::from("error")) => Err(format!(
                "Node {node} answered init with an error: {}",
                crate::edn::compact(&Edn::from_json_body(&body))
            )),
            Some(body) => Err(format!(
                "Expected an init_ok message, but node responded with {}",
                crate::edn::compact(&Edn::from_json_body(&body))
            )),
            None if shared.incidents.first_protocol_error(node).is_some() => Err(format!(
                "Node {node} answered init with lines that are not Maelstrom messages (the \
                 protocol errors above) and no init_ok. Every line a node prints on STDOUT must \
                 be one JSON message; logs go to STDERR, which is in {}",
                absolute(&log_path(node)).display()
            )),
            None => Err(format!(
                "Expected node {node} to respond to an init message, but node did not respond. \
                 Did the node flush its stdout after writing init_ok? Its stderr is in {}",
                absolute(&log_path(node)).display()
            )),
        }
    })
}

/// `path` made absolute (a path the user can open from anywhere), or as it is if that fails.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Opens one setup client per node (`c{n}..c{2n-1}`) and runs the workload's setup request
/// through it, all nodes in parallel (`src/maelstrom/db.clj`). A bad reply fails the test (exit 255).
fn setup(shared: &Shared) -> Result<Vec<Client>, String> {
    let mut clients: Vec<Client> = shared
        .opts
        .nodes
        .iter()
        .map(|_| Client::open(&shared.net))
        .collect();
    let workload = shared.workload;
    on_every_node(shared, clients.iter_mut(), |client: &mut Client, node| {
        let Some(body) = workload.setup_request(node) else {
            return Ok(());
        };
        let outcome = match client.rpc(node, body, RPC_TIMEOUT) {
            Some(reply) => RpcOutcome::Reply(reply),
            None => RpcOutcome::Timeout,
        };
        workload.check_setup_reply(node, &outcome)
    })?;
    Ok(clients)
}

/// Runs `step` for every node in parallel, each with its own client, and gives back the first
/// node's problem in node order; a node that died is reported as a crash, with its output, not
/// as whatever its silence looked like.
fn on_every_node<C: Send>(
    shared: &Shared,
    clients: impl IntoIterator<Item = C>,
    step: impl Fn(C, &str) -> Result<(), String> + Sync,
) -> Result<(), String> {
    let step = &step;
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .into_iter()
            .zip(&shared.opts.nodes)
            .map(|(client, node)| scope.spawn(move || step(client, node)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("A setup thread panicked".to_string()))
            })
            .collect()
    });
    match results.into_iter().find_map(Result::err) {
        None => Ok(()),
        Some(problem) => Err(wait_for_crash(shared).map_or(problem, |crash| crash.text())),
    }
}

/// The crash, if a node crashed, giving the monitor a moment to notice a fresh exit.
fn wait_for_crash(shared: &Shared) -> Option<CrashReport> {
    let give_up = Instant::now() + Duration::from_millis(100);
    loop {
        if let Some(crash) = shared.incidents.crashed() {
            return Some(crash);
        }
        if Instant::now() >= give_up {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A client worker thread's state, kept across the main and final phases.
struct Worker {
    /// The thread id t: it talks to `nodes[t mod n]`.
    thread: usize,
    /// Its current process number (t, then + C after each `:info`).
    process: u64,
    /// Opened lazily on the first op; replaced after an `:info` if not reusable.
    client: Option<Client>,
    /// What the workload keeps for this client; dropped with it.
    state: ClientState,
}

/// The main phase, then (if the workload has one) the final phase (`src/maelstrom/core.clj`).
/// Returns the history index of the final phase's first op, if the final phase ran.
fn main_and_final_phases(shared: &Shared, seed: u64) -> Option<usize> {
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
        if opts.nemesis_partition {
            scope.spawn(move || {
                shared.nemesis().run(
                    shared.opts.nemesis_interval,
                    seed,
                    start,
                    cutoff,
                    &shared.stop,
                )
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
    if opts.nemesis_partition {
        shared.nemesis().heal();
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

/// Warns (as a late reply: a warning under `:protocol`, not an error) of each message the
/// client got that answered no request it was waiting for: a second reply, a reply after its
/// request timed out, or an `in_reply_to` that matches nothing (Maelstrom drops these silently).
fn warn_of_strays(client: &mut Client, incidents: &Incidents) {
    let (strays, dropped) = client.take_strays();
    for (message, awaited) in strays {
        let in_reply_to = message
            .body
            .get("in_reply_to")
            .map_or("none".to_string(), Value::to_string);
        let body = message.body.to_string();
        incidents.late_reply(format!(
            "Node {} sent client {} a message that answers none of its requests in flight \
             (in_reply_to {in_reply_to}; the request awaited was msg_id {awaited}: a second \
             reply, a reply after a timeout, or a wrong in_reply_to); ignored: {}",
            message.src,
            message.dest,
            crate::process::quote(&body, body.len())
        ));
    }
    if dropped > 0 {
        incidents.late_reply(format!(
            "... and {dropped} more messages to client {} that answered no request",
            client.id()
        ));
    }
}

/// Runs one op against `nodes[thread mod n]`: invocation, RPC, completion (`src/maelstrom/client.clj`).
/// Returns the completed op in the final phase, where the next op depends on it.
fn run_op(
    worker: &mut Worker,
    f: &str,
    value: Edn,
    final_read: bool,
    shared: &Shared,
) -> Option<Op> {
    let opts = shared.opts;
    let node = node_for(worker.thread, &opts.nodes);
    let process = Process::Client(worker.process);
    let client = worker
        .client
        .get_or_insert_with(|| Client::open(&shared.net));
    let mut invoke = Op::new(OpType::Invoke, process, f, value.clone());
    invoke.final_read = final_read;
    shared.history.push(invoke);

    let mut call = NodeCall {
        client,
        node,
        crash_text: None,
    };
    let completion = shared
        .workload
        .invoke(&mut call, &mut worker.state, f, &value, final_read);
    let crash_text = call.crash_text.take();
    warn_of_strays(call.client, &shared.incidents);
    let op_type = completion.op_type;
    let mut done = Op::new(op_type, process, f, completion.value);
    done.error = completion.error;
    done.exception = completion.exception.map(Box::new);
    done.final_read = final_read;
    shared.workload.observe(worker.thread, &done);
    // The final phase decides its next op from how the last one ended.
    let recorded = final_read.then(|| done.clone());
    shared.history.push(done);
    shared.progress.record(op_type);
    if let Some(text) = crash_text {
        shared.progress.crash_error(node, f, &text);
    }

    if op_type == OpType::Info {
        worker.process = next_process(worker.process, opts.concurrency);
        if !shared.workload.client_reusable() {
            // Closing the client removes its id from the network: a reply that still arrives
            // for it is a late reply (`src/maelstrom/core.clj`).
            worker.client = None;
            worker.state = None;
        }
    }
    recorded
}

/// A worker's client as the workload's `invoke` sees it: RPCs to the worker's node.
struct NodeCall<'a> {
    client: &'a mut Client,
    node: &'a str,
    /// The text of the first error 13 (crash) reply the node gave during this op, for the
    /// live warning.
    crash_text: Option<String>,
}

impl Call for NodeCall<'_> {
    fn node(&self) -> &str {
        self.node
    }

    fn rpc(&mut self, body: Value) -> RpcOutcome {
        let outcome = match self.client.rpc(self.node, body, RPC_TIMEOUT) {
            Some(reply) => RpcOutcome::Reply(reply),
            None => RpcOutcome::Timeout,
        };
        if self.crash_text.is_none() {
            self.crash_text = crash_reply_text(&outcome).map(str::to_string);
        }
        outcome
    }
}

/// The text of an error 13 (`crash`) reply: a node's handler failed or panicked.
fn crash_reply_text(outcome: &RpcOutcome) -> Option<&str> {
    let RpcOutcome::Reply(body) = outcome else {
        return None;
    };
    let is_crash = body.get("type") == Some(&Value::from("error"))
        && body.get("code").and_then(Value::as_i64) == Some(13);
    is_crash.then(|| body.get("text").and_then(Value::as_str).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

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
