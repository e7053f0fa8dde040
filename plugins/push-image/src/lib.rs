//! `kubectl push-image`: push a local image into the cluster's registry, without a Docker
//! daemon, and print the reference to use in manifests, pinned by digest.
//!
//! The registry comes from the cluster (KEP-1755's `kube-public/local-registry-hosting`), the
//! image from a `docker save` tarball, an OCI layout or archive, or a local Docker/Podman store.
//! Blobs the registry has are skipped, blobs it has elsewhere are mounted, the rest upload in
//! parallel, streamed and verified; the manifest goes last, so a failed push never leaves a tag
//! pointing at missing blobs.
//!
//! This crate is the command; the images and the registry are [`kubectl_kit_registry`]'s
//! (references, credentials, TLS trust, digests, OCI types, sources read in place, the
//! distribution client, KEP-1755 discovery). Here, in the order a run uses them:
//! - [`Cli`], then `plan`: the command line, checked before anything is read or sent.
//! - [`source`]: SOURCE → a store of files: a directory, a tarball (gzip decompressed first), or
//!   an image exported from a local Docker or Podman store.
//! - [`portforward`]: `--port-forward`, a loopback listener forwarding through the API server to
//!   the in-cluster registry.
//! - [`setimage`]: `--set-image deployment/NAME[=CONTAINER]`, checked before the push, applied
//!   after it.
//! - [`compress`]: `--compress`, layers compressed to temporary files before their upload.
//! - [`push`]: one push: blobs (checked, mounted or uploaded, several at once), manifests last.
//! - [`progress`]: the progress bar on a terminal's stderr.
//! - [`run`] prints the references; [`complete`] completes flag values.

pub mod compress;
pub mod portforward;
pub mod progress;
pub mod push;
pub mod setimage;
pub mod source;

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Parser;
use kubectl_kit_core::completion::{self, Candidate, Request, Values};
use kubectl_kit_core::flags::{Formats, GlobalFlags, OutputFlags};
use kubectl_kit_core::output;
use kubectl_kit_core::{Error, Kube, Result};
use kubectl_kit_registry::image::Platform;
use kubectl_kit_registry::{auth, discover, image, reference, registry};

use crate::compress::Compress;

/// Push a local image into the cluster's registry and print the reference to use, pinned by
/// digest.
///
/// SOURCE is a `docker save` tarball (also gzip-compressed), an OCI archive, an OCI layout
/// directory, or an image in a local Docker or Podman store. The registry is the one the
/// cluster advertises in ConfigMap kube-public/local-registry-hosting (KEP-1755), or
/// --registry. Plain HTTP is used automatically for loopback registries only (localhost and
/// *.localhost resolve to loopback without DNS). HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply as
/// with kubectl; a registry's own CA is trusted from --ca-file or the container tools'
/// certs.d directories.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-push_image",
    bin_name = "kubectl push-image",
    version,
    after_help = "Examples:\n  docker save app:1.0 -o app.tar && kubectl push-image app.tar\n  kubectl push-image ./oci-layout numbers-api:v2\n  kubectl push-image app:dev --set-image deployment/app\n  kubectl push-image multi.tar --image web:1.0 --platform linux/arm64\n  kubectl push-image app.tar -o json"
)]
pub struct Cli {
    /// The image: a tarball, an OCI layout directory, or an image in a local Docker/Podman store
    #[arg(value_name = "SOURCE")]
    pub source: String,

    /// Repository and tag to push to (default: the name recorded in the source)
    #[arg(value_name = "NAME[:TAG]")]
    pub name: Option<String>,

    /// Push only the image of this name from a source holding several (repeatable)
    #[arg(long = "image", value_name = "NAME[:TAG]")]
    pub images: Vec<String>,

    /// Platforms to push from a multi-platform image: OS/ARCH[/VARIANT], repeatable, or
    /// `all` [default: the platforms of the cluster's nodes]
    #[arg(long = "platform", value_name = "OS/ARCH", value_delimiter = ',')]
    pub platforms: Vec<String>,

    /// Registry to push to, HOST[:PORT] (default: the cluster's KEP-1755 ConfigMap)
    #[arg(long, value_name = "HOST[:PORT]")]
    pub registry: Option<String>,

    /// Allow plain HTTP to a registry that is not on a loopback address
    #[arg(long)]
    pub insecure: bool,

    /// Also trust the certificate authorities in this PEM file for the registry's TLS (besides
    /// the system's, and ~/.config/containers/certs.d, /etc/containers/certs.d and
    /// /etc/docker/certs.d for HOST[:PORT])
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub ca_file: Option<PathBuf>,

    /// Push through the API server's port-forward to the in-cluster registry Service
    /// ([NAMESPACE/]SERVICE; default: the ConfigMap's hostFromClusterNetwork, else
    /// kube-system/registry), for registries not reachable from here
    #[arg(long, value_name = "[NAMESPACE/]SERVICE", num_args = 0..=1, require_equals = true, default_missing_value = "", conflicts_with = "registry")]
    pub port_forward: Option<String>,

    /// Compression of uncompressed layers: auto = none to loopback registries, gzip otherwise
    #[arg(long, value_enum, default_value = "auto")]
    pub compress: Compress,

    /// Then roll this Deployment to the pushed digest: deployment/NAME[=CONTAINER]
    #[arg(long, value_name = "deployment/NAME[=CONTAINER]")]
    pub set_image: Option<String>,

    /// Container engine CLI to export a SOURCE image from (docker or podman; default: the first
    /// found on PATH)
    #[arg(long, value_name = "CLI")]
    pub engine: Option<String>,

    #[command(flatten)]
    pub output: OutputFlags<Format>,

    #[command(flatten)]
    pub global: GlobalFlags,
}

/// push-image's `-o` values: by default the reference, one line per image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Lines,
    Json,
    Yaml,
}

impl Formats for Format {
    const NAMES: &'static [&'static str] = &["json", "yaml"];

    fn pick(name: &str, _: Option<&str>) -> Option<Self> {
        Some(match name {
            "" => Format::Lines,
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            _ => return None,
        })
    }
}

/// The validated command line.
struct Plan {
    target: Option<reference::Target>,
    images: Vec<reference::Target>,
    platforms: Option<Vec<Platform>>,
    set_image: Option<setimage::Target>,
    format: Option<Format>,
}

fn plan(cli: &Cli) -> Result<Plan> {
    let target = cli.name.as_deref().map(reference::parse).transpose()?;
    let images = cli.images.iter().map(|i| reference::parse(i)).collect::<Result<Vec<_>>>()?;
    let platforms = if cli.platforms.is_empty() {
        None
    } else if cli.platforms.iter().any(|p| p == "all") {
        Some(vec![])
    } else {
        Some(cli.platforms.iter().map(|p| Platform::parse(p)).collect::<Result<Vec<_>>>()?)
    };
    let set_image = cli.set_image.as_deref().map(setimage::parse).transpose()?;
    let format = Some(cli.output.format()?).filter(|f| *f != Format::Lines);
    if let Some(r) = &cli.registry {
        reference::check_host(r).map_err(|m| Error::usage(format!("--registry: {m}")))?;
    }
    if let Some(e) = &cli.engine
        && !source::ENGINES.contains(&e.as_str())
    {
        return Err(Error::usage(format!("--engine {e:?}: expected one of {}", source::ENGINES.join(", "))));
    }
    Ok(Plan { target, images, platforms, set_image, format })
}

/// Runs `kubectl push-image`.
pub async fn run(cli: Cli) -> Result<()> {
    let plan = plan(&cli)?;
    let opened = source::open(&cli.source, cli.engine.as_deref())?;

    // The cluster is needed for the registry (unless named), the nodes' platforms (only for
    // multi-platform sources) and --set-image.
    let named_host = cli.registry.clone().or_else(|| plan.target.as_ref().and_then(|t| t.host.clone()));
    let needs_platforms = plan.platforms.is_none() && opened.has_index();
    let kube = if named_host.is_none() || needs_platforms || plan.set_image.is_some() || cli.port_forward.is_some() {
        Some(Kube::connect(&cli.global).await?)
    } else {
        None
    };
    let (push_host, pull_host, from_cluster) = match (&named_host, &kube, &cli.port_forward) {
        (_, Some(k), Some(spec)) => {
            let hosting = discover::hosting(k).await?;
            let forward =
                portforward::start(k, Some(spec.as_str()).filter(|s| !s.is_empty()), hosting.as_ref()).await?;
            output::warn(&format!("pushing through a port-forward to {}", forward.target));
            (forward.local, forward.pull_host, false)
        }
        (Some(h), _, _) => (h.clone(), h.clone(), false),
        (None, Some(k), None) => {
            let (push, pull) = registry_of_cluster(k).await?;
            (push, pull, true)
        }
        (None, None, _) => return Err(Error::runtime("internal: no registry and no cluster")),
    };
    // --set-image is checked before anything is pushed.
    let set_image = match (&plan.set_image, &kube) {
        (Some(t), Some(k)) => Some(setimage::resolve(k, t).await?),
        _ => None,
    };
    let wanted: Vec<Platform> = match (&plan.platforms, &kube) {
        (Some(p), _) => p.clone(),
        (None, Some(k)) if needs_platforms => {
            let nodes = discover::node_platforms(k).await?;
            if nodes.is_empty() {
                output::warn("the cluster's nodes could not be listed: pushing every platform of the image");
            }
            nodes.into_iter().collect()
        }
        _ => vec![],
    };
    let accepts = |p: &Platform| wanted.is_empty() || wanted.iter().any(|w| w.accepts(p));
    let found = opened.read(&accepts)?;
    let jobs = select(found, &plan)?;

    // Plain HTTP only to loopback registries, unless --insecure; TLS otherwise.
    let loopback = reference::is_loopback(&push_host);
    let credential = match auth::docker_config_path() {
        Some(p) => auth::lookup(&p, &push_host)?,
        None => None,
    };
    let registry = registry::Registry::with_ca_file(
        &push_host,
        loopback || cli.insecure,
        credential,
        cli.global.verbosity,
        cli.global.request_timeout.filter(|t| !t.is_zero()),
        cli.ca_file.as_deref(),
    )?;
    registry.ping().await.map_err(|e| {
        if from_cluster && e.is_unreachable() {
            // The ConfigMap names a host this machine cannot reach (a remote cluster).
            e.hint("if the registry runs in the cluster, push through the API server with --port-forward")
        } else {
            e
        }
    })?;

    let compress = match cli.compress {
        Compress::Auto if loopback => Compress::None,
        Compress::Auto => Compress::Gzip,
        other => other,
    };
    let temp = tempfile::tempdir().map_err(|e| Error::runtime("cannot create a temporary directory").caused_by(e))?;
    let cache = known_blobs_path(&cli.global, &push_host);
    let mut known = load_known(&cache);
    let progress = progress::Progress::for_stderr();
    let mut reports = Vec::new();
    for job in jobs {
        let options = push::Options {
            compress,
            temp: temp.path(),
            known: &mut known,
            pull_host: &pull_host,
            progress: &progress,
        };
        let result =
            push::push(&registry, &job.target.repository, &job.target.tag, job.content, job.skipped, options).await;
        // Remember what reached the registry even when a later image fails.
        save_known(&cache, &known);
        reports.push(result?);
    }

    if let Some(target) = &set_image {
        let [report] = reports.as_slice() else {
            return Err(Error::usage(format!(
                "--set-image needs exactly one image, and {} were pushed; pick one with --image",
                reports.len()
            )));
        };
        let kube = kube.as_ref().ok_or_else(|| Error::runtime("internal: --set-image without a cluster"))?;
        let change = setimage::apply(kube, target, &report.reference).await?;
        if plan.format.is_none() {
            output::err(&format!("{change}\n"));
        }
    }

    match plan.format {
        Some(format) => {
            let doc = serde_json::json!({
                "apiVersion": "kubectl-kit.push-image/v1",
                "kind": "PushResult",
                "source": { "path": cli.source, "kind": opened.kind },
                "requests": registry.requests(),
                "images": reports,
            });
            output::out(&match format {
                Format::Yaml => output::to_yaml(&doc)?,
                _ => output::to_json(&doc)?,
            });
        }
        None => {
            for r in &reports {
                let (pushed, mounted, existed) = r.blobs.iter().fold((0, 0, 0), |(p, m, e), b| match b.action {
                    registry::Action::Pushed => (p + 1, m, e),
                    registry::Action::Mounted => (p, m + 1, e),
                    registry::Action::Exists => (p, m, e + 1),
                });
                output::err(&format!(
                    "pushed {}:{} to {}: {} blobs ({pushed} uploaded, {}; {mounted} mounted; {existed} already there)\n",
                    r.repository,
                    r.tag,
                    r.registry,
                    r.blobs.len(),
                    progress::bytes(r.bytes_sent)
                ));
                for s in &r.skipped {
                    output::err(&format!("  skipped {s}\n"));
                }
                output::out(&format!("{}\n", r.reference));
            }
        }
    }
    Ok(())
}

/// The registry from the cluster's KEP-1755 ConfigMap: (host to push to, host for image fields).
async fn registry_of_cluster(kube: &Kube) -> Result<(String, String)> {
    let hint = "name one with --registry HOST[:PORT], or in NAME (localhost:5001/app:1.0); kind, k3d, \
                ctlptl and Tilt write the ConfigMap when they create a registry";
    let Some(hosting) = discover::hosting(kube).await? else {
        return Err(Error::runtime(format!(
            "the cluster at {} advertises no registry: ConfigMap kube-public/local-registry-hosting not found",
            kube.server
        ))
        .hint(hint));
    };
    let Some(host) = hosting.host.clone() else {
        return Err(Error::runtime("ConfigMap kube-public/local-registry-hosting has no host to push to").hint(hint));
    };
    reference::check_host(&host)
        .map_err(|m| Error::runtime(format!("ConfigMap kube-public/local-registry-hosting: host: {m}")))?;
    // The pull host goes into image references the nodes pull, into --set-image and onto the
    // terminal: it gets the same check as the host pushed to.
    let pull = hosting.pull_host().unwrap_or(&host).to_string();
    reference::check_host(&pull).map_err(|m| {
        Error::runtime(format!("ConfigMap kube-public/local-registry-hosting: hostFromContainerRuntime: {m}"))
    })?;
    Ok((host, pull))
}

/// One tag to push.
struct Job {
    target: reference::Target,
    content: image::Pushable,
    skipped: Vec<String>,
}

/// Picks the images to push and names them.
fn select(found: Vec<image::Found>, plan: &Plan) -> Result<Vec<Job>> {
    let named = |f: &image::Found| -> Vec<reference::Target> {
        f.names.iter().filter_map(|n| reference::parse(n).ok()).collect()
    };
    let listing = |all: &[image::Found]| -> String {
        all.iter()
            .map(|f| if f.names.is_empty() { format!("(unnamed {})", f.content.digest()) } else { f.names.join(", ") })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut chosen: Vec<image::Found> = if plan.images.is_empty() {
        found
    } else {
        let mut chosen = Vec::new();
        for want in &plan.images {
            let hit =
                found.iter().find(|f| named(f).iter().any(|t| t.repository == want.repository && t.tag == want.tag));
            match hit {
                Some(f) => chosen.push(f.clone()),
                None => {
                    return Err(Error::usage(format!(
                        "--image {want}: the source has no such image; it has: {}",
                        listing(&found)
                    )));
                }
            }
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(Error::runtime("the source holds no image"));
    }
    if let Some(target) = &plan.target {
        if chosen.len() > 1 {
            return Err(Error::usage(format!(
                "the source holds {} images, and NAME names one; pick it with --image: {}",
                chosen.len(),
                listing(&chosen)
            )));
        }
        let f = chosen.remove(0);
        return Ok(vec![Job { target: target.clone(), content: f.content, skipped: f.skipped }]);
    }
    chosen
        .into_iter()
        .map(|f| {
            let target = named(&f).into_iter().next().ok_or_else(|| {
                Error::usage(format!(
                    "the image {} has no name in the source: give one, `kubectl push-image SOURCE NAME[:TAG]`",
                    f.content.digest()
                ))
            })?;
            Ok(Job { target: reference::Target { host: None, ..target }, content: f.content, skipped: f.skipped })
        })
        .collect()
}

/// Where blobs pushed earlier are remembered, for cross-repository mounts.
fn known_blobs_path(flags: &GlobalFlags, host: &str) -> PathBuf {
    let safe: String =
        host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    kubectl_kit_core::client::cache_dir(flags).join("push-image").join(format!("{safe}.json"))
}

/// Most blobs remembered per registry.
const KNOWN_LIMIT: usize = 10_000;

fn load_known(path: &std::path::Path) -> HashMap<String, String> {
    std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn save_known(path: &std::path::Path, known: &HashMap<String, String>) {
    // A cache: failing to write it costs a later mount, nothing else.
    let mut entries: Vec<(&String, &String)> = known.iter().collect();
    entries.sort();
    entries.truncate(KNOWN_LIMIT);
    let map: serde_json::Map<String, serde_json::Value> =
        entries.into_iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect();
    if let Ok(bytes) = serde_json::to_vec(&map) {
        let _ = kubectl_kit_core::client::write_cache_file(path, &bytes);
    }
}

/// Completes `--set-image` with the namespace's Deployments, and the values of `--platform`,
/// `--compress` and `--engine`; `-o` from its formats.
pub async fn complete(req: Request) -> Result<Values> {
    if !req.flag {
        return Ok(Values::Unknown);
    }
    let words: Vec<&str> = match req.arg.as_str() {
        "compress" => vec!["auto", "none", "gzip", "zstd"],
        "platforms" => vec!["all", "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x", "linux/ppc64le"],
        "engine" => source::ENGINES.to_vec(),
        "set_image" => {
            let kube = req.kube().await?;
            let path = format!("/apis/apps/v1/namespaces/{}/deployments", kube.namespace);
            let names = completion::names(&kube, &path).await?;
            return Ok(Values::Candidates(
                names.into_iter().map(|c| Candidate::new(format!("deployment/{}", c.value))).collect(),
            ));
        }
        _ => return Ok(Values::Unknown),
    };
    Ok(Values::Candidates(words.into_iter().map(Candidate::new).collect()))
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
    fn plan_errors_are_usage_errors() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("kubectl-push-image").chain(args.iter().copied())).expect("parse")
        };
        for args in [
            &["x.tar", "Bad/Name"][..],
            &["x.tar", "--platform", "linux"],
            &["x.tar", "-o", "wide"],
            &["x.tar", "--registry", "http://x"],
            &["x.tar", "--set-image", "pod/x"],
            &["x.tar", "--engine", "sh"],
        ] {
            let e = plan(&parse(args)).err().unwrap_or_else(|| panic!("{args:?} accepted"));
            assert_eq!(e.exit_code(), 2, "{args:?}: {}", e.message);
        }
        assert!(plan(&parse(&["x.tar", "app:1", "--platform", "all"])).is_ok());
    }
}
