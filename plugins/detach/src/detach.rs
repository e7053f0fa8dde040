//! The detach command, one function per phase, called in this order by [`run`]:
//!
//! 1. `read`: the pods, the namespace's selectors, the pods' owners;
//! 2. `plan`: which labels each pod loses, refusing owners that cannot let a pod go;
//! 3. `guard`: never every ready replica of an owner at once;
//! 4. the impact table, printed before anything changes;
//! 5. `act`: the patches (the write side is [`crate::patch`]), then `--wait`;
//! 6. `report`: what was done, as a table or `-o json|yaml`.
//!
//! Requests for one pod of a Deployment: GET pod, GET ReplicaSet, LIST the owner's pods, five
//! LISTs of the namespace (Services, EndpointSlices, PDBs, NetworkPolicies, HPAs), one
//! SelfSubjectReview, one PATCH: 10. With several pods, the first pod's patch is first sent as a
//! server dry run (RBAC and admission are checked before anything changes) and a pod whose patch
//! fails after others succeeded has the others rolled back.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams};
use kubectl_kit_core::flags::{DryRun, GlobalFlags};
use kubectl_kit_core::selector::Labels;
use kubectl_kit_core::{Error, Kube, Result, output, time};
use serde::Serialize;

use crate::cli::{DetachArgs, Output};
use crate::gather::{self, Neighbourhood, Owner};
use crate::impact::{self, Row};
use crate::patch::{self, Writer};
use crate::plan::{self, From, Planned, ip_of, labels_of, name_of, plan_pod};
use crate::target::{self, Selection, Verb};

/// Patches in flight at once for `-l` over many pods.
const PARALLEL: usize = 16;

/// `kubectl detach pod …`.
pub async fn run(words: &[String], args: DetachArgs, out: &Output, global: &GlobalFlags) -> Result<()> {
    let data = wants_data(out)?;
    let selection = target::parse(words, args.selector.as_deref(), Verb::Detach)?;
    let kube = Kube::connect(global).await?;
    let pods_api: Api<Pod> = Api::namespaced(kube.client.clone(), &kube.namespace);

    let seen = read(&kube, &pods_api, &selection).await?;
    let planned = plan(seen.pods, &seen.owners, &seen.n, &args)?;
    let replicas = guard(&kube, &seen.owners, &planned, args.all_replicas).await?;
    let mut reports = preview(&kube.namespace, &planned, &replicas, &seen.n, args.from);
    if !data {
        output::out(&impact_table(&reports));
    }
    let dry = args.dry_run.dry_run;
    act(&kube, &pods_api, &seen.n, &planned, args.from, dry, &mut reports).await?;
    if args.wait && dry == DryRun::None {
        wait(&kube, &kube.namespace, &planned, &seen.owners, &replicas.before, &mut reports, args.timeout).await?;
    }
    report(out, data, dry, reports)
}

/// What the command reads before deciding anything.
struct Read {
    /// The pods to detach.
    pods: Vec<Pod>,
    /// What in the namespace selects pods.
    n: Neighbourhood,
    /// The pods' controllers, by uid.
    owners: BTreeMap<String, Owner>,
}

/// Read: the pods and the namespace's selectors at once, then the pods' owners. A pod named
/// that is already detached is an error; one a selector matches is skipped with a warning.
async fn read(kube: &Kube, pods_api: &Api<Pod>, selection: &Selection) -> Result<Read> {
    let ns = &kube.namespace;
    let (pods, n) = tokio::try_join!(
        async {
            match selection {
                Selection::Names(names) => gather::pods_named(kube, ns, names).await,
                Selection::Selector(sel) => {
                    let list = pods_api.list(&ListParams::default().labels(sel)).await?;
                    let (detached, fresh): (Vec<Pod>, Vec<Pod>) =
                        list.items.into_iter().partition(|p| labels_of(p).contains_key(plan::MARKER));
                    for p in &detached {
                        output::warn(&format!("pod {} is already detached; skipping it", name_of(p)));
                    }
                    if fresh.is_empty() {
                        return Err(Error::runtime(format!("no pods in namespace {ns} match the selector {sel:?}")));
                    }
                    Ok(fresh)
                }
            }
        },
        gather::neighbourhood(kube, ns),
    )?;
    if let Selection::Names(_) = selection
        && let Some(p) = pods.iter().find(|p| labels_of(p).contains_key(plan::MARKER))
    {
        return Err(Error::runtime(format!("pod {} is already detached", name_of(p)))
            .hint(format!("kubectl detach reattach pod {} puts it back first", name_of(p))));
    }
    let refs: BTreeMap<String, _> =
        pods.iter().filter_map(gather::controller_ref).map(|r| (r.uid.clone(), r.clone())).collect();
    let fetched = futures::future::try_join_all(refs.values().map(|r| gather::owner(kube, ns, r))).await?;
    let owners = fetched.into_iter().map(|o| (o.uid.clone(), o)).collect();
    Ok(Read { pods, n, owners })
}

/// Plan: every pod's relabel, before touching any. An owner that cannot let a pod go
/// (StatefulSet, DaemonSet, Job, an unknown kind) is refused unless `--force`, or
/// `--from=services` leaves it alone.
fn plan(
    pods: Vec<Pod>,
    owners: &BTreeMap<String, Owner>,
    n: &Neighbourhood,
    args: &DetachArgs,
) -> Result<Vec<Planned>> {
    let mut planned = vec![];
    for pod in pods {
        let owner = gather::controller_ref(&pod).and_then(|r| owners.get(&r.uid)).cloned();
        if let Some(o) = &owner
            && args.from != From::Services
            && let Some(why) = o.kind.refusal()
            && !args.force
        {
            return Err(Error::runtime(format!("refusing to detach pod {} from {}: {why}", name_of(&pod), o.what))
                .hint("--force detaches it anyway; --from=services leaves the owner alone"));
        }
        let owner_for_plan = owner.as_ref().filter(|o| o.sel.is_some());
        if owner.as_ref().is_some_and(|o| o.sel.is_none()) && args.from != From::Services {
            output::warn(&format!(
                "{} is left as it is: its selector is unknown, so only the Services are changed",
                owner.as_ref().map(|o| o.what.as_str()).unwrap_or_default()
            ));
        }
        let (removed, left) = plan_pod(&pod, owner_for_plan, n, args.from)?;
        planned.push(Planned { pod, owner, removed, left });
    }
    Ok(planned)
}

/// What the guard counted of each owner's pods, by owner uid.
struct Replicas {
    /// Ready pods that stay, and all pods: the impact table's "N ready replicas remain".
    siblings: BTreeMap<String, (usize, usize)>,
    /// The owner's pods before the detach, so that `--wait` can tell the replacements.
    before: BTreeMap<String, BTreeSet<String>>,
}

/// Guard: never every ready replica of an owner at once, unless `--all-replicas`. One list of
/// each owner's pods.
async fn guard(
    kube: &Kube,
    owners: &BTreeMap<String, Owner>,
    planned: &[Planned],
    all_replicas: bool,
) -> Result<Replicas> {
    let mut siblings: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut before_sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in owners.values() {
        let owned = gather::owned_pods(kube, &kube.namespace, o).await?;
        let ready: BTreeSet<String> = owned.iter().filter(|p| gather::is_ready(p)).map(name_of).collect();
        let leaving: BTreeSet<String> = planned
            .iter()
            .filter(|p| p.owner.as_ref().is_some_and(|x| x.uid == o.uid))
            .map(|p| name_of(&p.pod))
            .collect();
        if !ready.is_empty() && ready.is_subset(&leaving) && !all_replicas {
            return Err(Error::runtime(format!(
                "refusing to detach every ready replica of {} ({} of {}) at once",
                o.what,
                ready.len(),
                owned.len()
            ))
            .hint("--all-replicas does it anyway; nothing would serve until the replacements are Ready"));
        }
        siblings.insert(o.uid.clone(), (ready.difference(&leaving).count(), owned.len()));
        before_sets.insert(o.uid.clone(), owned.iter().map(name_of).collect());
    }
    Ok(Replicas { siblings, before: before_sets })
}

/// Every pod's report before the write: the labels it loses and the impact rows.
fn preview(ns: &str, planned: &[Planned], replicas: &Replicas, n: &Neighbourhood, from: From) -> Vec<PodReport> {
    let leaving_ips: Vec<String> = planned.iter().filter_map(|p| ip_of(&p.pod)).collect();
    planned
        .iter()
        .map(|p| {
            let before = labels_of(&p.pod);
            let after = plan::labels_after(&before, &p.removed);
            let sib = p.owner.as_ref().and_then(|o| replicas.siblings.get(&o.uid).copied());
            PodReport {
                namespace: ns.to_string(),
                name: name_of(&p.pod),
                ip: ip_of(&p.pod),
                owner: p.owner.as_ref().map(|o| o.what.clone()),
                from,
                removed_labels: p
                    .removed
                    .iter()
                    .map(|k| (k.clone(), before.get(k).cloned().unwrap_or_default()))
                    .collect(),
                impact: impact::rows(&p.pod, &before, &after, p.owner.as_ref(), sib, n, &leaving_ips),
                labels_after: after,
                result: String::new(),
                replacements: vec![],
            }
        })
        .collect()
}

/// Act: patch every pod, [`PARALLEL`] at a time (nothing is sent for `--dry-run=client`).
/// Several pods: the first one's patch goes first as a server dry run; a pod that fails after
/// others succeeded has those put back. The reports get the labels the server answered.
async fn act(
    kube: &Kube,
    pods_api: &Api<Pod>,
    n: &Neighbourhood,
    planned: &[Planned],
    from: From,
    dry: DryRun,
    reports: &mut [PodReport],
) -> Result<()> {
    if dry != DryRun::Client {
        let ns = &kube.namespace;
        let by = gather::whoami(kube).await;
        let pause = patch::test_pause();
        let w = Writer { api: pods_api, ns, n, from, by: &by };
        if planned.len() > 1 && dry == DryRun::None {
            // RBAC and admission answer for the first pod before any pod changes.
            patch::write(&w, &planned[0], DryRun::Server, Duration::ZERO).await?;
        }
        let results: Vec<(usize, Result<Pod>)> = futures::stream::iter(planned.iter().enumerate())
            .map(|(i, p)| {
                let w = &w;
                async move { (i, patch::write(w, p, dry, pause).await) }
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut failure = None;
        let mut done = vec![];
        for (i, r) in results {
            match r {
                Ok(pod) => {
                    reports[i].labels_after = labels_of(&pod);
                    reports[i].removed_labels = reports[i]
                        .removed_labels
                        .iter()
                        .filter(|(k, _)| !labels_of(&pod).contains_key(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    done.push(i);
                }
                Err(e) => failure = failure.or(Some((i, e))),
            }
        }
        if let Some((i, e)) = failure {
            if dry == DryRun::None && !done.is_empty() {
                let undone = patch::rollback(pods_api, ns, planned, &done).await;
                return Err(e.hint(format!(
                    "pod {} could not be detached; the {} pod(s) detached in this command were put back ({undone} restored)",
                    name_of(&planned[i].pod),
                    done.len()
                )));
            }
            return Err(e);
        }
    }
    for r in reports.iter_mut() {
        r.result = format!("detached{}", dry.suffix());
    }
    Ok(())
}

/// `--wait`: until the IPs are gone from the Services left and each owner left has its
/// replicas Ready again; records the replacements.
async fn wait(
    kube: &Kube,
    ns: &str,
    planned: &[Planned],
    owners: &BTreeMap<String, Owner>,
    before_sets: &BTreeMap<String, BTreeSet<String>>,
    reports: &mut [PodReport],
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let ips: Vec<String> = planned.iter().filter_map(|p| ip_of(&p.pod)).collect();
    let services: BTreeSet<String> = planned
        .iter()
        .flat_map(|p| p.left.iter().filter_map(|w| w.strip_prefix("Service/").map(str::to_string)))
        .collect();
    let left_owners: Vec<&Owner> = owners
        .values()
        .filter(|o| {
            planned.iter().any(|p| p.owner.as_ref().is_some_and(|x| x.uid == o.uid) && p.left.contains(&o.what))
        })
        .collect();
    let slices: Api<EndpointSlice> = Api::namespaced(kube.client.clone(), ns);
    loop {
        let mut waiting = vec![];
        for s in &services {
            let list = slices.list(&ListParams::default().labels(&format!("kubernetes.io/service-name={s}"))).await?;
            let still =
                list.items.iter().any(|sl| sl.endpoints.iter().any(|e| e.addresses.iter().any(|a| ips.contains(a))));
            if still {
                waiting.push(format!("Service/{s} still lists the pod's IP"));
            }
        }
        let mut replaced: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for o in &left_owners {
            let owned = gather::owned_pods(kube, ns, o).await?;
            let ready = owned.iter().filter(|p| gather::is_ready(p)).count();
            let want = o.replicas.unwrap_or(0).max(0) as usize;
            let before = before_sets.get(&o.uid).cloned().unwrap_or_default();
            let new: Vec<String> = owned.iter().map(name_of).filter(|p| !before.contains(p)).collect();
            let leaving: BTreeSet<String> = planned.iter().map(|p| name_of(&p.pod)).collect();
            if ready < want || owned.iter().any(|p| leaving.contains(&name_of(p))) {
                waiting.push(format!("{} has {ready} of {want} replicas Ready", o.what));
            }
            replaced.insert(o.uid.clone(), new);
        }
        if waiting.is_empty() {
            for (p, r) in planned.iter().zip(reports.iter_mut()) {
                if let Some(o) = &p.owner
                    && let Some(new) = replaced.get_mut(&o.uid)
                    && !new.is_empty()
                {
                    r.replacements.push(new.remove(0));
                }
            }
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::runtime(format!(
                "timed out after {} waiting: {}",
                time::human_duration(timeout),
                waiting.join("; ")
            ))
            .hint("the pods are detached; only the wait gave up"));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Report: the `-o json|yaml` document, or a line per pod (with the labels the server
/// answered for `--dry-run=server`, and the replacements `--wait` saw).
fn report(out: &Output, data: bool, dry: DryRun, reports: Vec<PodReport>) -> Result<()> {
    if data {
        return print_data(out, &Report { api_version: "kubectl-kit.detach/v1", dry_run: dry, pods: reports });
    }
    let mut text = String::new();
    for r in &reports {
        text.push_str(&format!("pod/{} {}\n", output::escape(&r.name), r.result));
        if dry == DryRun::Server {
            text.push_str(&format!(
                "  labels after: {}\n",
                output::escape(&kubectl_kit_core::selector::map_to_string(&r.labels_after))
            ));
        }
        if !r.replacements.is_empty() {
            text.push_str(&format!("  replaced by: {}\n", output::escape(&r.replacements.join(", "))));
        }
    }
    output::out(&text);
    Ok(())
}

/// One pod's plan and outcome, as `-o json` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodReport {
    /// Namespace.
    pub namespace: String,
    /// Pod name.
    pub name: String,
    /// Pod IP, if it has one.
    pub ip: Option<String>,
    /// `Kind/name` of the controller, if any.
    pub owner: Option<String>,
    /// What it leaves.
    pub from: From,
    /// The labels removed (with their values).
    pub removed_labels: Labels,
    /// The labels after the change (the server's answer for a real or server-dry-run patch).
    pub labels_after: Labels,
    /// What selects the pod now and after.
    pub impact: Vec<Row>,
    /// `detached`, or `detached (server dry run)`.
    pub result: String,
    /// The owner's replacement pods (with `--wait`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<String>,
}

/// The `-o json|yaml` document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    api_version: &'static str,
    dry_run: DryRun,
    pods: Vec<PodReport>,
}

/// Checks `-o`: false for the table, true for json or yaml (printed by [`print_data`]).
pub fn wants_data(o: &Output) -> Result<bool> {
    Ok(o.format()? != output::Report::Table)
}

/// Prints a serializable document as `-o json` or `-o yaml` asked.
pub fn print_data(o: &Output, value: &impl Serialize) -> Result<()> {
    if let Some(text) = o.format()?.data(value)? {
        output::out(&text);
    }
    Ok(())
}

/// The impact table: one block of rows per pod.
fn impact_table(reports: &[PodReport]) -> String {
    let mut t = output::Table::new(["POD", "SELECTED BY", "NOW", "AFTER", "WHAT CHANGES"]);
    let yn = |b: bool| if b { "yes" } else { "no" };
    for r in reports {
        let removed = kubectl_kit_core::selector::map_to_string(&r.removed_labels);
        t.push([
            r.name.clone(),
            "labels".into(),
            "-".into(),
            "-".into(),
            format!("remove {removed}; add {}=true", plan::MARKER),
        ]);
        for row in &r.impact {
            t.push([
                r.name.clone(),
                format!("{}/{}", row.kind, row.name),
                yn(row.now).into(),
                yn(row.after).into(),
                row.note.clone(),
            ]);
        }
    }
    t.render(true)
}
