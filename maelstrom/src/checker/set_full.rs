//! The set-full checker (spec 7.11, Jepsen's `set-full`), which judges broadcast: every element
//! added must eventually show up in every read ("stable") and never disappear ("lost").
//!
//! For each element it finds the op that first made it known (its add's `:ok` or the first read
//! that saw it), the latest read invocation that saw it, and the latest read invocation that did
//! not. Jepsen updates every tracked element on every read, which costs reads x elements; here a
//! read only touches the elements it contains, and each element's latest absent read is found
//! afterwards by walking the reads from the newest invocation down, skipping the ones that contain
//! it. Both are linear in the size of the history's read values.
//!
//! Departure (spec 0): a read that returns an element more than once is reported under
//! `:duplicated` (element -> highest multiplicity in one read) and makes the result invalid;
//! Maelstrom's duplicate detector never fires.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::checker::perf::quantile_key;
use crate::checker::unique_ids::{compare, key, Key};
use crate::checker::{op_edn, pair_index, unknown};
use crate::edn::Edn;
use crate::history::{History, OpType};

/// The percentiles of `:stable-latencies` and `:lost-latencies`.
const POINTS: [f64; 5] = [0.0, 0.5, 0.95, 0.99, 1.0];

/// How many stale elements `:worst-stale` details.
const WORST_STALE: usize = 8;

/// Checks the set built by `add_f` ops (`"broadcast"` for broadcast, whose ops Maelstrom renames
/// to `:add`) against the `:read` ops. Returns the map of spec 7.11 in Maelstrom's printed key
/// order, or `{:valid? :unknown, :error ..}` when the history cannot be analysed (a read value
/// that is not a collection, elements that cannot be sorted).
pub fn check(history: &History, add_f: &str) -> Edn {
    match try_check(history, add_f) {
        Ok(result) => result,
        Err(error) => unknown(error),
    }
}

/// The sorted-list index Jepsen takes for percentile `p` of `n` values: min(n-1, floor(n*p)).
pub fn percentile_index(n: usize, p: f64) -> usize {
    ((n as f64 * p).floor() as usize).min(n.saturating_sub(1))
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

fn try_check(history: &History, add_f: &str) -> Result<Edn, String> {
    let pairs = pair_index(history);
    let mut ids: HashMap<Key, u32> = HashMap::new();
    // Per interned value: its element slot (if an add started tracking it), the last read it
    // was seen in (read number + 1), and its multiplicity in that read.
    let mut slot: Vec<Option<usize>> = Vec::new();
    let mut seen_in: Vec<u32> = Vec::new();
    let mut multiplicity: Vec<u32> = Vec::new();
    let mut values: Vec<&Edn> = Vec::new();

    let mut elements: Vec<Element> = Vec::new();
    let mut reads: Vec<Read> = Vec::new();
    let mut open_reads: HashSet<usize> = HashSet::new();
    let mut duplicated: HashMap<u32, u32> = HashMap::new();

    for (i, op) in history.iter().enumerate() {
        if !op.is_client() {
            continue;
        }
        if op.f == add_f {
            let id = intern_value(
                &mut ids,
                &mut values,
                &mut slot,
                &mut seen_in,
                &mut multiplicity,
                &op.value,
            );
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
                match slot[id as usize] {
                    Some(e) => elements[e] = element,
                    None => {
                        slot[id as usize] = Some(elements.len());
                        elements.push(element);
                    }
                }
            } else if op.op_type == OpType::Ok {
                if let Some(e) = slot[id as usize] {
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
                let id = intern_value(
                    &mut ids,
                    &mut values,
                    &mut slot,
                    &mut seen_in,
                    &mut multiplicity,
                    value,
                ) as usize;
                if seen_in[id] == read + 1 {
                    multiplicity[id] += 1;
                    let max = duplicated.entry(id as u32).or_insert(0);
                    *max = (*max).max(multiplicity[id]);
                    continue;
                }
                seen_in[id] = read + 1;
                multiplicity[id] = 1;
                if let Some(e) = slot[id] {
                    let element = &mut elements[e];
                    element.known.get_or_insert(i);
                    element.last_present = element.last_present.max(Some(invoke));
                    element.present.push(read);
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

    let mut outcomes: Vec<Outcome> = elements
        .iter()
        .map(|element| {
            let last_absent = last_absent(element, &reads, &by_invoke, &rank, &read_of_invoke);
            outcome(element, last_absent, history)
        })
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
    let mut duplicated: Vec<(&Edn, u32)> = duplicated
        .into_iter()
        .map(|(id, n)| (values[id as usize], n))
        .collect();
    sort_by_value(&mut duplicated, |(value, _)| value)?;
    let valid = if !duplicated.is_empty() || lost_count > 0 {
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
    Ok(Edn::map(entries))
}

/// Interns `value`, growing the per-value tables, and returns its id.
fn intern_value<'h>(
    ids: &mut HashMap<Key, u32>,
    values: &mut Vec<&'h Edn>,
    slot: &mut Vec<Option<usize>>,
    seen_in: &mut Vec<u32>,
    multiplicity: &mut Vec<u32>,
    value: &'h Edn,
) -> u32 {
    let next = values.len() as u32;
    let id = *ids.entry(key(value)).or_insert(next);
    if id == next {
        values.push(value);
        slot.push(None);
        seen_in.push(0);
        multiplicity.push(0);
    }
    id
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
    let mut error = None;
    items.sort_by(|a, b| {
        compare(value_of(a), value_of(b)).unwrap_or_else(|e| {
            error.get_or_insert(e);
            Ordering::Equal
        })
    });
    error.map_or(Ok(()), |e| {
        Err(format!("cannot sort the set's elements: {e}"))
    })
}
