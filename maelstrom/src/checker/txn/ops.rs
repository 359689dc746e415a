//! Transactions read once from the history into compact rows: keys and values are interned to
//! numbers, every completion (`:ok`, `:info`, `:fail`) becomes a `Txn` of micro-ops.
//!
//! Maelstrom's txn workloads record `{:f :txn, :value [[:r 1 nil] [:w 1 6] [:append 2 9]]}`
//! (`workload/txn_rw_register.clj`, `workload/txn_list_append.clj`); the function may be a
//! keyword or, straight from the JSON, a string. A reply whose micro-ops differ from the request
//! (missing ops, a read answered as an append, a changed key or written value) is kept aside as a
//! `Mismatch` and its transaction left out of the analysis: Maelstrom's checker reads only
//! completions and would take such a reply at its word.

use std::collections::HashMap;

use crate::edn::Edn;
use crate::history::{History, OpType};

/// A micro-op's function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum F {
    Read,
    Write,
    Append,
}

impl F {
    fn parse(f: &Edn) -> Option<F> {
        let name = match f {
            Edn::Keyword(s) | Edn::Str(s) => &**s,
            _ => return None,
        };
        match name {
            "r" => Some(F::Read),
            "w" => Some(F::Write),
            "append" => Some(F::Append),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            F::Read => "r",
            F::Write => "w",
            F::Append => "append",
        }
    }
}

/// A micro-op's value: `nil`, one value (a write, an append, a register read) or a list (a
/// list-append read). Values are interned numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Val {
    Nil,
    One(u32),
    List(Vec<u32>),
}

/// One micro-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mop {
    pub f: F,
    pub key: u32,
    pub value: Val,
}

/// One completed transaction.
#[derive(Debug, Clone)]
pub struct Txn {
    /// The completion's history index.
    pub index: usize,
    pub op_type: OpType,
    pub mops: Vec<Mop>,
}

/// A reply that does not answer the request it completes.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The completion's history index.
    pub index: usize,
    pub why: String,
}

/// An interned atom: integers (the usual case) stay numbers, anything else its EDN text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Atom {
    Int(i64),
    Other(String),
}

/// Interns EDN atoms to dense numbers and back.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Atom, u32>,
    values: Vec<Edn>,
}

impl Interner {
    fn id(&mut self, value: &Edn) -> u32 {
        let atom = match value {
            Edn::Int(i) => Atom::Int(*i),
            other => Atom::Other(crate::edn::compact(other)),
        };
        if let Some(&id) = self.ids.get(&atom) {
            return id;
        }
        let id = self.values.len() as u32;
        self.ids.insert(atom, id);
        self.values.push(value.clone());
        id
    }
}

/// The history's transactions.
#[derive(Debug, Default)]
pub struct Txns {
    /// Completions in history order, mismatched replies left out.
    pub txns: Vec<Txn>,
    pub keys: Vec<Edn>,
    pub values: Vec<Edn>,
    pub mismatches: Vec<Mismatch>,
}

impl Txns {
    /// Reads the `:txn` completions of `history`. `pairs` is `checker::pair_index(history)`;
    /// `lists`: reads return lists (list-append), else single values (rw-register).
    /// An `:info` or `:fail` completion without a value of its own takes its invocation's.
    /// A completion that cannot be read, or whose reply differs from the request, becomes a
    /// `Mismatch`.
    pub fn parse(history: &History, pairs: &[Option<usize>], lists: bool) -> Txns {
        let mut keys = Interner::default();
        let mut values = Interner::default();
        let mut t = Txns::default();
        for op in history.iter().filter(|op| op.is_client() && op.f == "txn") {
            if op.op_type == OpType::Invoke {
                continue;
            }
            let invoke = pairs
                .get(op.index)
                .copied()
                .flatten()
                .and_then(|i| history.get(i));
            let value = match (&op.value, invoke) {
                (Edn::Vector(_), _) => &op.value,
                (_, Some(inv)) if op.op_type != OpType::Ok => &inv.value,
                _ => &op.value,
            };
            let parsed = parse_txn(value, lists, &mut keys, &mut values);
            let checked = parsed.and_then(|mops| match invoke {
                Some(inv) if op.op_type == OpType::Ok => {
                    let asked = parse_txn(&inv.value, lists, &mut keys, &mut values)
                        .map_err(|e| format!("its request cannot be read: {e}"))?;
                    compare(&asked, &mops, &keys.values, &values.values)?;
                    Ok(mops)
                }
                _ => Ok(mops),
            });
            match checked {
                Ok(mops) => t.txns.push(Txn {
                    index: op.index,
                    op_type: op.op_type,
                    mops,
                }),
                Err(why) => t.mismatches.push(Mismatch {
                    index: op.index,
                    why,
                }),
            }
        }
        t.keys = keys.values;
        t.values = values.values;
        t
    }

    /// The transaction completed at history index `index`, by position in `txns`.
    pub fn position(&self, index: usize) -> Option<usize> {
        self.txns.binary_search_by_key(&index, |t| t.index).ok()
    }

    pub fn key(&self, key: u32) -> Edn {
        self.keys[key as usize].clone()
    }

    pub fn value(&self, value: u32) -> Edn {
        self.values[value as usize].clone()
    }

    /// A micro-op as Elle prints it: `[:r 3 [1 2]]`.
    pub fn mop_edn(&self, mop: &Mop) -> Edn {
        let value = match &mop.value {
            Val::Nil => Edn::Nil,
            Val::One(v) => self.value(*v),
            Val::List(vs) => Edn::Vector(vs.iter().map(|v| self.value(*v)).collect()),
        };
        Edn::Vector(vec![Edn::kw(mop.f.name()), self.key(mop.key), value].into())
    }
}

/// The micro-ops of a transaction value. A read's value must be nil, or with `lists` a list of
/// integers, otherwise an integer (all the workloads ever write).
fn parse_txn(
    value: &Edn,
    lists: bool,
    keys: &mut Interner,
    values: &mut Interner,
) -> Result<Vec<Mop>, String> {
    let Edn::Vector(mops) = value else {
        return Err(format!(
            "expected a vector of micro-ops, got {}",
            crate::edn::compact(value)
        ));
    };
    mops.iter()
        .map(|mop| {
            let bad = || {
                format!(
                    "micro-op {} is not [f k v] with f one of r, w, append",
                    crate::edn::compact(mop)
                )
            };
            let Edn::Vector(parts) = mop else {
                return Err(bad());
            };
            let [f, k, v] = &parts[..] else {
                return Err(bad());
            };
            let f = F::parse(f).ok_or_else(bad)?;
            // The workloads write and append integers only, so a read can only see integers:
            // anything else is a reply the node made up (Elle would take it for one more value).
            let integer = |x: &Edn| matches!(x, Edn::Int(_) | Edn::BigInt(_));
            let value = match v {
                Edn::Nil => Val::Nil,
                Edn::Vector(items) if lists && f == F::Read && items.iter().all(integer) => {
                    Val::List(items.iter().map(|x| values.id(x)).collect())
                }
                _ if lists && f == F::Read => {
                    return Err(format!(
                        "micro-op {} reads a list, but its value is not a list of integers or nil",
                        crate::edn::compact(mop)
                    ))
                }
                other if f == F::Read && !integer(other) => {
                    return Err(format!(
                        "micro-op {} reads a register, but its value is not an integer or nil",
                        crate::edn::compact(mop)
                    ))
                }
                other => Val::One(values.id(other)),
            };
            Ok(Mop {
                f,
                key: keys.id(k),
                value,
            })
        })
        .collect()
}

/// Whether `reply` answers `asked`: the same micro-ops in the same order, writes and appends
/// unchanged, reads filled in.
fn compare(asked: &[Mop], reply: &[Mop], keys: &[Edn], values: &[Edn]) -> Result<(), String> {
    if asked.len() != reply.len() {
        return Err(format!(
            "the request had {} micro-ops, the reply {}",
            asked.len(),
            reply.len()
        ));
    }
    for (i, (a, r)) in asked.iter().zip(reply).enumerate() {
        let same = a.f == r.f && a.key == r.key && (a.f == F::Read || a.value == r.value);
        if !same {
            let show = |m: &Mop| {
                let v = match &m.value {
                    Val::Nil => "nil".to_string(),
                    Val::One(v) => crate::edn::compact(&values[*v as usize]),
                    Val::List(vs) => {
                        let items: Vec<String> = vs
                            .iter()
                            .map(|v| crate::edn::compact(&values[*v as usize]))
                            .collect();
                        format!("[{}]", items.join(" "))
                    }
                };
                let key = crate::edn::compact(&keys[m.key as usize]);
                format!("[:{} {key} {v}]", m.f.name())
            };
            return Err(format!(
                "micro-op {i} was requested as {} but answered as {}",
                show(a),
                show(r)
            ));
        }
    }
    Ok(())
}
