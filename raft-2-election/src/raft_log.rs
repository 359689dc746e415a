//! The Raft log: the entries a leader hands to its followers, each with the
//! term it was made in; the chapter's `Log` class
//! (`doc/06-raft/02-leader-election.md`).
//!
//! As in the chapter, indices start at 1 and every log starts with one entry
//! of term 0 and no operation. Every log holds that entry at index 1, so
//! there is always a previous entry to compare and a last entry to vote on.
//! Not thread-safe: the server's lock guards it.

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

    /// Entry `i`, counting from 1; `None` past the end, and for 0.
    ///
    /// Ruby's `@entries[i - 1]` reads index 0 as `@entries[-1]`, the last
    /// entry; here there is no entry 0.
    #[allow(dead_code)] // The chapter writes it in this step; step 3 uses it.
    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i.checked_sub(1)?)
    }

    /// Appends `entries` at the end.
    #[allow(dead_code)] // The chapter writes it in this step; step 3 uses it.
    pub fn append(&mut self, entries: Vec<Entry>) {
        self.entries.extend(entries);
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
}
