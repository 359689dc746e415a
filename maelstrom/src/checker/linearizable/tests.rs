//! Hand-made histories, one per failure shape, and the results' shape.

use super::oracle::kv;
use super::*;
use crate::checker::test_support::Builder;
use crate::history::OpType::{Fail, Info, Invoke, Ok as Done};

fn cas(from: i64, to: i64) -> Edn {
    Edn::Vector(vec![Edn::Int(from), Edn::Int(to)].into())
}

fn one_thread() -> Limits {
    Limits {
        threads: 1,
        ..Limits::default()
    }
}

/// The `:linearizable` entry of key `k`.
fn lin_of(entry: &Edn, k: i64) -> Edn {
    let Some(Edn::Map(results)) = entry.get("results") else {
        panic!("no results in {entry:?}");
    };
    let found = results.iter().find(|(key, _)| *key == Edn::Int(k));
    found
        .and_then(|(_, r)| r.get("linearizable").cloned())
        .unwrap_or(Edn::Nil)
}

fn explanation(lin: &Edn) -> String {
    match lin.get("explanation") {
        Some(Edn::Str(s)) => s.to_string(),
        other => panic!("no explanation: {other:?}"),
    }
}

/// A write then a read of its value is linearizable.
#[test]
fn write_then_read_is_valid() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(0, Edn::Int(1)));
    b.op(1, 0, Done, "write", kv(0, Edn::Int(1)));
    b.op(2, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(3, 1, Done, "read", kv(0, Edn::Int(1)));
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::Bool(true)));
    assert_eq!(entry.get("failures"), Some(&Edn::Vector(vec![].into())));
}

/// A stale read (1 after 2 was acknowledged) is the impossible op, explained in words.
#[test]
fn stale_read_is_invalid_and_explained() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(4, Edn::Int(1)));
    b.op(1000, 0, Done, "write", kv(4, Edn::Int(1)));
    b.op(2000, 0, Invoke, "write", kv(4, Edn::Int(2)));
    b.op(3000, 0, Done, "write", kv(4, Edn::Int(2)));
    b.op(4000, 1, Invoke, "read", kv(4, Edn::Nil));
    b.op(5000, 1, Done, "read", kv(4, Edn::Int(1)));
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::Bool(false)));
    assert_eq!(
        entry.get("failures"),
        Some(&Edn::Vector(vec![Edn::Int(4)].into()))
    );
    let lin = lin_of(&entry, 4);
    assert_eq!(
        lin.get("op").and_then(|o| o.get("index")),
        Some(&Edn::Int(5))
    );
    assert_eq!(
        lin.get("previous-ok").and_then(|o| o.get("index")),
        Some(&Edn::Int(3))
    );
    assert_eq!(
        explanation(&lin),
        "read 1 of key 4 by process 1 at 5.00 s: no order of the 0 operations concurrent with it \
         leaves 1 in the register (it could only hold 2 then); the last acknowledged change \
         before it was write 2 at 3.00 s"
    );
    let lines = summary_lines(&entry);
    assert_eq!(lines[0], ("failing keys", "1 of 1 keys: key 4".to_string()));
    assert_eq!(lines[1].0, "impossible");
    assert!(lines[1].1.starts_with("read 1 of key 4"), "{lines:?}");
    let Some(Edn::Vector(paths)) = lin.get("final-paths") else {
        panic!("no final paths in {lin:?}");
    };
    assert_eq!(paths.len(), 1);
    let Edn::Vector(steps) = &paths[0] else {
        panic!()
    };
    assert_eq!(
        steps.last().and_then(|s| s.get("model")),
        Some(&Edn::map([(
            "msg",
            Edn::str("can't read 1 from register 2")
        )]))
    );
}

/// The first ok op of the history is the impossible one (Knossos crashed here): a read of 3 from nil.
#[test]
fn first_ok_op_impossible() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "read", kv(0, Edn::Nil));
    b.op(1, 1, Invoke, "write", kv(0, Edn::Int(1)));
    b.op(2, 0, Done, "read", kv(0, Edn::Int(3)));
    b.op(3, 1, Done, "write", kv(0, Edn::Int(1)));
    let entry = check(&b.ops, one_thread());
    let lin = lin_of(&entry, 0);
    assert_eq!(lin.get("valid?"), Some(&Edn::Bool(false)));
    assert_eq!(
        lin.get("op").and_then(|o| o.get("index")),
        Some(&Edn::Int(2))
    );
    assert_eq!(lin.get("previous-ok"), Some(&Edn::Nil));
    let text = explanation(&lin);
    assert!(text.starts_with("read 3 of key 0 by process 0"), "{text}");
    assert!(
        text.contains("(it could only hold nil or 1 then)"),
        "{text}"
    );
    assert!(
        text.ends_with("no change to this key was acknowledged before it"),
        "{text}"
    );
}

/// A read overlapping a failed write of the value it returns: the failed write took no effect.
#[test]
fn read_of_a_failed_write_is_invalid() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(0, Edn::Int(3)));
    b.op(1, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(2, 1, Done, "read", kv(0, Edn::Int(3)));
    b.op(3, 0, Fail, "write", kv(0, Edn::Int(3)));
    let lin = lin_of(&check(&b.ops, one_thread()), 0);
    assert_eq!(lin.get("valid?"), Some(&Edn::Bool(false)));
    assert_eq!(
        lin.get("op").and_then(|o| o.get("index")),
        Some(&Edn::Int(2))
    );
    // Crashed instead of failed, the same write explains the read.
    b.ops[3].op_type = Info;
    assert_eq!(
        check(&b.ops, one_thread()).get("valid?"),
        Some(&Edn::Bool(true))
    );
}

/// An acknowledged cas that was never applied: a later read still sees the old value.
#[test]
fn acknowledged_cas_never_applied_is_invalid() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(0, Edn::Int(0)));
    b.op(1, 0, Done, "write", kv(0, Edn::Int(0)));
    b.op(2, 0, Invoke, "cas", kv(0, cas(0, 1)));
    b.op(3, 0, Done, "cas", kv(0, cas(0, 1)));
    b.op(4, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(5, 1, Done, "read", kv(0, Edn::Int(0)));
    let lin = lin_of(&check(&b.ops, one_thread()), 0);
    assert_eq!(lin.get("valid?"), Some(&Edn::Bool(false)));
    assert_eq!(
        lin.get("op").and_then(|o| o.get("index")),
        Some(&Edn::Int(5))
    );
}

/// A cas acknowledged from a value the register never held.
#[test]
fn cas_from_a_value_never_held_is_invalid() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(0, Edn::Int(2)));
    b.op(1, 0, Done, "write", kv(0, Edn::Int(2)));
    b.op(2, 1, Invoke, "cas", kv(0, cas(4, 1)));
    b.op(3, 1, Done, "cas", kv(0, cas(4, 1)));
    let lin = lin_of(&check(&b.ops, one_thread()), 0);
    assert_eq!(lin.get("valid?"), Some(&Edn::Bool(false)));
    let text = explanation(&lin);
    assert!(
        text.starts_with("cas 4 -> 1 of key 0 by process 1"),
        "{text}"
    );
    assert!(
        text.contains("leaves 4 in the register for it to replace"),
        "{text}"
    );
}

/// A crashed write may take effect late, but not before it was invoked.
#[test]
fn crashed_write_takes_effect_only_after_its_invocation() {
    let mut late = Builder::new();
    late.op(0, 0, Invoke, "write", kv(0, Edn::Int(2)));
    late.op(1, 0, Info, "write", kv(0, Edn::Int(2)));
    late.op(2, 1, Invoke, "write", kv(0, Edn::Int(1)));
    late.op(3, 1, Done, "write", kv(0, Edn::Int(1)));
    late.op(4, 1, Invoke, "read", kv(0, Edn::Nil));
    late.op(5, 1, Done, "read", kv(0, Edn::Int(2)));
    assert_eq!(
        check(&late.ops, one_thread()).get("valid?"),
        Some(&Edn::Bool(true))
    );
    let mut early = Builder::new();
    early.op(0, 1, Invoke, "read", kv(0, Edn::Nil));
    early.op(1, 1, Done, "read", kv(0, Edn::Int(2)));
    early.op(2, 0, Invoke, "write", kv(0, Edn::Int(2)));
    early.op(3, 0, Info, "write", kv(0, Edn::Int(2)));
    assert_eq!(
        check(&early.ops, one_thread()).get("valid?"),
        Some(&Edn::Bool(false))
    );
}

/// A read concurrent with a write may see either value; nil reads pass and are counted.
#[test]
fn concurrent_read_sees_either_value_and_nil_reads_count() {
    for seen in [Edn::Int(1), Edn::Int(2)] {
        let mut b = Builder::new();
        b.op(0, 0, Invoke, "write", kv(0, Edn::Int(1)));
        b.op(1, 0, Done, "write", kv(0, Edn::Int(1)));
        b.op(2, 0, Invoke, "write", kv(0, Edn::Int(2)));
        b.op(3, 1, Invoke, "read", kv(0, Edn::Nil));
        b.op(4, 1, Done, "read", kv(0, seen));
        b.op(5, 0, Done, "write", kv(0, Edn::Int(2)));
        b.op(6, 1, Invoke, "read", kv(0, Edn::Nil));
        b.op(7, 1, Done, "read", kv(0, Edn::Nil));
        let entry = check(&b.ops, one_thread());
        assert_eq!(entry.get("valid?"), Some(&Edn::Bool(true)));
        assert_eq!(entry.get("nil-reads"), Some(&Edn::Int(1)));
    }
}

/// A long sequential history of `n` ops on key 0.
fn long_history(n: usize) -> History {
    let mut b = Builder::new();
    for i in 0..n as u64 {
        let v = Edn::Int((i % 5) as i64);
        b.op(2 * i, 0, Invoke, "write", kv(0, v.clone()));
        b.op(2 * i + 1, 0, Done, "write", kv(0, v));
    }
    b.ops
}

/// Out of time or memory, a key is :unknown with its cause and longest partial linearization;
/// an invalid key elsewhere still makes the whole invalid, and only it is a failure.
#[test]
fn exhausted_budget_is_unknown_not_valid() {
    let history = long_history(5_000);
    for (limits, cause) in [
        (
            Limits {
                time: Duration::ZERO,
                ..one_thread()
            },
            "time budget",
        ),
        (
            Limits {
                memory: 1_000,
                ..one_thread()
            },
            "memory budget",
        ),
    ] {
        let entry = check(&history, limits);
        let lin = lin_of(&entry, 0);
        assert_eq!(entry.get("valid?"), Some(&Edn::kw("unknown")), "{cause}");
        assert!(
            matches!(lin.get("cause"), Some(Edn::Str(s)) if s.contains(cause)),
            "{lin:?}"
        );
        let Some(Edn::Vector(longest)) = lin.get("longest-linearization") else {
            panic!("{lin:?}")
        };
        assert!(
            !longest.is_empty() && longest.len() < 5_000,
            "{}",
            longest.len()
        );
    }
    let mut mixed = long_history(5_000);
    let base = mixed.len() as u64 * 2;
    let mut b = Builder {
        ops: std::mem::take(&mut mixed),
    };
    b.op(base, 7, Invoke, "read", kv(1, Edn::Nil));
    b.op(base + 1, 7, Done, "read", kv(1, Edn::Int(3)));
    let entry = check(
        &b.ops,
        Limits {
            time: Duration::ZERO,
            ..one_thread()
        },
    );
    assert_eq!(entry.get("valid?"), Some(&Edn::Bool(false)));
    assert_eq!(
        entry.get("failures"),
        Some(&Edn::Vector(vec![Edn::Int(1)].into()))
    );
}

/// With plenty of budget the long history (and a read of its last write, so that some read
/// is checked) is linearizable.
#[test]
fn long_sequential_history_is_valid() {
    let mut b = Builder {
        ops: long_history(5_000),
    };
    b.op(10_000, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(10_001, 1, Done, "read", kv(0, Edn::Int(4)));
    assert_eq!(
        check(&b.ops, one_thread()).get("valid?"),
        Some(&Edn::Bool(true))
    );
}

/// Reads that all returned nil check nothing (Knossos passes a nil read in any state): the
/// entry is :unknown with an error saying so and the nil-read count; one read of a value
/// makes the same history judged again, and an impossible cas stays invalid without reads.
#[test]
fn only_nil_reads_is_unknown() {
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(0, Edn::Int(1)));
    b.op(1, 0, Done, "write", kv(0, Edn::Int(1)));
    b.op(2, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(3, 1, Done, "read", kv(0, Edn::Nil));
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::kw("unknown")));
    assert_eq!(entry.get("nil-reads"), Some(&Edn::Int(1)));
    let Some(Edn::Str(why)) = entry.get("error") else {
        panic!("no error in {entry:?}")
    };
    assert!(
        why.starts_with("no :ok read returned a value (1 returned nil)"),
        "{why}"
    );
    b.op(4, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(5, 1, Done, "read", kv(0, Edn::Int(1)));
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::Bool(true)));
    assert_eq!(entry.get("error"), None);
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "cas", kv(0, cas(5, 6)));
    b.op(1, 0, Done, "cas", kv(0, cas(5, 6)));
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::Bool(false)));
}

/// A run that asked no read (`--rate 0`) gets Maelstrom's verdict, valid, with no error; one
/// whose reads were all asked and all failed is :unknown and says that no read succeeded.
#[test]
fn no_read_asked_is_valid_and_no_read_succeeded_is_unknown() {
    let b = Builder::new();
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::Bool(true)));
    assert_eq!(entry.get("error"), None);
    let mut b = Builder::new();
    b.op(0, 0, Invoke, "write", kv(0, Edn::Int(1)));
    b.op(1, 0, Done, "write", kv(0, Edn::Int(1)));
    b.op(2, 1, Invoke, "read", kv(0, Edn::Nil));
    b.op(3, 1, Fail, "read", kv(0, Edn::Nil));
    let entry = check(&b.ops, one_thread());
    assert_eq!(entry.get("valid?"), Some(&Edn::kw("unknown")));
    let Some(Edn::Str(why)) = entry.get("error") else {
        panic!("no error in {entry:?}")
    };
    assert!(why.starts_with("no read succeeded"), "{why}");
}
