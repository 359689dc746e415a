//! The live status line (or plain periodic lines when not on a terminal).
//!
//! Placeholder: owned by the helper writing it.
