//! A node's stdin, written with a bound on how long any write may wait.
//!
//! A node that stops reading its stdin fills the pipe (64 KiB on Linux), and a plain blocking
//! write would then wait for ever: a client worker writing a request straight into the pipe, or
//! a delivery thread, would never return, and neither would the run. So the pipe is made
//! non-blocking and each write waits (with `poll`) at most [`STALL_LIMIT`] for the node to make
//! room. A write that makes no progress in that time marks the node as having stopped reading
//! its input: it is reported once (the runner ends the test early, as for a crash) and every
//! later write fails at once. A node that reads slowly but steadily is never cut off: the limit
//! is on a write that makes no progress at all, not on a line's total time.

use std::io::{self, Write};
use std::process::ChildStdin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;

/// How long one write to a node's stdin may wait for the node to read: the same as a client's
/// RPC timeout (`client::RPC_TIMEOUT`), since a request not even delivered by then has timed out.
pub const STALL_LIMIT: Duration = Duration::from_secs(5);

/// What to do, once, when the node is found to have stopped reading (the wait is passed in).
pub type OnStall = Box<dyn FnOnce(Duration) + Send>;

/// A node's stdin whose every write is bounded by a stall limit.
pub struct BoundedStdin {
    stdin: ChildStdin,
    limit: Duration,
    stalled: bool,
    on_stall: Option<OnStall>,
    /// Set while a nemesis has paused the node (SIGSTOP): a stopped reader is not a stall, so
    /// a write waiting for it keeps waiting, and the limit counts again once it resumes.
    paused: Arc<AtomicBool>,
}

impl BoundedStdin {
    /// Makes `stdin` non-blocking. If that fails, `stdin` is given back with the error, so the
    /// caller can say that writes to this node are not bounded.
    pub fn new(
        stdin: ChildStdin,
        limit: Duration,
        on_stall: OnStall,
        paused: Arc<AtomicBool>,
    ) -> Result<BoundedStdin, (ChildStdin, io::Error)> {
        if let Err(e) = rustix::io::ioctl_fionbio(&stdin, true) {
            return Err((stdin, e.into()));
        }
        Ok(BoundedStdin {
            stdin,
            limit,
            stalled: false,
            on_stall: Some(on_stall),
            paused,
        })
    }

    fn stalled_error(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the node stopped reading its input (no write progress in {} ms)",
                self.limit.as_millis()
            ),
        )
    }
}

impl Write for BoundedStdin {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.stalled {
            return Err(self.stalled_error());
        }
        let mut deadline = Instant::now() + self.limit;
        loop {
            match rustix::io::write(&self.stdin, data) {
                Ok(n) => return Ok(n),
                Err(Errno::AGAIN) | Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
            let now = Instant::now();
            if self.paused.load(Ordering::SeqCst) {
                deadline = now + self.limit;
            }
            if now >= deadline {
                self.stalled = true;
                if let Some(on_stall) = self.on_stall.take() {
                    on_stall(self.limit);
                }
                return Err(self.stalled_error());
            }
            let left = Timespec::try_from(deadline - now).unwrap_or(Timespec {
                tv_sec: 1,
                tv_nsec: 0,
            });
            let mut fds = [PollFd::new(&self.stdin, PollFlags::OUT)];
            match poll(&mut fds, Some(&left)) {
                Ok(_) | Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    /// A reader that never reads: the write that would block gives up after the limit, reports
    /// the stall once, and later writes fail at once.
    #[test]
    fn a_write_to_a_node_that_stopped_reading_gives_up() {
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::piped())
            .spawn()
            .expect("sleep starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let (tx, rx) = mpsc::channel();
        let limit = Duration::from_millis(200);
        let paused = Arc::new(AtomicBool::new(false));
        let mut out = BoundedStdin::new(
            stdin,
            limit,
            Box::new(move |waited| {
                let _ = tx.send(waited);
            }),
            Arc::clone(&paused),
        )
        .map_err(|(_, e)| e)
        .expect("non-blocking");
        let started = Instant::now();
        let line = vec![b'x'; 1 << 20];
        let result = out.write_all(&line);
        assert_eq!(
            result.map_err(|e| e.kind()),
            Err(io::ErrorKind::TimedOut),
            "a megabyte does not fit in a pipe nobody reads"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(rx.try_recv(), Ok(limit), "reported once");
        let again = Instant::now();
        assert!(out.write(b"y").is_err());
        assert!(again.elapsed() < limit, "later writes fail at once");
        assert!(rx.try_recv().is_err(), "not reported twice");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// While the node is paused a full pipe is not a stall: the write waits through the pause
    /// and gives up only a limit after the pause ended.
    #[test]
    fn a_paused_node_is_not_a_stalled_one() {
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::piped())
            .spawn()
            .expect("sleep starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let (tx, rx) = mpsc::channel();
        let limit = Duration::from_millis(100);
        let paused = Arc::new(AtomicBool::new(true));
        let mut out = BoundedStdin::new(
            stdin,
            limit,
            Box::new(move |waited| {
                let _ = tx.send(waited);
            }),
            Arc::clone(&paused),
        )
        .map_err(|(_, e)| e)
        .expect("non-blocking");
        let resume = {
            let paused = Arc::clone(&paused);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(600));
                paused.store(false, Ordering::SeqCst);
            })
        };
        let started = Instant::now();
        let result = out.write_all(&vec![b'x'; 1 << 20]);
        assert!(result.is_err(), "nobody ever reads");
        assert!(
            started.elapsed() >= Duration::from_millis(600),
            "gave up during the pause, after {:?}",
            started.elapsed()
        );
        assert_eq!(rx.try_recv(), Ok(limit), "reported once, after the pause");
        let _ = resume.join();
        let _ = child.kill();
        let _ = child.wait();
    }
}
