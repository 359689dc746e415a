//! The structure `src/lib.rs` and `ARCHITECTURE.md` describe, checked against the sources: the
//! layers of `lib.rs`'s crate doc, the layer diagram of `ARCHITECTURE.md`, imports pointing only
//! down (or within a layer), no import loop between modules, and `cli` imported by nobody but
//! `main.rs`. A claim that stops being true fails here, naming the file and the import.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The crate's directory.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The top-level modules `lib.rs` declares (`pub mod x;`).
fn modules() -> BTreeSet<String> {
    let lib = fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

/// Each module's layer as `lib.rs`'s crate doc lists them (`//! 1. data: `edn` ..., `options`
/// ...`): a module belongs to the numbered item whose text first names it in backticks.
fn layers_in_lib() -> BTreeMap<String, usize> {
    let lib = fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    let modules = modules();
    let mut layer_of = BTreeMap::new();
    let mut layer = 0;
    for line in lib.lines().filter_map(|l| l.strip_prefix("//!")) {
        let text = line.trim_start();
        if let Some((n, _)) = text.split_once(". ") {
            if let Ok(n) = n.parse::<usize>() {
                layer = n;
            }
        }
        if layer == 0 {
            continue;
        }
        for (i, word) in text.split('`').enumerate() {
            if i % 2 == 1 && modules.contains(word) {
                layer_of.entry(word.to_string()).or_insert(layer);
            }
        }
    }
    layer_of
}

/// Each module's layer as `ARCHITECTURE.md`'s diagram draws them (`4  runtime  runner/ ...`,
/// continuation lines belonging to the layer above): names written `x/` or `x.rs`.
fn layers_in_diagram() -> BTreeMap<String, usize> {
    let doc = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let diagram = doc
        .split("```")
        .nth(1)
        .expect("a diagram in ARCHITECTURE.md");
    let modules = modules();
    let mut layer_of = BTreeMap::new();
    let mut layer = 0;
    for line in diagram.lines() {
        if let Some(n) = line.split_whitespace().next().and_then(|w| w.parse().ok()) {
            layer = n;
        }
        let words = line.split(|c: char| !(c.is_ascii_alphanumeric() || "_./".contains(c)));
        for word in words {
            let name = word
                .strip_suffix('/')
                .or_else(|| word.strip_suffix(".rs"))
                .unwrap_or("");
            if modules.contains(name) {
                layer_of.entry(name.to_string()).or_insert(layer);
            }
        }
    }
    layer_of
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `from -> {to: a line that shows it}` for every `crate::to` the code of module `from` names
/// (comments and the unit tests at the bottom of each file left out), and the modules `main.rs`
/// names as `maelstrom::x`.
fn imports() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules = modules();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src").to_path_buf();
        let first = relative
            .iter()
            .next()
            .and_then(|c| c.to_str())
            .unwrap_or("");
        let from = first.trim_end_matches(".rs").to_string();
        if from == "lib" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let prefix = if from == "main" {
            "maelstrom::"
        } else {
            "crate::"
        };
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices(prefix) {
                let rest = &line[at + prefix.len()..];
                let to: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if to != from && modules.contains(&to) {
                    graph
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| {
                            format!("{}:{}: {}", relative.display(), n + 1, line.trim())
                        });
                }
            }
            // `use maelstrom::{a, b};` in main.rs.
            if from == "main" {
                if let Some(list) = line.trim().strip_prefix("use maelstrom::{") {
                    for to in list.trim_end_matches("};").split(',').map(str::trim) {
                        if modules.contains(to) {
                            graph
                                .entry(from.clone())
                                .or_default()
                                .entry(to.into())
                                .or_insert_with(|| {
                                    format!("{}:{}: {}", relative.display(), n + 1, line.trim())
                                });
                        }
                    }
                }
            }
        }
    }
    graph
}

/// `lib.rs` places every module it declares in exactly one layer, and `ARCHITECTURE.md`'s
/// diagram draws every one of them in the same layer.
#[test]
fn lib_and_diagram_name_the_same_layers() {
    let lib = layers_in_lib();
    let unplaced: Vec<String> = modules()
        .into_iter()
        .filter(|m| !lib.contains_key(m))
        .collect();
    assert!(
        unplaced.is_empty(),
        "lib.rs's layers leave out {unplaced:?}"
    );
    assert_eq!(
        layers_in_diagram(),
        lib,
        "ARCHITECTURE.md's diagram and lib.rs disagree"
    );
}

type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The imports of `graph` that point to a higher layer than their module's.
fn upward(graph: &Graph, layer: &BTreeMap<String, usize>) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in graph {
        let Some(&from_layer) = layer.get(from) else {
            continue;
        };
        for (to, line) in targets {
            let to_layer = layer.get(to).copied().unwrap_or(0);
            if to_layer > from_layer {
                found.push(format!(
                    "{from} (layer {from_layer}) -> {to} (layer {to_layer}): {line}"
                ));
            }
        }
    }
    found
}

/// A loop of imports in `graph`, as the modules along it (the first again at the end).
fn find_loop(graph: &Graph) -> Option<Vec<String>> {
    // Depth-first search from every module; a module met again on the current path closes a loop.
    fn visit(
        at: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            let mut cycle = path[start..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for to in graph
            .get(at)
            .map(|t| t.keys().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if let Some(cycle) = visit(to, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

/// Imports point down or stay in their layer (`lib.rs`: "a module imports only from its own
/// layer or the ones below it").
#[test]
fn imports_point_down() {
    let found = upward(&imports(), &layers_in_lib());
    assert!(
        found.is_empty(),
        "imports that point up:\n{}",
        found.join("\n")
    );
}

/// No two modules import each other, directly or through others (`lib.rs`: "there is no import
/// loop").
#[test]
fn no_import_loop() {
    let graph = imports();
    if let Some(cycle) = find_loop(&graph) {
        let lines: Vec<String> = cycle
            .windows(2)
            .map(|pair| graph[&pair[0]][&pair[1]].clone())
            .collect();
        panic!("import loop {}:\n{}", cycle.join(" -> "), lines.join("\n"));
    }
}

/// Nothing but `main.rs` (and `cli` itself) imports `cli` (`ARCHITECTURE.md`).
#[test]
fn only_main_imports_cli() {
    let importers: Vec<String> = imports()
        .into_iter()
        .filter(|(from, targets)| from != "main" && targets.contains_key("cli"))
        .map(|(from, targets)| format!("{} ({from})", targets["cli"]))
        .collect();
    assert!(importers.is_empty(), "{importers:?}");
}

/// The checks can fail: the upward import and the loop this crate once had (`summary` taking
/// `process::printable`; `process` and `progress` importing each other) are both caught.
#[test]
fn the_checks_catch_an_upward_import_and_a_loop() {
    let edge = |from: &str, to: &str| (from.to_string(), to.to_string());
    let mut graph = Graph::new();
    for (from, to) in [
        edge("summary", "process"),
        edge("process", "progress"),
        edge("progress", "process"),
    ] {
        graph.entry(from).or_default().insert(to, "a line".into());
    }
    let layer = layers_in_lib();
    // summary -> process and progress -> process point up (layer 3 to 4).
    assert_eq!(
        upward(&graph, &layer).len(),
        2,
        "{:?}",
        upward(&graph, &layer)
    );
    let cycle = find_loop(&graph).expect("the loop");
    assert!(cycle.contains(&"process".to_string()) && cycle.contains(&"progress".to_string()));
    graph.remove("progress");
    assert_eq!(find_loop(&graph), None);
}
