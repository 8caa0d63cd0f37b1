//! Opening a path with no symlink anywhere on the way, so that the file operated on is the one
//! a check looked at. A caller resolves a path (following links while they lead somewhere
//! allowed) and checks it; what it then opens is that resolved path, whose components are all
//! real folders: a symlink found there now was swapped in after the check, and the open fails
//! (`ELOOP`/`EXDEV`) instead of following it.
//!
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)` does the walk in the
//! kernel (Linux 5.6+): nothing can leave the anchor folder, `..` included. On a kernel without
//! it (`ENOSYS`) each component is opened in turn with `openat(O_NOFOLLOW)`, which refuses the
//! same links. Tests force the fallback with [`force_walk_on_this_thread`].

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once `openat2` answered `ENOSYS`.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

thread_local! {
    static WALK_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes every later open on the calling thread take the `O_NOFOLLOW` walk, as on a kernel
/// without `openat2`. For tests of the fallback: other threads are not affected.
pub fn force_walk_on_this_thread() {
    WALK_HERE.with(|w| w.set(true));
}

/// Opens `path` (absolute, with no symlink in it) with `flags` (`O_CLOEXEC | O_NOCTTY` are
/// added; `mode` applies with `O_CREAT`). It is opened beneath `anchor` when `path` lies
/// strictly below it (the scope's root), else beneath its own parent; the anchor itself is
/// opened from `/` the same way.
pub fn open(anchor: &Path, path: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let anchor = if path.starts_with(anchor) && path != anchor {
        anchor
    } else {
        path.parent().unwrap_or(Path::new("/"))
    };
    let root = open_root()?;
    let dir = match anchor.strip_prefix("/") {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            at(root.as_fd_ref(), rel, libc::O_PATH | libc::O_DIRECTORY, 0)?
        }
        _ => root,
    };
    match path.strip_prefix(anchor) {
        Ok(rel) if !rel.as_os_str().is_empty() => at(dir.as_fd_ref(), rel, flags, mode),
        _ => at(dir.as_fd_ref(), Path::new("."), flags, mode),
    }
}

/// `rel` (plain names only) opened beneath `dir`, no symlink followed.
pub fn at(dir: BorrowedFd<'_>, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    // `openat2` refuses any flag beside `O_PATH` that has no meaning with it.
    let flags = if flags & libc::O_PATH != 0 {
        flags | libc::O_CLOEXEC
    } else {
        flags | libc::O_CLOEXEC | libc::O_NOCTTY
    };
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "only plain names can be opened beneath a folder",
        ));
    }
    if !NO_OPENAT2.load(Ordering::Relaxed) && !WALK_HERE.with(std::cell::Cell::get) {
        match openat2(dir, rel, flags, mode) {
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
            }
            other => return other,
        }
    }
    walk(dir, rel, flags, mode)
}

fn open_root() -> io::Result<OwnedFd> {
    let fd = unsafe {
        // SAFETY: a valid NUL-terminated path; the fd returned is ours alone.
        libc::open(
            c"/".as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    owned(fd)
}

fn openat2(dir: BorrowedFd<'_>, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let name = c_name(rel.as_os_str())?;
    // SAFETY: `open_how` is plain data; all-zero is its documented default.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = u64::from(flags.cast_unsigned());
    how.mode = if flags & libc::O_CREAT != 0 {
        u64::from(mode)
    } else {
        0
    };
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // The kernel asks for a retry when a rename elsewhere raced the walk.
    for _ in 0..16 {
        let fd = unsafe {
            // SAFETY: the pointers are valid for the call and the size is the struct's.
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                name.as_ptr(),
                &raw const how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        match owned(i32::try_from(fd).unwrap_or(-1)) {
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => continue,
            other => return other,
        }
    }
    Err(io::Error::from_raw_os_error(libc::EAGAIN))
}

/// The fallback: one `openat(O_NOFOLLOW)` per name. `O_PATH | O_NOFOLLOW` opens a link itself
/// rather than failing, so each step is checked not to be one.
fn walk(dir: BorrowedFd<'_>, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let names: Vec<&OsStr> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let Some((last, folders)) = names.split_last() else {
        return openat(dir, OsStr::new("."), flags, mode);
    };
    let mut here: Option<OwnedFd> = None;
    for name in folders {
        let from = here.as_ref().map_or(dir, OwnedFd::as_fd_ref);
        let next = openat(
            from,
            name,
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0,
        )?;
        match fstat(next.as_fd_ref())?.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {}
            libc::S_IFLNK => return Err(io::Error::from_raw_os_error(libc::ELOOP)),
            _ => return Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
        }
        here = Some(next);
    }
    let from = here.as_ref().map_or(dir, OwnedFd::as_fd_ref);
    // `O_DIRECTORY | O_NOFOLLOW` on a link says `ENOTDIR`, and by the time one looks the link
    // may be gone: a folder is first opened as a path, looked at, then opened through that fd.
    if flags & libc::O_DIRECTORY != 0 {
        let path = openat(
            from,
            last,
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0,
        )?;
        return match fstat(path.as_fd_ref())?.st_mode & libc::S_IFMT {
            libc::S_IFDIR if flags & libc::O_PATH != 0 => Ok(path),
            libc::S_IFDIR => openat(path.as_fd_ref(), OsStr::new("."), flags, mode),
            libc::S_IFLNK => Err(io::Error::from_raw_os_error(libc::ELOOP)),
            _ => Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
        };
    }
    let fd = openat(from, last, flags | libc::O_NOFOLLOW, mode)?;
    // `O_PATH | O_NOFOLLOW` opens a link as itself rather than failing.
    if fstat(fd.as_fd_ref())?.st_mode & libc::S_IFMT == libc::S_IFLNK {
        return Err(io::Error::from_raw_os_error(libc::ELOOP));
    }
    Ok(fd)
}

fn openat(dir: BorrowedFd<'_>, name: &OsStr, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let name = c_name(name)?;
    let fd = unsafe {
        // SAFETY: a valid fd and NUL-terminated name; the fd returned is ours alone.
        libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode)
    };
    owned(fd)
}

/// `fstat` of an open file (an `O_PATH` one too).
pub fn fstat(fd: BorrowedFd<'_>) -> io::Result<libc::stat> {
    // SAFETY: `stat` is plain data, filled in by the kernel.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::fstat(fd.as_raw_fd(), &raw mut st) };
    if r == 0 {
        Ok(st)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `fstatat(AT_SYMLINK_NOFOLLOW)` of `name` in `dir`: a link as itself.
pub fn lstat_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<libc::stat> {
    let name = c_name(name)?;
    // SAFETY: as in `fstat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let r = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &raw mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if r == 0 {
        Ok(st)
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a name with a NUL byte"))
}

fn owned(fd: i32) -> io::Result<OwnedFd> {
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: a fresh fd that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// `as_fd` under a name that does not need the trait in scope at every call.
trait FdRef {
    fn as_fd_ref(&self) -> BorrowedFd<'_>;
}

impl FdRef for OwnedFd {
    fn as_fd_ref(&self) -> BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(self)
    }
}

/// The names in the folder open as `dir` (`.` and `..` left out).
pub fn entries(dir: BorrowedFd<'_>) -> io::Result<Vec<std::ffi::OsString>> {
    // `fdopendir` takes the fd it is given: hand it a fresh one, reading from the start.
    let fd = openat(
        dir,
        OsStr::new("."),
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )?;
    let raw = std::os::fd::IntoRawFd::into_raw_fd(fd);
    // SAFETY: `raw` is an open folder fd; on success `fdopendir` owns it.
    let stream = unsafe { libc::fdopendir(raw) };
    if stream.is_null() {
        let e = io::Error::last_os_error();
        // SAFETY: still ours when `fdopendir` failed.
        unsafe { libc::close(raw) };
        return Err(e);
    }
    let mut names = Vec::new();
    let result = loop {
        // SAFETY: errno is thread-local; resetting it tells the end from an error.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: `stream` is open until `closedir` below.
        let entry = unsafe { libc::readdir64(stream) };
        if entry.is_null() {
            let e = io::Error::last_os_error();
            break if e.raw_os_error() == Some(0) {
                Ok(())
            } else {
                Err(e)
            };
        }
        // SAFETY: `d_name` is NUL-terminated within the entry, valid until the next readdir.
        let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) };
        let name = OsStr::from_bytes(name.to_bytes());
        if name != "." && name != ".." {
            names.push(name.to_os_string());
        }
    };
    // SAFETY: closes the stream and its fd, once.
    unsafe { libc::closedir(stream) };
    result.map(|()| names)
}

/// Removes `name` in `dir` and, if it is a folder, everything in it, never following a link
/// (a link is removed as itself).
pub fn remove_tree(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let st = lstat_at(dir, name)?;
    if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
        return unlink_at(dir, name, 0);
    }
    let sub = openat(
        dir,
        name,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        0,
    )?;
    for entry in entries(sub.as_fd_ref())? {
        remove_tree(sub.as_fd_ref(), &entry)?;
    }
    unlink_at(dir, name, libc::AT_REMOVEDIR)
}

/// `unlinkat`: a file or link (`flags` 0) or an empty folder (`AT_REMOVEDIR`).
pub fn unlink_at(dir: BorrowedFd<'_>, name: &OsStr, flags: i32) -> io::Result<()> {
    let name = c_name(name)?;
    // SAFETY: a valid fd and NUL-terminated name.
    let r = unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), flags) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `renameat`: moves a name (a link as itself) from one open folder to another.
pub fn rename_at(
    from_dir: BorrowedFd<'_>,
    from: &OsStr,
    to_dir: BorrowedFd<'_>,
    to: &OsStr,
) -> io::Result<()> {
    let (from, to) = (c_name(from)?, c_name(to)?);
    // SAFETY: valid fds and NUL-terminated names.
    let r = unsafe {
        libc::renameat(
            from_dir.as_raw_fd(),
            from.as_ptr(),
            to_dir.as_raw_fd(),
            to.as_ptr(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `mkdirat`: a folder `name` in `dir`; one already there is fine if it is a real folder.
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: a valid fd and NUL-terminated name.
    let r = unsafe { libc::mkdirat(dir.as_raw_fd(), c.as_ptr(), 0o777) };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EEXIST)
        && lstat_at(dir, name)?.st_mode & libc::S_IFMT == libc::S_IFDIR
    {
        return Ok(());
    }
    Err(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// Every case runs through `openat2` and through the walk.
    fn both(f: impl Fn(&dyn Fn(&Path, &Path, i32) -> io::Result<OwnedFd>)) {
        f(&|a, p, fl| open(a, p, fl, 0));
        f(&|a, p, fl| {
            let root = open_root()?;
            let rel = p
                .strip_prefix("/")
                .map_err(|_| io::ErrorKind::InvalidInput)?;
            let _ = a;
            walk(root.as_fd_ref(), rel, fl, 0)
        });
    }

    #[test]
    fn no_link_is_followed_on_either_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        fs::create_dir_all(root.join("scope/d")).unwrap();
        fs::write(root.join("scope/d/f"), "in").unwrap();
        fs::write(root.join("secret"), "out").unwrap();
        symlink(root.join("secret"), root.join("scope/link")).unwrap();
        symlink(root.join("scope/d"), root.join("scope/dirlink")).unwrap();
        let scope = root.join("scope");
        both(|open| {
            let fd = open(&scope, &scope.join("d/f"), libc::O_RDONLY).unwrap();
            assert_eq!(io::read_to_string(fs::File::from(fd)).unwrap(), "in");
            for (p, flags) in [
                ("link", libc::O_RDONLY),
                ("link", libc::O_PATH),
                ("dirlink/f", libc::O_RDONLY),
                ("dirlink", libc::O_PATH | libc::O_DIRECTORY),
            ] {
                let e = open(&scope, &scope.join(p), flags).unwrap_err();
                assert!(
                    matches!(
                        e.raw_os_error(),
                        Some(libc::ELOOP | libc::EXDEV | libc::ENOTDIR)
                    ),
                    "{p}: {e}"
                );
            }
        });
        assert!(at(open_root().unwrap().as_fd_ref(), Path::new("a/../b"), 0, 0).is_err());
    }

    #[test]
    fn listing_and_removing_by_fd() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        fs::create_dir_all(root.join("t/a/b")).unwrap();
        fs::write(root.join("t/a/b/f"), "").unwrap();
        fs::write(root.join("keep"), "kept").unwrap();
        symlink(&root, root.join("t/a/up")).unwrap();
        let dir = open(
            &root,
            &root.join("t"),
            libc::O_RDONLY | libc::O_DIRECTORY,
            0,
        )
        .unwrap();
        assert_eq!(entries(dir.as_fd_ref()).unwrap(), ["a"]);
        remove_tree(dir.as_fd_ref(), OsStr::new("a")).unwrap();
        assert!(entries(dir.as_fd_ref()).unwrap().is_empty());
        assert_eq!(fs::read_to_string(root.join("keep")).unwrap(), "kept");
    }
}
