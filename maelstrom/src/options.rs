//! The options of a test, as plain data: what `maelstrom test` was asked to do.
//!
//! The command line (`cli`) fills a [`TestOptions`]; everything below it (`net`, `workload`,
//! `checker`, `runner`) reads this module and never the command line. Each option has exactly one
//! default, in `Default` (Maelstrom's, from `src/maelstrom/core.clj`); the help text shows them.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Latency distribution (`--latency-dist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyDist {
    Constant,
    Uniform,
    Exponential,
}

impl LatencyDist {
    /// The name `--latency-dist` takes.
    pub fn name(self) -> &'static str {
        match self {
            LatencyDist::Constant => "constant",
            LatencyDist::Uniform => "uniform",
            LatencyDist::Exponential => "exponential",
        }
    }
}

/// Broadcast topology (`--topology`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyKind {
    Grid,
    Line,
    Total,
    /// b-ary tree; `tree` is `Tree(2)`.
    Tree(usize),
}

impl TopologyKind {
    /// The name `--topology` takes (`tree` for a binary tree, `tree3` for a ternary one).
    pub fn name(self) -> String {
        match self {
            TopologyKind::Grid => "grid".into(),
            TopologyKind::Line => "line".into(),
            TopologyKind::Total => "total".into(),
            TopologyKind::Tree(2) => "tree".into(),
            TopologyKind::Tree(b) => format!("tree{b}"),
        }
    }
}

/// `--availability`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Availability {
    Total,
    AtLeast(f64),
}

/// Everything `test` needs, after parsing and post-processing.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOptions {
    /// `--bin` as given (made absolute against the working directory when spawning).
    pub bin: PathBuf,
    /// `-w`: `echo`, `unique-ids`, `broadcast`, ... (default `lin-kv`, rejected as not yet supported).
    pub workload: String,
    /// Node ids after resolving the node options (`n0..` with `--node-count`, else `n1..n5` by default).
    pub nodes: Vec<String>,
    /// C, after resolving the `Kn` form.
    pub concurrency: usize,
    /// `--rate`, requests per second in total.
    pub rate: f64,
    /// `--time-limit`, seconds.
    pub time_limit: u64,
    /// `--latency`, mean milliseconds.
    pub latency: u64,
    pub latency_dist: LatencyDist,
    /// `--nemesis`: the names of the chosen faults (`partition`), each one of `nemesis::REGISTRY`.
    pub nemesis: BTreeSet<String>,
    /// `--nemesis-interval`, seconds.
    pub nemesis_interval: f64,
    pub topology: TopologyKind,
    pub availability: Option<Availability>,
    pub log_net_send: bool,
    pub log_net_recv: bool,
    pub log_stderr: bool,
    pub test_count: u64,
    /// `--seed`; when absent the runner picks one and prints it.
    pub seed: Option<u64>,
    /// Trailing arguments passed to every node process.
    pub node_args: Vec<String>,
    /// Performance targets (ours, see the README's deliberate differences): `--max-msgs-per-op`, `--max-median-latency`, `--max-latency`.
    pub max_msgs_per_op: Option<f64>,
    pub max_median_latency_ms: Option<u64>,
    pub max_latency_ms: Option<u64>,
    /// `--run-budget` (ours, see the README's deliberate differences), in bytes: the most the
    /// nodes' output may make the run's folder hold before the test is stopped (`budget.rs`).
    pub run_budget: u64,
    /// The options only some workloads read.
    pub workload_opts: WorkloadOptions,
}

/// Options that belong to workloads rather than to the test: Maelstrom's txn and kafka
/// workloads read them (`src/maelstrom/workload/txn_list_append.clj`, `kafka.clj`), the others
/// ignore them. A new workload option is one field here, with its default in `Default` below.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadOptions {
    /// `--consistency-models` (txn workloads; default `strict-serializable`), names without colon.
    pub consistency_models: Vec<String>,
    /// `--key-count` (txn and kafka workloads; `None` = the workload's default of 10).
    pub key_count: Option<u64>,
    /// `--max-txn-length` (default 4).
    pub max_txn_length: u64,
    /// `--max-writes-per-key` (default 16).
    pub max_writes_per_key: u64,
    /// `--wfr-mops` (ours; txn-rw-register): the checker also infers the version order from every
    /// micro-op, intermediate writes included (`checker::txn::Options::mop_versions`).
    pub wfr_mops: bool,
}

impl Default for WorkloadOptions {
    /// Maelstrom's defaults (`src/maelstrom/core.clj`'s option table).
    fn default() -> WorkloadOptions {
        WorkloadOptions {
            consistency_models: vec!["strict-serializable".to_string()],
            key_count: None,
            max_txn_length: 4,
            max_writes_per_key: 16,
            wfr_mops: false,
        }
    }
}

impl Default for TestOptions {
    /// Maelstrom's defaults, with an empty `--bin`: handy for building options in tests with
    /// `TestOptions { workload: "echo".into(), ..TestOptions::default() }`.
    fn default() -> TestOptions {
        let nodes: Vec<String> = DEFAULT_NODES.iter().map(|n| n.to_string()).collect();
        TestOptions {
            bin: PathBuf::new(),
            workload: "lin-kv".to_string(),
            concurrency: nodes.len(),
            nodes,
            rate: 5.0,
            time_limit: 60,
            latency: 0,
            latency_dist: LatencyDist::Constant,
            nemesis: BTreeSet::new(),
            nemesis_interval: 10.0,
            topology: TopologyKind::Grid,
            availability: None,
            log_net_send: false,
            log_net_recv: false,
            log_stderr: false,
            test_count: 1,
            seed: None,
            node_args: Vec::new(),
            max_msgs_per_op: None,
            max_median_latency_ms: None,
            max_latency_ms: None,
            run_budget: crate::budget::DEFAULT_BYTES,
            workload_opts: WorkloadOptions::default(),
        }
    }
}

/// Jepsen's default node list when neither `--node-count`, `--nodes`, `--nodes-file` nor `-n`
/// is given: five nodes numbered from 1 (`jepsen.cli`'s default, a trap we copy).
pub const DEFAULT_NODES: [&str; 5] = ["n1", "n2", "n3", "n4", "n5"];
