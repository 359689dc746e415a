//! The txn-rw-register workload (Maelstrom's `workload/txn_rw_register.clj`, `doc/workloads.md`):
//! clients send `{"type":"txn","txn":[["r",1,null],["w",1,6]]}` and expect `txn_ok` with the
//! same micro-ops, reads filled in. The checker is Elle's rw-register (`checker/txn`).
//!
//! The generator and client here serve txn-list-append too (`workload/txn_list_append.rs`),
//! whose transactions are the same with appends instead of writes, as Elle's `append-txns` makes
//! them from `wr-txns` (`elle/txn.clj`, `elle/list_append.clj`):
//! - 1 to `--max-txn-length` micro-ops (default 4), each a read or a write, equally likely;
//! - keys from a pool of `--key-count` active keys (default 10), later keys in the pool more
//!   likely (exponential, base 2: each twice as likely as the one before);
//! - writes to a key are 1, 2, 3, ...; each key gets a limit drawn (Zipf) from 1 to
//!   `--max-writes-per-key` (default 16), and a key that reached it is replaced in the pool by a
//!   new key (the largest active key + 1).
//!
//! Client semantics (Maelstrom's `client.clj` with-errors): nothing is idempotent, so a timeout
//! is `:info`; error 30 (txn-conflict) and the other definite errors are `:fail`, an abort that
//! did not happen; the client is reused after an `:info`.

use std::collections::HashMap;

use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, Zipf};
use serde_json::{json, Map, Value};

use super::extras;
use super::{
    complete_call, edn_to_json, unknown_op, Completion, FieldKind, ReplySchema, RpcOutcome,
    Workload,
};
use crate::checker::txn::{check_list_append, check_rw_register, Options};
use crate::checker::Placement;
use crate::edn::Edn;
use crate::history::{History, RunFacts};
use crate::options::TestOptions;

/// `{"type":"txn_ok","txn":[...]}`.
const TXN_OK: ReplySchema = ReplySchema {
    reply_type: "txn_ok",
    fields: &[("txn", FieldKind::Array)],
};

/// Which data type the transactions work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// `["w", k, v]` writes, checked by Elle's rw-register.
    Registers,
    /// `["append", k, v]` appends, checked by Elle's list-append.
    Lists,
}

/// The generator's key pool (Elle's `wr-txns` state).
#[derive(Debug)]
struct Keys {
    active: Vec<i64>,
    /// The write limit of each active key, by pool position.
    limits: Vec<u64>,
    /// The next value to write, per key.
    next: HashMap<i64, u64>,
}

/// A txn workload: its data type, the generator's settings and key pool, what the checker needs.
#[derive(Debug)]
pub struct Txn {
    data: Data,
    max_txn_length: u64,
    max_writes_per_key: u64,
    keys: Mutex<Option<Keys>>,
    key_count: usize,
    consistency_models: Vec<String>,
    wfr_mops: bool,
}

/// The registry's constructor for txn-rw-register.
pub fn build(opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(Txn::new(opts, Data::Registers))
}

impl Txn {
    pub fn new(opts: &TestOptions, data: Data) -> Txn {
        let w = &opts.workload_opts;
        Txn {
            data,
            max_txn_length: w.max_txn_length.max(1),
            max_writes_per_key: w.max_writes_per_key.max(1),
            keys: Mutex::new(None),
            key_count: w.key_count.unwrap_or(10).max(1) as usize,
            consistency_models: w.consistency_models.clone(),
            wfr_mops: w.wfr_mops,
        }
    }

    /// A write limit for a new key: 1 to `--max-writes-per-key`, small ones likelier.
    fn limit(&self, rng: &mut StdRng) -> u64 {
        match Zipf::new(self.max_writes_per_key, 1.0001) {
            Ok(zipf) => (zipf.sample(rng) as u64).clamp(1, self.max_writes_per_key),
            Err(_) => self.max_writes_per_key,
        }
    }

    /// A position in the pool: later positions twice as likely as the one before (Elle's
    /// `rand-key-i` for `:exponential` with base 2).
    fn key_index(&self, rng: &mut StdRng) -> usize {
        let n = self.key_count;
        let scale = (2f64.powi(n as i32) - 1.0) * 2.0;
        let r = rng.gen::<f64>() * scale;
        let i = ((r + 2.0).ln() / 2f64.ln() - 1.0).floor();
        (i.max(0.0) as usize).min(n - 1)
    }

    fn write_name(&self) -> &'static str {
        match self.data {
            Data::Registers => "w",
            Data::Lists => "append",
        }
    }

    /// The next transaction, as `[[:r k nil] [:w k v] ...]`.
    fn next_txn(&self, rng: &mut StdRng) -> Edn {
        let mut guard = self.keys.lock();
        let keys = guard.get_or_insert_with(|| Keys {
            active: (0..self.key_count as i64).collect(),
            limits: (0..self.key_count).map(|_| self.limit(rng)).collect(),
            next: HashMap::new(),
        });
        let length = rng.gen_range(1..=self.max_txn_length);
        let mut mops = Vec::new();
        while (mops.len() as u64) < length {
            let read = rng.gen_bool(0.5);
            let i = self.key_index(rng);
            let k = keys.active[i];
            if read {
                mops.push(Edn::Vector(
                    vec![Edn::kw("r"), Edn::Int(k), Edn::Nil].into(),
                ));
                continue;
            }
            let v = keys.next.get(&k).copied().unwrap_or(1);
            if v > keys.limits[i] {
                // This key has had its writes: a fresh one takes its place.
                keys.next.remove(&k);
                keys.active[i] = keys.active.iter().max().copied().unwrap_or(0) + 1;
                keys.limits[i] = self.limit(rng);
                continue;
            }
            keys.next.insert(k, v + 1);
            let f = Edn::kw(self.write_name());
            mops.push(Edn::Vector(vec![f, Edn::Int(k), Edn::Int(v as i64)].into()));
        }
        Edn::Vector(mops.into())
    }
}

/// The reply's micro-ops as the history records them: functions as keywords (Maelstrom's
/// `str->kw`), everything else as the JSON gave it.
fn txn_value(body: &Map<String, Value>) -> Edn {
    match body.get("txn").map(Edn::from_json) {
        Some(Edn::Vector(mops)) => Edn::Vector(
            mops.into_vec()
                .into_iter()
                .map(|mop| match mop {
                    Edn::Vector(mut parts) => {
                        if let Some(Edn::Str(f)) = parts.first() {
                            parts[0] = Edn::kw(&f.clone());
                        }
                        Edn::Vector(parts)
                    }
                    other => other,
                })
                .collect(),
        ),
        Some(other) => other,
        None => Edn::Nil,
    }
}

impl Workload for Txn {
    fn name(&self) -> &'static str {
        match self.data {
            Data::Registers => "txn-rw-register",
            Data::Lists => "txn-list-append",
        }
    }

    fn next_op(&self, _thread: usize, rng: &mut StdRng) -> (String, Edn) {
        ("txn".to_string(), self.next_txn(rng))
    }

    fn request(&self, f: &str, value: &Edn) -> Value {
        json!({ "type": f, "txn": edn_to_json(value) })
    }

    fn complete_at(
        &self,
        node: Option<&str>,
        f: &str,
        value: &Edn,
        outcome: &RpcOutcome,
    ) -> Completion {
        if f != "txn" {
            return unknown_op(self.name(), f, value);
        }
        let request = self.request(f, value);
        complete_call(node, &request, &TXN_OK, false, value, outcome, txn_value)
    }

    fn client_reusable(&self) -> bool {
        true
    }

    /// Elle's rw-register or list-append checker with `--consistency-models`
    /// (`checker/txn`).
    fn check(&self, history: &History, _facts: &RunFacts, opts: &TestOptions) -> Edn {
        let options = Options {
            consistency_models: self.consistency_models.clone(),
            placement: Placement {
                nodes: &opts.nodes,
                concurrency: opts.concurrency,
            },
            mop_versions: self.wfr_mops,
        };
        match self.data {
            Data::Registers => check_rw_register(history, &options),
            Data::Lists => check_list_append(history, &options),
        }
    }

    /// `anomalies` and the first one's explanation, from `:anomaly-types`.
    fn summary_lines(&self, result: &Edn) -> Vec<extras::Line> {
        extras::anomaly_lines(result, "anomaly-types")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::error_body;
    use super::*;
    use crate::history::OpType;
    use rand::SeedableRng;

    fn workload(data: Data, max_writes: u64) -> Txn {
        let mut opts = TestOptions::default();
        opts.workload_opts.max_writes_per_key = max_writes;
        Txn::new(&opts, data)
    }

    /// Transactions have 1 to 4 micro-ops of reads (nil) and writes, and every value written to
    /// a key is new: 1, 2, 3, ... up to the key's limit, after which the key is replaced.
    #[test]
    fn generator_writes_unique_values_per_key() {
        let w = workload(Data::Registers, 4);
        let mut rng = StdRng::seed_from_u64(7);
        let mut last: HashMap<i64, i64> = HashMap::new();
        let mut max_key = 0;
        for _ in 0..2000 {
            let (f, Edn::Vector(mops)) = w.next_op(0, &mut rng) else {
                panic!("not a vector")
            };
            assert_eq!(f, "txn");
            assert!((1..=4).contains(&mops.len()));
            for mop in mops {
                let Edn::Vector(p) = mop else {
                    panic!("bad mop")
                };
                let Edn::Int(k) = p[1] else { panic!("bad key") };
                max_key = max_key.max(k);
                match (&p[0], &p[2]) {
                    (Edn::Keyword(r), Edn::Nil) if &**r == "r" => {}
                    (Edn::Keyword(wr), Edn::Int(v)) if &**wr == "w" => {
                        assert_eq!(*v, last.get(&k).copied().unwrap_or(0) + 1, "key {k}");
                        assert!(*v <= 4);
                        last.insert(k, *v);
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert!(max_key >= 10, "keys are retired and replaced");
    }

    /// Later keys of the pool are chosen more often than earlier ones.
    #[test]
    fn key_choice_is_exponential() {
        let w = workload(Data::Lists, 16);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0u32; 10];
        for _ in 0..20_000 {
            counts[w.key_index(&mut rng)] += 1;
        }
        assert!(counts[9] > counts[8] && counts[8] > counts[6] && counts[6] > counts[3]);
        assert!(counts[9] > 8000, "{counts:?}");
    }

    /// The request carries the micro-ops with string functions; the reply's come back as
    /// keywords, with reads filled in.
    #[test]
    fn request_and_reply() {
        let w = workload(Data::Lists, 16);
        let value = crate::checker::test_support::edn("[[:r 1 nil] [:append 1 6]]");
        assert_eq!(
            w.request("txn", &value),
            json!({"type": "txn", "txn": [["r", 1, null], ["append", 1, 6]]})
        );
        let c = w.complete_at(
            Some("n0"),
            "txn",
            &value,
            &RpcOutcome::Reply(json!({"type": "txn_ok", "in_reply_to": 1,
                "txn": [["r", 1, [3, 4]], ["append", 1, 6]]})),
        );
        assert_eq!(c.op_type, OpType::Ok);
        assert_eq!(
            crate::edn::compact(&c.value),
            "[[:r 1 [3 4]] [:append 1 6]]"
        );
    }

    /// txn-conflict (30) is a definite abort, :fail; a timeout is :info (not idempotent).
    #[test]
    fn conflict_fails_and_timeout_is_info() {
        let w = workload(Data::Registers, 16);
        let value = crate::checker::test_support::edn("[[:w 1 1]]");
        let c = w.complete_at(
            None,
            "txn",
            &value,
            &RpcOutcome::Reply(error_body(30, "no")),
        );
        assert_eq!(c.op_type, OpType::Fail);
        assert_eq!(c.value, value);
        let c = w.complete_at(None, "txn", &value, &RpcOutcome::Timeout);
        assert_eq!(c.op_type, OpType::Info);
    }
}
