//! Reading several kubeconfig contexts and namespaces as one (`--contexts`, `--all-contexts`,
//! `--namespaces`, `-n a,b`, `-n 'team-*'`, `--parallel`): the one definition every reading
//! plugin uses, in the order a read runs.
//!
//! - [`Fleet::plan`] (no network): the flags ([`crate::flags::FleetFlags`]) and the merged
//!   kubeconfig into the contexts to read, in order (each pattern's matches sorted by name, the
//!   patterns in the order given, each context once), the namespaces to read in each, how many
//!   contexts are read at once and how long each may take. Without fleet flags it is one
//!   target, the context and namespace kubectl would use, and the plugin's output is kubectl's.
//! - [`Target::connect`]: one [`Kube`] per context (its own client, TLS, proxy, credentials
//!   and discovery cache), from the kubeconfig files read once.
//! - [`Fleet::run`]: every context read concurrently, at most `--parallel` at a time, each
//!   bounded by its timeout; a context's failure is captured as its [`Outcome`], never
//!   allowed to stop the others. Inside a context, [`Scope`] and [`each_namespace`] read the
//!   namespaces, and a namespace RBAC forbids is a [`fault`] of that context, not its end.
//! - [`Fleet::follow`]: what must run in every context together and does not end by itself
//!   (a watch after the first read): all at once, without the timeout, each outcome as it ends.
//! - [`Fleet::report`]: one `error: context NAME: …` line (and its hint) per failure, after
//!   the output, and the exit status: 1 when anything failed, as kubectl exits on partial
//!   errors.
//!
//! Ctrl-C keeps its default disposition: the process ends at once, with every context's
//! requests (nothing here waits on a signal handler, or on a blocking name lookup to finish).

mod glob;
mod namespaces;
mod report;
mod targets;

use std::cell::RefCell;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::config::Kubeconfig;

use crate::client::Kube;
use crate::error::{Error, Result};
use crate::flags::{ContextFlags, FleetFlags, GlobalFlags};

pub use glob::{is_glob, matches};
pub use namespaces::{Scope, each_namespace, expand};
pub use report::error_line;

/// How many contexts are read at once unless `--parallel` says otherwise: enough that ten
/// clusters cost about the slowest one, few enough that one machine's sockets and exec
/// credential plugins are not flooded.
pub const PARALLEL: u16 = 8;

/// How long one context's whole read may take when reading several and `--request-timeout`
/// is not given: one dead cluster must not hold up the others' rows for minutes (a dropped
/// connection waits about two minutes for TCP to give up).
pub const CONTEXT_TIMEOUT: Duration = Duration::from_secs(30);

/// Which namespaces a context is read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// The one kubectl would read: `-n NAME`, else the context's, else `default`.
    Own,
    /// Every namespace (`-A`).
    All,
    /// These names and globs (`-n a,b`, `--namespaces 'team-*'`), matched per context.
    Matching(Vec<String>),
}

/// The kubeconfig files as read once for every context.
type Loaded = Option<(Kubeconfig, Vec<PathBuf>)>;

/// One context to read.
#[derive(Clone)]
pub struct Target {
    /// The context's name when contexts were asked for (`--contexts`, `--all-contexts`); `None`
    /// for the one context kubectl would use.
    pub context: Option<String>,
    /// Where to read in it.
    pub namespaces: Namespaces,
    flags: GlobalFlags,
    loaded: Arc<Loaded>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("context", &self.context).field("namespaces", &self.namespaces).finish()
    }
}

impl Target {
    /// The client for this context, as [`Kube::connect`] builds it for the context alone.
    pub fn connect(&self) -> Result<Kube> {
        match &*self.loaded {
            Some(loaded) => Kube::connect_loaded(&self.flags, Some(loaded.clone())),
            None => Kube::connect_loaded(&self.flags, crate::client::load_kubeconfig(&self.flags)?),
        }
    }

    /// The global flags this context is read with (`--context` set to it).
    pub fn flags(&self) -> &GlobalFlags {
        &self.flags
    }
}

/// What one context's read came to.
#[derive(Debug)]
pub struct Outcome<T> {
    /// The context.
    pub target: Target,
    /// Its rows, or why the context could not be read at all.
    pub result: Result<T>,
    /// What failed without ending the read: a namespace RBAC forbids, a pattern it could not
    /// match.
    pub faults: Vec<Error>,
}

/// The contexts and namespaces one invocation reads, and how.
#[derive(Debug)]
pub struct Fleet {
    targets: Vec<Target>,
    /// Context patterns that matched nothing, reported with the others' failures.
    unmatched: Vec<Error>,
    many: bool,
    namespaces: Namespaces,
    /// Without `-n`, the contexts' own namespaces (the kubeconfig's) are not all the same.
    own_namespaces_differ: bool,
    parallel: usize,
    timeout: Option<Duration>,
}

impl Fleet {
    /// Plans the read before any request: the contexts (from the merged kubeconfig) and the
    /// namespaces. `all_namespaces` is the plugin's `-A`. Usage errors (exit 2) for flags that
    /// cannot go together; an error when no context matches at all.
    pub fn plan(global: &GlobalFlags, fleet: &FleetFlags, all_namespaces: bool) -> Result<Fleet> {
        let namespaces = namespaces::plan(global, fleet, all_namespaces)?;
        Fleet::plan_with(global, &fleet.contexts, namespaces)
    }

    /// [`Fleet::plan`] for a command that reads one namespace or none, whatever `-n` says
    /// (discovery; the one Service `trace-svc` traces): contexts only, `-n` as kubectl reads it.
    pub fn plan_contexts(global: &GlobalFlags, contexts: &ContextFlags) -> Result<Fleet> {
        Fleet::plan_with(global, contexts, Namespaces::Own)
    }

    fn plan_with(global: &GlobalFlags, picks: &ContextFlags, namespaces: Namespaces) -> Result<Fleet> {
        let mut flags = global.clone();
        if matches!(namespaces, Namespaces::Matching(_)) {
            // `-n a,b` is a set of namespaces, not a namespace named "a,b".
            flags.namespace = None;
        }
        let parallel = usize::from(picks.parallel.max(1));
        let many = picks.all_contexts || !picks.contexts.is_empty();
        if !many {
            let target = Target { context: None, namespaces: namespaces.clone(), flags, loaded: Arc::new(None) };
            return Ok(Fleet {
                targets: vec![target],
                unmatched: vec![],
                many,
                namespaces,
                own_namespaces_differ: false,
                parallel,
                timeout: None,
            });
        }
        let loaded = crate::client::load_kubeconfig(global)?.ok_or_else(|| {
            Error::runtime("no kubeconfig found: --contexts and --all-contexts read the contexts of the kubeconfig")
                .hint("set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config")
        })?;
        let where_ = crate::client::Source::Files(loaded.1.clone()).describe();
        let names: Vec<String> = loaded.0.contexts.iter().map(|c| c.name.clone()).collect();
        let (picked, unmatched) = targets::pick(&names, &picks.contexts, picks.all_contexts, &where_)?;
        let own = |name: &String| {
            let entry = loaded.0.contexts.iter().find(|c| &c.name == name).and_then(|c| c.context.as_ref());
            entry.and_then(|c| c.namespace.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into())
        };
        let own_namespaces_differ =
            global.namespace.is_none() && picked.iter().map(own).collect::<std::collections::BTreeSet<_>>().len() > 1;
        let loaded = Arc::new(Some(loaded));
        let targets = picked
            .into_iter()
            .map(|context| {
                let mut flags = flags.clone();
                flags.context = Some(context.clone());
                Target { context: Some(context), namespaces: namespaces.clone(), flags, loaded: Arc::clone(&loaded) }
            })
            .collect();
        let timeout = match global.request_timeout {
            Some(t) if t.is_zero() => None,
            Some(t) => Some(t),
            None => Some(CONTEXT_TIMEOUT),
        };
        Ok(Fleet { targets, unmatched, many, namespaces, own_namespaces_differ, parallel, timeout })
    }

    /// True when contexts were asked for: rows carry a CONTEXT column and data a `context`
    /// field, even for one context.
    pub fn is_many(&self) -> bool {
        self.many
    }

    /// True when this is kubectl's own read (one context, one namespace or `-A`): the plugin
    /// prints exactly what it printed before fleets existed.
    pub fn is_plain(&self) -> bool {
        !self.many && !matches!(self.namespaces, Namespaces::Matching(_))
    }

    /// The contexts, in reading (and output) order.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Where each context is read.
    pub fn namespaces(&self) -> &Namespaces {
        &self.namespaces
    }

    /// How long each context's read may take (`None`: as long as it takes).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// True when rows come from more than one namespace by request (`-A`, a set or a glob),
    /// or, without `-n`, from contexts whose own namespaces differ: where kubectl would show
    /// NAMESPACE, and where a fleet's rows need it to be told apart.
    pub fn shows_namespace(&self) -> bool {
        match &self.namespaces {
            Namespaces::All => true,
            Namespaces::Matching(patterns) => patterns.len() > 1 || patterns.iter().any(|p| is_glob(p)),
            Namespaces::Own => self.own_namespaces_differ,
        }
    }

    /// Reads every context with `read`, at most `--parallel` at a time, each within its
    /// timeout; the outcomes come back in the targets' order. A context that fails or times
    /// out is an outcome like the others; the errors of its connection name its own server.
    pub async fn run<T, F, Fut>(&self, read: F) -> Vec<Outcome<T>>
    where
        F: Fn(Target) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let (timeout, many) = (self.timeout, self.many);
        let reads = self.targets.iter().map(|target| {
            let work = read(target.clone());
            let target = target.clone();
            async move {
                let bounded = async {
                    match timeout {
                        Some(limit) => {
                            tokio::time::timeout(limit, work).await.unwrap_or_else(|_| Err(timed_out(limit)))
                        }
                        None => work.await,
                    }
                };
                let collected = FAULTS.scope(RefCell::new(vec![]), async {
                    let result = if many { crate::error::with_own_connection(bounded).await } else { bounded.await };
                    (result, FAULTS.with(|f| f.take()))
                });
                let (result, faults) = collected.await;
                Outcome { target, result, faults }
            }
        });
        futures::stream::iter(reads).buffered(self.parallel).collect().await
    }

    /// Runs `work` for each context of `started` (with what its read left for it) all at once,
    /// each in its own connection and fault scope as [`Fleet::run`]'s reads are, but with
    /// neither `--parallel` nor the timeout: a watch lasts until it fails or the process ends,
    /// and every context's must be open together. Yields each context's outcome as it ends, so
    /// that its failure is told while the others go on. `work` must connect inside its future
    /// ([`Target::connect`]): the connection noted there is the one its failures name.
    pub fn follow<S, T, F, Fut>(&self, started: Vec<(Target, S)>, work: F) -> impl futures::Stream<Item = Outcome<T>>
    where
        F: Fn(Target, S) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let many = self.many;
        started
            .into_iter()
            .map(|(target, state)| {
                let work = work(target.clone(), state);
                async move {
                    let collected = FAULTS.scope(RefCell::new(vec![]), async {
                        let result = if many { crate::error::with_own_connection(work).await } else { work.await };
                        (result, FAULTS.with(|f| f.take()))
                    });
                    let (result, faults) = collected.await;
                    Outcome { target, result, faults }
                }
            })
            .collect::<futures::stream::FuturesUnordered<_>>()
    }

    /// Prints every failure, context patterns that matched nothing first, then each context's
    /// in order ([`error_line`]); `Err` (exit status 1, already printed) when there was any.
    pub fn report<T>(&self, outcomes: &[Outcome<T>]) -> Result<()> {
        report::report(&self.unmatched, outcomes)
    }
}

tokio::task_local! {
    static FAULTS: RefCell<Vec<Error>>;
}

/// Records what failed inside a context's read without ending it (a namespace RBAC forbids):
/// reported with the context's name after the output, and the exit status is 1. Outside
/// [`Fleet::run`] it is printed at once.
pub fn fault(e: Error) {
    if FAULTS.try_with(|f| f.borrow_mut().push(e.clone())).is_err() {
        crate::output::err(&e.render());
    }
}

fn timed_out(limit: Duration) -> Error {
    Error::unreachable(format!("no answer within {} (--request-timeout)", crate::time::humanize(limit)))
        .hint("the context's read was abandoned; raise --request-timeout (0 waits as long as it takes)")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use clap::Parser;

    use super::*;
    use crate::client::fixture::write;

    /// Three reachable-looking contexts on closed loopback ports, one naming a cluster that is
    /// not there, one with another namespace.
    const FLEET: &str = r#"apiVersion: v1
kind: Config
current-context: prod-eu
clusters:
- name: eu
  cluster: {server: "https://127.0.0.1:1"}
- name: us
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: admin
  user: {token: s3cret-admin-token}
contexts:
- name: prod-eu
  context: {cluster: eu, user: admin}
- name: prod-us
  context: {cluster: us, user: admin, namespace: payments}
- name: staging
  context: {cluster: eu, user: admin}
- name: lonely
  context: {cluster: gone, user: admin}
"#;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        global: GlobalFlags,
        #[command(flatten)]
        fleet: FleetFlags,
        #[arg(short = 'A')]
        all: bool,
    }

    fn plan(dir: &std::path::Path, args: &[&str]) -> Result<Fleet> {
        let config = write(dir, "config", FLEET);
        let mut argv = vec!["x".to_string(), "--kubeconfig".into(), config.display().to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let cli = Cli::try_parse_from(argv).map_err(|e| Error::usage(e.to_string()))?;
        Fleet::plan(&cli.global, &cli.fleet, cli.all)
    }

    fn contexts(f: &Fleet) -> Vec<String> {
        f.targets().iter().filter_map(|t| t.context.clone()).collect()
    }

    #[test]
    fn without_fleet_flags_it_is_kubectls_one_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["-n", "kube-system"]).expect("plan");
        assert!(f.is_plain() && !f.is_many() && !f.shows_namespace());
        assert_eq!((f.targets().len(), f.targets()[0].context.clone(), f.timeout()), (1, None, None));
        assert_eq!(f.targets()[0].flags().namespace.as_deref(), Some("kube-system"));
        let f = plan(dir.path(), &["-n", "a,b"]).expect("plan");
        assert!(!f.is_plain() && !f.is_many() && f.shows_namespace());
        assert_eq!(f.targets()[0].flags().namespace, None, "a set is not a namespace named \"a,b\"");
    }

    #[test]
    fn contexts_come_from_the_merged_kubeconfig_with_their_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["--all-contexts"]).expect("plan");
        assert_eq!(contexts(&f), ["lonely", "prod-eu", "prod-us", "staging"]);
        assert_eq!(f.timeout(), Some(CONTEXT_TIMEOUT));
        assert!(f.shows_namespace(), "each context's own namespace: rows need one");
        let f =
            plan(dir.path(), &["--contexts", "staging,prod-*", "--request-timeout", "2s", "-n", "web"]).expect("plan");
        assert_eq!(contexts(&f), ["staging", "prod-eu", "prod-us"]);
        assert_eq!(f.timeout(), Some(Duration::from_secs(2)));
        assert!(!f.shows_namespace(), "one namespace, named");
        assert_eq!(f.targets()[1].flags().context.as_deref(), Some("prod-eu"));
        let f = plan(dir.path(), &["--contexts", "prod-eu,staging"]).expect("plan");
        assert!(!f.shows_namespace(), "both contexts read their namespace \"default\"");
        let f = plan(dir.path(), &["--contexts", "prod-eu", "--request-timeout", "0"]).expect("plan");
        assert_eq!((f.is_many(), f.timeout()), (true, None));
        for bad in [&["--contexts", "a", "--context", "b"][..], &["--contexts", "a", "--all-contexts"]] {
            assert!(plan(dir.path(), bad).expect_err("conflict").is_usage(), "{bad:?}");
        }
        let e = plan(dir.path(), &["--contexts", "qa-*"]).expect_err("nothing");
        assert_eq!(e.message, "no context matches \"qa-*\"");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn one_failing_context_never_hides_the_others() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["--contexts", "prod-us,lonely,prod-eu,ghost"]).expect("plan");
        let outcomes = f
            .run(|t| async move {
                let kube = t.connect()?;
                Ok((kube.server.clone(), kube.namespace.clone()))
            })
            .await;
        type Read = std::result::Result<(String, String), String>;
        let got: Vec<(Option<String>, Read)> =
            outcomes.iter().map(|o| (o.target.context.clone(), o.result.clone().map_err(|e| e.message))).collect();
        assert_eq!(
            got,
            [
                (Some("prod-us".into()), Ok(("https://127.0.0.1:2".into(), "payments".into()))),
                (Some("lonely".into()), Err("cluster \"gone\" does not exist".into())),
                (Some("prod-eu".into()), Ok(("https://127.0.0.1:1".into(), "default".into()))),
            ]
        );
        let e = f.report(&outcomes).expect_err("something failed");
        assert_eq!(e.exit_code(), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn each_contexts_connection_failure_names_its_own_server() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["--contexts", "prod-eu,prod-us"]).expect("plan");
        let outcomes = f.run(|t| async move { t.connect()?.get_raw("/version", "application/json").await }).await;
        let lines: Vec<String> = outcomes
            .iter()
            .map(|o| error_line(o.target.context.as_deref(), o.result.as_ref().expect_err("refused")))
            .collect();
        assert!(
            lines[0].starts_with(
                "error: context prod-eu: could not reach the API server https://127.0.0.1:1: connection refused\n"
            ),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(
                "error: context prod-us: could not reach the API server https://127.0.0.1:2: connection refused\n"
            ),
            "{}",
            lines[1]
        );
        assert!(lines.iter().all(|l| !l.contains("s3cret-admin-token")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn contexts_are_read_at_most_parallel_at_a_time_and_each_within_its_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["--all-contexts", "--parallel", "2", "--request-timeout", "50ms"]).expect("plan");
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let outcomes = f
            .run(|t| {
                let (now, most) = (&now, &most);
                async move {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    // "staging" never answers: it is cut off at its timeout; the others finish.
                    if t.context.as_deref() == Some("staging") {
                        std::future::pending::<()>().await;
                    }
                    for _ in 0..5 {
                        tokio::task::yield_now().await;
                    }
                    now.fetch_sub(1, Ordering::SeqCst);
                    Ok(t.context.clone())
                }
            })
            .await;
        assert_eq!(most.load(Ordering::SeqCst), 2, "--parallel 2");
        let order: Vec<Option<String>> = outcomes.iter().map(|o| o.target.context.clone()).collect();
        assert_eq!(order, contexts(&f).into_iter().map(Some).collect::<Vec<_>>(), "outcomes in the targets' order");
        let late = outcomes.iter().find(|o| o.target.context.as_deref() == Some("staging")).expect("staging");
        let e = late.result.as_ref().expect_err("timed out");
        assert_eq!(e.message, "no answer within 50ms (--request-timeout)");
        assert_eq!(outcomes.iter().filter(|o| o.result.is_ok()).count(), 3);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn followed_contexts_run_together_and_each_is_told_as_it_ends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["--contexts", "prod-eu,prod-us", "--parallel", "1"]).expect("plan");
        let released = tokio::sync::Notify::new();
        let started = f.targets().iter().cloned().map(|t| (t.clone(), t.context)).collect();
        // prod-eu ends only once prod-us's end has been seen: with --parallel 1 applied, or
        // the outcomes held back to the targets' order, this would never finish.
        let ended = f.follow(started, |_, context| {
            let released = &released;
            async move {
                match context.as_deref() {
                    Some("prod-eu") => {
                        released.notified().await;
                        Ok(1)
                    }
                    _ => Err(Error::runtime("the watch failed")),
                }
            }
        });
        let mut ended = std::pin::pin!(ended);
        let first = ended.next().await.expect("an outcome");
        assert_eq!(first.target.context.as_deref(), Some("prod-us"));
        assert_eq!(first.result.expect_err("failed").message, "the watch failed");
        released.notify_one();
        let second = ended.next().await.expect("an outcome");
        assert_eq!((second.target.context.as_deref(), second.result.ok()), (Some("prod-eu"), Some(1)));
        assert!(ended.next().await.is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn faults_belong_to_their_context_and_fail_the_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = plan(dir.path(), &["--contexts", "prod-eu,prod-us", "-n", "a,b"]).expect("plan");
        let outcomes = f
            .run(|t| async move {
                let Namespaces::Matching(names) = &t.namespaces else { return Err(Error::runtime("not a set")) };
                let read = each_namespace(names, |ns| {
                    let denied = t.context.as_deref() == Some("prod-us") && ns == "b";
                    async move {
                        if denied {
                            Err(Error::api("Forbidden", 403, format!("pods is forbidden in {ns}")))
                        } else {
                            Ok(ns.len())
                        }
                    }
                })
                .await?;
                Ok(read.into_iter().map(|(ns, _)| ns).collect::<Vec<_>>())
            })
            .await;
        assert_eq!(outcomes[0].result.as_ref().expect("eu"), &["a", "b"]);
        assert_eq!(outcomes[1].result.as_ref().expect("us"), &["a"], "the forbidden namespace is skipped");
        assert_eq!((outcomes[0].faults.len(), outcomes[1].faults.len()), (0, 1));
        assert_eq!(outcomes[1].faults[0].message, "pods is forbidden in b");
        assert!(f.report(&outcomes).is_err());
    }
}
