//! The txn-list-append workload (Maelstrom's `workload/txn_list_append.clj`, `doc/workloads.md`):
//! the transactions of txn-rw-register with `["append", k, v]` instead of writes; a read returns
//! the key's whole list (or null). The generator and client are txn-rw-register's
//! (`workload/txn_rw_register.rs`); the checker is Elle's list-append (`checker/txn`).

use super::txn_rw_register::{Data, Txn};
use super::Workload;
use crate::options::TestOptions;

/// The registry's constructor.
pub fn build(opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(Txn::new(opts, Data::Lists))
}
