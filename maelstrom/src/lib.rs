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

pub mod cli;
pub mod edn;
pub mod history;
pub mod journal;
