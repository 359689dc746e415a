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
        match std::fs::read_to_string(path) {
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
    for (i, node) in nodes.iter().enumerate() {
        if node.is_empty() {
            errors.push("Invalid node name \"\": node names can't be empty".to_string());
        } else if node.starts_with('c') {
            errors.push(format!(
                "Invalid node name \"{node}\": names starting with \"c\" are Maelstrom's clients"
            ));
        } else if crate::service::MAELSTROM_SERVICE_IDS.contains(&node.as_str()) {
            errors.push(format!(
                "Invalid node name \"{node}\": that is the id of a Maelstrom service"
            ));
        } else if nodes[..i].contains(node) {
            errors.push(format!(
                "Invalid node list: \"{node}\" appears more than once"
            ));
        }
    }
    if errors.is_empty() {
        Ok(nodes)
    } else {
        Err(errors)
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
    Ok(c)
}
