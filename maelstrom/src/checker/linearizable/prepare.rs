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

/// Splits a lin-kv history by key, in order of each key's first op. The second result names
/// the first op that is not a lin-kv op, if any: an invocation whose value is not a `[k v]`
/// pair, an `f` that is not read/write/cas, a cas whose argument is not `[from to]`, an `:ok`
/// read whose value is not a `[k v]` pair of the key it was invoked on. Such an op is skipped
/// here; the checker (`check`) makes it an error naming the op, never a verdict: the runner's
/// clients never record one, so it comes from an edited history or a runtime bug, and
/// judging without it could pass a node that returned anything at all.
pub fn by_key(history: &History) -> (Vec<KeyHistory>, Option<String>) {
    let partner = pair_index(history);
    let mut keys: Vec<KeyHistory> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::new();
    let mut malformed: Option<String> = None;
    let mut skip = |op: &crate::history::Op, why: &str| {
        malformed.get_or_insert_with(|| {
            format!(
                "the :{} :{} at history index {} (history.edn line {}) {why}, so the history \
                 is not a lin-kv history",
                op.op_type.name(),
                op.f,
                op.index,
                op.index + 1
            )
        });
    };
    for (i, op) in history.iter().enumerate() {
        let Process::Client(process) = op.process else {
            continue;
        };
        if op.op_type != OpType::Invoke {
            continue;
        }
        let done = partner[i].map(|j| &history[j]);
        let Some((key, arg)) = tuple(&op.value) else {
            skip(
                op,
                &format!("has the value {}, not a [key value] pair", shown(&op.value)),
            );
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
                let Some(done) = done.filter(|_| complete.is_some()) else {
                    continue;
                };
                let read = match tuple(&done.value) {
                    Some((k, v)) if compact(k) == compact(key) => v,
                    Some((k, _)) => {
                        let why =
                            format!("returned key {} for a read of key {}", shown(k), shown(key));
                        skip(done, &why);
                        continue;
                    }
                    None => {
                        let why =
                            format!("returned {}, not a [key value] pair", shown(&done.value));
                        skip(done, &why);
                        continue;
                    }
                };
                if *read == Edn::Nil {
                    kh.nil_reads += 1;
                    continue;
                }
                Kind::Read(kh.values.intern(read))
            }
            "write" => Kind::Write(kh.values.intern(arg)),
            "cas" => match arg {
                Edn::Vector(pair) | Edn::List(pair) if pair.len() == 2 => {
                    Kind::Cas(kh.values.intern(&pair[0]), kh.values.intern(&pair[1]))
                }
                _ => {
                    skip(
                        op,
                        &format!("has the argument {}, not [from to]", shown(arg)),
                    );
                    continue;
                }
            },
            _ => {
                skip(op, "is not a read, write or cas");
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
    (keys, malformed)
}

/// A value as an error shows it: its EDN, cut to 60 characters.
fn shown(value: &Edn) -> String {
    let text = compact(value);
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
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
        let (keys, malformed) = by_key(&b.ops);
        assert_eq!(malformed, None);
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

    /// Each kind of op that is not a lin-kv op is named by its history index: a read returning
    /// a bare value, a triple, a map or another key's pair; a value that is not a pair; an
    /// unknown `f`; a cas whose argument is not `[from to]`.
    #[test]
    fn ill_formed_ops_are_named() {
        let read_returning = |value: Edn| {
            let mut b = Builder::new();
            b.op(0, 0, OpType::Invoke, "read", kv(0, Edn::Nil));
            b.op(1, 0, OpType::Ok, "read", value);
            b.ops
        };
        let cases = [
            (read_returning(Edn::Int(42)), "the :ok :read at history index 1 (history.edn line 2) returned 42, not a [key value] pair"),
            (read_returning(Edn::Vector(vec![Edn::Int(0), Edn::Int(42), Edn::Int(0)].into())), "returned [0 42 0], not"),
            (read_returning(Edn::Map(vec![(Edn::Int(0), Edn::Int(42))].into())), "returned {0 42}, not"),
            (read_returning(kv(1, Edn::Int(4))), "returned key 1 for a read of key 0"),
        ];
        for (history, expected) in cases {
            let (_, malformed) = by_key(&history);
            let text = malformed.unwrap_or_default();
            assert!(text.contains(expected), "{expected}\n{text}");
        }
        let mut b = Builder::new();
        b.op(0, 0, OpType::Invoke, "write", Edn::Int(3));
        assert!(by_key(&b.ops)
            .1
            .unwrap_or_default()
            .contains("has the value 3, not a [key value] pair"));
        let mut b = Builder::new();
        b.op(0, 0, OpType::Invoke, "append", kv(0, Edn::Int(3)));
        assert!(by_key(&b.ops)
            .1
            .unwrap_or_default()
            .contains(":invoke :append at history index 0"));
        let mut b = Builder::new();
        b.op(0, 0, OpType::Invoke, "cas", kv(0, Edn::Int(3)));
        b.op(1, 0, OpType::Ok, "cas", kv(0, Edn::Int(3)));
        assert!(by_key(&b.ops)
            .1
            .unwrap_or_default()
            .contains("has the argument 3, not [from to]"));
        // A read of nil is a read, not an ill-formed op.
        assert_eq!(by_key(&read_returning(kv(0, Edn::Nil))).1, None);
    }
}
