//! The command line: `maelstrom test ...` and `maelstrom serve`, with Maelstrom's options,
//! defaults, error messages and exit codes (spec 1).

use std::path::PathBuf;

/// Latency distribution (`--latency-dist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyDist {
    Constant,
    Uniform,
    Exponential,
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

/// `--availability`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Availability {
    Total,
    AtLeast(f64),
}

/// Everything `test` needs, after parsing and post-processing (spec 1.2-1.5).
#[derive(Debug, Clone, PartialEq)]
pub struct TestOptions {
    /// `--bin` as given (made absolute against the working directory when spawning).
    pub bin: PathBuf,
    /// `-w`: `echo`, `unique-ids`, `broadcast`, ... (default `lin-kv`, rejected as not yet supported).
    pub workload: String,
    /// Node ids after spec 1.3 (`n0..` with `--node-count`, else `n1..n5` by default).
    pub nodes: Vec<String>,
    /// C, after resolving the `Kn` form (spec 1.4).
    pub concurrency: usize,
    /// `--rate`, requests per second in total.
    pub rate: f64,
    /// `--time-limit`, seconds.
    pub time_limit: u64,
    /// `--latency`, mean milliseconds.
    pub latency: u64,
    pub latency_dist: LatencyDist,
    /// `--nemesis partition` sets this.
    pub nemesis_partition: bool,
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
    /// Performance targets (issue 4): `--max-msgs-per-op`, `--max-median-latency`, `--max-latency`.
    pub max_msgs_per_op: Option<f64>,
    pub max_median_latency_ms: Option<u64>,
    pub max_latency_ms: Option<u64>,
}
