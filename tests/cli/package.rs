//! `apphost package` and the executables it writes, without a display: what is refused, what
//! is reproducible, and how a damaged, truncated, stripped or too new package fails (with a
//! clear message and an exit code, never a signal). The packaged apps' pages are tested in the
//! real webview in `tests/webview/package.rs`.

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

/// `sample-apps/notes` packaged into `dir/name`.
fn package_notes(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let r = common::run(
        &["package", "sample-apps/notes", "-o", out.to_str().unwrap()],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("packaged "), "{}", r.stderr);
    out
}

/// What running `exe` printed, with no display: a packaged app that gets as far as its
/// windows says it cannot open one.
struct Ran {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
}

fn run_exe(mut c: Command) -> Ran {
    let out = c
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("APPHOST_LOG")
        .output()
        .expect("starting the packaged app");
    Ran {
        code: out.status.code(),
        signal: out.status.signal(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `exe` and expects a clean failure whose message contains `want`.
fn fails_with(exe: &Path, want: &str) {
    let r = run_exe(Command::new(exe));
    assert_eq!(r.signal, None, "killed by a signal: {}", r.stderr);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains(want), "wanted {want:?} in:\n{}", r.stderr);
}

/// Where the payload starts in `exe`.
fn payload_at(exe: &[u8]) -> (usize, usize) {
    let p = apphost::pack::embed::find_in_file(exe).unwrap().unwrap();
    (p.as_ptr() as usize - exe.as_ptr() as usize, p.len())
}

#[test]
fn package_writes_a_reproducible_executable_that_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let a = package_notes(tmp.path(), "a");
    let b = package_notes(tmp.path(), "b");
    let (a_bytes, b_bytes) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(a_bytes == b_bytes, "two packages of the same app differ");
    assert_eq!(
        std::fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o755
    );
    // Nothing but the two executables: no temporary file left behind.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);

    let v = common::run(&["package", "--verify", a.to_str().unwrap()], None);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stderr.contains("every hash checked"), "{}", v.stderr);
    assert!(
        v.stdout.contains("Notes 0.1.0 (dev.apphost.notes)"),
        "{}",
        v.stdout
    );
    assert!(
        v.stdout.contains("scripts/notes.rhai::search"),
        "{}",
        v.stdout
    );

    // With the same host named explicitly, the bytes are the same.
    let c = tmp.path().join("c");
    let r = common::run(
        &[
            "package",
            "sample-apps/notes",
            "-o",
            c.to_str().unwrap(),
            "--host",
            env!("CARGO_BIN_EXE_apphost"),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read(&c).unwrap() == a_bytes);

    // A plain apphost is no package; a package is no host.
    let v = common::run(
        &["package", "--verify", env!("CARGO_BIN_EXE_apphost")],
        None,
    );
    assert_eq!(v.code, 1);
    assert!(
        v.stderr.contains("is not a packaged apphost app"),
        "{}",
        v.stderr
    );
    let r = common::run(
        &[
            "package",
            "sample-apps/hello",
            "-o",
            tmp.path().join("d").to_str().unwrap(),
            "--host",
            a.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("already a packaged app"), "{}", r.stderr);
    let r = common::run(
        &[
            "package",
            "sample-apps/hello",
            "-o",
            "/tmp/x",
            "--host",
            "/bin/true",
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("reads payload format []"), "{}", r.stderr);
}

#[test]
fn package_refuses_an_app_with_errors_and_writes_nothing() {
    let tmp = common::misspelt_app();
    let out = tmp.path().join("out");
    let r = common::run(
        &[
            "package",
            tmp.path().to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown key `widht`"), "{}", r.stderr);
    assert!(r.stderr.contains("not packaged"), "{}", r.stderr);
    assert!(!out.exists());
    let r = common::run(&["package", "sample-apps/notes"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_packaged_app_runs_from_anywhere_and_under_the_dynamic_loader() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = package_notes(tmp.path(), "notes");
    // Without a display the app gets as far as its first window: the payload was found and
    // its manifest checked; the arguments went to the app, not to a command line.
    let mut c = Command::new(&exe);
    c.args(["--help", "check"]).current_dir("/");
    let r = run_exe(c);
    assert_eq!(r.signal, None, "{}", r.stderr);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("cannot open a window"), "{}", r.stderr);

    let interp = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("the dynamic loader");
    let mut c = Command::new(interp);
    c.arg(&exe).current_dir("/");
    let r = run_exe(c);
    assert_eq!(r.signal, None, "{}", r.stderr);
    assert!(r.stderr.contains("cannot open a window"), "{}", r.stderr);
}

#[test]
fn damaged_truncated_stripped_and_newer_packages_fail_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let good = package_notes(tmp.path(), "notes");
    let bytes = std::fs::read(&good).unwrap();
    let (start, len) = payload_at(&bytes);
    let variant = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    };

    // A byte of the index: refused at start, and by --verify.
    let mut b = bytes.clone();
    b[start + 80] ^= 0x01;
    let index = variant("index", &b);
    fails_with(&index, "this app's payload is damaged");
    let v = common::run(&["package", "--verify", index.to_str().unwrap()], None);
    assert_eq!(v.code, 1, "{}", v.stderr);
    drop(std::fs::remove_file(&index));

    // A byte of the last blob: --verify names the damage (the running app refuses that file
    // alone, tested in the webview).
    let mut b = bytes.clone();
    b[start + len - 1] ^= 0x01;
    let blob = variant("blob", &b);
    let v = common::run(&["package", "--verify", blob.to_str().unwrap()], None);
    assert_eq!(v.code, 1, "{}", v.stderr);
    assert!(v.stderr.contains("damaged"), "{}", v.stderr);
    drop(std::fs::remove_file(&blob));

    // Truncated inside the payload, or by one byte.
    for (name, at) in [("cut-mid", start + len / 2), ("cut-1", start + len - 1)] {
        let cut = variant(name, &bytes[..at]);
        fails_with(&cut, "truncated");
        let v = common::run(&["package", "--verify", cut.to_str().unwrap()], None);
        assert_eq!(v.code, 1, "{}", v.stderr);
        assert!(v.stderr.contains("truncated"), "{}", v.stderr);
        drop(std::fs::remove_file(&cut));
    }

    // A payload written by a newer apphost: its format version, with the header hash redone.
    let mut b = bytes.clone();
    b[start + 8..start + 12].copy_from_slice(&7u32.to_le_bytes());
    rehash(&mut b[start..start + len]);
    let newer = variant("newer", &b);
    fails_with(&newer, "newer");
    drop(std::fs::remove_file(&newer));

    // `strip` rewrites libsui's headers: `--verify` says so (see the README's limits).
    let stripped = variant("stripped", &bytes);
    let status = Command::new("strip")
        .arg(&stripped)
        .status()
        .expect("strip (binutils)");
    assert!(status.success());
    let v = common::run(&["package", "--verify", stripped.to_str().unwrap()], None);
    assert_eq!(v.code, 1, "{}", v.stderr);
    assert!(v.stderr.contains("stripped"), "{}", v.stderr);
}

/// Recomputes the check over a payload's header and index (XXH3-128) after a test changed
/// them (the layout is the one `apphost::pack::format` documents).
fn rehash(payload: &mut [u8]) {
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    let host_len = usize::from(u16::from_le_bytes(payload[16..18].try_into().unwrap()));
    let after_host = 18 + host_len;
    let _count = u32_at(payload, after_host);
    let index_len = usize::try_from(u64_at(payload, after_host + 4)).unwrap();
    let header_len = after_host + 4 + 8 + 8 + 8;
    let end = header_len + index_len;
    let check = xxhash_rust::xxh3::xxh3_128(&payload[..end]).to_le_bytes();
    payload[end..end + 16].copy_from_slice(&check);
}

#[test]
fn a_payload_with_a_hostile_path_is_refused_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    std::fs::create_dir_all(app.join("web/zz")).unwrap();
    std::fs::write(app.join("web/index.html"), "<p>x</p>").unwrap();
    std::fs::write(app.join("web/zz/x.txt"), "x").unwrap();
    std::fs::write(
        app.join("app.toml"),
        "[app]\nid = \"dev.example.hostile\"\nname = \"Hostile\"\n",
    )
    .unwrap();
    let exe = tmp.path().join("exe");
    let r = common::run(
        &[
            "package",
            app.to_str().unwrap(),
            "-o",
            exe.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bytes = std::fs::read(&exe).unwrap();
    let (start, len) = payload_at(&bytes);
    // The same payload as written by hand: paths of the same length, the header hash redone,
    // so only the paths are wrong.
    for hostile in [
        "web/../x.txt",
        "%2e%2e/zz/xx",
        "/etc/passwd1",
        "web/zz//x.tx",
    ] {
        assert_eq!(hostile.len(), 12);
        let mut b = bytes.clone();
        let payload = &mut b[start..start + len];
        let at = memchr::memmem::find(payload, b"web/zz/x.txt").unwrap();
        payload[at..at + 12].copy_from_slice(hostile.as_bytes());
        rehash(payload);
        std::fs::write(&exe, &b).unwrap();
        fails_with(&exe, "this app's payload is damaged");
    }
}
