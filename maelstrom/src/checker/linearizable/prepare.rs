//! From a lin-kv history to one register history per key (Jepsen's `independent` checker: the
//! history is split by the `k` of each `[k v]` value, P-compositionality makes each key a
//! problem of its own).
//!
//! What the search gets, per Knossos's semantics: every `:ok` op with the interval from its
//! invocation to its completion; every `:info` op (or invocation never completed) with no end,
//! since it may take effect at any moment after its invocation or never; `:fail` ops dropped,
//! since they took no effect. Reads that cannot constrain anything are dropped too and counted:
//! crashed reads, and reads of `nil`, which pass in any state.

use super::model::{Kind, Values};
use crate::checker::pair_index;
use crate::edn::{compact, Edn};
use crate::history::{History, OpType, Process};
use std::collections::HashMap;

/// One operation of one key, as the search sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinOp {
    pub kind: Kind,
    pub process: u64,
    /// History index of the invocation.
    pub invoke: usize,
    /// History index of the `:ok` completion; `None` for a crashed op (`:info`, or still pending
    /// at the end of the history).
    pub complete: Option<usize>,
}

impl LinOp {
    /// True for `:info` ops, which need not take effect.
    pub fn crashed(&self) -> bool {
        self.complete.is_none()
    }
}

/// One key's register history.
#[derive(Debug, Clone)]
pub struct KeyHistory {
    /// The key, as the history wrote it.
    pub key: Edn,
    /// Ops in invocation order.
    pub ops: Vec<LinOp>,
    pub values: Values,
    /// `:ok` reads of `nil`: Knossos lets them pass in any state; no correct node returns one.
    pub nil_reads: usize,
    /// `:fail` ops dropped.
    pub failed: usize,
}

/// Splits a lin-kv history by key, in order of each key's first op. Ops whose value is not a
/// `[k v]` tuple, or whose `f` is not read/write/cas, are skipped and counted in the second
/// result (a runtime bug, not a node's fault: the client builds these values).
pub fn by_key(history: &History) -> (Vec<KeyHistory>, usize) {
    let partner = pair_index(history);
    let mut keys: Vec<KeyHistory> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::new();
    let mut skipped = 0;
    for (i, op) in history.iter().enumerate() {
        let Process::Client(process) = op.process else {
            continue;
        };
        if op.op_type != OpType::Invoke {
            continue;
        }
        let done = partner[i].map(|j| &history[j]);
        let Some((key, arg)) = tuple(&op.value) else {
            skipped += 1;
            continue;
        };
        let name = compact(key);
        let next = keys.len();
        let k = *slot.entry(name).or_insert(next);
        if k == next {
            keys.push(KeyHistory {
                key: key.clone(),
                ops: Vec::new(),
                values: Values::default(),
                nil_reads: 0,
                failed: 0,
            });
        }
        let kh = &mut keys[k];
        let op_type = done.map_or(OpType::Info, |d| d.op_type);
        if op_type == OpType::Fail {
            kh.failed += 1;
            continue;
        }
        let complete = (op_type == OpType::Ok).then(|| partner[i]).flatten();
        let kind = match op.f.as_str() {
            "read" => {
                let read = done.and_then(|d| tuple(&d.value)).map(|(_, v)| v);
                match (complete, read) {
                    (Some(_), Some(v)) if *v != Edn::Nil => Kind::Read(kh.values.intern(v)),
                    (Some(_), _) => {
                        kh.nil_reads += 1;
                        continue;
                    }
                    (None, _) => continue,
                }
            }
            "write" => Kind::Write(kh.values.intern(arg)),
            "cas" => match arg {
                Edn::Vector(pair) | Edn::List(pair) if pair.len() == 2 => {
                    Kind::Cas(kh.values.intern(&pair[0]), kh.values.intern(&pair[1]))
                }
                _ => {
                    skipped += 1;
                    continue;
                }
            },
            _ => {
                skipped += 1;
                continue;
            }
        };
        // A crashed cas from v to v changes nothing when it can happen: drop it like a read.
        if complete.is_none() && matches!(kind, Kind::Cas(a, b) if a == b) {
            continue;
        }
        kh.ops.push(LinOp {
            kind,
            process,
            invoke: i,
            complete,
        });
    }
    (keys, skipped)
}

/// `[k v]` -> (k, v).
fn tuple(value: &Edn) -> Option<(&Edn, &Edn)> {
    match value {
        Edn::Vector(kv) | Edn::List(kv) if kv.len() == 2 => Some((&kv[0], &kv[1])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::Builder;

    fn kv(k: i64, v: Edn) -> Edn {
        Edn::Vector(vec![Edn::Int(k), v].into())
    }

    /// Ops split by key; fail dropped, info kept open-ended, nil reads counted, crashed reads dropped.
    #[test]
    fn splits_by_key_with_knossos_semantics() {
        let mut b = Builder::new();
        b.op(0, 0, OpType::Invoke, "write", kv(1, Edn::Int(3)));
        b.op(1, 1, OpType::Invoke, "read", kv(2, Edn::Nil));
        b.op(2, 0, OpType::Ok, "write", kv(1, Edn::Int(3)));
        b.op(3, 1, OpType::Ok, "read", kv(2, Edn::Nil));
        b.op(
            4,
            0,
            OpType::Invoke,
            "cas",
            kv(1, Edn::Vector(vec![Edn::Int(3), Edn::Int(4)].into())),
        );
        b.op(5, 1, OpType::Invoke, "read", kv(1, Edn::Nil));
        b.op(
            6,
            0,
            OpType::Info,
            "cas",
            kv(1, Edn::Vector(vec![Edn::Int(3), Edn::Int(4)].into())),
        );
        b.op(7, 1, OpType::Fail, "read", kv(1, Edn::Nil));
        b.op(8, 2, OpType::Invoke, "read", kv(1, Edn::Nil));
        b.op(9, 2, OpType::Ok, "read", kv(1, Edn::Int(4)));
        let (keys, skipped) = by_key(&b.ops);
        assert_eq!(skipped, 0);
        assert_eq!(keys.len(), 2);
        let k1 = &keys[0];
        assert_eq!(k1.key, Edn::Int(1));
        assert_eq!(k1.failed, 1);
        let kinds: Vec<String> = k1.ops.iter().map(|o| k1.values.describe(o.kind)).collect();
        assert_eq!(kinds, ["write 3", "cas 3 -> 4", "read 4"]);
        assert_eq!(k1.ops[0].complete, Some(2));
        assert!(k1.ops[1].crashed());
        assert_eq!(
            (keys[1].key.clone(), keys[1].nil_reads, keys[1].ops.len()),
            (Edn::Int(2), 1, 0)
        );
    }
}
