//! Printing the results map, the verdict line and the exit code (spec 1.7, 9.5).
//!
//! Placeholder: owned by the helper writing it.
