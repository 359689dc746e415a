//! The search: Wing & Gong's backtracking over a linked list of call and return events, with
//! Lowe's cache of configurations already explored (G. Lowe, "Testing for linearizability",
//! 2017), as Porcupine's `checker.go` does, plus three things that suit Maelstrom's histories:
//!
//! - crashed ops of the same kind and arguments are interchangeable (they all stay open to the
//!   end), so only the earliest-invoked one of each class that has not taken effect is tried;
//!   a configuration then records, per class, *how many* took effect instead of which;
//! - crashed ops used are compared by inclusion, not equality: a configuration that used at
//!   least the crashed ops of one already explored, with the same state and the same `:ok` ops
//!   linearized, can do nothing the explored one could not (it may always leave a crashed op
//!   unused), so it is pruned. Without this, 15 crashed writes pending from early on make 2^15
//!   configurations at every step of a history that has to be refuted;
//! - the past is summarised: every `:ok` op below the lowest one not yet linearized has taken
//!   effect, so a configuration keeps that mark and the few bits above it, not a bit per op
//!   of the whole history;
//! - it always ends: a deadline and a memory budget for the cache; running out gives
//!   [`Outcome::Unknown`] with the longest partial linearization found.
//!
//! Soundness of the first point: if a linearization applies crashed op B while an equal crashed
//! op A invoked earlier has not taken effect, applying A at that place instead is also legal
//! (A was already invoked, and neither has an end), and leaves the same state.

use super::model::{step, Kind, Value};
use super::prepare::LinOp;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::time::Instant;

/// When the search must give up.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Give up at this instant; `None` = never.
    pub deadline: Option<Instant>,
    /// Give up when the cache holds more than this many bytes.
    pub max_bytes: usize,
}

impl Budget {
    /// No limits (tests and the oracle).
    pub fn unlimited() -> Budget {
        Budget {
            deadline: None,
            max_bytes: usize::MAX,
        }
    }
}

/// A configuration at which the search was stopped by an op it could not linearize.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    /// The register's state.
    pub state: Value,
    /// The op linearized last (`None`: none yet).
    pub last: Option<usize>,
    /// Which ops had taken effect (`linearized[i]`).
    pub linearized: Vec<bool>,
}

/// Why a search gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    Time,
    Memory,
}

/// What the search found, with op numbers indexing the key's `ops`.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A linearization: ops in the order they took effect (crashed ops that never did are absent).
    Linearizable(Vec<usize>),
    /// No linearization. `op` is the first `:ok` op that cannot be linearized: the one whose
    /// completion the furthest configurations could not pass; `blocked` are (up to 10 of) those
    /// configurations.
    /// `path` is the linearization that led to the first of them.
    NotLinearizable {
        op: usize,
        blocked: Vec<Blocked>,
        path: Vec<usize>,
    },
    /// The budget ran out; `longest` is the longest partial linearization found.
    Unknown {
        cause: Exhausted,
        longest: Vec<usize>,
    },
}

/// How many blocked configurations to keep for the explanation (Knossos prints at most 10 final
/// paths).
const MAX_BLOCKED: usize = 10;

/// Checks one key's ops (in invocation order, as `prepare::by_key` gives them).
pub fn search(ops: &[LinOp], budget: Budget) -> Outcome {
    Search::new(ops).run(budget)
}

/// The event list and everything the search changes as it goes.
struct Search<'a> {
    ops: &'a [LinOp],
    /// Doubly linked circular list of events: event 2i is op i's call, 2i+1 its return; the
    /// head sentinel is event 2m.
    next: Vec<usize>,
    prev: Vec<usize>,
    head: usize,
    /// For a crashed op, its equivalence class; for an `:ok` op, its rank among `:ok` ops.
    class_or_rank: Vec<usize>,
    /// For a crashed op, the previous crashed op of its class (which must take effect first).
    twin_before: Vec<Option<usize>>,
    linearized: Vec<bool>,
    /// Bitset over `:ok` ranks of the ok ops linearized.
    ok_bits: Vec<u64>,
    /// The lowest ok rank not linearized.
    mark: usize,
    /// How many crashed ops of each class took effect.
    class_counts: Vec<u32>,
    /// (op, state before it, highest ok rank linearized so far + 1).
    stack: Vec<(usize, Value, usize)>,
    state: Value,
}

impl<'a> Search<'a> {
    fn new(ops: &'a [LinOp]) -> Search<'a> {
        let m = ops.len();
        // Events in history order: calls by invocation index, returns by completion index,
        // crashed ops' returns after everything.
        let mut events: Vec<(usize, usize)> = Vec::with_capacity(2 * m);
        for (i, op) in ops.iter().enumerate() {
            events.push((op.invoke, 2 * i));
            events.push((op.complete.unwrap_or(usize::MAX), 2 * i + 1));
        }
        events.sort_unstable();
        let head = 2 * m;
        let mut next = vec![head; 2 * m + 1];
        let mut prev = vec![head; 2 * m + 1];
        let mut last = head;
        for &(_, e) in &events {
            next[last] = e;
            prev[e] = last;
            last = e;
        }
        next[last] = head;
        prev[head] = last;

        let mut classes: Vec<Kind> = Vec::new();
        let mut last_of_class: Vec<usize> = Vec::new();
        let mut class_or_rank = vec![0; m];
        let mut twin_before = vec![None; m];
        let mut ok_count = 0;
        for (i, op) in ops.iter().enumerate() {
            if op.crashed() {
                let c = match classes.iter().position(|k| *k == op.kind) {
                    Some(c) => {
                        twin_before[i] = Some(last_of_class[c]);
                        last_of_class[c] = i;
                        c
                    }
                    None => {
                        classes.push(op.kind);
                        last_of_class.push(i);
                        classes.len() - 1
                    }
                };
                class_or_rank[i] = c;
            } else {
                class_or_rank[i] = ok_count;
                ok_count += 1;
            }
        }
        Search {
            ops,
            next,
            prev,
            head,
            class_or_rank,
            twin_before,
            linearized: vec![false; m],
            ok_bits: vec![0; ok_count.div_ceil(64) + 1],
            mark: 0,
            class_counts: vec![0; classes.len()],
            stack: Vec::new(),
            state: super::model::NIL,
        }
    }

    fn run(mut self, budget: Budget) -> Outcome {
        // (state, :ok ops linearized) -> the crashed-op class counts explored with it, one
        // after another.
        let mut cache: HashMap<Config, Vec<u32>, BuildHasherDefault<PassHasher>> =
            HashMap::default();
        let classes = self.class_counts.len();
        let mut cache_bytes = 0usize;
        let mut longest: Vec<usize> = Vec::new();
        let mut best: Option<usize> = None; // op blocking the furthest configurations
        let mut blocked: Vec<Blocked> = Vec::new();
        let mut path: Vec<usize> = Vec::new();
        let mut steps = 0u64;
        // Two passes over the calls before the first pending return: `:ok` ops first, crashed
        // ops only when no `:ok` op fits, so that configurations using few crashed ops are
        // explored first and those using more are pruned by inclusion.
        let mut crashed_pass = false;
        let mut entry = self.next[self.head];
        loop {
            steps += 1;
            if steps.is_multiple_of(4096) {
                if let Some(cause) = over_budget(&budget, cache_bytes) {
                    if self.stack.len() > longest.len() {
                        longest = self.stack.iter().map(|s| s.0).collect();
                    }
                    return Outcome::Unknown { cause, longest };
                }
            }
            let returned = entry == self.head || entry % 2 == 1;
            if returned && (entry == self.head || self.ops[entry / 2].crashed()) {
                // Only crashed ops' returns (or nothing) are left: every :ok op took effect.
                return Outcome::Linearizable(self.stack.iter().map(|s| s.0).collect());
            }
            if returned && !crashed_pass {
                crashed_pass = true;
                entry = self.next[self.head];
                continue;
            }
            let i = entry / 2;
            if entry.is_multiple_of(2) {
                if self.ops[i].crashed() == crashed_pass && self.may_try(i) {
                    if let Some(after) = step(self.state, self.ops[i].kind) {
                        self.apply(i, after);
                        let config = self.config();
                        let size = config.bytes();
                        let explored = cache.entry(config).or_insert_with(|| {
                            cache_bytes += size;
                            Vec::new()
                        });
                        let fresh = if classes == 0 {
                            explored.is_empty()
                        } else {
                            // Fresh unless some explored counts are all <= these.
                            explored
                                .chunks(classes)
                                .all(|old| old.iter().zip(&self.class_counts).any(|(o, n)| o > n))
                        };
                        if fresh {
                            if classes == 0 {
                                explored.push(0);
                            } else {
                                explored.extend_from_slice(&self.class_counts);
                            }
                            cache_bytes += 4 * classes.max(1);
                            self.lift(i);
                            crashed_pass = false;
                            entry = self.next[self.head];
                            continue;
                        }
                        self.revert();
                    }
                }
                entry = self.next[entry];
                continue;
            }
            // The return of an :ok op that has not taken effect, in the second pass: a dead end.
            let furthest = best.is_none_or(|b| self.ops[i].complete >= self.ops[b].complete);
            if furthest {
                if best != Some(i) {
                    best = Some(i);
                    blocked.clear();
                    path = self.stack.iter().map(|s| s.0).collect();
                }
                let last = self.stack.last().map(|s| s.0);
                let seen = blocked
                    .iter()
                    .any(|b| b.state == self.state && b.last == last);
                if !seen && blocked.len() < MAX_BLOCKED {
                    blocked.push(Blocked {
                        state: self.state,
                        last,
                        linearized: self.linearized.clone(),
                    });
                }
            }
            if self.stack.len() > longest.len() {
                longest = self.stack.iter().map(|s| s.0).collect();
            }
            let Some(&(j, ..)) = self.stack.last() else {
                return Outcome::NotLinearizable {
                    op: best.unwrap_or(i),
                    blocked,
                    path,
                };
            };
            self.revert();
            self.unlift(j);
            crashed_pass = self.ops[j].crashed();
            entry = self.next[2 * j];
        }
    }

    /// Whether op i may be tried now: a crashed op only after its class's earlier twins.
    fn may_try(&self, i: usize) -> bool {
        self.twin_before[i].is_none_or(|t| self.linearized[t])
    }

    /// Records op i as taken effect, leading to state `after`.
    fn apply(&mut self, i: usize, after: Value) {
        let top = self.stack.last().map_or(0, |s| s.2);
        let mut high = top;
        self.linearized[i] = true;
        let c = self.class_or_rank[i];
        if self.ops[i].crashed() {
            self.class_counts[c] += 1;
        } else {
            self.ok_bits[c / 64] |= 1 << (c % 64);
            high = high.max(c + 1);
            while self.ok_bits[self.mark / 64] & (1 << (self.mark % 64)) != 0 {
                self.mark += 1;
            }
        }
        self.stack.push((i, self.state, high));
        self.state = after;
    }

    /// Undoes the last `apply`.
    fn revert(&mut self) {
        let Some((i, before, _)) = self.stack.pop() else {
            return;
        };
        self.state = before;
        self.linearized[i] = false;
        let c = self.class_or_rank[i];
        if self.ops[i].crashed() {
            self.class_counts[c] -= 1;
        } else {
            self.ok_bits[c / 64] &= !(1 << (c % 64));
            self.mark = self.mark.min(c);
        }
    }

    /// The configuration as the cache keys it: state, the mark, and the ok bits from the mark's
    /// word to the highest linearized ok op (the crashed ops' class counts are kept beside it).
    fn config(&self) -> Config {
        let high = self.stack.last().map_or(0, |s| s.2);
        let from = self.mark / 64;
        let to = high.div_ceil(64).max(from);
        let mut words = Vec::with_capacity(1 + (to - from));
        words.push(u64::from(self.state) | (self.mark as u64) << 32);
        words.extend_from_slice(&self.ok_bits[from..to]);
        Config::new(words.into_boxed_slice())
    }

    fn unlink(&mut self, e: usize) {
        let (p, n) = (self.prev[e], self.next[e]);
        self.next[p] = n;
        self.prev[n] = p;
    }

    fn relink(&mut self, e: usize) {
        let (p, n) = (self.prev[e], self.next[e]);
        self.next[p] = e;
        self.prev[n] = e;
    }

    /// Takes op i's call and return out of the list (it took effect).
    fn lift(&mut self, i: usize) {
        self.unlink(2 * i);
        self.unlink(2 * i + 1);
    }

    /// Puts them back, in the reverse order (dancing links).
    fn unlift(&mut self, i: usize) {
        self.relink(2 * i + 1);
        self.relink(2 * i);
    }
}

fn over_budget(budget: &Budget, cache_bytes: usize) -> Option<Exhausted> {
    if cache_bytes > budget.max_bytes {
        return Some(Exhausted::Memory);
    }
    match budget.deadline {
        Some(deadline) if Instant::now() >= deadline => Some(Exhausted::Time),
        _ => None,
    }
}

/// A cached configuration: its words and their hash, computed once.
#[derive(PartialEq, Eq)]
struct Config {
    hash: u64,
    words: Box<[u64]>,
}

impl Config {
    fn new(words: Box<[u64]>) -> Config {
        // A multiply-rotate mix (as FxHash does): fast, and good enough for a hash set.
        let mut hash = 0u64;
        for &w in words.iter() {
            hash = (hash.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        Config { hash, words }
    }

    /// What the entry costs in memory, roughly: the words, the box, the set's slot.
    fn bytes(&self) -> usize {
        self.words.len() * 8 + 40
    }
}

impl Hash for Config {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Passes a precomputed hash through.
#[derive(Default)]
struct PassHasher(u64);

impl Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
