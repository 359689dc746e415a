//! The message as the network carries it, what a client's channel carries, and why a send can
//! fail, with Maelstrom's texts for each (`src/maelstrom/net/message.clj`, `net.clj`).

use std::io::Write;

use serde_json::Value;

use crate::edn::Edn;

/// The most of a message's text ([`Message::to_edn_text`]) that a log line or an error quotes.
pub const TEXT_BYTES: usize = 1_000;

/// A message as the network carries it: the envelope Maelstrom delivers (`doc/protocol.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The network-wide id, assigned when the message is sent.
    pub id: u64,
    pub src: String,
    pub dest: String,
    pub body: Value,
}

impl Message {
    /// Writes the line a node's stdin gets: compact JSON with the keys `id`, `src`, `dest`,
    /// `body` in that order (as Maelstrom writes it), ending in `\n`.
    pub(super) fn write_json_line(&self, out: &mut impl Write) -> std::io::Result<()> {
        // serde_json's map sorts keys, so the envelope is written by hand to keep Maelstrom's
        // order; strings and the body still go through serde_json for correct escaping.
        write!(out, "{{\"id\":{},\"src\":", self.id)?;
        serde_json::to_writer(&mut *out, &self.src)?;
        out.write_all(b",\"dest\":")?;
        serde_json::to_writer(&mut *out, &self.dest)?;
        out.write_all(b",\"body\":")?;
        serde_json::to_writer(&mut *out, &self.body)?;
        out.write_all(b"}\n")
    }

    /// The message as Maelstrom prints it in logs and errors:
    /// `#maelstrom.net.message.Message{:id 12, :src "n1", :dest "n2", :body {:type "echo", ...}}`.
    ///
    /// At most [`TEXT_BYTES`] of it: a longer text (a body of megabytes) keeps its start and
    /// says how much was cut (`... [7340032 more bytes cut, 7341056 in all]`), so that a
    /// warning, a protocol text or `--log-net-send` never copies a whole huge body.
    pub fn to_edn_text(&self) -> String {
        let fields = Edn::map([
            ("id", Edn::Int(self.id as i64)),
            ("src", Edn::str(&self.src)),
            ("dest", Edn::str(&self.dest)),
            ("body", Edn::from_json_body(&self.body)),
        ]);
        let text = format!(
            "#maelstrom.net.message.Message{}",
            crate::edn::compact(&fields)
        );
        if text.len() <= TEXT_BYTES {
            return text;
        }
        let mut end = TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!(
            "{}... [{} more bytes cut, {} in all]",
            &text[..end],
            text.len() - end,
            text.len()
        )
    }
}

/// What a client's channel carries: a message, or word that the run is over and it should stop
/// waiting (a node crashed or the runner is shutting down).
#[derive(Debug)]
pub enum Delivery {
    Message(Message),
    Abort,
}

/// Why a message could not be sent (Maelstrom's "Invalid source/dest" asserts in `net.clj`'s
/// `validate-msg`).
#[derive(Debug, Clone, PartialEq)]
pub enum SendError {
    /// `src` is not a registered id.
    InvalidSource(Message),
    /// `dest` was never registered.
    InvalidDest(Message),
    /// `dest` is a client that has been closed: a late reply after the client gave up. This
    /// runner makes it a warning, not a protocol error (the README's deliberate differences).
    ClosedClient(Message),
}

impl SendError {
    /// Maelstrom's own text for the failure, e.g.
    /// `Assert failed: Invalid dest for message #maelstrom.net.message.Message{...}`.
    pub fn maelstrom_text(&self) -> String {
        match self {
            SendError::InvalidSource(m) => {
                format!(
                    "Assert failed: Invalid source for message {}",
                    m.to_edn_text()
                )
            }
            SendError::InvalidDest(m) | SendError::ClosedClient(m) => {
                format!(
                    "Assert failed: Invalid dest for message {}",
                    m.to_edn_text()
                )
            }
        }
    }
}
