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
    /// [0, 2 × `interval_secs`), until `cutoff` or until `stop` fires.
    pub fn run(
        &self,
        interval_secs: f64,
        seed: u64,
        start: Instant,
        cutoff: Instant,
        stop: &StopSignal,
    ) {
        let mut rng = rng_for(seed, Stream::Nemesis);
        let max_gap = capped_secs(interval_secs * 2.0).as_nanos() as u64;
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
