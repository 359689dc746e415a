//! Every option's value, parsed and validated one occurrence at a time, with Maelstrom's
//! validation texts (`Failed to validate "--rate -1": Can't be negative`).

use crate::checker::txn::model;
use crate::nemesis;
use crate::options::{Availability, LatencyDist, TestOptions, TopologyKind, WorkloadOptions};
use crate::workload::{self, Entry};

use super::tokens::Occurrence;

/// Options of `test` as parsed, before the node list and concurrency are resolved.
pub(super) struct Raw<'a> {
    /// The workloads `-w` may name.
    pub(super) registry: &'a [Entry],
    pub(super) opts: TestOptions,
    pub(super) bin: Option<String>,
    pub(super) node_flags: Vec<String>,
    pub(super) nodes: Option<Vec<String>>,
    pub(super) nodes_file: Option<String>,
    pub(super) node_count: Option<u64>,
    /// The last `--concurrency`, resolved once the node count is known.
    pub(super) concurrency: Option<Occurrence>,
}

impl<'a> Raw<'a> {
    /// Nothing parsed yet: the options start as `base` (the defaults for `test`, a run's
    /// test.edn for `analyze`).
    pub(super) fn over(registry: &'a [Entry], base: TestOptions) -> Raw<'a> {
        Raw {
            registry,
            opts: base,
            bin: None,
            node_flags: Vec::new(),
            nodes: None,
            nodes_file: None,
            node_count: None,
            concurrency: None,
        }
    }

    /// True if any option naming nodes was given (`-n`, `--nodes`, `--nodes-file`,
    /// `--node-count`).
    pub(super) fn names_nodes(&self) -> bool {
        !self.node_flags.is_empty()
            || self.nodes.is_some()
            || self.nodes_file.is_some()
            || self.node_count.is_some()
    }
}

/// Parses and validates one option occurrence into `raw` (Maelstrom's parsing and validation
/// of each option); a later occurrence overrides an earlier one, except `-n`. The options come in
/// four groups, each with its own function; the first that knows the option takes it.
pub(super) fn apply(raw: &mut Raw, o: &Occurrence) -> Result<(), String> {
    let _known = apply_cluster(raw, o)?
        || apply_run(&mut raw.opts, o)?
        || apply_workload_option(&mut raw.opts.workload_opts, o)?
        || apply_target(&mut raw.opts, o)?;
    // Anything else (--username, --password, --ssh-private-key) is accepted and ignored: there is
    // no SSH here.
    Ok(())
}

/// What to run and where: `--bin`, `-w`, the node options and `--concurrency`. Ok(false) for
/// any other option.
fn apply_cluster(raw: &mut Raw, o: &Occurrence) -> Result<bool, String> {
    let v = o.value.as_str();
    match o.long {
        "bin" if v.is_empty() => {
            return Err(invalid(
                o,
                "Must be the path of the node program, not empty",
            ))
        }
        "bin" => raw.bin = Some(o.value.clone()),
        "workload" => {
            let names = workload::names(raw.registry);
            if !names.contains(&v) {
                let mut message = format!("Must be one of {}", names.join(", "));
                if let Some(close) = closest(v, &names) {
                    message.push_str(&format!(" (did you mean {close}?)"));
                }
                return Err(invalid(o, &message));
            }
            raw.opts.workload = o.value.clone();
        }
        "node" => raw.node_flags.push(o.value.clone()),
        "nodes" => raw.nodes = Some(split_nodes(v)),
        "nodes-file" => raw.nodes_file = Some(o.value.clone()),
        "concurrency" => {
            let valid = v.strip_suffix('n').unwrap_or(v);
            if valid.is_empty() || !valid.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(o, "Must be an integer, optionally followed by n."));
            }
            raw.concurrency = Some(o.clone());
        }
        "node-count" => match parse_long(v) {
            Some(n) if n > super::nodes::MAX_NODES as i64 => {
                return Err(invalid(
                    o,
                    &format!(
                        "At most {}: each node is a process on this machine",
                        super::nodes::MAX_NODES
                    ),
                ))
            }
            Some(n) if n > 0 => raw.node_count = Some(n as u64),
            Some(_) => return Err(invalid(o, "Must be positive.")),
            // Maelstrom says "Must be positive." to `one` too; like `--time-limit abc`, say why.
            None => return Err(unparsable(o, &format!("\"{v}\" is not a whole number"))),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// How the test runs: its length, rate, network, nemesis and checks. Ok(false) for any other
/// option.
fn apply_run(opts: &mut TestOptions, o: &Occurrence) -> Result<bool, String> {
    let v = o.value.as_str();
    match o.long {
        "run-budget" => match parse_long_strict(o)? {
            n if n > 0 && n <= 1 << 30 => opts.run_budget = (n as u64) << 20,
            _ => {
                return Err(invalid(
                    o,
                    "Must be a whole number of MiB, from 1 to 1073741824",
                ))
            }
        },
        "test-count" => match parse_long_strict(o)? {
            n if n > 0 => opts.test_count = n as u64,
            _ => return Err(invalid(o, "Must be positive")),
        },
        "time-limit" => match parse_long_strict(o)? {
            n if n > 0 => opts.time_limit = n as u64,
            _ => return Err(invalid(o, "Must be positive")),
        },
        "availability" => {
            opts.availability = match v {
                "" => None,
                "total" => Some(Availability::Total),
                _ => match read_number(v) {
                    Some(a) if (0.0..=1.0).contains(&a) => Some(Availability::AtLeast(a)),
                    _ => {
                        return Err(invalid(
                            o,
                            "must be either 'total' or a number between 0 and 1.",
                        ))
                    }
                },
            }
        }
        "latency" => match parse_long(v) {
            Some(n) if n >= 0 => opts.latency = n as u64,
            Some(_) => return Err(invalid(o, "Must be non-negative")),
            None => return Err(invalid(o, "Must be a whole number of ms, 0 or more")),
        },
        "latency-dist" => {
            opts.latency_dist = match v {
                "constant" => LatencyDist::Constant,
                "uniform" => LatencyDist::Uniform,
                "exponential" => LatencyDist::Exponential,
                _ => return Err(invalid(o, "Must be constant, uniform, or exponential")),
            }
        }
        "nemesis" => {
            // Split on `\s*,\s*` like Maelstrom; every name must be in the fault registry.
            let faults: Vec<&str> = v.split(',').map(str::trim).collect();
            if !faults.iter().all(|f| nemesis::named(f).is_some()) {
                let names: Vec<&str> = nemesis::names().collect();
                return Err(invalid(o, &format!("Must be one of {}", names.join(", "))));
            }
            opts.nemesis = faults.into_iter().map(str::to_string).collect();
        }
        "nemesis-interval" => match read_number(v) {
            Some(x) if x > 0.0 => opts.nemesis_interval = x,
            _ => return Err(invalid(o, "Must be positive")),
        },
        "rate" => match parse_double(o)? {
            x if x.is_nan() || x.is_infinite() => {
                return Err(invalid(o, "Must be a finite number"))
            }
            x if x < 0.0 => return Err(invalid(o, "Can't be negative")),
            x => opts.rate = x,
        },
        "topology" => {
            opts.topology = match v {
                "grid" => TopologyKind::Grid,
                "line" => TopologyKind::Line,
                "total" => TopologyKind::Total,
                "tree" | "tree2" => TopologyKind::Tree(2),
                "tree3" => TopologyKind::Tree(3),
                "tree4" => TopologyKind::Tree(4),
                _ => {
                    return Err(invalid(
                        o,
                        "Must be one of grid, line, total, tree, tree2, tree3, tree4",
                    ))
                }
            }
        }
        "seed" => match parse_long_strict(o)? {
            n if n >= 0 => opts.seed = Some(n as u64),
            _ => return Err(invalid(o, "Must be non-negative")),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// The options only some workloads read (`WorkloadOptions`). Ok(false) for any other option.
fn apply_workload_option(opts: &mut WorkloadOptions, o: &Occurrence) -> Result<bool, String> {
    let v = o.value.as_str();
    match o.long {
        "consistency-models" => opts.consistency_models = consistency_models(o)?,
        "key-count" => opts.key_count = Some(bounded_count(o, MAX_KEY_COUNT, KEY_COUNT_WHY)?),
        "max-txn-length" => opts.max_txn_length = bounded_count(o, MAX_TXN_LENGTH, TXN_SIZE_WHY)?,
        "max-writes-per-key" => {
            opts.max_writes_per_key = bounded_count(o, MAX_WRITES_PER_KEY, TXN_SIZE_WHY)?
        }
        "linearizable-time-limit" => match parse_double(o)? {
            x if x > 0.0 && x <= MAX_LINEARIZABLE_SECONDS => opts.linearizable_time_limit = x,
            _ => {
                return Err(invalid(
                    o,
                    "Must be a positive number of seconds, at most 1000000",
                ))
            }
        },
        "linearizable-memory-limit" => match parse_long(v) {
            Some(n) if (1..=MAX_LINEARIZABLE_MB).contains(&n) => {
                opts.linearizable_memory_limit_mb = n as u64
            }
            _ => {
                return Err(invalid(
                    o,
                    "Must be a whole number of MB, from 1 to 1048576",
                ))
            }
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// The largest `--linearizable-time-limit` (about 11 days) and `--linearizable-memory-limit`
/// (1 TiB): beyond them a limit is a typo, not a budget.
pub(super) const MAX_LINEARIZABLE_SECONDS: f64 = 1_000_000.0;
pub(super) const MAX_LINEARIZABLE_MB: i64 = 1 << 20;

/// The largest `--key-count`: Elle's exponential key choice (each active key twice as likely
/// as the one before, `elle/txn.clj`'s `rand-key`) never picks a key more than about 60 places
/// below the last, and past 1022 keys its scale overflows (Maelstrom's generator then fails,
/// ours would pick only the last key); the pool is also held whole, as Elle holds it.
pub(super) const MAX_KEY_COUNT: u64 = 1000;
const KEY_COUNT_WHY: &str = "each active key is twice as likely as the one before, so a key \
    more than about 60 places from the last is never chosen";

/// The largest `--max-txn-length` and `--max-writes-per-key`, each on its own: a transaction
/// and a correct node's reply to it must fit the 8 MiB a message may have
/// (`process::MAX_MESSAGE_BYTES`), so that a correct node is never blamed for answering the
/// runner's own request and the runner never holds gigabytes of one; together they must also
/// pass [`check_txn_sizes`] (a txn-list-append read returns a key's whole list).
pub(super) const MAX_TXN_LENGTH: u64 = 1000;
pub(super) const MAX_WRITES_PER_KEY: u64 = 1_000_000;
const TXN_SIZE_WHY: &str = "a transaction and a correct node's reply to it must fit the \
    8 MiB a message may have";

/// An upper bound of the bytes of a correct node's reply to the largest transaction the
/// generator can make: `--max-txn-length` reads (`["r",<key>,[1,2,...]]`), each of a list of
/// `--max-writes-per-key` values (txn-list-append), keys of up to 19 digits, and the envelope.
pub(super) fn largest_txn_reply(max_txn_length: u64, max_writes_per_key: u64) -> u128 {
    let value_bytes = max_writes_per_key.to_string().len() as u128 + 1;
    let per_read = 30 + max_writes_per_key as u128 * value_bytes;
    200 + max_txn_length as u128 * per_read
}

/// `--max-txn-length` and `--max-writes-per-key` together, for `txn-list-append`, whose reads
/// return whole lists: the largest reply ([`largest_txn_reply`]) must fit a message. Other
/// workloads' replies do not grow with their product (txn-rw-register's reads return one
/// value), so only the bounds of each option apply to them.
pub(super) fn check_txn_sizes(workload: &str, w: &WorkloadOptions) -> Result<(), String> {
    if workload != "txn-list-append" {
        return Ok(());
    }
    let bytes = largest_txn_reply(w.max_txn_length, w.max_writes_per_key);
    if bytes <= crate::process::MAX_MESSAGE_BYTES as u128 {
        return Ok(());
    }
    Err(format!(
        "--max-txn-length {} with --max-writes-per-key {} (each as given, or its default): a \
         transaction of {} reads of lists of {} values would make a correct txn-list-append \
         node's reply about {} MB, more than the 8 MiB a message may have, and the node would \
         be blamed for it; lower one of them",
        w.max_txn_length,
        w.max_writes_per_key,
        w.max_txn_length,
        w.max_writes_per_key,
        bytes / 1_000_000
    ))
}

/// A positive whole number up to `max` (`--key-count`, `--max-txn-length`,
/// `--max-writes-per-key`); `why` says where the bound comes from.
fn bounded_count(o: &Occurrence, max: u64, why: &str) -> Result<u64, String> {
    let digits = o.value.strip_prefix('+').unwrap_or(&o.value);
    let whole = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    match parse_long(&o.value) {
        Some(n) if n > 0 && n as u64 <= max => Ok(n as u64),
        // Past `max`, or too many digits for a long (`99999999999999999999`).
        Some(n) if n > 0 => Err(invalid(o, &format!("At most {max}: {why}"))),
        None if whole && !digits.trim_start_matches('0').is_empty() => {
            Err(invalid(o, &format!("At most {max}: {why}")))
        }
        Some(_) => Err(invalid(o, "must be positive")),
        None => Err(unparsable(
            o,
            &format!("\"{}\" is not a whole number", o.value),
        )),
    }
}

/// Our performance targets (`--max-*`), judged by the `:targets` checker. Ok(false) for any
/// other option.
fn apply_target(opts: &mut TestOptions, o: &Occurrence) -> Result<bool, String> {
    let v = o.value.as_str();
    match o.long {
        "max-msgs-per-op" => match parse_double(o)? {
            x if x.is_finite() && x >= 0.0 => opts.max_msgs_per_op = Some(x),
            _ => return Err(invalid(o, "Must be a non-negative number")),
        },
        "max-median-latency" => match parse_long(v) {
            Some(n) if n >= 0 => opts.max_median_latency_ms = Some(n as u64),
            _ => return Err(invalid(o, "Must be a whole number of ms, 0 or more")),
        },
        "max-latency" => match parse_long(v) {
            Some(n) if n >= 0 => opts.max_latency_ms = Some(n as u64),
            _ => return Err(invalid(o, "Must be a whole number of ms, 0 or more")),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// The known name closest to a mistyped one (`broadcast` for `brodcast`), by the Jaro
/// similarity clap uses for its "did you mean" on options; None when nothing is close.
pub(super) fn closest<'a>(typed: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|name| (strsim::jaro(typed, name), *name))
        .filter(|(similarity, _)| *similarity > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

/// `Failed to validate "<option as typed> <value>": <message>`.
pub(super) fn invalid(o: &Occurrence, message: &str) -> String {
    format!("Failed to validate \"{} {}\": {message}", o.typed, o.value)
}

/// `Error while parsing option "<option as typed> <value>": <message>`.
pub(super) fn unparsable(o: &Occurrence, message: &str) -> String {
    format!(
        "Error while parsing option \"{} {}\": {message}",
        o.typed, o.value
    )
}

/// Java's `Long.parseLong` (`--time-limit`, `--test-count`): garbage is a parse error.
pub(super) fn parse_long_strict(o: &Occurrence) -> Result<i64, String> {
    parse_long(&o.value).ok_or_else(|| {
        let digits = o.value.strip_prefix(['+', '-']).unwrap_or(&o.value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            unparsable(
                o,
                &format!(
                    "\"{}\" is too large: a whole number here is at most {} and at least {}",
                    o.value,
                    i64::MAX,
                    i64::MIN
                ),
            )
        } else {
            unparsable(o, &format!("\"{}\" is not a whole number", o.value))
        }
    })
}

/// Clojure's `parse-long`: an optional sign and decimal digits, else nothing.
pub(super) fn parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Clojure's reader on a number (`--nemesis-interval`, `--availability`): integers, decimals
/// (`0.5`, `1e3`) and ratios (`1/2`). Anything else is not a number.
pub(super) fn read_number(s: &str) -> Option<f64> {
    if let Some((num, den)) = s.split_once('/') {
        let (num, den) = (parse_long(num)?, parse_long(den)?);
        if den <= 0 {
            return None;
        }
        return Some(num as f64 / den as f64);
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Java's `Double.parseDouble` (`--rate`): surrounding whitespace is fine, garbage is a parse
/// error.
pub(super) fn parse_double(o: &Occurrence) -> Result<f64, String> {
    let s = o.value.trim();
    let plain = s.strip_prefix(['+', '-']).unwrap_or(s);
    let looks_numeric = plain.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    match s.parse::<f64>() {
        Ok(x) if looks_numeric => Ok(x),
        _ if s.is_empty() => Err(unparsable(o, "the value is empty, not a number")),
        _ => Err(unparsable(o, &format!("\"{}\" is not a number", o.value))),
    }
}

/// `--nodes`: split on `,\s*` (so `n1, n2` works); a trailing comma adds nothing.
pub(super) fn split_nodes(list: &str) -> Vec<String> {
    let mut nodes: Vec<String> = list
        .split(',')
        .map(|n| n.trim_start().to_string())
        .collect();
    while nodes.last().is_some_and(|n| n.is_empty()) {
        nodes.pop();
    }
    nodes
}

/// `--consistency-models`: a plain comma-separated list of Elle's model names (the README's deliberate differences).
pub(super) fn consistency_models(o: &Occurrence) -> Result<Vec<String>, String> {
    let names: Vec<String> = o
        .value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.trim_start_matches(':').to_string())
        .collect();
    if names.is_empty() {
        return Err(invalid(o, "Must name at least one consistency model"));
    }
    let known = model::all_models();
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| !known.contains(n.as_str()))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(names)
    } else {
        Err(invalid(
            o,
            &format!(
                "Unknown consistency model {}; known models are: {}",
                unknown.join(", "),
                known.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::test_opts;
    use crate::cli::{parse, Command};

    /// Number forms Maelstrom's parsers accept.
    #[test]
    fn number_forms() {
        let o = test_opts(
            "test --bin x --rate 1e3 --nemesis-interval 1/2 --availability 0.99 --time-limit +5",
        );
        assert_eq!((o.rate, o.nemesis_interval, o.time_limit), (1000.0, 0.5, 5));
        assert_eq!(o.availability, Some(Availability::AtLeast(0.99)));
        let o = test_opts("test --bin x --rate 0 --availability total --nemesis-interval 3");
        assert_eq!((o.rate, o.nemesis_interval), (0.0, 3.0));
        assert_eq!(o.availability, Some(Availability::Total));
        assert_eq!(
            test_opts("test --bin x --availability 1").availability,
            Some(Availability::AtLeast(1.0))
        );
        let o = parse(&[
            "test".into(),
            "-w".into(),
            "echo".into(),
            "--bin".into(),
            "x".into(),
            "--availability".into(),
            String::new(),
        ]);
        assert!(matches!(
            o,
            Ok(Command::Test(TestOptions {
                availability: None,
                ..
            }))
        ));
    }
}
