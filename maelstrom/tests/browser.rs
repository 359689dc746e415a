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

/// Runs headless Chromium with the flags this machine needs (no sandbox as root, no GPU, no
/// background traffic to the closed network) and a fresh profile; returns stdout.
#[track_caller]
fn chromium(profile: &Path, args: &[&str]) -> String {
    let out_path = profile.with_extension("stdout");
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
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(Stdio::null())
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
    fs::read_to_string(&out_path).unwrap_or_default()
}

/// The DOM Chromium builds for `url`, after scripts and images.
#[track_caller]
fn dom(profile: &Path, url: &str) -> String {
    chromium(profile, &["--virtual-time-budget=3000", "--dump-dom", url])
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
    screenshot(
        &profile,
        &format!("{}{link}/index.html", served.base),
        "run-page",
        (1000, 1400),
    );

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

    // timeline.html: ok boxes for broadcasts and reads, the nemesis column.
    let timeline = dom(&profile, &format!("{}{link}/timeline.html", served.base));
    assert!(timeline.contains("class=\"op ok\""), "no ok ops drawn");
    assert!(timeline.contains(":nemesis</div>"), "no nemesis column");
    screenshot(
        &profile,
        &format!("{}{link}/timeline.html", served.base),
        "timeline",
        (900, 700),
    );

    drop(served);
    run.clean();
}
