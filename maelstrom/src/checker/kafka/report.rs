//! What the kafka analyses found, as Maelstrom's result map (Jepsen's kafka `checker` and
//! `condense-error`): a few examples per error type, each naming the key, offsets, messages and
//! ops, with one sentence saying what went wrong.

use crate::checker::kafka::lag::Lag;
use crate::checker::kafka::orders::{
    AbortedRead, Duplicate, Inconsistent, LostWrite, PrecommittedRead, Unseen,
};
use crate::checker::kafka::skips::{Jump, Jumps};
use crate::checker::kafka::{deps, Ctx};
use crate::edn::{compact, Edn};

/// Error types that leave a kafka run valid (Maelstrom's `allowed-error-types` for assign mode
/// without write-write inference): sends of one transaction interleave with others', and writes
/// are not isolated in Kafka's transaction model.
pub const ALLOWED: [&str; 6] = [
    "int-send-skip",
    "G0",
    "G0-process",
    "G0-realtime",
    "PL-1-cycle-exists",
    "strong-PL-1-cycle-exists",
];

/// How many skipped messages a skip example lists.
const SKIPPED_SHOWN: usize = 32;

/// Everything found, before condensing.
pub struct Found {
    pub duplicates: Vec<Duplicate>,
    pub inconsistent: Vec<Inconsistent>,
    pub lost: Vec<LostWrite>,
    pub unseen: Option<Unseen>,
    pub aborted: Vec<AbortedRead>,
    pub precommitted: Vec<PrecommittedRead>,
    pub int_polls: Jumps,
    pub int_sends: Jumps,
    pub polls: Jumps,
    pub sends: Vec<Jump>,
    pub cycles: Vec<(String, Vec<Edn>)>,
    pub lag: Option<Lag>,
}

/// Which examples to keep after sorting: the first n or the last n.
enum Keep {
    First(usize),
    Last(usize),
}

/// `{:count n, :errs (...)}` for a non-empty list, sorted by `sort` (stable) and cut.
fn entry<T>(
    mut found: Vec<T>,
    sort: impl Fn(&T) -> i64,
    keep: Keep,
    edn: impl Fn(&T) -> Edn,
) -> Option<Edn> {
    if found.is_empty() {
        return None;
    }
    found.sort_by_key(|x| sort(x));
    let range = match keep {
        Keep::First(n) => 0..n.min(found.len()),
        Keep::Last(n) => found.len().saturating_sub(n)..found.len(),
    };
    Some(Edn::map([
        ("count", Edn::Int(found.len() as i64)),
        ("errs", Edn::List(found[range].iter().map(edn).collect())),
    ]))
}

/// The result map.
pub fn results(ctx: &Ctx, found: Found) -> Edn {
    let mut errors: Vec<(String, Edn)> = Vec::new();
    let mut add = |name: &str, e: Option<Edn>| {
        if let Some(e) = e {
            errors.push((name.to_string(), e));
        }
    };
    let delta = |j: &Jump| j.delta();
    add(
        "duplicate",
        entry(
            found.duplicates,
            |d| d.offsets.len() as i64,
            Keep::First(32),
            |d| duplicate(ctx, d),
        ),
    );
    add(
        "inconsistent-offsets",
        entry(
            found.inconsistent,
            |i| i.values.len() as i64,
            Keep::First(32),
            |i| inconsistent(ctx, i),
        ),
    );
    add(
        "lost-write",
        entry(found.lost, |_| 0, Keep::First(8), |l| lost(ctx, l)),
    );
    add(
        "G1a",
        entry(found.aborted, |_| 0, Keep::First(8), |a| aborted(ctx, a)),
    );
    add(
        "precommitted-read",
        entry(
            found.precommitted,
            |_| 0,
            Keep::First(8),
            |p| precommitted(ctx, p),
        ),
    );
    add(
        "int-poll-skip",
        entry(found.int_polls.skips, delta, Keep::Last(8), |j| {
            internal(ctx, j, "polled")
        }),
    );
    add(
        "int-nonmonotonic-poll",
        entry(found.int_polls.nonmonotonic, delta, Keep::First(8), |j| {
            internal(ctx, j, "polled")
        }),
    );
    add(
        "int-send-skip",
        entry(found.int_sends.skips, delta, Keep::Last(8), |j| {
            internal(ctx, j, "sent")
        }),
    );
    add(
        "int-nonmonotonic-send",
        entry(found.int_sends.nonmonotonic, delta, Keep::First(8), |j| {
            internal(ctx, j, "sent")
        }),
    );
    add(
        "poll-skip",
        entry(found.polls.skips, delta, Keep::Last(8), |j| {
            external(ctx, j, "polled")
        }),
    );
    add(
        "nonmonotonic-poll",
        entry(found.polls.nonmonotonic, delta, Keep::First(8), |j| {
            external(ctx, j, "polled")
        }),
    );
    add(
        "nonmonotonic-send",
        entry(found.sends, delta, Keep::First(8), |j| {
            external(ctx, j, "sent")
        }),
    );
    if let Some(u) = &found.unseen {
        errors.push(("unseen".into(), unseen(ctx, u)));
    }
    for (kind, list) in found.cycles {
        let short = ["G0", "G1c"]
            .iter()
            .any(|b| kind == *b || kind.starts_with(&format!("{b}-")));
        let e = if kind == "empty-transaction-graph" {
            Some(Edn::map([
                ("count", Edn::Int(1)),
                ("errs", Edn::Bool(true)),
            ]))
        } else if short {
            entry(
                list,
                |c| deps::step_count(c) as i64,
                Keep::First(8),
                Edn::clone,
            )
        } else {
            entry(list, |_| 0, Keep::First(8), Edn::clone)
        };
        if let Some(e) = e {
            errors.push((kind, e));
        }
    }
    errors.sort_by(|a, b| a.0.cmp(&b.0));

    let types: Vec<Edn> = errors.iter().map(|(k, _)| Edn::kw(k)).collect();
    let bad: Vec<Edn> = errors
        .iter()
        .filter(|(k, _)| !ALLOWED.contains(&k.as_str()))
        .map(|(k, _)| Edn::kw(k))
        .collect();
    let mut entries = vec![
        (Edn::kw("valid?"), Edn::Bool(bad.is_empty())),
        (Edn::kw("worst-realtime-lag"), lag(ctx, found.lag)),
        (Edn::kw("bad-error-types"), Edn::List(bad.into())),
        (Edn::kw("error-types"), Edn::List(types.into())),
        (Edn::kw("info-txn-causes"), info_causes(ctx)),
    ];
    entries.extend(errors.into_iter().map(|(k, e)| (Edn::kw(&k), e)));
    Edn::Map(entries.into())
}

/// Nanoseconds as seconds (Jepsen's `nanos->secs`).
fn secs(ns: u64) -> Edn {
    Edn::Float(ns as f64 / 1e9)
}

fn lag(ctx: &Ctx, lag: Option<Lag>) -> Edn {
    match lag {
        Some(l) => Edn::map([
            ("time", secs(l.time)),
            ("process", Edn::Int(l.process as i64)),
            ("key", ctx.key(l.key)),
            ("lag", secs(l.lag)),
        ]),
        None => Edn::map([("time", secs(0)), ("lag", secs(0))]),
    }
}

/// The distinct `:error`s of `:info` sends and polls (`nil` for none), in order of appearance.
fn info_causes(ctx: &Ctx) -> Edn {
    let mut causes: Vec<Edn> = Vec::new();
    for op in ctx.history.iter() {
        if op.op_type == crate::history::OpType::Info
            && matches!(op.f.as_str(), "send" | "poll" | "txn")
        {
            let cause = op.error.clone().unwrap_or(Edn::Nil);
            if !causes.contains(&cause) {
                causes.push(cause);
            }
        }
    }
    Edn::List(causes.into())
}

/// `skipping 3 messages known to exist` (1 message).
fn skipping(n: i64) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("skipping {n} message{plural} known to exist")
}

fn text(v: &Edn) -> String {
    compact(v)
}

fn duplicate(ctx: &Ctx, d: &Duplicate) -> Edn {
    let offsets: Vec<String> = d.offsets.iter().map(|o| o.to_string()).collect();
    Edn::map([
        ("key", ctx.key(d.key)),
        ("value", ctx.value(d.value)),
        ("count", Edn::Int(d.offsets.len() as i64)),
        (
            "offsets",
            Edn::Vector(d.offsets.iter().map(|o| Edn::Int(*o)).collect()),
        ),
        (
            "explanation",
            Edn::Str(
                format!(
                    "message {} appears at {} offsets of key {}: {}",
                    text(&ctx.value(d.value)),
                    d.offsets.len(),
                    text(&ctx.key(d.key)),
                    offsets.join(", ")
                )
                .into(),
            ),
        ),
    ])
}

fn inconsistent(ctx: &Ctx, i: &Inconsistent) -> Edn {
    let mut values: Vec<Edn> = i.values.iter().map(|v| ctx.value(*v)).collect();
    values.sort_by_key(text);
    let shown: Vec<String> = values.iter().map(text).collect();
    Edn::map([
        ("key", ctx.key(i.key)),
        ("offset", Edn::Int(i.offset)),
        ("index", Edn::Int(i.index as i64)),
        ("values", Edn::Set(values.into())),
        (
            "explanation",
            Edn::Str(
                format!(
                    "offset {} of key {} holds different messages: {}",
                    i.offset,
                    text(&ctx.key(i.key)),
                    shown.join(", ")
                )
                .into(),
            ),
        ),
    ])
}

fn lost(ctx: &Ctx, l: &LostWrite) -> Edn {
    let max_read = first_reader(ctx, l.key, l.max_read_value);
    let reader = max_read.map_or("an :ok poll".to_string(), |r| ctx.who(r));
    Edn::map([
        ("key", ctx.key(l.key)),
        ("value", ctx.value(l.value)),
        ("index", Edn::Int(l.index as i64)),
        ("max-read-index", Edn::Int(l.max_read_index as i64)),
        ("writer", ctx.op_at(l.writer)),
        ("max-read", max_read.map_or(Edn::Nil, |r| ctx.op_edn(r))),
        (
            "explanation",
            Edn::Str(
                format!(
            "{} sent message {} to key {}, which got offset {}; {reader} read up to offset {}, \
             yet no :ok poll ever returned it",
            ctx.who_at(l.writer), text(&ctx.value(l.value)), text(&ctx.key(l.key)),
            ctx.offset(l.key, l.index), ctx.offset(l.key, l.max_read_index)
        )
                .into(),
            ),
        ),
    ])
}

/// The history index of the first completed op that polled `value` from `key`.
fn first_reader(ctx: &Ctx, key: u32, value: u32) -> Option<usize> {
    ctx.t.ops.iter().find_map(|op| {
        ctx.t
            .op_reads(op)
            .iter()
            .any(|r| r.key == key && r.value == value)
            .then_some(op.index)
    })
}

fn aborted(ctx: &Ctx, a: &AbortedRead) -> Edn {
    Edn::map([
        ("key", ctx.key(a.key)),
        ("value", ctx.value(a.value)),
        ("writer", ctx.op_at(a.writer)),
        ("reader", ctx.op_at(a.reader)),
        (
            "explanation",
            Edn::Str(
                format!(
                    "{} polled message {} of key {}, but {}'s send of it failed",
                    ctx.who_at(a.reader),
                    text(&ctx.value(a.value)),
                    text(&ctx.key(a.key)),
                    ctx.who_at(a.writer)
                )
                .into(),
            ),
        ),
    ])
}

fn precommitted(ctx: &Ctx, p: &PrecommittedRead) -> Edn {
    Edn::map([
        ("op", ctx.op_at(p.op)),
        ("key", ctx.key(p.key)),
        ("value", ctx.value(p.value)),
        (
            "explanation",
            Edn::Str(
                format!(
                "{} polled message {} of key {}, which it was sending itself, before it committed",
                ctx.who_at(p.op),
                text(&ctx.value(p.value)),
                text(&ctx.key(p.key))
            )
                .into(),
            ),
        ),
    ])
}

/// The messages between two indexes of a key (Jepsen's `:skipped`), at most `SKIPPED_SHOWN`.
fn skipped(ctx: &Ctx, j: &Jump) -> Edn {
    let order = &ctx.orders.keys[j.key as usize];
    let end = (j.i2 as usize).min(j.i1 as usize + 1 + SKIPPED_SHOWN);
    Edn::List(
        (j.i1 as usize + 1..end)
            .map(|i| ctx.value(order.by_index[i]))
            .collect(),
    )
}

/// A skip or step back inside one op.
fn internal(ctx: &Ctx, j: &Jump, verb: &str) -> Edn {
    let (o1, o2) = (ctx.offset(j.key, j.i1), ctx.offset(j.key, j.i2));
    let what = if j.delta() > 1 {
        skipping(j.delta() - 1)
    } else {
        "going backwards".to_string()
    };
    let mut entries = vec![
        ("key", ctx.key(j.key)),
        (
            "values",
            Edn::Vector(vec![ctx.value(j.values[0]), ctx.value(j.values[1])].into()),
        ),
        ("delta", Edn::Int(j.delta())),
    ];
    if j.delta() > 1 {
        entries.push(("skipped", skipped(ctx, j)));
    }
    entries.push(("op", ctx.op_at(j.ops[1])));
    entries.push((
        "explanation",
        Edn::Str(
            format!(
                "{} {verb} key {} at offset {o1} and then at offset {o2}, {what}",
                ctx.who_at(j.ops[1]),
                text(&ctx.key(j.key))
            )
            .into(),
        ),
    ));
    Edn::map(entries)
}

/// A skip or step back between two ops of one process.
fn external(ctx: &Ctx, j: &Jump, verb: &str) -> Edn {
    let (o1, o2) = (ctx.offset(j.key, j.i1), ctx.offset(j.key, j.i2));
    let what = if j.delta() > 1 {
        skipping(j.delta() - 1)
    } else {
        "going backwards".to_string()
    };
    let mut entries = vec![("key", ctx.key(j.key))];
    if j.delta() > 1 {
        entries.push(("delta", Edn::Int(j.delta())));
        entries.push(("skipped", skipped(ctx, j)));
    } else {
        entries.push((
            "values",
            Edn::Vector(vec![ctx.value(j.values[0]), ctx.value(j.values[1])].into()),
        ));
        entries.push(("delta", Edn::Int(j.delta())));
    }
    entries.push((
        "ops",
        Edn::Vector(vec![ctx.op_at(j.ops[0]), ctx.op_at(j.ops[1])].into()),
    ));
    entries.push((
        "explanation",
        Edn::Str(
            format!(
                "{} {verb} key {} up to offset {o1}, then {} {verb} it from offset {o2}, {what}",
                ctx.who_at(j.ops[0]),
                text(&ctx.key(j.key)),
                ctx.who_at(j.ops[1])
            )
            .into(),
        ),
    ));
    Edn::map(entries)
}

/// `:unseen`: `{:time t, :unseen {key count}, :messages {key (msg ...)}}`, keys and messages
/// sorted, at most 32 messages per key.
fn unseen(ctx: &Ctx, u: &Unseen) -> Edn {
    let mut keys: Vec<(Edn, Vec<Edn>)> = u
        .messages
        .iter()
        .map(|(k, vs)| {
            let mut values: Vec<Edn> = vs.iter().map(|v| ctx.value(*v)).collect();
            values.sort_by(value_order);
            (ctx.key(*k), values)
        })
        .collect();
    keys.sort_by(|a, b| value_order(&a.0, &b.0));
    let total: usize = keys.iter().map(|(_, v)| v.len()).sum();
    let counts = keys
        .iter()
        .map(|(k, v)| (k.clone(), Edn::Int(v.len() as i64)))
        .collect();
    let messages = keys
        .iter()
        .map(|(k, v)| (k.clone(), Edn::List(v.iter().take(32).cloned().collect())))
        .collect();
    let listed: Vec<String> = keys
        .iter()
        .take(4)
        .map(|(k, v)| {
            format!(
                "key {}: {}",
                text(k),
                v.iter().take(5).map(text).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    Edn::map([
        ("time", Edn::Int(u.time as i64)),
        ("unseen", Edn::Map(counts)),
        ("messages", Edn::Map(messages)),
        (
            "explanation",
            Edn::Str(
                format!(
                    "{total} acknowledged messages were never returned by any poll ({}{})",
                    listed.join("; "),
                    if keys.len() > 4 { "; ..." } else { "" }
                )
                .into(),
            ),
        ),
    ])
}

/// Integers by value, anything else by its printed form (Clojure's `compare` on one type).
fn value_order(a: &Edn, b: &Edn) -> std::cmp::Ordering {
    match (a, b) {
        (Edn::Int(x), Edn::Int(y)) => x.cmp(y),
        _ => text(a).cmp(&text(b)),
    }
}
