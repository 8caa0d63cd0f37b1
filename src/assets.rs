//! Where a frontend's files come from: the app folder on disk (`run`, `dev`) or files built into
//! the binary (the demo app; later the payload of a packaged app). The protocol sees one
//! interface and never touches a path itself.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use include_dir::Dir;

/// What a lookup of a normalised relative path found.
pub enum Lookup {
    File(Asset),
    /// A folder: the protocol redirects `dir` to `dir/`, and serves `dir/index.html`.
    Dir,
    Missing,
    /// The path resolves (through a symlink) outside the frontend folder.
    Outside,
}

/// An open file, ready to be read in whole or in part.
pub struct Asset {
    pub len: u64,
    /// Changes whenever the content may have: the strong ETag, without quotes.
    pub tag: String,
    content: Content,
}

enum Content {
    Static(&'static [u8]),
    File(File),
}

impl Asset {
    /// Reads `range` only: a range request for a large file never reads the rest, and a file
    /// built into the binary is lent, not copied.
    pub fn read(self, range: Range<u64>) -> io::Result<Cow<'static, [u8]>> {
        let range = range.start.min(self.len)..range.end.min(self.len);
        match self.content {
            Content::Static(bytes) => Ok(Cow::Borrowed(
                &bytes[range.start as usize..range.end as usize],
            )),
            Content::File(mut file) => {
                file.seek(SeekFrom::Start(range.start))?;
                let want = range.end - range.start;
                let mut buf = Vec::with_capacity(want as usize);
                file.take(want).read_to_end(&mut buf)?;
                Ok(Cow::Owned(buf))
            }
        }
    }
}

pub trait Assets: Send + Sync {
    /// `rel` is a [`crate::protocol::SafePath`]'s relative path: plain names joined by `/`.
    fn lookup(&self, rel: &str) -> Lookup;
}

/// A folder on disk. Symlinks inside it are followed only while they stay inside it.
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    pub fn new(root: &Path) -> io::Result<Folder> {
        Ok(Folder {
            root: root.canonicalize()?,
        })
    }
}

impl Assets for Folder {
    fn lookup(&self, rel: &str) -> Lookup {
        // Resolving every symlink first means the check below sees where the bytes really are.
        let Ok(real) = self.root.join(rel).canonicalize() else {
            return Lookup::Missing;
        };
        if !real.starts_with(&self.root) {
            return Lookup::Outside;
        }
        let Ok(file) = File::open(&real) else {
            return Lookup::Missing;
        };
        let Ok(meta) = file.metadata() else {
            return Lookup::Missing;
        };
        if meta.is_dir() {
            return Lookup::Dir;
        }
        if !meta.is_file() {
            return Lookup::Missing;
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Lookup::File(Asset {
            len: meta.len(),
            tag: format!("{:x}-{mtime:x}", meta.len()),
            content: Content::File(file),
        })
    }
}

/// Files built into the binary with `include_dir!`, served from its folder `base` (`""` for
/// the root). include_dir names every entry by its path from the root, hence the base.
pub struct Embedded {
    dir: &'static Dir<'static>,
    base: &'static str,
}

impl Embedded {
    pub const fn new(dir: &'static Dir<'static>, base: &'static str) -> Embedded {
        Embedded { dir, base }
    }
}

impl Assets for Embedded {
    fn lookup(&self, rel: &str) -> Lookup {
        let path = match (self.base, rel) {
            ("", rel) => rel.to_owned(),
            (base, "") => base.to_owned(),
            (base, rel) => format!("{base}/{rel}"),
        };
        if path.is_empty() || self.dir.get_dir(&path).is_some() {
            return Lookup::Dir;
        }
        match self.dir.get_file(&path) {
            Some(f) => {
                let bytes = f.contents();
                Lookup::File(Asset {
                    len: bytes.len() as u64,
                    tag: format!("{:x}-{:016x}", bytes.len(), fnv1a(bytes)),
                    content: Content::Static(bytes),
                })
            }
            None => Lookup::Missing,
        }
    }
}

/// A fast content hash for ETags of built-in files (not a security boundary).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
