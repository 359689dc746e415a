//! A node that misbehaves on purpose, for the runner's end-to-end tests (`tests/e2e.rs`).
//!
//! The trailing argument picks the misbehaviour (`--bin misbehave -- wrong-echo`):
//!
//! | mode | what the node does | what the runner must say |
//! |---|---|---|
//! | `wrong-echo` | answers `echo` with an altered payload | echo workload invalid |
//! | `duplicate-ids` | numbers ids 0, 1, 2, ... on every node, so nodes collide | unique-ids invalid, duplicates |
//! | `forget-broadcast` | single-node broadcast that drops every value divisible by 3 | lost values, invalid |
//! | `skip-n4` | broadcast that gossips each client value to every peer but `n4` | n4's final read named, invalid |
//! | `crash-mid-test` | an echo server that exits with status 3 after 5 echoes | crash named, invalid, exit 1 |
//! | `non-json` | an echo server that prints one non-JSON line after 3 echoes | protocol error, invalid |
//! | `many-bad-lines` | an echo server that prints 150 numbered non-JSON lines after 3 echoes | all 150 counted, the node and its first line in the summary |
//! | `silent-init` | never answers `init` | init error naming the node, exit 255 |
//! | `silent-reinit` | an echo server that answers its first `init` and leaves a file `started` in its working directory (its disk, kept across kills); a process started again finds it and never answers `init` | a run interrupted during that restart is not a crash |
//! | `wrong-src` | answers `echo` with the client's id as `src` (and as `dest`) | delivered as Maelstrom does, so valid, with one warning naming the node and both ids and what a reply's src should be |
//! | `forward-as-client` | two echo servers; `n0` forwards each client's `echo` to `n1` unchanged but for `dest`, so its `src` is the client's id (as Maelstrom's `demo/python/raft.py` forwards to its leader), and `n1` answers the client | valid, with one warning naming `n0` |
//! | `double-reply` | answers every `echo` twice | valid, with a warning naming the second reply |
//! | `garbled-init` | answers `init` with a line that is not JSON, then nothing | init error naming the node and the bad line, within a few seconds, exit 255 |
//! | `helpers` | an echo server that starts two `sleep 1000` helpers at `init`, one in its process group and one in a group of its own | no helper outlives the run |
//! | `helpers-then-crash` | `helpers`, then exits with status 3 after 5 echoes, leaving its helpers | crash named, no helper outlives the run |
//! | `huge-lines` | an echo server that, after 3 echoes, prints a 50 MB line on stderr, then a 50 MB non-JSON line and a 1 MB one on stdout | protocol errors quoting at most a few hundred bytes, bounded memory |
//! | `big-ids` | a correct unique-ids node whose ids are all above 2^63 (Snowflake-style, some above 2^64) and whose replies carry `msg_id` 2^64 | valid: integers of any size are exact |
//! | `deaf` | answers `init`, then never reads its stdin again | the node named as having stopped reading, on time |
//! | `counter-mute-final` | a one-node g-counter that keeps the count in memory, correct, except that once no client has written for 5 s (the final phase's recovery sleep) it answers every read with error 11 | counter workload `:unknown`, naming the node, exit 2 |
//! | `skip-n4-mute-final` | `skip-n4`, and `n4` answers reads with error 11 once no client has written to it for 5 s, so its final read fails | broadcast `:unknown` (at least), `n4` named under `:final-read-failures` |
//! | `fat-ids` | a correct unique-ids node whose every id is a 3 MB string (unique: it starts with the node's id and a counter) | the run stops at the run folder's budget, naming the node; `:unknown`, exit 2 |
//! | `flood-stderr` | a correct echo server that, from `init` on, writes 1 KB lines to stderr as fast as it can | the run stops at the run folder's budget, naming the node's stderr; `:unknown`, exit 2 |
//! | `flood-kv` | a correct echo server that sends `lin-kv` 5,000 `read` requests per echo it answers (valid service traffic, as fast as the network takes it) | a bounded run folder; views that say what they left out |
//! | `block-results` | a correct echo server that, at `init`, makes a directory named `results.edn` in the run's folder (`store/current` beside `MISBEHAVE_PID_DIR`), as a full disk would stop the file being written | the verdict, then that results.edn could not be written, last, exit 255 |
//!
//! When `MISBEHAVE_PID_DIR` is set, each node writes an empty file named after its pid there at
//! start, so a test can check afterwards that the runner left no node running.
//!
//! Plain std and serde_json on purpose: the tests must not depend on the node library they
//! would otherwise be testing alongside.
#![allow(clippy::print_stdout)] // stdout is the network: this program speaks the protocol there.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use serde_json::{json, Value};

/// How long without a client's message makes the `*-mute-final` modes take the next read for a
/// final one (the final phase sleeps 10 s before its reads).
const MUTE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Echoes answered before `crash-mid-test` exits.
const CRASH_AFTER: u64 = 5;
/// Echoes answered before `non-json` prints its bad line.
const NON_JSON_AFTER: u64 = 3;
/// The line `non-json` prints; tests look for it quoted in the runner's error.
const NON_JSON_LINE: &str = "this line is not JSON";
/// The length of every `fat-ids` id: 3 MB.
const FAT_PAD: usize = 3 << 20;
/// The `lin-kv` reads `flood-kv` sends per echo.
const FLOOD_PER_ECHO: u64 = 5_000;
/// How many lines `many-bad-lines` prints (`bad line 1`, `bad line 2`, ...): more than the
/// 100 error texts the runner keeps.
const BAD_LINES: u64 = 150;

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    const MODES: &[&str] = &[
        "wrong-echo",
        "duplicate-ids",
        "forget-broadcast",
        "skip-n4",
        "crash-mid-test",
        "non-json",
        "many-bad-lines",
        "silent-init",
        "silent-reinit",
        "garbled-init",
        "wrong-src",
        "forward-as-client",
        "double-reply",
        "deaf",
        "helpers",
        "helpers-then-crash",
        "huge-lines",
        "big-ids",
        "block-results",
        "counter-mute-final",
        "skip-n4-mute-final",
        "fat-ids",
        "flood-kv",
        "flood-stderr",
    ];
    if !MODES.contains(&mode.as_str()) {
        eprintln!("usage: misbehave <{}>", MODES.join("|"));
        return ExitCode::from(2);
    }
    if let Some(dir) = std::env::var_os("MISBEHAVE_PID_DIR") {
        let path = std::path::Path::new(&dir).join(std::process::id().to_string());
        if let Err(e) = std::fs::write(&path, mode.as_bytes()) {
            eprintln!("misbehave: can't write {}: {e}", path.display());
        }
    }
    match run(&mode) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("misbehave: {e}");
            ExitCode::from(1)
        }
    }
}

/// Starts two long-lived helpers: one in the node's process group, one in a group of its own
/// (as a daemonising helper would). Both inherit the environment, so the tests' leftover scan
/// sees them.
fn start_helpers() -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    for own_group in [false, true] {
        let mut helper = std::process::Command::new("sleep");
        helper
            .arg("1000")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if own_group {
            helper.process_group(0);
        }
        let child = helper.spawn()?;
        eprintln!(
            "misbehave: started helper {} (own group: {own_group})",
            child.id()
        );
    }
    Ok(())
}

/// A `generate_ok` written as text, so that its integers keep every digit whatever JSON library
/// reads it: ids alternate between 2^63 + (node << 32) + n, just above the signed 64-bit range,
/// and 10^25 + node * 10^12 + n, beyond 64 bits; `msg_id` is 2^64.
fn big_id_reply(node: &Node, msg: &Value) -> String {
    let node_number: u64 = node.id.trim_start_matches('n').parse().unwrap_or(0);
    let n = node.next_unique;
    let id = if n & 1 == 0 {
        ((1u128 << 63) + (u128::from(node_number) << 32) + u128::from(n)).to_string()
    } else {
        (10u128.pow(25) + u128::from(node_number) * 10u128.pow(12) + u128::from(n)).to_string()
    };
    format!(
        r#"{{"src":{},"dest":{},"body":{{"type":"generate_ok","id":{id},"msg_id":18446744073709551616,"in_reply_to":{}}}}}"#,
        json!(node.id),
        msg["src"],
        msg["body"]["msg_id"]
    )
}

/// `block-results`: a directory where the runner will write `results.edn`, in the run folder
/// that `store/current` (in the runner's directory, the parent of `MISBEHAVE_PID_DIR`) points at.
fn block_results() -> io::Result<()> {
    let Some(pids) = std::env::var_os("MISBEHAVE_PID_DIR") else {
        return Err(io::Error::other("block-results needs MISBEHAVE_PID_DIR"));
    };
    let runner_dir = std::path::Path::new(&pids)
        .parent()
        .ok_or_else(|| io::Error::other("MISBEHAVE_PID_DIR has no parent"))?
        .to_path_buf();
    std::fs::create_dir(runner_dir.join("store/current/results.edn"))
}

/// Node state: what every mode needs, kept in one place.
#[derive(Default)]
struct Node {
    id: String,
    node_ids: Vec<String>,
    next_msg_id: u64,
    echoes: u64,
    next_unique: u64,
    messages: Vec<Value>,
    /// The g-counter's value (`counter-mute-final`).
    count: i64,
    /// When a client last wrote to this node (`*-mute-final`).
    last_client: Option<std::time::Instant>,
}

fn run(mode: &str) -> io::Result<ExitCode> {
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    let mut node = Node::default();
    for line in stdin.lock().lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            eprintln!("misbehave: ignoring a line that is not JSON: {line}");
            continue;
        };
        let body = &msg["body"];
        let kind = body["type"].as_str().unwrap_or_default();
        // `*-mute-final`: a read after a long silence from clients is a final read.
        let from_client = msg["src"].as_str().is_some_and(|src| src.starts_with('c'));
        let silent = node.last_client.is_some_and(|t| t.elapsed() >= MUTE_AFTER);
        if from_client {
            node.last_client = Some(std::time::Instant::now());
        }
        let mutes =
            mode == "counter-mute-final" || (mode == "skip-n4-mute-final" && node.id == "n4");
        let reply = match kind {
            "read" if mutes && silent => Some(json!({"type": "error", "code": 11,
                "text": "not answering final reads, on purpose"})),
            "add" if mode == "counter-mute-final" => {
                node.count += body["delta"].as_i64().unwrap_or(0);
                Some(json!({"type": "add_ok"}))
            }
            "read" if mode == "counter-mute-final" => {
                Some(json!({"type": "read_ok", "value": node.count}))
            }
            "init" if mode == "silent-init" => {
                eprintln!("misbehave: not answering init, on purpose");
                None
            }
            "init" if mode == "silent-reinit" && std::path::Path::new("started").exists() => {
                eprintln!("misbehave: started again; not answering init, on purpose");
                None
            }
            "init" if mode == "garbled-init" => {
                writeln!(out, "{NON_JSON_LINE}")?;
                out.flush()?;
                None
            }
            "init" if mode == "deaf" => {
                let reply = json!({"src": body["node_id"], "dest": msg["src"],
                    "body": {"type": "init_ok", "in_reply_to": body["msg_id"]}});
                writeln!(out, "{reply}")?;
                out.flush()?;
                eprintln!("misbehave: answered init, now not reading stdin any more, on purpose");
                std::thread::sleep(std::time::Duration::from_secs(1000));
                None
            }
            "init" => {
                if mode.starts_with("helpers") {
                    start_helpers()?;
                }
                if mode == "block-results" {
                    block_results()?;
                }
                if mode == "silent-reinit" {
                    std::fs::write("started", "")?;
                }
                if mode == "flood-stderr" {
                    std::thread::spawn(|| {
                        let line = format!("{}\n", "e".repeat(1023));
                        while io::stderr().write_all(line.as_bytes()).is_ok() {}
                    });
                }
                node.id = body["node_id"].as_str().unwrap_or_default().to_string();
                node.node_ids = body["node_ids"]
                    .as_array()
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|id| id.as_str())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                Some(json!({"type": "init_ok"}))
            }
            "topology" => Some(json!({"type": "topology_ok"})),
            "echo" if mode == "forward-as-client" && node.id == "n0" => {
                let mut forward = msg.clone();
                forward["dest"] = json!("n1");
                writeln!(out, "{forward}")?;
                out.flush()?;
                None
            }
            // The service's answers to `flood-kv`'s reads.
            "read_ok" | "error" if mode == "flood-kv" => None,
            "echo" => {
                node.echoes += 1;
                let crashes = mode == "crash-mid-test" || mode == "helpers-then-crash";
                if crashes && node.echoes > CRASH_AFTER {
                    eprintln!("misbehave: crashing on purpose after {CRASH_AFTER} echoes");
                    return Ok(ExitCode::from(3));
                }
                if mode == "huge-lines" && node.echoes == NON_JSON_AFTER + 1 {
                    // stderr first: the bad stdout lines end the test, and the node with it.
                    eprintln!("{}", "e".repeat(50 << 20));
                    // The 50 MB line first: the first bad line ends the test, so only its report
                    // is certain to come; the 1 MB one may be cut off by the node's teardown.
                    for megabytes in [50, 1] {
                        writeln!(out, "{}", "z".repeat(megabytes << 20))?;
                    }
                    out.flush()?;
                }
                if mode == "non-json" && node.echoes == NON_JSON_AFTER + 1 {
                    writeln!(out, "{NON_JSON_LINE}")?;
                    out.flush()?;
                }
                if mode == "many-bad-lines" && node.echoes == NON_JSON_AFTER + 1 {
                    for i in 1..=BAD_LINES {
                        writeln!(out, "bad line {i}")?;
                    }
                    out.flush()?;
                }
                if mode == "flood-kv" {
                    for i in 0..FLOOD_PER_ECHO {
                        let read = json!({"src": node.id, "dest": "lin-kv",
                            "body": {"type": "read", "key": i % 10, "msg_id": 1_000_000 + i}});
                        writeln!(out, "{read}")?;
                    }
                }
                let mut echo = body["echo"].clone();
                if mode == "wrong-echo" {
                    echo = json!(format!("{} (altered)", echo.as_str().unwrap_or_default()));
                }
                Some(json!({"type": "echo_ok", "echo": echo}))
            }
            "generate" if mode == "big-ids" => {
                node.next_unique += 1;
                let line = big_id_reply(&node, &msg);
                writeln!(out, "{line}")?;
                out.flush()?;
                None
            }
            "generate" if mode == "fat-ids" => {
                node.next_unique += 1;
                let mut id = format!("{}-{}-", node.id, node.next_unique);
                id.push_str(&"x".repeat(FAT_PAD - id.len()));
                Some(json!({"type": "generate_ok", "id": id}))
            }
            "generate" => {
                // The bug: no node id in the id, so every node hands out 0, 1, 2, ...
                node.next_unique += 1;
                Some(json!({"type": "generate_ok", "id": node.next_unique}))
            }
            "broadcast" if mode.starts_with("skip-n4") => {
                // The bug: n4 is left out of the gossip, so it only knows its own clients' values.
                let value = body["message"].clone();
                node.messages.push(value.clone());
                for peer in node
                    .node_ids
                    .iter()
                    .filter(|p| **p != node.id && *p != "n4")
                {
                    let gossip = json!({"src": node.id, "dest": peer,
                        "body": {"type": "gossip", "message": value}});
                    writeln!(out, "{gossip}")?;
                }
                Some(json!({"type": "broadcast_ok"}))
            }
            "gossip" => {
                node.messages.push(body["message"].clone());
                None
            }
            "broadcast" => {
                let value = body["message"].clone();
                let forget = value.as_i64().is_some_and(|v| v % 3 == 0);
                if !forget {
                    node.messages.push(value);
                }
                Some(json!({"type": "broadcast_ok"}))
            }
            "read" => Some(json!({"type": "read_ok", "messages": node.messages})),
            _ => Some(json!({"type": "error", "code": 10, "text": format!("unsupported: {kind}")})),
        };
        if let Some(mut reply) = reply {
            node.next_msg_id += 1;
            reply["msg_id"] = json!(node.next_msg_id);
            reply["in_reply_to"] = body["msg_id"].clone();
            // `wrong-src` answers echoes as if it were the client (src and dest both the client).
            let src = match mode {
                "wrong-src" if kind == "echo" => msg["src"].clone(),
                _ => json!(node.id),
            };
            let envelope = json!({"src": src, "dest": msg["src"], "body": reply});
            writeln!(out, "{envelope}")?;
            if mode == "double-reply" && kind == "echo" {
                writeln!(out, "{envelope}")?;
            }
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
