//! `run-data.js` and `run-bodies.js`: the run page's data, compact enough for a whole 25-node
//! run (about 60,000 messages), loaded by `index.html` with `<script src>` so that the page also
//! opens from `file://` (where `fetch` is refused).
//!
//! `run-data.js` sets `window.RUN_DATA` to one object (ours; Maelstrom has no such page):
//!
//! - `nodes`: endpoint names in Maelstrom's order (`messages::node_order`); `types`: message
//!   types. Both are interned: everything else refers to them by index.
//! - `t`: one integer per row, the row's time in ms on the history's clock. A row is one journal
//!   event (a send or a delivery, `init` aside), as a step of Maelstrom's `net/viz.clj`.
//! - `m`: seven integers per message, in order of sending: source, destination, type, send row,
//!   delivery row (-1 when a partition dropped it), flags (1: a client is involved, 2: its body
//!   is in `run-bodies.js`, 4: an `error` body), and the network's message id.
//! - `ops`: one array per client op (Jepsen's timeline pairs): `[node, lane, first row, last row,
//!   outcome (0 ok, 1 fail, 2 info, 3 no completion), f, process, text]`, where `node` is the
//!   server the process talks to (`history::node_of`) and `lane` tells apart the processes that
//!   share it; the rows are the journal events between its invocation and its completion.
//! - `spans`: faults' activity, `[first row, last row, start ms, end ms, fault]`
//!   (`view::fault_spans`), `fault` indexing `faults`.
//! - `downs`: each node's lifetimes as the faults cut them, one stretch per time it was dead
//!   (kill) or stopped (pause): `[node, first row, last row, start ms, end ms, fault]`
//!   (`nemesis::effects::downtimes`).
//! - `faults`: every fault's shade, `{"name": "partition", "color": "#E9DCA0"}`, in the order
//!   of `nemesis::REGISTRY`.
//! - `lacks`: the workload's lost and stale values (`Workload::run_page_extras`; broadcast and
//!   g-set give at most `workload::extras::LACKS_SHOWN`), each with the op that added it and, per
//!   node, the last `:ok` read on that node that lacked it:
//!   `{"v": text, "kind": "lost" | "stale", "add": op or -1, "last": [[node, op], ...]}`.
//!
//! - `cut` (only when the journal has more than [`MAX_ROWS`] rows): `{"rows": <all rows>}`: only
//!   the first `MAX_ROWS` rows, their messages and the ops that begin in them are in the file,
//!   and the page says so (a node flooding the network would otherwise make a file, and a page,
//!   of hundreds of MB).
//!
//! `run-bodies.js` sets `window.RUN_BODIES` to one JSON text (or 0) per message of `m`: the
//! bodies the journal kept (`journal::BODY_CAP`). The page loads it after its first paint.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::edn;
use crate::history::{pairs, History, Op, OpType, Placement, Process};
use crate::journal::{Event, EventKind};
use crate::nemesis;
use crate::store::files::AtLink;
use crate::view::fault_spans;
use crate::view::messages::node_order;
use crate::workload::extras::RunPageExtras;

/// The most rows (journal events) `run-data.js` holds: about three times a 20 s, 25-node
/// broadcast run at rate 100 (60,000 messages, 120,000 rows), about 20 MB of data.
pub const MAX_ROWS: usize = 400_000;

/// Longest op text the page gets, in characters (a read of a long run lists thousands of values).
const OP_TEXT_CHARS: usize = 160;

/// Writes `run-data.js` and `run-bodies.js` into `dir`; returns the file names written.
pub fn write(
    dir: &Path,
    history: &History,
    journal: &[Event],
    placement: Placement,
    extras: &RunPageExtras,
) -> Result<Vec<String>, String> {
    let (data, bodies) = render(history, journal, placement, extras);
    for (name, text) in [("run-data.js", data), ("run-bodies.js", bodies)] {
        let path = dir.join(name);
        crate::store::files::write_file(&path, text, AtLink::Replace).map_err(|e| e.to_string())?;
    }
    Ok(vec!["run-data.js".to_string(), "run-bodies.js".to_string()])
}

/// Interns names to indexes, in first-seen order.
#[derive(Default)]
struct Names<'a> {
    index: HashMap<&'a str, usize>,
    list: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn id(&mut self, name: &'a str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.list.push(name);
        self.index.insert(name, self.list.len() - 1);
        self.list.len() - 1
    }
}

/// The texts of `run-data.js` and `run-bodies.js`.
pub fn render(
    history: &History,
    journal: &[Event],
    placement: Placement,
    extras: &RunPageExtras,
) -> (String, String) {
    let mut events: Vec<&Event> = journal
        .iter()
        .filter(|e| !matches!(&*e.msg_type, "init" | "init_ok"))
        .collect();
    let all_rows = events.len();
    events.truncate(MAX_ROWS);
    let mut nodes: Vec<&str> = events.iter().flat_map(|e| [&*e.src, &*e.dest]).collect();
    nodes.extend(placement.nodes.iter().map(String::as_str));
    nodes.sort_by_key(|n| node_order(n));
    nodes.dedup();
    let node: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut types = Names::default();

    let mut data = String::with_capacity(events.len() * 16 + 4096);
    data.push_str("window.RUN_DATA = {\"nodes\": ");
    data.push_str(&json_strings(&nodes));
    data.push_str(",\n\"t\": [");
    for (row, e) in events.iter().enumerate() {
        let sep = if row == 0 { "" } else { "," };
        let _ = write!(data, "{sep}{}", e.time.div_euclid(1_000_000));
    }
    data.push_str("],\n\"m\": [");
    // Messages in order of sending: their index is where the delivery finds its send.
    let mut message_of: HashMap<u64, usize> = HashMap::new();
    let mut messages: Vec<[i64; 7]> = Vec::new();
    let mut bodies: Vec<Option<String>> = Vec::new();
    for (row, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::Send => {
                let mut flags = if e.client { 1 } else { 0 };
                if e.body.is_some() {
                    flags |= 2;
                }
                if &*e.msg_type == "error" {
                    flags |= 4;
                }
                message_of.insert(e.id, messages.len());
                messages.push([
                    node[&*e.src] as i64,
                    node[&*e.dest] as i64,
                    types.id(&e.msg_type) as i64,
                    row as i64,
                    -1,
                    flags,
                    e.id as i64,
                ]);
                bodies.push(e.body.as_ref().map(|b| b.to_string()));
            }
            EventKind::Recv => {
                if let Some(&m) = message_of.get(&e.id) {
                    messages[m][4] = row as i64;
                }
            }
        }
    }
    for (i, m) in messages.iter().enumerate() {
        let sep = if i == 0 { "" } else { ",\n" };
        let _ = write!(
            data,
            "{sep}{},{},{},{},{},{},{}",
            m[0], m[1], m[2], m[3], m[4], m[5], m[6]
        );
    }
    data.push_str("],\n\"types\": ");
    data.push_str(&json_strings(&types.list));
    let times: Vec<i64> = events.iter().map(|e| e.time).collect();
    let (ops, op_of) = ops_json(history, &times, &node, placement, all_rows > MAX_ROWS);
    data.push_str(",\n\"ops\": ");
    data.push_str(&ops);
    data.push_str(",\n\"spans\": [");
    let shades: Vec<nemesis::Shade> = nemesis::shades().collect();
    for (i, span) in fault_spans(history).into_iter().enumerate() {
        let fault = shades.iter().position(|s| *s == span.shade).unwrap_or(0);
        let _ = write!(
            data,
            "{}[{},{},{},{},{fault}]",
            if i == 0 { "" } else { "," },
            first_row_at(&times, span.start as i64),
            last_row_at(&times, span.end as i64),
            span.start / 1_000_000,
            span.end / 1_000_000
        );
    }
    data.push_str("],\n\"downs\": [");
    let downs = nemesis::effects::downtimes(history, &shades);
    let downs = downs
        .iter()
        .filter_map(|d| Some((node.get(d.node.as_str())?, d)));
    for (i, (n, down)) in downs.enumerate() {
        let fault = shades.iter().position(|s| *s == down.shade).unwrap_or(0);
        let _ = write!(
            data,
            "{}[{n},{},{},{},{},{fault}]",
            if i == 0 { "" } else { "," },
            first_row_at(&times, down.start as i64),
            last_row_at(&times, down.end as i64),
            down.start / 1_000_000,
            down.end / 1_000_000
        );
    }
    data.push_str("],\n\"faults\": [");
    for (i, shade) in shades.iter().enumerate() {
        let _ = write!(
            data,
            "{}{{\"name\": {}, \"color\": {}}}",
            if i == 0 { "" } else { "," },
            json_string(shade.name),
            json_string(shade.color)
        );
    }
    data.push_str("],\n\"lacks\": ");
    data.push_str(&lacks_json(extras, &node, &op_of));
    if all_rows > MAX_ROWS {
        let _ = write!(data, ",\n\"cut\": {{\"rows\": {all_rows}}}");
    }
    data.push_str("};\n");

    let mut out = String::from("window.RUN_BODIES = [");
    for (i, body) in bodies.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        match body {
            Some(text) => out.push_str(&json_string(text)),
            None => out.push('0'),
        }
    }
    out.push_str("];\n");
    (data, out)
}

/// The first row at or after `time` (ns): `times.len()` when none.
fn first_row_at(times: &[i64], time: i64) -> usize {
    times.partition_point(|&t| t < time)
}

/// The last row at or before `time` (ns), or -1 when none.
fn last_row_at(times: &[i64], time: i64) -> i64 {
    times.partition_point(|&t| t <= time) as i64 - 1
}

/// The `ops` array and, for each history index of an invocation (or lone completion), its
/// place in that array.
fn ops_json(
    history: &History,
    times: &[i64],
    node: &HashMap<&str, usize>,
    placement: Placement,
    cut: bool,
) -> (String, HashMap<usize, usize>) {
    let mut out = String::from("[");
    let mut op_of = HashMap::new();
    let last_row = times.len() as i64 - 1;
    for (start, stop) in pairs(history) {
        if start.process == Process::Nemesis {
            continue;
        }
        let Some(n) = placement
            .node_of(start.process)
            .and_then(|name| node.get(name))
        else {
            continue;
        };
        let Process::Client(p) = start.process else {
            continue;
        };
        let lane =
            (p % placement.concurrency.max(1) as u64) as usize / placement.nodes.len().max(1);
        let outcome = match stop.map(|s| s.op_type) {
            Some(OpType::Ok) => 0,
            Some(OpType::Fail) => 1,
            Some(OpType::Info) => 2,
            _ => 3,
        };
        let end = match stop {
            Some(s) if s.op_type != OpType::Info => last_row_at(times, s.time as i64),
            _ => last_row,
        };
        let first = first_row_at(times, start.time as i64) as i64;
        if cut && first > last_row {
            // It began after the last row kept.
            continue;
        }
        op_of.insert(start.index, op_of.len());
        let _ = write!(
            out,
            "{}[{n},{lane},{first},{},{outcome},{},{p},{}]",
            if op_of.len() == 1 { "" } else { ",\n" },
            end.max(first),
            json_string(&start.f),
            json_string(&op_text(start, stop))
        );
    }
    out.push(']');
    (out, op_of)
}

/// `f value`, and `-> completion value` when it differs, cut to [`OP_TEXT_CHARS`].
fn op_text(start: &Op, stop: Option<&Op>) -> String {
    // Printed only as far as the page shows (a node's value may be megabytes long).
    let shown = |value: &crate::edn::Edn| edn::compact_cut(value, 4 * OP_TEXT_CHARS);
    let mut text = format!("{} {}", start.f, shown(&start.value));
    if let Some(stop) = stop.filter(|s| s.value != start.value) {
        let _ = write!(text, " \u{2192} {}", shown(&stop.value));
    }
    if let Some(error) = stop.and_then(|s| s.error.as_ref()) {
        let _ = write!(text, " {}", shown(error));
    }
    if text.chars().count() > OP_TEXT_CHARS {
        text = text.chars().take(OP_TEXT_CHARS - 1).collect::<String>() + "\u{2026}";
    }
    text
}

/// The `lacks` array: the workload's lost and stale values (`RunPageExtras::lacks`), each
/// with the op that added it and, per node, the last read on that node that lacked it, as
/// places in `ops` and `nodes`.
fn lacks_json(
    extras: &RunPageExtras,
    node: &HashMap<&str, usize>,
    op_of: &HashMap<usize, usize>,
) -> String {
    let op = |index: Option<usize>| index.and_then(|x| op_of.get(&x)).map_or(-1, |&o| o as i64);
    let mut out = String::from("[");
    for (i, lack) in extras.lacks.iter().enumerate() {
        let mut per_node: Vec<(usize, usize)> = lack
            .last
            .iter()
            .filter_map(|(name, read)| node.get(name.as_str()).map(|&n| (n, *read)))
            .collect();
        per_node.sort_unstable();
        let links: Vec<String> = per_node
            .iter()
            .map(|&(n, read)| format!("[{n},{}]", op(Some(read))))
            .collect();
        let _ = write!(
            out,
            "{}{{\"v\":{},\"kind\":\"{}\",\"add\":{},\"last\":[{}]}}",
            if i == 0 { "" } else { ",\n" },
            json_string(&edn::compact(&lack.value)),
            lack.kind,
            op(lack.add),
            links.join(",")
        );
    }
    out.push(']');
    out
}

/// A JSON string literal that is also safe inside an HTML `<script>` element.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string())
        .to_string()
        .replace("</", "<\\/")
}

fn json_strings(texts: &[&str]) -> String {
    let items: Vec<String> = texts.iter().map(|t| json_string(t)).collect();
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edn::Edn;
    use serde_json::{json, Value};

    fn op(index: usize, t: OpType, p: u64, f: &str, value: Edn, ms: u64) -> Op {
        let mut op = Op::new(t, Process::Client(p), f, value);
        op.index = index;
        op.time = ms * 1_000_000;
        op
    }

    fn event(kind: EventKind, id: u64, ms: i64, src: &str, dest: &str, body: Value) -> Event {
        Event {
            kind,
            id,
            time: ms * 1_000_000,
            src: src.into(),
            dest: dest.into(),
            client: src.starts_with('c') || dest.starts_with('c'),
            msg_type: body["type"].as_str().unwrap_or("").into(),
            body: (id < 3).then(|| std::sync::Arc::new(body)),
        }
    }

    /// The object `run-data.js` assigns, parsed back.
    fn parse(text: &str) -> Value {
        let json = text
            .strip_prefix("window.RUN_DATA = ")
            .and_then(|t| t.strip_suffix(";\n"))
            .expect("window.RUN_DATA = {...};");
        serde_json::from_str(json).expect("JSON")
    }

    /// Past MAX_ROWS rows (a node flooding the network) only the first MAX_ROWS are kept, with
    /// their messages and the ops that begin in them, and `cut` says how many rows there were.
    #[test]
    fn a_flood_keeps_the_first_rows_and_says_so() {
        let journal: Vec<Event> = (0..MAX_ROWS as u64 / 2 + 10)
            .flat_map(|id| {
                let ms = id as i64;
                let body = json!({"type": "read"});
                [
                    event(EventKind::Send, id + 3, ms, "n0", "lin-kv", body.clone()),
                    event(EventKind::Recv, id + 3, ms, "n0", "lin-kv", body),
                ]
            })
            .collect();
        let history = vec![
            op(0, OpType::Invoke, 0, "echo", Edn::Nil, 1),
            op(1, OpType::Ok, 0, "echo", Edn::Nil, 2),
            op(2, OpType::Invoke, 0, "echo", Edn::Nil, MAX_ROWS as u64),
            op(3, OpType::Ok, 0, "echo", Edn::Nil, MAX_ROWS as u64 + 1),
        ];
        let nodes = ["n0".to_string()];
        let placement = Placement {
            nodes: &nodes,
            concurrency: 1,
        };
        let (data, _) = render(&history, &journal, placement, &RunPageExtras::default());
        let data = parse(&data);
        assert_eq!(data["t"].as_array().map(Vec::len), Some(MAX_ROWS));
        assert_eq!(data["m"].as_array().map(Vec::len), Some(7 * MAX_ROWS / 2));
        assert_eq!(data["cut"], json!({"rows": MAX_ROWS + 20}));
        assert_eq!(
            data["ops"].as_array().map(Vec::len),
            Some(1),
            "the op after the cut is left out"
        );
    }

    /// Rows are journal events without init; a message's rows are its send and its delivery
    /// (-1 when dropped); bodies past the journal's cap are 0; ops sit on their node with the
    /// rows they span; a partition is a span of rows.
    #[test]
    fn messages_ops_and_spans_as_rows() {
        use EventKind::{Recv, Send};
        let journal = vec![
            event(Send, 0, -5, "c0", "n0", json!({"type": "init"})),
            event(Send, 1, 1, "c1", "n1", json!({"type": "read", "msg_id": 1})),
            event(Send, 2, 2, "n1", "n0", json!({"type": "gossip"})),
            event(Recv, 1, 3, "c1", "n1", json!({"type": "read", "msg_id": 1})),
            event(Send, 3, 4, "n1", "c1", json!({"type": "read_ok"})),
            event(Recv, 3, 6, "n1", "c1", json!({"type": "read_ok"})),
        ];
        let mut partition = op(2, OpType::Info, 0, "start-partition", Edn::Nil, 2);
        partition.process = Process::Nemesis;
        let mut heal = op(3, OpType::Info, 0, "stop-partition", Edn::Nil, 4);
        heal.process = Process::Nemesis;
        let history = vec![
            op(0, OpType::Invoke, 1, "read", Edn::Nil, 0),
            partition,
            heal,
            op(
                1,
                OpType::Ok,
                1,
                "read",
                Edn::Vector(vec![Edn::Int(4)].into()),
                7,
            ),
        ];
        let nodes = ["n0".to_string(), "n1".to_string()];
        let placement = Placement {
            nodes: &nodes,
            concurrency: 2,
        };
        let (data, bodies) = render(&history, &journal, placement, &RunPageExtras::default());
        let data = parse(&data);
        assert_eq!(data["nodes"], json!(["c1", "n0", "n1"]));
        assert_eq!(data["t"], json!([1, 2, 3, 4, 6]));
        assert_eq!(data["types"], json!(["read", "gossip", "read_ok"]));
        assert_eq!(
            data["m"],
            json!([0, 2, 0, 0, 2, 3, 1, 2, 1, 1, 1, -1, 2, 2, 2, 0, 2, 3, 4, 1, 3]),
            "c1->n1 read, n1->n0 gossip dropped, n1->c1 read_ok without body"
        );
        assert_eq!(
            data["ops"],
            json!([[2, 0, 0, 4, 0, "read", 1, "read nil \u{2192} [4]"]])
        );
        assert_eq!(data["spans"], json!([[1, 3, 2, 4, 0]]));
        assert_eq!(data["downs"], json!([]));
        assert_eq!(
            data["faults"][0],
            json!({"name": "partition", "color": "#E9DCA0"})
        );
        let bodies: Value = serde_json::from_str(
            bodies
                .strip_prefix("window.RUN_BODIES = ")
                .and_then(|t| t.strip_suffix(";\n"))
                .expect("RUN_BODIES"),
        )
        .expect("JSON");
        assert_eq!(bodies[0], json!("{\"msg_id\":1,\"type\":\"read\"}"));
        assert_eq!(bodies[2], json!(0));
    }

    /// A stale value of broadcast's result links to its add and, per node, to the last read
    /// there that lacked it.
    #[test]
    fn lost_and_stale_values_link_to_reads_that_lacked_them() {
        let read = |index, p, values: &[i64], ms| {
            let value = Edn::Vector(values.iter().map(|v| Edn::Int(*v)).collect());
            [
                op(index, OpType::Invoke, p, "read", Edn::Nil, ms),
                op(index + 1, OpType::Ok, p, "read", value, ms + 1),
            ]
        };
        let mut history = vec![
            op(0, OpType::Invoke, 0, "broadcast", Edn::Int(7), 0),
            op(1, OpType::Ok, 0, "broadcast", Edn::Int(7), 1),
        ];
        history.extend(read(2, 1, &[], 2)); // n1 lacks 7
        history.extend(read(4, 0, &[7], 4)); // n0 has it
        history.extend(read(6, 1, &[3], 6)); // n1 still lacks 7: the last one
        history.extend(read(8, 1, &[7, 3], 8));
        let result = Edn::map([
            ("lost", Edn::List(vec![].into())),
            ("stale", Edn::List(vec![Edn::Int(7)].into())),
        ]);
        let nodes = ["n0".to_string(), "n1".to_string()];
        let placement = Placement {
            nodes: &nodes,
            concurrency: 2,
        };
        let broadcast = crate::workload::broadcast::build(&Default::default());
        let extras = broadcast.run_page_extras(&history, &result, placement);
        let (data, _) = render(&history, &[], placement, &extras);
        let data = parse(&data);
        // Ops: 0 the broadcast, 1..=4 the reads; nodes n0 (0) and n1 (1).
        assert_eq!(
            data["lacks"],
            json!([{"v": "7", "kind": "stale", "add": 0, "last": [[1, 3]]}])
        );
        let (data, _) = render(&history, &[], placement, &RunPageExtras::default());
        assert_eq!(parse(&data)["lacks"], json!([]), "nothing lost or stale");
    }

    /// A node killed and started again is one `downs` stretch on its own column, in kill's
    /// colour; a node paused to the end lasts to the last op.
    #[test]
    fn downtimes_are_stretches_of_rows_per_node() {
        use EventKind::{Recv, Send};
        let journal = vec![
            event(Send, 1, 1, "c1", "n1", json!({"type": "read", "msg_id": 1})),
            event(Recv, 1, 3, "c1", "n1", json!({"type": "read", "msg_id": 1})),
            event(Send, 2, 5, "n0", "n1", json!({"type": "gossip"})),
            event(Recv, 2, 8, "n0", "n1", json!({"type": "gossip"})),
        ];
        let nemesis = |time_ms: u64, f: &str, value: &str| {
            let mut o = op(
                0,
                OpType::Info,
                0,
                f,
                crate::edn::parse(value).expect("edn"),
                time_ms,
            );
            o.process = Process::Nemesis;
            o
        };
        let history = vec![
            nemesis(2, "kill", r#"{"n1" :killed}"#),
            nemesis(4, "pause", r#"{"n0" :paused}"#),
            nemesis(6, "start", r#"{"n0" :already-running, "n1" :started}"#),
            nemesis(9, "stop-partition", ":network-healed"),
        ];
        let nodes = ["n0".to_string(), "n1".to_string()];
        let placement = Placement {
            nodes: &nodes,
            concurrency: 2,
        };
        let data = parse(&render(&history, &journal, placement, &RunPageExtras::default()).0);
        assert_eq!(data["nodes"], json!(["c1", "n0", "n1"]));
        let kill = data["faults"]
            .as_array()
            .and_then(|f| f.iter().position(|f| f["name"] == "kill"))
            .expect("kill shade");
        let pause = data["faults"]
            .as_array()
            .and_then(|f| f.iter().position(|f| f["name"] == "pause"))
            .expect("pause shade");
        assert_eq!(
            data["downs"],
            json!([[2, 1, 2, 2, 6, kill], [1, 2, 3, 4, 9, pause]])
        );
    }
}
