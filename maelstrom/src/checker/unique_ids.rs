//! The unique-ids workload's checker (`src/maelstrom/workload/unique_ids.clj`, Jepsen's `unique-ids`): every id a node returned
//! must be distinct. Ids can be any JSON value, but must be mutually comparable (to report their
//! range); a mix such as numbers and strings makes the checker answer `:unknown` with an error.

use std::cmp::Ordering;

use crate::checker::unknown;
use crate::checker::values::{compare, key, sort_by_id, KeyMap};
use crate::edn::Edn;
use crate::history::{History, OpType};

/// How many duplicated ids are listed at most (the most frequent ones).
const MAX_LISTED: usize = 48;

/// `{:valid? :attempted-count :acknowledged-count :duplicated-count :duplicated :range}` over
/// `:generate` ops: `:duplicated` maps an id seen more than once to its count (the 48 most
/// frequent, sorted by id), `:range` is `[lowest highest]` of the acknowledged ids.
pub fn check(history: &History) -> Edn {
    match try_check(history) {
        Ok(result) => result,
        Err(error) => unknown(error),
    }
}

fn try_check(history: &History) -> Result<Edn, String> {
    let generates = || {
        history
            .iter()
            .filter(|op| op.is_client() && op.f == "generate")
    };
    let attempted = generates()
        .filter(|op| op.op_type == OpType::Invoke)
        .count();
    let ids: Vec<&Edn> = generates()
        .filter(|op| op.op_type == OpType::Ok)
        .map(|op| &op.value)
        .collect();

    // id -> (count, the id itself)
    let mut counts: KeyMap<(i64, &Edn)> = KeyMap::default();
    for id in &ids {
        counts.entry(key(id)).or_insert((0, id)).0 += 1;
    }
    let mut duplicated: Vec<(i64, &Edn)> = counts.into_values().filter(|(n, _)| *n > 1).collect();
    let duplicated_count = duplicated.len();
    sort_by_id(&mut duplicated, |(_, id)| id)
        .map_err(|e| format!("duplicated ids must be mutually comparable to sort them: {e}"))?;
    // Jepsen: sort by count, reverse, take 48, back into a map sorted by id.
    duplicated.sort_by_key(|(n, _)| *n);
    duplicated.reverse();
    duplicated.truncate(MAX_LISTED);
    sort_by_id(&mut duplicated, |(_, id)| id)
        .map_err(|e| format!("duplicated ids must be mutually comparable to sort them: {e}"))?;

    let range = match ids.split_first() {
        None => Edn::Vector(vec![Edn::Nil, Edn::Nil].into()),
        Some((first, rest)) => {
            let (mut low, mut high) = (*first, *first);
            let incomparable =
                |e| format!("ids must be mutually comparable to compute their range: {e}");
            for id in rest {
                if compare(id, low).map_err(incomparable)? == Ordering::Less {
                    low = id;
                }
                if compare(id, high).map_err(incomparable)? == Ordering::Greater {
                    high = id;
                }
            }
            Edn::Vector(vec![low.clone(), high.clone()].into())
        }
    };

    Ok(Edn::map([
        ("valid?", Edn::Bool(duplicated_count == 0)),
        ("attempted-count", Edn::Int(attempted as i64)),
        ("acknowledged-count", Edn::Int(ids.len() as i64)),
        ("duplicated-count", Edn::Int(duplicated_count as i64)),
        (
            "duplicated",
            Edn::Map(
                duplicated
                    .iter()
                    .map(|(n, id)| ((*id).clone(), Edn::Int(*n)))
                    .collect(),
            ),
        ),
        ("range", range),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::{edn, Builder};

    /// A history of `generate` ops returning `ids` (one failed attempt added at the end).
    fn generated(ids: &[Edn]) -> History {
        let mut b = Builder::new();
        for (i, id) in ids.iter().enumerate() {
            let p = (i % 3) as u64;
            b.invoke(i as u64, p, "generate", Edn::Nil)
                .ok(i as u64, p, "generate", id.clone());
        }
        b.invoke(99, 0, "generate", Edn::Nil)
            .info(100, 0, "generate", Edn::Nil);
        b.build()
    }

    /// Distinct ids: valid, counts and range.
    #[test]
    fn distinct_ids_are_valid() {
        let ids: Vec<Edn> = [5, -2, 9].iter().map(|i| Edn::Int(*i)).collect();
        assert_eq!(
            check(&generated(&ids)),
            edn(
                "{:valid? true, :attempted-count 4, :acknowledged-count 3, :duplicated-count 0,
                  :duplicated {}, :range [-2 9]}"
            )
        );
    }

    /// Duplicates are counted and listed sorted by id; string ids work too.
    #[test]
    fn duplicates_are_reported() {
        let ids: Vec<Edn> = ["n1-2", "n0-1", "n1-2", "n0-1", "n0-1", "n2-0"]
            .iter()
            .map(|s| Edn::str(s))
            .collect();
        assert_eq!(
            check(&generated(&ids)),
            edn(
                r#"{:valid? false, :attempted-count 7, :acknowledged-count 6, :duplicated-count 2,
                   :duplicated {"n0-1" 3, "n1-2" 2}, :range ["n0-1" "n2-0"]}"#
            )
        );
    }

    /// At most the 48 most frequent duplicates are listed; the count covers all of them.
    #[test]
    fn at_most_48_duplicates_listed() {
        let mut ids = Vec::new();
        for i in 0..50 {
            ids.push(Edn::Int(i));
            ids.push(Edn::Int(i));
        }
        ids.push(Edn::Int(7)); // 7 is the most frequent: it must stay.
        let result = check(&generated(&ids));
        assert_eq!(result.get("duplicated-count"), Some(&Edn::Int(50)));
        let Some(Edn::Map(listed)) = result.get("duplicated") else {
            panic!("no :duplicated map");
        };
        assert_eq!(listed.len(), 48);
        assert!(listed.contains(&(Edn::Int(7), Edn::Int(3))));
    }

    /// 1 and 1.0 are different ids; mixing numbers and strings is an error, not a panic.
    #[test]
    fn incomparable_ids_make_the_result_unknown() {
        let result = check(&generated(&[Edn::Int(1), Edn::Float(1.0)]));
        assert_eq!(result.get("valid?"), Some(&Edn::Bool(true)));
        let result = check(&generated(&[Edn::Int(1), Edn::str("1")]));
        assert_eq!(result.get("valid?"), Some(&Edn::kw("unknown")));
        assert_eq!(
            result.get("error"),
            Some(&Edn::str(
                r#"ids must be mutually comparable to compute their range: "1" and 1 cannot be compared"#
            ))
        );
    }
}
