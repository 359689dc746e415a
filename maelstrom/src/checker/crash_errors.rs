//! Requests a node answered with error 13 (`crash`), per node: the reply a node library sends
//! when a handler fails or panics (Maelstrom's `doc/protocol.md`; the Go library's `node.go`
//! turns any handler error that is not an RPC error into one).
//!
//! Maelstrom records such an op as `:info` (indefinite) or, for an idempotent read, `:fail`, and
//! says nothing more: a node whose broadcast handler panics on some values still gets
//! "Everything looks good!". This runner reports them (the README's deliberate differences): the
//! `:crash-errors` entry counts them per node and keeps the first error text, and the console
//! prints one warning per node. The entry does not change the verdict, as in Maelstrom.

use std::collections::BTreeMap;

use crate::edn::Edn;
use crate::history::{node_of, History, Op, OpType};

/// What one node answered with error 13.
#[derive(Debug, Default, PartialEq)]
struct NodeErrors {
    count: usize,
    /// Per `:f`, in order of first appearance.
    by_f: Vec<(String, usize)>,
    /// The text of the first error 13 reply.
    first: String,
}

/// `{:valid? true, :count 3, :nodes {:n2 {:count 3, :by-f {:broadcast 3}, :first-error
/// "BUG: ..."}}}`, nodes in command-line order; `None` when no request got error 13. Ops are
/// placed on nodes as the runner's workers are (`history::node_of`).
pub fn check(history: &History, nodes: &[String], concurrency: usize) -> Option<Edn> {
    let mut by_node: BTreeMap<usize, NodeErrors> = BTreeMap::new();
    for op in history {
        let Some(text) = crash_text(op) else { continue };
        let Some(node) = node_of(op.process, concurrency, nodes) else {
            continue;
        };
        let position = nodes.iter().position(|n| n == node).unwrap_or_default();
        let errors = by_node.entry(position).or_default();
        if errors.count == 0 {
            errors.first = text;
        }
        errors.count += 1;
        match errors.by_f.iter_mut().find(|(f, _)| *f == op.f) {
            Some((_, n)) => *n += 1,
            None => errors.by_f.push((op.f.clone(), 1)),
        }
    }
    if by_node.is_empty() {
        return None;
    }
    let total: usize = by_node.values().map(|e| e.count).sum();
    let nodes = by_node
        .into_iter()
        .map(|(position, errors)| {
            let by_f = errors
                .by_f
                .iter()
                .map(|(f, n)| (Edn::kw(f), Edn::Int(*n as i64)))
                .collect();
            (
                Edn::kw_or_str(&nodes[position]),
                Edn::map([
                    ("count", Edn::Int(errors.count as i64)),
                    ("by-f", Edn::Map(by_f)),
                    ("first-error", Edn::Str(errors.first.into())),
                ]),
            )
        })
        .collect();
    Some(Edn::map([
        ("valid?", Edn::Bool(true)),
        ("count", Edn::Int(total as i64)),
        ("nodes", Edn::Map(nodes)),
    ]))
}

/// The error text of a completion that records an error 13 reply: `:error [:crash "text"]`
/// (workloads whose client catches errors, `workload::complete_call`) or the exception of a
/// client that let it escape (`workload::complete_unguarded`: `throw+: {:type :rpc-error, :code
/// 13, ..., :body {... :text "text"}}`).
fn crash_text(op: &Op) -> Option<String> {
    if op.op_type == OpType::Invoke {
        return None;
    }
    if let Some(Edn::Vector(error)) = &op.error {
        if let [Edn::Keyword(name), text] = &error[..] {
            if &**name == "crash" {
                return Some(match text {
                    Edn::Str(s) => s.to_string(),
                    other => crate::edn::compact(other),
                });
            }
        }
    }
    let thrown = op.exception.as_ref()?.message.strip_prefix("throw+: ")?;
    let thrown = crate::edn::parse(thrown).ok()?;
    if thrown.get("code") != Some(&Edn::Int(13)) {
        return None;
    }
    match thrown.get("body").and_then(|body| body.get("text")) {
        Some(Edn::Str(text)) => Some(text.to_string()),
        _ => Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::Builder;
    use crate::edn::compact;
    use crate::history::Exception;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("n{i}")).collect()
    }

    fn crash(text: &str) -> Option<Edn> {
        Some(Edn::Vector(vec![Edn::kw("crash"), Edn::str(text)].into()))
    }

    /// Error 13 replies are counted per node and :f with the first text; other errors are not.
    #[test]
    fn counts_per_node_with_the_first_text() {
        let mut b = Builder::new();
        b.invoke(0, 2, "broadcast", Edn::Int(7));
        b.op(1, 2, OpType::Info, "broadcast", Edn::Int(7)).error = crash("BUG: I don't like 7");
        // Process 5 is worker 2 again (concurrency 3) after its :info: still n2.
        b.invoke(2, 5, "read", Edn::Nil);
        b.op(3, 5, OpType::Fail, "read", Edn::Nil).error = crash("BUG: reads too");
        b.invoke(4, 0, "broadcast", Edn::Int(8));
        b.op(5, 0, OpType::Info, "broadcast", Edn::Int(8)).error = Some(Edn::kw("net-timeout"));
        b.invoke(6, 1, "broadcast", Edn::Int(9));
        b.op(7, 1, OpType::Fail, "broadcast", Edn::Int(9)).error = Some(Edn::Vector(
            vec![Edn::kw("temporarily-unavailable"), Edn::str("busy")].into(),
        ));
        let result = check(&b.build(), &nodes(3), 3).map(|r| compact(&r));
        assert_eq!(
            result.as_deref(),
            Some(
                "{:valid? true, :count 2, :nodes {:n2 {:count 2, :by-f {:broadcast 1, :read 1}, \
                 :first-error \"BUG: I don't like 7\"}}}"
            )
        );
    }

    /// No error 13 reply: no entry.
    #[test]
    fn no_crash_errors_no_entry() {
        let mut b = Builder::new();
        b.invoke(0, 0, "broadcast", Edn::Int(1))
            .ok(1, 0, "broadcast", Edn::Int(1));
        assert_eq!(check(&b.build(), &nodes(1), 1), None);
    }

    /// An error 13 that escaped a g-set client as an exception is found in its message; an
    /// error 11 one is not.
    #[test]
    fn reads_unguarded_clients_exceptions() {
        let thrown = |code: i64| Exception {
            class: "RpcError".into(),
            message: format!(
                "throw+: {{:type :rpc-error, :code {code}, :name :crash, :definite? false, \
                 :body {{:type \"error\", :code {code}, :text \"boom\", :in_reply_to 1}}}}"
            ),
        };
        let mut b = Builder::new();
        b.invoke(0, 0, "add", Edn::Int(1));
        b.op(1, 0, OpType::Info, "add", Edn::Int(1)).exception = Some(Box::new(thrown(13)));
        b.invoke(2, 1, "add", Edn::Int(2));
        b.op(3, 1, OpType::Info, "add", Edn::Int(2)).exception = Some(Box::new(thrown(11)));
        let result = check(&b.build(), &nodes(2), 2).map(|r| compact(&r));
        assert_eq!(
            result.as_deref(),
            Some(
                "{:valid? true, :count 1, :nodes {:n0 {:count 1, :by-f {:add 1}, \
                 :first-error \"boom\"}}}"
            )
        );
    }
}
