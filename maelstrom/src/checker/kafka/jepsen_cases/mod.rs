//! The cases of Jepsen's own kafka tests (`jepsen/test/jepsen/tests/kafka_test.clj`), run
//! through this checker: the same hand-made histories must give the same errors. Jepsen's
//! helper `o` makes an op from (index, process, type, f, value); here the index is the op's
//! position and its time that many milliseconds.

mod across_ops;
mod within_ops;

use super::*;
use crate::checker::test_support::{edn, Builder};
use crate::edn::compact;
use crate::history::OpType;

/// A history from Jepsen-style rows: (process, type, f, value).
fn history(rows: &[(u64, OpType, &str, &str)]) -> History {
    let mut b = Builder::new();
    for (i, (p, t, f, v)) in rows.iter().enumerate() {
        b.op(i as u64, *p, *t, f, edn(v));
    }
    b.build()
}

fn analyse(rows: &[(u64, OpType, &str, &str)]) -> Edn {
    check(&history(rows), Placement::default())
}

/// The examples of error type `kind` (every one of them, in these small cases).
fn errs(result: &Edn, kind: &str) -> Vec<Edn> {
    match result.get(kind).and_then(|e| e.get("errs")) {
        Some(Edn::List(errs)) => errs.to_vec(),
        _ => Vec::new(),
    }
}

/// Selected keys of each example, printed: `[[:key :x] [:value :a]]`-like rows for asserts.
fn pick(errs: &[Edn], keys: &[&str]) -> Vec<String> {
    errs.iter()
        .map(|e| {
            keys.iter()
                .map(|k| compact(e.get(k).unwrap_or(&Edn::Nil)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The history index of the op at `key` in an example (`:writer`, `:op`, ...).
fn index_of(e: &Edn, key: &str) -> String {
    compact(
        e.get(key)
            .and_then(|op| op.get("index"))
            .unwrap_or(&Edn::Nil),
    )
}

use OpType::{Fail, Info, Invoke, Ok as Done};

/// duplicate-test: a message at two offsets; with ten messages each sent at 0 and polled at
/// 1, all ten are duplicates and both offsets inconsistent; a failed send's message is not.
#[test]
fn duplicates() {
    let basic = analyse(&[
        (0, Invoke, "send", "[[:send :x :a]]"),
        (0, Done, "send", "[[:send :x [1 :a]]]"),
        (1, Invoke, "send", "[[:send :x :b]]"),
        (1, Info, "send", "[[:send :x :b]]"),
        (2, Invoke, "poll", "[[:poll]]"),
        (2, Done, "poll", "[[:poll {:x [[2 :b] [3 :a]]}]]"),
    ]);
    assert_eq!(
        pick(
            &errs(&basic, "duplicate"),
            &["key", "value", "count", "offsets"]
        ),
        [":x :a 2 [1 3]"]
    );

    let texts: Vec<(String, String)> = (0..10)
        .map(|v| {
            (
                format!("[[:send :x [0 {v}]]]"),
                format!("[[:poll {{:x [[1 {v}]]}}]]"),
            )
        })
        .collect();
    let mut rows = Vec::new();
    for (send, poll) in &texts {
        rows.push((0, Invoke, "send", "[[:send :x 0]]"));
        rows.push((0, Done, "send", send.as_str()));
        rows.push((1, Invoke, "poll", "[[:poll]]"));
        rows.push((1, Done, "poll", poll.as_str()));
    }
    let spam = analyse(&rows);
    assert_eq!(
        compact(
            spam.get("duplicate")
                .and_then(|d| d.get("count"))
                .unwrap_or(&Edn::Nil)
        ),
        "10"
    );
    assert_eq!(
        pick(
            &errs(&spam, "inconsistent-offsets"),
            &["offset", "index", "values"]
        ),
        ["0 0 #{0 1 2 3 4 5 6 7 8 9}", "1 1 #{0 1 2 3 4 5 6 7 8 9}"]
    );

    let aborted = analyse(&[
        (0, Invoke, "send", "[[:send :x 0]]"),
        (0, Done, "send", "[[:send :x [1 0]]]"),
        (0, Invoke, "send", "[[:send :x 1]]"),
        (0, Fail, "send", "[[:send :x [2 1]]]"),
        (1, Invoke, "poll", "[[:poll]]"),
        (1, Fail, "poll", "[[:poll {:x [[11 0] [12 1]]}]]"),
    ]);
    assert_eq!(
        pick(
            &errs(&aborted, "duplicate"),
            &["key", "value", "count", "offsets"]
        ),
        [":x 0 2 [1 11]"]
    );
}

/// realtime-lag-test: the worst lag is the poll invoked at 22 that had fallen back to offset
/// -1 of x after being assigned away and back, 17 after offset 0 was acknowledged.
#[test]
fn worst_realtime_lag() {
    let r = analyse(&[
        (0, Invoke, "assign", "[:x]"),
        (0, Done, "assign", "[:x]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x []}]]"),
        (0, Invoke, "send", "[[:send :x :a]]"),
        (0, Done, "send", "[[:send :x [0 :a]]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x []}]]"),
        (1, Invoke, "send", "[[:send :x :c] [:send :x :d]]"),
        (1, Done, "send", "[[:send :x [2 :c]] [:send :x [3 :d]]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[0 :a] [1 :b]]}]]"),
        (0, Invoke, "assign", "[:x :y]"),
        (0, Done, "assign", "[:x :y]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {}]]"),
        (0, Invoke, "assign", "[:y]"),
        (0, Done, "assign", "[:y]"),
        (0, Invoke, "assign", "[:x]"),
        (0, Done, "assign", "[:x]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {}]]"),
        (0, Invoke, "poll", "[[:poll] [:poll]]"),
        (
            0,
            Done,
            "poll",
            "[[:poll {:x [[0 :a] [1 :b]]}] [:poll {:x [[2 :c] [3 :d]]}]]",
        ),
        (1, Invoke, "send", "[[:send :x :b]]"),
        (1, Info, "send", "[[:send :x :b]]"),
    ]);
    assert_eq!(
        compact(r.get("worst-realtime-lag").unwrap_or(&Edn::Nil)),
        "{:time 0.022, :process 0, :key :x, :lag 0.017}"
    );
}

/// unseen-test: every acknowledged message is polled in the end, so nothing is unseen.
#[test]
fn nothing_unseen_once_polled() {
    let r = analyse(&[
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {}]]"),
        (0, Invoke, "send", "[[:send :x :a] [:send :x :b]]"),
        (0, Done, "send", "[[:send :x [0 :a]] [:send :x [1 :b]]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[0 :a]]}]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[1 :b]]}]]"),
    ]);
    assert_eq!(r.get("unseen"), None);
}

/// g1c-pure-wr-test: two transactions each read the other's write: G1c.
#[test]
fn g1c_pure_wr() {
    let r = analyse(&[
        (0, Invoke, "txn", "[[:send :x :a] [:poll]]"),
        (1, Invoke, "txn", "[[:send :y :b] [:poll]]"),
        (0, Done, "txn", "[[:send :x [0 :a]] [:poll {:y [[0 :b]]}]]"),
        (1, Done, "txn", "[[:send :y [0 :b]] [:poll {:x [[0 :a]]}]]"),
    ]);
    let g1c = errs(&r, "G1c");
    assert_eq!(g1c.len(), 1, "{}", crate::edn::pretty(&r));
    let steps = g1c[0].get("steps").cloned().unwrap_or(Edn::Nil);
    assert_eq!(
        pick(
            match &steps {
                Edn::Vector(s) => s,
                _ => &[] as &[Edn],
            },
            &["type", "a-mop-index", "b-mop-index"]
        ),
        [":wr 0 1", ":wr 0 1"]
    );
}

/// inconsistent-offsets-test "info conflicts": a crashed send's offset counts only once a poll
/// proves the send happened.
#[test]
fn inconsistent_offsets_of_crashed_sends() {
    let mut rows = vec![
        (0, Invoke, "send", "[[:send :x 1] [:send :y 1]]"),
        (0, Info, "send", "[[:send :x [0 1]] [:send :y 1]]"),
        (1, Invoke, "send", "[[:send :x 2]]"),
        (1, Done, "send", "[[:send :x [0 2]]]"),
    ];
    assert!(errs(&analyse(&rows), "inconsistent-offsets").is_empty());
    rows.push((2, Invoke, "poll", "[[:poll]]"));
    rows.push((2, Done, "poll", "[[:poll {:y [[5 1]]}]]"));
    let found = errs(&analyse(&rows), "inconsistent-offsets");
    assert_eq!(
        pick(&found, &["key", "index", "offset", "values"]),
        [":x 0 0 #{1 2}"]
    );
}

/// version-orders-test "a real-world example": two acknowledged sends at offset 537 of key 11.
#[test]
fn inconsistent_offsets_real_world() {
    let r = analyse(&[
        (379, Invoke, "send", "[[:send 11 641]]"),
        (379, Done, "send", "[[:send 11 [537 641]]]"),
        (363, Invoke, "send", "[[:send 11 645]]"),
        (363, Done, "send", "[[:send 11 [537 645]]]"),
    ]);
    let found = errs(&r, "inconsistent-offsets");
    assert_eq!(
        pick(&found, &["key", "index", "offset", "values"]),
        ["11 0 537 #{641 645}"]
    );
}

/// g1a-test: a poll returns a message whose send failed.
#[test]
fn aborted_read() {
    let r = analyse(&[
        (0, Invoke, "send", "[[:send :x 2] [:send :y 3]]"),
        (0, Fail, "send", "[[:send :x 2] [:send :y 3]]"),
        (1, Invoke, "poll", "[[:poll]]"),
        (1, Done, "poll", "[[:poll {:x [[0 2]]}]]"),
    ]);
    let found = errs(&r, "G1a");
    assert_eq!(pick(&found, &["key", "value"]), [":x 2"]);
    assert_eq!(
        [index_of(&found[0], "reader"), index_of(&found[0], "writer")],
        ["3", "1"]
    );
}
