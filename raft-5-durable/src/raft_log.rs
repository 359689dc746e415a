//! The Raft log: the entries a leader hands to its followers, each with the
//! term it was made in; the chapter's `Log` class
//! (`doc/06-raft/02-leader-election.md`).
//!
//! As in the chapter, indices start at 1 and every log starts with one entry
//! of term 0 and no operation. Every log holds that entry at index 1, so
//! there is always a previous entry to compare and a last entry to vote on.
//! Not thread-safe: the server's lock guards it.
//!
//! Where ours differs from the chapter's code, on purpose: a follower does
//! not cut its log back to the leader's previous index whatever follows it
//! (the chapter's `truncate!` then `append!`). It keeps every entry that
//! agrees with the leader's and removes entries only from the first one
//! that disagrees, as the paper's AppendEntries rule 3 says
//! ([`Log::append_after`]). A leader sends the same entries again every
//! 50 ms until they are acknowledged, and the network may deliver an older,
//! shorter `append_entries` after a newer one: cutting back to it would
//! drop entries the follower has already acknowledged, which the leader
//! counts as stored there.

use common::Message;
use serde::{Deserialize, Serialize};

/// One entry: a term, and the client's request (none for the first entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that appended it.
    pub term: u64,
    /// The client's request, as it arrived.
    pub op: Option<Message>,
}

/// The log.
#[derive(Debug)]
pub struct Log {
    /// Entry `i` is at `entries[i - 1]`; never empty.
    entries: Vec<Entry>,
}

impl Log {
    /// A log holding the first entry: term 0, no operation.
    pub fn new() -> Log {
        Log {
            entries: vec![Entry { term: 0, op: None }],
        }
    }

    /// A log of `entries`, read back from stable storage; the caller has
    /// checked that the first is the entry of term 0.
    pub fn from_entries(entries: Vec<Entry>) -> Log {
        Log { entries }
    }

    /// Entry `i`, counting from 1; `None` past the end, and for 0.
    ///
    /// Ruby's `@entries[i - 1]` reads index 0 as `@entries[-1]`, the last
    /// entry; here there is no entry 0.
    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i.checked_sub(1)?)
    }

    /// Appends `entries` at the end.
    pub fn append(&mut self, entries: Vec<Entry>) {
        self.entries.extend(entries);
    }

    /// Every entry from index `i` to the end (none if `i` is past the end).
    ///
    /// # Panics
    /// If `i` is 0: there is no entry 0, and a leader that asks for one
    /// has lost track of a follower (the chapter raises `IndexError`).
    #[allow(clippy::wrong_self_convention)] // The chapter's name for it.
    pub fn from_index(&self, i: usize) -> &[Entry] {
        assert!(i > 0, "illegal index {i}: the log starts at 1");
        self.entries.get(i - 1..).unwrap_or_default()
    }

    /// Puts the leader's `entries` at indices `prev_log_index + 1` on, once
    /// the entry at `prev_log_index` is known to match the leader's;
    /// returns the index of the last of them.
    ///
    /// An entry already here with the same index and term is the same entry
    /// (the paper's Log Matching property), so it stays, and so does
    /// everything after it; the first one with another term goes, with
    /// everything after it, and the leader's entries from there on take its
    /// place.
    pub fn append_after(&mut self, prev_log_index: usize, entries: Vec<Entry>) -> usize {
        let last_new = prev_log_index + entries.len();
        for (index, entry) in (prev_log_index + 1..).zip(entries) {
            match self.get(index) {
                Some(ours) if ours.term == entry.term => continue,
                Some(_) => self.truncate(index - 1),
                None => {}
            }
            self.entries.push(entry);
        }
        last_new
    }

    /// Where a leader should try again after we refused its entries after
    /// `prev_log_index` (the paper's section 5.3 suggests it): one past our
    /// last entry if we have no entry there, otherwise the first index of
    /// the term of our entry there, since none of our entries of that term
    /// can follow the leader's log if that one does not. At least 2.
    pub fn conflict_index(&self, prev_log_index: usize) -> usize {
        let Some(entry) = self.get(prev_log_index) else {
            return self.size() + 1;
        };
        let mut first = prev_log_index;
        while first > 2 && self.get(first - 1).is_some_and(|e| e.term == entry.term) {
            first -= 1;
        }
        first.max(2)
    }

    /// Keeps the first `len` entries (never fewer than the first one).
    fn truncate(&mut self, len: usize) {
        self.entries.truncate(len.max(1));
    }

    /// The last entry.
    pub fn last(&self) -> &Entry {
        // `new` puts one in, and nothing takes the first one out.
        &self.entries[self.entries.len() - 1]
    }

    /// How many entries, the first one included: the index of the last.
    pub fn size(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry of `term`, with no operation.
    fn entry(term: u64) -> Entry {
        Entry { term, op: None }
    }

    /// A new log has the one entry of term 0, at index 1, and nothing at 0 or 2.
    #[test]
    fn a_new_log_has_the_first_entry() {
        let log = Log::new();
        assert_eq!(log.size(), 1);
        assert_eq!(log.get(1), Some(&entry(0)));
        assert_eq!(log.last(), &entry(0));
        assert_eq!(log.get(0), None);
        assert_eq!(log.get(2), None);
    }

    /// Appended entries follow in order, and the last one is the newest.
    #[test]
    fn appends_go_at_the_end() {
        let mut log = Log::new();
        log.append(vec![entry(1), entry(2)]);
        assert_eq!(log.size(), 3);
        assert_eq!(log.get(2), Some(&entry(1)));
        assert_eq!(log.last(), &entry(2));
        assert_eq!(log.get(0), None, "index 0 is not the last entry");
    }

    /// A refusal points at one past our last entry when we lack the
    /// previous one, else at the first entry of the previous one's term.
    #[test]
    fn conflict_index_skips_a_whole_term() {
        let mut log = Log::new();
        log.append(vec![entry(1), entry(2), entry(2), entry(2), entry(4)]);
        assert_eq!(log.conflict_index(9), 7, "we have 6 entries");
        assert_eq!(log.conflict_index(6), 6, "term 4 starts at 6");
        assert_eq!(log.conflict_index(5), 3, "term 2 starts at 3");
        assert_eq!(log.conflict_index(3), 3);
        assert_eq!(log.conflict_index(2), 2);
        assert_eq!(log.conflict_index(1), 2, "never below 2");
    }

    /// The terms of every entry, in order.
    fn terms(log: &Log) -> Vec<u64> {
        log.from_index(1).iter().map(|e| e.term).collect()
    }

    /// `from_index` gives the entries from there on, and none past the end.
    #[test]
    fn from_index_slices_to_the_end() {
        let mut log = Log::new();
        log.append(vec![entry(1), entry(1)]);
        assert_eq!(log.from_index(2), &[entry(1), entry(1)]);
        assert_eq!(log.from_index(3), &[entry(1)]);
        assert!(log.from_index(4).is_empty());
        assert!(log.from_index(9).is_empty());
    }

    /// A shorter, older copy of the leader's entries arriving after a longer
    /// one removes nothing: with the chapter's `truncate!` the log would lose
    /// its last entry, which the follower had already acknowledged.
    #[test]
    fn a_stale_shorter_append_keeps_the_entries_that_agree() {
        let mut log = Log::new();
        assert_eq!(log.append_after(1, vec![entry(1), entry(1), entry(1)]), 4);
        assert_eq!(log.append_after(1, vec![entry(1)]), 2);
        assert_eq!(terms(&log), [0, 1, 1, 1]);
    }

    /// The first entry whose term differs from the leader's goes, with every
    /// entry after it, and the leader's entries take their place.
    #[test]
    fn a_conflicting_entry_and_its_followers_are_replaced() {
        let mut log = Log::new();
        log.append(vec![entry(1), entry(2), entry(2), entry(2)]);
        assert_eq!(log.append_after(2, vec![entry(2), entry(3)]), 4);
        assert_eq!(terms(&log), [0, 1, 2, 3]);
        assert_eq!(log.append_after(1, vec![entry(4)]), 2);
        assert_eq!(terms(&log), [0, 4]);
    }

    /// An empty append (a heartbeat) changes nothing.
    #[test]
    fn a_heartbeat_changes_nothing() {
        let mut log = Log::new();
        log.append(vec![entry(1), entry(1)]);
        assert_eq!(log.append_after(2, Vec::new()), 2);
        assert_eq!(terms(&log), [0, 1, 1]);
    }
}
