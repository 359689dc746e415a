//! `index.html`: one page per run that opens without the server (every link is relative to the
//! run's folder, and its data comes from the sibling `run-data.js` and `run-bodies.js` through
//! `<script src>`, which `file://` allows): the verdict and the console's summary; for
//! broadcast, links from each lost or late value to the reads that lacked it; the Lamport
//! diagram of the whole run, drawn on a canvas by the inline script `run_page.js`, filterable by
//! node and message type, partitions shaded, a message's body shown on click, an op's messages
//! highlighted on click; then each checker's validity, links to the other files, the perf plots
//! and the whole results map. Jepsen has no such page; its directory listing is the closest.

use std::fmt::Write as _;
use std::path::Path;

use crate::edn::{self, Edn};
use crate::report::{self, Validity};
use crate::store::files::AtLink;
use crate::view::escape_html;
use crate::view::VIEWS;

/// The diagram's script, inlined into the page.
const SCRIPT: &str = include_str!("run_page.js");

/// Writes `dir/index.html` for a run whose results are `results`, whose console summary is
/// `summary` and whose other views are the files `views` (names relative to `dir`); returns the
/// file names written.
pub fn write(
    dir: &Path,
    results: &Edn,
    summary: &str,
    views: &[String],
) -> Result<Vec<String>, String> {
    let name =
        |p: Option<&std::ffi::OsStr>| p.map_or(String::new(), |n| n.to_string_lossy().into());
    let title = format!(
        "{} {}",
        name(dir.parent().and_then(Path::file_name)),
        name(dir.file_name())
    );
    let path = dir.join("index.html");
    crate::store::files::write_file(
        &path,
        render(&title, results, summary, views),
        AtLink::Replace,
    )
    .map_err(|e| e.to_string())?;
    Ok(vec!["index.html".to_string()])
}

/// The colour `serve`'s index gives a validity (Jepsen's `web.clj`).
fn color(valid: Option<&Edn>) -> &'static str {
    match valid {
        Some(Edn::Bool(true)) => "#6DB6FE",
        Some(Edn::Bool(false)) => "#FEB5DA",
        Some(_) => "#FFAA26",
        None => "#eaeaea",
    }
}

/// The page's style: the diagram fills most of the window, the panel sits at its right.
const STYLE: &str = "body { font-family: sans-serif; margin: 1em; } td, th { padding: 3px 8px; \
text-align: left; } .verdict { padding: 0.6em 1em; font-size: 130%; \
font-family: \"DejaVu Sans\", \"VL Gothic\", \"Lohit Kannada\", sans-serif; } img { max-width: 100%; } \
#summary { background: #f6f6f6; padding: 0.5em 1em; } #controls { font-size: 90%; margin: 0.3em 0; } \
#controls label { white-space: nowrap; } #viewer { display: flex; gap: 8px; } \
#diagram { flex: 1; height: 75vh; overflow: auto; border: 1px solid #ccc; } \
#sheet { width: max-content; min-width: 100%; } \
#canvas { position: sticky; top: 0; left: 0; display: block; } \
#panel { width: 26em; height: 75vh; overflow: auto; border: 1px solid #ccc; padding: 0 0.6em; \
font-size: 90%; } #panel pre { white-space: pre-wrap; word-break: break-all; } \
#lacks td a { margin-right: 0.4em; } .picture { overflow-x: auto; border: 1px solid #ccc; } #lacks-box { max-height: 14em; overflow: auto; }";

/// The page for `results`.
pub fn render(title: &str, results: &Edn, summary: &str, views: &[String]) -> String {
    let verdict = report::validity(results);
    let banner = match verdict {
        Validity::True => "#6DB6FE",
        Validity::False => "#FEB5DA",
        Validity::Unknown => "#FFAA26",
    };
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n\
         <div id=\"verdict\" class=\"verdict\" style=\"background: {banner}\">{}</div>\n\
         <pre id=\"summary\">{}</pre>\n<div id=\"lacks\"></div>\n",
        escape_html(report::verdict_line(verdict)),
        escape_html(summary.trim_end()),
        title = escape_html(title),
    );
    page.push_str(&figures(views));
    page.push_str(
        "<h2>Messages</h2>\n<div id=\"controls\"><div>Nodes: <span id=\"node-filter\"></span></div>\
         <div>Types: <span id=\"type-filter\"></span></div><div>Row height: <select \
         id=\"row-height\"><option>2</option><option>6</option><option selected>14</option>\
         <option>24</option></select> <span id=\"status\"></span></div></div>\n\
         <p>One row per send or delivery, as in messages.svg; partitions shaded; the bar left of a \
         node's line is a client op on that node (blue ok, pink fail, orange info). Click a \
         message for its body, an op to highlight its node's messages until it completed.</p>\n\
         <div id=\"viewer\"><div id=\"diagram\"><div id=\"sheet\"><canvas id=\"canvas\"></canvas>\
         <div id=\"spacer\"></div></div></div><aside id=\"panel\"><p>Click a message or an op.</p>\
         </aside></div>\n",
    );
    page.push_str("<h2>Checkers</h2>\n<table id=\"checkers\"><tbody>\n");
    if let Edn::Map(entries) = results {
        for (key, value) in entries {
            let Some(valid) = value.get("valid?") else {
                continue;
            };
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td style=\"background: {}\">{}</td></tr>",
                escape_html(&edn::compact(key)),
                color(Some(valid)),
                escape_html(&edn::compact(valid))
            );
        }
    }
    page.push_str("</tbody></table>\n<h2>Files</h2>\n<ul id=\"files\">\n");
    let has = |f: &str| views.iter().any(|v| v == f);
    // The views' own links (`view::VIEWS`), for the files they wrote, then the run's files.
    let mut links: Vec<(&str, &str)> = VIEWS
        .iter()
        .flat_map(|view| view.links.iter().copied())
        .filter(|(file, _)| has(file))
        .collect();
    links.extend([
        ("results.edn", "the results map"),
        ("history.txt", "every op, one per line"),
        ("jepsen.log", "the run's log"),
        ("node-logs/", "each node's stderr"),
    ]);
    for (file, what) in links {
        let _ = writeln!(page, "<li><a href=\"{file}\">{file}</a>: {what}</li>");
    }
    page.push_str("</ul>\n<h2>Performance</h2>\n");
    for view in VIEWS
        .iter()
        .filter(|v| v.image && !v.file.ends_with('/') && has(v.file))
    {
        let _ = writeln!(page, "<p><img src=\"{0}\" alt=\"{0}\"></p>", view.file);
    }
    let _ = write!(
        page,
        "<h2>Results</h2>\n<pre id=\"results\">{}</pre>\n\
         <script src=\"run-data.js\"></script>\n<script>\n{}</script>\n</body></html>\n",
        escape_html(&edn::pretty(&edn::cut_strings(
            results,
            report::PRINTED_STRING_BYTES
        ))),
        SCRIPT.replace("</", "<\\/")
    );
    page
}

/// The images of the views that write a folder of them (`independent/`: the pictures of keys
/// that are not linearizable), one figure each, linked to the file: what a reader of an invalid
/// run looks at first.
fn figures(views: &[String]) -> String {
    let mut out = String::new();
    for view in VIEWS.iter().filter(|v| v.image && v.file.ends_with('/')) {
        let files: Vec<&String> = views.iter().filter(|f| f.starts_with(view.file)).collect();
        if files.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h2>Counterexamples</h2>\n<p>Each key that is not linearizable (or undecided): its \
             ops per process, the longest linearization found through them, and the op that \
             cannot be linearized, outlined in red. Hover over an op or a point for its details; the \
             file's link opens the picture alone.</p>\n\
             <div id=\"counterexamples\">"
        );
        for file in files {
            let file = escape_html(file);
            let _ = writeln!(
                out,
                "<figure class=\"counterexample\"><div class=\"picture\"><object \
                 type=\"image/svg+xml\" data=\"{file}\">{file}</object></div><figcaption><a \
                 href=\"{file}\">{file}</a></figcaption></figure>"
            );
        }
        out.push_str("</div>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A results map quoting a node's huge value (unique-ids' `:range`) shows a prefix of it,
    /// saying how much was cut.
    #[test]
    fn huge_strings_in_results_are_cut() {
        let id = Edn::str(&"x".repeat(3 << 20));
        let results = Edn::map([
            (
                "workload",
                Edn::map([("range", Edn::Vector(vec![id].into()))]),
            ),
            ("valid?", Edn::Bool(true)),
        ]);
        let page = render("unique-ids", &results, "", &[]);
        assert!(page.len() < 40_000, "{} bytes", page.len());
        assert!(page.contains("more bytes cut, 3145728 in all]"), "{page}");
    }

    /// The verdict banner, each checker's validity, links, plots and the results map.
    #[test]
    fn shows_verdict_checkers_and_plots() {
        let results = Edn::map([
            ("perf", Edn::map([("valid?", Edn::Bool(true))])),
            (
                "workload",
                Edn::map([("lost-count", Edn::Int(2)), ("valid?", Edn::Bool(false))]),
            ),
            ("seed", Edn::Int(7)),
            ("valid?", Edn::Bool(false)),
        ]);
        let views: Vec<String> = ["timeline.html", "rate.png", "messages.svg"]
            .map(String::from)
            .to_vec();
        let page = render(
            "broadcast 2024",
            &results,
            "Summary:\n  valid? <x>\n",
            &views,
        );
        assert!(
            page.contains("style=\"background: #FEB5DA\">Analysis invalid!"),
            "{page}"
        );
        assert!(
            page.contains(
                "<tr><td>:workload</td><td style=\"background: #FEB5DA\">false</td></tr>"
            ),
            "{page}"
        );
        assert!(page.contains("<tr><td>:perf</td><td style=\"background: #6DB6FE\">true</td></tr>"));
        assert!(
            !page.contains("<td>:seed</td>"),
            "entries without :valid? are not checkers"
        );
        assert!(page.contains("<img src=\"rate.png\""));
        assert!(
            !page.contains("<img src=\"latency-raw.png\""),
            "not written, not shown"
        );
        assert!(!page.contains("messages.html"), "one window, no index");
        assert!(page.contains(":lost-count 2"), "the results map");
        assert!(!page.contains("Counterexamples"), "no pictures, no section");
    }

    /// Each picture of a key that is not linearizable is shown at the top, linked, and not
    /// again under Performance.
    #[test]
    fn shows_each_counterexample() {
        let results = Edn::map([("valid?", Edn::Bool(false))]);
        let views: Vec<String> = [
            "timeline.html",
            "independent/1/linear.svg",
            "independent/7/linear.svg",
        ]
        .map(String::from)
        .to_vec();
        let page = render("lin-kv 2024", &results, "", &views);
        let section = page.find("<h2>Counterexamples</h2>").expect("a section");
        assert!(section < page.find("<h2>Messages</h2>").expect("messages"));
        for key in [1, 7] {
            let file = format!("independent/{key}/linear.svg");
            assert!(
                page.contains(&format!("<object type=\"image/svg+xml\" data=\"{file}\">")),
                "{page}"
            );
            assert!(
                page.contains(&format!("<a href=\"{file}\">{file}</a>")),
                "{page}"
            );
        }
        assert!(!page.contains("<img src=\"independent/"), "{page}");
    }
}
