//! An app folder on disk. Symlinks inside it are followed only while they stay inside it.

use std::fs::File;
use std::io;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::{Asset, Entry, Lookup, Source};

/// Linux's "too many levels of symbolic links" (`io::ErrorKind::FilesystemLoop` is not stable).
const ELOOP: i32 = 40;

pub struct Folder {
    /// Canonical: every lookup is checked against it.
    root: PathBuf,
    /// The folder as the user named it, for messages.
    shown: PathBuf,
}

impl Folder {
    /// `root` as named (for messages); `""` is the working directory.
    pub fn new(root: &Path) -> io::Result<Folder> {
        let real = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        Ok(Folder {
            root: real.canonicalize()?,
            shown: root.to_path_buf(),
        })
    }

    /// A folder that may not exist (checking a manifest's text as if it were in `root`): when
    /// it does not, nothing in it is found.
    pub fn lenient(root: &Path) -> Folder {
        Folder::new(root).unwrap_or_else(|_| Folder {
            root: root.to_path_buf(),
            shown: root.to_path_buf(),
        })
    }

    /// Where `rel` really is, when it exists and stays inside the root.
    fn real(&self, rel: &str) -> Result<PathBuf, Lookup> {
        // Resolving every symlink first means the check sees where the bytes really are.
        let real = match self.root.join(rel).canonicalize() {
            Ok(r) => r,
            Err(e) if e.raw_os_error() == Some(ELOOP) => {
                return Err(Lookup::Broken("is a symlink loop".to_owned()));
            }
            Err(_) => return Err(Lookup::Missing),
        };
        if !real.starts_with(&self.root) {
            return Err(Lookup::Outside);
        }
        Ok(real)
    }
}

/// A file's ETag: its length and modification time, which change whenever its content may.
fn tag(meta: &std::fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{mtime:x}", meta.len())
}

impl Source for Folder {
    fn lookup(&self, rel: &str) -> Lookup {
        let real = match self.real(rel) {
            Ok(r) => r,
            Err(l) => return l,
        };
        // Non-blocking, so that a FIFO in the folder is reported rather than waited on.
        let file = match File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&real)
        {
            Ok(f) => f,
            Err(e) => return Lookup::Broken(format!("cannot be read: {e}")),
        };
        let meta = match file.metadata() {
            Ok(m) => m,
            Err(e) => return Lookup::Broken(format!("cannot be read: {e}")),
        };
        if meta.is_dir() {
            return Lookup::Dir;
        }
        if !meta.is_file() {
            return Lookup::Broken("is not a regular file".to_owned());
        }
        Lookup::File(Asset::file(file, meta.len(), tag(&meta)))
    }

    /// One `stat`, not a lookup: a script call asks for its file's stamp every time, and the
    /// containment check and the open are for reading it, which the lookup does.
    fn stamp(&self, rel: &str) -> Option<String> {
        std::fs::metadata(self.root.join(rel))
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|meta| tag(&meta))
    }

    fn list(&self, rel: &str) -> io::Result<Vec<Entry>> {
        let real = self.real(rel).map_err(|_| io::ErrorKind::NotFound)?;
        let mut names = Vec::new();
        for entry in std::fs::read_dir(real)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue; // not a name a URL or a manifest can hold
            };
            let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
            names.push(Entry { name, is_dir });
        }
        names.sort();
        Ok(names)
    }

    fn sub(&self, rel: &str) -> io::Result<Arc<dyn Source>> {
        let real = match self.real(rel) {
            Ok(r) => r,
            Err(Lookup::Outside) => {
                return Err(io::Error::other(format!(
                    "`{}` resolves outside the app folder",
                    self.describe(rel)
                )));
            }
            Err(_) => return Err(io::ErrorKind::NotFound.into()),
        };
        Ok(Arc::new(Folder {
            root: real,
            shown: self.shown.join(rel),
        }))
    }

    fn describe(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.shown.display().to_string()
        } else {
            self.shown.join(rel).display().to_string()
        }
    }

    fn folder(&self) -> Option<&Path> {
        Some(&self.root)
    }
}
