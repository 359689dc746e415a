//! The run folder's budget (ours: Maelstrom keeps whatever a node sends, see the README's
//! deliberate differences): the most bytes what the nodes send may make the run's folder hold.
//!
//! Every byte a node's output puts in the folder is charged here as it arrives, to the node:
//! the values of its replies, which `history.edn` keeps whole (the checker's input), the
//! journal's events for its messages (`journal.jsonl`), and its stderr (`node-logs/<node>.log`).
//! What the services hold of the keys and values a node wrote is charged to it too
//! (`Service::held_bytes`): not in the folder, but in the runner's memory, whole.
//! The first charge past the limit calls the runner back once ([`Budget::on_pass`]), which
//! stops the test the way its time limit does; what was recorded until then is analysed, the
//! views are drawn from it, and the verdict is at best `:unknown`, with [`Passed::sentence`]
//! saying which nodes and how much. The views themselves keep bounded prefixes of values and
//! bodies, so they add a bounded amount on top.
//!
//! The default, [`DEFAULT_BYTES`] (1 GiB), is far above what an honest run of any workload
//! uses: the challenges' largest commands (broadcast-3d: 25 nodes, rate 100, 20 s; kafka-5c:
//! rate 1000, 20 s) use at most 80 MiB of it (79 and 74 MiB on 2026-12-07), as `jepsen.log`
//! says at the end of each run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

/// The default budget of a run's folder: 1 GiB (`--run-budget 1024`, in MiB).
pub const DEFAULT_BYTES: u64 = 1 << 30;

/// How many users [`Passed::sentence`] names, the largest first.
const NAMED: usize = 3;

/// What one node used of the budget for one kind of output (`"echo replies"`, `"messages"`,
/// `"stderr"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The node (or client) whose output it is.
    pub who: String,
    /// What it is: `"<f> replies"` (values kept in the history), `"messages"` (journal events),
    /// `"stderr"` (its log).
    pub what: String,
    /// Bytes charged in all.
    pub bytes: u64,
    /// How many charges (replies, events, lines).
    pub count: u64,
    /// The largest single charge.
    pub largest: u64,
}

/// The moment the budget was passed, and what had used it by then.
#[derive(Debug, Clone)]
pub struct Passed {
    pub at: Instant,
    /// The limit, bytes.
    pub limit: u64,
    /// Who and what made the charge that passed it.
    pub who: String,
    pub what: String,
    /// Every user's usage until then, the largest first.
    pub usage: Vec<Usage>,
}

/// A run's budget, shared by everything that charges it (safe from any thread).
pub struct Budget {
    limit: u64,
    used: AtomicU64,
    over: AtomicBool,
    /// Per node: its usage per kind of output (a short list, scanned).
    users: Mutex<HashMap<String, Vec<Usage>>>,
    passed: Mutex<Option<Passed>>,
    on_pass: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Budget {
    /// A budget of `limit` bytes, nothing used.
    pub fn new(limit: u64) -> Budget {
        Budget {
            limit,
            used: AtomicU64::new(0),
            over: AtomicBool::new(false),
            users: Mutex::new(HashMap::new()),
            passed: Mutex::new(None),
            on_pass: Mutex::new(None),
        }
    }

    /// The limit, bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes charged so far.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Sets what to do when the budget is first passed (stop the test).
    pub fn on_pass(&self, action: Box<dyn FnOnce() + Send>) {
        *self.on_pass.lock() = Some(action);
    }

    /// Charges `bytes` of `who`'s output of kind `what`. Returns false once the budget is
    /// passed (by this charge or an earlier one): the caller may then keep less. The first
    /// charge past the limit records [`Passed`] and runs the `on_pass` action.
    pub fn charge(&self, who: &str, what: &str, bytes: u64) -> bool {
        {
            let mut users = self.users.lock();
            let kinds = match users.get_mut(who) {
                Some(kinds) => kinds,
                None => users.entry(who.to_string()).or_default(),
            };
            let usage = match kinds.iter().position(|u| u.what == what) {
                Some(i) => &mut kinds[i],
                None => {
                    kinds.push(Usage {
                        who: who.to_string(),
                        what: what.to_string(),
                        bytes: 0,
                        count: 0,
                        largest: 0,
                    });
                    kinds.last_mut().expect("just pushed")
                }
            };
            usage.bytes += bytes;
            usage.count += 1;
            usage.largest = usage.largest.max(bytes);
        }
        let used = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used <= self.limit {
            return !self.over.load(Ordering::Relaxed);
        }
        if self.over.swap(true, Ordering::Relaxed) {
            return false;
        }
        let mut usage: Vec<Usage> = self.users.lock().values().flatten().cloned().collect();
        usage.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.who.cmp(&b.who)));
        *self.passed.lock() = Some(Passed {
            at: Instant::now(),
            limit: self.limit,
            who: who.to_string(),
            what: what.to_string(),
            usage,
        });
        if let Some(action) = self.on_pass.lock().take() {
            action();
        }
        false
    }

    /// True once the budget was passed.
    pub fn is_passed(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }

    /// When and by whom the budget was passed, if it was.
    pub fn passed(&self) -> Option<Passed> {
        self.passed.lock().clone()
    }
}

impl Passed {
    /// One sentence for the reader, `at_secs` being when the budget was passed on the
    /// history's clock: `n0's echo replies passed the run folder's budget of 1 GiB at 7.3 s
    /// (n0: 340 echo replies of up to 3.0 MiB, 1.0 GiB in all); the test stopped there`.
    pub fn sentence(&self, at_secs: f64) -> String {
        // The users that matter: at least a tenth of the largest one, at most NAMED of them.
        let largest = self.usage.first().map_or(0, |u| u.bytes);
        let shown = self
            .usage
            .iter()
            .take(NAMED)
            .take_while(|u| u.bytes >= largest / 10)
            .count();
        let named: Vec<String> = self
            .usage
            .iter()
            .take(shown)
            .map(|u| match u.count {
                1 => format!("{}: {} of {}", u.who, u.what, bytes_text(u.bytes)),
                // Stderr is charged a line at a time: "1024 lines of stderr".
                n if u.what == "stderr" => format!(
                    "{}: {n} lines of stderr of up to {}, {} in all",
                    u.who,
                    bytes_text(u.largest),
                    bytes_text(u.bytes)
                ),
                n => format!(
                    "{}: {n} {} of up to {}, {} in all",
                    u.who,
                    u.what,
                    bytes_text(u.largest),
                    bytes_text(u.bytes)
                ),
            })
            .collect();
        let more = match self.usage.len() - shown {
            0 => String::new(),
            n => format!("; {n} smaller"),
        };
        format!(
            "{}'s {} passed the run folder's budget of {} at {at_secs:.1} s ({}{more}); the \
             test stopped there, and what was recorded until then was analysed",
            self.who,
            self.what,
            bytes_text(self.limit),
            named.join("; ")
        )
    }
}

/// `900 bytes`, `12.5 KiB`, `3.0 MiB`, `1 GiB`: a size for a reader, in binary units, with
/// one decimal below 10 of a unit and none when it is whole.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Charges within the limit are accepted; the first past it records who passed it and
    /// calls the action once; later charges are refused and counted.
    #[test]
    fn passing_the_limit_is_recorded_once() {
        let budget = Budget::new(1000);
        let calls = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&calls);
        budget.on_pass(Box::new(move || {
            seen.fetch_add(1, Ordering::Relaxed);
        }));
        assert!(budget.charge("n1", "messages", 400));
        assert!(budget.charge("n2", "read replies", 600));
        assert!(!budget.is_passed(), "exactly the limit is within it");
        assert!(!budget.charge("n2", "read replies", 1));
        assert!(!budget.charge("n1", "stderr", 5000));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert_eq!(budget.used(), 6001);
        let passed = budget.passed().expect("passed");
        assert_eq!(
            (passed.who.as_str(), passed.what.as_str()),
            ("n2", "read replies")
        );
        assert_eq!(passed.usage[0].bytes, 601);
        assert_eq!(passed.usage[0].count, 2);
        assert_eq!(passed.usage[0].largest, 600);
        assert_eq!(passed.usage.len(), 2, "what came after is not in it");
    }

    /// The sentence names who passed the budget, when, the largest users and how much each
    /// used, and says the test stopped there.
    #[test]
    fn the_sentence_names_nodes_and_sizes() {
        let budget = Budget::new(10 << 20);
        budget.charge("n1", "stderr", 1 << 20);
        budget.charge("n1", "stderr", 1 << 20);
        budget.charge("c1", "messages", 200);
        for _ in 0..3 {
            budget.charge("n0", "echo replies", 3 << 20);
        }
        let passed = budget.passed().expect("passed");
        assert_eq!(
            passed.sentence(1.3),
            "n0's echo replies passed the run folder's budget of 10 MiB at 1.3 s (n0: 3 echo \
             replies of up to 3 MiB, 9 MiB in all; n1: 2 lines of stderr of up to 1 MiB, 2 MiB \
             in all; 1 smaller); the test \
             stopped there, and what was recorded until then was analysed"
        );
    }

    /// Sizes read in binary units with at most one decimal.
    #[test]
    fn sizes_for_readers() {
        assert_eq!(bytes_text(900), "900 bytes");
        assert_eq!(bytes_text(1536), "1.5 KiB");
        assert_eq!(bytes_text(3 << 20), "3 MiB");
        assert_eq!(bytes_text(DEFAULT_BYTES), "1 GiB");
        assert_eq!(bytes_text((3 << 20) + (1 << 19)), "3.5 MiB");
    }
}
