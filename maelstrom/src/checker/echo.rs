//! The :echo checker.
//!
//! Placeholder: owned by the helper writing it.
