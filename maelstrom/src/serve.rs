//! `maelstrom serve`: browse `store/` over HTTP, as Jepsen's `jepsen/src/jepsen/web.clj` does.
//!
//! Routes, as in `web.clj`:
//! - `/` (and `/?after=<basic-date-time>`): the index of runs, newest first, 128 per page
//!   (`serve/pages.rs`).
//! - `/files/<path>`: a file under `store/` with its content type, a directory as a page, or
//!   `<dir>.zip`: that directory streamed as a zip.
//! - anything else: 404.
//!
//! Nothing outside `store/` is ever served. Each path segment is percent-decoded on its own; a
//! segment that decodes to `.`, `..` or contains `/`, `\` or NUL is refused (so `%2e%2e` and
//! `%2f` cannot climb out), and the resolved path is canonicalised and must still lie under the
//! canonical `store/` (so a symlink pointing out is refused, while the store's own relative
//! links such as `store/latest` work). Jepsen checks only the canonical prefix.
//!
//! One deliberate difference (README): Jepsen binds every interface (`0.0.0.0`) by default; we
//! bind `127.0.0.1`, and `--host 0.0.0.0` shares the store with the network.
//!
//! The server is `tiny_http`: synchronous, like the rest of the runner, with a few worker threads
//! taking requests off one listener. A client cannot stall it: every connection times out after
//! [`IDLE_TIMEOUT`] without sending or taking a byte (socket timeouts set on the listener, which
//! accepted sockets inherit), each response is written on a thread of its own (at most
//! [`MAX_WRITERS`] at once; past that a request is answered 503), so the workers only choose
//! replies and never wait on a client, and a response still being sent after
//! [`RESPONSE_DEADLINE`] is cut off. Methods other than GET and HEAD get 405.

mod pages;

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::percent_decode_str;
use tiny_http::{Header, Method, Response, Server, StatusCode};

pub use pages::{list_runs, RunEntry, Valid};

/// Threads choosing replies; each reply is then written on a thread of its own.
const WORKERS: usize = 4;

/// How long a connection may go without the client sending or taking a byte.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest a response may take to send: a client reading a large file a byte at a time is
/// cut off then.
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(300);

/// Responses being written at once; a request past that is answered 503 at once.
pub const MAX_WRITERS: usize = 64;

/// What a request gets back, before it is turned into an HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Body,
}

/// A reply's body.
#[derive(Debug)]
pub enum Body {
    Bytes(Vec<u8>),
    /// A file under `store/`, streamed.
    File(PathBuf),
    /// A directory under `store/`, streamed as a zip.
    Zip(PathBuf),
}

impl Reply {
    fn html(page: String) -> Reply {
        Reply {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: Body::Bytes(page.into_bytes()),
        }
    }

    /// A plain-text error page: Jepsen answers `404 not found`; refusals say why.
    fn error(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Body::Bytes(format!("{status} {text}\n").into_bytes()),
        }
    }

    fn not_found() -> Reply {
        Reply::error(404, "not found")
    }
}

/// The listening socket for `host:port`, with [`IDLE_TIMEOUT`] as its send and receive
/// timeouts, which the sockets it accepts inherit (Linux copies them on `accept`), so that no
/// read or write of `tiny_http`'s or ours waits on a silent client for longer.
fn listen(host: &str, port: u16) -> io::Result<TcpListener> {
    use rustix::net::sockopt::{set_socket_timeout, Timeout};
    let listener = TcpListener::bind((host, port))?;
    set_socket_timeout(&listener, Timeout::Recv, Some(IDLE_TIMEOUT))?;
    set_socket_timeout(&listener, Timeout::Send, Some(IDLE_TIMEOUT))?;
    Ok(listener)
}

/// Serves `store` on `host:port` until the process is killed. Prints `Listening on
/// http://<address>/` (with the real port when `port` is 0) once the socket is bound.
///
/// Errors: the address cannot be bound (in use, bad host), with the address in the message.
pub fn run(store: &Path, host: &str, port: u16, say: impl Fn(&str)) -> Result<(), String> {
    let server = listen(host, port)
        .map_err(|e| e.to_string())
        .and_then(|listener| Server::from_listener(listener, None).map_err(|e| e.to_string()))
        .map_err(|e| format!("Cannot listen on {host}:{port}: {e}"))?;
    let address = server
        .server_addr()
        .to_ip()
        .map_or_else(|| format!("{host}:{port}"), |a| a.to_string());
    say(&format!(
        "Listening on http://{address}/ (serving {}/)",
        store.display()
    ));
    if !store.is_dir() {
        say(&format!(
            "There is no {}/ here yet: no run has been stored under this directory. Run a \
             test here (maelstrom/maelstrom test -w echo --bin ...), or start serve where \
             store/ is; the index lists runs as they appear",
            store.display()
        ));
    }
    if store.join("latest/index.html").is_file() {
        say(&format!(
            "The latest run's page: http://{address}/files/latest/index.html"
        ));
    }
    let server = Arc::new(server);
    let writers = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            let store = store.to_path_buf();
            let writers = Arc::clone(&writers);
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    let reply = if matches!(request.method(), Method::Get | Method::Head) {
                        respond(&store, request.url())
                    } else {
                        Reply::error(405, "method not allowed: only GET and HEAD")
                    };
                    write_apart(request, reply, &writers);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

/// Why `store` cannot be served, if it cannot: a symbolic link, since serve shows only what is
/// inside the store and a link would show wherever it leads (`/etc`, to anyone who can reach
/// the port), or a file. A store that does not exist yet can be served: runs appear in the
/// index as they are stored.
pub fn refuse_store(store: &Path) -> Option<String> {
    let shown = store.display();
    match fs::symlink_metadata(store) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = fs::read_link(store)
                .map_or_else(|_| "somewhere".to_string(), |t| t.display().to_string());
            Some(format!(
                "{shown} is a symbolic link (to {target}): serve shows only what is inside a \
                 real {shown}/ directory, never where a link leads (anyone who can reach the \
                 port would see it). Run serve in the directory that holds the store itself \
                 (cd there), or move that directory to {shown} in place of the link"
            ))
        }
        Ok(m) if !m.is_dir() => Some(format!(
            "{shown} is a file, not a directory: serve shows the runs that test stores under \
             {shown}/ in this directory. Move the file away, or run serve where the store is"
        )),
        _ => None,
    }
}

/// Answers a request for `url` (path and query, as sent) from `store`.
pub fn respond(store: &Path, url: &str) -> Reply {
    // Checked at start (`refuse_store`); a store made a link since is not followed either.
    if refuse_store(store).is_some() {
        return Reply::error(403, "forbidden: store/ is not a directory of its own");
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if path == "/" {
        let after = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("after="))
            .map(|v| percent_decode_str(v).decode_utf8_lossy().into_owned());
        return Reply::html(pages::index(store, after.as_deref()));
    }
    match path.strip_prefix("/files/") {
        Some(rest) => files(store, rest),
        None if path == "/files" => files(store, ""),
        None => Reply::not_found(),
    }
}

/// `/files/<rest>`: a file, a directory page or a zip, from under `store` only.
fn files(store: &Path, rest: &str) -> Reply {
    let segments = match decode_segments(rest) {
        Ok(segments) => segments,
        Err(why) => return Reply::error(403, &why),
    };
    let Ok(root) = store.canonicalize() else {
        return Reply::not_found();
    };
    let joined = segments.iter().fold(root.clone(), |path, s| path.join(s));
    match inside(&root, &joined) {
        Ok(Some(path)) if path.is_dir() => Reply::html(pages::directory(&root, &path)),
        Ok(Some(path)) if path.is_file() => Reply {
            status: 200,
            content_type: content_type(&path),
            body: Body::File(path),
        },
        // A named pipe, a socket, a device: opening it could block a worker for ever.
        Ok(Some(_)) => Reply::error(403, "forbidden: not a regular file"),
        Ok(None) => zip_target(&root, &joined),
        Err(why) => Reply::error(403, &why),
    }
}

/// `<dir>.zip` for a directory `<dir>` under the store; 404 for anything else.
fn zip_target(root: &Path, requested: &Path) -> Reply {
    let name = requested.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(dir_name) = name.strip_suffix(".zip") else {
        return Reply::not_found();
    };
    match inside(root, &requested.with_file_name(dir_name)) {
        Ok(Some(dir)) if dir.is_dir() => Reply {
            status: 200,
            content_type: "application/zip",
            body: Body::Zip(dir),
        },
        Ok(_) => Reply::not_found(),
        Err(why) => Reply::error(403, &why),
    }
}

/// Splits the raw path after `/files/` into decoded segments, refusing any that could leave
/// the directory it names: `.`, `..`, or a segment that decodes to contain `/`, `\` or NUL.
fn decode_segments(raw: &str) -> Result<Vec<String>, String> {
    let mut segments = Vec::new();
    for raw_segment in raw.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode_str(raw_segment)
            .decode_utf8()
            .map_err(|_| format!("forbidden: {raw_segment:?} is not UTF-8 once decoded"))?;
        if segment == "." || segment == ".." {
            return Err(format!("forbidden: {raw_segment:?} would leave store/"));
        }
        if segment.contains(['/', '\\', '\0']) {
            return Err(format!(
                "forbidden: {raw_segment:?} hides a path separator or NUL"
            ));
        }
        segments.push(segment.into_owned());
    }
    Ok(segments)
}

/// The canonical form of `path` if it exists and lies under the canonical store `root`;
/// `Ok(None)` if it does not exist; an error if it resolves outside (a symlink pointing out).
fn inside(root: &Path, path: &Path) -> Result<Option<PathBuf>, String> {
    match path.canonicalize() {
        Ok(real) if real.starts_with(root) => Ok(Some(real)),
        Ok(_) => Err("forbidden: the path leads outside store/".to_string()),
        Err(_) => Ok(None),
    }
}

/// Content types as `web.clj` sets them (`.edn` and `.json` as text so they show in the
/// browser), plus the image and archive types its Ring default knows.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "txt" | "log" | "edn" | "json" | "stdout" | "stderr" => "text/plain; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Writes `reply` on a thread of its own, so the worker is free at once; with
/// [`MAX_WRITERS`] responses already being written (or no thread to spare) it answers 503
/// instead, which the socket's send timeout bounds.
fn write_apart(request: tiny_http::Request, reply: Reply, writers: &Arc<AtomicUsize>) {
    if writers.fetch_add(1, Ordering::SeqCst) >= MAX_WRITERS {
        writers.fetch_sub(1, Ordering::SeqCst);
        let _ = send(
            request,
            Reply::error(503, "busy: too many responses being sent"),
        );
        return;
    }
    let slot = Arc::new(std::sync::Mutex::new(Some((request, reply))));
    let theirs = Arc::clone(&slot);
    let done = Arc::clone(writers);
    let spawned = std::thread::Builder::new()
        .name("serve writer".into())
        .spawn(move || {
            if let Some((request, reply)) = theirs.lock().ok().and_then(|mut s| s.take()) {
                // A client that went away, or timed out, mid-answer is not our problem.
                let _ = send(request, reply);
            }
            done.fetch_sub(1, Ordering::SeqCst);
        });
    if spawned.is_err() {
        writers.fetch_sub(1, Ordering::SeqCst);
        if let Some((request, _)) = slot.lock().ok().and_then(|mut s| s.take()) {
            let _ = send(
                request,
                Reply::error(503, "busy: no thread to send the response"),
            );
        }
    }
}

/// Writes `reply` to the client: bytes and files with their length, a zip streamed (chunked),
/// a 405 with `Allow: GET, HEAD`. A body still being sent after [`RESPONSE_DEADLINE`] is cut
/// off.
fn send(request: tiny_http::Request, reply: Reply) -> io::Result<()> {
    let status = StatusCode(reply.status);
    let header = Header::from_bytes("Content-Type", reply.content_type)
        .map_err(|()| io::Error::other("bad content type"))?;
    let mut headers = vec![header];
    if reply.status == 405 {
        headers.push(
            Header::from_bytes("Allow", "GET, HEAD")
                .map_err(|()| io::Error::other("bad header"))?,
        );
    }
    let until = Instant::now() + RESPONSE_DEADLINE;
    match reply.body {
        Body::Bytes(bytes) => {
            let len = bytes.len();
            let body = Deadline::new(io::Cursor::new(bytes), until);
            request.respond(Response::new(status, headers, body, Some(len), None))
        }
        Body::File(path) => match File::open(&path) {
            Ok(file) => {
                let len = file.metadata().ok().map(|m| m.len() as usize);
                let body = Deadline::new(file, until);
                request.respond(Response::new(status, headers, body, len, None))
            }
            Err(_) => {
                request.respond(Response::from_string("404 not found\n").with_status_code(404))
            }
        },
        Body::Zip(dir) => {
            let body = Deadline::new(spawn_zip(dir), until);
            request.respond(Response::new(status, headers, body, None, None))
        }
    }
}

/// A body that fails once its deadline has passed, which ends the response.
struct Deadline<R> {
    inner: R,
    until: Instant,
}

impl<R> Deadline<R> {
    fn new(inner: R, until: Instant) -> Deadline<R> {
        Deadline { inner, until }
    }
}

impl<R: Read> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.until {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the response took too long to send",
            ));
        }
        self.inner.read(buf)
    }
}

/// Writes the zip of `dir` on its own thread into a bounded channel, and returns the reading
/// end: memory stays at a few chunks however large the run folder is.
fn spawn_zip(dir: PathBuf) -> ChunkReader {
    let (sender, receiver) = mpsc::sync_channel(4);
    std::thread::spawn(move || {
        // A failure (a file vanished, the client hung up) truncates the zip; the client sees a
        // broken archive, which is all an HTTP response can say once its headers are sent.
        let _ = write_zip(&dir, ChunkWriter { sender });
    });
    ChunkReader {
        receiver,
        chunk: Vec::new(),
        offset: 0,
    }
}

/// Zips every regular file under `dir` (symlinks are skipped, so nothing outside it comes in),
/// each entry named `<dir name>/<relative path>`, deflated.
pub fn write_zip(dir: &Path, out: impl Write) -> io::Result<()> {
    let prefix = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let mut zip = zip::ZipWriter::new_stream(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for file in files {
        let relative = file.strip_prefix(dir).unwrap_or(&file);
        let mut name = prefix.clone().unwrap_or_default();
        for part in relative.components() {
            name.push('/');
            name.push_str(&part.as_os_str().to_string_lossy());
        }
        let options = match modified(&file) {
            Some(time) => options.last_modified_time(time),
            None => options,
        };
        zip.start_file(name, options).map_err(io::Error::other)?;
        io::copy(&mut File::open(&file)?, &mut zip)?;
    }
    zip.finish().map_err(io::Error::other)?;
    Ok(())
}

/// A file's modification time in local time, as a zip entry's date (which has no time zone, and
/// holds 1980 to 2107); None when unknown or out of that range, and the entry keeps the zip
/// crate's default date (1980-01-01).
fn modified(file: &Path) -> Option<zip::DateTime> {
    use chrono::{Datelike, Timelike};
    let time: chrono::DateTime<chrono::Local> = fs::metadata(file).ok()?.modified().ok()?.into();
    zip::DateTime::from_date_and_time(
        u16::try_from(time.year()).ok()?,
        time.month() as u8,
        time.day() as u8,
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
    )
    .ok()
}

/// Regular files under `dir`, recursively, not following symlinks.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_files(&entry.path(), files)?;
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// The writing end of a zip stream: each write becomes a chunk on a bounded channel.
struct ChunkWriter {
    sender: SyncSender<Vec<u8>>,
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sender
            .send(buf.to_vec())
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The reading end: the chunks in order, then end of file when the writer is done.
struct ChunkReader {
    receiver: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    offset: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.chunk.len() {
            match self.receiver.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.offset = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.offset);
        buf[..n].copy_from_slice(&self.chunk[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store with one run (results valid), a secret file beside it and a symlink out.
    struct Fixture {
        base: PathBuf,
    }

    impl Fixture {
        fn new(tag: &str) -> Fixture {
            let base =
                std::env::temp_dir().join(format!("maelstrom-serve-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            let run = base.join("store/broadcast/20240305T142301.123+0100");
            fs::create_dir_all(run.join("node-logs")).expect("run dir");
            fs::write(run.join("results.edn"), "{:valid? true}\n").expect("results");
            fs::write(run.join("history.txt"), "0\t:invoke\t:read\tnil\n").expect("history");
            fs::write(run.join("node-logs/n0.log"), "hello\n").expect("log");
            fs::write(base.join("secret.txt"), "secret\n").expect("secret");
            #[cfg(unix)]
            {
                std::os::unix::fs::symlink("../secret.txt", base.join("store/out.txt"))
                    .expect("link out");
                std::os::unix::fs::symlink("..", base.join("store/up")).expect("dir link out");
                std::os::unix::fs::symlink(
                    "broadcast/20240305T142301.123+0100",
                    base.join("store/latest"),
                )
                .expect("latest");
            }
            Fixture { base }
        }

        fn store(&self) -> PathBuf {
            self.base.join("store")
        }

        fn get(&self, url: &str) -> Reply {
            respond(&self.store(), url)
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.base);
        }
    }

    fn text(reply: &Reply) -> String {
        match &reply.body {
            Body::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Body::File(p) => fs::read_to_string(p).expect("file"),
            Body::Zip(p) => format!("zip of {}", p.display()),
        }
    }

    /// A connection accepted by the listener inherits its idle timeouts, so a client that never
    /// sends or reads holds nothing for longer.
    #[test]
    fn accepted_connections_time_out() {
        let listener = listen("127.0.0.1", 0).expect("listen");
        let address = listener.local_addr().expect("address");
        let _client = std::net::TcpStream::connect(address).expect("connect");
        let (accepted, _) = listener.accept().expect("accept");
        assert_eq!(accepted.read_timeout().ok().flatten(), Some(IDLE_TIMEOUT));
        assert_eq!(accepted.write_timeout().ok().flatten(), Some(IDLE_TIMEOUT));
    }

    /// A store that is a link (to a folder with a secret in it) is refused by name before
    /// serving and forbidden per request; a store that is a file says so; a real store or none
    /// yet is served.
    #[test]
    fn a_store_that_is_a_link_or_a_file_is_refused() {
        let f = Fixture::new("store-link");
        assert_eq!(refuse_store(&f.store()), None);
        assert_eq!(refuse_store(&f.base.join("absent")), None);
        let linked = f.base.join("linked");
        std::os::unix::fs::symlink(&f.base, &linked).expect("link");
        let why = refuse_store(&linked).expect("refused");
        assert!(
            why.contains("is a symbolic link (to ") && why.contains("never where a link leads"),
            "{why}"
        );
        let reply = respond(&linked, "/files/secret.txt");
        assert_eq!(reply.status, 403, "{}", text(&reply));
        assert_eq!(respond(&linked, "/").status, 403);
        let file = f.base.join("secret.txt");
        let why = refuse_store(&file).expect("refused");
        assert!(why.contains("is a file, not a directory"), "{why}");
    }

    /// A file under the store comes back whole with its content type; `.edn` as text.
    #[test]
    fn serves_files_with_content_types() {
        let f = Fixture::new("files");
        let reply = f.get("/files/broadcast/20240305T142301.123%2B0100/results.edn");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type, "text/plain; charset=utf-8");
        assert_eq!(text(&reply), "{:valid? true}\n");
        assert_eq!(content_type(Path::new("a/messages.svg")), "image/svg+xml");
        assert_eq!(
            content_type(Path::new("timeline.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("rate.png")), "image/png");
        assert_eq!(
            content_type(Path::new("test.jepsen")),
            "application/octet-stream"
        );
    }

    /// The store's own relative links (store/latest) are followed.
    #[cfg(unix)]
    #[test]
    fn follows_links_inside_the_store() {
        let f = Fixture::new("latest");
        let reply = f.get("/files/latest/history.txt");
        assert_eq!(reply.status, 200, "{}", text(&reply));
        assert!(text(&reply).contains(":invoke"));
    }

    /// `..`, `.` and their percent-encoded forms are refused, whatever their case.
    #[test]
    fn refuses_dot_dot() {
        let f = Fixture::new("dots");
        for url in [
            "/files/../secret.txt",
            "/files/broadcast/../../secret.txt",
            "/files/%2e%2e/secret.txt",
            "/files/%2E%2E/secret.txt",
            "/files/.%2e/secret.txt",
            "/files/./broadcast",
        ] {
            let reply = f.get(url);
            assert_eq!(reply.status, 403, "{url}: {}", text(&reply));
            assert!(!text(&reply).contains("secret\n"), "{url}");
        }
    }

    /// Encoded slashes and backslashes cannot smuggle a separator into a segment.
    #[test]
    fn refuses_encoded_separators() {
        let f = Fixture::new("slashes");
        for url in [
            "/files/..%2fsecret.txt",
            "/files/..%2Fsecret.txt",
            "/files/broadcast%2f..%2f..%2fsecret.txt",
            "/files/..%5csecret.txt",
            "/files/results.edn%00.txt",
        ] {
            let reply = f.get(url);
            assert_eq!(reply.status, 403, "{url}: {}", text(&reply));
        }
    }

    /// A symlink pointing out of the store, to a file or a directory, is refused, and so is
    /// zipping through it.
    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_pointing_out() {
        let f = Fixture::new("links");
        for url in [
            "/files/out.txt",
            "/files/up/secret.txt",
            "/files/up",
            "/files/up.zip",
        ] {
            let reply = f.get(url);
            assert_eq!(reply.status, 403, "{url}: {}", text(&reply));
        }
    }

    /// Unknown routes and missing files are 404.
    #[test]
    fn unknown_is_404() {
        let f = Fixture::new("404");
        for url in [
            "/nope",
            "/files/broadcast/none.txt",
            "/files/none.zip",
            "/store/x",
        ] {
            assert_eq!(f.get(url).status, 404, "{url}");
        }
    }

    /// `<dir>.zip` names the directory; its zip holds every file under the run's name.
    #[test]
    fn zips_a_run_folder() {
        let f = Fixture::new("zip");
        let reply = f.get("/files/broadcast/20240305T142301.123+0100.zip");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type, "application/zip");
        let Body::Zip(dir) = reply.body else {
            panic!("not a zip: {reply:?}")
        };
        let mut bytes = Vec::new();
        spawn_zip(dir).read_to_end(&mut bytes).expect("zip stream");
        let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).expect("valid zip");
        let mut names: Vec<String> = archive
            .file_names()
            .map(|n| n.expect("entry name").into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "20240305T142301.123+0100/history.txt",
                "20240305T142301.123+0100/node-logs/n0.log",
                "20240305T142301.123+0100/results.edn",
            ]
        );
        let mut results = String::new();
        archive
            .by_name("20240305T142301.123+0100/results.edn")
            .expect("entry")
            .read_to_string(&mut results)
            .expect("read");
        assert_eq!(results, "{:valid? true}\n");
    }
}
