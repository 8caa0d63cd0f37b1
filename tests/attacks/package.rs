//! Attacks on a packaged executable's payload, after Electron's integrity checks that missed
//! files they did not cover (CVE-2023-44402: code beside the archive; CVE-2025-55305: the V8
//! snapshot). Every file of an apphost payload (manifest, pages, scripts) is hashed, and
//! nothing beside the executable is read. The webview suite holds a damaged page and an app
//! folder in the working directory (`tests/webview/package.rs`); these take the rest.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::common::copy_dir;
use crate::harness::{launch_program, repo, wait_until};

/// Packages a copy of `fixture` and returns the executable, alone in a folder of its own.
fn package(fixture: &str) -> (PathBuf, tempfile::TempDir) {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_dir(&repo().join(fixture), &src);
    let shipped = work.path().join("shipped");
    std::fs::create_dir(&shipped).unwrap();
    let exe = shipped.join("app");
    let r = crate::common::run(
        &[
            "package",
            src.to_str().unwrap(),
            "-o",
            exe.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::remove_dir_all(&src).unwrap();
    (exe, work)
}

/// Flips one byte in the stored bytes of `path` in the executable.
fn damage(exe: &Path, path: &str) {
    let mut bytes = std::fs::read(exe).unwrap();
    let payload = apphost::pack::embed::find_in_file(&bytes).unwrap().unwrap();
    let p = apphost::pack::format::Payload::open(payload).unwrap();
    let entry = p.get(path).unwrap();
    let at = payload.as_ptr() as usize - bytes.as_ptr() as usize
        + usize::try_from(entry.offset).unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(exe, &bytes).unwrap();
}

/// Runs the packaged `exe` (its home in `work`) and expects it to stop before any window
/// opens, with exit code 1; gives what it printed.
fn refuses_to_start(exe: &Path, work: &Path) -> String {
    let log = work.join("log");
    let mut child = Command::new(exe)
        .env("DISPLAY", crate::harness::display())
        .env("HOME", work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut status = None;
    wait_until(Duration::from_secs(20), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let Some(status) = status else {
        let _ = child.kill();
        panic!("the damaged package did not stop");
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("not started"), "{text}");
    text
}

/// A script changed after packaging (code, not a page: what Electron's snapshot check missed)
/// never runs: the app refuses to start, naming the script and its failed check.
#[test]
fn a_changed_script_in_a_package_never_runs() {
    let (exe, work) = package("tests/apps/scripts");
    damage(&exe, "scripts/calc.rhai");
    let text = refuses_to_start(&exe, work.path());
    assert!(
        text.contains("script `scripts/calc.rhai` fails its integrity check"),
        "{text}"
    );
}

/// A manifest changed after packaging (say, to grant itself more) stops the app before any
/// window opens, with a message that says so.
#[test]
fn a_changed_manifest_in_a_package_refuses_to_start() {
    let (exe, work) = package("tests/apps/scripts");
    damage(&exe, "app.toml");
    let text = refuses_to_start(&exe, work.path());
    assert!(text.contains("app.toml"), "{text}");
    assert!(text.contains("integrity"), "{text}");
}

/// Code planted beside the executable (Electron CVE-2023-44402 ran code placed next to its
/// archive): an app folder, a manifest and pages there are never read.
#[test]
fn files_planted_beside_a_package_are_never_read() {
    let (exe, _work) = package("tests/apps/scripts");
    let beside = exe.parent().unwrap();
    copy_dir(&repo().join("tests/apps/attacks-csp"), beside);
    std::fs::write(
        beside.join("web/index.html"),
        "<!doctype html><title>planted</title><script>window.pwned = 1</script>",
    )
    .unwrap();
    let s = launch_program(&exe, &[], "apphost=info", Some(beside));
    assert_eq!(
        s.js("return [document.title, String(window.pwned)]"),
        json!(["Scripts fixture", "undefined"])
    );
    let status = s.js_async("fetch('app.js').then(r => done(r.status))");
    assert_eq!(status, 404, "a planted file was served");
    let outcome = s.js_async(
        "window.apphost.invoke('calc.stats', {values: [1, 2, 3]})
           .then(v => done(v.count), e => done(e.code))",
    );
    assert_eq!(outcome, 3);
}
