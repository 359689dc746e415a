//! Explanations: Knossos's analysis of a key that is not linearizable (`:op`, `:previous-ok`,
//! `:final-paths`, after `knossos.wgl/invalid-analysis` and `knossos.analysis`) and one sentence
//! a reader can act on without reading EDN.

use super::model::{step, Kind, Value, Values};
use super::prepare::{KeyHistory, LinOp};
use super::search::Blocked;
use crate::edn::{compact, Edn};
use crate::history::{op_edn, History};

/// Most final paths printed, as Knossos limits them.
const MAX_PATHS: usize = 10;

/// At most this many concurrent ops are permuted for the final paths (5 give 326 sequences).
const MAX_CALLS: usize = 5;

/// `{:op ... :previous-ok ... :final-paths [...] :explanation "..."}` for op number `f` of `key`,
/// which the search could not linearize from the configurations `blocked`.
pub fn invalid(
    key: &KeyHistory,
    history: &History,
    f: usize,
    blocked: &[Blocked],
) -> Vec<(&'static str, Edn)> {
    let op = &key.ops[f];
    let complete = op.complete.unwrap_or(op.invoke);
    let previous_ok = key
        .ops
        .iter()
        .filter_map(|o| o.complete)
        .filter(|&c| c < complete)
        .max()
        .map_or(Edn::Nil, |c| op_edn(&history[c]));
    vec![
        ("op", op_edn(&history[complete])),
        ("previous-ok", previous_ok),
        ("final-paths", final_paths(key, history, f, blocked)),
        (
            "explanation",
            Edn::Str(sentence(key, history, f, blocked).into()),
        ),
    ]
}

/// The one sentence: "read 3 of key 2 by process 7 at 14.80 s: no order of the 2 operations
/// concurrent with it leaves 3 in the register (it could hold only 0 or 4 then); the last
/// acknowledged change before it was write 0 at 12.99 s".
pub fn sentence(key: &KeyHistory, history: &History, f: usize, blocked: &[Blocked]) -> String {
    let op = &key.ops[f];
    let values = &key.values;
    let at = op.complete.unwrap_or(op.invoke);
    let concurrent = key
        .ops
        .iter()
        .enumerate()
        .filter(|&(i, o)| i != f && overlaps(o, op))
        .count();
    let plural = if concurrent == 1 {
        "operation"
    } else {
        "operations"
    };
    let why = match op.kind {
        Kind::Read(v) => format!("leaves {} in the register", values.show(v)),
        Kind::Cas(from, _) => format!(
            "leaves {} in the register for it to replace",
            values.show(from)
        ),
        Kind::Write(_) => "lets it take effect between its invocation and its completion".into(),
    };
    let mut states: Vec<Value> = blocked.iter().map(|b| b.state).collect();
    states.sort_unstable();
    states.dedup();
    let held = match states.as_slice() {
        [] => String::new(),
        [one] => format!(" (it could only hold {} then)", values.show(*one)),
        many => {
            let shown: Vec<String> = many.iter().map(|s| values.show(*s)).collect();
            format!(" (it could only hold {} then)", shown.join(" or "))
        }
    };
    let last_change = key
        .ops
        .iter()
        .filter(|o| !matches!(o.kind, Kind::Read(_)))
        .filter_map(|o| o.complete.map(|c| (c, o)))
        .filter(|&(c, _)| c < op.invoke)
        .max_by_key(|&(c, _)| c);
    let before = match last_change {
        Some((c, o)) => format!(
            "the last acknowledged change before it was {} at {}",
            values.describe(o.kind),
            seconds(history, c)
        ),
        None => "no change to this key was acknowledged before it".to_string(),
    };
    format!(
        "{} of key {} by process {} at {}: no order of the {concurrent} {plural} concurrent with it \
         {why}{held}; {before}",
        values.describe(op.kind),
        compact(&key.key),
        op.process,
        seconds(history, at)
    )
}

/// Whether two ops' intervals overlap (a crashed op stays open to the end).
fn overlaps(a: &LinOp, b: &LinOp) -> bool {
    let a_end = a.complete.unwrap_or(usize::MAX);
    let b_end = b.complete.unwrap_or(usize::MAX);
    a.invoke < b_end && b.invoke < a_end
}

/// A history index's time, `14.80 s`.
fn seconds(history: &History, index: usize) -> String {
    let ns = history.get(index).map_or(0, |op| op.time);
    format!("{:.2} s", ns as f64 / 1e9)
}

/// One final path: each step's op (None: before any) and the model after it, or why it cannot happen.
type Path = Vec<(Option<usize>, Result<Value, String>)>;

/// Knossos's final paths: from each blocked configuration (the op linearized last and the state
/// it left), every order of some of the ops still open when `f` completed, then `f`, each path
/// cut at the first op that cannot happen; only paths that end impossible, at most 10.
fn final_paths(key: &KeyHistory, history: &History, f: usize, blocked: &[Blocked]) -> Edn {
    let op = &key.ops[f];
    let at = op.complete.unwrap_or(usize::MAX);
    let mut paths: Vec<Path> = Vec::new();
    for config in blocked {
        let calls: Vec<usize> = (0..key.ops.len())
            .filter(|&i| {
                let o = &key.ops[i];
                i != f
                    && o.process != op.process
                    && !config.linearized[i]
                    && o.invoke < at
                    && o.complete.is_none_or(|c| c > at)
            })
            .take(MAX_CALLS)
            .collect();
        for order in orders(&calls) {
            let mut path = vec![(config.last, Ok(config.state))];
            let mut state = config.state;
            for &i in order.iter().chain(std::iter::once(&f)) {
                match step(state, key.ops[i].kind) {
                    Some(s) => {
                        state = s;
                        path.push((Some(i), Ok(s)));
                    }
                    None => {
                        let why = key
                            .values
                            .why_not(state, key.ops[i].kind)
                            .unwrap_or_default();
                        path.push((Some(i), Err(why)));
                        break;
                    }
                }
            }
            let impossible = matches!(path.last(), Some((_, Err(_))));
            if impossible && !paths.contains(&path) {
                paths.push(path);
            }
            if paths.len() >= MAX_PATHS {
                break;
            }
        }
        if paths.len() >= MAX_PATHS {
            break;
        }
    }
    let render = |path: &Path| {
        Edn::Vector(
            path.iter()
                .map(|(i, model)| {
                    let op = i.map_or(Edn::Nil, |i| op_ref(key, history, i));
                    Edn::map([("op", op), ("model", model_edn(&key.values, model))])
                })
                .collect(),
        )
    };
    Edn::Vector(paths.iter().map(render).collect())
}

/// Every order of every subset of `calls`, shortest first.
fn orders(calls: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    let mut frontier = vec![Vec::new()];
    for _ in 0..calls.len() {
        let mut grown = Vec::new();
        for seq in &frontier {
            for &c in calls {
                if !seq.contains(&c) {
                    let mut s: Vec<usize> = seq.clone();
                    s.push(c);
                    grown.push(s);
                }
            }
        }
        out.extend(grown.iter().cloned());
        frontier = grown;
    }
    out
}

/// An op as the results print it: its completion if it completed, else its invocation.
pub fn op_ref(key: &KeyHistory, history: &History, i: usize) -> Edn {
    let op = &key.ops[i];
    op_edn(&history[op.complete.unwrap_or(op.invoke)])
}

/// `{:value 3}` or Knossos's inconsistent model, `{:msg "can't read 3 from register 0"}`.
fn model_edn(values: &Values, model: &Result<Value, String>) -> Edn {
    match model {
        Ok(state) => values.state_edn(*state),
        Err(msg) => Edn::map([("msg", Edn::Str(msg.as_str().into()))]),
    }
}
