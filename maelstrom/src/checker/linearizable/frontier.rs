//! The sweep's data: configurations, the shared tree of their paths, and the set of
//! configurations reached at one moment, kept as antichains under dominance (`search.rs` says why
//! dominance is sound).

use super::model::{Kind, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fixed-width bitset of `W` words: open `:ok` ops by slot, or crashed ops by bit.
pub type Bits<const W: usize> = [u64; W];

pub fn has<const W: usize>(b: &Bits<W>, i: usize) -> bool {
    b[i / 64] & (1 << (i % 64)) != 0
}

pub fn set<const W: usize>(b: &mut Bits<W>, i: usize) {
    b[i / 64] |= 1 << (i % 64);
}

pub fn unset<const W: usize>(b: &mut Bits<W>, i: usize) {
    b[i / 64] &= !(1 << (i % 64));
}

/// How many bits are set in `first..first + len`.
pub fn count_range<const W: usize>(b: &Bits<W>, first: usize, len: usize) -> usize {
    let (mut n, mut i, end) = (0, first, first + len);
    while i < end {
        let lo = i % 64;
        let width = (64 - lo).min(end - i);
        let mask = if width == 64 {
            !0
        } else {
            ((1u64 << width) - 1) << lo
        };
        n += (b[i / 64] & mask).count_ones() as usize;
        i += width;
    }
    n
}

/// When one set of crashed ops used leaves at least what another leaves, between two
/// configurations of the same state and open `:ok` ops. A crashed write of v can do whatever a
/// crashed cas to v can (it leads to v from any state), so a configuration that used a cas to v
/// where the other used a write of v keeps the more useful op: what remains to it can stand in,
/// op for op, for what remains to the other. Within a class, counts compare (used ops are a
/// prefix of the class).
pub struct Dominance<const W: usize> {
    /// Bits of crashed writes.
    writes: Bits<W>,
    /// Per value v: the bits of crashed writes of v, and of crashed cas to v.
    to: Vec<(Bits<W>, Bits<W>)>,
}

impl<const W: usize> Dominance<W> {
    /// From each class's kind and bits `first..first + len`.
    pub fn new(classes: impl Iterator<Item = (Kind, usize, usize)>) -> Dominance<W> {
        let mut d = Dominance {
            writes: [0; W],
            to: Vec::new(),
        };
        for (kind, first, len) in classes {
            let (v, write) = match kind {
                Kind::Write(v) => (v, true),
                Kind::Cas(_, v) => (v, false),
                Kind::Read(_) => continue,
            };
            if d.to.len() <= v as usize {
                d.to.resize(v as usize + 1, ([0; W], [0; W]));
            }
            for bit in first..first + len {
                let (w, cas) = &mut d.to[v as usize];
                set(if write { w } else { cas }, bit);
                if write {
                    set(&mut d.writes, bit);
                }
            }
        }
        d
    }

    /// Whether a configuration that used crashed ops `a` can do whatever one (of the same state
    /// and open ops) that used `b` can: `a` used no more of any class, or the extra ones are cas
    /// to some v, each matched by a write of v that `b` used and `a` did not.
    pub fn covers(&self, a: &Bits<W>, b: &Bits<W>) -> bool {
        let mut extra = [0u64; W];
        let mut spare = [0u64; W];
        let mut any = 0;
        for k in 0..W {
            extra[k] = a[k] & !b[k];
            spare[k] = b[k] & !a[k];
            any |= extra[k];
            if extra[k] & self.writes[k] != 0 {
                return false;
            }
        }
        any == 0
            || self.to.iter().all(|(w, cas)| {
                let need: u32 = (0..W).map(|k| (extra[k] & cas[k]).count_ones()).sum();
                need == 0 || need <= (0..W).map(|k| (spare[k] & w[k]).count_ones()).sum()
            })
    }
}

/// "No node": the empty path.
pub const ROOT: u32 = u32::MAX;

/// One configuration: the register's state, which open `:ok` ops took effect (by slot), which
/// crashed ops took effect (by bit), and the path that led here (a node of the [`Tree`]).
#[derive(Debug, Clone, Copy)]
pub struct Config<const W: usize> {
    pub state: Value,
    pub ok: Bits<W>,
    pub crashed: Bits<W>,
    pub path: u32,
    /// The last step was a crashed op, with no read after it.
    pub after_crashed: bool,
}

/// Every path of every configuration, sharing prefixes: node n is (op, parent), parents before
/// children.
#[derive(Default)]
pub struct Tree {
    nodes: Vec<(u32, u32)>,
    /// Nodes alive after the last compaction.
    live: usize,
}

impl Tree {
    /// The node for `parent` followed by op `op`.
    pub fn push(&mut self, parent: u32, op: usize) -> u32 {
        self.nodes.push((op as u32, parent));
        (self.nodes.len() - 1) as u32
    }

    /// The ops of the path ending at `node`, first to last.
    pub fn path(&self, mut node: u32) -> Vec<usize> {
        let mut out = Vec::new();
        while node != ROOT {
            let (op, parent) = self.nodes[node as usize];
            out.push(op as usize);
            node = parent;
        }
        out.reverse();
        out
    }

    /// The path's last op.
    pub fn last(&self, node: u32) -> Option<usize> {
        (node != ROOT).then(|| self.nodes[node as usize].0 as usize)
    }

    /// The path's length.
    pub fn depth(&self, mut node: u32) -> usize {
        let mut n = 0;
        while node != ROOT {
            n += 1;
            node = self.nodes[node as usize].1;
        }
        n
    }

    pub fn bytes(&self) -> usize {
        self.nodes.capacity() * 8
    }

    /// Drops the nodes no root leads to once they are most of the tree, renumbering `roots`.
    pub fn compact(&mut self, roots: &mut [&mut u32]) {
        if self.nodes.len() < (1 << 16).max(4 * self.live) {
            return;
        }
        let mut keep = vec![false; self.nodes.len()];
        for root in roots.iter() {
            let mut n = **root;
            while n != ROOT && !keep[n as usize] {
                keep[n as usize] = true;
                n = self.nodes[n as usize].1;
            }
        }
        let mut renumber = vec![ROOT; self.nodes.len()];
        let mut kept = 0;
        for n in 0..self.nodes.len() {
            if keep[n] {
                let (op, parent) = self.nodes[n];
                let parent = if parent == ROOT {
                    ROOT
                } else {
                    renumber[parent as usize]
                };
                self.nodes[kept] = (op, parent);
                renumber[n] = kept as u32;
                kept += 1;
            }
        }
        self.nodes.truncate(kept);
        self.nodes.shrink_to(kept * 2);
        self.live = kept;
        for root in roots.iter_mut() {
            if **root != ROOT {
                **root = renumber[**root as usize];
            }
        }
    }
}

/// The configurations reached at one moment. Those with the same state and the same open `:ok`
/// ops taken effect form a group, kept as an antichain of crashed-op sets: a configuration whose
/// crashed ops include another's of its group is dominated and not kept.
#[derive(Default)]
pub struct Reached<const W: usize> {
    pub configs: Vec<Config<W>>,
    /// False once a later configuration dominated it.
    pub alive: Vec<bool>,
    /// The next configuration of the same group (`ROOT`: none).
    next_in_group: Vec<u32>,
    groups: HashMap<Group<W>, u32, BuildHasherDefault<PassHasher>>,
}

impl<const W: usize> Reached<W> {
    pub fn clear(&mut self) {
        self.configs.clear();
        self.alive.clear();
        self.next_in_group.clear();
        self.groups.clear();
    }

    /// Adds `c` unless a configuration of its group dominates it; removes those it dominates.
    /// Returns its index if it was added.
    pub fn insert(&mut self, c: Config<W>, dominance: &Dominance<W>) -> Option<usize> {
        let key = Group::new(c.state, c.ok);
        let index = self.configs.len() as u32;
        let head = match self.groups.get_mut(&key) {
            None => {
                self.groups.insert(key, index);
                ROOT
            }
            Some(head) => {
                let mut n = *head;
                while n != ROOT {
                    let i = n as usize;
                    if self.alive[i] && dominance.covers(&self.configs[i].crashed, &c.crashed) {
                        return None;
                    }
                    n = self.next_in_group[i];
                }
                let mut n = *head;
                while n != ROOT {
                    let i = n as usize;
                    if self.alive[i] && dominance.covers(&c.crashed, &self.configs[i].crashed) {
                        self.alive[i] = false;
                    }
                    n = self.next_in_group[i];
                }
                std::mem::replace(head, index)
            }
        };
        self.configs.push(c);
        self.alive.push(true);
        self.next_in_group.push(head);
        Some(index as usize)
    }

    /// The configurations still alive.
    pub fn alive(&self) -> impl Iterator<Item = &Config<W>> {
        self.configs
            .iter()
            .zip(&self.alive)
            .filter_map(|(c, &a)| a.then_some(c))
    }

    pub fn bytes(&self) -> usize {
        self.configs.capacity() * (std::mem::size_of::<Config<W>>() + 5)
            + self.groups.capacity() * (std::mem::size_of::<Group<W>>() + 12)
    }
}

/// A group's key, its hash computed once.
#[derive(PartialEq, Eq)]
struct Group<const W: usize> {
    hash: u64,
    state: Value,
    ok: Bits<W>,
}

impl<const W: usize> Group<W> {
    fn new(state: Value, ok: Bits<W>) -> Group<W> {
        // A multiply-rotate mix (as FxHash does): fast, and good enough for a hash map.
        let mut hash = u64::from(state);
        for &w in &ok {
            hash = (hash.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        Group { hash, state, ok }
    }
}

impl<const W: usize> Hash for Group<W> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit ranges count across word boundaries.
    #[test]
    fn bits_count_across_words() {
        let mut b: Bits<2> = [0; 2];
        for i in [3, 63, 64, 70] {
            set(&mut b, i);
        }
        assert_eq!(count_range(&b, 60, 8), 2);
        assert_eq!(count_range(&b, 0, 128), 4);
        assert_eq!(count_range(&b, 4, 59), 0);
        unset(&mut b, 64);
        assert!(!has(&b, 64) && has(&b, 70));
    }

    /// Classes: bits 0-1 write 3, bit 2 cas 1 -> 3, bit 3 cas 2 -> 3, bit 4 write 4.
    fn dominance() -> Dominance<1> {
        Dominance::new(
            [
                (Kind::Write(3), 0, 2),
                (Kind::Cas(1, 3), 2, 1),
                (Kind::Cas(2, 3), 3, 1),
                (Kind::Write(4), 4, 1),
            ]
            .into_iter(),
        )
    }

    /// Fewer crashed ops used covers more; a cas to v used instead of a write of v covers it,
    /// never the other way round, and one write stands in for one cas only.
    #[test]
    fn crashed_sets_cover_by_count_and_by_writes() {
        let d = dominance();
        assert!(d.covers(&[0b00001], &[0b00011]));
        assert!(!d.covers(&[0b00011], &[0b00001]));
        assert!(d.covers(&[0b00100], &[0b00001]));
        assert!(!d.covers(&[0b00001], &[0b00100]));
        assert!(!d.covers(&[0b01100], &[0b00001]));
        assert!(d.covers(&[0b01100], &[0b00011]));
        assert!(!d.covers(&[0b00100], &[0b10000]));
        assert!(d.covers(&[0b10100], &[0b10001]));
    }

    /// A configuration covered by another of its group is dropped, and one that covers others
    /// replaces them.
    #[test]
    fn groups_keep_antichains() {
        let d = dominance();
        let mut r: Reached<1> = Reached::default();
        let c = |state, ok, crashed| Config {
            state,
            ok: [ok],
            crashed: [crashed],
            path: ROOT,
            after_crashed: false,
        };
        assert_eq!(r.insert(c(1, 0, 0b10001), &d), Some(0));
        assert_eq!(r.insert(c(1, 0, 0b01000), &d), Some(1));
        assert_eq!(r.insert(c(1, 0, 0b11000), &d), None);
        assert_eq!(r.insert(c(2, 0, 0b11000), &d), Some(2));
        assert_eq!(r.insert(c(1, 0, 0b10100), &d), Some(3));
        let mut alive: Vec<(u32, u64)> = r.alive().map(|c| (c.state, c.crashed[0])).collect();
        alive.sort_unstable();
        assert_eq!(alive, [(1, 0b01000), (1, 0b10100), (2, 0b11000)]);
    }

    /// Compaction keeps exactly the paths of the roots.
    #[test]
    fn tree_compacts_to_its_roots() {
        let mut t = Tree::default();
        let mut a = ROOT;
        for op in 0..70_000 {
            a = t.push(a, op);
        }
        let mut b = t.push(5, 99);
        let dead = t.push(ROOT, 7);
        assert_eq!(t.path(dead), [7]);
        t.compact(&mut [&mut b]);
        assert_eq!(t.path(b), [0, 1, 2, 3, 4, 5, 99]);
        assert_eq!(t.nodes.len(), 7);
    }
}
