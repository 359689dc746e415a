//! `messages.svg`: the Lamport diagram of the network journal, drawn as Maelstrom's
//! `src/maelstrom/net/viz.clj` draws it: one vertical line per node (clients, then
//! servers, numerically, then services), time flowing down one 20 px step per journal event,
//! and an arrow per delivered message from its send step to its receive step, coloured
//! `#FF1E90` for `error` bodies, `#81BFFC` when a client is involved, black otherwise,
//! labelled with the body's `type` and the rest of the body (48 characters at most), with the
//! whole message as its hover title.
//!
//! Maelstrom stops drawing after 10,000 events. A 25-node broadcast run has about 120,000, so
//! we draw them all, in windows of [`WINDOW_EVENTS`] events: `messages.svg` is the first
//! window, `messages/<k>.svg` the k-th, each linking to its neighbours, and `messages.html`
//! lists the windows with their time span and message counts. A message sent in an earlier
//! window starts at the top edge of the window it arrives in, dashed.
//!
//! Past [`MAX_WINDOWS`] windows (160,000 events, about 35 MB of SVG) the rest is not drawn:
//! `messages.html` lists every window, says which are not drawn and why, and the last drawn
//! window says so too (a flood of 300,000 messages once made 304 windows, 256 MB). The run page
//! and `journal.jsonl` still have every message.
//!
//! The journal keeps bodies only for the first messages of a run (`journal::BODY_CAP`); later
//! arrows are labelled with their message type alone.
//!
//! Maelstrom puts each label at its arrow's middle, so the labels of messages sent together
//! (a node forwarding to all its peers) print over one another. Here a label goes to the first
//! of a few points along its arrow where it overlaps no label already placed, and is left out
//! (the arrow's hover title still has it) where there is none.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::journal::{Event, EventKind};
use crate::store::files::AtLink;
use crate::view::escape_html;

/// Journal events per window (Maelstrom draws 10,000 in all; a window of 4,000 is 80,000 px).
pub const WINDOW_EVENTS: usize = 4_000;
/// The most windows drawn: 40 of [`WINDOW_EVENTS`] events, more than a 25-node broadcast run
/// needs (about 30).
pub const MAX_WINDOWS: usize = 40;
/// Vertical pixels per event (`viz.clj`'s `y-step`).
const Y_STEP: f64 = 20.0;
/// Label length limit, in characters (`viz.clj`).
const LABEL_CHARS: usize = 48;
/// A label's width per character and its height (px), generously for 12 px sans-serif.
const LABEL_CHAR_WIDTH: f64 = 7.0;
const LABEL_HEIGHT: f64 = 14.0;
/// Where along its arrow (0 = the send, 1 = the delivery) a label may go, in order of preference.
const LABEL_SPOTS: [f64; 7] = [0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9];

/// The labels placed so far in a window: boxes `(left, right, top)`, bucketed by their row of
/// [`LABEL_HEIGHT`], so a new label is compared with its neighbours only.
#[derive(Default)]
struct Labels {
    rows: HashMap<i64, Vec<(f64, f64, f64)>>,
}

impl Labels {
    /// The first spot along the arrow from `(x0, y0)` to `(x1, y1)` where a label `chars` long
    /// (centred, its baseline 4 px above the arrow) overlaps no placed label; it is placed there.
    fn place(
        &mut self,
        (x0, y0, x1, y1): (f64, f64, f64, f64),
        chars: usize,
    ) -> Option<(f64, f64)> {
        let half = chars as f64 * LABEL_CHAR_WIDTH / 2.0;
        let row = |top: f64| (top / LABEL_HEIGHT).floor() as i64;
        for t in LABEL_SPOTS {
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t - 4.0);
            let (left, right, top) = (x - half, x + half, y - LABEL_HEIGHT + 3.0);
            let clashes = (row(top) - 1..=row(top) + 1).any(|r| {
                self.rows.get(&r).is_some_and(|boxes| {
                    boxes.iter().any(|&(l, rt, tp)| {
                        left < rt && l < right && (top - tp).abs() < LABEL_HEIGHT
                    })
                })
            });
            if !clashes {
                self.rows
                    .entry(row(top))
                    .or_default()
                    .push((left, right, top));
                return Some((x, y));
            }
        }
        None
    }
}

/// One journal event as the diagram needs it.
pub struct NetEvent<'a> {
    pub send: bool,
    pub id: u64,
    /// Nanoseconds on the history's clock (negative for the nodes' `init`).
    pub time: i64,
    pub src: &'a str,
    pub dest: &'a str,
    /// True if a client sent or receives it (the network's endpoint table, not the name).
    pub client: bool,
    /// The body's `type`.
    pub msg_type: &'a str,
    /// The message body, when the journal has it.
    pub body: Option<&'a Value>,
}

/// The journal's events, minus `init`/`init_ok` when the body says so (Maelstrom hides them).
pub fn arrows_input(journal: &[Event]) -> Vec<NetEvent<'_>> {
    journal
        .iter()
        .map(|e| NetEvent {
            send: e.kind == EventKind::Send,
            id: e.id,
            time: e.time,
            src: &e.src,
            dest: &e.dest,
            client: e.client,
            msg_type: &e.msg_type,
            body: e.body.as_deref(),
        })
        .filter(|e| !matches!(e.msg_type, "init" | "init_ok"))
        .collect()
}

/// Maelstrom's node order (`util/sort-clients`): clients `c<n>`, then servers `n<n>`, each by
/// number, then anything else (services) by name.
pub fn node_order(name: &str) -> (u8, u64, String) {
    let numbered = |prefix: char| {
        name.strip_prefix(prefix)
            .filter(|rest| !rest.is_empty())
            .and_then(|rest| rest.parse::<u64>().ok())
    };
    match (numbered('c'), numbered('n')) {
        (Some(n), _) => (0, n, String::new()),
        (_, Some(n)) => (1, n, String::new()),
        _ => (2, 0, name.to_string()),
    }
}

/// Writes `messages.svg`, and when the journal needs more than one window, `messages/<k>.svg`
/// and `messages.html`; returns the files written.
pub fn write(dir: &Path, journal: &[Event]) -> Result<Vec<String>, String> {
    write_at_most(dir, journal, MAX_WINDOWS)
}

/// [`write`], drawing at most `max_windows` windows.
fn write_at_most(dir: &Path, journal: &[Event], max_windows: usize) -> Result<Vec<String>, String> {
    let events = arrows_input(journal);
    let windows = events.len().div_ceil(WINDOW_EVENTS).max(1);
    let drawn = windows.min(max_windows.max(1));
    let mut nodes: Vec<&str> = events.iter().flat_map(|e| [e.src, e.dest]).collect();
    nodes.sort_by_key(|n| node_order(n));
    nodes.dedup();
    let column: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let sent_at: HashMap<u64, usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.send)
        .map(|(step, e)| (e.id, step))
        .collect();
    let save = |name: &str, text: String| {
        let path = dir.join(name);
        crate::store::files::write_file(&path, text, AtLink::Replace).map_err(|e| e.to_string())
    };
    if windows > 1 {
        crate::store::files::ensure_dir(&dir.join("messages"), AtLink::Replace)
            .map_err(|e| e.to_string())?;
    }
    let mut written = Vec::new();
    for w in 0..drawn {
        let range = w * WINDOW_EVENTS..((w + 1) * WINDOW_EVENTS).min(events.len());
        let svg = window_svg(
            &events,
            range,
            &nodes,
            &column,
            &sent_at,
            (w, drawn, windows),
        );
        let name = window_file(w);
        save(&name, svg)?;
        written.push(name);
    }
    if windows > 1 {
        save("messages.html", index_html(&events, drawn, windows))?;
        written.push("messages.html".to_string());
    }
    Ok(written)
}

/// `messages.svg` for the first window, `messages/<k>.svg` (k from 2) for the others.
pub fn window_file(w: usize) -> String {
    if w == 0 {
        "messages.svg".to_string()
    } else {
        format!("messages/{}.svg", w + 1)
    }
}

/// A link from window `from` to window `to` (relative to `from`'s file).
fn window_link(from: usize, to: usize) -> String {
    match (from, to) {
        (0, _) => window_file(to),
        (_, 0) => "../messages.svg".to_string(),
        _ => format!("{}.svg", to + 1),
    }
}

/// One window's SVG.
fn window_svg(
    events: &[NetEvent<'_>],
    range: std::ops::Range<usize>,
    nodes: &[&str],
    column: &HashMap<&str, usize>,
    sent_at: &HashMap<u64, usize>,
    (w, drawn, windows): (usize, usize, usize),
) -> String {
    let width = (nodes.len() as f64 * 60.0).max(1200.0);
    let x = |node: &str| (column[node] as f64 + 0.5) / nodes.len().max(1) as f64 * width;
    let first = range.start;
    let steps = range.len();
    let y = |step: f64| Y_STEP * (1.5 + step);
    let height = Y_STEP * (steps as f64 + 7.0);
    let mut svg = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<defs><marker id=\"ahead\" markerWidth=\"8\" \
         markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\"/>\
         </marker><filter id=\"glow\" x=\"0\" y=\"0\"><feMorphology operator=\"dilate\" radius=\"2\" \
         in=\"SourceAlpha\"/><feFlood flood-color=\"#fff\"/><feComposite operator=\"in\" \
         in2=\"SourceAlpha\"/></filter></defs>\n<g class=\"nodes\">\n"
    );
    for node in nodes {
        let _ = writeln!(
            svg,
            "<line stroke=\"#ccc\" x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\"/>",
            x(node),
            y(0.0),
            y(steps as f64 + 1.0)
        );
        for step in (0..steps.max(1)).step_by(50) {
            let _ = writeln!(
                svg,
                "<text class=\"node\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                x(node),
                y(step as f64 - 0.5),
                if step == 0 { "#000" } else { "#aaa" },
                escape_html(node)
            );
        }
    }
    svg.push_str("</g>\n<g class=\"messages\">\n");
    let mut labels = Labels::default();
    for (step, event) in events[range.clone()].iter().enumerate() {
        if event.send {
            continue;
        }
        let Some(&sent) = sent_at.get(&event.id) else {
            continue;
        };
        let (x0, x1) = (x(event.src), x(event.dest));
        let early = sent < first;
        let y0 = if early {
            y(-1.0)
        } else {
            y((sent - first) as f64)
        };
        let y1 = y(step as f64);
        let (label, color, body_text) = describe(event);
        let text = match labels.place((x0, y0, x1, y1), label.chars().count()) {
            Some((mx, my)) => format!(
                "<text x=\"{mx:.1}\" y=\"{my:.1}\" text-anchor=\"middle\" filter=\"url(#glow)\">{label}</text>\
                 <text class=\"label\" x=\"{mx:.1}\" y=\"{my:.1}\" text-anchor=\"middle\">{label}</text>",
                label = escape_html(&label),
            ),
            None => String::new(),
        };
        let _ = writeln!(
            svg,
            "<g class=\"message\" data-id=\"{id}\"><title>{src} \u{2192} {dest} {body}</title>\
             <line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" stroke=\"{color}\" \
             stroke-width=\"2\"{dash} marker-end=\"url(#ahead)\"/>{text}</g>",
            id = event.id,
            src = escape_html(event.src),
            dest = escape_html(event.dest),
            body = escape_html(&body_text),
            dash = if early {
                " stroke-dasharray=\"4 3\""
            } else {
                ""
            },
        );
    }
    svg.push_str("</g>\n");
    let notice_y = y(steps as f64 + 2.5);
    let mut notice = Vec::new();
    if w > 0 {
        notice.push(format!(
            "<a xlink:href=\"{}\"><text x=\"30\" y=\"{notice_y:.1}\" fill=\"#D96918\">\u{2190} earlier events</text></a>",
            window_link(w, w - 1)
        ));
    }
    if w + 1 == drawn && drawn < windows {
        notice.push(format!(
            "<text x=\"{:.1}\" y=\"{notice_y:.1}\" fill=\"#D96918\" text-anchor=\"middle\">\
             Windows {} to {windows} are not drawn: {MAX_WINDOWS} windows is as far as a diagram \
             stays readable. The run page (index.html) and journal.jsonl have every message.</text>",
            width / 2.0,
            drawn + 1
        ));
    } else if w + 1 < windows {
        notice.push(format!(
            "<a xlink:href=\"{}\"><text x=\"{:.1}\" y=\"{notice_y:.1}\" fill=\"#D96918\" \
             text-anchor=\"middle\">Additional network events: window {} of {windows} \u{2192}</text></a>",
            window_link(w, w + 1),
            width / 2.0,
            w + 2
        ));
    }
    for n in notice {
        svg.push_str(&n);
        svg.push('\n');
    }
    svg.push_str("</svg>\n");
    svg
}

/// Label, colour and hover text of a delivered message (`viz.clj`'s `message-line`).
fn describe(event: &NetEvent<'_>) -> (String, &'static str, String) {
    let client = event.client;
    let kind = event.msg_type;
    let Some(body) = event.body else {
        let color = match (kind, client) {
            ("error", _) => "#FF1E90",
            (_, true) => "#81BFFC",
            _ => "#000",
        };
        let label = if kind.is_empty() {
            format!("#{}", event.id)
        } else {
            kind.to_string()
        };
        return (
            label,
            color,
            format!(
                "(message {}: {kind}; the journal keeps the first bodies only)",
                event.id
            ),
        );
    };
    let rest = match (kind, body) {
        ("error", _) => body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        (_, Value::Object(map)) => {
            let mut rest = map.clone();
            for key in ["type", "msg_id", "in_reply_to"] {
                rest.remove(key);
            }
            Value::Object(rest).to_string()
        }
        _ => body.to_string(),
    };
    let mut label = format!("{kind} {rest}");
    if label.chars().count() > LABEL_CHARS {
        label = label.chars().take(LABEL_CHARS - 1).collect::<String>() + "\u{2026}";
    }
    let color = match (kind, client) {
        ("error", _) => "#FF1E90",
        (_, true) => "#81BFFC",
        _ => "#000",
    };
    (label, color, body.to_string())
}

/// `messages.html`: the windows, with the journal time (ms) and the messages each holds.
fn index_html(events: &[NetEvent<'_>], drawn: usize, windows: usize) -> String {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Messages</title><style>\
         body { font-family: sans-serif; } td, th { padding: 3px 8px; text-align: right; }\
         </style></head><body>\n<h1>Lamport diagrams</h1>\n<p>The network journal in windows of \
         4000 events (sends and deliveries); time in ms since the network started.</p>\n\
         <table id=\"windows\"><thead><tr><th>Window</th><th>From (ms)</th><th>To (ms)</th>\
         <th>Sent</th><th>Delivered</th></tr></thead><tbody>\n",
    );
    if drawn < windows {
        let _ = writeln!(
            page,
            "<p id=\"not-drawn\">Only the first {drawn} of {windows} windows are drawn ({} of \
             {} events): past {MAX_WINDOWS} windows a diagram is too large to be of use. The run \
             page (index.html) and journal.jsonl have every message.</p>",
            drawn * WINDOW_EVENTS,
            events.len()
        );
    }
    for w in 0..windows {
        let part = &events[w * WINDOW_EVENTS..((w + 1) * WINDOW_EVENTS).min(events.len())];
        let ms = |e: Option<&NetEvent<'_>>| e.map_or(0, |e| e.time / 1_000_000);
        let sent = part.iter().filter(|e| e.send).count();
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{sent}</td><td>{}</td></tr>",
            if w < drawn {
                format!("<a href=\"{}\">{}</a>", window_file(w), w + 1)
            } else {
                format!("{} (not drawn)", w + 1)
            },
            ms(part.first()),
            ms(part.last()),
            part.len() - sent
        );
    }
    page.push_str("</tbody></table>\n</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(send: bool, id: u64, src: &str, dest: &str) -> Event {
        Event {
            kind: if send {
                EventKind::Send
            } else {
                EventKind::Recv
            },
            id,
            time: id as i64 * 1_000_000,
            src: src.into(),
            dest: dest.into(),
            client: src.starts_with('c') || dest.starts_with('c'),
            msg_type: "echo".into(),
            body: None,
        }
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("maelstrom-msgs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    /// Control characters a node put in a message type or an error text are shown escaped:
    /// the SVG holds no character XML forbids, so it stays a valid file.
    #[test]
    fn control_characters_keep_the_svg_valid() {
        let dir = temp_dir("controls");
        let error =
            json!({"type": "error", "code": 13, "text": "bad\u{0}\u{1b}[2J", "in_reply_to": 1});
        let mut journal = Vec::new();
        for (send, id) in [(true, 1), (false, 1), (true, 2), (false, 2)] {
            let mut e = event(send, id, "n0", "n1");
            if id == 1 {
                e.msg_type = "echo\u{1b}\u{7}\u{ffff}".into();
            } else {
                e.msg_type = "error".into();
                e.body = Some(std::sync::Arc::new(error.clone()));
            }
            journal.push(e);
        }
        write(&dir, &journal).expect("written");
        let svg = std::fs::read_to_string(dir.join("messages.svg")).expect("svg");
        let forbidden = |c: char| {
            (c.is_control() && (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
                || c == '\u{ffff}'
        };
        assert!(!svg.chars().any(forbidden), "{svg:?}");
        assert!(svg.contains("echo\\u{1b}\\u{7}"), "{svg}");
        assert!(svg.contains("bad\\u{0}\\u{1b}[2J"), "{svg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Clients, then servers, by number, then services by name.
    #[test]
    fn nodes_in_maelstrom_order() {
        let mut nodes = vec!["n10", "lin-kv", "c2", "n2", "c10", "n0", "seq-kv", "c1"];
        nodes.sort_by_key(|n| node_order(n));
        assert_eq!(
            nodes,
            ["c1", "c2", "c10", "n0", "n2", "n10", "lin-kv", "seq-kv"]
        );
    }

    /// One arrow per delivered message (a dropped one has none), from its send step to its
    /// receive step, blue when a client is involved, black between servers.
    #[test]
    fn arrows_for_delivered_messages() {
        let dir = temp_dir("small");
        let journal = vec![
            event(true, 1, "c1", "n0"),
            event(false, 1, "c1", "n0"),
            event(true, 2, "n0", "n1"),
            event(true, 3, "n0", "n2"),
            event(false, 3, "n0", "n2"),
        ];
        assert_eq!(write(&dir, &journal), Ok(vec!["messages.svg".to_string()]));
        let svg = std::fs::read_to_string(dir.join("messages.svg")).expect("svg");
        assert_eq!(svg.matches("<g class=\"message\"").count(), 2, "{svg}");
        assert!(svg.contains("data-id=\"1\"><title>c1 \u{2192} n0"), "{svg}");
        assert!(svg.contains("stroke=\"#81BFFC\""), "{svg}");
        assert!(svg.contains("data-id=\"3\"><title>n0 \u{2192} n2"), "{svg}");
        assert!(
            svg.contains("y1=\"90.0\" x2=\"1050.0\" y2=\"110.0\" stroke=\"#000\""),
            "{svg}"
        );
        assert!(
            !svg.contains("data-id=\"2\""),
            "dropped message drawn: {svg}"
        );
        assert!(!svg.contains("Additional network events"), "{svg}");
        assert!(!dir.join("messages.html").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Past the most windows drawn, the rest are listed as not drawn, the last drawn window
    /// says so and links nowhere further, and no file is written for them.
    #[test]
    fn windows_past_the_limit_are_not_drawn_and_say_so() {
        let dir = temp_dir("not-drawn");
        let mut journal = Vec::new();
        for id in 0..(WINDOW_EVENTS as u64 * 3) / 2 {
            journal.push(event(true, id, "n0", "n1"));
            journal.push(event(false, id, "n0", "n1"));
        }
        let written = write_at_most(&dir, &journal, 2).expect("written");
        assert_eq!(written, ["messages.svg", "messages/2.svg", "messages.html"]);
        assert!(!dir.join("messages/3.svg").exists());
        let second = std::fs::read_to_string(dir.join("messages/2.svg")).expect("second");
        assert!(second.contains("Windows 3 to 3 are not drawn"), "{second}");
        assert!(!second.contains("3.svg"), "no link to an undrawn window");
        let index = std::fs::read_to_string(dir.join("messages.html")).expect("index");
        assert!(
            index.contains("Only the first 2 of 3 windows are drawn"),
            "{index}"
        );
        assert!(index.contains("<td>3 (not drawn)</td>"), "{index}");
    }

    /// A long journal is cut into windows with an index; each window links to the next, and a
    /// message that crosses a window's edge is drawn dashed from the top of the later one.
    #[test]
    fn long_journals_are_windowed() {
        let dir = temp_dir("windows");
        let mut journal = Vec::new();
        let messages = WINDOW_EVENTS as u64 + 3;
        for id in 0..messages {
            journal.push(event(true, id, "n0", "n1"));
            journal.push(event(false, id, "n0", "n1"));
        }
        // Sent in the first window, delivered in the third.
        journal.insert(10, event(true, 99_999, "n1", "n0"));
        journal.push(event(false, 99_999, "n1", "n0"));
        let written = write(&dir, &journal).expect("written");
        assert_eq!(
            written,
            [
                "messages.svg",
                "messages/2.svg",
                "messages/3.svg",
                "messages.html"
            ]
        );
        let first = std::fs::read_to_string(dir.join("messages.svg")).expect("first");
        assert!(
            first.contains("<a xlink:href=\"messages/2.svg\">"),
            "link to the next window"
        );
        assert!(first.contains("Additional network events: window 2 of 3"));
        let second = std::fs::read_to_string(dir.join("messages/2.svg")).expect("second");
        assert!(second.contains("<a xlink:href=\"../messages.svg\">"));
        assert!(second.contains("<a xlink:href=\"3.svg\">"));
        let third = std::fs::read_to_string(dir.join("messages/3.svg")).expect("third");
        assert!(third.contains("data-id=\"99999\""), "{third}");
        assert!(third.contains("stroke-dasharray"), "{third}");
        let total: usize = written[..3]
            .iter()
            .map(|f| std::fs::read_to_string(dir.join(f)).expect("svg"))
            .map(|s| s.matches("<g class=\"message\"").count())
            .sum();
        assert_eq!(total as u64, messages + 1, "every delivered message once");
        let index = std::fs::read_to_string(dir.join("messages.html")).expect("index");
        assert_eq!(index.matches("<tr><td><a href=").count(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// With a body: the label is the type and the rest of the body, cut to 48 characters;
    /// `error` bodies are pink and show their text.
    #[test]
    fn labels_from_bodies() {
        let body = json!({"type": "broadcast", "msg_id": 3, "message": 1234567890123456789u64, "extra": "x".repeat(40)});
        let e = NetEvent {
            send: false,
            id: 1,
            time: 0,
            src: "n0",
            dest: "n1",
            client: false,
            msg_type: "broadcast",
            body: Some(&body),
        };
        let (label, color, title) = describe(&e);
        assert!(label.starts_with("broadcast {\"extra\":\"xxx"), "{label}");
        assert_eq!(label.chars().count(), LABEL_CHARS);
        assert!(label.ends_with('\u{2026}'));
        assert_eq!(color, "#000");
        assert!(title.contains("\"msg_id\":3"));
        let error = json!({"type": "error", "code": 11, "text": "temporarily unavailable", "in_reply_to": 2});
        let e = NetEvent {
            send: false,
            id: 2,
            time: 0,
            src: "n1",
            dest: "c1",
            client: true,
            msg_type: "error",
            body: Some(&error),
        };
        assert_eq!(describe(&e).0, "error temporarily unavailable");
        assert_eq!(describe(&e).1, "#FF1E90");
    }
}
