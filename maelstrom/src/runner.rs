//! Runs one test from setup to history (spec 3.3, 5.8).
//!
//! Placeholder: owned by the helper writing it.
