//! `fs.*`: files for the page, confined to the endpoint's `scope`. Access is denied by default:
//! every path is resolved by [`scope`] and must be granted before anything is read, written or
//! listed. Paths in replies and messages are always the page's own (`$APPDATA/a.md`), never
//! the resolved ones. What is checked is what is operated on: each path is opened beneath the
//! root of the scope entry that granted it with no symlink followed ([`beneath`]), so a link
//! another process swaps in after the check fails the call instead of redirecting it. Wiring into the dispatcher (which endpoint, which scope, the size limit)
//! is the caller's job.

mod scope;

use std::ffi::OsStr;
use std::fs;
use std::io::{ErrorKind, Read as _};
use std::os::fd::{AsFd as _, OwnedFd};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use self::scope::{Resolved, Scope, outside, resolve};
use super::paths::AppDirs;
use crate::fs_util::{Mode, beneath};
use crate::ipc::{IpcError, Reply};

/// Runs `fs.<op>`. `scope` is the endpoint's globs as the manifest wrote them; `data` the raw
/// bytes argument, which only `write_bytes` takes; `max_read` bounds what a read may return.
pub fn call(
    op: &str,
    args: &Value,
    data: Option<Vec<u8>>,
    scope: &[String],
    dirs: &AppDirs,
    max_read: u64,
) -> Result<Reply, IpcError> {
    if data.is_some() && op != "write_bytes" {
        return Err(IpcError::BadArgs(format!(
            "`fs.{op}` takes JSON arguments, not bytes"
        )));
    }
    let files = Files {
        scope: Scope::new(scope, dirs),
        dirs,
    };
    let path = || text(args, "path");
    let done = Value::Null;
    Ok(Reply::Json(match op {
        "read_text" => {
            let p = path()?;
            let bytes = files.read(p, max_read)?;
            let not_text = |_| io_error(ErrorKind::InvalidData, format!("`{p}` is not UTF-8 text"));
            String::from_utf8(bytes).map_err(not_text)?.into()
        }
        "read_bytes" => return Ok(Reply::Bytes(files.read(path()?, max_read)?)),
        "write_text" => {
            files.write(path()?, text(args, "text")?.as_bytes())?;
            done
        }
        "write_bytes" => {
            let bytes = data.ok_or_else(|| {
                IpcError::BadArgs("`fs.write_bytes` takes the bytes to write as its data".into())
            })?;
            files.write(path()?, &bytes)?;
            done
        }
        "list" => files.list(path()?)?,
        "stat" => files.stat(path()?)?,
        "exists" => files.exists(path()?)?.into(),
        "mkdir" => {
            files.mkdir(path()?)?;
            done
        }
        "remove" => {
            let recursive = match args.get("recursive") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    return Err(IpcError::BadArgs("`recursive` must be a boolean".into()));
                }
            };
            files.remove(path()?, recursive)?;
            done
        }
        "rename" => {
            files.rename(text(args, "from")?, text(args, "to")?)?;
            done
        }
        _ => return Err(IpcError::NotFound(format!("fs.{op}"))),
    }))
}

fn text<'a>(args: &'a Value, key: &str) -> Result<&'a str, IpcError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| IpcError::BadArgs(format!("expected `{key}`, a string")))
}

fn io_error(kind: ErrorKind, message: String) -> IpcError {
    IpcError::io_message(kind, message)
}

struct Files<'a> {
    scope: Scope,
    dirs: &'a AppDirs,
}

/// `open`'s flags for reading: a FIFO opened without `O_NONBLOCK` would wait for a writer.
const READ: i32 = libc::O_RDONLY | libc::O_NONBLOCK;
/// A folder, opened so that it can be listed, synced and written in.
const FOLDER: i32 = libc::O_RDONLY | libc::O_DIRECTORY;

impl Files<'_> {
    /// `written`, resolved, and the root of the scope entry that grants it.
    fn granted(&self, written: &str, follow_last: bool) -> Result<(Resolved, PathBuf), IpcError> {
        let r = resolve(self.dirs, written, follow_last)?;
        match self.scope.allows(&r.real) {
            Some(root) => {
                let root = root.to_path_buf();
                Ok((r, root))
            }
            None => Err(outside(written)),
        }
    }

    /// Opens the checked path `real` beneath `root` with no symlink followed: one swapped in
    /// since the check makes it fail as `forbidden`, like any other way out of the scope.
    fn open(&self, p: &str, root: &Path, real: &Path, flags: i32) -> Result<OwnedFd, IpcError> {
        beneath::open(root, real, flags, 0).map_err(|e| opened(p, &e))
    }

    /// The folder `real` is in, opened beneath `root`, and `real`'s name in it.
    fn parent<'r>(
        &self,
        p: &str,
        root: &Path,
        real: &'r Path,
    ) -> Result<(OwnedFd, &'r OsStr), IpcError> {
        let (Some(dir), Some(name)) = (real.parent(), real.file_name()) else {
            return Err(outside(p));
        };
        Ok((self.open(p, root, dir, FOLDER)?, name))
    }

    fn read(&self, p: &str, max: u64) -> Result<Vec<u8>, IpcError> {
        let (r, root) = self.granted(p, true)?;
        let io = |e| IpcError::io(p, &e);
        let file = fs::File::from(self.open(p, &root, &r.real, READ)?);
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(io_error(
                ErrorKind::IsADirectory,
                format!("`{p}` is a folder"),
            ));
        }
        // A FIFO, a socket or a device could block, never end, or be something else entirely.
        if !meta.is_file() {
            return Err(io_error(
                ErrorKind::Other,
                format!("`{p}` is not a regular file"),
            ));
        }
        let too_large = || IpcError::TooLarge(usize::try_from(max).unwrap_or(usize::MAX));
        if meta.len() > max {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        // The file may grow after the size check: never read more than the limit allows.
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > max {
            return Err(too_large());
        }
        Ok(bytes)
    }

    fn write(&self, p: &str, bytes: &[u8]) -> Result<(), IpcError> {
        let (r, root) = self.granted(p, true)?;
        if r.missing > 1 {
            return Err(io_error(
                ErrorKind::NotFound,
                format!("the folder of `{p}` does not exist"),
            ));
        }
        let (dir, name) = self.parent(p, &root, &r.real)?;
        // Renaming over a FIFO or a device would work, but it was not a file the page wrote.
        if let Ok(st) = beneath::lstat_at(dir.as_fd(), name) {
            match st.st_mode & libc::S_IFMT {
                libc::S_IFREG | libc::S_IFLNK => {}
                libc::S_IFDIR => {
                    return Err(io_error(
                        ErrorKind::IsADirectory,
                        format!("`{p}` is a folder"),
                    ));
                }
                _ => {
                    return Err(io_error(
                        ErrorKind::Other,
                        format!("`{p}` is not a regular file"),
                    ));
                }
            }
        }
        crate::fs_util::replace_in(dir.as_fd(), name, bytes, Mode::Keep)
            .map_err(|e| IpcError::io(p, &e))
    }

    /// The entries the scope reaches: granted files, and folders granted or on the way to
    /// something granted. A symlink is shown only if where it leads is.
    fn list(&self, p: &str) -> Result<Value, IpcError> {
        let r = resolve(self.dirs, p, true)?;
        let Some(root) = self.scope.reaches(&r.real) else {
            return Err(outside(p));
        };
        let io = |e| IpcError::io(p, &e);
        let dir = self.open(p, root, &r.real, FOLDER)?;
        let mut out = Vec::new();
        for name in beneath::entries(dir.as_fd()).map_err(io)? {
            let Ok(name_text) = name.clone().into_string() else {
                continue; // a page could not name it anyway
            };
            let Ok(st) = beneath::lstat_at(dir.as_fd(), &name) else {
                continue; // gone since
            };
            let link = st.st_mode & libc::S_IFMT == libc::S_IFLNK;
            let (target, st) = if link {
                // Where it leads, checked, then looked at without following anything more.
                let Ok(target) = fs::canonicalize(r.real.join(&name)) else {
                    continue; // dangling
                };
                let Some(root) = self.scope.reaches(&target) else {
                    continue;
                };
                let Ok(fd) = beneath::open(root, &target, libc::O_PATH, 0) else {
                    continue;
                };
                let Ok(st) = beneath::fstat(fd.as_fd()) else {
                    continue;
                };
                (target, st)
            } else {
                (r.real.join(&name), st)
            };
            let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
            let visible = if is_dir {
                self.scope.reaches(&target).is_some()
            } else {
                self.scope.allows(&target).is_some()
            };
            if visible {
                let kind = if link { "symlink" } else { kind(&st) };
                out.push(json!({ "name": name_text, "kind": kind, "size": st.st_size }));
            }
        }
        out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(out.into())
    }

    fn stat(&self, p: &str) -> Result<Value, IpcError> {
        let (r, root) = self.granted(p, true)?;
        let fd = self.open(p, &root, &r.real, libc::O_PATH)?;
        let st = beneath::fstat(fd.as_fd()).map_err(|e| IpcError::io(p, &e))?;
        let modified = u64::try_from(st.st_mtime).ok().map(|s| {
            s.saturating_mul(1000) + u64::try_from(st.st_mtime_nsec / 1_000_000).unwrap_or(0)
        });
        Ok(json!({
            "kind": kind(&st),
            "size": st.st_size,
            "modified": modified,
            "readonly": st.st_mode & 0o222 == 0,
        }))
    }

    fn exists(&self, p: &str) -> Result<bool, IpcError> {
        let (r, root) = self.granted(p, true)?;
        if r.missing > 0 {
            return Ok(false);
        }
        match beneath::open(&root, &r.real, libc::O_PATH, 0) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(opened(p, &e)),
        }
    }

    /// Creates the folder and its missing parents, each of which the scope must grant, one
    /// name at a time beneath the last folder made.
    fn mkdir(&self, p: &str) -> Result<(), IpcError> {
        let r = resolve(self.dirs, p, true)?;
        let created: Vec<&Path> = r.real.ancestors().take(r.missing.max(1)).collect();
        let mut roots = created.iter().map(|dir| self.scope.allows(dir));
        let Some(Some(root)) = roots.next() else {
            return Err(outside(p));
        };
        if !roots.all(|r| r.is_some()) {
            return Err(outside(p));
        }
        let io = |e| IpcError::io(p, &e);
        let existing = r
            .real
            .ancestors()
            .nth(r.missing)
            .ok_or_else(|| outside(p))?;
        let mut dir = beneath::open(root, existing, libc::O_PATH | libc::O_DIRECTORY, 0).map_err(
            |e| match e.raw_os_error() {
                // What is there is not a folder (a file at the very path, as `mkdir -p` says).
                Some(libc::ENOTDIR) if r.missing == 0 => {
                    IpcError::io(p, &std::io::Error::from_raw_os_error(libc::EEXIST))
                }
                _ => opened(p, &e),
            },
        )?;
        for name in created
            .iter()
            .rev()
            .filter_map(|d| d.file_name())
            .take(r.missing)
        {
            beneath::mkdir_at(dir.as_fd(), name).map_err(io)?;
            dir = beneath::at(
                dir.as_fd(),
                Path::new(name),
                libc::O_PATH | libc::O_DIRECTORY,
                0,
            )
            .map_err(|e| opened(p, &e))?;
        }
        Ok(())
    }

    fn remove(&self, p: &str, recursive: bool) -> Result<(), IpcError> {
        let (r, root) = self.granted(p, false)?;
        let io = |e| IpcError::io(p, &e);
        let (dir, name) = self.parent(p, &root, &r.real)?;
        let st = beneath::lstat_at(dir.as_fd(), name).map_err(io)?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return beneath::unlink_at(dir.as_fd(), name, 0).map_err(io);
        }
        if !recursive {
            return beneath::unlink_at(dir.as_fd(), name, libc::AT_REMOVEDIR).map_err(io);
        }
        self.all_granted_below(p, &r.real)?;
        beneath::remove_tree(dir.as_fd(), name).map_err(io)
    }

    /// Moves a path, a symlink as itself. A folder moves only if the scope grants everything
    /// in it: otherwise moving it under a wider glob would grant what was not.
    fn rename(&self, from: &str, to: &str) -> Result<(), IpcError> {
        let (a, a_root) = self.granted(from, false)?;
        let (b, b_root) = self.granted(to, false)?;
        let io =
            |e: std::io::Error| io_error(e.kind(), format!("renaming `{from}` to `{to}`: {e}"));
        let (a_dir, a_name) = self.parent(from, &a_root, &a.real)?;
        let (b_dir, b_name) = self.parent(to, &b_root, &b.real)?;
        let st = beneath::lstat_at(a_dir.as_fd(), a_name).map_err(io)?;
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            self.all_granted_below(from, &a.real)?;
        }
        beneath::rename_at(a_dir.as_fd(), a_name, b_dir.as_fd(), b_name).map_err(io)
    }

    /// Refuses a whole-folder operation if the folder holds anything the scope does not grant
    /// (a narrow scope such as `$APPDATA/d` and `$APPDATA/d/*.md`).
    fn all_granted_below(&self, p: &str, real: &Path) -> Result<(), IpcError> {
        for entry in walkdir::WalkDir::new(real).min_depth(1) {
            // walkdir's own message names the real path: use only the OS error.
            let entry = entry.map_err(|e| match e.io_error() {
                Some(io) => IpcError::io(p, io),
                None => io_error(ErrorKind::Other, format!("`{p}` could not be walked")),
            })?;
            if self.scope.allows(entry.path()).is_none() {
                return Err(IpcError::Forbidden(format!(
                    "`{p}` holds files outside this endpoint's scope"
                )));
            }
        }
        Ok(())
    }
}

/// An error opening a checked path. A link met on the way (`ELOOP`), or a way out of the root
/// (`EXDEV`), was put there after the check: the same `forbidden` as any path outside.
fn opened(p: &str, e: &std::io::Error) -> IpcError {
    match e.raw_os_error() {
        Some(libc::ELOOP | libc::EXDEV) => outside(p),
        _ => IpcError::io(p, e),
    }
}

fn kind(st: &libc::stat) -> &'static str {
    match st.st_mode & libc::S_IFMT {
        libc::S_IFLNK => "symlink",
        libc::S_IFDIR => "dir",
        libc::S_IFREG => "file",
        _ => "other",
    }
}

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;
