//! The simulated network: latency, per-destination queues, partitions, the journal (spec 4).
//!
//! Placeholder: owned by the helper writing it.
