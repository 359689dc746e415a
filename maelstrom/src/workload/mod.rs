//! Workloads: what clients send, how replies become ops, what is checked (spec 7).
//!
//! Placeholder: owned by the helper writing it.

pub mod broadcast;
pub mod echo;
pub mod unique_ids;
