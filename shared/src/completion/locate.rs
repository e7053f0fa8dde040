//! Following the typed words through the plugin's clap command the way clap will parse them,
//! to know what the last word is: a flag name, a flag's value, a positional or a subcommand.

use std::collections::HashSet;

use clap::{Arg, ArgAction, Args, Command, FromArgMatches};

use super::protocol::{Candidate, directive};
use super::values::Request;
use crate::flags::GlobalFlags;

/// Where the partial word sits.
pub(super) enum Slot {
    /// Flag names or nothing at all: known without the hook or the cluster.
    Static(Vec<Candidate>, u32),
    /// A value: ask the hook, then the generic completers. `subcommands` are offered beside the
    /// values where a subcommand could also stand.
    Value { request: Box<Request>, arg: Box<Arg>, subcommands: Vec<Candidate> },
}

/// Follows the typed words through the (built) command the way clap will parse them, and says
/// what the last word is. `None` when the words cannot be followed (an unknown flag that takes
/// the next word, for example).
pub(super) fn locate(root: &Command, words: &[String]) -> Option<Slot> {
    let (partial, typed) = words.split_last().map_or(("", &[][..]), |(p, t)| (p.as_str(), t));
    let mut cmd = root;
    let mut path: Vec<String> = vec![];
    let mut positionals: Vec<String> = vec![];
    let mut seen: HashSet<String> = HashSet::new();
    let mut globals: Vec<String> = vec![];
    let global_ids = global_ids();
    let mut pending: Option<&Arg> = None;
    let mut only_positionals = false;
    for word in typed {
        if let Some(arg) = pending.take() {
            if global_ids.contains(arg.get_id().as_str()) {
                globals.push(format!("--{}={word}", arg.get_long().unwrap_or_default()));
            }
            continue;
        }
        if only_positionals || word == "-" || !word.starts_with('-') {
            if !only_positionals
                && positionals.is_empty()
                && let Some(sub) = find_subcommand(cmd, word)
            {
                cmd = sub;
                path.push(sub.get_name().to_string());
                continue;
            }
            positionals.push(word.clone());
            continue;
        }
        if word == "--" {
            only_positionals = true;
            continue;
        }
        let (arg, value) = parse_flag(cmd, word)?;
        seen.insert(arg.get_id().to_string());
        match value {
            Some(v) if global_ids.contains(arg.get_id().as_str()) => {
                globals.push(format!("--{}={v}", arg.get_long().unwrap_or_default()));
            }
            Some(_) => {}
            None if takes_value(arg) => pending = Some(arg),
            None => {
                if global_ids.contains(arg.get_id().as_str()) {
                    globals.push(format!("--{}", arg.get_long().unwrap_or_default()));
                }
            }
        }
    }
    let global = parse_globals(&globals);
    let request = |arg: &Arg, flag: bool, partial: &str| {
        Box::new(Request {
            command: path.clone(),
            arg: arg.get_id().to_string(),
            flag,
            positionals: positionals.clone(),
            partial: partial.to_string(),
            global: global.clone(),
        })
    };
    if let Some(arg) = pending {
        return Some(Slot::Value {
            request: request(arg, true, partial),
            arg: Box::new(arg.clone()),
            subcommands: vec![],
        });
    }
    if !only_positionals && partial.starts_with('-') {
        if let Some((name, value)) = partial.split_once('=') {
            let (arg, _) = parse_flag(cmd, &format!("{name}=x"))?;
            return Some(Slot::Value {
                request: request(arg, true, value),
                arg: Box::new(arg.clone()),
                subcommands: vec![],
            });
        }
        return Some(Slot::Static(flag_names(cmd, &seen), directive::NO_FILE_COMP));
    }
    let subcommands = if positionals.is_empty() && !only_positionals { subcommand_names(cmd, partial) } else { vec![] };
    match next_positional(cmd, positionals.len()) {
        Some(arg) => {
            Some(Slot::Value { request: request(arg, false, partial), arg: Box::new(arg.clone()), subcommands })
        }
        None => Some(Slot::Static(subcommands, directive::NO_FILE_COMP)),
    }
}

fn find_subcommand<'c>(cmd: &'c Command, word: &str) -> Option<&'c Command> {
    cmd.get_subcommands().find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
}

/// The argument a flag word names, and its attached value (`--x=v`, `-xv`, `-x=v`).
fn parse_flag<'c>(cmd: &'c Command, word: &str) -> Option<(&'c Arg, Option<String>)> {
    if let Some(long) = word.strip_prefix("--") {
        let (name, value) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (long, None),
        };
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name)))?;
        return Some((arg, value));
    }
    // A cluster of short flags: every one but a value-taking one is a switch; the rest of the
    // word after a value-taking one is its value.
    let shorts = word.strip_prefix('-')?;
    for (i, c) in shorts.char_indices() {
        let arg = cmd.get_arguments().find(|a| a.get_short() == Some(c))?;
        let rest = &shorts[i + c.len_utf8()..];
        if takes_value(arg) {
            let value = rest.strip_prefix('=').unwrap_or(rest);
            return Some((arg, (!value.is_empty()).then(|| value.to_string())));
        }
        if rest.is_empty() {
            return Some((arg, None));
        }
    }
    None
}

/// True when the flag reads the next word as its value (not a switch, not an optional value).
fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values() && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
}

fn next_positional(cmd: &Command, typed: usize) -> Option<&Arg> {
    let mut left = typed;
    for arg in cmd.get_positionals() {
        let max = arg.get_num_args().map_or(1, |n| n.max_values());
        if left < max {
            return Some(arg);
        }
        left -= max;
    }
    None
}

fn flag_names(cmd: &Command, seen: &HashSet<String>) -> Vec<Candidate> {
    let mut out = vec![];
    for arg in cmd.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if seen.contains(arg.get_id().as_str()) && !repeatable {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if let Some(long) = arg.get_long() {
            out.push(Candidate::described(format!("--{long}"), help.clone()));
        }
        if let Some(short) = arg.get_short() {
            out.push(Candidate::described(format!("-{short}"), help));
        }
    }
    out
}

fn subcommand_names(cmd: &Command, partial: &str) -> Vec<Candidate> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        // `completion` is set up once; a new word lists what the plugin itself does (services,
        // presets…), and `comp<TAB>` still finds it.
        .filter(|s| s.get_name() != "completion" || !partial.is_empty())
        .map(|s| Candidate::described(s.get_name(), s.get_about().map(|a| a.to_string()).unwrap_or_default()))
        .collect()
}

fn global_ids() -> HashSet<String> {
    GlobalFlags::augment_args(Command::new("g")).get_arguments().map(|a| a.get_id().to_string()).collect()
}

/// kubectl's global flags from the words typed; defaults when they do not parse (a half-typed
/// `--request-timeout`, say), since completion must still answer.
fn parse_globals(words: &[String]) -> GlobalFlags {
    let cmd = GlobalFlags::augment_args(Command::new("g").no_binary_name(true));
    cmd.try_get_matches_from(words).ok().and_then(|m| GlobalFlags::from_arg_matches(&m).ok()).unwrap_or_default()
}
