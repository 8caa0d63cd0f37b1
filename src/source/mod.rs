//! Where an app's files come from: its folder on disk (`run`, `dev`), the payload of a
//! packaged executable, or files built into the host (the demo, the `init` templates). The
//! manifest checker, the resolver, the `app://` protocol, the script endpoints and the icons
//! all read through one read-only interface, [`Source`], with paths relative to the source's
//! root; none of them touches the disk by itself. The resolved [`crate::manifest::App`] keeps
//! its paths relative, so the same `App` runs from any source.

mod builtin;
mod folder;
mod payload;

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

pub use builtin::Builtin;
pub use folder::Folder;
pub use payload::Packaged;

/// What a lookup of a normalised relative path found.
pub enum Lookup {
    File(Asset),
    /// A folder: the protocol redirects `dir` to `dir/`, and serves `dir/index.html`.
    Dir,
    Missing,
    /// The path resolves (through a symlink) outside the source's root.
    Outside,
    /// The file is there but cannot be used; the phrase says why ("is a symlink loop",
    /// "fails its integrity check: …") and follows the file's name in messages.
    Broken(String),
}

/// An open file, ready to be read in whole or in part.
pub struct Asset {
    pub len: u64,
    /// Changes whenever the content may have: the strong ETag, without quotes.
    pub tag: String,
    content: Content,
}

enum Content {
    /// Bytes that live as long as the process: built into the binary, or a stored entry of
    /// the payload mapped with it. Lent, never copied.
    Static(&'static [u8]),
    /// Bytes made once and shared (a decompressed payload entry).
    Shared(Arc<[u8]>),
    File(File),
}

impl Asset {
    pub fn borrowed(bytes: &'static [u8], tag: String) -> Asset {
        Asset {
            len: bytes.len() as u64,
            tag,
            content: Content::Static(bytes),
        }
    }

    pub fn shared(bytes: Arc<[u8]>, tag: String) -> Asset {
        Asset {
            len: bytes.len() as u64,
            tag,
            content: Content::Shared(bytes),
        }
    }

    fn file(file: File, len: u64, tag: String) -> Asset {
        Asset {
            len,
            tag,
            content: Content::File(file),
        }
    }

    /// Reads `range` only: a range request for a large file never reads the rest, and a file
    /// that lives as long as the process is lent, not copied.
    pub fn read(self, range: Range<u64>) -> io::Result<Cow<'static, [u8]>> {
        self.part(range)?.into_bytes()
    }

    /// The bytes of `range`, ready to be sent without being read first: a file is positioned
    /// at the range's start and read as it is sent, so serving a large one costs a buffer, not
    /// its size.
    pub fn part(self, range: Range<u64>) -> io::Result<Part> {
        let range = range.start.min(self.len)..range.end.min(self.len);
        let (start, end) = (range.start as usize, range.end as usize);
        Ok(match self.content {
            Content::Static(bytes) => Part::Lent(&bytes[start..end]),
            Content::Shared(bytes) => Part::Shared(bytes, start..end),
            Content::File(mut file) => {
                file.seek(SeekFrom::Start(range.start))?;
                Part::File(file.take(range.end - range.start))
            }
        })
    }

    /// The whole file, when it is at most `limit` bytes.
    pub fn read_all(self, limit: u64) -> Result<Cow<'static, [u8]>, ReadError> {
        if self.len > limit {
            return Err(ReadError::TooLarge {
                len: self.len,
                limit,
            });
        }
        let len = self.len;
        self.read(0..len).map_err(|e| ReadError::Io(e.to_string()))
    }
}

/// A part of a file to send: lent or shared bytes, or an open file read as it is sent.
pub enum Part {
    Lent(&'static [u8]),
    Shared(Arc<[u8]>, Range<usize>),
    /// Positioned at the part's start; reading stops at its end.
    File(io::Take<File>),
}

impl Part {
    pub fn len(&self) -> u64 {
        match self {
            Part::Lent(b) => b.len() as u64,
            Part::Shared(_, r) => (r.end - r.start) as u64,
            Part::File(f) => f.limit(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The part in memory: lent bytes stay lent; a file part is read whole.
    pub fn into_bytes(self) -> io::Result<Cow<'static, [u8]>> {
        match self {
            Part::Lent(b) => Ok(Cow::Borrowed(b)),
            Part::Shared(b, r) => Ok(Cow::Owned(b[r].to_vec())),
            Part::File(mut f) => {
                let mut buf = Vec::with_capacity(usize::try_from(f.limit()).unwrap_or(0));
                f.read_to_end(&mut buf)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// Writes the part to `out`, a buffer at a time; the number of bytes written.
    pub fn copy_to(self, out: &mut impl io::Write) -> io::Result<u64> {
        match self {
            Part::Lent(b) => out.write_all(b).map(|()| b.len() as u64),
            Part::Shared(b, r) => out
                .write_all(&b[r.clone()])
                .map(|()| (r.end - r.start) as u64),
            Part::File(mut f) => io::copy(&mut f, out),
        }
    }
}

/// One name in a listed folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
}

/// Why a file could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("does not exist")]
    Missing,
    #[error("is a folder, not a file")]
    Dir,
    #[error("resolves outside the app folder")]
    Outside,
    #[error("is {len} bytes; at most {limit} are read")]
    TooLarge { len: u64, limit: u64 },
    #[error("cannot be read: {0}")]
    Io(String),
    #[error("{0}")]
    Broken(String),
}

impl ReadError {
    /// What a lookup that found no readable file means.
    pub fn of(lookup: &Lookup) -> Option<ReadError> {
        match lookup {
            Lookup::File(_) => None,
            Lookup::Dir => Some(ReadError::Dir),
            Lookup::Missing => Some(ReadError::Missing),
            Lookup::Outside => Some(ReadError::Outside),
            Lookup::Broken(why) => Some(ReadError::Broken(why.clone())),
        }
    }
}

/// A read-only tree of files. Paths are relative to the root: plain names joined by `/`, `""`
/// for the root itself (a [`crate::protocol::SafePath`]'s `rel`, or [`normal`]'s output).
pub trait Source: Send + Sync {
    fn lookup(&self, rel: &str) -> Lookup;

    /// The names directly inside folder `rel`, sorted.
    fn list(&self, rel: &str) -> io::Result<Vec<Entry>>;

    /// The folder `rel` of this source as a source of its own: what it serves stays inside
    /// that folder (the `app://` protocol serves the frontend folder alone).
    fn sub(&self, rel: &str) -> io::Result<Arc<dyn Source>>;

    /// How messages name the file `rel`: a path on disk, or the file inside the package.
    fn describe(&self, rel: &str) -> String;

    /// The folder on disk this source reads, when it is one (`dev` watches it).
    fn folder(&self) -> Option<&Path> {
        None
    }

    /// The file `rel` whole, when it is at most `limit` bytes.
    fn read(&self, rel: &str, limit: u64) -> Result<Cow<'static, [u8]>, ReadError> {
        match self.lookup(rel) {
            Lookup::File(a) => a.read_all(limit),
            other => Err(ReadError::of(&other).unwrap_or(ReadError::Missing)),
        }
    }

    /// What tells one version of file `rel` from the next (its ETag); `None` when it is
    /// missing.
    fn stamp(&self, rel: &str) -> Option<String> {
        match self.lookup(rel) {
            Lookup::File(a) => Some(a.tag),
            _ => None,
        }
    }
}

impl std::fmt::Debug for dyn Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Source({})", self.describe(""))
    }
}

/// `rel` as a source path: `./web//x` is `web/x`, `.` is `""`. `None` when it leaves the root
/// (`..`) or is absolute: manifest validation refuses those before anything is resolved.
pub fn normal(rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\\') {
        return None;
    }
    let mut parts = Vec::new();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `base/rel`, either of which may be the root `""`.
pub fn join(base: &str, rel: &str) -> String {
    match (base, rel) {
        ("", rel) => rel.to_owned(),
        (base, "") => base.to_owned(),
        (base, rel) => format!("{base}/{rel}"),
    }
}

/// A fast content hash for ETags of built-in files (not a security boundary).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_paths() {
        for (input, want) in [
            ("web", Some("web")),
            ("./web/", Some("web")),
            (".", Some("")),
            ("", Some("")),
            ("a//b/./c", Some("a/b/c")),
            ("../x", None),
            ("a/../b", None),
            ("/etc", None),
            ("a\\b", None),
        ] {
            assert_eq!(normal(input).as_deref(), want, "{input}");
        }
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("web", ""), "web");
        assert_eq!(join("web", "a/b"), "web/a/b");
    }
}
