//! Faults as packages, in the shape of Jepsen's `nemesis/combined.clj`: one value per fault
//! (`--nemesis partition`) holding what it does, when, how it is undone before the final phase,
//! and how views shade it; packages compose (every chosen package runs on its own schedule,
//! side by side, as `gen/any` runs them in `compose-packages`).
//!
//! - what: [`Fault::start`] and [`Fault::stop`], acting on the cluster only through the
//!   [`Context`] the runtime gives them (the network; the nodes' processes, for kill and
//!   pause);
//! - when: the flip-flop schedule every package of `combined.clj` uses (start, stop, start, ...,
//!   `gen/stagger`ed by `--nemesis-interval`), run by [`driver::run`] with the package's own
//!   seeded random stream; [`Fault::next_gap`] is the stagger. Faults of one Jepsen package
//!   ([`Fault::package`]: `kill` and `pause` are both `db-package`'s) share one schedule, each
//!   step from one of them at random (`gen/mix`), so together they cause about one op an
//!   interval, as in Maelstrom;
//! - its undo: [`Fault::final_op`] (`:final-generator`), run before the final phase;
//! - its ops and shading: [`Fault::shade`] (`:perf`: the name, start and stop ops, colour),
//!   read by every view instead of matching op names.
//!
//! The faults: `partition.rs`, `kill.rs`, `pause.rs` (the last two share `node_faults.rs`:
//! Jepsen's node specs and ops on nodes). A new fault is one file beside `partition.rs` with a type that implements [`Fault`], and one
//! line in [`REGISTRY`]; the command line, the driver and the views read the registry.

pub mod driver;
pub mod effects;
pub mod kill;
pub mod node_faults;
pub mod partition;
pub mod pause;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;

use crate::edn::Edn;
use crate::generator::capped_secs;
use crate::history::{Op, OpType, Process};

/// Every fault `--nemesis` accepts, in the order their threads start and their final ops run.
/// A fault's random stream is derived from its place here (see [`driver::rng_for_fault`]).
pub static REGISTRY: &[&dyn Fault] = &[&partition::Partition, &pause::Pause, &kill::Kill];

/// Destination node -> the source nodes whose messages it drops.
pub type Grudge = BTreeMap<String, BTreeSet<String>>;

/// How views shade a fault's activity (one entry of a package's `:perf` set in Jepsen's
/// `nemesis/combined.clj`): a span opens at a `start` op and closes at the last `stop` op
/// after it, and is drawn in `color` with `name` as its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shade {
    /// The fault's name, as `--nemesis` takes it: `partition`.
    pub name: &'static str,
    /// The `:f` of the nemesis ops that start the fault: `start-partition`.
    pub start: &'static [&'static str],
    /// The `:f` of the nemesis ops that end it: `stop-partition`.
    pub stop: &'static [&'static str],
    /// `#RRGGBB`: Jepsen's colour for the fault (partition `#E9DCA0`, kill `#E9A4A0`,
    /// pause `#A0B1E9`).
    pub color: &'static str,
}

/// One fault package. Implementations hold no state of the run: what a fault changed lives in
/// the cluster (the network's drop table, ...), reached through the [`Context`].
pub trait Fault: Sync {
    /// Its name, its ops' names and its colour.
    fn shade(&self) -> Shade;

    /// Injects the fault once, recording `:nemesis :info` ops before and after the change
    /// (`ctx.record`). Every random choice comes from `rng`, the fault's own seeded stream.
    fn start(&self, ctx: &Context, rng: &mut StdRng);

    /// Ends the fault (heal, restart, resume), recording its ops likewise.
    fn stop(&self, ctx: &Context);

    /// How the fault is undone before the final phase (`:final-generator`): by default its
    /// `stop`, run whether or not the fault is active, as Maelstrom heals before final reads.
    fn final_op(&self, ctx: &Context) {
        self.stop(ctx);
    }

    /// The Jepsen package whose schedule the fault runs on: the faults of one package share one
    /// schedule, each step taken by one of them at random (`gen/mix` of their flip-flops), and
    /// each package runs on a schedule of its own (`gen/any` in `compose-packages`). By
    /// default the fault's name; `kill` and `pause` are both `db` (Jepsen's `db-package`).
    fn package(&self) -> &'static str {
        self.shade().name
    }

    /// The wait before the next step of the schedule: Jepsen's `gen/stagger`, uniform in
    /// [0, 2 × `interval_secs`) (`--nemesis-interval`), drawn from the fault's stream.
    fn next_gap(&self, interval_secs: f64, rng: &mut StdRng) -> Duration {
        let max_gap = capped_secs(interval_secs * 2.0).as_nanos() as u64;
        if max_gap == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rng.gen_range(0..max_gap))
    }
}

/// The network as a fault acts on it (implemented by the runtime's `net::Net`).
pub trait Network: Sync {
    /// Adds the grudge to the drop table: each destination drops messages from its sources.
    fn partition(&self, grudge: &Grudge);
    /// Empties the drop table.
    fn heal(&self);
}

/// The nodes' processes as a fault acts on them (implemented by the runner, after `jepsen.db`'s
/// `Kill` and `Pause` protocols that Maelstrom's `db.clj` implements).
pub trait Processes: Sync {
    /// Kills, starts (with `init`), pauses or resumes `node`. `Ok` says what was done, as a
    /// keyword (`killed`, `already-dead`, `started`, `already-running`, `paused`, `dead`,
    /// `resumed`, `not-paused`); `Err` why it could not be (a node that could not be started
    /// again or did not answer its new `init`, which the runner reports as a crash).
    fn act(&self, node: &str, action: node_faults::NodeAction) -> Result<&'static str, String>;
}

/// What the runtime gives a fault to act through and report to. A capability a new fault needs
/// (killing, restarting, pausing node processes) is one more field here, filled by the runner.
pub struct Context<'a> {
    /// The test's node ids.
    pub nodes: &'a [String],
    /// The simulated network.
    pub network: &'a dyn Network,
    /// The nodes' processes.
    pub processes: &'a dyn Processes,
    /// Appends an op to the history.
    pub record_op: &'a (dyn Fn(Op) + Sync),
    /// Writes a line to the run log.
    pub log_line: &'a (dyn Fn(&str) + Sync),
}

impl Context<'_> {
    /// Records `:nemesis :info :<f> <value>`.
    pub fn record(&self, f: &str, value: Edn) {
        (self.record_op)(Op::new(OpType::Info, Process::Nemesis, f, value));
    }

    /// Writes `line` to the run log.
    pub fn log(&self, line: &str) {
        (self.log_line)(line);
    }
}

/// The fault `--nemesis` names `name`, if there is one.
pub fn named(name: &str) -> Option<&'static dyn Fault> {
    REGISTRY.iter().copied().find(|f| f.shade().name == name)
}

/// Every fault's name, in registry order: what `--nemesis` accepts.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|f| f.shade().name)
}

/// Every fault's shade, in registry order, for the views.
pub fn shades() -> impl Iterator<Item = Shade> {
    REGISTRY.iter().map(|f| f.shade())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fault names are unique, and no op name belongs to two faults' shades (a view could not
    /// tell whose span an op opens).
    #[test]
    fn names_and_ops_are_unique() {
        let names: Vec<&str> = names().collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let ops: Vec<&str> = shades()
            .flat_map(|s| s.start.iter().chain(s.stop))
            .copied()
            .collect();
        let unique_ops: BTreeSet<&str> = ops.iter().copied().collect();
        assert_eq!(unique_ops.len(), ops.len(), "{ops:?}");
        for shade in shades() {
            assert!(
                !shade.start.is_empty() && !shade.stop.is_empty(),
                "{shade:?}"
            );
            let hex = shade.color.strip_prefix('#').unwrap_or("");
            assert!(
                hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()),
                "{shade:?}"
            );
        }
    }

    /// `named` finds `partition` and nothing for an unknown name.
    #[test]
    fn named_finds_registered_faults_only() {
        assert_eq!(
            named("partition").map(|f| f.shade().name),
            Some("partition")
        );
        assert!(named("kill-everything").is_none());
    }
}
