//! The :perf checker.
//!
//! Placeholder: owned by the helper writing it.
