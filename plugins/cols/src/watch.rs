//! `-w`: after the list, the changes, each printed as it comes, as `kubectl get -w` prints them.
//!
//! A list is watched from its resourceVersion; a named object from "0" with a field selector on
//! its name, skipping the synthetic ADDED event the server sends first (kubectl printed the
//! object already). Through a dropped connection or an API server restart the watch resumes
//! from the last resourceVersion; when that has expired (410 Gone) the list is read again
//! ([`Watch::follow`], the one loop every view watches through).

use futures::StreamExt;
use kubectl_kit_core::list::{self, ListOptions};
use kubectl_kit_core::projection::{self, Projection};
use kubectl_kit_core::{Error, Kube, Result, output};
use serde_json::Value;

use crate::resolve::{Group, Read, Targets};
use crate::server;

/// What one watch streams.
pub(crate) struct Watch<'a> {
    group: &'a Group,
    opts: ListOptions,
    /// Set for the default view: events carry tables.
    accept: Option<&'static str>,
    /// Tables whose rows carry their objects (`--add`).
    include_object: bool,
    projection: &'a Projection,
}

/// Tables are read whole.
static WHOLE: Projection = Projection::All;

/// How a stream of events ended.
enum Ended {
    /// The resourceVersion expired: list again and watch from the new one.
    Gone,
}

impl<'a> Watch<'a> {
    /// A watch of objects, decoded through `projection`.
    pub(crate) fn objects(targets: &'a Targets, opts: &ListOptions, projection: &'a Projection) -> Result<Self> {
        Ok(Watch { group: only_group(targets)?, opts: opts.clone(), accept: None, include_object: false, projection })
    }

    /// A watch of kubectl's default view: each event a server-side Table, its rows carrying
    /// their objects when `with_objects` (for `--add` columns).
    pub(crate) fn tables(targets: &'a Targets, opts: &ListOptions, with_objects: bool) -> Result<Self> {
        Ok(Watch {
            group: only_group(targets)?,
            opts: opts.clone(),
            accept: Some(server::TABLE),
            include_object: with_objects,
            projection: &WHOLE,
        })
    }

    /// The list → watch → list again loop: watches from `rv` (what the first list returned),
    /// handing each changed object (or table) to `on`; when the resourceVersion has expired,
    /// says so and calls `relist`, which reads and prints the list again and returns the
    /// resourceVersion to go on from. Returns only with an error. `state` is what both print
    /// into.
    pub(crate) async fn follow<S>(
        &self,
        kube: &Kube,
        mut rv: String,
        state: &mut S,
        mut relist: impl AsyncFnMut(&mut S) -> Result<String>,
        mut on: impl FnMut(&mut S, Value) -> Result<()>,
    ) -> Result<()> {
        loop {
            match self.run(kube, &mut rv, |event| on(state, event)).await? {
                Ended::Gone => {
                    output::warn("the watch expired (410 Gone); listing again");
                    rv = relist(state).await?;
                }
            }
        }
    }

    /// The named object, when the watch is on one.
    fn name(&self) -> Option<&str> {
        match &self.group.read {
            Read::Names(names) => names.first().map(String::as_str),
            Read::List => None,
        }
    }

    /// Streams events from `rv`, calling `on` with each object (projected; tables whole). Returns
    /// only when the list must be read again; `rv` follows the events.
    async fn run(&self, kube: &Kube, rv: &mut String, mut on: impl FnMut(Value) -> Result<()>) -> Result<Ended> {
        let mut opts = self.opts.clone();
        let mut skip_first = false;
        if let Some(n) = self.name() {
            opts.field_selector = Some(format!("metadata.name={n}"));
            if rv.is_empty() {
                *rv = "0".into();
            }
            skip_first = true;
        }
        let mut resume = list::Resume::default();
        loop {
            let mut path = opts.watch_path(&self.group.resource, self.group.namespace.as_deref(), rv);
            if self.include_object {
                list::query_pair(&mut path, "includeObject", "Object");
            }
            let mut lines = match kube.stream_lines_accepting(&path, self.accept).await {
                Ok(lines) => lines,
                Err(e) => {
                    resume.after(e, rv).await?;
                    continue;
                }
            };
            let mut broken = None;
            while let Some(line) = lines.next().await {
                let line = match line {
                    Ok(line) => line,
                    Err(e) => {
                        broken = Some(list::Resume::broken(e));
                        break;
                    }
                };
                let Ok(mut event) = serde_json::from_str::<Value>(&line) else { continue };
                resume.healthy();
                if let Some(v) = event_resource_version(&event) {
                    *rv = v;
                }
                match event["type"].as_str().unwrap_or_default() {
                    "BOOKMARK" => continue,
                    "ERROR" => {
                        if event["object"]["code"].as_u64() == Some(410) {
                            return Ok(Ended::Gone);
                        }
                        return Err(Error::runtime(format!(
                            "watch failed: {}",
                            event["object"]["message"].as_str().unwrap_or("unknown error")
                        )));
                    }
                    _ => {}
                }
                if skip_first {
                    skip_first = false;
                    continue;
                }
                let object = event["object"].take();
                if self.accept.is_some() {
                    on(object)?;
                } else {
                    let text = serde_json::to_string(&object).unwrap_or_default();
                    on(projection::decode(&text, self.projection).unwrap_or(Value::Null))?;
                }
            }
            if let Some(e) = broken {
                resume.after(e, rv).await?;
                continue;
            }
            // The server ended the watch (its timeout): go on from where it stopped.
        }
    }
}

/// The plan allows a watch on one resource type only.
fn only_group(targets: &Targets) -> Result<&Group> {
    targets.groups.first().ok_or_else(|| Error::usage("you must specify the type of resource to watch"))
}

/// An event's resourceVersion: the object's, or for tables the table's (or its row's).
fn event_resource_version(event: &Value) -> Option<String> {
    let o = &event["object"];
    [&o["metadata"]["resourceVersion"], &o["rows"][0]["object"]["metadata"]["resourceVersion"]]
        .into_iter()
        .find_map(|v| v.as_str().filter(|s| !s.is_empty()).map(String::from))
}
