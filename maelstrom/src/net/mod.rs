//! The simulated network: latency, per-destination queues, partitions, the journal, after
//! Maelstrom's `src/maelstrom/net.clj`.
//!
//! Every message, whoever sends it (a node's stdout, a client, a service), goes through
//! [`Net::send`]: it gets the next network-wide id, is checked against the endpoint table, is
//! journaled, and is queued for its destination with a deadline of now + latency.
//!
//! The endpoint table says what each registered id is, and so how a message reaches it:
//! - a **node** process: one delivery thread takes the entry with the smallest deadline, checks
//!   the partition table *at that moment* (a partition acts at the receiver, at dequeue), sleeps
//!   until the deadline and writes the message to the node's stdin;
//! - an in-runner **service** ([`crate::service::Service`]): the same queue and thread, but the
//!   message is handed to the service, and its reply is sent back through [`Net::send`] like any
//!   other message (latency, journal). Partitions only ever name nodes, so services are never cut off;
//! - a **client**: it receives on its own channel, at once. Anything involving a client has zero
//!   latency and is never partitioned (`latency-for` in `net.clj`).

mod inbox;
mod message;

pub use inbox::Reach;
use inbox::{write_line, Inbox, Sink};
pub use message::{Delivery, Message, SendError};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp};
use serde_json::Value;

use crate::budget::Budget;
use crate::journal::{self, Event, EventKind, Journal};
use crate::options::LatencyDist;
use crate::service::Service;

/// The network's settings, from the command line and the run's seed.
#[derive(Debug, Clone)]
pub struct NetOptions {
    /// `--latency`: mean milliseconds for server-to-server messages.
    pub latency_ms: u64,
    pub dist: LatencyDist,
    /// `--log-net-send`.
    pub log_send: bool,
    /// `--log-net-recv`.
    pub log_recv: bool,
    /// Seeds the latency draws.
    pub seed: u64,
    /// The run folder's budget, bytes (`--run-budget`, `budget.rs`).
    pub budget_bytes: u64,
}

#[cfg(test)]
impl NetOptions {
    /// For unit tests: no latency, no log lines, no budget; `seed` seeds the latency draws.
    pub fn for_tests(seed: u64) -> NetOptions {
        NetOptions {
            latency_ms: 0,
            dist: LatencyDist::Constant,
            log_send: false,
            log_recv: false,
            seed,
            budget_bytes: u64::MAX,
        }
    }
}

/// Where the network writes its log lines (`--log-net-send`, `--log-net-recv`).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// A registered id: what it is, and so how messages reach it.
enum Endpoint {
    /// A node process, fed by its delivery thread.
    Node(Arc<Inbox>),
    /// An in-runner service, fed by its delivery thread; its replies go back through the network.
    Service(Arc<Inbox>),
    /// A live client, fed directly (zero latency).
    Client(mpsc::Sender<Delivery>),
    /// A client that was closed: messages to it are late replies.
    Closed,
}

impl Endpoint {
    /// True for clients, live or closed: messages involving them have no latency.
    fn is_client(&self) -> bool {
        matches!(self, Endpoint::Client(_) | Endpoint::Closed)
    }
}

/// The simulated network. Shared (`Arc`) by node readers, clients, delivery threads and the
/// nemesis.
pub struct Net {
    options: NetOptions,
    log: LogSink,
    /// Journal times are nanoseconds since this instant.
    started: Instant,
    next_message_id: AtomicU64,
    next_client: AtomicU64,
    endpoints: RwLock<HashMap<String, Endpoint>>,
    /// Destination -> sources it currently drops. Only node ids appear.
    partitions: RwLock<HashMap<String, HashSet<String>>>,
    journal: Mutex<Journal>,
    /// Nanoseconds from `started` to the history's relative time 0, once the runner sets it:
    /// journal times are on the history's clock.
    history_origin: AtomicU64,
    latency_rng: Mutex<StdRng>,
    /// Set once the run is over: clients stop waiting and new requests fail at once.
    aborted: AtomicBool,
    /// Requests a service left unanswered so far: only the first [`UNANSWERED_WARNINGS`] are
    /// logged one by one, so a node flooding a service with them cannot flood `jepsen.log`.
    unanswered: AtomicU64,
    /// The run folder's budget, charged with every journal event (to the node that sent the
    /// message, or, for a client's request or a service's reply, to the node it went to), and
    /// by the runner and the nodes' stderr readers; past it, events are no longer journaled.
    budget: Budget,
    /// The registered nodes' ids, which the budget charges.
    servers: RwLock<HashSet<String>>,
    /// Events left out of the journal once the budget was passed.
    unjournaled: AtomicU64,
}

/// How many unanswered service requests `jepsen.log` warns about one by one; one more line
/// says that later ones are not logged.
pub const UNANSWERED_WARNINGS: u64 = 20;

impl Net {
    /// A network with no registered ids, an empty journal and message ids starting at 0.
    pub fn new(options: NetOptions, log: LogSink) -> Arc<Net> {
        let latency_rng = Mutex::new(StdRng::seed_from_u64(options.seed));
        let budget = Budget::new(options.budget_bytes);
        Arc::new(Net {
            options,
            log,
            started: Instant::now(),
            next_message_id: AtomicU64::new(0),
            next_client: AtomicU64::new(0),
            endpoints: RwLock::new(HashMap::new()),
            partitions: RwLock::new(HashMap::new()),
            journal: Mutex::new(Journal::default()),
            history_origin: AtomicU64::new(0),
            latency_rng,
            aborted: AtomicBool::new(false),
            unanswered: AtomicU64::new(0),
            budget,
            servers: RwLock::new(HashSet::new()),
            unjournaled: AtomicU64::new(0),
        })
    }

    /// Registers a node id. Messages to it queue up until [`Net::start_delivery`] is called,
    /// so a node can be registered before its process starts (as Maelstrom's `add-node!`).
    pub fn register_server(&self, id: &str) {
        self.servers.write().insert(id.to_string());
        self.endpoints
            .write()
            .insert(id.to_string(), Endpoint::Node(Arc::new(Inbox::new())));
    }

    /// Starts the delivery thread of a registered node, writing each delivered message as one
    /// line to `stdin`. Returns `None` if `id` is not a registered node.
    pub fn start_delivery(
        self: &Arc<Self>,
        id: &str,
        stdin: Box<dyn Write + Send>,
    ) -> Option<JoinHandle<()>> {
        let inbox = match self.endpoints.read().get(id) {
            Some(Endpoint::Node(inbox)) => Arc::clone(inbox),
            _ => return None,
        };
        *inbox.sink.lock() = Some(Sink::Stdin(std::io::BufWriter::new(stdin)));
        inbox.state.lock().delivering = true;
        self.spawn_delivery(id, inbox)
    }

    /// Gives a node that was started again (after a kill) its new stdin and opens it: its
    /// delivery thread, started once by [`Net::start_delivery`], writes there from now on.
    /// Returns false if `id` is not a node whose delivery had started.
    pub fn restart_delivery(&self, id: &str, stdin: Box<dyn Write + Send>) -> bool {
        let inbox = match self.endpoints.read().get(id) {
            Some(Endpoint::Node(inbox)) => Arc::clone(inbox),
            _ => return false,
        };
        if !inbox.state.lock().delivering {
            return false;
        }
        // Taking the sink waits for a delivery in progress to the old process (which fails
        // at once: its pipe is broken).
        *inbox.sink.lock() = Some(Sink::Stdin(std::io::BufWriter::new(stdin)));
        self.set_reach(id, Reach::Open)
    }

    /// Sets whether node `id` takes messages: [`Reach::Held`] while it is paused,
    /// [`Reach::Down`] while it is dead, [`Reach::Open`] otherwise. Returns false if `id` is not
    /// a node.
    pub fn set_reach(&self, id: &str, reach: Reach) -> bool {
        let inbox = match self.endpoints.read().get(id) {
            Some(Endpoint::Node(inbox)) => Arc::clone(inbox),
            _ => return false,
        };
        inbox.state.lock().reach = reach;
        inbox.changed.notify_all();
        true
    }

    /// Registers an in-runner service under `id` (`"seq-kv"`) and starts its delivery thread:
    /// requests reach it after the usual latency, one at a time, and each reply it returns is
    /// sent back to the request's source through [`Net::send`]. Returns `None` if the thread
    /// could not be started.
    pub fn register_service(
        self: &Arc<Self>,
        id: &str,
        service: Box<dyn Service>,
    ) -> Option<JoinHandle<()>> {
        let inbox = Arc::new(Inbox::new());
        *inbox.sink.lock() = Some(Sink::Service(service));
        self.endpoints
            .write()
            .insert(id.to_string(), Endpoint::Service(Arc::clone(&inbox)));
        self.spawn_delivery(id, inbox)
    }

    /// Starts the thread that delivers `id`'s queue.
    fn spawn_delivery(self: &Arc<Self>, id: &str, inbox: Arc<Inbox>) -> Option<JoinHandle<()>> {
        let net = Arc::clone(self);
        let dest = id.to_string();
        std::thread::Builder::new()
            .name(format!("{id} delivery"))
            .spawn(move || net.deliver_loop(&dest, &inbox))
            .ok()
    }

    /// Opens a new client: the next id from the single client counter (`c0`, `c1`, ...) and the
    /// channel its messages arrive on.
    pub fn open_client(&self) -> (String, mpsc::Receiver<Delivery>) {
        let id = format!(
            "c{}",
            self.next_client.fetch_add(1, AtomicOrdering::Relaxed)
        );
        let (tx, rx) = mpsc::channel();
        self.endpoints
            .write()
            .insert(id.clone(), Endpoint::Client(tx));
        (id, rx)
    }

    /// Closes a client: its id stays known, so that a later reply to it is recognised as late.
    pub fn close_client(&self, id: &str) {
        if let Some(endpoint) = self.endpoints.write().get_mut(id) {
            *endpoint = Endpoint::Closed;
        }
    }

    /// Sends a message (`send!` in `net.clj`): assigns the next id, checks `src` and `dest` against
    /// the endpoint table, journals it and queues it for `dest`. Returns the id. The caller is
    /// `src` itself (a client's worker, a service); a node's line goes through
    /// [`Net::send_written_by`].
    pub fn send(&self, src: &str, dest: &str, body: Value) -> Result<u64, SendError> {
        self.send_written_by(src, src, dest, body)
    }

    /// Sends a message that `writer` printed, whose `src` may be another id: as in `net.clj`,
    /// whose `validate-msg` only asks that `src` be some known id, it travels as if `src` had sent
    /// it (journaled from `src`, partitioned by `src`, no latency when `src` is a client: a node
    /// forwarding a client's request as that client, like Maelstrom's `demo/python/raft.py`,
    /// slips past partitions). A closed client is a known `src` here (in Maelstrom, whose closed
    /// client leaves the network, the line would mute the node): such a forward comes late, like
    /// a reply to that client. Only a client's own worker writes to a node's stdin directly, so
    /// a node's stdout reader never blocks on another node's stdin.
    pub fn send_written_by(
        &self,
        writer: &str,
        src: &str,
        dest: &str,
        body: Value,
    ) -> Result<u64, SendError> {
        let message = Message {
            id: self.next_message_id.fetch_add(1, AtomicOrdering::Relaxed),
            src: src.to_string(),
            dest: dest.to_string(),
            body,
        };
        let endpoints = self.endpoints.read();
        let from_client = match endpoints.get(src) {
            None => return Err(SendError::InvalidSource(message)),
            Some(endpoint) => endpoint.is_client(),
        };
        let id = message.id;
        match endpoints.get(dest) {
            None => Err(SendError::InvalidDest(message)),
            Some(Endpoint::Closed) => Err(SendError::ClosedClient(message)),
            Some(Endpoint::Client(tx)) => {
                // Clients are never partitioned and have zero latency: deliver right away.
                self.record(EventKind::Send, &message, true);
                self.record(EventKind::Recv, &message, true);
                // A client that was dropped without closing simply no longer listens.
                let _ = tx.send(Delivery::Message(message));
                Ok(id)
            }
            Some(Endpoint::Service(inbox)) => {
                let inbox = Arc::clone(inbox);
                drop(endpoints);
                self.record(EventKind::Send, &message, from_client);
                let latency = self.latency(from_client);
                let deadline = crate::generator::later(Instant::now(), latency);
                inbox.push(message, deadline, from_client);
                Ok(id)
            }
            Some(Endpoint::Node(inbox)) => {
                let inbox = Arc::clone(inbox);
                drop(endpoints);
                self.record(EventKind::Send, &message, from_client);
                if from_client && writer == src {
                    // A client request (zero latency, never partitioned) goes straight to the
                    // node's stdin when nothing is queued before it: the same order and timing
                    // as a hop through the delivery thread, minus a thread switch. Only client
                    // worker threads write directly: a node's stdout reader never blocks on
                    // another node's stdin, so nodes cannot deadlock each other through full pipes.
                    match self.deliver_directly(&inbox, message) {
                        Ok(()) => {}
                        Err(message) => inbox.push(message, Instant::now(), true),
                    }
                } else {
                    let latency = self.latency(from_client);
                    let deadline = crate::generator::later(Instant::now(), latency);
                    inbox.push(message, deadline, from_client);
                }
                Ok(id)
            }
        }
    }

    /// Starts a partition: adds each `dest -> sources` entry of the grudge to the drop sets
    /// (as `jepsen.net`'s `drop-all!`). Earlier entries are kept.
    pub fn partition(&self, grudge: &BTreeMap<String, BTreeSet<String>>) {
        let mut table = self.partitions.write();
        for (dest, sources) in grudge {
            table
                .entry(dest.clone())
                .or_default()
                .extend(sources.iter().cloned());
        }
    }

    /// Heals the network: empties the partition table.
    pub fn heal(&self) {
        self.partitions.write().clear();
    }

    /// True if messages from `src` to `dest` are currently dropped.
    pub fn drops(&self, src: &str, dest: &str) -> bool {
        self.partitions
            .read()
            .get(dest)
            .is_some_and(|sources| sources.contains(src))
    }

    /// Ends the run for clients: every waiting client gets [`Delivery::Abort`] and requests made
    /// from now on fail at once (see [`Net::is_aborted`]).
    pub fn abort_clients(&self) {
        self.aborted.store(true, AtomicOrdering::SeqCst);
        for endpoint in self.endpoints.read().values() {
            if let Endpoint::Client(tx) = endpoint {
                let _ = tx.send(Delivery::Abort);
            }
        }
    }

    /// True once [`Net::abort_clients`] was called.
    pub fn is_aborted(&self) -> bool {
        self.aborted.load(AtomicOrdering::SeqCst)
    }

    /// Stops every delivery thread (queued messages are dropped) and aborts the clients.
    pub fn shutdown(&self) {
        self.abort_clients();
        for endpoint in self.endpoints.read().values() {
            if let Endpoint::Node(inbox) | Endpoint::Service(inbox) = endpoint {
                inbox.state.lock().stopped = true;
                inbox.changed.notify_all();
            }
        }
    }

    /// The run folder's budget (`budget.rs`).
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// How many events were left out of the journal because the run folder's budget was
    /// passed.
    pub fn unjournaled(&self) -> u64 {
        self.unjournaled.load(AtomicOrdering::Relaxed)
    }

    /// Takes the journal out of the network, leaving it empty (cheaper than a copy at the end).
    pub fn take_journal(&self) -> Vec<Event> {
        let origin = self.history_origin.load(AtomicOrdering::SeqCst);
        let origin = i64::try_from(origin).unwrap_or(i64::MAX);
        let mut events = self.journal.lock().take();
        for event in &mut events {
            event.time = event.time.saturating_sub(origin);
        }
        events
    }

    /// Puts the journal on the history's clock: [`Net::take_journal`] times every event from
    /// `origin`, the history's relative time 0 (so the nodes' `init` messages, earlier, are
    /// negative).
    pub fn set_history_origin(&self, origin: Instant) {
        let offset = origin.saturating_duration_since(self.started).as_nanos();
        self.history_origin.store(
            u64::try_from(offset).unwrap_or(u64::MAX),
            AtomicOrdering::SeqCst,
        );
    }

    /// Latency for one message between `src` and `dest`, as the endpoint table sees them.
    #[cfg(test)]
    fn draw_latency(&self, src: &str, dest: &str) -> Duration {
        let endpoints = self.endpoints.read();
        let is_client = |id: &str| endpoints.get(id).is_some_and(Endpoint::is_client);
        let involves_client = is_client(src) || is_client(dest);
        drop(endpoints);
        self.latency(involves_client)
    }

    /// Latency for one message (`latency-for` in `net.clj`): zero if a client is involved or the
    /// mean is zero, otherwise drawn from `--latency-dist`, in whole milliseconds.
    fn latency(&self, involves_client: bool) -> Duration {
        if involves_client {
            return Duration::ZERO;
        }
        let mut rng = self.latency_rng.lock();
        Duration::from_millis(draw_millis(
            self.options.latency_ms,
            self.options.dist,
            &mut rng,
        ))
    }

    /// Appends an event to the journal and, if asked, logs it. `client`: a client sent or
    /// receives the message.
    fn record(&self, kind: EventKind, message: &Message, client: bool) {
        if self.budget.is_passed() {
            self.unjournaled.fetch_add(1, AtomicOrdering::Relaxed);
            return;
        }
        // Timed from the network's start here; `take_journal` moves every event onto the
        // history's clock, whose origin is only known once the nodes are up.
        let time = i64::try_from(self.started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        let line = self.journal.lock().record(journal::Entry {
            kind,
            id: message.id,
            time,
            src: &message.src,
            dest: &message.dest,
            client,
            body: &message.body,
        });
        // A node answers for its own messages, its clients' requests and the services' replies
        // to it: a node flooding a service is named, not the service.
        let who = match self.servers.read().contains(&message.src) {
            true => &message.src,
            false => &message.dest,
        };
        self.budget.charge(who, "messages", line);
        let wanted = match kind {
            EventKind::Send => self.options.log_send,
            EventKind::Recv => self.options.log_recv,
        };
        if wanted {
            let tag = match kind {
                EventKind::Send => ":send",
                EventKind::Recv => ":recv",
            };
            let text = format!("{tag} {}", message.to_edn_text());
            self.budget.charge(who, "messages", text.len() as u64);
            (self.log)(&text);
        }
    }

    /// Writes a due message to the node's stdin right away if nothing is queued or being
    /// delivered; gives it back otherwise (or if the delivery thread has not started).
    fn deliver_directly(&self, inbox: &Inbox, message: Message) -> Result<(), Message> {
        {
            let mut state = inbox.state.lock();
            if state.busy || state.stopped || !state.queue.is_empty() || state.reach != Reach::Open
            {
                return Err(message);
            }
            state.busy = true;
        }
        let mut sink = inbox.sink.lock();
        let result = match sink.as_mut() {
            Some(Sink::Stdin(out)) => {
                self.record(EventKind::Recv, &message, true);
                write_line(out, &message, true);
                Ok(())
            }
            Some(Sink::Service(_)) | None => Err(message),
        };
        drop(sink);
        inbox.finish_delivery();
        result
    }

    /// The delivery thread of one node or service (`recv!` in `net.clj`): smallest deadline first,
    /// partition check at dequeue, sleep until the deadline, journal, hand over. A node's output
    /// is flushed whenever no further message is due, so a burst goes out in one write.
    fn deliver_loop(&self, dest: &str, inbox: &Inbox) {
        loop {
            let mut state = inbox.state.lock();
            while (state.queue.is_empty() || state.busy || state.reach == Reach::Held)
                && !state.stopped
            {
                inbox.changed.wait(&mut state);
            }
            if state.stopped {
                break;
            }
            let Some(entry) = state.queue.pop() else {
                continue;
            };
            state.busy = true;
            drop(state);
            // The partition table is consulted now, when the message reaches the head of the
            // queue, not when it was sent.
            if self.drops(&entry.message.src, dest) {
                inbox.finish_delivery();
                continue;
            }
            // Sleep until the deadline; messages queued meanwhile wait behind this one.
            let mut state = inbox.state.lock();
            while !state.stopped && Instant::now() < entry.deadline {
                inbox.changed.wait_until(&mut state, entry.deadline);
            }
            if state.stopped {
                break;
            }
            // A node killed meanwhile never gets it; one paused meanwhile gets it on resuming.
            match state.reach {
                Reach::Open => {}
                Reach::Down => {
                    drop(state);
                    inbox.finish_delivery();
                    continue;
                }
                Reach::Held => {
                    state.queue.push(entry);
                    drop(state);
                    inbox.finish_delivery();
                    continue;
                }
            }
            // Flush unless another message is already due (then the burst goes out together).
            let flush = match state.queue.peek() {
                Some(next) => next.deadline > Instant::now(),
                None => true,
            };
            drop(state);
            self.record(EventKind::Recv, &entry.message, entry.client);
            let reply = match inbox.sink.lock().as_mut() {
                Some(Sink::Stdin(out)) => {
                    write_line(out, &entry.message, flush);
                    None
                }
                Some(Sink::Service(service)) => self.ask(dest, service.as_mut(), &entry.message),
                None => None,
            };
            inbox.finish_delivery();
            if let Some(body) = reply {
                // Like Maelstrom's `service-thread`: the reply goes to the request's source. A
                // client that gave up meanwhile makes this fail; there is nobody to tell.
                if let Err(e) = self.send(dest, &entry.message.src, body) {
                    (self.log)(&format!(
                        "Service {dest} could not reply: {}",
                        e.maelstrom_text()
                    ));
                }
            }
        }
        if let Some(Sink::Stdin(out)) = inbox.sink.lock().as_mut() {
            let _ = out.flush();
        }
    }

    /// Hands one request to a service. A panicking service is logged and gives no reply, as
    /// Maelstrom's `service-thread` warns "Error in service worker!" and carries on. A request
    /// the service leaves unanswered (a type it does not have) is logged too, since the node
    /// that sent it will only see a timeout.
    ///
    /// What the service holds more after the request (the keys and values it stores) is
    /// charged to the node that sent it, as `"<service> values"`: the journal keeps only a
    /// prefix of a huge write, but the service keeps it whole, in memory.
    fn ask(&self, id: &str, service: &mut dyn Service, request: &Message) -> Option<Value> {
        let held = service.held_bytes();
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            service.handle(&request.src, &request.body)
        }));
        let grew = service.held_bytes().saturating_sub(held);
        if grew > 0 {
            self.budget
                .charge(&request.src, &format!("{id} values"), grew);
        }
        match answer {
            Ok(Some(reply)) => Some(reply),
            Ok(None) => {
                let n = self.unanswered.fetch_add(1, AtomicOrdering::Relaxed) + 1;
                if n <= UNANSWERED_WARNINGS {
                    let kind = request
                        .body
                        .get("type")
                        .map_or("none".to_string(), Value::to_string);
                    let kind = crate::process::quote(&kind, kind.len());
                    (self.log)(&format!(
                        "WARN Service {id} does not answer {}'s request of type {kind}; it will \
                         time out. {}",
                        request.src,
                        request.to_edn_text()
                    ));
                } else if n == UNANSWERED_WARNINGS + 1 {
                    (self.log)(&format!(
                        "WARN Services left more than {UNANSWERED_WARNINGS} requests unanswered; \
                         later ones are not logged."
                    ));
                }
                None
            }
            Err(_) => {
                (self.log)(&format!(
                    "Error in service worker {id} handling {}",
                    request.to_edn_text()
                ));
                None
            }
        }
    }
}

/// One latency draw in milliseconds, from `latency-dist` in `net.clj` (with our fix, in the
/// README's deliberate differences: mean 0 is always 0).
pub fn draw_millis(mean: u64, dist: LatencyDist, rng: &mut StdRng) -> u64 {
    if mean == 0 {
        return 0;
    }
    match dist {
        LatencyDist::Constant => mean,
        LatencyDist::Uniform => rng.gen_range(0..mean.saturating_mul(2)),
        LatencyDist::Exponential => match Exp::new(1.0 / mean as f64) {
            Ok(exp) => exp.sample(rng) as u64,
            Err(_) => mean,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake node stdin: every complete line written is sent on a channel.
    struct LineWriter {
        buffer: Vec<u8>,
        lines: mpsc::Sender<String>,
    }

    impl Write for LineWriter {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.buffer.extend_from_slice(data);
            while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                let _ = self.lines.send(text);
            }
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn net(latency_ms: u64, dist: LatencyDist) -> Arc<Net> {
        let options = NetOptions {
            latency_ms,
            dist,
            ..NetOptions::for_tests(7)
        };
        Net::new(options, Arc::new(|_: &str| {}))
    }

    fn start(net: &Arc<Net>, id: &str) -> mpsc::Receiver<String> {
        let (tx, rx) = mpsc::channel();
        let writer = LineWriter {
            buffer: Vec::new(),
            lines: tx,
        };
        net.start_delivery(id, Box::new(writer))
            .expect("registered server");
        rx
    }

    fn body_n(line: &str) -> i64 {
        let value: Value = serde_json::from_str(line).expect("delivered JSON");
        value["body"]["n"].as_i64().expect("n in body")
    }

    const WAIT: Duration = Duration::from_secs(10);

    /// Delivered lines have exactly the keys id, src, dest, body, in that order.
    #[test]
    fn delivered_line_has_maelstrom_key_order() {
        let net = net(0, LatencyDist::Constant);
        net.register_server("n0");
        let (client, _rx) = net.open_client();
        let lines = start(&net, "n0");
        net.send(
            &client,
            "n0",
            serde_json::json!({"type": "echo", "msg_id": 1}),
        )
        .expect("send");
        let line = lines.recv_timeout(WAIT).expect("delivered");
        assert_eq!(
            line,
            r#"{"id":0,"src":"c0","dest":"n0","body":{"msg_id":1,"type":"echo"}}"#
        );
    }

    /// The queue releases the smallest deadline first, whatever the send order.
    #[test]
    fn queue_delivers_smallest_deadline_first() {
        let net = net(0, LatencyDist::Constant);
        net.register_server("n0");
        net.register_server("n1");
        let inbox = match net.endpoints.read().get("n1") {
            Some(Endpoint::Node(inbox)) => Arc::clone(inbox),
            _ => panic!("n1 registered"),
        };
        let now = Instant::now();
        for (n, delay_ms) in [(0, 60), (1, 20), (2, 40), (3, 20)] {
            let message = Message {
                id: n as u64,
                src: "n0".into(),
                dest: "n1".into(),
                body: serde_json::json!({ "n": n }),
            };
            inbox.push(message, now + Duration::from_millis(delay_ms), false);
        }
        let lines = start(&net, "n1");
        let order: Vec<i64> = (0..4)
            .map(|_| body_n(&lines.recv_timeout(WAIT).expect("delivered")))
            .collect();
        assert_eq!(order, vec![1, 3, 2, 0]);
    }

    /// A message queued before a partition and dequeued during it is dropped (no recv event);
    /// one queued during a partition and dequeued after the heal is delivered.
    #[test]
    fn partitions_apply_at_dequeue() {
        let net = net(0, LatencyDist::Constant);
        for id in ["n0", "n1", "n2"] {
            net.register_server(id);
        }
        let grudge = |dest: &str| -> BTreeMap<String, BTreeSet<String>> {
            [(dest.to_string(), ["n0".to_string()].into())].into()
        };

        // Queued before the partition and during it; both dequeued while it holds: lost. The
        // marker from n2 (not partitioned) is queued last, so when it arrives both were dequeued.
        net.send("n0", "n1", serde_json::json!({"n": 1}))
            .expect("send");
        net.partition(&grudge("n1"));
        net.send("n0", "n1", serde_json::json!({"n": 2}))
            .expect("send");
        net.send("n2", "n1", serde_json::json!({"n": 9}))
            .expect("send");
        assert!(net.drops("n0", "n1") && !net.drops("n1", "n0"));
        let lines = start(&net, "n1");
        assert_eq!(body_n(&lines.recv_timeout(WAIT).expect("marker")), 9);
        net.heal();
        net.send("n0", "n1", serde_json::json!({"n": 3}))
            .expect("send");
        assert_eq!(body_n(&lines.recv_timeout(WAIT).expect("after heal")), 3);

        // Queued during a partition, dequeued after the heal: delivered.
        net.partition(&grudge("n2"));
        net.send("n0", "n2", serde_json::json!({"n": 4}))
            .expect("send");
        net.heal();
        let lines2 = start(&net, "n2");
        assert_eq!(body_n(&lines2.recv_timeout(WAIT).expect("delivered")), 4);

        let journal = net.take_journal();
        let sends = journal.iter().filter(|e| e.kind == EventKind::Send).count();
        let recvs = journal.iter().filter(|e| e.kind == EventKind::Recv).count();
        assert_eq!(
            (sends, recvs),
            (5, 3),
            "dropped messages are sent but never received"
        );
    }

    /// Clients get replies on their channel at once; a closed client's id gives ClosedClient,
    /// an unknown id InvalidDest, an unknown source InvalidSource.
    #[test]
    fn clients_receive_directly_and_closed_clients_are_late() {
        let net = net(100, LatencyDist::Constant);
        net.register_server("n0");
        let (c0, rx) = net.open_client();
        let (c1, _rx1) = net.open_client();
        assert_eq!((c0.as_str(), c1.as_str()), ("c0", "c1"));
        let started = Instant::now();
        net.send("n0", &c0, serde_json::json!({"type": "echo_ok"}))
            .expect("send to client");
        match rx.recv_timeout(WAIT) {
            Ok(Delivery::Message(m)) => assert_eq!((m.src.as_str(), m.id), ("n0", 0)),
            other => panic!("expected a message, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_millis(100), "no latency");
        net.close_client(&c0);
        let late = net.send("n0", &c0, serde_json::json!({}));
        assert!(matches!(late, Err(SendError::ClosedClient(_))), "{late:?}");
        let unknown = net.send("n0", "n9", serde_json::json!({}));
        assert!(
            matches!(unknown, Err(SendError::InvalidDest(_))),
            "{unknown:?}"
        );
        let bad_src = net.send("x", "n0", serde_json::json!({}));
        assert!(matches!(bad_src, Err(SendError::InvalidSource(_))));
        let journal = net.take_journal();
        assert_eq!(journal.len(), 2, "only the delivered message is journaled");
    }

    /// A line a node writes with another id as `src` travels as `net.clj` sends it: as if that
    /// id sent it. A client's request forwarded by n0 to n1 has no latency, passes a partition
    /// n0 -> n1 and is journaled as the client's; so is one from a client closed meanwhile; one
    /// with a node's id as `src` is partitioned by that node; an unknown `src` is still refused.
    #[test]
    fn a_message_written_as_another_id_travels_as_that_id() {
        let net = net(1_000, LatencyDist::Constant);
        for id in ["n0", "n1", "n2"] {
            net.register_server(id);
        }
        let (client, _rx) = net.open_client();
        let (closed, _rx_closed) = net.open_client();
        net.close_client(&closed);
        let lines = start(&net, "n1");
        net.partition(&[("n1".to_string(), ["n0".to_string()].into())].into());
        let started = Instant::now();
        for (src, n) in [(client.as_str(), 1), (closed.as_str(), 2)] {
            net.send_written_by("n0", src, "n1", serde_json::json!({ "n": n }))
                .expect("a known src");
        }
        let delivered: Vec<i64> = (0..2)
            .map(|_| body_n(&lines.recv_timeout(WAIT).expect("delivered")))
            .collect();
        assert_eq!(delivered, [1, 2]);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "no latency: {:?}",
            started.elapsed()
        );
        // As n0 (partitioned from n1) and as n2 (not): only n2's arrives, after the latency.
        net.send_written_by("n2", "n0", "n1", serde_json::json!({"n": 3}))
            .expect("send");
        net.send_written_by("n0", "n2", "n1", serde_json::json!({"n": 4}))
            .expect("send");
        assert_eq!(body_n(&lines.recv_timeout(WAIT).expect("delivered")), 4);
        let unknown = net.send_written_by("n0", "x", "n1", serde_json::json!({}));
        assert!(matches!(unknown, Err(SendError::InvalidSource(_))));
        net.shutdown();
        let journal = net.take_journal();
        let mut from_client: Vec<_> = journal
            .iter()
            .filter(|e| e.client)
            .map(|e| (&*e.src, format!("{:?}", e.kind)))
            .collect();
        from_client.sort();
        let expected: Vec<_> = [&client, &client, &closed, &closed]
            .into_iter()
            .zip(["Recv", "Send", "Recv", "Send"])
            .map(|(src, kind)| (src.as_str(), kind.to_string()))
            .collect();
        assert_eq!(from_client, expected);
    }

    /// Latency draws follow `net.clj`'s `latency-dist`: mean 0 is 0 for every distribution, constant is exact,
    /// The largest `--latency` neither overflows a draw nor a deadline: the message is
    /// journaled as sent and simply never delivered.
    #[test]
    fn huge_latency_does_not_panic() {
        let mut rng = StdRng::seed_from_u64(1);
        for dist in [
            LatencyDist::Constant,
            LatencyDist::Uniform,
            LatencyDist::Exponential,
        ] {
            draw_millis(u64::MAX, dist, &mut rng);
            let net = net(u64::MAX, dist);
            net.register_server("n0");
            net.register_server("n1");
            let _lines = start(&net, "n1");
            assert!(net.send("n0", "n1", serde_json::json!({})).is_ok());
            assert_eq!(net.take_journal().len(), 1, "sent, not delivered");
            net.shutdown();
        }
    }

    /// uniform stays in [0, 2m), exponential has a mean close to m - 0.5.
    #[test]
    fn latency_draws_follow_the_distribution() {
        let mut rng = StdRng::seed_from_u64(42);
        for dist in [
            LatencyDist::Constant,
            LatencyDist::Uniform,
            LatencyDist::Exponential,
        ] {
            assert!((0..1000).all(|_| draw_millis(0, dist, &mut rng) == 0));
        }
        assert!((0..100).all(|_| draw_millis(7, LatencyDist::Constant, &mut rng) == 7));
        let uniform: Vec<u64> = (0..20_000)
            .map(|_| draw_millis(10, LatencyDist::Uniform, &mut rng))
            .collect();
        assert!(uniform.iter().all(|&ms| ms < 20));
        assert!(uniform.contains(&0) && uniform.contains(&19));
        let mean = uniform.iter().sum::<u64>() as f64 / uniform.len() as f64;
        assert!((mean - 9.5).abs() < 0.2, "uniform mean {mean}");
        let exp: Vec<u64> = (0..50_000)
            .map(|_| draw_millis(100, LatencyDist::Exponential, &mut rng))
            .collect();
        let mean = exp.iter().sum::<u64>() as f64 / exp.len() as f64;
        assert!((mean - 99.5).abs() < 3.0, "exponential mean {mean}");
    }

    /// Anything involving a client has zero latency even with a large mean; server to server
    /// messages wait for the constant latency.
    #[test]
    fn client_traffic_has_no_latency_but_servers_do() {
        let net = net(150, LatencyDist::Constant);
        // Whether an id is a client comes from the endpoint table: open c0..c3.
        for _ in 0..4 {
            net.open_client();
        }
        assert_eq!(net.draw_latency("c3", "n0"), Duration::ZERO);
        assert_eq!(net.draw_latency("n0", "c3"), Duration::ZERO);
        assert_eq!(net.draw_latency("n0", "n1"), Duration::from_millis(150));
        net.register_server("n0");
        net.register_server("n1");
        let lines = start(&net, "n1");
        let sent = Instant::now();
        net.send("n0", "n1", serde_json::json!({"n": 1}))
            .expect("send");
        lines.recv_timeout(WAIT).expect("delivered");
        assert!(sent.elapsed() >= Duration::from_millis(150));
    }

    /// A test-only service: answers every request with `pong`, counting what it saw.
    struct Pong;

    impl Service for Pong {
        fn handle(&mut self, _src: &str, body: &Value) -> Option<Value> {
            if body["type"] == "silent" {
                return None;
            }
            Some(serde_json::json!({"type": "pong", "in_reply_to": body["msg_id"]}))
        }
    }

    /// A node's request to a service arrives after the latency, and the service's reply comes
    /// back through the network to the node's stdin, after the latency again, journaled both ways.
    #[test]
    fn services_answer_through_the_network() {
        let net = net(40, LatencyDist::Constant);
        net.register_server("n0");
        let lines = start(&net, "n0");
        net.register_service("pong-svc", Box::new(Pong))
            .expect("service thread");
        let sent = Instant::now();
        net.send(
            "n0",
            "pong-svc",
            serde_json::json!({"type": "ping", "msg_id": 5}),
        )
        .expect("send to service");
        let line = lines.recv_timeout(WAIT).expect("reply delivered");
        assert!(
            sent.elapsed() >= Duration::from_millis(80),
            "latency both ways"
        );
        assert_eq!(
            line,
            r#"{"id":1,"src":"pong-svc","dest":"n0","body":{"in_reply_to":5,"type":"pong"}}"#
        );
        // A request the service does not answer is received and journaled, with no reply.
        net.send(
            "n0",
            "pong-svc",
            serde_json::json!({"type": "silent", "msg_id": 6}),
        )
        .expect("send to service");
        assert!(lines.recv_timeout(Duration::from_millis(300)).is_err());
        net.shutdown();
        let journal = net.take_journal();
        let kinds: Vec<(EventKind, u64)> = journal.iter().map(|e| (e.kind, e.id)).collect();
        assert_eq!(
            kinds,
            [
                (EventKind::Send, 0),
                (EventKind::Recv, 0),
                (EventKind::Send, 1),
                (EventKind::Recv, 1),
                (EventKind::Send, 2),
                (EventKind::Recv, 2),
            ]
        );
    }

    /// What a KV service holds is charged to the node whose writes grew it: 100 KB values
    /// under 20 new keys pass a 1 MiB budget, naming the node and the service (the journal
    /// alone keeps 1 KB of each); rewriting one key 20 times costs the value once.
    #[test]
    fn service_values_are_charged_to_the_node() {
        let run = |keys: u64| {
            let options = NetOptions {
                latency_ms: 0,
                dist: LatencyDist::Constant,
                log_send: false,
                log_recv: false,
                seed: 7,
                budget_bytes: 1 << 20,
            };
            let net = Net::new(options, Arc::new(|_: &str| {}));
            net.register_server("n0");
            let lines = start(&net, "n0");
            let kv = crate::service::for_name("lin-kv", 0).expect("lin-kv");
            net.register_service("lin-kv", kv).expect("service thread");
            let value = "v".repeat(100_000);
            for i in 0..20u64.max(keys) {
                let body = serde_json::json!({"type": "write", "key": i % keys, "value": value,
                    "msg_id": i});
                net.send("n0", "lin-kv", body).expect("send");
                lines.recv_timeout(WAIT).expect("write_ok");
            }
            net.shutdown();
            net
        };
        let fresh = run(20);
        let passed = fresh.budget().passed().expect("passed");
        assert_eq!(
            (passed.who.as_str(), passed.what.as_str()),
            ("n0", "lin-kv values")
        );
        let rewritten = run(1);
        assert!(!rewritten.budget().is_passed());
        assert!(
            rewritten.budget().used() < 500_000,
            "{}",
            rewritten.budget().used()
        );
    }

    /// A flood of unanswered service requests with huge bodies leaves a bounded `jepsen.log`:
    /// the first few warnings, each quoting at most `TEXT_BYTES` of the request, then one line.
    #[test]
    fn unanswered_requests_are_logged_briefly() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&lines);
        let net = Net::new(
            NetOptions::for_tests(7),
            Arc::new(move |l: &str| sink.lock().push(l.to_string())),
        );
        net.register_server("n0");
        net.register_service("pong-svc", Box::new(Pong))
            .expect("service thread");
        let _stdin = start(&net, "n0");
        let huge = "x".repeat(1 << 16);
        for i in 0..(UNANSWERED_WARNINGS + 10) {
            net.send(
                "n0",
                "pong-svc",
                serde_json::json!({"type": "silent", "msg_id": i, "data": huge}),
            )
            .expect("send to service");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while lines.lock().len() < UNANSWERED_WARNINGS as usize + 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        net.shutdown();
        let lines = lines.lock();
        assert_eq!(lines.len(), UNANSWERED_WARNINGS as usize + 1);
        assert!(
            lines.iter().all(|l| l.len() < 2 * message::TEXT_BYTES),
            "a line is too long"
        );
        assert!(lines[0].contains("more bytes cut"), "{}", lines[0]);
        assert!(lines[UNANSWERED_WARNINGS as usize].contains("not logged"));
    }

    /// A service is a destination of its own: not a client (it gets latency), and an unknown
    /// service id is an invalid destination like any unknown id.
    #[test]
    fn services_are_endpoints_not_clients() {
        let net = net(150, LatencyDist::Constant);
        net.register_server("n0");
        net.register_service("seq-kv", Box::new(Pong))
            .expect("service thread");
        assert_eq!(net.draw_latency("n0", "seq-kv"), Duration::from_millis(150));
        let (client, _rx) = net.open_client();
        assert_eq!(net.draw_latency(&client, "seq-kv"), Duration::ZERO);
        let unknown = net.send("n0", "lin-kv", serde_json::json!({}));
        assert!(
            matches!(unknown, Err(SendError::InvalidDest(_))),
            "{unknown:?}"
        );
        net.shutdown();
    }

    /// Journal times are on the history's clock once its origin is set: negative before it,
    /// counted from it after; client traffic is marked as such from the endpoint table.
    #[test]
    fn journal_is_on_the_history_clock() {
        let net = net(0, LatencyDist::Constant);
        net.register_server("n0");
        let (client, _rx) = net.open_client();
        net.send("n0", &client, serde_json::json!({"type": "init_ok"}))
            .expect("send");
        std::thread::sleep(Duration::from_millis(20));
        net.set_history_origin(Instant::now());
        net.send("n0", &client, serde_json::json!({"type": "echo_ok"}))
            .expect("send");
        let journal = net.take_journal();
        assert!(
            journal[0].time < 0,
            "before the origin: {}",
            journal[0].time
        );
        assert!((0..10_000_000_000).contains(&journal[2].time));
        assert_eq!(&*journal[2].msg_type, "echo_ok");
        assert!(journal.iter().all(|e| e.client));
    }

    /// A paused node's messages wait and arrive, in order, once it resumes; a killed node's
    /// are dropped (sent, never received) and its new process gets only what is sent after
    /// it started again.
    #[test]
    fn held_messages_wait_and_down_messages_are_dropped() {
        let net = net(0, LatencyDist::Constant);
        net.register_server("n0");
        let (client, _rx) = net.open_client();
        let lines = start(&net, "n0");
        assert!(net.set_reach("n0", Reach::Held));
        for n in [1, 2] {
            net.send(&client, "n0", serde_json::json!({ "n": n }))
                .expect("send");
        }
        net.send("n0", "n0", serde_json::json!({"n": 3}))
            .expect("send");
        assert!(lines.recv_timeout(Duration::from_millis(200)).is_err());
        net.set_reach("n0", Reach::Open);
        let order: Vec<i64> = (0..3)
            .map(|_| body_n(&lines.recv_timeout(WAIT).expect("delivered on resume")))
            .collect();
        assert_eq!(order, [1, 2, 3]);

        net.set_reach("n0", Reach::Down);
        net.send(&client, "n0", serde_json::json!({"n": 4}))
            .expect("a dead node is still a destination");
        std::thread::sleep(Duration::from_millis(100));
        let (tx, fresh) = mpsc::channel();
        let writer = LineWriter {
            buffer: Vec::new(),
            lines: tx,
        };
        assert!(net.restart_delivery("n0", Box::new(writer)));
        net.send(&client, "n0", serde_json::json!({"n": 5}))
            .expect("send");
        assert_eq!(body_n(&fresh.recv_timeout(WAIT).expect("new process")), 5);
        assert!(lines.try_recv().is_err() && fresh.try_recv().is_err());
        assert!(!net.restart_delivery("c0", Box::new(std::io::sink())));
        net.shutdown();
        let journal = net.take_journal();
        let received: Vec<u64> = journal
            .iter()
            .filter(|e| e.kind == EventKind::Recv)
            .map(|e| e.id)
            .collect();
        assert_eq!(received, [0, 1, 2, 4], "message 3 (n=4) was dropped");
    }
}
