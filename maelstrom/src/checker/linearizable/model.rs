//! The model: Knossos's compare-and-set register (`knossos.model/cas-register` in
//! `src/knossos/model.clj`), over values interned to small integers.
//!
//! As Porcupine separates its `Model` (init, step, equal, describe) from the search, this file
//! knows nothing of histories or of the search: a state, an operation, the state after it or why
//! it cannot happen. The register starts at `nil` (a key nobody wrote yet); a read of `nil` passes
//! in any state, as in Knossos (a read invocation carries `nil` and Knossos does not tell it from
//! a completed read of nothing).

use crate::edn::{compact, Edn};

/// A register value, interned by [`Values`]; [`NIL`] is the absent key.
pub type Value = u32;

/// The register's initial value: the key does not exist yet.
pub const NIL: Value = 0;

/// One operation on the register, as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A read that returned this value.
    Read(Value),
    /// A blind write.
    Write(Value),
    /// Compare-and-set: from, to.
    Cas(Value, Value),
}

/// The state after `kind` in `state`, or `None` when it cannot happen there (Knossos's
/// `inconsistent`).
pub fn step(state: Value, kind: Kind) -> Option<Value> {
    match kind {
        Kind::Read(v) if v == NIL || v == state => Some(state),
        Kind::Read(_) => None,
        Kind::Write(v) => Some(v),
        Kind::Cas(from, to) if from == state => Some(to),
        Kind::Cas(..) => None,
    }
}

/// Whether the operation changes nothing whatever the state (reads), so that a search may drop
/// it when it need not be linearized (a crashed one).
pub fn is_read(kind: Kind) -> bool {
    matches!(kind, Kind::Read(_))
}

/// The values a history uses, each once; index 0 is `nil`.
#[derive(Debug, Clone)]
pub struct Values {
    list: Vec<Edn>,
}

impl Default for Values {
    fn default() -> Self {
        Values {
            list: vec![Edn::Nil],
        }
    }
}

impl Values {
    /// The id of `value`, adding it if new. A key sees a handful of values (0-4 in lin-kv), so
    /// a linear scan beats hashing.
    pub fn intern(&mut self, value: &Edn) -> Value {
        if let Some(i) = self.list.iter().position(|v| v == value) {
            return i as Value;
        }
        self.list.push(value.clone());
        (self.list.len() - 1) as Value
    }

    /// The EDN value behind an id.
    pub fn edn(&self, value: Value) -> &Edn {
        self.list.get(value as usize).unwrap_or(&Edn::Nil)
    }

    /// The value as Clojure prints it (`3`, `nil`, `"a"`).
    pub fn show(&self, value: Value) -> String {
        compact(self.edn(value))
    }

    /// The model's state as Knossos prints a register: `{:value 3}`.
    pub fn state_edn(&self, state: Value) -> Edn {
        Edn::map([("value", self.edn(state).clone())])
    }

    /// Knossos's `inconsistent` message for `kind` in `state` ("can't read 3 from register 0",
    /// "can't CAS 0 from 1 to 2"); `None` if the operation is possible there.
    pub fn why_not(&self, state: Value, kind: Kind) -> Option<String> {
        if step(state, kind).is_some() {
            return None;
        }
        let s = self.show(state);
        Some(match kind {
            Kind::Read(v) => format!("can't read {} from register {s}", self.show(v)),
            Kind::Cas(from, to) => {
                format!(
                    "can't CAS {s} from {} to {}",
                    self.show(from),
                    self.show(to)
                )
            }
            Kind::Write(_) => return None,
        })
    }

    /// The operation in words: `read 3`, `write 3`, `cas 1 -> 3`.
    pub fn describe(&self, kind: Kind) -> String {
        match kind {
            Kind::Read(v) => format!("read {}", self.show(v)),
            Kind::Write(v) => format!("write {}", self.show(v)),
            Kind::Cas(from, to) => format!("cas {} -> {}", self.show(from), self.show(to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads, writes and cas follow Knossos's cas-register, including nil reads passing anywhere.
    #[test]
    fn steps_follow_the_cas_register() {
        assert_eq!(step(NIL, Kind::Read(NIL)), Some(NIL));
        assert_eq!(step(3, Kind::Read(NIL)), Some(3));
        assert_eq!(step(3, Kind::Read(3)), Some(3));
        assert_eq!(step(3, Kind::Read(2)), None);
        assert_eq!(step(NIL, Kind::Write(2)), Some(2));
        assert_eq!(step(2, Kind::Cas(2, 4)), Some(4));
        assert_eq!(step(NIL, Kind::Cas(2, 4)), None);
        assert_eq!(step(1, Kind::Cas(2, 4)), None);
    }

    /// Interning gives nil id 0 and reuses ids; messages read like Knossos's.
    #[test]
    fn values_intern_and_explain() {
        let mut values = Values::default();
        assert_eq!(values.intern(&Edn::Nil), NIL);
        let three = values.intern(&Edn::Int(3));
        let zero = values.intern(&Edn::Int(0));
        assert_eq!(values.intern(&Edn::Int(3)), three);
        assert_eq!(
            values.why_not(zero, Kind::Read(three)).as_deref(),
            Some("can't read 3 from register 0")
        );
        assert_eq!(
            values.why_not(NIL, Kind::Cas(zero, three)).as_deref(),
            Some("can't CAS nil from 0 to 3")
        );
        assert_eq!(values.why_not(zero, Kind::Write(three)), None);
        assert_eq!(values.describe(Kind::Cas(zero, three)), "cas 0 -> 3");
    }
}
