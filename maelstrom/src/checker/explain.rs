//! Cycles in words: each anomaly found by `checker::cycles` becomes an EDN map with its witness,
//! as Elle's explainers write them (`elle/core.clj`: `explain-cycle`, the process and realtime
//! explainers; `elle/txn.clj`: the cycle-exists cases).
//!
//! A cycle prints as `{:cycle [T1 T2 T1], :steps [...], :type :G1c-realtime, :explanation [...]}`:
//! the ops (the first again at the end, as Elle prints them), one data map per edge, and, added by
//! this runner, one sentence per edge ("T1 < T2, because T1 sent 5 to key "3" at offset 7, which
//! T2 polled"), ending with Elle's "However, ...: a contradiction!". Process and realtime edges
//! are explained here; data edges (ww, wr, rw) by the workload's checker, which knows what was
//! written and read.

use crate::checker::cycles::{Finding, Step};
use crate::checker::graph::Rel;
use crate::edn::Edn;
use crate::history::{History, Op, OpType, Process};

/// What a workload's checker knows about ops and their data dependencies.
pub trait ExplainData {
    /// Elle's data for a ww, wr or rw step (`{:type :wr, :key "3", :value 5, ...}`) and the
    /// clause that says why it exists, naming the ops `a` and `b` ("T1 sent 5 to ...").
    fn explain(&self, step: &Step, a: &str, b: &str) -> (Edn, String);
    /// The op at history index `index`, as printed in results.
    fn op(&self, index: usize) -> Edn;
    /// Who ran the op and what it did, for the line naming it ("op 12, process 3 on n1, ...").
    fn describe(&self, index: usize) -> String;
}

/// The text of [`ExplainData::describe`], the same for every workload: who ran the op and how
/// it ended, then its value cut to 200 characters: `op 12, process 3 on n1, crashed: [...]`.
pub fn describe(op: &Op, who: &str) -> String {
    let status = match op.op_type {
        OpType::Ok => "",
        OpType::Info => ", crashed",
        OpType::Fail => ", failed",
        OpType::Invoke => ", invoked",
    };
    let mut value = crate::edn::compact(&op.value);
    if let Some((cut, _)) = value.char_indices().nth(200) {
        value.truncate(cut);
        value.push_str("...");
    }
    format!("{who}{status}: {value}")
}

/// One finding as EDN. `pairs` is `checker::pair_index(history)`.
pub fn finding_edn(
    history: &History,
    pairs: &[Option<usize>],
    finding: &Finding,
    data: &dyn ExplainData,
) -> Edn {
    match finding {
        Finding::CycleExists {
            kind,
            not,
            subgraph,
            scc,
        } => Edn::map([
            ("type", Edn::kw(kind)),
            ("not", Edn::kw(not)),
            ("subgraph", subgraph.clone()),
            ("scc-size", Edn::Int(scc.len() as i64)),
            (
                "scc",
                Edn::Set(scc.iter().map(|i| Edn::Int(*i as i64)).collect()),
            ),
        ]),
        Finding::Cycle { kind, steps } => cycle_edn(history, pairs, kind, steps, data),
        Finding::Timeout {
            spec,
            does_not_contain,
            scc_size,
        } => Edn::map([
            ("type", Edn::kw("cycle-search-timeout")),
            ("anomaly-spec-type", Edn::kw(spec)),
            (
                "does-not-contain",
                Edn::Vector(does_not_contain.iter().map(|s| Edn::kw(s)).collect()),
            ),
            ("scc-size", Edn::Int(*scc_size as i64)),
        ]),
    }
}

/// A cycle with its ops, steps and explanation.
pub fn cycle_edn(
    history: &History,
    pairs: &[Option<usize>],
    kind: &str,
    steps: &[Step],
    data: &dyn ExplainData,
) -> Edn {
    let name = |i: usize| format!("T{}", i + 1);
    let mut ops: Vec<Edn> = steps.iter().map(|s| data.op(s.from)).collect();
    if let Some(first) = ops.first().cloned() {
        ops.push(first);
    }
    let mut lines: Vec<Edn> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| Edn::Str(format!("{} = {}", name(i), data.describe(s.from)).into()))
        .collect();
    let mut step_edns = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let (a, b) = (name(i), name((i + 1) % steps.len()));
        let (edn, why) = match step.rel {
            Rel::Process => process_step(history, step, &a, &b),
            Rel::Realtime => realtime_step(history, pairs, step, &a, &b, data),
            Rel::Ww | Rel::Wr | Rel::Rw => data.explain(step, &a, &b),
        };
        step_edns.push(edn);
        lines.push(Edn::Str(if i + 1 == steps.len() {
            format!("However, {a} < {b}, because {why}: a contradiction!").into()
        } else {
            format!("{a} < {b}, because {why}.").into()
        }));
    }
    Edn::map([
        ("cycle", Edn::Vector(ops.into())),
        ("steps", Edn::Vector(step_edns.into())),
        ("type", Edn::kw(kind)),
        ("explanation", Edn::Vector(lines.into())),
    ])
}

/// Elle's `ProcessExplainer`.
fn process_step(history: &History, step: &Step, a: &str, b: &str) -> (Edn, String) {
    let process = match history.get(step.from).map(|op| op.process) {
        Some(Process::Client(p)) => Edn::Int(p as i64),
        _ => Edn::Nil,
    };
    let why = format!(
        "process {} executed {a} before {b}",
        crate::edn::compact(&process)
    );
    (
        Edn::map([("type", Edn::kw("process")), ("process", process)]),
        why,
    )
}

/// Elle's `RealtimeExplainer`: a completed before b was invoked.
fn realtime_step(
    history: &History,
    pairs: &[Option<usize>],
    step: &Step,
    a: &str,
    b: &str,
    data: &dyn ExplainData,
) -> (Edn, String) {
    let invoke = pairs.get(step.to).copied().flatten().unwrap_or(step.to);
    let (done, start) = (history.get(step.from), history.get(invoke));
    let gap = match (done, start) {
        (Some(done), Some(start)) if start.time > done.time => {
            format!(" {:.3} seconds", (start.time - done.time) as f64 / 1e9)
        }
        _ => " just".to_string(),
    };
    let why = format!(
        "{a} completed at index {},{gap} before the invocation of {b}, at index {invoke}",
        step.from
    );
    let invocation = start.map_or(Edn::Nil, crate::history::op_edn);
    (
        Edn::map([
            ("type", Edn::kw("realtime")),
            ("a'", data.op(step.from)),
            ("b", invocation),
        ]),
        why,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::pair_index;
    use crate::checker::test_support::Builder;

    struct Plain;

    impl ExplainData for Plain {
        fn explain(&self, step: &Step, a: &str, b: &str) -> (Edn, String) {
            (
                Edn::map([("type", Edn::kw(step.rel.name()))]),
                format!("{b} read what {a} wrote"),
            )
        }
        fn op(&self, index: usize) -> Edn {
            Edn::Int(index as i64)
        }
        fn describe(&self, index: usize) -> String {
            format!("op {index}")
        }
    }

    /// An op is described by who ran it, how it ended (nothing said for :ok) and its value,
    /// cut after 200 characters.
    #[test]
    fn describe_names_the_ending_and_cuts_the_value() {
        let op = |t: OpType, value: Edn| Op::new(t, Process::Client(3), "txn", value);
        assert_eq!(describe(&op(OpType::Ok, Edn::Int(5)), "op 1"), "op 1: 5");
        assert_eq!(
            describe(&op(OpType::Info, Edn::Nil), "op 2, process 3"),
            "op 2, process 3, crashed: nil"
        );
        assert_eq!(describe(&op(OpType::Fail, Edn::Nil), "T"), "T, failed: nil");
        let long = describe(&op(OpType::Ok, Edn::str(&"x".repeat(500))), "T");
        assert_eq!(long, format!("T: \"{}...", "x".repeat(199)));
    }

    /// A wr + realtime cycle reads as Elle's explanation, one line per edge, the realtime gap
    /// in seconds.
    #[test]
    fn cycle_explanation_has_one_line_per_edge() {
        let mut b = Builder::new();
        b.invoke(0, 0, "poll", Edn::Nil)
            .ok(1, 0, "poll", Edn::Nil)
            .invoke(4, 1, "send", Edn::Nil)
            .ok(5, 1, "send", Edn::Nil);
        let history = b.build();
        let steps = [
            Step {
                from: 3,
                to: 1,
                rel: Rel::Wr,
            },
            Step {
                from: 1,
                to: 3,
                rel: Rel::Realtime,
            },
        ];
        let edn = cycle_edn(
            &history,
            &pair_index(&history),
            "G1c-realtime",
            &steps,
            &Plain,
        );
        assert_eq!(
            crate::edn::compact(edn.get("explanation").unwrap_or(&Edn::Nil)),
            r#"["T1 = op 3" "T2 = op 1" "T1 < T2, because T2 read what T1 wrote." "However, T2 < T1, because T2 completed at index 1, 0.003 seconds before the invocation of T1, at index 2: a contradiction!"]"#
        );
        assert_eq!(
            crate::edn::compact(edn.get("cycle").unwrap_or(&Edn::Nil)),
            "[3 1 3]"
        );
        let realtime = match edn.get("steps") {
            Some(Edn::Vector(steps)) => steps[1].clone(),
            _ => Edn::Nil,
        };
        assert_eq!(realtime.get("type"), Some(&Edn::kw("realtime")));
        assert_eq!(
            realtime.get("b").and_then(|b| b.get("index")),
            Some(&Edn::Int(2))
        );
    }
}
