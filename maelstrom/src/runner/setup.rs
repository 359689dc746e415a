//! Setting a test up, as Maelstrom's `src/maelstrom/db.clj` does: the network, the in-runner
//! services, `init` for every node (and [`init_node`] for one node, also later), and the
//! workload's setup requests through one setup client per node.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Shared;
use crate::client::{Client, INIT_TIMEOUT};
use crate::edn::Edn;
use crate::generator::Stream;
use crate::history::{CrashReport, NOT_RESTARTED};
use crate::nemesis::node_faults::NodeAction;
use crate::nemesis::Processes;
use crate::net::{LogSink, Net, NetOptions};
use crate::options::TestOptions;
use crate::service;
use crate::workload::RpcOutcome;

/// How long init still waits for an init_ok after the node's first line that is not a message.
const GARBLED_INIT_GRACE: Duration = Duration::from_secs(1);

/// The network with the run's latency settings; its `--log-net-*` lines go to the console when
/// asked for, else to the run log.
pub(super) fn start_network(
    opts: &TestOptions,
    seed: u64,
    log: &LogSink,
    console: &LogSink,
) -> Arc<Net> {
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
            budget_bytes: opts.run_budget,
        },
        net_log,
    )
}

/// Registers every in-runner service on the network before any node starts, as Maelstrom's
/// primary does in `src/maelstrom/db.clj` (`default-services`: all four, whatever the workload).
/// Returns their delivery threads, which end when the network shuts down.
pub(super) fn start_services(
    net: &Arc<Net>,
    seed: u64,
) -> Result<Vec<std::thread::JoinHandle<()>>, String> {
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

/// Sends `init` to every node in parallel from clients `c0..c{n-1}` (`doc/protocol.md`).
pub(super) fn init_nodes(shared: &Shared) -> Result<(), String> {
    let clients = shared.opts.nodes.iter().map(|_| Client::open(&shared.net));
    on_every_node(shared, clients, |mut client: Client, node| {
        init_node(shared, &mut client, node, true)
    })
}

/// Sends `init` to `node` through `client` and waits for its `init_ok`: at the start of the
/// run, and for a node started again later (a fault restarting it). A node that does not
/// answer gets Maelstrom's text plus a hint: the usual cause is a reply left in an unflushed
/// stdout buffer, and the node's stderr log says more. `first`: the node's first process (a
/// protocol error seen earlier, from a process since killed, says nothing of a new one).
pub(super) fn init_node(
    shared: &Shared,
    client: &mut Client,
    node: &str,
    first: bool,
) -> Result<(), String> {
    let body = serde_json::json!({
        "type": "init",
        "node_id": node,
        "node_ids": shared.opts.nodes,
    });
    // A node that prints lines that are not messages (reported above as protocol errors)
    // and no init_ok within a second of the first one is not going to start: say so now
    // rather than after the whole init timeout.
    let garbled = || {
        first
            && shared
                .incidents
                .first_protocol_error(node)
                .is_some_and(|first| first.elapsed() >= GARBLED_INIT_GRACE)
    };
    let log_path = shared.node_log;
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
        None if first && shared.incidents.first_protocol_error(node).is_some() => Err(format!(
            "Node {node} answered init with lines that are not Maelstrom messages (the \
             protocol errors above) and no init_ok. Every line a node prints on STDOUT must \
             be one JSON message; logs go to STDERR, which is in {}",
            absolute(&log_path(node)).display()
        )),
        None => Err(format!(
            "Expected node {node} to respond to an init message, but node did not respond. \
             Did the node flush its stdout after writing init_ok? Or it may only be slow to \
             start: the runner waited {} s, as Maelstrom does, and an interpreter or a JVM on \
             a busy machine can take longer (try again when it is less busy). Its stderr is in \
             {}",
            INIT_TIMEOUT.as_secs(),
            absolute(&log_path(node)).display()
        )),
    }
}

/// The nodes' processes as kill and pause act on them (`jepsen.db`'s `Kill` and `Pause`, which
/// Maelstrom's `db.clj` implements).
impl Processes for Shared<'_> {
    /// A node started again gets `init` (with the same ids as at the start) before anything
    /// else is sent to it. A node that cannot be started again, or does not answer that
    /// `init`, ends the run as a crash would; one whose wait the run's end cut short (Ctrl-C)
    /// did not fail, and is not reported.
    fn act(&self, node: &str, action: NodeAction) -> Result<&'static str, String> {
        let Some(target) = self.nodes.iter().find(|n| n.id() == node) else {
            return Err(format!("no node {node}"));
        };
        match action {
            NodeAction::Kill => Ok(target.kill()),
            NodeAction::Pause => Ok(target.pause()),
            NodeAction::Resume => Ok(target.resume()),
            NodeAction::Start => {
                let started = target.start().and_then(|outcome| {
                    if outcome == "started" {
                        init_node(self, &mut Client::open(&self.net), node, false)?;
                    }
                    Ok(outcome)
                });
                match &started {
                    // The run ending (Ctrl-C, another node's crash) cut the wait for `init_ok`
                    // short: the node did not fail to start, the run stopped waiting for it.
                    Err(e) if self.net.is_aborted() => Err(format!(
                        "the run ended before it answered init (not a crash): {e}"
                    )),
                    Err(e) => {
                        let status = format!("{NOT_RESTARTED}: {e}");
                        self.incidents.crash(target.report(status));
                        started
                    }
                    Ok(_) => started,
                }
            }
        }
    }
}

/// `path` made absolute (a path the user can open from anywhere), or as it is if that fails.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Opens one setup client per node (`c{n}..c{2n-1}`) and runs the workload's setup request
/// through it, all nodes in parallel (`src/maelstrom/db.clj`). A bad reply fails the test (exit 255).
pub(super) fn setup(shared: &Shared) -> Result<Vec<Client>, String> {
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
        let outcome = match client.rpc(node, body, workload.rpc_timeout()) {
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
pub(super) fn on_every_node<C: Send>(
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
