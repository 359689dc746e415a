//! Making sure no node, and no process a node started, outlives the run.
//!
//! - Every node is kept in a global registry and killed (SIGKILL to its process group, then to
//!   the node itself) on teardown, on `Drop`, from a panic hook and on SIGINT/SIGTERM/SIGHUP
//!   ([`install_cleanup`]); [`kill_all`] is also what `main` calls before exiting.
//! - The runner is a child subreaper ([`adopt_orphans`], `PR_SET_CHILD_SUBREAPER`): a process a
//!   node started and left behind, in the node's group or in one of its own (`setsid`), is
//!   re-parented to the runner instead of init when the node exits, so teardown finds it among
//!   the runner's children and kills it ([`kill_orphans`]).
//! - Each node is started through the runner's own binary ([`exec_node`]), which asks the kernel
//!   to SIGKILL it when the runner dies (`PR_SET_PDEATHSIG`) and then becomes the node program.
//!   So even a runner killed with SIGKILL, which can run no cleanup, takes its nodes with it.
//!   What Linux does not allow without privileges is the same for the nodes' own helpers: a
//!   parent-death signal is not inherited across `fork`, so helpers a node started are
//!   re-parented to init (or to the nearest subreaper above the runner) and keep running if
//!   the runner itself is SIGKILLed (README, deliberate differences).

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::process::{Pid, Signal, WaitOptions};

/// The hidden first argument with which the runner's binary starts a node (see [`exec_node`]).
pub const EXEC_NODE: &str = "__exec-node";

/// The runner's own binary, once `main` has asked for nodes to be started through it.
static EXEC_SHIM: OnceLock<PathBuf> = OnceLock::new();
/// Set once the runner is a child subreaper: its children that are not nodes are orphans.
static ADOPTING: AtomicBool = AtomicBool::new(false);

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
    kill_orphans();
}

/// SIGKILLs the process groups of the children that are still running (catching anything a
/// node started in its group), then each child directly, then reaps them. A group a nemesis
/// paused is continued first (SIGCONT), so that nothing is left stopped, whatever signal
/// reaches it.
pub(super) fn kill_children(children: &[Arc<Mutex<Child>>]) {
    let mut guards: Vec<_> = children.iter().map(|c| c.lock()).collect();
    // A child that has not been reaped keeps its pid, so its group id cannot have been reused.
    for child in guards.iter_mut() {
        if matches!(child.try_wait(), Ok(None)) {
            if let Some(group) = Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(group, Signal::CONT);
                let _ = rustix::process::kill_process_group(group, Signal::KILL);
            }
        }
    }
    for child in guards.iter_mut() {
        let _ = child.kill();
    }
    for child in guards.iter_mut() {
        let _ = child.wait();
    }
}

/// Makes the runner a child subreaper (`PR_SET_CHILD_SUBREAPER`), so that processes its nodes
/// leave behind become its children, and nodes are started through `exe` (the runner's own
/// binary, see [`exec_node`]) so that they die with the runner. Call once, from `main`; a test
/// harness that links the library and does not call it starts nodes directly.
pub fn adopt_orphans(exe: PathBuf) -> Result<(), String> {
    let _ = EXEC_SHIM.set(exe);
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(|e| format!("cannot become a child subreaper: {e}"))?;
    ADOPTING.store(true, Ordering::SeqCst);
    Ok(())
}

/// How a node program is started: through the runner's binary if [`adopt_orphans`] set it.
pub(super) fn node_command(program: &std::path::Path, args: &[String]) -> Command {
    match EXEC_SHIM.get() {
        Some(exe) => {
            let mut command = Command::new(exe);
            command
                .arg(EXEC_NODE)
                .arg(std::process::id().to_string())
                .arg(program)
                .args(args);
            command
        }
        None => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }
}

/// Spawns `command` from a thread that lives as long as the runner. A node's parent-death
/// signal ([`exec_node`]) fires when the *thread* that forked it ends, not the runner: a node
/// started again by the nemesis thread, or by a thread per node, would be killed as soon as that
/// thread finished. So every node is forked by this one thread.
pub(super) fn spawn_node(mut command: Command) -> std::io::Result<Child> {
    type Request = (Command, std::sync::mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Request>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Request>();
        let started = std::thread::Builder::new()
            .name("node spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            });
        if let Err(e) = started {
            eprintln!("maelstrom: cannot start the node spawner thread: {e}");
        }
        std::sync::Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = std::sync::mpsc::channel();
    let sent = spawner
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .send((command, reply_tx));
    match sent {
        Ok(()) => reply_rx
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the node spawner thread is gone"))),
        // No spawner thread: fork from this one.
        Err(std::sync::mpsc::SendError((returned, _))) => {
            command = returned;
            command.spawn()
        }
    }
}

/// What the runner's binary does when started as `__exec-node <runner pid> <program> <args>`:
/// asks for SIGKILL when its parent (the runner) dies, checks the runner did not die already,
/// then replaces itself with the node program (`exec`, same pid, same stdio, same process
/// group). Returns only on failure, with the exit status to use (127, as a shell does).
pub fn exec_node(args: &[String]) -> i32 {
    use std::os::unix::process::CommandExt;
    let [runner, program, rest @ ..] = args else {
        eprintln!("maelstrom {EXEC_NODE}: expected <runner pid> <program> [args...]");
        return 127;
    };
    if let Err(e) = rustix::process::set_parent_process_death_signal(Some(Signal::KILL)) {
        eprintln!("maelstrom {EXEC_NODE}: cannot set the parent-death signal: {e}");
    }
    // The runner may have died between our fork and the prctl: then nobody will signal us.
    let parent = Pid::as_raw(rustix::process::getppid());
    if runner.parse::<i32>().ok() != Some(parent) {
        return 127;
    }
    let error = Command::new(program).args(rest).exec();
    eprintln!("maelstrom: cannot start node program {program}: {error}");
    127
}

/// Kills and reaps every child of the runner that is not a node: with the runner a subreaper,
/// those are processes nodes started and left behind. Repeats while killing one orphans more
/// (a helper's own children), at most for a couple of seconds.
pub(super) fn kill_orphans() {
    if !ADOPTING.load(Ordering::SeqCst) {
        return;
    }
    let me = std::process::id();
    let give_up = Instant::now() + Duration::from_secs(2);
    loop {
        let nodes: Vec<u32> = registry().iter().map(|c| c.lock().id()).collect();
        let orphans: Vec<u32> = children_of(me)
            .into_iter()
            .filter(|pid| !nodes.contains(pid))
            .collect();
        if orphans.is_empty() || Instant::now() > give_up {
            return;
        }
        for &pid in &orphans {
            if let Some(pid) = Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, Signal::KILL);
            }
        }
        for &pid in &orphans {
            let Some(pid) = Pid::from_raw(pid as i32) else {
                continue;
            };
            while Instant::now() < give_up {
                match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
                    Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                    _ => break,
                }
            }
        }
    }
}

/// The pids whose parent is `parent`, from `/proc/<pid>/stat` (zombies included: they are
/// reaped by [`kill_orphans`]).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| parent_in_stat(&stat))
                == Some(parent)
        })
        .collect()
}

/// The parent pid in a `/proc/<pid>/stat` line: the second field after the `)` that ends the
/// command name (which may itself contain spaces and parentheses).
fn parent_in_stat(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The signal that interrupted the run (SIGINT, SIGTERM, SIGHUP), 0 if none did.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);
/// What the first interrupt does besides killing the nodes: end the current test early so that
/// what it recorded can be written (set by the runner for each test, see [`on_interrupt`]).
type InterruptAction = Box<dyn Fn() + Send>;
static ON_INTERRUPT: std::sync::Mutex<Option<InterruptAction>> = std::sync::Mutex::new(None);
/// How long the runner may take, after an interrupt, to write what it recorded before it is made
/// to exit anyway.
const INTERRUPT_GRACE: Duration = Duration::from_secs(10);
/// A signal delivered again this soon after the first interrupt is the same interrupt, not a
/// second one: GNU `timeout` (and other supervisors) signal the runner and then its whole process
/// group, so one timeout arrives twice within milliseconds; a person's second Ctrl-C comes later.
const SAME_INTERRUPT: Duration = Duration::from_millis(250);
/// When the first interrupt arrived (see [`SAME_INTERRUPT`]).
static FIRST_INTERRUPT_AT: OnceLock<Instant> = OnceLock::new();

/// Sets what the first interrupt does besides killing the nodes (the runner: stop the
/// schedule and wake every waiting client, so that the test ends and its history is written).
pub fn on_interrupt(action: InterruptAction) {
    *ON_INTERRUPT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(action);
}

/// The signal that interrupted the runner, if one did.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Runs `job` on a thread of its own and waits for it, unless the runner is interrupted first
/// ([`interrupted`]): then it returns `Err(signal)` at once, and the job dies with the process.
/// `main` runs the analysis this way, so that Ctrl-C during a long analysis leaves the run
/// folder saying so instead of being cut off by the grace period. A panic in the job is resumed
/// here.
pub fn unless_interrupted<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, i32> {
    wait_unless(job, interrupted)
}

/// [`unless_interrupted`] with the interrupt check given, for tests.
fn wait_unless<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
    interrupted: impl Fn() -> Option<i32>,
) -> Result<T, i32> {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(job)));
    let theirs = std::sync::Arc::clone(&slot);
    let spawned = std::thread::Builder::new()
        .name("analysis".into())
        .spawn(move || {
            let job = theirs.lock().unwrap_or_else(|p| p.into_inner()).take();
            job.map(|job| job())
        });
    let handle = match spawned {
        Ok(handle) => handle,
        // No thread to spare: run the job here, uninterruptible.
        Err(_) => {
            let job = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            return Ok(job.expect("the job was not started")());
        }
    };
    loop {
        if handle.is_finished() {
            return match handle.join() {
                Ok(Some(value)) => Ok(value),
                Ok(None) => unreachable!("the job runs once"),
                Err(panic) => std::panic::resume_unwind(panic),
            };
        }
        if let Some(signal) = interrupted() {
            return Err(signal);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Installs the cleanup that kills every node when the runner panics or is interrupted
/// (SIGINT, SIGTERM, SIGHUP). Call once, at startup.
///
/// On the first interrupt every node is killed at once and the current test is ended early
/// (see [`on_interrupt`]): `main` then writes the history recorded so far and a results file
/// saying the run was interrupted, and exits 128 + the signal (130 for Ctrl-C). A second
/// interrupt (not the same signal again within 250 ms, `SAME_INTERRUPT`: a double delivery), or
/// 10 s (`INTERRUPT_GRACE`) without an exit, ends the runner at once.
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
            for signal in signals.forever() {
                let name = signal_hook::low_level::signal_name(signal).unwrap_or("signal");
                let first_at = *FIRST_INTERRUPT_AT.get_or_init(Instant::now);
                let previous = INTERRUPTED.load(Ordering::SeqCst);
                if previous == signal && first_at.elapsed() < SAME_INTERRUPT {
                    continue;
                }
                let first = INTERRUPTED.swap(signal, Ordering::SeqCst) == 0;
                kill_all();
                let action = ON_INTERRUPT
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take();
                match action {
                    Some(end_test) if first => {
                        crate::console::print_stderr(&format!(
                            "\nmaelstrom: interrupted by {name}; every node process was killed. \
                             Writing what the test recorded (interrupt again to stop at once).\n"
                        ));
                        end_test();
                        let _ = std::thread::Builder::new()
                            .name("interrupt grace".into())
                            .spawn(move || {
                                std::thread::sleep(INTERRUPT_GRACE);
                                kill_all();
                                std::process::exit(128 + signal);
                            });
                    }
                    _ => {
                        // No test to end (`serve`, or a second interrupt): say only what is so.
                        crate::console::print_stderr(&format!(
                            "\nmaelstrom: interrupted by {name}; no process it started is left.\n"
                        ));
                        std::process::exit(128 + signal);
                    }
                }
            }
        })
        .map_err(|e| format!("Cannot start the signal thread: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that ends is waited for; an interrupt while it runs returns the signal at once,
    /// without waiting for the job.
    #[test]
    fn waits_for_the_job_unless_interrupted() {
        assert_eq!(wait_unless(|| 7, || None), Ok(7));
        let started = std::time::Instant::now();
        let result = wait_unless(
            || std::thread::sleep(Duration::from_secs(30)),
            move || (started.elapsed() > Duration::from_millis(100)).then_some(2),
        );
        assert_eq!(result, Err(2));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    /// The parent pid is read after the command name, whatever the name contains.
    #[test]
    fn parent_pid_is_read_after_the_command_name() {
        assert_eq!(parent_in_stat("42 (sleep) S 7 42 42 0"), Some(7));
        assert_eq!(parent_in_stat("42 (a) b (c) R 9 1 1"), Some(9));
        assert_eq!(parent_in_stat("garbage"), None);
    }
}
