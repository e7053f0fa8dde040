//! The detach command: read, plan every pod, refuse what is unsafe, show the impact, then patch.
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
use kubectl_kit_core::flags::{DryRun, GlobalFlags, OutputFlags};
use kubectl_kit_core::selector::Labels;
use kubectl_kit_core::{Error, Kube, Result, output, time};
use serde::Serialize;

use crate::DetachArgs;
use crate::gather::{self, Neighbourhood, Owner};
use crate::impact::{self, Row};
use crate::plan::{self, From, Record, Sel, Selecting};
use crate::target::{self, Selection};

/// Patches in flight at once for `-l` over many pods.
const PARALLEL: usize = 16;
/// Attempts per pod when the pod changes under us (409 Conflict or a failed `test`: 422).
pub const ATTEMPTS: usize = 5;
/// The field manager the API server records for our writes.
pub const FIELD_MANAGER: &str = "kubectl-detach";

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

/// `-o` of every detach command: the command's table, or its report as JSON or YAML.
pub type Output = OutputFlags<output::Report>;

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

/// A pod with the owner and selectors that decide its relabel.
struct Planned {
    pod: Pod,
    owner: Option<Owner>,
    removed: Vec<String>,
    left: Vec<String>,
}

fn labels_of(pod: &Pod) -> Labels {
    pod.metadata.labels.clone().unwrap_or_default()
}

fn name_of(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

fn ip_of(pod: &Pod) -> Option<String> {
    pod.status.as_ref().and_then(|s| s.pod_ip.clone())
}

/// The Services whose selector selects these labels.
fn services_selecting(n: &Neighbourhood, labels: &Labels) -> Vec<Selecting> {
    n.services
        .as_ref()
        .map(|v| v.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let m = s.spec.as_ref().and_then(|s| s.selector.clone()).filter(|m| !m.is_empty())?;
            let sel = Sel::Map(m);
            sel.matches(labels)
                .then(|| Selecting { what: format!("Service/{}", s.metadata.name.clone().unwrap_or_default()), sel })
        })
        .collect()
}

/// Decides which labels to remove from a pod, given what it leaves.
fn plan_pod(pod: &Pod, owner: Option<&Owner>, n: &Neighbourhood, from: From) -> Result<(Vec<String>, Vec<String>)> {
    let labels = labels_of(pod);
    let services = services_selecting(n, &labels);
    let owner_sel = owner.and_then(Owner::selecting);
    let name = name_of(pod);
    let (leave, keep): (Vec<Selecting>, Vec<Selecting>) = match from {
        From::All => (owner_sel.into_iter().chain(services).collect(), vec![]),
        From::Owner => {
            let Some(o) = owner_sel else {
                return Err(Error::runtime(format!("pod {name} has no controller to detach it from"))
                    .hint("--from=services takes it out of its Services only"));
            };
            (vec![o], services)
        }
        From::Services => {
            if services.is_empty() {
                return Err(match &n.services {
                    Err(why) => Error::runtime(format!("cannot tell which Services select pod {name}: {why}")),
                    Ok(_) => Error::runtime(format!("no Service selects pod {name}")),
                });
            }
            (services, owner_sel.into_iter().collect())
        }
    };
    if leave.is_empty() {
        return Err(Error::runtime(format!(
            "nothing selects pod {name}: it has no controller and no Service selects it"
        ))
        .hint("a bare pod outside every Service is already detached"));
    }
    let removed = plan::labels_to_remove(&labels, &leave, &keep).map_err(|e| {
        Error::runtime(format!("cannot detach pod {name}: {e}")).hint(match from {
            From::All => "--from=services or --from=owner leaves only one of them",
            _ => "--from=all takes it out of both",
        })
    })?;
    Ok((removed, leave.into_iter().map(|s| s.what).collect()))
}

/// `kubectl detach pod …`.
pub async fn run(words: &[String], args: DetachArgs, out: &Output, global: &GlobalFlags) -> Result<()> {
    let data = wants_data(out)?;
    let selection = target::parse(words, args.selector.as_deref()).map_err(Error::usage)?;
    let kube = Kube::connect(global).await?;
    let ns = kube.namespace.clone();
    let pods_api: Api<Pod> = Api::namespaced(kube.client.clone(), &ns);

    // Read: the pods, the namespace's selectors, the owners.
    let (pods, n) = tokio::try_join!(
        async {
            match &selection {
                Selection::Names(names) => gather::pods_named(&kube, &ns, names).await,
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
        gather::neighbourhood(&kube, &ns),
    )?;
    if let Selection::Names(_) = selection
        && let Some(p) = pods.iter().find(|p| labels_of(p).contains_key(plan::MARKER))
    {
        return Err(Error::runtime(format!("pod {} is already detached", name_of(p)))
            .hint(format!("kubectl detach reattach pod {} puts it back first", name_of(p))));
    }
    let mut owners: BTreeMap<String, Owner> = BTreeMap::new();
    let refs: BTreeMap<String, _> =
        pods.iter().filter_map(gather::controller_ref).map(|r| (r.uid.clone(), r.clone())).collect();
    let fetched = futures::future::try_join_all(refs.values().map(|r| gather::owner(&kube, &ns, r))).await?;
    for o in fetched {
        owners.insert(o.uid.clone(), o);
    }

    // Plan every pod before touching any.
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
        let (removed, left) = plan_pod(&pod, owner_for_plan, &n, args.from)?;
        planned.push(Planned { pod, owner, removed, left });
    }

    // Guard: never every ready replica of an owner at once, unless asked.
    let mut siblings: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut before_sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in owners.values() {
        let owned = gather::owned_pods(&kube, &ns, o).await?;
        let ready: BTreeSet<String> = owned.iter().filter(|p| gather::is_ready(p)).map(name_of).collect();
        let leaving: BTreeSet<String> = planned
            .iter()
            .filter(|p| p.owner.as_ref().is_some_and(|x| x.uid == o.uid))
            .map(|p| name_of(&p.pod))
            .collect();
        if !ready.is_empty() && ready.is_subset(&leaving) && !args.all_replicas {
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

    let leaving_ips: Vec<String> = planned.iter().filter_map(|p| ip_of(&p.pod)).collect();
    let mut reports: Vec<PodReport> = planned
        .iter()
        .map(|p| {
            let before = labels_of(&p.pod);
            let after = plan::labels_after(&before, &p.removed);
            let sib = p.owner.as_ref().and_then(|o| siblings.get(&o.uid).copied());
            PodReport {
                namespace: ns.clone(),
                name: name_of(&p.pod),
                ip: ip_of(&p.pod),
                owner: p.owner.as_ref().map(|o| o.what.clone()),
                from: args.from,
                removed_labels: p
                    .removed
                    .iter()
                    .map(|k| (k.clone(), before.get(k).cloned().unwrap_or_default()))
                    .collect(),
                impact: impact::rows(&p.pod, &before, &after, p.owner.as_ref(), sib, &n, &leaving_ips),
                labels_after: after,
                result: String::new(),
                replacements: vec![],
            }
        })
        .collect();
    if !data {
        output::out(&impact_table(&reports));
    }

    // Act.
    let dry = args.dry_run.dry_run;
    if dry != DryRun::Client {
        let by = gather::whoami(&kube).await;
        let pause = test_pause();
        let w = Writer { api: &pods_api, ns: &ns, n: &n, from: args.from, by: &by };
        if planned.len() > 1 && dry == DryRun::None {
            // RBAC and admission answer for the first pod before any pod changes.
            write(&w, &planned[0], DryRun::Server, Duration::ZERO).await?;
        }
        let results: Vec<(usize, Result<Pod>)> = futures::stream::iter(planned.iter().enumerate())
            .map(|(i, p)| {
                let w = &w;
                async move { (i, write(w, p, dry, pause).await) }
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
                let undone = rollback(&pods_api, &ns, &planned, &done).await;
                return Err(e.hint(format!(
                    "pod {} could not be detached; the {} pod(s) detached in this command were put back ({undone} restored)",
                    name_of(&planned[i].pod),
                    done.len()
                )));
            }
            return Err(e);
        }
    }
    for r in &mut reports {
        r.result = format!("detached{}", dry.suffix());
    }

    if args.wait && dry == DryRun::None {
        wait(&kube, &ns, &planned, &owners, &before_sets, &mut reports, args.timeout).await?;
    }

    if data {
        print_data(out, &Report { api_version: "kubectl-kit.detach/v1", dry_run: dry, pods: reports })?;
    } else {
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

/// A delay before the first write, so that tests can change a pod between our read and our
/// write and check that the change is not lost. Never set in normal use.
fn test_pause() -> Duration {
    std::env::var("KUBECTL_DETACH_TEST_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::ZERO, Duration::from_millis)
}

/// A write lost to a concurrent one: 409 Conflict, or the API server's answer to a JSON Patch
/// that no longer applies (a failed `test` operation, a label already gone): 422 `Invalid` with
/// no causes at all, as apiserver's `handlers/patch.go` builds it (`NewGenericServerResponse`
/// without a server message). A 422 for a value the server refuses (`NewInvalid`) names the
/// object and the fields at fault, and is not a race.
pub fn is_conflict(e: &kube::Error) -> bool {
    let kube::Error::Api(s) = e else { return false };
    let names_nothing = s.details.as_ref().is_none_or(|d| d.causes.is_empty() && d.name.is_empty());
    s.code == 409 || (s.code == 422 && s.reason == "Invalid" && names_nothing)
}

/// What every write of one command shares.
struct Writer<'a> {
    api: &'a Api<Pod>,
    ns: &'a str,
    n: &'a Neighbourhood,
    from: From,
    by: &'a str,
}

/// Patches one pod, re-reading and re-planning it when it changed under us.
async fn write(w: &Writer<'_>, p: &Planned, dry: DryRun, pause: Duration) -> Result<Pod> {
    let mut pod = p.pod.clone();
    let mut removed = p.removed.clone();
    let owner_for_plan = p.owner.as_ref().filter(|o| o.sel.is_some());
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    for attempt in 1..=ATTEMPTS {
        let labels = labels_of(&pod);
        let left_owner = owner_for_plan
            .filter(|o| o.sel.as_ref().is_some_and(|s| !s.matches(&plan::labels_after(&labels, &removed))));
        let mut from_text = vec![left_owner.map_or("-".to_string(), |o| o.what.clone())];
        from_text.extend(p.left.iter().filter(|w| w.starts_with("Service/")).cloned());
        let record = Record {
            at: time::format_rfc3339(time::now()),
            by: w.by.to_string(),
            from: from_text.join(" "),
            owner_uid: left_owner.map(|o| o.uid.clone()),
        };
        let rv = pod.metadata.resource_version.clone().unwrap_or_default();
        let patch = plan::detach_patch(&rv, &labels, pod.metadata.annotations.as_ref(), &removed, &record);
        match patch_pod(w.api, w.ns, &name_of(&pod), &patch, dry).await {
            Ok(done) => return Ok(done),
            Err(e) if is_conflict(&e) && attempt < ATTEMPTS => {
                output::warn(&format!(
                    "pod {} changed while being detached; reading it again (attempt {} of {ATTEMPTS})",
                    name_of(&pod),
                    attempt + 1
                ));
                pod = w.api.get(&name_of(&pod)).await?;
                if labels_of(&pod).contains_key(plan::MARKER) {
                    return Err(Error::runtime(format!(
                        "pod {} was detached by someone else meanwhile",
                        name_of(&pod)
                    )));
                }
                removed = plan_pod(&pod, owner_for_plan, w.n, w.from)?.0;
            }
            Err(e) if is_conflict(&e) => {
                return Err(Error::runtime(format!(
                    "pod {} kept changing while being detached; gave up after {ATTEMPTS} attempts, nothing was changed",
                    name_of(&pod)
                ))
                .caused_by(e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::runtime("unreachable: attempts exhausted"))
}

/// Puts back pods detached earlier in a command that then failed. Returns how many were restored.
async fn rollback(api: &Api<Pod>, ns: &str, planned: &[Planned], done: &[usize]) -> usize {
    let mut restored = 0;
    for &i in done {
        let name = name_of(&planned[i].pod);
        let Ok(now) = api.get(&name).await else { continue };
        let original = labels_of(&planned[i].pod);
        let restore = plan::labels_to_restore(&original, &labels_of(&now));
        let rv = now.metadata.resource_version.clone().unwrap_or_default();
        let patch = plan::reattach_patch(&rv, &restore, &now.metadata.annotations.clone().unwrap_or_default(), false);
        if patch_pod(api, ns, &name, &patch, DryRun::None).await.is_ok() {
            restored += 1;
        } else {
            output::warn(&format!("pod {name} could not be put back; kubectl detach reattach pod {name} restores it"));
        }
    }
    restored
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

/// Sends a JSON Patch to a pod (`application/json-patch+json`) with our field manager,
/// persisting nothing when `dry` is `DryRun::Server`.
pub async fn patch_pod(
    api: &Api<Pod>,
    ns: &str,
    name: &str,
    ops: &serde_json::Value,
    dry: DryRun,
) -> kube::Result<Pod> {
    let mut path = format!("/api/v1/namespaces/{ns}/pods/{name}");
    kubectl_kit_core::list::query_pair(&mut path, "fieldManager", FIELD_MANAGER);
    if dry == DryRun::Server {
        kubectl_kit_core::list::query_pair(&mut path, "dryRun", "All");
    }
    let body = serde_json::to_vec(ops).map_err(kube::Error::SerdeError)?;
    let req = http::Request::patch(path)
        .header(http::header::CONTENT_TYPE, "application/json-patch+json")
        .header(http::header::ACCEPT, "application/json")
        .body(body)
        .map_err(kube::Error::HttpError)?;
    api.clone().into_client().request::<Pod>(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: &str) -> kube::Error {
        kube::Error::Api(Box::new(serde_json::from_str(json).expect("a Status")))
    }

    #[test]
    fn conflicts_are_told_by_status_not_by_message() {
        // apiserver's answer to a JSON Patch whose `test` failed (handlers/patch.go), as
        // v1.35 sends it.
        let test_failed = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message":"the server rejected our request due to an error in our request","reason":"Invalid",
            "details":{},"code":422}"#;
        assert!(is_conflict(&status(test_failed)));
        // A value the server refuses: it names the object and the field.
        let invalid = r#"{"kind":"Status","apiVersion":"v1","status":"Failure",
            "message":"Pod \"x\" is invalid: metadata.labels: Invalid value","reason":"Invalid",
            "details":{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"metadata.labels"}]},
            "code":422}"#;
        assert!(!is_conflict(&status(invalid)));
        let unprocessable = r#"{"status":"Failure","message":"x","reason":"Invalid","details":{"causes":[{"reason":"FieldValueRequired","field":"spec"}]},"code":422}"#;
        assert!(!is_conflict(&status(unprocessable)));
        assert!(is_conflict(&status(r#"{"status":"Failure","message":"changed","reason":"Conflict","code":409}"#)));
        assert!(!is_conflict(&status(r#"{"status":"Failure","message":"no","reason":"Forbidden","code":403}"#)));
    }
}
