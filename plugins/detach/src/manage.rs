//! `kubectl detach list`, `reattach` and `cleanup`: the detached pods, found by the marker
//! label, read back from the annotations detach wrote.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use kube::api::{Api, DeleteParams, ListParams, Preconditions};
use kubectl_kit_core::flags::{DryRun, GlobalFlags};
use kubectl_kit_core::fleet::{Fleet, Scope, Target, each_namespace};
use kubectl_kit_core::selector::Labels;
use kubectl_kit_core::{Error, Kube, Result, output, time};
use serde::Serialize;

use crate::cli::{CleanupArgs, ListArgs, ReattachArgs};
use crate::detach::{print_data, wants_data};
use crate::patch::{ATTEMPTS, is_conflict, patch_pod, reattach_patch};
use crate::plan::{self, DETACHED_AT, DETACHED_BY, DETACHED_FROM, MARKER, ORIGINAL_LABELS, OWNER_UID};
use crate::target::{self, Selection, Verb};

/// A detached pod as `list -o json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detached {
    /// The kubeconfig context, when several were read (`--contexts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Phase.
    pub phase: String,
    /// When it was detached.
    pub detached_at: Option<String>,
    /// Seconds since then.
    pub age_seconds: Option<i64>,
    /// Who detached it.
    pub detached_by: Option<String>,
    /// `Kind/name` of the owner it left (`-` for none) and the Services.
    pub detached_from: Option<String>,
    /// The labels it had before.
    pub original_labels: Labels,
    /// The labels detach removed (still missing now).
    pub removed_labels: Labels,
}

fn annotation(pod: &Pod, key: &str) -> Option<String> {
    pod.metadata.annotations.as_ref().and_then(|a| a.get(key).cloned())
}

fn original_labels(pod: &Pod) -> Labels {
    annotation(pod, ORIGINAL_LABELS).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

fn describe(pod: &Pod) -> Detached {
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let original = original_labels(pod);
    let at = annotation(pod, DETACHED_AT);
    Detached {
        context: None,
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        phase: pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(),
        age_seconds: at.as_deref().and_then(time::parse_rfc3339).map(|t| time::now() - t),
        detached_at: at,
        detached_by: annotation(pod, DETACHED_BY),
        detached_from: annotation(pod, DETACHED_FROM),
        removed_labels: plan::labels_to_restore(&original, &labels),
        original_labels: original,
    }
}

async fn detached_pods(kube: &Kube, all_namespaces: bool) -> Result<Vec<Pod>> {
    detached_in(kube, (!all_namespaces).then_some(kube.namespace.as_str())).await
}

/// The detached pods in `namespace`, or in every namespace.
async fn detached_in(kube: &Kube, namespace: Option<&str>) -> Result<Vec<Pod>> {
    let api: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(kube.client.clone(), ns),
        None => Api::all(kube.client.clone()),
    };
    Ok(api.list(&ListParams::default().labels(MARKER)).await?.items)
}

/// The detached pods of one context of a fleet, where the fleet reads.
async fn detached_where(target: Target) -> Result<Vec<Detached>> {
    let kube = target.connect()?;
    let pods = match Scope::resolve(&kube, &target.namespaces).await? {
        Scope::One(ns) => detached_in(&kube, Some(&ns)).await?,
        Scope::All => detached_in(&kube, None).await?,
        Scope::Each(names) => {
            let read = each_namespace(&names, |ns| {
                let kube = &kube;
                async move { detached_in(kube, Some(&ns)).await }
            });
            read.await?.into_iter().flat_map(|(_, pods)| pods).collect()
        }
    };
    Ok(pods.iter().map(|p| Detached { context: target.context.clone(), ..describe(p) }).collect())
}

/// `kubectl detach list --contexts …` or `-n a,b`: one table across contexts and namespaces.
async fn list_fleet(a: &ListArgs, fleet: &Fleet, data: bool) -> Result<()> {
    let outcomes = fleet.run(detached_where).await;
    let items: Vec<&Detached> = outcomes.iter().filter_map(|o| o.result.as_ref().ok()).flatten().collect();
    if data {
        print_data(&a.output, &serde_json::json!({"apiVersion": "kubectl-kit.detach/v1", "items": items}))?;
    } else if items.is_empty() {
        output::err("No detached pods found.\n");
    } else {
        let (context, namespace) = (fleet.is_many(), fleet.shows_namespace());
        let mut headers = vec!["NAME", "STATUS", "DETACHED", "BY", "FROM", "REMOVED LABELS"];
        if namespace {
            headers.insert(0, "NAMESPACE");
        }
        if context {
            headers.insert(0, "CONTEXT");
        }
        let mut t = output::Table::new(headers);
        for d in items {
            let mut row = row(d);
            if namespace {
                row.insert(0, d.namespace.clone());
            }
            if context {
                row.insert(0, d.context.clone().unwrap_or_default());
            }
            t.push(row);
        }
        output::out(&t.render(!a.headers.no_headers));
    }
    fleet.report(&outcomes)
}

/// A detached pod's columns after its context and namespace.
fn row(d: &Detached) -> Vec<String> {
    vec![
        d.name.clone(),
        d.phase.clone(),
        d.age_seconds.map_or("<unknown>".into(), time::human_duration_secs),
        d.detached_by.clone().unwrap_or_else(|| "<unknown>".into()),
        d.detached_from.clone().unwrap_or_else(|| "<unknown>".into()),
        kubectl_kit_core::selector::map_to_string(&d.removed_labels),
    ]
}

/// `kubectl detach list`.
pub async fn list(a: ListArgs, global: &GlobalFlags) -> Result<()> {
    let data = wants_data(&a.output)?;
    let fleet = Fleet::plan(global, &a.fleet, a.all.all_namespaces)?;
    if !fleet.is_plain() {
        return list_fleet(&a, &fleet, data).await;
    }
    let kube = Kube::connect(global).await?;
    let pods = detached_pods(&kube, a.all.all_namespaces).await?;
    let items: Vec<Detached> = pods.iter().map(describe).collect();
    if data {
        return print_data(&a.output, &serde_json::json!({"apiVersion": "kubectl-kit.detach/v1", "items": items}));
    }
    if items.is_empty() {
        let where_ = if a.all.all_namespaces { String::new() } else { format!(" in {} namespace", kube.namespace) };
        output::err(&format!("No detached pods found{where_}.\n"));
        return Ok(());
    }
    let mut headers = vec!["NAME", "STATUS", "DETACHED", "BY", "FROM", "REMOVED LABELS"];
    if a.all.all_namespaces {
        headers.insert(0, "NAMESPACE");
    }
    let mut t = output::Table::new(headers);
    for d in items {
        let mut row = row(&d);
        if a.all.all_namespaces {
            row.insert(0, d.namespace);
        }
        t.push(row);
    }
    output::out(&t.render(!a.headers.no_headers));
    Ok(())
}

/// Whether the recorded owner still wants the pod: `Ok(true)` when it will adopt it (so the
/// deletion cost matters), `Ok(false)` when nothing will adopt it, an error when adopting it
/// would delete it at once.
async fn check_owner(kube: &Kube, ns: &str, pod: &Pod, force: bool) -> Result<bool> {
    let from = annotation(pod, DETACHED_FROM).unwrap_or_default();
    let Some(owner) = from.split_whitespace().next().filter(|o| *o != "-") else { return Ok(false) };
    let Some((kind, name)) = owner.split_once('/') else { return Ok(false) };
    let uid = annotation(pod, OWNER_UID).unwrap_or_default();
    let c = kube.client.clone();
    let found = match kind {
        "ReplicaSet" => Api::<ReplicaSet>::namespaced(c, ns)
            .get_opt(name)
            .await?
            .map(|o| (o.metadata.uid.unwrap_or_default(), o.spec.and_then(|s| s.replicas).unwrap_or(1))),
        "ReplicationController" => Api::<ReplicationController>::namespaced(c, ns)
            .get_opt(name)
            .await?
            .map(|o| (o.metadata.uid.unwrap_or_default(), o.spec.and_then(|s| s.replicas).unwrap_or(1))),
        _ => return Ok(true),
    };
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    match found {
        None => {
            output::warn(&format!("{owner} no longer exists: pod {pod_name} gets its labels back but no controller adopts it"));
            Ok(false)
        }
        Some((u, _)) if !uid.is_empty() && u != uid => {
            output::warn(&format!("{owner} was re-created since pod {pod_name} was detached; the new one may adopt it"));
            Ok(true)
        }
        Some((_, 0)) if !force => Err(Error::runtime(format!(
            "refusing to reattach pod {pod_name}: {owner} now wants 0 replicas (its Deployment has rolled out since), so it would adopt the pod and delete it at once"
        ))
        .hint("--force reattaches it anyway; kubectl detach cleanup deletes detached pods")),
        Some(_) => Ok(true),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Reattached {
    namespace: String,
    name: String,
    restored_labels: Labels,
    labels_after: Labels,
    deletion_cost: Option<String>,
    result: String,
}

/// `kubectl detach reattach`.
pub async fn reattach(a: ReattachArgs, global: &GlobalFlags) -> Result<()> {
    let data = wants_data(&a.output)?;
    let selection = target::parse(&a.targets, a.selector.as_deref(), Verb::Reattach)?;
    let kube = Kube::connect(global).await?;
    let ns = kube.namespace.clone();
    let api: Api<Pod> = Api::namespaced(kube.client.clone(), &ns);
    let pods = match &selection {
        Selection::Names(names) => crate::gather::pods_named(&kube, &ns, names).await?,
        Selection::Selector(sel) => {
            let items = api.list(&ListParams::default().labels(&format!("{sel},{MARKER}"))).await?.items;
            if items.is_empty() {
                return Err(Error::runtime(format!("no detached pods in namespace {ns} match the selector {sel:?}")));
            }
            items
        }
    };
    // Check every pod before changing any.
    let mut adopt = BTreeMap::new();
    for p in &pods {
        let name = p.metadata.name.clone().unwrap_or_default();
        if !p.metadata.labels.as_ref().is_some_and(|l| l.contains_key(MARKER)) {
            return Err(Error::runtime(format!("pod {name} is not detached (it has no {MARKER} label)")));
        }
        if annotation(p, ORIGINAL_LABELS).is_none_or(|t| serde_json::from_str::<Labels>(&t).is_err()) {
            return Err(Error::runtime(format!(
                "pod {name} has no readable {ORIGINAL_LABELS} annotation, so its labels cannot be restored"
            )));
        }
        adopt.insert(name, check_owner(&kube, &ns, p, a.force).await?);
    }
    let dry = a.dry_run.dry_run;
    let mut results = vec![];
    for p in pods {
        let name = p.metadata.name.clone().unwrap_or_default();
        let set_cost = adopt.get(&name).copied().unwrap_or(false);
        let mut pod = p;
        let mut attempt = 1;
        let after = loop {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let restore = plan::labels_to_restore(&original_labels(&pod), &labels);
            let rv = pod.metadata.resource_version.clone().unwrap_or_default();
            let ops = reattach_patch(&rv, &restore, &pod.metadata.annotations.clone().unwrap_or_default(), set_cost);
            if dry == DryRun::Client {
                let mut after = labels.clone();
                after.extend(restore.clone());
                after.remove(MARKER);
                break (restore, after);
            }
            match patch_pod(&api, &ns, &name, &ops, dry).await {
                Ok(done) => break (restore, done.metadata.labels.unwrap_or_default()),
                Err(e) if is_conflict(&e) && attempt < ATTEMPTS => {
                    attempt += 1;
                    output::warn(&format!(
                        "pod {name} changed while being reattached; reading it again (attempt {attempt} of {ATTEMPTS})"
                    ));
                    pod = api.get(&name).await?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        results.push(Reattached {
            namespace: ns.clone(),
            name,
            restored_labels: after.0,
            labels_after: after.1,
            deletion_cost: set_cost.then(|| plan::REATTACH_COST.to_string()),
            result: format!("reattached{}", dry.suffix()),
        });
    }
    if data {
        return print_data(
            &a.output,
            &serde_json::json!({"apiVersion": "kubectl-kit.detach/v1", "dryRun": dry, "pods": results}),
        );
    }
    let mut text = String::new();
    for r in results {
        text.push_str(&format!(
            "pod/{} {} (restored {})\n",
            output::escape(&r.name),
            r.result,
            output::escape(&kubectl_kit_core::selector::map_to_string(&r.restored_labels))
        ));
    }
    output::out(&text);
    Ok(())
}

/// `kubectl detach cleanup --older-than D`.
pub async fn cleanup(a: CleanupArgs, global: &GlobalFlags) -> Result<()> {
    let data = wants_data(&a.output)?;
    let kube = Kube::connect(global).await?;
    let pods = detached_pods(&kube, a.all.all_namespaces).await?;
    let limit = a.older_than.as_secs() as i64;
    let dry = a.dry_run.dry_run;
    let mut deleted = vec![];
    for p in pods {
        let d = describe(&p);
        // A pod without a readable detach time is never old enough: nothing is deleted on a guess.
        if d.age_seconds.is_none_or(|age| age < limit) {
            continue;
        }
        if dry != DryRun::Client {
            let api: Api<Pod> = Api::namespaced(kube.client.clone(), &d.namespace);
            let dp = DeleteParams {
                dry_run: dry == DryRun::Server,
                // Only the pod that was looked at: not a same-named successor.
                preconditions: Some(Preconditions { uid: p.metadata.uid.clone(), resource_version: None }),
                ..Default::default()
            };
            match api.delete(&d.name, &dp).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        deleted.push(d);
    }
    if data {
        return print_data(
            &a.output,
            &serde_json::json!({"apiVersion": "kubectl-kit.detach/v1", "dryRun": dry, "deleted": deleted}),
        );
    }
    if deleted.is_empty() {
        output::err(&format!("No detached pods older than {}.\n", time::human_duration(a.older_than)));
    }
    let mut text = String::new();
    for d in deleted {
        if a.all.all_namespaces {
            text.push_str(&format!("{}\t", output::escape(&d.namespace)));
        }
        text.push_str(&format!("pod \"{}\" deleted{}\n", output::escape(&d.name), dry.suffix()));
    }
    output::out(&text);
    Ok(())
}
