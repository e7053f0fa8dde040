//! kubectl's resolution of a resource word (client-go `restmapper/shortcut.go` and
//! apimachinery's priority REST mapper), step by step, with the warnings kubectl prints.

use super::{Catalog, Conflict, Resolution, Resource};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq)]
struct Gvr {
    group: String,
    version: String,
    resource: String,
}

impl Catalog {
    /// kubectl's category expansion (`all` → pods, services, …), which comes before resource
    /// names: every resource that lists the category, as `RESOURCE[.GROUP]`, in discovery order
    /// (each group's versions, preferred first), once each; `None` when no resource lists it.
    pub fn expand_category(&self, word: &str) -> Option<Vec<String>> {
        let mut out: Vec<String> = vec![];
        for r in self.all().filter(|r| r.categories.iter().any(|c| c == word)) {
            let w = if r.group.is_empty() { r.name.clone() } else { format!("{}.{}", r.name, r.group) };
            if !out.contains(&w) {
                out.push(w);
            }
        }
        (!out.is_empty()).then_some(out)
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
