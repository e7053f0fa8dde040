//! Listing objects page by page (`limit`/`continue`), decoding each item through a
//! [`Projection`] and handing it to the caller a page at a time, so that at most two pages are
//! ever in memory (the one being decoded and the next, already on its way) and nothing is
//! throttled on the client side.

use std::fmt;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::Kube;
use crate::discovery::Resource;
use crate::error::{Error, Result};
use crate::projection::{Project, Projection};

/// Keeps a watch going through an API server restart or a dropped connection. Connection
/// failures (the server gone, the stream broken) are retried from the last resourceVersion
/// seen, after 1, 2, 4, then 8 s, with a warning each time, for at most [`Resume::LIMIT`]
/// since the last event; any other error ends the watch.
#[derive(Debug, Default)]
pub struct Resume {
    since: Option<std::time::Instant>,
    attempt: u32,
}

impl Resume {
    /// How long a watch keeps trying to reconnect before giving up.
    pub const LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

    /// An event arrived: the connection works.
    pub fn healthy(&mut self) {
        self.since = None;
        self.attempt = 0;
    }

    /// The error a broken watch stream is reported as (a connection failure, so resumable).
    pub fn broken(cause: impl fmt::Display) -> Error {
        Error::unreachable("the watch stream broke").caused_by(cause)
    }

    /// Waits before the next attempt when `e` is a connection failure within the limit;
    /// otherwise returns `e`.
    pub async fn after(&mut self, e: Error, resource_version: &str) -> Result<()> {
        let since = *self.since.get_or_insert_with(std::time::Instant::now);
        if !e.is_unreachable() {
            return Err(e);
        }
        if since.elapsed() > Self::LIMIT {
            return Err(e.hint(format!("the watch could not reconnect for {}", crate::time::humanize(Self::LIMIT))));
        }
        self.attempt += 1;
        let delay = std::time::Duration::from_secs(1 << self.attempt.min(4).saturating_sub(1));
        let why = e.causes().pop().unwrap_or_else(|| e.message.clone());
        let from = if resource_version.is_empty() {
            String::new()
        } else {
            format!(" from resourceVersion {resource_version}")
        };
        crate::output::warn(&format!(
            "the watch was interrupted ({why}); reconnecting in {}{from}",
            crate::time::humanize(delay)
        ));
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// `-l/--selector`.
    pub label_selector: Option<String>,
    /// `--field-selector`.
    pub field_selector: Option<String>,
    /// Page size (`--chunk-size`); 0 asks for everything at once.
    pub limit: u32,
}

impl ListOptions {
    /// The path of one page of `resource`'s list: paging and selectors as query parameters.
    pub fn page_path(&self, resource: &Resource, namespace: Option<&str>, cont: Option<&str>) -> String {
        let mut path = resource.url_path(namespace);
        if self.limit > 0 {
            query_pair(&mut path, "limit", &self.limit.to_string());
        }
        if let Some(c) = cont {
            query_pair(&mut path, "continue", c);
        }
        self.add_selectors(&mut path);
        path
    }

    /// The path of a watch on `resource` from `resource_version` (empty: from now, as the server
    /// chooses), with bookmarks and the same selectors as the list.
    pub fn watch_path(&self, resource: &Resource, namespace: Option<&str>, resource_version: &str) -> String {
        let mut path = resource.url_path(namespace);
        query_pair(&mut path, "watch", "1");
        query_pair(&mut path, "allowWatchBookmarks", "true");
        if !resource_version.is_empty() {
            query_pair(&mut path, "resourceVersion", resource_version);
        }
        self.add_selectors(&mut path);
        path
    }

    fn add_selectors(&self, path: &mut String) {
        if let Some(l) = &self.label_selector {
            query_pair(path, "labelSelector", l);
        }
        if let Some(f) = &self.field_selector {
            query_pair(path, "fieldSelector", f);
        }
    }
}

/// What a listing returns besides its items.
#[derive(Debug, Clone, Default)]
pub struct ListMeta {
    /// The collection's resourceVersion, to start a watch from.
    pub resource_version: String,
    /// Items seen.
    pub count: usize,
}

pub use crate::percent::{path_segment as percent_path, query_pair};

/// Lists `resource` (in `namespace`, or across all namespaces with `None`), calling `each` with
/// every projected item in server order. Returns the list's resourceVersion and count.
///
/// Each page is decoded as it arrives (on a blocking thread fed chunk by chunk, as
/// [`get_streamed`] reads), so that no page's text is ever held whole: memory does not grow
/// with `--chunk-size`, nor with the number of lists read at once. The API server writes
/// `metadata.continue` before the items, so the next page is asked for as soon as the decoder
/// has passed it, and arrives while the rest of this one is decoded; the listing then costs
/// about what fetching the pages costs, rather than that plus all the decoding.
pub async fn for_each(
    kube: &Kube,
    resource: &Resource,
    namespace: Option<&str>,
    opts: &ListOptions,
    projection: &Projection,
    mut each: impl FnMut(Value) -> Result<()>,
) -> Result<ListMeta> {
    let fetch = |cont: Option<String>| async move {
        open(&kube.client, &opts.page_path(resource, namespace, cont.as_deref()), Some("application/json")).await
    };
    let mut meta = ListMeta::default();
    let mut body = fetch(None).await?;
    loop {
        let (told, token) = tokio::sync::oneshot::channel();
        // Each item crosses to `each` as soon as it is decoded: a page's items are never held
        // together (lists of several contexts are decoded at once, each its own page).
        let (items, mut decoded_items) = tokio::sync::mpsc::channel::<Value>(ITEMS_AHEAD);
        let own = projection.clone();
        let decode = feed(body, move |de| {
            let mut page = PageMeta { told: Some(told), ..PageMeta::default() };
            // The receiver gone means `each` failed: its error is the one reported, below.
            let mut failure: Option<()> = None;
            let mut pass = |item| items.blocking_send(item).map_err(|_| ());
            ListWalk { item: Project(&own), each: &mut pass, meta: &mut page, failure: &mut failure }
                .deserialize(&mut *de)?;
            Ok(page)
        });
        let consume = async {
            while let Some(item) = decoded_items.recv().await {
                each(item)?;
            }
            Ok::<_, Error>(())
        };
        let next = async {
            match token.await {
                Ok(Some(c)) if !c.is_empty() => Some((c.clone(), fetch(Some(c)).await)),
                _ => None,
            }
        };
        let (decoded, consumed, next) = tokio::join!(decode, consume, next);
        consumed?;
        let page = decoded.map_err(|e| match e {
            kube::Error::SerdeError(e) => {
                Error::corrupt(format!("could not decode the list of {}", resource.name)).caused_by_error(e)
            }
            other => Error::from(other),
        })?;
        meta.count += page.count;
        meta.resource_version = page.resource_version;
        body = match (page.cont.filter(|c| !c.is_empty()), next) {
            (None, _) => return Ok(meta),
            (Some(cont), Some((asked, next))) if cont == asked => next?,
            (Some(cont), _) => fetch(Some(cont)).await?,
        };
    }
}

/// Fetches one object by name, projected.
pub async fn get(
    kube: &Kube,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
    projection: &Projection,
) -> Result<Value> {
    get_subresource(kube, resource, namespace, name, None, projection).await
}

/// [`get`] of a subresource of the object (`status`, `scale`…) when `subresource` is set.
pub async fn get_subresource(
    kube: &Kube,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
    subresource: Option<&str>,
    projection: &Projection,
) -> Result<Value> {
    let mut path = format!("{}/{}", resource.url_path(namespace), percent_path(name));
    if let Some(sub) = subresource {
        path.push('/');
        path.push_str(&percent_path(sub));
    }
    let body = kube.get_raw(&path, "application/json").await?;
    crate::projection::decode(&body, projection)
        .map_err(|e| Error::corrupt(format!("could not decode {} \"{name}\"", resource.name)).caused_by_error(e))
}

/// GETs `path` and decodes the body as `T` while it arrives, on a blocking thread fed chunk by
/// chunk, so that the response text is never held whole: a list of thousands of large objects
/// read in one request costs a few 64 KiB buffers plus what `T` keeps of it (fields `T` does not
/// name are skipped by the decoder, never built).
pub async fn get_streamed<T>(client: &kube::Client, path: &str) -> kube::Result<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    stream_decode(client, path, |de| T::deserialize(de)).await
}

/// GETs the list at `path` and folds its items into `state` one at a time as they are decoded
/// (see [`get_streamed`]): each item is handed to `step` and dropped, so a list of thousands of
/// objects costs one object plus what `step` keeps of it.
pub async fn fold_streamed<T, S>(
    client: &kube::Client,
    path: &str,
    state: S,
    step: impl FnMut(&mut S, T) + Send + 'static,
) -> kube::Result<S>
where
    T: serde::de::DeserializeOwned,
    S: Send + 'static,
{
    stream_decode(client, path, move |de| fold_items(de, state, step)).await
}

/// The items of a list, in server order, read as in [`fold_streamed`].
pub async fn list_streamed<T>(client: &kube::Client, path: &str) -> kube::Result<Vec<T>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    fold_streamed(client, path, Vec::new(), |items, item| items.push(item)).await
}

/// Decodes a list document, folding each of its `items` into `state` as soon as it is read (a
/// null or missing `items` is an empty list, as the API sends for empty lists).
pub fn fold_items<'de, D, T, S>(d: D, mut state: S, mut step: impl FnMut(&mut S, T)) -> std::result::Result<S, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    let mut each = |item: T| {
        step(&mut state, item);
        Ok::<(), std::convert::Infallible>(())
    };
    ListWalk {
        item: std::marker::PhantomData::<T>,
        each: &mut each,
        meta: &mut PageMeta::default(),
        failure: &mut None,
    }
    .deserialize(d)?;
    Ok(state)
}

/// The reader [`stream_decode`] hands its decoder.
type StreamDeserializer = serde_json::Deserializer<serde_json::de::IoRead<std::io::BufReader<Chunks>>>;

/// GETs `path` and runs `decode` over the body on a blocking thread while the body arrives.
async fn stream_decode<V: Send + 'static>(
    client: &kube::Client,
    path: &str,
    decode: impl FnOnce(&mut StreamDeserializer) -> serde_json::Result<V> + Send + 'static,
) -> kube::Result<V> {
    feed(open(client, path, None).await?, decode).await
}

/// A response's body, unread.
type Body = std::pin::Pin<Box<dyn futures::AsyncRead + Send>>;

/// GETs `path` (with `accept`, if any): the body once the status says it is one (an API error
/// is the error).
async fn open(client: &kube::Client, path: &str, accept: Option<&str>) -> kube::Result<Body> {
    let mut req = http::Request::get(path);
    if let Some(a) = accept {
        req = req.header(http::header::ACCEPT, a);
    }
    let req = req.body(Vec::new()).map_err(kube::Error::HttpError)?;
    Ok(Box::pin(client.request_stream(req).await?))
}

/// Runs `decode` over `body` on a blocking thread, feeding it the body as it arrives.
async fn feed<V: Send + 'static>(
    body: Body,
    decode: impl FnOnce(&mut StreamDeserializer) -> serde_json::Result<V> + Send + 'static,
) -> kube::Result<V> {
    use futures::AsyncReadExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let decoder = tokio::task::spawn_blocking(move || {
        let reader = std::io::BufReader::with_capacity(CHUNK, Chunks { rx, chunk: Vec::new(), at: 0 });
        let mut de = serde_json::Deserializer::from_reader(reader);
        let v = decode(&mut de)?;
        de.end()?;
        Ok::<_, serde_json::Error>(v)
    });
    let mut body = std::pin::pin!(body);
    let mut cut = None;
    // One buffer to read into; what each read brings is sent at its own size (a read often
    // brings a TLS record's 16 KiB or less, and the chunks waiting for the decoder are held at
    // the size they were allocated).
    let mut buf = vec![0; CHUNK];
    loop {
        match body.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                // A closed channel means the decoder stopped early (malformed JSON): its error
                // is the one to report, below.
                if tx.send(buf[..n].to_vec()).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                cut = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let decoded = decoder.await.map_err(|e| kube::Error::Service(Box::new(e)))?;
    // A connection cut mid-body also makes the decoder fail (the JSON ends early); the cut is
    // the cause worth reporting.
    match cut {
        Some(e) => Err(kube::Error::Service(Box::new(e))),
        None => decoded.map_err(kube::Error::SerdeError),
    }
}

const CHUNK: usize = 64 * 1024;

/// How many decoded items may wait for the lister's `each`.
const ITEMS_AHEAD: usize = 32;

/// The body's chunks as a blocking [`std::io::Read`], for serde_json's reader.
struct Chunks {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl std::io::Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(next) => (self.chunk, self.at) = (next, 0),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[derive(Default)]
struct PageMeta {
    cont: Option<String>,
    resource_version: String,
    count: usize,
    /// Told the continue token as soon as the page's metadata is read, before its items.
    told: Option<tokio::sync::oneshot::Sender<Option<String>>>,
}

/// Walks a list document: its `metadata` into `meta`, then each of its `items` decoded by the
/// seed `item` and handed to `each` at once. An error from `each` stops the walk and is kept in
/// `failure` (the decoder's own error is then only "stopped").
struct ListWalk<'a, I, F, E> {
    item: I,
    each: &'a mut F,
    meta: &'a mut PageMeta,
    failure: &'a mut Option<E>,
}

impl<'de, I, F, E> DeserializeSeed<'de> for ListWalk<'_, I, F, E>
where
    I: DeserializeSeed<'de> + Clone,
    F: FnMut(I::Value) -> std::result::Result<(), E>,
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, I, F, E> Visitor<'de> for ListWalk<'_, I, F, E>
where
    I: DeserializeSeed<'de> + Clone,
    F: FnMut(I::Value) -> std::result::Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes list")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    let m: Value = map.next_value()?;
                    self.meta.cont = m["continue"].as_str().map(String::from);
                    self.meta.resource_version = m["resourceVersion"].as_str().unwrap_or_default().to_string();
                    if let Some(told) = self.meta.told.take() {
                        // The lister may have stopped waiting: nothing to tell then.
                        let _ = told.send(self.meta.cont.clone());
                    }
                }
                "items" => map.next_value_seed(ItemsWalk(&mut self))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `items` of a [`ListWalk`]: a sequence, or null for none.
struct ItemsWalk<'w, 'a, I, F, E>(&'w mut ListWalk<'a, I, F, E>);

impl<'de, I, F, E> DeserializeSeed<'de> for ItemsWalk<'_, '_, I, F, E>
where
    I: DeserializeSeed<'de> + Clone,
    F: FnMut(I::Value) -> std::result::Result<(), E>,
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, I, F, E> Visitor<'de> for ItemsWalk<'_, '_, I, F, E>
where
    I: DeserializeSeed<'de> + Clone,
    F: FnMut(I::Value) -> std::result::Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of items")
    }

    fn visit_unit<E2>(self) -> std::result::Result<(), E2> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let walk = self.0;
        while let Some(item) = seq.next_element_seed(walk.item.clone())? {
            walk.meta.count += 1;
            if let Err(e) = (walk.each)(item) {
                *walk.failure = Some(e);
                return Err(A::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_in_chunks_reads_as_one_stream() {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let text = r#"{"items":[{"metadata":{"name":"a","uid":"x"}},{"metadata":{"name":"b"}}]}"#;
        let chunks: Vec<Vec<u8>> = text.as_bytes().chunks(7).map(<[u8]>::to_vec).collect();
        let feeder = std::thread::spawn(move || chunks.into_iter().for_each(|c| tx.blocking_send(c).expect("send")));
        let mut de = serde_json::Deserializer::from_reader(Chunks { rx, chunk: Vec::new(), at: 0 });
        let v = <Value as serde::Deserialize>::deserialize(&mut de).expect("decode");
        de.end().expect("end");
        feeder.join().expect("feeder");
        assert_eq!(v.to_string(), text);
    }

    #[test]
    fn list_items_are_folded_one_by_one() {
        #[derive(serde::Deserialize)]
        struct Named {
            name: String,
        }
        let text =
            r#"{"kind":"List","metadata":{"resourceVersion":"7"},"items":[{"name":"a","x":[1]},{"name":"b"}],"z":{}}"#;
        let names =
            fold_items(&mut serde_json::Deserializer::from_str(text), String::new(), |s, n: Named| s.push_str(&n.name))
                .expect("decode");
        assert_eq!(names, "ab");
        for empty in [r#"{"items":null}"#, r#"{"kind":"List"}"#] {
            let count = fold_items(&mut serde_json::Deserializer::from_str(empty), 0, |c, _: Named| *c += 1);
            assert_eq!(count.expect("decode"), 0, "{empty}");
        }
        let bad =
            fold_items(&mut serde_json::Deserializer::from_str(r#"{"items":[{"nom":"a"}]}"#), 0, |c, _: Named| *c += 1);
        assert!(bad.is_err());
    }

    #[test]
    fn pages_are_decoded_item_by_item() {
        let body = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"abc"},"items":[{"metadata":{"name":"a","uid":"1"}},{"metadata":{"name":"b"}}]}"#;
        let projection = Projection::from_paths(&[vec!["metadata".into(), "name".into()]]);
        let mut names = vec![];
        let mut each = |v: Value| -> Result<()> {
            names.push(v["metadata"]["name"].as_str().unwrap_or_default().to_string());
            assert!(v["metadata"].get("uid").is_none());
            Ok(())
        };
        let mut meta = PageMeta::default();
        let mut failure = None;
        let mut de = serde_json::Deserializer::from_str(body);
        ListWalk { item: Project(&projection), each: &mut each, meta: &mut meta, failure: &mut failure }
            .deserialize(&mut de)
            .expect("decodes");
        assert_eq!(names, ["a", "b"]);
        assert_eq!((meta.cont.as_deref(), meta.resource_version.as_str(), meta.count), (Some("abc"), "42", 2));
    }

    #[test]
    fn a_pages_continue_token_is_told_before_its_items_are_decoded() {
        let body = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"},"items":[{"metadata":{"name":"a","uid":"1"}},{"metadata":{"name":"b"}}]}"#;
        let projection = Projection::from_paths(&[vec!["metadata".into(), "name".into()]]);
        let (told, mut token) = tokio::sync::oneshot::channel();
        let mut meta = PageMeta { told: Some(told), ..PageMeta::default() };
        let (mut items, mut known_at_first) = (vec![], None);
        let mut each = |item: Value| {
            if known_at_first.is_none() {
                known_at_first = Some(token.try_recv());
            }
            items.push(item);
            Ok::<(), std::convert::Infallible>(())
        };
        let mut de = serde_json::Deserializer::from_str(body);
        ListWalk { item: Project(&projection), each: &mut each, meta: &mut meta, failure: &mut None }
            .deserialize(&mut de)
            .expect("decodes");
        assert_eq!(known_at_first, Some(Ok(Some("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ".to_string()))));
        assert_eq!(
            items,
            [serde_json::json!({"metadata": {"name": "a"}}), serde_json::json!({"metadata": {"name": "b"}})]
        );
        assert_eq!(
            (meta.cont.as_deref(), meta.resource_version.as_str(), meta.count),
            (Some("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"), "42", 2)
        );
        // The last page tells that there is none; a page without metadata tells nothing (the
        // lister then reads the decoded page's token, as without telling).
        let told_of = |page: &str| {
            let (told, mut token) = tokio::sync::oneshot::channel::<Option<String>>();
            let mut meta = PageMeta { told: Some(told), ..PageMeta::default() };
            let mut de = serde_json::Deserializer::from_str(page);
            ListWalk {
                item: Project(&projection),
                each: &mut |_| Ok::<(), std::convert::Infallible>(()),
                meta: &mut meta,
                failure: &mut None,
            }
            .deserialize(&mut de)
            .expect("decodes");
            drop(meta);
            token.try_recv()
        };
        assert_eq!(told_of(r#"{"metadata":{"resourceVersion":"42"},"items":[]}"#), Ok(None));
        assert!(told_of(r#"{"items":[]}"#).is_err());
    }
}
