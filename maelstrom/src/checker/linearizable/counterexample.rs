//! What the picture of a key that is not linearizable (or undecided) shows, read back from the
//! history and the key's `:linearizable` result: the key's ops per process with their times and
//! outcomes, the longest linearization found with the register's state after each op and a
//! moment at which it can take effect, and the impossible op with the states the register could
//! hold just before it (Knossos's `:op` and `:final-paths`). `view/linear.rs` draws it as
//! Knossos's `linear.svg` (`src/knossos/linear/report.clj`), into the folder where Jepsen's
//! `independent` checker keeps each key's results (`independent/<key>/`).
//!
//! A pure function of the history and the results, so that `maelstrom analyze` draws the same
//! picture from a stored run.

use std::collections::HashMap;

use super::model::{step, Kind, Value, Values, NIL};
use crate::checker::pair_index;
use crate::edn::{compact, Edn};
use crate::history::{History, OpType, Process};

/// Most keys drawn: a run where every key fails gets pictures of the first ones only.
pub const MAX_PICTURES: usize = 20;

/// Longest value shown in an op's label before it is cut with `...`.
const LABEL_CHARS: usize = 12;
/// Longest text (an op's hover text, the explanation, a final path) before it is cut: a node
/// may read back a huge value, and the picture must stay small.
const TEXT_CHARS: usize = 400;

/// One key's picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterexample {
    /// The key, as the history wrote it.
    pub key: Edn,
    /// Its verdict: `false` or `:unknown`.
    pub valid: Edn,
    /// The key's `:explanation` (one sentence; empty if the result has none).
    pub explanation: String,
    /// Every op of the key (`:ok`, `:info`, `:fail`, still pending), in invocation order.
    pub ops: Vec<KeyOp>,
    /// The longest linearization found, in order.
    pub linearization: Vec<Step>,
    /// The op that cannot be linearized (`:op`), an index into `ops`.
    pub impossible: Option<usize>,
    /// The states the register could hold just before the impossible op, as printed (`0`,
    /// `nil`), from the `:final-paths`.
    pub states_before: Vec<String>,
    /// Each final path in words: `2, then r 4 (process 1): can't read 4 from register 2`.
    pub final_paths: Vec<String>,
    /// Where the picture goes, relative to the run's folder ([`picture_file`]).
    pub file: String,
    /// The time of the history's last entry (ns): crashed ops run until then.
    pub run_end: u64,
}

/// One op of the key, from its invocation to its completion.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyOp {
    pub process: u64,
    /// History positions of the invocation and of the completion (any type), if any.
    pub index: usize,
    pub done: Option<usize>,
    /// `read`, `write`, `cas`, ...
    pub f: String,
    /// What the model needs: the value read (a completed read), written, or `[from to]`.
    pub value: Edn,
    /// Invocation time, ns since the test began.
    pub start: u64,
    /// Completion time; `None` for an op that crashed (`:info`) or never completed.
    pub end: Option<u64>,
    /// `Ok`, `Info` (crashed or never completed) or `Fail`.
    pub outcome: OpType,
    /// Short: `r 3`, `w 2`, `cas 1→4`.
    pub label: String,
    /// Whole: `process 7: cas 1 -> 4, ok, 12.301 s to 12.340 s (history index 512)`.
    pub title: String,
}

/// One op of the linearization.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Index into `Counterexample::ops`.
    pub op: usize,
    /// The register after it, as printed.
    pub state: String,
    /// A moment (ns) within the op's interval at which it can take effect, so that the steps'
    /// moments never decrease: halfway between the earliest and the latest such moments.
    pub at: u64,
}

/// Where a key's picture goes, relative to the run's folder: `independent/<key>/linear.svg`, as
/// Jepsen's `independent` checker (`jepsen/independent.clj`, `dir`) and Knossos's renderer
/// (`jepsen/checker.clj`, `Linearizable`) name it. An integer key is written as is; any other
/// key's printed form has every character but ASCII letters, digits and `-` written `_xx` (its
/// UTF-8 bytes in hex), so that no key names a file outside its folder and no two keys share one;
/// a name longer than 120 bytes keeps its first 100 and a hash of the key.
pub fn picture_file(key: &Edn) -> String {
    let name = match key {
        Edn::Int(n) => n.to_string(),
        other => {
            let mut name = String::new();
            for b in compact(other).bytes() {
                if b.is_ascii_alphanumeric() || b == b'-' {
                    name.push(b as char);
                } else {
                    name.push_str(&format!("_{b:02x}"));
                }
            }
            // A file name has at most 255 bytes: a long key keeps its start and a hash of
            // the whole (FNV-1a), so that it still names one folder of its own.
            if name.len() > 120 {
                let hash = compact(other)
                    .bytes()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
                    });
                name.truncate(100);
                name.push_str(&format!("-{hash:016x}"));
            }
            name
        }
    };
    format!("independent/{name}/linear.svg")
}

/// The pictures of a lin-kv `:workload` result's keys that are not linearizable or undecided, in
/// the results' key order, at most [`MAX_PICTURES`].
pub fn counterexamples(history: &History, result: &Edn) -> Vec<Counterexample> {
    let Some(Edn::Map(per_key)) = result.get("results") else {
        return Vec::new();
    };
    let bad: Vec<(&Edn, &Edn)> = per_key
        .iter()
        .filter(|(_, r)| !matches!(r.get("valid?"), Some(Edn::Bool(true))))
        .filter_map(|(k, r)| Some((k, r.get("linearizable")?)))
        .take(MAX_PICTURES)
        .collect();
    if bad.is_empty() {
        return Vec::new();
    }
    let wanted: HashMap<String, usize> = bad
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (compact(k), i))
        .collect();
    let mut ops: Vec<Vec<KeyOp>> = vec![Vec::new(); bad.len()];
    let partner = pair_index(history);
    for (i, op) in history.iter().enumerate() {
        let (Process::Client(process), OpType::Invoke) = (op.process, op.op_type) else {
            continue;
        };
        let Some((k, arg)) = tuple(&op.value) else {
            continue;
        };
        let Some(&slot) = wanted.get(&compact(k)) else {
            continue;
        };
        let done = partner[i].map(|j| &history[j]);
        let outcome = match done.map(|d| d.op_type) {
            Some(OpType::Ok) => OpType::Ok,
            Some(OpType::Fail) => OpType::Fail,
            _ => OpType::Info,
        };
        let end = done.filter(|_| outcome != OpType::Info).map(|d| d.time);
        let read = done
            .filter(|_| outcome == OpType::Ok)
            .and_then(|d| tuple(&d.value))
            .map(|(_, v)| v);
        let label = label(&op.f, arg, read);
        let value = match op.f.as_str() {
            "read" => read.cloned().unwrap_or(Edn::Nil),
            _ => arg.clone(),
        };
        let seconds = |ns: u64| format!("{:.3} s", ns as f64 / 1e9);
        let title = format!(
            "process {process}: {}, {}, {} to {} (history index {})",
            cut_to(&words(&op.f, arg, read), TEXT_CHARS),
            outcome.name(),
            seconds(op.time),
            end.map_or("the end of the run".to_string(), seconds),
            op.index
        );
        ops[slot].push(KeyOp {
            process,
            index: i,
            done: partner[i],
            f: op.f.clone(),
            value,
            start: op.time,
            end,
            outcome,
            label,
            title,
        });
    }
    let run_end = history.last().map_or(0, |op| op.time);
    bad.into_iter()
        .zip(ops)
        .map(|((key, lin), ops)| one(history, key, lin, ops, run_end))
        .collect()
}

/// One key's picture from its ops and its `:linearizable` entry.
fn one(history: &History, key: &Edn, lin: &Edn, ops: Vec<KeyOp>, run_end: u64) -> Counterexample {
    // Results name an op by the `:index` of its completion, or of its invocation if it has none.
    let mut slot_of: HashMap<i64, usize> = HashMap::new();
    for (slot, op) in ops.iter().enumerate() {
        for at in std::iter::once(op.index).chain(op.done) {
            slot_of.insert(history[at].index as i64, slot);
        }
    }
    let op_slot = |op: &Edn| match op.get("index") {
        Some(Edn::Int(i)) => slot_of.get(i).copied(),
        _ => None,
    };
    let order: Vec<usize> = match lin.get("longest-linearization") {
        Some(Edn::Vector(refs) | Edn::List(refs)) => refs.iter().map_while(op_slot).collect(),
        _ => Vec::new(),
    };
    let linearization = steps(&ops, &order, run_end);
    let impossible = lin.get("op").and_then(op_slot);
    let (states_before, final_paths) = final_paths(lin.get("final-paths"), &ops, &op_slot);
    let explanation = match lin.get("explanation") {
        Some(Edn::Str(s)) => cut_to(s, TEXT_CHARS),
        _ => match lin.get("cause") {
            Some(Edn::Str(s)) => cut_to(s, TEXT_CHARS),
            _ => String::new(),
        },
    };
    Counterexample {
        key: key.clone(),
        valid: lin.get("valid?").cloned().unwrap_or(Edn::Nil),
        explanation,
        ops,
        linearization,
        impossible,
        states_before,
        final_paths,
        file: picture_file(key),
        run_end,
    }
}

/// The linearization's steps: the register after each op (replayed on the model from `nil`), and
/// a moment for each. An op can take effect no earlier than every op before it was invoked and
/// no later than every op after it completed; halfway between the two keeps the order.
fn steps(ops: &[KeyOp], order: &[usize], run_end: u64) -> Vec<Step> {
    let mut values = Values::default();
    let mut state: Value = NIL;
    let mut out = Vec::new();
    for &slot in order {
        let Some(kind) = kind(&ops[slot], &mut values) else {
            break;
        };
        let Some(next) = step(state, kind) else {
            break;
        };
        state = next;
        out.push(Step {
            op: slot,
            state: cut(&values.show(state)),
            at: 0,
        });
    }
    let mut earliest = Vec::with_capacity(out.len());
    let mut at = 0;
    for s in &out {
        at = at.max(ops[s.op].start);
        earliest.push(at);
    }
    let mut latest = run_end;
    for (s, early) in out.iter_mut().zip(earliest).rev() {
        latest = latest.min(ops[s.op].end.unwrap_or(run_end)).max(early);
        s.at = early + (latest - early) / 2;
    }
    out
}

/// The model's view of an op.
fn kind(op: &KeyOp, values: &mut Values) -> Option<Kind> {
    Some(match op.f.as_str() {
        "read" => Kind::Read(values.intern(&op.value)),
        "write" => Kind::Write(values.intern(&op.value)),
        "cas" => match &op.value {
            Edn::Vector(p) | Edn::List(p) if p.len() == 2 => {
                Kind::Cas(values.intern(&p[0]), values.intern(&p[1]))
            }
            _ => return None,
        },
        _ => return None,
    })
}

/// From Knossos's `:final-paths` (each `[{:op <op or nil> :model {:value v}} ... {:op <op>
/// :model {:msg "can't ..."}}]`): the distinct states just before the last step, and each path
/// in words.
fn final_paths(
    paths: Option<&Edn>,
    ops: &[KeyOp],
    op_slot: &dyn Fn(&Edn) -> Option<usize>,
) -> (Vec<String>, Vec<String>) {
    let (mut states, mut texts) = (Vec::new(), Vec::new());
    let Some(Edn::Vector(paths) | Edn::List(paths)) = paths else {
        return (states, texts);
    };
    let named = |op: Option<&Edn>| -> String {
        match op.and_then(op_slot) {
            Some(slot) => format!("{} (process {})", ops[slot].label, ops[slot].process),
            None => "?".to_string(),
        }
    };
    for path in paths.iter() {
        let (Edn::Vector(path) | Edn::List(path)) = path else {
            continue;
        };
        let model = |i: usize| path.get(i).and_then(|s| s.get("model"));
        let state = |i: usize| {
            model(i)
                .and_then(|m| m.get("value"))
                .map(|v| cut(&compact(v)))
        };
        let Some(first) = state(0) else {
            continue;
        };
        if path.len() >= 2 {
            if let Some(before) = state(path.len() - 2) {
                if !states.contains(&before) {
                    states.push(before);
                }
            }
        }
        let mut text = first;
        for i in 1..path.len() {
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!(", then {}", named(path[i].get("op"))),
            );
            match (state(i), model(i).and_then(|m| m.get("msg"))) {
                (Some(s), _) => text.push_str(&format!(" \u{2192} {s}")),
                (None, Some(Edn::Str(msg))) => text.push_str(&format!(": {msg}")),
                _ => {}
            }
        }
        texts.push(cut_to(&text, TEXT_CHARS));
    }
    (states, texts)
}

/// `[k v]` (Jepsen's independent tuple).
fn tuple(value: &Edn) -> Option<(&Edn, &Edn)> {
    match value {
        Edn::Vector(kv) | Edn::List(kv) if kv.len() == 2 => Some((&kv[0], &kv[1])),
        _ => None,
    }
}

/// `r 3`, `r ?` (no value read), `w 2`, `cas 1→4`, or `f value` for anything else.
fn label(f: &str, arg: &Edn, read: Option<&Edn>) -> String {
    let show = |v: &Edn| cut(&compact(v));
    match (f, arg) {
        ("read", _) => format!("r {}", read.map_or("?".to_string(), show)),
        ("write", v) => format!("w {}", show(v)),
        ("cas", Edn::Vector(p) | Edn::List(p)) if p.len() == 2 => {
            format!("cas {}\u{2192}{}", show(&p[0]), show(&p[1]))
        }
        (f, v) => format!("{} {}", cut(f), show(v)),
    }
}

/// The op in words for its hover text: `read 3`, `write 2`, `cas 1 -> 4`.
fn words(f: &str, arg: &Edn, read: Option<&Edn>) -> String {
    match (f, arg) {
        ("read", _) => match read {
            Some(v) => format!("read {}", compact(v)),
            None => "read".to_string(),
        },
        ("cas", Edn::Vector(p) | Edn::List(p)) if p.len() == 2 => {
            format!("cas {} -> {}", compact(&p[0]), compact(&p[1]))
        }
        (f, v) => format!("{f} {}", compact(v)),
    }
}

/// At most [`LABEL_CHARS`] characters, `...` when cut.
fn cut(text: &str) -> String {
    cut_to(text, LABEL_CHARS)
}

/// At most `chars` characters, `...` when cut.
fn cut_to(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{check, Limits};
    use super::*;
    use crate::checker::test_support::Builder;
    use crate::history::OpType::{Fail, Info, Invoke, Ok as Done};

    fn kv(k: i64, v: Edn) -> Edn {
        Edn::Vector(vec![Edn::Int(k), v].into())
    }

    fn cas(k: i64, from: i64, to: i64) -> Edn {
        kv(k, Edn::Vector(vec![Edn::Int(from), Edn::Int(to)].into()))
    }

    /// A stale read on key 1 (3 after 4 was set by a cas), with a failed write and a crashed
    /// write on key 1 and a valid key 0 beside it.
    pub fn stale_read() -> History {
        let mut b = Builder::new();
        b.op(0, 0, Invoke, "write", kv(1, Edn::Int(3)));
        b.op(100, 0, Done, "write", kv(1, Edn::Int(3)));
        b.op(150, 5, Invoke, "write", kv(0, Edn::Int(1)));
        b.op(160, 5, Done, "write", kv(0, Edn::Int(1)));
        b.op(200, 1, Invoke, "cas", cas(1, 3, 4));
        b.op(300, 1, Done, "cas", cas(1, 3, 4));
        b.op(320, 2, Invoke, "write", kv(1, Edn::Int(0)));
        b.op(330, 2, Fail, "write", kv(1, Edn::Int(0)));
        b.op(340, 3, Invoke, "write", kv(1, Edn::Int(2)));
        b.op(350, 3, Info, "write", kv(1, Edn::Int(2)));
        b.op(400, 0, Invoke, "read", kv(1, Edn::Nil));
        b.op(500, 0, Done, "read", kv(1, Edn::Int(3)));
        b.ops
    }

    fn limits() -> Limits {
        Limits {
            threads: 1,
            ..Limits::default()
        }
    }

    /// The invalid key gets a picture with every op of it per process, the linearization with
    /// the state after each op, the impossible read and the states it could have seen; the
    /// valid key gets none.
    #[test]
    fn an_invalid_key_is_pictured() {
        let history = stale_read();
        let result = check(&history, limits());
        let pictures = counterexamples(&history, &result);
        assert_eq!(pictures.len(), 1, "{pictures:#?}");
        let c = &pictures[0];
        assert_eq!((&c.key, &c.valid), (&Edn::Int(1), &Edn::Bool(false)));
        assert_eq!(c.file, "independent/1/linear.svg");
        let labels: Vec<(&str, u64, OpType)> = c
            .ops
            .iter()
            .map(|o| (o.label.as_str(), o.process, o.outcome))
            .collect();
        assert_eq!(
            labels,
            [
                ("w 3", 0, Done),
                ("cas 3\u{2192}4", 1, Done),
                ("w 0", 2, Fail),
                ("w 2", 3, Info),
                ("r 3", 0, Done),
            ]
        );
        assert_eq!(c.ops[3].end, None, "a crashed op has no end");
        assert_eq!(c.impossible, Some(4));
        let steps: Vec<(usize, &str)> = c
            .linearization
            .iter()
            .map(|s| (s.op, s.state.as_str()))
            .collect();
        // Then perhaps the crashed write of 2, as the search went.
        assert_eq!(steps[..2], [(0, "3"), (1, "4")]);
        assert!(steps[2..].iter().all(|&(op, _)| op == 3), "{steps:?}");
        // Each moment lies in its op's interval, in order.
        let mut last = 0;
        for s in &c.linearization {
            let op = &c.ops[s.op];
            assert!(
                s.at >= op.start && s.at <= op.end.unwrap_or(c.run_end),
                "{s:?}"
            );
            assert!(s.at >= last, "{s:?}");
            last = s.at;
        }
        assert_eq!(c.linearization[0].at, 50 * 1_000_000);
        assert!(c.states_before.contains(&"4".to_string()), "{c:#?}");
        assert!(c.states_before.contains(&"2".to_string()), "{c:#?}");
        assert!(
            c.final_paths
                .iter()
                .any(|p| p == "4, then r 3 (process 0): can't read 3 from register 4"),
            "{:?}",
            c.final_paths
        );
        assert!(
            c.explanation.starts_with("read 3 of key 1"),
            "{}",
            c.explanation
        );
        assert_eq!(c.run_end, 500 * 1_000_000);
    }

    /// A valid result has no pictures.
    #[test]
    fn a_valid_key_has_none() {
        let mut b = Builder::new();
        b.op(0, 0, Invoke, "write", kv(0, Edn::Int(1)));
        b.op(1, 0, Done, "write", kv(0, Edn::Int(1)));
        let result = check(&b.ops, limits());
        assert!(counterexamples(&b.ops, &result).is_empty());
        assert!(counterexamples(&b.ops, &Edn::Nil).is_empty());
    }

    /// An undecided key is pictured with its longest partial linearization and no impossible op.
    #[test]
    fn an_undecided_key_is_pictured() {
        let history = stale_read();
        let write = crate::history::op_edn(&history[1]);
        let result = crate::edn::parse(&format!(
            "{{:results {{1 {{:linearizable {{:valid? :unknown, :cause \"time budget of 0 s ran \
             out\", :longest-linearization [{}]}}, :valid? :unknown}}}}}}",
            compact(&write)
        ))
        .expect("edn");
        let pictures = counterexamples(&history, &result);
        assert_eq!(pictures.len(), 1);
        let c = &pictures[0];
        assert_eq!(c.valid, Edn::kw("unknown"));
        assert_eq!(c.impossible, None);
        assert_eq!(c.linearization.len(), 1);
        assert_eq!(c.explanation, "time budget of 0 s ran out");
    }

    /// A huge value read back is cut in every text of the picture.
    #[test]
    fn huge_values_are_cut() {
        let huge = Edn::str(&"x".repeat(100_000));
        let mut b = Builder::new();
        b.op(0, 0, Invoke, "write", kv(0, Edn::Int(1)));
        b.op(10, 0, Done, "write", kv(0, Edn::Int(1)));
        b.op(20, 1, Invoke, "read", kv(0, Edn::Nil));
        b.op(30, 1, Done, "read", kv(0, huge));
        let pictures = counterexamples(&b.ops, &check(&b.ops, limits()));
        let c = &pictures[0];
        assert!(
            c.explanation.chars().count() <= TEXT_CHARS + 3,
            "{}",
            c.explanation.len()
        );
        assert!(c
            .ops
            .iter()
            .all(|o| o.title.len() < 600 && o.label.len() < 30));
        assert!(c
            .final_paths
            .iter()
            .all(|p| p.chars().count() <= TEXT_CHARS + 3));
    }

    /// Keys that are not integers get file names that stay in their folder, one per key, short
    /// enough for a file system.
    #[test]
    fn file_names_stay_inside() {
        assert_eq!(picture_file(&Edn::Int(-3)), "independent/-3/linear.svg");
        assert_eq!(
            picture_file(&Edn::str("../x")),
            "independent/_22_2e_2e_2fx_22/linear.svg"
        );
        assert_ne!(
            picture_file(&Edn::str("a b")),
            picture_file(&Edn::str("a_b"))
        );
        let long = |c: &str| picture_file(&Edn::str(&c.repeat(10_000)));
        assert!(long("x").len() < 160, "{}", long("x"));
        assert_ne!(long("x"), long("y"));
    }
}
