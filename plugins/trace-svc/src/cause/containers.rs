//! A container that does not run: crash loops, OOM kills and liveness kills (with the exit,
//! the termination message, the memory limit or the probe), image pulls, invalid image names,
//! the ConfigMap or Secret the kubelet could not find, and hooks that fail. A container that
//! runs but is not ready goes to [`super::probes`]; one still being created to
//! [`super::creating`].

use std::collections::BTreeMap;

use super::{Cause, Followup, Judge, first_lines, one_line, probe_target, quoted_first_line};
use crate::pod::{Container, ContainerStatus, Terminated};

impl Judge<'_> {
    /// A container that is waiting, has exited or runs without being ready.
    pub(super) fn container_cause(&self, cs: &ContainerStatus, spec: Option<&Container>, init: bool) -> Option<Cause> {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let state = cs.state.as_ref()?;
        if let Some(w) = &state.waiting {
            let reason = w.reason.clone().unwrap_or_default();
            return match reason.as_str() {
                "CrashLoopBackOff" => {
                    let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
                    Some(self.crash(cs, spec, last, true, init))
                }
                "ErrImagePull" | "ImagePullBackOff" => {
                    Some(self.image_pull(cs, spec, &reason, w.message.as_deref(), init))
                }
                "InvalidImageName" => {
                    let image = spec.and_then(|c| c.image.clone()).unwrap_or_default();
                    let mut c = self.cause(
                        &format!("{prefix}InvalidImageName"),
                        format!(", {what} {} image {image:?} is not a valid image reference", cs.name),
                        match self.pod.deployment() {
                            Some(d) => {
                                format!("kubectl set image deployment/{d} {}=REPOSITORY:TAG -n {}", cs.name, self.ns)
                            }
                            None => self.describe_pod(),
                        },
                    );
                    c.container = Some(cs.name.clone());
                    c.image = Some(image);
                    c.reason = Some(reason);
                    c.message = w.message.clone();
                    Some(c)
                }
                "CreateContainerConfigError" => Some(self.config_error(cs, w.message.as_deref(), init)),
                // Being created: what blocks it is said by the pod's events, if anything does.
                "ContainerCreating" | "PodInitializing" => Some(self.creating(cs, &reason, init)),
                _ => {
                    let msg = w.message.clone().unwrap_or_default();
                    let mut c = self.cause(
                        &format!("{prefix}{reason}"),
                        format!(
                            ", {what} {}{}",
                            cs.name,
                            if msg.is_empty() { String::new() } else { format!(": {}", first_lines(&msg, 1)) }
                        ),
                        self.describe_pod(),
                    );
                    c.container = Some(cs.name.clone());
                    c.reason = Some(reason);
                    c.message = Some(msg).filter(|m| !m.is_empty());
                    // The kubelet's own words for a container that cannot be created or
                    // started (hooks, the runtime): its Failed events.
                    c.evidence.extend(self.event_line(&["Failed", "FailedPostStartHook", "FailedPreStopHook"]));
                    Some(c)
                }
            };
        }
        if let Some(t) = &state.terminated {
            // Exited and not (yet) restarted: the kubelet's reason is the cause.
            if init && t.exit_code == 0 {
                return None;
            }
            return Some(self.crash(cs, spec, Some(t), false, init));
        }
        if state.running.is_some() && !cs.ready && !init {
            return self.probe_failure(cs, spec);
        }
        None
    }

    fn crash(
        &self,
        cs: &ContainerStatus,
        spec: Option<&Container>,
        last: Option<&Terminated>,
        backing_off: bool,
        init: bool,
    ) -> Cause {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let reason = last.and_then(|t| t.reason.clone()).unwrap_or_else(|| "Error".into());
        // A container that has exited before (restarts, or a last state) is in a crash loop
        // whether the kubelet is backing off now or it has just exited again: one cause, so
        // that the pods of one loop are one group whatever moment of it each is in.
        let looping =
            backing_off || cs.restart_count > 0 || cs.last_state.as_ref().is_some_and(|s| s.terminated.is_some());
        if !init && let Some(kill) = self.probe_kill(cs, spec, last) {
            return self.killed_by_probe(cs, last, kill, backing_off);
        }
        let cause = if reason == "OOMKilled" {
            format!("{prefix}OOMKilled")
        } else if looping {
            format!("{prefix}CrashLoopBackOff")
        } else {
            format!("{prefix}{reason}")
        };
        let mut summary = format!(", {what} {}", cs.name);
        if let Some(t) = last {
            summary.push_str(&format!(" exited with {} ({reason})", t.exit_code));
            if let Some(sig) = t.signal.filter(|s| *s != 0) {
                summary.push_str(&format!(", signal {sig}"));
            }
            if let Some(m) = t.message.as_deref().filter(|m| !m.trim().is_empty()) {
                summary.push_str(&format!(": {}", quoted_first_line(m)));
            }
        }
        if looping && reason == "OOMKilled" {
            summary.push_str(", restarted with back-off (CrashLoopBackOff)");
        }
        let previous = if backing_off { " --previous" } else { "" };
        let mut c = Cause {
            cause,
            summary: String::new(),
            command: format!("kubectl logs {} -c {}{previous} -n {}", self.name, cs.name, self.ns),
            container: Some(cs.name.clone()),
            exit_code: last.map(|t| t.exit_code),
            reason: Some(reason.clone()),
            message: last.and_then(|t| t.message.as_deref()).map(|m| first_lines(m, 5)).filter(|m| !m.is_empty()),
            restarts: Some(cs.restart_count),
            ..Default::default()
        };
        c.summary = format!("{}{summary}", c.cause);
        if let Some(m) = last.and_then(|t| t.message.as_deref()).filter(|m| m.trim().lines().count() > 1) {
            c.evidence.push(format!("termination message: {}", one_line(m, 5)));
        }
        if reason == "OOMKilled"
            && let Some(res) = spec.and_then(|s| s.resources.as_ref())
        {
            let get = |m: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
                m.as_ref().and_then(|m| m.get("memory")).map(|q| q.0.clone())
            };
            c.evidence.push(format!(
                "memory limit {}, request {}: the kernel killed the container when it used more than its limit",
                get(&res.limits).unwrap_or_else(|| "none".into()),
                get(&res.requests).unwrap_or_else(|| "none".into())
            ));
        }
        if let Some(e) = self.event_line(&["BackOff"]) {
            c.evidence.push(e);
        }
        c
    }

    /// Whether the kubelet killed the container because its liveness (or startup) probe
    /// failed: an exit by SIGKILL (137) or SIGTERM (143) that the kernel's OOM killer did not
    /// cause, with the kubelet's `Unhealthy` event for that probe, or the probe in the spec
    /// when the events have expired.
    fn probe_kill<'c>(
        &self,
        cs: &ContainerStatus,
        spec: Option<&'c Container>,
        last: Option<&Terminated>,
    ) -> Option<ProbeKill<'c>> {
        let t = last?;
        if !matches!(t.exit_code, 137 | 143) || t.reason.as_deref() == Some("OOMKilled") {
            return None;
        }
        for (kind, probe) in [
            ("Liveness", spec.and_then(|c| c.liveness_probe.as_ref())),
            ("Startup", spec.and_then(|c| c.startup_probe.as_ref())),
        ] {
            let prefix = format!("{kind} probe failed");
            // The event names its container in fieldPath only; a pod's other containers'
            // probes are told apart by the probe being this container's.
            let event = self.ctx.event_where(self.pod, |e| e.reason == "Unhealthy" && e.message.starts_with(&prefix));
            if (event.is_some() && probe.is_some()) || (kind == "Liveness" && probe.is_some() && cs.restart_count > 0) {
                return Some(ProbeKill { kind, probe, event: event.map(|e| (e.line(), e.message.clone())) });
            }
        }
        None
    }

    /// A container the kubelet killed and restarted because its probe failed: not a crash of
    /// its own, and not an OOM kill.
    fn killed_by_probe(
        &self,
        cs: &ContainerStatus,
        last: Option<&Terminated>,
        kill: ProbeKill<'_>,
        backing_off: bool,
    ) -> Cause {
        let lower = kill.kind.to_ascii_lowercase();
        let target = kill.probe.map(probe_target).unwrap_or_default();
        let code = last.map(|t| t.exit_code).unwrap_or(137);
        let cause = format!("{}ProbeFailed", kill.kind);
        let previous = if backing_off { " --previous" } else { "" };
        let mut c = Cause {
            cause: cause.clone(),
            summary: format!(
                "{cause}, container {} was killed by its {lower} probe {target} and restarted (exit {code})",
                cs.name
            ),
            command: format!("kubectl logs {} -c {}{previous} -n {}", self.name, cs.name, self.ns),
            container: Some(cs.name.clone()),
            exit_code: last.map(|t| t.exit_code),
            reason: last.and_then(|t| t.reason.clone()),
            message: kill.event.as_ref().map(|(_, m)| m.clone()),
            restarts: Some(cs.restart_count),
            followup: Followup::Killing,
            ..Default::default()
        };
        if let Some(p) = kill.probe {
            c.evidence.push(format!(
                "probed every {}s (timeout {}s); {} failures in a row make the kubelet kill the container and start it again",
                p.period_seconds.unwrap_or(10),
                p.timeout_seconds.unwrap_or(1),
                p.failure_threshold.unwrap_or(3)
            ));
        }
        match kill.event {
            Some((line, _)) => c.evidence.push(line),
            None => c.evidence.push(format!(
                "no {lower} Unhealthy event is left (events expire): the kill is read from exit {code} and the probe"
            )),
        }
        c.evidence.push(format!(
            "exit {code} is the kubelet's kill ({}), not the kernel's OOM killer and not the app's own exit",
            if code == 137 { "SIGKILL" } else { "SIGTERM" }
        ));
        c
    }

    fn image_pull(
        &self,
        cs: &ContainerStatus,
        spec: Option<&Container>,
        reason: &str,
        message: Option<&str>,
        init: bool,
    ) -> Cause {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let image = spec.and_then(|c| c.image.clone()).unwrap_or_default();
        // The kubelet's formats (images/image_manager.go): the runtime's error as it is for
        // ErrImagePull; `Back-off pulling image "IMAGE": ErrImagePull: ERROR` while backing off.
        let backoff_prefix = format!("Back-off pulling image {image:?}");
        let error = message.map(|m| {
            let m =
                m.strip_prefix(backoff_prefix.as_str()).map(|r| r.trim_start_matches(':').trim_start()).unwrap_or(m);
            m.strip_prefix("ErrImagePull: ").unwrap_or(m).to_string()
        });
        let error = error.filter(|e| !e.is_empty()).or_else(|| {
            let e = self.ctx.event(self.pod, &["Failed"])?;
            let pulled = format!("Failed to pull image {image:?}: ");
            e.message.strip_prefix(pulled.as_str()).map(str::to_string)
        });
        let mut c = Cause {
            cause: format!("{prefix}ImagePullBackOff"),
            summary: format!("{prefix}ImagePullBackOff, {what} {} cannot pull {image}", cs.name),
            command: self.describe_pod(),
            container: Some(cs.name.clone()),
            reason: Some(reason.to_string()),
            message: error.clone(),
            image: Some(image.clone()),
            ..Default::default()
        };
        match &error {
            Some(e) => c.evidence.push(format!("pull error: {}", one_line(e, 2))),
            // The kubelet's Failed events say what the pull said.
            None => c.evidence.extend(self.event_line(&["Failed"])),
        }
        c.followup = Followup::Image { image, container: cs.name.clone(), deployment: self.pod.deployment() };
        c
    }

    fn config_error(&self, cs: &ContainerStatus, message: Option<&str>, init: bool) -> Cause {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let msg = message.unwrap_or_default().to_string();
        let missing = missing_reference(&msg);
        let (summary, command) = match &missing {
            Some(Missing { kind, name, key: Some(key) }) => (
                format!("{what} {} needs key {key} of {kind} {name}, which does not have it", cs.name),
                format!("kubectl edit {} {name} -n {}", kind.to_ascii_lowercase(), self.ns),
            ),
            Some(Missing { kind, name, key: None }) => (
                format!("{what} {} needs {kind} {name}, which does not exist", cs.name),
                if kind == "Secret" {
                    format!("kubectl create secret generic {name} -n {} --from-literal=KEY=VALUE", self.ns)
                } else {
                    format!("kubectl create configmap {name} -n {} --from-literal=KEY=VALUE", self.ns)
                },
            ),
            None => (format!("{what} {}: {}", cs.name, first_lines(&msg, 1)), self.describe_pod()),
        };
        let mut c = Cause {
            cause: format!("{prefix}CreateContainerConfigError"),
            summary: format!("{prefix}CreateContainerConfigError, {summary}"),
            command,
            container: Some(cs.name.clone()),
            reason: Some("CreateContainerConfigError".into()),
            message: Some(msg.clone()).filter(|m| !m.is_empty()),
            ..Default::default()
        };
        if !msg.is_empty() {
            c.evidence.push(format!("kubelet: {}", one_line(&msg, 2)));
        }
        c
    }
}

/// A probe that made the kubelet kill a container: `Liveness` or `Startup`, the probe, and
/// its latest Unhealthy event (the line, and the message).
struct ProbeKill<'c> {
    kind: &'static str,
    probe: Option<&'c k8s_openapi::api::core::v1::Probe>,
    event: Option<(String, String)>,
}

/// A ConfigMap or Secret (and key) the kubelet could not find.
#[derive(Debug, PartialEq, Eq)]
struct Missing {
    kind: String,
    name: String,
    key: Option<String>,
}

/// Reads the kubelet's messages for a missing reference (kubelet_pods.go
/// makeEnvironmentVariables): `couldn't find key KEY in ConfigMap NS/NAME`, the same for Secret,
/// and `configmap "NAME" not found` / `secret "NAME" not found`.
fn missing_reference(msg: &str) -> Option<Missing> {
    if let Some(rest) = msg.strip_prefix("couldn't find key ") {
        let (key, rest) = rest.split_once(" in ")?;
        let (kind, path) = rest.split_once(' ')?;
        let name = path.rsplit('/').next()?;
        return Some(Missing { kind: kind.into(), name: name.into(), key: Some(key.into()) });
    }
    for (lower, kind) in [("configmap", "ConfigMap"), ("secret", "Secret")] {
        if let Some(rest) = msg.strip_prefix(lower).map(str::trim_start)
            && let Some(name) = rest.strip_suffix(" not found")
        {
            return Some(Missing { kind: kind.into(), name: name.trim_matches('"').into(), key: None });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::Event;
    use kubectl_kit_registry::probe::{Presence, Probe as RegistryProbe};
    use serde_json::json;

    use super::{Missing, missing_reference};
    use crate::cause::testing::{ctx, pod};
    use crate::cause::{Context, Followup, classify};

    #[test]
    fn a_crash_loop_names_the_exit_the_message_and_the_previous_logs() {
        let p = pod(json!({"metadata": {"name": "api-1", "uid": "u"},
            "spec": {"containers": [{"name": "app", "image": "api:1"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container=app pod=api-1_ns(u)"}},
                "lastState": {"terminated": {"exitCode": 3, "reason": "Error", "message": "FATAL: DATABASE_URL is not set\n  at main"}}}]}}));
        let e: Event = serde_json::from_value(json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "api-1", "uid": "u"},
            "reason": "BackOff", "message": "Back-off restarting failed container app in pod api-1_ns(u)", "count": 5, "type": "Warning"})).expect("event");
        let c = classify(&p, &Context::new("ns", vec![e], BTreeMap::new())).expect("a cause");
        assert_eq!(c.cause, "CrashLoopBackOff");
        assert_eq!((c.container.as_deref(), c.exit_code, c.restarts), (Some("app"), Some(3), Some(4)));
        assert_eq!(
            c.summary,
            "CrashLoopBackOff, container app exited with 3 (Error): \"FATAL: DATABASE_URL is not set …\""
        );
        assert_eq!(c.command, "kubectl logs api-1 -c app --previous -n ns");
        assert!(
            c.evidence
                .iter()
                .any(|e| e == "event BackOff ×5: Back-off restarting failed container app in pod api-1_ns(u)"),
            "{:?}",
            c.evidence
        );
    }

    #[test]
    fn oom_kills_show_the_memory_limit() {
        let p = pod(json!({"metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "128Mi"}, "requests": {"memory": "64Mi"}}}]},
            "status": {"containerStatuses": [{"name": "app", "restartCount": 1, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}));
        let c = classify(&p, &ctx()).expect("a cause");
        assert_eq!((c.cause.as_str(), c.exit_code), ("OOMKilled", Some(137)));
        assert!(c.evidence.iter().any(|e| e.starts_with("memory limit 128Mi, request 64Mi")), "{:?}", c.evidence);
    }

    #[test]
    fn pull_errors_are_read_from_the_kubelets_back_off_message() {
        let p = pod(
            json!({"metadata": {"name": "p", "labels": {"pod-template-hash": "abc"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc"}]},
            "spec": {"containers": [{"name": "app", "image": "reg:5000/web:v1"}]},
            "status": {"containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff",
                "message": "Back-off pulling image \"reg:5000/web:v1\": ErrImagePull: rpc error: code = NotFound desc = not found"}}}]}}),
        );
        let mut c = classify(&p, &ctx()).expect("a cause");
        assert_eq!(c.message.as_deref(), Some("rpc error: code = NotFound desc = not found"));
        assert_eq!(
            c.followup,
            Followup::Image {
                image: "reg:5000/web:v1".into(),
                container: "app".into(),
                deployment: Some("web".into())
            }
        );
        c.add_registry(
            RegistryProbe {
                registry: "127.0.0.1:5000".into(),
                pull_host: "localhost:5000".into(),
                repository: "web".into(),
                reference: "v1".into(),
                presence: Presence::OtherHost { pull_reference: "localhost:5000/web:v1".into() },
            },
            "ns",
        );
        assert_eq!(c.command, "kubectl set image deployment/web app=localhost:5000/web:v1 -n ns");
        c.add_registry(
            RegistryProbe {
                registry: "127.0.0.1:5000".into(),
                pull_host: "localhost:5000".into(),
                repository: "web".into(),
                reference: "v1".into(),
                presence: Presence::NotPushed,
            },
            "ns",
        );
        assert_eq!(c.command, "kubectl push-image SOURCE web:v1");
    }

    #[test]
    fn config_errors_name_the_missing_object_and_key() {
        assert_eq!(
            missing_reference("couldn't find key database-url in ConfigMap ns/app-config"),
            Some(Missing { kind: "ConfigMap".into(), name: "app-config".into(), key: Some("database-url".into()) })
        );
        assert_eq!(
            missing_reference("secret \"db\" not found"),
            Some(Missing { kind: "Secret".into(), name: "db".into(), key: None })
        );
        assert_eq!(missing_reference("something else"), None);
        let p = pod(json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "app",
            "state": {"waiting": {"reason": "CreateContainerConfigError", "message": "configmap \"app-config\" not found"}}}]}}));
        let c = classify(&p, &ctx()).expect("a cause");
        assert_eq!(c.command, "kubectl create configmap app-config -n ns --from-literal=KEY=VALUE");
    }

    #[test]
    fn a_container_that_has_just_exited_again_is_in_the_same_crash_loop() {
        let status = |state: serde_json::Value, restarts: i32| {
            pod(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]},
                "status": {"containerStatuses": [{"name": "app", "restartCount": restarts, "state": state,
                    "lastState": if restarts > 0 { json!({"terminated": {"exitCode": 3, "reason": "Error"}}) } else { json!({}) }}]}}))
        };
        let exited = json!({"terminated": {"exitCode": 3, "reason": "Error"}});
        let backing_off =
            classify(&status(json!({"waiting": {"reason": "CrashLoopBackOff"}}), 2), &ctx()).expect("cause");
        let again = classify(&status(exited.clone(), 2), &ctx()).expect("cause");
        assert_eq!((again.cause.as_str(), again.summary.as_str()), ("CrashLoopBackOff", backing_off.summary.as_str()));
        assert_eq!(again.command, "kubectl logs p -c app -n ns", "the exited container is the current one");
        let first = classify(&status(exited, 0), &ctx()).expect("cause");
        assert_eq!(first.cause, "Error", "one exit is not a loop yet");
    }
}
