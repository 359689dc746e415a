//! The :stats checker.
//!
//! Placeholder: owned by the helper writing it.
