//! `maelstrom doc [protocol|workloads]`: prints the runner's own reference, the files
//! `maelstrom/doc/protocol.md` and `maelstrom/doc/workloads.md`, built into the binary so that it
//! works from any directory. Maelstrom's `doc` command writes its `doc/protocol.md` and
//! `doc/workloads.md`; error texts point readers here instead of to files this repository lacks.

/// The node protocol: streams, envelope, `init`, error codes, services.
const PROTOCOL: &str = include_str!("../../doc/protocol.md");
/// Each workload's RPCs and what its checker asks.
const WORKLOADS: &str = include_str!("../../doc/workloads.md");

/// The text to print for `doc`'s arguments, or the argument error (exit 254).
pub(super) fn text(args: &[String]) -> Result<String, String> {
    match args {
        [] => Ok(format!("{PROTOCOL}\n{WORKLOADS}")),
        [topic] if topic == "protocol" => Ok(PROTOCOL.to_string()),
        [topic] if topic == "workloads" => Ok(WORKLOADS.to_string()),
        [topic] if topic == "-h" || topic == "--help" => Ok(USAGE.to_string()),
        _ => Err(format!("Unknown doc topic {:?}. {USAGE}", args.join(" "))),
    }
}

const USAGE: &str = "Usage: maelstrom doc [protocol|workloads]: prints the runner's reference \
                     (maelstrom/doc/protocol.md, maelstrom/doc/workloads.md); both without a topic.\n";

#[cfg(test)]
mod tests {
    use super::*;

    /// Each topic prints its own file, no topic prints both, anything else is an error.
    #[test]
    fn topics() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert!(text(&words("protocol"))
            .unwrap()
            .starts_with("# The protocol a node speaks"));
        assert!(text(&words("workloads")).unwrap().contains("## kafka"));
        let both = text(&[]).unwrap();
        assert!(both.contains("## init") && both.contains("## broadcast"));
        assert!(text(&words("nope"))
            .unwrap_err()
            .contains("Unknown doc topic \"nope\""));
    }
}
