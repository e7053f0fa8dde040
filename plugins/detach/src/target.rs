//! Which pods a command names, read the way kubectl reads `TYPE NAME…`, `TYPE/NAME…` and
//! `TYPE -l SELECTOR`, with kubectl's own resolution of the type word (`po`, `pod`, `pods`,
//! `pods.v1.`, …). Only pods can be detached or reattached.
//!
//! Every refusal is a usage error, found before any request: it says what was wrong and what
//! the command takes (`error: "nosuch" is not a pod: reattach takes pod NAME…, …`), and where
//! the words say what was meant, a `hint:` with the command to type instead.

use kubectl_kit_core::{Error, discovery};

/// The pods a command is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// By name.
    Names(Vec<String>),
    /// By label selector.
    Selector(String),
}

/// The command whose targets are read: its messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `kubectl detach pod …`.
    Detach,
    /// `kubectl detach reattach pod …`.
    Reattach,
}

impl Verb {
    /// The subcommand's name.
    fn name(self) -> &'static str {
        match self {
            Verb::Detach => "detach",
            Verb::Reattach => "reattach",
        }
    }

    /// What the command does to a pod.
    fn done(self) -> &'static str {
        match self {
            Verb::Detach => "detached",
            Verb::Reattach => "reattached",
        }
    }

    /// The command line up to the targets.
    fn command(self) -> &'static str {
        match self {
            Verb::Detach => "kubectl detach",
            Verb::Reattach => "kubectl detach reattach",
        }
    }

    /// A usage error: what was wrong, then what the command takes.
    fn refuse(self, wrong: impl std::fmt::Display) -> Error {
        Error::usage(format!("{wrong}: {} takes pod NAME…, pods/NAME… or pod -l SELECTOR", self.name()))
    }
}

/// Kinds whose pods are found by a selector that `kubectl describe` shows.
const SELECTING: [&str; 7] =
    ["deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "replicationcontrollers", "services"];

/// Reads the positional words and `-l` of `verb`. Errors are usage errors, worded like
/// kubectl's where kubectl has the same error.
pub fn parse(words: &[String], selector: Option<&str>, verb: Verb) -> Result<Selection, Error> {
    let cmd = verb.command();
    let Some((first, rest)) = words.split_first() else {
        return Err(verb
            .refuse(format!("you must specify the type of resource to {}", verb.name()))
            .hint(format!("{cmd} pod NAME")));
    };
    let (types, names): (Vec<&str>, Vec<String>) = if let Some((first_type, _)) = first.split_once('/') {
        let mut types = vec![];
        let mut names = vec![];
        for w in words {
            let Some((t, n)) = w.split_once('/') else {
                return Err(verb
                    .refuse(format!(
                        "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. '{cmd} pods/{w}' instead of '{cmd} pods {w}')"
                    ))
                    .hint(format!("{cmd} {}", with_type(first_type, words))));
            };
            if n.is_empty() {
                return Err(
                    verb.refuse(format!("arguments in resource/name form must have a single resource and name: {w:?}"))
                );
            }
            types.push(t);
            names.push(n.to_string());
        }
        (types, names)
    } else {
        if let Some(w) = rest.iter().find(|w| w.contains('/')) {
            return Err(verb
                .refuse(format!(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. '{cmd} {w}' instead of '{cmd} {first} {w}')"
                ))
                .hint(format!("{cmd} {}", with_type(first, rest))));
        }
        (vec![first.as_str()], rest.to_vec())
    };
    let catalog = discovery::offline();
    for (i, t) in types.iter().enumerate() {
        let resolved = catalog.resolve(t).ok().map(|r| r.winner);
        if resolved.as_ref().is_some_and(|r| r.group.is_empty() && r.name == "pods") {
            continue;
        }
        let slashed = first.contains('/');
        let what = match (slashed, words.get(i)) {
            (true, Some(w)) => w.as_str(),
            _ => t,
        };
        let wrong = verb.refuse(format!("{what:?} is not a pod (only pods can be {})", verb.done()));
        let name = names.get(i).map_or("NAME", String::as_str);
        let hint = match (resolved, selector) {
            // A word that is no resource type at all is most likely a pod's name.
            (None, Some(s)) => Some(format!("{cmd} pod -l {s}")),
            (None, None) if slashed => Some(format!("{cmd} pods/{name}")),
            (None, None) => Some(format!("{cmd} pod {}", words.join(" "))),
            // The selector of another kind selects its pods too.
            (Some(_), Some(s)) => Some(format!("{cmd} pod -l {s}")),
            (Some(_), None) if verb == Verb::Reattach => Some("kubectl detach list shows the detached pods".into()),
            (Some(r), None) if SELECTING.contains(&r.name.as_str()) => {
                let object = if slashed { what.to_string() } else { format!("{t} {name}") };
                Some(format!("kubectl describe {object} shows its Selector; {cmd} pod -l SELECTOR takes its pods"))
            }
            (Some(_), None) => None,
        };
        return Err(match hint {
            Some(h) => wrong.hint(h),
            None => wrong,
        });
    }
    match (selector, names.is_empty()) {
        (Some(s), false) => Err(verb
            .refuse("name cannot be provided when a selector is specified")
            .hint(format!("{cmd} pod {}, or {cmd} pod -l {s}", names.join(" ")))),
        (Some(s), true) => Ok(Selection::Selector(s.to_string())),
        (None, true) => Err(verb
            .refuse("resource(s) were provided, but no name or label selector was specified")
            .hint(match verb {
                Verb::Detach => "kubectl get pods lists the pods' names",
                Verb::Reattach => "kubectl detach list shows the detached pods",
            })),
        (None, false) => {
            let mut names = names;
            names.dedup();
            Ok(Selection::Names(names))
        }
    }
}

/// The words in `TYPE/NAME` form: those without a type get `t`.
fn with_type(t: &str, words: &[String]) -> String {
    let typed: Vec<String> =
        words.iter().map(|w| if w.contains('/') { w.clone() } else { format!("{t}/{w}") }).collect();
    typed.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    fn refusal(words: &[&str], selector: Option<&str>, verb: Verb) -> Error {
        parse(&w(words), selector, verb).expect_err("refused")
    }

    #[test]
    fn reads_kubectls_forms() {
        let parse = |words: &[&str], sel| parse(&w(words), sel, Verb::Detach).map_err(|e| e.message);
        assert_eq!(parse(&["pod", "a", "b"], None), Ok(Selection::Names(w(&["a", "b"]))));
        assert_eq!(parse(&["po", "a"], None), Ok(Selection::Names(w(&["a"]))));
        assert_eq!(parse(&["pods/a", "po/b"], None), Ok(Selection::Names(w(&["a", "b"]))));
        assert_eq!(parse(&["pods"], Some("app=x")), Ok(Selection::Selector("app=x".into())));
        assert_eq!(parse(&["pods.v1."], Some("app=x")), Ok(Selection::Selector("app=x".into())));
    }

    #[test]
    fn refuses_what_kubectl_refuses_and_other_kinds() {
        let parse = |words: &[&str], sel| parse(&w(words), sel, Verb::Detach).map_err(|e| e.message);
        assert!(parse(&["pod", "pods/a"], None).is_err());
        assert!(parse(&["pods/a", "b"], None).is_err());
        assert!(parse(&["pod", "a"], Some("x=y")).unwrap_err().contains("selector"));
        assert!(parse(&["pod"], None).is_err());
        assert!(parse(&["pods/"], None).is_err());
        assert!(parse(&["deployment", "web"], None).unwrap_err().contains("only pods"));
        assert!(parse(&["svc/web"], None).unwrap_err().contains("only pods"));
    }

    #[test]
    fn every_refusal_is_a_usage_error_naming_the_command_and_what_it_takes() {
        for verb in [Verb::Detach, Verb::Reattach] {
            for (words, sel) in [
                (vec![], None),
                (vec!["nosuch"], None),
                (vec!["nosuch/a"], None),
                (vec!["deployment", "web"], None),
                (vec!["svc/web"], Some("app=x")),
                (vec!["pod", "pods/a"], None),
                (vec!["pods/a", "b"], None),
                (vec!["pods/"], None),
                (vec!["pod", "a"], Some("app=x")),
                (vec!["pod"], None),
            ] {
                let e = refusal(&words, sel, verb);
                assert!(e.is_usage(), "{words:?}: {e:?}");
                let takes = format!(": {} takes pod NAME…, pods/NAME… or pod -l SELECTOR", verb.name());
                assert!(e.message.ends_with(&takes), "{words:?}: {}", e.message);
                let other = match verb {
                    Verb::Detach => "reattach",
                    Verb::Reattach => "be detached",
                };
                assert!(!e.message.contains(other), "{verb:?} {words:?}: {}", e.message);
            }
        }
    }

    #[test]
    fn a_word_that_is_no_type_is_taken_for_a_pods_name() {
        let e = refusal(&["nosuch"], None, Verb::Reattach);
        assert!(e.message.starts_with("\"nosuch\" is not a pod (only pods can be reattached)"), "{}", e.message);
        assert_eq!(e.hints, ["kubectl detach reattach pod nosuch"]);
        let e = refusal(&["web-1", "web-2"], None, Verb::Detach);
        assert!(e.message.starts_with("\"web-1\" is not a pod"), "{}", e.message);
        assert_eq!(e.hints, ["kubectl detach pod web-1 web-2"]);
        assert_eq!(refusal(&["nosuch/a"], None, Verb::Detach).hints, ["kubectl detach pods/a"]);
        assert_eq!(refusal(&["app"], Some("app=x"), Verb::Detach).hints, ["kubectl detach pod -l app=x"]);
    }

    #[test]
    fn another_kind_is_pointed_at_its_pods() {
        let e = refusal(&["deployment", "web"], None, Verb::Detach);
        assert!(e.message.starts_with("\"deployment\" is not a pod (only pods can be detached)"), "{}", e.message);
        assert_eq!(
            e.hints,
            ["kubectl describe deployment web shows its Selector; kubectl detach pod -l SELECTOR takes its pods"]
        );
        let e = refusal(&["svc/web"], None, Verb::Detach);
        assert!(e.message.starts_with("\"svc/web\" is not a pod"), "{}", e.message);
        assert_eq!(
            e.hints,
            ["kubectl describe svc/web shows its Selector; kubectl detach pod -l SELECTOR takes its pods"]
        );
        assert_eq!(refusal(&["deploy"], Some("app=x"), Verb::Reattach).hints, ["kubectl detach reattach pod -l app=x"]);
        assert_eq!(refusal(&["svc/a"], None, Verb::Reattach).hints, ["kubectl detach list shows the detached pods"]);
        assert!(refusal(&["configmap", "c"], None, Verb::Detach).hints.is_empty());
    }

    #[test]
    fn misplaced_types_get_the_command_to_type_instead() {
        assert_eq!(refusal(&["pod", "a", "pods/b"], None, Verb::Detach).hints, ["kubectl detach pod/a pods/b"]);
        assert_eq!(refusal(&["pods/a", "b"], None, Verb::Reattach).hints, ["kubectl detach reattach pods/a pods/b"]);
        assert_eq!(
            refusal(&["pod", "a"], Some("app=x"), Verb::Detach).hints,
            ["kubectl detach pod a, or kubectl detach pod -l app=x"]
        );
    }
}
