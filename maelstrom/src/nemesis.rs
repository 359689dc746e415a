//! The partition nemesis: schedule and grudges (spec 6).
//!
//! Placeholder: owned by the helper writing it.
