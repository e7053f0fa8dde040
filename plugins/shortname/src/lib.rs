//! `kubectl shortname`: short names from live discovery, and how kubectl resolves them.
//!
//! - `kubectl shortname po deploy.apps Deployment`: what each word means, with its short names.
//! - `kubectl shortname`: every resource with short names (`--all` for every resource), filtered
//!   and sorted like `kubectl api-resources`.
//! - `kubectl shortname why WORD`: kubectl's resolution replayed: winner, rule, shadowed
//!   candidates and the spelling that is always safe.
//! - `kubectl shortname conflicts`: short names with more than one claimant.
//!
//! Without a reachable cluster it falls back to the built-in Kubernetes short names, with a
//! warning. With `--contexts`/`--all-contexts` each command compares the clusters (`fleet`).

mod fleet;

use clap::{Args, Parser, Subcommand};
use kubectl_kit_core::completion::{self, Candidate, Request, Values};
use kubectl_kit_core::discovery::{self, Catalog, Conflict, Resolution, Resource};
use kubectl_kit_core::flags::{ContextFlags, GlobalFlags, NoHeaders, OutputFlags};
use kubectl_kit_core::output::{self, Format, Table};
use kubectl_kit_core::{Error, Kube, Result};

/// Look up Kubernetes resource short names from live discovery, and see how kubectl resolves them.
///
/// With words, tells what each means (`po` → pods, `deployments` → deploy). Alone, lists every
/// resource that has short names. Works offline with the built-in Kubernetes short names.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-shortname",
    bin_name = "kubectl shortname",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  kubectl shortname po\n  kubectl shortname deployments netpol hpa.autoscaling\n  kubectl shortname --api-group=apps -o wide\n  kubectl shortname why vs\n  kubectl shortname conflicts\n  kubectl shortname conflicts --all-contexts\n  kubectl shortname --contexts 'prod-*' --api-group=networking.istio.io"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Resource words: short names, plurals, singulars, kinds, or resource.group
    #[arg(value_name = "WORD")]
    pub words: Vec<String>,

    #[command(flatten)]
    pub filters: Filters,

    #[command(flatten)]
    pub output: OutputFlags<Format>,

    #[command(flatten)]
    pub headers: NoHeaders,

    #[command(flatten)]
    pub global: GlobalFlags,

    #[command(flatten)]
    pub fleet: ContextFlags,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay kubectl's resolution of WORD: the winner, the rule that decided, what it shadows
    Why {
        /// The word to resolve, as you would type it after `kubectl get`
        word: String,
        #[command(flatten)]
        output: OutputFlags<Format>,
        #[command(flatten)]
        headers: NoHeaders,
    },
    /// List every short name claimed by more than one resource, or equal to another's name
    Conflicts {
        #[command(flatten)]
        output: OutputFlags<Format>,
        #[command(flatten)]
        headers: NoHeaders,
    },
}

/// Filters for the listing, as in `kubectl api-resources`.
#[derive(Debug, Clone, Default, Args)]
pub struct Filters {
    /// Limit to resources in this API group (`--api-group=` for the core group)
    #[arg(long, value_name = "GROUP")]
    pub api_group: Option<String>,

    /// Only namespaced (true) or cluster-scoped (false) resources
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub namespaced: Option<bool>,

    /// Only resources that support all these verbs (comma-separated)
    #[arg(long, value_name = "VERBS", value_delimiter = ',')]
    pub verbs: Vec<String>,

    /// Sort by `name` or `kind` (default: API group, then name)
    #[arg(long, value_name = "FIELD", value_parser = ["name", "kind"])]
    pub sort_by: Option<String>,

    /// List every resource, not only those with short names (like `kubectl api-resources`)
    #[arg(long)]
    pub all: bool,
}

/// Runs the plugin.
pub async fn run(cli: Cli) -> Result<()> {
    // Plan before touching the cluster: the output format is a usage error if wrong.
    // A subcommand's -o and --no-headers win over those given before it.
    let (format, no_headers) = match &cli.command {
        Some(Command::Why { output, headers, .. }) | Some(Command::Conflicts { output, headers }) => (
            OutputFlags::<Format>::with(output.output.clone().or_else(|| cli.output.output.clone())).format()?,
            headers.no_headers || cli.headers.no_headers,
        ),
        None => (cli.output.format()?, cli.headers.no_headers),
    };
    let fleet = kubectl_kit_core::fleet::Fleet::plan_contexts(&cli.global, &cli.fleet)?;
    if fleet.is_many() {
        return fleet::run(&fleet, &cli.command, &cli.words, &cli.filters, &format, no_headers).await;
    }
    let catalog = load(&cli.global).await?;
    let text = match &cli.command {
        Some(Command::Why { word, .. }) => why(&catalog, word, &format)?,
        Some(Command::Conflicts { .. }) => conflicts(&catalog, &format, no_headers)?,
        None if cli.words.is_empty() => list(&catalog, &cli.filters, &format, no_headers)?,
        None => lookup(&catalog, &cli.words, &format, no_headers)?,
    };
    output::out(&text);
    Ok(())
}

/// Completes resource words (live discovery, else the built-in ones), `--api-group` and `-o`.
pub async fn complete(req: Request) -> Result<Values> {
    let cmd: Vec<&str> = req.command.iter().map(String::as_str).collect();
    match (cmd.as_slice(), req.arg.as_str(), req.flag) {
        ([], "words", false) | (["why"], "word", false) => {
            Ok(Values::Candidates(completion::resource_words(&load(&req.global).await?)))
        }
        (_, "api_group", true) => {
            let catalog = load(&req.global).await?;
            let groups = catalog.groups.iter().filter(|g| !g.name.is_empty()).map(|g| Candidate::new(g.name.clone()));
            Ok(Values::Candidates(groups.collect()))
        }
        _ => Ok(Values::Unknown),
    }
}

/// Discovery from the cluster, or the built-in table when no cluster can be reached.
async fn load(flags: &GlobalFlags) -> Result<Catalog> {
    let kube = match Kube::connect(flags).await {
        Ok(k) => k,
        Err(e) if e.is_unreachable() => return Ok(offline(&e)),
        Err(e) => return Err(e),
    };
    match Catalog::load(&kube).await {
        Ok(c) => Ok(c),
        Err(e) if e.is_unreachable() => Ok(offline(&e)),
        Err(e) => Err(e),
    }
}

fn offline(why: &Error) -> Catalog {
    // The last cause and the hint say why (a refused certificate, a timeout) and what to check.
    let cause = why.causes().last().map(|c| format!(" ({c})")).unwrap_or_default();
    let hint = why.hints.first().map(|h| format!("; {h}")).unwrap_or_default();
    output::warn(&format!(
        "{}{cause}; showing the built-in Kubernetes short names (offline: CRDs and aggregated APIs are not included){hint}",
        why.message
    ));
    discovery::offline()
}

/// Resolves each word; unknown words are reported after the others, with exit status 1.
fn lookup(catalog: &Catalog, words: &[String], format: &Format, no_headers: bool) -> Result<String> {
    let mut found: Vec<Resolution> = Vec::new();
    let mut errors: Vec<Error> = Vec::new();
    for w in words {
        match catalog.resolve(w) {
            Ok(r) => {
                for warning in &r.warnings {
                    output::warn(warning);
                }
                found.push(r);
            }
            Err(e) => errors.push(e),
        }
    }
    let text = match format {
        Format::Json => output::to_json(&found)?,
        Format::Yaml => output::to_yaml(&found)?,
        Format::Name => found.iter().map(|r| format!("{}\n", r.winner.qualified())).collect(),
        Format::Table | Format::Wide => {
            let mut headers = vec!["WORD", "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS"];
            if *format == Format::Wide {
                headers.extend(["CATEGORIES", "RULE"]);
            }
            let mut t = Table::new(headers);
            for r in &found {
                let w = &r.winner;
                let mut row = vec![
                    r.word.clone(),
                    w.name.clone(),
                    w.short_names.join(","),
                    w.api_version(),
                    w.namespaced.to_string(),
                    w.kind.clone(),
                    w.verbs.join(","),
                ];
                if *format == Format::Wide {
                    row.push(w.categories.join(","));
                    row.push(r.rule.clone());
                }
                t.push(row);
            }
            if t.is_empty() { String::new() } else { t.render(!no_headers) }
        }
    };
    if errors.is_empty() {
        return Ok(text);
    }
    // Print what resolved, then fail: one unknown word is its own error; several are listed.
    output::out(&text);
    if errors.len() == 1 {
        return Err(errors.remove(0));
    }
    for e in &errors {
        output::err(&e.render());
    }
    Err(Error::runtime(format!("{} of {} words did not resolve", errors.len(), words.len())))
}

/// The listing: `kubectl api-resources`, limited to resources with short names unless `--all`.
fn list(catalog: &Catalog, filters: &Filters, format: &Format, no_headers: bool) -> Result<String> {
    let mut rows = listed(catalog, filters);
    sort_listing(&mut rows, filters, |r| r);
    Ok(match format {
        Format::Json | Format::Yaml => {
            let doc = serde_json::json!({
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": "",
                "resources": rows,
            });
            if *format == Format::Json { output::to_json(&doc)? } else { output::to_yaml(&doc)? }
        }
        Format::Name => rows.iter().map(|r| format!("{}\n", r.qualified())).collect(),
        Format::Table | Format::Wide => {
            let mut headers = vec!["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];
            if *format == Format::Wide {
                headers.extend(["VERBS", "CATEGORIES"]);
            }
            let mut t = Table::new(headers);
            for r in &rows {
                let mut row = vec![
                    r.name.clone(),
                    r.short_names.join(","),
                    r.api_version(),
                    r.namespaced.to_string(),
                    r.kind.clone(),
                ];
                if *format == Format::Wide {
                    row.push(r.verbs.join(","));
                    row.push(r.categories.join(","));
                }
                t.push(row);
            }
            t.render(!no_headers)
        }
    })
}

/// The resources the listing shows: preferred versions, with short names unless `--all`,
/// filtered as `kubectl api-resources` filters.
fn listed(catalog: &Catalog, filters: &Filters) -> Vec<Resource> {
    catalog
        .preferred()
        .into_iter()
        .filter(|r| catalog.offline || !r.verbs.is_empty())
        .filter(|r| filters.all || !r.short_names.is_empty())
        .filter(|r| filters.api_group.as_ref().is_none_or(|g| &r.group == g))
        .filter(|r| filters.namespaced.is_none_or(|n| r.namespaced == n))
        .filter(|r| filters.verbs.iter().all(|v| r.verbs.contains(v)))
        .collect()
}

/// `kubectl api-resources`' order: a stable sort by group (or name/kind), ties broken by name.
fn sort_listing<T>(rows: &mut [T], filters: &Filters, resource: impl Fn(&T) -> &Resource) {
    let (r, by) = (&resource, filters.sort_by.as_deref());
    match by {
        Some("name") => rows.sort_by(|a, b| r(a).name.cmp(&r(b).name)),
        Some("kind") => rows.sort_by(|a, b| r(a).kind.cmp(&r(b).kind).then_with(|| r(a).name.cmp(&r(b).name))),
        _ => rows.sort_by(|a, b| r(a).group.cmp(&r(b).group).then_with(|| r(a).name.cmp(&r(b).name))),
    }
}

/// The spellings of `target` that resolve to it, shortest first: `word.group`, `plural.group`.
fn safe_spellings(catalog: &Catalog, target: &Resource, word: &str) -> Vec<String> {
    let mut options = Vec::new();
    let base = word.split('.').next().unwrap_or(word);
    if target.group.is_empty() {
        options.push(target.name.clone());
    } else {
        if target.short_names.iter().any(|s| s == base) {
            options.push(format!("{base}.{}", target.group));
        }
        options.push(target.qualified());
        options.push(format!("{}.{}.{}", target.name, target.version, target.group));
    }
    let mut safe: Vec<String> = options
        .into_iter()
        .filter(|o| catalog.resolve(o).is_ok_and(|r| r.winner.group == target.group && r.winner.name == target.name))
        .collect();
    safe.dedup();
    safe
}

fn rule_text(r: &Resolution) -> String {
    match r.rule.as_str() {
        "exact-name" => format!(
            "\"{}\" is a resource's plural or singular name, which kubectl checks before any short name",
            r.word
        ),
        "short-name" => format!(
            "\"{}\" is a short name; kubectl takes the first resource in discovery order (core, then API groups by priority) that declares it",
            r.word.split('.').next().unwrap_or(&r.word)
        ),
        "group-prefix" => {
            "the typed group is a prefix of the resource's group (kubectl's group-prefix match)".to_string()
        }
        "kind" => "the word matched a Kind".to_string(),
        _ => "the word matched a plural or singular name (lower-cased), highest-priority group first".to_string(),
    }
}

fn why(catalog: &Catalog, word: &str, format: &Format) -> Result<String> {
    let r = catalog.resolve(word)?;
    let safe = safe_spellings(catalog, &r.winner, word);
    let shadowed: Vec<serde_json::Value> = r
        .shadowed
        .iter()
        .map(|s| {
            serde_json::json!({
                "resource": s,
                "reachAs": safe_spellings(catalog, s, word),
            })
        })
        .collect();
    if matches!(format, Format::Json | Format::Yaml) {
        let doc = serde_json::json!({
            "word": r.word,
            "winner": r.winner,
            "rule": r.rule,
            "explanation": rule_text(&r),
            "expandedTo": r.expanded_to,
            "safeSpellings": safe,
            "shadowed": shadowed,
            "kubectlWarnings": r.warnings,
            "offline": catalog.offline,
        });
        return if *format == Format::Json { output::to_json(&doc) } else { output::to_yaml(&doc) };
    }
    if *format == Format::Name {
        return Ok(format!("{}\n", r.winner.qualified()));
    }
    let w = &r.winner;
    let e = output::escape;
    let mut s = format!(
        "{} → {} ({}, kind {}, {})\n",
        e(&r.word),
        e(&w.qualified()),
        e(&w.api_version()),
        e(&w.kind),
        if w.namespaced { "namespaced" } else { "cluster-scoped" }
    );
    s.push_str(&format!("  why:       {}\n", e(&rule_text(&r))));
    if !safe.is_empty() {
        s.push_str(&format!("  safe:      {}\n", e(&safe.join(", "))));
    }
    if r.shadowed.is_empty() {
        s.push_str("  shadowed:  nothing else answers to this word\n");
    } else {
        s.push_str("  shadowed:\n");
        for sh in &r.shadowed {
            let reach = safe_spellings(catalog, sh, word);
            s.push_str(&format!(
                "    {} ({}) — reach it as {}\n",
                e(&sh.qualified()),
                e(&sh.api_version()),
                e(&reach.first().cloned().unwrap_or_else(|| sh.qualified()))
            ));
        }
    }
    for warning in &r.warnings {
        s.push_str(&format!("  kubectl warns: {}\n", e(warning)));
    }
    Ok(s)
}

fn conflicts(catalog: &Catalog, format: &Format, no_headers: bool) -> Result<String> {
    let list: Vec<Conflict> = catalog.conflicts();
    match format {
        Format::Json => return output::to_json(&list),
        Format::Yaml => return output::to_yaml(&list),
        Format::Name => return Ok(list.iter().map(|c| format!("{}\n", c.short_name)).collect()),
        _ => {}
    }
    let mut t = Table::new(["SHORTNAME", "KUBECTL PICKS", "SHADOWED", "REACH SHADOWED AS"]);
    for c in &list {
        let winner = c.winner.as_ref();
        let losers: Vec<&Resource> = c
            .claimants
            .iter()
            .chain(c.names.iter())
            .filter(|r| winner.is_none_or(|w| !(w.group == r.group && w.name == r.name)))
            .collect();
        let mut seen = Vec::new();
        let losers: Vec<&Resource> = losers
            .into_iter()
            .filter(|r| {
                let k = r.qualified();
                if seen.contains(&k) {
                    false
                } else {
                    seen.push(k);
                    true
                }
            })
            .collect();
        t.push([
            c.short_name.clone(),
            winner.map(Resource::qualified).unwrap_or_else(|| "-".into()),
            losers.iter().map(|r| r.qualified()).collect::<Vec<_>>().join(","),
            losers
                .iter()
                .map(|r| safe_spellings(catalog, r, &c.short_name).first().cloned().unwrap_or_else(|| r.qualified()))
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    if t.is_empty() {
        output::err("no short name is claimed by more than one resource\n");
        return Ok(String::new());
    }
    Ok(t.render(!no_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn offline_listing_has_the_tutorial_table() {
        let cat = discovery::offline();
        let text = list(&cat, &Filters::default(), &Format::Table, false).expect("list");
        assert!(text.starts_with("NAME "), "{text}");
        assert!(text.contains("\npods "));
        assert!(text.contains("deployments"));
        let names = list(&cat, &Filters { api_group: Some("apps".into()), ..Default::default() }, &Format::Name, false)
            .expect("names");
        assert_eq!(names, "daemonsets.apps\ndeployments.apps\nreplicasets.apps\nstatefulsets.apps\n");
    }

    #[test]
    fn why_names_the_safe_spelling() {
        let cat = discovery::offline();
        let text = why(&cat, "ev", &Format::Table).expect("why");
        assert!(text.starts_with("ev → events (v1, kind Event, namespaced)"), "{text}");
        assert!(text.contains("events.events.k8s.io"), "{text}");
        assert!(
            text.contains(
                "kubectl warns: short name \"ev\" could also match lower priority resource events.events.k8s.io"
            ),
            "{text}"
        );
        assert!(text.contains("reach it as ev.events.k8s.io"), "{text}");
    }

    #[test]
    fn sorting_matches_api_resources() {
        let cat = discovery::offline();
        let by_kind = list(&cat, &Filters { sort_by: Some("kind".into()), ..Default::default() }, &Format::Name, false)
            .expect("list");
        let first = by_kind.lines().next().unwrap_or_default();
        assert_eq!(
            first, "certificatesigningrequests.certificates.k8s.io",
            "CertificateSigningRequest sorts first by kind"
        );
    }
}
