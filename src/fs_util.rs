//! File-system helpers shared by the host: replacing a file atomically, and clearing away what
//! an interrupted replacement leaves behind. They act on the paths they are given; which paths
//! may be touched is the caller's decision.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Numbers this process's writes, so two threads writing one file never share a temp file.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// A temp file older than this is taken to be abandoned even if its writer's pid is alive
/// (the pid may have been reused).
const STALE_AFTER: Duration = Duration::from_secs(60);

/// [`replace_atomic`] for the host's own files: creates the folder first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    replace_atomic(path, bytes)
}

/// Writes beside the target, syncs, renames over it, and syncs the folder, so that a reader, or
/// the next start after a crash, sees the old file or the new one, never half of one. The
/// folder must exist: for a path a page names, a missing folder is an error, not a surprise
/// `mkdir -p`. The target keeps its permissions.
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, bytes, None)
}

/// [`replace_atomic`] for a program: the file ends up with mode 0755 (an executable
/// `apphost package` writes), whatever was there before.
pub fn replace_executable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, bytes, Some(0o755))
}

fn replace_with(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(temp_name(name, std::process::id(), n));
    // `create_new` (O_EXCL) fails on anything already there, a planted symlink included,
    // instead of writing through it.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let result = (|| {
        match mode {
            Some(mode) => {
                use std::os::unix::fs::PermissionsExt as _;
                file.set_permissions(fs::Permissions::from_mode(mode))?;
            }
            None => {
                if let Ok(old) = fs::metadata(path) {
                    file.set_permissions(old.permissions())?;
                }
            }
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `.{name}.{pid}.{n}.tmp`. A very long name is shortened so the temp name stays within the
/// usual 255-byte limit.
fn temp_name(name: &OsStr, pid: u32, n: u64) -> OsString {
    let mut t = OsString::from(".");
    t.push(if name.len() <= 200 {
        name
    } else {
        OsStr::new("apphost")
    });
    t.push(format!(".{pid}.{n}.tmp"));
    t
}

/// Removes the temp files that writes to `path` by dead processes left behind (a `kill -9`
/// mid-write), and any of another process older than a minute. This process's own are left
/// alone: they may be writes in progress. Returns how many went.
pub fn remove_stale_temps(path: &Path) -> io::Result<usize> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name().and_then(OsStr::to_str) else {
        return Ok(0);
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    // Without /proc every pid would look dead; then only age tells.
    let proc_known = Path::new("/proc/self").exists();
    let prefix = format!(".{name}.");
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix)?.strip_suffix(".tmp"))
            .and_then(|middle| {
                let (pid, n) = middle.split_once('.')?;
                n.parse::<u64>().ok()?;
                pid.parse::<u32>().ok()
            })
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let dead = proc_known && !Path::new("/proc").join(pid.to_string()).exists();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() > STALE_AFTER);
        if dead || old {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn threads_writing_one_file_do_not_collide() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.json");
        let values: Vec<Vec<u8>> = (0..8).map(|i| vec![b'a' + i; 100_000]).collect();
        std::thread::scope(|s| {
            for v in &values {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..10 {
                        replace_atomic(path, v).unwrap();
                    }
                });
            }
        });
        assert!(values.contains(&fs::read(&path).unwrap()));
        assert_eq!(names(tmp.path()), ["f.json"]);
    }

    #[test]
    fn keeps_permissions_and_needs_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        replace_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);

        let missing = tmp.path().join("no/such/f");
        let e = replace_atomic(&missing, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        write_atomic(&missing, b"x").unwrap();
        assert_eq!(fs::read(&missing).unwrap(), b"x");
    }

    #[test]
    fn a_failed_write_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("inside"), "").unwrap();
        assert!(replace_atomic(&dir, b"x").is_err()); // renaming over a folder fails
        assert_eq!(names(tmp.path()), ["d"]);
    }

    #[test]
    fn a_planted_symlink_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        fs::write(&victim, "safe").unwrap();
        let path = tmp.path().join("f");
        // Plant links at the names the next writes will use (other tests may take a few).
        let next = WRITES.load(Ordering::Relaxed);
        for n in next..next + 1000 {
            let name = temp_name(OsStr::new("f"), std::process::id(), n);
            std::os::unix::fs::symlink(&victim, tmp.path().join(name)).unwrap();
        }
        let e = replace_atomic(&path, b"evil").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "safe");
        assert!(!path.exists());
    }

    #[test]
    fn stale_temps_of_dead_or_old_writers_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store.json");
        fs::write(&store, "{}").unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let me = std::process::id();
        let files = [
            (format!(".store.json.{dead}.0.tmp"), false, false),
            (format!(".store.json.{me}.7.tmp"), false, true), // ours: maybe in progress
            (".store.json.1.3.tmp".to_string(), false, true), // pid 1 lives, fresh
            (".store.json.1.4.tmp".to_string(), true, false), // pid 1 lives, but old
            (format!(".other.json.{dead}.0.tmp"), false, true),
            (".store.json.x.0.tmp".to_string(), false, true),
        ];
        for (name, old, _) in &files {
            let f = fs::File::create(tmp.path().join(name)).unwrap();
            if *old {
                f.set_modified(SystemTime::now() - 2 * STALE_AFTER).unwrap();
            }
        }
        assert_eq!(remove_stale_temps(&store).unwrap(), 2);
        for (name, _, kept) in &files {
            assert_eq!(tmp.path().join(name).exists(), *kept, "{name}");
        }
        assert_eq!(remove_stale_temps(&tmp.path().join("none/x")).unwrap(), 0);
    }
}
