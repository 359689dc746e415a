//! The echo workload.
//!
//! Placeholder: owned by the helper writing it.
