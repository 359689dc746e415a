//! Times the kafka checker on a synthetic history (a benchmark, not a test): prints the history's
//! size, the analysis time, the verdict and the memory high-water mark before and after.
//!
//!   scripts/bench-kafka-checker.sh            # 1,000,000 ops, under /usr/bin/time -v
//!   cargo run --release -p maelstrom --example kafka_checker_bench -- 100000 [lossy]
//!
//! The history is what a correct kafka node would give Maelstrom's client, scaled up: 10 client
//! processes with overlapping ops, half of the ops sends and most of the rest polls of up to 5
//! messages per key, assigns now and then, crashed clients replaced by new processes, sends
//! that time out; 100 active keys of 1,000 messages each before a key is retired, at sparse
//! offsets above 10^12; a final sweep that polls every key from the start. With `lossy`, every
//! 1000th acknowledged message is dropped from the log, so the error path (lost writes, skips,
//! unseen messages) is timed too.

// A benchmark that prints its figures: stdout is its output, not a network.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use maelstrom::checker::kafka::{check, Placement};
use maelstrom::edn::Edn;
use maelstrom::history::{History, Op, OpType, Process};

const PROCESSES: u64 = 10;
const ACTIVE_KEYS: usize = 100;
const MESSAGES_PER_KEY: usize = 1_000;

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

/// One key's log: messages at offsets base + 13 i.
struct Log {
    name: Edn,
    base: i64,
    /// Offsets handed out so far (a lost message uses one too).
    slots: usize,
    messages: Vec<(i64, i64)>,
}

/// A client process's current op and its key positions.
#[derive(Default)]
struct Client {
    process: u64,
    pending: Option<Op>,
    positions: Vec<(usize, usize)>,
}

fn kw(s: &str) -> Edn {
    Edn::kw(s)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let ops: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let lossy = args.next().as_deref() == Some("lossy");

    let start = Instant::now();
    let history = generate(ops, lossy);
    let generated = start.elapsed();
    let before = high_water_mb();

    let nodes = ["n0".to_string(), "n1".to_string()];
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let result = check(
        &history,
        Placement {
            nodes: &nodes,
            concurrency: PROCESSES as usize,
        },
    );
    let (analysed, analysed_cpu) = (start.elapsed(), cpu_seconds() - cpu);
    let after = high_water_mb();

    println!(
        "history: {} entries ({ops} ops), generated in {:.2} s",
        history.len(),
        generated.as_secs_f64()
    );
    println!(
        "analysis: {:.3} s wall, {analysed_cpu:.3} s CPU (user + system; the wall time includes waiting for a shared CPU)",
        analysed.as_secs_f64()
    );
    println!(
        "valid?: {}  error types: {}",
        maelstrom::edn::compact(result.get("valid?").unwrap_or(&Edn::Nil)),
        maelstrom::edn::compact(result.get("error-types").unwrap_or(&Edn::Nil)),
    );
    if std::env::var_os("SHOW").is_some() {
        println!("{}", maelstrom::edn::pretty(&result));
    }
    println!("memory high-water mark: {before} MB before the analysis, {after} MB after");
}

/// User + system CPU time of this process so far, in seconds (0 where /proc is missing).
fn cpu_seconds() -> f64 {
    // Fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second on Linux), counted
    // after the command name, which is in parentheses and may contain spaces.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// VmHWM of this process, in MB (0 where /proc is missing).
fn high_water_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// A history of `ops` client operations (each an invocation and a completion).
fn generate(ops: usize, lossy: bool) -> History {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut history: History = Vec::with_capacity(2 * ops + 64);
    let mut logs: Vec<Log> = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    let mut new_key = |logs: &mut Vec<Log>| {
        let id = logs.len();
        logs.push(Log {
            name: Edn::Str(id.to_string().into()),
            base: 1_000_000_000_000 * (id as i64 + 1),
            slots: 0,
            messages: Vec::new(),
        });
        id
    };
    for _ in 0..ACTIVE_KEYS {
        let id = new_key(&mut logs);
        active.push(id);
    }
    let mut clients: Vec<Client> = (0..PROCESSES)
        .map(|p| Client {
            process: p,
            ..Client::default()
        })
        .collect();
    let push = |history: &mut History, mut op: Op, time: u64| {
        op.index = history.len();
        op.time = time;
        history.push(op);
    };
    let mut invoked = 0;
    let mut time = 0u64;
    let mut sent = 0u64;
    while invoked < ops || clients.iter().any(|c| c.pending.is_some()) {
        time += 50_000;
        let c = &mut clients[rng.below(PROCESSES) as usize];
        if let Some(op) = c.pending.take() {
            // Complete it: the effect happens now.
            let done = complete(
                op,
                c,
                &mut logs,
                &mut active,
                &mut rng,
                &mut sent,
                lossy,
                &mut new_key,
            );
            let crashed = done.f == "crash";
            push(&mut history, done, time);
            if crashed {
                c.process += PROCESSES;
                c.positions.clear();
            }
        } else if invoked < ops {
            invoked += 1;
            let op = invoke(c, &active, &logs, &mut rng);
            push(&mut history, op.clone(), time);
            c.pending = Some(op);
        }
    }
    // The final sweep: a fresh client assigns every key from the start and polls it all.
    let sweeper = 10 * PROCESSES + 1;
    let all: Vec<usize> = (0..logs.len()).collect();
    for chunk in all.chunks(50) {
        time += 50_000;
        let keys = Edn::Vector(chunk.iter().map(|k| logs[*k].name.clone()).collect());
        push(
            &mut history,
            Op::new(
                OpType::Invoke,
                Process::Client(sweeper),
                "assign",
                keys.clone(),
            ),
            time,
        );
        push(
            &mut history,
            Op::new(OpType::Ok, Process::Client(sweeper), "assign", keys),
            time + 1,
        );
        let polled = chunk
            .iter()
            .map(|k| (logs[*k].name.clone(), pairs(&logs[*k].messages)))
            .collect();
        let value =
            Edn::Vector(vec![Edn::Vector(vec![kw("poll"), Edn::Map(polled)].into())].into());
        push(
            &mut history,
            Op::new(
                OpType::Invoke,
                Process::Client(sweeper),
                "poll",
                poll_invocation(),
            ),
            time + 2,
        );
        push(
            &mut history,
            Op::new(OpType::Ok, Process::Client(sweeper), "poll", value),
            time + 3,
        );
    }
    history
}

fn poll_invocation() -> Edn {
    Edn::Vector(vec![Edn::Vector(vec![kw("poll")].into())].into())
}

fn pairs(messages: &[(i64, i64)]) -> Edn {
    Edn::Vector(
        messages
            .iter()
            .map(|(o, m)| Edn::Vector(vec![Edn::Int(*o), Edn::Int(*m)].into()))
            .collect(),
    )
}

/// The next invocation of client `c`.
fn invoke(c: &mut Client, active: &[usize], logs: &[Log], rng: &mut Rng) -> Op {
    let process = Process::Client(c.process);
    let roll = rng.below(1000);
    if roll < 2 {
        return Op::new(OpType::Invoke, process, "crash", Edn::Nil);
    }
    if roll < 50 || c.positions.is_empty() {
        let mut keys: Vec<usize> = (0..3)
            .map(|_| active[rng.below(active.len() as u64) as usize])
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let value = Edn::Vector(keys.iter().map(|k| logs[*k].name.clone()).collect());
        return Op::new(OpType::Invoke, process, "assign", value);
    }
    if roll < 550 {
        let key = active[rng.below(active.len() as u64) as usize];
        let mop = Edn::Vector(vec![kw("send"), logs[key].name.clone(), Edn::Int(0)].into());
        return Op::new(
            OpType::Invoke,
            process,
            "send",
            Edn::Vector(vec![mop].into()),
        );
    }
    Op::new(OpType::Invoke, process, "poll", poll_invocation())
}

/// Completes `op` for client `c`, changing the logs as a correct node would.
#[allow(clippy::too_many_arguments)]
fn complete(
    mut op: Op,
    c: &mut Client,
    logs: &mut Vec<Log>,
    active: &mut [usize],
    rng: &mut Rng,
    sent: &mut u64,
    lossy: bool,
    new_key: &mut impl FnMut(&mut Vec<Log>) -> usize,
) -> Op {
    op.op_type = OpType::Ok;
    match op.f.as_str() {
        "crash" => op.op_type = OpType::Info,
        "assign" => {
            let Edn::Vector(names) = &op.value else {
                return op;
            };
            let keys: Vec<usize> = names
                .iter()
                .filter_map(|n| logs.iter().position(|l| &l.name == n))
                .collect();
            let old = std::mem::take(&mut c.positions);
            c.positions = keys
                .into_iter()
                .map(|k| (k, old.iter().find(|(o, _)| *o == k).map_or(0, |(_, p)| *p)))
                .collect();
        }
        "send" => {
            let slot = rng.below(active.len() as u64) as usize;
            let key = active[slot];
            *sent += 1;
            let log = &mut logs[key];
            let offset = log.base + 13 * log.slots as i64;
            log.slots += 1;
            let message = log.slots as i64;
            let timed_out = rng.below(200) == 0;
            // Lossy: acknowledged, given an offset, never stored.
            if !(lossy && sent.is_multiple_of(1000)) {
                log.messages.push((offset, message));
            }
            let name = logs[key].name.clone();
            op.value = if timed_out {
                op.op_type = OpType::Info;
                op.error = Some(kw("net-timeout"));
                Edn::Vector(
                    vec![Edn::Vector(
                        vec![kw("send"), name, Edn::Int(message)].into(),
                    )]
                    .into(),
                )
            } else {
                let pair = Edn::Vector(vec![Edn::Int(offset), Edn::Int(message)].into());
                Edn::Vector(vec![Edn::Vector(vec![kw("send"), name, pair].into())].into())
            };
            if logs[key].slots >= MESSAGES_PER_KEY {
                active[slot] = new_key(logs);
            }
        }
        _ => {
            // A poll: up to 5 messages of each assigned key from the client's position.
            let mut polled = Vec::new();
            for (key, position) in c.positions.iter_mut() {
                let log = &logs[*key].messages;
                let end = (*position + 5).min(log.len());
                if end > *position {
                    polled.push((logs[*key].name.clone(), pairs(&log[*position..end])));
                    *position = end;
                }
            }
            op.value = Edn::Vector(
                vec![Edn::Vector(
                    vec![kw("poll"), Edn::Map(polled.into())].into(),
                )]
                .into(),
            );
        }
    }
    op
}
