//! The search: a just-in-time sweep over one key's history in time order, as Knossos's `linear`
//! analysis does (`knossos.linear`, after Lowe's just-in-time linearization in "Testing for
//! linearizability", 2017), instead of a depth-first search over orders (Wing & Gong, and
//! Porcupine's `checker.go`), with what suits Maelstrom's histories.
//!
//! The sweep keeps the *frontier*: every configuration the history allows at the current moment,
//! each a register state, which of the `:ok` ops still open took effect, which crashed ops took
//! effect, and the path that led there (a node of a tree of shared paths, `frontier.rs`). An
//! invocation makes an op pending. At the completion of `:ok` op X, each configuration is
//! extended by every order of pending ops that can happen (the closure), only those in which X
//! took effect are kept, and X is forgotten. If none is left, X is Knossos's `:op`: the first
//! `:ok` op that cannot be linearized. After the last event, any configuration left is a
//! linearization. Because the register has a handful of states and at most a few ops are open
//! at once, the frontier stays small, and the work is linear in the history's length.
//!
//! Three reductions keep the closure small, each sound because the configuration kept can do
//! whatever the one dropped could (it *dominates* it):
//!
//! - crashed ops of the same kind and arguments are interchangeable (they all stay open to the
//!   end), so only the earliest-invoked one of each class not yet used is tried: if a
//!   linearization applies crashed op B while an equal crashed op A invoked earlier has not
//!   taken effect, applying A at that place instead is also legal and leaves the same state.
//!   The crashed ops used are then a prefix of each class, and sets of them compare as counts;
//! - among configurations with the same state and the same open `:ok` ops taken effect, one
//!   whose crashed ops used are a subset of another's dominates it (it may always leave a
//!   crashed op unused), so each such group keeps an antichain of minimal sets. Without this,
//!   15 crashed writes pending from early on make 2^15 configurations at every step;
//! - an open `:ok` read that can happen in a configuration's state is applied at once: it
//!   changes nothing, and any later place it could take effect has the same state;
//! - it always ends: a deadline and a memory budget (the frontier and the path tree); running
//!   out gives [`Outcome::Unknown`] with the longest partial linearization found.

use super::frontier::{count_range, has, set, unset, Config, Dominance, Reached, Tree, ROOT};
use super::model::{is_read, step, Kind, Value, NIL};
use super::prepare::LinOp;
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

/// A configuration reached just before the completion of an op that no configuration could
/// linearize.
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
    /// No linearization. `op` is the first `:ok` op that cannot be linearized (Knossos's `:op`):
    /// no configuration reached before its completion has it taken effect; `blocked` are (up to
    /// 10 of) those configurations, one per state first; `path` is the linearization that led
    /// to the first of them, the longest of all.
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
    let plan = Plan::new(ops);
    match plan.words() {
        1 => Sweep::<1>::new(&plan, budget).run(),
        2 => Sweep::<2>::new(&plan, budget).run(),
        3..=4 => Sweep::<4>::new(&plan, budget).run(),
        5..=8 => Sweep::<8>::new(&plan, budget).run(),
        9..=64 => Sweep::<64>::new(&plan, budget).run(),
        // Over 4,096 ops open at once or crashed on one key: more than any budget could hold.
        _ => Outcome::Unknown {
            cause: Exhausted::Memory,
            longest: Vec::new(),
        },
    }
}

/// One moment of the history, in history order.
#[derive(Debug, Clone, Copy)]
enum Event {
    Invoke(usize),
    Complete(usize),
}

/// Crashed ops of one kind and arguments, interchangeable.
struct Class {
    kind: Kind,
    /// Its members, by invocation; member k has crashed bit `first + k`.
    members: Vec<usize>,
    first: usize,
}

/// What the sweep needs to know of the ops before it starts.
struct Plan<'a> {
    ops: &'a [LinOp],
    events: Vec<Event>,
    /// For an `:ok` op, its slot among the ops open at once; for a crashed op, its class.
    slot_or_class: Vec<usize>,
    classes: Vec<Class>,
    /// Slots needed: the most `:ok` ops open at once.
    slots: usize,
    crashed: usize,
}

impl<'a> Plan<'a> {
    fn new(ops: &'a [LinOp]) -> Plan<'a> {
        let mut timed: Vec<(usize, Event)> = Vec::with_capacity(2 * ops.len());
        for (i, op) in ops.iter().enumerate() {
            timed.push((op.invoke, Event::Invoke(i)));
            if let Some(c) = op.complete {
                timed.push((c, Event::Complete(i)));
            }
        }
        timed.sort_unstable_by_key(|t| t.0);
        let events: Vec<Event> = timed.into_iter().map(|t| t.1).collect();
        let mut slot_or_class = vec![0; ops.len()];
        let mut classes: Vec<Class> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut slots = 0;
        for &e in &events {
            match e {
                Event::Invoke(i) if ops[i].crashed() => {
                    let c = match classes.iter().position(|c| c.kind == ops[i].kind) {
                        Some(c) => c,
                        None => {
                            classes.push(Class {
                                kind: ops[i].kind,
                                members: Vec::new(),
                                first: 0,
                            });
                            classes.len() - 1
                        }
                    };
                    classes[c].members.push(i);
                    slot_or_class[i] = c;
                }
                Event::Invoke(i) => {
                    slot_or_class[i] = free.pop().unwrap_or_else(|| {
                        slots += 1;
                        slots - 1
                    });
                }
                Event::Complete(i) => free.push(slot_or_class[i]),
            }
        }
        let mut crashed = 0;
        for class in &mut classes {
            class.first = crashed;
            crashed += class.members.len();
        }
        Plan {
            ops,
            events,
            slot_or_class,
            classes,
            slots,
            crashed,
        }
    }

    /// Words each bitset needs.
    fn words(&self) -> usize {
        self.slots.max(self.crashed).div_ceil(64).max(1)
    }
}

/// The sweep's state, with bitsets of `W` words.
struct Sweep<'a, const W: usize> {
    plan: &'a Plan<'a>,
    budget: Budget,
    tree: Tree,
    /// The configurations after the last completion.
    frontier: Vec<Config<W>>,
    dominance: Dominance<W>,
    /// The closure being built.
    reached: Reached<W>,
    /// `:ok` ops invoked and not completed.
    open: Vec<usize>,
    /// Per class, members invoked so far.
    invoked: Vec<usize>,
    /// `:ok` ops completed (all of them took effect in every configuration).
    done: Vec<bool>,
    /// Reads applied by the last `normalize`.
    reads: Vec<usize>,
    /// Counters, to look at the clock now and then.
    expansions: u64,
    completions: u64,
}

impl<'a, const W: usize> Sweep<'a, W> {
    fn new(plan: &'a Plan<'a>, budget: Budget) -> Sweep<'a, W> {
        Sweep {
            plan,
            budget,
            tree: Tree::default(),
            frontier: vec![Config {
                state: NIL,
                ok: [0; W],
                crashed: [0; W],
                path: ROOT,
                after_crashed: false,
            }],
            dominance: Dominance::new(
                plan.classes
                    .iter()
                    .map(|c| (c.kind, c.first, c.members.len())),
            ),
            reached: Reached::default(),
            open: Vec::new(),
            invoked: vec![0; plan.classes.len()],
            done: vec![false; plan.ops.len()],
            reads: Vec::new(),
            expansions: 0,
            completions: 0,
        }
    }

    fn run(mut self) -> Outcome {
        for &event in &self.plan.events {
            match event {
                Event::Invoke(i) if self.plan.ops[i].crashed() => {
                    self.invoked[self.plan.slot_or_class[i]] += 1;
                }
                Event::Invoke(i) => self.open.push(i),
                Event::Complete(x) => {
                    self.completions += 1;
                    if self.completions.is_multiple_of(64) {
                        if let Some(cause) = self.over_budget() {
                            return self.unknown(cause);
                        }
                    }
                    if let Err(cause) = self.close() {
                        return self.unknown(cause);
                    }
                    let slot = self.plan.slot_or_class[x];
                    self.frontier.clear();
                    for c in self.reached.alive() {
                        if has(&c.ok, slot) {
                            let mut c = *c;
                            unset(&mut c.ok, slot);
                            self.frontier.push(c);
                        }
                    }
                    if self.frontier.is_empty() {
                        return self.not_linearizable(x);
                    }
                    self.reached.clear();
                    self.open.retain(|&i| i != x);
                    self.done[x] = true;
                    let mut roots: Vec<&mut u32> =
                        self.frontier.iter_mut().map(|c| &mut c.path).collect();
                    self.tree.compact(&mut roots);
                }
            }
        }
        Outcome::Linearizable(self.tree.path(self.frontier[0].path))
    }

    /// Builds in `reached` every configuration the frontier can reach with the ops pending now.
    fn close(&mut self) -> Result<(), Exhausted> {
        self.reached.clear();
        for c in std::mem::take(&mut self.frontier) {
            self.add(c, None, true);
        }
        let mut next = 0;
        while next < self.reached.configs.len() {
            let (c, alive) = (self.reached.configs[next], self.reached.alive[next]);
            next += 1;
            if !alive {
                continue;
            }
            self.expansions += 1;
            if self.expansions.is_multiple_of(1024) {
                if let Some(cause) = self.over_budget() {
                    return Err(cause);
                }
            }
            // Values some pending op could observe next (a read of v, a cas from v): a crashed
            // op is applied only to be observed at once (see `observers`).
            let observed = self.observers(&c);
            for k in 0..self.open.len() {
                let i = self.open[k];
                let slot = self.plan.slot_or_class[i];
                let kind = self.plan.ops[i].kind;
                if has(&c.ok, slot) || (c.after_crashed && !matches!(kind, Kind::Cas(..))) {
                    continue;
                }
                if let Some(state) = step(c.state, kind) {
                    let mut n = Config { state, ..c };
                    set(&mut n.ok, slot);
                    self.add(n, Some(i), state != c.state);
                }
            }
            for (k, class) in self.plan.classes.iter().enumerate() {
                let Some(state) = step(c.state, class.kind) else {
                    continue;
                };
                let unobserved = (state as usize) < 64 && observed & (1 << state) == 0;
                if state == c.state
                    || unobserved
                    || (c.after_crashed && !matches!(class.kind, Kind::Cas(..)))
                {
                    continue;
                }
                let used = count_range(&c.crashed, class.first, class.members.len());
                if used < self.invoked[k] {
                    let mut n = Config { state, ..c };
                    set(&mut n.crashed, class.first + used);
                    self.add(n, Some(class.members[used]), true);
                }
            }
        }
        Ok(())
    }

    /// The values (below 64; any above counts as observed) that a pending op could observe in
    /// `c`: an open `:ok` read or cas not yet applied, reading v or replacing v, or an
    /// unused invoked crashed cas from v to a value observed in turn.
    ///
    /// Only these are worth a crashed op now. In a linearization, a crashed op whose effect the
    /// next op does not observe can be dropped: the next op overwrites it (the state after is
    /// the same without it) or there is no next op yet (then it can take effect in a later
    /// closure, right before the op that observes it, since it stays pending). So a crashed op
    /// is applied only when its value can be observed, and a configuration whose last step was
    /// a crashed op (no read after it) goes on only with a cas.
    fn observers(&self, c: &Config<W>) -> u64 {
        let mut mask = 0u64;
        let mut note = |v: Value| {
            if (v as usize) < 64 {
                mask |= 1 << v;
            }
        };
        for &i in &self.open {
            if !has(&c.ok, self.plan.slot_or_class[i]) {
                match self.plan.ops[i].kind {
                    Kind::Read(v) | Kind::Cas(v, _) => note(v),
                    Kind::Write(_) => {}
                }
            }
        }
        // A crashed cas from v observes v only if what it leaves is observed in turn.
        let seen = |mask: u64, v: Value| v >= 64 || mask & (1 << v) != 0;
        loop {
            let before = mask;
            for (k, class) in self.plan.classes.iter().enumerate() {
                if let Kind::Cas(v, to) = class.kind {
                    let unused =
                        count_range(&c.crashed, class.first, class.members.len()) < self.invoked[k];
                    if unused && seen(mask, to) && v < 64 {
                        mask |= 1 << v;
                    }
                }
            }
            if mask == before {
                return mask;
            }
        }
    }

    /// Adds `c`, reached from its path by `op` (if any), after applying the open reads its state
    /// allows (when the state `changed`, or new reads came), unless a configuration already
    /// reached dominates it.
    fn add(&mut self, mut c: Config<W>, op: Option<usize>, changed: bool) {
        let target = &mut self.reached;
        self.reads.clear();
        if changed {
            for &i in &self.open {
                let slot = self.plan.slot_or_class[i];
                let kind = self.plan.ops[i].kind;
                if is_read(kind) && !has(&c.ok, slot) && step(c.state, kind).is_some() {
                    set(&mut c.ok, slot);
                    self.reads.push(i);
                }
            }
        }
        if op.is_some() || !self.reads.is_empty() {
            c.after_crashed =
                self.reads.is_empty() && op.is_some_and(|i| self.plan.ops[i].crashed());
        }
        if op.is_none() && self.reads.is_empty() {
            target.insert(c, &self.dominance);
            return;
        }
        let parent = c.path;
        c.path = ROOT;
        if let Some(index) = target.insert(c, &self.dominance) {
            let mut path = parent;
            for &i in op.iter().chain(&self.reads) {
                path = self.tree.push(path, i);
            }
            target.configs[index].path = path;
        }
    }

    fn over_budget(&self) -> Option<Exhausted> {
        let bytes = self.tree.bytes()
            + self.reached.bytes()
            + self.frontier.capacity() * std::mem::size_of::<Config<W>>();
        if bytes > self.budget.max_bytes {
            return Some(Exhausted::Memory);
        }
        match self.budget.deadline {
            Some(deadline) if Instant::now() >= deadline => Some(Exhausted::Time),
            _ => None,
        }
    }

    /// The budget ran out: the longest path among the configurations at hand.
    fn unknown(&self, cause: Exhausted) -> Outcome {
        let longest = self
            .frontier
            .iter()
            .chain(&self.reached.configs)
            .map(|c| c.path)
            .max_by_key(|&p| self.tree.depth(p))
            .map_or(Vec::new(), |p| self.tree.path(p));
        Outcome::Unknown { cause, longest }
    }

    /// No configuration reached before op `x`'s completion has `x` taken effect.
    fn not_linearizable(&self, x: usize) -> Outcome {
        let mut configs: Vec<&Config<W>> = self.reached.alive().collect();
        // The one with the longest path first: its path is the linearization the results and
        // the key's picture show.
        if let Some(longest) = (0..configs.len()).max_by_key(|&k| self.tree.depth(configs[k].path))
        {
            configs.swap(0, longest);
        }
        let mut chosen: Vec<&Config<W>> = Vec::new();
        // One per state first, then any with a new (state, last op), up to MAX_BLOCKED.
        for pass in 0..2 {
            for &c in &configs {
                let last = self.tree.last(c.path);
                let fresh = chosen
                    .iter()
                    .all(|o| o.state != c.state || (pass == 1 && self.tree.last(o.path) != last));
                if fresh && chosen.len() < MAX_BLOCKED {
                    chosen.push(c);
                }
            }
        }
        let blocked = chosen
            .iter()
            .map(|c| Blocked {
                state: c.state,
                last: self.tree.last(c.path),
                linearized: self.linearized(c),
            })
            .collect();
        Outcome::NotLinearizable {
            op: x,
            blocked,
            path: chosen
                .first()
                .map_or(Vec::new(), |c| self.tree.path(c.path)),
        }
    }

    /// Which ops took effect in `c`, by op number.
    fn linearized(&self, c: &Config<W>) -> Vec<bool> {
        let mut out = self.done.clone();
        for &i in &self.open {
            out[i] = has(&c.ok, self.plan.slot_or_class[i]);
        }
        for class in &self.plan.classes {
            for (k, &i) in class.members.iter().enumerate() {
                out[i] = has(&c.crashed, class.first + k);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::linearizable::synth::{append_key, Shape};
    use crate::checker::linearizable::{by_key, oracle};
    use crate::history::History;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// Whether `order` is a linearization of `ops`: each op legal in turn, every `:ok` op in it
    /// once, and no op before one that completed before it was invoked.
    fn legal(ops: &[LinOp], order: &[usize]) -> bool {
        let mut state = NIL;
        let mut seen = vec![false; ops.len()];
        for (k, &i) in order.iter().enumerate() {
            let Some(next) = step(state, ops[i].kind) else {
                return false;
            };
            state = next;
            if seen[i] {
                return false;
            }
            seen[i] = true;
            let later_done = order[k + 1..]
                .iter()
                .any(|&j| ops[j].complete.is_some_and(|c| c < ops[i].invoke));
            if later_done {
                return false;
            }
        }
        ops.iter().zip(&seen).all(|(op, &s)| s || op.crashed())
    }

    /// The linearization the sweep returns for a valid key is one: replayed, it is legal and
    /// respects real time, on Maelstrom-shaped keys and on small random histories.
    #[test]
    fn linearizations_found_are_legal() {
        for seed in 0..20 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut history = History::new();
            let shape = Shape {
                ops: 300,
                ..Shape::default()
            };
            append_key(&mut history, &mut rng, 0, shape, 0);
            let (keys, _) = by_key(&history);
            match search(&keys[0].ops, Budget::unlimited()) {
                Outcome::Linearizable(order) => {
                    assert!(legal(&keys[0].ops, &order), "seed {seed}")
                }
                other => panic!("seed {seed}: {other:?}"),
            }
        }
        let mut checked = 0;
        for seed in 0..2_000 {
            let mut rng = StdRng::seed_from_u64(seed);
            let history = oracle::random_history(&mut rng, 0, 10);
            let (keys, _) = by_key(&history);
            let Some(key) = keys.first() else { continue };
            if let Outcome::Linearizable(order) = search(&key.ops, Budget::unlimited()) {
                assert!(legal(&key.ops, &order), "seed {seed}");
                checked += 1;
            }
        }
        assert!(checked > 500, "{checked}");
    }

    /// The configurations blocked at the impossible op record every op completed before it as
    /// taken effect, and the path to the first of them is legal.
    #[test]
    fn blocked_configurations_record_the_past() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let history = oracle::random_history(&mut rng, 0, 10);
            let (keys, _) = by_key(&history);
            let Some(key) = keys.first() else { continue };
            let Outcome::NotLinearizable { op, blocked, path } =
                search(&key.ops, Budget::unlimited())
            else {
                continue;
            };
            let at = key.ops[op].complete.expect("an :ok op");
            assert!(!blocked.is_empty() && blocked.len() <= MAX_BLOCKED);
            for b in &blocked {
                assert!(!b.linearized[op]);
                for (i, o) in key.ops.iter().enumerate() {
                    if o.complete.is_some_and(|c| c < at) {
                        assert!(b.linearized[i], "op {i} completed before {op}");
                    }
                }
            }
            let mut state = NIL;
            for &i in &path {
                state = step(state, key.ops[i].kind).expect("a legal path");
            }
            assert_eq!(state, blocked[0].state);
        }
    }
}
