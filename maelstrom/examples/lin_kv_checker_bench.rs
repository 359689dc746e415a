//! Benchmark of the lin-kv linearizability checker (`checker/linearizable/`) on Maelstrom-shaped
//! histories (`checker/linearizable/synth.rs`), printing figures; `scripts/bench-lin-kv.sh` runs
//! it in release mode, with Porcupine side by side when its driver is given.
//!
//! ```text
//! lin_kv_checker_bench [--keys N] [--big-keys N] [--ops N] [--seed S] [--porcupine-out FILE]
//! ```
//!
//! 1. Per key, one thread: `--keys` keys (default 50) of `--ops` ops (default 2,000; 6 live
//!    clients, 15 crashed writes and cas), each also as a one-change mutant; wall time per key
//!    (mean, median, max) and the CPU time of the whole phase per key (on a loaded machine the
//!    wall time includes waiting for a core).
//! 2. Many keys: one history of `--big-keys` such keys (default 1,000 keys = 10^6 ops of
//!    2,000), checked on every core as `-w lin-kv` does; wall time, CPU time and peak memory
//!    (VmHWM, the whole process, history included).
//! 3. `--porcupine-out FILE` writes the per-key histories of step 1 in a small text format the
//!    Porcupine driver reads (one block per history: `history NAME`, then `c ID CLIENT F A B` calls
//!    and `r ID OUT` returns in history order, crashed ops' returns `r ID unknown` at the end).
#![allow(clippy::print_stdout)] // a benchmark prints its figures.

use std::io::Write;
use std::time::{Duration, Instant};

use maelstrom::checker::linearizable::model::Kind;
use maelstrom::checker::linearizable::synth::{append_key, mutate, Shape};
use maelstrom::checker::linearizable::{
    by_key, check_keys, search, Budget, KeyHistory, Limits, Outcome,
};
use maelstrom::history::History;
use rand::rngs::StdRng;
use rand::SeedableRng;

struct Args {
    keys: usize,
    big_keys: usize,
    ops: usize,
    seed: u64,
    porcupine_out: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        keys: 50,
        big_keys: 1_000,
        ops: 2_000,
        seed: 1,
        porcupine_out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: {value:?} is not a number"))
        };
        match flag.as_str() {
            "--keys" => args.keys = number()? as usize,
            "--big-keys" => args.big_keys = number()? as usize,
            "--ops" => args.ops = number()? as usize,
            "--seed" => args.seed = number()?,
            "--porcupine-out" => args.porcupine_out = Some(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("lin_kv_checker_bench: {e}");
            std::process::exit(2);
        }
    };
    let shape = Shape {
        ops: args.ops,
        ..Shape::default()
    };
    let mut rng = StdRng::seed_from_u64(args.seed);
    println!(
        "shape: {} ops per key, {} live clients, {} crashed writes/cas; seed {}",
        shape.ops, shape.live, shape.crashed, args.seed
    );

    // 1. Per key, single-threaded.
    let mut valid_times = Vec::new();
    let mut mutant_times = Vec::new();
    let mut verdicts = [0usize; 6]; // valid: lin, not, unknown; mutant: lin, not, unknown
    let mut out = args.porcupine_out.as_ref().map(|path| {
        std::io::BufWriter::new(std::fs::File::create(path).unwrap_or_else(|e| {
            eprintln!("lin_kv_checker_bench: can't create {path}: {e}");
            std::process::exit(2);
        }))
    });
    let cpu_before = cpu_ms();
    for k in 0..args.keys {
        let mut history = History::new();
        append_key(&mut history, &mut rng, k as i64, shape, 0);
        let mut mutant = history.clone();
        let len = mutant.len();
        mutate(&mut mutant, 0..len, &mut rng);
        for (h, times, offset, name) in [
            (&history, &mut valid_times, 0, "valid"),
            (&mutant, &mut mutant_times, 3, "mutant"),
        ] {
            let (keys, _) = by_key(h);
            let started = Instant::now();
            let outcome = search(&keys[0].ops, Budget::unlimited());
            times.push(started.elapsed());
            verdicts[offset + verdict_slot(&outcome)] += 1;
            if let Some(out) = out.as_mut() {
                write_porcupine(out, &format!("{name}-{k}"), &keys[0], &outcome);
            }
        }
    }
    if let Some(mut out) = out {
        let _ = out.flush();
    }
    let searches = valid_times.len() + mutant_times.len();
    report("valid keys", &valid_times, &verdicts[0..3]);
    report("mutant keys", &mutant_times, &verdicts[3..6]);
    if searches > 0 {
        println!(
            "per-key phase CPU time (generation included): {:.2} ms per key",
            (cpu_ms() - cpu_before) / searches as f64
        );
    }

    // 2. Many keys at once, as a run's analysis does.
    if args.big_keys > 0 {
        let mut history = History::new();
        let mut process = 0;
        for k in 0..args.big_keys {
            process = append_key(&mut history, &mut rng, k as i64, shape, process);
        }
        let ops = history.len() / 2;
        let limits = Limits {
            time: Duration::from_secs(600),
            ..Limits::default()
        };
        let (started, cpu_before, rss_before) = (Instant::now(), cpu_ms(), memory_mb("VmRSS:"));
        let results = check_keys(&history, limits);
        let elapsed = started.elapsed();
        let cpu = (cpu_ms() - cpu_before) / 1e3;
        let linearizable = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Linearizable(_)))
            .count();
        println!(
            "{} keys, {ops} ops ({} history entries), {} threads: {:.2} s wall, {cpu:.2} s CPU, {linearizable}/{} keys linearizable, peak memory {} MB (whole process; {rss_before} MB before the check, mostly the history)",
            args.big_keys,
            history.len(),
            limits.threads,
            elapsed.as_secs_f64(),
            results.len(),
            memory_mb("VmHWM:")
        );
    }
}

fn verdict_slot(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Linearizable(_) => 0,
        Outcome::NotLinearizable { .. } => 1,
        Outcome::Unknown { .. } => 2,
    }
}

fn report(what: &str, times: &[Duration], verdicts: &[usize]) {
    let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return;
    }
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    println!(
        "{what}: {} keys, per key mean {mean:.2} ms, median {:.2} ms, max {:.2} ms, total {:.1} ms; linearizable {}, not {}, unknown {}",
        ms.len(),
        ms[ms.len() / 2],
        ms[ms.len() - 1],
        ms.iter().sum::<f64>(),
        verdicts[0],
        verdicts[1],
        verdicts[2]
    );
}

/// CPU time (user + system) of this process so far, in ms, from /proc/self/stat (in clock
/// ticks of 10 ms).
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces), counted from field 3.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    ticks as f64 * 10.0
}

/// A memory figure of this process from /proc/self/status, in MB: `VmHWM:` (peak resident
/// memory) or `VmRSS:` (resident now).
fn memory_mb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// One history block for the Porcupine driver, with our verdict as a comment line.
fn write_porcupine(out: &mut impl Write, name: &str, key: &KeyHistory, outcome: &Outcome) {
    let int = |v: u32| match key.values.edn(v) {
        maelstrom::edn::Edn::Int(i) => *i,
        _ => -1,
    };
    let mut events: Vec<(usize, String)> = Vec::new();
    for (id, op) in key.ops.iter().enumerate() {
        let (call, ret) = match op.kind {
            Kind::Read(v) => ("read 0 0".to_string(), int(v).to_string()),
            Kind::Write(v) => (format!("write {} 0", int(v)), "ok".to_string()),
            Kind::Cas(a, b) => (format!("cas {} {}", int(a), int(b)), "ok".to_string()),
        };
        events.push((op.invoke, format!("c {id} {} {call}", op.process)));
        match op.complete {
            Some(c) => events.push((c, format!("r {id} {ret}"))),
            None => events.push((usize::MAX, format!("r {id} unknown"))),
        }
    }
    events.sort_by_key(|e| e.0);
    let _ = writeln!(
        out,
        "history {name} ours={}",
        ["linearizable", "not", "unknown"][verdict_slot(outcome)]
    );
    for (_, line) in events {
        let _ = writeln!(out, "{line}");
    }
}
