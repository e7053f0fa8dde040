//! What a trace is made of: hops with a status, a reason, a fix and details, and the whole
//! trace with its verdict. Every other module builds or prints these; none of them is needed to
//! read this one.

use serde::Serialize;

/// Hop outcome. Ordered: ok < warn < fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing wrong.
    #[default]
    Ok,
    /// Worth knowing; traffic still flows.
    Warn,
    /// Traffic would fail here.
    Fail,
}

/// One step of the path.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// Stable identifier: dns, service, ports, selector, pods, endpoints, nodes, traffic-policy,
    /// network-policy, ingress.
    pub hop: &'static str,
    /// ok, warn or fail.
    pub status: Status,
    /// One line saying what was found.
    pub reason: String,
    /// What to do about a warn or fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Supporting lines (per port, per pod, per address).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// A hop with no fix and no details yet.
pub fn hop(hop: &'static str, status: Status, reason: impl Into<String>) -> Hop {
    Hop { hop, status, reason: reason.into(), fix: None, details: vec![] }
}

impl Hop {
    /// Sets what to do about it.
    pub fn fix(mut self, f: impl Into<String>) -> Self {
        self.fix = Some(f.into());
        self
    }

    /// Sets the supporting lines.
    pub fn details(mut self, d: Vec<String>) -> Self {
        self.details = d;
        self
    }
}

/// Something the user may not list: the hop is reported as not visible.
pub type Seen<T> = Result<T, String>;

/// The whole trace.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// Schema version of this document.
    pub api_version: &'static str,
    /// `namespace/name` of the Service.
    pub service: String,
    /// Service type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The one-line answer.
    pub verdict: String,
    /// The worst hop status.
    pub status: Status,
    /// The hops, in path order.
    pub hops: Vec<Hop>,
}
