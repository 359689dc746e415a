//! Maelstrom's synchronous clients (spec 5.1-5.2).
//!
//! Placeholder: owned by the helper writing it.
