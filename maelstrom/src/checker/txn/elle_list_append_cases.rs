//! Elle's own list-append tests (`elle/test/elle/list_append_test.clj` at Elle 0.2.2, which
//! Maelstrom 0.2.4 runs, plus the case Elle 0.2.7 added), rewritten as our test data: the same
//! histories, under the options each test passes, must give the `:valid?`, `:anomaly-types` and
//! `:not` Elle's test asserts (or, for the tests of Elle's graph functions, the same edges).
//! Each test's doc names the Elle test (`deftest` and `testing` names). Which of Elle's tests
//! are here and which are not, with the reason, is in `ELLE_CASES.md` beside this file.
//!
//! Histories are written in the shorthand Elle's tests use: `"ax1ry12"` is the transaction
//! `[[:append :x 1] [:r :y [1 2]]]`, `"rx"` reads `:x` as nil.

use super::*;
use crate::checker::test_support::{edn, Builder};
use crate::edn::compact;
use crate::history::OpType;
use OpType::{Fail, Info, Invoke, Ok as Done};

/// A transaction in Elle's test shorthand: `a` starts an append, `r` a read, a letter among
/// `xyztu` names the key, digits are the appended element or the read's elements.
fn txn(s: &str) -> Edn {
    let mut mops: Vec<(char, char, Option<Vec<i64>>)> = Vec::new();
    for c in s.chars() {
        match c {
            'a' | 'r' => mops.push((c, ' ', None)),
            'x' | 'y' | 'z' | 't' | 'u' => mops.last_mut().expect("a mop").1 = c,
            d => {
                let d = i64::from(d.to_digit(10).expect("a digit"));
                mops.last_mut()
                    .expect("a mop")
                    .2
                    .get_or_insert_with(Vec::new)
                    .push(d);
            }
        }
    }
    let text: Vec<String> = mops
        .iter()
        .map(|(f, k, v)| match (f, v) {
            ('a', Some(v)) => format!("[:append :{k} {}]", v[0]),
            (_, None) => format!("[:r :{k} nil]"),
            (_, Some(v)) => {
                let items: Vec<String> = v.iter().map(i64::to_string).collect();
                format!("[:r :{k} [{}]]", items.join(" "))
            }
        })
        .collect();
    edn(&format!("[{}]", text.join(" ")))
}

/// The request of a completion: its reads left nil (Elle's `pair`).
fn request(done: &Edn) -> Edn {
    let Edn::Vector(mops) = done else {
        return done.clone();
    };
    Edn::Vector(
        mops.iter()
            .map(|mop| match mop {
                Edn::Vector(p) if p[0] == Edn::kw("r") => {
                    Edn::Vector(vec![p[0].clone(), p[1].clone(), Edn::Nil].into())
                }
                other => other.clone(),
            })
            .collect(),
    )
}

/// A history of single ops in Elle's order: (process, type, shorthand). An `Invoke` row's reads
/// are nil whatever the shorthand says.
fn hist(rows: &[(u64, OpType, &str)]) -> History {
    let mut b = Builder::new();
    for (i, (p, t, s)) in rows.iter().enumerate() {
        let value = if *t == Invoke {
            request(&txn(s))
        } else {
            txn(s)
        };
        b.op(i as u64, *p, *t, "txn", value);
    }
    b.build()
}

/// Elle's `(h/history [(op ..) (op ..)])`: `:ok` completions of process 0, no invocations.
fn oks(txns: &[&str]) -> History {
    let rows: Vec<(u64, OpType, &str)> = txns.iter().map(|s| (0, Done, *s)).collect();
    hist(&rows)
}

/// Elle's `(mapcat (comp pair op) ...)`: each transaction invoked and completed in turn by
/// process 0.
fn pairs(txns: &[&str]) -> History {
    let rows: Vec<(u64, OpType, &str)> = txns
        .iter()
        .flat_map(|s| [(0, Invoke, *s), (0, Done, *s)])
        .collect();
    hist(&rows)
}

/// Elle's `check` with `:consistency-models` (`None`: Elle's default, strict serializable;
/// `Some(&[])`: nil) and `:anomalies`.
fn check(h: &History, models: Option<&[&str]>, anomalies: &[&str]) -> Edn {
    let owned = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let opts = Options {
        consistency_models: models.map_or_else(|| owned(&["strict-serializable"]), owned),
        anomalies: owned(anomalies),
        ..Options::default()
    };
    check_list_append(h, &opts)
}

/// Asserts `:valid?`, `:anomaly-types` and (when Elle's test gives it) `:not`. A valid result
/// must be exactly `{:valid? true}`.
#[track_caller]
fn expect(result: &Edn, valid: &str, types: &[&str], not: Option<&[&str]>) {
    let shown = compact(result);
    if valid == "true" {
        assert_eq!(shown, "{:valid? true}");
        return;
    }
    assert_eq!(
        result.get("valid?").map(compact).as_deref(),
        Some(valid),
        "{shown}"
    );
    let listed: Vec<String> = match result.get("anomaly-types") {
        Some(Edn::List(ts)) => ts.iter().map(compact).collect(),
        _ => Vec::new(),
    };
    let wanted: Vec<String> = types.iter().map(|t| format!(":{t}")).collect();
    assert_eq!(listed, wanted, "{shown}");
    if let Some(not) = not {
        let wanted: Vec<String> = not.iter().map(|m| format!(":{m}")).collect();
        assert_eq!(
            result.get("not").map(compact),
            Some(format!("#{{{}}}", wanted.join(" "))),
            "{shown}"
        );
    }
}

/// The history indexes of the ops in the examples of `kind`, under `key` (`:op`, `:writer`).
fn ops_of(result: &Edn, kind: &str, key: &str) -> Vec<String> {
    match result.get("anomalies").and_then(|a| a.get(kind)) {
        Some(Edn::Vector(cases)) => cases
            .iter()
            .map(|c| {
                compact(
                    c.get(key)
                        .and_then(|op| op.get("index"))
                        .unwrap_or(&Edn::Nil),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The cycle's steps of the first example of `kind`, as their `:type`s.
fn step_types(result: &Edn, kind: &str) -> Vec<String> {
    let Some(Edn::Vector(cases)) = result.get("anomalies").and_then(|a| a.get(kind)) else {
        return Vec::new();
    };
    match cases[0].get("steps") {
        Some(Edn::Vector(steps)) => steps
            .iter()
            .map(|s| compact(s.get("type").unwrap_or(&Edn::Nil)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Asserts that the first cycle of `kind` has Elle's steps, starting anywhere: where a search
/// starts is a detail of each implementation, the cycle is the same.
#[track_caller]
fn assert_steps(result: &Edn, kind: &str, elle: &[&str]) {
    let ours = step_types(result, kind);
    let rotation = (0..ours.len().max(1)).any(|i| {
        let mut turned = ours.clone();
        turned.rotate_left(i);
        turned == elle
    });
    assert!(rotation, "{ours:?} is no rotation of {elle:?}");
}

fn edges(h: &History) -> Vec<(usize, usize)> {
    data_edges(h, true).expect("edges")
}

/// graph-test: "empty history", "one append", "empty read" have no edges; "one append one
/// read" a wr edge; "read empty, append, read" an rw edge before the wr.
#[test]
fn graph_small_cases() {
    assert!(edges(&oks(&[])).is_empty());
    assert!(edges(&oks(&["ax1"])).is_empty());
    assert!(edges(&oks(&["rx"])).is_empty());
    assert_eq!(edges(&oks(&["ax1", "rx1"])), [(0, 1)]);
    assert_eq!(edges(&oks(&["rx", "ax1", "rx1"])), [(0, 1), (1, 2)]);
}

/// graph-test "append, append, read": the read orders the appends (ww), then reads the last.
#[test]
fn graph_append_append_read() {
    assert_eq!(edges(&oks(&["ax2", "ax1", "rx12"])), [(0, 2), (1, 0)]);
}

/// graph-test "serializable figure 3 from Adya, Liskov, O'Neil".
#[test]
fn graph_adya_figure_3() {
    let h = oks(&["az1ax1ay1", "rx1ay2", "ry12az3", "rz13"]);
    assert_eq!(edges(&h), [(0, 1), (0, 2), (1, 2), (2, 3)]);
}

/// graph-test "G0: write cycle", "G1c: circular information flow", "G2: anti-dependency
/// cycle".
#[test]
fn graph_cycles() {
    let g0 = oks(&["ax1ay1", "ax2ay2", "rx12ry21"]);
    assert_eq!(edges(&g0), [(0, 1), (0, 2), (1, 0), (1, 2)]);
    let g1c = oks(&["ax1ry1", "ax2ay1", "rx12"]);
    assert_eq!(edges(&g1c), [(0, 1), (1, 0), (1, 2)]);
    let g2 = oks(&["rxay1", "ryax1", "rx1ry1"]);
    assert_eq!(edges(&g2), [(0, 1), (0, 2), (1, 0), (1, 2)]);
}

/// graph-test "info reads": a crashed transaction's nil read is no observation, so no rw edge
/// leaves it.
#[test]
fn graph_info_reads() {
    let h = hist(&[
        (0, Info, "ax2ry"),
        (0, Done, "ax1ay1"),
        (0, Done, "rx12ry1"),
    ]);
    assert_eq!(edges(&h), [(0, 2), (1, 0), (1, 2)]);
}

/// graph-test "single appends without reads" and "multiple appends without reads": an
/// unread append still follows a read of the empty list.
#[test]
fn graph_appends_without_reads() {
    assert_eq!(edges(&oks(&["rx", "ax1"])), [(0, 1)]);
    assert_eq!(edges(&oks(&["rx", "ax1", "ax2"])), [(0, 1), (0, 2)]);
}

/// graph-test "duplicate inserts attempts": one element appended to a key twice is refused,
/// naming the key and value. (Elle's history has invocations only; every invocation here gets
/// its completion, as every run's does.)
#[test]
fn graph_duplicate_appends_refused() {
    let h = hist(&[
        (0, Invoke, "ax1ry"),
        (1, Invoke, "ay2ax1"),
        (0, Info, "ax1ry"),
        (1, Info, "ay2ax1"),
    ]);
    let err = data_edges(&h, true).expect_err("duplicate appends");
    assert!(err.contains("value 1 appended to key :x"), "{err}");
    let r = check(&h, None, &[]);
    assert_eq!(r.get("valid?"), Some(&Edn::kw("unknown")));
}

/// ww-graph-test and wr-graph-test: the ww and wr edges Elle's single-relation graphs give are
/// among ours (ours add rw: T2 read [1] before T3 appended 2).
#[test]
fn graph_ww_and_wr() {
    assert_eq!(edges(&oks(&["ax1", "ax2", "rx12"])), [(0, 1), (1, 2)]);
    assert_eq!(
        edges(&oks(&["ax1", "rx1", "ax2", "rx12"])),
        [(0, 1), (0, 2), (1, 2), (2, 3)]
    );
}

/// g1a-cases-test: "empty" has none; "valid and invalid reads": both reads of the failed
/// append's element are G1a.
#[test]
fn g1a_cases() {
    let none = check(&oks(&[]), Some(&["read-committed"]), &[]);
    assert!(ops_of(&none, "G1a", "op").is_empty());
    let h = hist(&[(0, Done, "rx1ax2"), (0, Done, "rx12ry3"), (0, Fail, "ax1")]);
    let r = check(&h, Some(&["read-committed"]), &[]);
    assert_eq!(ops_of(&r, "G1a", "op"), ["0", "1"]);
    assert_eq!(ops_of(&r, "G1a", "writer"), ["2", "2"]);
}

/// g1b-cases-test: "empty" has none; "valid and invalid reads": only the read ending in the
/// intermediate element; "internal reads": a transaction reading its own intermediate append is
/// fine.
#[test]
fn g1b_cases() {
    let none = check(&oks(&[]), Some(&["read-committed"]), &[]);
    assert!(ops_of(&none, "G1b", "op").is_empty());
    let h = oks(&["rx1", "rx12ry3", "ax1ax2", "rx123"]);
    let r = check(&h, Some(&["read-committed"]), &[]);
    assert_eq!(ops_of(&r, "G1b", "op"), ["0"]);
    assert_eq!(ops_of(&r, "G1b", "writer"), ["2"]);
    let own = check(&oks(&["ax1rx1ax2"]), Some(&["read-committed"]), &[]);
    assert!(ops_of(&own, "G1b", "op").is_empty(), "{}", compact(&own));
}

/// internal-cases-test "empty", "good": nothing internal.
#[test]
fn internal_good() {
    let empty = check(&oks(&[]), Some(&[]), &["internal"]);
    assert!(ops_of(&empty, "internal", "op").is_empty());
    let h = hist(&[(0, Done, "ry56ax3rx123ax4rx1234")]);
    expect(
        &check(&h, Some(&[]), &["internal"]),
        ":unknown",
        &["empty-transaction-graph"],
        None,
    );
}

/// internal-cases-test "read-append-read" (stale, bad prefix, extension, short read) and
/// "append-read" (disagreement, short read of the empty list): every one is internal. (Elle
/// tests its internal-case function alone; through the whole checker the four transactions
/// append 3 to four keys, since one element appended to a key twice is refused.)
#[test]
fn internal_read_append_read() {
    let h = oks(&["rx12ax3rx12", "ry12ay3ry023", "rz12az3rz1234", "rt12at3rt1"]);
    let r = check(&h, Some(&[]), &["internal"]);
    assert_eq!(ops_of(&r, "internal", "op"), ["0", "1", "2", "3"]);
    let mut b = Builder::new();
    b.ok(0, 0, "txn", txn("ax3rx1234"));
    b.ok(1, 0, "txn", edn("[[:append :y 3] [:r :y []]]"));
    let r = check(&b.build(), Some(&[]), &["internal"]);
    assert_eq!(ops_of(&r, "internal", "op"), ["0", "1"]);
}

/// internal-cases-test "FaunaDB example": append 6, then read nil.
#[test]
fn internal_faunadb() {
    let mut b = Builder::new();
    let value = edn("[[:append 0 6] [:r 0 nil]]");
    b.invoke(1, 1, "txn", value.clone()).ok(2, 1, "txn", value);
    let r = check(&b.build(), Some(&[]), &["internal"]);
    assert_eq!(ops_of(&r, "internal", "op"), ["1"]);
}

/// internal-cases-test "read nil, then something" (Elle 0.2.7's "Detect internal anomalies like
/// [:r nil] [:r 1]"; Elle 0.2.2 passes it, and ours follows 0.2.7: a listed difference).
#[test]
fn internal_read_nil_then_something() {
    let r = check(&pairs(&["rxrx2"]), Some(&[]), &["internal"]);
    expect(&r, "false", &["empty-transaction-graph", "internal"], None);
    assert_eq!(ops_of(&r, "internal", "op"), ["1"]);
}

/// internal-cases-test "future read external" and "future read internal".
#[test]
fn future_reads() {
    let r = check(&pairs(&["rx012ax1"]), Some(&["read-committed"]), &[]);
    assert_eq!(ops_of(&r, "future-read", "op"), ["1"]);
    let r = check(&pairs(&["ax1rx01ax0ax3"]), Some(&["read-committed"]), &[]);
    assert_eq!(ops_of(&r, "future-read", "op"), ["1"]);
}

/// checker-test "G0": a pure write cycle, found when G0 or G1 is asked for, not G2.
#[test]
fn checker_g0() {
    let h = oks(&["ax1ay1", "ax2ay2", "rx12ry21"]);
    let not = Some(&["read-uncommitted"][..]);
    expect(&check(&h, Some(&[]), &["G0"]), "false", &["G0"], not);
    expect(&check(&h, Some(&[]), &["G1"]), "false", &["G0"], not);
    expect(&check(&h, Some(&[]), &["G2"]), "true", &[], None);
    let r = check(&h, Some(&[]), &["G0"]);
    assert_steps(&r, "G0", &[":ww", ":ww"]);
}

/// checker-test "G1a": a read of a failed append leaves an empty graph.
#[test]
fn checker_g1a() {
    let h = hist(&[(0, Fail, "ax1"), (0, Done, "rx1")]);
    let not = Some(&["read-committed"][..]);
    let e = "empty-transaction-graph";
    expect(
        &check(&h, Some(&["read-uncommitted"]), &[]),
        ":unknown",
        &[e],
        not,
    );
    expect(
        &check(&h, Some(&["read-committed"]), &[]),
        "false",
        &["G1a", e],
        not,
    );
    expect(&check(&h, Some(&[]), &["G2"]), ":unknown", &[e], not);
    expect(
        &check(&h, Some(&["repeatable-read"]), &[]),
        "false",
        &["G1a", e],
        not,
    );
}

/// checker-test "G1b": an intermediate read, and (with rw edges) the G-single-item it makes.
#[test]
fn checker_g1b() {
    let h = pairs(&["ax1ax2", "rx1"]);
    let not = Some(&["read-committed"][..]);
    expect(&check(&h, Some(&[]), &["G0"]), "true", &[], None);
    expect(&check(&h, Some(&[]), &["G1"]), "false", &["G1b"], not);
    expect(
        &check(&h, Some(&[]), &["G2"]),
        "false",
        &["G-single-item"],
        not,
    );
    let r = check(&h, None, &[]);
    expect(&r, "false", &["G-single-item", "G1b"], not);
    // The realtime edge beside the wr edge does not rename the cycle.
    assert_steps(&r, "G-single-item", &[":rw", ":wr"]);
}

/// checker-test "G1c": circular information flow.
#[test]
fn checker_g1c() {
    let h = oks(&["ax1ry1", "ax2ay1", "rx12ry1"]);
    expect(&check(&h, Some(&[]), &["G0"]), "true", &[], None);
    let not = Some(&["read-committed"][..]);
    expect(&check(&h, Some(&[]), &["G1"]), "false", &["G1c"], not);
    expect(&check(&h, Some(&[]), &["G2"]), "true", &[], None);
}

/// checker-test "G-single": one anti-dependency in the cycle.
#[test]
fn checker_g_single() {
    let h = oks(&["ax1ay1", "ax2ry", "rx12"]);
    expect(&check(&h, Some(&[]), &["G0"]), "true", &[], None);
    expect(&check(&h, Some(&[]), &["G1"]), "true", &[], None);
    let not = Some(&["consistent-view", "repeatable-read"][..]);
    let r = check(&h, Some(&[]), &["G-single"]);
    expect(&r, "false", &["G-single-item"], not);
    assert_steps(&r, "G-single-item", &[":rw", ":ww"]);
    expect(
        &check(&h, Some(&[]), &["G2"]),
        "false",
        &["G-single-item"],
        not,
    );
}

/// checker-test "G2": a pure anti-dependency cycle; valid under read committed (the graph is
/// not empty: its edges are rw), G2-item under serializable and repeatable read.
#[test]
fn checker_g2() {
    let h = oks(&["ax1ry", "ay1rx"]);
    expect(&check(&h, Some(&[]), &["G0"]), "true", &[], None);
    expect(&check(&h, Some(&[]), &["G1"]), "true", &[], None);
    expect(
        &check(&h, Some(&["read-committed"]), &[]),
        "true",
        &[],
        None,
    );
    let not = Some(&["repeatable-read"][..]);
    for r in [
        check(&h, Some(&[]), &["G2"]),
        check(&h, Some(&["serializable"]), &[]),
        check(&h, Some(&["repeatable-read"]), &[]),
    ] {
        expect(&r, "false", &["G2-item"], not);
        assert_steps(&r, "G2-item", &[":rw", ":rw"]);
    }
}

/// checker-test "Strong SI violation": an anti-dependency against real time.
#[test]
fn checker_strong_si_violation() {
    let h = hist(&[
        (0, Invoke, "ax1"),
        (0, Done, "ax1"),
        (1, Invoke, "ax2"),
        (1, Done, "ax2"),
        (2, Invoke, "rx"),
        (2, Done, "rx1"),
        (3, Invoke, "rx"),
        (3, Done, "rx12"),
    ]);
    expect(&check(&h, Some(&[]), &["G2"]), "true", &[], None);
    expect(&check(&h, Some(&["serializable"]), &[]), "true", &[], None);
    let r = check(&h, None, &[]);
    let not = Some(&["strong-snapshot-isolation"][..]);
    expect(&r, "false", &["G-single-item-realtime"], not);
    assert_steps(&r, "G-single-item-realtime", &[":rw", ":realtime"]);
}

/// checker-test "Strong Session SI violation": an anti-dependency against process order.
#[test]
fn checker_strong_session_si_violation() {
    let h = hist(&[
        (0, Invoke, "ax1"),
        (0, Done, "ax1"),
        (1, Invoke, "ax2"),
        (1, Done, "ax2"),
        (1, Invoke, "rx"),
        (1, Done, "rx1"),
        (2, Invoke, "rx"),
        (2, Done, "rx12"),
    ]);
    expect(&check(&h, Some(&["serializable"]), &[]), "true", &[], None);
    let model = ["strong-session-snapshot-isolation"];
    let r = check(&h, Some(&model), &[]);
    expect(&r, "false", &["G-single-item-process"], Some(&model));
    assert_steps(&r, "G-single-item-process", &[":rw", ":process"]);
}

/// checker-test "G-nonadjacent-process".
#[test]
fn checker_g_nonadjacent_process() {
    let h = hist(&[
        (0, Invoke, "rxrz"),
        (0, Done, "rxrz1"),
        (1, Invoke, "ax1"),
        (1, Done, "ax1"),
        (1, Invoke, "rz"),
        (1, Done, "rz"),
        (2, Invoke, "az1"),
        (2, Done, "az1"),
    ]);
    expect(&check(&h, Some(&["serializable"]), &[]), "true", &[], None);
    let model = ["strong-session-snapshot-isolation"];
    let r = check(&h, Some(&model), &[]);
    expect(&r, "false", &["G-nonadjacent-item-process"], Some(&model));
    assert_steps(
        &r,
        "G-nonadjacent-item-process",
        &[":rw", ":wr", ":rw", ":process"],
    );
}

/// checker-test "contradictory read orders": incompatible orders of x, and a G1c through them.
#[test]
fn checker_contradictory_read_orders() {
    let h = oks(&["ax1ry1", "ax2", "ax3ay1", "rx13", "rx123"]);
    let r = check(&h, Some(&[]), &["G1"]);
    let not = Some(&["read-committed"][..]);
    expect(&r, "false", &["G1c", "incompatible-order"], not);
    assert_steps(&r, "G1c", &[":wr", ":ww", ":ww"]);
}

/// checker-test "dirty update": "none" (a lone failed append), "direct", "indirect" (through a
/// crashed append).
#[test]
fn checker_dirty_update() {
    let ask = |h: &History| check(h, Some(&[]), &["dirty-update"]);
    let none = hist(&[(0, Fail, "ax1")]);
    expect(
        &ask(&none),
        ":unknown",
        &["empty-transaction-graph"],
        Some(&[]),
    );
    let not = Some(&["read-committed"][..]);
    let direct = hist(&[(0, Fail, "ax1"), (1, Done, "ax2"), (2, Done, "rx12")]);
    expect(&ask(&direct), "false", &["dirty-update"], not);
    let indirect = hist(&[
        (0, Fail, "ax1"),
        (1, Info, "ax2"),
        (2, Done, "ax3"),
        (3, Done, "rx123"),
    ]);
    let r = ask(&indirect);
    expect(&r, "false", &["dirty-update"], not);
    let Some(Edn::Vector(cases)) = r.get("anomalies").and_then(|a| a.get("dirty-update")) else {
        panic!("{}", compact(&r));
    };
    assert_eq!(compact(cases[0].get("values").expect("values")), "[1 2 3]");
}

/// checker-test "duplicated elements": `[1 2 1]`, and the G1c beside it.
#[test]
fn checker_duplicated_elements() {
    let h = oks(&["ax1ry1", "ax2ay1", "rx121"]);
    let r = check(&h, Some(&["read-committed"]), &[]);
    let not = Some(&["read-uncommitted"][..]);
    expect(&r, "false", &["G1c", "duplicate-elements"], not);
}

/// checker-test "internal consistency violation".
#[test]
fn checker_internal() {
    let h = oks(&["ax1ax2ax4", "ax3rx1234"]);
    let r = check(&h, Some(&[]), &["internal"]);
    expect(&r, "false", &["internal"], Some(&["read-uncommitted"]));
}

/// unobserved-write-test: a write cycle and a G-single through a write never read. (Elle runs
/// all five from process 0 at once; here each has its own process, which serializability does
/// not look at.)
#[test]
fn unobserved_write() {
    let (w1, w2, w3, rx, ry) = ("ax1ay1", "ax2ay2", "ax3ay3", "rx12", "ry2");
    let h = hist(&[
        (0, Invoke, w1),
        (1, Invoke, w2),
        (2, Invoke, w3),
        (3, Invoke, rx),
        (4, Invoke, ry),
        (0, Done, w1),
        (1, Done, w2),
        (2, Done, w3),
        (3, Done, rx),
        (4, Done, ry),
    ]);
    let r = check(&h, Some(&["serializable"]), &[]);
    expect(
        &r,
        "false",
        &["G-single-item", "G0"],
        Some(&["read-uncommitted"]),
    );
}

/// repeatable-read-test: two transactions each read the empty list the other appends to. Valid
/// under read committed (rw edges only), G2-item under repeatable read.
#[test]
fn repeatable_read() {
    let h = oks(&["rxay1", "ryax1"]);
    expect(
        &check(&h, Some(&["read-committed"]), &[]),
        "true",
        &[],
        None,
    );
    let model = ["repeatable-read"];
    expect(
        &check(&h, Some(&model), &[]),
        "false",
        &["G2-item"],
        Some(&model),
    );
}

/// G-nonadjacent-test: two nonadjacent anti-dependencies under Elle's default
/// (strict serializable); a longer cycle of them passes snapshot isolation.
#[test]
fn g_nonadjacent() {
    let h = pairs(&["ax1", "rx1ry", "ay1", "ry1rx"]);
    let r = check(&h, None, &[]);
    let not = Some(&["repeatable-read", "snapshot-isolation"][..]);
    expect(&r, "false", &["G-nonadjacent-item"], not);
    assert_steps(&r, "G-nonadjacent-item", &[":rw", ":wr", ":rw", ":wr"]);
    let h = pairs(&["rx5ay1", "ryaz2", "rzat3", "rt3au4", "ruax5"]);
    expect(
        &check(&h, Some(&["snapshot-isolation"]), &[]),
        "true",
        &[],
        None,
    );
}

/// lost-update-test: two transactions read [0] and both append; "one txn, double write" is
/// fine.
#[test]
fn lost_update() {
    let h = pairs(&["ax0", "rx0ax1", "rx0ax2"]);
    let not = Some(&["cursor-stability", "update-atomic"][..]);
    expect(
        &check(&h, None, &[]),
        "false",
        &["G2-item", "lost-update"],
        not,
    );
    expect(
        &check(&pairs(&["rxax1ax2", "rx12"]), None, &[]),
        "true",
        &[],
        None,
    );
}

/// wr-process-test: wr, wr and a process edge make G1c-process.
#[test]
fn wr_process() {
    let h = hist(&[
        (1, Invoke, "rxay1"),
        (1, Done, "rx1ay1"),
        (2, Invoke, "ry"),
        (2, Done, "ry1"),
        (2, Invoke, "ax1"),
        (2, Done, "ax1"),
    ]);
    let r = check(&h, Some(&["strong-session-snapshot-isolation"]), &[]);
    let not = Some(&["strong-session-read-committed"][..]);
    expect(&r, "false", &["G1c-process"], not);
    assert_steps(&r, "G1c-process", &[":wr", ":wr", ":process"]);
}

/// rr-g-single-item-test and rr-g-nonadjacent-item-test, under repeatable read.
#[test]
fn repeatable_read_g_single_and_nonadjacent() {
    let rr = Some(&["repeatable-read"][..]);
    let h = pairs(&["ax1ay1", "rx1ry"]);
    let not = Some(&["consistent-view", "repeatable-read"][..]);
    expect(&check(&h, rr, &[]), "false", &["G-single-item"], not);
    let h = pairs(&["ax1at1", "rx1ry", "ay1az2", "rz2rt"]);
    let not = Some(&["repeatable-read", "snapshot-isolation"][..]);
    expect(&check(&h, rr, &[]), "false", &["G-nonadjacent-item"], not);
}

/// future-read-test: a transaction reads [1] before appending 1 itself.
#[test]
fn future_read_alone() {
    let mut h = pairs(&["rx1ax1"]);
    h[0].value = edn("[[:r :x [1]] [:append :x 1]]");
    let r = check(&h, Some(&["read-committed"]), &[]);
    let not = Some(&["read-committed"][..]);
    expect(
        &r,
        "false",
        &["empty-transaction-graph", "future-read"],
        not,
    );
}

/// intermediate-sequential-extension-test (`histories/si-without-g-single.edn`, four
/// transactions): a G2-item, not a G-single, under snapshot isolation and repeatable read.
#[test]
fn si_without_g_single() {
    let mut b = Builder::new();
    for (i, (p, mops, done)) in [
        (2, "[[:append 9 2]]", "[[:append 9 2]]"),
        (
            4,
            "[[:append 8 1] [:r 9 nil]]",
            "[[:append 8 1] [:r 9 nil]]",
        ),
        (
            7,
            "[[:r 6 nil] [:r 8 nil] [:append 9 5]]",
            "[[:r 6 nil] [:r 8 nil] [:append 9 5]]",
        ),
        (
            9,
            "[[:append 6 2] [:r 9 nil]]",
            "[[:append 6 2] [:r 9 [2]]]",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        b.op(2 * i as u64, p, Invoke, "txn", edn(mops));
        b.op(2 * i as u64 + 1, p, Done, "txn", edn(done));
    }
    let r = check(
        &b.build(),
        Some(&["snapshot-isolation", "repeatable-read"]),
        &[],
    );
    expect(&r, "false", &["G2-item"], Some(&["repeatable-read"]));
}
