//! Version orders: what each key's log looks like, pieced together from every offset a send
//! returned and every offset a poll saw (Jepsen's `version-orders`), and the errors found by
//! looking at the logs alone: `:inconsistent-offsets`, `:duplicate`, `:lost-write`.
//!
//! Jepsen keeps each log as a vector indexed by offset, so one offset of 10^12 allocates 10^12
//! slots (the out-of-memory reports on large offsets). Here a log is the sorted list of the
//! offsets actually seen: the *index* of an offset (Jepsen's dense index) is its rank in that
//! list, and memory follows the number of messages, not the size of the offsets.

use crate::checker::kafka::ops::{IntMap, Txns};
use crate::history::OpType;

/// One key's log.
#[derive(Debug, Default)]
pub struct Order {
    /// (offset, message) pairs seen, sorted by offset then message, without repeats.
    pub log: Vec<(i64, u32)>,
    /// Where each distinct offset's pairs start in `log`; index i is the i-th offset seen.
    pub starts: Vec<u32>,
    /// Index -> the message at that offset (the first seen, should there be several).
    pub by_index: Vec<u32>,
    /// Message -> the last index at which it is `by_index`'s message.
    by_value: IntMap<u32, u32>,
}

impl Order {
    /// The index of `value` in this log, if it has one.
    pub fn index_of(&self, value: u32) -> Option<u32> {
        self.by_value.get(&value).copied()
    }

    /// The offset at index `i`.
    pub fn offset(&self, i: usize) -> i64 {
        self.log[self.starts[i] as usize].0
    }

    /// The messages at index `i` (more than one only for an inconsistent offset).
    pub fn values_at(&self, i: usize) -> &[(i64, u32)] {
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.log.len(), |e| *e as usize);
        &self.log[self.starts[i] as usize..end]
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }
}

/// Every key's log, by key id.
pub struct Orders {
    pub keys: Vec<Order>,
}

impl Orders {
    /// Builds the logs from the offsets of sends that must have committed and of every poll,
    /// including `:info` and `:fail` ones (as Jepsen does: a poll is supposed to return only
    /// committed data, whatever becomes of the op).
    pub fn build(t: &Txns, ok_reads: &IntMap<(u32, u32), ()>) -> Orders {
        let mut seen: Vec<(u32, i64, u32)> = Vec::new();
        // Every consumer polls every message, so most rows repeat one seen before: sorting and
        // deduplicating whenever the list has doubled keeps it near the number of distinct
        // (key, offset, message) triples rather than one entry per polled row (tens of MB
        // less on a long history, for a few more sorts).
        let mut distinct = 0;
        for op in t.ops.iter().filter(|op| op.kind.is_txn()) {
            if t.must_have_committed(op, ok_reads) {
                seen.extend(
                    t.op_writes(op)
                        .iter()
                        .filter_map(|r| r.offset().map(|o| (r.key, o, r.value))),
                );
            }
            seen.extend(
                t.op_reads(op)
                    .iter()
                    .filter_map(|r| r.offset().map(|o| (r.key, o, r.value))),
            );
            if seen.len() > 2 * distinct + (1 << 16) {
                seen.sort_unstable();
                seen.dedup();
                distinct = seen.len();
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut keys: Vec<Order> = (0..t.keys.len()).map(|_| Order::default()).collect();
        for (key, offset, value) in seen {
            let order = &mut keys[key as usize];
            if order.log.last().is_none_or(|(o, _)| *o != offset) {
                order.starts.push(order.log.len() as u32);
                order.by_index.push(value);
                order
                    .by_value
                    .insert(value, order.by_index.len() as u32 - 1);
            }
            order.log.push((offset, value));
        }
        Orders { keys }
    }

    /// The index of message `value` in key `key`'s log.
    pub fn index_of(&self, key: u32, value: u32) -> Option<u32> {
        self.keys.get(key as usize).and_then(|o| o.index_of(value))
    }
}

/// `:inconsistent-offsets`: an offset at which different messages were seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Inconsistent {
    pub key: u32,
    pub offset: i64,
    pub index: usize,
    pub values: Vec<u32>,
}

pub fn inconsistent_offsets(orders: &Orders) -> Vec<Inconsistent> {
    let mut found = Vec::new();
    for (key, order) in orders.keys.iter().enumerate() {
        for i in 0..order.len() {
            let at = order.values_at(i);
            if at.len() > 1 {
                found.push(Inconsistent {
                    key: key as u32,
                    offset: at[0].0,
                    index: i,
                    values: at.iter().map(|(_, v)| *v).collect(),
                });
            }
        }
    }
    found
}

/// `:duplicate`: a message seen at more than one offset of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    pub key: u32,
    pub value: u32,
    pub offsets: Vec<i64>,
}

pub fn duplicates(orders: &Orders) -> Vec<Duplicate> {
    let mut found = Vec::new();
    for (key, order) in orders.keys.iter().enumerate() {
        let mut offsets: IntMap<u32, Vec<i64>> = IntMap::default();
        for &(offset, value) in &order.log {
            offsets.entry(value).or_default().push(offset);
        }
        let mut dups: Vec<Duplicate> = offsets
            .into_iter()
            .filter(|(_, o)| o.len() > 1)
            .map(|(value, offsets)| Duplicate {
                key: key as u32,
                value,
                offsets,
            })
            .collect();
        dups.sort_unstable_by_key(|d| d.offsets[0]);
        found.extend(dups);
    }
    found
}

/// `:lost-write`: an acknowledged message at an index below the highest index an `:ok` poll
/// reached in its key, which no `:ok` poll ever returned.
#[derive(Debug, Clone, PartialEq)]
pub struct LostWrite {
    pub key: u32,
    pub value: u32,
    /// The lost message's index.
    pub index: u32,
    /// The highest index some `:ok` poll is known to have reached.
    pub max_read_index: u32,
    /// Position in `Txns::ops` of the op that sent it.
    pub writer: u32,
    /// A message at `max_read_index`, whose first reader proves how far polls got.
    pub max_read_value: u32,
}

/// Jepsen's `lost-write-cases`. For each key an `:ok` poll read: the highest of the first
/// indexes of the messages read is how far polls got; every message whose last index is at or
/// below it must have been read too, unless its send may not have committed.
pub fn lost_writes(
    t: &Txns,
    orders: &Orders,
    ok_reads: &IntMap<(u32, u32), ()>,
    writer_of: &IntMap<(u32, u32), u32>,
) -> Vec<LostWrite> {
    let mut read_by_key: Vec<Vec<u32>> = vec![Vec::new(); t.keys.len()];
    for &(key, value) in ok_reads.keys() {
        read_by_key[key as usize].push(value);
    }
    let mut found = Vec::new();
    for (key, read) in read_by_key.iter().enumerate() {
        let order = &orders.keys[key];
        if read.is_empty() || order.len() == 0 {
            continue;
        }
        let mut first: IntMap<u32, u32> = IntMap::default();
        let mut last: IntMap<u32, u32> = IntMap::default();
        for i in 0..order.len() {
            for &(_, v) in order.values_at(i) {
                first.entry(v).or_insert(i as u32);
                last.insert(v, i as u32);
            }
        }
        let Some(bound) = read.iter().filter_map(|v| first.get(v)).max().copied() else {
            continue;
        };
        let mut must_read: Vec<(u32, u32)> = last
            .iter()
            .filter(|(_, i)| **i <= bound)
            .map(|(v, i)| (*i, *v))
            .collect();
        must_read.sort_unstable();
        let max_read_value = last
            .iter()
            .filter(|(_, i)| **i == bound)
            .map(|(v, _)| *v)
            .min()
            .unwrap_or(order.by_index[bound as usize]);
        for (_, value) in must_read {
            if ok_reads.contains_key(&(key as u32, value)) {
                continue;
            }
            // A message in the log that no op sent cannot be judged lost; it is reported by
            // the dependency graph instead.
            let Some(&writer) = writer_of.get(&(key as u32, value)) else {
                continue;
            };
            if t.must_have_committed(&t.ops[writer as usize], ok_reads) {
                found.push(LostWrite {
                    key: key as u32,
                    value,
                    index: first[&value],
                    max_read_index: bound,
                    writer,
                    max_read_value,
                });
            }
        }
    }
    found
}

/// `:G1a`: an `:ok` poll returned a message whose send failed.
#[derive(Debug, Clone, PartialEq)]
pub struct AbortedRead {
    pub key: u32,
    pub value: u32,
    pub writer: u32,
    pub reader: u32,
}

pub fn aborted_reads(t: &Txns, writer_of: &IntMap<(u32, u32), u32>) -> Vec<AbortedRead> {
    let mut failed: IntMap<(u32, u32), ()> = IntMap::default();
    for op in t.ops.iter().filter(|op| op.op_type == OpType::Fail) {
        for r in t.op_writes(op) {
            failed.insert((r.key, r.value), ());
        }
    }
    let mut found = Vec::new();
    if failed.is_empty() {
        return found;
    }
    for (pos, op) in t.ops.iter().enumerate() {
        if op.op_type != OpType::Ok
            || !matches!(op.kind, super::ops::Kind::Poll | super::ops::Kind::Txn)
        {
            continue;
        }
        for r in t.op_reads(op) {
            if failed.contains_key(&(r.key, r.value)) {
                found.push(AbortedRead {
                    key: r.key,
                    value: r.value,
                    writer: writer_of
                        .get(&(r.key, r.value))
                        .copied()
                        .unwrap_or(pos as u32),
                    reader: pos as u32,
                });
            }
        }
    }
    found
}

/// `:precommitted-read`: an op polled a message it sent itself (in Kafka's model a message is
/// invisible until the transaction that sends it commits).
#[derive(Debug, Clone, PartialEq)]
pub struct PrecommittedRead {
    pub op: u32,
    pub key: u32,
    pub value: u32,
}

pub fn precommitted_reads(t: &Txns) -> Vec<PrecommittedRead> {
    let mut found = Vec::new();
    for (pos, op) in t.ops.iter().enumerate() {
        let (writes, reads) = (t.op_writes(op), t.op_reads(op));
        if writes.is_empty() || reads.is_empty() {
            continue;
        }
        let hit = writes.iter().find_map(|w| {
            reads
                .iter()
                .find(|r| r.key == w.key && r.value == w.value)
                .map(|r| (r.key, r.value))
        });
        if let Some((key, value)) = hit {
            found.push(PrecommittedRead {
                op: pos as u32,
                key,
                value,
            });
        }
    }
    found
}

/// `:unseen`: at the end of the history, acknowledged messages no poll has returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Unseen {
    /// Time of the last `:ok` send or poll (ns).
    pub time: u64,
    /// Key -> its unseen messages.
    pub messages: Vec<(u32, Vec<u32>)>,
}

/// Jepsen's `unseen`, final state only: walking the `:ok` sends and polls in order, a message
/// is unseen from its `:ok` send until some `:ok` poll returns it. Jepsen's quirk is kept: a
/// key that the last op is the first to mention, by polling it, counts that poll's messages
/// as unseen (its map merge keeps keys only the polled side has).
pub fn unseen(t: &Txns, history_time: impl Fn(usize) -> u64) -> Option<Unseen> {
    let mut polled: IntMap<(u32, u32), ()> = IntMap::default();
    let mut unseen: IntMap<(u32, u32), ()> = IntMap::default();
    let mut known_keys: IntMap<u32, ()> = IntMap::default();
    let mut quirk: Vec<(u32, u32)> = Vec::new();
    let mut last_time = None;
    for op in t
        .ops
        .iter()
        .filter(|op| op.op_type == OpType::Ok && op.kind.is_txn())
    {
        last_time = Some(history_time(op.index));
        for kv in quirk.drain(..) {
            unseen.remove(&kv);
        }
        let writes = t.op_writes(op);
        for w in writes {
            known_keys.insert(w.key, ());
            if !polled.contains_key(&(w.key, w.value)) {
                unseen.insert((w.key, w.value), ());
            }
        }
        let reads = t.op_reads(op);
        let new_keys: Vec<u32> = t
            .op_polled_keys(op)
            .iter()
            .copied()
            .filter(|k| !known_keys.contains_key(k))
            .collect();
        for r in reads {
            polled.insert((r.key, r.value), ());
            unseen.remove(&(r.key, r.value));
        }
        for r in reads.iter().filter(|r| new_keys.contains(&r.key)) {
            unseen.insert((r.key, r.value), ());
            quirk.push((r.key, r.value));
        }
        for k in new_keys {
            known_keys.insert(k, ());
        }
    }
    let time = last_time?;
    let mut by_key: IntMap<u32, Vec<u32>> = IntMap::default();
    for (k, v) in unseen.into_keys() {
        by_key.entry(k).or_default().push(v);
    }
    if by_key.is_empty() {
        return None;
    }
    Some(Unseen {
        time,
        messages: by_key.into_iter().collect(),
    })
}
