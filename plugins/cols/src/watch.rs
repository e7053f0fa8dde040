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
    /// handing each changed object (or table) to `on` with the event's type (`ADDED`,
    /// `MODIFIED`, `DELETED`); when the resourceVersion has expired,
    /// says so and calls `relist`, which reads and prints the list again and returns the
    /// resourceVersion to go on from. Returns only with an error. `state` is what both print
    /// into.
    pub(crate) async fn follow<S>(
        &self,
        kube: &Kube,
        mut rv: String,
        state: &mut S,
        mut relist: impl AsyncFnMut(&mut S) -> Result<String>,
        mut on: impl FnMut(&mut S, &str, Value) -> Result<()>,
    ) -> Result<()> {
        loop {
            match self.run(kube, &mut rv, |kind, event| on(state, kind, event)).await? {
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
    async fn run(&self, kube: &Kube, rv: &mut String, mut on: impl FnMut(&str, Value) -> Result<()>) -> Result<Ended> {
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
                let Some((event, version)) = read_event(&line) else { continue };
                resume.healthy();
                if let Some(v) = version {
                    *rv = v;
                }
                let (kind, object) = match event {
                    Event::Nothing => continue,
                    Event::Gone => return Ok(Ended::Gone),
                    Event::Failed(message) => return Err(Error::runtime(format!("watch failed: {message}"))),
                    Event::Changed(kind, object) => (kind, object),
                };
                if skip_first {
                    skip_first = false;
                    continue;
                }
                if self.accept.is_some() {
                    on(&kind, object)?;
                } else {
                    let text = serde_json::to_string(&object).unwrap_or_default();
                    on(&kind, projection::decode(&text, self.projection).unwrap_or(Value::Null))?;
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

/// One event of a watch stream.
#[derive(Debug, PartialEq)]
enum Event {
    /// An object (or a table) added, modified or deleted: the event's type and the object.
    Changed(String, Value),
    /// A bookmark, or an event without an object: nothing to print.
    Nothing,
    /// The resourceVersion expired (410 Gone).
    Gone,
    /// The server ended the watch with this message.
    Failed(String),
}

/// Reads one line of a watch stream: the event, and the resourceVersion it moves the watch to.
/// `None` for a line that is not a JSON object (a proxy's or a broken server's text), which is
/// skipped.
fn read_event(line: &str) -> Option<(Event, Option<String>)> {
    let Ok(Value::Object(mut event)) = serde_json::from_str::<Value>(line) else { return None };
    let object = event.remove("object").unwrap_or_default();
    let version = resource_version(&object);
    let read = match event.get("type").and_then(Value::as_str) {
        Some("BOOKMARK") => Event::Nothing,
        Some("ERROR") if object.get("code").and_then(Value::as_u64) == Some(410) => Event::Gone,
        Some("ERROR") => {
            Event::Failed(object.get("message").and_then(Value::as_str).unwrap_or("unknown error").to_string())
        }
        Some(kind) if object.is_object() => Event::Changed(kind.to_string(), object),
        _ => Event::Nothing,
    };
    Some((read, version))
}

/// An event object's resourceVersion: the object's, or for tables the table's (or its first
/// row's).
fn resource_version(object: &Value) -> Option<String> {
    ["/metadata/resourceVersion", "/rows/0/object/metadata/resourceVersion"]
        .into_iter()
        .find_map(|p| object.pointer(p).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A watch line that was JSON but not an object (`[1]`, `"x"`) panicked: the event's object
    /// was taken by mutable indexing, which panics on anything but an object or null.
    #[test]
    fn lines_that_are_not_events_are_skipped_not_a_panic() {
        for line in ["[1]", "\"x\"", "5", "null", "not json", ""] {
            assert_eq!(read_event(line), None, "{line}");
        }
        for line in [r#"{"type":"ADDED"}"#, r#"{"type":"ADDED","object":[1]}"#, r#"{"object":"x"}"#] {
            assert_eq!(read_event(line), Some((Event::Nothing, None)), "{line}");
        }
    }

    #[test]
    fn events_say_what_to_print_and_where_to_resume() {
        let pod = json!({"metadata": {"name": "a", "resourceVersion": "7"}});
        let line = json!({"type": "MODIFIED", "object": pod}).to_string();
        assert_eq!(read_event(&line), Some((Event::Changed("MODIFIED".into(), pod), Some("7".into()))));
        let table =
            json!({"kind": "Table", "metadata": {}, "rows": [{"object": {"metadata": {"resourceVersion": "9"}}}]});
        let line = json!({"type": "ADDED", "object": table}).to_string();
        assert_eq!(read_event(&line), Some((Event::Changed("ADDED".into(), table), Some("9".into()))));
        let bookmark = r#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}}"#;
        assert_eq!(read_event(bookmark), Some((Event::Nothing, Some("12".into()))));
        let gone = r#"{"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}}"#;
        assert_eq!(read_event(gone), Some((Event::Gone, None)));
        let failed = r#"{"type":"ERROR","object":{"kind":"Status","code":500,"message":"boom"}}"#;
        assert_eq!(read_event(failed), Some((Event::Failed("boom".into()), None)));
        assert_eq!(read_event(r#"{"type":"ERROR"}"#), Some((Event::Failed("unknown error".into()), None)));
    }
}
