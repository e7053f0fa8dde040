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

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use kube::client::{APIGroupDiscoveryList, APIResourceDiscovery};
use serde::Serialize;

use crate::client::Kube;
use crate::error::{Error, Result};

/// How long a cached discovery document is trusted (kubectl uses the same).
pub const CACHE_TTL: Duration = Duration::from_secs(6 * 3600);

/// kubectl's Accept header for aggregated discovery.
const ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

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

    fn singular_or_kind(&self) -> String {
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

#[derive(Debug, Clone, Default, PartialEq)]
struct Gvr {
    group: String,
    version: String,
    resource: String,
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

    /// Loads discovery from the cache or the server (two requests).
    pub async fn load(kube: &Kube) -> Result<Self> {
        let file = cache_file(&kube.cache_dir, &kube.server);
        if let Some(cat) = read_cache(&file) {
            return Ok(cat);
        }
        Self::fetch(kube).await
    }

    /// Fetches discovery from the server and refreshes the cache.
    pub async fn fetch(kube: &Kube) -> Result<Self> {
        let api = kube.get_raw("/api", ACCEPT).await?;
        let apis = kube.get_raw("/apis", ACCEPT).await?;
        for (path, text) in [("/api", &api), ("/apis", &apis)] {
            if !text.contains("\"APIGroupDiscoveryList\"") {
                return Err(Error::runtime(format!("the server did not answer {path} with aggregated discovery"))
                    .hint("kubectl-kit needs Kubernetes 1.27 or newer (aggregated discovery)"));
            }
        }
        let cat = Self::from_documents(&api, &apis)?;
        let file = cache_file(&kube.cache_dir, &kube.server);
        // A cache that cannot be written only costs speed next time.
        if let Err(e) = write_cache(&file, &api, &apis) {
            crate::output::warn(&format!("could not write the discovery cache {}: {e}", file.display()));
        }
        Ok(cat)
    }

    /// Resolves a word against the cache; if it does not resolve and the data came from the
    /// cache, fetches discovery once more and retries (kubectl does the same).
    pub async fn resolve_live(kube: &Kube, word: &str) -> Result<(Self, Resolution)> {
        let cat = Self::load(kube).await?;
        match cat.resolve(word) {
            Ok(r) => Ok((cat, r)),
            Err(_) if cat.from_cache => {
                let fresh = Self::fetch(kube).await?;
                let r = fresh.resolve(word)?;
                Ok((fresh, r))
            }
            Err(e) => Err(e),
        }
    }

    /// Resolves a resource word the way `kubectl get WORD` does.
    pub fn resolve(&self, word: &str) -> Result<Resolution> {
        let (full, gr) = parse_resource_arg(word);
        let mut warnings = Vec::new();
        let mut attempts: Vec<Gvr> = Vec::new();
        if let Some(f) = full {
            attempts.push(f);
        }
        attempts.push(gr.clone());
        for input in attempts {
            let (expanded, rule, mut w) = self.expand_shortcut(&input);
            let candidates = self.resources_for(&expanded);
            if let Some(winner) = self.pick(&candidates) {
                warnings.append(&mut w);
                let rule = if rule == "none" { "resource-match".to_string() } else { rule };
                let expanded_to = (expanded != input).then(|| format!("{}/{}", expanded.group, expanded.resource));
                let shadowed = self.shadowed(&winner, &input, &candidates);
                return Ok(Resolution { word: word.to_string(), winner, rule, expanded_to, shadowed, warnings });
            }
        }
        // The kind path: `Deployment.apps`, `Foo.example.com`.
        let (kind_full, gk) = parse_kind_arg(word);
        let mut kind_attempts = vec![];
        if let Some(k) = kind_full {
            kind_attempts.push(k);
        }
        kind_attempts.push(gk);
        for k in kind_attempts {
            let candidates: Vec<Resource> = self
                .all()
                .filter(|r| r.group == k.group && (r.kind == k.resource || r.kind.to_lowercase() == k.resource))
                .filter(|r| k.version.is_empty() || r.version == k.version)
                .filter(|r| !r.group.is_empty() || r.version == "v1")
                .cloned()
                .collect();
            if let Some(winner) = self.pick(&candidates) {
                let shadowed = self.shadowed(&winner, &k, &candidates);
                return Ok(Resolution {
                    word: word.to_string(),
                    winner,
                    rule: "kind".into(),
                    expanded_to: None,
                    shadowed,
                    warnings,
                });
            }
        }
        Err(self.unknown(word, &gr.resource))
    }

    /// kubectl's error for an unknown word, with suggestions.
    fn unknown(&self, word: &str, resource_part: &str) -> Error {
        let mut e = Error::runtime(format!("the server doesn't have a resource type \"{resource_part}\""));
        let suggestions = self.suggest(word);
        if !suggestions.is_empty() {
            e = e.hint(format!("did you mean {}?", suggestions.join(", ")));
        }
        e
    }

    /// Close spellings of a word among every name, singular, short name and kind.
    pub fn suggest(&self, word: &str) -> Vec<String> {
        let w = word.split('.').next().unwrap_or(word).to_lowercase();
        let mut scored: Vec<(usize, String)> = Vec::new();
        for r in self.preferred() {
            let mut names = vec![r.name.clone(), r.singular_or_kind()];
            names.extend(r.short_names.iter().cloned());
            let best = names.iter().map(|n| distance(&w, n)).min().unwrap_or(usize::MAX);
            let prefix = names.iter().any(|n| n.starts_with(&w) && w.len() >= 2);
            let limit = if w.len() <= 3 { 1 } else { 2 };
            if best <= limit || prefix {
                let label = if r.group.is_empty() { r.name.clone() } else { r.qualified() };
                if !scored.iter().any(|(_, l)| *l == label) {
                    scored.push((if prefix { best.min(1) } else { best }, label));
                }
            }
        }
        scored.sort();
        scored.into_iter().take(4).map(|(_, l)| l).collect()
    }

    /// Step 2–4: the shortcut expander. Returns the expanded input, the rule and warnings.
    fn expand_shortcut(&self, input: &Gvr) -> (Gvr, String, Vec<String>) {
        // (a) an exact plural or singular name anywhere (in the typed group) is left alone.
        let exact = self.all().any(|r| {
            (input.group.is_empty() || input.group == r.group)
                && (input.resource == r.name || input.resource == r.singular_name)
        });
        if exact {
            return (input.clone(), "exact-name".into(), vec![]);
        }
        // (b) the first short name in discovery order wins.
        let shortcuts: Vec<(&Resource, &String)> =
            self.all().flat_map(|r| r.short_names.iter().map(move |s| (r, s))).collect();
        let mut found: Option<Gvr> = None;
        let mut warnings = Vec::new();
        let mut warned: Vec<(String, String)> = Vec::new();
        for (r, short) in &shortcuts {
            if !input.group.is_empty() && input.group != r.group {
                continue;
            }
            if &input.resource != *short {
                continue;
            }
            match &found {
                None => {
                    found = Some(Gvr { group: r.group.clone(), version: String::new(), resource: r.name.clone() });
                }
                Some(f) if f.group == r.group && f.resource == r.name => {}
                Some(_) => {
                    let key = (r.group.clone(), r.name.clone());
                    if !warned.contains(&key) {
                        warnings.push(format!(
                            "short name \"{}\" could also match lower priority resource {}",
                            input.resource,
                            r.qualified()
                        ));
                        warned.push(key);
                    }
                }
            }
        }
        if let Some(f) = found {
            return (f, "short-name".into(), warnings);
        }
        // (c) a typed group that prefixes a short name's group.
        if !input.group.is_empty() {
            for (r, short) in &shortcuts {
                if r.group.starts_with(&input.group) && &input.resource == *short {
                    return (
                        Gvr { group: r.group.clone(), version: input.version.clone(), resource: r.name.clone() },
                        "group-prefix".into(),
                        vec![],
                    );
                }
            }
        }
        (input.clone(), "none".into(), vec![])
    }

    /// Step 5, the discovery REST mapper's matching: per group/version, lower-cased resource
    /// against plural and singular; a typed group matches exactly, or as a prefix when nothing in
    /// that group/version matches exactly.
    fn resources_for(&self, input: &Gvr) -> Vec<Resource> {
        let want = input.resource.to_lowercase();
        if want.is_empty() {
            return vec![];
        }
        let mut out: Vec<Resource> = Vec::new();
        for g in &self.groups {
            for (version, rs) in &g.versions {
                let name_hit = |r: &Resource| r.name == want || r.singular_or_kind() == want;
                let hits: Vec<&Resource> = match (input.group.is_empty(), input.version.is_empty()) {
                    (false, false) => rs
                        .iter()
                        .filter(|r| r.group == input.group && *version == input.version && name_hit(r))
                        .collect(),
                    (false, true) => {
                        let exact: Vec<&Resource> =
                            rs.iter().filter(|r| r.group == input.group && name_hit(r)).collect();
                        if exact.is_empty() {
                            rs.iter().filter(|r| r.group.starts_with(&input.group) && name_hit(r)).collect()
                        } else {
                            exact
                        }
                    }
                    (true, false) => rs.iter().filter(|r| *version == input.version && name_hit(r)).collect(),
                    (true, true) => rs.iter().filter(|r| name_hit(r)).collect(),
                };
                for h in hits {
                    if !out.contains(h) {
                        out.push(h.clone());
                    }
                }
            }
        }
        out
    }

    /// The priority mapper's choice: core v1 first, then groups in discovery order, each with its
    /// preferred version first and then its other versions in order.
    fn pick(&self, candidates: &[Resource]) -> Option<Resource> {
        if candidates.len() <= 1 {
            return candidates.first().cloned();
        }
        let mut remaining: Vec<&Resource> = candidates.iter().collect();
        let mut patterns: Vec<(Option<&str>, Option<&str>)> = vec![(Some(""), Some("v1"))];
        for g in &self.groups {
            for (v, _) in &g.versions {
                patterns.push((Some(g.name.as_str()), Some(v.as_str())));
            }
        }
        for g in &self.groups {
            patterns.push((Some(g.name.as_str()), None));
        }
        for (g, v) in patterns {
            let hits: Vec<&Resource> = remaining
                .iter()
                .copied()
                .filter(|r| g.is_none_or(|g| r.group == g) && v.is_none_or(|v| r.version == v))
                .collect();
            match hits.len() {
                0 => {}
                1 => return Some(hits[0].clone()),
                _ => remaining = hits,
            }
        }
        remaining.first().map(|r| (*r).clone())
    }

    /// Resources in other groups that the word could also have meant.
    fn shadowed(&self, winner: &Resource, input: &Gvr, candidates: &[Resource]) -> Vec<Resource> {
        let mut out: Vec<Resource> = Vec::new();
        let mut push = |r: &Resource| {
            if (r.group != winner.group || r.name != winner.name)
                && !out.iter().any(|o| o.group == r.group && o.name == r.name)
            {
                out.push(r.clone());
            }
        };
        for r in candidates {
            push(r);
        }
        let w = input.resource.to_lowercase();
        for r in self.preferred() {
            if !input.group.is_empty() && !r.group.starts_with(&input.group) {
                continue;
            }
            if r.name == w || r.singular_or_kind() == w || r.short_names.contains(&input.resource) {
                push(&r);
            }
        }
        out
    }

    /// Short names claimed by more than one resource, and short names equal to another
    /// resource's plural or singular name (which the exact-name rule makes unreachable).
    pub fn conflicts(&self) -> Vec<Conflict> {
        let preferred = self.preferred();
        let mut out: Vec<Conflict> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for r in &preferred {
            for s in &r.short_names {
                if seen.contains(s) {
                    continue;
                }
                seen.push(s.clone());
                let claimants: Vec<Resource> =
                    preferred.iter().filter(|o| o.short_names.contains(s)).cloned().collect();
                let names: Vec<Resource> = preferred
                    .iter()
                    .filter(|o| (o.name == *s || o.singular_name == *s) && !(o.group == r.group && o.name == r.name))
                    .cloned()
                    .collect();
                let distinct = claimants
                    .iter()
                    .map(|c| (c.group.clone(), c.name.clone()))
                    .collect::<std::collections::BTreeSet<_>>();
                if distinct.len() > 1 || !names.is_empty() {
                    let winner = self.resolve(s).ok().map(|r| r.winner);
                    out.push(Conflict { short_name: s.clone(), claimants, names, winner });
                }
            }
        }
        out
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

/// `ParseResourceArg`: `res.ver.group` (two or more dots) and `res.group`.
fn parse_resource_arg(word: &str) -> (Option<Gvr>, Gvr) {
    let full = (word.matches('.').count() >= 2).then(|| {
        let mut it = word.splitn(3, '.');
        Gvr {
            resource: it.next().unwrap_or_default().to_string(),
            version: it.next().unwrap_or_default().to_string(),
            group: it.next().unwrap_or_default().to_string(),
        }
    });
    let gr = match word.split_once('.') {
        Some((r, g)) => Gvr { resource: r.to_string(), group: g.to_string(), version: String::new() },
        None => Gvr { resource: word.to_string(), ..Default::default() },
    };
    (full, gr)
}

/// `ParseKindArg`: the same split, for kinds (kept in `resource`).
fn parse_kind_arg(word: &str) -> (Option<Gvr>, Gvr) {
    parse_resource_arg(word)
}

/// Levenshtein distance, for suggestions.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// kubectl's directory name for a server: scheme dropped, every rune but `[A-Za-z0-9_/.()]`
/// replaced by `_`.
pub fn safe_host(server: &str) -> String {
    let h = server.replacen("https://", "", 1).replacen("http://", "", 1);
    h.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '(' | ')') { c } else { '_' })
        .collect()
}

/// The cache file for a server.
pub fn cache_file(cache_dir: &Path, server: &str) -> PathBuf {
    cache_dir.join("discovery").join(safe_host(server)).join("kubectl-kit.aggregated.json")
}

fn read_cache(file: &Path) -> Option<Catalog> {
    let meta = std::fs::metadata(file).ok()?;
    let age = SystemTime::now().duration_since(meta.modified().ok()?).unwrap_or(Duration::MAX);
    if age > CACHE_TTL {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut cat = Catalog::from_documents(doc.get("api")?.as_str()?, doc.get("apis")?.as_str()?).ok()?;
    cat.from_cache = true;
    Some(cat)
}

fn write_cache(file: &Path, api: &str, apis: &str) -> std::io::Result<()> {
    let doc = serde_json::json!({ "api": api, "apis": apis });
    crate::client::write_cache_file(file, doc.to_string().as_bytes())
}

/// The built-in Kubernetes resources that have short names (v1.35): the table every tutorial's
/// appendix prints, for when no cluster is reachable.
pub fn offline() -> Catalog {
    /// group, version, plural, singular, kind, namespaced, short names
    type Row = (&'static str, &'static str, &'static str, &'static str, &'static str, bool, &'static [&'static str]);
    const ROWS: &[Row] = &[
        ("", "v1", "componentstatuses", "componentstatus", "ComponentStatus", false, &["cs"]),
        ("", "v1", "configmaps", "configmap", "ConfigMap", true, &["cm"]),
        ("", "v1", "endpoints", "endpoints", "Endpoints", true, &["ep"]),
        ("", "v1", "events", "event", "Event", true, &["ev"]),
        ("", "v1", "limitranges", "limitrange", "LimitRange", true, &["limits"]),
        ("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"]),
        ("", "v1", "nodes", "node", "Node", false, &["no"]),
        ("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, &["pvc"]),
        ("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, &["pv"]),
        ("", "v1", "pods", "pod", "Pod", true, &["po"]),
        ("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, &["rc"]),
        ("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, &["quota"]),
        ("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"]),
        ("", "v1", "services", "service", "Service", true, &["svc"]),
        ("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, &["ds"]),
        ("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"]),
        ("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"]),
        ("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"]),
        ("events.k8s.io", "v1", "events", "event", "Event", true, &["ev"]),
        (
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            true,
            &["hpa"],
        ),
        ("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"]),
        (
            "certificates.k8s.io",
            "v1",
            "certificatesigningrequests",
            "certificatesigningrequest",
            "CertificateSigningRequest",
            false,
            &["csr"],
        ),
        ("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, &["ing"]),
        ("networking.k8s.io", "v1", "ipaddresses", "ipaddress", "IPAddress", false, &["ip"]),
        ("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"]),
        ("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, &["pdb"]),
        ("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, &["sc"]),
        (
            "storage.k8s.io",
            "v1",
            "volumeattributesclasses",
            "volumeattributesclass",
            "VolumeAttributesClass",
            false,
            &["vac"],
        ),
        (
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "customresourcedefinition",
            "CustomResourceDefinition",
            false,
            &["crd", "crds"],
        ),
        ("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", false, &["pc"]),
    ];
    let mut groups: Vec<Group> = Vec::new();
    for (group, version, name, singular, kind, namespaced, shorts) in ROWS {
        let r = Resource {
            name: (*name).into(),
            singular_name: (*singular).into(),
            group: (*group).into(),
            version: (*version).into(),
            kind: (*kind).into(),
            namespaced: *namespaced,
            verbs: vec![],
            short_names: shorts.iter().map(|s| (*s).to_string()).collect(),
            categories: vec![],
        };
        match groups.iter_mut().find(|g| g.name == *group) {
            Some(g) => g.versions[0].1.push(r),
            None => groups.push(Group { name: (*group).into(), versions: vec![((*version).into(), vec![r])] }),
        }
    }
    Catalog { groups, from_cache: false, offline: true }
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
    fn safe_host_matches_kubectl() {
        assert_eq!(safe_host("https://127.0.0.1:6443"), "127.0.0.1_6443");
        assert_eq!(safe_host("https://my-api.example.com"), "my_api.example.com");
        assert_eq!(safe_host("https://rancher.x/k8s/clusters/c-1"), "rancher.x/k8s/clusters/c_1");
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
    fn cache_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = cache_file(dir.path(), "https://127.0.0.1:6443");
        write_cache(&file, "{}", "{}").expect("write");
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(file.parent().expect("dir")).expect("meta").permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
    }
}
