//! Challenge #3c: Fault Tolerant Broadcast (<https://fly.io/dist-sys/3c/>).
//!
//! ```text
//! maelstrom/maelstrom test -w broadcast --bin target/release/broadcast-3c --node-count 5 --time-limit 20 --rate 10 --nemesis partition
//! ```
//! (`make run MODULE=broadcast-3c` builds the release binary and runs exactly this.)
//!
//! Changed since 3b: the network now splits into partitions for long
//! stretches, and a message sent across one is simply lost. 3b's fire-and-
//! forget `send` then loses values for good: a node cut off when a value was
//! forwarded never hears of it. So a forward is now an `rpc`, the peer's
//! `broadcast_ok` is its acknowledgement, and a forward not acknowledged
//! within [`RETRY_AFTER`] is sent again, until it is.
//!
//! The bookkeeping is one table of unacknowledged forwards ([`Unacked`]),
//! filled when a value is forwarded and emptied by the acknowledgements. A
//! single timer thread looks at it every [`RETRY_TICK`] and re-sends what is
//! overdue. No handler ever waits for an acknowledgement (the Go tutorial
//! starts a goroutine per forward that loops in `SyncRPC`): a retry never
//! blocks the handling of other messages, and a long partition costs table
//! entries, not threads.
//!
//! Because forwards now carry a `msg_id`, the peers' `broadcast_ok`s come
//! back with an `in_reply_to` and go to the `rpc` callbacks; 3b's no-op
//! handler for `broadcast_ok` would never run, so it is gone.
//!
//! Cost without partitions: still 40 messages between nodes per broadcast
//! (a forward to each of 4 peers from each of 5 nodes, each acknowledged).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use common::{Error, InitMessageBody, Message, Node};
use log::{debug, info, warn};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// How long a forward may stay unacknowledged before it is sent again.
///
/// The Go tutorial's `SyncRPC` timeout. Without partitions an acknowledgement
/// comes back in two network hops, far sooner; during one, retrying more
/// often would only add messages that the partition drops.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How often the retry thread looks for overdue forwards: a retry goes out at
/// most this long after it is due.
const RETRY_TICK: Duration = Duration::from_millis(100);

/// `{"type":"broadcast","message":...}`: a value to keep.
#[derive(Debug, Serialize, Deserialize)]
struct BroadcastMessage {
    #[serde(rename = "type")]
    typ: String,
    message: i64,
}

/// `{"type":"broadcast_ok"}`.
#[derive(Debug, Serialize, Deserialize)]
struct BroadcastMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"read"}`: which values do you hold?
#[derive(Debug, Serialize, Deserialize)]
struct ReadMessage {
    #[serde(rename = "type")]
    typ: String,
}

/// `{"type":"read_ok","messages":[...]}`: every value held, in no particular order.
#[derive(Debug, Serialize, Deserialize)]
struct ReadMessageResponse {
    #[serde(rename = "type")]
    typ: String,
    messages: Vec<i64>,
}

/// `{"type":"topology","topology":{"n0":["n1"],...}}`: each node's neighbours.
#[derive(Debug, Serialize, Deserialize)]
struct TopologyMessage {
    #[serde(rename = "type")]
    typ: String,
    /// Sorted by node id, so that the log reads the same on every run.
    topology: BTreeMap<String, Vec<String>>,
}

/// `{"type":"topology_ok"}`.
#[derive(Debug, Serialize, Deserialize)]
struct TopologyMessageResponse {
    #[serde(rename = "type")]
    typ: String,
}

/// The broadcast node.
pub struct Server {
    /// The library handle: it reads messages, runs our handlers and writes replies.
    node: Node,
    /// This node's id (`n0`, ...), set once by `init`.
    node_id: OnceLock<String>,
    /// Every other node in the cluster, set once by `init`: whom we forward to.
    peers: OnceLock<Vec<String>>,
    /// Every value broadcast to this node; a set, so a value is kept once.
    messages: Mutex<HashSet<i64>>,
    /// Forwards not yet acknowledged. Shared with the `rpc` callbacks, which
    /// outlive the handler that sent the forward.
    unacked: Arc<Mutex<Unacked>>,
}

impl Server {
    /// A server on `node`, with its handlers registered and its retry thread started.
    pub fn new(node: Node) -> Arc<Server> {
        let server = Arc::new(Server {
            node,
            node_id: OnceLock::new(),
            peers: OnceLock::new(),
            messages: Mutex::new(HashSet::new()),
            unacked: Arc::new(Mutex::new(Unacked::default())),
        });

        // Go's `s.node.Handle("broadcast", s.broadcastHandler)`: each handler
        // gets a handle on the server, which outlives them all.
        let handle = |msg_type: &str, handler: fn(&Server, Message) -> Result<(), Error>| {
            let this = Arc::clone(&server);
            server.node.handle(msg_type, move |msg| handler(&this, msg));
        };
        handle("init", Server::init_handler);
        handle("broadcast", Server::broadcast_handler);
        handle("read", Server::read_handler);
        handle("topology", Server::topology_handler);

        // The retry timer: a plain thread that wakes up every RETRY_TICK.
        // It holds the server weakly, so it ends if the server is dropped.
        let weak = Arc::downgrade(&server);
        thread::spawn(move || every(RETRY_TICK, weak, Server::retry_unacknowledged));

        server
    }

    /// Records this node's id and its peers; the library then answers `init_ok`.
    fn init_handler(&self, msg: Message) -> Result<(), Error> {
        let body: InitMessageBody = msg.body()?;

        self.node_id
            .set(body.node_id)
            .map_err(|id| format!("init for {id}: this node is already initialised"))?;
        info!("Node id set to: {}", self.node_id());

        // Everyone but ourselves, to avoid sending to ourselves (n0 -> n0).
        let peers = body
            .node_ids
            .into_iter()
            .filter(|peer_id| peer_id != self.node_id())
            .collect();
        self.peers
            .set(peers)
            .map_err(|_| "init: this node's peers are already set")?;
        info!("Discovered cluster peers: {:?}", self.peers());

        Ok(())
    }

    /// Keeps a value seen for the first time and forwards it to every peer,
    /// until each acknowledges it; acknowledges it either way.
    fn broadcast_handler(&self, msg: Message) -> Result<(), Error> {
        let body: BroadcastMessage = msg.body()?;
        debug!("broadcast {} from {}", body.message, msg.src);

        // To avoid cycles (n0 -> n1 -> n2 -> n0), a value already seen is
        // only acknowledged, never forwarded again.
        let first_time = self.messages.lock().insert(body.message);
        if first_time {
            for peer_id in self.peers() {
                self.forward(peer_id, body.message);
            }
        }

        let broadcast_message_response = BroadcastMessageResponse {
            typ: "broadcast_ok".to_string(),
        };

        self.node.reply(&msg, &broadcast_message_response)
    }

    /// Answers with every value kept so far.
    fn read_handler(&self, msg: Message) -> Result<(), Error> {
        let _body: ReadMessage = msg.body()?;

        let messages: Vec<i64> = self.messages.lock().iter().copied().collect();
        debug!("read from {}: {} values", msg.src, messages.len());

        let read_message_response = ReadMessageResponse {
            typ: "read_ok".to_string(),
            messages,
        };

        self.node.reply(&msg, &read_message_response)
    }

    /// Acknowledges the topology; we ignore it, at least for now.
    fn topology_handler(&self, msg: Message) -> Result<(), Error> {
        let body: TopologyMessage = msg.body()?;
        info!(
            "Received topology information from controller: {:?}",
            body.topology
        );

        let topology_message_response = TopologyMessageResponse {
            typ: "topology_ok".to_string(),
        };

        self.node.reply(&msg, &topology_message_response)
    }

    /// Sends `value` to `peer` as a `broadcast` rpc and notes it as
    /// unacknowledged until the peer's `broadcast_ok` comes back.
    ///
    /// Every copy (first send or retry) is its own rpc with its own callback;
    /// whichever acknowledgement arrives first settles the forward, and any
    /// later ones find nothing left to do.
    fn forward(&self, peer: &str, value: i64) {
        // Noted before sending: the acknowledgement may arrive before `rpc` returns.
        self.unacked.lock().sent(peer, value, Instant::now());

        let body = BroadcastMessage {
            typ: "broadcast".to_string(),
            message: value,
        };
        let unacked = Arc::clone(&self.unacked);
        let acked_by = peer.to_string();
        let sent = self.node.rpc(peer, &body, move |reply| {
            // An error reply is no acknowledgement: the forward stays due for a retry.
            if reply.msg_type() == "broadcast_ok" {
                unacked.lock().acknowledged(&acked_by, value);
            } else {
                warn!(
                    "Forward of {value} to {acked_by} answered with {}",
                    reply.body
                );
            }
            Ok(())
        });
        // Not fatal: the forward is in the table, so it is retried later.
        if let Err(err) = sent {
            warn!("Failed to broadcast message {value} to node {peer}: {err}");
        }
    }

    /// Sends again every forward left unacknowledged for [`RETRY_AFTER`].
    /// Runs on the retry thread, never in a handler.
    fn retry_unacknowledged(&self) {
        let (due, open) = {
            let unacked = self.unacked.lock();
            (unacked.due(Instant::now(), RETRY_AFTER), unacked.len())
        };
        if !due.is_empty() {
            debug!("retrying {} of {open} unacknowledged forwards", due.len());
        }
        for (peer, value) in due {
            self.forward(&peer, value);
        }
    }

    /// This node's id, or `""` before `init`.
    fn node_id(&self) -> &str {
        self.node_id.get().map(String::as_str).unwrap_or_default()
    }

    /// Every other node, or none before `init`.
    fn peers(&self) -> &[String] {
        self.peers.get().map(Vec::as_slice).unwrap_or_default()
    }

    /// Serves messages until input ends.
    pub fn run(&self) -> Result<(), Error> {
        self.node.run()
    }
}

/// Forwards sent but not yet acknowledged, each with the time its last copy
/// went out: the retry bookkeeping, kept apart from the network so that the
/// decisions (what is due, what is settled) can be tested with made-up times.
#[derive(Debug, Default)]
struct Unacked {
    /// (peer, value) -> when the latest copy was sent.
    last_sent: HashMap<(String, i64), Instant>,
}

impl Unacked {
    /// Notes that a copy of `value` went to `peer` at `now`.
    fn sent(&mut self, peer: &str, value: i64, now: Instant) {
        self.last_sent.insert((peer.to_string(), value), now);
    }

    /// Settles the forward of `value` to `peer`; returns whether it was still open.
    fn acknowledged(&mut self, peer: &str, value: i64) -> bool {
        self.last_sent.remove(&(peer.to_string(), value)).is_some()
    }

    /// The forwards whose latest copy went out at least `retry_after` before
    /// `now`, sorted by peer and value.
    ///
    /// They are not marked as sent here: the caller re-sends each through
    /// `forward`, which notes the new copy. Until then a forward stays due, so
    /// one that could not be re-sent is offered again on the next tick.
    fn due(&self, now: Instant, retry_after: Duration) -> Vec<(String, i64)> {
        let mut due: Vec<(String, i64)> = self
            .last_sent
            .iter()
            .filter(|(_, &sent)| now.saturating_duration_since(sent) >= retry_after)
            .map(|(key, _)| key.clone())
            .collect();
        due.sort();
        due
    }

    /// How many forwards are still unacknowledged.
    fn len(&self) -> usize {
        self.last_sent.len()
    }
}

/// Calls `tick` on the server every `interval`, for as long as the server exists.
fn every(interval: Duration, server: Weak<Server>, tick: fn(&Server)) {
    loop {
        thread::sleep(interval);
        match server.upgrade() {
            Some(server) => tick(&server),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// A fresh forward is not due; once `retry_after` has passed it is.
    #[test]
    fn a_forward_becomes_due_after_the_retry_interval() {
        let start = Instant::now();
        let mut unacked = Unacked::default();
        unacked.sent("n1", 7, start);

        assert!(unacked.due(start + SECOND / 2, SECOND).is_empty());
        assert_eq!(unacked.due(start + SECOND, SECOND), [("n1".to_string(), 7)]);
    }

    /// An acknowledged forward is never due again, and a late second acknowledgement is harmless.
    #[test]
    fn an_acknowledged_forward_is_settled() {
        let start = Instant::now();
        let mut unacked = Unacked::default();
        unacked.sent("n1", 7, start);
        unacked.sent("n2", 7, start);

        assert!(unacked.acknowledged("n1", 7));
        assert!(!unacked.acknowledged("n1", 7), "already settled");
        assert!(!unacked.acknowledged("n3", 7), "never sent");
        assert_eq!(unacked.len(), 1);
        assert_eq!(
            unacked.due(start + 5 * SECOND, SECOND),
            [("n2".to_string(), 7)]
        );
    }

    /// A retry restarts the clock: the forward is due again only a full interval later.
    #[test]
    fn a_retry_restarts_the_clock() {
        let start = Instant::now();
        let mut unacked = Unacked::default();
        unacked.sent("n1", 7, start);
        unacked.sent("n1", 7, start + SECOND);

        assert!(unacked.due(start + SECOND + SECOND / 2, SECOND).is_empty());
        assert_eq!(unacked.due(start + 2 * SECOND, SECOND).len(), 1);
        assert_eq!(unacked.len(), 1, "one forward, however many copies");
    }

    /// The same value to different peers, and different values to one peer, are separate forwards.
    #[test]
    fn forwards_are_kept_per_peer_and_value() {
        let start = Instant::now();
        let mut unacked = Unacked::default();
        for (peer, value) in [("n2", 1), ("n1", 2), ("n1", 1)] {
            unacked.sent(peer, value, start);
        }
        unacked.acknowledged("n1", 2);

        let due = unacked.due(start + SECOND, SECOND);
        assert_eq!(due, [("n1".to_string(), 1), ("n2".to_string(), 1)]);
    }

    /// A server forwards a client's new value to every peer and notes each forward as unacknowledged.
    #[test]
    fn a_new_value_is_unacknowledged_by_every_peer() {
        let server = Server::new(Node::with_io(std::io::empty(), std::io::sink()));
        let init = Message {
            src: "c0".into(),
            dest: "n0".into(),
            body: serde_json::json!({"type": "init", "node_id": "n0", "node_ids": ["n0", "n1", "n2"], "msg_id": 1}),
        };
        assert_eq!(server.init_handler(init), Ok(()));

        let broadcast = Message {
            src: "c1".into(),
            dest: "n0".into(),
            body: serde_json::json!({"type": "broadcast", "message": 5, "msg_id": 2}),
        };
        assert_eq!(server.broadcast_handler(broadcast), Ok(()));

        let due = server
            .unacked
            .lock()
            .due(Instant::now() + RETRY_AFTER, RETRY_AFTER);
        assert_eq!(due, [("n1".to_string(), 5), ("n2".to_string(), 5)]);
    }
}
