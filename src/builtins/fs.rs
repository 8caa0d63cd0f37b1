//! `fs.*`: files for the page, confined to the endpoint's `scope`. Access is denied by default:
//! every path is resolved by [`scope`] and must be granted before anything is read, written or
//! listed. Paths in replies and messages are always the page's own (`$APPDATA/a.md`), never
//! the resolved ones. Wiring into the dispatcher (which endpoint, which scope, the size limit)
//! is the caller's job.

mod scope;

use std::fs;
use std::io::{ErrorKind, Read as _};
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};

use self::scope::{Resolved, Scope, outside, resolve};
use super::paths::AppDirs;
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
        "exists" => (files.granted(path()?, true)?.missing == 0).into(),
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

impl Files<'_> {
    /// `written`, resolved, if the scope grants it.
    fn granted(&self, written: &str, follow_last: bool) -> Result<Resolved, IpcError> {
        let r = resolve(self.dirs, written, follow_last)?;
        if self.scope.allows(&r.real) {
            Ok(r)
        } else {
            Err(outside(written))
        }
    }

    fn read(&self, p: &str, max: u64) -> Result<Vec<u8>, IpcError> {
        let r = self.granted(p, true)?;
        let io = |e| IpcError::io(p, &e);
        let meta = fs::metadata(&r.real).map_err(io)?;
        if meta.is_dir() {
            return Err(io_error(
                ErrorKind::IsADirectory,
                format!("`{p}` is a folder"),
            ));
        }
        // A FIFO or a device could block or never end.
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
        fs::File::open(&r.real)
            .and_then(|f| f.take(max.saturating_add(1)).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > max {
            return Err(too_large());
        }
        Ok(bytes)
    }

    fn write(&self, p: &str, bytes: &[u8]) -> Result<(), IpcError> {
        let r = self.granted(p, true)?;
        if r.missing > 1 {
            return Err(io_error(
                ErrorKind::NotFound,
                format!("the folder of `{p}` does not exist"),
            ));
        }
        crate::fs_util::replace_atomic(&r.real, bytes).map_err(|e| IpcError::io(p, &e))
    }

    /// The entries the scope reaches: granted files, and folders granted or on the way to
    /// something granted. A symlink is shown only if where it leads is.
    fn list(&self, p: &str) -> Result<Value, IpcError> {
        let r = resolve(self.dirs, p, true)?;
        if !self.scope.reaches(&r.real) {
            return Err(outside(p));
        }
        let io = |e| IpcError::io(p, &e);
        let mut out = Vec::new();
        for entry in fs::read_dir(&r.real).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Ok(name) = entry.file_name().into_string() else {
                continue; // a page could not name it anyway
            };
            let here = r.real.join(&name);
            let link = entry.file_type().map_err(io)?.is_symlink();
            let Ok(target) = (if link {
                fs::canonicalize(&here)
            } else {
                Ok(here)
            }) else {
                continue; // dangling
            };
            let Ok(meta) = fs::metadata(&target) else {
                continue;
            };
            let visible = if meta.is_dir() {
                self.scope.reaches(&target)
            } else {
                self.scope.allows(&target)
            };
            if visible {
                let kind = if link { "symlink" } else { kind(&meta) };
                out.push(json!({ "name": name, "kind": kind, "size": meta.len() }));
            }
        }
        out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(out.into())
    }

    fn stat(&self, p: &str) -> Result<Value, IpcError> {
        let r = self.granted(p, true)?;
        let meta = fs::metadata(&r.real).map_err(|e| IpcError::io(p, &e))?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Ok(json!({
            "kind": kind(&meta),
            "size": meta.len(),
            "modified": modified,
            "readonly": meta.permissions().readonly(),
        }))
    }

    /// Creates the folder and its missing parents, each of which the scope must grant.
    fn mkdir(&self, p: &str) -> Result<(), IpcError> {
        let r = resolve(self.dirs, p, true)?;
        let mut created = r.real.ancestors().take(r.missing.max(1));
        if !created.all(|dir| self.scope.allows(dir)) {
            return Err(outside(p));
        }
        fs::create_dir_all(&r.real).map_err(|e| IpcError::io(p, &e))
    }

    fn remove(&self, p: &str, recursive: bool) -> Result<(), IpcError> {
        let r = self.granted(p, false)?;
        let io = |e| IpcError::io(p, &e);
        let meta = fs::symlink_metadata(&r.real).map_err(io)?;
        if !meta.is_dir() {
            return fs::remove_file(&r.real).map_err(io);
        }
        if !recursive {
            return fs::remove_dir(&r.real).map_err(io);
        }
        self.all_granted_below(p, &r.real)?;
        fs::remove_dir_all(&r.real).map_err(io)
    }

    /// Moves a path, a symlink as itself. A folder moves only if the scope grants everything
    /// in it: otherwise moving it under a wider glob would grant what was not.
    fn rename(&self, from: &str, to: &str) -> Result<(), IpcError> {
        let a = self.granted(from, false)?;
        let b = self.granted(to, false)?;
        let io =
            |e: std::io::Error| io_error(e.kind(), format!("renaming `{from}` to `{to}`: {e}"));
        if fs::symlink_metadata(&a.real).map_err(io)?.is_dir() {
            self.all_granted_below(from, &a.real)?;
        }
        fs::rename(&a.real, &b.real).map_err(io)
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
            if !self.scope.allows(entry.path()) {
                return Err(IpcError::Forbidden(format!(
                    "`{p}` holds files outside this endpoint's scope"
                )));
            }
        }
        Ok(())
    }
}

fn kind(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "dir"
    } else if t.is_file() {
        "file"
    } else {
        "other"
    }
}

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;
