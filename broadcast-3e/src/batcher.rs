//! Collects the values to send to each peer and hands them over, a batch
//! per peer, every batch timeout; the tutorial's `batcher.go`.
//!
//! Handlers [`add`](Batcher::add) values; the batcher's own thread
//! ([`run`](Batcher::run), the tutorial's ticker loop) turns each non-empty
//! batch into a [`FlushEvent`] on a channel; the server reads them from
//! [`flushes`](Batcher::flushes) and sends each batch in one message.
//! [`close`](Batcher::close) stops the ticker and closes the channel.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use log::info;
use parking_lot::Mutex;

/// One batch, due to be sent: these values, to this peer.
#[derive(Debug, PartialEq, Eq)]
pub struct FlushEvent {
    pub peer_id: String,
    pub messages: Vec<i64>,
}

/// Values waiting to be sent, by peer, and the channel their batches leave by.
pub struct Batcher {
    /// Peer -> values added since the last flush, in the order they came.
    batches: Mutex<HashMap<String, Vec<i64>>>,
    /// How long values wait before they are flushed (the ticker's period).
    batch_timeout: Duration,
    /// The sending end of the tutorial's `flushChan`; `None` once closed.
    ///
    /// Go's channel is unbuffered, so its ticker waits for each batch to be
    /// taken; this one is unbounded and never makes the ticker wait. It
    /// cannot grow: the server takes each event at once and only starts a
    /// thread for it.
    flush_chan: Mutex<Option<Sender<FlushEvent>>>,
    /// The receiving end, until [`flushes`](Batcher::flushes) takes it.
    flush_events: Mutex<Option<Receiver<FlushEvent>>>,
}

impl Batcher {
    /// A batcher that flushes every `batch_timeout` once [`run`](Batcher::run) is started.
    pub fn new(batch_timeout: Duration) -> Batcher {
        let (sender, receiver) = mpsc::channel();
        Batcher {
            batches: Mutex::new(HashMap::new()),
            batch_timeout,
            flush_chan: Mutex::new(Some(sender)),
            flush_events: Mutex::new(Some(receiver)),
        }
    }

    /// Every batch timeout, sends a [`FlushEvent`] for each peer with values
    /// waiting and starts new, empty batches; returns once closed. Meant for
    /// a thread of its own.
    pub fn run(&self) {
        loop {
            thread::sleep(self.batch_timeout);
            let Some(flush_chan) = self.flush_chan.lock().clone() else {
                return; // Closed.
            };
            let batches = std::mem::take(&mut *self.batches.lock());
            for (peer_id, messages) in batches {
                if !messages.is_empty() {
                    let event = FlushEvent { peer_id, messages };
                    if flush_chan.send(event).is_err() {
                        return; // Nobody reads the flushes any more.
                    }
                }
            }
        }
    }

    /// Adds `message` to the batch for `peer_id`.
    pub fn add(&self, peer_id: &str, message: i64) {
        let mut batches = self.batches.lock();
        batches
            .entry(peer_id.to_string())
            .or_default()
            .push(message);
    }

    /// The flushed batches, as they come, until the batcher is closed.
    ///
    /// The channel has one receiving end, so only the first call gets the
    /// batches; any later call gets none.
    pub fn flushes(&self) -> impl Iterator<Item = FlushEvent> {
        let receiver = self.flush_events.lock().take();
        receiver.into_iter().flat_map(Receiver::into_iter)
    }

    /// Stops flushing and ends [`flushes`](Batcher::flushes); what is still
    /// waiting in a batch is dropped.
    pub fn close(&self) {
        info!("Closing batcher");

        self.flush_chan.lock().take();
    }

    /// The batches waiting, emptied: what the next tick would flush. For
    /// tests of the handlers that fill them.
    #[cfg(test)]
    pub fn take_batches(&self) -> HashMap<String, Vec<i64>> {
        std::mem::take(&mut *self.batches.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const TICK: Duration = Duration::from_millis(20);

    /// A batcher whose ticker runs on a thread of its own.
    fn running() -> Arc<Batcher> {
        let batcher = Arc::new(Batcher::new(TICK));
        let ticker = Arc::clone(&batcher);
        thread::spawn(move || ticker.run());
        batcher
    }

    /// Values added for one peer leave together, in the order added; each peer gets its own batch.
    #[test]
    fn values_leave_in_one_batch_per_peer() {
        let batcher = Batcher::new(TICK);
        batcher.add("n1", 3);
        batcher.add("n2", 4);
        batcher.add("n1", 5);
        let flushes = batcher.flushes();
        // The ticker runs here, and returns at its first tick after close.
        thread::scope(|scope| {
            scope.spawn(|| {
                thread::sleep(TICK * 3);
                batcher.close();
            });
            batcher.run();
        });

        let mut events: Vec<FlushEvent> = flushes.collect();
        events.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        let expected = [
            FlushEvent {
                peer_id: "n1".into(),
                messages: vec![3, 5],
            },
            FlushEvent {
                peer_id: "n2".into(),
                messages: vec![4],
            },
        ];
        assert_eq!(events, expected);
    }

    /// A value is flushed once: later ticks send nothing until something new is added.
    #[test]
    fn a_batch_is_sent_once_and_empty_ticks_send_nothing() {
        let batcher = running();
        let mut flushes = batcher.flushes();
        batcher.add("n3", 1);
        assert_eq!(
            flushes.next(),
            Some(FlushEvent {
                peer_id: "n3".into(),
                messages: vec![1],
            })
        );
        thread::sleep(TICK * 5);
        batcher.add("n3", 2);
        // Had the empty ticks sent anything, it would come before this.
        assert_eq!(flushes.next().map(|e| e.messages), Some(vec![2]));
        batcher.close();
        assert_eq!(flushes.next(), None, "closing ends the flushes");
    }

    /// Only the first caller of `flushes` gets the batches.
    #[test]
    fn flushes_has_one_reader() {
        let batcher = Batcher::new(TICK);
        let _first = batcher.flushes();
        assert_eq!(batcher.flushes().next(), None);
    }
}
