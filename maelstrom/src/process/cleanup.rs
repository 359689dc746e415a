//! Making sure no node outlives the runner: every child is kept in a global registry that is
//! killed on teardown, on `Drop`, from a panic hook, and on SIGINT/SIGTERM/SIGHUP
//! ([`install_cleanup`]); [`kill_all`] is also what `main` calls before exiting.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

/// Every child started and not yet torn down.
pub(super) static REGISTRY: std::sync::Mutex<Vec<Arc<Mutex<Child>>>> =
    std::sync::Mutex::new(Vec::new());
/// Set once the runner is going down: exits from then on are not crashes.
pub(super) static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);

pub(super) fn registry() -> std::sync::MutexGuard<'static, Vec<Arc<Mutex<Child>>>> {
    // A panic while holding the lock must not stop the cleanup that follows it.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kills every node process still running (and its process group) and reaps it. Safe to call
/// more than once and from any thread.
pub fn kill_all() {
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    let children: Vec<Arc<Mutex<Child>>> = registry().drain(..).collect();
    kill_children(&children);
}

/// SIGKILLs the process groups of the children that are still running (one `kill` command for
/// all of them, catching anything a node started), then each child directly, then reaps them.
pub(super) fn kill_children(children: &[Arc<Mutex<Child>>]) {
    let mut guards: Vec<_> = children.iter().map(|c| c.lock()).collect();
    // A child that has not been reaped keeps its pid, so its group id cannot have been reused.
    let mut groups: Vec<String> = Vec::new();
    for child in guards.iter_mut() {
        if matches!(child.try_wait(), Ok(None)) {
            groups.push(format!("-{}", child.id()));
        }
    }
    if !groups.is_empty() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .args(&groups)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    for child in guards.iter_mut() {
        let _ = child.kill();
    }
    for child in guards.iter_mut() {
        let _ = child.wait();
    }
}

/// Installs the cleanup that kills every node when the runner is interrupted (SIGINT, SIGTERM,
/// SIGHUP: exit 130/143/129) or panics. Call once, at startup.
pub fn install_cleanup() -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        kill_all();
        previous(info);
    }));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| format!("Cannot install signal handlers: {e}"))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                kill_all();
                let name = signal_hook::low_level::signal_name(signal).unwrap_or("signal");
                crate::progress::print_stderr(&format!(
                    "\nmaelstrom: interrupted by {name}; every node process was killed.\n"
                ));
                std::process::exit(128 + signal);
            }
        })
        .map_err(|e| format!("Cannot start the signal thread: {e}"))?;
    Ok(())
}
