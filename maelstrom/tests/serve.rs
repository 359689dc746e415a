//! `maelstrom serve` over real HTTP: the binary is started on a free loopback port in a private
//! working directory holding a small `store/`, and raw requests (sent byte for byte, so that no
//! client tidies `..` away first) check the pages, the content types and every way out of
//! `store/` we know of.

mod support;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::maelstrom_in;

/// A running `maelstrom serve` and its working directory; killed and removed on drop.
struct Served {
    child: Child,
    address: String,
    cwd: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.cwd);
    }
}

/// Makes `<tmp>/store` with one valid broadcast run, a file outside the store and symlinks
/// out of it, then starts `maelstrom serve --port <a free port> <extra>` there.
#[track_caller]
fn serve(tag: &str, extra: &[&str]) -> Served {
    let cwd =
        std::env::temp_dir().join(format!("maelstrom-serve-e2e-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&cwd);
    let run = cwd.join("store/broadcast/20240305T142301.123+0100");
    fs::create_dir_all(run.join("node-logs")).expect("run dir");
    fs::write(run.join("results.edn"), "{:valid? false}\n").expect("results");
    fs::write(run.join("history.txt"), "0\t:invoke\t:read\tnil\n").expect("history");
    fs::write(run.join("jepsen.log"), "2024-03-05 14:23:01,123 hello\n").expect("log");
    fs::write(
        run.join("messages.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .expect("svg");
    fs::write(cwd.join("secret.txt"), "the secret\n").expect("secret");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../secret.txt", cwd.join("store/out.txt")).expect("link");
        std::os::unix::fs::symlink("/", cwd.join("store/root")).expect("link");
    }
    // `--port 0` takes any free port, and the Listening line names it.
    let mut args = vec!["serve", "--port", "0"];
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(&args)
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start maelstrom serve");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let address = line
        .strip_prefix("Listening on http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no Listening line: {line:?}"))
        .to_string();
    Served {
        child,
        address,
        cwd,
    }
}

/// A response: status code, headers (lower-cased names) and body.
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `GET <target>` exactly as written (HTTP/1.0, so the body ends when the server closes).
#[track_caller]
fn get(served: &Served, target: &str) -> Got {
    request(served, "GET", target)
}

/// Sends `<method> <target>` exactly as written, with an empty body.
#[track_caller]
fn request(served: &Served, method: &str, target: &str) -> Got {
    let mut stream = TcpStream::connect(&served.address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "{method} {target} HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Got {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// By default `serve` binds loopback only (a deliberate difference from Jepsen's 0.0.0.0).
#[test]
fn binds_loopback_by_default() {
    let served = serve("default", &[]);
    assert!(
        served.address.starts_with("127.0.0.1:"),
        "{}",
        served.address
    );
}

/// The index lists the run with its validity colour and links; files come back with their
/// content types; a run folder comes back as a zip.
#[test]
fn index_files_and_zip() {
    let served = serve("pages", &[]);
    let index = get(&served, "/");
    assert_eq!(index.status, 200);
    assert!(index.header("content-type").starts_with("text/html"));
    let page = index.text();
    assert!(page.contains("<h1>Jepsen</h1>"), "{page}");
    assert!(
        page.contains("style=\"background: #FEB5DA\">false</td>"),
        "{page}"
    );
    let dir = "/files/broadcast/20240305T142301.123%2B0100";
    assert!(
        page.contains(&format!("href=\"{dir}/jepsen.log\"")),
        "{page}"
    );

    let results = get(&served, &format!("{dir}/results.edn"));
    assert_eq!(results.status, 200);
    assert_eq!(results.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(results.text(), "{:valid? false}\n");
    let svg = get(&served, &format!("{dir}/messages.svg"));
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    let listing = get(&served, dir);
    assert_eq!(listing.status, 200);
    assert!(
        listing.text().contains(">history.txt</a>"),
        "{}",
        listing.text()
    );

    let zip = get(&served, &format!("{dir}.zip"));
    assert_eq!(zip.status, 200);
    assert_eq!(zip.header("content-type"), "application/zip");
    assert!(zip.body.starts_with(b"PK"), "not a zip");
    assert!(
        zip.body.windows(11).any(|w| w == b"results.edn"),
        "the zip names results.edn"
    );
}

/// No request reaches a file outside store/: `..`, its encodings, encoded slashes, symlinks.
#[test]
fn nothing_outside_the_store() {
    let served = serve("escape", &[]);
    for target in [
        "/files/../secret.txt",
        "/files/broadcast/../../secret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/%2E%2e/secret.txt",
        "/files/..%2fsecret.txt",
        "/files/broadcast%2F..%2F..%2Fsecret.txt",
        "/files/..%5csecret.txt",
        "/files/out.txt",
        "/files/root/etc/passwd",
        "/files/root.zip",
        "/../secret.txt",
        "/files/%2e%2e.zip",
    ] {
        let got = get(&served, target);
        assert!(
            got.status == 403 || got.status == 404,
            "{target}: status {}",
            got.status
        );
        let text = got.text();
        assert!(!text.contains("the secret"), "{target}: {text}");
        assert!(!text.contains("root:"), "{target}: {text}");
    }
}

/// Folder pages preview only the store's own regular files: not a symlink's target outside the
/// store, and not a named pipe (whose open would block a worker): the pipe is refused when asked
/// for, and the server keeps answering.
#[test]
fn folder_pages_preview_only_regular_files() {
    let served = serve("previews", &[]);
    let pipe = Path::new(&served.cwd).join("store/broadcast/pipe.log");
    let made = Command::new("mkfifo").arg(&pipe).status().expect("mkfifo");
    assert!(made.success());
    for target in ["/files/", "/files", "/files/broadcast"] {
        let got = get(&served, target);
        assert_eq!(got.status, 200, "{target}");
        let text = got.text();
        assert!(
            text.contains("out.txt") || target != "/files/",
            "{target}: {text}"
        );
        assert!(!text.contains("the secret"), "{target}: {text}");
    }
    assert_eq!(get(&served, "/files/broadcast/pipe.log").status, 403);
    assert_eq!(get(&served, "/").status, 200, "still answering");
}

/// A port that is taken is a clear error naming the address, not a panic.
#[test]
fn port_in_use_is_a_clear_error() {
    let served = serve("busy", &[]);
    let port = served.address.rsplit(':').next().expect("port");
    let out = maelstrom_in(Path::new(&served.cwd), &["serve", "--port", port]);
    let stdout = &out.stdout;
    assert_eq!(out.code, Some(255), "{stdout}");
    assert!(
        stdout.contains(&format!("Cannot listen on 127.0.0.1:{port}")),
        "{stdout}"
    );
}

/// Clients that ask for a large file and never read it (more of them than `serve` has worker
/// threads) do not stall it: another client is answered at once.
#[test]
fn slow_clients_do_not_stall_serve() {
    let served = serve("slow", &[]);
    let big = Path::new(&served.cwd).join("store/broadcast/big.log");
    // 256 MiB, sparse: far more than the socket buffers hold.
    fs::File::create(&big)
        .and_then(|f| f.set_len(256 << 20))
        .expect("big file");
    let mut idle = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(&served.address).expect("connect");
        write!(
            stream,
            "GET /files/broadcast/big.log HTTP/1.0\r\nHost: localhost\r\n\r\n"
        )
        .expect("send");
        idle.push(stream);
    }
    // Let the server fill the idle clients' socket buffers.
    std::thread::sleep(Duration::from_millis(500));
    let started = std::time::Instant::now();
    let index = get(&served, "/");
    assert_eq!(index.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered after {:?}",
        started.elapsed()
    );
    drop(idle);
}

/// Only GET and HEAD are served: POST, PUT, DELETE and made-up methods get 405 with `Allow`,
/// and never the file; HEAD gets the headers without the body.
#[test]
fn only_get_and_head_are_allowed() {
    let served = serve("methods", &[]);
    let target = "/files/broadcast/20240305T142301.123%2B0100/results.edn";
    for method in ["POST", "PUT", "DELETE", "PATCH", "BREW"] {
        let got = request(&served, method, target);
        assert_eq!(got.status, 405, "{method}");
        assert_eq!(got.header("allow"), "GET, HEAD", "{method}");
        assert!(!got.text().contains(":valid?"), "{method}: {}", got.text());
    }
    let head = request(&served, "HEAD", target);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

/// A `results.edn` or `jepsen.log` that is a named pipe, or a `results.edn` nested 10,000
/// levels deep, does not block or crash the index: those runs show as incomplete and the server
/// keeps answering.
#[test]
fn hostile_results_do_not_break_the_index() {
    let served = serve("hostile-results", &[]);
    let store = Path::new(&served.cwd).join("store/broadcast");
    let pipe_run = store.join("20240305T142302.123+0100");
    fs::create_dir_all(&pipe_run).expect("run");
    let made = Command::new("mkfifo")
        .arg(pipe_run.join("results.edn"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // A jepsen.log that is a named pipe (the index reads what ran from its first lines).
    let made = Command::new("mkfifo")
        .arg(pipe_run.join("jepsen.log"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let deep_run = store.join("20240305T142303.123+0100");
    fs::create_dir_all(&deep_run).expect("run");
    fs::write(
        deep_run.join("results.edn"),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
    )
    .expect("deep");
    let started = std::time::Instant::now();
    let index = get(&served, "/");
    assert_eq!(index.status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    let page = index.text();
    assert_eq!(page.matches(">incomplete</td>").count(), 2, "{page}");
    assert_eq!(get(&served, "/").status, 200, "still answering");
}

/// `serve` where there is no `store/` says so and how to make one, after the Listening line.
#[test]
fn no_store_yet_is_said() {
    let cwd =
        std::env::temp_dir().join(format!("maelstrom-serve-e2e-empty-{}", std::process::id()));
    let _ = fs::remove_dir_all(&cwd);
    fs::create_dir_all(&cwd).expect("cwd");
    let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(["serve", "--port", "0"])
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start maelstrom serve");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).expect("first line");
    out.read_line(&mut second).expect("second line");
    let _ = child.kill();
    let _ = child.wait();
    let _ = fs::remove_dir_all(&cwd);
    assert!(first.starts_with("Listening on http://"), "{first}");
    assert!(
        second.starts_with("There is no store/ here yet") && second.contains("Run a test here"),
        "{second}"
    );
}
