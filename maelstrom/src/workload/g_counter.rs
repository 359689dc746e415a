//! The g-counter workload (Maelstrom's `src/maelstrom/workload/g_counter.clj`): a
//! grow-only counter. Maelstrom builds it from pn-counter by filtering negative adds out of the
//! generator; requests, client, final reads and checker are pn-counter's (`pn_counter.rs`).
//!
//! The filter asks the mix again after dropping an add, so reads are about 2/3 of the ops and
//! adds about 1/3, with deltas uniform in 0..=4 (zero included).

use super::pn_counter::Counter;
use super::Workload;
use crate::options::TestOptions;

/// The registry's constructor.
pub fn build(_opts: &TestOptions) -> Box<dyn Workload> {
    Box::new(Counter::grow_only())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// Reads are 2/3 of the ops; adds never go below zero and spread evenly over 0..=4.
    #[test]
    fn generator_drops_negative_adds() {
        let w = build(&TestOptions::default());
        assert_eq!(w.name(), "g-counter");
        let mut rng = StdRng::seed_from_u64(2);
        let mut reads = 0;
        let mut deltas = [0u32; 5];
        for _ in 0..30_000 {
            match w.next_op(0, &mut rng) {
                (f, Edn::Nil) if f == "read" => reads += 1,
                (f, Edn::Int(d)) if f == "add" && (0..=4).contains(&d) => deltas[d as usize] += 1,
                other => panic!("unexpected op {other:?}"),
            }
        }
        // 20,000 ± 82 reads; each delta 2,000 ± 42.
        assert!((19_600..=20_400).contains(&reads), "{reads} reads");
        assert!(
            deltas.iter().all(|&n| (1_800..=2_200).contains(&n)),
            "{deltas:?}"
        );
    }
}
