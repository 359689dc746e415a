//! End to end: the real `txn-6c` binary, driven over stdin/stdout, with the test playing the
//! clients and the peer node `n1` (the checks are `testkit::txn`'s, shared with the other
//! replicating part).

const BIN: &str = env!("CARGO_BIN_EXE_txn-6c");

/// A txn is answered at once; its writes then go to the peer in a `replicate`, again (with a
/// new msg_id) while no `replicate_ok` comes, and once acknowledged are never sent again.
#[test]
fn txns_are_answered_at_once_and_replicated_until_acknowledged() {
    testkit::txn::txns_are_answered_at_once_and_replicated_until_acknowledged(BIN);
}

/// A `replicate` from the peer is applied and acknowledged: reads here see its final writes,
/// an older version does not overwrite a newer one, and the clock moves past its version.
#[test]
fn a_replicate_from_the_peer_is_applied_and_acknowledged() {
    testkit::txn::a_replicate_from_the_peer_is_applied_and_acknowledged(BIN);
}
