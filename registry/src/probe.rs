//! Does the cluster's own registry hold the image a pod names? For diagnosing image pulls
//! (`kubectl trace-svc`): the registry comes from the cluster's KEP-1755 ConfigMap, and it is
//! asked, with the push's own client and credentials, for the repository and the tag.

use std::time::Duration;

use http::{Method, StatusCode};
use kubectl_kit_core::{Kube, Result};
use serde::Serialize;

use crate::discover::{self, Hosting};
use crate::image::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use crate::reference;
use crate::registry::{Payload, Registry, scope};

/// What the registry says about the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "presence")]
pub enum Presence {
    /// It has the repository and tag, under the host the nodes pull from.
    Present,
    /// It has the repository and tag, but the pod names another host than the one the nodes
    /// pull from (`hostFromContainerRuntime`, else `host`).
    OtherHost {
        /// The reference the nodes can pull.
        pull_reference: String,
    },
    /// It has the repository, not the tag.
    TagMissing {
        /// Some of the tags it has.
        tags: Vec<String>,
    },
    /// It has no such repository.
    NotPushed,
    /// It could not be asked.
    Unreachable {
        /// Why.
        error: String,
    },
}

/// The answer for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// The registry asked (the ConfigMap's `host`).
    pub registry: String,
    /// The host the nodes pull from.
    pub pull_host: String,
    /// The repository, as the registry names it.
    pub repository: String,
    /// The tag (or digest) the pod names.
    pub reference: String,
    /// What the registry says.
    #[serde(flatten)]
    pub presence: Presence,
}

/// The image names one of these hosts of the cluster's registry, or none of them.
fn own_host(image_host: Option<&str>, hosting: &Hosting) -> bool {
    let Some(h) = image_host else { return false };
    [&hosting.host, &hosting.host_from_container_runtime, &hosting.host_from_cluster_network]
        .into_iter()
        .flatten()
        .any(|own| own.eq_ignore_ascii_case(h))
}

/// What was found, for an image on `image_host`: `Some(true)` the registry has it, `Some(false)`
/// with the tags of the repository (`None` for no repository) it has not.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    Manifest,
    Tags(Vec<String>),
    NoRepository,
    Failed(String),
}

/// Turns what the registry answered into what to tell; `None` when the image is not the
/// cluster registry's business (another registry's image that this one does not hold).
fn decide(
    image_host: Option<&str>,
    hosting: &Hosting,
    pull_host: &str,
    repository: &str,
    reference: &str,
    found: Found,
) -> Option<Presence> {
    let ours = own_host(image_host, hosting);
    let pull_reference = if reference.starts_with("sha256:") {
        format!("{pull_host}/{repository}@{reference}")
    } else {
        format!("{pull_host}/{repository}:{reference}")
    };
    match found {
        Found::Manifest if ours && image_host.is_some_and(|h| h.eq_ignore_ascii_case(pull_host)) => {
            Some(Presence::Present)
        }
        Found::Manifest => Some(Presence::OtherHost { pull_reference }),
        _ if !ours => None,
        Found::Tags(mut tags) => {
            tags.sort();
            tags.truncate(10);
            Some(Presence::TagMissing { tags })
        }
        Found::NoRepository => Some(Presence::NotPushed),
        Found::Failed(error) => Some(Presence::Unreachable { error }),
    }
}

/// Asks the cluster's registry about `image` (a pod's image field). `None` when the cluster
/// advertises no registry, when the image is not a reference the registry could hold, and when
/// it names another registry and this one does not hold it either.
pub async fn probe(kube: &Kube, image: &str, verbosity: u8, timeout: Option<Duration>) -> Result<Option<Probe>> {
    let Some(hosting) = discover::hosting(kube).await? else { return Ok(None) };
    let Some(host) = hosting.host.clone() else { return Ok(None) };
    if reference::check_host(&host).is_err() {
        return Ok(None);
    }
    let pull_host = hosting.pull_host().unwrap_or(&host).to_string();
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let Ok(target) = reference::parse(name) else { return Ok(None) };
    let reference = digest.map_or_else(|| target.tag.clone(), str::to_string);
    let found = ask(&host, &target.repository, &reference, verbosity, timeout).await;
    let presence = decide(target.host.as_deref(), &hosting, &pull_host, &target.repository, &reference, found);
    Ok(presence.map(|presence| Probe { registry: host, pull_host, repository: target.repository, reference, presence }))
}

/// The manifest, else the repository's tags, from the registry at `host`.
async fn ask(host: &str, repository: &str, reference: &str, verbosity: u8, timeout: Option<Duration>) -> Found {
    let failed = |e: kubectl_kit_core::Error| Found::Failed(e.one_line());
    let credential = match crate::auth::docker_config_path() {
        Some(p) => match crate::auth::lookup(&p, host) {
            Ok(c) => c,
            Err(e) => return failed(e),
        },
        None => None,
    };
    let registry = match Registry::new(host, reference::is_loopback(host), credential, verbosity, timeout) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let accept = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(", ");
    match registry.get_manifest(repository, reference, &accept).await {
        Ok(Some(_)) => return Found::Manifest,
        Ok(None) => {}
        Err(e) => return failed(e),
    }
    let path = format!("/v2/{repository}/tags/list");
    let resp = match registry.send(Method::GET, &path, &Payload::Empty, &[scope(repository, "pull")], None).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    match resp.status() {
        StatusCode::NOT_FOUND => Found::NoRepository,
        StatusCode::OK => {
            use http_body_util::BodyExt;
            let body = match resp.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return Found::Failed(format!("registry {host}: the tag list broke off: {e}")),
            };
            let tags = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["tags"].as_array().cloned())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect::<Vec<_>>();
            if tags.is_empty() { Found::NoRepository } else { Found::Tags(tags) }
        }
        _ => failed(registry.failure(&Method::GET, &path, resp).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind() -> Hosting {
        Hosting {
            host: Some("localhost:5001".into()),
            host_from_container_runtime: Some("kind-registry:5000".into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_image_under_the_pull_host_that_the_registry_has_is_present() {
        let h = kind();
        let got = decide(Some("kind-registry:5000"), &h, "kind-registry:5000", "app", "v1", Found::Manifest);
        assert_eq!(got, Some(Presence::Present));
    }

    #[test]
    fn an_image_pushed_but_named_under_another_host_says_where_nodes_pull_from() {
        let h = kind();
        // The push host: reachable from here, not from the nodes.
        let got = decide(Some("localhost:5001"), &h, "kind-registry:5000", "app", "v1", Found::Manifest);
        assert_eq!(got, Some(Presence::OtherHost { pull_reference: "kind-registry:5000/app:v1".into() }));
        // No host at all (Docker Hub), but pushed to the cluster's registry.
        let got = decide(None, &h, "kind-registry:5000", "team/app", "sha256:ab", Found::Manifest);
        assert_eq!(got, Some(Presence::OtherHost { pull_reference: "kind-registry:5000/team/app@sha256:ab".into() }));
    }

    #[test]
    fn missing_images_on_the_clusters_registry_are_reported_and_other_registries_are_left_alone() {
        let h = kind();
        let pull = "kind-registry:5000";
        assert_eq!(
            decide(Some("kind-registry:5000"), &h, pull, "app", "v1", Found::NoRepository),
            Some(Presence::NotPushed)
        );
        let tags: Vec<String> = (0..12).rev().map(|i| format!("t{i:02}")).collect();
        let Some(Presence::TagMissing { tags }) =
            decide(Some("localhost:5001"), &h, pull, "app", "v9", Found::Tags(tags))
        else {
            panic!("tag missing")
        };
        assert_eq!(tags.len(), 10);
        assert_eq!(tags[0], "t00");
        assert_eq!(
            decide(Some("KIND-REGISTRY:5000"), &h, pull, "app", "v1", Found::Failed("refused".into())),
            Some(Presence::Unreachable { error: "refused".into() })
        );
        for found in [Found::NoRepository, Found::Tags(vec!["v1".into()]), Found::Failed("x".into())] {
            assert_eq!(decide(Some("ghcr.io"), &h, pull, "app", "v1", found.clone()), None, "{found:?}");
            assert_eq!(decide(None, &h, pull, "nginx", "latest", found), None);
        }
    }

    #[test]
    fn the_json_names_are_camel_case() {
        let p = Probe {
            registry: "127.0.0.1:5000".into(),
            pull_host: "localhost:5000".into(),
            repository: "app".into(),
            reference: "v1".into(),
            presence: Presence::OtherHost { pull_reference: "localhost:5000/app:v1".into() },
        };
        let v = serde_json::to_value(&p).expect("json");
        assert_eq!(v["presence"], "otherHost");
        assert_eq!(v["pullReference"], "localhost:5000/app:v1");
        assert_eq!(v["pullHost"], "localhost:5000");
    }
}
