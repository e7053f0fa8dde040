//! Label selectors as the API server evaluates them: Service-style maps and
//! `metav1.LabelSelector` (`matchLabels` plus `In`/`NotIn`/`Exists`/`DoesNotExist`), and their
//! kubectl-style text form (`app=web,tier in (a,b)`).
//!
//! Evaluation is kube-core's [`Selector`]; the text form of a `LabelSelector` is written here,
//! because kube-core sorts the values of `in`/`notin` and this keeps them as the object lists
//! them (and names an unknown operator rather than failing).

#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::core::{Selector, SelectorExt};

/// Labels of an object.
pub type Labels = BTreeMap<String, String>;

/// True when every `key=value` of a map selector is in `labels`. An empty map selects nothing
/// for Services (they then have no selector) — callers decide; this answers "all match".
pub fn map_matches(selector: &Labels, labels: &Labels) -> bool {
    Selector::from_iter(selector.clone()).matches(labels)
}

/// True when a `metav1.LabelSelector` selects `labels`. An empty selector selects everything;
/// one with an operator the API server does not know selects nothing.
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    let mut selector = selector.clone();
    // `In`/`NotIn` without values: the API server refuses to store them; an absent list reads
    // as an empty one here rather than failing the whole selector.
    for e in selector.match_expressions.iter_mut().flatten() {
        e.values.get_or_insert_with(Vec::new);
    }
    Selector::try_from(selector).is_ok_and(|s| s.matches(labels))
}

/// `app=web,tier=db` for a map selector.
pub fn map_to_string(selector: &Labels) -> String {
    Selector::from_iter(selector.clone()).to_string()
}

/// kubectl's text form of a `metav1.LabelSelector`.
pub fn to_string(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => format!("{} {op} ({values})", e.key),
        });
    }
    if parts.is_empty() { "<all>".into() } else { parts.join(",") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn map_selectors_need_every_pair() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        assert!(map_matches(&labels(&[("app", "web")]), &pod));
        assert!(!map_matches(&labels(&[("app", "web"), ("tier", "db")]), &pod));
    }

    #[test]
    fn label_selectors_follow_the_api_server() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|s| s.to_string()).collect()),
        };
        let sel =
            |exprs: Vec<LabelSelectorRequirement>| LabelSelector { match_labels: None, match_expressions: Some(exprs) };
        assert!(matches(&LabelSelector::default(), &pod), "empty selects all");
        assert!(matches(&sel(vec![req("tier", "In", &["front", "back"])]), &pod));
        assert!(!matches(&sel(vec![req("tier", "NotIn", &["front"])]), &pod));
        assert!(matches(&sel(vec![req("env", "DoesNotExist", &[])]), &pod));
        assert!(!matches(&sel(vec![req("env", "Exists", &[])]), &pod));
        assert_eq!(
            to_string(&sel(vec![req("tier", "In", &["a", "b"]), req("x", "DoesNotExist", &[])])),
            "tier in (a,b),!x"
        );
    }

    #[test]
    fn edge_cases_keep_their_meaning() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        let with = |e: LabelSelectorRequirement| LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![e]),
        };
        let bare =
            |key: &str, op: &str| LabelSelectorRequirement { key: key.into(), operator: op.into(), values: None };
        assert!(!matches(&with(bare("tier", "In")), &pod), "In without values selects nothing");
        assert!(matches(&with(bare("tier", "NotIn")), &pod), "NotIn without values excludes nothing");
        assert!(!matches(&with(bare("tier", "Gt")), &pod), "an unknown operator selects nothing");
        assert!(!matches(&with(bare("tier", "DoesNotExist")), &pod));
        let other = LabelSelector { match_labels: Some(labels(&[("app", "db")])), match_expressions: None };
        assert!(!matches(&other, &pod), "matchLabels and expressions both apply");
        assert!(map_matches(&Labels::new(), &pod), "an empty map matches all");
        assert_eq!(map_to_string(&labels(&[("tier", "db"), ("app", "web")])), "app=web,tier=db");
        assert_eq!(map_to_string(&Labels::new()), "");
        assert_eq!(to_string(&with(bare("x", "Gt"))), "app=web,x Gt ()");
        assert_eq!(to_string(&LabelSelector::default()), "<all>");
        assert_eq!(
            to_string(&LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["b".into(), "a".into()]),
                }]),
            }),
            "tier notin (b,a)",
            "values in the object's order"
        );
    }
}
