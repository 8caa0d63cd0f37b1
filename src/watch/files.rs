//! What the watcher knows of the app folder's files: a fingerprint of each, so that an event
//! becomes a change only when a file's bytes (or its existence) really changed. Editors touch,
//! re-save and rename files whose bytes stay the same; reloading for those would throw away the
//! page's state for nothing.
//!
//! Only regular files are tracked. Folders, symlinks to folders, FIFOs and devices never are:
//! reading a FIFO blocks, and following a folder symlink can loop.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::classify::{is_ignored, is_ignored_dir};

/// Files above this are fingerprinted by length and modification time only: hashing a video
/// on every save would stall the watcher, and such files are rarely saved by hand.
const MAX_HASHED_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Print {
    Hashed {
        len: u64,
        mtime: Option<SystemTime>,
        sha256: [u8; 32],
    },
    Large {
        len: u64,
        mtime: Option<SystemTime>,
    },
    /// A regular file that could not be read (permissions, or it went away mid-read).
    Unreadable,
}

impl Print {
    /// The fingerprint of the regular file at `path` (following symlinks), or `None` when there
    /// is no regular file there.
    fn of(path: &Path) -> Option<Print> {
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                // A dangling symlink or a symlink loop is no file: nothing to serve or run.
                tracing::debug!("watch: skipping {}: {e}", path.display());
                return None;
            }
        };
        if !meta.file_type().is_file() {
            return None;
        }
        let (len, mtime) = (meta.len(), meta.modified().ok());
        if len > MAX_HASHED_BYTES {
            return Some(Print::Large { len, mtime });
        }
        match hash_file(path) {
            Ok(sha256) => Some(Print::Hashed { len, mtime, sha256 }),
            Err(e) => {
                tracing::debug!("watch: cannot read {}: {e}", path.display());
                Some(Print::Unreadable)
            }
        }
    }

    /// Whether two fingerprints describe the same content. The modification time does not
    /// count for hashed files: a save of identical bytes changes it.
    fn same_content(&self, other: &Print) -> bool {
        match (self, other) {
            (
                Print::Hashed { len, sha256, .. },
                Print::Hashed {
                    len: len2,
                    sha256: sha2,
                    ..
                },
            ) => len == len2 && sha256 == sha2,
            _ => self == other,
        }
    }

    /// Whether `meta` looks like the file this print was taken from, without reading it.
    fn matches_stat(&self, meta: &Metadata) -> bool {
        match self {
            Print::Hashed { len, mtime, .. } | Print::Large { len, mtime } => {
                *len == meta.len() && *mtime == meta.modified().ok()
            }
            Print::Unreadable => false,
        }
    }
}

fn hash_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hasher.finalize().into())
}

/// The fingerprints of the files under one app folder.
#[derive(Debug)]
pub(super) struct Files {
    dir: PathBuf,
    prints: HashMap<PathBuf, Print>,
}

impl Files {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            prints: HashMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.prints.len()
    }

    /// Fingerprints every file of the folder, so that the first save of unchanged bytes is
    /// recognised. Returns early when `stop` is set.
    pub(super) fn scan(&mut self, stop: &AtomicBool) {
        for path in self.walk(&self.dir) {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if let Some(print) = Print::of(&path) {
                self.prints.insert(path, print);
            }
        }
    }

    /// Brings the fingerprints of `path` up to date and pushes the files that changed onto
    /// `changed`: a file whose bytes differ, a new file, and every known file at or under
    /// `path` that is gone. A folder is compared whole: it may be new with files already in it
    /// (written before any watch on it existed), or removed and made again before its events
    /// were handled.
    pub(super) fn reconcile(&mut self, path: &Path, changed: &mut Vec<PathBuf>) {
        let Ok(rel) = path.strip_prefix(&self.dir) else {
            return;
        };
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => {
                // A file replaced by a folder is gone as a file.
                if self.prints.remove(path).is_some() {
                    changed.push(path.to_path_buf());
                }
                if !is_ignored_dir(rel) {
                    self.compare_under(path, changed);
                }
            }
            Ok(_) if is_ignored(rel) => {}
            Ok(_) => self.update(path, changed),
            Err(e) if is_gone(&e) => self.forget_under(path, changed),
            Err(e) => tracing::debug!("watch: cannot inspect {}: {e}", path.display()),
        }
    }

    /// After the event queue overflowed, nothing is known about what changed: compares the
    /// whole folder.
    pub(super) fn rescan(&mut self, changed: &mut Vec<PathBuf>) {
        let dir = self.dir.clone();
        self.compare_under(&dir, changed);
    }

    /// Compares the files under the folder `root` with their fingerprints, reading only those
    /// whose length or modification time moved: reading every file would queue an event for
    /// each (and a rescan after a queue overflow could overflow it again). A file changed
    /// within the file system's timestamp granularity without changing length is missed here,
    /// but it also has an event of its own, which reads it.
    fn compare_under(&mut self, root: &Path, changed: &mut Vec<PathBuf>) {
        let mut seen = HashSet::new();
        for path in self.walk(root) {
            let unchanged = match (self.prints.get(&path), fs::metadata(&path)) {
                (Some(print), Ok(meta)) => print.matches_stat(&meta),
                _ => false,
            };
            if !unchanged {
                self.update(&path, changed);
            }
            seen.insert(path);
        }
        let mut gone: Vec<PathBuf> = self
            .prints
            .keys()
            .filter(|p| p.starts_with(root) && !seen.contains(*p))
            .cloned()
            .collect();
        gone.sort();
        for path in gone {
            self.prints.remove(&path);
            changed.push(path);
        }
    }

    fn update(&mut self, path: &Path, changed: &mut Vec<PathBuf>) {
        match Print::of(path) {
            Some(new) => {
                let old = self.prints.insert(path.to_path_buf(), new.clone());
                if !old.is_some_and(|old| old.same_content(&new)) {
                    changed.push(path.to_path_buf());
                }
            }
            None => self.forget_under(path, changed),
        }
    }

    /// A removed file, or a removed folder with every file that was in it.
    fn forget_under(&mut self, path: &Path, changed: &mut Vec<PathBuf>) {
        let before = changed.len();
        self.prints.retain(|known, _| {
            let gone = known.starts_with(path);
            if gone {
                changed.push(known.clone());
            }
            !gone
        });
        // Stable order for the batch, whatever the map's order.
        changed[before..].sort();
    }

    /// The regular files and file symlinks under `root`, not entering noise folders nor
    /// following folder symlinks. Unreadable folders are skipped with a debug message.
    fn walk(&self, root: &Path) -> Vec<PathBuf> {
        let dir = &self.dir;
        WalkDir::new(root)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| {
                let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
                if e.file_type().is_dir() {
                    !is_ignored_dir(rel)
                } else {
                    !is_ignored(rel)
                }
            })
            .filter_map(|entry| match entry {
                Ok(e) if !e.file_type().is_dir() => Some(e.into_path()),
                Ok(_) => None,
                Err(e) => {
                    tracing::debug!("watch: skipping part of the folder: {e}");
                    None
                }
            })
            .collect()
    }
}

fn is_gone(e: &io::Error) -> bool {
    // ENOTDIR: a parent of the path was replaced by a file.
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}
