//! `--set-image deployment/NAME[=CONTAINER]`: roll a Deployment to the digest just pushed, so
//! that re-pushing a tag actually changes the pods.

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};

use kubectl_kit_core::{Error, Kube, Result};

/// A Deployment and optionally one of its containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Deployment name.
    pub name: String,
    /// Container name; `None` means the Deployment's only container.
    pub container: Option<String>,
}

/// Parses `deployment/NAME[=CONTAINER]` (also `deploy/` and `deployments/`, as kubectl reads them).
pub fn parse(text: &str) -> Result<Target> {
    let bad = || Error::usage(format!("--set-image {text:?}: expected deployment/NAME[=CONTAINER]"));
    let (kind, rest) = text.split_once('/').ok_or_else(bad)?;
    if !matches!(kind, "deployment" | "deployments" | "deploy" | "deployment.apps" | "deployments.apps") {
        return Err(bad());
    }
    let (name, container) = match rest.split_once('=') {
        Some((n, c)) => (n, Some(c)),
        None => (rest, None),
    };
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    if !dns(name) || container.is_some_and(|c| !dns(c)) {
        return Err(bad());
    }
    Ok(Target { name: name.to_string(), container: container.map(str::to_string) })
}

/// A Deployment's container, checked to exist before anything is pushed.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Deployment name.
    pub name: String,
    /// Container name.
    pub container: String,
    /// Its image now.
    pub image: String,
}

/// Reads the Deployment and picks the container (the named one, or the only one).
pub async fn resolve(kube: &Kube, target: &Target) -> Result<Resolved> {
    let api: Api<Deployment> = Api::namespaced(kube.client.clone(), &kube.namespace);
    let deployment = api.get(&target.name).await?;
    let containers: Vec<(String, String)> = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| p.containers.iter().map(|c| (c.name.clone(), c.image.clone().unwrap_or_default())).collect())
        .unwrap_or_default();
    let names = || containers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    let (container, image) = match &target.container {
        Some(c) => containers.iter().find(|(n, _)| n == c).cloned().ok_or_else(|| {
            Error::usage(format!("deployment/{} has no container {c:?}; it has: {}", target.name, names()))
        })?,
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(Error::usage(format!(
                "deployment/{} has {} containers ({}): name one, --set-image deployment/{}=CONTAINER",
                target.name,
                containers.len(),
                names(),
                target.name
            )));
        }
    };
    Ok(Resolved { name: target.name.clone(), container, image })
}

/// Sets the container's image to `reference`; returns what changed, for the user.
pub async fn apply(kube: &Kube, target: &Resolved, reference: &str) -> Result<String> {
    if target.image == reference {
        return Ok(format!("deployment.apps/{} already runs {reference}", target.name));
    }
    let api: Api<Deployment> = Api::namespaced(kube.client.clone(), &kube.namespace);
    // A strategic merge patch keyed by container name, as `kubectl set image` sends.
    let patch = serde_json::json!({
        "spec": { "template": { "spec": { "containers": [ { "name": target.container, "image": reference } ] } } }
    });
    let params = PatchParams { field_manager: Some("kubectl-push-image".into()), ..PatchParams::default() };
    api.patch(&target.name, &params, &Patch::Strategic(&patch)).await?;
    Ok(format!("deployment.apps/{} image updated: {}={reference}", target.name, target.container))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(parse("deployment/web").expect("parse"), Target { name: "web".into(), container: None });
        assert_eq!(parse("deploy/web=app").expect("parse").container.as_deref(), Some("app"));
        for bad in ["web", "pod/web", "deployment/", "deployment/Web", "deployment/web=", "deployment/a/b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
