//! The `apphost` binary's subcommands, run as a user runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "cli/package.rs"]
mod package;

use std::fs;

#[test]
fn help_and_version() {
    let h = common::run(&["--help"], None);
    assert_eq!(h.code, 0);
    for verb in ["run", "dev", "check", "package", "init", "schema"] {
        assert!(
            h.stdout.contains(verb),
            "--help lacks {verb}:\n{}",
            h.stdout
        );
    }
    let v = common::run(&["--version"], None);
    assert_eq!(
        v.stdout.trim(),
        format!("apphost {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn committed_schema_is_up_to_date() {
    let r = common::run(&["schema"], None);
    assert_eq!(r.code, 0);
    let committed = fs::read_to_string(common::repo().join("schema/app.schema.json")).unwrap();
    assert!(
        committed == r.stdout,
        "schema/app.schema.json is out of date: run `cargo run -- schema > schema/app.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    // Strictness carries over to editors: unknown keys are flagged there too.
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["properties"]["window"].is_object());
    assert!(schema["$defs"]["WindowSection"]["properties"]["min-width"].is_object());
}

#[test]
fn sample_app_checks_clean() {
    let r = common::run(&["check", "sample-apps/hello"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.is_empty(),
        "the sample app has warnings:\n{}",
        r.stderr
    );
    assert!(
        r.stdout
            .starts_with("ok: sample-apps/hello/app.toml: Hello apphost 0.1.0"),
        "{}",
        r.stdout
    );
}

#[test]
fn init_writes_an_app_that_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("Weather Station");
    let r = common::run(&["init", dir.to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Weather Station (com.example.weather-station)"),
        "{}",
        r.stdout
    );
    for f in [
        "app.toml",
        "app.schema.json",
        "apphost.d.ts",
        "web/index.html",
        "web/style.css",
        "web/main.js",
    ] {
        assert!(dir.join(f).is_file(), "init did not write {f}");
    }
    let toml = fs::read_to_string(dir.join("app.toml")).unwrap();
    assert!(
        !toml.contains("{{"),
        "unfilled template placeholder:\n{toml}"
    );
    let c = common::run(&["check", dir.to_str().unwrap()], None);
    assert_eq!(c.code, 0, "{}", c.stderr);
    assert!(
        c.stderr.is_empty(),
        "init's app has warnings:\n{}",
        c.stderr
    );

    // A second init into the same folder refuses and leaves the files alone.
    fs::write(dir.join("web/index.html"), "mine").unwrap();
    let again = common::run(&["init", dir.to_str().unwrap()], None);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("is not empty"), "{}", again.stderr);
    assert_eq!(
        fs::read_to_string(dir.join("web/index.html")).unwrap(),
        "mine"
    );
}

#[test]
fn init_takes_a_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("x");
    let r = common::run(&["init", dir.to_str().unwrap(), "--name", "Ledger"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let toml = fs::read_to_string(dir.join("app.toml")).unwrap();
    assert!(toml.contains("name = \"Ledger\""), "{toml}");
}

#[test]
fn init_prints_next_steps_that_can_be_pasted_and_work() {
    let tmp = tempfile::tempdir().unwrap();
    let r = common::run(&["init", "My Tool"], Some(tmp.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("next: apphost dev 'My Tool'\n"),
        "{}",
        r.stdout
    );
    // The new page sends the user to the dev loop too.
    let page = fs::read_to_string(tmp.path().join("My Tool/web/index.html")).unwrap();
    assert!(page.contains("apphost dev ."), "{page}");
    // The suggested folder, pasted into a shell, names the app.
    let folder = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("next: apphost dev "))
        .expect("init suggests `apphost dev`");
    assert_eq!(folder, "'My Tool'");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("\"$APPHOST\" check {folder}"))
        .env("APPHOST", env!("CARGO_BIN_EXE_apphost"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_finds_json5_in_a_folder_and_refuses_two_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("web")).unwrap();
    fs::write(tmp.path().join("web/index.html"), "<!doctype html>").unwrap();
    fs::write(
        tmp.path().join("app.json5"),
        "{ app: { id: 'a.b', name: 'J' } }",
    )
    .unwrap();
    let r = common::run(&["check", tmp.path().to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("app.json5: J (a.b)"), "{}", r.stdout);

    fs::write(
        tmp.path().join("app.toml"),
        "[app]\nid = 'a.b'\nname = 'T'\n",
    )
    .unwrap();
    let both = common::run(&["check", tmp.path().to_str().unwrap()], None);
    assert_eq!(both.code, 1);
    assert!(
        both.stderr.contains("has both app.toml and app.json5"),
        "{}",
        both.stderr
    );
}

#[test]
fn dev_refuses_a_broken_manifest_before_opening_anything() {
    // No display is needed: nothing opens, nothing is watched.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("web")).unwrap();
    std::fs::write(
        tmp.path().join("app.toml"),
        "[app]\nid = \"dev.example.x\"\nname = \"X\"\n\n[dev]\ncommand = \"npm run dev\"\n",
    )
    .unwrap();
    let r = common::run(&["dev", tmp.path().to_str().unwrap()], None);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("`[dev] command` needs `[dev] url`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not started"), "{}", r.stderr);
}

#[test]
fn run_refuses_a_broken_manifest_before_opening_anything() {
    // No display is needed: nothing opens.
    let tmp = common::misspelt_app();
    let r = common::run(&["run", tmp.path().to_str().unwrap()], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown key `widht`"), "{}", r.stderr);
    assert!(r.stderr.contains("app.toml:6:1"), "{}", r.stderr);
    assert!(r.stderr.contains("not started"), "{}", r.stderr);

    let r = common::run(&["run", "/nonexistent/app"], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
}

/// Under WebDriver the host is launched by WebKitWebDriver, which does not notice it exiting
/// and keeps its client waiting for its own timeout; all the user gets is the host's stderr
/// (WebKitWebDriver's own). So a start that fails must say why there and exit at once.
#[test]
fn a_failing_start_under_webdriver_says_why_and_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.toml"),
        "[app]\nid = \"dev.example.broken\"\nnme = \"Broken\"\n",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let out = common::apphost()
        .args(["run", dir.path().to_str().unwrap()])
        // What WebKitWebDriver hands the browser it launches.
        .env("APPHOST_AUTOMATION", "1")
        .env("WEBKIT_INSPECTOR_SERVER", "127.0.0.1:9")
        .output()
        .unwrap();
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("missing required key `name`") && stderr.contains("not started"),
        "{stderr}"
    );
}
