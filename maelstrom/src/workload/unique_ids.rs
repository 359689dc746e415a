//! The unique_ids workload.
//!
//! Placeholder: owned by the helper writing it.
