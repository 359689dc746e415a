//! Consistency models and the anomalies they prohibit, as Elle relates them
//! (`elle/consistency_model.clj`): which anomalies make a test fail for the models given with
//! `--consistency-models`, and which models a set of anomalies rules out (`:not`, `:also-not`).
//!
//! Three tables, copied in meaning from that file: `MODELS` (a model implies the weaker models it
//! lists: a serializable history is also repeatable-read), `PROSCRIBED` (the anomalies each
//! model forbids directly), `IMPLIED` (an anomaly implies the ones it lists: a G0 cycle is also a
//! G1c cycle). A model prohibits its own anomalies, those of every model it implies, and every
//! anomaly implying one of those. So `read-uncommitted` prohibits G0; `read-committed` adds G1a,
//! G1b, G1c; `repeatable-read` adds G2-item and lost updates; `serializable` adds G2;
//! `strict-serializable` adds the realtime variants.
//!
//! One addition of ours, in `PROSCRIBED` under read-uncommitted: `:mismatched-txn`, a reply whose
//! micro-ops are not the ones requested (a read answered as an append), which no model allows.

use std::collections::BTreeSet;

/// Friendly name -> canonical name, Elle's `canonical-model-names`.
const CANONICAL: [(&str, &str); 18] = [
    ("consistent-view", "PL-2+"),
    ("conflict-serializable", "PL-3"),
    ("cursor-stability", "PL-CS"),
    ("forward-consistent-view", "PL-FCV"),
    ("monotonic-snapshot-read", "PL-MSR"),
    ("monotonic-view", "PL-2L"),
    ("read-committed", "PL-2"),
    ("read-uncommitted", "PL-1"),
    ("repeatable-read", "PL-2.99"),
    ("serializable", "PL-3"),
    ("snapshot-isolation", "PL-SI"),
    ("strict-serializable", "PL-SS"),
    ("strong-serializable", "PL-SS"),
    ("update-serializable", "PL-3U"),
    ("strong-session-read-uncommitted", "strong-session-PL-1"),
    ("strong-session-read-committed", "strong-session-PL-2"),
    ("strong-read-uncommitted", "strong-PL-1"),
    ("strong-read-committed", "strong-PL-2"),
];

/// Model -> the weaker models it implies (canonical names), Elle's `models` graph.
#[rustfmt::skip]
const MODELS: &[(&str, &[&str])] = &[
    ("causal-cerone", &["read-atomic"]),
    ("PL-2+", &["PL-CS", "PL-2L"]),
    ("PL-CS", &["PL-2"]),
    ("PL-FCV", &["PL-2+"]),
    ("PL-2", &["PL-1"]),
    ("PL-3", &["view-serializable", "PL-2.99", "PL-3U", "PL-SI"]),
    ("PL-3U", &["PL-FCV"]),
    ("monotonic-atomic-view", &["PL-2"]),
    ("PL-2L", &["PL-2"]),
    ("PL-MSR", &["PL-2"]),
    ("parallel-snapshot-isolation", &["causal-cerone", "update-atomic"]),
    ("prefix", &["causal-cerone"]),
    ("read-atomic", &["monotonic-atomic-view"]),
    ("PL-2.99", &["PL-CS", "monotonic-atomic-view"]),
    ("update-atomic", &["read-atomic"]),
    ("session-serializable", &["1SR"]),
    ("PL-SI", &["PL-FCV", "monotonic-atomic-view", "PL-MSR", "parallel-snapshot-isolation", "prefix"]),
    ("PL-SS", &["PL-3", "linearizable", "PL-SI", "strong-snapshot-isolation",
                "strong-session-serializable", "session-serializable"]),
    ("strong-session-PL-1", &["PL-1"]),
    ("strong-session-PL-2", &["PL-2", "strong-session-PL-1"]),
    ("strong-PL-1", &["strong-session-PL-1"]),
    ("strong-PL-2", &["strong-session-PL-2", "strong-PL-1"]),
    ("strong-session-serializable", &["PL-3", "strong-session-snapshot-isolation"]),
    ("strong-session-snapshot-isolation", &["PL-SI", "strong-session-PL-2"]),
    ("strong-snapshot-isolation", &["strong-session-snapshot-isolation", "strong-PL-2"]),
    ("linearizable", &["sequential"]),
    ("sequential", &["causal"]),
    ("causal", &["writes-follow-reads", "PRAM"]),
    ("PRAM", &["monotonic-reads", "monotonic-writes", "read-your-writes"]),
];

/// Model -> the anomalies it forbids directly, Elle's `direct-proscribed-anomalies`.
#[rustfmt::skip]
const PROSCRIBED: &[(&str, &[&str])] = &[
    ("causal-cerone", &["internal", "G1a"]),
    ("PL-CS", &["G1", "G-cursor", "lost-update"]),
    ("PL-2L", &["G1", "G-monotonic"]),
    ("PL-MSR", &["G1", "G-MSR"]),
    ("PL-2+", &["G1", "G-single"]),
    ("PL-FCV", &["G1", "G-SIb"]),
    ("parallel-snapshot-isolation", &["internal", "G1a"]),
    ("PL-3", &["G1", "G2", "predicate-read-miss", "PL-3-cycle-exists", "internal"]),
    ("PL-2", &["G1", "PL-2-cycle-exists"]),
    ("PL-1", &["G0", "duplicate-elements", "cyclic-versions", "PL-1-cycle-exists",
               "mismatched-txn"]),
    ("prefix", &["internal", "G1a"]),
    ("PL-SI", &["internal", "G1", "G-SI", "G-nonadjacent", "PL-SI-cycle-exists"]),
    ("read-atomic", &["internal", "G1a", "future-read"]),
    ("PL-2.99", &["G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"]),
    ("update-atomic", &["lost-update"]),
    ("PL-SS", &["G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"]),
    ("strong-session-PL-1", &["strong-session-PL-1-cycle-exists", "G0-process"]),
    ("strong-session-PL-2", &["strong-session-PL-2-cycle-exists", "G1c-process"]),
    ("strong-PL-1", &["strong-PL-1-cycle-exists", "G0-realtime"]),
    ("strong-PL-2", &["strong-PL-2-cycle-exists", "G1c-realtime"]),
    ("strong-session-snapshot-isolation", &["internal", "G1-process", "G-nonadjacent-process",
        "strong-session-snapshot-isolation-cycle-exists"]),
    ("strong-snapshot-isolation", &["internal", "G1-realtime", "G-nonadjacent-realtime",
        "strong-snapshot-isolation-cycle-exists"]),
    ("strong-session-serializable", &["G1-process", "G2-process",
        "strong-session-serializable-cycle-exists"]),
    ("PL-3U", &["G1", "G-update"]),
];

/// Anomaly -> the anomalies it implies, Elle's `implied-anomalies`.
#[rustfmt::skip]
const IMPLIED: &[(&str, &[&str])] = &[
    ("G0", &["G1c", "G0-process"]),
    ("G0-process", &["G1c-process", "G0-realtime"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1a", &["G1"]),
    ("G1b", &["G1"]),
    ("G1c", &["G1", "G1c-process"]),
    ("G1c-process", &["G1c-realtime", "G1-process"]),
    ("G1c-realtime", &["G1-realtime"]),
    ("G1", &["G1-process"]),
    ("G1-process", &["G1-realtime"]),
    ("G-single-item", &["G-single", "G-single-item-process", "G-nonadjacent-item"]),
    ("G-single-item-process", &["G-single-process", "G-single-item-realtime",
                                "G-nonadjacent-item-process"]),
    ("G-single-item-realtime", &["G-single-realtime", "G-nonadjacent-item-realtime"]),
    ("G-single", &["G-nonadjacent", "GSIb", "G-single-process"]),
    ("G-single-process", &["G-nonadjacent-process", "G-single-realtime"]),
    ("G-single-realtime", &["G-nonadjacent-realtime"]),
    ("G-nonadjacent-item", &["G-nonadjacent", "G2-item", "G-nonadjacent-item-process"]),
    ("G-nonadjacent-item-process", &["G-nonadjacent-process", "G2-item-process",
                                     "G-nonadjacent-item-realtime"]),
    ("G-nonadjacent-item-realtime", &["G2-item-realtime", "G-nonadjacent-realtime"]),
    ("G-nonadjacent", &["G2", "G-nonadjacent-process"]),
    ("G-nonadjacent-process", &["G2-process", "G-nonadjacent-realtime"]),
    ("G-nonadjacent-realtime", &["G2-realtime"]),
    ("G2", &["G2-process"]),
    ("G2-item", &["G2", "G2-item-process"]),
    ("G2-item-process", &["G2-process", "G2-item-realtime"]),
    ("G2-item-realtime", &["G2-realtime"]),
    ("G2-process", &["G2-realtime"]),
    ("GSIa", &["GSI"]),
    ("GSIb", &["GSI"]),
    ("incompatible-order", &["G1a"]),
    ("future-read", &["G1c"]),
    ("dirty-update", &["G1a"]),
    ("lost-update", &["write-skew", "G2-item"]),
    ("write-skew", &["G2"]),
];

/// The canonical name of a model (`read-committed` is `PL-2`); unknown names are kept.
pub fn canonical(model: &str) -> &str {
    CANONICAL
        .iter()
        .find(|(friendly, _)| *friendly == model)
        .map_or(model, |(_, canonical)| canonical)
}

/// The friendly name of a canonical model (`PL-2` is `read-committed`, `PL-3` `serializable`).
pub fn friendly(model: &str) -> &str {
    match model {
        "PL-3" => "serializable",
        "PL-SS" => "strict-serializable",
        _ => CANONICAL
            .iter()
            .find(|(_, canonical)| *canonical == model)
            .map_or(model, |(friendly, _)| friendly),
    }
}

/// Every model name Elle knows, friendly and canonical, sorted (what `--consistency-models`
/// accepts).
pub fn all_models() -> BTreeSet<&'static str> {
    let mut all: BTreeSet<&'static str> = BTreeSet::new();
    for (friendly, canonical) in CANONICAL {
        all.insert(friendly);
        all.insert(canonical);
    }
    for (model, weaker) in MODELS {
        all.insert(model);
        all.extend(weaker.iter().copied());
    }
    all
}

/// Checks model names (as given to `--consistency-models`). The error names the unknown model
/// and lists the known ones, as Elle's `validate-models` does.
pub fn validate(models: &[String]) -> Result<(), String> {
    let known = all_models();
    match models.iter().find(|m| !known.contains(m.as_str())) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "unknown consistency model {bad:?}; known models are: {}",
            known.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Everything reachable from `start` (itself included) in `table` (forward) or against it.
fn reach(
    table: &[(&'static str, &'static [&'static str])],
    start: Vec<String>,
    forward: bool,
) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut todo = start;
    while let Some(x) = todo.pop() {
        if !seen.insert(x.clone()) {
            continue;
        }
        for (from, tos) in table {
            if forward && *from == x {
                todo.extend(tos.iter().map(|t| t.to_string()));
            } else if !forward && tos.contains(&x.as_str()) {
                todo.push(from.to_string());
            }
        }
    }
    seen
}

/// The anomalies that must not appear if all of `models` hold (Elle's
/// `anomalies-prohibited-by`): what each implied model proscribes, and every anomaly implying
/// one of those. Names are checked first (`validate`).
pub fn prohibited(models: &[String]) -> Result<BTreeSet<String>, String> {
    validate(models)?;
    let canonical_models: Vec<String> = models.iter().map(|m| canonical(m).to_string()).collect();
    let implied = reach(MODELS, canonical_models, true);
    let direct: Vec<String> = PROSCRIBED
        .iter()
        .filter(|(model, _)| implied.contains(*model))
        .flat_map(|(_, anomalies)| anomalies.iter().map(|a| a.to_string()))
        .collect();
    Ok(reach(IMPLIED, direct, false))
}

/// Every anomaly that implies one of `anomalies`, those included (Elle's
/// `all-anomalies-implying`): what asking for specific anomalies (`:anomalies [:G1]`) prohibits.
pub fn implying(anomalies: &[String]) -> BTreeSet<String> {
    reach(IMPLIED, anomalies.to_vec(), false)
}

/// The models (canonical names) that cannot hold given `anomalies`, Elle's
/// `anomalies->impossible-models`: those forbidding an anomaly implied by one found, and every
/// model implying them.
pub fn impossible(anomalies: &[&str]) -> BTreeSet<String> {
    let implied = reach(
        IMPLIED,
        anomalies.iter().map(|a| a.to_string()).collect(),
        true,
    );
    let direct: Vec<String> = PROSCRIBED
        .iter()
        .filter(|(_, forbidden)| forbidden.iter().any(|a| implied.contains(*a)))
        .map(|(model, _)| model.to_string())
        .collect();
    reach(MODELS, direct, false)
}

/// The models ruled out by `anomalies`, as Elle's `friendly-boundary` gives them: `not` the
/// weakest of them, `also_not` the stronger rest, both with friendly names, sorted.
pub fn boundary(anomalies: &[&str]) -> (Vec<String>, Vec<String>) {
    let impossible = impossible(anomalies);
    // The weakest: impossible models implying no other impossible model.
    let weakest: BTreeSet<String> = impossible
        .iter()
        .filter(|m| {
            let below = reach(MODELS, vec![m.to_string()], true);
            !below.iter().any(|b| b != *m && impossible.contains(b))
        })
        .cloned()
        .collect();
    let names = |set: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        let sorted: BTreeSet<String> = set.map(|m| friendly(m).to_string()).collect();
        sorted.into_iter().collect()
    };
    let not = names(&mut weakest.iter());
    let also_not = names(&mut impossible.iter().filter(|m| !weakest.contains(*m)));
    (not, also_not)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prohibited_by(model: &str) -> BTreeSet<String> {
        prohibited(&[model.to_string()]).unwrap_or_default()
    }

    /// Read-uncommitted forbids G0 but not dirty reads; read-committed adds G1a, G1b and G1c;
    /// neither forbids anti-dependency cycles.
    #[test]
    fn weak_models_prohibit_the_adya_anomalies() {
        let ru = prohibited_by("read-uncommitted");
        assert!(ru.contains("G0") && ru.contains("PL-1-cycle-exists"));
        assert!(!ru.contains("G1a") && !ru.contains("G1c") && !ru.contains("G0-realtime"));
        let rc = prohibited_by("read-committed");
        for a in [
            "G0",
            "G1a",
            "G1b",
            "G1c",
            "incompatible-order",
            "dirty-update",
        ] {
            assert!(rc.contains(a), "read-committed should prohibit {a}");
        }
        assert!(!rc.contains("G-single-item") && !rc.contains("internal"));
    }

    /// Serializable prohibits every item cycle and lost updates, not the realtime ones;
    /// strict-serializable adds them.
    #[test]
    fn strong_models_add_rw_cycles_and_realtime() {
        let s = prohibited_by("serializable");
        for a in [
            "G-single-item",
            "G2-item",
            "G-nonadjacent-item",
            "lost-update",
            "internal",
        ] {
            assert!(s.contains(a), "serializable should prohibit {a}");
        }
        assert!(!s.contains("G1c-realtime"));
        let ss = prohibited_by("strict-serializable");
        assert!(ss.contains("G1c-realtime") && ss.contains("G-single-item-realtime"));
        assert!(ss.is_superset(&s));
    }

    /// An unknown model is an error naming it.
    #[test]
    fn unknown_models_are_named() {
        let err = prohibited(&["read-comitted".to_string()])
            .err()
            .unwrap_or_default();
        assert!(err.contains("\"read-comitted\""), "{err}");
    }

    /// G0 rules out read-uncommitted and, beyond it, everything stronger; G2-item rules out
    /// repeatable read but not read committed.
    #[test]
    fn boundary_names_the_weakest_models() {
        let (not, also_not) = boundary(&["G0"]);
        assert_eq!(not, ["read-uncommitted"]);
        assert!(also_not.contains(&"strict-serializable".to_string()));
        assert!(also_not.contains(&"read-committed".to_string()));
        let (not, also_not) = boundary(&["G2-item"]);
        assert_eq!(not, ["repeatable-read"]);
        assert!(also_not.contains(&"serializable".to_string()));
        assert!(!also_not.contains(&"read-committed".to_string()));
    }
}
