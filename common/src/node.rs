//! [`Node`]: handler registration, the run loop, and `reply`, `send`, `rpc`,
//! `sync_rpc` with their message-id bookkeeping; Go's `node.go`.
//!
//! The reader (the thread in [`Node::run`]) reads just enough of each line
//! to route it: a reply goes to the callback or `sync_rpc` waiting for it,
//! `init` is recorded, anything else goes to its handler on the worker pool,
//! where the line is parsed whole. Handlers therefore run concurrently, as
//! goroutines do, and the reader never waits for one; a handler blocked in
//! `sync_rpc` still gets its reply.
//!
//! Where it departs from Go's `node.go`, so that a request the node refuses
//! changes nothing and every answer says what was wrong:
//! - A request that arrives before `init` gets `temporarily-unavailable`
//!   (11), sent from the id the request was addressed to (the node has none
//!   of its own yet); it is not held until `init`. Maelstrom sends nothing
//!   before `init_ok`, so only a peer that starts early meets this, and a
//!   retry (as `rpc` users already do) gets through once `init` has come.
//! - A second `init` gets `precondition-failed` (22) and changes nothing;
//!   the part's `init` handler does not see it. If the part's handler fails
//!   the first `init`, the ids are forgotten again.
//! - A `msg_id` that is not an integer from 0 to 2^64-1 gets
//!   `malformed-request` (12) naming the field, with that `msg_id` echoed as
//!   written in `in_reply_to`, instead of being served as if there were none.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{
    Error, RpcError, CRASH, MALFORMED_REQUEST, NOT_SUPPORTED, PRECONDITION_FAILED,
    TEMPORARILY_UNAVAILABLE, TIMEOUT,
};
use crate::message::{raw_msg_id, Head, InitMessageBody, Message, IN_REPLY_TO, MSG_ID};
use crate::output::Output;
use crate::pool::{Job, Pool};

/// A registered message handler, Go's `HandlerFunc`.
type Handler = Arc<dyn Fn(Message) -> Result<(), Error> + Send + Sync>;
/// What `rpc` runs when its reply arrives.
type Callback = Box<dyn FnOnce(Message) -> Result<(), Error> + Send>;

/// Who is waiting for the reply to one of our requests.
enum Pending {
    /// `rpc`: run this callback on the pool.
    Callback(Callback),
    /// `sync_rpc`: hand the reply to the blocked caller.
    Waiter(mpsc::Sender<Message>),
}

/// A handle on this node, cheap to clone and share with handlers and threads.
#[derive(Clone)]
pub struct Node {
    shared: Arc<Shared>,
}

/// The node's state, shared by every handle.
struct Shared {
    /// This node's id and all node ids, set by `init`.
    ids: RwLock<Ids>,
    /// Whether `init` has set `ids`: read by the reader for every request,
    /// so it is a flag rather than a look under the lock.
    initialised: AtomicBool,
    /// Message type -> handler.
    handlers: RwLock<HashMap<String, Handler>>,
    /// Our outstanding requests by `msg_id`.
    pending: Mutex<HashMap<u64, Pending>>,
    /// The last `msg_id` we used; ids start at 1.
    last_msg_id: AtomicU64,
    /// The input, taken by `run`.
    input: Mutex<Option<Box<dyn BufRead + Send>>>,
    output: Arc<Output>,
    pool: Pool,
}

/// How many jobs the reader collects before handing them to the pool (it
/// also hands them over whenever it is about to wait for input).
const BATCH: usize = 256;

#[derive(Default)]
struct Ids {
    id: String,
    node_ids: Vec<String>,
}

impl Node {
    /// A node speaking Maelstrom's protocol on stdin/stdout.
    #[allow(clippy::new_without_default)] // Go's NewNode(); a Default would hide the stdio.
    pub fn new() -> Node {
        Node::with_io(
            std::io::BufReader::with_capacity(1 << 16, std::io::stdin()),
            std::io::stdout(),
        )
    }

    /// A node over any reader and writer: tests drive one through in-memory pipes.
    pub fn with_io(
        input: impl BufRead + Send + 'static,
        output: impl Write + Send + 'static,
    ) -> Node {
        let output = Arc::new(Output::new(output));
        let flusher = Arc::clone(&output);
        let writer = Arc::clone(&output);
        // A failed flush is remembered by `output` and reported by the next send.
        let pool = Pool::new(move || drop(flusher.flush()), move || writer.writing());
        Node {
            shared: Arc::new(Shared {
                ids: RwLock::new(Ids::default()),
                initialised: AtomicBool::new(false),
                handlers: RwLock::new(HashMap::new()),
                pending: Mutex::new(HashMap::new()),
                last_msg_id: AtomicU64::new(0),
                input: Mutex::new(Some(Box::new(input))),
                output,
                pool,
            }),
        }
    }

    /// Registers the handler for one message type. A handler for `init` runs
    /// after the library has recorded the ids and before it replies `init_ok`.
    ///
    /// # Panics
    /// If `msg_type` already has a handler: that is a bug in the program, not
    /// something a message can cause, so it fails loudly (as in Go).
    pub fn handle(
        &self,
        msg_type: &str,
        handler: impl Fn(Message) -> Result<(), Error> + Send + Sync + 'static,
    ) {
        let mut handlers = self.shared.handlers.write();
        if handlers.contains_key(msg_type) {
            panic!("duplicate message handler for {msg_type:?} message type");
        }
        handlers.insert(msg_type.to_string(), Arc::new(handler));
    }

    /// Reads messages, one JSON object per line, until the input ends; then
    /// waits for the handlers still running and for the output to be written.
    ///
    /// Bad input never stops the node: a line that is not a message is logged
    /// and skipped. Only a failure to read the input or write the output ends
    /// `run` with an error.
    pub fn run(&self) -> Result<(), Error> {
        let mut input = self
            .shared
            .input
            .lock()
            .take()
            .ok_or_else(|| Error::Other("Node::run called twice".into()))?;
        let mut jobs = Vec::with_capacity(BATCH);
        // The line being read (it may span two reads of the input), reused
        // from one line to the next.
        let mut line = Vec::new();
        let read = loop {
            // About to wait for input: the jobs collected so far must not wait too.
            self.shared.pool.submit_all(&mut jobs);
            let mut buffer = match input.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(Error::Other(format!("cannot read the input: {e}"))),
            };
            if buffer.is_empty() {
                // The input ended; a last line without its newline still counts.
                self.receive(&line, &mut jobs);
                self.shared.pool.submit_all(&mut jobs);
                break Ok(());
            }
            let used = buffer.len();
            while !buffer.is_empty() {
                // The bytes already read, read as a slice: this never blocks
                // or fails, and `read_until` finds the newline fast.
                let _ = buffer.read_until(b'\n', &mut line);
                if line.ends_with(b"\n") {
                    self.receive(&line, &mut jobs);
                    line.clear();
                    if jobs.len() >= BATCH && !buffer.is_empty() {
                        self.shared.pool.submit_all(&mut jobs);
                    }
                }
            }
            input.consume(used);
            if let Err(e) = self.shared.output.check() {
                break Err(e);
            }
        };
        self.shared.pool.wait_idle();
        let flushed = self.shared.output.flush();
        read.and(flushed)
    }

    /// This node's id, e.g. `n1`. Empty until `init` has arrived.
    pub fn id(&self) -> String {
        self.shared.ids.read().id.clone()
    }

    /// Every node's id, this one included, in the same order on every node.
    /// Empty until `init` has arrived.
    pub fn node_ids(&self) -> Vec<String> {
        self.shared.ids.read().node_ids.clone()
    }

    /// Sends `body` back to the sender of `request`, with `in_reply_to` set to
    /// the request's `msg_id` (left out if the request had none).
    pub fn reply<B: Serialize>(&self, request: &Message, body: &B) -> Result<(), Error> {
        let reserved = request.msg_id().map(|msg_id| (IN_REPLY_TO, msg_id));
        self.write(&request.src, body, reserved)
    }

    /// Sends `body` to `dest` as is, expecting no reply.
    pub fn send<B: Serialize>(&self, dest: &str, body: &B) -> Result<(), Error> {
        self.write(dest, body, None)
    }

    /// Sends `body` to `dest` with a fresh `msg_id`; when the reply arrives,
    /// `callback` runs with it on the pool. An error it returns is logged.
    pub fn rpc<B: Serialize>(
        &self,
        dest: &str,
        body: &B,
        callback: impl FnOnce(Message) -> Result<(), Error> + Send + 'static,
    ) -> Result<(), Error> {
        self.request(dest, body, Pending::Callback(Box::new(callback)))
            .map(|_| ())
    }

    /// Sends `body` to `dest` with a fresh `msg_id` and waits for the reply.
    ///
    /// Returns the reply; `Error::Rpc` with the peer's error if it answered
    /// with one; `Error::Rpc` with code `timeout` (0) if no reply came within
    /// `timeout` (a reply arriving later is logged and dropped).
    pub fn sync_rpc<B: Serialize>(
        &self,
        dest: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<Message, Error> {
        let (sender, replies) = mpsc::channel();
        let msg_id = self.request(dest, body, Pending::Waiter(sender))?;
        // The request may sit in the output buffer behind queued jobs; it
        // must not wait for them while we wait for its reply.
        if let Err(e) = self.shared.output.flush() {
            self.shared.pending.lock().remove(&msg_id);
            return Err(e);
        }
        let reply = self.shared.pool.blocking(|| replies.recv_timeout(timeout));
        match reply {
            Ok(reply) => match reply.rpc_error() {
                Some(e) => Err(Error::Rpc(e)),
                None => Ok(reply),
            },
            Err(_) => {
                self.shared.pending.lock().remove(&msg_id);
                let text = format!("no reply from {dest} to msg_id {msg_id} within {timeout:?}");
                Err(Error::Rpc(RpcError::new(TIMEOUT, text)))
            }
        }
    }

    /// Registers who waits for the reply, then sends the request; returns
    /// its `msg_id`.
    fn request<B: Serialize>(&self, dest: &str, body: &B, pending: Pending) -> Result<u64, Error> {
        let msg_id = self.shared.last_msg_id.fetch_add(1, Ordering::Relaxed) + 1;
        // Registered before sending: the reply may arrive before `write` returns.
        self.shared.pending.lock().insert(msg_id, pending);
        if let Err(e) = self.write(dest, body, Some((MSG_ID, msg_id))) {
            self.shared.pending.lock().remove(&msg_id);
            return Err(e);
        }
        Ok(msg_id)
    }

    /// Writes one message from this node to `dest`, as one line, with the
    /// `reserved` key (`msg_id` or `in_reply_to`) added to `body`.
    fn write<B: Serialize>(
        &self,
        dest: &str,
        body: &B,
        reserved: Option<(&str, u64)>,
    ) -> Result<(), Error> {
        self.write_as(None, dest, body, reserved)
    }

    /// [`write`](Node::write), from `src` instead of this node's id when
    /// `src` is given (see [`answering_as`](Node::answering_as)).
    fn write_as<B: Serialize>(
        &self,
        src: Option<&str>,
        dest: &str,
        body: &B,
        reserved: Option<(&str, u64)>,
    ) -> Result<(), Error> {
        let mut line = match src {
            Some(src) => encode(src, dest, body, reserved)?,
            None => encode(&self.shared.ids.read().id, dest, body, reserved)?,
        };
        log::debug!("sent {}", String::from_utf8_lossy(&line));
        line.push(b'\n');
        let pool = &self.shared.pool;
        self.shared.output.write_line(&line, || pool.has_queued())
    }

    /// Routes one input line (on the reader thread; must not block); work
    /// for the pool is added to `jobs`.
    ///
    /// Only the body's `type` and `in_reply_to` are read here: a line for a
    /// handler or a callback is parsed whole by the worker that runs it (see
    /// [`Head`] for why).
    fn receive(&self, line: &[u8], jobs: &mut Vec<Job>) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        // Checked for UTF-8 once, as a whole: cheaper than string by string.
        let Ok(text) = std::str::from_utf8(line) else {
            log::warn!("skipping an input line that is not UTF-8: {}", quote(line));
            return;
        };
        let head = match Head::of(text) {
            Ok(head) => head,
            Err(e) => {
                log::warn!(
                    "skipping an input line that is not a message ({e}): {}",
                    quote(line)
                );
                return;
            }
        };
        log::debug!("received {}", quote(line));

        if let Some(in_reply_to) = head.in_reply_to {
            self.route_reply(in_reply_to, text, jobs);
        } else if head.msg_type == "init" {
            self.init(text, jobs);
        } else if !self.shared.initialised.load(Ordering::Acquire) {
            self.refuse_before_init(text);
        } else {
            let handler = self.shared.handlers.read().get(&*head.msg_type).cloned();
            match handler {
                Some(handler) => jobs.push(self.handler_job(handler, text.to_owned())),
                None => {
                    let Some(msg) = parse(text) else {
                        return;
                    };
                    if !self.refuse_bad_msg_id(&msg, text) {
                        let text = format!("no handler for message type {:?}", head.msg_type);
                        self.report(&msg, Error::Rpc(RpcError::new(NOT_SUPPORTED, text)));
                    }
                }
            }
        }
    }

    /// Answers a request that came before `init` with
    /// `temporarily-unavailable` (11): without its id the node cannot serve
    /// it, and holding it would need memory that nothing bounds.
    fn refuse_before_init(&self, line: &str) {
        let Some(msg) = parse(line) else {
            return;
        };
        if self.refuse_bad_msg_id(&msg, line) {
            return;
        }
        let text = format!(
            "{:?} arrived before init: this node does not know its id yet; retry once it is initialised",
            msg.msg_type()
        );
        self.report(&msg, RpcError::new(TEMPORARILY_UNAVAILABLE, text).into());
    }

    /// If `request` (read from `line`) has a `msg_id` that is not an integer
    /// from 0 to 2^64-1, answers `malformed-request` (12) naming the field,
    /// with the `msg_id` as written echoed in `in_reply_to` (a `null` one is
    /// left out), and returns true: no handler may serve it as if it had
    /// none, since its sender expects an answer it could match.
    fn refuse_bad_msg_id(&self, request: &Message, line: &str) -> bool {
        if !request.bad_msg_id() {
            return false;
        }
        let raw = raw_msg_id(line);
        let written = raw.as_deref().map_or("null", RawValue::get);
        let text = format!(
            "malformed {:?} request: msg_id must be an integer from 0 to {}, not {}",
            request.msg_type(),
            u64::MAX,
            quote(written.as_bytes())
        );
        log::warn!(
            "{:?} request from {}: {text}",
            request.msg_type(),
            request.src
        );
        let reply = MalformedMsgId {
            typ: "error",
            code: MALFORMED_REQUEST,
            text,
            in_reply_to: raw,
        };
        let from = self.answering_as(request);
        if let Err(e) = self.write_as(from, &request.src, &reply, None) {
            log::error!("cannot send the error reply to {}: {e}", request.src);
        }
        true
    }

    /// The `src` of an answer to `request`: `None` (this node's own id) once
    /// `init` has come; before it, the id the request was addressed to.
    fn answering_as<'a>(&self, request: &'a Message) -> Option<&'a str> {
        let initialised = self.shared.initialised.load(Ordering::Acquire);
        (!initialised).then_some(request.dest.as_str())
    }

    /// Hands the reply on `line` to whoever waits for it; a reply nobody
    /// waits for (a late one, after `sync_rpc` gave up) is logged and
    /// dropped, as in Go.
    fn route_reply(&self, in_reply_to: u64, line: &str, jobs: &mut Vec<Job>) {
        let pending = self.shared.pending.lock().remove(&in_reply_to);
        match pending {
            None => log::debug!(
                "ignoring a reply to msg_id {in_reply_to}: nothing waits for it: {}",
                quote(line.as_bytes())
            ),
            Some(Pending::Waiter(waiter)) => {
                if let Some(reply) = parse(line) {
                    // The waiter may have timed out meanwhile; then nobody wants it.
                    drop(waiter.send(reply));
                }
            }
            Some(Pending::Callback(callback)) => {
                let line = line.to_owned();
                jobs.push(Box::new(move || {
                    let Some(reply) = parse(&line) else {
                        return;
                    };
                    let from = reply.src.clone();
                    match catch_unwind(AssertUnwindSafe(|| callback(reply))) {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => log::warn!(
                            "callback for the reply from {from} to msg_id {in_reply_to} failed: {e}"
                        ),
                        Err(panic) => log::error!(
                            "callback for the reply from {from} to msg_id {in_reply_to} panicked: {}",
                            panic_text(&*panic)
                        ),
                    }
                }));
            }
        }
    }

    /// `init` on `line`: records the ids at once (so that messages after it
    /// see them), then runs the part's own `init` handler, if any, and
    /// replies `init_ok`.
    ///
    /// A refused `init` changes nothing: a second one gets
    /// `precondition-failed` (22) without reaching the part's handler, and
    /// if the part's handler fails the first, the ids are forgotten again.
    fn init(&self, line: &str, jobs: &mut Vec<Job>) {
        let Some(msg) = parse(line) else {
            return;
        };
        if self.refuse_bad_msg_id(&msg, line) {
            return;
        }
        if self.shared.initialised.load(Ordering::Acquire) {
            let text = {
                let ids = self.shared.ids.read();
                format!(
                    "this node is already initialised as {:?} of {:?}; a second init changes nothing",
                    ids.id, ids.node_ids
                )
            };
            return self.report(&msg, RpcError::new(PRECONDITION_FAILED, text).into());
        }
        let body: InitMessageBody = match msg.body() {
            Ok(body) => body,
            Err(e) => return self.report(&msg, e),
        };
        if body.node_id.is_empty() {
            let text = "malformed \"init\" message body: node_id is empty";
            return self.report(&msg, RpcError::new(MALFORMED_REQUEST, text).into());
        }
        log::info!(
            "node {} initialised; nodes {:?}",
            body.node_id,
            body.node_ids
        );
        *self.shared.ids.write() = Ids {
            id: body.node_id,
            node_ids: body.node_ids,
        };
        self.shared.initialised.store(true, Ordering::Release);
        let own = self.shared.handlers.read().get("init").cloned();
        let node = self.clone();
        let handler: Handler = Arc::new(move |msg: Message| {
            if let Some(own) = &own {
                match catch_unwind(AssertUnwindSafe(|| own(msg.clone()))) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        node.forget_ids();
                        return Err(e);
                    }
                    Err(panic) => {
                        node.forget_ids();
                        std::panic::resume_unwind(panic);
                    }
                }
            }
            node.reply(&msg, &serde_json::json!({"type": "init_ok"}))
        });
        jobs.push(self.handler_job(handler, line.to_owned()));
    }

    /// Undoes what `init` recorded, when the part's `init` handler failed.
    fn forget_ids(&self) {
        self.shared.initialised.store(false, Ordering::Release);
        *self.shared.ids.write() = Ids::default();
        log::warn!("the init handler failed: this node is not initialised");
    }

    /// The job that parses `line`, runs `handler` on it, and sends back
    /// whatever error the handler ends with.
    ///
    /// The handler consumes the request; only a failure needs it again, so
    /// only then is it read back from the line.
    fn handler_job(&self, handler: Handler, line: String) -> Job {
        let node = self.clone();
        Box::new(move || {
            let Some(msg) = parse(&line) else {
                return;
            };
            if node.refuse_bad_msg_id(&msg, &line) {
                return;
            }
            let failure = match catch_unwind(AssertUnwindSafe(|| handler(msg))) {
                Ok(Ok(())) => return,
                Ok(Err(e)) => Ok(e),
                Err(panic) => Err(panic_text(&*panic)),
            };
            let Some(request) = parse(&line) else {
                return;
            };
            let error = failure.unwrap_or_else(|panic| {
                let text = format!("handler for {:?} panicked: {panic}", request.msg_type());
                Error::Rpc(RpcError::new(CRASH, text))
            });
            node.report(&request, error);
        })
    }

    /// Sends a failed request's error back: an `Rpc` error as is, anything
    /// else as `crash` (13).
    ///
    /// A request without `msg_id` expects no answer, so the error is only
    /// logged. That also keeps two nodes from trading error messages for
    /// ever (an `error` body has no `msg_id`, and no handler).
    fn report(&self, request: &Message, error: Error) {
        let error = match error {
            Error::Rpc(e) => e,
            Error::Other(text) => RpcError::new(CRASH, text),
        };
        log::warn!(
            "{:?} request from {} failed: {error}",
            request.msg_type(),
            request.src
        );
        let Some(msg_id) = request.msg_id() else {
            return;
        };
        let from = self.answering_as(request);
        let reserved = Some((IN_REPLY_TO, msg_id));
        if let Err(e) = self.write_as(from, &request.src, &error, reserved) {
            log::error!("cannot send the error reply to {}: {e}", request.src);
        }
    }
}

/// The answer to a request whose `msg_id` is not one (see
/// `Node::refuse_bad_msg_id`): an error body with that `msg_id`, as written,
/// in `in_reply_to`.
#[derive(Serialize)]
struct MalformedMsgId {
    #[serde(rename = "type")]
    typ: &'static str,
    code: i64,
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_reply_to: Option<Box<RawValue>>,
}

/// The message on `line`; a line that is not one is logged and skipped.
fn parse(line: &str) -> Option<Message> {
    match serde_json::from_str::<Message>(line) {
        // The reader found a string `type` in the body; only a body that is
        // an array (which serde also reads into a struct) can get this far
        // without being an object.
        Ok(msg) if msg.body.is_object() => Some(msg),
        Ok(_) => {
            log::warn!(
                "skipping a message whose body is not an object: {}",
                quote(line.as_bytes())
            );
            None
        }
        Err(e) => {
            log::warn!(
                "skipping an input line that is not a message ({e}): {}",
                quote(line.as_bytes())
            );
            None
        }
    }
}

/// One message as JSON, `{"src":..,"dest":..,"body":{..}}`, with the
/// `reserved` key and value added to the body.
///
/// Go adds the key by converting the body to a map and back. That costs more
/// than the rest of a reply, so the body is serialised straight into the line
/// and the key spliced in after its opening brace; only a body that already
/// mentions the key goes through a map, so that the key is replaced, never
/// written twice.
fn encode<B: Serialize>(
    src: &str,
    dest: &str,
    body: &B,
    reserved: Option<(&str, u64)>,
) -> Result<Vec<u8>, Error> {
    // Room for a typical message, so that the line rarely has to grow.
    let mut line = Vec::with_capacity(256);
    line.extend_from_slice(b"{\"src\":");
    serde_json::to_writer(&mut line, src)?;
    line.extend_from_slice(b",\"dest\":");
    serde_json::to_writer(&mut line, dest)?;
    line.extend_from_slice(b",\"body\":");
    let start = line.len();
    serde_json::to_writer(&mut line, body)?;
    if line.get(start) != Some(&b'{') {
        return Err(Error::Other(format!(
            "a message body must serialise to a JSON object, not {}",
            String::from_utf8_lossy(&line[start..])
        )));
    }
    if let Some((key, value)) = reserved {
        if mentions(&line[start..], key) {
            let mut map: Map<String, Value> = serde_json::from_slice(&line[start..])?;
            map.insert(key.to_string(), value.into());
            line.truncate(start);
            serde_json::to_writer(&mut line, &map)?;
        } else {
            // Append `"key":value,` (no comma if the body is `{}`), then
            // rotate it to just after the body's opening brace.
            let empty = line.len() == start + 2;
            let end = line.len();
            serde_json::to_writer(&mut line, key)?;
            line.push(b':');
            serde_json::to_writer(&mut line, &value)?;
            if !empty {
                line.push(b',');
            }
            let field = line.len() - end;
            line[start + 1..].rotate_right(field);
        }
    }
    line.push(b'}');
    Ok(line)
}

/// Whether the JSON text `json` has the string `"key"` anywhere: as a key,
/// or inside a string (then the exact path is taken for nothing, rarely).
fn mentions(json: &[u8], key: &str) -> bool {
    let key = key.as_bytes();
    json.windows(key.len() + 2).any(|window| {
        // The quotes first: they rule out almost every window cheaply.
        window[0] == b'"' && window[key.len() + 1] == b'"' && &window[1..=key.len()] == key
    })
}

/// A panic's message, whichever of the two usual payload types it has.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-text panic payload".to_string()
    }
}

/// An input line for a log message, without its newline and cut to a sane length.
fn quote(line: &[u8]) -> String {
    const MAX: usize = 500;
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}... ({} bytes)", &text[..cut], line.len()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool;
    use serde_json::json;

    /// The line for `body` with `reserved`, parsed back.
    fn encoded(body: &Value, reserved: Option<(&str, u64)>) -> Value {
        let line = encode("n1", "c2", body, reserved).unwrap();
        serde_json::from_slice(&line).unwrap()
    }

    /// The reserved key is spliced into empty and non-empty bodies alike.
    #[test]
    fn encode_adds_the_reserved_key() {
        assert_eq!(
            encoded(&json!({}), Some((IN_REPLY_TO, 3))),
            json!({"src": "n1", "dest": "c2", "body": {"in_reply_to": 3}})
        );
        assert_eq!(
            encoded(&json!({"type": "x", "v": [1]}), Some((MSG_ID, 9))),
            json!({"src": "n1", "dest": "c2", "body": {"type": "x", "v": [1], "msg_id": 9}})
        );
        assert_eq!(
            encoded(&json!({"type": "x"}), None),
            json!({"src": "n1", "dest": "c2", "body": {"type": "x"}})
        );
    }

    /// A body that already has the reserved key gets it replaced, not duplicated.
    #[test]
    fn encode_replaces_an_existing_reserved_key() {
        let line = encode(
            "n1",
            "c2",
            &json!({"type": "x", "msg_id": 1}),
            Some((MSG_ID, 5)),
        )
        .unwrap();
        let text = String::from_utf8(line).unwrap();
        assert_eq!(text.matches("msg_id").count(), 1, "{text}");
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["body"]["msg_id"], 5);
    }

    /// A key is found wherever it is quoted, and only there.
    #[test]
    fn mentions_finds_quoted_keys() {
        assert!(mentions(br#"{"type":"x","msg_id":1}"#, MSG_ID));
        assert!(mentions(br#"{"msg_id":1}"#, MSG_ID));
        assert!(!mentions(br#"{"type":"msg_idx","my_msg_id":1}"#, MSG_ID));
        assert!(!mentions(br#"{}"#, MSG_ID));
    }

    /// A writer that blocks every write until the test opens its gate, as
    /// a pipe does when nobody reads it; then it counts the lines.
    struct Gated {
        gate: Arc<(Mutex<bool>, parking_lot::Condvar)>,
        lines: Arc<Mutex<usize>>,
    }

    impl Write for Gated {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            let (open, opened) = &*self.gate;
            let mut open = open.lock();
            while !*open {
                opened.wait(&mut open);
            }
            *self.lines.lock() += data.iter().filter(|&&b| b == b'\n').count();
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A blocked stdout is not a stuck worker: while nothing reads the output the pool does not grow, and every reply goes out once it is read again.
    #[test]
    fn a_blocked_output_does_not_grow_the_pool() {
        const REQUESTS: usize = 2000;
        let mut input = String::from(
            r#"{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#,
        );
        for i in 0..REQUESTS {
            input.push_str(&format!(
                "\n{{\"src\":\"c1\",\"dest\":\"n1\",\"body\":{{\"type\":\"echo\",\"msg_id\":{i}}}}}"
            ));
        }
        let gate = Arc::new((Mutex::new(false), parking_lot::Condvar::new()));
        let lines = Arc::new(Mutex::new(0));
        let writer = Gated {
            gate: Arc::clone(&gate),
            lines: Arc::clone(&lines),
        };
        let node = Node::with_io(std::io::Cursor::new(input.into_bytes()), writer);
        let handle = node.clone();
        node.handle("echo", move |msg| {
            handle.reply(&msg, &json!({"type": "echo_ok"}))
        });
        let runner = node.clone();
        let running = std::thread::spawn(move || runner.run());
        // Fifty watchdog periods: before the fix, one more worker each.
        std::thread::sleep(pool::STALL * 50);
        // One worker does it all; a few more may come while the output is
        // still free, if the busy machine pauses the worker for a STALL.
        let workers = node.shared.pool.workers();
        assert!(
            workers <= 5,
            "{workers} workers while the output is blocked"
        );
        *gate.0.lock() = true;
        gate.1.notify_all();
        assert!(matches!(running.join(), Ok(Ok(()))));
        assert_eq!(*lines.lock(), REQUESTS + 1);
    }

    /// Names with characters that need escaping stay valid JSON.
    #[test]
    fn encode_escapes_node_ids() {
        let line = encode("n\"1", "c\n2", &json!({"type": "x"}), None).unwrap();
        let parsed: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(parsed["src"], "n\"1");
        assert_eq!(parsed["dest"], "c\n2");
    }
}
