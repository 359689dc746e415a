//! `test.edn`: a run's test options, and what the run recorded besides its history, so that
//! `maelstrom analyze` can judge the run again (Jepsen keeps the whole test map in its store,
//! `jepsen.store`, and its `analyze` command reads it back; ours is EDN, not Fressian).
//!
//! The file is written twice, as Jepsen saves its test map before and after the run: once
//! before the run starts (the options, so that a run interrupted or crashed has them too), and
//! again when the run has ended with `:facts`, what the runner observed that a checker reads
//! (`RunFacts`: protocol errors, late replies, a crash, where the final phase began, the run
//! folder's budget passed):
//!
//! ```text
//! {:workload :broadcast, :bin "target/release/broadcast-3b", :node-args [],
//!  :nodes ["n0" "n1"], :concurrency 2, :rate 10.0, :time-limit 20,
//!  :latency {:mean 0, :dist :constant}, :nemesis #{:partition}, :nemesis-interval 10.0,
//!  :topology :grid, :availability nil, :consistency-models [:strict-serializable],
//!  :key-count nil, :max-txn-length 4, :max-writes-per-key 16, :wfr-mops false,
//!  :linearizable-time-limit 30.0, :linearizable-memory-limit 1024, :seed 42,
//!  :max-msgs-per-op nil, :max-median-latency nil, :max-latency nil, :log-net-send false,
//!  :log-net-recv false, :log-stderr false, :test-count 1, :run-budget 1073741824,
//!  :facts {:final-phase-start 1234, :protocol-errors [], :late-replies [], :crash nil,
//!          :budget-passed nil}}
//! ```
//!
//! Keys are the command line's option names. Reading it back, a missing key takes the option's
//! default (so a hand-written `{:workload :echo}` is a test.edn); a key of the wrong kind, a
//! value the command line would refuse, or a key this runner does not know is an error naming
//! the file and the key.

use std::io;
use std::path::{Path, PathBuf};

use crate::checker::txn::model;
use crate::edn::{self, Edn};
use crate::history::RunFacts;
use crate::nemesis;
use crate::options::{Availability, LatencyDist, TestOptions, TopologyKind, WorkloadOptions};

use super::Store;

mod facts;
use facts::{facts_edn, facts_from};

/// The file's name in a run's folder.
pub const TEST_FILE: &str = "test.edn";

impl Store {
    /// Writes `test.edn`: the options, and `facts` once the run has ended (see the module doc).
    pub fn write_test(&self, opts: &TestOptions, facts: Option<&RunFacts>) -> io::Result<()> {
        write_test(self.dir(), opts, facts)
    }
}

/// Writes `dir/test.edn` (see the module doc); the error names the file.
pub fn write_test(dir: &Path, opts: &TestOptions, facts: Option<&RunFacts>) -> io::Result<()> {
    let path = dir.join(TEST_FILE);
    super::files::write_file(
        &path,
        edn::pretty(&test_edn(opts, facts)),
        super::files::AtLink::Refuse,
    )
}

/// A run's `test.edn`, read back: `Ok(None)` when the folder has none; an error naming the file
/// (and the key, when one is wrong) when it cannot be read or is not what `write_test` writes.
pub fn read_test(dir: &Path) -> io::Result<Option<(TestOptions, RunFacts)>> {
    let path = dir.join(TEST_FILE);
    let text = match super::files::read_regular(&path, super::files::MAX_TEST_BYTES) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let invalid = |problem: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {problem}", path.display()),
        )
    };
    let value = edn::parse(&text).map_err(|e| invalid(format!("not EDN: {e}")))?;
    from_edn(&value).map(Some).map_err(invalid)
}

/// The map `test.edn` holds, keys in the order of the module doc.
pub fn test_edn(opts: &TestOptions, facts: Option<&RunFacts>) -> Edn {
    // Every field, by name: a new option does not compile until it has its key here (and its
    // reading in `set_option` or `set_workload_option`).
    let TestOptions {
        bin,
        workload,
        nodes,
        concurrency,
        rate,
        time_limit,
        latency,
        latency_dist,
        nemesis,
        nemesis_interval,
        topology,
        availability,
        log_net_send,
        log_net_recv,
        log_stderr,
        test_count,
        seed,
        node_args,
        max_msgs_per_op,
        max_median_latency_ms,
        max_latency_ms,
        run_budget,
        workload_opts,
    } = opts;
    let WorkloadOptions {
        consistency_models,
        key_count,
        max_txn_length,
        max_writes_per_key,
        wfr_mops,
        linearizable_time_limit,
        linearizable_memory_limit_mb,
    } = workload_opts;
    let strings = |items: &[String]| Edn::Vector(items.iter().map(|s| Edn::str(s)).collect());
    let int = |n: u64| Edn::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let optional = |n: &Option<u64>| n.map_or(Edn::Nil, int);
    let mut entries = vec![
        ("workload", Edn::kw(workload)),
        ("bin", Edn::str(&bin.to_string_lossy())),
        ("node-args", strings(node_args)),
        ("nodes", strings(nodes)),
        ("concurrency", int(*concurrency as u64)),
        ("rate", Edn::Float(*rate)),
        ("time-limit", int(*time_limit)),
        (
            "latency",
            Edn::map([
                ("mean", int(*latency)),
                ("dist", Edn::kw(latency_dist.name())),
            ]),
        ),
        (
            "nemesis",
            Edn::Set(nemesis.iter().map(|f| Edn::kw(f)).collect()),
        ),
        ("nemesis-interval", Edn::Float(*nemesis_interval)),
        ("topology", Edn::kw(&topology.name())),
        (
            "availability",
            match availability {
                None => Edn::Nil,
                Some(Availability::Total) => Edn::kw("total"),
                Some(Availability::AtLeast(a)) => Edn::Float(*a),
            },
        ),
        (
            "consistency-models",
            Edn::Vector(consistency_models.iter().map(|m| Edn::kw(m)).collect()),
        ),
        ("key-count", optional(key_count)),
        ("max-txn-length", int(*max_txn_length)),
        ("max-writes-per-key", int(*max_writes_per_key)),
        ("wfr-mops", Edn::Bool(*wfr_mops)),
        (
            "linearizable-time-limit",
            Edn::Float(*linearizable_time_limit),
        ),
        (
            "linearizable-memory-limit",
            int(*linearizable_memory_limit_mb),
        ),
        ("seed", optional(seed)),
        (
            "max-msgs-per-op",
            max_msgs_per_op.map_or(Edn::Nil, Edn::Float),
        ),
        ("max-median-latency", optional(max_median_latency_ms)),
        ("max-latency", optional(max_latency_ms)),
        ("log-net-send", Edn::Bool(*log_net_send)),
        ("log-net-recv", Edn::Bool(*log_net_recv)),
        ("log-stderr", Edn::Bool(*log_stderr)),
        ("test-count", int(*test_count)),
        ("run-budget", int(*run_budget)),
    ];
    if let Some(facts) = facts {
        entries.push(("facts", facts_edn(facts)));
    }
    Edn::map(entries)
}

/// The options and facts of a `test.edn` map; the error names the key at fault.
pub fn from_edn(value: &Edn) -> Result<(TestOptions, RunFacts), String> {
    let Edn::Map(entries) = value else {
        return Err(format!(
            "expected a map of test options, got {}",
            excerpt(value)
        ));
    };
    let mut opts = TestOptions::default();
    let mut facts = RunFacts::default();
    let mut nodes_given = false;
    let mut concurrency = None;
    for (key, value) in entries.iter() {
        let Edn::Keyword(name) = key else {
            return Err(format!("expected keyword keys, got {}", excerpt(key)));
        };
        let v = Value { key: name, value };
        let known = set_option(&mut opts, &v, &mut nodes_given, &mut concurrency)?
            || set_workload_option(&mut opts.workload_opts, &v)?;
        match &**name {
            _ if known => {}
            "facts" => facts = facts_from(value)?,
            _ => {
                return Err(format!(
                    "unknown key :{name} (test.edn holds the options of `maelstrom test` and \
                     :facts)"
                ))
            }
        }
    }
    if nodes_given && concurrency.is_none() {
        // Maelstrom's default concurrency is one worker per node.
        opts.concurrency = opts.nodes.len();
    }
    if let Some(c) = concurrency {
        opts.concurrency = c;
    }
    Ok((opts, facts))
}

/// One entry of the map, for the typed getters below, whose errors name its key.
struct Value<'a> {
    key: &'a str,
    value: &'a Edn,
}

impl Value<'_> {
    fn wrong(&self, expected: &str) -> String {
        format!(
            ":{} must be {expected}, got {}",
            self.key,
            excerpt(self.value)
        )
    }

    fn int(&self) -> Result<u64, String> {
        match self.value {
            Edn::Int(n) if *n >= 0 => Ok(*n as u64),
            _ => Err(self.wrong("a whole number, 0 or more")),
        }
    }

    fn positive(&self) -> Result<u64, String> {
        match self.int() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(self.wrong("a positive whole number")),
        }
    }

    fn optional_int(&self) -> Result<Option<u64>, String> {
        match self.value {
            Edn::Nil => Ok(None),
            _ => self.int().map(Some),
        }
    }

    fn number(&self) -> Result<f64, String> {
        let x = match self.value {
            Edn::Int(n) => *n as f64,
            Edn::Float(x) => *x,
            Edn::Float32(x) => f64::from(*x),
            _ => return Err(self.wrong("a number")),
        };
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(self.wrong("a finite number, 0 or more"))
        }
    }

    fn bool(&self) -> Result<bool, String> {
        match self.value {
            Edn::Bool(b) => Ok(*b),
            _ => Err(self.wrong("true or false")),
        }
    }

    fn string(&self) -> Result<String, String> {
        match self.value {
            Edn::Str(s) => Ok(s.to_string()),
            _ => Err(self.wrong("a string")),
        }
    }

    /// A keyword, or a string (`:echo` or `"echo"`), without its colon.
    fn name(&self) -> Result<String, String> {
        match self.value {
            Edn::Keyword(s) | Edn::Str(s) => Ok(s.to_string()),
            _ => Err(self.wrong("a keyword")),
        }
    }

    fn items(&self) -> Result<&[Edn], String> {
        match self.value {
            Edn::Vector(items) | Edn::List(items) | Edn::Set(items) => Ok(items),
            _ => Err(self.wrong("a vector")),
        }
    }

    fn strings(&self) -> Result<Vec<String>, String> {
        self.items()?
            .iter()
            .map(|item| match item {
                Edn::Str(s) => Ok(s.to_string()),
                _ => Err(self.wrong("a vector of strings")),
            })
            .collect()
    }

    fn names(&self) -> Result<Vec<String>, String> {
        self.items()?
            .iter()
            .map(|item| match item {
                Edn::Keyword(s) | Edn::Str(s) => Ok(s.to_string()),
                _ => Err(self.wrong("a collection of keywords")),
            })
            .collect()
    }

    /// The entry of a nested map, named `:outer :inner` in errors.
    fn within<'b>(&'b self, key: &'b str, name: &'b str) -> Value<'b> {
        Value {
            key: name,
            value: self.value.get(key).unwrap_or(&Edn::Nil),
        }
    }
}

/// The options of the test itself. Ok(false) for a key it does not know.
fn set_option(
    opts: &mut TestOptions,
    v: &Value,
    nodes_given: &mut bool,
    concurrency: &mut Option<usize>,
) -> Result<bool, String> {
    match v.key {
        "workload" => opts.workload = v.name()?,
        "bin" => opts.bin = PathBuf::from(v.string()?),
        "node-args" => opts.node_args = v.strings()?,
        "nodes" => {
            let nodes = v.strings()?;
            if nodes.is_empty() || nodes.iter().any(String::is_empty) {
                return Err(v.wrong("a vector of node names, not empty"));
            }
            opts.nodes = nodes;
            *nodes_given = true;
        }
        "concurrency" => *concurrency = Some(v.positive()? as usize),
        "rate" => opts.rate = v.number()?,
        "time-limit" => opts.time_limit = v.positive()?,
        "latency" => {
            if !matches!(v.value, Edn::Map(_)) {
                return Err(v.wrong("a map {:mean MS, :dist :constant}"));
            }
            let mean = v.within("mean", "latency :mean");
            if mean.value != &Edn::Nil {
                opts.latency = mean.int()?;
            }
            let dist = v.within("dist", "latency :dist");
            if dist.value != &Edn::Nil {
                let name = dist.name()?;
                let all = [
                    LatencyDist::Constant,
                    LatencyDist::Uniform,
                    LatencyDist::Exponential,
                ];
                opts.latency_dist = all
                    .into_iter()
                    .find(|d| d.name() == name)
                    .ok_or_else(|| dist.wrong(":constant, :uniform or :exponential"))?;
            }
        }
        "nemesis" => {
            let faults = v.names()?;
            if let Some(other) = faults.iter().find(|f| nemesis::named(f).is_none()) {
                let known: Vec<String> = nemesis::names().map(|n| format!(":{n}")).collect();
                return Err(format!(
                    ":nemesis holds an unknown fault :{other}; the faults are {}",
                    known.join(", ")
                ));
            }
            opts.nemesis = faults.into_iter().collect();
        }
        "nemesis-interval" => match v.number()? {
            x if x > 0.0 => opts.nemesis_interval = x,
            _ => return Err(v.wrong("a positive number of seconds")),
        },
        "topology" => {
            let name = v.name()?;
            let all = [
                TopologyKind::Grid,
                TopologyKind::Line,
                TopologyKind::Total,
                TopologyKind::Tree(2),
                TopologyKind::Tree(3),
                TopologyKind::Tree(4),
            ];
            opts.topology = all
                .into_iter()
                .find(|t| t.name() == name || (name == "tree2" && *t == TopologyKind::Tree(2)))
                .ok_or_else(|| v.wrong("one of :grid, :line, :total, :tree, :tree3, :tree4"))?;
        }
        "availability" => {
            opts.availability = match v.value {
                Edn::Nil => None,
                Edn::Keyword(k) if &**k == "total" => Some(Availability::Total),
                _ => match v.number() {
                    Ok(a) if a <= 1.0 => Some(Availability::AtLeast(a)),
                    _ => return Err(v.wrong("nil, :total or a number from 0 to 1")),
                },
            }
        }
        "seed" => opts.seed = v.optional_int()?,
        "max-msgs-per-op" => {
            opts.max_msgs_per_op = match v.value {
                Edn::Nil => None,
                _ => Some(v.number()?),
            }
        }
        "max-median-latency" => opts.max_median_latency_ms = v.optional_int()?,
        "max-latency" => opts.max_latency_ms = v.optional_int()?,
        "log-net-send" => opts.log_net_send = v.bool()?,
        "log-net-recv" => opts.log_net_recv = v.bool()?,
        "log-stderr" => opts.log_stderr = v.bool()?,
        "test-count" => opts.test_count = v.positive()?,
        "run-budget" => opts.run_budget = v.positive()?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// The options only some workloads read. Ok(false) for a key it does not know.
fn set_workload_option(opts: &mut WorkloadOptions, v: &Value) -> Result<bool, String> {
    match v.key {
        "consistency-models" => {
            let names = v.names()?;
            let known = model::all_models();
            if let Some(unknown) = names.iter().find(|n| !known.contains(n.as_str())) {
                return Err(format!(
                    ":consistency-models holds an unknown model :{unknown}"
                ));
            }
            if names.is_empty() {
                return Err(v.wrong("at least one consistency model"));
            }
            opts.consistency_models = names;
        }
        "key-count" => {
            opts.key_count = match v.value {
                Edn::Nil => None,
                _ => Some(v.positive()?),
            }
        }
        "max-txn-length" => opts.max_txn_length = v.positive()?,
        "max-writes-per-key" => opts.max_writes_per_key = v.positive()?,
        "wfr-mops" => opts.wfr_mops = v.bool()?,
        "linearizable-time-limit" => match v.number()? {
            x if x > 0.0 && x <= 1_000_000.0 => opts.linearizable_time_limit = x,
            _ => return Err(v.wrong("a positive number of seconds, at most 1000000")),
        },
        "linearizable-memory-limit" => match v.positive()? {
            n if n <= 1 << 20 => opts.linearizable_memory_limit_mb = n,
            _ => return Err(v.wrong("a whole number of MB, from 1 to 1048576")),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// A value as EDN, cut to 60 characters for an error message.
fn excerpt(value: &Edn) -> String {
    let text = edn::compact(value);
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{BudgetPassed, CrashReport};
    use crate::store::tests::TempDir;

    fn full_options() -> TestOptions {
        TestOptions {
            bin: PathBuf::from("target/release/broadcast-3b"),
            workload: "txn-rw-register".into(),
            nodes: vec!["n0".into(), "n1".into()],
            concurrency: 4,
            rate: 12.5,
            time_limit: 7,
            latency: 100,
            latency_dist: LatencyDist::Exponential,
            nemesis: ["partition".to_string()].into(),
            nemesis_interval: 2.5,
            topology: TopologyKind::Tree(3),
            availability: Some(Availability::AtLeast(0.5)),
            log_net_send: true,
            log_net_recv: false,
            log_stderr: true,
            test_count: 2,
            seed: Some(42),
            node_args: vec!["serial".into(), "--x y".into()],
            max_msgs_per_op: Some(30.0),
            max_median_latency_ms: Some(400),
            max_latency_ms: Some(600),
            run_budget: 5 << 20,
            workload_opts: WorkloadOptions {
                consistency_models: vec!["read-committed".into(), "serializable".into()],
                key_count: Some(3),
                max_txn_length: 2,
                max_writes_per_key: 8,
                wfr_mops: true,
                linearizable_time_limit: 2.5,
                linearizable_memory_limit_mb: 64,
            },
        }
    }

    /// Every option and every fact reads back as written, through the file.
    #[test]
    fn options_and_facts_read_back_as_written() {
        let tmp = TempDir::new("test-edn");
        let opts = full_options();
        let facts = RunFacts {
            protocol_errors: vec!["Node n0 printed \"x\"".into()],
            late_replies: vec!["late".into()],
            crash: Some(CrashReport {
                node: "n1".into(),
                status: "exit status 3".into(),
                stdout: vec![],
                stderr: vec!["boom".into()],
                log_path: "/tmp/n1.log".into(),
            }),
            final_phase_start: Some(99),
            protocol_error_count: 150,
            protocol_by_node: [("n0".to_string(), (150, "Node n0 printed \"x\"".to_string()))]
                .into(),
            crash_time: Some(1_500_000_000),
            budget: Some(BudgetPassed {
                limit: 8 << 20,
                time: 1_200_000_000,
                text: "n0's echo replies passed the run folder's budget".into(),
            }),
        };
        write_test(&tmp.0, &opts, Some(&facts)).expect("write");
        assert_eq!(
            read_test(&tmp.0).expect("read"),
            Some((opts.clone(), facts))
        );
        write_test(&tmp.0, &TestOptions::default(), None).expect("write");
        assert_eq!(
            read_test(&tmp.0).expect("read"),
            Some((TestOptions::default(), RunFacts::default()))
        );
    }

    /// A folder without test.edn has none; a hand-written one takes the defaults it leaves out,
    /// with one worker per node, as Maelstrom's default concurrency.
    #[test]
    fn missing_keys_take_the_defaults() {
        let tmp = TempDir::new("test-edn-missing");
        assert_eq!(read_test(&tmp.0).expect("read"), None);
        let (opts, facts) =
            from_edn(&edn::parse(r#"{:workload :echo, :nodes ["a" "b"]}"#).expect("edn"))
                .expect("options");
        assert_eq!(
            opts,
            TestOptions {
                workload: "echo".into(),
                nodes: vec!["a".into(), "b".into()],
                concurrency: 2,
                ..TestOptions::default()
            }
        );
        assert_eq!(facts, RunFacts::default());
    }

    /// Each kind of bad content is an error naming the file and the key.
    #[test]
    fn bad_content_names_the_file_and_the_key() {
        let tmp = TempDir::new("test-edn-bad");
        let cases = [
            ("{:workload", "not EDN"),
            ("[1 2]", "expected a map of test options, got [1 2]"),
            ("{:rate \"fast\"}", ":rate must be a number, got \"fast\""),
            (
                "{:nodes [1]}",
                ":nodes must be a vector of strings, got [1]",
            ),
            (
                "{:concurrency 0}",
                ":concurrency must be a positive whole number",
            ),
            (
                "{:latency {:dist :gauss}}",
                ":latency :dist must be :constant",
            ),
            ("{:nemesis #{:flood}}", "unknown fault :flood"),
            (
                "{:consistency-models [:snapshot-iso]}",
                "unknown model :snapshot-iso",
            ),
            (
                "{:availability 2}",
                ":availability must be nil, :total or a number",
            ),
            ("{:rte 5}", "unknown key :rte"),
            (
                "{:workload :lin-kv, :rate 5, :workload :echo}",
                "a map holds the key :workload twice",
            ),
            ("{:nemesis #{:kill :kill}}", "a set holds :kill twice"),
            (
                "{:facts {:crash {:node 1}}}",
                ":facts :crash :node must be a string",
            ),
            (
                "{:facts {:final-phase-start -1}}",
                ":facts :final-phase-start must be",
            ),
        ];
        for (text, expected) in cases {
            std::fs::write(tmp.0.join(TEST_FILE), text).expect("write");
            let error = read_test(&tmp.0).expect_err(text).to_string();
            assert!(
                error.starts_with(&format!("{}: ", tmp.0.join(TEST_FILE).display())),
                "{error}"
            );
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
