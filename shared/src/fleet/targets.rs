//! Which contexts `--contexts` and `--all-contexts` name: each pattern in the order given, a
//! glob's matches sorted by name (as a shell expands them), an exact name as it is, each
//! context once. A pattern that matches nothing is reported, not fatal, unless nothing
//! matches at all.

use super::glob::{is_glob, matches};
use crate::error::{Error, Result};

/// The contexts to read among `names` (the merged kubeconfig's, in file order), and an error
/// for each pattern that matched none. `where_` names the kubeconfig files for hints.
pub(super) fn pick(
    names: &[String],
    patterns: &[String],
    all: bool,
    where_: &str,
) -> Result<(Vec<String>, Vec<Error>)> {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    if all {
        if sorted.is_empty() {
            return Err(Error::runtime(format!("the kubeconfig has no contexts ({where_})"))
                .hint("add one with kubectl config set-context"));
        }
        let mut all: Vec<String> = sorted.into_iter().cloned().collect();
        all.dedup();
        return Ok((all, vec![]));
    }
    let patterns: Vec<&str> = patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    if patterns.is_empty() {
        return Err(Error::usage("--contexts needs at least one context name or pattern"));
    }
    let mut picked: Vec<String> = vec![];
    let mut unmatched = vec![];
    for pattern in &patterns {
        let hits: Vec<&String> = if is_glob(pattern) {
            sorted.iter().copied().filter(|n| matches(pattern, n)).collect()
        } else {
            names.iter().filter(|n| n.as_str() == *pattern).take(1).collect()
        };
        if hits.is_empty() {
            unmatched.push(no_match(pattern, &sorted, where_));
        }
        for hit in hits {
            if !picked.contains(hit) {
                picked.push(hit.clone());
            }
        }
    }
    if picked.is_empty() {
        return Err(match unmatched.len() {
            1 => unmatched.remove(0),
            _ => Error::runtime(format!("no context matches {}", quoted(&patterns))).hint(listing(&sorted, where_)),
        });
    }
    Ok((picked, unmatched))
}

fn no_match(pattern: &str, sorted: &[&String], where_: &str) -> Error {
    let message = if is_glob(pattern) {
        format!("no context matches \"{pattern}\"")
    } else {
        format!("context \"{pattern}\" does not exist")
    };
    Error::runtime(message).hint(listing(sorted, where_))
}

fn quoted(patterns: &[&str]) -> String {
    patterns.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ")
}

/// The contexts there are, for a hint: the first ten by name, and where they are read from.
fn listing(sorted: &[&String], where_: &str) -> String {
    const SHOWN: usize = 10;
    if sorted.is_empty() {
        return format!("the kubeconfig has no contexts ({where_})");
    }
    let mut names: Vec<&str> = sorted.iter().take(SHOWN).map(|n| n.as_str()).collect();
    let more = sorted.len().saturating_sub(SHOWN);
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    names.dedup();
    format!("the contexts are {}{tail} (kubectl config get-contexts; read from {where_})", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["staging", "prod-us", "prod-eu", "dev", "prod-ap"].iter().map(|s| s.to_string()).collect()
    }

    fn p(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn patterns_keep_their_order_and_globs_sort_their_matches() {
        let (picked, unmatched) = pick(&names(), &p(&["staging", "prod-*", "prod-eu"]), false, "/k").expect("picks");
        assert_eq!(picked, ["staging", "prod-ap", "prod-eu", "prod-us"], "each context once");
        assert!(unmatched.is_empty());
        let (picked, _) = pick(&names(), &[], true, "/k").expect("all");
        assert_eq!(picked, ["dev", "prod-ap", "prod-eu", "prod-us", "staging"], "--all-contexts: by name");
        let (picked, _) = pick(&names(), &p(&["*-e?"]), false, "/k").expect("glob");
        assert_eq!(picked, ["prod-eu"]);
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_reported_and_the_rest_are_read() {
        let (picked, unmatched) = pick(&names(), &p(&["dev", "qa-*", "prd-us"]), false, "/k").expect("picks");
        assert_eq!(picked, ["dev"]);
        let messages: Vec<String> = unmatched.iter().map(|e| e.message.clone()).collect();
        assert_eq!(messages, ["no context matches \"qa-*\"", "context \"prd-us\" does not exist"]);
        assert_eq!(
            unmatched[0].hints,
            ["the contexts are dev, prod-ap, prod-eu, prod-us, staging (kubectl config get-contexts; read from /k)"]
        );
        let e = pick(&names(), &p(&["qa-*"]), false, "/k").expect_err("nothing at all");
        assert_eq!((e.message.as_str(), e.exit_code()), ("no context matches \"qa-*\"", 1));
        let e = pick(&names(), &p(&["qa-*", "x"]), false, "/k").expect_err("nothing at all");
        assert_eq!(e.message, "no context matches \"qa-*\", \"x\"");
        let e = pick(&names(), &p(&["", " "]), false, "/k").expect_err("empty");
        assert!(e.is_usage());
        let e = pick(&[], &[], true, "/k").expect_err("no contexts");
        assert_eq!(e.message, "the kubeconfig has no contexts (/k)");
    }

    #[test]
    fn a_long_list_of_contexts_is_cut_in_hints() {
        let many: Vec<String> = (0..25).map(|i| format!("c{i:02}")).collect();
        let (_, unmatched) = pick(&many, &p(&["c00", "zz"]), false, "/k").expect("picks");
        assert!(unmatched[0].hints[0].contains("c09 and 15 more"), "{:?}", unmatched[0].hints);
    }
}
