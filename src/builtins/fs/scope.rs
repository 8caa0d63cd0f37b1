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

use crate::builtins::paths::AppDirs;
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
/// below it. A glob whose base cannot be resolved grants nothing.
pub(super) struct Scope {
    entries: Vec<(PathBuf, Glob)>,
}

impl Scope {
    pub fn new(patterns: &[String], dirs: &AppDirs) -> Scope {
        let entries = patterns
            .iter()
            .filter_map(|pattern| {
                let (base, rest) = literal_prefix(pattern);
                let glob = Glob::new(rest).ok()?;
                let base = resolve(dirs, &base, true).ok()?;
                Some((base.real, glob))
            })
            .collect();
        Scope { entries }
    }

    /// Whether the scope grants `real` (a resolved path).
    pub fn allows(&self, real: &Path) -> bool {
        self.test(real, Glob::matches)
    }

    /// Whether the scope grants `real` or something below it: the folders on the way in.
    pub fn reaches(&self, real: &Path) -> bool {
        self.test(real, Glob::matches_below)
    }

    fn test(&self, real: &Path, f: fn(&Glob, &str) -> bool) -> bool {
        self.entries.iter().any(|(base, glob)| {
            real.strip_prefix(base)
                .ok()
                .and_then(Path::to_str)
                .is_some_and(|rel| f(glob, rel))
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
        assert!(scope.allows(&root.join("data/notes/a.md")));
        assert!(!scope.allows(&root.join("data/notes/a.txt")));
        assert!(!scope.allows(&root.join("data/notes")));
        assert!(scope.reaches(&root.join("data/notes")));
        assert!(!scope.reaches(&root.join("data")));
        assert!(scope.allows(&root.join("home")));
        assert!(scope.allows(&root.join("home/x/y")));
        assert!(!scope.allows(&root.join("homeless")));
    }
}
