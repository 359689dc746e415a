//! Checkers: pure functions from a history (and options) to a results entry (spec 9).
//!
//! Placeholder: owned by the helper writing it.

pub mod availability;
pub mod echo;
pub mod exceptions;
pub mod net;
pub mod perf;
pub mod set_full;
pub mod stats;
pub mod unique_ids;
