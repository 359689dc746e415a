//! One destination's receive queue: messages ordered by deadline (then send order), and where
//! its delivery thread hands them (a node's stdin or a service).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::Write;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::Message;
use crate::service::Service;

/// Where a delivery thread hands its messages.
pub(super) enum Sink {
    /// A node's stdin: one JSON line per message.
    Stdin(std::io::BufWriter<Box<dyn Write + Send>>),
    /// A service, whose reply (if any) is sent back to the message's source.
    Service(Box<dyn Service>),
}

/// Whether a node's process can take messages (Maelstrom's `src/maelstrom/net.clj` keeps a
/// killed node's queue registered, so sending to it is never an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Delivered as usual.
    Open,
    /// Paused (SIGSTOP): messages wait in the queue, in deadline order, until it resumes.
    Held,
    /// Killed: each message is dropped when it falls due, sent but never received, as a dead
    /// host drops packets; Maelstrom's restarted node likewise starts with a fresh queue
    /// (`add-node!` in `net.clj`).
    Down,
}

/// A queued message and when it may be delivered.
pub(super) struct Queued {
    pub(super) deadline: Instant,
    /// Send order, so that equal deadlines are delivered first-in first-out.
    pub(super) seq: u64,
    pub(super) message: Message,
    /// A client sent it (for the journal).
    pub(super) client: bool,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the smallest deadline first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

/// One node's or service's receive queue and where its messages go.
pub(super) struct Inbox {
    pub(super) state: Mutex<InboxState>,
    /// Signalled when a message is queued, a delivery ends, or the network shuts down.
    pub(super) changed: Condvar,
    /// The node's stdin or the service, once its delivery thread has started. Only the holder of
    /// the `busy` flag hands it a message.
    pub(super) sink: Mutex<Option<Sink>>,
}

pub(super) struct InboxState {
    pub(super) queue: BinaryHeap<Queued>,
    pub(super) next_seq: u64,
    pub(super) stopped: bool,
    /// Whether the node can take messages now (a nemesis killed or paused it).
    pub(super) reach: Reach,
    /// The delivery thread was started (it lives for the whole run, across restarts).
    pub(super) delivering: bool,
    /// A message is being delivered (taken from the queue, or written directly by a client),
    /// so nobody else may write to stdin now.
    pub(super) busy: bool,
}

/// Writes one message line; flushes if asked. A write error means the node is gone: the process
/// monitor reports that, so the error is ignored here, and later writes fail just as fast.
pub(super) fn write_line(
    out: &mut std::io::BufWriter<Box<dyn Write + Send>>,
    message: &Message,
    flush: bool,
) {
    let _ = message.write_json_line(out);
    if flush {
        let _ = out.flush();
    }
}

impl Inbox {
    /// An empty queue with no sink yet.
    pub(super) fn new() -> Inbox {
        Inbox {
            state: Mutex::new(InboxState {
                queue: BinaryHeap::new(),
                next_seq: 0,
                stopped: false,
                reach: Reach::Open,
                delivering: false,
                busy: false,
            }),
            changed: Condvar::new(),
            sink: Mutex::new(None),
        }
    }

    /// Ends a delivery: clears `busy` and wakes the delivery thread if messages are waiting.
    pub(super) fn finish_delivery(&self) {
        let mut state = self.state.lock();
        state.busy = false;
        let waiting = !state.queue.is_empty() || state.stopped;
        drop(state);
        if waiting {
            self.changed.notify_all();
        }
    }

    pub(super) fn push(&self, message: Message, deadline: Instant, client: bool) {
        let mut state = self.state.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.queue.push(Queued {
            deadline,
            seq,
            message,
            client,
        });
        drop(state);
        self.changed.notify_one();
    }
}
