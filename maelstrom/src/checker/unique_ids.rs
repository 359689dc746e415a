//! The unique-ids workload's checker (spec 7.3, Jepsen's `unique-ids`): every id a node returned
//! must be distinct. Ids can be any JSON value, but must be mutually comparable (to report their
//! range); a mix such as numbers and strings makes the checker answer `:unknown` with an error.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::checker::unknown;
use crate::edn::{compact, Edn};
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

/// An id's identity for counting: integers directly (the common case, fast), anything else by
/// its printed EDN, which tells apart `1`, `1.0` and `"1"` as Clojure's `=` does.
#[derive(PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Int(i64),
    Text(String),
}

/// A map keyed by ids, hashed with `KeyHasher`.
pub(crate) type KeyMap<V> = HashMap<Key, V, BuildHasherDefault<KeyHasher>>;

/// A multiply-rotate hasher (as in rustc's FxHash): ids are not attacker-chosen keys, and
/// hashing millions of read elements with the default SipHash dominated set-full's run time.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub(crate) fn key(value: &Edn) -> Key {
    match value {
        Edn::Int(i) => Key::Int(*i),
        other => Key::Text(compact(other)),
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
        None => Edn::Vector(vec![Edn::Nil, Edn::Nil]),
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
            Edn::Vector(vec![low.clone(), high.clone()])
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

/// Sorts `items` by the id `id_of` picks out, failing on ids that cannot be compared.
pub(crate) fn sort_by_id<T>(items: &mut [T], id_of: impl Fn(&T) -> &Edn) -> Result<(), String> {
    let mut error = None;
    items.sort_by(|a, b| {
        compare(id_of(a), id_of(b)).unwrap_or_else(|e| {
            error.get_or_insert(e);
            Ordering::Equal
        })
    });
    error.map_or(Ok(()), Err)
}

/// Clojure's `compare` on the values JSON can produce: nil before anything, numbers by value,
/// strings by UTF-16 units, booleans, keywords by name, vectors by length then element by
/// element. Anything else (maps, or values of different kinds) is an error, as in Clojure.
pub fn compare(a: &Edn, b: &Edn) -> Result<Ordering, String> {
    use Edn::*;
    let ordering = match (a, b) {
        (Nil, Nil) => Some(Ordering::Equal),
        (Nil, _) => Some(Ordering::Less),
        (_, Nil) => Some(Ordering::Greater),
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Int(_) | Float(_) | Float32(_), Int(_) | Float(_) | Float32(_)) => {
            number(a).partial_cmp(&number(b))
        }
        (Str(x), Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Keyword(x), Keyword(y)) => Some(x.cmp(y)),
        (Vector(xs), Vector(ys)) => match xs.len().cmp(&ys.len()) {
            Ordering::Equal => {
                for (x, y) in xs.iter().zip(ys) {
                    let o = compare(x, y)?;
                    if o != Ordering::Equal {
                        return Ok(o);
                    }
                }
                Some(Ordering::Equal)
            }
            other => Some(other),
        },
        _ => None,
    };
    ordering.ok_or_else(|| format!("{} and {} cannot be compared", compact(a), compact(b)))
}

fn number(value: &Edn) -> f64 {
    match value {
        Edn::Int(i) => *i as f64,
        Edn::Float(x) => *x,
        Edn::Float32(x) => f64::from(*x),
        _ => f64::NAN,
    }
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
