//! Checkers: pure functions from a history (and options) to a results entry, after Jepsen's
//! `jepsen.checker` and Maelstrom's workload checkers.
//!
//! One file per checker, each with a `check` function returning its EDN entry, so each can be
//! unit-tested on a hand-made history. A checker reads the history, the journal, the options and
//! the run's facts, never the runtime (`net`, `process`, `runner`) or the files (`store`).
//! `analysis` runs them and composes the results map; the helpers every checker shares
//! (`:valid?` merging, pairing invocations with completions) live here.

pub mod availability;
pub mod crash_errors;
pub mod cycle_exists;
pub mod cycles;
pub mod echo;
pub mod exceptions;
pub mod explain;
pub mod final_reads;
pub mod graph;
pub mod kafka;
pub mod linearizable;
pub mod net;
pub mod perf;
pub mod pn_counter;
pub mod set_full;
pub mod stats;
pub mod targets;
pub mod txn;
pub mod unique_ids;
pub mod values;

use crate::edn::Edn;

/// Where ops ran, and op pairing: the history's queries, answered in `history.rs`.
pub use crate::history::{pair_index, Placement};

/// `{:valid? :unknown, :error text}`: what a checker that could not decide returns.
pub fn unknown(error: String) -> Edn {
    Edn::map([
        ("valid?", Edn::kw("unknown")),
        ("error", Edn::Str(error.into())),
    ])
}

/// The `:valid?` of a result entry (`:unknown` when missing).
pub fn valid_of(result: &Edn) -> Edn {
    result
        .get("valid?")
        .cloned()
        .unwrap_or_else(|| Edn::kw("unknown"))
}

/// Jepsen's `merge-valid`: `false` if any is false, else `:unknown` if any is unknown (or not a
/// validity at all), else `true`. An empty input is `true`.
pub fn merge_valid(values: impl IntoIterator<Item = Edn>) -> Edn {
    let mut merged = Edn::Bool(true);
    for value in values {
        match value {
            Edn::Bool(false) => return Edn::Bool(false),
            Edn::Bool(true) => {}
            _ => merged = Edn::kw("unknown"),
        }
    }
    merged
}

/// Quantile keys print as Clojure wrote them: `0` and `1` are integers, the rest doubles.
pub fn quantile_key(q: f64) -> Edn {
    if q.fract() == 0.0 {
        Edn::Int(q as i64)
    } else {
        Edn::Float(q)
    }
}

/// The sorted-list index Jepsen takes for percentile `p` of `n` values: min(n-1, floor(n*p)).
pub fn percentile_index(n: usize, p: f64) -> usize {
    ((n as f64 * p).floor() as usize).min(n.saturating_sub(1))
}

/// Helpers shared by the checkers' unit tests: readable hand-made histories.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::edn::Edn;
    use crate::history::{Exception, History, Op, OpType, Process};

    /// Builds a history op by op; times are in milliseconds for readability.
    #[derive(Default)]
    pub struct Builder {
        pub ops: History,
    }

    impl Builder {
        pub fn new() -> Builder {
            Builder::default()
        }

        /// Appends an op of client `process` at `ms` milliseconds.
        pub fn op(
            &mut self,
            ms: u64,
            process: u64,
            op_type: OpType,
            f: &str,
            value: Edn,
        ) -> &mut Op {
            let mut op = Op::new(op_type, Process::Client(process), f, value);
            op.index = self.ops.len();
            op.time = ms * 1_000_000;
            self.ops.push(op);
            self.ops.last_mut().expect("just pushed")
        }

        pub fn invoke(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Invoke, f, value);
            self
        }

        pub fn ok(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Ok, f, value);
            self
        }

        pub fn fail(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Fail, f, value);
            self
        }

        pub fn info(&mut self, ms: u64, process: u64, f: &str, value: Edn) -> &mut Self {
            self.op(ms, process, OpType::Info, f, value);
            self
        }

        /// An `:info` completion carrying an exception of `class`.
        pub fn exception(&mut self, ms: u64, process: u64, f: &str, class: &str) -> &mut Self {
            let op = self.op(ms, process, OpType::Info, f, Edn::Nil);
            op.exception = Some(Box::new(Exception {
                class: class.to_string(),
                message: format!("{class} happened"),
            }));
            self
        }

        /// A nemesis op (always `:info`).
        pub fn nemesis(&mut self, ms: u64, f: &str) -> &mut Self {
            let mut op = Op::new(OpType::Info, Process::Nemesis, f, Edn::Nil);
            op.index = self.ops.len();
            op.time = ms * 1_000_000;
            self.ops.push(op);
            self
        }

        pub fn build(&self) -> History {
            self.ops.clone()
        }
    }

    /// `[1 2 3]` as an EDN vector of integers.
    pub fn ints(values: &[i64]) -> Edn {
        Edn::Vector(values.iter().map(|v| Edn::Int(*v)).collect())
    }

    /// Reads a value written in EDN, for expected results.
    pub fn edn(text: &str) -> Edn {
        crate::edn::parse(text).unwrap_or_else(|e| panic!("bad EDN in a test: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{ints, Builder};
    use super::*;

    /// merge-valid: false beats :unknown beats true, and nothing at all is true.
    #[test]
    fn merge_valid_priorities() {
        let t = Edn::Bool(true);
        let f = Edn::Bool(false);
        let u = Edn::kw("unknown");
        assert_eq!(merge_valid([t.clone(), u.clone(), t.clone()]), u);
        assert_eq!(merge_valid([u.clone(), f.clone(), t.clone()]), f);
        assert_eq!(merge_valid([t.clone(), t.clone()]), t);
        assert_eq!(merge_valid([]), t);
    }

    /// Invocations pair with the next completion of the same process; nemesis ops stay unpaired.
    #[test]
    fn pair_index_pairs_per_process() {
        let mut b = Builder::new();
        b.invoke(0, 0, "read", Edn::Nil)
            .invoke(0, 1, "read", Edn::Nil)
            .nemesis(1, "start-partition")
            .ok(2, 1, "read", ints(&[]))
            .ok(3, 0, "read", ints(&[]))
            .invoke(4, 0, "read", Edn::Nil);
        let pairs = pair_index(&b.build());
        assert_eq!(pairs, vec![Some(4), Some(3), None, Some(1), Some(0), None]);
    }
}
