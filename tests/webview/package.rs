//! Packaged apps in the real webview: `sample-apps/notes` packaged, moved to an empty folder
//! with its source deleted, and used end to end (page, builtins, the script endpoint, menus);
//! and a packaged fixture that shows what a packaged app takes from the command line, what it
//! ignores, and how a damaged file in its payload is refused.

use std::path::PathBuf;

use serde_json::json;

use crate::common::copy_dir;
use crate::harness::{launch_program, repo};

/// Packages a copy of the app in `fixture` into an empty folder, deletes the copy, and returns
/// the executable (and the folders that must outlive the test).
fn package(fixture: &str) -> (PathBuf, tempfile::TempDir) {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_dir(&repo().join(fixture), &src);
    let built = work.path().join("notes.out");
    let r = crate::common::run(
        &[
            "package",
            src.to_str().unwrap(),
            "-o",
            built.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::remove_dir_all(&src).unwrap();
    let shipped = work.path().join("shipped");
    std::fs::create_dir(&shipped).unwrap();
    let exe = shipped.join("app");
    std::fs::rename(&built, &exe).unwrap();
    // What a packaged app must ignore: an app folder beside it.
    std::fs::write(shipped.join("app.toml"), "not = [a manifest").unwrap();
    (exe, work)
}

#[test]
fn packaged_notes_app_end_to_end() {
    let (exe, work) = package("sample-apps/notes");
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let s = launch_program(&exe, &[], "apphost=info", Some(&elsewhere));
    assert_eq!(s.url(), "app://localhost/index.html");
    crate::notes::drive(&s);
    // The page falls back to a local filter when its script fails: ask the script itself.
    let welcome = s.js("return document.querySelector('#list li').dataset.id");
    let hits = s.js_async(
        "window.apphost.invoke('notes.search', { query: 'note' })
           .then(h => done(h.map(x => x.id)), e => done(String(e)))",
    );
    assert_eq!(hits, json!([welcome]));
}

#[test]
fn packaged_app_takes_its_arguments_and_refuses_a_damaged_file() {
    let (exe, work) = package("tests/apps/site");
    // A byte flipped in one file's blob: that file alone is refused, with a log line.
    let mut bytes = std::fs::read(&exe).unwrap();
    let at = blob_offset(&bytes, "web/data.json");
    bytes[at] ^= 0xff;
    std::fs::write(&exe, &bytes).unwrap();
    // The working folder holds an app too: a packaged app does not look at it.
    let cwd = work.path().join("cwd");
    copy_dir(&repo().join("sample-apps/hello"), &cwd);

    let s = launch_program(
        &exe,
        &["--open", "a file.md", "run"],
        "apphost=info",
        Some(&cwd),
    );
    assert_eq!(s.js("return document.title"), "fixture home");
    let info = s.js_async(
        "window.apphost.invoke('app.info').then(v => done([v.args, v.packaged]), e => done(String(e)))",
    );
    assert_eq!(info, json!([["--open", "a file.md", "run"], true]));
    let r = s.js_async(
        "Promise.all(['style.css', 'data.json'].map(f => fetch(f).then(r => r.status)))
           .then(done, e => done(String(e)))",
    );
    assert_eq!(r, json!([200, 500]));
    s.wait_for_log("refused /data.json: it fails its integrity check");
}

/// Where the stored bytes of `path` start in the packaged executable `exe`.
fn blob_offset(exe: &[u8], path: &str) -> usize {
    let payload = apphost::pack::embed::find_in_file(exe).unwrap().unwrap();
    let p = apphost::pack::format::Payload::open(payload).unwrap();
    let entry = p.get(path).unwrap();
    let start = payload.as_ptr() as usize - exe.as_ptr() as usize;
    start + usize::try_from(entry.offset).unwrap()
}
