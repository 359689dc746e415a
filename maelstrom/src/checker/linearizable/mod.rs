//! The linearizability checker of the `lin-kv` workload: Jepsen's `independent` checker over
//! Knossos's `linearizable` checker with a compare-and-set register
//! (`jepsen/tests/linearizable_register.clj`), written anew: the model (`model.rs`, apart from
//! the search as in Porcupine's design), the search (`search.rs`: a just-in-time sweep in time order,
//! Knossos's `linear` analysis, over configurations kept in `frontier.rs`), the
//! explanation (`explain.rs`); `prepare.rs` splits the history by key.
//!
//! Semantics (Knossos's, as Maelstrom uses it): the register starts at `nil`; `:fail` ops took no
//! effect; an `:info` op may take effect at any moment after its invocation, or never; a read of
//! `nil` passes in any state. Keys are independent (P-compositionality), so each is searched on
//! its own, several at once on a few threads.
//!
//! Unlike Knossos inside Maelstrom, the check always ends: a key that runs out of time or memory
//! is `:valid? :unknown` with its cause and the longest partial linearization found, and a key
//! proved non-linearizable stays invalid whatever the others do.

pub mod counterexample;
mod explain;
mod frontier;
pub mod model;
pub mod prepare;
pub mod search;
pub mod synth;

pub use prepare::{by_key, KeyHistory, LinOp};
pub use search::{search, Budget, Exhausted, Outcome};

use crate::checker::merge_valid;
use crate::edn::{compact, Edn};
use crate::history::{History, OpType};
use crate::options::WorkloadOptions;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long and how much memory the whole check may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Wall-clock time for all keys together; keys still searching then are `:unknown`.
    pub time: Duration,
    /// Bytes of search cache for all keys together, split evenly between the threads.
    pub memory: usize,
    /// Threads searching keys at once (at least 1).
    pub threads: usize,
}

impl Default for Limits {
    /// The options' defaults (30 s and 1 GiB), on every core: a 60 s run's analysis well under
    /// a minute and 2 GB.
    fn default() -> Limits {
        Limits::from_options(&WorkloadOptions::default())
    }
}

impl Limits {
    /// `--linearizable-time-limit` (seconds) and `--linearizable-memory-limit` (MB), on every
    /// core. The command line keeps them positive and bounded; out of range here, the largest
    /// time Rust can hold is used.
    pub fn from_options(opts: &WorkloadOptions) -> Limits {
        Limits {
            time: Duration::try_from_secs_f64(opts.linearizable_time_limit)
                .unwrap_or(Duration::MAX),
            memory: usize::try_from(opts.linearizable_memory_limit_mb)
                .unwrap_or(usize::MAX)
                .saturating_mul(1 << 20),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// One key's verdict, with what the results and the pictures need.
#[derive(Debug, Clone)]
pub struct KeyResult {
    pub key: KeyHistory,
    pub outcome: Outcome,
    /// Seconds the search took.
    pub seconds: f64,
}

/// Checks every key of a lin-kv history. Results are in key order (integers numerically).
pub fn check_keys(history: &History, limits: Limits) -> Vec<KeyResult> {
    let (mut keys, _skipped) = by_key(history);
    keys.sort_by(|a, b| key_order(&a.key, &b.key));
    // None when the time limit is too far away for the clock to hold: no deadline.
    let deadline = Instant::now().checked_add(limits.time);
    let threads = limits.threads.clamp(1, keys.len().max(1));
    let budget = Budget {
        deadline,
        max_bytes: limits.memory / threads,
    };
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<KeyResult>>> = keys.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(key) = keys.get(k) else { break };
                let started = Instant::now();
                let outcome = search(&key.ops, budget);
                let result = KeyResult {
                    key: key.clone(),
                    outcome,
                    seconds: started.elapsed().as_secs_f64(),
                };
                *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// The lin-kv `:workload` entry, in Maelstrom's shape: `{:valid? ... :results {k {:linearizable
/// {...} :valid? ...}} :failures [k ...]}`, plus `:nil-reads` when some read returned nil, and
/// `:valid? :unknown` with an `:error` saying why when no `:ok` read returned a value; or
/// `{:valid? :unknown, :error ...}` naming the first op that is not a lin-kv op (`by_key`), as
/// the set checker reports a read it cannot analyse: such a history is never given a verdict.
pub fn check(history: &History, limits: Limits) -> Edn {
    if let (_, Some(problem)) = by_key(history) {
        return crate::checker::unknown(problem);
    }
    results_edn(history, &check_keys(history, limits), limits)
}

/// The entry for results already computed.
pub fn results_edn(history: &History, results: &[KeyResult], limits: Limits) -> Edn {
    let mut per_key = Vec::new();
    let mut failures = Vec::new();
    let mut nil_reads = 0;
    for r in results {
        nil_reads += r.key.nil_reads;
        let lin = linearizable_edn(history, r, limits);
        let valid = lin.get("valid?").cloned().unwrap_or(Edn::Nil);
        if valid == Edn::Bool(false) {
            failures.push(r.key.key.clone());
        }
        per_key.push((
            r.key.key.clone(),
            Edn::map([("linearizable", lin), ("valid?", valid)]),
        ));
    }
    let mut valid = merge_valid(
        per_key
            .iter()
            .map(|(_, v)| v.get("valid?").cloned().unwrap_or(Edn::Nil)),
    );
    // Knossos lets a read of nil pass in any state, so a run whose reads all returned nil
    // (a node answering every read with null) checked nothing a node said: no verdict
    // (README, deliberate differences).
    let value_reads = results
        .iter()
        .flat_map(|r| &r.key.ops)
        .filter(|o| matches!(o.kind, model::Kind::Read(_)) && !o.crashed())
        .count();
    // A run that asked no read at all (`--rate 0`, as the Raft chapter's election step runs)
    // has nothing to check and Maelstrom's verdict, which the summary's op counts explain.
    let reads_asked = history
        .iter()
        .any(|o| o.is_client() && o.op_type == OpType::Invoke && o.f == "read");
    let unchecked = (reads_asked && value_reads == 0 && valid != Edn::Bool(false)).then(|| {
        valid = Edn::kw("unknown");
        if nil_reads > 0 {
            format!(
                "no :ok read returned a value ({nil_reads} returned nil), so no read was checked \
                 against the writes: a correct lin-kv node answers a read with the key's value, \
                 or error 20 when the key does not exist"
            )
        } else {
            "no read succeeded (each failed or timed out), so no read was checked against the \
             writes"
                .to_string()
        }
    });
    let mut entry = Edn::map([
        ("valid?", valid),
        ("results", Edn::Map(per_key.into())),
        ("failures", Edn::Vector(failures.into())),
    ]);
    if nil_reads > 0 {
        entry.push_entry("nil-reads", Edn::Int(nil_reads as i64));
    }
    if let Some(why) = unchecked {
        entry.push_entry("error", Edn::Str(why.into()));
    }
    entry
}

/// One key's `:linearizable` entry.
fn linearizable_edn(history: &History, r: &KeyResult, limits: Limits) -> Edn {
    let mut entries: Vec<(&str, Edn)> = Vec::new();
    match &r.outcome {
        Outcome::Linearizable(_) => {
            entries.push(("valid?", Edn::Bool(true)));
            entries.push(("analyzer", Edn::kw("linear")));
        }
        Outcome::NotLinearizable { op, blocked, path } => {
            entries.push(("valid?", Edn::Bool(false)));
            entries.push(("analyzer", Edn::kw("linear")));
            entries.extend(explain::invalid(&r.key, history, *op, blocked));
            // Ours, as for an undecided key: what the key's picture draws through its ops.
            entries.push(("longest-linearization", op_refs(&r.key, history, path)));
        }
        Outcome::Unknown { cause, longest } => {
            let cause = match cause {
                Exhausted::Time => {
                    format!("time budget of {} s ran out", limits.time.as_secs_f64())
                }
                Exhausted::Memory => {
                    format!(
                        "memory budget of {} MB ran out",
                        (limits.memory / threads_of(limits)) >> 20
                    )
                }
            };
            let total = r.key.ops.iter().filter(|o| !o.crashed()).count();
            let done = longest.iter().filter(|&&i| !r.key.ops[i].crashed()).count();
            entries.push(("valid?", Edn::kw("unknown")));
            entries.push(("analyzer", Edn::kw("linear")));
            entries.push(("cause", Edn::Str(cause.clone().into())));
            entries.push(("longest-linearization", op_refs(&r.key, history, longest)));
            entries.push((
                "explanation",
                Edn::Str(
                    format!(
                        "key {} could not be decided: the {cause}; the longest partial \
                         linearization found covers {done} of its {total} acknowledged operations",
                        compact(&r.key.key)
                    )
                    .into(),
                ),
            ));
        }
    }
    Edn::map(entries)
}

/// The summary's lines for a lin-kv `:workload` entry: the keys that are not linearizable and
/// the first one's explanation, the keys left undecided, and reads of nil (which Knossos lets
/// pass but no correct node returns).
pub fn summary_lines(result: &Edn) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    let Some(Edn::Map(per_key)) = result.get("results") else {
        return lines;
    };
    let of = |valid: Edn| -> Vec<&(Edn, Edn)> {
        per_key
            .iter()
            .filter(|(_, r)| r.get("valid?") == Some(&valid))
            .collect()
    };
    let names = |keys: &[&(Edn, Edn)]| -> String {
        let shown: Vec<String> = keys.iter().take(10).map(|(k, _)| compact(k)).collect();
        let more = keys.len().saturating_sub(10);
        let more = if more > 0 {
            format!(" +{more} more")
        } else {
            String::new()
        };
        // `1 of 3 keys: key 0`, `2 of 3 keys: keys 0, 2`: the count first, so that a key
        // named 0 is not read as none.
        let word = if keys.len() == 1 { "key" } else { "keys" };
        format!(
            "{} of {} keys: {word} {}{more}",
            keys.len(),
            per_key.len(),
            shown.join(", ")
        )
    };
    let explanation = |r: &Edn| match r.get("linearizable").and_then(|l| l.get("explanation")) {
        Some(Edn::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    let invalid = of(Edn::Bool(false));
    if !invalid.is_empty() {
        lines.push(("failing keys", names(&invalid)));
        if let Some(text) = invalid.first().and_then(|(_, r)| explanation(r)) {
            lines.push(("impossible", text));
        }
    }
    let unknown = of(Edn::kw("unknown"));
    if !unknown.is_empty() {
        lines.push(("undecided", names(&unknown)));
    }
    if let Some(Edn::Int(n)) = result.get("nil-reads") {
        lines.push((
            "nil reads",
            format!("{n} reads returned nil (Knossos lets them pass)"),
        ));
    }
    lines
}

/// Ops of `key` as the results print them, in order.
fn op_refs(key: &KeyHistory, history: &History, ops: &[usize]) -> Edn {
    Edn::Vector(
        ops.iter()
            .map(|&i| explain::op_ref(key, history, i))
            .collect(),
    )
}

fn threads_of(limits: Limits) -> usize {
    limits.threads.max(1)
}

/// Integers numerically, then anything else by its printed text (Jepsen's sorted map).
fn key_order(a: &Edn, b: &Edn) -> std::cmp::Ordering {
    match (a, b) {
        (Edn::Int(x), Edn::Int(y)) => x.cmp(y),
        (Edn::Int(_), _) => std::cmp::Ordering::Less,
        (_, Edn::Int(_)) => std::cmp::Ordering::Greater,
        _ => compact(a).cmp(&compact(b)),
    }
}

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
