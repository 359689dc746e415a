//! End-to-end tests of the challenge-5 parts under the runner: kafka-5a on one node, kafka-5b
//! (logs in `lin-kv`) and kafka-5c (each key's log in its owner's memory) on two, each with
//! the challenge's workload cut to 5 s, are judged valid by the kafka checker; 5b really goes
//! through `lin-kv`, and 5c really forwards between its nodes while staying within its goals
//! (at most 2 servers msgs-per-op, almost every operation ok). And the checker tells the parts
//! apart: 5a's single-node code on two nodes is invalid, one offset given to two messages.
//!
//! The runs start together in background threads the first time a test asks for one (see
//! `support::Runs`): the file takes about as long as its slowest run, the 5 s of operations,
//! the final polls and the analysis. This machine is small and busy, so the figures are checked
//! loosely: 5c's msgs-per-op is about 1 and is asserted at most 2; its ok-fraction, whose
//! shortfall is mostly the `:crash` ops (each completes `:info` by design), at least 0.99.

mod support;

use maelstrom::edn::{self, Edn};
use support::{at, int, number, Bin, Run, Scenario, Scenarios};

/// The challenge's commands (`make run MODULE=kafka-5a` ...) with `--time-limit 5`.
#[rustfmt::skip]
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "5a",
        bin: Bin::Part("kafka-5a"),
        args: &[
            "-w", "kafka", "--node-count", "1", "--concurrency", "2n", "--time-limit", "5",
            "--rate", "1000",
        ],
    },
    Scenario {
        name: "5b",
        bin: Bin::Part("kafka-5b"),
        args: &[
            "-w", "kafka", "--node-count", "2", "--concurrency", "2n", "--time-limit", "5",
            "--rate", "1000",
        ],
    },
    Scenario {
        name: "5c",
        bin: Bin::Part("kafka-5c"),
        args: &[
            "-w", "kafka", "--node-count", "2", "--concurrency", "2n", "--time-limit", "5",
            "--rate", "1000",
        ],
    },
    // The single-node code on challenge 5b's two nodes: each node keeps logs of its own.
    Scenario {
        name: "5a-on-two-nodes",
        bin: Bin::Part("kafka-5a"),
        args: &[
            "-w", "kafka", "--node-count", "2", "--concurrency", "2n", "--time-limit", "5",
            "--rate", "1000",
        ],
    },
];

/// The runs of [`SCENARIOS`], started together when a test first waits for one.
static RUNS: Scenarios = Scenarios::new(SCENARIOS);

/// How many ops of the history have function `f` and type `t` (`"send"`, `"ok"`).
fn count(history: &[Edn], f: &str, t: &str) -> usize {
    history
        .iter()
        .filter(|op| op.get("f") == Some(&Edn::kw(f)) && op.get("type") == Some(&Edn::kw(t)))
        .count()
}

/// How many `:ok` polls returned at least one message.
fn polls_with_messages(history: &[Edn]) -> usize {
    history
        .iter()
        .filter(|op| {
            op.get("f") == Some(&Edn::kw("poll")) && op.get("type") == Some(&Edn::kw("ok"))
        })
        .filter(|op| {
            // [[:poll {"3" [[0 5] ...]}]]
            let text = edn::compact(at(op, &["value"]));
            text.contains("[[")
        })
        .count()
}

/// Fails unless the run exited 0 with the valid verdict, the kafka checker found no error of
/// any type, and the run did enough to judge: sends acknowledged and polls that read them back.
/// Returns the parsed results.
#[track_caller]
fn assert_valid_kafka(run: &Run) -> Edn {
    run.assert_valid();
    let results = run.results();
    let pretty = || format!("{}: {}", run.name, edn::pretty(&results));
    assert_eq!(at(&results, &["valid?"]), &Edn::Bool(true), "{}", pretty());
    assert_eq!(
        at(&results, &["workload", "valid?"]),
        &Edn::Bool(true),
        "{}",
        pretty()
    );
    assert_eq!(
        edn::compact(at(&results, &["workload", "error-types"])),
        "()",
        "{}",
        pretty()
    );
    let history = run.history();
    let sends = count(&history, "send", "ok");
    assert!(sends >= 100, "{}: only {sends} :ok sends", run.name);
    let polls = polls_with_messages(&history);
    assert!(
        polls >= 10,
        "{}: only {polls} polls read messages",
        run.name
    );
    results
}

/// kafka-5a keeps one node's logs in memory: valid, and no message leaves the node but replies.
#[test]
fn kafka_5a_is_valid_on_one_node() {
    let run = RUNS.wait("5a");
    let results = assert_valid_kafka(&run);
    assert_eq!(
        int(at(&results, &["net", "servers", "msg-count"])),
        0,
        "{}",
        edn::pretty(&results)
    );
    run.clean();
}

/// kafka-5b on two nodes is valid, and keeps its logs in lin-kv: every send reads and swaps a
/// log there, so servers msgs-per-op is well above 5c's.
#[test]
fn kafka_5b_is_valid_on_two_nodes_through_lin_kv() {
    let run = RUNS.wait("5b");
    let results = assert_valid_kafka(&run);
    let msgs = number(at(&results, &["net", "servers", "msgs-per-op"]));
    // Its nodes never talk to each other: these messages are all to and from lin-kv.
    assert!(msgs > 2.0, "{}", edn::pretty(&results));
    run.clean();
}

/// kafka-5c on two nodes is valid within its goals: its nodes forward to each other (servers
/// messages happen), at most 2 servers msgs-per-op, and an ok-fraction of at least 0.99.
#[test]
fn kafka_5c_is_valid_and_efficient_on_two_nodes() {
    let run = RUNS.wait("5c");
    let results = assert_valid_kafka(&run);
    let pretty = edn::pretty(&results);
    let servers = at(&results, &["net", "servers"]);
    assert!(int(at(servers, &["msg-count"])) > 0, "no forward: {pretty}");
    let msgs = number(at(servers, &["msgs-per-op"]));
    assert!(msgs <= 2.0, "servers msgs-per-op {msgs}: {pretty}");
    let ok = number(at(&results, &["availability", "ok-fraction"]));
    assert!(ok >= 0.99, "ok-fraction {ok}: {pretty}");
    run.clean();
}

/// kafka-5a's single-node code on two nodes is invalid: each node numbers its own copy of a key's
/// log, so one offset goes to two messages (`:inconsistent-offsets`).
#[test]
fn kafka_5a_on_two_nodes_is_invalid() {
    let run = RUNS.wait("5a-on-two-nodes");
    run.assert_invalid();
    let results = run.results();
    let errors = edn::compact(at(&results, &["workload", "error-types"]));
    assert!(errors.contains(":inconsistent-offsets"), "{errors}");
    run.clean();
}
