//! Splitting the command line as tools.cli does, and matching it with clap.
//!
//! A small tokenizer splits the command line as tools.cli does and takes out what the option
//! table lacks (an error each, in place, with clap's "did you mean" suggestion); clap then does
//! the matching (long and short names, `--`, repeated options, options anywhere among the
//! trailing arguments).

use clap::{Arg, ArgAction, ArgMatches};

use super::table::{find_long, find_short, OptSpec};

/// The command line split the way tools.cli's `tokenize-args` splits it and checked against an
/// option table, before clap sees it. clap stops at the first option it does not know, but
/// tools.cli reports every bad token, so those are taken out here and reported in order.
pub(super) struct Tokens {
    /// What clap matches: known options, each value-taking one followed by its value as a token
    /// of its own (so an error can quote `"<option as typed> <value>"`), trailing arguments, and
    /// `--` with everything after it verbatim.
    pub(super) clap: Vec<String>,
    /// tools.cli's errors for the options left out of `clap`, each with the number of `clap`
    /// tokens before it: its place among the errors found later in option values.
    pub(super) errors: Vec<(usize, String)>,
}

/// Splits `args` into [`Tokens`] like tools.cli: `--opt=value` and `-wvalue` become two tokens,
/// the token after a value-taking option is its value even if it starts with `-`, short
/// clusters (`-hn n1`) are expanded, and an option the table lacks is an error, not a trailing
/// argument (its `=value`, if any, goes with it; a separate next token stays an argument).
pub(super) fn tokenize(specs: &[OptSpec], args: &[String]) -> Tokens {
    let mut tokens = Tokens {
        clap: Vec::with_capacity(args.len() + 2),
        errors: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(token) = rest.next() {
        if token == "--" {
            tokens.clap.push(token.clone());
            tokens.clap.extend(rest.by_ref().cloned());
        } else if let Some(long) = token.strip_prefix("--") {
            tokens.long_option(specs, long, &mut rest);
        } else if let Some(cluster) = token.strip_prefix('-').filter(|c| !c.is_empty()) {
            tokens.short_options(specs, cluster, &mut rest);
        } else {
            tokens.clap.push(token.clone());
        }
    }
    tokens
}

impl Tokens {
    /// `--name`, `--name value` or `--name=value`.
    pub(super) fn long_option<'a>(
        &mut self,
        specs: &[OptSpec],
        long: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) {
        let (name, inline_value) = match long.split_once('=') {
            Some((name, value)) if !name.is_empty() => (name, Some(value)),
            _ => (long, None),
        };
        let typed = format!("--{name}");
        match (find_long(specs, name), inline_value) {
            (None, _) => self.error(match suggestion(specs, name) {
                Some(known) => format!("Unknown option: \"{typed}\" (did you mean {known}?)"),
                None => format!("Unknown option: \"{typed}\""),
            }),
            (Some(OptSpec { arg: None, .. }), None) => self.clap.push(typed),
            // tools.cli ignores the value; a flag given one is more likely a typo worth naming.
            (Some(OptSpec { arg: None, .. }), Some(_)) => {
                self.error(format!("Option \"{typed}\" takes no argument"))
            }
            (Some(OptSpec { arg: Some(arg), .. }), inline_value) => {
                let value = inline_value
                    .map(str::to_string)
                    .or_else(|| rest.next().cloned());
                self.option_with_value(typed, arg, value);
            }
        }
    }

    /// `-x`, or a cluster `-xyz`: each letter is an option until one takes a value, which is the
    /// rest of the cluster (`-wecho`) or else the next token (`-hw echo`).
    pub(super) fn short_options<'a>(
        &mut self,
        specs: &[OptSpec],
        cluster: &str,
        rest: &mut impl Iterator<Item = &'a String>,
    ) {
        for (i, c) in cluster.char_indices() {
            let typed = format!("-{c}");
            match find_short(specs, c) {
                None => self.error(format!("Unknown option: \"{typed}\"")),
                Some(OptSpec { arg: None, .. }) => self.clap.push(typed),
                Some(OptSpec { arg: Some(arg), .. }) => {
                    let tail = &cluster[i + c.len_utf8()..];
                    let value = match tail {
                        "" => rest.next().cloned(),
                        _ => Some(tail.to_string()),
                    };
                    self.option_with_value(typed, arg, value);
                    return;
                }
            }
        }
    }

    /// A value-taking option and its value, or tools.cli's error when the command line ended.
    pub(super) fn option_with_value(&mut self, typed: String, arg: &str, value: Option<String>) {
        match value {
            Some(value) => self.clap.extend([typed, value]),
            None => self.error(format!("Missing required argument for \"{typed} {arg}\"")),
        }
    }

    pub(super) fn error(&mut self, message: String) {
        self.errors.push((self.clap.len(), message));
    }
}

/// The clap command for a table of options: every value option may repeat (the last one wins,
/// except `-n`, which accumulates), values may start with `-`, and everything else is a trailing
/// argument.
pub(super) fn clap_command(name: &'static str, specs: &[OptSpec]) -> clap::Command {
    let mut cmd = clap::Command::new(name)
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("args")
                .num_args(0..)
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(String)),
        );
    for spec in specs {
        let mut arg = Arg::new(spec.long).long(spec.long);
        if let Some(c) = spec.short {
            arg = arg.short(c);
        }
        arg = match spec.arg {
            Some(name) => arg
                .value_name(name)
                .num_args(1)
                .allow_hyphen_values(true)
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(String)),
            None => arg.action(ArgAction::Count),
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// clap's "did you mean" for an unknown long option (`--node-count` for `--node-cout`), or None
/// when no known option is close enough.
fn suggestion(specs: &[OptSpec], name: &str) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let typed = format!("--{name}");
    let error = clap_command("maelstrom", specs)
        .try_get_matches_from([typed.as_str()])
        .err()?;
    match error.get(ContextKind::SuggestedArg)? {
        ContextValue::String(known) => Some(known.clone()),
        _ => None,
    }
}

/// One option occurrence, in command-line order.
#[derive(Clone)]
pub(super) struct Occurrence {
    /// The option as typed (`-w`, `--workload`).
    pub(super) typed: String,
    pub(super) long: &'static str,
    pub(super) value: String,
    /// Where the option sits among the tokens clap matched (see [`Tokens::errors`]).
    pub(super) position: usize,
}

/// Parsed matches: option occurrences in order, flags seen, trailing arguments, and the errors
/// found while tokenizing.
pub(super) struct Matches {
    pub(super) occurrences: Vec<Occurrence>,
    pub(super) flags: Vec<&'static str>,
    pub(super) trailing: Vec<String>,
    /// Unknown options and missing values, with their positions (see [`Tokens::errors`]).
    pub(super) token_errors: Vec<(usize, String)>,
}

impl Matches {
    /// Every error in command-line order, as tools.cli reports them: the tokenizer's, and
    /// `check` run on each option occurrence.
    pub(super) fn errors_in_order(
        &self,
        mut check: impl FnMut(&Occurrence) -> Result<(), String>,
    ) -> Vec<String> {
        let mut errors = self.token_errors.clone();
        for o in &self.occurrences {
            if let Err(e) = check(o) {
                errors.push((o.position, e));
            }
        }
        // Stable: at equal positions the tokenizer's error came first (its token was dropped
        // just before the option's).
        errors.sort_by_key(|(position, _)| *position);
        errors.into_iter().map(|(_, e)| e).collect()
    }
}

/// Tokenizes, runs clap over what is left, and collects option occurrences in order. The error
/// is every message to print, should clap still reject something.
pub(super) fn run_clap(
    name: &'static str,
    specs: &[OptSpec],
    args: &[String],
) -> Result<Matches, Vec<String>> {
    let Tokens {
        clap: tokens,
        errors: token_errors,
    } = tokenize(specs, args);
    let matches: ArgMatches = match clap_command(name, specs).try_get_matches_from(&tokens) {
        Ok(m) => m,
        Err(e) => {
            let mut errors: Vec<String> = token_errors.into_iter().map(|(_, e)| e).collect();
            errors.push(clap_error_text(&e));
            return Err(errors);
        }
    };
    let mut occurrences = Vec::new();
    let mut flags = Vec::new();
    for spec in specs {
        if spec.arg.is_none() {
            if matches.get_count(spec.long) > 0 {
                flags.push(spec.long);
            }
            continue;
        }
        let (Some(indices), Some(values)) = (
            matches.indices_of(spec.long),
            matches.get_many::<String>(spec.long),
        ) else {
            continue;
        };
        for (index, value) in indices.zip(values) {
            // clap's index of a value is its position in `tokens` plus one (clap counts a
            // binary-name slot even without one), and the option as typed is the token before
            // the value.
            let position = index.saturating_sub(2);
            let typed = tokens
                .get(position)
                .cloned()
                .unwrap_or_else(|| format!("--{}", spec.long));
            occurrences.push(Occurrence {
                typed,
                long: spec.long,
                value: value.clone(),
                position,
            });
        }
    }
    occurrences.sort_by_key(|o| o.position);
    let trailing = matches
        .get_many::<String>("args")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    Ok(Matches {
        occurrences,
        flags,
        trailing,
        token_errors,
    })
}

/// clap's own first line, without its "error: " prefix. [`tokenize`] leaves clap nothing it
/// should reject, so this is a fallback that at least says what clap saw.
pub(super) fn clap_error_text(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let line = text.lines().next().unwrap_or("invalid arguments");
    line.trim_start_matches("error: ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::table::TEST_OPTS;
    use crate::cli::tests::{args, error, test_opts};
    use crate::cli::{parse, Command};

    /// Short clusters expand like tools.cli's: each unknown letter is an error, a value letter takes the rest.
    #[test]
    fn short_option_clusters() {
        let names = crate::workload::names(crate::workload::REGISTRY).join(", ");
        assert_eq!(
            error("test --bin x -zyw nope -q"),
            format!(
                "Unknown option: \"-z\"\n\
                 Unknown option: \"-y\"\n\
                 Failed to validate \"-w nope\": Must be one of {names}\n\
                 Unknown option: \"-q\""
            )
        );
        assert_eq!(
            error("test --bin x -zwecho --rate -1"),
            "Unknown option: \"-z\"\n\
             Failed to validate \"--rate -1\": Can't be negative"
        );
        assert!(matches!(
            parse(&args("test -zh --foo")),
            Ok(Command::Help(_))
        ));
    }

    /// The tokens clap sees: unknown options dropped (with an inline value), values split off, `--` verbatim.
    #[test]
    fn tokenize_drops_unknown_options() {
        let t = tokenize(
            TEST_OPTS,
            &args("a --foo=3 --foo 4 -zwecho --nodes --bar --rate=1 -- --baz -y"),
        );
        assert_eq!(
            t.clap,
            args("a 4 -w echo --nodes --bar --rate 1 -- --baz -y")
        );
        assert_eq!(
            t.errors,
            vec![
                (1, "Unknown option: \"--foo\"".to_string()),
                (1, "Unknown option: \"--foo\"".to_string()),
                (2, "Unknown option: \"-z\"".to_string()),
            ]
        );
    }

    /// After `--` nothing is an option, and a value-taking option's value is never an unknown option.
    #[test]
    fn no_unknown_options_in_values_or_after_double_dash() {
        assert_eq!(
            error("test --bin x --foo -- --bar -z"),
            "Unknown option: \"--foo\""
        );
        let o = test_opts("test --bin x --nodes --foo,n2 -- --bar");
        assert_eq!(o.nodes, vec!["--foo", "n2"]);
        assert_eq!(o.node_args, vec!["--bar"]);
    }

    /// A mistyped option gets clap's suggestion of the option that was probably meant.
    #[test]
    fn unknown_options_get_suggestions() {
        assert_eq!(
            error("test --bin x --node-cout 3"),
            "Unknown option: \"--node-cout\" (did you mean --node-count?)"
        );
        assert_eq!(
            error("test --bin x --time-limt=5"),
            "Unknown option: \"--time-limt\" (did you mean --time-limit?)"
        );
    }
}
