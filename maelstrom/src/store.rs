//! The store directory: store/<workload>/<timestamp>/ and its files (spec 10.1-10.2).
//!
//! Placeholder: owned by the helper writing it.
