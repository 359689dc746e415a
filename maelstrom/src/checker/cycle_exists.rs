//! "Cycle exists" cases (Elle's `cycle-exists-specs` and `cycle-exists-cases` in
//! `elle/txn.clj`): for each consistency model, whether the subgraph of the relations it
//! forbids cycles in has a cycle at all. Cheaper than finding a specific cycle, and enough to say
//! which models cannot hold: read-uncommitted forbids cycles of ww edges, read-committed of ww
//! and wr edges, and so on up to strict serializability. A model found impossible makes every
//! stronger one redundant (`consistency_model.clj`'s implication graph, restricted to these).

use crate::checker::cycles::Finding;
use crate::checker::graph::{DepGraph, Rel, Rels};
use crate::edn::Edn;
use Rel::{Process as P, Realtime as Rt, Rw, Wr, Ww};

/// A model's subgraph: a union of relations, or Elle's sequential extension (edges of the first
/// set, plus a hop of the first set followed by one of the second).
enum Subgraph {
    Union(&'static [Rel]),
    Extension(&'static [Rel], &'static [Rel]),
}

/// One row of Elle's `cycle-exists-specs`.
struct ExistsSpec {
    /// Canonical model name, as in the anomaly type (`"PL-2"` gives `:PL-2-cycle-exists`).
    model: &'static str,
    /// Friendly name, for `:not`.
    friendly: &'static str,
    subgraph: Subgraph,
    /// Elle's printed subgraph, with the predicate relations our graphs never have.
    printed: &'static str,
    /// The models among these that this one directly implies (from `consistency_model.clj`).
    implies: &'static [&'static str],
}

// One model per line, as a table: rustfmt would spread each row over eight lines.
#[rustfmt::skip]
const EXISTS_SPECS: [ExistsSpec; 13] = [
    spec_u("PL-1", "read-uncommitted", &[Ww], "[:union :ww :wwp]", &[]),
    spec_u("PL-2", "read-committed", &[Ww, Wr], "[:union :ww :wwp :wr :wrp]", &["PL-1"]),
    spec_e("PL-SI", "snapshot-isolation", &[Ww, Wr],
           "[:extension [:union :ww :wwp :wr :wrp] [:union :rw :rwp]]", &["PL-2"]),
    spec_u("PL-2.99", "repeatable-read", &[Ww, Wr, Rw], "[:union :ww :wwp :wr :wrp :rw]", &["PL-2"]),
    spec_u("PL-3", "serializable", &[Ww, Wr, Rw], "[:union :ww :wwp :wr :wrp :rw :rwp]",
           &["PL-2.99", "PL-SI"]),
    spec_u("strong-session-PL-1", "strong-session-read-uncommitted", &[Ww, P],
           "[:union :ww :wwp :process]", &["PL-1"]),
    spec_u("strong-session-PL-2", "strong-session-read-committed", &[Ww, Wr, P],
           "[:union :ww :wwp :wr :wrp :process]", &["PL-2", "strong-session-PL-1"]),
    spec_e("strong-session-snapshot-isolation", "strong-session-snapshot-isolation", &[Ww, Wr, P],
           "[:extension [:union :ww :wwp :wr :wrp :process] [:union :rw :rwp]]",
           &["PL-SI", "strong-session-PL-2"]),
    spec_u("strong-session-serializable", "strong-session-serializable", &[Ww, Wr, Rw, P],
           "[:union :ww :wwp :wr :wrp :rw :rwp :process]",
           &["PL-3", "strong-session-snapshot-isolation"]),
    spec_u("strong-PL-1", "strong-read-uncommitted", &[Ww, Rt], "[:union :ww :wwp :realtime]",
           &["strong-session-PL-1"]),
    spec_u("strong-PL-2", "strong-read-committed", &[Ww, Wr, Rt],
           "[:union :ww :wwp :wr :wrp :realtime]", &["strong-session-PL-2", "strong-PL-1"]),
    spec_e("strong-snapshot-isolation", "strong-snapshot-isolation", &[Ww, Wr, Rt],
           "[:extension [:union :ww :wwp :wr :wrp :realtime] [:union :rw :rwp]]",
           &["strong-session-snapshot-isolation", "strong-PL-2"]),
    spec_u("PL-SS", "strict-serializable", &[Ww, Wr, Rw, Rt],
           "[:union :ww :wwp :wr :wrp :rw :rwp :realtime]",
           &["PL-3", "PL-SI", "strong-snapshot-isolation", "strong-session-serializable"]),
];

const fn spec_u(
    model: &'static str,
    friendly: &'static str,
    rels: &'static [Rel],
    printed: &'static str,
    implies: &'static [&'static str],
) -> ExistsSpec {
    ExistsSpec {
        model,
        friendly,
        subgraph: Subgraph::Union(rels),
        printed,
        implies,
    }
}

const fn spec_e(
    model: &'static str,
    friendly: &'static str,
    first: &'static [Rel],
    printed: &'static str,
    implies: &'static [&'static str],
) -> ExistsSpec {
    ExistsSpec {
        model,
        friendly,
        subgraph: Subgraph::Extension(first, &[Rw]),
        printed,
        implies,
    }
}

/// The models that cannot hold once `model` cannot: itself and every model implying it.
fn stronger_models(model: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut todo = vec![model.to_string()];
    while let Some(m) = todo.pop() {
        for spec in &EXISTS_SPECS {
            if (spec.model == m || spec.implies.contains(&m.as_str())) && !out.contains(&spec.model)
            {
                out.push(spec.model);
                todo.push(spec.model.to_string());
            }
        }
    }
    out
}

/// Elle's `cycle-exists-cases` for one component (`sub` is the component's graph).
pub fn cycle_exists(sub: &DepGraph, scc: &[usize]) -> Vec<Finding> {
    let mut redundant: Vec<&'static str> = Vec::new();
    let mut found = Vec::new();
    for spec in &EXISTS_SPECS {
        if redundant.contains(&spec.model) {
            continue;
        }
        let g = match spec.subgraph {
            Subgraph::Union(rels) => sub.subgraph(scc, Rels::of(rels)),
            Subgraph::Extension(a, b) => sub.extension(Rels::of(a), Rels::of(b)),
        };
        let Some(smallest) = g.sccs().into_iter().min_by_key(|c| c.len()) else {
            continue;
        };
        found.push(Finding::CycleExists {
            kind: format!("{}-cycle-exists", spec.model),
            not: spec.friendly,
            subgraph: crate::edn::parse(spec.printed).unwrap_or(Edn::Nil),
            scc: smallest,
        });
        redundant.extend(stronger_models(spec.model));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stronger models are made redundant through the implication table.
    #[test]
    fn stronger_models_follow_implications() {
        let stronger = stronger_models("strong-PL-2");
        for m in ["strong-PL-2", "strong-snapshot-isolation", "PL-SS"] {
            assert!(stronger.contains(&m), "{m} missing from {stronger:?}");
        }
        assert!(!stronger.contains(&"PL-2"));
        assert_eq!(stronger_models("PL-1").len(), EXISTS_SPECS.len());
    }
}
