//! The kafka checker: Jepsen's `jepsen.tests.kafka/checker` in assign mode, as Maelstrom's
//! `workload/kafka.clj` runs it (no write-write inference, consumers placed with `assign`).
//!
//! The history is read once into tables (`ops`); each key's log is pieced together from the
//! offsets sends returned and polls saw (`orders`); then each error type is looked for:
//! - `orders`: `:inconsistent-offsets`, `:duplicate`, `:lost-write`, `:unseen`, `:G1a`,
//!   `:precommitted-read`;
//! - `skips`: `:int-poll-skip`, `:int-nonmonotonic-poll`, `:int-send-skip`,
//!   `:int-nonmonotonic-send`, `:poll-skip`, `:nonmonotonic-poll`, `:nonmonotonic-send`;
//! - `deps`: cycles of wr and realtime edges (`:G1c-realtime`, `:strong-PL-2-cycle-exists`, ...);
//! - `lag`: `:worst-realtime-lag`.
//!
//! `report` turns what was found into Maelstrom's result map: `:valid?` (no error type outside
//! Maelstrom's allowed set), `:worst-realtime-lag`, `:bad-error-types`, `:error-types`,
//! `:info-txn-causes`, and per error type `{:count n, :errs (...)}`.
//!
//! Departures, on purpose (listed in the README): every example carries an `:explanation`
//! sentence and its ops a `:node`; `:lost-write`, `:G1a`, `:precommitted-read` and the cycle
//! types other than G0 and G1c keep 8 examples, and skip lists 32 messages, where Jepsen prints
//! all; messages and keys are sorted
//! where Jepsen's hash order would decide. Logs are sorted offset lists, not offset-indexed
//! vectors, so large offsets cost nothing.

mod deps;
#[cfg(test)]
mod jepsen_cases;
#[cfg(test)]
mod jepsen_more_cases;
mod lag;
mod ops;
mod orders;
mod report;
mod skips;
#[cfg(test)]
mod tests;

pub use crate::checker::Placement;
use crate::checker::{pair_index, unknown};
use crate::edn::Edn;
use crate::history::{History, Process};
use ops::{IntMap, Txns};
use orders::Orders;

/// Checks a kafka history. Returns the result map described in the module doc, or
/// `{:valid? :unknown, :error ..}` naming the op whose value cannot be read, or a polled message
/// that no op sent.
pub fn check(history: &History, placement: Placement) -> Edn {
    match try_check(history, placement) {
        Ok(result) => result,
        Err(error) => unknown(error),
    }
}

fn try_check(history: &History, placement: Placement) -> Result<Edn, String> {
    let t = Txns::parse(history)?;
    let pairs = pair_index(history);
    let ok_reads = t.ok_reads();
    let writer_of = t.writer_of();
    let orders = Orders::build(&t, &ok_reads);
    let ctx = Ctx {
        history,
        t: &t,
        orders: &orders,
        pairs: &pairs,
        writer_of: &writer_of,
        placement,
    };
    // The dependency graph and its cycles are the biggest single piece of work and need
    // nothing the other analyses produce: on a second core they run alongside.
    let (cycles, found) = std::thread::scope(|scope| {
        let cycles = scope.spawn(|| deps::graph(&ctx).map(|g| deps::anomalies(&ctx, &g)));
        let found = report::Found {
            duplicates: orders::duplicates(&orders),
            inconsistent: orders::inconsistent_offsets(&orders),
            lost: orders::lost_writes(&t, &orders, &ok_reads, &writer_of),
            unseen: orders::unseen(&t, |i| history[i].time),
            aborted: orders::aborted_reads(&t, &writer_of),
            precommitted: orders::precommitted_reads(&t),
            int_polls: skips::internal(&t, &orders, false),
            int_sends: skips::internal(&t, &orders, true),
            polls: skips::between_polls(&t, &orders),
            sends: skips::between_sends(&t, &orders),
            cycles: Vec::new(),
            lag: lag::worst(history, &t, &pairs),
        };
        let cycles = cycles
            .join()
            .unwrap_or_else(|_| Err("the cycle search failed".to_string()));
        (cycles, found)
    });
    let found = report::Found {
        cycles: cycles?,
        ..found
    };
    Ok(report::results(&ctx, found))
}

/// Everything the reports need to name keys, messages, offsets and ops.
pub struct Ctx<'a> {
    pub history: &'a History,
    t: &'a Txns,
    orders: &'a Orders,
    pairs: &'a [Option<usize>],
    writer_of: &'a IntMap<(u32, u32), u32>,
    placement: Placement<'a>,
}

impl Ctx<'_> {
    /// The position in `t.ops` of the op at history index `index`.
    fn position(&self, index: usize) -> Option<usize> {
        self.t.ops.binary_search_by_key(&index, |op| op.index).ok()
    }

    /// The node a client process talked to.
    fn node(&self, process: u64) -> Option<&str> {
        let Placement { nodes, concurrency } = self.placement;
        crate::history::node_of(crate::history::Process::Client(process), concurrency, nodes)
    }

    /// "op 12 (process 3 on n1)".
    fn who(&self, index: usize) -> String {
        let op = &self.history[index];
        match op.process {
            Process::Client(p) => match self.node(p) {
                Some(node) => format!("op {index} (process {p} on {node})"),
                None => format!("op {index} (process {p})"),
            },
            Process::Nemesis => format!("op {index} (nemesis)"),
        }
    }

    /// The op at history index `index` as a Jepsen op map, with `:node` when known.
    fn op_edn(&self, index: usize) -> Edn {
        let op = &self.history[index];
        let mut edn = crate::history::op_edn(op);
        if let Process::Client(p) = op.process {
            if let Some(node) = self.node(p) {
                edn.push_entry("node", Edn::str(node));
            }
        }
        edn
    }

    /// The op at position `pos` of `t.ops`, as EDN.
    fn op_at(&self, pos: u32) -> Edn {
        self.op_edn(self.t.ops[pos as usize].index)
    }

    /// "op 12 (process 3 on n1)" for position `pos` of `t.ops`.
    fn who_at(&self, pos: u32) -> String {
        self.who(self.t.ops[pos as usize].index)
    }

    fn key(&self, key: u32) -> Edn {
        self.t.keys[key as usize].clone()
    }

    fn value(&self, value: u32) -> Edn {
        self.t.values[value as usize].clone()
    }

    /// The offset at index `i` of `key`'s log.
    fn offset(&self, key: u32, i: u32) -> i64 {
        self.orders.keys[key as usize].offset(i as usize)
    }
}
