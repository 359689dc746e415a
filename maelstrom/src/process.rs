//! Node processes: spawning, stdout/stderr handling, crash detection, teardown (spec 3).
//!
//! Placeholder: owned by the helper writing it.
