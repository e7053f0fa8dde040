//! `kubectl trace-svc NAME --contexts …`: the same Service traced in several clusters. First a
//! summary, one row per context (CONTEXT, VERDICT, READY/TOTAL, FAILING HOP, CAUSE), then the
//! full trace of each context whose verdict is not ok. `-o json|yaml` is a list of per-context
//! traces. The Service missing from a context is a row (`not found`), not an abort; a context
//! that cannot be read is an `error: context NAME: …` line. The exit status is the worst
//! verdict: 1 when any context fails, has no such Service, or cannot be read.

use kubectl_kit_core::fleet::Fleet;
use kubectl_kit_core::output::{self, Table};
use kubectl_kit_core::{Error, Result};
use serde::Serialize;

use crate::model::{Status, Trace};
use crate::{Format, Opts, gather, show, trace};

/// One context's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Traced {
    context: String,
    /// `ok`, `warn`, `fail` or `not found`.
    verdict: String,
    /// Ready and selected pods, when the pods could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pods: Option<Pods>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<Trace>,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Pods {
    ready: usize,
    total: usize,
}

/// Traces the Service in every context of the fleet.
pub(crate) async fn run(fleet: &Fleet, o: &Opts<'_>) -> Result<()> {
    let outcomes = fleet
        .run(|t| async move {
            let kube = t.connect()?;
            let svc = match gather::find_service(&kube, o.target, &kube.namespace).await {
                Ok(svc) => svc,
                Err(e) if e.is_not_found() => return Ok((None, None)),
                Err(e) => return Err(e),
            };
            let world = gather::world(&kube, svc, o.target, o.from, o.registry).await?;
            let pods = world.pods.as_ref().ok().map(|p| Pods { ready: p.ready, total: p.total });
            Ok((Some(trace::diagnose(&world, o.target.port.as_ref())), pods))
        })
        .await;
    let mut answers: Vec<Traced> = vec![];
    for out in &outcomes {
        let (Some(context), Ok((trace, pods))) = (&out.target.context, &out.result) else { continue };
        let verdict = match trace {
            Some(t) => status_word(t.status).to_string(),
            None => "not found".into(),
        };
        answers.push(Traced { context: context.clone(), verdict, pods: *pods, trace: trace.clone() });
    }
    let worst_failed = answers.iter().any(|a| a.trace.as_ref().is_none_or(|t| t.status == Status::Fail));
    let text = match o.format {
        Format::Json => output::to_json(&answers)?,
        Format::Yaml => output::to_yaml(&answers)?,
        Format::Tree => summary_and_traces(&answers)?,
        Format::Dot | Format::Mermaid => {
            return Err(Error::usage("-o dot and -o mermaid draw one context: pass --context NAME"));
        }
    };
    output::out(&text);
    let reported = fleet.report(&outcomes);
    if worst_failed || reported.is_err() {
        return Err(Error::quiet(1));
    }
    Ok(())
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Warn => "warn",
        Status::Fail => "fail",
    }
}

/// The summary table, then each trace that is not ok under a `--- context NAME ---` line.
fn summary_and_traces(answers: &[Traced]) -> Result<String> {
    let mut t = Table::new(["CONTEXT", "VERDICT", "READY/TOTAL", "FAILING HOP", "CAUSE"]);
    for a in answers {
        let worst = a.trace.as_ref().and_then(|t| {
            let bad = |s: Status| t.hops.iter().find(|h| h.status == s);
            bad(Status::Fail).or_else(|| bad(Status::Warn))
        });
        t.push([
            a.context.clone(),
            a.verdict.clone(),
            a.pods.map_or("-".into(), |p| format!("{}/{}", p.ready, p.total)),
            worst.map_or("-".into(), |h| h.hop.to_string()),
            worst.map_or_else(
                || if a.trace.is_none() { "no such Service in this context".into() } else { "-".into() },
                // The root cause where the hop names one (a crash loop, a refusal), else what
                // the hop found.
                |h| {
                    h.causes
                        .first()
                        .map(|c| c.summary.clone())
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| h.reason.clone())
                },
            ),
        ]);
    }
    let mut text = if t.is_empty() { String::new() } else { t.render(true) };
    for a in answers {
        if let Some(trace) = a.trace.as_ref().filter(|t| t.status != Status::Ok) {
            text.push_str(&format!("\n--- context {} ---\n", output::escape(&a.context)));
            text.push_str(&show(trace, Format::Tree)?);
        }
    }
    Ok(text)
}
