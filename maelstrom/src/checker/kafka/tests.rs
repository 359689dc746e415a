//! The kafka checker on hand-made histories: ones it must accept, and one it must reject for
//! every error type.

use super::*;
use crate::checker::test_support::{edn, Builder};
use crate::edn::compact;
use crate::history::OpType;

/// A kafka history built op by op, one millisecond per event, each op completing before the
/// next is invoked unless `invoke` and `complete` are used apart.
struct K {
    b: Builder,
    ms: u64,
}

impl K {
    fn new() -> K {
        K {
            b: Builder::new(),
            ms: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.ms += 1;
        self.ms
    }

    /// An op invoked and completed with `outcome` and `value`.
    fn op(&mut self, p: u64, f: &str, invoked: &str, outcome: OpType, value: &str) -> &mut K {
        let (t0, t1) = (self.tick(), self.tick());
        self.b.invoke(t0, p, f, edn(invoked));
        self.b.op(t1, p, outcome, f, edn(value));
        self
    }

    /// An acknowledged send of `msg` to `key` at `offset`.
    fn send(&mut self, p: u64, key: &str, msg: i64, offset: i64) -> &mut K {
        let invoked = format!(r#"[[:send "{key}" {msg}]]"#);
        let done = format!(r#"[[:send "{key}" [{offset} {msg}]]]"#);
        self.op(p, "send", &invoked, OpType::Ok, &done)
    }

    /// A send that failed (`:fail`) or whose outcome is unknown (`:info`).
    fn send_unsure(&mut self, p: u64, key: &str, msg: i64, outcome: OpType) -> &mut K {
        let v = format!(r#"[[:send "{key}" {msg}]]"#);
        self.op(p, "send", &v, outcome, &v)
    }

    /// An :ok poll returning `polled`, an EDN map such as `{"a" [[0 1] [1 2]]}`.
    fn poll(&mut self, p: u64, polled: &str) -> &mut K {
        self.op(
            p,
            "poll",
            "[[:poll]]",
            OpType::Ok,
            &format!("[[:poll {polled}]]"),
        )
    }

    fn assign(&mut self, p: u64, keys: &str) -> &mut K {
        self.op(p, "assign", keys, OpType::Ok, keys)
    }

    fn check(&self) -> Edn {
        let nodes = ["n0".to_string(), "n1".to_string()];
        check(
            &self.b.build(),
            Placement {
                nodes: &nodes,
                concurrency: 4,
            },
        )
    }
}

fn types(result: &Edn) -> String {
    compact(result.get("error-types").unwrap_or(&Edn::Nil))
}

fn valid(result: &Edn) -> Edn {
    result.get("valid?").cloned().unwrap_or(Edn::Nil)
}

/// The first example of error type `kind`.
fn first_err(result: &Edn, kind: &str) -> Edn {
    match result.get(kind).and_then(|e| e.get("errs")) {
        Some(Edn::List(errs)) => errs.first().cloned().unwrap_or(Edn::Nil),
        _ => Edn::Nil,
    }
}

#[track_caller]
fn assert_rejected(k: &K, kind: &str) -> Edn {
    let result = k.check();
    assert_eq!(
        valid(&result),
        Edn::Bool(false),
        "{}",
        crate::edn::pretty(&result)
    );
    let bad = compact(result.get("bad-error-types").unwrap_or(&Edn::Nil));
    assert!(bad.contains(&format!(":{kind}")), "{kind} not in {bad}");
    result
}

/// A healthy run: two producers, a consumer that assigns, polls in order and sees everything.
fn healthy() -> K {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(1, "b", 1, 0)
        .send(0, "a", 2, 1)
        .assign(2, r#"["a" "b"]"#)
        .poll(2, r#"{"a" [[0 1] [1 2]], "b" [[0 1]]}"#)
        .send(1, "a", 3, 2)
        .poll(2, r#"{"a" [[2 3]], "b" []}"#);
    k
}

/// A healthy run is valid, with no error types, and says where its worst lag was.
#[test]
fn healthy_run_is_valid() {
    let result = healthy().check();
    assert_eq!(
        valid(&result),
        Edn::Bool(true),
        "{}",
        crate::edn::pretty(&result)
    );
    assert_eq!(types(&result), "()");
    assert_eq!(
        compact(&result),
        r#"{:valid? true, :worst-realtime-lag {:time 0.009, :process 2, :key "a", :lag 0.0}, :bad-error-types (), :error-types (), :info-txn-causes ()}"#
    );
}

/// Crashes, unknown sends, failed sends nobody saw, empty polls, re-assigns and offsets near
/// 10^12 are all fine when what was polled is consistent.
#[test]
fn messy_but_correct_run_is_valid() {
    let big = 1_000_000_000_000i64;
    let mut k = K::new();
    k.send(0, "a", 1, big)
        .send_unsure(1, "a", 2, OpType::Info)
        .send_unsure(1, "a", 3, OpType::Fail)
        .send(0, "a", 4, big + 7)
        .op(2, "crash", "nil", OpType::Info, "nil")
        .assign(6, r#"["a"]"#)
        .poll(6, r#"{"a" []}"#)
        .poll(6, r#"{"a" [[1000000000000 1] [1000000000003 2]]}"#)
        .assign(6, r#"["b"]"#)
        .assign(6, r#"["a"]"#)
        .poll(6, r#"{"a" [[1000000000007 4]]}"#);
    let result = k.check();
    assert_eq!(
        valid(&result),
        Edn::Bool(true),
        "{}",
        crate::edn::pretty(&result)
    );
    assert_eq!(types(&result), "()");
    assert_eq!(
        compact(result.get("info-txn-causes").unwrap_or(&Edn::Nil)),
        "(nil)"
    );
}

/// An allowed error type is reported but leaves the run valid: two sends in one transaction
/// with another producer's message between them.
#[test]
fn int_send_skip_is_reported_and_allowed() {
    let mut k = K::new();
    k.send(1, "a", 2, 1)
        .op(
            0,
            "send",
            r#"[[:send "a" 1] [:send "a" 3]]"#,
            OpType::Ok,
            r#"[[:send "a" [0 1]] [:send "a" [2 3]]]"#,
        )
        .poll(2, r#"{"a" [[0 1] [1 2] [2 3]]}"#);
    let result = k.check();
    assert_eq!(
        valid(&result),
        Edn::Bool(true),
        "{}",
        crate::edn::pretty(&result)
    );
    assert_eq!(types(&result), "(:int-send-skip)");
    let err = first_err(&result, "int-send-skip");
    assert_eq!(err.get("delta"), Some(&Edn::Int(2)));
    assert_eq!(err.get("skipped"), Some(&edn("(2)")));
}

/// :duplicate: one message at two offsets of a key.
#[test]
fn duplicate_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .poll(2, r#"{"a" [[0 1] [1 2] [2 1]]}"#);
    let result = assert_rejected(&k, "duplicate");
    let err = first_err(&result, "duplicate");
    assert_eq!(
        compact(&err.get("offsets").cloned().unwrap_or(Edn::Nil)),
        "[0 2]"
    );
    assert_eq!(
        err.get("explanation"),
        Some(&Edn::str(
            r#"message 1 appears at 2 offsets of key "a": 0, 2"#
        ))
    );
}

/// :inconsistent-offsets: two messages acknowledged at the same offset.
#[test]
fn inconsistent_offsets_are_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(1, "a", 2, 0)
        .poll(2, r#"{"a" [[0 1]]}"#);
    let result = assert_rejected(&k, "inconsistent-offsets");
    let err = first_err(&result, "inconsistent-offsets");
    assert_eq!(
        compact(&err),
        r#"{:key "a", :offset 0, :index 0, :values #{1 2}, :explanation "offset 0 of key \"a\" holds different messages: 1, 2"}"#
    );
}

/// Offset -2^63 is an offset like any other: two messages acknowledged there are inconsistent
/// (it once meant "no offset", and a node giving every message that offset passed).
#[test]
fn offset_minus_two_to_the_63_is_an_offset() {
    let mut k = K::new();
    k.send(0, "a", 1, i64::MIN)
        .send(1, "a", 2, i64::MIN)
        .poll(2, &format!(r#"{{"a" [[{} 1]]}}"#, i64::MIN));
    let result = assert_rejected(&k, "inconsistent-offsets");
    let err = first_err(&result, "inconsistent-offsets");
    assert_eq!(
        err.get("offset").map(compact),
        Some("-9223372036854775808".to_string())
    );
}

/// An offset beyond 64 bits is kept as written and makes the result :unknown, saying it is
/// out of range.
#[test]
fn offset_beyond_64_bits_is_out_of_range() {
    let mut k = K::new();
    k.op(
        0,
        "send",
        r#"[[:send "a" 1]]"#,
        OpType::Ok,
        r#"[[:send "a" [18446744073709551616N 1]]]"#,
    );
    let result = k.check();
    assert_eq!(valid(&result), Edn::kw("unknown"));
    let error = compact(result.get("error").unwrap_or(&Edn::Nil));
    assert!(
        error.contains("offset 18446744073709551616 is out of range"),
        "{error}"
    );
}

/// :lost-write: offset 1 was acknowledged, polls got past it, and none returned it.
#[test]
fn lost_write_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .send(0, "a", 3, 2)
        .assign(2, r#"["a"]"#)
        .poll(2, r#"{"a" [[0 1]]}"#)
        .assign(3, r#"["a"]"#)
        .poll(3, r#"{"a" [[2 3]]}"#);
    let result = assert_rejected(&k, "lost-write");
    let err = first_err(&result, "lost-write");
    assert_eq!(err.get("value"), Some(&Edn::Int(2)));
    assert_eq!(err.get("max-read-index"), Some(&Edn::Int(2)));
    assert_eq!(
        err.get("explanation"),
        Some(&Edn::str(
            r#"op 3 (process 0 on n0) sent message 2 to key "a", which got offset 1; op 13 (process 3 on n1) read up to offset 2, yet no :ok poll ever returned it"#
        ))
    );
    assert_eq!(
        err.get("writer").and_then(|w| w.get("node")),
        Some(&Edn::str("n0"))
    );
}

/// :unseen: an acknowledged message no poll ever returned, counted per key.
#[test]
fn unseen_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .poll(2, r#"{"a" [[0 1]]}"#);
    let result = assert_rejected(&k, "unseen");
    let unseen = result.get("unseen").cloned().unwrap_or(Edn::Nil);
    assert_eq!(
        compact(unseen.get("unseen").unwrap_or(&Edn::Nil)),
        r#"{"a" 1}"#
    );
    assert_eq!(
        compact(unseen.get("messages").unwrap_or(&Edn::Nil)),
        r#"{"a" (2)}"#
    );
    assert_eq!(unseen.get("time"), Some(&Edn::Int(6_000_000)));
}

/// :poll-skip: a consumer's next poll starts past an offset known to exist.
#[test]
fn poll_skip_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .send(0, "a", 3, 2)
        .poll(1, r#"{"a" [[1 2]]}"#)
        .poll(2, r#"{"a" [[0 1]]}"#)
        .poll(2, r#"{"a" [[2 3]]}"#);
    let result = assert_rejected(&k, "poll-skip");
    let err = first_err(&result, "poll-skip");
    assert_eq!(err.get("delta"), Some(&Edn::Int(2)));
    assert_eq!(err.get("skipped"), Some(&edn("(2)")));
    assert_eq!(
        err.get("explanation"),
        Some(&Edn::str(
            r#"op 9 (process 2 on n0) polled key "a" up to offset 0, then op 11 (process 2 on n0) polled it from offset 2, skipping 1 message known to exist"#
        ))
    );
}

/// :nonmonotonic-poll: a consumer's next poll goes back to an offset it already passed; an
/// assign in between would have excused it.
#[test]
fn nonmonotonic_poll_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .poll(2, r#"{"a" [[0 1] [1 2]]}"#)
        .poll(2, r#"{"a" [[0 1] [1 2]]}"#);
    let result = assert_rejected(&k, "nonmonotonic-poll");
    assert_eq!(
        first_err(&result, "nonmonotonic-poll").get("delta"),
        Some(&Edn::Int(-1))
    );

    let mut excused = K::new();
    excused
        .send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .poll(2, r#"{"a" [[0 1] [1 2]]}"#)
        .op(2, "assign", r#"["a"]"#, OpType::Ok, r#"["b"]"#)
        .poll(2, r#"{"a" [[0 1] [1 2]]}"#);
    assert_eq!(types(&excused.check()), "()");
}

/// :int-poll-skip: one poll jumps over an offset known to exist.
#[test]
fn int_poll_skip_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0).send(0, "a", 2, 1).send(0, "a", 3, 2);
    k.poll(1, r#"{"a" [[1 2]]}"#)
        .poll(2, r#"{"a" [[0 1] [2 3]]}"#);
    let result = assert_rejected(&k, "int-poll-skip");
    let err = first_err(&result, "int-poll-skip");
    assert_eq!(compact(err.get("values").unwrap_or(&Edn::Nil)), "[1 3]");
    assert_eq!(
        err.get("op").and_then(|o| o.get("index")),
        Some(&Edn::Int(9))
    );
}

/// :int-nonmonotonic-poll: one poll returns offsets out of order.
#[test]
fn int_nonmonotonic_poll_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .poll(2, r#"{"a" [[1 2] [0 1]]}"#);
    let result = assert_rejected(&k, "int-nonmonotonic-poll");
    assert_eq!(
        first_err(&result, "int-nonmonotonic-poll").get("delta"),
        Some(&Edn::Int(-1))
    );
}

/// :nonmonotonic-send: a producer's second send got a lower offset than its first.
#[test]
fn nonmonotonic_send_is_rejected() {
    let mut k = K::new();
    k.send(0, "a", 1, 1)
        .send(0, "a", 2, 0)
        .poll(2, r#"{"a" [[0 2] [1 1]]}"#);
    let result = assert_rejected(&k, "nonmonotonic-send");
    let err = first_err(&result, "nonmonotonic-send");
    assert_eq!(compact(err.get("values").unwrap_or(&Edn::Nil)), "[1 2]");
    assert_eq!(err.get("delta"), Some(&Edn::Int(-1)));
}

/// :int-nonmonotonic-send: one transaction's sends go backwards.
#[test]
fn int_nonmonotonic_send_is_rejected() {
    let mut k = K::new();
    k.op(
        0,
        "send",
        r#"[[:send "a" 1] [:send "a" 2]]"#,
        OpType::Ok,
        r#"[[:send "a" [1 1]] [:send "a" [0 2]]]"#,
    )
    .poll(2, r#"{"a" [[0 2] [1 1]]}"#);
    assert_rejected(&k, "int-nonmonotonic-send");
}

/// :G1a: a poll returned a message whose send failed.
#[test]
fn aborted_read_is_rejected() {
    let mut k = K::new();
    k.send_unsure(0, "a", 9, OpType::Fail)
        .poll(2, r#"{"a" [[0 9]]}"#);
    let result = assert_rejected(&k, "G1a");
    let err = first_err(&result, "G1a");
    assert_eq!(
        err.get("reader").and_then(|o| o.get("index")),
        Some(&Edn::Int(3))
    );
    assert_eq!(
        err.get("writer").and_then(|o| o.get("index")),
        Some(&Edn::Int(1))
    );
}

/// :precommitted-read: a transaction polled the message it was sending.
#[test]
fn precommitted_read_is_rejected() {
    let mut k = K::new();
    k.op(
        0,
        "txn",
        r#"[[:send "a" 1] [:poll]]"#,
        OpType::Ok,
        r#"[[:send "a" [0 1]] [:poll {"a" [[0 1]]}]]"#,
    )
    .poll(2, r#"{"a" [[0 1]]}"#);
    let result = assert_rejected(&k, "precommitted-read");
    assert_eq!(
        first_err(&result, "precommitted-read").get("value"),
        Some(&Edn::Int(1))
    );
}

/// G1c-realtime: a poll returned a message whose send was invoked after the poll completed;
/// the cycle is explained edge by edge.
#[test]
fn read_from_the_future_is_a_g1c_realtime_cycle() {
    let mut k = K::new();
    k.poll(2, r#"{"a" [[0 7]]}"#).send(0, "a", 7, 0);
    let result = assert_rejected(&k, "G1c-realtime");
    assert_eq!(types(&result), "(:G1c-realtime :strong-PL-2-cycle-exists)");
    let cycle = first_err(&result, "G1c-realtime");
    assert_eq!(
        compact(cycle.get("explanation").unwrap_or(&Edn::Nil)),
        r#"["T1 = op 3 (process 0 on n0): [[:send \"a\" [0 7]]]" "T2 = op 1 (process 2 on n0): [[:poll {\"a\" [[0 7]]}]]" "T1 < T2, because T1 sent 7 to key \"a\" at offset 0, which T2 polled." "However, T2 < T1, because T2 completed at index 1, 0.001 seconds before the invocation of T1, at index 2: a contradiction!"]"#
    );
    let exists = first_err(&result, "strong-PL-2-cycle-exists");
    assert_eq!(exists.get("not"), Some(&Edn::kw("strong-read-committed")));
}

/// A history with no send or poll has no dependency graph at all, which Elle reports.
#[test]
fn empty_graph_is_reported() {
    let mut k = K::new();
    k.assign(0, r#"["a"]"#);
    let result = assert_rejected(&k, "empty-transaction-graph");
    assert_eq!(
        compact(result.get("empty-transaction-graph").unwrap_or(&Edn::Nil)),
        "{:count 1, :errs true}"
    );
}

/// A poll returning a message nobody sent cannot be analysed: :unknown, naming the op.
#[test]
fn message_nobody_sent_is_unknown() {
    let mut k = K::new();
    k.send(0, "a", 1, 0).poll(2, r#"{"a" [[0 1] [1 99]]}"#);
    let result = k.check();
    assert_eq!(valid(&result), Edn::kw("unknown"));
    assert_eq!(
        result.get("error"),
        Some(&Edn::str(
            r#"op 3 (process 2 on n0) polled message 99 at offset 1 of key "a", which no op sent"#
        ))
    );
}

/// Realtime lag: a consumer at offset 0 polling 30 ms after offset 1 was acknowledged lags
/// 30 ms; :info causes list each distinct error once.
#[test]
fn worst_realtime_lag_and_info_causes() {
    let mut k = K::new();
    k.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .assign(2, r#"["a"]"#);
    k.b.invoke(10, 1, "send", edn(r#"[[:send "a" 3]]"#));
    k.b.op(11, 1, OpType::Info, "send", edn(r#"[[:send "a" 3]]"#))
        .error = Some(Edn::kw("net-timeout"));
    k.b.invoke(34, 2, "poll", edn("[[:poll]]"));
    k.b.ok(35, 2, "poll", edn(r#"[[:poll {"a" [[0 1]]}]]"#));
    k.ms = 35;
    k.poll(2, r#"{"a" [[1 2]]}"#);
    let result = k.check();
    assert_eq!(
        compact(result.get("worst-realtime-lag").unwrap_or(&Edn::Nil)),
        r#"{:time 0.034, :process 2, :key "a", :lag 0.03}"#
    );
    assert_eq!(
        compact(result.get("info-txn-causes").unwrap_or(&Edn::Nil)),
        "(:net-timeout)"
    );
}
