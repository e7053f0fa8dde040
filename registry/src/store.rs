//! Where an image's bytes live: a directory (OCI layout) or a tarball (docker save, OCI
//! archive), read in place.
//!
//! A tarball is indexed once (name → offset and size of each regular file) and never unpacked:
//! a blob is a byte range of the tarball, streamed when it is pushed. The index refuses what a
//! hostile archive could use against us: absolute names and `..` (path traversal), sizes past
//! the end of the file (nothing is allocated from a size read in a header), and link loops.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use kubectl_kit_core::error::Kind;
use kubectl_kit_core::{Error, Result};

/// Largest JSON document (index, manifest, config) read into memory.
pub const MAX_DOCUMENT: u64 = 16 << 20;

/// Most entries a tarball may have; docker save writes a handful per layer.
const MAX_ENTRIES: usize = 1 << 20;

/// A byte range of a file: a blob's bytes, ready to stream. (Not `bytes::Bytes`, which holds
/// bytes in memory: these stay on disk until they are sent.)
#[derive(Debug, Clone)]
pub struct ByteRange {
    /// The file holding the range.
    pub path: Arc<PathBuf>,
    /// Where the range starts.
    pub offset: u64,
    /// How long it is.
    pub len: u64,
}

impl ByteRange {
    /// Opens the file positioned at the start of the range, limited to its length.
    pub fn open(&self) -> std::io::Result<std::io::Take<File>> {
        let mut file = File::open(self.path.as_path())?;
        file.seek(SeekFrom::Start(self.offset))?;
        Ok(file.take(self.len))
    }

    /// Reads the whole range into memory, for documents no bigger than [`MAX_DOCUMENT`].
    pub fn read_document(&self, what: &str) -> Result<Vec<u8>> {
        if self.len > MAX_DOCUMENT {
            return Err(Error::corrupt(format!(
                "{what} is {} bytes, more than the {} a document may have",
                self.len, MAX_DOCUMENT
            )));
        }
        let mut out = Vec::with_capacity(self.len as usize);
        self.open()
            .and_then(|mut r| r.read_to_end(&mut out))
            .map_err(|e| Error::runtime(format!("cannot read {what}")).caused_by_error(e))?;
        if out.len() as u64 != self.len {
            return Err(Error::corrupt(format!("{what} is truncated: {} of {} bytes", out.len(), self.len)));
        }
        Ok(out)
    }
}

/// The files of an image source, by their slash-separated names inside it.
#[derive(Debug)]
pub enum Store {
    /// A directory: names are relative paths under it.
    Dir(PathBuf),
    /// A tarball, indexed.
    Tar {
        /// The tarball (or its decompressed copy).
        path: Arc<PathBuf>,
        /// What the user named, for messages.
        shown: PathBuf,
        /// Regular files: name → (offset, size).
        files: HashMap<String, (u64, u64)>,
        /// Links: name → target name, already resolved against the link's directory.
        links: HashMap<String, String>,
    },
}

impl Store {
    /// A directory store.
    pub fn dir(path: &Path) -> Self {
        Store::Dir(path.to_path_buf())
    }

    /// Indexes a tarball. `shown` is the name the user gave, `path` the file to read (they
    /// differ when the tarball was decompressed to a temporary file first).
    pub fn tar(path: &Path, shown: &Path) -> Result<Self> {
        let bad = |m: String| Error::corrupt(format!("{}: {m}", shown.display()));
        let file = File::open(path).map_err(|e| Error::io("open", shown, e))?;
        let file_len = file.metadata().map_err(|e| Error::io("read", shown, e))?.len();
        // tar's own messages quote the header they could not read: for a file that is not a
        // tarball, its first bytes (`/etc/passwd`'s first line). Only an I/O error keeps its
        // cause; the rest say what the file is not.
        let unreadable = |e: std::io::Error, entries: usize| {
            if e.raw_os_error().is_some() {
                Error::io("read", shown, e)
            } else if entries == 0 {
                Error::corrupt(format!("{} is not a tar archive", shown.display()))
            } else {
                bad(format!("the tar header after entry {entries} cannot be read: the archive is truncated or corrupt"))
            }
        };
        let mut archive = tar::Archive::new(file);
        let entries = archive.entries_with_seek().map_err(|e| unreadable(e, 0))?;
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        for (count, entry) in entries.enumerate() {
            if count >= MAX_ENTRIES {
                return Err(bad(format!("more than {MAX_ENTRIES} entries")));
            }
            let entry = entry.map_err(|e| unreadable(e, count))?;
            let raw = entry.path_bytes().into_owned();
            let raw = String::from_utf8_lossy(&raw).into_owned();
            let kind = entry.header().entry_type();
            if kind.is_dir() {
                continue;
            }
            let name = normalize(&raw).map_err(|m| bad(format!("entry {raw:?}: {m}")))?;
            if kind.is_file() || kind == tar::EntryType::Continuous {
                let size = entry.size();
                let offset = entry.raw_file_position();
                if offset.checked_add(size).is_none_or(|end| end > file_len) {
                    return Err(bad(format!(
                        "entry {name:?} claims {size} bytes, past the end of the archive ({file_len} bytes): it is truncated or corrupt"
                    )));
                }
                files.insert(name, (offset, size));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .ok_or_else(|| bad(format!("link {name:?} has no target")))?;
                // Symlinks are relative to the link's directory, hard links to the archive root.
                let joined = if kind.is_symlink() && !target.starts_with('/') {
                    match name.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{target}"),
                        None => target.clone(),
                    }
                } else {
                    target.clone()
                };
                let resolved = resolve_link(&joined).map_err(|m| bad(format!("link {name:?} → {target:?}: {m}")))?;
                links.insert(name, resolved);
            }
        }
        Ok(Store::Tar { path: Arc::new(path.to_path_buf()), shown: shown.to_path_buf(), files, links })
    }

    /// True when the store has a file of that name.
    pub fn has(&self, name: &str) -> bool {
        self.locate(name).is_ok()
    }

    /// Finds a file's bytes. Errors name the file, not the store: the caller says which source.
    pub fn locate(&self, name: &str) -> Result<ByteRange> {
        let name = normalize(name).map_err(|m| Error::corrupt(format!("{name:?}: {m}")))?;
        match self {
            Store::Dir(root) => {
                let path = root.join(&name);
                let meta = std::fs::metadata(&path).map_err(|e| {
                    let kind = if e.kind() == std::io::ErrorKind::NotFound { Kind::NotFound } else { Kind::Runtime };
                    Error::new(kind, format!("missing {name}")).caused_by_error(e)
                })?;
                if !meta.is_file() {
                    return Err(Error::corrupt(format!("{name} is not a file")));
                }
                Ok(ByteRange { path: Arc::new(path), offset: 0, len: meta.len() })
            }
            Store::Tar { path, files, links, .. } => {
                let mut current = name;
                for _ in 0..16 {
                    if let Some(&(offset, len)) = files.get(&current) {
                        return Ok(ByteRange { path: Arc::clone(path), offset, len });
                    }
                    match links.get(&current) {
                        Some(next) => current = next.clone(),
                        None => return Err(Error::not_found(format!("the archive has no {current}"))),
                    }
                }
                Err(Error::corrupt(format!("links loop at {current}")))
            }
        }
    }

    /// The path of a blob by digest, as OCI layouts and Docker 25+ saves store them.
    pub fn blob_name(digest: &str) -> Result<String> {
        let (alg, hex) = crate::digest::split_digest(digest)?;
        Ok(format!("blobs/{alg}/{hex}"))
    }
}

/// Cleans an archive name: strips `./` and trailing `/`, refuses absolute names and `..`.
pub fn normalize(name: &str) -> std::result::Result<String, &'static str> {
    if name.starts_with('/') {
        return Err("absolute path refused");
    }
    let mut parts = Vec::new();
    for part in Path::new(name).components() {
        match part {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => return Err("path traversal (..) refused"),
            Component::RootDir | Component::Prefix(_) => return Err("absolute path refused"),
        }
    }
    if parts.is_empty() {
        return Err("empty name");
    }
    Ok(parts.join("/"))
}

/// A link target joined to the link's directory: `..` steps back inside the archive, and
/// stepping out of it is refused.
fn resolve_link(joined: &str) -> std::result::Result<String, &'static str> {
    if joined.starts_with('/') {
        return Err("absolute path refused");
    }
    let mut parts: Vec<String> = Vec::new();
    for part in Path::new(joined).components() {
        match part {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or("path traversal (..) refused")?;
            }
            Component::RootDir | Component::Prefix(_) => return Err("absolute path refused"),
        }
    }
    if parts.is_empty() {
        return Err("empty name");
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball(entries: &[(&str, &[u8])], links: &[(&str, &str)]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let mut builder = tar::Builder::new(file.reopen().expect("reopen"));
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *data).expect("append");
        }
        for (name, target) in links {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, name, target).expect("link");
        }
        builder.finish().expect("finish");
        file
    }

    #[test]
    fn reads_files_in_place_and_follows_relative_links() {
        let t = tarball(&[("./a/layer.tar", b"hello"), ("manifest.json", b"[]")], &[("b/layer.tar", "../a/layer.tar")]);
        let store = Store::tar(t.path(), Path::new("x.tar")).expect("index");
        let bytes = store.locate("b/layer.tar").expect("link");
        assert_eq!(bytes.read_document("layer").expect("read"), b"hello");
        assert_eq!(store.locate("manifest.json").expect("file").len, 2);
        assert!(!store.has("c"));
        let missing = store.locate("c").expect_err("missing");
        assert!(missing.is_not_found());
        assert_eq!(missing.message, "the archive has no c");
    }

    #[test]
    fn refuses_traversal() {
        assert_eq!(normalize("../etc/passwd"), Err("path traversal (..) refused"));
        assert_eq!(normalize("/etc/passwd"), Err("absolute path refused"));
        assert_eq!(normalize("./blobs/sha256/ab/"), Ok("blobs/sha256/ab".to_string()));
        let t = tarball(&[("a", b"x")], &[("evil", "../../etc/passwd")]);
        let err = Store::tar(t.path(), Path::new("x.tar")).expect_err("traversal");
        assert!(err.message.contains("path traversal"), "{}", err.message);
    }

    #[test]
    fn a_file_that_is_not_a_tarball_is_named_and_never_quoted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let passwd = dir.path().join("passwd");
        std::fs::write(&passwd, "root:x:0:0:root:/root:/bin/bash\n".repeat(40)).expect("write");
        let err = Store::tar(&passwd, Path::new("/etc/passwd")).expect_err("not a tarball");
        assert_eq!(err.message, "/etc/passwd is not a tar archive");
        assert!(err.causes().is_empty(), "tar's message quotes the file: {err}");
        assert!(err.is_corrupt());
        // A tarball cut inside its second header.
        let t = tarball(&[("a", &[1u8; 512]), ("b", b"x")], &[]);
        let data = std::fs::read(t.path()).expect("read");
        let cut = dir.path().join("cut.tar");
        std::fs::write(&cut, &data[..512 + 512 + 100]).expect("write");
        let err = Store::tar(&cut, Path::new("cut.tar")).expect_err("truncated");
        assert_eq!(
            err.message,
            "cut.tar: the tar header after entry 1 cannot be read: the archive is truncated or corrupt"
        );
        assert!(err.causes().is_empty(), "{err}");
    }

    #[test]
    fn refuses_sizes_past_the_end() {
        let t = tarball(&[("big", &[7u8; 2048])], &[]);
        let data = std::fs::read(t.path()).expect("read");
        // Cut the archive inside the file's data: the header still claims 2048 bytes.
        let cut = tempfile::NamedTempFile::new().expect("temp");
        std::fs::write(cut.path(), &data[..1024]).expect("write");
        let err = Store::tar(cut.path(), Path::new("x.tar")).expect_err("truncated");
        assert!(err.message.contains("past the end"), "{}", err.message);
        assert!(err.is_corrupt());
    }
}
