//! Times the list-append checker on long reads (a benchmark, not a test): its analysis must grow
//! linearly with the length of a read, as Elle's does, so that a node returning huge lists cannot
//! keep the analysis busy for minutes.
//!
//!   cargo run --release -p maelstrom --example long_read_bench -- 10000 100000 1000000
//!
//! For each length n, two histories under strict serializability:
//! - `appended`: n transactions, each appending one element to key 0, then one reading all n
//!   (what a correct node gives with a large `--max-writes-per-key`); valid.
//! - `repeated`: ten transactions that each read key 0 as n elements, the last one twice, with
//!   only one append: every read has a duplicate, so the verdict is invalid.

// A benchmark that prints its figures: stdout is its output, not a network.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use maelstrom::checker::txn::{check_list_append, Options};
use maelstrom::edn::Edn;
use maelstrom::history::{History, Op, OpType, Process};

fn mop(f: &str, k: i64, v: Edn) -> Edn {
    Edn::Vector(vec![Edn::kw(f), Edn::Int(k), v].into())
}

/// Appends an invocation and its `:ok` completion of one transaction by `process`.
fn run(history: &mut History, process: u64, request: Vec<Edn>, done: Vec<Edn>) {
    for (op_type, value) in [(OpType::Invoke, request), (OpType::Ok, done)] {
        let mut op = Op::new(
            op_type,
            Process::Client(process),
            "txn",
            Edn::Vector(value.into()),
        );
        op.index = history.len();
        op.time = history.len() as u64 * 100_000;
        history.push(op);
    }
}

fn elements(n: usize, extra: Option<i64>) -> Edn {
    Edn::Vector((0..n as i64).chain(extra).map(Edn::Int).collect())
}

fn appended(n: usize) -> History {
    let mut history = Vec::with_capacity(2 * n + 2);
    for v in 0..n as i64 {
        let append = vec![mop("append", 0, Edn::Int(v))];
        run(&mut history, (v % 10) as u64, append.clone(), append);
    }
    let read = |v| vec![mop("r", 0, v)];
    run(&mut history, 0, read(Edn::Nil), read(elements(n, None)));
    history
}

fn repeated(n: usize) -> History {
    let mut history = Vec::with_capacity(22);
    let append = vec![mop("append", 0, Edn::Int(0))];
    run(&mut history, 0, append.clone(), append);
    let last = n as i64 - 1;
    for p in 0..10 {
        let read = |v| vec![mop("r", 0, v)];
        run(
            &mut history,
            p,
            read(Edn::Nil),
            read(elements(n, Some(last))),
        );
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
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let opts = Options::default();
    println!("history    read length  txns      seconds   cpu-s  valid?");
    for &n in &sizes {
        for (name, history) in [("appended", appended(n)), ("repeated", repeated(n))] {
            let (start, cpu) = (Instant::now(), cpu_seconds());
            let result = check_list_append(&history, &opts);
            let seconds = start.elapsed().as_secs_f64();
            let cpu = match (cpu, cpu_seconds()) {
                (Some(a), Some(b)) => format!("{:.2}", b - a),
                _ => "-".to_string(),
            };
            let valid = result
                .get("valid?")
                .map_or("?".to_string(), maelstrom::edn::compact);
            let types = result
                .get("anomaly-types")
                .map_or(String::new(), maelstrom::edn::compact);
            println!(
                "{name:<10} {n:>11} {:>7} {seconds:>10.3} {cpu:>7}  {valid} {types}",
                history.len() / 2
            );
        }
    }
}
