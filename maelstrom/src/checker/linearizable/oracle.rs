//! A brute-force oracle and random small histories, to hold the search to the definition.
//!
//! The oracle shares nothing with the checker but the history type: it pairs ops itself, keeps
//! values as EDN, drops nothing, and tries every order consistent with real time in which every
//! `:ok` op takes effect and each crashed op takes effect or not.

use super::{check_keys, Limits, Outcome};
use crate::edn::Edn;
use crate::history::{History, Op, OpType, Process};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// One op for the oracle: f, invocation value, read result, invocation index, completion index
/// (None if crashed).
#[derive(Debug, Clone)]
struct RawOp {
    f: String,
    arg: Edn,
    read: Edn,
    invoke: usize,
    complete: Option<usize>,
}

/// Whether the single-key history `history` is linearizable, by exhaustive search.
pub fn brute_force(history: &History) -> bool {
    let mut ops: Vec<RawOp> = Vec::new();
    for (i, op) in history.iter().enumerate() {
        if op.op_type != OpType::Invoke {
            continue;
        }
        let done = history[i + 1..].iter().find(|d| d.process == op.process);
        let second = |v: &Edn| match v {
            Edn::Vector(kv) => kv[1].clone(),
            _ => Edn::Nil,
        };
        let (complete, read) = match done {
            Some(d) if d.op_type == OpType::Fail => continue,
            Some(d) if d.op_type == OpType::Ok => (Some(d.index), second(&d.value)),
            _ => (None, Edn::Nil),
        };
        ops.push(RawOp {
            f: op.f.clone(),
            arg: second(&op.value),
            read,
            invoke: i,
            complete,
        });
    }
    let mut used = vec![false; ops.len()];
    explore(&ops, &mut used, &Edn::Nil)
}

fn explore(ops: &[RawOp], used: &mut Vec<bool>, state: &Edn) -> bool {
    let open_ok: Vec<usize> = (0..ops.len())
        .filter(|&i| !used[i] && ops[i].complete.is_some())
        .collect();
    if open_ok.is_empty() {
        return true;
    }
    // The earliest completion among ops still to take effect: nothing invoked after it may go next.
    let horizon = open_ok
        .iter()
        .filter_map(|&i| ops[i].complete)
        .min()
        .unwrap_or(usize::MAX);
    for i in 0..ops.len() {
        if used[i] || ops[i].invoke > horizon {
            continue;
        }
        let Some(next) = apply(state, &ops[i]) else {
            continue;
        };
        used[i] = true;
        let ok = explore(ops, used, &next);
        used[i] = false;
        if ok {
            return true;
        }
    }
    false
}

fn apply(state: &Edn, op: &RawOp) -> Option<Edn> {
    match op.f.as_str() {
        "read" => (op.read == Edn::Nil || op.read == *state).then(|| state.clone()),
        "write" => Some(op.arg.clone()),
        "cas" => match &op.arg {
            Edn::Vector(ft) if ft[0] == *state => Some(ft[1].clone()),
            _ => None,
        },
        _ => None,
    }
}

/// `[k v]`.
pub fn kv(k: i64, v: Edn) -> Edn {
    Edn::Vector(vec![Edn::Int(k), v].into())
}

/// A random single-key history of up to `max_ops` ops by 4 worker threads over values 0-4: a
/// real register applied at completion, with lies (wrong reads, cas acknowledged but not
/// applied), `:fail` and `:info` ops mixed in. A thread's process moves on by 4 after an :info.
pub fn random_history(rng: &mut StdRng, key: i64, max_ops: usize) -> History {
    let n = rng.gen_range(1..=max_ops);
    let mut history = History::new();
    let mut state = Edn::Nil;
    let mut process = [0u64, 1, 2, 3];
    let mut pending: [Option<(String, Edn)>; 4] = Default::default();
    let mut invoked = 0;
    let push = |history: &mut History, t: OpType, p: u64, f: &str, v: Edn| {
        let mut op = Op::new(t, Process::Client(p), f, v);
        op.index = history.len();
        op.time = history.len() as u64 * 1_000_000;
        history.push(op);
    };
    while invoked < n || pending.iter().any(Option::is_some) {
        let t = rng.gen_range(0..4);
        let p = process[t];
        match pending[t].take() {
            None if invoked < n => {
                invoked += 1;
                let (f, arg) = match rng.gen_range(0..3) {
                    0 => ("read", Edn::Nil),
                    1 => ("write", Edn::Int(rng.gen_range(0..5))),
                    _ => (
                        "cas",
                        Edn::Vector(
                            vec![Edn::Int(rng.gen_range(0..5)), Edn::Int(rng.gen_range(0..5))]
                                .into(),
                        ),
                    ),
                };
                push(&mut history, OpType::Invoke, p, f, kv(key, arg.clone()));
                pending[t] = Some((f.to_string(), arg));
            }
            None => {}
            Some((f, arg)) => {
                let roll = rng.gen_range(0..100);
                let (op_type, value) = match f.as_str() {
                    "read" if roll < 10 => (OpType::Fail, Edn::Nil),
                    "read" if roll < 22 => (OpType::Ok, Edn::Int(rng.gen_range(0..5))),
                    "read" => (OpType::Ok, state.clone()),
                    "write" => {
                        if roll < 80 {
                            state = arg.clone();
                        }
                        let t = if !(70..90).contains(&roll) {
                            OpType::Ok
                        } else {
                            OpType::Info
                        };
                        (t, arg.clone())
                    }
                    _ => {
                        let Edn::Vector(ft) = &arg else {
                            unreachable!()
                        };
                        let matches = ft[0] == state;
                        if matches && roll < 85 {
                            state = ft[1].clone();
                        }
                        let t = match (matches, roll) {
                            (_, 85..92) => OpType::Info,
                            (true, _) | (false, 92..) => OpType::Ok,
                            (false, _) => OpType::Fail,
                        };
                        (t, arg.clone())
                    }
                };
                push(&mut history, op_type, p, &f, kv(key, value));
                if op_type == OpType::Info {
                    process[t] += 4;
                }
            }
        }
    }
    history
}

/// The checker's verdict on a history of one key: Some(true/false), None if unknown.
fn verdict(history: &History) -> Option<bool> {
    let limits = Limits {
        time: Duration::from_secs(60),
        memory: usize::MAX,
        threads: 1,
    };
    let results = check_keys(history, limits);
    let mut all = Some(true);
    for r in results {
        match r.outcome {
            Outcome::Linearizable(_) => {}
            Outcome::NotLinearizable { .. } => return Some(false),
            Outcome::Unknown { .. } => all = None,
        }
    }
    all
}

/// How many random histories the oracle test compares.
pub const ORACLE_CASES: u64 = 50_000;

/// The search agrees with brute force on 50,000 random small histories, valid and invalid alike.
#[test]
fn search_agrees_with_brute_force() {
    let (mut valid, mut invalid) = (0, 0);
    for seed in 0..ORACLE_CASES {
        let mut rng = StdRng::seed_from_u64(seed);
        let history = random_history(&mut rng, 0, 10);
        let expected = brute_force(&history);
        assert_eq!(
            verdict(&history),
            Some(expected),
            "seed {seed}: {history:#?}"
        );
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    // Both kinds are well represented, or the test proves little.
    assert!(
        valid > 4_000 && invalid > 4_000,
        "{valid} valid, {invalid} invalid"
    );
}

/// The search agrees with brute force on random histories rich in crashed ops: each completed
/// write or cas of a random history becomes `:info` with probability 0.4, so that crashed writes
/// and cas to the same value meet (what the search's dominance between them must get right).
#[test]
fn search_agrees_with_brute_force_when_many_ops_crash() {
    let (mut valid, mut invalid) = (0, 0);
    for seed in 0..CRASH_CASES {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut history = random_history(&mut rng, 0, 11);
        for op in history.iter_mut() {
            if op.op_type == OpType::Ok && op.f != "read" && rng.gen_bool(0.4) {
                op.op_type = OpType::Info;
            }
        }
        let expected = brute_force(&history);
        assert_eq!(
            verdict(&history),
            Some(expected),
            "seed {seed}: {history:#?}"
        );
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert!(
        valid > 1_000 && invalid > 1_000,
        "{valid} valid, {invalid} invalid"
    );
}

/// How many crash-rich random histories that test compares.
pub const CRASH_CASES: u64 = 20_000;

/// Two keys interleaved; renaming keys and processes changes no key's verdict.
#[test]
fn keys_and_processes_are_independent_of_names() {
    for seed in 0..500 {
        let mut rng = StdRng::seed_from_u64(seed);
        let a = random_history(&mut rng, 0, 8);
        let b = random_history(&mut rng, 1, 8);
        let merged = interleave(&a, &b, &mut rng, 100);
        let renamed: History = merged
            .iter()
            .map(|op| {
                let mut op = op.clone();
                if let (Process::Client(p), Edn::Vector(kv)) = (op.process, &op.value) {
                    op.process = Process::Client(p * 7 + 3);
                    let k = if kv[0] == Edn::Int(0) { 5 } else { 0 };
                    op.value = Edn::Vector(vec![Edn::Int(k), kv[1].clone()].into());
                }
                op
            })
            .collect();
        let expected = [brute_force(&a), brute_force(&b)];
        let limits = Limits {
            threads: 2,
            ..Limits::default()
        };
        let got: Vec<bool> = check_keys(&merged, limits)
            .iter()
            .map(|r| matches!(r.outcome, Outcome::Linearizable(_)))
            .collect();
        assert_eq!(got, expected, "seed {seed}");
        // Renamed: key 1 became 0 and key 0 became 5, so the order flips.
        let got: Vec<bool> = check_keys(&renamed, limits)
            .iter()
            .map(|r| matches!(r.outcome, Outcome::Linearizable(_)))
            .collect();
        assert_eq!(got, [expected[1], expected[0]], "seed {seed} renamed");
    }
}

/// Adding a crashed write or cas, or removing an acknowledged read, never makes a valid history invalid.
#[test]
fn crashed_ops_and_removed_reads_keep_valid_histories_valid() {
    let mut checked = 0;
    for seed in 0..3_000 {
        let mut rng = StdRng::seed_from_u64(seed);
        let history = random_history(&mut rng, 0, 9);
        if verdict(&history) != Some(true) {
            continue;
        }
        checked += 1;
        // A crashed op by a fresh process, invoked somewhere in the history.
        let at = rng.gen_range(0..=history.len());
        let arg = if rng.gen_bool(0.5) {
            Edn::Int(rng.gen_range(0..5))
        } else {
            Edn::Vector(vec![Edn::Int(rng.gen_range(0..5)), Edn::Int(rng.gen_range(0..5))].into())
        };
        let f = if matches!(arg, Edn::Int(_)) {
            "write"
        } else {
            "cas"
        };
        let mut crashed = history.clone();
        let mut inv = Op::new(OpType::Invoke, Process::Client(99), f, kv(0, arg.clone()));
        inv.index = at;
        crashed.insert(at, inv);
        if rng.gen_bool(0.5) {
            crashed.push(Op::new(OpType::Info, Process::Client(99), f, kv(0, arg)));
        }
        reindex(&mut crashed);
        assert_eq!(
            verdict(&crashed),
            Some(true),
            "seed {seed} with a crashed {f}"
        );
        // Without one of its ok reads.
        let reads: Vec<usize> = history
            .iter()
            .filter(|op| op.f == "read" && op.op_type == OpType::Ok)
            .map(|op| op.index)
            .collect();
        if let Some(&done) = reads.first() {
            let p = history[done].process;
            let invoke = (0..done)
                .rev()
                .find(|&i| history[i].process == p)
                .unwrap_or(done);
            let mut fewer: History = history
                .iter()
                .filter(|op| op.index != done && op.index != invoke)
                .cloned()
                .collect();
            reindex(&mut fewer);
            assert_eq!(
                verdict(&fewer),
                Some(true),
                "seed {seed} without read {done}"
            );
        }
    }
    assert!(checked > 500, "only {checked} valid histories");
}

/// Interleaves two histories at random (keeping each one's order), reindexed.
pub fn interleave(a: &History, b: &History, rng: &mut StdRng, _cap: usize) -> History {
    let (mut i, mut j) = (0, 0);
    let mut out = History::new();
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || i < a.len() && rng.gen_bool(0.5);
        let mut op = if take_a { a[i].clone() } else { b[j].clone() };
        if let Process::Client(p) = op.process {
            // Disjoint processes per key, as the generator's groups have.
            op.process = Process::Client(p * 2 + u64::from(!take_a));
        }
        if take_a {
            i += 1;
        } else {
            j += 1;
        }
        out.push(op);
    }
    reindex(&mut out);
    out
}

/// Sets index and time from positions.
pub fn reindex(history: &mut History) {
    for (i, op) in history.iter_mut().enumerate() {
        op.index = i;
        op.time = i as u64 * 1_000_000;
    }
}
