//! Values as checkers count and order them: a fast identity for hashing (`Key`) and Clojure's
//! `compare`, which Jepsen's checkers use to sort ids and elements.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::edn::{compact, Edn};

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

/// The identity of `value` for counting and for sets of values.
pub(crate) fn key(value: &Edn) -> Key {
    match value {
        Edn::Int(i) => Key::Int(*i),
        other => Key::Text(compact(other)),
    }
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
        (Int(_) | BigInt(_), Int(_) | BigInt(_)) => Some(compare_integers(a, b)),
        (
            Int(_) | BigInt(_) | Float(_) | Float32(_),
            Int(_) | BigInt(_) | Float(_) | Float32(_),
        ) => number(a).partial_cmp(&number(b)),
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

/// Exact order of two integers, either of which may be a `BigInt` (decimal text without
/// leading zeros): by sign, then by number of digits, then digit by digit.
fn compare_integers(a: &Edn, b: &Edn) -> Ordering {
    fn parts(value: &Edn) -> (bool, String) {
        let text = match value {
            Edn::Int(i) => i.to_string(),
            Edn::BigInt(digits) => digits.to_string(),
            _ => String::new(),
        };
        match text.strip_prefix('-') {
            Some(digits) => (true, digits.to_string()),
            None => (false, text),
        }
    }
    let ((a_negative, a_digits), (b_negative, b_digits)) = (parts(a), parts(b));
    let magnitude = a_digits
        .len()
        .cmp(&b_digits.len())
        .then_with(|| a_digits.cmp(&b_digits));
    match (a_negative, b_negative) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

fn number(value: &Edn) -> f64 {
    match value {
        Edn::Int(i) => *i as f64,
        Edn::BigInt(digits) => digits.parse().unwrap_or(f64::NAN),
        Edn::Float(x) => *x,
        Edn::Float32(x) => f64::from(*x),
        _ => f64::NAN,
    }
}
