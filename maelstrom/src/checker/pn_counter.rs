//! The counter checker of `g-counter` and `pn-counter` (Maelstrom's
//! `src/maelstrom/workload/pn_counter.clj`; `g_counter.clj` reuses it): every final read must be
//! a value the counter could have reached.
//!
//! Adds that completed `:ok` certainly happened; adds that ended `:info` (timed out, or the node
//! answered with an error) may or may not have; `:fail` adds certainly did not. So the
//! acceptable values are the sum of the `:ok` deltas plus the deltas of any subset of the `:info`
//! adds. Maelstrom builds that set one `:info` add at a time, A := A ∪ (A + delta), as a set of
//! integer ranges (Guava's `TreeRangeSet` of open ranges, whose merging makes adjacent integers
//! one range); here it is a sorted list of inclusive ranges, merged the same way.
//!
//! Only `:ok` reads marked `:final?` are judged; reads during the test may see any value.
//!
//! Unlike Maelstrom, whose checker passes a run whose final reads all failed (nothing to judge,
//! nothing wrong), a run where some node had no successful final read, or where no final read
//! succeeded at all, is `:unknown` rather than valid, with an `:error` sentence naming the nodes
//! and how their final reads ended (`checker/final_reads.rs`'s `failed`): nothing shows that the
//! counter converged there. A final read outside the acceptable set still makes it invalid. The
//! README's table of deliberate differences lists this.

use crate::checker::final_reads::{self, Cluster};
use crate::checker::unknown;
use crate::edn::Edn;
use crate::history::op_edn;
use crate::history::{History, OpType};

/// `{:valid? <no errors>, :errors <the final reads outside the acceptable set, or nil>,
/// :final-reads (<values>), :acceptable ([lo hi] ...)}`, key order as Maelstrom prints it. A
/// history whose add or final-read values are not integers, or whose sums overflow 64 bits, gives
/// `{:valid? :unknown, :error ..}` (Maelstrom's checker throws there). With no errors, a node
/// without a successful final read (or no successful final read at all) makes it
/// `{:valid? :unknown, :error "no final read of n1 succeeded ...", ..., :final-read-failures
/// {:n1 "info :error :net-timeout"}}`.
pub fn check(history: &History, cluster: &Cluster) -> Edn {
    match try_check(history, cluster) {
        Ok(result) => result,
        Err(error) => unknown(error),
    }
}

fn try_check(history: &History, cluster: &Cluster) -> Result<Edn, String> {
    let adds = history.iter().filter(|op| op.is_client() && op.f == "add");
    let mut definite: i64 = 0;
    let mut possible = Vec::new();
    for op in adds {
        match op.op_type {
            OpType::Ok => {
                definite = definite
                    .checked_add(integer(&op.value, op.index)?)
                    .ok_or_else(|| format!("the sum of :ok adds overflows at op {}", op.index))?;
            }
            OpType::Info => possible.push((integer(&op.value, op.index)?, op.index)),
            OpType::Invoke | OpType::Fail => {}
        }
    }
    let mut acceptable = vec![(definite, definite)];
    for (delta, index) in possible {
        acceptable = with_delta(&acceptable, delta)
            .ok_or_else(|| format!("the acceptable range overflows at op {index}"))?;
    }

    let final_reads: Vec<_> = history
        .iter()
        .filter(|op| op.final_read && op.op_type == OpType::Ok)
        .collect();
    let mut errors = Vec::new();
    let mut values = Vec::new();
    for read in &final_reads {
        // An integer beyond 64 bits lies outside every acceptable range (each is a sum of
        // 64-bit deltas that did not overflow): an error, with the value as the node wrote it.
        let acceptable_value = match &read.value {
            Edn::BigInt(_) => false,
            other => contains(&acceptable, integer(other, read.index)?),
        };
        if !acceptable_value {
            errors.push(op_edn(read));
        }
        values.push(read.value.clone());
    }
    let failed = final_reads::failed(history, cluster);
    let valid = if !errors.is_empty() {
        Edn::Bool(false)
    } else if !failed.is_empty() || values.is_empty() {
        Edn::kw("unknown")
    } else {
        Edn::Bool(true)
    };
    let why = match (&valid, failed.is_empty()) {
        (Edn::Bool(_), _) => None,
        (_, false) => Some(final_reads::failed_sentence(
            &failed,
            "the counter's final value",
        )),
        (_, true) => Some(
            "no final read succeeded, so nothing shows that the nodes converged on the \
             counter's final value"
                .to_string(),
        ),
    };
    let mut result = vec![
        (Edn::kw("valid?"), valid),
        (
            Edn::kw("errors"),
            if errors.is_empty() {
                Edn::Nil
            } else {
                Edn::List(errors.into())
            },
        ),
        (Edn::kw("final-reads"), Edn::List(values.into())),
        (
            Edn::kw("acceptable"),
            Edn::List(
                acceptable
                    .iter()
                    .map(|&(lo, hi)| Edn::Vector(vec![Edn::Int(lo), Edn::Int(hi)].into()))
                    .collect(),
            ),
        ),
    ];
    if let Some(why) = why {
        result.insert(1, (Edn::kw("error"), Edn::Str(why.into())));
    }
    if !failed.is_empty() {
        result.push((
            Edn::kw("final-read-failures"),
            final_reads::failed_edn(&failed),
        ));
    }
    Ok(Edn::Map(result.into()))
}

/// An op's value as an integer, or an error naming the op.
fn integer(value: &Edn, index: usize) -> Result<i64, String> {
    match value {
        Edn::Int(i) => Ok(*i),
        other => Err(format!(
            "op {index} has value {}, expected an integer",
            crate::edn::compact(other)
        )),
    }
}

/// A ∪ (A + delta), for A a sorted list of disjoint, non-adjacent inclusive ranges; the result
/// has the same shape. None on overflow.
fn with_delta(ranges: &[(i64, i64)], delta: i64) -> Option<Vec<(i64, i64)>> {
    let mut all = ranges.to_vec();
    for &(lo, hi) in ranges {
        all.push((lo.checked_add(delta)?, hi.checked_add(delta)?));
    }
    all.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(all.len());
    for (lo, hi) in all {
        match merged.last_mut() {
            // Overlapping or adjacent (hi + 1 == lo) ranges merge, as in Maelstrom's open ranges.
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    Some(merged)
}

/// Whether `value` lies in one of the ranges.
fn contains(ranges: &[(i64, i64)], value: i64) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= value && value <= hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{edn, Builder};
    use crate::edn::compact;

    /// One node, n0, with eight workers: every process talks to it.
    fn check(history: &History) -> Edn {
        let nodes = ["n0".to_string()];
        super::check(history, &cluster(&nodes, 8))
    }

    fn cluster(nodes: &[String], concurrency: usize) -> Cluster<'_> {
        Cluster {
            placement: crate::history::Placement { nodes, concurrency },
            final_phase_start: None,
        }
    }

    /// Marks the last op of the builder as a final read.
    fn final_read(b: &mut Builder, ms: u64, process: u64, value: i64) {
        b.invoke(ms, process, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        b.ok(ms + 1, process, "read", Edn::Int(value));
        b.ops.last_mut().expect("an op").final_read = true;
    }

    /// An add of `delta` by `process` that completes with `outcome`.
    fn add(b: &mut Builder, ms: u64, process: u64, delta: i64, outcome: OpType) {
        b.invoke(ms, process, "add", Edn::Int(delta));
        b.op(ms + 1, process, outcome, "add", Edn::Int(delta));
    }

    /// Final reads equal to the sum of the :ok adds pass; reads during the test are not judged.
    #[test]
    fn accepts_final_reads_of_the_definite_sum() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 3, OpType::Ok);
        add(&mut b, 2, 1, -1, OpType::Ok);
        b.invoke(4, 0, "read", Edn::Nil)
            .ok(5, 0, "read", Edn::Int(-40));
        add(&mut b, 6, 1, 4, OpType::Ok);
        final_read(&mut b, 10, 0, 6);
        final_read(&mut b, 10, 1, 6);
        assert_eq!(
            compact(&check(&b.build())),
            "{:valid? true, :errors nil, :final-reads (6 6), :acceptable ([6 6])}"
        );
    }

    /// :info adds may or may not count: final reads anywhere in the acceptable set pass; :fail
    /// adds never count.
    #[test]
    fn accepts_any_subset_of_indeterminate_adds() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 10, OpType::Ok);
        add(&mut b, 2, 1, 5, OpType::Info);
        add(&mut b, 4, 2, 1, OpType::Info);
        add(&mut b, 6, 3, 100, OpType::Fail);
        final_read(&mut b, 10, 0, 10);
        final_read(&mut b, 10, 4, 16);
        final_read(&mut b, 10, 5, 11);
        // {10} -> {10, 15} -> {10, 11, 15, 16}.
        assert_eq!(
            compact(&check(&b.build())),
            "{:valid? true, :errors nil, :final-reads (10 16 11), :acceptable ([10 11] [15 16])}"
        );
    }

    /// A final read outside the acceptable set is reported with its whole op.
    #[test]
    fn rejects_a_final_read_outside_the_acceptable_set() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 2, OpType::Ok);
        add(&mut b, 2, 1, 3, OpType::Info);
        final_read(&mut b, 10, 0, 5);
        final_read(&mut b, 10, 1, 4);
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
        assert_eq!(
            result.get("errors"),
            Some(&edn(
                "({:index 7, :time 11000000, :type :ok, :process 1, :f :read, :value 4, :final? true})"
            ))
        );
        assert_eq!(result.get("final-reads"), Some(&edn("(5 4)")));
        assert_eq!(result.get("acceptable"), Some(&edn("([2 2] [5 5])")));
    }

    /// A final read that did not succeed is not judged, but when it leaves no successful final
    /// read the result is :unknown, naming the node and how its read ended.
    #[test]
    fn failed_final_reads_are_unknown_not_valid() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 1, OpType::Ok);
        b.invoke(10, 0, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        b.op(11, 0, OpType::Info, "read", Edn::Nil).error = Some(Edn::kw("net-timeout"));
        b.ops.last_mut().expect("an op").final_read = true;
        assert_eq!(
            compact(&check(&b.build())),
            "{:valid? :unknown, :error \"no final read of n0 succeeded (n0: info :error \
             :net-timeout), so nothing shows that it holds the counter's final value\", \
             :errors nil, :final-reads (), :acceptable ([1 1]), \
             :final-read-failures {:n0 \"info :error :net-timeout\"}}"
        );
    }

    /// Two nodes: n0's final read is right, n1's failed. n1 is named and the result is
    /// :unknown; had n0's read been wrong, the result would be invalid whatever n1 did.
    #[test]
    fn a_node_without_a_successful_final_read_is_named() {
        let nodes = ["n0".to_string(), "n1".to_string()];
        let mut b = Builder::new();
        add(&mut b, 0, 0, 1, OpType::Ok);
        final_read(&mut b, 10, 0, 1);
        b.invoke(10, 1, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        b.fail(11, 1, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        let result = super::check(&b.build(), &cluster(&nodes, 2));
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            result.get("final-read-failures"),
            Some(&edn("{:n1 \"fail\"}"))
        );

        let mut b = Builder::new();
        add(&mut b, 0, 0, 1, OpType::Ok);
        final_read(&mut b, 10, 0, 7);
        b.invoke(10, 1, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        b.fail(11, 1, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        let result = super::check(&b.build(), &cluster(&nodes, 2));
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
    }

    /// No final read at all (the final phase never ran): :unknown, not valid.
    #[test]
    fn no_final_read_is_unknown() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 1, OpType::Ok);
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            result.get("error"),
            Some(&Edn::str(
                "no final read succeeded, so nothing shows that the nodes converged on the \
                 counter's final value"
            ))
        );
    }

    /// A final read beyond 64 bits is out of every acceptable range: an error showing the
    /// value as written, not an :unknown "has value nil".
    #[test]
    fn final_read_beyond_64_bits_is_an_error() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 1, OpType::Ok);
        b.invoke(10, 0, "read", Edn::Nil);
        b.ops.last_mut().expect("an op").final_read = true;
        b.ok(11, 0, "read", Edn::big_int("18446744073709551617"));
        b.ops.last_mut().expect("an op").final_read = true;
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
        assert_eq!(
            result.get("final-reads"),
            Some(&edn("(18446744073709551617N)"))
        );
    }

    /// Adjacent integers merge into one range, as Maelstrom's open ranges do; gaps stay.
    #[test]
    fn acceptable_ranges_merge_adjacent_integers() {
        let a = with_delta(&[(9, 9)], 1).expect("no overflow");
        assert_eq!(a, [(9, 10)]);
        let a = with_delta(&a, 2).expect("no overflow");
        assert_eq!(a, [(9, 12)]);
        let a = with_delta(&a, 5).expect("no overflow");
        assert_eq!(a, [(9, 12), (14, 17)]);
        let a = with_delta(&a, 1).expect("no overflow");
        assert_eq!(a, [(9, 18)]);
        assert_eq!(with_delta(&[(0, 0)], 2), Some(vec![(0, 0), (2, 2)]));
        assert_eq!(with_delta(&[(0, 0)], -2), Some(vec![(-2, -2), (0, 0)]));
        assert_eq!(with_delta(&[(0, 3)], 0), Some(vec![(0, 3)]));
        assert_eq!(with_delta(&[(i64::MAX, i64::MAX)], 1), None);
    }

    /// A final read that is not an integer, or an overflowing sum, makes the result :unknown.
    #[test]
    fn unknown_on_values_it_cannot_add() {
        let mut b = Builder::new();
        add(&mut b, 0, 0, 1, OpType::Ok);
        b.invoke(10, 0, "read", Edn::Nil);
        b.ok(11, 0, "read", Edn::str("1"));
        b.ops.last_mut().expect("an op").final_read = true;
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            result.get("error"),
            Some(&Edn::str("op 3 has value \"1\", expected an integer"))
        );

        let mut b = Builder::new();
        add(&mut b, 0, 0, i64::MAX, OpType::Ok);
        add(&mut b, 2, 0, 1, OpType::Ok);
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
    }
}
