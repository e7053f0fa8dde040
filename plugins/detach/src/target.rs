//! Which pods a command names, read the way kubectl reads `TYPE NAME…`, `TYPE/NAME…` and
//! `TYPE -l SELECTOR`, with kubectl's own resolution of the type word (`po`, `pod`, `pods`,
//! `pods.v1.`, …). Only pods can be detached.

use kubectl_kit_core::discovery;

/// The pods a command is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// By name.
    Names(Vec<String>),
    /// By label selector.
    Selector(String),
}

/// Reads the positional words and `-l`. Errors are usage errors, worded like kubectl's.
pub fn parse(words: &[String], selector: Option<&str>) -> Result<Selection, String> {
    let Some(first) = words.first() else {
        return Err("you must specify the type of resource to detach: kubectl detach pod NAME".into());
    };
    let (types, names): (Vec<&str>, Vec<String>) = if first.contains('/') {
        let mut types = vec![];
        let mut names = vec![];
        for w in words {
            let Some((t, n)) = w.split_once('/') else {
                return Err(format!(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl detach pods/{w}' instead of 'kubectl detach pods {w}')"
                ));
            };
            if n.is_empty() {
                return Err(format!("arguments in resource/name form must have a single resource and name: {w:?}"));
            }
            types.push(t);
            names.push(n.to_string());
        }
        (types, names)
    } else {
        if let Some(w) = words[1..].iter().find(|w| w.contains('/')) {
            return Err(format!(
                "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl detach {w}' instead of 'kubectl detach {first} {w}')"
            ));
        }
        (vec![first.as_str()], words[1..].to_vec())
    };
    let catalog = discovery::offline();
    for t in types {
        let is_pod = catalog.resolve(t).is_ok_and(|r| r.winner.group.is_empty() && r.winner.name == "pods");
        if !is_pod {
            return Err(format!("only pods can be detached, not {t:?}"));
        }
    }
    match (selector, names.is_empty()) {
        (Some(_), false) => Err("name cannot be provided when a selector is specified".into()),
        (Some(s), true) => Ok(Selection::Selector(s.to_string())),
        (None, true) => Err("resource(s) were provided, but no name or label selector was specified".into()),
        (None, false) => {
            let mut names = names;
            names.dedup();
            Ok(Selection::Names(names))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_kubectls_forms() {
        assert_eq!(parse(&w(&["pod", "a", "b"]), None), Ok(Selection::Names(w(&["a", "b"]))));
        assert_eq!(parse(&w(&["po", "a"]), None), Ok(Selection::Names(w(&["a"]))));
        assert_eq!(parse(&w(&["pods/a", "po/b"]), None), Ok(Selection::Names(w(&["a", "b"]))));
        assert_eq!(parse(&w(&["pods"]), Some("app=x")), Ok(Selection::Selector("app=x".into())));
        assert_eq!(parse(&w(&["pods.v1."]), Some("app=x")), Ok(Selection::Selector("app=x".into())));
    }

    #[test]
    fn refuses_what_kubectl_refuses_and_other_kinds() {
        assert!(parse(&w(&["pod", "pods/a"]), None).is_err());
        assert!(parse(&w(&["pods/a", "b"]), None).is_err());
        assert!(parse(&w(&["pod", "a"]), Some("x=y")).unwrap_err().contains("selector"));
        assert!(parse(&w(&["pod"]), None).is_err());
        assert!(parse(&w(&["pods/"]), None).is_err());
        assert!(parse(&w(&["deployment", "web"]), None).unwrap_err().contains("only pods"));
        assert!(parse(&w(&["svc/web"]), None).unwrap_err().contains("only pods"));
    }
}
