//! Stable storage: the term, the vote and the log, in one file in the node's
//! working directory, which outlives the process (the runner's `--nemesis
//! kill` starts a fresh process in the same directory).
//!
//! Each save writes the whole state to a temporary file, flushes it to the
//! disk (`fsync`), renames it over the old file and flushes the directory,
//! so that a crash at any moment leaves either the old state or the new one,
//! whole: a rename within a directory is atomic, and the flushes keep the
//! operating system from reordering the data after the rename.
//!
//! Rewriting the whole log every time costs time that grows with the log; a
//! production log appends entries to a file instead, and rewrites only on
//! the rare truncation. For the few thousand entries of a test the whole
//! file takes a few milliseconds, and it keeps the crash reasoning to the
//! three lines above.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::raft_log::Entry;

/// The file's name, in the working directory.
pub const STATE_FILE: &str = "raft-state.json";

/// What Raft must not forget (the paper's figure 2, "persistent state on
/// all servers"), as it is written.
#[derive(Debug, Serialize)]
pub struct Persistent<'a> {
    pub term: u64,
    pub voted_for: Option<&'a str>,
    /// Every entry from index 1.
    pub log: &'a [Entry],
}

/// The same, as it is read back.
#[derive(Debug, PartialEq, Deserialize)]
pub struct Loaded {
    pub term: u64,
    pub voted_for: Option<String>,
    pub log: Vec<Entry>,
}

/// The state file of one node.
pub struct Storage {
    /// `raft-state.json` in the node's directory.
    path: PathBuf,
    /// The temporary file a save writes first.
    temp: PathBuf,
    /// The directory, flushed after a rename.
    dir: PathBuf,
}

impl Storage {
    /// The storage in `dir` (the working directory for a node).
    pub fn new(dir: &Path) -> Storage {
        Storage {
            path: dir.join(STATE_FILE),
            temp: dir.join(format!("{STATE_FILE}.tmp")),
            dir: dir.to_path_buf(),
        }
    }

    /// The state saved last, or `None` if nothing was ever saved here.
    ///
    /// An unreadable or malformed file is an error naming it: starting from
    /// nothing instead could cast a second vote in a term or drop entries a
    /// majority was counted on, so the node must not start.
    pub fn load(&self) -> Result<Option<Loaded>, String> {
        let text = match fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", self.path.display())),
        };
        let loaded: Loaded = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is not a saved Raft state: {e}", self.path.display()))?;
        if loaded.log.first().map(|e| e.term) != Some(0) {
            return Err(format!(
                "{}: the log does not start with the entry of term 0",
                self.path.display()
            ));
        }
        Ok(Some(loaded))
    }

    /// Saves `state` durably: written, flushed and renamed into place.
    pub fn save(&self, state: &Persistent) -> io::Result<()> {
        let mut file = File::create(&self.temp)?;
        let text = serde_json::to_vec(state).map_err(io::Error::other)?;
        file.write_all(&text)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temp, &self.path)?;
        File::open(&self.dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty directory for one test.
    fn dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("raft-5-storage-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Nothing saved reads as nothing; what is saved reads back the same,
    /// and a second save replaces the first whole.
    #[test]
    fn saved_state_reads_back() {
        let dir = dir("roundtrip");
        let storage = Storage::new(&dir);
        assert_eq!(storage.load(), Ok(None));
        let log = [Entry { term: 0, op: None }, Entry { term: 3, op: None }];
        let state = Persistent {
            term: 4,
            voted_for: Some("n2"),
            log: &log,
        };
        storage.save(&state).unwrap();
        let loaded = storage.load().unwrap().unwrap();
        assert_eq!((loaded.term, loaded.voted_for.as_deref()), (4, Some("n2")));
        assert_eq!(loaded.log, log);
        storage
            .save(&Persistent {
                term: 5,
                voted_for: None,
                log: &log[..1],
            })
            .unwrap();
        let loaded = storage.load().unwrap().unwrap();
        assert_eq!(
            (loaded.term, loaded.voted_for, loaded.log.len()),
            (5, None, 1)
        );
        assert!(!dir.join(format!("{STATE_FILE}.tmp")).exists());
        let _ = fs::remove_dir_all(&dir);
    }

    /// A file that is not a saved state stops the node with an error naming
    /// the file, rather than starting it from nothing.
    #[test]
    fn a_broken_file_is_an_error() {
        let dir = dir("broken");
        fs::write(dir.join(STATE_FILE), b"{\"term\": 3, \"vot").unwrap();
        let error = Storage::new(&dir).load().unwrap_err();
        assert!(error.contains(STATE_FILE), "{error}");
        fs::write(
            dir.join(STATE_FILE),
            br#"{"term":1,"voted_for":null,"log":[]}"#,
        )
        .unwrap();
        let error = Storage::new(&dir).load().unwrap_err();
        assert!(error.contains("term 0"), "{error}");
        let _ = fs::remove_dir_all(&dir);
    }

    /// A save interrupted before its rename (a temporary file left behind)
    /// leaves the last whole state in place.
    #[test]
    fn an_interrupted_save_leaves_the_last_state() {
        let dir = dir("interrupted");
        let storage = Storage::new(&dir);
        let log = [Entry { term: 0, op: None }];
        let state = Persistent {
            term: 2,
            voted_for: None,
            log: &log,
        };
        storage.save(&state).unwrap();
        fs::write(dir.join(format!("{STATE_FILE}.tmp")), b"{\"term\": 9").unwrap();
        assert_eq!(storage.load().unwrap().unwrap().term, 2);
        let _ = fs::remove_dir_all(&dir);
    }
}
