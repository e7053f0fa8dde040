//! `kubectl trace-svc`: how a Service name resolves to pods, hop by hop, and where traffic would
//! fail.
//!
//! Client → DNS name → Service → ports → selector → pods → EndpointSlices → nodes, with traffic
//! policies, NetworkPolicies and Ingresses beside the path. A trace can start before the
//! Service, where users start (`entry`): an Ingress, an HTTPRoute, or a URL matched against
//! them; the hops of the way in come first, then the Service the route leads to. Each hop is
//! ok, warn or fail with a reason and a fix; the exit status is 1 when a hop fails.

pub mod backends;
pub mod cause;
pub mod entry;
mod fleet;
pub mod gather;
pub mod model;
pub mod netpol;
pub mod pod;
pub mod ports;
pub mod render;
pub mod slice;
pub mod target;
pub mod trace;

use clap::Parser;
use futures::StreamExt;
use kubectl_kit_core::completion::{self, Candidate, Request, Values};
use kubectl_kit_core::flags::{ContextFlags, Formats, GlobalFlags, OutputFlags};
use kubectl_kit_core::{Error, Kube, Result, output};

use crate::entry::Origin;
use crate::model::{Status, Trace};
use crate::target::{PortSel, Start, Target};

/// Trace how a Service name resolves to pods and say exactly where traffic would fail.
///
/// TARGET is NAME, NAME.NAMESPACE, NAME.NAMESPACE.svc[.DOMAIN], a ClusterIP[:PORT], or where
/// users start: ingress/NAME, httproute/NAME, or a URL. A URL's host is matched against the
/// cluster's Ingress rules and HTTPRoutes (https://shop.example.com/api), unless it names a
/// Service: a host ending in .svc[.DOMAIN] always does, and NAME or NAME.NAMESPACE does when
/// such a Service exists (http://numbers-api.default:8080/path). Exit status: 0 when every hop
/// is ok or warn, 1 when a hop fails, 2 for usage errors.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-trace_svc",
    bin_name = "kubectl trace-svc",
    version,
    after_help = "Examples:\n  kubectl trace-svc numbers-api\n  kubectl trace-svc http://numbers-api.default:80/api\n  kubectl trace-svc https://shop.example.com/api\n  kubectl trace-svc ingress/shop -o json\n  kubectl trace-svc httproute/web -o dot\n  kubectl trace-svc numbers-api --from pod/client -o json\n  kubectl trace-svc 10.96.0.1:443\n  kubectl trace-svc numbers-web -o mermaid\n  kubectl trace-svc payments -n shop --contexts 'prod-*'"
)]
pub struct Cli {
    /// The Service (NAME[.NAMESPACE[.svc[.DOMAIN]]], a ClusterIP[:PORT]), or where traffic enters:
    /// ingress/NAME, httproute/NAME, or a URL
    pub target: String,

    /// Trace one Service port (number or name); default: every port (a route's backend names its own)
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,

    /// Evaluate NetworkPolicies for this client: pod/NAME or NAMESPACE/pod/NAME
    #[arg(long, value_name = "pod/NAME")]
    pub from: Option<String>,

    /// Trace again whenever the Service, its EndpointSlices or its pods change (and the Ingress
    /// or HTTPRoute traced from)
    #[arg(short = 'w', long)]
    pub watch: bool,

    /// For each group of crashed containers, show the last error lines of one pod's previous
    /// log (kubectl logs --previous): one more request per group
    #[arg(long)]
    pub logs: bool,

    #[command(flatten)]
    pub output: OutputFlags<Format>,

    #[command(flatten)]
    pub global: GlobalFlags,

    /// `--contexts`, `--all-contexts`: the same Service in several clusters, a summary first.
    #[command(flatten)]
    pub fleet: ContextFlags,
}

/// trace-svc's `-o` values: the tree by default (`wide` is the same tree, accepted out of habit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Tree,
    Json,
    Yaml,
    Dot,
    Mermaid,
}

impl Formats for Format {
    const NAMES: &'static [&'static str] = &["dot", "json", "mermaid", "wide", "yaml"];

    fn pick(name: &str, _: Option<&str>) -> Option<Self> {
        Some(match name {
            "" | "wide" => Format::Tree,
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            "dot" => Format::Dot,
            "mermaid" => Format::Mermaid,
            _ => return None,
        })
    }
}

/// Runs the plugin.
pub async fn run(cli: Cli) -> Result<()> {
    let (target, format) = plan(&cli)?;
    let registry = gather::FollowUpOptions {
        verbosity: cli.global.verbosity,
        timeout: cli.global.request_timeout.filter(|t| !t.is_zero()).or(Some(REGISTRY_TIMEOUT)),
        logs: cli.logs,
    };
    let mut opts = Opts { target: &target, from: cli.from.as_deref(), format, registry, origin: None };
    let many = kubectl_kit_core::fleet::Fleet::plan_contexts(&cli.global, &cli.fleet)?;
    if many.is_many() {
        if cli.watch {
            return Err(Error::usage("--watch traces one context: pass --context NAME"));
        }
        if target.service_first() != Start::Service {
            return Err(Error::usage(format!(
                "{:?} starts before the Service, which the fleet read does not: pass --context NAME",
                cli.target
            )));
        }
        return fleet::run(&many, &opts).await;
    }
    let kube = Kube::connect(&cli.global).await?;
    let ns = kube.namespace.clone();
    let svc = match target.service_first() {
        Start::Service => Some(gather::find_service(&kube, &target, &ns).await?),
        Start::Entry => None,
        Start::ServiceThenEntry => service_named(&kube, &target, &ns).await?,
    };
    let (mut status, svc) = match svc {
        Some(svc) => (print_trace(&kube, svc.clone(), &opts).await?, Some(svc)),
        None => {
            let origin = Origin::of(&target, &ns).ok_or_else(|| Error::usage("nothing to trace"))?;
            opts.origin = Some(origin.clone());
            print_entry(&kube, &origin, &opts, target.service_first() == Start::ServiceThenEntry).await?
        }
    };
    if cli.watch {
        match svc {
            Some(svc) => status = watch(&kube, svc, &opts).await?,
            None => output::err("trace-svc: the way in reaches no Service: nothing to watch\n"),
        }
    }
    if status == Status::Fail {
        // The trace said where and why on stdout; the exit status tells scripts.
        return Err(Error::quiet(1));
    }
    Ok(())
}

/// The command line, checked before any request: the Service to trace (with `--port`) and the
/// output format.
pub fn plan(cli: &Cli) -> Result<(Target, Format)> {
    let format = cli.output.format()?;
    let mut target =
        target::parse(&cli.target).map_err(|e| Error::usage(format!("invalid target {:?}: {e}", cli.target)))?;
    if let Some(p) = &cli.port {
        if target.service_first() == Start::Entry {
            return Err(Error::usage(format!(
                "--port picks a Service port; {:?} reaches the port its route's backend names",
                cli.target
            )));
        }
        target.port = Some(match p.parse::<i32>() {
            Ok(n) => PortSel::Number(n),
            Err(_) => PortSel::Name(p.clone()),
        });
    }
    Ok((target, format))
}

/// The trace as `-o FORMAT` prints it.
pub fn show(trace: &Trace, format: Format) -> Result<String> {
    Ok(match format {
        Format::Tree => render::tree(trace),
        Format::Json => output::to_json(trace)?,
        Format::Yaml => output::to_yaml(trace)?,
        Format::Dot => render::dot(trace),
        Format::Mermaid => render::mermaid(trace),
    })
}

/// How long the cluster's registry may take to answer about an image, unless
/// `--request-timeout` says otherwise: a registry that does not answer must not hold up the
/// trace.
const REGISTRY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What every trace of one invocation shares.
struct Opts<'a> {
    target: &'a Target,
    from: Option<&'a str>,
    format: Format,
    registry: gather::FollowUpOptions,
    /// Where the trace starts when it starts before the Service.
    origin: Option<Origin>,
}

/// Completes the Service (its namespace's Services), `--port` (the Service's ports), `--from`
/// (`pod/NAME`); `-o` from its formats.
pub async fn complete(req: Request) -> Result<Values> {
    let flag = |id: &str| req.flag && req.command.is_empty() && req.arg == id;
    if req.is_positional("target") {
        let kube = req.kube().await?;
        let path = format!("/api/v1/namespaces/{}/services", kube.namespace);
        return Ok(Values::Candidates(completion::names(&kube, &path).await?));
    }
    if flag("from") {
        let kube = req.kube().await?;
        let path = format!("/api/v1/namespaces/{}/pods", kube.namespace);
        let pods = completion::names(&kube, &path).await?;
        return Ok(Values::Candidates(pods.into_iter().map(|p| Candidate::new(format!("pod/{}", p.value))).collect()));
    }
    if flag("port") {
        let Some(t) = req.positionals.first().and_then(|t| target::parse(t).ok()).filter(|t| t.ip.is_none()) else {
            return Ok(Values::Candidates(vec![]));
        };
        let kube = req.kube().await?;
        let svc = gather::find_service(&kube, &t, &kube.namespace).await?;
        let mut ports = vec![];
        for p in svc.spec.and_then(|s| s.ports).unwrap_or_default() {
            let about = format!("{}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP"));
            if let Some(name) = p.name.filter(|n| !n.is_empty()) {
                ports.push(Candidate::described(name, about.clone()));
            }
            ports.push(Candidate::described(p.port.to_string(), about));
        }
        return Ok(Values::Candidates(ports));
    }
    Ok(Values::Unknown)
}

/// For a URL whose host is `NAME` or `NAME.NAMESPACE`: that Service, when it exists.
async fn service_named(kube: &Kube, t: &Target, ns: &str) -> Result<Option<k8s_openapi::api::core::v1::Service>> {
    let ns = t.namespace.as_deref().unwrap_or(ns);
    let api: kube::Api<k8s_openapi::api::core::v1::Service> = kube::Api::namespaced(kube.client.clone(), ns);
    match api.get_opt(t.name.as_deref().unwrap_or_default()).await {
        Ok(found) => Ok(found),
        // Not allowed to look: the routes decide.
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Traces from where users start: the way in, then the Service it leads to. Returns the status
/// and that Service. When the target was a URL that could have named a Service and no route
/// matches it either, the Service's not-found error is the answer.
async fn print_entry(
    kube: &Kube,
    origin: &Origin,
    o: &Opts<'_>,
    service_first: bool,
) -> Result<(Status, Option<k8s_openapi::api::core::v1::Service>)> {
    let w = entry::gather::world(kube, origin).await?;
    if service_first && matches!(entry::choose(&w, origin), entry::Choice::Nothing) {
        let err = match gather::find_service(kube, o.target, &kube.namespace).await {
            Err(e) => e,
            Ok(_) => Error::runtime(format!("no Service and no route answers to {}", origin.label())),
        };
        return Err(err.hint(format!("no Ingress rule or HTTPRoute matches {} either", origin.label())));
    }
    let outcome = entry::diagnose(&w, origin);
    let traced = match &outcome.backend {
        Some(b) => {
            let t = b.target();
            let world = gather::world(kube, b.service.clone(), &t, o.from, o.registry).await?;
            Some(trace::diagnose(&world, t.port.as_ref()))
        }
        None => None,
    };
    let svc = outcome.backend.as_ref().map(|b| b.service.clone());
    let trace = entry::combine(outcome, traced, origin);
    output::out(&show(&trace, o.format)?);
    Ok((trace.status, svc))
}

async fn print_trace(kube: &Kube, svc: k8s_openapi::api::core::v1::Service, o: &Opts<'_>) -> Result<Status> {
    let world = gather::world(kube, svc, o.target, o.from, o.registry).await?;
    let trace = trace::diagnose(&world, o.target.port.as_ref());
    output::out(&show(&trace, o.format)?);
    Ok(trace.status)
}

/// Re-traces on every change of the Service, its EndpointSlices or its selected pods, through
/// API server restarts and dropped connections (see [`kubectl_kit_core::list::Resume`]). The
/// Service is read again at every trace, and the pods watched are those of its selector as it
/// is then.
async fn watch(kube: &Kube, mut svc: k8s_openapi::api::core::v1::Service, o: &Opts<'_>) -> Result<Status> {
    let mut resume = kubectl_kit_core::list::Resume::default();
    let mut reconnected = false;
    loop {
        match watch_once(kube, &svc, o, reconnected).await {
            Ok(Some(now)) => {
                resume.healthy();
                reconnected = false;
                svc = now;
            }
            Ok(None) => reconnected = false,
            Err(e) => {
                resume.after(e, "").await?;
                // Changes made while the watches were down would be missed: trace once more.
                reconnected = true;
            }
        }
    }
}

/// Watches until the first change and traces again, returning the Service as traced; or until
/// the server ends the watches (`None`). After a reconnection, traces once as soon as the
/// watches are open.
async fn watch_once(
    kube: &Kube,
    svc: &k8s_openapi::api::core::v1::Service,
    o: &Opts<'_>,
    reconnected: bool,
) -> Result<Option<k8s_openapi::api::core::v1::Service>> {
    use kubectl_kit_core::list::query_pair;
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    // Every collection shares etcd's revision: start all watches at the current one, so that
    // only changes from now on arrive.
    let now: serde_json::Value = serde_json::from_str(
        &kube.get_raw(&format!("/api/v1/namespaces/{ns}/services?limit=1"), "application/json").await?,
    )
    .map_err(|e| Error::corrupt(format!("unreadable list of services in namespace {ns}")).caused_by(e))?;
    let rv = now["metadata"]["resourceVersion"].as_str().unwrap_or_default().to_string();
    let mut paths = vec![];
    let mut p = format!("/api/v1/namespaces/{ns}/services");
    query_pair(&mut p, "fieldSelector", &format!("metadata.name={name}"));
    paths.push(p);
    if let Some(Origin::Object { kind, namespace, name }) = &o.origin {
        let api = match kind {
            target::EntryKind::Ingress => "/apis/networking.k8s.io/v1",
            target::EntryKind::HttpRoute => "/apis/gateway.networking.k8s.io/v1",
        };
        let mut p = format!(
            "{api}/namespaces/{namespace}/{}",
            match kind {
                target::EntryKind::Ingress => "ingresses",
                target::EntryKind::HttpRoute => "httproutes",
            }
        );
        query_pair(&mut p, "fieldSelector", &format!("metadata.name={name}"));
        paths.push(p);
    }
    let mut p = format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices");
    query_pair(&mut p, "labelSelector", &format!("kubernetes.io/service-name={name}"));
    paths.push(p);
    if let Some(sel) = svc.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty()) {
        let mut p = format!("/api/v1/namespaces/{ns}/pods");
        query_pair(&mut p, "labelSelector", &kubectl_kit_core::selector::map_to_string(&sel));
        paths.push(p);
    }
    let mut streams = vec![];
    for mut p in paths {
        query_pair(&mut p, "watch", "1");
        query_pair(&mut p, "resourceVersion", &rv);
        streams.push(kube.stream_lines(&p).await?);
    }
    let mut all = futures::stream::select_all(streams);
    if reconnected {
        let now = retrace(kube, &ns, o, "reconnected", svc).await?;
        let selector = |s: &k8s_openapi::api::core::v1::Service| s.spec.as_ref().and_then(|s| s.selector.clone());
        if selector(&now) != selector(svc) {
            // Changed while the watches were down: watch the pods it selects now.
            return Ok(Some(now));
        }
    }
    while let Some(line) = all.next().await {
        let line = line.map_err(kubectl_kit_core::list::Resume::broken)?;
        if line.contains("\"BOOKMARK\"") {
            continue;
        }
        // Let a burst of events settle before tracing again.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        return retrace(kube, &ns, o, "changed", svc).await.map(Some);
    }
    Ok(None)
}

/// Prints `--- WHY ---` and the trace of the Service as it is now; returns that Service. A
/// trace from an Ingress or HTTPRoute is made whole again, and follows the Service its route
/// leads to now (the one watched so far, `was`, when it leads to none).
async fn retrace(
    kube: &Kube,
    ns: &str,
    o: &Opts<'_>,
    why: &str,
    was: &k8s_openapi::api::core::v1::Service,
) -> Result<k8s_openapi::api::core::v1::Service> {
    output::out(&format!("\n--- {why} ---\n"));
    if let Some(origin) = &o.origin {
        let (_, now) = print_entry(kube, origin, o, false).await?;
        return Ok(now.unwrap_or_else(|| was.clone()));
    }
    let svc_now = gather::find_service(kube, o.target, ns).await?;
    print_trace(kube, svc_now.clone(), o).await?;
    Ok(svc_now)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
