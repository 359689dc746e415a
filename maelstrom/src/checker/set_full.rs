//! The set-full checker (Jepsen's `jepsen.checker/set-full`), which judges broadcast: every element
//! added must eventually show up in every read ("stable") and never disappear ("lost").
//!
//! For each element it finds the op that first made it known (its add's `:ok` or the first read
//! that saw it), the latest read invocation that saw it, and the latest read invocation that did
//! not. Jepsen updates every tracked element on every read, which costs reads x elements; here a
//! read only touches the elements it contains, and each element's latest absent read is found
//! afterwards by walking the reads from the newest invocation down, skipping the ones that contain
//! it. Both are linear in the size of the history's read values.
//!
//! Departure (the README's deliberate differences): a read that returns an element more than once is reported under
//! `:duplicated` (element -> highest multiplicity in one read) and makes the result invalid;
//! Maelstrom's duplicate detector never fires. Likewise a read that returns an element no add was
//! ever invoked for is reported under `:unexpected` (with `:unexpected-count`; both keys only
//! when there is one) and makes the result invalid; Jepsen's set-full ignores such elements.

use std::collections::{HashMap, HashSet};

use crate::checker::values::{key, sort_by_id, KeyMap};
use crate::checker::{pair_index, percentile_index, quantile_key, unknown};
use crate::edn::Edn;
use crate::history::{op_edn, History, OpType};

/// The percentiles of `:stable-latencies` and `:lost-latencies`.
const POINTS: [f64; 5] = [0.0, 0.5, 0.95, 0.99, 1.0];

/// How many stale elements `:worst-stale` details.
const WORST_STALE: usize = 8;

/// Checks the set built by `add_f` ops (`"broadcast"` for broadcast, whose ops Maelstrom renames
/// to `:add`) against the `:read` ops. Returns the map of Jepsen's `jepsen.checker/set-full` in Maelstrom's printed key
/// order, or `{:valid? :unknown, :error ..}` when the history cannot be analysed (a read value
/// that is not a collection, elements that cannot be sorted).
pub fn check(history: &History, add_f: &str) -> Edn {
    match try_check(history, add_f) {
        Ok(result) => result,
        Err(error) => unknown(error),
    }
}

/// What is known about one element (one add's value).
struct Element<'h> {
    value: &'h Edn,
    /// History index of the add invocation that (re)started tracking it.
    start: usize,
    /// History index of the first op that made it known: its add's :ok or a read that saw it.
    known: Option<usize>,
    /// Highest history index of a read invocation whose read contained it.
    last_present: Option<usize>,
    /// The reads (numbers into `reads`) that contained it.
    present: Vec<u32>,
    /// Invocation indexes of the reads in flight when tracking started: they count too if
    /// they complete afterwards.
    concurrent: Vec<usize>,
}

/// An `:ok` read: its invocation and completion indexes.
struct Read {
    invoke: usize,
    complete: usize,
}

/// One element's verdict.
struct Outcome<'h> {
    element: &'h Element<'h>,
    stable: bool,
    lost: bool,
    stable_latency: Option<i64>,
    lost_latency: Option<i64>,
    last_absent: Option<usize>,
}

/// Every element's state after the whole history, and the duplicated elements.
struct Tracked<'h> {
    /// In order of first add.
    elements: Vec<Element<'h>>,
    /// Per element (same order), the highest invocation index of a read that missed it.
    last_absent: Vec<Option<usize>>,
    /// Element -> highest multiplicity in one read, for elements read more than once.
    duplicated: Vec<(&'h Edn, u32)>,
    /// Elements read before any add of them was invoked.
    unexpected: Vec<&'h Edn>,
}

/// One pass over the history: which reads saw which element, then each element's latest absent
/// read.
fn track<'h>(history: &'h History, add_f: &str) -> Result<Tracked<'h>, String> {
    let pairs = pair_index(history);
    let mut values = Values::default();

    let mut elements: Vec<Element> = Vec::new();
    let mut reads: Vec<Read> = Vec::new();
    let mut open_reads: HashSet<usize> = HashSet::new();
    let mut duplicated: HashMap<usize, u32> = HashMap::new();
    let mut unexpected: HashSet<usize> = HashSet::new();

    for (i, op) in history.iter().enumerate() {
        if !op.is_client() {
            continue;
        }
        if op.f == add_f {
            let id = values.intern(&op.value);
            if op.op_type == OpType::Invoke {
                let element = Element {
                    value: &op.value,
                    start: i,
                    known: None,
                    last_present: None,
                    present: Vec::new(),
                    concurrent: open_reads.iter().copied().collect(),
                };
                // A repeated add of the same value restarts its tracking.
                match values.slot[id] {
                    Some(e) => elements[e] = element,
                    None => {
                        values.slot[id] = Some(elements.len());
                        elements.push(element);
                    }
                }
            } else if op.op_type == OpType::Ok {
                if let Some(e) = values.slot[id] {
                    elements[e].known.get_or_insert(i);
                }
            }
        } else if op.f == "read" {
            if op.op_type == OpType::Invoke {
                open_reads.insert(i);
                continue;
            }
            let Some(invoke) = pairs[i] else { continue };
            open_reads.remove(&invoke);
            if op.op_type != OpType::Ok {
                continue;
            }
            let read = reads.len() as u32;
            reads.push(Read {
                invoke,
                complete: i,
            });
            let items: &[Edn] = match &op.value {
                Edn::Vector(items) | Edn::List(items) | Edn::Set(items) => items,
                Edn::Nil => &[],
                other => {
                    return Err(format!(
                        "read at index {i} returned {}, which is not a collection of elements",
                        crate::edn::compact(other)
                    ))
                }
            };
            for value in items {
                let id = values.intern(value);
                if values.seen_in[id] == read + 1 {
                    values.multiplicity[id] += 1;
                    let max = duplicated.entry(id).or_insert(0);
                    *max = (*max).max(values.multiplicity[id]);
                    continue;
                }
                values.seen_in[id] = read + 1;
                values.multiplicity[id] = 1;
                if let Some(e) = values.slot[id] {
                    let element = &mut elements[e];
                    element.known.get_or_insert(i);
                    element.last_present = element.last_present.max(Some(invoke));
                    element.present.push(read);
                } else {
                    // No add of it was invoked before this read completed.
                    unexpected.insert(id);
                }
            }
        }
    }

    // Reads ordered by invocation, newest first, and each read's rank in that order.
    let mut by_invoke: Vec<u32> = (0..reads.len() as u32).collect();
    by_invoke.sort_unstable_by_key(|r| std::cmp::Reverse(reads[*r as usize].invoke));
    let mut rank = vec![0u32; reads.len()];
    for (k, r) in by_invoke.iter().enumerate() {
        rank[*r as usize] = k as u32;
    }
    let read_of_invoke: HashMap<usize, u32> = reads
        .iter()
        .enumerate()
        .map(|(r, read)| (read.invoke, r as u32))
        .collect();

    let last_absent = elements
        .iter()
        .map(|element| last_absent(element, &reads, &by_invoke, &rank, &read_of_invoke))
        .collect();
    let duplicated = duplicated
        .into_iter()
        .map(|(id, n)| (values.values[id], n))
        .collect();
    Ok(Tracked {
        elements,
        last_absent,
        duplicated,
        unexpected: unexpected.into_iter().map(|id| values.values[id]).collect(),
    })
}

fn try_check(history: &History, add_f: &str) -> Result<Edn, String> {
    let Tracked {
        elements,
        last_absent,
        mut duplicated,
        mut unexpected,
    } = track(history, add_f)?;
    let mut outcomes: Vec<Outcome> = elements
        .iter()
        .zip(last_absent)
        .map(|(element, last_absent)| outcome(element, last_absent, history))
        .collect();
    sort_by_value(&mut outcomes, |o| o.element.value)?;

    let elements_where = |pick: &dyn Fn(&Outcome) -> bool| {
        Edn::List(
            outcomes
                .iter()
                .filter(|o| pick(o))
                .map(|o| o.element.value.clone())
                .collect(),
        )
    };
    let stale: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.stable && o.stable_latency.unwrap_or(0) > 0)
        .collect();
    // Jepsen sorts by latency and reverses: equal latencies come out highest element first.
    let mut worst: Vec<&Outcome> = stale.clone();
    worst.reverse();
    worst.sort_by_key(|o| std::cmp::Reverse(o.stable_latency));
    let renamed = |index: usize| {
        let mut op = history[index].clone();
        if op.f == add_f {
            op.f = "add".to_string();
        }
        op_edn(&op)
    };
    let worst_stale = worst
        .iter()
        .take(WORST_STALE)
        .map(|o| {
            let latency = |l: Option<i64>| l.map_or(Edn::Nil, Edn::Int);
            Edn::map([
                ("element", o.element.value.clone()),
                (
                    "outcome",
                    Edn::kw(if o.stable {
                        "stable"
                    } else if o.lost {
                        "lost"
                    } else {
                        "never-read"
                    }),
                ),
                ("stable-latency", latency(o.stable_latency)),
                ("lost-latency", latency(o.lost_latency)),
                ("known", o.element.known.map_or(Edn::Nil, renamed)),
                ("last-absent", o.last_absent.map_or(Edn::Nil, renamed)),
            ])
        })
        .collect();

    let stable_count = outcomes.iter().filter(|o| o.stable).count();
    let lost_count = outcomes.iter().filter(|o| o.lost).count();
    let never_read_count = outcomes.len() - stable_count - lost_count;
    sort_by_value(&mut duplicated, |(value, _)| value)?;
    sort_by_value(&mut unexpected, |value| value)?;
    let valid = if !duplicated.is_empty() || !unexpected.is_empty() || lost_count > 0 {
        Edn::Bool(false)
    } else if stable_count == 0 {
        Edn::kw("unknown")
    } else {
        Edn::Bool(true)
    };

    // Maelstrom prints a Clojure hash map; this is its iteration order for these keys.
    let mut entries = vec![
        ("worst-stale", Edn::List(worst_stale)),
        ("duplicated-count", Edn::Int(duplicated.len() as i64)),
        ("valid?", valid),
        ("lost-count", Edn::Int(lost_count as i64)),
        ("lost", elements_where(&|o| o.lost)),
        ("stable-count", Edn::Int(stable_count as i64)),
        ("stale-count", Edn::Int(stale.len() as i64)),
        (
            "stale",
            Edn::List(stale.iter().map(|o| o.element.value.clone()).collect()),
        ),
        ("never-read-count", Edn::Int(never_read_count as i64)),
    ];
    if let Some(distribution) =
        distribution(outcomes.iter().filter_map(|o| o.stable_latency).collect())
    {
        entries.push(("stable-latencies", distribution));
    }
    entries.push(("attempt-count", Edn::Int(outcomes.len() as i64)));
    if let Some(distribution) =
        distribution(outcomes.iter().filter_map(|o| o.lost_latency).collect())
    {
        entries.push(("lost-latencies", distribution));
    }
    entries.push(("never-read", elements_where(&|o| !o.stable && !o.lost)));
    entries.push((
        "duplicated",
        Edn::Map(
            duplicated
                .iter()
                .map(|(v, n)| ((*v).clone(), Edn::Int(i64::from(*n))))
                .collect(),
        ),
    ));
    if !unexpected.is_empty() {
        entries.push(("unexpected-count", Edn::Int(unexpected.len() as i64)));
        entries.push((
            "unexpected",
            Edn::List(unexpected.into_iter().cloned().collect()),
        ));
    }
    Ok(Edn::map(entries))
}

/// Every distinct value seen (added or read), numbered in order of first appearance, with what
/// the pass over the history needs per value.
#[derive(Default)]
struct Values<'h> {
    ids: KeyMap<usize>,
    values: Vec<&'h Edn>,
    /// The element tracking this value, once an add of it was invoked.
    slot: Vec<Option<usize>>,
    /// The last read it was seen in (read number + 1; 0 = none).
    seen_in: Vec<u32>,
    /// How many times it appeared in that read.
    multiplicity: Vec<u32>,
}

impl<'h> Values<'h> {
    /// The number of `value`, numbering it if new.
    fn intern(&mut self, value: &'h Edn) -> usize {
        let next = self.values.len();
        let id = *self.ids.entry(key(value)).or_insert(next);
        if id == next {
            self.values.push(value);
            self.slot.push(None);
            self.seen_in.push(0);
            self.multiplicity.push(0);
        }
        id
    }
}

/// The highest invocation index of an `:ok` read that completed after `element` was added and
/// did not contain it. Reads invoked after the add are walked newest first, skipping those that
/// contain the element, so the walk costs the element's own present reads plus one. If all of
/// them contained it, the reads already in flight at the add decide.
fn last_absent(
    element: &Element,
    reads: &[Read],
    by_invoke: &[u32],
    rank: &[u32],
    read_of_invoke: &HashMap<usize, u32>,
) -> Option<usize> {
    let mut present: Vec<u32> = element.present.iter().map(|r| rank[*r as usize]).collect();
    present.sort_unstable();
    let mut next_present = present.iter().peekable();
    for (k, r) in by_invoke.iter().enumerate() {
        let read = &reads[*r as usize];
        if read.invoke < element.start {
            break;
        }
        if next_present.peek() == Some(&&(k as u32)) {
            next_present.next();
            continue;
        }
        return Some(read.invoke);
    }
    element
        .concurrent
        .iter()
        .filter_map(|invoke| read_of_invoke.get(invoke))
        .filter(|r| {
            reads[**r as usize].complete > element.start
                && present.binary_search(&rank[**r as usize]).is_err()
        })
        .map(|r| reads[*r as usize].invoke)
        .max()
}

/// Stable, lost or never read, with latencies (Jepsen's `set-full-element-results`).
fn outcome<'h>(
    element: &'h Element<'h>,
    last_absent: Option<usize>,
    history: &History,
) -> Outcome<'h> {
    let index = |i: Option<usize>| i.map_or(-1, |i| i as i64);
    let stable = element.last_present.is_some() && index(last_absent) < index(element.last_present);
    let lost = element.known.is_some()
        && last_absent.is_some()
        && index(element.last_present) < index(last_absent)
        && index(element.known) < index(last_absent);
    let known_time = element.known.map_or(0, |k| history[k].time as i64);
    // Time after which the element was always (or never) seen, as in Jepsen: one nanosecond
    // after the last read that disagreed, or 0.
    let latency = |after: Option<usize>| {
        let since = after.map_or(0, |i| history[i].time as i64 + 1);
        (since - known_time).max(0) / 1_000_000
    };
    Outcome {
        element,
        stable,
        lost,
        stable_latency: stable.then(|| latency(last_absent)),
        lost_latency: lost.then(|| latency(element.last_present)),
        last_absent,
    }
}

/// `{0 a, 0.5 b, 0.95 c, 0.99 d, 1 e}` of the latencies, or None when there are none.
fn distribution(mut latencies: Vec<i64>) -> Option<Edn> {
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    Some(Edn::Map(
        POINTS
            .iter()
            .map(|&p| {
                (
                    quantile_key(p),
                    Edn::Int(latencies[percentile_index(latencies.len(), p)]),
                )
            })
            .collect(),
    ))
}

/// Sorts by element value with Clojure's `compare`, failing on elements that cannot be compared.
fn sort_by_value<T>(items: &mut [T], value_of: impl Fn(&T) -> &Edn) -> Result<(), String> {
    sort_by_id(items, value_of).map_err(|e| format!("cannot sort the set's elements: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{ints, Builder};
    use crate::edn::compact;

    /// A client op at `ms` on process `p`: `("inv", "broadcast", v)` style shorthand.
    fn history(ops: &[(u64, u64, OpType, &str, Edn)]) -> History {
        let mut b = Builder::new();
        for (ms, p, t, f, v) in ops {
            b.op(*ms, *p, *t, f, v.clone());
        }
        b.build()
    }

    use OpType::{Info, Invoke, Ok as Done};

    /// Stable (0), stale (1), lost (3), never-read (4) and duplicated (0 x3) elements.
    #[test]
    fn stable_stale_lost_never_read_and_duplicated() {
        let h = history(&[
            (0, 0, Invoke, "broadcast", Edn::Int(0)),
            (1, 0, Done, "broadcast", Edn::Int(0)),
            (2, 1, Invoke, "read", Edn::Nil),
            (3, 1, Done, "read", ints(&[0])),
            (4, 0, Invoke, "broadcast", Edn::Int(1)),
            (5, 0, Done, "broadcast", Edn::Int(1)),
            (250, 1, Invoke, "read", Edn::Nil),
            (251, 1, Done, "read", ints(&[0])),
            (260, 0, Invoke, "broadcast", Edn::Int(3)),
            (261, 0, Done, "broadcast", Edn::Int(3)),
            (270, 1, Invoke, "read", Edn::Nil),
            (271, 1, Done, "read", ints(&[0, 1, 3])),
            (300, 1, Invoke, "read", Edn::Nil),
            (301, 1, Done, "read", ints(&[0, 0, 0, 1])),
            (310, 0, Invoke, "broadcast", Edn::Int(4)),
            (311, 0, Info, "broadcast", Edn::Int(4)),
        ]);
        assert_eq!(
            compact(&check(&h, "broadcast")),
            "{:worst-stale ({:element 1, :outcome :stable, :stable-latency 245, :lost-latency nil, \
             :known {:index 5, :time 5000000, :type :ok, :process 0, :f :add, :value 1}, \
             :last-absent {:index 6, :time 250000000, :type :invoke, :process 1, :f :read, :value nil}}), \
             :duplicated-count 1, :valid? false, :lost-count 1, :lost (3), :stable-count 2, \
             :stale-count 1, :stale (1), :never-read-count 1, \
             :stable-latencies {0 0, 0.5 245, 0.95 245, 0.99 245, 1 245}, :attempt-count 4, \
             :lost-latencies {0 9, 0.5 9, 0.95 9, 0.99 9, 1 9}, :never-read (4), :duplicated {0 3}}"
        );
    }

    /// Every element in every later read: valid, Maelstrom's empty shapes.
    #[test]
    fn healthy_run_is_valid() {
        let h = history(&[
            (0, 0, Invoke, "broadcast", Edn::Int(7)),
            (1, 0, Done, "broadcast", Edn::Int(7)),
            (2, 1, Invoke, "read", Edn::Nil),
            (3, 1, Done, "read", ints(&[7])),
        ]);
        assert_eq!(
            compact(&check(&h, "broadcast")),
            "{:worst-stale (), :duplicated-count 0, :valid? true, :lost-count 0, :lost (), \
             :stable-count 1, :stale-count 0, :stale (), :never-read-count 0, \
             :stable-latencies {0 0, 0.5 0, 0.95 0, 0.99 0, 1 0}, :attempt-count 1, \
             :never-read (), :duplicated {}}"
        );
    }

    /// Nothing ever read: :unknown, and no :stable-latencies key.
    #[test]
    fn nothing_stable_is_unknown() {
        let h = history(&[
            (0, 0, Invoke, "broadcast", Edn::Int(7)),
            (1, 0, Done, "broadcast", Edn::Int(7)),
        ]);
        let result = check(&h, "broadcast");
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(result.get("stable-latencies"), None);
        assert_eq!(
            result.get("never-read"),
            Some(&Edn::List(vec![Edn::Int(7)].into()))
        );
    }

    /// A read in flight when the add starts counts: missing the element, it is "absent" but
    /// cannot make it lost (it may have linearized before the add); a value never added is
    /// reported as unexpected and makes the result invalid; failed reads are ignored.
    #[test]
    fn concurrent_reads_and_unknown_values() {
        let h = history(&[
            (0, 1, Invoke, "read", Edn::Nil),
            (1, 0, Invoke, "broadcast", Edn::Int(5)),
            (2, 0, Done, "broadcast", Edn::Int(5)),
            (3, 1, Done, "read", ints(&[99, 98])),
            (4, 1, Invoke, "read", Edn::Nil),
            (5, 1, OpType::Fail, "read", Edn::Nil),
        ]);
        let result = check(&h, "broadcast");
        assert_eq!(
            result.get("never-read"),
            Some(&Edn::List(vec![Edn::Int(5)].into()))
        );
        assert_eq!(result.get("lost-count"), Some(&Edn::Int(0)));
        assert_eq!(
            result.get("unexpected"),
            Some(&Edn::List(vec![Edn::Int(98), Edn::Int(99)].into()))
        );
        assert_eq!(result.get("unexpected-count"), Some(&Edn::Int(2)));
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(false)));
        let tracked = track(&h, "broadcast")
            .map(|t| t.last_absent)
            .unwrap_or_default();
        assert_eq!(tracked, vec![Some(0)]);
    }

    /// Adding a value again restarts its tracking: reads before the second add no longer count.
    #[test]
    fn repeated_add_restarts_tracking() {
        let h = history(&[
            (0, 0, Invoke, "broadcast", Edn::Int(1)),
            (1, 0, Done, "broadcast", Edn::Int(1)),
            (2, 1, Invoke, "read", Edn::Nil),
            (3, 1, Done, "read", ints(&[])),
            (4, 0, Invoke, "broadcast", Edn::Int(1)),
            (5, 0, Done, "broadcast", Edn::Int(1)),
            (6, 1, Invoke, "read", Edn::Nil),
            (7, 1, Done, "read", ints(&[1])),
        ]);
        let result = check(&h, "broadcast");
        assert_eq!(result.get("stable-count"), Some(&Edn::Int(1)));
        assert_eq!(result.get("stale-count"), Some(&Edn::Int(0)));
        assert_eq!(result.get("attempt-count"), Some(&Edn::Int(1)));
    }

    /// Maelstrom's formulas: n = 97 gives indices 0, 48, 92, 96, 96.
    #[test]
    fn percentile_indices() {
        let indices: Vec<usize> = POINTS.iter().map(|p| percentile_index(97, *p)).collect();
        assert_eq!(indices, [0, 48, 92, 96, 96]);
        assert_eq!(percentile_index(1, 0.99), 0);
        let latencies: Vec<i64> = (0..97).rev().collect();
        assert_eq!(
            distribution(latencies).map(|d| compact(&d)),
            Some("{0 0, 0.5 48, 0.95 92, 0.99 96, 1 96}".to_string())
        );
    }

    /// A read value that is not a collection makes the result :unknown with an error.
    #[test]
    fn malformed_read_is_unknown() {
        let h = history(&[
            (0, 1, Invoke, "read", Edn::Nil),
            (1, 1, Done, "read", Edn::Int(3)),
        ]);
        let result = check(&h, "broadcast");
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            result.get("error"),
            Some(&Edn::str(
                "read at index 1 returned 3, which is not a collection of elements"
            ))
        );
    }

    /// A small deterministic generator, so the cross-check needs no extra dependency.
    struct XorShift(u64);

    impl XorShift {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A random concurrent broadcast history: 4 processes, reads missing random elements.
    fn random_history(rng: &mut XorShift, ops: usize) -> History {
        let mut b = Builder::new();
        let mut pending: Vec<Option<(String, Edn)>> = vec![None; 4];
        let mut next = 0;
        for t in 0..ops as u64 {
            let p = rng.below(4) as usize;
            match pending[p].take() {
                None => {
                    let (f, v) = if rng.below(2) == 0 {
                        next += 1;
                        (
                            "broadcast".to_string(),
                            Edn::Int(rng.below(next + 3) as i64),
                        )
                    } else {
                        ("read".to_string(), Edn::Nil)
                    };
                    b.op(t, p as u64, Invoke, &f, v.clone());
                    pending[p] = Some((f, v));
                }
                Some((f, v)) => {
                    let value = if f == "read" {
                        ints(
                            &(0..next as i64 + 2)
                                .filter(|_| rng.below(4) != 0)
                                .collect::<Vec<_>>(),
                        )
                    } else {
                        v
                    };
                    let t2 = [Done, Done, Done, Info][rng.below(4) as usize];
                    b.op(t, p as u64, t2, &f, value);
                }
            }
        }
        b.build()
    }

    /// An element's value, known, last-present and last-absent indexes.
    type State = (Edn, Option<usize>, Option<usize>, Option<usize>);

    /// Jepsen's algorithm as written: every tracked element updated on every read.
    fn naive(history: &History) -> Vec<State> {
        let pairs = pair_index(history);
        // (value, known, last_present, last_absent), in order of first add.
        let mut elements: Vec<State> = Vec::new();
        for (i, op) in history.iter().enumerate() {
            match (op.f.as_str(), op.op_type) {
                ("broadcast", Invoke) => {
                    let fresh = (op.value.clone(), None, None, None);
                    match elements.iter_mut().find(|e| e.0 == op.value) {
                        Some(e) => *e = fresh,
                        None => elements.push(fresh),
                    }
                }
                ("broadcast", Done) => {
                    if let Some(e) = elements.iter_mut().find(|e| e.0 == op.value) {
                        e.1 = e.1.or(Some(i));
                    }
                }
                ("read", Done) => {
                    let inv = pairs[i];
                    let Edn::Vector(items) = &op.value else {
                        continue;
                    };
                    for e in elements.iter_mut() {
                        if items.contains(&e.0) {
                            e.1 = e.1.or(Some(i));
                            e.2 = e.2.max(inv);
                        } else {
                            e.3 = e.3.max(inv);
                        }
                    }
                }
                _ => {}
            }
        }
        elements
    }

    /// The linear algorithm agrees with Jepsen's reads x elements one on random histories.
    #[test]
    fn agrees_with_the_naive_algorithm() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..200 {
            let h = random_history(&mut rng, 80);
            let tracked = track(&h, "broadcast").unwrap_or_else(|e| panic!("{e}"));
            let fast: Vec<_> = tracked
                .elements
                .iter()
                .zip(&tracked.last_absent)
                .map(|(e, absent)| (e.value.clone(), e.known, e.last_present, *absent))
                .collect();
            assert_eq!(fast, naive(&h));
        }
    }
}
