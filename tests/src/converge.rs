//! Waiting for the cluster to converge.
//!
//! Controllers act one after another, each a moment after the last: kwok (the kubelet here) sets
//! a pod's status, then the EndpointSlice controller lists the pod, the ReplicaSet controller
//! counts it, the node lifecycle controller marks it. On a busy machine a moment is seconds. A
//! test asserts the state the objects settle into, never what one read happened to catch:
//! [`converge`] polls an observation until it is the state the test wants and returns it, or
//! fails naming what never came and the last state it saw; [`steady`] runs a command at a
//! moment the state it reads holds still around it (for states that cycle, as crash loops do).
//! The typed waits on [`Cluster`] (pods, EndpointSlices, events, replicas, nodes) are built on
//! [`converge`], each observing the objects through the cluster's kubectl.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Cluster;

/// The usual bound of a wait on the cluster.
pub const WAIT: Duration = Duration::from_secs(120);

/// How long a poll waits before it looks again.
const POLL: Duration = Duration::from_millis(250);

/// Polls `observe` until `done` holds of what it returns, and returns that observation; after
/// `timeout`, fails naming `what` never came and the last state seen.
pub fn converge<T: fmt::Debug>(
    what: &str,
    timeout: Duration,
    mut observe: impl FnMut() -> T,
    mut done: impl FnMut(&T) -> bool,
) -> T {
    let start = Instant::now();
    loop {
        let seen = observe();
        if done(&seen) {
            return seen;
        }
        assert!(
            start.elapsed() < timeout,
            "{what}: never converged in {timeout:?} ({:.1?} spent); the last state seen:\n{seen:#?}",
            start.elapsed()
        );
        std::thread::sleep(POLL);
    }
}

/// [`converge`] on an observation that can fail (a read the server refused, a port not open
/// yet): polls until it succeeds with a value `done` accepts, and returns that value.
pub fn converge_ok<T: fmt::Debug, E: fmt::Debug>(
    what: &str,
    timeout: Duration,
    observe: impl FnMut() -> Result<T, E>,
    mut done: impl FnMut(&T) -> bool,
) -> T {
    match converge(what, timeout, observe, |r| r.as_ref().is_ok_and(&mut done)) {
        Ok(v) => v,
        Err(_) => unreachable!("converge returns only what `done` accepted"),
    }
}

/// Runs `act` at a moment the observed state is what `want` asks for and stays the same until
/// `act` has finished: observes (waiting as [`converge`] does), acts, observes again, and tries
/// again when the two observations differ. What `act` returned then describes that state, not
/// a passing instant. Returns the state and what `act` returned; after `timeout` and at least
/// [`ATTEMPTS`] tries (a slow command is not a state that never settles), fails naming `what`
/// and the last two observations.
pub fn steady<S: fmt::Debug + PartialEq, R>(
    what: &str,
    timeout: Duration,
    mut observe: impl FnMut() -> S,
    want: impl Fn(&S) -> bool,
    mut act: impl FnMut(&S) -> R,
) -> (S, R) {
    let start = Instant::now();
    for attempt in 1.. {
        // A try after the timeout (see ATTEMPTS) still gets a while for the state to come back.
        let left = timeout.saturating_sub(start.elapsed()).max(timeout / 4);
        let before = converge(what, left, &mut observe, &want);
        let result = act(&before);
        let after = observe();
        if after == before {
            return (before, result);
        }
        assert!(
            attempt < ATTEMPTS || start.elapsed() < timeout,
            "{what}: the state never held still around the command in {:.1?} and {attempt} tries; before it:\n{before:#?}\nafter it:\n{after:#?}",
            start.elapsed()
        );
        std::thread::sleep(POLL);
    }
    unreachable!("the loop returns or fails")
}

/// How many times [`steady`] runs its command at least before it gives up.
const ATTEMPTS: u32 = 3;

/// A finished command: exit code, stdout and stderr, shown as a reader wants to see them when
/// a wait on its output fails.
#[derive(Clone, PartialEq, Eq)]
pub struct Ran {
    /// The exit code (-1 when a signal ended it).
    pub code: i32,
    /// stdout as text.
    pub stdout: String,
    /// stderr as text.
    pub stderr: String,
}

impl Ran {
    /// Runs `cmd` to the end.
    pub fn run(cmd: &mut std::process::Command) -> Ran {
        let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?} does not start: {e}"));
        Ran::from(&out)
    }

    /// stdout parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }
}

impl From<&std::process::Output> for Ran {
    fn from(out: &std::process::Output) -> Ran {
        Ran { code: out.status.code().unwrap_or(-1), stdout: crate::stdout(out), stderr: crate::stderr(out) }
    }
}

impl fmt::Debug for Ran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// One container's status.
#[derive(Clone, PartialEq, Eq)]
pub struct Container {
    /// The container's name.
    pub name: String,
    /// The reason of its `waiting` state, or "".
    pub waiting: String,
    /// Its state is `running`.
    pub running: bool,
    /// The reason of its `terminated` state, or "".
    pub terminated: String,
    /// `ready`.
    pub ready: bool,
    /// `restartCount`.
    pub restarts: i64,
    /// `lastState.terminated`: exit code and reason.
    pub last_exit: Option<(i64, String)>,
}

impl Container {
    fn from_json(v: &Value) -> Container {
        let state = &v["state"];
        let last = &v["lastState"]["terminated"];
        Container {
            name: text(&v["name"]),
            waiting: text(&state["waiting"]["reason"]),
            running: state["running"].is_object(),
            terminated: text(&state["terminated"]["reason"]),
            ready: v["ready"] == true,
            restarts: v["restartCount"].as_i64().unwrap_or(0),
            last_exit: last.is_object().then(|| (last["exitCode"].as_i64().unwrap_or(-1), text(&last["reason"]))),
        }
    }
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name)?;
        match (self.waiting.as_str(), self.running, self.terminated.as_str()) {
            ("", true, _) => write!(f, "running")?,
            ("", false, "") => write!(f, "no state")?,
            ("", false, t) => write!(f, "terminated {t}")?,
            (w, _, _) => write!(f, "waiting {w}")?,
        }
        write!(f, "{}, restarts {}", if self.ready { ", ready" } else { "" }, self.restarts)?;
        if let Some((code, reason)) = &self.last_exit {
            write!(f, ", last exit {code} ({reason})")?;
        }
        Ok(())
    }
}

/// A pod, as far as tests wait on it.
#[derive(Clone, PartialEq, Eq)]
pub struct Pod {
    /// The pod's name.
    pub name: String,
    /// `spec.nodeName`.
    pub node: String,
    /// `status.podIP`.
    pub ip: String,
    /// `status.phase`.
    pub phase: String,
    /// `status.reason` (`Evicted`, …).
    pub reason: String,
    /// Its Ready condition is True.
    pub ready: bool,
    /// It has a deletionTimestamp.
    pub terminating: bool,
    /// The reasons of its conditions that are not True (`Unschedulable`, `ContainersNotReady`…).
    pub unmet: Vec<String>,
    /// `status.containerStatuses`.
    pub containers: Vec<Container>,
    /// `status.initContainerStatuses`.
    pub init_containers: Vec<Container>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl Pod {
    fn from_json(v: &Value) -> Pod {
        let status = &v["status"];
        let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
        let statuses = |field: &str| {
            status[field].as_array().map(|s| s.iter().map(Container::from_json).collect()).unwrap_or_default()
        };
        Pod {
            name: text(&v["metadata"]["name"]),
            node: text(&v["spec"]["nodeName"]),
            ip: text(&status["podIP"]),
            phase: text(&status["phase"]),
            reason: text(&status["reason"]),
            ready: conditions.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"),
            terminating: !v["metadata"]["deletionTimestamp"].is_null(),
            unmet: conditions
                .iter()
                .filter(|c| c["status"] != "True")
                .filter_map(|c| c["reason"].as_str())
                .map(String::from)
                .collect(),
            containers: statuses("containerStatuses"),
            init_containers: statuses("initContainerStatuses"),
            annotations: v["metadata"]["annotations"]
                .as_object()
                .map(|a| a.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default(),
        }
    }

    /// The first container's waiting reason, or "".
    pub fn waiting(&self) -> &str {
        self.containers.first().map_or("", |c| c.waiting.as_str())
    }

    /// The first container's restart count.
    pub fn restarts(&self) -> i64 {
        self.containers.first().map_or(0, |c| c.restarts)
    }

    /// The reason the first container last terminated with, or "".
    pub fn last_exit(&self) -> &str {
        self.containers.first().and_then(|c| c.last_exit.as_ref()).map_or("", |(_, r)| r.as_str())
    }

    /// The first init container.
    pub fn init(&self) -> Option<&Container> {
        self.init_containers.first()
    }

    /// One of its conditions is not True for `reason`.
    pub fn unmet(&self, reason: &str) -> bool {
        self.unmet.iter().any(|r| r == reason)
    }
}

impl fmt::Debug for Pod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, if self.phase.is_empty() { "(no phase)" } else { &self.phase })?;
        for (flag, word) in [(self.ready, "Ready"), (self.terminating, "terminating")] {
            if flag {
                write!(f, " {word}")?;
            }
        }
        if !self.reason.is_empty() {
            write!(f, " ({})", self.reason)?;
        }
        if !self.node.is_empty() {
            write!(f, " on {} {}", self.node, self.ip)?;
        }
        if !self.unmet.is_empty() {
            write!(f, "; not: {}", self.unmet.join(", "))?;
        }
        for c in &self.init_containers {
            write!(f, "; init {c:?}")?;
        }
        for c in &self.containers {
            write!(f, "; {c:?}")?;
        }
        Ok(())
    }
}

/// One endpoint of an EndpointSlice.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The slice that lists it.
    pub slice: String,
    /// Its addresses, joined by commas.
    pub address: String,
    /// `targetRef.name`.
    pub pod: String,
    /// `conditions.ready` (unset reads as true, as the API says).
    pub ready: bool,
    /// `conditions.serving` (unset reads as `ready`).
    pub serving: bool,
    /// `conditions.terminating` (unset reads as false).
    pub terminating: bool,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} pod {} in {}:", self.address, self.pod, self.slice)?;
        for (flag, word) in [(self.ready, "ready"), (self.serving, "serving"), (self.terminating, "terminating")] {
            write!(f, " {}{word}", if flag { "" } else { "not " })?;
        }
        Ok(())
    }
}

/// The EndpointSlices of one Service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// How many slices there are.
    pub slices: usize,
    /// Their endpoints, by address.
    pub endpoints: Vec<Endpoint>,
}

impl Endpoints {
    /// The slices of `service` in a `kubectl get endpointslices -o json` list (or any list
    /// holding them).
    pub fn from_list(list: &Value, service: &str) -> Endpoints {
        let slices: Vec<&Value> = items(list)
            .iter()
            .filter(|s| s["kind"] == "EndpointSlice" || s["addressType"].is_string())
            .filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == service)
            .collect();
        let mut endpoints: Vec<Endpoint> = slices
            .iter()
            .flat_map(|s| {
                let slice = text(&s["metadata"]["name"]);
                s["endpoints"].as_array().cloned().unwrap_or_default().into_iter().map(move |e| {
                    let c = &e["conditions"];
                    let ready = c["ready"].as_bool().unwrap_or(true);
                    Endpoint {
                        slice: slice.clone(),
                        address: e["addresses"]
                            .as_array()
                            .map(|a| a.iter().map(text).collect::<Vec<_>>().join(","))
                            .unwrap_or_default(),
                        pod: text(&e["targetRef"]["name"]),
                        ready,
                        serving: c["serving"].as_bool().unwrap_or(ready),
                        terminating: c["terminating"].as_bool().unwrap_or(false),
                    }
                })
            })
            .collect();
        endpoints.sort_by(|a, b| a.address.cmp(&b.address));
        Endpoints { slices: slices.len(), endpoints }
    }

    /// How many slices, addresses, and ready, serving and terminating endpoints.
    pub fn counts(&self) -> Counts {
        let n = |f: fn(&Endpoint) -> bool| self.endpoints.iter().filter(|e| f(e)).count();
        Counts {
            slices: self.slices,
            addresses: self.endpoints.len(),
            ready: n(|e| e.ready),
            serving: n(|e| e.serving),
            terminating: n(|e| e.terminating),
        }
    }

    /// The addresses listed.
    pub fn addresses(&self) -> Vec<&str> {
        self.endpoints.iter().map(|e| e.address.as_str()).collect()
    }
}

/// What the EndpointSlices of a Service list, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// EndpointSlices.
    pub slices: usize,
    /// Endpoints listed.
    pub addresses: usize,
    /// Of them, ready.
    pub ready: usize,
    /// Serving.
    pub serving: usize,
    /// Terminating.
    pub terminating: usize,
}

impl Counts {
    /// One slice listing `addresses` endpoints, `ready` of them ready (and so serving), none
    /// terminating: what the EndpointSlice controller writes for a Service's pods once it has
    /// caught up with them.
    pub fn listing(addresses: usize, ready: usize) -> Counts {
        Counts { slices: 1, addresses, ready, serving: ready, terminating: 0 }
    }
}

/// An event.
#[derive(Clone, PartialEq, Eq)]
pub struct Event {
    /// `Kind/name` of the object it is about.
    pub object: String,
    /// `Normal` or `Warning`.
    pub kind: String,
    /// Its reason.
    pub reason: String,
    /// Its message.
    pub message: String,
    /// How many times it happened (`count`, or `series.count`; 1 when neither is set).
    pub count: i64,
    /// When it last happened (`lastTimestamp`, `series.lastObservedTime` or `eventTime`).
    pub last: String,
}

impl Event {
    fn from_json(v: &Value) -> Event {
        let o = &v["involvedObject"];
        Event {
            object: format!("{}/{}", text(&o["kind"]), text(&o["name"])),
            kind: text(&v["type"]),
            reason: text(&v["reason"]),
            message: text(&v["message"]),
            count: v["count"].as_i64().or_else(|| v["series"]["count"].as_i64()).unwrap_or(1),
            last: [&v["lastTimestamp"], &v["series"]["lastObservedTime"], &v["eventTime"]]
                .into_iter()
                .find_map(|t| t.as_str().map(String::from))
                .unwrap_or_default(),
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} ×{} at {}: {}", self.object, self.kind, self.reason, self.count, self.last, self.message)
    }
}

/// A Deployment's or ReplicaSet's replica counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replicas {
    /// `metadata.generation`.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed: i64,
    /// `spec.replicas`.
    pub wanted: i64,
    /// `status.replicas`.
    pub replicas: i64,
    /// `status.readyReplicas`.
    pub ready: i64,
    /// `status.availableReplicas`.
    pub available: i64,
    /// `status.updatedReplicas` (a ReplicaSet's pods are all its own: `status.replicas`).
    pub updated: i64,
}

impl Replicas {
    fn from_json(v: &Value) -> Replicas {
        let n = |v: &Value| v.as_i64().unwrap_or(0);
        let s = &v["status"];
        Replicas {
            generation: n(&v["metadata"]["generation"]),
            observed: n(&s["observedGeneration"]),
            wanted: n(&v["spec"]["replicas"]),
            replicas: n(&s["replicas"]),
            ready: n(&s["readyReplicas"]),
            available: n(&s["availableReplicas"]),
            updated: s["updatedReplicas"].as_i64().unwrap_or_else(|| n(&s["replicas"])),
        }
    }

    /// The controller has seen its latest spec and has exactly `n` replicas, all of them
    /// current, ready and available.
    pub fn settled_at(&self, n: i64) -> bool {
        self.observed >= self.generation
            && [self.wanted, self.replicas, self.ready, self.available, self.updated].iter().all(|r| *r == n)
    }
}

/// A node's conditions and taints.
#[derive(Clone, PartialEq, Eq)]
pub struct Node {
    /// The node's name.
    pub name: String,
    /// Condition type → (status, reason).
    pub conditions: BTreeMap<String, (String, String)>,
    /// Its taints, as `key=value:Effect`.
    pub taints: Vec<String>,
}

impl Node {
    fn from_json(v: &Value) -> Node {
        let conditions = v["status"]["conditions"].as_array().cloned().unwrap_or_default();
        Node {
            name: text(&v["metadata"]["name"]),
            conditions: conditions
                .iter()
                .map(|c| (text(&c["type"]), (text(&c["status"]), text(&c["reason"]))))
                .collect(),
            taints: v["spec"]["taints"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| format!("{}={}:{}", text(&t["key"]), text(&t["value"]), text(&t["effect"])))
                .collect(),
        }
    }

    /// The status of its condition `kind` (`Ready` …), or "".
    pub fn condition(&self, kind: &str) -> &str {
        self.conditions.get(kind).map_or("", |(s, _)| s.as_str())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        for (kind, (status, reason)) in &self.conditions {
            write!(f, " {kind}={status}")?;
            if !reason.is_empty() {
                write!(f, " ({reason})")?;
            }
        }
        if !self.taints.is_empty() {
            write!(f, "; taints {}", self.taints.join(", "))?;
        }
        Ok(())
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn items(list: &Value) -> &[Value] {
    list["items"].as_array().map_or(&[], Vec::as_slice)
}

impl Cluster {
    /// `kubectl get ARGS -o json`, parsed; the error is kubectl's stderr.
    pub fn get_json(&self, args: &[&str]) -> Result<Value, String> {
        let out = self.kubectl_cmd().arg("get").args(args).args(["-o", "json"]).output().expect("kubectl runs");
        if !out.status.success() {
            return Err(format!("kubectl get {}: {}", args.join(" "), crate::stderr(&out).trim()));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("kubectl get {}: not JSON: {e}", args.join(" ")))
    }

    /// The pods `selector` selects in `ns` (all of them for ""), by name.
    pub fn pods(&self, ns: &str, selector: &str) -> Result<Vec<Pod>, String> {
        let mut args = vec!["-n", ns, "pods"];
        if !selector.is_empty() {
            args.extend(["-l", selector]);
        }
        let list = self.get_json(&args)?;
        let mut pods: Vec<Pod> = items(&list).iter().map(Pod::from_json).collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(pods)
    }

    /// Waits until at least `count` of the pods `selector` selects satisfy `check` (`what` says
    /// how); returns them all, by name.
    pub fn wait_pods(
        &self,
        ns: &str,
        selector: &str,
        count: usize,
        what: &str,
        check: impl Fn(&Pod) -> bool,
    ) -> Vec<Pod> {
        converge_ok(
            &format!("{count} pod(s) {selector} in {ns}: {what}"),
            WAIT,
            || self.pods(ns, selector),
            |p| p.iter().filter(|p| check(p)).count() >= count,
        )
    }

    /// The EndpointSlices of `service` in `ns`.
    pub fn endpoints(&self, ns: &str, service: &str) -> Result<Endpoints, String> {
        let label = format!("kubernetes.io/service-name={service}");
        let list = self.get_json(&["-n", ns, "endpointslices.discovery.k8s.io", "-l", &label])?;
        Ok(Endpoints::from_list(&list, service))
    }

    /// The EndpointSlice controller has caught up with the pods `service` selects: its ready
    /// endpoints are exactly the Ready pods that have an address and are not terminating. A
    /// Service without a selector has nothing to catch up with. What a trace of the Service
    /// shows holds still only then (the controller writes a moment after a pod changes).
    pub fn endpoints_caught_up(&self, ns: &str, service: &str) -> Result<bool, String> {
        let svc = self.get_json(&["-n", ns, "service", service])?;
        let Some(selector) = svc["spec"]["selector"].as_object().filter(|s| !s.is_empty()) else {
            return Ok(true);
        };
        let selector: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={}", text(v))).collect();
        let ready: BTreeSet<String> = self
            .pods(ns, &selector.join(","))?
            .into_iter()
            .filter(|p| p.ready && !p.terminating && !p.ip.is_empty())
            .map(|p| p.name)
            .collect();
        let listed: BTreeSet<String> =
            self.endpoints(ns, service)?.endpoints.into_iter().filter(|e| e.ready).map(|e| e.pod).collect();
        Ok(ready == listed)
    }

    /// Waits until the EndpointSlices of `service` count `want`; returns them.
    pub fn wait_endpoints(&self, ns: &str, service: &str, want: Counts) -> Endpoints {
        converge_ok(
            &format!("EndpointSlices of Service {ns}/{service} counting {want:?}"),
            WAIT,
            || self.endpoints(ns, service),
            |e| e.counts() == want,
        )
    }

    /// The events in `ns` about `object` (`Kind/name`; all of them with `None`), oldest first.
    pub fn events(&self, ns: &str, object: Option<&str>) -> Result<Vec<Event>, String> {
        let mut args = vec!["-n", ns, "events"];
        let selector = object.map(|o| {
            let (kind, name) = o.split_once('/').unwrap_or(("", o));
            format!("involvedObject.kind={kind},involvedObject.name={name}")
        });
        if let Some(s) = &selector {
            args.extend(["--field-selector", s]);
        }
        let list = self.get_json(&args)?;
        let mut events: Vec<Event> = items(&list).iter().map(Event::from_json).collect();
        // RFC 3339 times in UTC sort as text.
        events.sort_by(|a, b| a.last.cmp(&b.last));
        Ok(events)
    }

    /// Waits until there is an event of `reason` about `object` (`Kind/name`) in `ns`; returns
    /// the latest.
    pub fn wait_event(&self, ns: &str, object: &str, reason: &str) -> Event {
        let events = converge_ok(
            &format!("an event {reason} about {ns}/{object}"),
            WAIT,
            || self.events(ns, Some(object)),
            |e| e.iter().any(|e| e.reason == reason),
        );
        events.into_iter().rev().find(|e| e.reason == reason).expect("found by the wait")
    }

    /// The replica counts of `object` (`deployment/NAME` or `replicaset/NAME`) in `ns`.
    pub fn replicas(&self, ns: &str, object: &str) -> Result<Replicas, String> {
        Ok(Replicas::from_json(&self.get_json(&["-n", ns, object])?))
    }

    /// Waits until `object` (`deployment/NAME` or `replicaset/NAME`) has exactly `n` replicas,
    /// all current, ready and available; returns its counts.
    pub fn wait_replicas(&self, ns: &str, object: &str, n: i64) -> Replicas {
        converge_ok(
            &format!("{ns}/{object} with {n} ready replica(s)"),
            WAIT,
            || self.replicas(ns, object),
            |r| r.settled_at(n),
        )
    }

    /// The node `name`.
    pub fn node(&self, name: &str) -> Result<Node, String> {
        Ok(Node::from_json(&self.get_json(&["node", name])?))
    }

    /// Waits until the node `name` satisfies `check` (`what` says how); returns it.
    pub fn wait_node(&self, name: &str, what: &str, check: impl Fn(&Node) -> bool) -> Node {
        converge_ok(&format!("node {name}: {what}"), WAIT, || self.node(name), check)
    }
}
