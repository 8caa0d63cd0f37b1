//! Where a path the page names really is, and whether the endpoint's scope reaches it. The OS
//! resolves what exists (symlinks, `..`); what does not exist yet must be plain names, so no
//! later step can turn it into somewhere else. Scope globs are resolved the same way, up to
//! their last literal folder, and only the rest is matched as a glob, so folder names with
//! glob characters in them are never read as globs.
//!
//! Every refusal is the same `forbidden`, naming the path as the page wrote it: which check
//! failed would tell the page what exists outside its scope, and the real path would tell it
//! where the user's home is.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use crate::builtins::paths::{AppDirs, USER_SELECTED};
use crate::ipc::IpcError;
use crate::pattern::{Glob, literal_prefix};

/// A path the page named, resolved.
#[derive(Debug)]
pub(super) struct Resolved {
    /// The existing part as the OS resolves it, then the names that do not exist yet.
    pub real: PathBuf,
    /// How many trailing names of `real` do not exist yet.
    pub missing: usize,
}

pub(super) fn outside(written: &str) -> IpcError {
    IpcError::Forbidden(format!("`{written}` is outside this endpoint's scope"))
}

/// Resolves `written` (absolute, or `$VAR/…`). With `follow_last` false a symlink at the end
/// is not followed: `remove` and `rename` act on the link itself.
pub(super) fn resolve(
    dirs: &AppDirs,
    written: &str,
    follow_last: bool,
) -> Result<Resolved, IpcError> {
    let expanded = dirs.expand(written).map_err(IpcError::BadArgs)?;
    // Split by hand, not with `components()`, which would quietly drop `.` and empty names.
    let mut names: Vec<&OsStr> = expanded
        .as_os_str()
        .as_bytes()
        .split(|b| *b == b'/')
        .skip(1) // the empty name before the root's `/`
        .map(OsStr::from_bytes)
        .collect();
    let last = if follow_last {
        None
    } else {
        Some(
            names
                .pop()
                .filter(|n| plain(n))
                .ok_or_else(|| outside(written))?,
        )
    };
    let (found, mut real) = (0..=names.len())
        .rev()
        .find_map(|i| {
            let prefix: PathBuf = Path::new("/").join(names[..i].iter().collect::<PathBuf>());
            fs::canonicalize(prefix).ok().map(|real| (i, real))
        })
        .ok_or_else(|| outside(written))?;
    let rest = &names[found..];
    if !rest.iter().all(|n| plain(n)) {
        return Err(outside(written));
    }
    // A name that is there but could not be resolved is a dangling or looping link.
    if rest
        .first()
        .is_some_and(|n| fs::symlink_metadata(real.join(n)).is_ok())
    {
        return Err(outside(written));
    }
    real.extend(rest);
    let mut missing = rest.len();
    if let Some(last) = last {
        real.push(last);
        if fs::symlink_metadata(&real).is_err() {
            missing += 1;
        }
    }
    Ok(Resolved { real, missing })
}

fn plain(name: &OsStr) -> bool {
    !name.is_empty() && name != "." && name != ".."
}

/// An endpoint's scope, resolved for one call: each glob as a real base folder and the glob
/// below it, and each path the user picked (for `$USER_SELECTED`). A glob whose base cannot be
/// resolved grants nothing.
pub(super) struct Scope {
    entries: Vec<Entry>,
}

enum Entry {
    Glob(PathBuf, Glob),
    /// A picked file: exactly this path.
    File(PathBuf),
    /// A picked folder: it and everything below it.
    Folder(PathBuf),
}

impl Scope {
    pub fn new(patterns: &[String], dirs: &AppDirs) -> Scope {
        let mut entries = Vec::new();
        for pattern in patterns {
            if pattern == USER_SELECTED {
                entries.extend(dirs.picked.all().into_iter().map(|p| {
                    if p.folder {
                        Entry::Folder(p.path)
                    } else {
                        Entry::File(p.path)
                    }
                }));
                continue;
            }
            let (base, rest) = literal_prefix(pattern);
            let Ok(glob) = Glob::new(rest) else { continue };
            let Ok(base) = resolve(dirs, &base, true) else {
                continue;
            };
            entries.push(Entry::Glob(base.real, glob));
        }
        Scope { entries }
    }

    /// Whether the scope grants `real` (a resolved path): the root of the entry that does,
    /// beneath which it is then opened.
    pub fn allows(&self, real: &Path) -> Option<&Path> {
        self.test(real, false)
    }

    /// Whether the scope grants `real` or something below it: the folders on the way in.
    pub fn reaches(&self, real: &Path) -> Option<&Path> {
        self.test(real, true)
    }

    fn test(&self, real: &Path, below: bool) -> Option<&Path> {
        self.entries.iter().find_map(|e| {
            let (root, ok) = match e {
                Entry::Glob(base, glob) => {
                    let f = if below {
                        Glob::matches_below
                    } else {
                        Glob::matches
                    };
                    let ok = real
                        .strip_prefix(base)
                        .ok()
                        .and_then(Path::to_str)
                        .is_some_and(|rel| f(glob, rel));
                    (base, ok)
                }
                // Compared as paths, name by name: never as a pattern.
                Entry::File(p) => (p, real == p || (below && p.starts_with(real))),
                Entry::Folder(p) => (p, real.starts_with(p) || (below && p.starts_with(real))),
            };
            ok.then_some(root.as_path())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        let dirs = AppDirs::under(&root);
        fs::create_dir_all(root.join("data/notes")).unwrap();
        std::os::unix::fs::symlink(root.join("data/notes"), root.join("data/link")).unwrap();
        let ok = [
            ("$APPDATA", true, "data", 0),
            ("$APPDATA/notes", true, "data/notes", 0),
            ("$APPDATA/link", true, "data/notes", 0),
            ("$APPDATA/link", false, "data/link", 0),
            ("$APPDATA/link/a/b", true, "data/notes/a/b", 2),
            ("$APPDATA/link/a", false, "data/notes/a", 1),
            ("$APPDATA/notes/../notes/x", true, "data/notes/x", 1),
        ];
        for (written, follow, real, missing) in ok {
            let r = resolve(&dirs, written, follow).unwrap();
            assert_eq!((r.real, r.missing), (root.join(real), missing), "{written}");
        }
        let refused = [
            ("$APPDATA/new/../x", true, "forbidden"),
            ("$APPDATA/new/./x", true, "forbidden"),
            ("$APPDATA/new//x", true, "forbidden"),
            ("$APPDATA/notes/..", false, "forbidden"),
            ("$APPDATA/notes/.", false, "forbidden"),
            ("/", false, "forbidden"),
            ("$NOPE/x", true, "bad_args"),
            ("data/x", true, "bad_args"),
        ];
        for (written, follow, code) in refused {
            let e = resolve(&dirs, written, follow).unwrap_err();
            assert_eq!(e.code(), code, "{written}");
        }
    }

    #[test]
    fn scope_bases_are_real_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        let dirs = AppDirs::under(&root);
        fs::create_dir_all(root.join("data/notes")).unwrap();
        let scope = Scope::new(
            &[
                "$APPDATA/notes/*.md".into(),
                format!("{}/home/**", root.display()),
                "$NOPE/**".into(),
                "$APPDATA/[".into(),
            ],
            &dirs,
        );
        assert_eq!(scope.entries.len(), 2);
        let notes = root.join("data/notes");
        assert_eq!(scope.allows(&root.join("data/notes/a.md")), Some(&*notes));
        assert!(scope.allows(&root.join("data/notes/a.txt")).is_none());
        assert!(scope.allows(&root.join("data/notes")).is_none());
        assert!(scope.reaches(&root.join("data/notes")).is_some());
        assert!(scope.reaches(&root.join("data")).is_none());
        assert!(scope.allows(&root.join("home")).is_some());
        assert!(scope.allows(&root.join("home/x/y")).is_some());
        assert!(scope.allows(&root.join("homeless")).is_none());
    }

    #[test]
    fn user_selected_is_literal() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        let dirs = AppDirs::under(&root);
        for f in ["a[b]*.txt", "ab.txt", "a[b]x.txt"] {
            fs::write(root.join(f), "").unwrap();
        }
        fs::create_dir_all(root.join("picked/sub")).unwrap();
        fs::create_dir_all(root.join("pickedness")).unwrap();
        let none = Scope::new(&[USER_SELECTED.into()], &dirs);
        assert!(none.allows(&root.join("a[b]*.txt")).is_none());
        dirs.picked.add(&root.join("a[b]*.txt"), false).unwrap();
        dirs.picked
            .add(&root.join("picked/../picked"), true)
            .unwrap();
        let scope = Scope::new(&[USER_SELECTED.into()], &dirs);
        assert!(scope.allows(&root.join("a[b]*.txt")).is_some());
        for other in ["ab.txt", "a[b]x.txt", "pickedness", "pickedness/x"] {
            assert!(scope.allows(&root.join(other)).is_none(), "{other}");
        }
        assert!(scope.allows(&root.join("picked")).is_some());
        assert!(scope.allows(&root.join("picked/sub/new.md")).is_some());
        assert!(scope.allows(&root).is_none());
        assert!(scope.reaches(&root).is_some()); // the way in, for `list`
    }
}
