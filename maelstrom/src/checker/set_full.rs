//! The :set_full checker.
//!
//! Placeholder: owned by the helper writing it.
