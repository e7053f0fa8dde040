//! `kubectl push-image` against the cluster's real registry (found through its KEP-1755
//! ConfigMap) and private registry instances: every input format round-trips through an
//! independent client (crane), warm pushes send no blob bytes, other repositories mount,
//! --set-image rolls a Deployment, and failures never leave a tag.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use kubectl_kit_tests::images::{self, Image};
use kubectl_kit_tests::registry::{self, AnotherHost, Registry};
use kubectl_kit_tests::{Cluster, Counts, WAIT, converge, require_cluster, stderr, stdout};
use serde_json::Value;

const MB: u64 = 1 << 20;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

fn seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7)
}

fn push(c: &Cluster, cache: &Path, args: &[&str]) -> Output {
    c.plugin("push_image", cache).args(args).output().expect("kubectl-push-image runs")
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "push failed: {}", stderr(out));
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

/// crane (go-containerregistry, built by `cargo xtask cluster up`), the independent client: the
/// raw manifest a tag points at, or `None`.
fn crane_manifest(host: &str, repo_tag: &str) -> Option<Vec<u8>> {
    crane_manifest_as(host, repo_tag, None)
}

/// [`crane_manifest`] with `USER:PASSWORD` credentials.
fn crane_manifest_as(host: &str, repo_tag: &str, creds: Option<&str>) -> Option<Vec<u8>> {
    let out = registry::crane(creds.map(|c| (host, c)))
        .args(["manifest", "--insecure", &format!("{host}/{repo_tag}")])
        .output()
        .expect("crane runs");
    out.status.success().then_some(out.stdout)
}

/// The `auth` value of a Docker config.json entry (base64 of `USER:PASSWORD`).
fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Writes `config` as `DIR/config.json` in a new directory under `work` and returns the
/// directory, for `DOCKER_CONFIG`.
fn docker_config(work: &Path, name: &str, config: Value) -> std::path::PathBuf {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("config.json"), config.to_string()).expect("config.json");
    dir
}

/// Pulls every blob of a tag with crane into an OCI layout at `DIR/layout` (crane checks each
/// digest as it reads).
fn crane_copy(host: &str, repo_tag: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = registry::crane(None)
        .args(["pull", "--insecure", "--format", "oci", &format!("{host}/{repo_tag}")])
        .arg(dir.path().join("layout"))
        .output()
        .expect("crane runs");
    assert!(out.status.success(), "crane pull of {repo_tag} failed: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

/// Pulls every blob of a tag with crane and returns the blob digests.
fn crane_pull(host: &str, repo_tag: &str) -> Vec<String> {
    let dir = crane_copy(host, repo_tag);
    let mut digests: Vec<String> = std::fs::read_dir(dir.path().join("layout/blobs/sha256"))
        .expect("blobs")
        .map(|e| format!("sha256:{}", e.expect("entry").file_name().to_string_lossy()))
        .collect();
    digests.sort();
    digests
}

fn small_image(dir: &Path, gzip: bool) -> Image {
    images::image(&dir.join("layers"), &[3 * MB, MB + 17, 4096], seed(), gzip, "amd64")
}

/// A small image as an OCI layout in `dir/layout`, and that path.
fn small_layout(dir: &Path) -> (Image, String) {
    let img = small_image(dir, true);
    let layout = dir.join("layout");
    images::write_oci_layout(&layout, &img, None);
    (img, layout.to_str().expect("utf-8 path").to_string())
}

fn blob_digests(report: &Value) -> Vec<String> {
    report["blobs"]
        .as_array()
        .expect("blobs")
        .iter()
        .map(|b| b["digest"].as_str().expect("digest").to_string())
        .collect()
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn every_source_format_round_trips_through_crane() {
    let c = require_cluster!("every_source_format_round_trips_through_crane");
    let (host, pull) = c.registry_hosts();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    for format in ["oci-layout", "oci-archive", "docker-save", "docker-save-gzip", "docker25-save"] {
        let dir = work.path().join(format);
        std::fs::create_dir_all(&dir).expect("dir");
        let gzip_layers = format.starts_with("oci");
        let img = small_image(&dir, gzip_layers);
        let repo = unique(&format!("kit/{format}"));
        let tag = format!("{repo}:v1");
        let source = match format {
            "oci-layout" => {
                images::write_oci_layout(&dir.join("layout"), &img, Some("v1"));
                dir.join("layout")
            }
            "oci-archive" => {
                images::write_oci_layout(&dir.join("layout"), &img, Some("v1"));
                images::tar_dir(&dir.join("layout"), &dir.join("image.tar"));
                dir.join("image.tar")
            }
            "docker-save" | "docker-save-gzip" => {
                images::write_docker_save(&dir.join("image.tar"), &[(&img, &[tag.as_str()])]);
                if format == "docker-save-gzip" {
                    let data = std::fs::read(dir.join("image.tar")).expect("tar");
                    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    std::io::Write::write_all(&mut enc, &data).expect("gzip");
                    std::fs::write(dir.join("image.tar.gz"), enc.finish().expect("gzip")).expect("write");
                    dir.join("image.tar.gz")
                } else {
                    dir.join("image.tar")
                }
            }
            _ => {
                images::write_docker25_save(&dir.join("image.tar"), &dir.join("work"), &img, &tag);
                dir.join("image.tar")
            }
        };
        // docker saves carry their tag; the OCI sources are named on the command line.
        let mut args = vec![source.to_str().expect("utf-8 path").to_string()];
        if format.starts_with("oci") {
            args.push(tag.clone());
        }
        args.extend(["-o".to_string(), "json".to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = json(&push(&c, cache.path(), &args));
        let report = &out["images"][0];
        assert_eq!(report["repository"], repo.as_str(), "{format}");
        assert_eq!(report["tag"], "v1", "{format}");
        let digest = report["digest"].as_str().expect("digest");
        assert_eq!(
            report["reference"],
            format!("{pull}/{repo}@{digest}"),
            "{format}: reference uses hostFromContainerRuntime"
        );
        // crane reads the same manifest back, and its digest is the one we printed.
        let raw = crane_manifest(&host, &tag).unwrap_or_else(|| panic!("{format}: crane finds no {tag}"));
        assert_eq!(images::digest(&raw), digest, "{format}");
        let manifest: Value = serde_json::from_slice(&raw).expect("manifest");
        let layers: Vec<&str> =
            manifest["layers"].as_array().expect("layers").iter().map(|l| l["digest"].as_str().expect("d")).collect();
        let expected: Vec<&str> = img.layers.iter().map(|l| l.digest.as_str()).collect();
        assert_eq!(layers, expected, "{format}: layers keep their digests");
        assert_eq!(manifest["config"]["digest"], img.config_digest.as_str(), "{format}");
        if format.starts_with("oci") || format == "docker25-save" {
            assert_eq!(digest, img.digest, "{format}: the source's own manifest is pushed as it is");
        }
        // Every blob pulls back with its digest verified by crane.
        let mut pulled = crane_pull(&host, &tag);
        pulled.retain(|d| d != digest);
        let mut ours = blob_digests(report);
        ours.sort();
        assert_eq!(pulled, ours, "{format}");
        assert!(
            report["blobs"].as_array().expect("blobs").iter().all(|b| b["action"] == "pushed"),
            "{format}: {report}"
        );
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn warm_push_sends_no_blob_bytes_and_other_repositories_mount() {
    let c = require_cluster!("warm_push_sends_no_blob_bytes_and_other_repositories_mount");
    let (host, _) = c.registry_hosts();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let (_, layout) = small_layout(work.path());
    let layout = layout.as_str();
    let repo = unique("kit/warm");
    let first = json(&push(&c, cache.path(), &[layout, &format!("{repo}:v1"), "-o", "json"]));
    let blobs = blob_digests(&first["images"][0]).len();
    assert_eq!(blobs, 4, "config and three layers");

    // Warm: ping, one HEAD per blob, the manifest PUT. Nothing else, no bytes.
    let out = push(&c, cache.path(), &[layout, &format!("{repo}:v1"), "-o", "json", "-v=6"]);
    let warm = json(&out);
    assert_eq!(warm["requests"], 1 + blobs + 1, "{warm}");
    assert_eq!(warm["images"][0]["bytesSent"], 0);
    assert!(warm["images"][0]["blobs"].as_array().expect("blobs").iter().all(|b| b["action"] == "exists"), "{warm}");
    let log = stderr(&out);
    let verbs = |v: &str| log.lines().filter(|l| l.contains(&format!("verb=\"{v}\"")) && l.contains("/v2/")).count();
    assert_eq!(
        (verbs("GET"), verbs("HEAD"), verbs("PUT"), verbs("POST"), verbs("PATCH")),
        (1, blobs, 1, 0, 0),
        "{log}"
    );

    // Another repository: every blob is mounted from the first, none uploaded.
    let other = unique("kit/mounted");
    let out = push(&c, cache.path(), &[layout, &format!("{other}:v1"), "-o", "json", "-v=6"]);
    let mounted = json(&out);
    let report = &mounted["images"][0];
    assert_eq!(report["bytesSent"], 0, "{report}");
    for b in report["blobs"].as_array().expect("blobs") {
        assert_eq!(b["action"], "mounted", "{report}");
        assert_eq!(b["mountedFrom"], repo.as_str());
    }
    let log = stderr(&out);
    assert!(log.lines().filter(|l| l.contains("verb=\"POST\"")).all(|l| l.contains("201 Created")), "{log}");
    assert!(crane_manifest(&host, &format!("{other}:v1")).is_some());
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn set_image_rolls_the_deployment_to_the_digest() {
    let c = require_cluster!("set_image_rolls_the_deployment_to_the_digest");
    let ns = c.namespace("push-set-image");
    c.apply(
        &ns.name,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: localhost:5000/web:latest\n      - name: sidecar\n        image: busybox\n",
    );
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let (_, layout) = small_layout(work.path());
    let layout = layout.as_str();
    let repo = unique("kit/web");
    // Two containers: the command must name one; it says so before pushing anything.
    let out = push(
        &c,
        cache.path(),
        &["-n", &ns.name, layout, &format!("{repo}:latest"), "--set-image", "deployment/web", "-v=6"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("has 2 containers (app, sidecar)"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("/v2/"), "nothing was sent to the registry: {}", stderr(&out));
    let out = push(
        &c,
        cache.path(),
        &["-n", &ns.name, layout, &format!("{repo}:latest"), "--set-image", "deployment/web=app", "-o", "json"],
    );
    let reference = json(&out)["images"][0]["reference"].as_str().expect("reference").to_string();
    assert!(reference.contains("@sha256:"), "{reference}");
    let images = c.kubectl_ok(&[
        "-n",
        &ns.name,
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[*].image}",
    ]);
    assert_eq!(images, format!("{reference} busybox"));
    // The rollout is real: a new ReplicaSet with the digest.
    let images = || {
        c.kubectl_ok(&[
            "-n",
            &ns.name,
            "get",
            "rs",
            "-o",
            "jsonpath={.items[*].spec.template.spec.containers[0].image}",
        ])
    };
    converge("a ReplicaSet running the digest", WAIT, images, |i| i.contains(&reference));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn multi_platform_sources_push_the_nodes_platform_and_say_what_was_skipped() {
    let c = require_cluster!("multi_platform_sources_push_the_nodes_platform_and_say_what_was_skipped");
    let (host, _) = c.registry_hosts();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let amd = images::image(&work.path().join("amd"), &[MB], seed(), true, "amd64");
    let arm = images::image(&work.path().join("arm"), &[MB], seed() + 1, true, "arm64");
    let layout = work.path().join("layout");
    // kind#3795: the arm64 entry is listed but its blobs are not in the source.
    images::write_multi_platform(&layout, &[("amd64", &amd, true), ("arm64", &arm, false)], "multi:v1");
    let layout = layout.to_str().expect("utf-8");
    let repo = unique("kit/multi");
    let out = json(&push(&c, cache.path(), &[layout, &format!("{repo}:v1"), "-o", "json"]));
    let report = &out["images"][0];
    assert_eq!(report["digest"], amd.digest.as_str(), "the kwok nodes are linux/amd64: {report}");
    let skipped = report["skipped"].to_string();
    assert!(skipped.contains(&arm.digest) && skipped.contains("linux/arm64"), "{skipped}");
    assert!(crane_manifest(&host, &format!("{repo}:v1")).is_some_and(|m| images::digest(&m) == amd.digest));
    // Asking for the missing platform is an error that says how to get what is there.
    let out = push(&c, cache.path(), &[layout, &format!("{repo}:arm"), "--platform", "linux/arm64"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no pushable platform"), "{}", stderr(&out));
    assert!(crane_manifest(&host, &format!("{repo}:arm")).is_none());
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn multi_image_tarballs_push_all_or_the_one_picked() {
    let c = require_cluster!("multi_image_tarballs_push_all_or_the_one_picked");
    let (host, _) = c.registry_hosts();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let a = images::image(&work.path().join("a"), &[MB], seed(), false, "amd64");
    let b = images::image(&work.path().join("b"), &[MB], seed() + 1, false, "amd64");
    let (ra, rb) = (unique("kit/multi-a"), unique("kit/multi-b"));
    let (ta, tb) = (format!("{ra}:1"), format!("{rb}:2"));
    let tar = work.path().join("both.tar");
    images::write_docker_save(&tar, &[(&a, &[ta.as_str()]), (&b, &[tb.as_str()])]);
    let tar = tar.to_str().expect("utf-8");
    // One NAME for two images is ambiguous: a usage error that lists them.
    let out = push(&c, cache.path(), &[tar, "kit/x:1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&ta) && stderr(&out).contains(&tb), "{}", stderr(&out));
    // --image picks one.
    let out = push(&c, cache.path(), &[tar, "--image", &tb]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(crane_manifest(&host, &tb).is_some() && crane_manifest(&host, &ta).is_none());
    // No NAME: every image under its own tag.
    let out = push(&c, cache.path(), &[tar]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
    assert!(crane_manifest(&host, &ta).is_some());
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn corrupt_sources_are_refused_before_anything_is_tagged() {
    let c = require_cluster!("corrupt_sources_are_refused_before_anything_is_tagged");
    let (host, _) = c.registry_hosts();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");

    // A layer whose bytes changed but not its size: the digest check catches it mid-stream.
    let img = small_image(&work.path().join("bad-digest"), true);
    let layout = work.path().join("bad-digest/layout");
    images::write_oci_layout(&layout, &img, None);
    let victim = layout.join("blobs/sha256").join(img.layers[0].digest.trim_start_matches("sha256:"));
    let mut data = std::fs::read(&victim).expect("layer");
    let last = data.len() - 100;
    data[last] ^= 0xff;
    std::fs::write(&victim, &data).expect("corrupt");
    let repo = unique("kit/corrupt");
    let out = push(&c, cache.path(), &[layout.to_str().expect("utf-8"), &format!("{repo}:v1")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
    assert!(stderr(&out).contains("no manifest was written"), "{}", stderr(&out));
    assert!(crane_manifest(&host, &format!("{repo}:v1")).is_none());

    // A truncated docker save: refused while reading it, before any request.
    let img = small_image(&work.path().join("truncated"), false);
    let tar = work.path().join("truncated/image.tar");
    let tag = format!("{}:v1", unique("kit/truncated"));
    images::write_docker_save(&tar, &[(&img, &[tag.as_str()])]);
    let data = std::fs::read(&tar).expect("tar");
    std::fs::write(&tar, &data[..data.len() / 2]).expect("truncate");
    let out = push(&c, cache.path(), &[tar.to_str().expect("utf-8"), "-v=6"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("truncated or corrupt"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("verb="), "nothing is sent for a truncated source: {}", stderr(&out));
    assert!(crane_manifest(&host, &tag).is_none());
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_registry_that_dies_mid_push_leaves_no_tag() {
    let c = require_cluster!("a_registry_that_dies_mid_push_leaves_no_tag");
    let mut registry = Registry::start();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let img = images::image(&work.path().join("layers"), &[96 * MB, 96 * MB, 96 * MB], seed(), true, "amd64");
    images::write_oci_layout(&work.path().join("layout"), &img, None);
    let layout = work.path().join("layout");
    let mut child = c
        .plugin("push_image", cache.path())
        .args([layout.to_str().expect("utf-8"), "kit/dies:v1", "--registry", &registry.host, "-v=6"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("push starts");
    // Kill the registry as soon as the first upload has started.
    let rx = kubectl_kit_tests::lines(child.stderr.take().expect("stderr"));
    let mut log = String::new();
    loop {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("the push logs its requests");
        log.push_str(&line);
        log.push('\n');
        if line.contains("verb=\"POST\"") {
            break;
        }
    }
    registry.kill();
    let status = child.wait().expect("push ends");
    log.extend(rx.try_iter().map(|l| l + "\n"));
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("no manifest was written, so kit/dies:v1 was not changed"), "{log}");
    registry.restart();
    assert!(crane_manifest(&registry.host, "kit/dies:v1").is_none(), "a tag was written");
    // And a push to the restarted registry completes, re-using what had arrived.
    let out = push(&c, cache.path(), &[layout.to_str().expect("utf-8"), "kit/dies:v1", "--registry", &registry.host]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(crane_manifest(&registry.host, "kit/dies:v1").is_some_and(|m| images::digest(&m) == img.digest));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn port_forward_pushes_through_the_api_server() {
    let c = require_cluster!("port_forward_pushes_through_the_api_server");
    let (host, pull) = c.registry_hosts();
    let (_, registry_port) = host.rsplit_once(':').expect("host:port");
    let ns = c.namespace("push-pf");
    // An in-cluster registry as the API server sees it: a Deployment and a Service. Its pod runs
    // on a kwok node, so kwok's kubelet endpoint serves the port-forward, and a kwok PortForward
    // rule sends the pod's port 5000 to the real registry.
    c.apply(
        &ns.name,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: registry\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: registry}\n  template:\n    metadata:\n      labels: {app: registry}\n    spec:\n      containers:\n      - name: registry\n        image: registry:2\n        ports:\n        - {containerPort: 5000, name: registry}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: registry\nspec:\n  selector: {app: registry}\n  ports:\n  - {port: 5000, targetPort: registry, name: registry}\n",
    );
    c.wait_replicas(&ns.name, "deployment/registry", 1);
    let pod = c.wait_pods(&ns.name, "app=registry", 1, "Ready", |p| p.ready)[0].name.clone();
    c.apply(
        &ns.name,
        &format!(
            "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: PortForward\nmetadata:\n  name: {pod}\nspec:\n  forwards:\n  - ports: [5000]\n    target: {{address: 127.0.0.1, port: {registry_port}}}\n"
        ),
    );
    c.wait_endpoints(&ns.name, "registry", Counts::listing(1, 1));
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let (img, layout) = small_layout(work.path());
    let repo = unique("kit/forwarded");
    let out = push(&c, cache.path(), &[layout.as_str(), &format!("{repo}:v1"), "--port-forward", "-o", "json"]);
    // Bare --port-forward looks for kube-system/registry, which this cluster does not have.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no registry Service kube-system/registry"), "{}", stderr(&out));
    let out = push(
        &c,
        cache.path(),
        &[layout.as_str(), &format!("{repo}:v1"), &format!("--port-forward={}/registry", ns.name), "-o", "json"],
    );
    assert!(
        stderr(&out).contains(&format!("pushing through a port-forward to {}/{pod}:5000", ns.name)),
        "{}",
        stderr(&out)
    );
    let report = &json(&out)["images"][0];
    assert_eq!(report["digest"], img.digest.as_str());
    assert_eq!(report["reference"], format!("{pull}/{repo}@{}", img.digest), "the ConfigMap still names the pull host");
    // The bytes really went through the API server into the registry.
    assert!(crane_manifest(&host, &format!("{repo}:v1")).is_some_and(|m| images::digest(&m) == img.digest));
    assert_eq!(crane_pull(&host, &format!("{repo}:v1")).len(), 5, "config, three layers and the manifest");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn compressed_pushes_decompress_to_the_source_layers() {
    let c = require_cluster!("compressed_pushes_decompress_to_the_source_layers");
    let (host, _) = c.registry_hosts();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    // A docker save: uncompressed layers, whose digests are their diff_ids.
    let img = small_image(work.path(), false);
    let tar = work.path().join("image.tar");
    images::write_docker_save(&tar, &[(&img, &["kit/unused:v1"])]);
    for (how, media_type) in [
        ("gzip", "application/vnd.oci.image.layer.v1.tar+gzip"),
        ("zstd", "application/vnd.oci.image.layer.v1.tar+zstd"),
    ] {
        let repo = unique(&format!("kit/compress-{how}"));
        let tag = format!("{repo}:v1");
        let out = json(&push(&c, cache.path(), &[tar.to_str().expect("utf-8"), &tag, "--compress", how, "-o", "json"]));
        let digest = out["images"][0]["digest"].as_str().expect("digest").to_string();
        let raw = crane_manifest(&host, &tag).unwrap_or_else(|| panic!("{how}: crane finds no {tag}"));
        assert_eq!(images::digest(&raw), digest, "{how}");
        let manifest: Value = serde_json::from_slice(&raw).expect("manifest");
        let layers = manifest["layers"].as_array().expect("layers");
        assert_eq!(layers.len(), img.layers.len(), "{how}");
        // The config (and so the diff_ids) is the source's; the layers are new, compressed blobs.
        assert_eq!(manifest["config"]["digest"], img.config_digest.as_str(), "{how}");
        // crane pulls every blob and checks its digest; each layer decompresses to its diff_id.
        let dir = crane_copy(&host, &tag);
        for (layer, source) in layers.iter().zip(&img.layers) {
            assert_eq!(layer["mediaType"], media_type, "{how}");
            let d = layer["digest"].as_str().expect("digest");
            assert_ne!(d, source.digest, "{how}: the layer was not compressed");
            let blob = std::fs::read(dir.path().join("layout/blobs/sha256").join(&d["sha256:".len()..])).expect("blob");
            assert_eq!(layer["size"], blob.len() as u64, "{how}");
            let mut plain = Vec::new();
            if how == "gzip" {
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&blob[..]), &mut plain).expect("gunzip");
            } else {
                plain = zstd::stream::decode_all(&blob[..]).expect("unzstd");
            }
            assert_eq!(images::digest(&plain), source.diff_id, "{how}: decompressed layer");
        }
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_registry_answering_500_gets_bounded_retries_and_no_tag() {
    let c = require_cluster!("a_registry_answering_500_gets_bounded_retries_and_no_tag");
    let registry = Registry::start();
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let (img, layout) = small_layout(work.path());
    // A file where the registry keeps this repository's uploads: starting an upload fails inside
    // the real registry, which answers 500 (blob checks still answer 404).
    let repos = registry.dir().join("data/docker/registry/v2/repositories/kit/fails/_uploads");
    std::fs::create_dir_all(repos.parent().expect("parent")).expect("dirs");
    std::fs::write(&repos, b"not a directory").expect("block");
    let out = push(&c, cache.path(), &[&layout, "kit/fails:v1", "--registry", &registry.host, "-v=6"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("answered 500"), "the registry's status is reported: {err}");
    assert!(err.contains("no manifest was written, so kit/fails:v1 was not changed"), "{err}");
    let posts = err.lines().filter(|l| l.contains("verb=\"POST\"")).count();
    assert!((1..=4 * img.layers.len() + 4).contains(&posts), "retries are bounded: {posts} POSTs\n{err}");
    assert!(
        !err.lines().any(|l| l.contains("verb=\"PUT\"") && l.contains("/manifests/")),
        "a manifest was sent: {err}"
    );
    std::fs::remove_file(&repos).expect("unblock");
    assert!(crane_manifest(&registry.host, "kit/fails:v1").is_none(), "a tag was written");
    // A repository the registry cannot even look into: blob checks answer 500.
    std::fs::write(registry.dir().join("data/docker/registry/v2/repositories/kit/heads"), b"x").expect("block");
    let out = push(&c, cache.path(), &[&layout, "kit/heads:v1", "--registry", &registry.host]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was pushed, so kit/heads:v1 was not changed"), "{}", stderr(&out));
    let out = push(&c, cache.path(), &[&layout, "kit/fails:v1", "--registry", &registry.host]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(crane_manifest(&registry.host, "kit/fails:v1").is_some_and(|m| images::digest(&m) == img.digest));
}

/// A push to a private registry that wants user `kit` and a planted password: a small layout
/// to push, and runs at `-v=9` (where a leak would show) with a Docker config holding any
/// `auth` value for the registry.
struct Planted {
    password: String,
    registry: Registry,
    cache: tempfile::TempDir,
    work: tempfile::TempDir,
    img: Image,
    layout: String,
}

impl Planted {
    /// `start` gets the user and password (`planted-KIND-pw-…`) and starts the registry.
    fn new(kind: &str, start: impl FnOnce(&str, &str) -> Registry) -> Self {
        let password = format!("planted-{kind}-pw-{}", seed());
        let registry = start("kit", &password);
        let work = tempfile::tempdir().expect("work");
        let (img, layout) = small_layout(work.path());
        Planted { password, registry, cache: tempfile::tempdir().expect("cache"), work, img, layout }
    }

    /// The right credential, as config.json's `auth`.
    fn right(&self) -> String {
        basic("kit", &self.password)
    }

    /// Pushes the layout as `tag` with `auth` for the registry, at `-v=9`, plus `args`.
    fn push(&self, c: &Cluster, auth: &str, tag: &str, args: &[&str]) -> Output {
        let config = serde_json::json!({"auths": {&self.registry.host: {"auth": auth}}});
        let dir = docker_config(self.work.path(), &unique("docker"), config);
        c.plugin("push_image", self.cache.path())
            .env("DOCKER_CONFIG", &dir)
            .args([&self.layout, tag, "--registry", &self.registry.host, "-v=9"])
            .args(args)
            .output()
            .expect("push runs")
    }

    /// Asserts that neither the password nor the Basic credential is in `out`'s stdout or stderr.
    fn no_leak(&self, out: &Output, what: &str) {
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(!all.contains(&self.password), "{what}: the password leaked:\n{all}");
        assert!(!all.contains(&self.right()), "{what}: the Basic credential leaked:\n{all}");
    }

    /// crane, with the right credentials: the raw manifest `repo_tag` points at.
    fn manifest(&self, repo_tag: &str) -> Option<Vec<u8>> {
        crane_manifest_as(&self.registry.host, repo_tag, Some(&format!("kit:{}", self.password)))
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn registry_credentials_are_used_and_never_printed() {
    let c = require_cluster!("registry_credentials_are_used_and_never_printed");
    let password = format!("planted-pw-{}", seed());
    let registry = Registry::start_with_password("kit", &password);
    let cache = tempfile::tempdir().expect("cache");
    let work = tempfile::tempdir().expect("work");
    let (img, layout) = small_layout(work.path());
    let run = |dir: &Path, path: Option<&Path>, tag: &str| {
        let mut cmd = c.plugin("push_image", cache.path());
        cmd.env("DOCKER_CONFIG", dir).args([&layout, tag, "--registry", &registry.host, "-v=9"]);
        if let Some(p) = path {
            cmd.env("PATH", format!("{}:{}", p.display(), std::env::var("PATH").unwrap_or_default()));
        }
        cmd.output().expect("push runs")
    };
    let no_leak = |out: &Output, what: &str| {
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(!all.contains(&password), "{what}: the password leaked:\n{all}");
        assert!(!all.contains(&basic("kit", &password)), "{what}: the Basic credential leaked:\n{all}");
        assert!(!all.contains("planted-wrong"), "{what}: the wrong password leaked:\n{all}");
    };
    // No credentials: refused by the registry, said plainly.
    let out = run(&docker_config(work.path(), "none", serde_json::json!({})), None, "kit/auth:v1");
    no_leak(&out, "none");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
    // A wrong password: refused, and neither password is printed.
    let wrong = docker_config(
        work.path(),
        "wrong",
        serde_json::json!({"auths": {&registry.host: {"auth": basic("kit", "planted-wrong")}}}),
    );
    let out = run(&wrong, None, "kit/auth:v1");
    no_leak(&out, "wrong");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(crane_manifest(&registry.host, "kit/auth:v1").is_none());
    // auths: pushed.
    let right = docker_config(
        work.path(),
        "auths",
        serde_json::json!({"auths": {&registry.host: {"auth": basic("kit", &password)}}}),
    );
    let out = run(&right, None, "kit/auth:v1");
    no_leak(&out, "auths");
    assert!(out.status.success(), "{}", stderr(&out));
    // A credential helper on PATH (credsStore), run without a shell.
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let helper = bin.join("docker-credential-kit");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread host\nprintf '{{\"Username\":\"kit\",\"Secret\":\"{password}\"}}'\n"),
    )
    .expect("helper");
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let store = docker_config(work.path(), "store", serde_json::json!({"credsStore": "kit"}));
    let out = run(&store, Some(&bin), "kit/auth:v2");
    no_leak(&out, "credsStore");
    assert!(out.status.success(), "{}", stderr(&out));
    // crane, with the credentials, reads both tags.
    for tag in ["v1", "v2"] {
        let raw = crane_manifest_as(&registry.host, &format!("kit/auth:{tag}"), Some(&format!("kit:{password}")));
        assert_eq!(raw.map(|m| images::digest(&m)), Some(img.digest.clone()), "{tag}");
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn bearer_tokens_from_a_token_service_are_used_and_never_printed() {
    let c = require_cluster!("bearer_tokens_from_a_token_service_are_used_and_never_printed");
    let p = Planted::new("bearer", Registry::start_with_token_service);
    let registry = &p.registry;
    // A bearer token is a JWT, whose base64url header begins "eyJ".
    let no_leak = |out: &Output, what: &str| {
        p.no_leak(out, what);
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(!all.contains("eyJ"), "{what}: a JWT (bearer token) leaked:\n{all}");
    };
    let out = p.push(&c, &basic("kit", "planted-wrong"), "kit/bearer:v1", &[]);
    no_leak(&out, "wrong");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("token service"), "the refusal names the token service: {}", stderr(&out));
    assert!(!stderr(&out).contains("planted-wrong"), "{}", stderr(&out));
    assert!(crane_manifest(&registry.host, "kit/bearer:v1").is_none(), "nothing was tagged");

    let out = p.push(&c, &p.right(), "kit/bearer:v1", &[]);
    no_leak(&out, "right");
    assert!(out.status.success(), "{}", stderr(&out));
    let log = std::fs::read_to_string(registry.dir().join("token-service.log")).expect("token service log");
    assert!(
        log.lines().any(|l| l.contains("GET /token?") && l.contains("bearer") && l.contains("\" 200")),
        "a token was granted for the repository: {log}"
    );
    // The registry accepted the token (it logs the bearer's subject), and an independent client
    // with the same credentials reads the image.
    let registry_log = std::fs::read_to_string(registry.dir().join("registry.log")).expect("registry log");
    assert!(
        registry_log.contains("auth.user.name=kit") || registry_log.contains("auth.user.name=\"kit\""),
        "the registry saw the token's subject"
    );
    assert_eq!(p.manifest("kit/bearer:v1").map(|m| images::digest(&m)), Some(p.img.digest.clone()));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn credentials_stay_with_the_registry_when_it_redirects_to_another_host() {
    let c = require_cluster!("credentials_stay_with_the_registry_when_it_redirects_to_another_host");
    let p = Planted::new("redirect", |user, password| {
        Registry::start_with_password_and_another_host(user, password, AnotherHost::BlobReads)
    });
    let run = |tag: &str| p.push(&c, &p.right(), tag, &["-o", "json"]);
    // Cold: the blobs are missing, so nothing is redirected yet.
    let first = json(&run("kit/redirect:v1"));
    let blobs = blob_digests(&first["images"][0]);
    assert_eq!(p.registry.blob_store_log(), "", "nothing was redirected before the blobs existed");
    // Warm: every blob check is redirected to the blob store on 127.0.0.2, which is followed
    // and answers that the blob is there, without the registry's credentials.
    let out = run("kit/redirect:v2");
    let warm = json(&out);
    p.no_leak(&out, "redirected");
    assert!(warm["images"][0]["blobs"].as_array().expect("blobs").iter().all(|b| b["action"] == "exists"), "{warm}");
    let log = p.registry.blob_store_log();
    let requests: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect::<Vec<_>>();
    let checked: std::collections::BTreeSet<&str> = requests
        .iter()
        .filter(|r| r["method"] == "HEAD")
        .filter_map(|r| r["path"].as_str())
        .filter_map(|p| blobs.iter().find(|d| p.contains(d.trim_start_matches("sha256:"))).map(String::as_str))
        .collect();
    assert_eq!(checked.len(), blobs.len(), "every blob check reached the blob store:\n{log}");
    for r in &requests {
        let headers = r["headers"].as_array().expect("headers");
        assert!(!headers.iter().any(|h| h == "authorization"), "credentials went to another host: {r}");
    }
    assert_eq!(p.manifest("kit/redirect:v2").map(|m| images::digest(&m)), Some(p.img.digest.clone()));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn an_upload_location_on_another_host_is_refused_and_nothing_is_tagged() {
    let c = require_cluster!("an_upload_location_on_another_host_is_refused_and_nothing_is_tagged");
    let p = Planted::new("upload", |user, password| {
        Registry::start_with_password_and_another_host(user, password, AnotherHost::Uploads)
    });
    let out = p.push(&c, &p.right(), "kit/elsewhere:v1", &[]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(stderr(&out).contains("sent the upload to another host; refused"), "{all}");
    p.no_leak(&out, "refused");
    // Neither credentials nor blob bytes went there, and the tag was never written.
    assert_eq!(p.registry.blob_store_log(), "", "the other host was contacted");
    assert!(p.manifest("kit/elsewhere:v1").is_none());
}

/// A certificate authority of the test's own and a registry certificate it signed for `names`
/// (DNS names or IP addresses): (CA PEM, certificate PEM, key PEM).
fn own_ca(names: &[&str]) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.distinguished_name.push(DnType::CommonName, "kit test registry CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA").pem();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("certificate").pem();
    (ca, cert, key.serialize_pem())
}

/// An address of this machine that is not loopback (where the default route leaves from): a
/// registry there is spoken to over TLS, as a remote one is. No packet is sent to find it.
fn non_loopback_address() -> String {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").expect("udp socket");
    socket
        .connect("192.0.2.255:9")
        .or_else(|_| socket.connect("8.8.8.8:53"))
        .expect("this machine has a non-loopback IPv4 address with a route (needed to serve a registry over TLS)");
    let ip = socket.local_addr().expect("local address").ip();
    assert!(!ip.is_loopback() && !ip.is_unspecified(), "no usable address: {ip}");
    ip.to_string()
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_registry_with_its_own_ca_is_trusted_through_ca_file_and_certs_d() {
    let c = require_cluster!("a_registry_with_its_own_ca_is_trusted_through_ca_file_and_certs_d");
    let work = tempfile::tempdir().expect("tempdir");
    let address = non_loopback_address();
    let (ca, cert, key) = own_ca(&[&address]);
    let registry = Registry::start_tls(&address, &cert, &key);
    let (_, layout) = small_layout(work.path());
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let run = |args: &[&str], home: &Path| {
        c.plugin("push_image", work.path()).env("HOME", home).args(args).output().expect("kubectl-push-image runs")
    };

    // Not trusted: refused, said how to trust it, and nothing reached the registry.
    let out = run(&[&layout, "own-ca/app:1", "--registry", &registry.host], &home);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("cannot reach registry {}", registry.host)), "{err}");
    assert!(err.contains("UnknownIssuer") && err.contains("--ca-file"), "{err}");
    assert!(crane_manifest(&registry.host, "own-ca/app:1").is_none());

    // --ca-file.
    let ca_file = work.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).expect("ca");
    let args = [&layout, "own-ca/app:1", "--registry", &registry.host, "--ca-file", ca_file.to_str().expect("utf-8")];
    let pushed = json(&run(&[&args[..], &["-o", "json"]].concat(), &home));
    let digest = pushed["images"][0]["digest"].as_str().expect("digest").to_string();
    let manifest = crane_manifest(&registry.host, "own-ca/app:1").expect("tagged");
    assert_eq!(images::digest(&manifest), digest);

    // The container tools' certs.d: the rootless one under HOME, named HOST:PORT.
    let certs_d = home.join(".config/containers/certs.d").join(&registry.host);
    std::fs::create_dir_all(&certs_d).expect("certs.d");
    std::fs::write(certs_d.join("ca.crt"), &ca).expect("ca.crt");
    let out = run(&[&layout, "own-ca/app:2", "--registry", &registry.host], &home);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(crane_manifest(&registry.host, "own-ca/app:2").is_some());

    // A CA file that holds no certificate is named.
    let bad = work.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("bad");
    let out =
        run(&[&layout, "own-ca/app:3", "--registry", &registry.host, "--ca-file", bad.to_str().expect("utf-8")], &home);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!("{} holds no PEM certificate", bad.display())), "{}", stderr(&out));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn pushes_go_through_the_proxy_the_environment_names_and_loopback_never_does() {
    use kubectl_kit_tests::proxy::Proxy;
    let c = require_cluster!("pushes_go_through_the_proxy_the_environment_names_and_loopback_never_does");
    let work = tempfile::tempdir().expect("tempdir");
    // A name only the proxy can resolve, as behind a corporate proxy: the push can only
    // succeed through it, and the proxy sees which host was asked for.
    let name = "registry.kit.test";
    let (ca, cert, key) = own_ca(&[name, "127.0.0.1"]);
    let registry = Registry::start_tls("127.0.0.1", &cert, &key);
    let port = registry.host.rsplit(':').next().expect("port").to_string();
    let named = format!("{name}:{port}");
    let proxy = Proxy::start(&[(name, "127.0.0.1")], Some("kit:pr0xy-s3cret"));
    let ca_file = work.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).expect("ca");
    let (_, layout) = small_layout(work.path());
    // The plugin command is scrubbed: no proxy variable of the machine's reaches it.
    let run = |args: &[&str], env: &[(&str, String)]| {
        let mut cmd = c.plugin("push_image", work.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(args).output().expect("kubectl-push-image runs")
    };
    let via = format!("http://kit:pr0xy-s3cret@{}", proxy.address);
    let push_args = [&layout, "proxied/app:1", "--registry", &named, "--ca-file", ca_file.to_str().expect("utf-8")];

    let out = run(&[&push_args[..], &["-v=6"]].concat(), &[("HTTPS_PROXY", via.clone())]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(proxy.connects().iter().all(|t| *t == named) && !proxy.connects().is_empty(), "{:?}", proxy.connects());
    assert!(!err.contains("pr0xy-s3cret") && !stdout(&out).contains("pr0xy-s3cret"), "{err}");
    assert!(err.contains(&format!("url=\"https://{named}/v2/\"")), "{err}");
    assert!(crane_manifest(&registry.host, "proxied/app:1").is_some());

    // NO_PROXY takes the registry out: the name is then looked up here, and is not found.
    let before = proxy.connects().len();
    let out = run(&push_args, &[("https_proxy", via.clone()), ("NO_PROXY", ".kit.test".into())]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("cannot reach registry {named}")), "{}", stderr(&out));
    assert_eq!(proxy.connects().len(), before, "NO_PROXY was not honoured");

    // Wrong proxy credentials: the proxy's refusal is the error.
    let wrong = format!("http://kit:nope@{}", proxy.address);
    let out = run(&push_args, &[("HTTPS_PROXY", wrong)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot reach registry"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("nope"), "{}", stderr(&out));

    // A loopback registry never goes through a proxy (as with kubectl), even when both
    // variables name one.
    let plain = Registry::start();
    let before = proxy.connects().len();
    let out = run(
        &[&layout, "direct/app:1", "--registry", &plain.host],
        &[("HTTPS_PROXY", via.clone()), ("HTTP_PROXY", via)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.connects().len(), before, "a loopback registry went through the proxy");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn localhost_names_reach_a_loopback_registry_without_dns() {
    let c = require_cluster!("localhost_names_reach_a_loopback_registry_without_dns");
    let work = tempfile::tempdir().expect("tempdir");
    let registry = Registry::start();
    let port = registry.host.rsplit(':').next().expect("port");
    let (_, layout) = small_layout(work.path());
    // k3d names its registries k3d-NAME.localhost:PORT; RFC 6761 makes them loopback.
    let named = format!("k3d-registry.localhost:{port}");
    let out = push(&c, work.path(), &[&layout, "k3d/app:1", "--registry", &named, "-o", "json"]);
    let report = json(&out);
    assert_eq!(report["images"][0]["reference"].as_str().map(|r| r.starts_with(&named)), Some(true), "{report}");
    let manifest = crane_manifest(&registry.host, "k3d/app:1").expect("tagged at the loopback registry");
    assert_eq!(images::digest(&manifest), report["images"][0]["digest"].as_str().expect("digest"));
    // Plain localhost too.
    let out = push(&c, work.path(), &[&layout, "k3d/app:2", "--registry", &format!("localhost:{port}")]);
    assert!(out.status.success(), "{}", stderr(&out));
}
