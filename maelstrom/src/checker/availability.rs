//! The :availability checker.
//!
//! Placeholder: owned by the helper writing it.
