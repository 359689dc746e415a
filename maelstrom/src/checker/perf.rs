//! The `:perf` checker (Jepsen's `jepsen.checker`; a departure, see the README's deliberate differences): always valid. Maelstrom's perf checker
//! only draws graphs (and turns `:unknown` without gnuplot); ours reports the latency quantiles
//! it measured per `:f`, so that the numbers are in the results map rather than only in a plot.

use std::collections::BTreeMap;

use crate::checker::{pair_index, percentile_index, quantile_key};
use crate::edn::Edn;
use crate::history::{History, OpType};

/// The quantiles of Jepsen's latency-quantiles graph.
const QUANTILES: [f64; 4] = [0.5, 0.95, 0.99, 1.0];

/// `{:latency-graph {:valid? true}, :rate-graph {:valid? true}, :latencies {<f> {0.5 ms, 0.95 ms,
/// 0.99 ms, 1 ms}}, :valid? true}`: latency from invocation to completion (ok, fail or info) of
/// every completed client op, in milliseconds rounded to the microsecond, f sorted.
pub fn check(history: &History) -> Edn {
    let pairs = pair_index(history);
    let mut by_f: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (i, op) in history.iter().enumerate() {
        if op.op_type != OpType::Invoke {
            continue;
        }
        if let Some(completion) = pairs[i] {
            let latency = history[completion].time.saturating_sub(op.time);
            by_f.entry(op.f.as_str()).or_default().push(latency);
        }
    }
    let latencies = by_f
        .into_iter()
        .map(|(f, mut nanos)| {
            nanos.sort_unstable();
            let quantiles = QUANTILES
                .iter()
                .map(|&q| {
                    let ms = nanos[percentile_index(nanos.len(), q)] as f64 / 1e6;
                    (quantile_key(q), Edn::Float((ms * 1000.0).round() / 1000.0))
                })
                .collect();
            (Edn::kw(f), Edn::Map(quantiles))
        })
        .collect();
    let valid = || Edn::map([("valid?", Edn::Bool(true))]);
    Edn::map([
        ("latency-graph", valid()),
        ("rate-graph", valid()),
        ("latencies", Edn::Map(latencies)),
        ("valid?", Edn::Bool(true)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::Builder;
    use crate::edn::compact;

    /// Quantiles per f from invoke/completion pairs, in ms; pending invocations are skipped.
    #[test]
    fn latency_quantiles_per_f() {
        let mut b = Builder::new();
        // Two overlapping reads on different processes, latencies 10 ms and 30 ms.
        b.invoke(0, 0, "read", Edn::Nil)
            .invoke(5, 1, "read", Edn::Nil)
            .ok(10, 0, "read", Edn::Nil)
            .info(35, 1, "read", Edn::Nil)
            .invoke(40, 0, "broadcast", Edn::Int(1))
            .ok(42, 0, "broadcast", Edn::Int(1))
            .invoke(50, 1, "broadcast", Edn::Int(2));
        let mut history = b.build();
        history[5].time += 600; // 2.0006 ms: rounded to the microsecond.
        assert_eq!(
            compact(&check(&history)),
            "{:latency-graph {:valid? true}, :rate-graph {:valid? true}, \
             :latencies {:broadcast {0.5 2.001, 0.95 2.001, 0.99 2.001, 1 2.001}, \
             :read {0.5 30.0, 0.95 30.0, 0.99 30.0, 1 30.0}}, :valid? true}"
        );
    }

    /// No completed ops: an empty :latencies map, still valid.
    #[test]
    fn empty_history_is_valid() {
        assert_eq!(
            compact(&check(&vec![])),
            "{:latency-graph {:valid? true}, :rate-graph {:valid? true}, :latencies {}, :valid? true}"
        );
    }
}
