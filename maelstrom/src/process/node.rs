//! One node: its process (and the processes that replace it after a kill), and what a nemesis
//! does to it, after Maelstrom's `src/maelstrom/process.clj` and the `jepsen.db` `Kill` and
//! `Pause` protocols its `db.clj` implements.
//!
//! - **kill**: SIGKILL to the node's whole process group, then the process is reaped. The node
//!   stays on the network, [`Reach::Down`]: what is sent to it is dropped. A kill is intended,
//!   so the crash monitor does not report it.
//! - **start**: a fresh process of the same program for the same id, in the same working
//!   directory (its "disk", kept across kills), with new stdin/stdout/stderr readers; its stderr
//!   goes on at the end of the same `node-logs/<id>.log`. The runner then sends it `init` again:
//!   it has lost everything it kept in memory.
//! - **pause** / **resume**: SIGSTOP / SIGCONT to the process group; while paused, messages wait
//!   in the node's queue ([`Reach::Held`]) and a write already waiting on its full stdin is not
//!   taken for a node that stopped reading (`stdin.rs`).
//!
//! Each operation says what it did as a keyword for the history (`:killed`, `:already-dead`,
//! ...): `start` and `resume` are asked of every node, as Jepsen's flip-flops do.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::process::{Pid, Signal};

use super::cleanup::{kill_orphans, node_command, registry, spawn_node};
use super::{
    bounded_stdin, describe_status, read_stderr, read_stdout, thread, Incidents, NodeProgram, Ring,
};
use crate::history::CrashReport;
use crate::net::{Net, Reach};

/// What a node is doing, as far as the nemesis is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    Running,
    /// Stopped with SIGSTOP.
    Paused,
    /// Killed by the nemesis, not started again yet.
    Dead,
}

/// How long a kill waits for the dead process's output readers to reach the end of its pipes.
const READERS_AFTER_KILL: Duration = Duration::from_millis(500);

/// Where and how a node's processes run.
pub(super) struct Launch {
    pub(super) program: NodeProgram,
    /// The node's working directory, `nodes/<id>/` in the run's folder.
    pub(super) dir: PathBuf,
    /// `node-logs/<id>.log`.
    pub(super) log_path: PathBuf,
    pub(super) net: Arc<Net>,
    pub(super) incidents: Arc<Incidents>,
}

/// One process of a node: the first, or one started after a kill.
pub(super) struct Incarnation {
    pub(super) child: Arc<Mutex<Child>>,
    stdout_ring: Arc<Mutex<Ring>>,
    stderr_ring: Arc<Mutex<Ring>>,
    stdout_reader: JoinHandle<()>,
    stderr_reader: JoinHandle<()>,
    /// Set while paused (read by its stdin writer).
    paused: Arc<AtomicBool>,
}

impl Incarnation {
    /// Both output readers reached the end of their pipes.
    pub(super) fn readers_done(&self) -> bool {
        self.stdout_reader.is_finished() && self.stderr_reader.is_finished()
    }
}

struct Life {
    state: NodeState,
    process: Incarnation,
    /// How many processes this node has had.
    starts: u32,
}

/// One node of the test, across its kills and restarts.
pub struct Node {
    id: String,
    launch: Launch,
    life: Mutex<Life>,
}

impl Node {
    /// Registers the node in the network, makes its working directory and starts its first
    /// process.
    pub(super) fn start_first(id: &str, launch: Launch) -> Result<Node, String> {
        std::fs::create_dir_all(&launch.dir).map_err(|e| {
            format!(
                "Cannot create the working directory {} of node {id}: {e}",
                launch.dir.display()
            )
        })?;
        let log_file = File::create(&launch.log_path).map_err(|e| log_error(id, &launch, e))?;
        launch.net.register_server(id);
        let process = spawn(id, &launch, log_file)?;
        let stdin = process.1;
        if launch.net.start_delivery(id, stdin).is_none() {
            kill_incarnation(&process.0);
            return Err(format!("Cannot start the delivery thread of node {id}"));
        }
        Ok(Node {
            id: id.to_string(),
            launch,
            life: Mutex::new(Life {
                state: NodeState::Running,
                process: process.0,
                starts: 1,
            }),
        })
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the node is doing now.
    pub fn state(&self) -> NodeState {
        self.life.lock().state
    }

    /// How many processes the node has had (1 until a kill and a start).
    pub fn starts(&self) -> u32 {
        self.life.lock().starts
    }

    /// The node's working directory.
    pub fn dir(&self) -> &Path {
        &self.launch.dir
    }

    /// The exit status of the current process, if it exited without being killed by the
    /// nemesis: a crash.
    pub(super) fn crashed(&self) -> Option<ExitStatus> {
        let life = self.life.lock();
        if life.state == NodeState::Dead {
            return None;
        }
        let status = life.process.child.lock().try_wait().ok().flatten();
        status
    }

    /// The current process (for teardown).
    pub(super) fn child(&self) -> Arc<Mutex<Child>> {
        Arc::clone(&self.life.lock().process.child)
    }

    /// The current process's output readers are done.
    pub(super) fn readers_done(&self) -> bool {
        self.life.lock().process.readers_done()
    }

    /// Builds the crash report, giving the readers a moment to drain the last lines.
    pub(super) fn crash_report(&self, status: ExitStatus) -> CrashReport {
        self.report(describe_status(status))
    }

    /// A report on the node's current process, with its last lines of output: `status` says
    /// what went wrong (`exit status 1`, or that it did not answer `init` after a restart).
    pub fn report(&self, status: String) -> CrashReport {
        let give_up = Instant::now() + Duration::from_millis(500);
        while !self.readers_done() && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(2));
        }
        let life = self.life.lock();
        let log_path =
            std::fs::canonicalize(&self.launch.log_path).unwrap_or(self.launch.log_path.clone());
        let stdout = life.process.stdout_ring.lock().lines();
        let stderr = life.process.stderr_ring.lock().lines();
        CrashReport {
            node: self.id.clone(),
            status,
            stdout,
            stderr,
            log_path: log_path.display().to_string(),
        }
    }

    /// Kills the node's process group (a paused node too) and reaps it: `:killed`, or
    /// `:already-dead`.
    pub fn kill(&self) -> &'static str {
        let mut life = self.life.lock();
        if life.state == NodeState::Dead {
            return "already-dead";
        }
        // Dead before the signal: the monitor, which looks under the same lock, never takes
        // this exit for a crash.
        life.state = NodeState::Dead;
        self.launch.net.set_reach(&self.id, Reach::Down);
        kill_incarnation(&life.process);
        life.process.paused.store(false, Ordering::SeqCst);
        let child = Arc::clone(&life.process.child);
        registry().retain(|c| !Arc::ptr_eq(c, &child));
        // Helpers the node started in a session of their own are orphans now.
        kill_orphans();
        let give_up = Instant::now() + READERS_AFTER_KILL;
        while !life.process.readers_done() && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(2));
        }
        "killed"
    }

    /// Starts a fresh process for a dead node: `:started`, or `:already-running` for a node
    /// that is not dead. The caller sends it `init`. An error (the program cannot be started
    /// again) leaves the node dead.
    pub fn start(&self) -> Result<&'static str, String> {
        let mut life = self.life.lock();
        if life.state != NodeState::Dead {
            return Ok("already-running");
        }
        let mut log_file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.launch.log_path)
            .map_err(|e| log_error(&self.id, &self.launch, e))?;
        let starts = life.starts + 1;
        // A line in the node's log where its new process begins.
        let _ = writeln!(
            log_file,
            "[maelstrom] {} started again (process {starts}), after a kill",
            self.id
        );
        let (process, stdin) = spawn(&self.id, &self.launch, log_file)?;
        if !self.launch.net.restart_delivery(&self.id, stdin) {
            kill_incarnation(&process);
            return Err(format!("Node {} has no delivery thread", self.id));
        }
        life.process = process;
        life.starts = starts;
        life.state = NodeState::Running;
        Ok("started")
    }

    /// SIGSTOP to the node's process group: `:paused`, `:already-paused`, or `:dead`.
    pub fn pause(&self) -> &'static str {
        let mut life = self.life.lock();
        match life.state {
            NodeState::Dead => return "dead",
            NodeState::Paused => return "already-paused",
            NodeState::Running => {}
        }
        life.process.paused.store(true, Ordering::SeqCst);
        self.launch.net.set_reach(&self.id, Reach::Held);
        signal_group(&life.process, Signal::STOP);
        life.state = NodeState::Paused;
        "paused"
    }

    /// SIGCONT to a paused node's process group: `:resumed`, or `:not-paused`.
    pub fn resume(&self) -> &'static str {
        let mut life = self.life.lock();
        if life.state != NodeState::Paused {
            return "not-paused";
        }
        signal_group(&life.process, Signal::CONT);
        life.process.paused.store(false, Ordering::SeqCst);
        self.launch.net.set_reach(&self.id, Reach::Open);
        life.state = NodeState::Running;
        "resumed"
    }
}

fn log_error(id: &str, launch: &Launch, e: std::io::Error) -> String {
    format!(
        "Cannot open the log file {} for node {id}: {e}",
        launch.log_path.display()
    )
}

/// Sends `signal` to the process group of a process that has not been reaped (so its group id
/// cannot have been reused).
fn signal_group(process: &Incarnation, signal: Signal) {
    let mut child = process.child.lock();
    if matches!(child.try_wait(), Ok(None)) {
        if let Some(group) = Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process_group(group, signal);
        }
    }
}

/// SIGKILLs a process's group and the process, and reaps it.
fn kill_incarnation(process: &Incarnation) {
    super::cleanup::kill_children(std::slice::from_ref(&process.child));
}

/// Spawns one process of node `id` and its output readers; returns it with its stdin writer
/// (bounded in time, `stdin.rs`), which the caller hands to the network.
fn spawn(
    id: &str,
    launch: &Launch,
    log_file: File,
) -> Result<(Incarnation, Box<dyn Write + Send>), String> {
    let program = &launch.program;
    let mut command = node_command(&program.path, &program.args);
    command
        .current_dir(&launch.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a Ctrl-C at the terminal reaches the runner, which then kills
        // the whole group, helpers the node may have started included; a kill or a pause acts
        // on the group too.
        .process_group(0);
    use std::os::unix::process::CommandExt;
    let mut child = spawn_node(command).map_err(|e| {
        format!(
            "Cannot start node {id} from --bin {}: {e}",
            program.path.display()
        )
    })?;
    let (stdin, stdout, stderr) =
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => (i, o, e),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("Node {id} was started without piped stdio"));
            }
        };
    let child = Arc::new(Mutex::new(child));
    registry().push(Arc::clone(&child));

    let stdout_ring = Arc::new(Mutex::new(Ring::default()));
    let stderr_ring = Arc::new(Mutex::new(Ring::default()));
    let incidents = &launch.incidents;
    let stdout_reader = {
        let (net, incidents, ring, node) = (
            Arc::clone(&launch.net),
            Arc::clone(incidents),
            Arc::clone(&stdout_ring),
            id.to_string(),
        );
        thread(format!("{id} stdout"), move || {
            read_stdout(&node, stdout, &net, &incidents, &ring)
        })?
    };
    let stderr_reader = {
        let (net, incidents, ring, node) = (
            Arc::clone(&launch.net),
            Arc::clone(incidents),
            Arc::clone(&stderr_ring),
            id.to_string(),
        );
        thread(format!("{id} stderr"), move || {
            read_stderr(&node, stderr, log_file, &incidents, &ring, net.budget())
        })?
    };
    let paused = Arc::new(AtomicBool::new(false));
    let writer = bounded_stdin(
        id,
        stdin,
        &launch.log_path,
        incidents,
        (&stdout_ring, &stderr_ring),
        Arc::clone(&paused),
    );
    let process = Incarnation {
        child,
        stdout_ring,
        stderr_ring,
        stdout_reader,
        stderr_reader,
        paused,
    };
    Ok((process, writer))
}

#[cfg(test)]
mod tests {
    use super::super::{Cluster, NodeFiles};
    use super::*;
    use crate::net::NetOptions;

    /// The state letter of `/proc/<pid>/stat` (`S` sleeping, `T` stopped, ...), if alive.
    fn proc_state(pid: u32) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (_, rest) = stat.rsplit_once(')')?;
        rest.trim_start().chars().next()
    }

    fn pid(node: &Node) -> u32 {
        node.child().lock().id()
    }

    /// Polls `check` for up to 5 s.
    fn eventually(check: impl Fn() -> bool) -> bool {
        let give_up = Instant::now() + Duration::from_secs(5);
        while Instant::now() < give_up {
            if check() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// A kill is not a crash, a start gives a new process in the same directory, a pause stops
    /// the process and a resume continues it; a node that exits by itself afterwards is
    /// reported as a crash; teardown leaves nothing running, a paused node included.
    #[test]
    fn kill_start_pause_resume_and_a_real_crash() {
        let dir = std::env::temp_dir().join(format!("maelstrom-node-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let net = Net::new(NetOptions::for_tests(1), Arc::new(|_: &str| {}));
        let incidents = Incidents::new(Arc::new(|_: &str| {}), Arc::new(|_: &str| {}), false);
        let program = NodeProgram {
            given: "sleep".into(),
            path: "/bin/sleep".into(),
            args: vec!["30".into()],
        };
        let node_dir = |id: &str| dir.join("nodes").join(id);
        let log_path = |id: &str| dir.join(format!("{id}.log"));
        let files = NodeFiles {
            dir: &node_dir,
            log_path: &log_path,
        };
        let ids = vec!["n0".to_string(), "n1".to_string()];
        let mut cluster =
            Cluster::start(&ids, &program, &files, &net, &incidents).expect("cluster starts");
        let n0 = Arc::clone(cluster.node("n0").expect("n0"));
        let n1 = Arc::clone(cluster.node("n1").expect("n1"));
        assert!(n0.dir().is_dir(), "working directory made");

        let first = pid(&n0);
        assert_eq!(n0.kill(), "killed");
        assert_eq!(proc_state(first), None, "killed and reaped");
        assert_eq!((n0.state(), n0.kill()), (NodeState::Dead, "already-dead"));
        assert_eq!(n0.pause(), "dead");
        std::thread::sleep(Duration::from_millis(50));
        assert!(incidents.crashed().is_none(), "a kill is not a crash");
        assert_eq!(n0.start(), Ok("started"));
        assert_ne!(pid(&n0), first, "a new process");
        assert_eq!((n0.starts(), n0.start()), (2, Ok("already-running")));

        assert_eq!(n1.pause(), "paused");
        assert!(eventually(|| proc_state(pid(&n1)) == Some('T')), "stopped");
        assert_eq!(n1.pause(), "already-paused");
        assert_eq!(n1.resume(), "resumed");
        assert!(eventually(|| proc_state(pid(&n1)) == Some('S')), "running");
        assert_eq!(n1.resume(), "not-paused");

        // Paused at teardown: continued, then killed.
        assert_eq!(n1.pause(), "paused");
        let paused = pid(&n1);
        let restarted = pid(&n0);
        // A node that dies by itself (not through the nemesis) is still a crash.
        let _ = rustix::process::kill_process(
            Pid::from_raw(restarted as i32).expect("pid"),
            Signal::TERM,
        );
        assert!(eventually(|| incidents.crashed().is_some()), "crash seen");
        assert_eq!(incidents.crashed().map(|c| c.node), Some("n0".into()));
        cluster.teardown();
        assert_eq!((proc_state(paused), proc_state(restarted)), (None, None));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
