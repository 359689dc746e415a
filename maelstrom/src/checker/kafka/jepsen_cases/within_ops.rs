//! Jepsen's kafka cases about one op on its own: skips and reorderings inside one op's polls or
//! sends (`kafka_test.clj`'s `int-poll-skip-test`, `int-send-skip-test`,
//! `int-nonmonotonic-poll-test`, `int-nonmonotonic-send-test`).

use super::*;

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
