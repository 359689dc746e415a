//! The views as a person sees them: a short broadcast run with partitions, `maelstrom serve` on
//! loopback, and Debian's headless Chromium loading the index, the run's page, messages.svg and
//! timeline.html. Each page's DOM is checked for what a reader looks for, and screenshots are
//! saved under `target/browser/` for a developer to look at.
//!
//! Chromium comes from `.ci/install-chromium.sh` (run by `make test`); without it this test
//! fails and says how to install it. The README's picture is this test's `target/browser/run-page.png`,
//! copied to `maelstrom/doc/run-page.png`.

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{strings, Bin};

/// Longest a single Chromium call may take before the test gives up on it.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

/// `maelstrom serve`, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `maelstrom serve` in `cwd` on a free loopback port.
#[track_caller]
fn serve(cwd: &Path) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(["serve", "--port", &port])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start maelstrom serve");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("Listening line");
    assert!(line.starts_with("Listening on http://127.0.0.1:"), "{line}");
    Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// Where screenshots go: `target/browser/`.
fn shots() -> PathBuf {
    let dir = support::profile_dir()
        .parent()
        .unwrap_or(Path::new("target"))
        .join("browser");
    fs::create_dir_all(&dir).expect("target/browser");
    dir
}

/// What one Chromium call printed: the page's DOM or nothing, and the pages' console lines.
struct Output {
    stdout: String,
    /// Lines Chromium logs for `console.*` calls and uncaught errors (`...:CONSOLE:...`).
    console: Vec<String>,
}

/// Runs headless Chromium with the flags this machine needs (no sandbox as root, no GPU, no
/// background traffic to the closed network) and a fresh profile, logging the pages' console to
/// stderr.
#[track_caller]
fn chromium(profile: &Path, args: &[&str]) -> Output {
    let out_path = profile.with_extension("stdout");
    let err_path = profile.with_extension("stderr");
    let spawned = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"))
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => panic!(
            "cannot start chromium ({e}): install Debian's chromium with .ci/install-chromium.sh \
             (as root; `make test` runs it)"
        ),
    };
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} took longer than {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let stderr = fs::read_to_string(&err_path).unwrap_or_default();
    Output {
        stdout: fs::read_to_string(&out_path).unwrap_or_default(),
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(String::from)
            .collect(),
    }
}

/// The DOM Chromium builds for `url`, after scripts and images.
#[track_caller]
fn dom(profile: &Path, url: &str) -> String {
    let out = chromium(profile, &["--virtual-time-budget=3000", "--dump-dom", url]);
    assert!(
        out.console.is_empty(),
        "console output on {url}: {:#?}",
        out.console
    );
    out.stdout
}

/// Saves a screenshot of `url` at `width` x `height` to `target/browser/<name>.png` and checks
/// it is a PNG of that size.
#[track_caller]
fn screenshot(profile: &Path, url: &str, name: &str, (width, height): (u32, u32)) -> PathBuf {
    let path = shots().join(format!("{name}.png"));
    let _ = fs::remove_file(&path);
    chromium(
        profile,
        &[
            &format!("--window-size={width},{height}"),
            "--virtual-time-budget=5000",
            &format!("--screenshot={}", path.display()),
            url,
        ],
    );
    let png = fs::read(&path).unwrap_or_else(|e| panic!("no screenshot {}: {e}", path.display()));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((be(16), be(20)), (width, height), "{name}");
    path
}

/// A broadcast run with partitions, served and opened in Chromium: the index lists it with its
/// verdict colour, the run's folder shows its files and plots, index.html its verdict, checkers
/// and plots, messages.svg draws the nodes and messages, timeline.html the ops.
#[test]
fn pages_in_headless_chromium() {
    let bin = Bin::Part("broadcast-3c")
        .path()
        .expect("build broadcast-3c");
    let bin = bin.to_string_lossy().into_owned();
    let args = strings(&[
        "test",
        "-w",
        "broadcast",
        "--bin",
        &bin,
        "--node-count",
        "3",
        "--time-limit",
        "4",
        "--rate",
        "20",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "1",
    ]);
    let run = support::run("browser", &args);
    run.assert_exit(0);
    let served = serve(&run.cwd);
    let profile = run.cwd.join("chromium-profile");

    // The index: one run, broadcast, valid, coloured as Jepsen colours true.
    let index = dom(&profile, &format!("{}/", served.base));
    assert!(index.contains("<h1>Jepsen</h1>"), "{index}");
    assert_eq!(index.matches("<tr class=\"run\">").count(), 1, "{index}");
    assert!(
        index.contains("<td class=\"valid\" style=\"background: #6DB6FE\">true</td>"),
        "{index}"
    );
    screenshot(&profile, &format!("{}/", served.base), "index", (1000, 300));

    // The run page, reached through the index's link.
    let start = index.find("href=\"/files/broadcast/").expect("a run link") + 6;
    let link = &index[start..start + index[start..].find('"').expect("end of link")];
    let page = dom(&profile, &format!("{}{link}", served.base));
    for file in [
        "results.edn",
        "history.txt",
        "timeline.html",
        "messages.svg",
        "latency-raw.png",
        "latency-quantiles.png",
        "rate.png",
        "jepsen.log",
        "index.html",
    ] {
        assert!(page.contains(&format!(">{file}</a>")), "{file}: {page}");
    }
    assert!(page.contains("<img src=\""), "{page}");
    assert!(page.contains(":valid? true"), "results.edn preview: {page}");
    screenshot(
        &profile,
        &format!("{}{link}", served.base),
        "run",
        (1300, 1000),
    );

    // The run page (index.html): verdict, checkers, plots that loaded.
    let run_page = dom(&profile, &format!("{}{link}/index.html", served.base));
    assert!(
        run_page.contains("style=\"background: #6DB6FE\">Everything looks good!"),
        "{run_page}"
    );
    assert!(
        run_page.contains("<tr><td>:workload</td><td style=\"background: #6DB6FE\">true</td></tr>"),
        "{run_page}"
    );
    for plot in ["latency-raw.png", "latency-quantiles.png", "rate.png"] {
        assert!(
            run_page.contains(&format!("<img src=\"{plot}\"")),
            "{plot}: {run_page}"
        );
    }
    run_page_interactions(&run, &served, link, &profile);

    // messages.svg: a line and a label per node, arrows for messages.
    let svg = dom(&profile, &format!("{}{link}/messages.svg", served.base));
    for node in ["n0", "n1", "n2"] {
        assert!(
            svg.contains(&format!("fill=\"#000\">{node}</text>")),
            "{node}: {}",
            &svg[..svg.len().min(2000)]
        );
    }
    assert!(
        svg.matches("class=\"message\"").count() > 20,
        "too few messages drawn"
    );
    screenshot(
        &profile,
        &format!("{}{link}/messages.svg", served.base),
        "messages",
        (1200, 800),
    );
    // No two message labels overlap where Chromium draws them (messages sent together used to
    // print their labels over one another).
    let check = format!(
        "<!DOCTYPE html><html><body><div id=\"svg\"></div><pre id=\"report\">loading</pre><script>\
         fetch('{link}/messages.svg').then((r) => r.text()).then((text) => {{\
           document.getElementById('svg').innerHTML = text;\
           const boxes = [...document.querySelectorAll('text.label')].map((t) => t.getBBox());\
           let overlaps = 0;\
           for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {{\
             const a = boxes[i], b = boxes[j];\
             if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) overlaps++;\
           }}\
           document.getElementById('report').textContent = 'labels ' + boxes.length + ' overlaps ' + overlaps;\
         }});</script></body></html>"
    );
    fs::write(run.cwd.join("store/labels-check.html"), check).expect("labels check");
    let labels = dom(
        &profile,
        &format!("{}/files/labels-check.html", served.base),
    );
    assert!(
        labels.contains(" overlaps 0</pre>") && !labels.contains("labels 0 "),
        "{}",
        &labels[labels.find("<pre").unwrap_or(0)..]
    );

    // timeline.html: ok boxes for broadcasts and reads, the nemesis column.
    let timeline = dom(&profile, &format!("{}{link}/timeline.html", served.base));
    assert!(timeline.contains("class=\"op ok\""), "no ok ops drawn");
    assert!(timeline.contains(":nemesis</div>"), "no nemesis column");
    // A time axis: the entries' times in ms, every 8th row.
    assert!(
        timeline.contains("<div class=\"time\" style=\"top:24px\">"),
        "no time axis"
    );
    assert!(
        timeline.matches("class=\"time\"").count() > 5,
        "no time axis"
    );
    screenshot(
        &profile,
        &format!("{}{link}/timeline.html", served.base),
        "timeline",
        (900, 700),
    );

    drop(served);
    run.clean();
}

/// The run page used as a person would, through `support/run_page_check.html` (served from the
/// same origin, so it can reach into the page): the nodes are drawn, unticking n1 removes its
/// messages and column, a lost or late value's link selects a read on that node, clicking an op
/// highlights its node's messages between its invocation and completion, clicking a message
/// shows its body; no console output. Its screenshot is the README's picture.
#[track_caller]
fn run_page_interactions(run: &support::Run, served: &Served, link: &str, profile: &Path) {
    let harness = include_str!("support/run_page_check.html")
        .replace("RUN_PAGE", &format!("{link}/index.html"));
    fs::write(run.cwd.join("store/run-page-check.html"), harness).expect("harness");
    let url = format!("{}/files/run-page-check.html", served.base);
    let out = chromium(
        profile,
        &["--virtual-time-budget=10000", "--dump-dom", &url],
    );
    assert!(out.console.is_empty(), "console output: {:#?}", out.console);
    let start = out.stdout.find("<pre id=\"report\">").expect("the report") + 17;
    let end = start + out.stdout[start..].find("</pre>").expect("end of report");
    let text = out.stdout[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("report {text:?}: {e}"));
    assert_eq!(report["step"], "done", "{report:#}");

    // Nodes and messages drawn.
    let names = |key: &str| -> Vec<String> {
        let list = report[key].as_array().cloned().unwrap_or_default();
        list.iter()
            .filter_map(|n| n.as_str().map(String::from))
            .collect()
    };
    for node in ["n0", "n1", "n2"] {
        assert!(
            names("headers").contains(&node.to_string()),
            "{node}: {report:#}"
        );
    }
    // Nodes first, clients after them: a wide run's first screen shows its nodes.
    assert_eq!(
        names("headers").first().map(String::as_str),
        Some("n0"),
        "{report:#}"
    );
    assert!(report["segments"].as_u64() > Some(10), "{report:#}");
    assert!(
        report["inked"].as_u64() > Some(5_000),
        "a blank canvas: {report:#}"
    );

    // Scrolled sideways, the canvas (and the time labels in its gutter) stays in view.
    assert!(
        report["scrolledLeft"].as_f64() > Some(0.0),
        "no sideways scroll to test: {report:#}"
    );
    assert!(
        report["canvasOffset"]
            .as_f64()
            .is_some_and(|o| o.abs() < 1.0),
        "the canvas moved with the scroll, hiding the time labels' first digits: {report:#}"
    );
    // Both verdict lines' characters have glyphs in the fonts .ci/install-chromium.sh installs.
    assert_eq!(report["boxDiffersFromA"], true, "{report:#}");
    assert_eq!(
        report["missingGlyphs"],
        serde_json::json!([]),
        "drawn as missing-glyph boxes: {report:#}"
    );

    // Unticking n1 hides its messages and its column, not the others.
    assert!(report["n1Before"].as_u64() > Some(0), "{report:#}");
    assert_eq!(report["n1After"].as_u64(), Some(0), "{report:#}");
    assert!(
        !names("headersWithoutN1").contains(&"n1".to_string()),
        "{report:#}"
    );
    assert!(report["segmentsWithoutN1"].as_u64() > Some(0), "{report:#}");
    assert_ne!(report["status"], report["statusWithoutN1"], "{report:#}");

    // Each lost or stale value is listed, and its link selects a read on the node it names.
    let results = run.results();
    let late = support::int(support::at(&results, &["workload", "lost-count"]))
        + support::int(support::at(&results, &["workload", "stale-count"]));
    assert_eq!(
        report["lackRows"].as_i64(),
        Some(late.min(100)),
        "{report:#}"
    );
    if late > 0 {
        // A valid run has only late values, which are allowed: their table starts folded.
        assert_eq!(report["lacksFolded"], true, "{report:#}");
        let op = &report["lackOp"];
        assert_eq!(op[5], "read", "{report:#}");
        let node = &report["nodes"][op[0].as_u64().expect("node") as usize];
        assert_eq!(node, &report["lackNode"], "{report:#}");
        assert!(
            report["lackPanel"]
                .as_str()
                .is_some_and(|p| p.contains("Op: read")),
            "{report:#}"
        );
    }

    // An op's click highlights its node's messages sent or delivered while it ran.
    let op = &report["op"];
    let (node, first, last) = (op[0].as_i64(), op[2].as_i64(), op[3].as_i64());
    let lit = report["highlighted"]
        .as_array()
        .expect("an op bar was clicked");
    assert!(
        lit.len() >= 2,
        "at least the request and its reply: {report:#}"
    );
    for m in lit {
        let [src, dest, sent, got] = [0, 1, 2, 3].map(|k| m[k].as_i64());
        assert!(src == node || dest == node, "{m} is not {node:?}'s");
        let during = |row: Option<i64>| row >= first && row <= last;
        assert!(
            during(sent) || during(got),
            "{m} outside rows {first:?}..={last:?}"
        );
    }
    assert!(
        report["opPanel"]
            .as_str()
            .is_some_and(|p| p.contains("highlighted")),
        "{report:#}"
    );

    // A message's click shows its body.
    let clicked = &report["clicked"];
    let body: serde_json::Value =
        serde_json::from_str(clicked["body"].as_str().expect("a message was clicked"))
            .expect("body");
    let shown: serde_json::Value =
        serde_json::from_str(report["panelBody"].as_str().expect("the panel's body"))
            .expect("shown");
    assert_eq!(shown, body, "{report:#}");
    assert!(
        report["panel"]
            .as_str()
            .is_some_and(|p| p.contains(&format!("Message {}", clicked["id"]))),
        "{report:#}"
    );

    screenshot(profile, &url, "run-page", (1400, 1300));
}

/// A lin-kv run whose key 1 is not linearizable (`lin_kv_nodes stale-reads`), served and opened
/// in Chromium: the run page shows key 1's picture (`independent/1/linear.svg`) as a figure that
/// loads, with its ops (each linking to timeline.html), the linearization's points and the
/// impossible op outlined; the picture alone parses as SVG. Screenshots: `target/browser/linear.png`, `target/browser/lin-kv-run-page.png`.
#[test]
fn counterexample_in_headless_chromium() {
    let bin = Bin::Example("lin_kv_nodes")
        .path()
        .expect("build lin_kv_nodes");
    let bin = bin.to_string_lossy().into_owned();
    let args = strings(&[
        "test",
        "-w",
        "lin-kv",
        "--bin",
        &bin,
        "--node-count",
        "2",
        "--concurrency",
        "4n",
        "--time-limit",
        "3",
        "--rate",
        "40",
        "--seed",
        "5",
        "--",
        "stale-reads",
    ]);
    let run = support::run("browser-lin-kv", &args);
    run.assert_invalid();
    let served = serve(&run.cwd);
    let profile = run.cwd.join("chromium-profile");
    let index = dom(&profile, &format!("{}/", served.base));
    let start = index.find("href=\"/files/lin-kv/").expect("a run link") + 6;
    let link = &index[start..start + index[start..].find('"').expect("end of link")];
    let picture = format!("{}{link}/independent/1/linear.svg", served.base);

    // The picture alone: an SVG Chromium parses (an XML error would show its error page).
    let svg = dom(&profile, &picture);
    assert!(
        !svg.contains("This page contains the following errors"),
        "{svg}"
    );
    assert!(svg.contains("class=\"impossible\""), "{svg}");
    screenshot(&profile, &picture, "linear", (1600, 500));

    // The run page shows it, loaded, with what it draws.
    let harness = format!(
        "<!DOCTYPE html><html><body><iframe id=\"page\" src=\"{link}/index.html\" width=\"1400\" \
         height=\"1200\"></iframe><pre id=\"report\">loading</pre><script>\
         const frame = document.getElementById('page');\
         frame.addEventListener('load', () => {{\
           const doc = frame.contentDocument;\
           const objects = [...doc.querySelectorAll('#counterexamples object')];\
           const ready = (o) => new Promise((done) => {{\
             if (o.contentDocument && o.contentDocument.querySelector('svg')) done();\
             else o.addEventListener('load', () => done());\
           }});\
           Promise.all(objects.map(ready)).then(() => {{\
             const pictures = objects.map((o) => {{\
               const svg = o.contentDocument, box = o.getBoundingClientRect();\
               return {{ data: o.getAttribute('data'), width: box.width, height: box.height,\
                 impossible: svg.querySelectorAll('g.impossible').length,\
                 ops: svg.querySelectorAll('g.op').length,\
                 links: svg.querySelectorAll('g.op a[href^=\"../../timeline.html#i\"]').length,\
                 steps: svg.querySelectorAll('g.step').length,\
                 errors: svg.querySelectorAll('parsererror').length,\
                 title: svg.querySelector('title').textContent }};\
             }});\
             document.getElementById('report').textContent = JSON.stringify({{ pictures }});\
           }});\
         }});</script></body></html>"
    );
    fs::write(run.cwd.join("store/counterexample-check.html"), harness).expect("harness");
    let checked = dom(
        &profile,
        &format!("{}/files/counterexample-check.html", served.base),
    );
    let start = checked.find("<pre id=\"report\">").expect("the report") + 17;
    let end = start + checked[start..].find("</pre>").expect("end of report");
    let text = checked[start..end].replace("&quot;", "\"");
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("report {text:?}: {e}"));
    let pictures = report["pictures"].as_array().expect("pictures");
    assert_eq!(pictures.len(), 1, "{report:#}");
    let shown = &pictures[0];
    assert_eq!(shown["data"], "independent/1/linear.svg", "{report:#}");
    assert_eq!(shown["title"], "key 1: not linearizable", "{report:#}");
    assert_eq!(shown["impossible"], 1, "{report:#}");
    assert_eq!(shown["errors"], 0, "{report:#}");
    assert!(shown["ops"].as_u64() > Some(3), "{report:#}");
    assert_eq!(
        shown["links"], shown["ops"],
        "each op links to timeline.html: {report:#}"
    );
    assert!(shown["steps"].as_u64() > Some(0), "{report:#}");
    assert!(
        shown["width"].as_f64() > Some(300.0) && shown["height"].as_f64() > Some(150.0),
        "not shown at its size: {report:#}"
    );
    screenshot(
        &profile,
        &format!("{}{link}/index.html", served.base),
        "lin-kv-run-page",
        (1400, 1000),
    );
    drop(served);
    run.clean();
}
