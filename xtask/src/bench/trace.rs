//! trace-svc against the kubectl commands a person would run, and at 100 and 2 000 endpoints.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::{Env, argv, interleaved, measure, median, record, requests, time_once};
use crate::{paths, util};

/// trace-svc against the kubectl commands a person would run for the same answer.
pub(super) fn bench_trace(env: &Env, report: &mut String) -> Result<usize> {
    let ns = "bench-trace";
    let kubectl = |args: &[&str]| env.kubectl(args);
    let _ = kubectl(&["create", "namespace", ns]).status();
    util::run(kubectl(&["apply", "-n", ns, "-f"]).arg(paths::fixtures().join("apps").join("numbers-api.yaml")))?;
    util::run(&mut kubectl(&[
        "-n",
        ns,
        "wait",
        "--for=condition=Available",
        "deployment/numbers-api",
        "--timeout=90s",
    ]))?;
    let ours = argv(&format!("kubectl-trace_svc -n {ns} numbers-api"));
    let peers = [
        argv(&format!("kubectl -n {ns} get svc numbers-api")),
        argv(&format!("kubectl -n {ns} get endpointslices -l kubernetes.io/service-name=numbers-api")),
        argv(&format!("kubectl -n {ns} get pods -l app=numbers-api")),
        argv("kubectl get nodes"),
    ];
    time_once(env, &ours)?;
    let mut o = vec![];
    let mut p = vec![vec![]; peers.len()];
    for _ in 0..11 {
        o.push(time_once(env, &ours)?);
        for (i, peer) in peers.iter().enumerate() {
            p[i].push(time_once(env, peer)?);
        }
    }
    let o = median(o);
    let sum: Duration = p.into_iter().map(median).sum();
    Ok(record(report, "trace-svc numbers-api vs the four kubectl gets a person would run (summed)", o, sum, 0.1))
}

/// A trace started at an entry point against the same trace started at the Service: what
/// finding the way in (the Ingress or HTTPRoute, its class, its parents) adds. Runs after
/// [`bench_trace`], whose numbers-api it routes to.
pub(super) fn bench_trace_entry(env: &Env, report: &mut String) -> Result<usize> {
    let ns = "bench-trace";
    util::run(env.kubectl(&["apply", "-n", ns, "-f"]).arg(paths::fixtures().join("apps").join("numbers-entry.yaml")))?;
    let service = argv(&format!("kubectl-trace_svc -n {ns} numbers-api"));
    let mut failed = 0;
    for (entry, what) in [
        ("ingress/numbers", "an Ingress"),
        ("https://numbers.example.com/", "a URL (matched against every Ingress and HTTPRoute)"),
    ] {
        let ours = argv(&format!("kubectl-trace_svc -n {ns} {entry}"));
        let (o, p) = interleaved(env, &ours, &service, 11, None)?;
        failed += record(report, &format!("trace-svc started at {what} vs at the Service"), o, p, 1.2);
    }
    Ok(failed)
}

/// trace-svc on a Service with 2 000 ready endpoints against the same at 100: peak RSS flat
/// in the number of endpoints, and requests that do not grow with it. kubectl's peak RSS for
/// the two lists the trace reads (slices, pods) is shown beside it.
pub(super) fn bench_trace_load(env: &Env, report: &mut String) -> Result<usize> {
    let mut rows = vec![];
    for (ns, n) in [("bench-trace-100", 100usize), ("bench-trace-2k", 2000)] {
        crate::seed::pods(ns, n)?;
        // `create service clusterip bench` selects app=bench, which every seeded pod carries.
        let _ = env.kubectl(&["-n", ns, "create", "service", "clusterip", "bench", "--tcp=80:8080"]).output();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let out = env
                .kubectl(&[
                    "-n",
                    ns,
                    "get",
                    "endpointslices",
                    "-l",
                    "kubernetes.io/service-name=bench",
                    "-o",
                    "jsonpath={..conditions.ready}",
                ])
                .stdout(Stdio::piped())
                .output()?;
            if String::from_utf8_lossy(&out.stdout).matches("true").count() >= n {
                break;
            }
            if Instant::now() > deadline {
                bail!("the bench Service in {ns} did not get {n} ready endpoints");
            }
            std::thread::sleep(Duration::from_secs(2));
        }
        let ours = argv(&format!("kubectl-trace_svc -n {ns} bench"));
        measure(env, &ours)?;
        let (mut walls, mut peaks) = (vec![], vec![]);
        for _ in 0..3 {
            let (w, kib, _) = measure(env, &ours)?;
            walls.push(w);
            peaks.push(kib);
        }
        walls.sort_by(f64::total_cmp);
        let peer_kib = [
            argv(&format!("kubectl -n {ns} get endpointslices -l kubernetes.io/service-name=bench")),
            argv(&format!("kubectl -n {ns} get pods -l app=bench")),
        ]
        .iter()
        .map(|a| measure(env, a).map(|(_, kib, _)| kib))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
        let count = requests(env, &ours)?;
        rows.push((n, walls[1], peaks.into_iter().max().unwrap_or(0), peer_kib, count));
    }
    let mb = |kib: u64| kib as f64 / 1024.0;
    let (small, big) = (rows[0], rows[1]);
    let flat = big.2 as f64 / small.2 as f64;
    for (n, wall, kib, peer, count) in &rows {
        util::say(&format!(
            "trace-svc: {n} endpoints  wall {wall:.2} s  peak RSS {:.1} MB (kubectl get slices/pods up to {:.1} MB)  {count} requests\n",
            mb(*kib),
            mb(*peer)
        ));
    }
    util::say(&format!("trace-svc: peak RSS at 2 000 / 100 endpoints = {flat:.3} (goal ≤ 1.2)\n"));
    report.push_str(&format!(
        "| trace-svc: peak RSS at 2 000 / 100 endpoints | {:.1} MB | {:.1} MB | {flat:.3} | ≤ 1.2 |\n",
        mb(big.2),
        mb(small.2)
    ));
    report.push_str(&format!(
        "\nRequests: `kubectl trace-svc` {} for 100 endpoints, {} for 2 000; kubectl's peak RSS for `get endpointslices`/`get pods` of the 2 000: {:.1} MB against our {:.1} MB for the whole trace.\n",
        small.4,
        big.4,
        mb(big.3),
        mb(big.2)
    ));
    Ok(usize::from(flat > 1.2) + usize::from(big.4 > small.4))
}
