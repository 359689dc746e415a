//! The :net checker.
//!
//! Placeholder: owned by the helper writing it.
