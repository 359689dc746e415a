//! The network journal: one event per message sent and per message delivered (spec 4.6).
//!
//! The network appends to it; the `:net` checker (`checker/net.rs`) and the progress display read it.

/// Whether a message was handed to the network or delivered to its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Send,
    Recv,
}

/// One journal event. Messages dropped by a partition have a `Send` and no `Recv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The network-wide message id.
    pub id: u64,
    /// Nanoseconds since the network started.
    pub time: u64,
    pub src: String,
    pub dest: String,
}

impl Event {
    /// True if a client (`c...`) sent or receives this message: Maelstrom's "clients" group.
    pub fn involves_client(&self) -> bool {
        self.src.starts_with('c') || self.dest.starts_with('c')
    }
}
