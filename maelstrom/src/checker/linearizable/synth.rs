//! Maelstrom-shaped lin-kv histories, seeded, for the benchmark (`examples/lin_kv_checker_bench.rs`)
//! and tests: what a lin-kv run records for one key, at any size.
//!
//! A key's history: `live` clients doing a 1:2:3 mix of write, cas and read over values 0-4 on a
//! correct register (each op takes effect at a random moment between its invocation and its
//! completion; a cas whose `from` does not match fails, as error 22 makes it `:fail`), plus
//! `crashed` writes and cas invoked early by processes that never hear back (`:info`), half of
//! which take effect at some random later moment. Such a history is linearizable; a mutant
//! changes one late read to another value 0-4, which some crashed write can often still explain
//! (the benchmark compares verdicts with Porcupine's).

use crate::edn::Edn;
use crate::history::{History, Op, OpType, Process};
use rand::rngs::StdRng;
use rand::Rng;

/// The shape of one key's history.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Operations invoked by the live clients.
    pub ops: usize,
    /// Live clients, each with one op at a time.
    pub live: usize,
    /// Writes and cas that crash (`:info`), invoked in the first tenth of the history.
    pub crashed: usize,
}

impl Default for Shape {
    /// 2,000 ops, 6 live clients, 15 crashed writes and cas: the benchmark shape.
    fn default() -> Shape {
        Shape {
            ops: 2_000,
            live: 6,
            crashed: 15,
        }
    }
}

/// What a client is doing.
#[derive(Clone)]
struct Busy {
    process: u64,
    f: &'static str,
    arg: Edn,
    /// The value to complete with once it took effect (read: the value; others: the arg), and
    /// whether it succeeded.
    result: Option<(Edn, bool)>,
}

/// Appends one key's history to `history` (ops get the next indices, times 1 µs apart).
/// Processes are `first_process..`; returns the next unused process number.
pub fn append_key(
    history: &mut History,
    rng: &mut StdRng,
    key: i64,
    shape: Shape,
    first_process: u64,
) -> u64 {
    let mut next_process = first_process;
    let mut state: Option<i64> = None;
    let push = |history: &mut History, t: OpType, p: u64, f: &str, v: Edn| {
        let mut op = Op::new(t, Process::Client(p), f, v);
        op.index = history.len();
        op.time = history.len() as u64 * 1_000;
        history.push(op);
    };
    let tuple = |v: Edn| Edn::Vector(vec![Edn::Int(key), v].into());
    let draw = |rng: &mut StdRng| -> (&'static str, Edn) {
        match rng.gen_range(0..6) {
            0 => ("write", Edn::Int(rng.gen_range(0..5))),
            1 | 2 => (
                "cas",
                Edn::Vector(
                    vec![Edn::Int(rng.gen_range(0..5)), Edn::Int(rng.gen_range(0..5))].into(),
                ),
            ),
            _ => ("read", Edn::Nil),
        }
    };
    // Crashed ops: (f, arg, step at which it invokes, step at which it takes effect if ever).
    let steps = shape.ops * 3;
    let mut crashed: Vec<(&'static str, Edn, usize, Option<usize>)> = (0..shape.crashed)
        .map(|_| {
            let (f, arg) = loop {
                let (f, arg) = draw(rng);
                if f != "read" {
                    break (f, arg);
                }
            };
            let invoke = rng.gen_range(0..steps / 10 + 1);
            let effect = rng.gen_bool(0.5).then(|| rng.gen_range(invoke..steps));
            (f, arg, invoke, effect)
        })
        .collect();
    let mut clients: Vec<Option<Busy>> = vec![None; shape.live];
    let mut processes: Vec<u64> = (0..shape.live)
        .map(|_| {
            next_process += 1;
            next_process - 1
        })
        .collect();
    let mut invoked = 0;
    let mut step = 0;
    while invoked < shape.ops || clients.iter().any(Option::is_some) {
        step += 1;
        for c in crashed.iter_mut() {
            if c.2 == step {
                let p = next_process;
                next_process += 1;
                push(history, OpType::Invoke, p, c.0, tuple(c.1.clone()));
                // Recorded as :info right away, as a client that timed out does.
                push(history, OpType::Info, p, c.0, tuple(c.1.clone()));
            }
            if c.3 == Some(step) {
                apply(&mut state, c.0, &c.1);
            }
        }
        let i = rng.gen_range(0..shape.live);
        match clients[i].take() {
            None if invoked < shape.ops => {
                invoked += 1;
                let (f, arg) = draw(rng);
                push(history, OpType::Invoke, processes[i], f, tuple(arg.clone()));
                clients[i] = Some(Busy {
                    process: processes[i],
                    f,
                    arg,
                    result: None,
                });
            }
            None => {}
            Some(mut busy) => match busy.result.take() {
                None => {
                    let ok = apply(&mut state, busy.f, &busy.arg);
                    let value = match busy.f {
                        "read" => state.map_or(Edn::Nil, Edn::Int),
                        _ => busy.arg.clone(),
                    };
                    busy.result = Some((value, ok));
                    clients[i] = Some(busy);
                }
                Some((value, ok)) => {
                    let t = if ok { OpType::Ok } else { OpType::Fail };
                    push(history, t, busy.process, busy.f, tuple(value));
                    processes[i] = busy.process;
                }
            },
        }
    }
    next_process
}

/// Applies an op to the register; false for a cas whose `from` did not match.
fn apply(state: &mut Option<i64>, f: &str, arg: &Edn) -> bool {
    match (f, arg) {
        ("write", Edn::Int(v)) => {
            *state = Some(*v);
            true
        }
        ("cas", Edn::Vector(ft)) => match (&ft[0], &ft[1]) {
            (Edn::Int(from), Edn::Int(to)) if *state == Some(*from) => {
                *state = Some(*to);
                true
            }
            _ => false,
        },
        _ => true,
    }
}

/// Changes one `:ok` read in the last fifth of the key's ops (`range` of history indices) to
/// another value 0-4; returns its index, or None if there is no such read.
pub fn mutate(
    history: &mut History,
    range: std::ops::Range<usize>,
    rng: &mut StdRng,
) -> Option<usize> {
    let from = range.start + (range.end - range.start) * 4 / 5;
    let reads: Vec<usize> = (from..range.end)
        .filter(|&i| history[i].f == "read" && history[i].op_type == OpType::Ok)
        .collect();
    if reads.is_empty() {
        return None;
    }
    let i = reads[rng.gen_range(0..reads.len())];
    let Edn::Vector(kv) = &history[i].value else {
        return None;
    };
    let old = match kv[1] {
        Edn::Int(v) => v,
        _ => -1,
    };
    let new = (old + rng.gen_range(1..5)).rem_euclid(5);
    history[i].value = Edn::Vector(vec![kv[0].clone(), Edn::Int(new)].into());
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::linearizable::{by_key, search, Budget, Outcome};
    use rand::SeedableRng;

    /// Generated keys are linearizable, and a mutant gets a verdict.
    #[test]
    fn generated_keys_are_linearizable() {
        for seed in 0..5 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut history = History::new();
            let shape = Shape {
                ops: 100,
                ..Shape::default()
            };
            append_key(&mut history, &mut rng, 0, shape, 0);
            let (keys, _) = by_key(&history);
            let crashed = keys[0].ops.iter().filter(|o| o.crashed()).count();
            assert!(crashed <= 15);
            let outcome = search(&keys[0].ops, Budget::unlimited());
            assert!(matches!(outcome, Outcome::Linearizable(_)), "seed {seed}");
            let len = history.len();
            assert!(mutate(&mut history, 0..len, &mut rng).is_some());
            let (keys, _) = by_key(&history);
            let outcome = search(&keys[0].ops, Budget::unlimited());
            assert!(!matches!(outcome, Outcome::Unknown { .. }), "seed {seed}");
        }
    }
}
