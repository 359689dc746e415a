//! The `:exceptions` checker (Jepsen's `jepsen.checker`): client `:info` ops that carry an exception (e.g. a
//! malformed reply), grouped by exception class, most frequent first. Always valid: the
//! exceptions are shown so that the user sees *why* ops were indeterminate.

use crate::edn::Edn;
use crate::history::{op_edn, History, Op, OpType};

/// `{:valid? true}`, or `{:valid? true, :exceptions ({:count n, :class c, :example op} ...)}`
/// with the most frequent class first (ties: the class seen first comes first) and the group's
/// first op as the example.
pub fn check(history: &History) -> Edn {
    // (class, ops of that class) in order of first appearance.
    let mut groups: Vec<(&str, Vec<&Op>)> = Vec::new();
    for op in history
        .iter()
        .filter(|op| op.is_client() && op.op_type == OpType::Info)
    {
        let Some(exception) = &op.exception else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|(class, _)| *class == exception.class)
        {
            Some((_, ops)) => ops.push(op),
            None => groups.push((&exception.class, vec![op])),
        }
    }
    if groups.is_empty() {
        return Edn::map([("valid?", Edn::Bool(true))]);
    }
    // A stable sort keeps first-appearance order among equally frequent classes.
    groups.sort_by_key(|(_, ops)| std::cmp::Reverse(ops.len()));
    let exceptions = groups
        .iter()
        .map(|(class, ops)| {
            Edn::map([
                ("count", Edn::Int(ops.len() as i64)),
                ("class", Edn::str(class)),
                ("example", op_edn(ops[0])),
            ])
        })
        .collect();
    Edn::map([
        ("valid?", Edn::Bool(true)),
        ("exceptions", Edn::List(exceptions)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::Builder;

    /// Without exceptions the result is just {:valid? true}.
    #[test]
    fn no_exceptions() {
        let mut b = Builder::new();
        b.invoke(0, 0, "read", Edn::Nil)
            .info(1, 0, "read", Edn::Nil);
        assert_eq!(crate::edn::compact(&check(&b.build())), "{:valid? true}");
    }

    /// Groups by class, most frequent first, with the first op of each class as the example.
    #[test]
    fn groups_by_class_most_frequent_first() {
        let mut b = Builder::new();
        b.invoke(0, 0, "read", Edn::Nil)
            .exception(1, 0, "read", "Timeout")
            .invoke(2, 5, "read", Edn::Nil)
            .exception(3, 5, "read", "MalformedRpcResponse")
            .invoke(4, 10, "read", Edn::Nil)
            .exception(5, 10, "read", "MalformedRpcResponse");
        let result = check(&b.build());
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(true)));
        let Some(Edn::List(groups)) = result.get("exceptions") else {
            panic!("no :exceptions list in {result:?}");
        };
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].get("class"),
            Some(&Edn::str("MalformedRpcResponse"))
        );
        assert_eq!(groups[0].get("count"), Some(&Edn::Int(2)));
        let example = groups[0].get("example").cloned().unwrap_or(Edn::Nil);
        assert_eq!(example.get("index"), Some(&Edn::Int(3)));
        assert_eq!(groups[1].get("class"), Some(&Edn::str("Timeout")));
        assert_eq!(groups[1].get("count"), Some(&Edn::Int(1)));
    }
}
