//! The :unique_ids checker.
//!
//! Placeholder: owned by the helper writing it.
