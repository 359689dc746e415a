//! The network journal: one event per message sent and per message delivered, as Maelstrom's
//! `src/maelstrom/net/journal.clj` records them.
//!
//! The network appends to it; the `:net` checker (`checker/net.rs`) counts it, and a Lamport
//! diagram or a timeline can be drawn from it and the history alone: every event carries the
//! message's `type` (and its body, see below), and its time is on the history's clock.
//!
//! Memory stays bounded for long runs: ids and types are interned (every event shares one
//! `Arc<str>` per distinct node, client, service or message type, so an event is a fixed ~70
//! bytes), and bodies are kept only for messages whose id is below [`BODY_CAP`]; later events keep
//! the type and drop the body.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

/// Messages with an id below this keep their body in the journal. At a
/// few hundred bytes a body this caps the bodies at some tens of MB, whatever the run's length.
pub const BODY_CAP: usize = 100_000;

/// Whether a message was handed to the network or delivered to its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Send,
    Recv,
}

/// One journal event. Messages dropped by a partition have a `Send` and no `Recv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    /// The network-wide message id.
    pub id: u64,
    /// Nanoseconds on the history's clock (its relative time 0); negative before it, for the
    /// messages of the nodes' `init`.
    pub time: i64,
    pub src: Arc<str>,
    pub dest: Arc<str>,
    /// True if a client sent or receives this message (Maelstrom's "clients" group), as the
    /// network's endpoint table says.
    pub client: bool,
    /// The body's `type` (`""` when it has none).
    pub msg_type: Arc<str>,
    /// The body, for messages whose id is below [`BODY_CAP`]; `None` after.
    pub body: Option<Arc<Value>>,
}

impl Event {
    /// True if a client sent or receives this message: Maelstrom's "clients" group.
    pub fn involves_client(&self) -> bool {
        self.client
    }
}

/// The journal being recorded: the events and the interned texts they share.
#[derive(Default)]
pub struct Journal {
    events: Vec<Event>,
    /// Interned ids and message types.
    texts: HashMap<String, Arc<str>>,
}

/// What the network knows of one message when it journals it.
pub struct Entry<'a> {
    pub kind: EventKind,
    pub id: u64,
    pub time: i64,
    pub src: &'a str,
    pub dest: &'a str,
    pub client: bool,
    pub body: &'a Value,
}

impl Journal {
    /// Appends one event.
    pub fn record(&mut self, entry: Entry) {
        let msg_type = entry.body.get("type").and_then(Value::as_str).unwrap_or("");
        let body = self.body_for(&entry);
        let event = Event {
            kind: entry.kind,
            id: entry.id,
            time: entry.time,
            src: self.intern(entry.src),
            dest: self.intern(entry.dest),
            client: entry.client,
            msg_type: self.intern(msg_type),
            body,
        };
        self.events.push(event);
    }

    /// The events so far, leaving the journal empty.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The body an event keeps: none from message id [`BODY_CAP`] on; a receive event shares its
    /// send event's copy when it comes right after it (client traffic), else gets its own.
    fn body_for(&self, entry: &Entry) -> Option<Arc<Value>> {
        if entry.id >= BODY_CAP as u64 {
            return None;
        }
        if let Some(last) = self.events.last() {
            if entry.kind == EventKind::Recv && last.kind == EventKind::Send && last.id == entry.id
            {
                return last.body.clone();
            }
        }
        Some(Arc::new(entry.body.clone()))
    }

    fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(text.to_string(), Arc::clone(&shared));
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(kind: EventKind, id: u64, body: &Value) -> Entry<'_> {
        Entry {
            kind,
            id,
            time: 0,
            src: "n1",
            dest: "n2",
            client: false,
            body,
        }
    }

    /// Events carry the type and the body (shared by a send and the receive right after it), and
    /// every event shares one copy of each id and type.
    #[test]
    fn events_carry_type_and_body_with_shared_texts() {
        let mut journal = Journal::default();
        let body = json!({"type": "gossip", "msg_id": 3});
        journal.record(entry(EventKind::Send, 0, &body));
        journal.record(entry(EventKind::Recv, 0, &body));
        journal.record(entry(EventKind::Send, 1, &json!({"n": 1})));
        let events = journal.take();
        assert_eq!(&*events[0].msg_type, "gossip");
        assert_eq!(events[0].body.as_deref(), Some(&body));
        assert!(Arc::ptr_eq(
            events[0].body.as_ref().unwrap(),
            events[1].body.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(&events[0].src, &events[2].src));
        assert_eq!(&*events[2].msg_type, "", "a body without a type");
        assert!(journal.take().is_empty(), "take leaves the journal empty");
    }

    /// From message id BODY_CAP on, events keep their type but not their body.
    #[test]
    fn bodies_stop_at_the_cap() {
        let mut journal = Journal::default();
        let body = json!({"type": "read"});
        journal.record(entry(EventKind::Send, BODY_CAP as u64 - 1, &body));
        journal.record(entry(EventKind::Send, BODY_CAP as u64, &body));
        journal.record(entry(EventKind::Recv, BODY_CAP as u64, &body));
        let events = journal.take();
        assert!(events[0].body.is_some());
        assert_eq!(
            (events[1].body.is_none(), events[2].body.is_none()),
            (true, true)
        );
        assert!(events.iter().all(|e| &*e.msg_type == "read"));
    }
}
