//! The network journal: one event per message sent and per message delivered, as Maelstrom's
//! `src/maelstrom/net/journal.clj` records them.
//!
//! The network appends to it; the `:net` checker (`checker/net.rs`) counts it, and a Lamport
//! diagram or a timeline can be drawn from it and the history alone: every event carries the
//! message's `type` (and its body, see below), and its time is on the history's clock.
//!
//! Memory stays bounded for long runs: ids and types are interned (every event shares one
//! `Arc<str>` per distinct node, client, service or message type, so an event is a fixed ~70
//! bytes; a type is kept to at most [`TYPE_BYTES`]), and bodies are kept only for messages whose
//! id is below [`BODY_CAP`]; later events keep the type and drop the body. A body is kept whole
//! only up to [`BODY_BYTES`] of JSON: a longer one is replaced by a small object with its
//! `type`, `msg_id`, `in_reply_to` and, under the key `"(cut)"`, a sentence quoting its start
//! ([`cut_body`]). And all the bodies kept together stay within [`BODY_BUDGET`]: past it, events
//! keep no body. So `journal.jsonl`, `messages.svg` and `run-bodies.js`, which show these
//! bodies, stay bounded whatever a node sends.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

/// Messages with an id below this keep their body in the journal. At a
/// few hundred bytes a body this caps the bodies at some tens of MB, whatever the run's length.
pub const BODY_CAP: usize = 100_000;

/// The most JSON text of one body the journal keeps whole (bytes).
pub const BODY_BYTES: usize = 1_000;

/// The most body text the journal keeps in all (bytes, counted per kept copy): 32 MiB.
pub const BODY_BUDGET: usize = 32 << 20;

/// The most of a message type the journal keeps (bytes); a longer one is cut, with `...`.
pub const TYPE_BYTES: usize = 100;

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
    /// Bytes of body text kept so far (at most [`BODY_BUDGET`]).
    body_bytes: usize,
    /// The JSON length of the last body kept, for a receive event that shares it.
    last_body_bytes: usize,
}

/// What a `journal.jsonl` line holds besides its ids, type and body (keys, numbers): an
/// estimate, for the run folder's budget.
pub const LINE_BYTES: u64 = 100;

/// How many files show an event, for the run folder's budget: `journal.jsonl`, the run page's
/// data (`run-data.js`, and `run-bodies.js` for its body) and `messages.svg`, each about as
/// large per event as the journal's line (a flood of 1.2 million events made a 134 MB journal,
/// 21 MB of `run-data.js`, 9 MB of `run-bodies.js` and 40 windows of `messages.svg`).
pub const COPIES: u64 = 3;

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
    /// Appends one event. Returns about how many bytes the run's folder will hold for it:
    /// [`COPIES`] times its `journal.jsonl` line (for the run folder's budget, `budget.rs`).
    pub fn record(&mut self, entry: Entry) -> u64 {
        let msg_type = entry.body.get("type").and_then(Value::as_str).unwrap_or("");
        let msg_type = cut_str(msg_type, TYPE_BYTES);
        let body = self.body_for(&entry);
        let body_bytes = if body.is_some() {
            self.last_body_bytes
        } else {
            0
        };
        let line =
            LINE_BYTES + (entry.src.len() + entry.dest.len() + msg_type.len() + body_bytes) as u64;
        let event = Event {
            kind: entry.kind,
            id: entry.id,
            time: entry.time,
            src: self.intern(entry.src),
            dest: self.intern(entry.dest),
            client: entry.client,
            msg_type: self.intern(&msg_type),
            body,
        };
        self.events.push(event);
        COPIES * line
    }

    /// The events so far, leaving the journal empty.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The body an event keeps: none from message id [`BODY_CAP`] on; a receive event shares its
    /// send event's copy when it comes right after it (client traffic), else gets its own.
    /// Past [`BODY_BUDGET`] no body is kept; a body longer than [`BODY_BYTES`] is cut.
    fn body_for(&mut self, entry: &Entry) -> Option<Arc<Value>> {
        if entry.id >= BODY_CAP as u64 {
            return None;
        }
        if let Some(last) = self.events.last() {
            if entry.kind == EventKind::Recv && last.kind == EventKind::Send && last.id == entry.id
            {
                return last.body.clone();
            }
        }
        if self.body_bytes >= BODY_BUDGET {
            return None;
        }
        let mut prefix = Prefix::default();
        let whole = serde_json::to_writer(&mut prefix, entry.body).is_ok();
        let body = if whole {
            entry.body.clone()
        } else {
            cut_body(entry.body, &String::from_utf8_lossy(&prefix.bytes))
        };
        let bytes = prefix.bytes.len();
        if self.body_bytes + bytes > BODY_BUDGET {
            self.body_bytes = BODY_BUDGET;
            return None;
        }
        self.body_bytes += bytes;
        self.last_body_bytes = if whole { bytes } else { 2 * BODY_BYTES };
        Some(Arc::new(body))
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

/// A writer that takes at most [`BODY_BYTES`] and then fails, so a body is never serialised
/// whole just to learn that it is too long.
#[derive(Default)]
struct Prefix {
    bytes: Vec<u8>,
}

impl std::io::Write for Prefix {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = BODY_BYTES - self.bytes.len();
        if data.len() > room {
            self.bytes.extend_from_slice(&data[..room]);
            return Err(std::io::Error::other("body over BODY_BYTES"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the journal keeps of a body longer than [`BODY_BYTES`]: its `type`, `msg_id` and
/// `in_reply_to` (when they are short), and under `"(cut)"` a sentence with the start of its
/// JSON text: `{"type": "broadcast", "msg_id": 3, "(cut)": "body over 1000 bytes of JSON, cut;
/// it began {\"message\":\"aaaa..."}`.
pub fn cut_body(body: &Value, start: &str) -> Value {
    let mut cut = serde_json::Map::new();
    for key in ["type", "msg_id", "in_reply_to"] {
        match body.get(key) {
            Some(Value::String(text)) => {
                cut.insert(key.into(), Value::String(cut_str(text, TYPE_BYTES)));
            }
            Some(Value::Number(n)) if n.to_string().len() <= 40 => {
                cut.insert(key.into(), Value::Number(n.clone()));
            }
            _ => {}
        }
    }
    cut.insert(
        "(cut)".into(),
        Value::String(format!(
            "body over {BODY_BYTES} bytes of JSON, cut by the runner; it began {start}..."
        )),
    );
    Value::Object(cut)
}

/// `text` cut to at most `max` bytes (on a character boundary), with `...` when cut.
fn cut_str(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
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

    /// A body over BODY_BYTES is kept as a small object saying it was cut, with its type and
    /// ids; a huge type is cut too; once BODY_BUDGET is spent, events keep no body.
    #[test]
    fn long_bodies_are_cut_and_all_bodies_stay_within_the_budget() {
        let mut journal = Journal::default();
        let huge = json!({"type": "broadcast", "msg_id": 3, "message": "a".repeat(1 << 20)});
        journal.record(entry(EventKind::Send, 0, &huge));
        journal.record(entry(
            EventKind::Send,
            1,
            &json!({"type": "t".repeat(5000)}),
        ));
        let events = journal.take();
        let kept = events[0].body.as_deref().expect("a body");
        assert_eq!(kept["type"], "broadcast");
        assert_eq!(kept["msg_id"], 3);
        let note = kept["(cut)"].as_str().expect("a note");
        assert!(
            note.starts_with("body over 1000 bytes of JSON, cut"),
            "{note}"
        );
        assert!(kept.to_string().len() < 2 * BODY_BYTES);
        assert_eq!(events[1].msg_type.len(), TYPE_BYTES + 3);

        // Bodies of just under BODY_BYTES each: the budget runs out after about
        // BODY_BUDGET / BODY_BYTES of them, and later ones keep none.
        let mut journal = Journal::default();
        let body = json!({"type": "x", "data": "d".repeat(BODY_BYTES - 40)});
        let n = BODY_BUDGET / (BODY_BYTES - 100) + 10;
        for id in 0..n {
            journal.record(entry(EventKind::Send, id as u64, &body));
        }
        let events = journal.take();
        let kept: usize = events
            .iter()
            .filter_map(|e| e.body.as_ref())
            .map(|b| b.to_string().len())
            .sum();
        assert!(kept <= BODY_BUDGET, "{kept}");
        assert!(events.last().is_some_and(|e| e.body.is_none()));
        assert!(events[0].body.is_some());
    }

    /// What an event costs the run's folder: COPIES times its journal line, body included
    /// when kept, so a flood of messages is charged for the views that show it too.
    #[test]
    fn an_event_costs_its_line_in_each_file() {
        let mut journal = Journal::default();
        let body = json!({"type": "read", "key": 1});
        let kept = journal.record(entry(EventKind::Send, 0, &body));
        let line = LINE_BYTES + ("n1".len() + "n2".len() + "read".len()) as u64;
        assert_eq!(kept, COPIES * (line + body.to_string().len() as u64));
        let late = journal.record(entry(EventKind::Send, BODY_CAP as u64, &body));
        assert_eq!(late, COPIES * line, "no body kept");
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
