//! The `:stats` checker (Jepsen's `jepsen.checker`): how many client completions were ok, failed or
//! indeterminate, overall and per `:f`.
//!
//! An `:f` with no `:ok` at all is invalid (e.g. a broadcast test in which no read ever
//! succeeded), except `:crash` and `:debug-topic-partitions`, which never succeed by design.

use std::collections::BTreeMap;

use crate::edn::Edn;
use crate::history::{History, OpType};

/// `:f`s exempt from "must have at least one :ok".
const EXEMPT: [&str; 2] = ["crash", "debug-topic-partitions"];

/// Completion counts of one group of ops.
#[derive(Default, Clone, Copy)]
struct Counts {
    ok: i64,
    fail: i64,
    info: i64,
}

impl Counts {
    fn add(&mut self, op_type: OpType) {
        match op_type {
            OpType::Ok => self.ok += 1,
            OpType::Fail => self.fail += 1,
            OpType::Info => self.info += 1,
            OpType::Invoke => {}
        }
    }

    /// The count keys, in Jepsen's order, after `:valid?`.
    fn entries(self, valid: bool) -> Vec<(&'static str, Edn)> {
        vec![
            ("valid?", Edn::Bool(valid)),
            ("count", Edn::Int(self.ok + self.fail + self.info)),
            ("ok-count", Edn::Int(self.ok)),
            ("fail-count", Edn::Int(self.fail)),
            ("info-count", Edn::Int(self.info)),
        ]
    }
}

/// `{:valid? :count :ok-count :fail-count :info-count :by-f {<f> {...}}}` over the completions of
/// client processes, `:by-f` sorted by f.
pub fn check(history: &History) -> Edn {
    let mut all = Counts::default();
    let mut by_f: BTreeMap<&str, Counts> = BTreeMap::new();
    for op in history
        .iter()
        .filter(|op| op.is_client() && op.op_type != OpType::Invoke)
    {
        all.add(op.op_type);
        by_f.entry(op.f.as_str()).or_default().add(op.op_type);
    }
    let valid = by_f
        .iter()
        .all(|(f, counts)| counts.ok > 0 || EXEMPT.contains(f));
    let by_f_edn = Edn::Map(
        by_f.iter()
            .map(|(f, counts)| (Edn::kw(f), Edn::map(counts.entries(counts.ok > 0))))
            .collect(),
    );
    let mut entries = all.entries(valid);
    entries.push(("by-f", by_f_edn));
    Edn::map(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{edn, ints, Builder};

    /// Counts per type and per f, invocations and nemesis ops ignored, :by-f sorted.
    #[test]
    fn counts_completions_by_f() {
        let mut b = Builder::new();
        b.invoke(0, 0, "read", Edn::Nil)
            .ok(1, 0, "read", ints(&[]))
            .invoke(2, 1, "broadcast", Edn::Int(0))
            .info(3, 1, "broadcast", Edn::Int(0))
            .nemesis(3, "start-partition")
            .invoke(4, 6, "broadcast", Edn::Int(1))
            .ok(5, 6, "broadcast", Edn::Int(1))
            .invoke(6, 0, "read", Edn::Nil)
            .fail(7, 0, "read", Edn::Nil);
        assert_eq!(
            check(&b.build()),
            edn("{:valid? true, :count 4, :ok-count 2, :fail-count 1, :info-count 1,
                  :by-f {:broadcast {:valid? true, :count 2, :ok-count 1, :fail-count 0, :info-count 1},
                         :read {:valid? true, :count 2, :ok-count 1, :fail-count 1, :info-count 0}}}")
        );
    }

    /// An f that never succeeded makes stats invalid; an empty history is valid.
    #[test]
    fn f_without_ok_is_invalid() {
        let mut b = Builder::new();
        b.invoke(0, 0, "read", Edn::Nil)
            .fail(1, 0, "read", Edn::Nil)
            .invoke(2, 0, "broadcast", Edn::Int(0))
            .ok(3, 0, "broadcast", Edn::Int(0));
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
        let read = result.get("by-f").and_then(|m| m.get("read")).cloned();
        assert_eq!(
            read.and_then(|r| r.get("valid?").cloned()),
            Some(Edn::Bool(false))
        );
        assert_eq!(check(&vec![]).get("valid?"), Some(&Edn::Bool(true)));
    }

    /// :crash never succeeds by design and does not invalidate the stats.
    #[test]
    fn crash_f_is_exempt() {
        let mut b = Builder::new();
        b.invoke(0, 0, "crash", Edn::Nil)
            .info(1, 0, "crash", Edn::Nil);
        assert_eq!(check(&b.build()).get("valid?"), Some(&Edn::Bool(true)));
    }
}
