//! The `:availability` checker (spec 9.3): the fraction of invocations that completed `:ok`,
//! judged against `--availability` when given.

use crate::edn::Edn;
use crate::history::{History, OpType};
use crate::options::Availability;

/// `{:valid? .., :ok-fraction f}` where f = float32(oks / invokes), or integer `1` when nothing
/// was invoked. Valid unless `--availability total` and f < 1, or `--availability a` and f < a.
pub fn check(availability: Option<Availability>, history: &History) -> Edn {
    let oks = history.iter().filter(|op| op.op_type == OpType::Ok).count();
    let invokes = history
        .iter()
        .filter(|op| op.op_type == OpType::Invoke)
        .count();
    // Maelstrom computes a Java float; compare with the float widened, as Clojure does.
    let fraction = if invokes == 0 {
        1.0
    } else {
        (oks as f64 / invokes as f64) as f32
    };
    let valid = match availability {
        None => true,
        Some(Availability::Total) => fraction == 1.0,
        Some(Availability::AtLeast(a)) => a <= f64::from(fraction),
    };
    let fraction_edn = if invokes == 0 {
        Edn::Int(1)
    } else {
        Edn::Float32(fraction)
    };
    Edn::map([("valid?", Edn::Bool(valid)), ("ok-fraction", fraction_edn)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::test_support::Builder;
    use crate::edn::compact;

    /// 2 oks out of 3 invocations (nemesis ops ignored).
    fn two_of_three() -> History {
        let mut b = Builder::new();
        b.invoke(0, 0, "generate", Edn::Nil)
            .ok(1, 0, "generate", Edn::Int(1))
            .nemesis(1, "start-partition")
            .invoke(2, 0, "generate", Edn::Nil)
            .ok(3, 0, "generate", Edn::Int(2))
            .invoke(4, 0, "generate", Edn::Nil)
            .info(5, 0, "generate", Edn::Nil);
        b.build()
    }

    /// Without --availability any fraction is valid; the fraction is a float32.
    #[test]
    fn no_target_is_always_valid() {
        assert_eq!(
            compact(&check(None, &two_of_three())),
            "{:valid? true, :ok-fraction 0.6666667}"
        );
        assert_eq!(
            check(None, &two_of_three()).get("ok-fraction"),
            Some(&Edn::Float32(2.0 / 3.0))
        );
    }

    /// `total` demands every invocation ok; a number is a lower bound.
    #[test]
    fn total_and_number_targets() {
        let h = two_of_three();
        let valid = |a| check(Some(a), &h).get("valid?").cloned();
        assert_eq!(valid(Availability::Total), Some(Edn::Bool(false)));
        assert_eq!(valid(Availability::AtLeast(0.6)), Some(Edn::Bool(true)));
        assert_eq!(valid(Availability::AtLeast(0.67)), Some(Edn::Bool(false)));
        let mut b = Builder::new();
        b.invoke(0, 0, "generate", Edn::Nil)
            .ok(1, 0, "generate", Edn::Int(1));
        assert_eq!(
            compact(&check(Some(Availability::Total), &b.build())),
            "{:valid? true, :ok-fraction 1.0}"
        );
    }

    /// With no invocations the fraction is the integer 1 and `total` holds.
    #[test]
    fn no_invocations_is_integer_one() {
        assert_eq!(
            check(Some(Availability::Total), &vec![]),
            Edn::map([("valid?", Edn::Bool(true)), ("ok-fraction", Edn::Int(1))])
        );
    }
}
