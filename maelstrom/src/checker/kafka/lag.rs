//! Realtime lag (Jepsen's `realtime-lag`, `worst-realtime-lag`): how far behind the log a
//! consumer was when it polled.
//!
//! An op that sent or polled offset o of key k proves that offsets up to o existed by the time
//! it completed. The lag of a poll for key k, at the consumer's position o (the highest offset
//! it has seen, -1 when none), is the time from the moment offset o was known *not* to be the
//! last one (some op knew an offset above it) to the poll's invocation; zero when that moment
//! is later. Jepsen keeps, per key, a vector indexed by offset; here each key keeps only the
//! times at which its highest known offset rose, and a lookup is a binary search.

use crate::checker::kafka::ops::{IntMap, Kind, Txns};
use crate::history::{History, OpType};

/// The worst lag: the poll's invocation time and the lag itself, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    pub time: u64,
    pub process: u64,
    pub key: u32,
    pub lag: u64,
}

/// The highest offset per key that `op` sent or polled (Jepsen's `op->max-offsets`): -1 for a
/// key polled with no messages.
fn max_offsets(t: &Txns, op: &super::ops::KOp, out: &mut Vec<(u32, i64)>) {
    out.clear();
    let mut raise = |key: u32, offset: i64| match out.iter_mut().find(|(k, _)| *k == key) {
        Some((_, o)) => *o = (*o).max(offset),
        None => out.push((key, offset)),
    };
    for &key in t.op_polled_keys(op) {
        raise(key, -1);
    }
    for row in t.op_reads(op) {
        raise(row.key, row.offset().unwrap_or(-1));
    }
    for row in t.op_writes(op) {
        if let Some(offset) = row.offset() {
            raise(row.key, offset.max(0));
        }
    }
}

/// The worst realtime lag of any `:ok` poll, or `None` when there is none.
pub fn worst(history: &History, t: &Txns, pairs: &[Option<usize>]) -> Option<Lag> {
    // Key -> (highest offset known, time it became known), rising.
    let mut known: Vec<Vec<(i64, u64)>> = vec![Vec::new(); t.keys.len()];
    let mut offsets = Vec::new();
    for op in &t.ops {
        if !matches!(op.op_type, OpType::Ok | OpType::Info) || !op.kind.is_txn() {
            continue;
        }
        max_offsets(t, op, &mut offsets);
        for &(key, offset) in &offsets {
            let steps = &mut known[key as usize];
            if offset >= 0 && steps.last().is_none_or(|(o, _)| offset > *o) {
                steps.push((offset, history[op.index].time));
            }
        }
    }
    // The time from which offset `o` of `key` was known to exist.
    let known_since = |key: u32, o: i64| {
        let steps = &known[key as usize];
        let i = steps.partition_point(|(highest, _)| *highest < o);
        steps.get(i).map(|(_, time)| *time)
    };

    let mut positions: IntMap<u64, IntMap<u32, i64>> = IntMap::default();
    let mut worst: Option<Lag> = None;
    for op in t.ops.iter().filter(|op| op.op_type == OpType::Ok) {
        match op.kind {
            Kind::Assign => {
                let old = positions.remove(&op.process).unwrap_or_default();
                let new = t
                    .op_assigned(op)
                    .iter()
                    .map(|k| (*k, old.get(k).copied().unwrap_or(-1)))
                    .collect();
                positions.insert(op.process, new);
            }
            Kind::Subscribe => {
                positions.insert(op.process, IntMap::default());
            }
            Kind::Poll | Kind::Txn => {
                let invoked = pairs[op.index].map_or(history[op.index].time, |i| history[i].time);
                max_offsets(t, op, &mut offsets);
                let position = positions.entry(op.process).or_default();
                for &(key, offset) in &offsets {
                    let o = position.entry(key).or_insert(offset);
                    *o = (*o).max(offset);
                }
                for (&key, &offset) in position.iter() {
                    let lag = known_since(key, offset + 1)
                        .map_or(0, |since| invoked.saturating_sub(since));
                    if worst.is_none_or(|w| lag > w.lag) {
                        worst = Some(Lag {
                            time: invoked,
                            process: op.process,
                            key,
                            lag,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    worst
}
