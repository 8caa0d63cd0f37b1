//! Hostile and broken input to `apphost check`: each gets a clear error, exit 1, never a panic
//! (`common::run` fails the test on any panic message).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

fn check(target: &Path) -> common::Run {
    common::run(&["check", target.to_str().unwrap()], None)
}

fn app_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("web")).unwrap();
    fs::write(tmp.path().join("web/index.html"), "<!doctype html>").unwrap();
    fs::write(
        tmp.path().join("app.toml"),
        "[app]\nid = 'com.example.x'\nname = 'X'\n",
    )
    .unwrap();
    tmp
}

fn assert_error(r: &common::Run, needle: &str) {
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(needle),
        "expected {needle:?} in:\n{}",
        r.stderr
    );
}

#[test]
fn ten_megabyte_manifest() {
    let tmp = app_dir();
    let mut text = String::from("[app]\nid = 'com.example.x'\nname = 'X'\n");
    while text.len() < 10 << 20 {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    fs::write(tmp.path().join("app.toml"), text).unwrap();
    assert_error(
        &check(tmp.path()),
        "a manifest may be at most 1048576 bytes",
    );
}

#[test]
fn binary_garbage() {
    let tmp = app_dir();
    // A deterministic byte soup that is valid UTF-8 in places and not in others.
    let mut x: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect();
    fs::write(tmp.path().join("app.toml"), &bytes).unwrap();
    assert_error(&check(tmp.path()), "is not valid UTF-8");

    // Garbage that happens to be valid UTF-8 is a syntax error instead.
    fs::write(
        tmp.path().join("app.toml"),
        "\u{0}\u{1}\u{7f}{{[[==]]}}\u{feff}",
    )
    .unwrap();
    assert_error(&check(tmp.path()), "syntax:");
}

#[test]
fn invalid_utf8_names_the_position() {
    let tmp = app_dir();
    fs::write(
        tmp.path().join("app.toml"),
        b"[app]\nid = 'com.example.x'\nname = '\xff\xfe'\n",
    )
    .unwrap();
    assert_error(&check(tmp.path()), "invalid byte at 3:9");
}

#[test]
fn symlink_loop_as_the_frontend_folder() {
    let tmp = app_dir();
    fs::remove_dir_all(tmp.path().join("web")).unwrap();
    symlink("web", tmp.path().join("web")).unwrap();
    assert_error(
        &check(tmp.path()),
        "the frontend folder `web` is a symlink loop",
    );
}

#[test]
fn symlink_loop_inside_the_frontend_folder() {
    let tmp = app_dir();
    symlink("b.html", tmp.path().join("web/a.html")).unwrap();
    symlink("a.html", tmp.path().join("web/b.html")).unwrap();
    let toml = "[app]\nid = 'com.example.x'\nname = 'X'\n[[window]]\nurl = 'a.html'\n";
    fs::write(tmp.path().join("app.toml"), toml).unwrap();
    assert_error(
        &check(tmp.path()),
        "the window's page `web/a.html` does not exist",
    );
}

#[test]
fn symlink_loop_as_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    symlink("app.toml", tmp.path().join("app.toml")).unwrap();
    assert_error(&check(tmp.path()), "is a symlink loop");
}

#[test]
fn missing_folder() {
    let tmp = tempfile::tempdir().unwrap();
    assert_error(&check(&tmp.path().join("nope")), "does not exist");
    assert_error(&check(tmp.path()), "has no app.toml or app.json5");
}

#[test]
fn manifest_that_is_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("app.toml")).unwrap();
    assert_error(&check(tmp.path()), "is a folder, not a manifest file");
    assert_error(
        &check(&tmp.path().join("app.toml")),
        "is a folder, not a manifest file",
    );
}

#[test]
fn deeply_nested_input() {
    let tmp = app_dir();
    let toml = format!(
        "[app]\nid = 'com.example.x'\nname = 'X'\nx = {}\n",
        "[".repeat(200_000)
    );
    fs::write(tmp.path().join("app.toml"), toml).unwrap();
    assert_error(&check(tmp.path()), "nesting deeper than 64 levels");
    fs::remove_file(tmp.path().join("app.toml")).unwrap();
    fs::write(tmp.path().join("app.json5"), "[".repeat(200_000)).unwrap();
    assert_error(&check(tmp.path()), "nesting deeper than 64 levels");
    fs::write(tmp.path().join("app.json5"), "{a:".repeat(200_000)).unwrap();
    assert_error(&check(tmp.path()), "nesting deeper than 64 levels");
}

#[test]
fn devices_and_pipes_are_not_read() {
    assert_error(&check(Path::new("/dev/zero")), "is not a regular file");
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("app.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert_error(&check(tmp.path()), "is not a regular file");
}

#[test]
fn unreadable_manifest() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let tmp = app_dir();
    let path = tmp.path().join("app.toml");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    let mut c = common::apphost();
    c.args(["check", tmp.path().to_str().unwrap()]);
    // Root reads anything, and CI runs as root: there the check runs as `nobody`, for whom the
    // folder is open and the manifest is not.
    if fs::read(&path).is_ok() {
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        c.uid(65534).gid(65534);
    }
    let out = c
        .output()
        .expect("running apphost (as nobody when root: its path must be open to others)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot be read"), "{stderr}");
    assert!(stderr.contains("app.toml"), "{stderr}");
}
