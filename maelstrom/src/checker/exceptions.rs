//! The :exceptions checker.
//!
//! Placeholder: owned by the helper writing it.
