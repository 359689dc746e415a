//! The txn checkers on hand-made histories: for each anomaly type one history it must be found
//! in, and histories that must pass.

use super::*;
use crate::checker::test_support::{edn, Builder};
use crate::history::OpType;

/// Builds histories of `:txn` ops from their completions (requests get `nil` reads).
struct Hist {
    b: Builder,
    ms: u64,
}

impl Hist {
    fn new() -> Hist {
        Hist {
            b: Builder::new(),
            ms: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.ms += 1;
        self.ms
    }

    /// One transaction of `process`, invoked after everything before it completed.
    fn run(&mut self, process: u64, op_type: OpType, done: &str) -> &mut Self {
        let done = edn(done);
        let (t1, t2) = (self.tick(), self.tick());
        self.b
            .op(t1, process, OpType::Invoke, "txn", request(&done));
        self.b.op(t2, process, op_type, "txn", done);
        self
    }

    fn ok(&mut self, process: u64, done: &str) -> &mut Self {
        self.run(process, OpType::Ok, done)
    }

    /// Transactions that all run at once (no realtime or process order between them).
    fn concurrent(&mut self, txns: &[(u64, &str)]) -> &mut Self {
        for (p, done) in txns {
            let t = self.tick();
            self.b.op(t, *p, OpType::Invoke, "txn", request(&edn(done)));
        }
        for (p, done) in txns {
            let t = self.tick();
            self.b.op(t, *p, OpType::Ok, "txn", edn(done));
        }
        self
    }

    fn build(&self) -> History {
        self.b.build()
    }
}

/// The request a completion answers: the same micro-ops with reads left `nil`.
fn request(done: &Edn) -> Edn {
    match done {
        Edn::Vector(mops) => Edn::Vector(
            mops.iter()
                .map(|mop| match mop {
                    Edn::Vector(p) if p.first() == Some(&Edn::kw("r")) => {
                        Edn::Vector(vec![p[0].clone(), p[1].clone(), Edn::Nil].into())
                    }
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn opts(model: &str) -> Options<'static> {
    Options {
        consistency_models: vec![model.to_string()],
        ..Options::default()
    }
}

fn rw(history: &History, model: &str) -> Edn {
    check_rw_register(history, &opts(model))
}

fn la(history: &History, model: &str) -> Edn {
    check_list_append(history, &opts(model))
}

/// The `:anomaly-types` of a result, as names.
fn types(result: &Edn) -> Vec<String> {
    match result.get("anomaly-types") {
        Some(Edn::List(types)) => types
            .iter()
            .map(|t| match t {
                Edn::Keyword(k) => k.to_string(),
                other => crate::edn::compact(other),
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[track_caller]
fn assert_found(result: &Edn, kind: &str) {
    assert_eq!(
        result.get("valid?"),
        Some(&Edn::Bool(false)),
        "{}",
        crate::edn::compact(result)
    );
    assert!(
        types(result).iter().any(|t| t == kind),
        "{kind} not in {}",
        crate::edn::compact(result)
    );
}

#[track_caller]
fn assert_valid(result: &Edn) {
    assert_eq!(
        result.get("valid?"),
        Some(&Edn::Bool(true)),
        "{}",
        crate::edn::compact(result)
    );
}

/// The `:explanation` lines of the first example of `kind`.
fn explanation(result: &Edn, kind: &str) -> String {
    let first = match result.get("anomalies").and_then(|a| a.get(kind)) {
        Some(Edn::Vector(cases)) => cases.first().cloned().unwrap_or(Edn::Nil),
        _ => Edn::Nil,
    };
    match first.get("explanation") {
        Some(Edn::Str(s)) => s.to_string(),
        Some(Edn::Vector(lines)) => lines
            .iter()
            .map(|l| match l {
                Edn::Str(s) => s.to_string(),
                other => crate::edn::compact(other),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

// ---- rw-register ----

/// A serial history that reads what was last written passes even under strict
/// serializability, with Maelstrom's clean result shape.
#[test]
fn rw_serial_history_is_valid() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1] [:w 2 1]]")
        .ok(1, "[[:r 1 1] [:w 1 2]]")
        .ok(0, "[[:r 1 2] [:r 2 1] [:w 2 2]]")
        .ok(1, "[[:r 2 2] [:r 3 nil]]")
        .build();
    let result = rw(&h, "strict-serializable");
    assert_eq!(
        crate::edn::compact(&result),
        "{:valid? true, :anomaly-types (), :anomalies nil}"
    );
}

/// Two transactions that each read the other's write are a wr cycle: G1c, prohibited by
/// read committed, allowed by read uncommitted; each edge is explained with key and value.
#[test]
fn rw_g1c_is_found_under_read_committed() {
    let h = Hist::new()
        .concurrent(&[(0, "[[:w 1 1] [:r 2 2]]"), (1, "[[:w 2 2] [:r 1 1]]")])
        .build();
    let result = rw(&h, "read-committed");
    assert_found(&result, "G1c");
    // The PL-2-cycle-exists case the G1c cycle explains is not reported beside it.
    assert_eq!(types(&result), ["G1c"]);
    let text = explanation(&result, "G1c");
    assert!(text.contains("wrote key 1 = 1, which T2 read"), "{text}");
    assert!(text.contains("wrote key 2 = 2, which T1 read"), "{text}");
    assert!(text.contains("process 0"), "{text}");
    assert_eq!(
        result.get("not"),
        Some(&Edn::Set(vec![Edn::kw("read-committed")].into()))
    );
    assert_valid(&rw(&h, "read-uncommitted"));
}

/// Reading a failed transaction's write is G1a (aborted read).
#[test]
fn rw_g1a_aborted_read() {
    let h = Hist::new()
        .run(0, OpType::Fail, "[[:w 1 5]]")
        .ok(1, "[[:r 1 5]]")
        .build();
    let result = rw(&h, "read-committed");
    assert_found(&result, "G1a");
    assert!(explanation(&result, "G1a").contains("failed"));
}

/// Reading a value its writer overwrote in the same transaction is G1b (intermediate read).
#[test]
fn rw_g1b_intermediate_read() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1] [:w 1 2]]")
        .ok(1, "[[:r 1 1]]")
        .build();
    assert_found(&rw(&h, "read-committed"), "G1b");
}

/// A read disagreeing with the transaction's own write is internal, prohibited by
/// serializable but not by read committed.
#[test]
fn rw_internal_inconsistency() {
    let h = Hist::new()
        .ok(0, "[[:w 1 2]]")
        .ok(1, "[[:w 1 1] [:r 1 2]]")
        .build();
    let result = rw(&h, "serializable");
    assert_found(&result, "internal");
    assert!(explanation(&result, "internal").contains("own earlier micro-ops left it at 1"));
    assert!(!types(&rw(&h, "read-committed")).contains(&"internal".to_string()));
}

/// Two transactions that read x = 1 and both wrote x: a lost update, and the G2-item cycle it
/// makes; forbidden by repeatable read.
#[test]
fn rw_lost_update() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1]]")
        .concurrent(&[(1, "[[:r 1 1] [:w 1 2]]"), (2, "[[:r 1 1] [:w 1 3]]")])
        .build();
    let result = rw(&h, "repeatable-read");
    assert_found(&result, "lost-update");
    assert_found(&result, "G2-item");
    assert!(explanation(&result, "G2-item").contains("which came later in the version order"));
}

/// Read skew: one anti-dependency and one wr edge, G-single-item, forbidden by snapshot
/// isolation.
#[test]
fn rw_g_single_read_skew() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1] [:w 2 1]]")
        .concurrent(&[
            (1, "[[:r 1 1] [:r 2 2]]"),
            (2, "[[:r 1 1] [:w 1 2] [:r 2 1] [:w 2 2]]"),
        ])
        .build();
    assert_found(&rw(&h, "snapshot-isolation"), "G-single-item");
    assert_valid(&rw(&h, "read-committed"));
}

/// Write skew: two adjacent anti-dependencies, G2-item, forbidden by serializable but allowed by
/// snapshot isolation.
#[test]
fn rw_g2_item_write_skew() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1] [:w 2 1]]")
        .concurrent(&[
            (1, "[[:r 1 1] [:r 2 1] [:w 1 2]]"),
            (2, "[[:r 1 1] [:r 2 1] [:w 2 2]]"),
        ])
        .build();
    assert_found(&rw(&h, "serializable"), "G2-item");
    assert_valid(&rw(&h, "snapshot-isolation"));
}

/// Anti-dependencies separated by wr edges: G-nonadjacent-item, forbidden by snapshot isolation.
#[test]
fn rw_g_nonadjacent() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1] [:w 2 1]]")
        .concurrent(&[
            (1, "[[:r 1 1] [:r 4 2]]"),
            (2, "[[:r 1 1] [:w 1 2] [:w 3 2]]"),
            (3, "[[:r 3 2] [:r 2 1]]"),
            (4, "[[:r 2 1] [:w 2 2] [:w 4 2]]"),
        ])
        .build();
    assert_found(&rw(&h, "snapshot-isolation"), "G-nonadjacent-item");
}

/// A stale read after a completed write: G-single-item-realtime, allowed by serializable and
/// forbidden by strict serializable.
#[test]
fn rw_stale_read_is_a_realtime_anomaly() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1]]")
        .ok(1, "[[:r 1 nil]]")
        .build();
    let result = rw(&h, "strict-serializable");
    assert_found(&result, "G-single-item-realtime");
    assert!(explanation(&result, "G-single-item-realtime").contains("before the invocation"));
    assert_valid(&rw(&h, "serializable"));
}

/// A process that does not see its own earlier write: G-single-item-process, forbidden by
/// strong session serializable (the process order is only built for such models), allowed by
/// serializable.
#[test]
fn rw_stale_read_in_one_process_is_a_process_anomaly() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1]]")
        .ok(1, "[[:r 1 1]]")
        .ok(0, "[[:r 1 nil]]")
        .build();
    let result = rw(&h, "strong-session-serializable");
    assert_found(&result, "G-single-item-process");
    assert!(explanation(&result, "G-single-item-process").contains("process 0 executed T"));
    assert_valid(&rw(&h, "serializable"));
}

/// Writes-follow-reads that contradict each other: cyclic versions, forbidden even by read
/// uncommitted.
#[test]
fn rw_cyclic_versions() {
    let h = Hist::new()
        .ok(0, "[[:w 1 1] [:w 2 1]]")
        .concurrent(&[
            (1, "[[:r 1 1] [:w 1 2] [:r 2 3] [:w 2 4]]"),
            (2, "[[:r 1 2] [:w 1 3] [:r 2 4] [:w 2 3]]"),
        ])
        .build();
    let result = rw(&h, "read-uncommitted");
    assert_found(&result, "cyclic-versions");
    assert!(explanation(&result, "cyclic-versions").contains("wfr-keys"));
}

/// The dirty write of Maelstrom's G0 report (two transactions whose writes to key 0
/// interleave): Maelstrom's settings see no order between the writers and pass it; with
/// `mop_versions` it is G0, forbidden by read uncommitted.
#[test]
fn rw_g0_blind_spot_and_mop_versions() {
    let h = Hist::new()
        .concurrent(&[
            (
                0,
                "[[:w 0 1] [:r 0 1] [:r 0 10] [:w 0 2] [:w 0 3] [:r 0 3]]",
            ),
            (1, "[[:r 0 1] [:w 0 10] [:r 0 3] [:w 0 11]]"),
        ])
        .ok(2, "[[:r 0 11]]")
        .build();
    assert_valid(&rw(&h, "read-uncommitted"));
    let mut o = opts("read-uncommitted");
    o.mop_versions = true;
    let result = check_rw_register(&h, &o);
    assert_eq!(types(&result), ["G0"]);
    assert_found(&result, "G0");
    let text = explanation(&result, "G0");
    assert!(
        text.contains("set key 0 to 1, and T2 set it to 10"),
        "{text}"
    );
    // A correct single-node history keeps its verdict with the option on.
    let ok = Hist::new()
        .ok(0, "[[:w 0 1] [:r 0 1] [:w 0 2]]")
        .concurrent(&[(1, "[[:r 0 2] [:w 0 3]]"), (2, "[[:w 1 1] [:w 1 2]]")])
        .ok(0, "[[:r 0 3] [:w 0 4] [:r 1 2] [:w 1 5]]")
        .build();
    let mut strict = opts("strict-serializable");
    strict.mop_versions = true;
    assert_valid(&check_rw_register(&ok, &strict));
}

/// Without any dependency (one transaction, no realtime order asked for) the graph is empty:
/// Maelstrom's rw-register wrapper makes that invalid, Elle's list-append result unknown.
#[test]
fn empty_transaction_graph() {
    let h = Hist::new().ok(0, "[[:w 1 1]]").build();
    let result = rw(&h, "read-uncommitted");
    assert_eq!(types(&result), ["empty-transaction-graph"]);
    assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
    let h = Hist::new().ok(0, "[[:append 1 1]]").build();
    assert_eq!(
        la(&h, "read-uncommitted").get("valid?"),
        Some(&Edn::kw("unknown"))
    );
}

/// An unknown model name is an unknown result that names it.
#[test]
fn unknown_model_is_reported() {
    let h = Hist::new().ok(0, "[[:w 1 1]]").build();
    let result = rw(&h, "snapshot");
    assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
    assert!(crate::edn::compact(&result).contains("\\\"snapshot\\\""));
}

// ---- list-append ----

/// Reads that grow by the appends before them pass under strict serializability.
#[test]
fn la_serial_history_is_valid() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1] [:r 1 [1]]]")
        .ok(1, "[[:r 1 [1]] [:append 1 2] [:append 2 1]]")
        .ok(0, "[[:r 2 [1]] [:r 1 [1 2]] [:r 3 nil]]")
        .build();
    assert_eq!(
        crate::edn::compact(&la(&h, "strict-serializable")),
        "{:valid? true}"
    );
}

/// Appends to two keys in opposite orders: a ww cycle, G0, forbidden by read uncommitted.
#[test]
fn la_g0_write_cycle() {
    let h = Hist::new()
        .concurrent(&[
            (0, "[[:append 1 1] [:append 2 2]]"),
            (1, "[[:append 1 2] [:append 2 1]]"),
        ])
        .ok(2, "[[:r 1 [1 2]] [:r 2 [1 2]]]")
        .build();
    let result = la(&h, "read-uncommitted");
    assert_found(&result, "G0");
    assert!(explanation(&result, "G0").contains("appended 2 right after it"));
}

/// A wr cycle over lists is G1c.
#[test]
fn la_g1c() {
    let h = Hist::new()
        .concurrent(&[
            (0, "[[:append 1 1] [:r 2 [1]]]"),
            (1, "[[:append 2 1] [:r 1 [1]]]"),
        ])
        .build();
    let result = la(&h, "read-committed");
    assert_found(&result, "G1c");
    assert!(explanation(&result, "G1c").contains("which T2 observed"));
}

/// Two reads that are not prefixes of one another: incompatible order.
#[test]
fn la_incompatible_order() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1]]")
        .concurrent(&[(1, "[[:append 1 2]]"), (2, "[[:append 1 3]]")])
        .ok(0, "[[:r 1 [1 2]]]")
        .ok(1, "[[:r 1 [1 3]]]")
        .build();
    let result = la(&h, "read-committed");
    assert_found(&result, "incompatible-order");
    assert!(explanation(&result, "incompatible-order").contains("[1 2] and as [1 3]"));
}

/// An element seen twice in one read: duplicate elements, forbidden by read uncommitted.
#[test]
fn la_duplicate_elements() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1]]")
        .ok(1, "[[:r 1 [1 1]]]")
        .build();
    assert_found(&la(&h, "read-uncommitted"), "duplicate-elements");
}

/// A committed append right after a failed one in the version order: dirty update (and the
/// aborted read that shows it), forbidden by read committed.
#[test]
fn la_dirty_update_and_g1a() {
    let h = Hist::new()
        .run(0, OpType::Fail, "[[:append 1 1]]")
        .ok(1, "[[:append 1 2]]")
        .ok(2, "[[:r 1 [1 2]]]")
        .build();
    let result = la(&h, "read-committed");
    assert_found(&result, "dirty-update");
    assert_found(&result, "G1a");
}

/// A read ending in an element its appender followed with another: G1b.
#[test]
fn la_g1b() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1] [:append 1 2]]")
        .ok(1, "[[:r 1 [1]]]")
        .build();
    assert_found(&la(&h, "read-committed"), "G1b");
}

/// A read disagreeing with the transaction's own append is internal; reading an element before
/// appending it is a future read.
#[test]
fn la_internal_and_future_read() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1] [:r 1 [2]]]")
        .ok(1, "[[:r 2 [5]] [:append 2 5]]")
        .build();
    let result = la(&h, "serializable");
    assert_found(&result, "internal");
    assert!(explanation(&result, "internal").contains("should end with [1]"));
    assert_found(&la(&h, "read-committed"), "future-read");
}

/// Two transactions that read the same list and both appended: a lost update.
#[test]
fn la_lost_update() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1]]")
        .concurrent(&[
            (1, "[[:r 1 [1]] [:append 1 2]]"),
            (2, "[[:r 1 [1]] [:append 1 3]]"),
        ])
        .ok(0, "[[:r 1 [1 2 3]]]")
        .build();
    assert_found(&la(&h, "repeatable-read"), "lost-update");
}

/// A read answered as an append (the request asked to read key 1, the reply claims an append):
/// Maelstrom's checker reads only replies and accepts it; ours rejects it at every model.
#[test]
fn la_read_returned_as_append_is_rejected() {
    let mut b = Builder::new();
    b.op(1, 0, OpType::Invoke, "txn", edn("[[:r 1 nil]]"));
    b.op(2, 0, OpType::Ok, "txn", edn("[[:append 1 5]]"));
    b.op(3, 1, OpType::Invoke, "txn", edn("[[:r 1 nil]]"));
    b.op(4, 1, OpType::Ok, "txn", edn("[[:r 1 [5]]]"));
    let h = b.build();
    let result = la(&h, "read-uncommitted");
    assert_found(&result, "mismatched-txn");
    let text = explanation(&result, "mismatched-txn");
    assert!(
        text.contains("requested as [:r 1 nil] but answered as [:append 1 5]"),
        "{text}"
    );
}

/// A micro-op that is not [f k v] cannot be analysed: it is named, and the reply rejected.
#[test]
fn malformed_micro_op_is_named() {
    let mut b = Builder::new();
    b.op(1, 0, OpType::Invoke, "txn", edn("[[:r 1 nil]]"));
    b.op(2, 0, OpType::Ok, "txn", edn("[[:read 1]]"));
    let result = rw(&b.build(), "read-uncommitted");
    assert_found(&result, "mismatched-txn");
    assert!(explanation(&result, "mismatched-txn").contains("[:read 1]"));
}

/// A list-append read whose value is not a list of integers is named and rejected; in
/// rw-register an integer read is a value, but a string is rejected (the workloads write
/// integers only), and it makes an otherwise valid history invalid.
#[test]
fn list_read_of_a_number_is_rejected() {
    let h = Hist::new()
        .ok(0, "[[:append 1 1]]")
        .ok(1, "[[:r 1 1]]")
        .build();
    let result = la(&h, "read-uncommitted");
    assert_found(&result, "mismatched-txn");
    assert!(explanation(&result, "mismatched-txn").contains("not a list"));
    let h = Hist::new()
        .ok(0, "[[:append 1 1]]")
        .ok(1, "[[:r 1 [1 \"x\"]]]")
        .build();
    assert_found(&la(&h, "read-uncommitted"), "mismatched-txn");
    let h = Hist::new().ok(0, "[[:w 1 1]]").ok(1, "[[:r 1 1]]").build();
    assert_eq!(
        rw(&h, "read-uncommitted").get("valid?"),
        Some(&Edn::Bool(true))
    );
    let h = Hist::new()
        .ok(0, "[[:w 1 1]]")
        .ok(1, "[[:r 1 1]]")
        .ok(2, "[[:r 1 \"x\"]]")
        .build();
    let result = rw(&h, "read-uncommitted");
    assert_found(&result, "mismatched-txn");
    assert!(
        explanation(&result, "mismatched-txn").contains("not an integer or nil"),
        "{}",
        explanation(&result, "mismatched-txn")
    );
    assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
}
