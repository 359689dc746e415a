//! More cases of Jepsen's kafka tests (`jepsen/test/jepsen/tests/kafka_test.clj`, jepsen
//! 0.3.7), beside `jepsen_cases`: the same hand-made histories must give the same errors.
//! `checker/txn/ELLE_CASES.md` lists which of that file's tests are ported and which are not.

use super::*;
use crate::checker::test_support::{edn, Builder};
use crate::edn::compact;
use crate::history::OpType;
use OpType::{Info, Invoke, Ok as Done};

fn analyse(rows: &[(u64, OpType, &str, &str)]) -> Edn {
    let mut b = Builder::new();
    for (i, (p, t, f, v)) in rows.iter().enumerate() {
        b.op(i as u64, *p, *t, f, edn(v));
    }
    check(&b.build(), Placement::default())
}

fn errs(result: &Edn, kind: &str) -> Vec<Edn> {
    match result.get(kind).and_then(|e| e.get("errs")) {
        Some(Edn::List(errs)) => errs.to_vec(),
        _ => Vec::new(),
    }
}

/// empty-history-test: a history with nothing but an assign is not valid.
#[test]
fn empty_history_is_not_valid() {
    let r = analyse(&[(0, Invoke, "assign", "[:x]"), (0, Done, "assign", "[:x]")]);
    assert_ne!(r.get("valid?"), Some(&Edn::Bool(true)), "{}", compact(&r));
}

/// precommitted-read-test: a transaction polls the message it is sending itself.
#[test]
fn precommitted_read() {
    let r = analyse(&[
        (0, Invoke, "txn", "[[:send :x :a] [:poll]]"),
        (0, Done, "txn", "[[:send :x [0 :a]] [:poll {:x [[0 :a]]}]]"),
    ]);
    let found = errs(&r, "precommitted-read");
    assert_eq!(found.len(), 1, "{}", compact(&r));
    assert_eq!(found[0].get("key"), Some(&Edn::kw("x")));
    assert_eq!(found[0].get("value"), Some(&Edn::kw("a")));
    assert_eq!(
        found[0].get("op").and_then(|op| op.get("index")),
        Some(&Edn::Int(1))
    );
}

/// version-orders-test: a poll reads a at 0 and b at 1; a crashed transaction that sent c at 1,
/// b at 3 and d at 4 is proven committed by the read of b, so offset 1 holds both b and c.
/// (Jepsen's test calls its version-order function alone, with a's send taken as given; through
/// the whole checker a polled message must have been sent, so a's send comes first.)
#[test]
fn version_orders_conflict_at_one_offset() {
    let r = analyse(&[
        (2, Invoke, "send", "[[:send :x :a]]"),
        (2, Done, "send", "[[:send :x [0 :a]]]"),
        (0, Invoke, "txn", "[[:poll]]"),
        (0, Done, "txn", "[[:poll {:x [[0 :a] [1 :b]]}]]"),
        (
            1,
            Invoke,
            "txn",
            "[[:send :x :c] [:send :x :b] [:send :x :d]]",
        ),
        (
            1,
            Info,
            "txn",
            "[[:send :x [1 :c]] [:send :x [3 :b]] [:send :x [4 :d]]]",
        ),
    ]);
    let found = errs(&r, "inconsistent-offsets");
    let mut rows: Vec<String> = found
        .iter()
        .map(|e| {
            ["key", "offset", "values"]
                .iter()
                .map(|k| compact(e.get(k).unwrap_or(&Edn::Nil)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    rows.sort();
    assert_eq!(rows, [":x 1 #{:b :c}"], "{}", compact(&r));
}
