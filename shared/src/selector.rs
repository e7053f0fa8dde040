//! Label selectors as the API server evaluates them: Service-style maps and
//! `metav1.LabelSelector` (`matchLabels` plus `In`/`NotIn`/`Exists`/`DoesNotExist`), and their
//! kubectl-style text form (`app=web,tier in (a,b)`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Labels of an object.
pub type Labels = BTreeMap<String, String>;

/// True when every `key=value` of a map selector is in `labels`. An empty map selects nothing
/// for Services (they then have no selector) — callers decide; this answers "all match".
pub fn map_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// True when a `metav1.LabelSelector` selects `labels`. An empty selector selects everything.
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    if let Some(ml) = &selector.match_labels
        && !map_matches(ml, labels)
    {
        return false;
    }
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default();
        let have = labels.get(&e.key);
        let ok = match e.operator.as_str() {
            "In" => have.is_some_and(|v| values.contains(v)),
            "NotIn" => have.is_none_or(|v| !values.contains(v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `app=web,tier=db` for a map selector.
pub fn map_to_string(selector: &Labels) -> String {
    selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
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
}
