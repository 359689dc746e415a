//! Maelstrom's synchronous clients (`src/maelstrom/client.clj`).
//!
//! A client is a network endpoint `c<k>` (one counter for the whole test, starting at `c0`) with
//! at most one request outstanding. It numbers its requests `msg_id` 1, 2, 3, ... and waits for
//! the reply whose `in_reply_to` equals the outstanding `msg_id`. Anything else (a stale reply
//! to a request that timed out, a second reply, an `in_reply_to` that answers nothing) is set
//! aside for the runner to warn about ([`Client::take_strays`]); Maelstrom drops it silently.
//! Dropping a client closes its id, so that a reply arriving later is recognised as late.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::net::{Delivery, Message, Net};

/// The default RPC timeout of Maelstrom's clients (a workload may choose its own:
/// `Workload::rpc_timeout`).
pub const RPC_TIMEOUT: Duration = crate::workload::DEFAULT_RPC_TIMEOUT;
/// How long a node has to answer `init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many stray messages a client keeps until they are taken; later ones are only counted.
const MAX_STRAYS: usize = 16;

/// How often [`Client::rpc_unless`] asks whether to give up.
const GIVE_UP_POLL: Duration = Duration::from_millis(50);

/// One synchronous client.
pub struct Client {
    id: String,
    net: Arc<Net>,
    inbox: Receiver<Delivery>,
    /// The `msg_id` of the next request.
    next_msg_id: u64,
    /// Messages that answered no request in flight, with the `msg_id` then awaited.
    strays: Vec<(Message, u64)>,
    /// Stray messages beyond [`MAX_STRAYS`], only counted.
    strays_dropped: usize,
}

impl Client {
    /// Opens a client with the next free `c` id.
    pub fn open(net: &Arc<Net>) -> Client {
        let (id, inbox) = net.open_client();
        Client {
            id,
            net: Arc::clone(net),
            inbox,
            next_msg_id: 1,
            strays: Vec::new(),
            strays_dropped: 0,
        }
    }

    /// The messages received since the last call that answered no request in flight, each
    /// with the `msg_id` that was awaited, and how many more were only counted.
    pub fn take_strays(&mut self) -> (Vec<(Message, u64)>, usize) {
        let dropped = std::mem::take(&mut self.strays_dropped);
        (std::mem::take(&mut self.strays), dropped)
    }

    /// This client's id, e.g. `c7`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sends `body` (a JSON object; `msg_id` is added) to `dest` and waits up to `timeout` for
    /// the matching reply. Returns the reply body, or `None` on timeout, if the network was
    /// aborted (the run is ending), or if the request could not be sent.
    pub fn rpc(&mut self, dest: &str, body: Value, timeout: Duration) -> Option<Value> {
        self.rpc_unless(dest, body, timeout, None)
    }

    /// [`Client::rpc`], but with `give_up` it also stops waiting (returns `None`) as soon as
    /// `give_up()` is true; it is asked every [`GIVE_UP_POLL`]. Without it the wait is one
    /// blocking receive (no polling on the workers' path).
    pub fn rpc_unless(
        &mut self,
        dest: &str,
        mut body: Value,
        timeout: Duration,
        give_up: Option<&dyn Fn() -> bool>,
    ) -> Option<Value> {
        if self.net.is_aborted() {
            return None;
        }
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        if let Value::Object(map) = &mut body {
            map.insert("msg_id".to_string(), Value::from(msg_id));
        }
        let deadline = Instant::now() + timeout;
        if self.net.send(&self.id, dest, body).is_err() {
            // Only a runner bug sends to an unregistered node; treat it like silence.
            return None;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || give_up.is_some_and(|give_up| give_up()) {
                return None;
            }
            let wait = if give_up.is_some() {
                left.min(GIVE_UP_POLL)
            } else {
                left
            };
            match self.inbox.recv_timeout(wait) {
                Ok(Delivery::Message(message)) => {
                    if replies_to(&message.body, msg_id) {
                        return Some(message.body);
                    }
                    if self.strays.len() < MAX_STRAYS {
                        self.strays.push((message, msg_id));
                    } else {
                        self.strays_dropped += 1;
                    }
                }
                // Abort is only sent once the network is aborted, which lasts.
                Err(RecvTimeoutError::Timeout) => {}
                Ok(Delivery::Abort) | Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.net.close_client(&self.id);
    }
}

/// True if `body.in_reply_to` is exactly the integer `msg_id` (`1.0` does not match `1`).
fn replies_to(body: &Value, msg_id: u64) -> bool {
    body.get("in_reply_to").and_then(Value::as_u64) == Some(msg_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::NetOptions;

    fn net() -> Arc<Net> {
        Net::new(NetOptions::for_tests(1), Arc::new(|_: &str| {}))
    }

    /// Answers every request `n0` receives by calling `reply` on it, from a fake node thread.
    fn fake_node(net: &Arc<Net>, reply: fn(&Value) -> Vec<Value>) {
        net.register_server("n0");
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        struct Pipe(std::sync::mpsc::Sender<Vec<u8>>);
        impl std::io::Write for Pipe {
            fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
                let _ = self.0.send(data.to_vec());
                Ok(data.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        net.start_delivery("n0", Box::new(Pipe(tx))).expect("n0");
        let net = Arc::clone(net);
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            while let Ok(chunk) = rx.recv() {
                pending.extend(chunk);
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    let Ok(message) = serde_json::from_slice::<Value>(&line) else {
                        continue;
                    };
                    let src = message["src"].as_str().unwrap_or_default().to_string();
                    for body in reply(&message["body"]) {
                        let _ = net.send("n0", &src, body);
                    }
                }
            }
        });
    }

    /// Clients are numbered c0, c1, ... and number their requests 1, 2, ...; the reply that
    /// matches is returned.
    #[test]
    fn ids_and_msg_ids_count_up() {
        let net = net();
        fake_node(&net, |body| {
            vec![serde_json::json!({"type": "echo_ok", "in_reply_to": body["msg_id"]})]
        });
        let mut c0 = Client::open(&net);
        let c1 = Client::open(&net);
        assert_eq!((c0.id(), c1.id()), ("c0", "c1"));
        for expected in 1..=3 {
            let reply = c0
                .rpc("n0", serde_json::json!({"type": "echo"}), RPC_TIMEOUT)
                .expect("reply");
            assert_eq!(reply["in_reply_to"], expected);
        }
    }

    /// Replies whose in_reply_to is not the outstanding msg_id (wrong number, float, missing)
    /// are ignored; the matching one after them is taken.
    #[test]
    fn mismatched_replies_are_ignored() {
        let net = net();
        fake_node(&net, |body| {
            let id = body["msg_id"].as_u64().unwrap_or(0);
            vec![
                serde_json::json!({"type": "x", "in_reply_to": id + 100}),
                serde_json::json!({"type": "x", "in_reply_to": id as f64}),
                serde_json::json!({"type": "x"}),
                serde_json::json!({"type": "right", "in_reply_to": id}),
            ]
        });
        let mut client = Client::open(&net);
        let reply = client
            .rpc("n0", serde_json::json!({"type": "echo"}), RPC_TIMEOUT)
            .expect("reply");
        assert_eq!(reply["type"], "right");
    }

    /// No reply within the timeout gives None; aborting the network ends a wait at once.
    #[test]
    fn timeout_and_abort_give_none() {
        let net = net();
        fake_node(&net, |_| Vec::new());
        let mut client = Client::open(&net);
        let reply = client.rpc(
            "n0",
            serde_json::json!({"type": "x"}),
            Duration::from_millis(50),
        );
        assert!(reply.is_none());
        let aborter = Arc::clone(&net);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            aborter.abort_clients();
        });
        let started = Instant::now();
        let reply = client.rpc(
            "n0",
            serde_json::json!({"type": "x"}),
            Duration::from_secs(60),
        );
        assert!(reply.is_none());
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    /// Dropping a client closes its id: a reply sent to it afterwards is a late reply.
    #[test]
    fn dropped_client_is_closed() {
        let net = net();
        net.register_server("n0");
        let id = Client::open(&net).id().to_string();
        let late = net.send("n0", &id, serde_json::json!({}));
        assert!(matches!(late, Err(crate::net::SendError::ClosedClient(_))));
    }
}
