//! The kafka history read once into flat tables: every send and poll micro-op of every
//! completed client op, with keys and messages replaced by small integers.
//!
//! Jepsen's kafka checker (`jepsen/tests/kafka.clj`) calls `op-writes` and `op-reads` on the same
//! op maps again and again; here each op's value is walked once, and the analyses work on
//! `(key, offset, message)` rows. Op values have Maelstrom's shapes (`workload/kafka.clj`):
//! `[[:send "3" [12 5]]]` once a send is acknowledged (`[[:send "3" 5]]` while its offset is
//! unknown), `[[:poll {"3" [[0 5] [1 6]]}]]` for a poll (`[[:poll]]` before it completes).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::edn::Edn;
use crate::history::{History, Op, OpType, Process};

/// A fast hasher for the small integer keys of these tables (the standard SipHash is built to
/// resist adversarial keys, which costs several times more on millions of lookups).
#[derive(Default, Clone, Copy)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// A `HashMap` with `IntHasher`.
pub type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// What an op does, from its `:f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Send,
    Poll,
    /// Jepsen's general transactions; Maelstrom never issues them, but the analysis reads them.
    Txn,
    Assign,
    Subscribe,
    Other,
}

impl Kind {
    fn of(f: &str) -> Kind {
        match f {
            "send" => Kind::Send,
            "poll" => Kind::Poll,
            "txn" => Kind::Txn,
            "assign" => Kind::Assign,
            "subscribe" => Kind::Subscribe,
            _ => Kind::Other,
        }
    }

    /// Sends, polls and transactions: the ops the dependency graph relates.
    pub fn is_txn(self) -> bool {
        matches!(self, Kind::Send | Kind::Poll | Kind::Txn)
    }
}

/// One message sent or polled: key and message ids, the offset if known. 24 bytes: there is
/// one per message in every poll, millions in a long run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub key: u32,
    pub value: u32,
    /// The offset, `None` while a send's is unknown. Absence, not a reserved number: every
    /// 64-bit offset is one a node can send (-2^63 included).
    at: Option<i64>,
}

impl Row {
    pub fn new(key: u32, offset: Option<i64>, value: u32) -> Row {
        Row {
            key,
            value,
            at: offset,
        }
    }

    pub fn offset(&self) -> Option<i64> {
        self.at
    }
}

/// A completed client op (`:ok`, `:info` or `:fail`).
#[derive(Debug, Clone)]
pub struct KOp {
    /// History index.
    pub index: usize,
    pub op_type: OpType,
    pub process: u64,
    pub kind: Kind,
    /// Rows of `Txns::writes`, in the op's order.
    pub writes: Range<u32>,
    /// Rows of `Txns::reads`, in the op's order (so one key's rows are in offset order as the
    /// node returned them).
    pub reads: Range<u32>,
    /// Entries of `Txns::assigned`: the keys of an assign or subscribe.
    pub assigned: Range<u32>,
    /// Entries of `Txns::polled_keys`: every key in the op's poll results, including keys
    /// returned with no messages (Jepsen's `op-reads` keeps those, with an empty list).
    pub polled: Range<u32>,
}

/// The whole history as tables.
#[derive(Default)]
pub struct Txns {
    /// Completed client ops, in history order.
    pub ops: Vec<KOp>,
    pub writes: Vec<Row>,
    pub reads: Vec<Row>,
    pub assigned: Vec<u32>,
    pub polled_keys: Vec<u32>,
    /// Key id -> the key as it appeared (`"3"`).
    pub keys: Vec<Edn>,
    /// Message id -> the message as it appeared.
    pub values: Vec<Edn>,
    key_ids: HashMap<String, u32>,
    int_values: IntMap<i64, u32>,
    other_values: HashMap<String, u32>,
}

impl Txns {
    /// Reads every completed client op of `history`. An op whose value does not have the
    /// shape above is an error naming it.
    pub fn parse(history: &History) -> Result<Txns, String> {
        let mut t = Txns::default();
        for op in history {
            let Process::Client(process) = op.process else {
                continue;
            };
            if op.op_type == OpType::Invoke {
                continue;
            }
            let kind = Kind::of(&op.f);
            let (w, r, a, p) = (
                t.writes.len(),
                t.reads.len(),
                t.assigned.len(),
                t.polled_keys.len(),
            );
            match kind {
                Kind::Send | Kind::Poll | Kind::Txn => t
                    .read_mops(op)
                    .map_err(|e| format!("{e}, in {}", describe_shape(op)))?,
                Kind::Assign | Kind::Subscribe => {
                    if let Edn::Vector(keys) | Edn::List(keys) = &op.value {
                        for k in keys {
                            let id = t.key(k);
                            t.assigned.push(id);
                        }
                    }
                }
                Kind::Other => {}
            }
            t.ops.push(KOp {
                index: op.index,
                op_type: op.op_type,
                process,
                kind,
                writes: w as u32..t.writes.len() as u32,
                reads: r as u32..t.reads.len() as u32,
                assigned: a as u32..t.assigned.len() as u32,
                polled: p as u32..t.polled_keys.len() as u32,
            });
        }
        Ok(t)
    }

    fn read_mops(&mut self, op: &Op) -> Result<(), String> {
        let Edn::Vector(mops) = &op.value else {
            return Err("expected a vector of micro-ops".into());
        };
        for mop in mops {
            let Edn::Vector(parts) = mop else {
                return Err(format!("expected a micro-op vector, got {}", short(mop)));
            };
            match parts.first() {
                Some(Edn::Keyword(f)) if &**f == "send" => {
                    let (Some(k), Some(v)) = (parts.get(1), parts.get(2)) else {
                        return Err(format!("a send needs a key and a message: {}", short(mop)));
                    };
                    let key = self.key(k);
                    let (offset, message) = match v {
                        Edn::Vector(pair) if pair.len() == 2 => (offset_of(&pair[0])?, &pair[1]),
                        message => (None, message),
                    };
                    let value = self.value(message);
                    self.writes.push(Row::new(key, offset, value));
                }
                Some(Edn::Keyword(f)) if &**f == "poll" => {
                    let Some(polled) = parts.get(1) else {
                        continue;
                    };
                    let Edn::Map(entries) = polled else {
                        return Err(format!(
                            "a poll's result must be a map, got {}",
                            short(polled)
                        ));
                    };
                    for (k, pairs) in entries {
                        let key = self.key(k);
                        self.polled_keys.push(key);
                        let Edn::Vector(pairs) = pairs else {
                            return Err(format!(
                                "expected [offset msg] pairs, got {}",
                                short(pairs)
                            ));
                        };
                        for pair in pairs {
                            match pair {
                                Edn::Vector(p) if p.len() == 2 => {
                                    let offset = offset_of(&p[0])?;
                                    let value = self.value(&p[1]);
                                    self.reads.push(Row::new(key, offset, value));
                                }
                                other => {
                                    return Err(format!(
                                        "expected an [offset msg] pair, got {}",
                                        short(other)
                                    ))
                                }
                            }
                        }
                    }
                }
                _ => return Err(format!("unknown micro-op {}", short(mop))),
            }
        }
        Ok(())
    }

    /// The id of key `k`.
    pub fn key(&mut self, k: &Edn) -> u32 {
        let text = crate::edn::compact(k);
        if let Some(&id) = self.key_ids.get(&text) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.keys.push(k.clone());
        self.key_ids.insert(text, id);
        id
    }

    /// The id of message `v` (integers, the usual case, without printing them).
    fn value(&mut self, v: &Edn) -> u32 {
        let next = self.values.len() as u32;
        let id = match v {
            Edn::Int(i) => *self.int_values.entry(*i).or_insert(next),
            other => *self
                .other_values
                .entry(crate::edn::compact(other))
                .or_insert(next),
        };
        if id == next {
            self.values.push(v.clone());
        }
        id
    }

    /// The key's id, if the history mentions it.
    #[cfg(test)]
    pub fn key_id(&self, k: &Edn) -> Option<u32> {
        self.key_ids.get(&crate::edn::compact(k)).copied()
    }

    pub fn op_writes(&self, op: &KOp) -> &[Row] {
        &self.writes[op.writes.start as usize..op.writes.end as usize]
    }

    pub fn op_reads(&self, op: &KOp) -> &[Row] {
        &self.reads[op.reads.start as usize..op.reads.end as usize]
    }

    /// The keys of the op's poll results, with repeats if several polls returned one key.
    pub fn op_polled_keys(&self, op: &KOp) -> &[u32] {
        &self.polled_keys[op.polled.start as usize..op.polled.end as usize]
    }

    pub fn op_assigned(&self, op: &KOp) -> &[u32] {
        &self.assigned[op.assigned.start as usize..op.assigned.end as usize]
    }

    /// (key, message) -> position in `ops` of the last completed op that sent it (Jepsen's
    /// `writer-of`: later sends of the same message win).
    pub fn writer_of(&self) -> IntMap<(u32, u32), u32> {
        let mut writer = IntMap::default();
        for (i, op) in self.ops.iter().enumerate() {
            for row in self.op_writes(op) {
                writer.insert((row.key, row.value), i as u32);
            }
        }
        writer
    }

    /// Every (key, message) some `:ok` op polled.
    pub fn ok_reads(&self) -> IntMap<(u32, u32), ()> {
        let mut read = IntMap::default();
        for op in self.ops.iter().filter(|op| op.op_type == OpType::Ok) {
            for row in self.op_reads(op) {
                read.insert((row.key, row.value), ());
            }
        }
        read
    }

    /// Jepsen's `must-have-committed?`: the op is `:ok`, or `:info` and some message it sent
    /// was polled by an `:ok` op.
    pub fn must_have_committed(&self, op: &KOp, ok_reads: &IntMap<(u32, u32), ()>) -> bool {
        op.op_type == OpType::Ok
            || op.op_type == OpType::Info
                && self
                    .op_writes(op)
                    .iter()
                    .any(|r| ok_reads.contains_key(&(r.key, r.value)))
    }
}

/// An offset: an integer, or `nil` for unknown.
fn offset_of(v: &Edn) -> Result<Option<i64>, String> {
    match v {
        Edn::Int(i) => Ok(Some(*i)),
        Edn::Nil => Ok(None),
        Edn::BigInt(digits) => Err(format!(
            "offset {digits} is out of range: this checker handles offsets from -2^63 to \
             2^63-1"
        )),
        other => Err(format!(
            "an offset must be an integer, got {}",
            short(other)
        )),
    }
}

/// A value, printed and cut to 80 characters for error texts.
fn short(v: &Edn) -> String {
    let text = crate::edn::compact(v);
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

fn describe_shape(op: &Op) -> String {
    format!(
        "the value of op {} ({} :{} by process {})",
        op.index,
        op.op_type.name(),
        op.f,
        match op.process {
            Process::Client(p) => p.to_string(),
            Process::Nemesis => "nemesis".into(),
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{edn, Builder};

    /// Sends, polls and assigns become rows with shared key and message ids; invocations and
    /// the nemesis are left out.
    #[test]
    fn parse_flattens_sends_polls_and_assigns() {
        let mut b = Builder::new();
        b.invoke(0, 0, "send", edn(r#"[[:send "3" 5]]"#))
            .ok(1, 0, "send", edn(r#"[[:send "3" [12 5]]]"#))
            .nemesis(2, "start-partition")
            .invoke(3, 1, "poll", edn("[[:poll]]"))
            .ok(
                4,
                1,
                "poll",
                edn(r#"[[:poll {"3" [[12 5] [13 6]], "4" []}]]"#),
            )
            .invoke(5, 1, "assign", edn(r#"["3" "4"]"#))
            .ok(6, 1, "assign", edn(r#"["3" "4"]"#))
            .invoke(7, 0, "send", edn(r#"[[:send "4" 1]]"#))
            .info(8, 0, "send", edn(r#"[[:send "4" 1]]"#));
        let t = Txns::parse(&b.build()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.ops.len(), 4);
        assert_eq!(
            t.ops.iter().map(|o| o.index).collect::<Vec<_>>(),
            [1, 4, 6, 8]
        );
        let k3 = t.key_id(&Edn::str("3")).unwrap_or(99);
        let k4 = t.key_id(&Edn::str("4")).unwrap_or(99);
        assert_eq!(t.op_writes(&t.ops[0]), [Row::new(k3, Some(12), 0)]);
        assert_eq!(t.op_reads(&t.ops[1]).len(), 2);
        assert_eq!(t.op_reads(&t.ops[1])[1].offset(), Some(13));
        assert_eq!(t.op_assigned(&t.ops[2]), [k3, k4]);
        assert_eq!(t.op_writes(&t.ops[3])[0].offset(), None);
        assert_eq!(t.values, [Edn::Int(5), Edn::Int(6), Edn::Int(1)]);
    }

    /// A poll result of the wrong shape is an error naming the op.
    #[test]
    fn bad_shapes_name_the_op() {
        let mut b = Builder::new();
        b.invoke(0, 2, "poll", edn("[[:poll]]"))
            .ok(1, 2, "poll", edn(r#"[[:poll {"3" [[0]]}]]"#));
        let error = Txns::parse(&b.build()).err().unwrap_or_default();
        assert!(
            error.contains("expected an [offset msg] pair, got [0]"),
            "{error}"
        );
        assert!(error.contains("op 1 (ok :poll by process 2)"), "{error}");
    }

    /// An :info send counts as committed only once an :ok poll saw one of its messages.
    #[test]
    fn info_sends_commit_when_read() {
        let mut b = Builder::new();
        b.info(0, 0, "send", edn(r#"[[:send "3" 5]]"#))
            .info(1, 1, "send", edn(r#"[[:send "3" 6]]"#))
            .ok(2, 2, "poll", edn(r#"[[:poll {"3" [[0 5]]}]]"#));
        let t = Txns::parse(&b.build()).unwrap_or_default();
        let ok_reads = t.ok_reads();
        assert!(t.must_have_committed(&t.ops[0], &ok_reads));
        assert!(!t.must_have_committed(&t.ops[1], &ok_reads));
        assert!(t.must_have_committed(&t.ops[2], &ok_reads));
    }
}
