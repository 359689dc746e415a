//! The node's output: every message is written whole, as one line, under a
//! lock, as Go's `Node.Send` does; the lock also decides when to flush.
//!
//! Flushing after every message would cost a system call per message. So a
//! message is flushed at once only when no queued job remains; otherwise it
//! stays in the buffer, and the worker that takes the last queued job flushes
//! (see `Pool`). Since the pool always drains its queue (it adds workers when
//! the queue stops moving), every message reaches the output promptly: a busy
//! node sends many messages per system call, a quiet one each at once.

use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::error::Error;

/// The writer, behind the lock that keeps lines whole.
pub(crate) struct Output {
    state: Mutex<State>,
    /// Writes and flushes finished so far, readable without the lock (see
    /// [`Output::writing`]).
    finished: AtomicU64,
}

struct State {
    writer: BufWriter<Box<dyn Write + Send>>,
    /// The first write error; once set, every later write reports it.
    failed: Option<String>,
}

impl Output {
    /// An output over `writer`.
    pub(crate) fn new(writer: impl Write + Send + 'static) -> Output {
        let writer: Box<dyn Write + Send> = Box::new(writer);
        Output {
            state: Mutex::new(State {
                writer: BufWriter::with_capacity(1 << 16, writer),
                failed: None,
            }),
            finished: AtomicU64::new(0),
        }
    }

    /// Writes one whole line (ending in `\n`), then flushes unless `more_work`
    /// says that queued jobs remain (whoever takes the last one flushes).
    pub(crate) fn write_line(
        &self,
        line: &[u8],
        more_work: impl FnOnce() -> bool,
    ) -> Result<(), Error> {
        let mut state = self.state.lock();
        state.check()?;
        let written = state.writer.write_all(line);
        let result = written.and_then(|()| {
            // Asked only now, while holding the lock: a job taken after this
            // point is sure to find our line in the buffer when it flushes.
            if more_work() {
                Ok(())
            } else {
                state.writer.flush()
            }
        });
        self.finished.fetch_add(1, Ordering::Relaxed);
        result.map_err(|e| state.fail(&e))
    }

    /// Writes out whatever is buffered.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        let mut state = self.state.lock();
        state.check()?;
        let flushed = state.writer.flush();
        self.finished.fetch_add(1, Ordering::Relaxed);
        flushed.map_err(|e| state.fail(&e))
    }

    /// `None` when no thread is writing; while one is (it holds the lock),
    /// how many writes have finished so far. While the reader of our stdout
    /// does not read, the writer stays blocked in its write, holding the
    /// lock, and this stays the same `Some`: the pool then knows that more
    /// workers would only queue up behind it (see `Pool`).
    pub(crate) fn writing(&self) -> Option<u64> {
        match self.state.try_lock() {
            Some(_) => None,
            None => Some(self.finished.load(Ordering::Relaxed)),
        }
    }

    /// The write error, if writing has failed.
    pub(crate) fn check(&self) -> Result<(), Error> {
        self.state.lock().check()
    }
}

impl State {
    fn check(&self) -> Result<(), Error> {
        match &self.failed {
            Some(text) => Err(Error::Other(format!("cannot write to the output: {text}"))),
            None => Ok(()),
        }
    }

    /// Remembers a write error and returns it.
    fn fail(&mut self, e: &std::io::Error) -> Error {
        log::error!("cannot write to the output: {e}");
        self.failed = Some(e.to_string());
        Error::Other(format!("cannot write to the output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer whose bytes the test can look at.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A writer that always fails, like a closed pipe.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _data: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    /// A line goes out at once when no work is queued, and waits in the buffer while some is.
    #[test]
    fn flushes_only_when_no_work_is_queued() {
        let seen = Shared::default();
        let output = Output::new(seen.clone());
        output.write_line(b"one\n", || true).unwrap();
        assert!(seen.0.lock().is_empty());
        output.write_line(b"two\n", || false).unwrap();
        assert_eq!(&*seen.0.lock(), b"one\ntwo\n");
        output.write_line(b"three\n", || true).unwrap();
        output.flush().unwrap();
        assert_eq!(&*seen.0.lock(), b"one\ntwo\nthree\n");
    }

    /// After a write error every later write reports it, naming the output.
    #[test]
    fn write_errors_stick() {
        let output = Output::new(Broken);
        for _ in 0..2 {
            match output.write_line(b"x\n", || false) {
                Err(Error::Other(text)) => {
                    assert!(text.contains("cannot write to the output"), "{text}")
                }
                other => panic!("expected a write error, got {other:?}"),
            }
        }
        assert!(output.check().is_err());
    }
}
