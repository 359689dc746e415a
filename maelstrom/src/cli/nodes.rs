//! The node list and the concurrency, resolved once every option is read (`jepsen.cli`'s
//! node options and Maelstrom's `Kn` concurrency).

use crate::options::DEFAULT_NODES;

use super::values::{invalid, Raw};

/// The node list (as Maelstrom's code does it): `--nodes-file` lines, then the
/// `--node-count` names (which replace `--nodes`) or `--nodes`, then the `-n` flags; the
/// default `n1..n5` only when none of these is given. Then our checks: no empty names, no
/// name a client or service could have, no duplicates.
pub(super) fn resolve_nodes(raw: &Raw) -> Result<Vec<String>, Vec<String>> {
    let mut nodes = Vec::new();
    let mut errors = Vec::new();
    if let Some(path) = &raw.nodes_file {
        match read_nodes_file(path) {
            Ok(text) => nodes.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            ),
            Err(e) => errors.push(format!("Can't read --nodes-file {path}: {e}")),
        }
    }
    if let Some(n) = raw.node_count {
        nodes.extend((0..n).map(|i| format!("n{i}")));
    } else if let Some(list) = &raw.nodes {
        nodes.extend(list.iter().cloned());
    }
    let given = raw.nodes_file.is_some() || raw.node_count.is_some() || raw.nodes.is_some();
    if raw.node_flags.is_empty() && !given {
        nodes.extend(DEFAULT_NODES.iter().map(|n| n.to_string()));
    }
    nodes.extend(raw.node_flags.iter().cloned());
    if nodes.is_empty() && errors.is_empty() {
        errors.push("No nodes to test: the node list is empty".to_string());
    }
    if nodes.len() > MAX_NODES {
        errors.push(format!(
            "Too many nodes: {}; at most {MAX_NODES}, since each node is a process on this machine",
            nodes.len()
        ));
        return Err(errors);
    }
    errors.extend(node_name_errors(&nodes));
    if errors.is_empty() {
        Ok(nodes)
    } else {
        Err(errors)
    }
}

/// Why each name of `nodes` cannot be a node's, in order: empty, not a plain file name, with
/// whitespace or a control character, a client's or a service's id, or given twice. `test`
/// checks its node list with it, and `analyze` the `:nodes` of a run's test.edn.
pub(super) fn node_name_errors(nodes: &[String]) -> Vec<String> {
    let mut errors = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.is_empty() {
            errors.push("Invalid node name \"\": node names can't be empty".to_string());
        } else if let Some(why) = not_a_file_name(node) {
            errors.push(format!(
                "Invalid node name {node:?}: {why}; each node's log is node-logs/<name>.log, \
                 so a name must be a plain file name"
            ));
        } else if node.chars().any(|c| c.is_whitespace() || c.is_control()) {
            // A space or a newline would split the name wherever it is printed or written as
            // an EDN keyword (`:n 1`), in logs and results.
            errors.push(format!(
                "Invalid node name {node:?}: it contains a space, a newline or another \
                 whitespace or control character"
            ));
        } else if node.starts_with('c') {
            errors.push(format!(
                "Invalid node name \"{node}\": names starting with \"c\" are Maelstrom's clients"
            ));
        } else if crate::service::builder(node).is_some() {
            errors.push(format!(
                "Invalid node name \"{node}\": that is the id of a Maelstrom service"
            ));
        } else if nodes[..i].contains(node) {
            errors.push(format!(
                "Invalid node list: \"{node}\" appears more than once"
            ));
        }
    }
    errors
}

/// The most nodes a test may have: each is a process, with three threads of the runner's.
pub(super) const MAX_NODES: usize = 1000;
/// The most workers (`--concurrency`) a test may have: each is a thread with its own client.
const MAX_CONCURRENCY: usize = 10_000;
/// The longest `--nodes-file`, in bytes: room for [`MAX_NODES`] names of the longest kind.
const MAX_NODES_FILE_BYTES: u64 = 256 * 1024;

/// The text of `--nodes-file`, read up to [`MAX_NODES_FILE_BYTES`] (so `/dev/zero` is an error,
/// not all of memory).
fn read_nodes_file(path: &str) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_NODES_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_NODES_FILE_BYTES {
        return Err(format!(
            "it is longer than {MAX_NODES_FILE_BYTES} bytes, more than {MAX_NODES} node names need"
        ));
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())
}

/// The longest node name, in bytes: `<name>.log` must fit in a file name (255 bytes on Linux).
const MAX_NODE_NAME_BYTES: usize = 200;

/// Why `node` cannot be used as a file name, if it cannot: a path separator, a NUL, `.` or
/// `..`, or too long.
fn not_a_file_name(node: &str) -> Option<String> {
    if node.contains('/') {
        Some("it contains \"/\"".into())
    } else if node.contains('\0') {
        Some("it contains a NUL character".into())
    } else if node == "." || node == ".." {
        Some("\".\" and \"..\" name directories".into())
    } else if node.len() > MAX_NODE_NAME_BYTES {
        Some(format!(
            "it is {} bytes long, more than {MAX_NODE_NAME_BYTES}",
            node.len()
        ))
    } else {
        None
    }
}

/// `--concurrency K` or `Kn` (K x the number of nodes); C = 0 would run no client: rejected.
pub(super) fn resolve_concurrency(raw: &Raw) -> Result<usize, String> {
    let Some(o) = &raw.concurrency else {
        return Ok(raw.opts.nodes.len());
    };
    let (digits, per_node) = match o.value.strip_suffix('n') {
        Some(d) => (d, true),
        None => (o.value.as_str(), false),
    };
    let k: usize = digits
        .parse()
        .map_err(|_| invalid(o, "Must be an integer, optionally followed by n."))?;
    let c = if per_node {
        k.checked_mul(raw.opts.nodes.len())
            .ok_or_else(|| invalid(o, "Too large"))?
    } else {
        k
    };
    if c == 0 {
        return Err(invalid(o, "Must be positive"));
    }
    if c > MAX_CONCURRENCY {
        return Err(invalid(
            o,
            &format!("{c} workers; at most {MAX_CONCURRENCY} (each is a thread)"),
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::{error, test_opts};
    use crate::cli::{parse, Command};

    /// `Kn` multiplies by the node count after the node list is resolved.
    #[test]
    fn concurrency_forms() {
        assert_eq!(test_opts("test --bin x --concurrency 2n").concurrency, 10);
        assert_eq!(
            test_opts("test --bin x --node-count 3 --concurrency 2n").concurrency,
            6
        );
        assert_eq!(
            test_opts("test --bin x --node-count 3 --concurrency 7").concurrency,
            7
        );
        assert_eq!(test_opts("test --bin x --node-count 4").concurrency, 4);
    }

    /// Node lists: `--node-count`, `--nodes` split on `,\s*`, repeated `-n`, `--nodes-file`.
    #[test]
    fn node_lists() {
        assert_eq!(
            test_opts("test --bin x --node-count 2").nodes,
            vec!["n0", "n1"]
        );
        assert_eq!(test_opts("test --bin x --nodes a,b,").nodes, vec!["a", "b"]);
        let o =
            parse(&["test", "-w", "echo", "--bin", "x", "--nodes", "a, b,  d"].map(String::from));
        assert!(
            matches!(o, Ok(Command::Test(ref t)) if t.nodes == vec!["a", "b", "d"]),
            "{o:?}"
        );
        assert_eq!(
            test_opts("test --bin x -n a -n b --node z").nodes,
            vec!["a", "b", "z"]
        );
        // --node-count replaces --nodes, explicit -n flags still follow (Maelstrom's code).
        assert_eq!(
            test_opts("test --bin x --nodes a,b --node-count 1 -n q").nodes,
            vec!["n0", "q"]
        );
        let file = std::env::temp_dir().join(format!("maelstrom-cli-nodes-{}", std::process::id()));
        std::fs::write(&file, "  f1\n\nf2  \n").expect("temp file");
        let o = test_opts(&format!(
            "test --bin x --nodes-file {} --nodes a -n b",
            file.display()
        ));
        let _ = std::fs::remove_file(&file);
        assert_eq!(o.nodes, vec!["f1", "f2", "a", "b"]);
    }

    /// Names a client or service would have, empty names and duplicates are rejected clearly.
    #[test]
    fn bad_node_names() {
        assert!(error("test --bin x --nodes n1,c2").contains("Invalid node name \"c2\""));
        assert!(error("test --bin x -n lin-kv").contains("Maelstrom service"));
        assert!(error("test --bin x -n a -n a").contains("\"a\" appears more than once"));
        assert!(error("test --bin x --nodes ,a").contains("can't be empty"));
        for name in [" ", "n\n1", "n 1", "n\t1", "n\u{1b}"] {
            let args: Vec<String> = ["test", "--bin", "x", "-n", name]
                .iter()
                .map(|a| a.to_string())
                .collect();
            let e = match super::super::parse(&args) {
                Err(e) => e.message,
                Ok(_) => panic!("{name:?} accepted"),
            };
            assert!(
                e.contains("whitespace or control character"),
                "{name:?}: {e}"
            );
        }
        assert!(error("test --bin x --nodes-file /nonexistent/nodes")
            .contains("Can't read --nodes-file /nonexistent/nodes"));
    }

    /// Sizes that would exhaust the machine are argument errors, not allocation failures: node
    /// counts, worker counts, node lists and endless node files.
    #[test]
    fn sizes_are_bounded() {
        let e = error("test --bin x --node-count 99999999999");
        assert!(
            e.contains("--node-count 99999999999\": At most 1000"),
            "{e}"
        );
        assert!(error("test --bin x --node-count -3").contains("Must be positive."));
        let e = error("test --bin x --concurrency 99999999999");
        assert!(e.contains("at most 10000 (each is a thread)"), "{e}");
        let e = error("test --bin x --node-count 1000 --concurrency 99999999n");
        assert!(e.contains("at most 10000"), "{e}");
        let list: Vec<String> = (0..1001).map(|i| format!("m{i}")).collect();
        let e = error(&format!("test --bin x --nodes {}", list.join(",")));
        assert!(e.contains("Too many nodes: 1001; at most 1000"), "{e}");
        let e = error("test --bin x --nodes-file /dev/zero");
        assert!(
            e.contains("Can't read --nodes-file /dev/zero: it is longer than"),
            "{e}"
        );
        assert_eq!(
            test_opts("test --bin x --node-count 1000 --concurrency 10")
                .nodes
                .len(),
            1000
        );
    }
}
