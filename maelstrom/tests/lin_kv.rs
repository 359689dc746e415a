//! End-to-end tests of the lin-kv workload and its linearizability checker: nodes that write
//! raw JSON (`examples/lin_kv_nodes.rs`), correct and broken, judged by `-w lin-kv`, with the
//! failing keys named.
//!
//! As in `services.rs`, every run starts at once in its own background thread and working
//! directory the first time a test asks for one.

mod support;

use maelstrom::edn::Edn;
use support::{at, items, Bin, Run, Scenario, Scenarios};

/// A 4-second lin-kv run of `lin_kv_nodes <mode>` on `nodes` nodes, two keys at once.
macro_rules! scenario {
    ($name:expr, $nodes:expr, $mode:expr) => {
        Scenario {
            name: $name,
            bin: Bin::Example("lin_kv_nodes"),
            args: &[
                "-w",
                "lin-kv",
                "--node-count",
                $nodes,
                "--concurrency",
                "4n",
                "--time-limit",
                "4",
                "--rate",
                "40",
                "--seed",
                "5",
                "--",
                $mode,
            ],
        }
    };
}

const SCENARIOS: &[Scenario] = &[
    scenario!("proxy", "2", "proxy"),
    scenario!("local-map-one-node", "1", "local-map"),
    scenario!("local-map-two-nodes", "2", "local-map"),
    scenario!("stale-reads", "2", "stale-reads"),
    scenario!("lost-cas", "2", "lost-cas"),
    Scenario {
        name: "default-concurrency",
        bin: Bin::Example("lin_kv_nodes"),
        args: &["--node-count", "3", "--time-limit", "2", "--", "proxy"],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// The explanation of key `k`'s verdict.
fn explanation(run: &Run, k: i64) -> String {
    let results = run.results();
    let Some(Edn::Map(per_key)) = at(&results, &["workload"]).get("results").cloned() else {
        panic!("no per-key results: {}", run.output());
    };
    let entry = per_key.iter().find(|(key, _)| *key == Edn::Int(k));
    match entry.and_then(|(_, r)| r.get("linearizable")?.get("explanation").cloned()) {
        Some(Edn::Str(s)) => s.to_string(),
        other => panic!("no explanation for key {k}: {other:?}"),
    }
}

/// A proxy to the lin-kv service is linearizable on both keys.
#[test]
fn proxy_is_linearizable() {
    let run = RUNS.wait("proxy");
    run.assert_valid();
    assert!(run.failures().is_empty());
    let results = run.results();
    let Some(Edn::Map(per_key)) = at(&results, &["workload"]).get("results").cloned() else {
        panic!("{}", run.output());
    };
    assert_eq!(per_key.len(), 2, "{}", run.output());
    run.clean();
}

/// The Raft chapter's first step, one map per node: linearizable on one node...
#[test]
fn local_map_on_one_node_is_linearizable() {
    let run = RUNS.wait("local-map-one-node");
    run.assert_valid();
    run.clean();
}

/// ... and not on two, where each node's map diverges.
#[test]
fn local_map_on_two_nodes_is_not() {
    let run = RUNS.wait("local-map-two-nodes");
    run.assert_invalid();
    assert!(!run.failures().is_empty());
    run.clean();
}

/// Stale reads of key 1 make key 1, and only key 1, non-linearizable; the reason names the read,
/// and key 1 alone gets a picture (`independent/1/linear.svg`, on the run page too).
#[test]
fn stale_reads_name_their_key() {
    let run = RUNS.wait("stale-reads");
    run.assert_invalid();
    assert_eq!(run.failures(), [Edn::Int(1)]);
    let text = explanation(&run, 1);
    assert!(
        text.starts_with("read ") && text.contains(" of key 1 by process "),
        "{text}"
    );
    assert_key_1_pictured(&run);
    run.clean();
}

/// Key 1's stale read gets its picture where Jepsen keeps the key's results,
/// `independent/1/linear.svg`, with the impossible op outlined; the linearizable key 0 gets none;
/// the run page shows it and the summary says where it is.
#[track_caller]
fn assert_key_1_pictured(run: &Run) {
    let dir = run.cwd.join("store/latest");
    let svg = std::fs::read_to_string(dir.join("independent/1/linear.svg"))
        .unwrap_or_else(|e| panic!("no picture of key 1 ({e}): {}", run.output()));
    assert!(svg.starts_with("<?xml"), "{svg}");
    assert!(svg.contains("key 1: not linearizable"), "{svg}");
    assert_eq!(svg.matches("<g class=\"impossible\">").count(), 1, "{svg}");
    assert!(svg.contains(">Impossible (outlined in red): r "), "{svg}");
    assert!(svg.contains("<g class=\"step\">"), "{svg}");
    assert!(!dir.join("independent/0").exists(), "key 0 is linearizable");
    let page = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
    assert!(
        page.contains("<object type=\"image/svg+xml\" data=\"independent/1/linear.svg\">"),
        "{page}"
    );
    assert!(
        run.output()
            .contains("pictures     independent/1/linear.svg (also on index.html)"),
        "{}",
        run.output()
    );
    let results = run.results();
    assert!(
        items(at(&results, &["views", "files"])).contains(&Edn::str("independent/1/linear.svg")),
        "{}",
        run.output()
    );
}

/// A cas acknowledged but never applied makes key 0 non-linearizable.
#[test]
fn lost_cas_names_its_key() {
    let run = RUNS.wait("lost-cas");
    run.assert_invalid();
    assert_eq!(run.failures(), [Edn::Int(0)]);
    run.clean();
}

/// lin-kv is the default workload; with the default concurrency (1n) it asks for 2n, exit 254.
#[test]
fn default_workload_asks_for_concurrency_2n() {
    let run = RUNS.wait("default-concurrency");
    run.assert_exit(254);
    assert!(
        run.output().contains("--concurrency 2n"),
        "{}",
        run.output()
    );
    run.clean();
}
