//! `kubectl push-image` against skopeo and crane, cold and warm, OCI layouts and docker save.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::{Env, measure_command, median, record};
use crate::{paths, util};

/// `kubectl push-image` against skopeo and crane. Every cold run pushes into a registry
/// emptied for it (a private instance of the same registry binary per tool), so no blob is
/// already present and nothing can be mounted; each round's image is freshly generated.
pub(super) fn bench_push(env: &Env, report: &mut String) -> Result<usize> {
    use kubectl_kit_tests::images;
    use kubectl_kit_tests::registry::Registry;
    const MIB: u64 = 1 << 20;
    crate::gobuild::ensure_binaries()?;
    let crane = paths::bin().join("crane");
    let skopeo = which::which("skopeo").context("skopeo is the benchmark's peer: apt-get install skopeo")?;
    let ours_bin = env.release.join("kubectl-push_image");
    let work = paths::root().join("target").join("bench").join("push");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let fresh = |r: &mut Registry| {
        r.kill();
        let _ = std::fs::remove_dir_all(r.dir().join("data"));
        r.restart();
    };
    let (mut ours_r, mut skopeo_r, mut crane_r) = (Registry::start(), Registry::start(), Registry::start());
    let ours_cmd = |source: &Path, host: &str, extra: &[&str]| {
        let mut c = Command::new(&ours_bin);
        c.arg(source).arg("bench/app:v1").args(["--registry", host]).args(extra).env("KUBECACHEDIR", &env.cache);
        c
    };
    let skopeo_cmd = |src: String, host: &str| {
        let mut c = Command::new(&skopeo);
        c.args(["copy", "--quiet", "--dest-tls-verify=false", &src, &format!("docker://{host}/bench/app:v1")]);
        c
    };
    let sizes = [200 * MIB, 150 * MIB, 100 * MIB, 40 * MIB, 10 * MIB];
    let (mut o, mut s, mut cr, mut warm_o, mut warm_s) = (vec![], vec![], vec![], vec![], vec![]);
    let mut peak = 0u64;
    let rounds = 4;
    let mut layout = PathBuf::new();
    for round in 0..rounds {
        let _ = std::fs::remove_dir_all(&work);
        let img = images::image(&work.join("layers"), &sizes, 0xbe0c_0000 + round as u64 * 7919, true, "amd64");
        layout = work.join("layout");
        images::write_oci_layout(&layout, &img, None);
        for r in [&mut ours_r, &mut skopeo_r, &mut crane_r] {
            fresh(r);
        }
        let (t_o, rss, _) = measure_command(ours_cmd(&layout, &ours_r.host, &[]))?;
        let (t_s, _, _) = measure_command(skopeo_cmd(format!("oci:{}", layout.display()), &skopeo_r.host))?;
        let mut c = Command::new(&crane);
        c.arg("push").arg(&layout).arg(format!("{}/bench/app:v1", crane_r.host));
        let (t_c, _, _) = measure_command(c)?;
        // Warm: everything is there now.
        let (w_o, _, _) = measure_command(ours_cmd(&layout, &ours_r.host, &[]))?;
        let (w_s, _, _) = measure_command(skopeo_cmd(format!("oci:{}", layout.display()), &skopeo_r.host))?;
        peak = peak.max(rss);
        // The first round warms the page cache and the binaries.
        if round > 0 {
            o.push(t_o);
            s.push(t_s);
            cr.push(t_c);
            warm_o.push(w_o);
            warm_s.push(w_s);
        }
    }
    let (o, s, cr) = (median(o), median(s), median(cr));
    let mut failed = record(report, "push-image cold, 524 MB in 5 gzip layers (OCI layout) vs skopeo copy", o, s, 0.75);
    failed += record(report, "push-image cold, same image vs crane push", o, cr, 1.0);
    failed += record(report, "push-image warm (all blobs present) vs skopeo copy", median(warm_o), median(warm_s), 1.5);
    // The warm push's requests and bytes, from its own report.
    let out = ours_cmd(&layout, &ours_r.host, &["-o", "json"]).stderr(Stdio::null()).output()?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).context("push-image -o json")?;
    let blobs = doc["images"][0]["blobs"].as_array().map_or(0, Vec::len);
    let requests = doc["requests"].as_u64().unwrap_or(0) as usize;
    let bytes = doc["images"][0]["bytesSent"].as_u64().unwrap_or(u64::MAX);
    util::say(&format!(
        "push-image warm: {requests} requests for {blobs} blobs (goal 1 + {blobs} + 1), {bytes} blob bytes (goal 0)
"
    ));
    report.push_str(&format!(
        "
Requests: warm `kubectl push-image` {requests} for {blobs} blobs (goal {}), {bytes} blob bytes sent.
",
        blobs + 2
    ));
    if requests != blobs + 2 || bytes != 0 {
        failed += 1;
    }

    // docker save of 500 MiB of uncompressed layers: pushed as they are, against skopeo's
    // docker-archive transport.
    let (mut o2, mut s2) = (vec![], vec![]);
    for round in 0..rounds {
        let _ = std::fs::remove_dir_all(&work);
        let img = images::image(
            &work.join("layers"),
            &[250 * MIB, 150 * MIB, 100 * MIB],
            0xd0c4_0000 + round as u64,
            false,
            "amd64",
        );
        let tar = work.join("app.tar");
        images::write_docker_save(&tar, &[(&img, &["bench/app:v1"])]);
        for r in [&mut ours_r, &mut skopeo_r] {
            fresh(r);
        }
        let (t_o, rss, _) = measure_command(ours_cmd(&tar, &ours_r.host, &[]))?;
        let (t_s, _, _) = measure_command(skopeo_cmd(format!("docker-archive:{}", tar.display()), &skopeo_r.host))?;
        peak = peak.max(rss);
        if round > 0 {
            o2.push(t_o);
            s2.push(t_s);
        }
    }
    failed += record(
        report,
        "push-image cold, docker save of 500 MiB uncompressed vs skopeo copy docker-archive:",
        median(o2),
        median(s2),
        0.6,
    );
    let mib = peak as f64 / 1024.0;
    util::say(&format!(
        "push-image peak RSS over all runs: {mib:.1} MiB (goal ≤ 64 MiB)
"
    ));
    report.push_str(&format!(
        "
Peak RSS: `kubectl push-image` {mib:.1} MiB over every push above (goal ≤ 64 MiB).
"
    ));
    if mib > 64.0 {
        failed += 1;
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(failed)
}
