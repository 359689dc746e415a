//! Jepsen's kafka cases about what ops see of each other: lost writes, poll skips and
//! nonmonotonic polls and sends (`kafka_test.clj`'s `lost-write-test`, `poll-skip-test`,
//! `nonmonotonic-poll-test`, `nonmonotonic-send-test`).

use super::*;

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
