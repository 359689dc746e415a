//! The store directory: `store/<workload>/<timestamp>/` and its files (as Maelstrom's `jepsen.store` lays it out).
//!
//! Layout, relative to the runner's working directory, as Maelstrom writes it:
//!
//! ```text
//! store/
//!   current -> <workload>/<ts>     set when the test starts
//!   latest  -> <workload>/<ts>     set when the history is saved and again after analysis
//!   <workload>/
//!     latest -> <ts>
//!     <ts>/
//!       jepsen.log                 the run's log
//!       history.edn, history.txt   the history, one op per line (values in history.txt cut to
//!                                  TXT_VALUE_BYTES)
//!       results.edn                the results map (absent if the run never got to analysis)
//!       journal.jsonl              the network journal, one event per line (ours)
//!       node-logs/<node>.log       each node's stderr
//!       test.edn                   the test's options, and what the run observed (ours; `test_edn.rs`)
//! ```
//!
//! The links are relative, so a `store/` directory can be moved or archived whole, and each one
//! is replaced atomically (a new link renamed over the old), so a reader never sees it missing.
//! This file writes; `read.rs` lists the runs and reads their files back.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, FixedOffset, Local, Offset};
use parking_lot::Mutex;

use crate::edn::{self, Edn};
use crate::history::{exception_edn, saturate, History, Op, Process};
use crate::journal::Event;

pub mod files;
mod read;
mod test_edn;
pub use read::{interrupted_during, list_runs, read_history, read_journal, read_results, Run};
pub use test_edn::{read_test, write_test, TEST_FILE};

/// The most of an op's value (and of its error) a `history.txt` line shows, in bytes (ours:
/// `jepsen.store` prints it whole): 64 KiB, more than an honest run's largest read (a
/// 20 s broadcast run at rate 100 reads about 10 KB), so only a value a node made huge is cut,
/// saying how much was. `history.edn`, the checker's input, keeps every value whole.
pub const TXT_VALUE_BYTES: usize = 64 << 10;

/// One test's directory in the store.
pub struct Store {
    /// `store/` itself (where `current` and `latest` live).
    root: PathBuf,
    /// The workload name: the directory under `root` that holds this test.
    workload: String,
    /// The timestamp directory name (`jepsen.store`).
    name: String,
    /// `root/workload/name`.
    dir: PathBuf,
    /// `jepsen.log`, shared by every thread that logs.
    log: Mutex<File>,
    /// Set after the first failed log write, so a full disk is reported once, not per line.
    log_failed: AtomicBool,
    /// Whether `store/latest` and friends follow this run: a new run's store does; a folder
    /// opened again to be analysed (`Store::open`) does not, so nothing is written outside it.
    links: bool,
}

impl Store {
    /// Makes `root/<workload>/<timestamp>/` with `node-logs/` and `jepsen.log`, and points
    /// `root/current` at it. `root` is normally `store` under the working directory.
    pub fn create(root: &Path, workload: &str, start: DateTime<Local>) -> io::Result<Store> {
        let (name, dir) = new_run_dir(&root.join(workload), &timestamp(start.fixed_offset()))?;
        fs::create_dir(dir.join("node-logs")).map_err(|e| annotate(e, &dir))?;
        let log_path = dir.join("jepsen.log");
        let log = files::open_append(&log_path)?;
        let store = Store {
            root: root.to_path_buf(),
            workload: workload.to_string(),
            name,
            dir,
            log: Mutex::new(log),
            log_failed: AtomicBool::new(false),
            links: true,
        };
        store.link("current", &store.relative_to_root())?;
        Ok(store)
    }

    /// An existing run folder, to be analysed again (`maelstrom analyze`): its `jepsen.log` is
    /// appended to (created if missing; refused if it is a link or not a regular file, see
    /// `files.rs`), and no link outside it is touched.
    pub fn open(dir: &Path) -> io::Result<Store> {
        let log_path = dir.join("jepsen.log");
        let log = files::open_append(&log_path)?;
        let name = |p: Option<&Path>| {
            p.and_then(Path::file_name)
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        };
        Ok(Store {
            root: dir
                .parent()
                .and_then(Path::parent)
                .unwrap_or(dir)
                .to_path_buf(),
            workload: name(dir.parent()),
            name: name(Some(dir)),
            dir: dir.to_path_buf(),
            log: Mutex::new(log),
            log_failed: AtomicBool::new(false),
            links: false,
        })
    }

    /// An error naming the first of the run's records that `maelstrom analyze` writes
    /// (`results.edn`, `test.edn`) that could not be written: a link, a pipe or a directory
    /// where it goes (see `files.rs`). Checked before judging, so that a verdict is never
    /// printed only to be followed by the news that it cannot be stored.
    pub fn check_records(&self) -> io::Result<()> {
        for name in ["results.edn", TEST_FILE] {
            files::refuse_unless_writable(&self.dir.join(name), files::AtLink::Refuse)?;
        }
        Ok(())
    }

    /// This test's directory, `store/<workload>/<timestamp>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a node's stderr goes: `node-logs/<node>.log`. The command line only accepts node
    /// names that are plain file names; any other name is mapped to one here (`/` and NUL become
    /// `_`, a leading `.` becomes `_`), so that no file is ever written outside the run's folder.
    pub fn node_log_path(&self, node: &str) -> PathBuf {
        let mut file: String = node
            .chars()
            .map(|c| if c == '/' || c == '\0' { '_' } else { c })
            .collect();
        if file.starts_with('.') {
            file.replace_range(..1, "_");
        }
        self.dir.join("node-logs").join(format!("{file}.log"))
    }

    /// A node's working directory, `nodes/<node>/` (the node's "disk", kept across its kills),
    /// named as [`Store::node_log_path`] names its log.
    pub fn node_dir(&self, node: &str) -> PathBuf {
        let log = self.node_log_path(node);
        let name = log
            .file_stem()
            .map(|s| s.to_os_string())
            .unwrap_or_default();
        self.dir.join("nodes").join(name)
    }

    /// Appends `line` to `jepsen.log`, prefixed with the local time as Jepsen's log does
    /// (`2024-03-05 14:23:01,123 <line>`). Safe from any thread; lines never interleave. A
    /// failed write is reported on stderr once and otherwise ignored: losing log lines must not
    /// abort a test.
    pub fn log(&self, line: &str) {
        let now = Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
        let result = {
            let mut file = self.log.lock();
            file.write_all(format!("{now} {line}\n").as_bytes())
        };
        if let Err(e) = result {
            if !self.log_failed.swap(true, Ordering::Relaxed) {
                crate::console::print_stderr(&format!(
                    "warning: can't write to {}: {e}\n",
                    self.dir.join("jepsen.log").display()
                ));
            }
        }
    }

    /// Writes `history.edn` (one EDN map per op per line) and `history.txt` (`jepsen.store`), then
    /// points `store/latest` and `store/<workload>/latest` here when it can (a failure to do so
    /// is left to `main`'s final `update_latest`).
    ///
    /// Both files are written in one pass: each op's value is printed once and shared by its two
    /// lines, and the lines are built in two reused buffers rather than as an `Edn` map per op
    /// (a 400,000-entry echo history, 68 MB, went from 0.6-0.8 s to 0.15-0.3 s this way; see
    /// the `write_history_speed` benchmark below).
    pub fn write_history(&self, history: &History) -> io::Result<()> {
        let edn_path = self.dir.join("history.edn");
        let txt_path = self.dir.join("history.txt");
        let mut edn_file = LineFile::create(&edn_path)?;
        let mut txt_file = LineFile::create(&txt_path)?;
        for op in history {
            let texts = OpTexts::new(op);
            texts.edn_line(op, edn_file.line());
            edn_file.end_line()?;
            texts.txt_line(op, txt_file.line());
            txt_file.end_line()?;
        }
        edn_file.finish()?;
        txt_file.finish()?;
        self.point_latest_here();
        Ok(())
    }

    /// Writes `results.edn` (the results map, pretty-printed), then updates the latest links
    /// (a failure to do so is left to `main`'s final `update_latest`). A string longer than
    /// [`TXT_VALUE_BYTES`] (a checker quoting a node's huge value, unique-ids' `:range`) is
    /// cut, saying how much was (ours: the verdict is already decided, and `maelstrom
    /// analyze` judges again from `history.edn`, which keeps every value whole).
    pub fn write_results(&self, results: &Edn) -> io::Result<()> {
        let path = self.dir.join("results.edn");
        let text = edn::pretty(&edn::cut_strings(results, TXT_VALUE_BYTES));
        files::write_file(&path, text, files::AtLink::Refuse)?;
        self.point_latest_here();
        Ok(())
    }

    /// [`Store::update_latest`] as a courtesy after writing a file: the file is written whether
    /// or not the links can be, so a failure is not this write's; `main` calls `update_latest`
    /// once more at the end of the run and reports that one.
    fn point_latest_here(&self) {
        let _ = self.update_latest();
    }

    /// Writes `journal.jsonl`: the network journal, one JSON object per event (ours: Maelstrom
    /// keeps its journal in a binary file of its own), for the views and `read_journal`.
    pub fn write_journal(&self, journal: &[Event]) -> io::Result<()> {
        let path = self.dir.join("journal.jsonl");
        let mut file = LineFile::create(&path)?;
        for event in journal {
            file.line()
                .push_str(&read::event_to_json(event).to_string());
            file.end_line()?;
        }
        file.finish()
    }

    /// `<workload>/<timestamp>`: the target of `store/latest` and `store/current`.
    fn relative_to_root(&self) -> PathBuf {
        Path::new(&self.workload).join(&self.name)
    }

    /// Points `store/latest` and `store/<workload>/latest` here (also done by `write_history`
    /// and `write_results`); `main` calls it however the run ended.
    pub fn update_latest(&self) -> io::Result<()> {
        if !self.links {
            return Ok(());
        }
        self.link("latest", &self.relative_to_root())?;
        replace_link(
            &self.root.join(&self.workload).join("latest"),
            Path::new(&self.name),
        )
    }

    /// Points `store/<name>` at `target` (relative to `store/`).
    fn link(&self, name: &str, target: &Path) -> io::Result<()> {
        if !self.links {
            return Ok(());
        }
        replace_link(&self.root.join(name), target)
    }
}

/// A file written line by line through a large buffer; each line is built in a reused `String`
/// (no allocation per line) and errors name the file. It is put in place when finished
/// (`files::NewFile`: never written through a link).
struct LineFile<'a> {
    path: &'a Path,
    out: BufWriter<files::NewFile>,
    line: String,
}

impl<'a> LineFile<'a> {
    fn create(path: &'a Path) -> io::Result<LineFile<'a>> {
        let file = files::NewFile::create(path)?;
        Ok(LineFile {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            line: String::with_capacity(256),
        })
    }

    /// The (empty) buffer for the next line.
    fn line(&mut self) -> &mut String {
        self.line.clear();
        &mut self.line
    }

    /// Writes the line built in `line()` and a newline.
    fn end_line(&mut self) -> io::Result<()> {
        self.line.push('\n');
        self.out
            .write_all(self.line.as_bytes())
            .map_err(|e| annotate(e, self.path))
    }

    fn finish(self) -> io::Result<()> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| annotate(e.into_error(), self.path))?;
        file.commit()
    }
}

/// Makes `link` a symlink to `target`, replacing whatever link was there atomically: the new
/// link is made under a temporary name and renamed over the old one.
#[cfg(unix)]
fn replace_link(link: &Path, target: &Path) -> io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let file_name = link
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = link.with_file_name(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::os::unix::fs::symlink(target, &temp).map_err(|e| annotate(e, &temp))?;
    fs::rename(&temp, link).map_err(|e| {
        let _ = fs::remove_file(&temp);
        annotate(e, link)
    })
}

/// Symlinks need privileges on Windows; the store works without them.
#[cfg(not(unix))]
fn replace_link(_link: &Path, _target: &Path) -> io::Result<()> {
    Ok(())
}

/// Adds the path to an I/O error, so the message says which file failed.
fn annotate(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// Creates this run's own directory under `parent`: `<timestamp>`, or `<timestamp>-2`, `-3`, ...
/// if another run (in this process or another) already has that name. `create_dir` fails if the
/// directory exists, so two runs started in the same millisecond never share one.
fn new_run_dir(parent: &Path, stamp: &str) -> io::Result<(String, PathBuf)> {
    fs::create_dir_all(parent).map_err(|e| annotate(e, parent))?;
    for n in 1..=1000 {
        let name = if n == 1 {
            stamp.to_string()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(&name);
        match fs::create_dir(&dir) {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(annotate(e, &dir)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{}: 1000 runs already have the name {stamp}",
            parent.display()
        ),
    ))
}

/// The store's directory name for a start time (`jepsen.store`): Joda's basic date time,
/// `yyyyMMdd'T'HHmmss.SSS` and the offset as `+HHmm`/`-HHmm`, or `Z` when it is zero.
pub fn timestamp(t: DateTime<FixedOffset>) -> String {
    let offset = t.offset().fix().local_minus_utc();
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.unsigned_abs() / 60;
        format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
    };
    format!("{}{zone}", t.format("%Y%m%dT%H%M%S%.3f"))
}

/// The parts of an op's two history lines that need the EDN printer, printed once for both.
struct OpTexts {
    value: String,
    error: Option<String>,
}

impl OpTexts {
    fn new(op: &Op) -> OpTexts {
        OpTexts {
            value: edn::compact(&op.value),
            error: op.error.as_ref().map(edn::compact),
        }
    }

    /// Appends the process as `history.txt` and `history.edn` print it.
    fn push_process(process: Process, out: &mut String) {
        match process {
            Process::Client(p) => push_int(saturate(p), out),
            Process::Nemesis => out.push_str(":nemesis"),
        }
    }

    /// Appends `edn::compact(&op_edn(op))`: Clojure's `pr` of the op map.
    fn edn_line(&self, op: &Op, out: &mut String) {
        out.push_str("{:index ");
        push_int(saturate(op.index), out);
        out.push_str(", :time ");
        push_int(saturate(op.time), out);
        out.push_str(", :type :");
        out.push_str(op.op_type.name());
        out.push_str(", :process ");
        OpTexts::push_process(op.process, out);
        out.push_str(", :f :");
        out.push_str(&op.f);
        out.push_str(", :value ");
        out.push_str(&self.value);
        if let Some(error) = &self.error {
            out.push_str(", :error ");
            out.push_str(error);
        }
        if op.final_read {
            out.push_str(", :final? true");
        }
        if let Some(e) = &op.exception {
            out.push_str(", :exception ");
            out.push_str(&edn::compact(&exception_edn(e)));
        }
        out.push('}');
    }

    /// Appends the history.txt line (`jepsen.store`): `process TAB type TAB f TAB value [TAB error]`.
    fn txt_line(&self, op: &Op, out: &mut String) {
        OpTexts::push_process(op.process, out);
        out.push_str("\t:");
        out.push_str(op.op_type.name());
        out.push_str("\t:");
        out.push_str(&op.f);
        out.push('\t');
        push_cut(&self.value, out);
        if let Some(error) = &self.error {
            out.push('\t');
            push_cut(error, out);
        }
    }
}

/// Appends `text`, cut to [`TXT_VALUE_BYTES`] when longer (no copy when it is not).
fn push_cut(text: &str, out: &mut String) {
    if text.len() <= TXT_VALUE_BYTES {
        out.push_str(text);
    } else {
        out.push_str(&edn::cut_text(text, text.len(), TXT_VALUE_BYTES));
    }
}

/// Appends `n` in decimal, as EDN prints an integer.
fn push_int(n: i64, out: &mut String) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "{n}");
}

/// One history.edn line, without the newline.
pub fn history_edn_line(op: &Op) -> String {
    let mut line = String::new();
    OpTexts::new(op).edn_line(op, &mut line);
    line
}

/// One history.txt line (`jepsen.store`), without the newline: `process TAB type TAB f TAB value
/// [TAB error]`, each as EDN.
pub fn history_txt_line(op: &Op) -> String {
    let mut line = String::new();
    OpTexts::new(op).txt_line(op, &mut line);
    line
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::history::{op_edn, process_edn, Exception, OpType};
    use chrono::TimeZone;

    /// A fresh directory under the system temp dir, removed when dropped.
    pub(super) struct TempDir(pub(super) PathBuf);

    impl TempDir {
        pub(super) fn new(tag: &str) -> TempDir {
            static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "maelstrom-store-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).expect("temp dir");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn at(offset_secs: i32, millis: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(offset_secs)
            .expect("offset")
            .with_ymd_and_hms(2024, 3, 5, 14, 23, 1)
            .single()
            .expect("time")
            + chrono::Duration::milliseconds(i64::from(millis))
    }

    /// Basic date time with a positive, negative, half-hour and zero (`Z`) offset.
    #[test]
    fn timestamp_formats() {
        assert_eq!(timestamp(at(3600, 123)), "20240305T142301.123+0100");
        assert_eq!(timestamp(at(-4 * 3600, 7)), "20240305T142301.007-0400");
        assert_eq!(
            timestamp(at(5 * 3600 + 1800, 0)),
            "20240305T142301.000+0530"
        );
        assert_eq!(
            timestamp(at(-(9 * 3600 + 30 * 60), 999)),
            "20240305T142301.999-0930"
        );
        assert_eq!(timestamp(at(0, 836)), "20240305T142301.836Z");
    }

    fn op(index: usize, op_type: OpType, process: Process, f: &str, value: Edn) -> Op {
        Op {
            index,
            time: 1000 * index as u64,
            ..Op::new(op_type, process, f, value)
        }
    }

    /// A value longer than TXT_VALUE_BYTES is cut in history.txt, saying how much was, and
    /// kept whole in history.edn (the checker's input).
    #[test]
    fn history_txt_cuts_huge_values_and_history_edn_keeps_them() {
        let id = "x".repeat(3 << 20);
        let done = op(1, OpType::Ok, Process::Client(0), "generate", Edn::str(&id));
        let txt = history_txt_line(&done);
        assert!(txt.len() < TXT_VALUE_BYTES + 100, "{} bytes", txt.len());
        assert!(
            txt.ends_with(&format!(
                "... [{} more bytes cut, 3145730 in all]",
                3145730 - TXT_VALUE_BYTES
            )),
            "{}",
            &txt[txt.len() - 80..]
        );
        let edn_line = history_edn_line(&done);
        assert!(edn_line.contains(&format!(":value \"{id}\"")));
    }

    /// history.txt lines: process, type, f, value as EDN, and the error only when there is one.
    #[test]
    fn history_txt_lines() {
        let mut timeout = op(
            2,
            OpType::Info,
            Process::Client(3),
            "broadcast",
            Edn::Int(7),
        );
        timeout.error = Some(Edn::kw("net-timeout"));
        let read = op(
            1,
            OpType::Ok,
            Process::Client(1),
            "read",
            Edn::Vector(vec![Edn::Int(0), Edn::Int(1)].into()),
        );
        let nemesis = op(
            3,
            OpType::Info,
            Process::Nemesis,
            "start-partition",
            Edn::kw("one"),
        );
        let heal = op(
            4,
            OpType::Info,
            Process::Nemesis,
            "stop-partition",
            Edn::Nil,
        );
        let echo = op(
            5,
            OpType::Invoke,
            Process::Client(0),
            "echo",
            Edn::str("Please echo 3"),
        );
        assert_eq!(
            history_txt_line(&timeout),
            "3\t:info\t:broadcast\t7\t:net-timeout"
        );
        assert_eq!(history_txt_line(&read), "1\t:ok\t:read\t[0 1]");
        assert_eq!(
            history_txt_line(&nemesis),
            ":nemesis\t:info\t:start-partition\t:one"
        );
        assert_eq!(
            history_txt_line(&heal),
            ":nemesis\t:info\t:stop-partition\tnil"
        );
        assert_eq!(
            history_txt_line(&echo),
            "0\t:invoke\t:echo\t\"Please echo 3\""
        );
    }

    /// history.edn maps keep Jepsen's key order and carry the optional keys only when set.
    #[test]
    fn history_edn_maps() {
        let plain = op(
            0,
            OpType::Invoke,
            Process::Client(0),
            "broadcast",
            Edn::Int(0),
        );
        assert_eq!(
            history_edn_line(&plain),
            edn::compact(&Edn::map([
                ("index", Edn::Int(0)),
                ("time", Edn::Int(0)),
                ("type", Edn::kw("invoke")),
                ("process", Edn::Int(0)),
                ("f", Edn::kw("broadcast")),
                ("value", Edn::Int(0)),
            ]))
        );
        let mut full = op(9, OpType::Info, Process::Client(2), "read", Edn::Nil);
        full.final_read = true;
        full.error = Some(Edn::str("indeterminate: boom"));
        full.exception = Some(Box::new(Exception {
            class: "MalformedRpcResponse".into(),
            message: "boom".into(),
        }));
        let parsed = edn::parse(&history_edn_line(&full)).expect("history.edn line parses");
        assert_eq!(parsed, op_edn(&full));
        assert_eq!(parsed.get("final?"), Some(&Edn::Bool(true)));
        assert_eq!(parsed.get("error"), Some(&Edn::str("indeterminate: boom")));
        assert!(parsed.get("exception").is_some());
    }

    /// The history.txt line as the EDN printer makes it, field by field: the reference that the
    /// direct writer must match byte for byte.
    fn txt_reference(op: &Op) -> String {
        let mut fields = vec![
            edn::compact(&process_edn(op.process)),
            edn::compact(&Edn::kw(op.op_type.name())),
            edn::compact(&Edn::kw(&op.f)),
            edn::compact(&op.value),
        ];
        fields.extend(op.error.as_ref().map(edn::compact));
        fields.join("\t")
    }

    /// Ops with every optional key, the nemesis, escapes, nested values and out-of-range
    /// numbers: each kind of line the history files can hold.
    fn varied_ops() -> Vec<Op> {
        let mut ops = echo_history(3);
        let mut exception = op(7, OpType::Info, Process::Client(12), "read", Edn::Nil);
        exception.error = Some(Edn::str("indeterminate: \"quoted\"\n"));
        exception.exception = Some(Box::new(Exception {
            class: "MalformedRpcResponse".into(),
            message: "bad \\ reply".into(),
        }));
        exception.final_read = true;
        ops.push(exception);
        let mut final_read = op(
            8,
            OpType::Ok,
            Process::Client(3),
            "read",
            Edn::Vector((0..40).map(Edn::Int).collect()),
        );
        final_read.final_read = true;
        ops.push(final_read);
        ops.push(op(
            9,
            OpType::Info,
            Process::Nemesis,
            "start-partition",
            Edn::Vector(
                vec![
                    Edn::kw("isolated"),
                    Edn::Map(
                        vec![(
                            Edn::str("n0"),
                            Edn::Set(vec![Edn::str("n1"), Edn::str("n2")].into()),
                        )]
                        .into(),
                    ),
                ]
                .into(),
            ),
        ));
        let mut crash = op(
            10,
            OpType::Fail,
            Process::Client(u64::MAX),
            "echo",
            Edn::Float(1e7),
        );
        crash.time = u64::MAX;
        crash.error = Some(Edn::Vector(vec![Edn::kw("crash"), Edn::str("boom")].into()));
        ops.push(crash);
        ops
    }

    /// The direct line writers print exactly what the EDN printer prints for the op map and the
    /// history.txt fields.
    #[test]
    fn lines_match_the_edn_printer() {
        for op in varied_ops() {
            assert_eq!(history_edn_line(&op), edn::compact(&op_edn(&op)));
            assert_eq!(history_txt_line(&op), txt_reference(&op));
        }
    }

    /// write_history's files hold one reference line per op, in order, each ending in "\n".
    #[test]
    fn history_files_are_the_printed_lines() {
        let tmp = TempDir::new("lines");
        let store = Store::create(&tmp.0.join("store"), "echo", Local::now()).expect("create");
        let history = varied_ops();
        store.write_history(&history).expect("write");
        let edn_text = fs::read_to_string(store.dir().join("history.edn")).expect("edn");
        let txt_text = fs::read_to_string(store.dir().join("history.txt")).expect("txt");
        let edn_expected: String = history
            .iter()
            .map(|op| edn::compact(&op_edn(op)) + "\n")
            .collect();
        let txt_expected: String = history.iter().map(|op| txt_reference(op) + "\n").collect();
        assert_eq!(edn_text, edn_expected);
        assert_eq!(txt_text, txt_expected);
        for line in edn_text.lines() {
            assert!(edn::parse(line).is_ok(), "unreadable: {line}");
        }
    }

    /// Two runs in one directory, kind "started at the same time": runs created with the same
    /// start time, from several threads at once, each get a folder of their own.
    #[test]
    fn runs_started_in_the_same_millisecond_get_their_own_folders() {
        let tmp = TempDir::new("same-ms");
        let root = tmp.0.join("store");
        let start = Local::now();
        let dirs: Vec<PathBuf> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| Store::create(&root, "echo", start).expect("create")))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread").dir().to_path_buf())
                .collect()
        });
        let distinct: std::collections::BTreeSet<_> = dirs.iter().collect();
        assert_eq!(distinct.len(), 8, "{dirs:?}");
        let name = timestamp(start.fixed_offset());
        assert!(dirs.contains(&root.join("echo").join(&name)));
        assert!(dirs.contains(&root.join("echo").join(format!("{name}-8"))));
    }

    /// A node name that is not a plain file name still gets a log inside node-logs/.
    #[test]
    fn node_logs_stay_in_the_run_folder() {
        let tmp = TempDir::new("names");
        let store = Store::create(&tmp.0.join("store"), "echo", Local::now()).expect("create");
        let logs = store.dir().join("node-logs");
        for name in ["../../latest/jepsen", "..", ".", "a/b", "x\0y"] {
            let path = store.node_log_path(name);
            assert_eq!(path.parent(), Some(logs.as_path()), "{name:?} -> {path:?}");
        }
    }

    /// create/write_history/write_results make the files and relative links of `jepsen.store`.
    #[cfg(unix)]
    #[test]
    fn files_and_links() {
        let tmp = TempDir::new("links");
        let root = tmp.0.join("store");
        let start = Local::now();
        let store = Store::create(&root, "broadcast", start).expect("create");
        let name = timestamp(start.fixed_offset());
        assert_eq!(store.dir(), root.join("broadcast").join(&name));
        assert!(store.dir().join("node-logs").is_dir());
        assert_eq!(
            store.node_log_path("n1"),
            store.dir().join("node-logs/n1.log")
        );
        let rel = PathBuf::from("broadcast").join(&name);
        assert_eq!(fs::read_link(root.join("current")).expect("current"), rel);
        assert!(
            fs::symlink_metadata(root.join("latest")).is_err(),
            "latest waits for the history"
        );

        store.log("Run complete, writing");
        let history = vec![op(0, OpType::Invoke, Process::Client(0), "read", Edn::Nil)];
        store.write_history(&history).expect("history");
        assert_eq!(fs::read_link(root.join("latest")).expect("latest"), rel);
        assert_eq!(
            fs::read_link(root.join("broadcast/latest")).expect("workload latest"),
            PathBuf::from(&name)
        );
        let txt = fs::read_to_string(root.join("latest/history.txt")).expect("via link");
        assert_eq!(txt, "0\t:invoke\t:read\tnil\n");
        let results = Edn::map([("valid?", Edn::Bool(true))]);
        store.write_results(&results).expect("results");
        let text = fs::read_to_string(root.join("latest/results.edn")).expect("results.edn");
        assert_eq!(edn::parse(&text), Ok(results));
        let log = fs::read_to_string(store.dir().join("jepsen.log")).expect("log");
        assert!(log.ends_with(" Run complete, writing\n"), "{log:?}");

        // A second test replaces the links, leaving no temporary files behind.
        let later = start + chrono::Duration::seconds(1);
        let second = Store::create(&root, "broadcast", later).expect("second");
        second.write_history(&Vec::new()).expect("empty history");
        let rel2 = PathBuf::from("broadcast").join(timestamp(later.fixed_offset()));
        assert_eq!(fs::read_link(root.join("latest")).expect("latest"), rel2);
        assert_eq!(fs::read_link(root.join("current")).expect("current"), rel2);
        let stray: Vec<_> = fs::read_dir(&root)
            .expect("root")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }

    /// Log lines written from many threads at once come out whole, none lost.
    #[test]
    fn log_is_thread_safe() {
        let tmp = TempDir::new("log");
        let store = Store::create(&tmp.0.join("store"), "echo", Local::now()).expect("create");
        std::thread::scope(|s| {
            for t in 0..8 {
                let store = &store;
                s.spawn(move || {
                    for i in 0..200 {
                        store.log(&format!("thread {t} line {i} {}", "x".repeat(100)));
                    }
                });
            }
        });
        let log = fs::read_to_string(store.dir().join("jepsen.log")).expect("log");
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 1600);
        assert!(lines.iter().all(|l| l.ends_with(&"x".repeat(100))));
    }

    /// An echo-shaped history of `ops` completed ops (2 x `ops` entries) over 10 processes, with
    /// a few timeouts: what a high-rate echo run leaves behind.
    fn echo_history(ops: usize) -> History {
        let mut history = Vec::with_capacity(2 * ops);
        for k in 0..ops {
            let process = Process::Client((k % 10) as u64);
            let text = format!("Please echo {}", k % 128);
            let mut invoke = op(
                0,
                OpType::Invoke,
                process,
                "echo",
                Edn::Str(text.as_str().into()),
            );
            let reply = Edn::map([
                ("echo", Edn::Str(text.into())),
                ("in_reply_to", Edn::Int(k as i64)),
                ("type", Edn::str("echo_ok")),
            ]);
            let mut done = if k % 1000 == 999 {
                let mut info = op(0, OpType::Info, process, "echo", invoke.value.clone());
                info.error = Some(Edn::kw("net-timeout"));
                info
            } else {
                op(0, OpType::Ok, process, "echo", reply)
            };
            invoke.index = history.len();
            invoke.time = 25_000 * invoke.index as u64;
            history.push(invoke);
            done.index = history.len();
            done.time = 25_000 * done.index as u64 + 1_234;
            history.push(done);
        }
        history
    }

    /// The previous way of writing the history, kept to compare against: an `Edn` map built and
    /// printed per op, one file after the other, each through a default `BufWriter`.
    fn write_history_via_edn_maps(dir: &Path, history: &History) -> io::Result<()> {
        fn write_file(path: &Path, history: &History, line: fn(&Op) -> String) -> io::Result<()> {
            let mut out = BufWriter::new(File::create(path)?);
            for op in history {
                out.write_all(line(op).as_bytes())?;
                out.write_all(b"\n")?;
            }
            out.flush()
        }
        write_file(&dir.join("history.edn"), history, |op| {
            edn::compact(&op_edn(op))
        })?;
        write_file(&dir.join("history.txt"), history, txt_reference)
    }

    /// Prints how long `write_history` takes for a 400,000-entry echo history, against the
    /// previous way (a benchmark, not a pass/fail test):
    /// `cargo test -p maelstrom --release --lib write_history_speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn write_history_speed() {
        let tmp = TempDir::new("speed");
        let store = Store::create(&tmp.0.join("store"), "echo", Local::now()).expect("create");
        let before = tmp.0.join("before");
        fs::create_dir_all(&before).expect("dir");
        let history = echo_history(200_000);
        let size = |dir: &Path| -> u64 {
            ["history.edn", "history.txt"]
                .iter()
                .map(|f| fs::metadata(dir.join(f)).map_or(0, |m| m.len()))
                .sum()
        };
        for round in 1..=3 {
            let start = std::time::Instant::now();
            write_history_via_edn_maps(&before, &history).expect("write the previous way");
            let old = start.elapsed();
            let start = std::time::Instant::now();
            store.write_history(&history).expect("write");
            let new = start.elapsed();
            eprintln!(
                "round {round}: {} entries, {:.1} MB: Edn maps {:.0} ms, write_history {:.0} ms",
                history.len(),
                size(store.dir()) as f64 / 1e6,
                old.as_secs_f64() * 1e3,
                new.as_secs_f64() * 1e3
            );
            assert_eq!(size(store.dir()), size(&before));
        }
    }

    /// A store that can't be made (root is a file) fails with the path in the message.
    #[test]
    fn create_failure_names_the_path() {
        let tmp = TempDir::new("fail");
        let root = tmp.0.join("store");
        fs::write(&root, "not a directory").expect("file");
        let err = Store::create(&root, "echo", Local::now())
            .err()
            .expect("must fail");
        assert!(
            err.to_string().contains(&root.display().to_string()),
            "{err}"
        );
    }
}
