//! The cases of Jepsen's own kafka tests (`jepsen/test/jepsen/tests/kafka_test.clj`), run
//! through this checker: the same hand-made histories must give the same errors. Jepsen's
//! helper `o` makes an op from (index, process, type, f, value); here the index is the op's
//! position and its time that many milliseconds.

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

/// lost-write-test "consistent": a poll of offset 2 proves offsets 0 and 1 should have been read.
#[test]
fn lost_write_consistent() {
    let r = analyse(&[
        (0, Invoke, "send", "[[:send :x :a]]"),
        (0, Done, "send", "[[:send :x [0 :a]]]"),
        (0, Invoke, "send", "[[:send :x :b] [:send :x :d]]"),
        (0, Done, "send", "[[:send :x [1 :b]] [:send :x [3 :d]]]"),
        (1, Invoke, "send", "[[:send :x :c]]"),
        (1, Info, "send", "[[:send :x :c]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[2 :c]]}]]"),
    ]);
    let lost = errs(&r, "lost-write");
    assert_eq!(
        pick(&lost, &["key", "value", "index", "max-read-index"]),
        [":x :a 0 2", ":x :b 1 2"]
    );
    assert_eq!(index_of(&lost[0], "writer"), "1");
    assert_eq!(index_of(&lost[1], "writer"), "3");
    assert_eq!(index_of(&lost[0], "max-read"), "7");
}

/// lost-write-test "inconsistent": b overwrote a at offset 0; a is still lost.
#[test]
fn lost_write_inconsistent() {
    let r = analyse(&[
        (0, Invoke, "send", "[[:send :x :a]]"),
        (0, Done, "send", "[[:send :x [0 :a]]]"),
        (0, Invoke, "send", "[[:send :x :b] [:send :x :c]]"),
        (0, Done, "send", "[[:send :x [0 :b]] [:send :x [2 :c]]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[0 :b] [2 :c]]}]]"),
    ]);
    let lost = errs(&r, "lost-write");
    assert_eq!(
        pick(&lost, &["key", "value", "index", "max-read-index"]),
        [":x :a 0 1"]
    );
}

/// lost-write-test "atomic": a crashed send counts once one of its messages was read.
#[test]
fn lost_write_atomic() {
    let rows = [
        (0, Invoke, "send", "[[:send :x :a] [:send :y :b]]"),
        (0, Info, "send", "[[:send :x :a] [:send :y [0 :b]]]"),
        (1, Invoke, "send", "[[:send :y :c]]"),
        (1, Info, "send", "[[:send :y :c]]"),
        (2, Invoke, "poll", "[[:poll]]"),
        (2, Done, "poll", "[[:poll {:x [[0 :a]]}]]"),
        (3, Invoke, "poll", "[[:poll]]"),
        (3, Done, "poll", "[[:poll {:y [[1 :c]]}]]"),
    ];
    let without_a: Vec<_> = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| !(4..6).contains(i))
        .map(|(_, r)| *r)
        .collect();
    assert!(errs(&analyse(&without_a), "lost-write").is_empty());
    let lost = errs(&analyse(&rows), "lost-write");
    assert_eq!(
        pick(&lost, &["key", "value", "index", "max-read-index"]),
        [":y :b 0 1"]
    );
    assert_eq!(index_of(&lost[0], "writer"), "1");
}

/// poll-skip-test: process 0 polls 1 2, then 4 (3 exists), then 7 (6 exists); subscribes and
/// assigns of other keys in between excuse it (an :info assign too), ones that keep x do not.
#[test]
fn poll_skip() {
    type Rows = [(u64, OpType, &'static str, &'static str)];
    let with = |before_4: &Rows, after_4: &Rows| {
        let mut rows = vec![
            (0, Invoke, "poll", "[[:poll]]"),
            (0, Done, "poll", "[[:poll {:x [[1 :a] [2 :b]]}]]"),
            (1, Invoke, "poll", "[[:poll]]"),
            (1, Done, "poll", "[[:poll {:x [[3 :c]]}]]"),
        ];
        rows.extend_from_slice(before_4);
        rows.extend_from_slice(&[
            (0, Invoke, "poll", "[[:poll]]"),
            (0, Done, "poll", "[[:poll {:x [[4 :d]]}]]"),
        ]);
        rows.extend_from_slice(after_4);
        rows.extend_from_slice(&[
            (2, Invoke, "send", "[[:send :x :f]]"),
            (2, Done, "send", "[[:send :x [6 :f]]]"),
            (0, Invoke, "poll", "[[:poll]]"),
            (0, Done, "poll", "[[:poll {:x [[7 :g]]}]]"),
            (
                3,
                Invoke,
                "send",
                "[[:send :x :a] [:send :x :b] [:send :x :c] [:send :x :d] [:send :x :g]]",
            ),
            (
                3,
                Info,
                "send",
                "[[:send :x :a] [:send :x :b] [:send :x :c] [:send :x :d] [:send :x :g]]",
            ),
        ]);
        errs(&analyse(&rows), "poll-skip")
    };
    let plain = with(&[], &[]);
    assert_eq!(
        pick(&plain, &["key", "delta", "skipped"]),
        [":x 2 (:c)", ":x 2 (:f)"]
    );
    let away = with(
        &[
            (0, Invoke, "subscribe", "[:y]"),
            (0, Done, "subscribe", "[:y]"),
        ],
        &[(0, Invoke, "assign", "[:y]"), (0, Info, "assign", "[:y]")],
    );
    assert!(away.is_empty(), "{away:?}");
    let kept = with(
        &[
            (0, Invoke, "subscribe", "[:x :y]"),
            (0, Done, "subscribe", "[:x :y]"),
        ],
        &[
            (0, Invoke, "assign", "[:x :y]"),
            (0, Done, "assign", "[:x :y]"),
        ],
    );
    assert_eq!(
        pick(&kept, &["key", "delta", "skipped"]),
        [":x 2 (:c)", ":x 2 (:f)"]
    );
}

/// poll-skip-test "txn abort": failed and crashed polls do not move the position, so polls
/// after them that go on from where they ended skip.
#[test]
fn poll_skip_after_aborted_polls() {
    let sends = "[[:send :x [0 0]] [:send :x [1 1]] [:send :x [2 2]] [:send :x [3 3]] [:send :x [4 4]] [:send :x [5 5]]]";
    let good = analyse(&[
        (
            0,
            Invoke,
            "send",
            "[[:send :x 0] [:send :x 1] [:send :x 2]]",
        ),
        (
            0,
            Done,
            "send",
            "[[:send :x [0 0]] [:send :x [1 1]] [:send :x [2 2]]]",
        ),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Done, "txn", "[[:poll {:x [[0 0]]}]]"),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Fail, "txn", "[[:poll {:x [[1 1] [2 2]]}]]"),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Info, "txn", "[[:poll {:x [[1 1] [2 2]]}]]"),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Done, "txn", "[[:poll {:x [[1 1] [2 2]]}]]"),
    ]);
    assert_eq!(compact(good.get("error-types").unwrap_or(&Edn::Nil)), "()");
    let bad = analyse(&[
        (0, Invoke, "send", "[[:send :x 0]]"),
        (0, Done, "send", sends),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Done, "txn", "[[:poll {:x [[0 0]]}]]"),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Fail, "txn", "[[:poll {:x [[1 1] [2 2]]}]]"),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Fail, "txn", "[[:poll {:x [[3 3] [4 4]]}]]"),
        (1, Invoke, "txn", "[[:poll]]"),
        (1, Done, "txn", "[[:poll {:x [[5 5]]}]]"),
    ]);
    assert_eq!(
        pick(&errs(&bad, "poll-skip"), &["delta", "skipped"]),
        ["3 (1 2)", "5 (1 2 3 4)"]
    );
}

/// nonmonotonic-poll-test: 1 2 3 then 2 3 4; excused by an assign of other keys only.
#[test]
fn nonmonotonic_poll() {
    let with = |between: &[(u64, OpType, &'static str, &'static str)]| {
        let mut rows = vec![
            (
                0,
                Invoke,
                "send",
                "[[:send :x :a] [:send :x :b] [:send :x :c] [:send :x :d]]",
            ),
            (
                0,
                Done,
                "send",
                "[[:send :x :a] [:send :x :b] [:send :x :c] [:send :x :d]]",
            ),
            (0, Invoke, "poll", "[[:poll]]"),
            (0, Done, "poll", "[[:poll {:x [[1 :a] [2 :b] [3 :c]]}]]"),
        ];
        rows.extend_from_slice(between);
        rows.extend_from_slice(&[
            (0, Invoke, "poll", "[[:poll]]"),
            (0, Done, "poll", "[[:poll {:x [[2 :b] [3 :c] [4 :d]]}]]"),
        ]);
        pick(
            &errs(&analyse(&rows), "nonmonotonic-poll"),
            &["key", "values", "delta"],
        )
    };
    assert_eq!(with(&[]), [":x [:c :b] -1"]);
    assert!(with(&[(0, Invoke, "assign", "[:y]"), (0, Done, "assign", "[:y]")]).is_empty());
    assert_eq!(
        with(&[
            (0, Invoke, "assign", "[:x :y]"),
            (0, Done, "assign", "[:x :y]")
        ])
        .len(),
        1
    );
}

/// nonmonotonic-send-test: sends at 3, 4 then at 1, 2 by one process.
#[test]
fn nonmonotonic_send() {
    let r = analyse(&[
        (0, Invoke, "send", "[[:send :x :c] [:send :x :d]]"),
        (0, Done, "send", "[[:send :x [3 :c]] [:send :x [4 :d]]]"),
        (0, Invoke, "send", "[[:send :x 1] [:send :x 2]]"),
        (0, Done, "send", "[[:send :x [1 :a]] [:send :x [2 :b]]]"),
    ]);
    assert_eq!(
        pick(&errs(&r, "nonmonotonic-send"), &["key", "values", "delta"]),
        [":x [:d :a] -3"]
    );
}

/// int-poll-skip-test: offsets 1 and 4 in one poll, or in two polls of one op, while 2 exists.
#[test]
fn int_poll_skip() {
    let r = analyse(&[
        (
            1,
            Invoke,
            "send",
            "[[:send :x :a] [:send :x :b] [:send :x :d]]",
        ),
        (
            1,
            Info,
            "send",
            "[[:send :x :a] [:send :x :b] [:send :x :d]]",
        ),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[1 :a] [4 :d]]}]]"),
        (0, Invoke, "poll", "[[:poll] [:poll]]"),
        (
            0,
            Done,
            "poll",
            "[[:poll {:x [[1 :a]]}] [:poll {:x [[4 :d]]}]]",
        ),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[2 :b]]}]]"),
    ]);
    let found = errs(&r, "int-poll-skip");
    assert_eq!(
        pick(&found, &["key", "values", "skipped", "delta"]),
        [":x [:a :d] (:b) 2", ":x [:a :d] (:b) 2"]
    );
    assert_eq!(
        [index_of(&found[0], "op"), index_of(&found[1], "op")],
        ["3", "5"]
    );
}

/// int-send-skip-test: one op's sends land around another's.
#[test]
fn int_send_skip() {
    let r = analyse(&[
        (0, Invoke, "send", "[[:send :x :a] [:send :x :c]]"),
        (0, Done, "send", "[[:send :x [1 :a]] [:send :x :c]]"),
        (1, Invoke, "send", "[[:send :x :b]]"),
        (1, Info, "send", "[[:send :x :b]]"),
        (2, Invoke, "poll", "[[:poll]]"),
        (2, Done, "poll", "[[:poll {:x [[2 :b] [3 :c]]}]]"),
    ]);
    assert_eq!(
        pick(
            &errs(&r, "int-send-skip"),
            &["key", "values", "skipped", "delta"]
        ),
        [":x [:a :c] (:b) 2"]
    );
}

/// int-nonmonotonic-poll-test: 3 then 1 in one poll; 3 then 3 across two polls of one op.
#[test]
fn int_nonmonotonic_poll() {
    let r = analyse(&[
        (
            0,
            Invoke,
            "send",
            "[[:send :x :a] [:send :x :b] [:send :x :c]]",
        ),
        (
            0,
            Info,
            "send",
            "[[:send :x :a] [:send :x :b] [:send :x :c]]",
        ),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:x [[3 :c] [1 :a]]}]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (
            0,
            Done,
            "poll",
            "[[:poll {:x [[2 :b] [3 :c]]}] [:poll {:x [[3 :c]]}]]",
        ),
    ]);
    assert_eq!(
        pick(
            &errs(&r, "int-nonmonotonic-poll"),
            &["key", "values", "delta"]
        ),
        [":x [:c :a] -2", ":x [:c :c] 0"]
    );
}

/// int-nonmonotonic-send-test: offsets out of order in one op, given or inferred from a poll.
#[test]
fn int_nonmonotonic_send() {
    let r = analyse(&[
        (0, Invoke, "send", "[[:send :x 3] [:send :x 1]]"),
        (0, Done, "send", "[[:send :x [3 :c]] [:send :x [1 :a]]]"),
        (0, Invoke, "send", "[[:send :y :d] [:send :y :b]]"),
        (0, Info, "send", "[[:send :y :d] [:send :y :b]]"),
        (1, Invoke, "send", "[[:send :y :c]]"),
        (1, Info, "send", "[[:send :y :c]]"),
        (0, Invoke, "poll", "[[:poll]]"),
        (0, Done, "poll", "[[:poll {:y [[2 :b] [3 :c] [4 :d]]}]]"),
    ]);
    let mut found = pick(
        &errs(&r, "int-nonmonotonic-send"),
        &["key", "values", "delta"],
    );
    found.sort();
    assert_eq!(found, [":x [:c :a] -1", ":y [:d :b] -2"]);
}

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
