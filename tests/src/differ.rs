//! `kubectl get ARGS` against `kubectl cols ARGS` on the same cluster: stdout byte for byte and
//! the same success or failure.
//!
//! Where Go visits a map in random order (`*` or `..` over a map), kubectl's own output changes
//! from run to run while ours comes in key order: when the two differ, kubectl runs again, and
//! a case passes if one of its runs prints exactly our bytes, or — when kubectl's runs disagree
//! with each other — if its words are ours in another order. Commands over every namespace
//! read other tests' objects too, which change while they run: a case that differs is compared
//! again, and differs only if it does every time.

use std::path::Path;

use crate::{Cluster, Counts, stderr, stdout};

/// Waits until the fixture apps both commands print (numbers-api, hello-kiamol,
/// example-replica-set) have settled: 6 pods Ready, the Deployment and ReplicaSets counting
/// them, numbers-api's EndpointSlice listing both of its pods ready.
pub fn wait_fixtures(c: &Cluster, ns: &str) {
    c.wait_replicas(ns, "deployment/numbers-api", 2);
    c.wait_replicas(ns, "replicaset/example-replica-set", 3);
    c.wait_endpoints(ns, "numbers-api", Counts::listing(2, 2));
    c.wait_pods(ns, "", 6, "Ready", |p| p.ready);
}

/// How a comparison came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The same bytes and the same success or failure.
    Same,
    /// kubectl's output varies between runs (Go's map order) and ours is one of its orders, or
    /// its words in key order.
    SameUpToMapOrder,
    /// Different; the report says how.
    Differs(String),
}

/// Runs both and compares (kubectl up to 8 more times when they differ).
pub fn compare(c: &Cluster, cache: &Path, args: &[String]) -> Outcome {
    compare_masking_ages(c, cache, args, false)
}

/// How many times a case that differs is compared.
const ATTEMPTS: usize = 3;

/// [`compare`]; with `ages`, two tables that still differ are compared cell by cell with their
/// ages (`5s`, `3m2s`) masked: kubectl's default view shows AGE, and the two commands can run
/// either side of a second.
pub fn compare_masking_ages(c: &Cluster, cache: &Path, args: &[String], ages: bool) -> Outcome {
    let mut outcome = compare_once(c, cache, args, ages);
    for _ in 1..ATTEMPTS {
        if !matches!(outcome, Outcome::Differs(_)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        outcome = compare_once(c, cache, args, ages);
    }
    outcome
}

fn compare_once(c: &Cluster, cache: &Path, args: &[String], ages: bool) -> Outcome {
    let theirs = c.kubectl_cmd().arg("get").args(args).output().expect("kubectl runs");
    let ours = c.plugin("cols", cache).args(args).output().expect("kubectl-cols runs");
    let (t, o) = (stdout(&theirs), stdout(&ours));
    if theirs.status.success() != ours.status.success() {
        return Outcome::Differs(format!(
            "kubectl {} / cols {}\n  kubectl: {}\n  cols: {}",
            theirs.status,
            ours.status,
            first_line(&stderr(&theirs)),
            first_line(&stderr(&ours))
        ));
    }
    if t == o {
        return Outcome::Same;
    }
    let mut varies = false;
    for _ in 0..8 {
        let again = stdout(&c.kubectl_cmd().arg("get").args(args).output().expect("kubectl runs"));
        if again == o {
            return Outcome::SameUpToMapOrder;
        }
        varies |= again != t;
    }
    // The values printed, in any order.
    let words = |s: &str| {
        let mut w: Vec<&str> =
            s.split([' ', '\t', '\n', '{', '}', '[', ']', ',', ':', '"']).filter(|w| !w.is_empty()).collect();
        w.sort_unstable();
        w.join(" ")
    };
    if varies && words(&t) == words(&o) {
        return Outcome::SameUpToMapOrder;
    }
    if ages && masked(&t) == masked(&o) {
        return Outcome::Same;
    }
    Outcome::Differs(format!("stdout differs\n  kubectl: {t:?}\n  cols:    {o:?}"))
}

/// Lines of cells, ages masked (`5s`, `3m2s` become `AGE`).
pub fn masked(s: &str) -> Vec<Vec<String>> {
    let age = |w: &str| {
        !w.is_empty()
            && w.split_inclusive(|c: char| c.is_ascii_alphabetic()).all(|part| {
                let (digits, unit) = part.split_at(part.len() - 1);
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && "smhdy".contains(unit)
            })
    };
    s.lines()
        .map(|l| l.split_whitespace().map(|w| if age(w) { "AGE".into() } else { w.to_string() }).collect())
        .collect()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Tallies outcomes; `failures` lists what differed.
#[derive(Debug, Default)]
pub struct Tally {
    pub same: usize,
    pub map_order: usize,
    pub failures: Vec<String>,
}

impl Tally {
    /// Records one comparison.
    pub fn add(&mut self, what: &str, outcome: Outcome) {
        match outcome {
            Outcome::Same => self.same += 1,
            Outcome::SameUpToMapOrder => self.map_order += 1,
            Outcome::Differs(why) => self.failures.push(format!("{what}: {why}")),
        }
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: Tally) {
        self.same += other.same;
        self.map_order += other.map_order;
        self.failures.extend(other.failures);
    }

    /// Every comparison made.
    pub fn total(&self) -> usize {
        self.same + self.map_order + self.failures.len()
    }
}
