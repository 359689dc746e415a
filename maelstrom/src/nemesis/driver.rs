//! The nemesis driver: the thread that injects partitions into the network during the main
//! phase and heals it, recording each step in the history as Jepsen's nemesis ops
//! (`:nemesis :info :start-partition ...`), after Maelstrom's `src/maelstrom/nemesis.clj`.

use std::time::{Duration, Instant};

use rand::Rng;

use super::{grudge, grudge_edn, random_spec, spec_edn};
use crate::edn::Edn;
use crate::generator::{capped_secs, rng_for, StopSignal, Stream};
use crate::history::{Op, OpType, Process};
use crate::net::{LogSink, Net};

/// The least mean gap between nemesis ops, in seconds: a smaller `--nemesis-interval` (even
/// `1e-9`) acts as 1 ms, so the nemesis records at most about a thousand ops a second instead of
/// a million. Jepsen has no explicit floor, but one in practice: its nemesis runs one op at a
/// time through the generator interpreter (`jepsen/generator/interpreter.clj`, which re-polls a
/// waiting generator on a 1 ms `max-pending-interval`), and every op is logged as an invocation
/// and a completion, so back-to-back partitions cost it about that much each. The README's table
/// of deliberate differences lists it.
pub const MIN_INTERVAL_SECS: f64 = 0.001;

/// What the nemesis acts on and where it reports.
pub struct Nemesis<'a> {
    pub net: &'a Net,
    /// The node ids partitions are drawn over.
    pub nodes: &'a [String],
    /// Appends an op to the history.
    pub record: Box<dyn Fn(Op) + 'a>,
    /// The run log.
    pub log: &'a LogSink,
}

impl Nemesis<'_> {
    /// The partition nemesis: start, stop, start, ... from `start`, gaps uniform in
    /// [0, 2 × `interval_secs`) (at least [`MIN_INTERVAL_SECS`] on average), until `cutoff` or
    /// until `stop` fires.
    pub fn run(
        &self,
        interval_secs: f64,
        seed: u64,
        start: Instant,
        cutoff: Instant,
        stop: &StopSignal,
    ) {
        let mut rng = rng_for(seed, Stream::Nemesis);
        let max_gap = capped_secs(interval_secs.max(MIN_INTERVAL_SECS) * 2.0).as_nanos() as u64;
        let mut due = start;
        let mut partitioned = false;
        while due < cutoff {
            if !stop.sleep_until(due) || Instant::now() >= cutoff {
                break;
            }
            if partitioned {
                self.heal();
            } else {
                let spec = random_spec(&mut rng);
                (self.record)(nemesis_op("start-partition", spec_edn(spec)));
                let grudge = grudge(spec, self.nodes, &mut rng);
                self.net.partition(&grudge);
                (self.log)(&format!(
                    "Partitioned: {}",
                    crate::edn::compact(&grudge_edn(&grudge))
                ));
                (self.record)(nemesis_op("start-partition", grudge_edn(&grudge)));
            }
            partitioned = !partitioned;
            let gap = if max_gap == 0 {
                0
            } else {
                rng.gen_range(0..max_gap)
            };
            due = Instant::now() + Duration::from_nanos(gap);
        }
    }

    /// `:nemesis :info :stop-partition nil`, heal, `:nemesis :info :stop-partition :network-healed`.
    pub fn heal(&self) {
        (self.record)(nemesis_op("stop-partition", Edn::Nil));
        self.net.heal();
        (self.log)("Network healed");
        (self.record)(nemesis_op("stop-partition", Edn::kw("network-healed")));
    }
}

/// An op of the nemesis process (always `:info`).
fn nemesis_op(f: &str, value: Edn) -> Op {
    Op::new(OpType::Info, Process::Nemesis, f, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// `--nemesis-interval 1e-9` for 300 ms records a few hundred ops (two per step, about one
    /// step a millisecond), not hundreds of thousands.
    #[test]
    fn tiny_intervals_are_floored() {
        let net = Net::new(
            crate::net::NetOptions {
                latency_ms: 0,
                dist: crate::options::LatencyDist::Constant,
                log_send: false,
                log_recv: false,
                seed: 1,
            },
            Arc::new(|_: &str| {}),
        );
        let nodes = ["n0".to_string(), "n1".to_string(), "n2".to_string()];
        let ops = Arc::new(Mutex::new(0usize));
        let counter = Arc::clone(&ops);
        let log: LogSink = Arc::new(|_: &str| {});
        let nemesis = Nemesis {
            net: &net,
            nodes: &nodes,
            record: Box::new(move |_| *counter.lock().unwrap_or_else(|e| e.into_inner()) += 1),
            log: &log,
        };
        let start = Instant::now();
        nemesis.run(
            1e-9,
            1,
            start,
            start + Duration::from_millis(300),
            &StopSignal::new(),
        );
        let recorded = *ops.lock().unwrap_or_else(|e| e.into_inner());
        // About 2 ops per ms: at most 2 × 300 plus slack for the gaps' randomness.
        assert!(recorded <= 1_000, "{recorded} nemesis ops in 300 ms");
        assert!(recorded >= 20, "{recorded} nemesis ops in 300 ms");
    }
}
