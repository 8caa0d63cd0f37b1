//! File-system helpers shared by the host: replacing a file atomically, clearing away what an
//! interrupted replacement leaves behind, and ([`beneath`]) opening a checked path so that no
//! symlink swapped in since the check is followed. They act on the paths they are given; which paths
//! may be touched is the caller's decision.

pub mod beneath;

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Write as _};
use std::os::fd::{AsFd as _, AsRawFd as _, BorrowedFd};
use std::os::unix::fs::PermissionsExt as _;
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
    create_parent(path)?;
    replace_atomic(path, bytes)
}

/// [`write_atomic`] for a file only this user may read (the store): mode 0600, whatever the
/// old file's was.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_parent(path)?;
    replace_with(path, bytes, Mode::Set(0o600))
}

fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => fs::create_dir_all(dir),
        None => Ok(()),
    }
}

/// Writes beside the target, syncs, renames over it, and syncs the folder, so that a reader, or
/// the next start after a crash, sees the old file or the new one, never half of one. The
/// folder must exist: for a path a page names, a missing folder is an error, not a surprise
/// `mkdir -p`. The target keeps its permissions; a new file is 0600.
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, bytes, Mode::Keep)
}

/// [`replace_atomic`] for a program: the file ends up with mode 0755 (an executable
/// `apphost package` writes), whatever was there before.
pub fn replace_executable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, bytes, Mode::Set(0o755))
}

/// The mode a replaced file ends up with.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// The old file's, if it was a regular file; else 0600.
    Keep,
    Set(u32),
}

fn replace_with(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let dir = fs::File::open(dir)?;
    replace_in(dir.as_fd(), name, bytes, mode)
}

/// [`replace_atomic`] of `name` in the folder open as `dir` (opened for reading, so that it can
/// be synced). The temp file is created `O_EXCL | O_NOFOLLOW` with mode 0600 beside the target:
/// a link planted at its name fails the write instead of being written through, and a link at
/// the target's name is replaced, not followed.
pub fn replace_in(dir: BorrowedFd<'_>, name: &OsStr, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = temp_name(name, std::process::id(), n);
    let fd = beneath::at(
        dir,
        Path::new(&tmp),
        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
        0o600,
    )?;
    let mut file = fs::File::from(fd);
    let result = (|| {
        let mode = match mode {
            Mode::Set(m) => Some(m),
            Mode::Keep => beneath::lstat_at(dir, name)
                .ok()
                .filter(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG)
                .map(|st| st.st_mode & 0o7777),
        };
        if let Some(mode) = mode {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        beneath::rename_at(dir, &tmp, dir, name)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = beneath::unlink_at(dir, &tmp, 0);
    }
    result
}

fn sync_dir(dir: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: a valid fd, borrowed for the call.
    if unsafe { libc::fsync(dir.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
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

    #[test]
    fn new_files_are_private_and_links_at_the_target_are_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("new");
        replace_atomic(&path, b"x").unwrap();
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        let victim = tmp.path().join("victim");
        fs::write(&victim, "safe").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_private(&link, b"{}").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "safe");
        assert!(fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(mode(&link), 0o600);
        assert_eq!(mode(&victim), 0o644);
    }
}
