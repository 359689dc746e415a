//! An offline, Maelstrom-compatible test runner.
//!
//! `maelstrom test -w broadcast --bin target/release/broadcast-3b --node-count 5 --time-limit 20
//! --rate 10` starts the nodes, simulates Maelstrom's network between them, drives clients
//! against them, injects faults, and checks the history the way Jepsen's Maelstrom does
//! (`jepsen-io/maelstrom`: `doc/protocol.md`, `doc/workloads.md`, `src/maelstrom/*.clj`). The
//! README lists where it departs on purpose. `maelstrom/ARCHITECTURE.md` shows the layers and
//! where a new workload, service, view or fault plugs in.
//!
//! The modules, in layers from the data at the bottom to the command line at the top; a module
//! imports only from its own layer or the ones below it, and no two modules import each other,
//! directly or through others (`tests/architecture.rs` checks both against this list):
//!
//! 1. data: `edn` (the values results and histories are written in), `options` (what a test was
//!    asked to do, one default per option), `history` (ops `:invoke`/`:ok`/`:fail`/`:info`, their
//!    EDN, crash reports, run facts, and the queries on a history: which node a process ran on,
//!    which ops pair up), `journal` (the network's send/recv events), `console` (printing without
//!    panicking, and quoting what a node wrote), `budget` (the bytes a node's output may make
//!    a run's folder hold).
//! 2. doing and judging: `generator` (the schedule and the seeded random streams), `workload`
//!    (one file per workload: generator, requests, replies to ops, its checker; and the
//!    registry, the one list of workload names), `nemesis` (one file per fault package: what it
//!    does through the context the runtime gives it, its schedule, its final op and its shade;
//!    and the registry, the one list of fault names), `checker` (one file per checker, pure
//!    functions over a history), `analysis` (runs the checkers and composes the results map).
//! 3. output: `store` (the `store/` directory, written and read back), `progress` (the status
//!    line), `report` (the printed results, verdict and exit code), `summary` (the warnings and
//!    the short summary printed before the verdict), `view` (the files drawn for a person after
//!    the analysis, from the history, the journal and the results: timeline.html, the perf
//!    PNGs, messages.svg, lin-kv's pictures of keys that are not linearizable, index.html; the
//!    one list of views).
//! 4. runtime: `service` (in-runner services and their registry), `net` (the simulated
//!    network, delivering to endpoints: node processes, services, clients), `process` (node
//!    processes: program, envelope check, incidents, cleanup), `client` (synchronous clients),
//!    `runner` (one test, setup to history: `setup`, `phases`, `worker`, after Maelstrom's
//!    `db.clj`, `core.clj`, `client.clj`).
//! 5. edges: `cli` (fills the options; nothing else imports it), `serve` (`maelstrom serve`,
//!    browsing `store/` over HTTP), `analyze` (`maelstrom analyze`, judging stored runs again,
//!    and the end of a run `test` shares with it: analysis, views, `results.edn`) and `main.rs`.

pub mod analysis;
pub mod analyze;
pub mod budget;
pub mod checker;
pub mod cli;
pub mod client;
pub mod console;
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
pub mod serve;
pub mod service;
pub mod store;
pub mod summary;
pub mod view;
pub mod workload;
