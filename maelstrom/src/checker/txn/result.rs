//! Elle's result map (`elle/txn.clj`'s `result-map`): which anomalies are reportable (prohibited
//! by the models, or unknown markers), which cycle-exists cases a specific anomaly already
//! explains, the verdict, and the models ruled out.

use std::collections::BTreeSet;

use crate::checker::txn::model;
use crate::edn::Edn;

/// Every anomaly found, and what the models make of them.
pub(super) struct Found {
    /// (type, examples), sorted by type; `empty-transaction-graph` has `true` for examples.
    pub all: Vec<(String, Edn)>,
    pub prohibited: BTreeSet<String>,
}

/// Types that make a result `:unknown` rather than false (Elle's `unknown-anomaly-types`).
const UNKNOWN_TYPES: [&str; 2] = ["empty-transaction-graph", "cycle-search-timeout"];

impl Found {
    fn is_reportable(&self, kind: &str) -> bool {
        self.prohibited.contains(kind) || UNKNOWN_TYPES.contains(&kind)
    }

    /// The reportable anomalies, with cycle-exists cases that a specific anomaly already
    /// explains left out (Elle's `remove-redundant-cycle-exists`).
    pub fn reportable(&self) -> Vec<(String, Edn)> {
        let reportable: Vec<&(String, Edn)> = self
            .all
            .iter()
            .filter(|(k, _)| self.is_reportable(k))
            .collect();
        let others: Vec<&str> = reportable
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.ends_with("-cycle-exists"))
            .collect();
        let impossible = model::impossible(&others);
        reportable
            .into_iter()
            .filter(|(k, _)| {
                k.strip_suffix("-cycle-exists")
                    .is_none_or(|m| !impossible.contains(m))
            })
            .cloned()
            .collect()
    }

    pub fn reportable_without(&self, kind: &str) -> Vec<(String, Edn)> {
        self.reportable()
            .into_iter()
            .filter(|(k, _)| k != kind)
            .collect()
    }

    /// Elle's `result-map`.
    pub fn result_map(&self) -> Edn {
        let reportable = self.reportable();
        if reportable.is_empty() {
            return Edn::map([("valid?", Edn::Bool(true))]);
        }
        let valid = if reportable.iter().any(|(k, _)| self.prohibited.contains(k)) {
            Edn::Bool(false)
        } else {
            Edn::kw("unknown")
        };
        let kinds: Vec<&str> = self.all.iter().map(|(k, _)| k.as_str()).collect();
        let (not, also_not) = model::boundary(&kinds);
        let set = |names: Vec<String>| Edn::Set(names.iter().map(|n| Edn::kw(n)).collect());
        Edn::map([
            ("valid?", valid),
            (
                "anomaly-types",
                Edn::List(reportable.iter().map(|(k, _)| Edn::kw(k)).collect()),
            ),
            ("anomalies", anomalies_edn(&reportable)),
            ("not", set(not)),
            ("also-not", set(also_not)),
        ])
    }
}

/// `{:G1c [...], ...}`.
pub(super) fn anomalies_edn(anomalies: &[(String, Edn)]) -> Edn {
    Edn::Map(
        anomalies
            .iter()
            .map(|(k, v)| (Edn::kw(k), v.clone()))
            .collect(),
    )
}

/// Replaces (or adds) a keyword entry of a map.
pub(super) fn set_entry(map: &mut Edn, key: &str, value: Edn) {
    if let Edn::Map(entries) = map {
        if let Some((_, v)) = entries.iter_mut().find(|(k, _)| *k == Edn::kw(key)) {
            *v = value;
            return;
        }
    }
    map.push_entry(key, value);
}
