//! The console: writing to stdout and stderr without ever panicking, and showing text a node
//! wrote (or any text from outside) so that it can neither restyle the terminal nor flood it.
//!
//! Every line the runner prints goes through [`print_stdout`] / [`print_stderr`]: a reader that
//! goes away (`maelstrom test ... | head`) must not stop a test halfway. Text from a node goes
//! through [`printable`] (control characters escaped) or [`quote`] (also cut to
//! [`QUOTE_BYTES`]). This module imports nothing from the crate: every layer may use it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// The most bytes of a line an error message (console, `jepsen.log`, `results.edn`) quotes.
pub const QUOTE_BYTES: usize = 300;

/// `text` as it may appear in an error: whole if it is at most [`QUOTE_BYTES`] long, otherwise
/// its first [`QUOTE_BYTES`] bytes (to a character boundary) and how many bytes were cut, out of
/// `len` (the full length, which may exceed `text.len()` when the reader already cut it).
///
/// Control characters (escape sequences, carriage returns, bells) are shown escaped (`\u{1b}`),
/// so that what a node prints cannot restyle the terminal or fake a line of the runner's.
pub fn quote(text: &str, len: usize) -> String {
    let len = len.max(text.len());
    if len <= QUOTE_BYTES {
        return printable(text);
    }
    let mut end = QUOTE_BYTES.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}... [{} more bytes cut, {} in all]",
        printable(&text[..end]),
        len - end,
        len
    )
}

/// `text` with its control characters escaped as Rust does (`\u{1b}`, `\r`, `\t`, ...), the
/// rest (newlines between quoted lines aside, which callers add themselves) as it is.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Set once writing to stdout failed; later output to it is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// The same for stderr.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout in one piece (the caller adds the newline). Unlike `print!`, which
/// panics when stdout is a pipe whose reader has gone (`maelstrom test ... | head`), a failed
/// write only stops further output to stdout: the test still runs to its end, its results are
/// still stored, and the exit status is still the verdict's.
pub fn print_stdout(text: &str) {
    write_best_effort(&mut std::io::stdout().lock(), &STDOUT_CLOSED, text);
}

/// `print_stdout` for stderr (warnings and the plain status lines).
pub fn print_stderr(text: &str) {
    write_best_effort(&mut std::io::stderr().lock(), &STDERR_CLOSED, text);
}

/// Writes and flushes `text` unless `closed` is set; sets it on any error (EPIPE, a full disk)
/// rather than reporting it: there is nowhere left to report it to.
fn write_best_effort(out: &mut dyn Write, closed: &AtomicBool, text: &str) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        closed.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escape sequences, carriage returns and bells a node prints are quoted escaped.
    #[test]
    fn quotes_escape_control_characters() {
        let evil = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\rFAKE: Everything looks good!";
        let quoted = quote(evil, evil.len());
        assert!(!quoted.chars().any(char::is_control), "{quoted:?}");
        assert!(quoted.starts_with("\\u{1b}]0;PWNED\\u{7}"), "{quoted}");
        assert!(quoted.contains("\\rFAKE"), "{quoted}");
        assert_eq!(quote("plain é", 8), "plain é");
    }

    /// A quote keeps short texts whole and cuts long ones at a character boundary, saying how
    /// much was cut.
    #[test]
    fn quotes_are_bounded_and_say_what_was_cut() {
        assert_eq!(quote("abc", 3), "abc");
        let long = "é".repeat(1000);
        let quoted = quote(&long, long.len());
        assert!(quoted.starts_with(&"é".repeat(150)));
        assert!(
            quoted.ends_with("... [1700 more bytes cut, 2000 in all]"),
            "{quoted}"
        );
        assert!(quote("abc", 50_000_000).contains("49999997 more bytes cut"));
    }

    /// A writer that always fails, as a pipe whose reader has gone does.
    struct ClosedPipe {
        calls: usize,
    }

    impl Write for ClosedPipe {
        fn write(&mut self, _buf: &[u8]) -> std::io::Result<usize> {
            self.calls += 1;
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.calls += 1;
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    /// A broken pipe does not panic; it marks the stream closed and later writes are skipped.
    #[test]
    fn broken_pipe_stops_output() {
        let closed = AtomicBool::new(false);
        let mut pipe = ClosedPipe { calls: 0 };
        write_best_effort(&mut pipe, &closed, "results\n");
        assert!(closed.load(Ordering::Relaxed));
        let calls = pipe.calls;
        assert!(calls > 0);
        write_best_effort(&mut pipe, &closed, "verdict\n");
        assert_eq!(pipe.calls, calls, "wrote to a closed stream");
    }

    /// On a working stream the text arrives whole and the stream stays open.
    #[test]
    fn healthy_stream_gets_the_text() {
        let closed = AtomicBool::new(false);
        let mut out = Vec::new();
        write_best_effort(&mut out, &closed, "line one\n");
        write_best_effort(&mut out, &closed, "line two\n");
        assert_eq!(out, b"line one\nline two\n");
        assert!(!closed.load(Ordering::Relaxed));
    }
}
