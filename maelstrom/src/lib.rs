//! An offline, Maelstrom-compatible test runner.
//!
//! `maelstrom test -w broadcast --bin target/release/broadcast-3b --node-count 5 --time-limit 20
//! --rate 10` starts the nodes, simulates Maelstrom's network between them, drives clients
//! against them, injects partitions, and checks the history the way Jepsen's Maelstrom does.
//! The behaviour it reproduces is written down in `shared/MAELSTROM.md`; the README lists where
//! it departs on purpose.
//!
//! Modules mirror the concepts of the thing it imitates:
//! - `cli`: options, defaults, argument errors (exit 254).
//! - `edn`: the EDN values results and histories are written in.
//! - `history`: ops (`:invoke`/`:ok`/`:fail`/`:info`) as the checkers see them.
//! - `journal`: the network's send/recv events, for `:net`.
//! - `net`: the simulated network (latency, queues, partitions).
//! - `process`: node processes (spawn, stdout/stderr, crashes, teardown).
//! - `client`: synchronous clients that send requests into the network.
//! - `generator`: the schedule (stagger, workers, time limit, final phase).
//! - `nemesis`: partitions and their grudges.
//! - `workload`: one file per workload (requests, replies to ops, generators).
//! - `checker`: one file per checker (pure functions over a history).
//! - `runner`: one test from setup to history.
//! - `store`: the `store/` directory.
//! - `progress`: the status line.
//! - `report`: the printed results, verdict and exit code.
//! - `view`: the files drawn for a person (timeline.html, the perf PNGs, messages.svg).
//! - `serve`: `maelstrom serve`, browsing `store/` over HTTP.

pub mod checker;
pub mod cli;
pub mod client;
pub mod edn;
pub mod generator;
pub mod history;
pub mod journal;
pub mod nemesis;
pub mod net;
pub mod process;
pub mod progress;
pub mod report;
pub mod runner;
pub mod serve;
pub mod store;
pub mod view;
pub mod workload;
