//! The store's read side: the runs under `store/` and what each one recorded, read back from
//! its files, for `serve` and the views (a run's page, messages.svg, a timeline).
//!
//! Everything here only reads; a missing or unreadable file is an error naming the file. Files
//! are read only when they are regular files under a size cap (`files::read_regular`: a named
//! pipe, a device or a huge file is an error, not a hang).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::edn::{self, Edn};
use crate::history::{op_from_edn, History, OpType, Process};
use crate::journal::{Event, EventKind};

use super::files;

/// One past run: `store/<workload>/<timestamp>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub workload: String,
    /// The directory name: Jepsen's basic date time (`20240305T142301.123+0100`).
    pub timestamp: String,
    pub dir: PathBuf,
}

/// Every run under `root` (normally `store/`), oldest first: each `<workload>/<timestamp>`
/// directory, skipping the `current` and `latest` links. A missing `root` has no runs.
pub fn list_runs(root: &Path) -> io::Result<Vec<Run>> {
    let mut runs = Vec::new();
    let workloads = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(runs),
        Err(e) => return Err(annotate(e, root)),
    };
    for workload in workloads {
        let workload = workload.map_err(|e| annotate(e, root))?;
        if is_link(&workload.path()) || !workload.path().is_dir() {
            continue;
        }
        let name = workload.file_name().to_string_lossy().into_owned();
        for run in fs::read_dir(workload.path()).map_err(|e| annotate(e, &workload.path()))? {
            let run = run.map_err(|e| annotate(e, &workload.path()))?;
            if is_link(&run.path()) || !run.path().is_dir() {
                continue;
            }
            runs.push(Run {
                workload: name.clone(),
                timestamp: run.file_name().to_string_lossy().into_owned(),
                dir: run.path(),
            });
        }
    }
    // Timestamps of one offset sort by time; ties are broken by workload.
    runs.sort_by(|a, b| (&a.timestamp, &a.workload).cmp(&(&b.timestamp, &b.workload)));
    Ok(runs)
}

/// A run's `results.edn`, parsed.
pub fn read_results(dir: &Path) -> io::Result<Edn> {
    let path = dir.join("results.edn");
    let text = files::read_regular(&path, files::MAX_RESULTS_BYTES)?;
    edn::parse(&text).map_err(|e| invalid(&path, 0, &e))
}

/// Which part of a run an interrupt cut short, from its `results.edn`: `Some("test")` (the
/// history holds what was recorded until then), `Some("analysis")` (the test ran to its end and
/// `history.edn` is whole, but there is no verdict: the run can be analysed again), `None` when
/// no interrupt is recorded. `main` writes the key `:interrupted-during`, and a line starting
/// `Interrupted by` or `Analysis interrupted by` in `jepsen.log`.
pub fn interrupted_during(results: &Edn) -> Option<&str> {
    match results.get("interrupted-during") {
        Some(Edn::Keyword(part)) => Some(part),
        _ => None,
    }
}

/// A run's `history.edn`, one op per line, parsed back into a history.
///
/// A history that is not well-formed is an error naming the file and the line: a line that is
/// not EDN or not an op map, an op without `:process`, `:type` or `:f`, a completion (`:ok`,
/// `:fail`, `:info`) of a client process with no invocation open, or a second invocation of a
/// process whose first has not completed (Jepsen pairs each completion with its process's
/// invocation). The nemesis records its ops as `:info` alone, so only client ops are paired.
/// Ops are numbered by their place in the file, so a hand-edited history (a line removed)
/// still has `ops[i].index == i`.
pub fn read_history(dir: &Path) -> io::Result<History> {
    let path = dir.join("history.edn");
    let text = files::read_regular(&path, files::MAX_HISTORY_BYTES)?;
    let mut history = History::new();
    // Each client process's open invocation: its line.
    let mut open: HashMap<u64, usize> = HashMap::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line_number = n + 1;
        let mut op = edn::parse(line)
            .and_then(|value| {
                required_keys(&value)?;
                op_from_edn(&value)
            })
            .map_err(|e| invalid(&path, line_number, &e))?;
        if let Process::Client(process) = op.process {
            match (op.op_type, open.get(&process)) {
                (OpType::Invoke, None) => {
                    open.insert(process, line_number);
                }
                (OpType::Invoke, Some(first)) => {
                    return Err(invalid(
                        &path,
                        line_number,
                        &format!(
                            "process {process} invokes :{} while its invocation on line {first} \
                             has not completed",
                            op.f
                        ),
                    ))
                }
                (_, Some(_)) => {
                    open.remove(&process);
                }
                (completion, None) => {
                    return Err(invalid(
                        &path,
                        line_number,
                        &format!(
                            "a completion (:{} :{}) of process {process} without an invocation \
                             before it",
                            completion.name(),
                            op.f
                        ),
                    ))
                }
            }
        }
        op.index = history.len();
        history.push(op);
    }
    Ok(history)
}

/// An op map has `:process`, `:type` and `:f`; anything else is not an op.
fn required_keys(value: &Edn) -> Result<(), String> {
    if !matches!(value, Edn::Map(_)) {
        let text = edn::compact(value);
        let text: String = text.chars().take(60).collect();
        return Err(format!(
            "expected an op map {{:type ..., :process ..., :f ...}}, got {text}"
        ));
    }
    for key in ["process", "type", "f"] {
        if value.get(key).is_none() {
            return Err(format!("the op has no :{key}"));
        }
    }
    Ok(())
}

/// A run's `journal.jsonl` (see `Store::write_journal`), parsed back into journal events.
pub fn read_journal(dir: &Path) -> io::Result<Vec<Event>> {
    let path = dir.join("journal.jsonl");
    let text = files::read_regular(&path, files::MAX_HISTORY_BYTES)?;
    let mut events = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let event = serde_json::from_str::<Value>(line)
            .map_err(|e| e.to_string())
            .and_then(|value| event_from_json(&value))
            .map_err(|e| invalid(&path, n + 1, &e))?;
        events.push(event);
    }
    Ok(events)
}

/// One journal line as `Store::write_journal` writes it.
pub fn event_to_json(event: &Event) -> Value {
    let kind = match event.kind {
        EventKind::Send => "send",
        EventKind::Recv => "recv",
    };
    serde_json::json!({
        "kind": kind,
        "id": event.id,
        "time": event.time,
        "src": &*event.src,
        "dest": &*event.dest,
        "client": event.client,
        "type": &*event.msg_type,
        "body": event.body.as_deref(),
    })
}

fn event_from_json(value: &Value) -> Result<Event, String> {
    let text = |key: &str| -> Result<Arc<str>, String> {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(Arc::from)
            .ok_or_else(|| format!("expected a string under {key:?}"))
    };
    let kind = match value.get("kind").and_then(Value::as_str) {
        Some("send") => EventKind::Send,
        Some("recv") => EventKind::Recv,
        _ => {
            let got = value
                .get("kind")
                .map_or("nothing".to_string(), Value::to_string);
            return Err(format!("expected kind \"send\" or \"recv\", got {got}"));
        }
    };
    Ok(Event {
        kind,
        id: value
            .get("id")
            .and_then(Value::as_u64)
            .ok_or("expected an integer id")?,
        time: value
            .get("time")
            .and_then(Value::as_i64)
            .ok_or("expected an integer time")?,
        src: text("src")?,
        dest: text("dest")?,
        client: value
            .get("client")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        msg_type: text("type")?,
        body: value
            .get("body")
            .filter(|b| !b.is_null())
            .map(|b| Arc::new(b.clone())),
    })
}

fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn annotate(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// A file whose content is not what the store writes: names the file and the line.
fn invalid(path: &Path, line: usize, problem: &str) -> io::Error {
    let place = match line {
        0 => path.display().to_string(),
        n => format!("{}, line {n}", path.display()),
    };
    io::Error::new(io::ErrorKind::InvalidData, format!("{place}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Op, OpType, Process};
    use crate::store::tests::TempDir;
    use crate::store::Store;
    use chrono::TimeZone;

    /// What a run wrote (results, history, journal) reads back as it was, and the run is listed
    /// once, whatever links point at it.
    #[test]
    fn a_run_reads_back_as_written() {
        let tmp = TempDir::new("read");
        let start = chrono::Local
            .with_ymd_and_hms(2024, 3, 5, 14, 23, 1)
            .single()
            .expect("time");
        let store = Store::create(&tmp.0, "echo", start).expect("store");
        let mut op = Op::new(OpType::Ok, Process::Client(0), "echo", Edn::str("hi"));
        op.index = 1;
        let history = vec![
            Op::new(OpType::Invoke, Process::Client(0), "echo", Edn::str("hi")),
            op,
        ];
        let results = Edn::map([("valid?", Edn::Bool(true))]);
        let journal = vec![Event {
            kind: EventKind::Send,
            id: 0,
            time: -5,
            src: "c0".into(),
            dest: "n0".into(),
            client: true,
            msg_type: "echo".into(),
            body: Some(Arc::new(serde_json::json!({"type": "echo", "msg_id": 1}))),
        }];
        store.write_history(&history).expect("history");
        store.write_results(&results).expect("results");
        store.write_journal(&journal).expect("journal");

        let runs = list_runs(&tmp.0).expect("list");
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].workload, "echo");
        assert_eq!(runs[0].dir, store.dir());
        assert_eq!(read_history(&runs[0].dir).expect("history"), history);
        assert_eq!(read_results(&runs[0].dir).expect("results"), results);
        assert_eq!(read_journal(&runs[0].dir).expect("journal"), journal);
    }

    /// No store, no runs; a damaged file is an error that names the file and the line.
    #[test]
    fn missing_and_damaged_files() {
        let tmp = TempDir::new("read-bad");
        assert_eq!(list_runs(&tmp.0.join("absent")).expect("list"), vec![]);
        fs::write(tmp.0.join("history.edn"), "{:index 0}\n").expect("write");
        let error = read_history(&tmp.0).expect_err("damaged");
        assert!(error.to_string().contains("history.edn, line 1"), "{error}");
        let error = read_results(&tmp.0).expect_err("missing");
        assert!(error.to_string().contains("results.edn"), "{error}");
    }

    /// Each way a history can be ill-formed is an error naming the file, the line and what is
    /// wrong: not EDN, not a map, a missing :process, :type or :f, a completion with no
    /// invocation, a second invocation before the first completed.
    #[test]
    fn ill_formed_histories_name_the_line() {
        let tmp = TempDir::new("read-ill-formed");
        let invoke = "{:index 0, :time 1, :type :invoke, :process 0, :f :echo, :value 1}";
        let ok = "{:index 1, :time 2, :type :ok, :process 0, :f :echo, :value 1}";
        let nemesis = "{:index 2, :time 3, :type :info, :process :nemesis, :f :start-partition}";
        let cases = [
            (format!("{invoke}\n{{:index 1, :type"), 2, "EDN"),
            (format!("{invoke}\n[1 2]"), 2, "expected an op map"),
            (
                format!("{invoke}\n{{:index 1, :time 2, :type :ok, :f :echo}}"),
                2,
                "no :process",
            ),
            (
                "{:index 0, :time 1, :process 0, :f :echo}".to_string(),
                1,
                "no :type",
            ),
            (
                "{:index 0, :time 1, :type :invoke, :process 0}".to_string(),
                1,
                "no :f",
            ),
            (
                format!("{invoke}\n{ok}\n{ok}"),
                3,
                "a completion (:ok :echo) of process 0 without an invocation",
            ),
            (
                format!("{nemesis}\n{invoke}\n\n{invoke}"),
                4,
                "process 0 invokes :echo while its invocation on line 2 has not completed",
            ),
        ];
        for (text, line, problem) in cases {
            fs::write(tmp.0.join("history.edn"), &text).expect("write");
            let error = read_history(&tmp.0).expect_err(&text).to_string();
            let place = format!("{}, line {line}: ", tmp.0.join("history.edn").display());
            assert!(error.starts_with(&place), "{text}\n{error}");
            assert!(error.contains(problem), "{text}\n{error}");
        }
        // Nemesis ops stand alone; an invocation left open at the end is fine (an interrupted
        // run); ops are numbered by their place, whatever their :index says.
        fs::write(
            tmp.0.join("history.edn"),
            format!("{nemesis}\n{invoke}\n{ok}\n{invoke}"),
        )
        .expect("write");
        let history = read_history(&tmp.0).expect("well-formed");
        let indices: Vec<usize> = history.iter().map(|op| op.index).collect();
        assert_eq!(indices, [0, 1, 2, 3]);
    }
}
