//! In-runner services: key-value stores and a timestamp oracle that live inside the runner and
//! answer nodes over the simulated network, as Maelstrom's `src/maelstrom/service.clj` does
//! (`lin-kv`, `seq-kv`, `lww-kv`, `lin-tso`; `doc/services.md`).
//!
//! A service is a [`Service`]: it answers one request at a time. The network (`net`) owns the
//! rest: it queues requests for the service with the usual latency, hands them over one by one on
//! the service's own thread, and sends each reply back through the network (latency, journal,
//! `:net` counts), exactly like a message a node sent. Services are never partitioned.
//!
//! Adding a service is one new file here (`seq_kv.rs`) and one line in [`REGISTRY`]; a workload
//! asks for it by id in `Workload::services`, and the runner registers it on the network.

/// An in-runner service (Maelstrom's `src/maelstrom/service.clj`): it answers requests one at a time.
pub trait Service: Send {
    /// Handles one request from `src` with body `body` (which carries `type` and `msg_id`), and returns the
    /// reply body (with `in_reply_to` set) or None for no reply.
    fn handle(&mut self, src: &str, body: &serde_json::Value) -> Option<serde_json::Value>;
}

/// Builds a fresh service; the argument seeds whatever the service draws at random (which replica
/// of `seq-kv` answers, say), so that a run with the same `--seed` makes the same draws.
pub type Build = fn(seed: u64) -> Box<dyn Service>;

/// Every service the runner has, by the id nodes send to (`"seq-kv"`). The one list of them.
pub const REGISTRY: &[(&str, Build)] = &[];

/// The ids of Maelstrom's default services (`default-services` in `src/maelstrom/service.clj`),
/// whether or not this runner has them yet: a node may not take one of these names.
pub const MAELSTROM_SERVICE_IDS: [&str; 4] = ["lin-kv", "lin-tso", "lww-kv", "seq-kv"];

/// The constructor of service `id`, or None if the runner has no such service.
pub fn builder(id: &str) -> Option<Build> {
    REGISTRY
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, build)| *build)
}
