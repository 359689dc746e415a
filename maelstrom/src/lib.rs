//! An offline, Maelstrom-compatible test runner.
//!
//! `maelstrom test -w broadcast --bin target/release/broadcast-3b --node-count 5 --time-limit 20
//! --rate 10` starts the nodes, simulates Maelstrom's network between them, drives clients
//! against them, injects partitions, and checks the history the way Jepsen's Maelstrom does.
//! The behaviour it reproduces is written down in `shared/MAELSTROM.md`; the README lists where
//! it departs on purpose.
//!
//! Modules mirror the concepts of the thing it imitates:
//! - `options`: what a test was asked to do, as plain data, one default per option.
//! - `cli`: fills the options from the command line (exit 254 on bad arguments).
//! - `edn`: the EDN values results and histories are written in.
//! - `history`: ops (`:invoke`/`:ok`/`:fail`/`:info`), crash reports and run facts.
//! - `journal`: the network's send/recv events, for `:net`.
//! - `net`: the simulated network (latency, queues, partitions), delivering to endpoints:
//!   node processes, in-runner services, clients.
//! - `service`: in-runner services (`seq-kv`, ...), one file each, and their registry.
//! - `process`: node processes (spawn, stdout/stderr, crashes, teardown).
//! - `client`: synchronous clients that send requests into the network.
//! - `generator`: the schedule (stagger, workers, time limit, final phase).
//! - `nemesis`: partitions and their grudges.
//! - `workload`: one file per workload (requests, replies to ops, generator, its checker) and
//!   the registry, the one list of workload names.
//! - `checker`: one file per checker (pure functions over a history).
//! - `analysis`: runs the checkers and composes the results map.
//! - `runner`: one test from setup to history.
//! - `store`: the `store/` directory.
//! - `progress`: the status line.
//! - `report`: the printed results, verdict and exit code.

pub mod analysis;
pub mod checker;
pub mod cli;
pub mod client;
pub mod edn;
pub mod generator;
pub mod history;
pub mod journal;
pub mod nemesis;
pub mod net;
pub mod options;
pub mod process;
pub mod progress;
pub mod report;
pub mod runner;
pub mod service;
pub mod store;
pub mod workload;
