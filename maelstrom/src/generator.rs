//! The schedule: stagger, worker threads, time limit, final phase (spec 5.4-5.7).
//!
//! Placeholder: owned by the helper writing it.
