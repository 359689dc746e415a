//! The timers: tasks that run every so often on a thread of their own (the
//! chapter's `@node.every`), and the randomness that keeps the nodes'
//! elections apart (the chapter's `rand`).
//!
//! A timer is a plain thread that sleeps and runs its task, for as long as
//! the process lives; the task takes the server's lock itself, as a
//! handler does.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Runs `task` every `period` on a thread of its own, from one `period`
/// after this call until the process ends.
pub fn every(period: Duration, mut task: impl FnMut() + Send + 'static) {
    thread::spawn(move || loop {
        thread::sleep(period);
        task();
    });
}

/// A random number from 0 (included) to 1 (excluded), like Ruby's `rand`.
///
/// The standard library has no random numbers, and the parts use no crate
/// beyond their five; but its `RandomState` hashes with keys drawn from the
/// operating system once per thread and changed for every new one, so
/// hashing the clock with a fresh one gives numbers that differ from call
/// to call and from node to node, which is all an election timeout needs.
pub fn rand() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    // The top 53 bits, as many as an f64 holds exactly.
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Random numbers stay in [0, 1) and are not all the same.
    #[test]
    fn rand_is_a_fraction_that_varies() {
        let draws: Vec<f64> = (0..1000).map(|_| rand()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let low = draws.iter().filter(|&&x| x < 0.5).count();
        assert!((300..700).contains(&low), "{low} of 1000 below 0.5");
    }

    /// A timer runs its task again and again.
    #[test]
    fn every_repeats_its_task() {
        let (ticks, ticked) = mpsc::channel();
        every(Duration::from_millis(5), move || {
            let _ = ticks.send(());
        });
        for _ in 0..3 {
            assert!(ticked.recv_timeout(Duration::from_secs(10)).is_ok());
        }
    }
}
