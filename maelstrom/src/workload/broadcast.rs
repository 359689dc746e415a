//! The broadcast workload.
//!
//! Placeholder: owned by the helper writing it.
