//! Order errors: consumers and producers that jump over or go back in a key's log.
//!
//! Within one op (Jepsen's `int-poll-skip+nonmonotonic-cases`, `int-send-skip+nonmonotonic-
//! cases`): two successive messages of one key whose indexes differ by more than one (a skip)
//! or by less than one (nonmonotonic). Between ops of one process (`poll-skip+nonmonotonic-cases`,
//! `nonmonotonic-send-cases`): the first message of a key in an op against the last one the
//! process saw (or sent) in that key before; an assign of other keys resets this, and only `:ok`
//! polls move a consumer's position. When an index is unknown, the step counts as one.

use crate::checker::kafka::ops::{IntMap, Kind, Row, Txns};
use crate::checker::kafka::orders::Orders;
use crate::history::OpType;

/// Two messages of `key` whose indexes `i1` → `i2` jump (`i2 - i1 > 1`) or go back (`< 1`).
/// For an error inside one op, `ops` holds that op twice.
#[derive(Debug, Clone, PartialEq)]
pub struct Jump {
    /// Positions in `Txns::ops`: the earlier op and the later one.
    pub ops: [u32; 2],
    pub key: u32,
    pub values: [u32; 2],
    pub i1: u32,
    pub i2: u32,
}

impl Jump {
    pub fn delta(&self) -> i64 {
        self.i2 as i64 - self.i1 as i64
    }
}

/// Skips and nonmonotonic steps.
#[derive(Debug, Default)]
pub struct Jumps {
    pub skips: Vec<Jump>,
    pub nonmonotonic: Vec<Jump>,
}

impl Jumps {
    /// Files a step from (op a, value v1) to (op b, value v2) when both indexes are known.
    fn step(&mut self, orders: &Orders, ops: [u32; 2], key: u32, v1: Option<u32>, v2: Option<u32>) {
        let (Some(v1), Some(v2)) = (v1, v2) else {
            return;
        };
        let (Some(i1), Some(i2)) = (orders.index_of(key, v1), orders.index_of(key, v2)) else {
            return;
        };
        let jump = Jump {
            ops,
            key,
            values: [v1, v2],
            i1,
            i2,
        };
        match jump.delta() {
            d if d > 1 => self.skips.push(jump),
            d if d < 1 => self.nonmonotonic.push(jump),
            _ => {}
        }
    }
}

/// Steps inside each op between successive messages of a key: polls (`:int-poll-skip`,
/// `:int-nonmonotonic-poll`) or sends (`:int-send-skip`, `:int-nonmonotonic-send`).
pub fn internal(t: &Txns, orders: &Orders, sends: bool) -> Jumps {
    let mut jumps = Jumps::default();
    let mut last: Vec<(u32, u32)> = Vec::new();
    for (pos, op) in t.ops.iter().enumerate() {
        let rows: &[Row] = if sends {
            t.op_writes(op)
        } else {
            t.op_reads(op)
        };
        if rows.len() < 2 {
            continue;
        }
        last.clear();
        for row in rows {
            let pos = pos as u32;
            match last.iter_mut().find(|(k, _)| *k == row.key) {
                Some((_, prev)) => {
                    jumps.step(orders, [pos, pos], row.key, Some(*prev), Some(row.value));
                    *prev = row.value;
                }
                None => last.push((row.key, row.value)),
            }
        }
    }
    jumps
}

/// For each key an op touched: its first and last message (`None` for a key polled with no
/// messages).
fn ends(rows: &[Row], keys: impl Iterator<Item = u32>) -> Vec<(u32, Option<u32>, Option<u32>)> {
    let mut ends: Vec<(u32, Option<u32>, Option<u32>)> = Vec::new();
    for key in keys {
        if !ends.iter().any(|(k, _, _)| *k == key) {
            ends.push((key, None, None));
        }
    }
    for row in rows {
        if let Some(e) = ends.iter_mut().find(|(k, _, _)| *k == row.key) {
            e.1.get_or_insert(row.value);
            e.2 = Some(row.value);
        }
    }
    ends
}

/// Each process's polls against its previous `:ok` poll of the same key (`:poll-skip`,
/// `:nonmonotonic-poll`).
pub fn between_polls(t: &Txns, orders: &Orders) -> Jumps {
    let mut jumps = Jumps::default();
    // Process -> key -> (position of the last :ok op that polled it, its last message).
    let mut positions: IntMap<u64, IntMap<u32, (u32, Option<u32>)>> = IntMap::default();
    for (pos, op) in t.ops.iter().enumerate() {
        let last = positions.entry(op.process).or_default();
        match op.kind {
            Kind::Assign | Kind::Subscribe if op.op_type != OpType::Fail => {
                let keep = t.op_assigned(op);
                last.retain(|k, _| keep.contains(k));
            }
            Kind::Poll | Kind::Txn => {
                let ends = ends(t.op_reads(op), t.op_polled_keys(op).iter().copied());
                for &(key, first, _) in &ends {
                    if let Some(&(prev, v)) = last.get(&key) {
                        jumps.step(orders, [prev, pos as u32], key, v, first);
                    }
                }
                if op.op_type == OpType::Ok {
                    for (key, _, end) in ends {
                        last.insert(key, (pos as u32, end));
                    }
                }
            }
            _ => {}
        }
    }
    jumps
}

/// Each process's sends against its previous send to the same key (`:nonmonotonic-send`;
/// Jepsen does not look for skips between sends, which concurrent producers cause all the
/// time). Only `:ok` and `:info` sends count.
pub fn between_sends(t: &Txns, orders: &Orders) -> Vec<Jump> {
    let mut jumps = Jumps::default();
    let mut positions: IntMap<u64, IntMap<u32, (u32, Option<u32>)>> = IntMap::default();
    for (pos, op) in t.ops.iter().enumerate() {
        if !matches!(op.op_type, OpType::Ok | OpType::Info) {
            continue;
        }
        let last = positions.entry(op.process).or_default();
        match op.kind {
            Kind::Assign | Kind::Subscribe => {
                let keep = t.op_assigned(op);
                last.retain(|k, _| keep.contains(k));
            }
            Kind::Send | Kind::Txn => {
                let writes = t.op_writes(op);
                let ends = ends(writes, writes.iter().map(|r| r.key));
                for &(key, first, _) in &ends {
                    if let Some(&(prev, v)) = last.get(&key) {
                        jumps.step(orders, [prev, pos as u32], key, v, first);
                    }
                }
                for (key, _, end) in ends {
                    last.insert(key, (pos as u32, end));
                }
            }
            _ => {}
        }
    }
    jumps.nonmonotonic
}
