//! Reading a node's output line by line in bounded memory (quoting a line in bounded space is
//! `console::quote`).
//!
//! A node may print anything: a 50 MB line, or a gigabyte with no newline at all. A reader that
//! collects whole lines would hold all of it. [`for_each_line`] keeps at most `cap` bytes of a
//! line and only counts the rest, so each stream costs at most `cap` bytes whatever the node
//! writes.

use std::io::{BufRead, BufReader, Read};

/// One line as read: its first bytes (at most the reader's cap, with any newline removed) and
/// its full length in bytes.
pub struct Line<'a> {
    pub text: &'a str,
    /// The whole line's length in bytes, newline excluded; more than `text.len()` if cut.
    pub len: usize,
    /// False for a last line that the stream ended in the middle of (no newline): the writer
    /// may have died while writing it.
    pub terminated: bool,
}

impl Line<'_> {
    /// True if the line was longer than the reader's cap.
    pub fn cut(&self) -> bool {
        self.len > self.text.len()
    }
}

/// Reads `stream` line by line until EOF (or a read error), keeping at most `cap` bytes of each
/// line and calling `handle` with them and the line's full length. Invalid UTF-8 is replaced
/// rather than ending the stream. A last line without a newline is passed on too.
pub fn for_each_line(stream: impl Read, cap: usize, mut handle: impl FnMut(Line<'_>)) {
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut kept: Vec<u8> = Vec::with_capacity(1024);
    let mut len = 0usize;
    loop {
        let (consumed, ended) = match reader.fill_buf() {
            Ok([]) | Err(_) => {
                if len > 0 {
                    handle(Line {
                        text: &String::from_utf8_lossy(&kept),
                        len,
                        terminated: false,
                    });
                }
                return;
            }
            Ok(chunk) => {
                let newline = chunk.iter().position(|&b| b == b'\n');
                let part = &chunk[..newline.unwrap_or(chunk.len())];
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&part[..part.len().min(room)]);
                len += part.len();
                match newline {
                    Some(at) => (at + 1, true),
                    None => (chunk.len(), false),
                }
            }
        };
        reader.consume(consumed);
        if ended {
            handle(Line {
                text: &String::from_utf8_lossy(&kept),
                len,
                terminated: true,
            });
            kept.clear();
            // A cut line may have grown the buffer to `cap`; give the memory back.
            kept.shrink_to(1024);
            len = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(String, usize)> {
        let mut seen = Vec::new();
        for_each_line(input, cap, |line| {
            seen.push((line.text.to_string(), line.len))
        });
        seen
    }

    /// Only a last line the stream ended in the middle of is unterminated.
    #[test]
    fn a_last_line_without_newline_is_unterminated() {
        let mut seen = Vec::new();
        for_each_line(&b"one\ntwo\nthr"[..], 10, |line| {
            seen.push((line.text.to_string(), line.terminated))
        });
        let expected = [("one", true), ("two", true), ("thr", false)];
        assert_eq!(seen, expected.map(|(t, e)| (t.to_string(), e)));
    }

    /// Lines longer than the cap keep only the cap and report their full length; short lines,
    /// a last line without a newline and invalid UTF-8 come through.
    #[test]
    fn long_lines_are_cut_to_the_cap_and_counted() {
        let mut input = b"short\n".to_vec();
        input.extend(vec![b'x'; 200_000]);
        input.extend(b"\n\xffend");
        let seen = lines(&input, 10);
        assert_eq!(
            seen,
            [
                ("short".to_string(), 5),
                ("x".repeat(10), 200_000),
                ("\u{fffd}end".to_string(), 4)
            ]
        );
    }
}
