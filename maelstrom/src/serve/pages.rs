//! The HTML pages of `serve`, shaped like Jepsen's `jepsen/src/jepsen/web.clj`: the index of runs
//! (`home`, `test-row`) and a directory page (`dir`, `dir-cell`, `file-cell`).
//!
//! The run list is read straight from the store's folders on each request (Jepsen caches it);
//! a store holds at most a few hundred small `results.edn` files, read in well under a second.

use std::fs;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::edn::{self, Edn};
use crate::store::files;
use crate::view::escape_html as escape;

/// Rows per index page, as `web.clj`'s `page-limit`.
pub const PAGE_LIMIT: usize = 128;

/// Characters escaped in a path segment of a link (everything but unreserved characters and
/// the few that are safe in a path); `/` separates segments and is escaped inside one.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'+')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// A run's `:valid?`, as the index colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Valid {
    True,
    False,
    Unknown,
    /// No `results.edn` (the run is going on, or never got to analysis) or one that does not
    /// parse.
    Incomplete,
}

impl Valid {
    /// `web.clj`'s `valid-color`: ok blue, info orange, fail pink, grey otherwise.
    pub fn color(self) -> &'static str {
        match self {
            Valid::True => "#6DB6FE",
            Valid::Unknown => "#FFAA26",
            Valid::False => "#FEB5DA",
            Valid::Incomplete => "#eaeaea",
        }
    }

    /// The cell's text, as Clojure prints the value.
    pub fn label(self) -> &'static str {
        match self {
            Valid::True => "true",
            Valid::False => "false",
            Valid::Unknown => "unknown",
            Valid::Incomplete => "incomplete",
        }
    }

    /// Reads `dir/results.edn`'s `:valid?`. Only a regular file (not a named pipe, whose open
    /// would block the index, nor a symlink) of at most `files::MAX_RESULTS_BYTES` is read; the EDN
    /// reader refuses nesting past its depth limit. Anything else is `Incomplete`.
    pub fn of_run(dir: &Path) -> Valid {
        let Some(text) = read_results_text(dir) else {
            return Valid::Incomplete;
        };
        match edn::parse(&text) {
            Ok(results) => match results.get("valid?") {
                Some(Edn::Bool(true)) => Valid::True,
                Some(Edn::Bool(false)) => Valid::False,
                _ => Valid::Unknown,
            },
            Err(_) => Valid::Incomplete,
        }
    }
}

/// The text of `dir/results.edn` if it is a regular file (not a named pipe, whose open would
/// block the index, nor a symlink) of at most `files::MAX_RESULTS_BYTES`; None otherwise
/// (`files::read_regular_unlinked`, which holds the rules for reading a run's files).
fn read_results_text(dir: &Path) -> Option<String> {
    files::read_regular_unlinked(&dir.join("results.edn"), files::MAX_RESULTS_BYTES).ok()
}

/// Why a run has no verdict, from its `results.edn` (read as [`Valid::of_run`] reads it): the
/// first line of `:setup-failed` (a node that could not start, an `init` that timed out) or of
/// `:interrupted`, cut to 200 characters. None for a run with a verdict, or without readable
/// results.
pub fn why_no_verdict(dir: &Path) -> Option<String> {
    let results = edn::parse(&read_results_text(dir)?).ok()?;
    let (label, text) =
        ["setup-failed", "interrupted"]
            .iter()
            .find_map(|key| match results.get(key) {
                Some(Edn::Str(text)) => Some((key.replace('-', " "), text.clone())),
                _ => None,
            })?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut line: String = first.chars().take(200).collect();
    if line.len() < first.len() {
        line.push_str("...");
    }
    Some(format!("{label}: {line}"))
}

/// One test run: `store/<workload>/<timestamp>/`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    /// The workload (Jepsen's test name), e.g. `broadcast`.
    pub workload: String,
    /// The folder name, e.g. `20240305T142301.123+0100`.
    pub name: String,
    pub start: DateTime<FixedOffset>,
    pub valid: Valid,
    /// Why it has no verdict (see [`why_no_verdict`]), shown beside `unknown`.
    pub why: Option<String>,
    /// What ran (binary, nodes, faults, options), from the start of its `jepsen.log`.
    pub ran: Option<String>,
}

/// Parses a store folder name (Joda's basic date time, see `store::timestamp`).
pub fn parse_timestamp(name: &str) -> Option<DateTime<FixedOffset>> {
    let name = match name.strip_suffix('Z') {
        Some(utc) => format!("{utc}+0000"),
        None => name.to_string(),
    };
    DateTime::parse_from_str(&name, "%Y%m%dT%H%M%S%.3f%z").ok()
}

/// Every run in `store`, newest first, from the store's own listing (`store::list_runs`, which
/// skips the `latest` and `current` links) with its start time and verdict. Folders whose names
/// are not timestamps are skipped; a missing or unreadable store is an empty list.
pub fn list_runs(store: &Path) -> Vec<RunEntry> {
    let mut runs: Vec<RunEntry> = crate::store::list_runs(store)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|run| {
            Some(RunEntry {
                start: parse_timestamp(&run.timestamp)?,
                valid: Valid::of_run(&run.dir),
                why: why_no_verdict(&run.dir),
                ran: crate::summary::read_log_line(&run.dir.join("jepsen.log")),
                workload: run.workload,
                name: run.timestamp,
            })
        })
        .collect();
    runs.sort_by(|a, b| (b.start, &b.workload).cmp(&(a.start, &a.workload)));
    runs
}

/// `/files/<segments...>`, each segment percent-encoded.
pub fn files_url<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    let mut url = String::from("/files");
    for s in segments {
        url.push('/');
        url.extend(utf8_percent_encode(s, SEGMENT));
    }
    url
}

const STYLE: &str = "body { font-family: sans-serif; }
table td, table th { padding: 3px 8px; text-align: left; }
.valid { font-weight: bold; }
.ran { font-size: smaller; max-width: 50em; }
.why { font-weight: normal; font-size: smaller; max-width: 40em; }";

/// The index (`web.clj`'s `home`): runs started before `after` (a basic date time; all when
/// absent or unreadable), newest first, at most [`PAGE_LIMIT`], and a link to older ones.
pub fn index(store: &Path, after: Option<&str>) -> String {
    let after = after.and_then(parse_timestamp);
    let runs: Vec<RunEntry> = list_runs(store)
        .into_iter()
        .filter(|r| after.is_none_or(|a| r.start < a))
        .collect();
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Jepsen</title>\
         <style>{STYLE}</style></head><body>\n<h1>Jepsen</h1>\n"
    );
    if runs.is_empty() && after.is_none() {
        page.push_str(&format!(
            "<p id=\"empty\">No runs in {} yet. Run a test first, e.g. <code>make run</code>.</p>\n",
            escape(&store.display().to_string())
        ));
    }
    page.push_str(
        "<table id=\"runs\" cellspacing=\"3\" cellpadding=\"3\">\n<thead><tr><th>Name</th>\
         <th>Time</th><th>What ran</th><th>Valid?</th><th>Page</th><th>Results</th><th>History</th><th>Log</th><th>Zip</th>\
         </tr></thead>\n<tbody>\n",
    );
    for run in runs.iter().take(PAGE_LIMIT) {
        page.push_str(&row(run));
    }
    page.push_str("</tbody></table>\n");
    if runs.len() > PAGE_LIMIT {
        let last = &runs[PAGE_LIMIT - 1];
        page.push_str(&format!(
            "<p><a href=\"/?after={}\">Older tests...</a></p>\n",
            utf8_percent_encode(&last.name, SEGMENT)
        ));
    }
    page.push_str("</body></html>\n");
    page
}

/// One index row (`web.clj`'s `test-row`, with a link to the run page, which Maelstrom lacks).
fn row(run: &RunEntry) -> String {
    let dir = files_url([run.workload.as_str(), run.name.as_str()]);
    let file = |f: &str| files_url([run.workload.as_str(), run.name.as_str(), f]);
    let time = run.start.format("%Y-%m-%dT%H:%M:%S").to_string();
    format!(
        "<tr class=\"run\"><td><a href=\"{dir}\">{name}</a></td><td><a href=\"{dir}\">{time}</a></td><td class=\"ran\">{ran}</td>\
         <td class=\"valid\" style=\"background: {color}\">{valid}{why}</td>\
         <td><a href=\"{page}\">run page</a></td>\
         <td><a href=\"{results}\">results.edn</a></td><td><a href=\"{history}\">history.txt</a></td>\
         <td><a href=\"{log}\">jepsen.log</a></td><td><a href=\"{dir}.zip\">zip</a></td></tr>\n",
        name = escape(&run.workload),
        color = run.valid.color(),
        valid = run.valid.label(),
        ran = escape(run.ran.as_deref().unwrap_or("")),
        why = run.why.as_deref().map_or(String::new(), |why| format!(
            "<div class=\"why\">{}</div>",
            escape(why)
        )),
        page = file("index.html"),
        results = file("results.edn"),
        history = file("history.txt"),
        log = file("jepsen.log"),
    )
}

/// A directory page (`web.clj`'s `dir`): breadcrumbs, the name with a `.zip` link,
/// subdirectories coloured by their run's validity, then files (the run page `index.html`,
/// `results.edn` and `history.txt` first, then by name) with a preview of images and text.
pub fn directory(root: &Path, dir: &Path) -> String {
    let relative: Vec<String> = dir
        .strip_prefix(root)
        .map(|r| {
            r.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let name = relative.last().cloned().unwrap_or_else(|| "store".into());
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style>\
         </head><body>\n<div class=\"breadcrumbs\"><a href=\"/\">jepsen</a>",
        escape(&name)
    );
    for depth in 0..relative.len().saturating_sub(1) {
        let url = files_url(relative[..=depth].iter().map(String::as_str));
        page.push_str(&format!(
            " / <a href=\"{url}\">{}</a>",
            escape(&relative[depth])
        ));
    }
    let here = files_url(relative.iter().map(String::as_str));
    page.push_str(&format!(
        "</div>\n<h1>{} <a style=\"font-size: 60%\" href=\"{here}.zip\">.zip</a></h1>\n<div>\n",
        escape(&name)
    ));
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let Some(entry_name) = entry.file_name().to_str().map(String::from) else {
            continue;
        };
        // The entry's own type: a symlink is listed as a file (serving it refuses a target
        // outside store/), never followed here.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            dirs.push(entry_name);
        } else {
            files.push(entry_name);
        }
    }
    dirs.sort();
    // Jepsen puts results.edn and history.txt first; the run's own page goes before them.
    files.sort_by_key(|f| {
        (
            f != "index.html",
            f != "results.edn",
            f != "history.txt",
            f.clone(),
        )
    });
    for d in &dirs {
        let valid = Valid::of_run(&dir.join(d));
        let url = files_url(relative.iter().map(String::as_str).chain([d.as_str()]));
        page.push_str(&format!(
            "<a class=\"dir\" href=\"{url}\" style=\"text-decoration: none; color: #000\">\
             <div style=\"background: {}; display: inline-block; margin: 10px; padding: 10px; \
             width: 280px; overflow: hidden\">{}</div></a>\n",
            valid.color(),
            escape(d)
        ));
    }
    page.push_str("</div>\n<div>\n");
    for f in &files {
        let url = files_url(relative.iter().map(String::as_str).chain([f.as_str()]));
        page.push_str(&file_cell(&dir.join(f), f, &url));
    }
    page.push_str("</div>\n</body></html>\n");
    page
}

/// A file's cell: a 200 px high preview (the image, or the first 4 KB of text) and its name.
fn file_cell(path: &Path, name: &str, url: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let preview = if [".png", ".jpg", ".jpeg", ".gif", ".svg"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        // Jepsen's 200 px high preview; for an SVG (a Lamport diagram is thousands of pixels
        // tall) its top left corner at full size.
        let fit = if lower.ends_with(".svg") {
            "width: 300px; object-fit: cover; object-position: left top"
        } else {
            "width: auto"
        };
        format!(
            "<img src=\"{url}\" title=\"{}\" style=\"height: 200px; {fit}\">",
            escape(name)
        )
    } else if [".txt", ".edn", ".json", ".log", ".stdout", ".stderr"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        // Only a regular file, not followed through a symlink (which may point outside store/)
        // and not a named pipe (whose open would block).
        let mut head = Vec::new();
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()) {
            if let Ok(file) = fs::File::open(path) {
                let _ = file.take(4096).read_to_end(&mut head);
            }
        }
        format!("<pre>{}</pre>", escape(&String::from_utf8_lossy(&head)))
    } else {
        "<div style=\"background: #F4F4F4; width: 100%; height: 100%\"></div>".to_string()
    };
    format!(
        "<div class=\"file\" style=\"display: inline-block; margin: 10px; overflow: hidden\">\
         <div style=\"height: 200px; width: 300px; overflow: hidden\"><a href=\"{url}\" \
         style=\"text-decoration: none; color: #555\">{preview}</a></div>\
         <a href=\"{url}\">{}</a></div>\n",
        escape(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store(tag: &str) -> std::path::PathBuf {
        let base =
            std::env::temp_dir().join(format!("maelstrom-pages-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        base
    }

    fn make_run(store: &Path, workload: &str, name: &str, results: Option<&str>) {
        let dir = store.join(workload).join(name);
        fs::create_dir_all(&dir).expect("dir");
        if let Some(r) = results {
            fs::write(dir.join("results.edn"), r).expect("results");
        }
    }

    /// Runs are listed newest first with the validity of their results (or incomplete).
    #[test]
    fn lists_runs_newest_first() {
        let store = temp_store("list");
        make_run(
            &store,
            "echo",
            "20240305T142301.123Z",
            Some("{:valid? true}"),
        );
        make_run(
            &store,
            "broadcast",
            "20240305T150000.000+0100",
            Some("{:valid? false}"),
        );
        make_run(
            &store,
            "broadcast",
            "20240306T000000.000Z",
            Some("{:valid? :unknown}"),
        );
        make_run(&store, "broadcast", "20240307T000000.000Z", None);
        make_run(&store, "broadcast", "not-a-run", None);
        let runs = list_runs(&store);
        let seen: Vec<(&str, Valid)> = runs.iter().map(|r| (r.name.as_str(), r.valid)).collect();
        assert_eq!(
            seen,
            [
                ("20240307T000000.000Z", Valid::Incomplete),
                ("20240306T000000.000Z", Valid::Unknown),
                ("20240305T142301.123Z", Valid::True),
                // 15:00 at +01:00 is 14:00 UTC, before 14:23 UTC.
                ("20240305T150000.000+0100", Valid::False),
            ]
        );
        let _ = fs::remove_dir_all(&store);
    }

    /// A `results.edn` that is a link (to a valid run's results outside the store) or a named
    /// pipe is not read (nor waited on): the run is listed as incomplete.
    #[test]
    fn results_read_only_from_a_regular_file() {
        let store = temp_store("unread");
        make_run(&store, "echo", "20240305T142301.123Z", None);
        make_run(&store, "echo", "20240306T000000.000Z", None);
        let outside = store.join("outside.edn");
        fs::write(&outside, "{:valid? true}").expect("outside");
        let linked = store.join("echo/20240305T142301.123Z/results.edn");
        std::os::unix::fs::symlink(&outside, linked).expect("link");
        let fifo = store.join("echo/20240306T000000.000Z/results.edn");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let valid: Vec<Valid> = list_runs(&store).iter().map(|r| r.valid).collect();
        assert_eq!(valid, [Valid::Incomplete, Valid::Incomplete]);
        let _ = fs::remove_dir_all(&store);
    }

    /// The index shows each run's row with the validity colour and the four links.
    #[test]
    fn index_rows_are_coloured_and_linked() {
        let store = temp_store("index");
        make_run(
            &store,
            "broadcast",
            "20240305T142301.123+0100",
            Some("{:valid? false}"),
        );
        let page = index(&store, None);
        assert!(
            page.contains("<td class=\"valid\" style=\"background: #FEB5DA\">false</td>"),
            "{page}"
        );
        let dir = "/files/broadcast/20240305T142301.123%2B0100";
        for link in [
            "/index.html",
            "/results.edn",
            "/history.txt",
            "/jepsen.log",
            ".zip",
        ] {
            assert!(
                page.contains(&format!("href=\"{dir}{link}\"")),
                "{link}: {page}"
            );
        }
        assert!(page.contains(">2024-03-05T14:23:01<"), "{page}");
        assert!(!page.contains("Older tests"));
        let _ = fs::remove_dir_all(&store);
    }

    /// Past 128 runs the index pages with `?after=`, which shows the older ones.
    #[test]
    fn index_pages_past_the_limit() {
        let store = temp_store("paging");
        for i in 0..130 {
            make_run(
                &store,
                "echo",
                &format!("20240305T14{:02}{:02}.000Z", i / 60, i % 60),
                None,
            );
        }
        let page = index(&store, None);
        assert_eq!(page.matches("<tr class=\"run\">").count(), PAGE_LIMIT);
        assert!(
            page.contains("href=\"/?after=20240305T140002.000Z\">Older tests...</a>"),
            "{page}"
        );
        let older = index(&store, Some("20240305T140002.000Z"));
        assert_eq!(older.matches("<tr class=\"run\">").count(), 2);
        let _ = fs::remove_dir_all(&store);
    }

    /// Names with markup are escaped, not interpreted.
    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(
            files_url(["a b", "c/d", "x+y#"]),
            "/files/a%20b/c%2Fd/x%2By%23"
        );
    }

    /// A directory page lists results.edn and history.txt first and colours run folders.
    #[test]
    fn directory_page_orders_files() {
        let store = temp_store("dir");
        make_run(
            &store,
            "echo",
            "20240305T142301.123Z",
            Some("{:valid? true}"),
        );
        let run = store.join("echo/20240305T142301.123Z");
        fs::write(run.join("history.txt"), "0\t:invoke\t:echo\t1\n").expect("history");
        fs::write(run.join("a.log"), "log\n").expect("log");
        fs::write(run.join("index.html"), "<html></html>").expect("page");
        let root = store.canonicalize().expect("root");
        let page = directory(&root, &root.join("echo"));
        assert!(page.contains("background: #6DB6FE"), "{page}");
        let page = directory(&root, &root.join("echo/20240305T142301.123Z"));
        let pos = |s: &str| {
            page.find(s)
                .unwrap_or_else(|| panic!("{s} missing: {page}"))
        };
        assert!(pos(">index.html</a>") < pos(">results.edn</a>"));
        assert!(pos(">results.edn</a>") < pos(">history.txt</a>"));
        assert!(pos(">history.txt</a>") < pos(">a.log</a>"));
        assert!(page.contains("<pre>0\t:invoke\t:echo\t1\n</pre>"));
        assert!(
            page.contains("href=\"/files/echo/20240305T142301.123Z.zip\""),
            "{page}"
        );
        let _ = fs::remove_dir_all(&store);
    }
}
