//! Resource words to API resources, by kubectl's own rules, from aggregated discovery.
//!
//! Discovery is two requests (`/api` and `/apis` as `apidiscovery.k8s.io/v2`), cached for six hours
//! under `<cache-dir>/discovery/<host>/kubectl-kit.aggregated.json` (dirs 0700, files 0600), so a
//! warm run sends none. A word that the cache cannot resolve triggers one refetch, as kubectl does.
//!
//! [`Catalog::resolve`] replays kubectl's resolution (client-go `restmapper/shortcut.go` and
//! `apimachinery/pkg/api/meta` priority mapping):
//! 1. `resource.version.group` or `resource.group` is split off the word;
//! 2. an exact plural or singular name is kept as it is;
//! 3. else the first short name in discovery order wins (later claimants get kubectl's warning);
//! 4. else, with a group typed, a short name whose group starts with it (`hpa.autoscal`);
//! 5. the resulting resource is matched (plural, singular, lower-cased) across group/versions,
//!    with prefix matching of the group per group/version, and the winner picked by priority:
//!    core v1, then groups in discovery order with their preferred version first;
//! 6. failing all that, the word is tried as a Kind.
//!
//! The parts: `resolve` (kubectl's rules), `cache` (the server, the disk cache and its
//! freshness), `builtin` (the table of built-in short names for when no cluster answers).

mod builtin;
mod cache;
mod resolve;

use kube::client::{APIGroupDiscoveryList, APIResourceDiscovery};
use serde::Serialize;

use crate::error::{Error, Result};

pub use builtin::offline;
pub use cache::{CACHE_TTL, cache_file, safe_host};
pub use resolve::distance;

/// One API resource at one group/version. Serialized with the field names and order of
/// `kubectl api-resources -o json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Plural name, e.g. `deployments`.
    pub name: String,
    /// Singular name, e.g. `deployment`.
    pub singular_name: String,
    /// True for namespaced resources.
    pub namespaced: bool,
    /// API group; empty for the core group.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Verbs the server supports.
    pub verbs: Vec<String>,
    /// Short names, in the order the server declares them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    /// Categories (`all`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl Resource {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `plural.group`, or `plural` for the core group: the spelling kubectl never misreads.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.name.clone() } else { format!("{}.{}", self.name, self.group) }
    }

    /// The URL path of the collection, in `namespace` when given and namespaced.
    pub fn url_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.name),
            _ => format!("{base}/{}", self.name),
        }
    }

    pub(crate) fn singular_or_kind(&self) -> String {
        if self.singular_name.is_empty() { self.kind.to_lowercase() } else { self.singular_name.clone() }
    }
}

/// The versions of one group, preferred first.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Group name; empty for core.
    pub name: String,
    /// `(version, resources)` in the server's order; the first is the preferred version.
    pub versions: Vec<(String, Vec<Resource>)>,
}

/// Every served resource, in discovery (priority) order.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Groups: core first, then `/apis` in the server's priority order.
    pub groups: Vec<Group>,
    /// True when read from the disk cache rather than fetched by this process.
    pub from_cache: bool,
    /// True for the built-in offline table (no cluster was reachable).
    pub offline: bool,
}

/// How a word was resolved, step by step, for `shortname why`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// The word as typed.
    pub word: String,
    /// The resource kubectl would use.
    pub winner: Resource,
    /// Which rule decided: `exact-name`, `short-name`, `group-prefix`, `resource-match`, `kind`.
    pub rule: String,
    /// What the word was expanded to before matching (`group/resource`), if a short name applied.
    pub expanded_to: Option<String>,
    /// Other resources the word could have meant, which lost.
    pub shadowed: Vec<Resource>,
    /// The warnings kubectl prints for this word (ambiguous short names).
    pub warnings: Vec<String>,
}

impl Catalog {
    /// Every resource at every group/version, in discovery order.
    pub fn all(&self) -> impl Iterator<Item = &Resource> {
        self.groups.iter().flat_map(|g| g.versions.iter().flat_map(|(_, rs)| rs.iter()))
    }

    /// One entry per (group, resource), at the group's preferred version when served there,
    /// else the first version serving it (kubectl's `ServerPreferredResources`).
    pub fn preferred(&self) -> Vec<Resource> {
        let mut out: Vec<Resource> = Vec::new();
        for g in &self.groups {
            let mut chosen: Vec<Resource> = Vec::new();
            for (vi, (_, rs)) in g.versions.iter().enumerate() {
                for r in rs {
                    match chosen.iter_mut().find(|c| c.name == r.name) {
                        Some(c) if vi == 0 => *c = r.clone(),
                        Some(_) => {}
                        None => chosen.push(r.clone()),
                    }
                }
            }
            out.extend(chosen);
        }
        out
    }

    /// Parses the two aggregated discovery documents (`/api`, `/apis`).
    pub fn from_documents(api: &str, apis: &str) -> Result<Self> {
        let mut groups = Vec::new();
        for (path, text) in [("/api", api), ("/apis", apis)] {
            let list: APIGroupDiscoveryList = serde_json::from_str(text).map_err(|e| {
                Error::runtime(format!("the server's discovery document at {path} could not be read")).caused_by(e)
            })?;
            for item in list.items {
                let name = item.metadata.and_then(|m| m.name).unwrap_or_default();
                let mut g = Group { name: name.clone(), versions: vec![] };
                for v in item.versions {
                    // Stale versions are left out, as client-go does.
                    if v.freshness.as_deref() == Some("Stale") {
                        continue;
                    }
                    let version = v.version.unwrap_or_default();
                    let resources = v.resources.into_iter().filter_map(|r| convert(&name, &version, r)).collect();
                    g.versions.push((version, resources));
                }
                groups.push(g);
            }
        }
        Ok(Catalog { groups, from_cache: false, offline: false })
    }
}

/// A short name with more than one meaning.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// The contested word.
    pub short_name: String,
    /// Every resource declaring it as a short name, in discovery order.
    pub claimants: Vec<Resource>,
    /// Resources whose plural or singular name is this word (they win over any short name).
    pub names: Vec<Resource>,
    /// What kubectl resolves the word to.
    pub winner: Option<Resource>,
}

fn convert(group: &str, version: &str, r: APIResourceDiscovery) -> Option<Resource> {
    let name = r.resource?;
    // client-go keeps a resource only if it has a responseKind.
    let kind = r.response_kind.and_then(|k| k.kind).filter(|k| !k.is_empty())?;
    Some(Resource {
        singular_name: r.singular_resource.unwrap_or_default(),
        name,
        group: group.to_string(),
        version: version.to_string(),
        kind,
        namespaced: r.scope.as_deref() == Some("Namespaced"),
        verbs: r.verbs,
        short_names: r.short_names,
        categories: r.categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(group: &str, version: &str, name: &str, kind: &str, shorts: &[&str]) -> Resource {
        Resource {
            name: name.into(),
            singular_name: kind.to_lowercase(),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespaced: true,
            verbs: vec!["get".into(), "list".into()],
            short_names: shorts.iter().map(|s| (*s).to_string()).collect(),
            categories: vec![],
        }
    }

    fn catalog() -> Catalog {
        let mut c = offline();
        c.offline = false;
        // autoscaling serves v2 (preferred) and v1.
        let hpa_v1 = res("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", &["hpa"]);
        if let Some(g) = c.groups.iter_mut().find(|g| g.name == "autoscaling") {
            g.versions.push(("v1".into(), vec![hpa_v1]));
        }
        c.groups.push(Group {
            name: "networking.istio.io".into(),
            versions: vec![(
                "v1".into(),
                vec![res("networking.istio.io", "v1", "virtualservices", "VirtualService", &["vs"])],
            )],
        });
        c.groups.push(Group {
            name: "snapshot.storage.k8s.io".into(),
            versions: vec![(
                "v1".into(),
                vec![res("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", &["vs"])],
            )],
        });
        c.groups.push(Group {
            name: "evil.example.com".into(),
            versions: vec![("v1".into(), vec![res("evil.example.com", "v1", "pods", "Pod", &["svc"])])],
        });
        c
    }

    #[test]
    fn short_names_resolve() {
        let c = catalog();
        let r = c.resolve("po").expect("po");
        assert_eq!((r.winner.group.as_str(), r.winner.name.as_str(), r.rule.as_str()), ("", "pods", "short-name"));
        assert_eq!(c.resolve("deploy").expect("deploy").winner.name, "deployments");
        assert_eq!(c.resolve("deploy.apps").expect("deploy.apps").winner.group, "apps");
    }

    #[test]
    fn full_names_kinds_and_case() {
        let c = catalog();
        assert_eq!(c.resolve("Deployment").expect("kind-like").winner.name, "deployments");
        assert_eq!(c.resolve("deployment").expect("singular").winner.name, "deployments");
        assert_eq!(c.resolve("PODS").expect("upper").winner.name, "pods");
        // Short names are case-sensitive in kubectl.
        assert!(c.resolve("PO").is_err());
    }

    #[test]
    fn group_prefix_matches() {
        let c = catalog();
        let r = c.resolve("hpa.autoscal").expect("prefix");
        assert_eq!(r.winner.name, "horizontalpodautoscalers");
        assert_eq!(r.rule, "group-prefix");
        assert_eq!(c.resolve("storageclass.storage").expect("prefix plural").winner.group, "storage.k8s.io");
    }

    #[test]
    fn preferred_version_wins_and_typed_version_is_dropped_for_short_names() {
        let c = catalog();
        assert_eq!(c.resolve("hpa").expect("hpa").winner.version, "v2");
        // kubectl drops the typed version when it expands a short name.
        assert_eq!(c.resolve("hpa.v1.autoscaling").expect("hpa.v1").winner.version, "v2");
        assert_eq!(c.resolve("horizontalpodautoscalers.v1.autoscaling").expect("full").winner.version, "v1");
    }

    #[test]
    fn first_short_name_in_discovery_order_wins_with_kubectl_warning() {
        let c = catalog();
        let r = c.resolve("vs").expect("vs");
        assert_eq!(r.winner.group, "networking.istio.io");
        assert_eq!(
            r.warnings,
            vec!["short name \"vs\" could also match lower priority resource volumesnapshots.snapshot.storage.k8s.io"]
        );
        assert!(r.shadowed.iter().any(|s| s.group == "snapshot.storage.k8s.io"));
        assert_eq!(c.resolve("vs.snapshot.storage.k8s.io").expect("qualified").winner.group, "snapshot.storage.k8s.io");
        let ev = c.resolve("ev").expect("ev");
        assert_eq!(ev.winner.group, "");
        assert_eq!(ev.warnings.len(), 1);
    }

    #[test]
    fn exact_names_beat_short_names_and_core_wins_plurals() {
        let c = catalog();
        // evil.example.com claims the short name "svc" and the plural "pods".
        let svc = c.resolve("svc").expect("svc");
        assert_eq!((svc.winner.group.as_str(), svc.winner.name.as_str()), ("", "services"));
        let pods = c.resolve("pods").expect("pods");
        assert_eq!(pods.winner.group, "");
        assert!(pods.shadowed.iter().any(|s| s.group == "evil.example.com"));
        let conflicts = c.conflicts();
        for word in ["vs", "ev", "svc"] {
            assert!(conflicts.iter().any(|k| k.short_name == word), "{word} not reported");
        }
        assert!(!conflicts.iter().any(|k| k.short_name == "po"));
    }

    #[test]
    fn unknown_words_say_so_with_suggestions() {
        let c = catalog();
        let e = c.resolve("deploymnets").expect_err("unknown");
        assert_eq!(e.message, "the server doesn't have a resource type \"deploymnets\"");
        assert!(e.hints.iter().any(|h| h.contains("deployments.apps")), "{:?}", e.hints);
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            c.resolve("foo.bar.baz").expect_err("unknown").message,
            "the server doesn't have a resource type \"foo\""
        );
    }

    #[test]
    fn parses_aggregated_documents() {
        let api = r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
          {"metadata":{"creationTimestamp":null},"versions":[{"version":"v1","resources":[
            {"resource":"pods","responseKind":{"group":"","version":"","kind":"Pod"},"scope":"Namespaced","singularResource":"pod","verbs":["get","list"],"shortNames":["po"],"categories":["all"],
             "subresources":[{"subresource":"status","responseKind":{"group":"","version":"","kind":"Pod"},"verbs":["get"]}]}],"freshness":"Current"}]}]}"#;
        let apis = r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
          {"metadata":{"name":"apps"},"versions":[{"version":"v1","resources":[
            {"resource":"deployments","responseKind":{"group":"","version":"","kind":"Deployment"},"scope":"Namespaced","singularResource":"deployment","verbs":["get"],"shortNames":["deploy"]}]},
            {"version":"v1beta1","resources":[],"freshness":"Stale"}]}]}"#;
        let c = Catalog::from_documents(api, apis).expect("parses");
        assert_eq!(c.all().count(), 2);
        assert_eq!(c.groups[1].versions.len(), 1, "stale versions are left out");
        assert_eq!(c.resolve("po").expect("po").winner.categories, vec!["all"]);
        assert!(Catalog::from_documents("{", apis).is_err());
    }

    #[test]
    fn categories_expand_to_every_resource_listing_them_once() {
        let mut c = catalog();
        let mut tagged = |group: &str, name: &str, cats: &[&str]| {
            for r in c
                .groups
                .iter_mut()
                .filter(|g| g.name == group)
                .flat_map(|g| g.versions.iter_mut())
                .flat_map(|v| v.1.iter_mut())
            {
                if r.name == name {
                    r.categories = cats.iter().map(|s| (*s).to_string()).collect();
                }
            }
        };
        tagged("", "pods", &["all"]);
        tagged("", "services", &["all"]);
        tagged("apps", "deployments", &["all"]);
        // Listed by both of its versions: named once.
        tagged("autoscaling", "horizontalpodautoscalers", &["all"]);
        tagged("networking.istio.io", "virtualservices", &["istio-io", "networking-istio-io"]);
        assert_eq!(
            c.expand_category("all").expect("all"),
            ["pods", "services", "deployments.apps", "horizontalpodautoscalers.autoscaling"]
        );
        assert_eq!(c.expand_category("istio-io").expect("istio-io"), ["virtualservices.networking.istio.io"]);
        assert_eq!(c.expand_category("pods"), None, "a resource name is not a category");
        assert_eq!(c.expand_category("nothing"), None);
    }
}
