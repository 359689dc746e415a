//! [`Message`]: one line of the protocol, `{"src":..,"dest":..,"body":{..}}`,
//! with typed access to the body and to its reserved keys (`type`, `msg_id`,
//! `in_reply_to`), which live here and nowhere else.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, RpcError, CRASH, MALFORMED_REQUEST};

/// Body key naming the message type.
pub(crate) const TYPE: &str = "type";
/// Body key with the sender's id for this request (unique per sender).
pub(crate) const MSG_ID: &str = "msg_id";
/// Body key, on a reply, with the `msg_id` of the request it answers.
pub(crate) const IN_REPLY_TO: &str = "in_reply_to";

/// A message as it travels between nodes.
///
/// The body stays untyped JSON so that each handler decides what it expects:
/// `msg.body::<EchoMessage>()`, like `json.Unmarshal(msg.Body, &body)` in Go.
/// The network's own `id` field on incoming lines is dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The sender's node id (`n1`, `c4`, `seq-kv`, ...).
    pub src: String,
    /// The receiver's node id.
    pub dest: String,
    /// The JSON body, an object with at least a `type`.
    pub body: Value,
}

impl Message {
    /// The body as the handler's own type.
    ///
    /// A body that does not fit is the requester's fault, so the error is a
    /// `malformed-request` (12); returned from a handler with `?`, it goes back
    /// to the requester as is.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&self.body).map_err(|e| {
            let text = format!(
                "malformed {:?} message body from {}: {e}",
                self.msg_type(),
                self.src
            );
            Error::Rpc(RpcError::new(MALFORMED_REQUEST, text))
        })
    }

    /// The body's `type`, or `""` if there is none.
    pub fn msg_type(&self) -> &str {
        self.body.get(TYPE).and_then(Value::as_str).unwrap_or("")
    }

    /// The body's `msg_id`, if the sender expects a reply.
    ///
    /// `None` also for a `msg_id` that is not an integer from 0 to 2^64-1;
    /// the node answers such a request with `malformed-request` (12) before
    /// any handler sees it.
    pub fn msg_id(&self) -> Option<u64> {
        self.body.get(MSG_ID).and_then(Value::as_u64)
    }

    /// Whether the body has a `msg_id` that is not an integer from 0 to
    /// 2^64-1 (a string, a negative number, a float, `null`, ...).
    pub(crate) fn bad_msg_id(&self) -> bool {
        self.body.get(MSG_ID).is_some_and(|id| !id.is_u64())
    }

    /// The body's `in_reply_to`: set when this message answers one of ours.
    pub fn in_reply_to(&self) -> Option<u64> {
        self.body.get(IN_REPLY_TO).and_then(Value::as_u64)
    }

    /// The error this message carries, if its type is `error`.
    ///
    /// An error body without an integer `code` is itself broken; it is read as
    /// a `crash` (13), the indefinite outcome, so that a caller never assumes
    /// the request certainly failed when it cannot tell.
    pub fn rpc_error(&self) -> Option<RpcError> {
        if self.msg_type() != "error" {
            return None;
        }
        let text = self
            .body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match self.body.get("code").and_then(Value::as_i64) {
            Some(code) => Some(RpcError::new(code, text)),
            None => Some(RpcError::new(
                CRASH,
                format!(
                    "error reply from {} without an integer code: {text}",
                    self.src
                ),
            )),
        }
    }
}

/// What the reader needs to route a line: the body's `type` and
/// `in_reply_to`, read without copying anything.
///
/// A whole [`Message`] is a dozen allocations (strings, a map), freed by the
/// worker whose handler consumes it. Allocated on one thread and freed on
/// another, they keep both threads fighting over the allocator's lock: with
/// whole messages parsed by the reader, `scripts/bench-echo.sh` spent more
/// time in malloc, free and the kernel's futex calls than in everything
/// else. So the reader reads only this, and the worker that runs a
/// handler parses the whole line (see `Node::receive`), reading it twice in
/// all but freeing what it allocated itself.
pub(crate) struct Head<'a> {
    /// The body's `type`.
    pub msg_type: Cow<'a, str>,
    /// The body's `in_reply_to`, if it is a number: then the line is a reply.
    pub in_reply_to: Option<u64>,
}

impl<'a> Head<'a> {
    /// The head of the message on `line`; an error if `line` is not JSON or
    /// its body has no string `type`.
    pub(crate) fn of(line: &'a str) -> Result<Head<'a>, serde_json::Error> {
        /// `{"body": {..}}`; the other keys are skipped.
        #[derive(Deserialize)]
        struct Envelope<'a> {
            #[serde(borrow)]
            body: Body<'a>,
        }
        #[derive(Deserialize)]
        struct Body<'a> {
            #[serde(rename = "type", borrow)]
            msg_type: Cow<'a, str>,
            /// Anything that is not a number means "not a reply", as in
            /// [`Message::in_reply_to`].
            in_reply_to: Option<Value>,
        }
        let body = serde_json::from_str::<Envelope>(line)?.body;
        Ok(Head {
            msg_type: body.msg_type,
            in_reply_to: body.in_reply_to.as_ref().and_then(Value::as_u64),
        })
    }
}

/// The body's `msg_id` on `line`, exactly as written (an integer too big for
/// any number type stays intact), or `None` if there is none or the line is
/// not a message.
///
/// Only the error path uses it: a request whose `msg_id` is not an integer is
/// answered with that same text as `in_reply_to`, so that the sender can
/// still match the error to its request.
pub(crate) fn raw_msg_id(line: &str) -> Option<Box<RawValue>> {
    #[derive(Deserialize)]
    struct Envelope {
        body: Body,
    }
    #[derive(Deserialize)]
    struct Body {
        msg_id: Option<Box<RawValue>>,
    }
    serde_json::from_str::<Envelope>(line).ok()?.body.msg_id
}

/// The body of the `init` message that starts every node: its own id and all
/// node ids (itself included, same order on every node). Go's
/// `maelstrom.InitMessageBody`. The library handles `init` itself; a part
/// registers an `init` handler only to do extra set-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitMessageBody {
    /// This node's id, e.g. `n0`.
    pub node_id: String,
    /// Every node's id, e.g. `["n0", "n1", "n2"]`.
    pub node_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(body: Value) -> Message {
        Message {
            src: "c1".into(),
            dest: "n1".into(),
            body,
        }
    }

    /// The reserved keys are read from the body, and absent ones give None/"".
    #[test]
    fn reserved_keys_are_read_from_the_body() {
        let msg = message(json!({"type": "echo", "msg_id": 7, "in_reply_to": 3}));
        assert_eq!(msg.msg_type(), "echo");
        assert_eq!(msg.msg_id(), Some(7));
        assert_eq!(msg.in_reply_to(), Some(3));
        let bare = message(json!({}));
        assert_eq!(bare.msg_type(), "");
        assert_eq!(bare.msg_id(), None);
        assert_eq!(bare.in_reply_to(), None);
    }

    /// The head is the body's type and numeric in_reply_to; a body without a string type is an error.
    #[test]
    fn head_reads_type_and_in_reply_to() {
        let head = Head::of(r#"{"src":"n2","body":{"in_reply_to":4,"type":"read_ok"},"id":9}"#);
        let head = head.unwrap();
        assert_eq!((&*head.msg_type, head.in_reply_to), ("read_ok", Some(4)));
        let head = Head::of(r#"{"body":{"type":"a\"b","in_reply_to":"x"}}"#).unwrap();
        assert_eq!((&*head.msg_type, head.in_reply_to), ("a\"b", None));
        assert!(Head::of(r#"{"body":{"type":5}}"#).is_err());
        assert!(Head::of(r#"{"body":{"msg_id":1}}"#).is_err());
        assert!(Head::of(r#"{"src":"c1"}"#).is_err());
        assert!(Head::of("not json").is_err());
    }

    /// A body that does not fit the handler's type is a malformed-request error naming the type.
    #[test]
    fn body_mismatch_is_malformed_request() {
        let msg = message(json!({"type": "init", "node_id": "n1"}));
        let err = msg.body::<InitMessageBody>().unwrap_err();
        match err {
            Error::Rpc(e) => {
                assert_eq!(e.code, MALFORMED_REQUEST);
                assert!(e.text.contains("\"init\""), "{}", e.text);
                assert!(e.text.contains("node_ids"), "{}", e.text);
            }
            other => panic!("expected an RPC error, got {other:?}"),
        }
    }

    /// Only an `error` body yields an RpcError, with its code and text.
    #[test]
    fn rpc_error_only_for_error_bodies() {
        let err = message(json!({"type": "error", "code": 22, "text": "nope"}));
        assert_eq!(err.rpc_error(), Some(RpcError::new(22, "nope")));
        assert_eq!(
            message(json!({"type": "read_ok", "code": 22})).rpc_error(),
            None
        );
        let broken = message(json!({"type": "error"})).rpc_error();
        assert_eq!(broken.map(|e| e.code), Some(CRASH));
    }

    /// Incoming lines with the network's extra `id` key still parse.
    #[test]
    fn network_id_is_ignored() {
        let line = r#"{"id":4,"src":"c0","dest":"n0","body":{"type":"init","node_id":"n0","node_ids":["n0"],"msg_id":1}}"#;
        let msg: Message = serde_json::from_str(line).unwrap();
        let init: InitMessageBody = msg.body().unwrap();
        assert_eq!(init.node_id, "n0");
        assert_eq!(init.node_ids, vec!["n0".to_string()]);
    }
}
