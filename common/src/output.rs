//! The node's output: one thread owns the writer, so every message goes out
//! whole, as one line, never interleaved with another.
//!
//! Senders hand over finished lines through a channel (Go's Node writes under
//! a mutex instead; a single owner gives the same guarantee). Owning the writer
//! also lets the thread batch: it writes every line already waiting and flushes
//! once the channel is empty, so a busy node makes one system call for many
//! messages while a quiet one still sends each message at once.

use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use parking_lot::Mutex;

use crate::error::Error;

/// What the writer thread is asked to do.
enum Command {
    /// Write this line (it ends in `\n`).
    Line(Vec<u8>),
    /// Flush, then signal the sender.
    Flush(mpsc::Sender<()>),
}

/// The sending side of the writer thread.
pub(crate) struct Output {
    commands: mpsc::Sender<Command>,
    failure: Arc<Failure>,
}

/// The first write error, kept so that every later send reports it.
#[derive(Default)]
struct Failure {
    failed: AtomicBool,
    text: Mutex<String>,
}

impl Output {
    /// Starts the thread that owns `writer`. If the thread cannot start, every
    /// send reports that (the constructor of a `Node` cannot fail).
    pub(crate) fn new(writer: impl Write + Send + 'static) -> Output {
        let (commands, received) = mpsc::channel();
        let failure = Arc::new(Failure::default());
        let thread_failure = Arc::clone(&failure);
        let started = thread::Builder::new()
            .name("output".into())
            .spawn(move || write_lines(writer, &received, &thread_failure));
        if let Err(e) = started {
            record(&failure, &format!("cannot start the output thread: {e}"));
        }
        Output { commands, failure }
    }

    /// Queues one whole line (ending in `\n`) for writing.
    pub(crate) fn write_line(&self, line: Vec<u8>) -> Result<(), Error> {
        self.check()?;
        self.commands
            .send(Command::Line(line))
            .map_err(|_| Error::Other("the output thread has stopped".into()))
    }

    /// Waits until every line queued so far has been written and flushed.
    pub(crate) fn flush(&self) -> Result<(), Error> {
        let (done, wait) = mpsc::channel();
        self.commands
            .send(Command::Flush(done))
            .map_err(|_| Error::Other("the output thread has stopped".into()))?;
        // A dropped sender also means the thread is done with our lines.
        let _ = wait.recv();
        self.check()
    }

    /// The write error, if writing has failed.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.failure.failed.load(Ordering::Acquire) {
            let text = self.failure.text.lock().clone();
            return Err(Error::Other(format!("cannot write to the output: {text}")));
        }
        Ok(())
    }
}

/// The writer thread: write what is waiting, flush when nothing more is.
fn write_lines(writer: impl Write, commands: &mpsc::Receiver<Command>, failure: &Failure) {
    let mut out = BufWriter::with_capacity(1 << 16, writer);
    let mut failed = false;
    // Runs until every Output (every Node handle) is gone.
    while let Ok(first) = commands.recv() {
        let mut next = Some(first);
        while let Some(command) = next {
            match command {
                Command::Line(line) if !failed => {
                    if let Err(e) = out.write_all(&line) {
                        failed = record(failure, &e.to_string());
                    }
                }
                // After a failure lines are dropped; senders see the error.
                Command::Line(_) => {}
                Command::Flush(done) => {
                    if !failed {
                        if let Err(e) = out.flush() {
                            failed = record(failure, &e.to_string());
                        }
                    }
                    let _ = done.send(());
                }
            }
            next = commands.try_recv().ok();
        }
        if !failed {
            if let Err(e) = out.flush() {
                failed = record(failure, &e.to_string());
            }
        }
    }
}

/// Remembers a write error for the senders; returns `true` (now failed).
fn record(failure: &Failure, text: &str) -> bool {
    log::error!("cannot write to the output: {text}");
    *failure.text.lock() = text.to_string();
    failure.failed.store(true, Ordering::Release);
    true
}
