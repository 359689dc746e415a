//! Times the txn checkers on synthetic histories (a benchmark, not a test): for each size, the
//! analysis time of the rw-register and list-append checkers under strict serializability (every
//! cycle type searched, realtime order included) and read committed, with the verdicts.
//!
//!   cargo run --release -p maelstrom --example txn_checker_bench -- 10000 100000 1000000
//!
//! Seconds are wall-clock; cpu-s the CPU seconds the process used meanwhile (on a busy machine
//! the steadier figure).
//!
//! The history is what a correct node would give Maelstrom's client: 10 client processes with
//! overlapping transactions of 1 to 4 micro-ops, reads and writes (or appends) equally likely,
//! on a pool of 10 active keys each retired after 16 writes (Maelstrom's defaults), each
//! transaction applied to one shared state at the moment it completes, so every history is
//! strict serializable and must be found valid.

// A benchmark that prints its figures: stdout is its output, not a network.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::time::Instant;

use maelstrom::checker::txn::{check_list_append, check_rw_register, Options};
use maelstrom::edn::Edn;
use maelstrom::history::{History, Op, OpType, Process};

const PROCESSES: u64 = 10;
const ACTIVE_KEYS: i64 = 10;
const MAX_WRITES_PER_KEY: i64 = 16;

/// A tiny deterministic generator (xorshift), so that every run times the same history.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The generator's key pool: active keys and how many writes each has had.
struct Keys {
    pool: Vec<i64>,
    writes: HashMap<i64, i64>,
    next: i64,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            pool: (0..ACTIVE_KEYS).collect(),
            writes: HashMap::new(),
            next: ACTIVE_KEYS,
        }
    }

    /// A key to write and its next value, retiring keys that reached the limit.
    fn write(&mut self, rng: &mut Rng) -> (i64, i64) {
        let slot = rng.below(self.pool.len() as u64) as usize;
        let key = self.pool[slot];
        let n = self.writes.entry(key).or_insert(0);
        *n += 1;
        let value = *n;
        if value >= MAX_WRITES_PER_KEY {
            self.pool[slot] = self.next;
            self.next += 1;
        }
        (key, value)
    }

    fn read(&self, rng: &mut Rng) -> i64 {
        self.pool[rng.below(self.pool.len() as u64) as usize]
    }
}

fn mop(f: &str, k: i64, v: Edn) -> Edn {
    Edn::Vector(vec![Edn::kw(f), Edn::Int(k), v].into())
}

/// A correct history of `txns` transactions; `append` picks list-append over rw-register.
fn generate(txns: usize, append: bool) -> History {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut keys = Keys::new();
    let mut registers: HashMap<i64, i64> = HashMap::new();
    let mut lists: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut history: History = Vec::with_capacity(txns * 2);
    let mut pending: Vec<(u64, Vec<Edn>)> = Vec::new();
    let mut started = 0;
    let mut time = 0u64;
    let push = |history: &mut History, op_type, p, value, time: &mut u64| {
        let mut op = Op::new(op_type, Process::Client(p), "txn", Edn::Vector(value));
        op.index = history.len();
        *time += 100_000;
        op.time = *time;
        history.push(op);
    };
    while started < txns || !pending.is_empty() {
        let idle: Vec<u64> = (0..PROCESSES)
            .filter(|p| !pending.iter().any(|(q, _)| q == p))
            .collect();
        if started < txns && !idle.is_empty() && (pending.is_empty() || rng.below(2) == 0) {
            let p = idle[rng.below(idle.len() as u64) as usize];
            let len = 1 + rng.below(4);
            let request: Vec<Edn> = (0..len)
                .map(|_| {
                    if rng.below(2) == 0 {
                        mop("r", keys.read(&mut rng), Edn::Nil)
                    } else {
                        let (k, v) = keys.write(&mut rng);
                        mop(if append { "append" } else { "w" }, k, Edn::Int(v))
                    }
                })
                .collect();
            push(
                &mut history,
                OpType::Invoke,
                p,
                request.clone().into(),
                &mut time,
            );
            pending.push((p, request));
            started += 1;
        } else {
            let (p, request) = pending.remove(rng.below(pending.len() as u64) as usize);
            let done: Vec<Edn> = request
                .into_iter()
                .map(|m| {
                    let Edn::Vector(parts) = m else { return m };
                    let (f, k) = (parts[0].clone(), parts[1].clone());
                    let Edn::Int(key) = k else {
                        return Edn::Vector(parts);
                    };
                    match (f == Edn::kw("r"), append, &parts[2]) {
                        (true, false, _) => {
                            let v = registers.get(&key).map_or(Edn::Nil, |v| Edn::Int(*v));
                            Edn::Vector(vec![f, k, v].into())
                        }
                        (true, true, _) => {
                            let v = lists.get(&key).map_or(Edn::Nil, |l| {
                                Edn::Vector(l.iter().map(|x| Edn::Int(*x)).collect())
                            });
                            Edn::Vector(vec![f, k, v].into())
                        }
                        (false, false, Edn::Int(v)) => {
                            registers.insert(key, *v);
                            Edn::Vector(parts)
                        }
                        (false, true, Edn::Int(v)) => {
                            lists.entry(key).or_default().push(*v);
                            Edn::Vector(parts)
                        }
                        _ => Edn::Vector(parts),
                    }
                })
                .collect();
            push(&mut history, OpType::Ok, p, done.into(), &mut time);
        }
    }
    history
}

/// CPU seconds this process has used (user + system, from `/proc/self/stat`; `None` off
/// Linux): on a shared machine the wall-clock figure depends on the load, this one much less.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux configuration Rust targets.
    Some(ticks / 100.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!("checker         model                txns      ops  seconds  cpu-s  valid?");
    for &n in &sizes {
        for append in [false, true] {
            let history = generate(n, append);
            for model in ["strict-serializable", "read-committed"] {
                let opts = Options {
                    consistency_models: vec![model.to_string()],
                    ..Options::default()
                };
                let (start, cpu) = (Instant::now(), cpu_seconds());
                let result = if append {
                    check_list_append(&history, &opts)
                } else {
                    check_rw_register(&history, &opts)
                };
                let seconds = start.elapsed().as_secs_f64();
                let cpu = match (cpu, cpu_seconds()) {
                    (Some(a), Some(b)) => format!("{:.2}", b - a),
                    _ => "-".to_string(),
                };
                let valid = result
                    .get("valid?")
                    .map_or("?".to_string(), maelstrom::edn::compact);
                println!(
                    "{:<15} {model:<20} {n:>7} {:>8} {seconds:>8.3} {cpu:>6}  {valid}",
                    if append { "list-append" } else { "rw-register" },
                    history.len(),
                );
                if valid != "true" {
                    println!("  {}", maelstrom::edn::compact(&result));
                }
            }
        }
    }
}
