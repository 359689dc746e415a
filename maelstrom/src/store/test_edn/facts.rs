//! `test.edn`'s `:facts`: what the runner observed in a run that a checker reads (`RunFacts`:
//! protocol errors, late replies, a crash, where the final phase began, the run folder's budget
//! passed), written when the run ends and read back by `maelstrom analyze`. The options beside
//! them, and the reading rules both follow, are `test_edn.rs`'s.

use crate::edn::Edn;
use crate::history::{saturate, BudgetPassed, CrashReport, RunFacts};

use super::Value;

/// `:facts`: what the runner observed that a checker reads (`RunFacts`).
pub(super) fn facts_edn(facts: &RunFacts) -> Edn {
    let strings = |items: &[String]| Edn::Vector(items.iter().map(|s| Edn::str(s)).collect());
    let crash = facts.crash.as_ref().map_or(Edn::Nil, |c| {
        Edn::map([
            ("node", Edn::str(&c.node)),
            ("status", Edn::str(&c.status)),
            ("stdout", strings(&c.stdout)),
            ("stderr", strings(&c.stderr)),
            ("log", Edn::str(&c.log_path)),
        ])
    });
    Edn::map([
        (
            "final-phase-start",
            facts
                .final_phase_start
                .map_or(Edn::Nil, |i| Edn::Int(i as i64)),
        ),
        ("protocol-errors", strings(&facts.protocol_errors)),
        (
            "protocol-error-count",
            Edn::Int(facts.protocol_error_count as i64),
        ),
        (
            "protocol-by-node",
            Edn::Vector(
                facts
                    .protocol_by_node
                    .iter()
                    .map(|(node, (count, first))| {
                        Edn::Vector(
                            vec![Edn::str(node), Edn::Int(*count as i64), Edn::str(first)].into(),
                        )
                    })
                    .collect(),
            ),
        ),
        ("late-replies", strings(&facts.late_replies)),
        ("crash", crash),
        (
            "crash-time",
            facts.crash_time.map_or(Edn::Nil, |t| Edn::Int(t as i64)),
        ),
        (
            "budget-passed",
            facts.budget.as_ref().map_or(Edn::Nil, |b| {
                Edn::map([
                    ("limit", Edn::Int(saturate(b.limit))),
                    ("time", Edn::Int(saturate(b.time))),
                    ("text", Edn::str(&b.text)),
                ])
            }),
        ),
    ])
}

/// `:facts`, read back (see [`facts_edn`]); `nil` is no facts.
pub(super) fn facts_from(value: &Edn) -> Result<RunFacts, String> {
    let facts = Value {
        key: "facts",
        value,
    };
    match value {
        Edn::Nil => return Ok(RunFacts::default()),
        Edn::Map(_) => {}
        _ => return Err(facts.wrong("a map")),
    }
    let list = |key: &str, name: &str| {
        let v = facts.within(key, name);
        match v.value {
            Edn::Nil => Ok(Vec::new()),
            _ => v.strings(),
        }
    };
    let crash = facts.within("crash", "facts :crash");
    let crash = match crash.value {
        Edn::Nil => None,
        Edn::Map(_) => {
            let text = |key: &str, name: &str| crash.within(key, name).string();
            let lines = |key: &str, name: &str| {
                let v = crash.within(key, name);
                match v.value {
                    Edn::Nil => Ok(Vec::new()),
                    _ => v.strings(),
                }
            };
            Some(CrashReport {
                node: text("node", "facts :crash :node")?,
                status: text("status", "facts :crash :status")?,
                stdout: lines("stdout", "facts :crash :stdout")?,
                stderr: lines("stderr", "facts :crash :stderr")?,
                log_path: text("log", "facts :crash :log")?,
            })
        }
        _ => return Err(crash.wrong("nil or a map")),
    };
    let start = facts.within("final-phase-start", "facts :final-phase-start");
    let count = facts.within("protocol-error-count", "facts :protocol-error-count");
    let by_node = facts.within("protocol-by-node", "facts :protocol-by-node");
    let mut protocol_by_node = std::collections::BTreeMap::new();
    if by_node.value != &Edn::Nil {
        for entry in by_node.items()? {
            match entry {
                Edn::Vector(triple) => match &triple[..] {
                    [Edn::Str(node), Edn::Int(n), Edn::Str(first)] if *n >= 0 => {
                        protocol_by_node.insert(node.to_string(), (*n as usize, first.to_string()));
                    }
                    _ => return Err(by_node.wrong("a vector of [node count first-error]")),
                },
                _ => return Err(by_node.wrong("a vector of [node count first-error]")),
            }
        }
    }
    let budget = facts.within("budget-passed", "facts :budget-passed");
    let budget = match budget.value {
        Edn::Nil => None,
        Edn::Map(_) => Some(BudgetPassed {
            limit: budget
                .within("limit", "facts :budget-passed :limit")
                .int()?,
            time: budget.within("time", "facts :budget-passed :time").int()?,
            text: budget
                .within("text", "facts :budget-passed :text")
                .string()?,
        }),
        _ => return Err(budget.wrong("nil or a map")),
    };
    let protocol_errors = list("protocol-errors", "facts :protocol-errors")?;
    Ok(RunFacts {
        protocol_error_count: count
            .optional_int()?
            .map_or(protocol_errors.len(), |n| n as usize),
        protocol_errors,
        protocol_by_node,
        late_replies: list("late-replies", "facts :late-replies")?,
        crash,
        crash_time: facts
            .within("crash-time", "facts :crash-time")
            .optional_int()?,
        final_phase_start: start.optional_int()?.map(|i| i as usize),
        budget,
    })
}
