//! The `:targets` checker (ours; see the README's deliberate differences): judges the efficiency targets of the broadcast challenges,
//! which Maelstrom only prints. Each `--max-*` option given adds an entry with the target, the
//! measured figure and whether it was met; a missed target, or one that could not be measured,
//! makes the test invalid.

use crate::edn::Edn;
use crate::options::TestOptions;

/// True when any `--max-msgs-per-op`, `--max-median-latency` or `--max-latency` was given.
pub fn any_set(opts: &TestOptions) -> bool {
    opts.max_msgs_per_op.is_some()
        || opts.max_median_latency_ms.is_some()
        || opts.max_latency_ms.is_some()
}

/// `{:max-msgs-per-op {:target t, :measured m, :met? b}, :max-median-latency {...},
/// :max-latency {...}, :valid? b}` with only the targets that were set. Measured on `:net
/// :servers :msgs-per-op` (`net`, the `:net` result) and on the 0.5 and 1 quantiles (ms) of
/// `:stable-latencies` (`workload`, the workload result). A figure that is missing gives
/// `:measured nil, :met? false` and an `:error` saying why.
pub fn check(opts: &TestOptions, net: &Edn, workload: &Edn) -> Edn {
    let mut entries = Vec::new();
    if let Some(target) = opts.max_msgs_per_op {
        let measured = net.get("servers").and_then(|s| s.get("msgs-per-op"));
        entries.push((
            "max-msgs-per-op",
            judge(
                Edn::Float(target),
                target,
                measured,
                "there is no :net :servers :msgs-per-op: no client operation was invoked, or the \
                 journal was not recorded",
            ),
        ));
    }
    let latencies = workload.get("stable-latencies");
    let quantile = |q: Edn| latencies.and_then(|l| lookup(l, &q));
    let no_latencies = "the workload reported no :stable-latencies (no element became stable)";
    if let Some(target) = opts.max_median_latency_ms {
        let measured = quantile(Edn::Float(0.5));
        entries.push((
            "max-median-latency",
            judge(
                Edn::Int(target as i64),
                target as f64,
                measured,
                no_latencies,
            ),
        ));
    }
    if let Some(target) = opts.max_latency_ms {
        let measured = quantile(Edn::Int(1));
        entries.push((
            "max-latency",
            judge(
                Edn::Int(target as i64),
                target as f64,
                measured,
                no_latencies,
            ),
        ));
    }
    let valid = entries
        .iter()
        .all(|(_, entry)| entry.get("met?") == Some(&Edn::Bool(true)));
    entries.push(("valid?", Edn::Bool(valid)));
    Edn::map(entries)
}

/// One target's entry: met when the measured figure is at most the target.
fn judge(target_edn: Edn, target: f64, measured: Option<&Edn>, why_missing: &str) -> Edn {
    let figure = measured.and_then(|m| match m {
        Edn::Int(i) => Some(*i as f64),
        Edn::BigInt(digits) => digits.parse().ok(),
        Edn::Float(x) => Some(*x),
        Edn::Float32(x) => Some(f64::from(*x)),
        _ => None,
    });
    match (measured, figure) {
        (Some(m), Some(figure)) => Edn::map([
            ("target", target_edn),
            ("measured", m.clone()),
            ("met?", Edn::Bool(figure <= target)),
        ]),
        _ => Edn::map([
            ("target", target_edn),
            ("measured", Edn::Nil),
            ("met?", Edn::Bool(false)),
            ("error", Edn::str(why_missing)),
        ]),
    }
}

/// A map lookup by any key (quantile keys are numbers, not keywords).
fn lookup<'a>(map: &'a Edn, key: &Edn) -> Option<&'a Edn> {
    match map {
        Edn::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::edn;
    use crate::edn::compact;

    fn options(msgs: Option<f64>, median: Option<u64>, max: Option<u64>) -> TestOptions {
        TestOptions {
            workload: "broadcast".into(),
            max_msgs_per_op: msgs,
            max_median_latency_ms: median,
            max_latency_ms: max,
            ..TestOptions::default()
        }
    }

    fn net(msgs_per_op: f32) -> Edn {
        Edn::map([(
            "servers",
            Edn::map([("msgs-per-op", Edn::Float32(msgs_per_op))]),
        )])
    }

    fn workload() -> Edn {
        edn("{:valid? true, :stable-latencies {0 0, 0.5 181, 0.95 200, 0.99 205, 1 207}}")
    }

    /// Every target met: each entry shows target, measured figure and :met? true.
    #[test]
    fn all_targets_met() {
        let result = check(
            &options(Some(30.0), Some(400), Some(600)),
            &net(19.61165),
            &workload(),
        );
        assert_eq!(
            compact(&result),
            "{:max-msgs-per-op {:target 30.0, :measured 19.61165, :met? true}, \
             :max-median-latency {:target 400, :measured 181, :met? true}, \
             :max-latency {:target 600, :measured 207, :met? true}, :valid? true}"
        );
        assert!(any_set(&options(None, None, Some(1))));
        assert!(!any_set(&options(None, None, None)));
    }

    /// A missed target makes the entry invalid; only the targets given appear.
    #[test]
    fn missed_target_is_invalid() {
        let result = check(
            &options(Some(15.0), None, Some(200)),
            &net(19.61165),
            &workload(),
        );
        assert_eq!(
            compact(&result),
            "{:max-msgs-per-op {:target 15.0, :measured 19.61165, :met? false}, \
             :max-latency {:target 200, :measured 207, :met? false}, :valid? false}"
        );
        // Exactly at the target is met: targets are maxima.
        let at = check(&options(None, Some(181), None), &net(1.0), &workload());
        assert_eq!(at.get("valid?"), Some(&Edn::Bool(true)));
    }

    /// A figure that cannot be measured fails the target with a reason.
    #[test]
    fn unmeasurable_target_is_invalid() {
        let result = check(
            &options(Some(15.0), Some(400), None),
            &Edn::map([]),
            &edn("{:valid? :unknown}"),
        );
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
        let median = result
            .get("max-median-latency")
            .cloned()
            .unwrap_or(Edn::Nil);
        assert_eq!(median.get("measured"), Some(&Edn::Nil));
        assert!(matches!(median.get("error"), Some(Edn::Str(_))));
    }
}
