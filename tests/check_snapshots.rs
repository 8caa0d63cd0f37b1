//! `apphost check` on every fixture in `manifests/valid` and `manifests/invalid`, compared with
//! the output committed beside it (`NAME.toml.out`). A changed message is a visible diff.
//!
//! To accept new output after an intended change: `APPHOST_BLESS=1 cargo test --test check_snapshots`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::fs;
use std::path::Path;

fn fixtures(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(common::repo().join(dir))
        .expect("fixture dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            (name.ends_with(".toml") || name.ends_with(".json5")).then(|| format!("{dir}/{name}"))
        })
        .collect();
    v.sort();
    v
}

fn snapshot(rel: &str) -> (i32, String) {
    let r = common::run(&["check", rel], None);
    let text = format!(
        "$ apphost check {rel}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        r.code, r.stdout, r.stderr
    );
    (r.code, text)
}

fn compare(rel: &str, actual: &str) -> Option<String> {
    let path = common::repo().join(format!("{rel}.out"));
    if std::env::var_os("APPHOST_BLESS").is_some() {
        fs::write(&path, actual).expect("write snapshot");
        return None;
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    let mut diff = format!("--- {}.out (expected)\n+++ actual\n", rel);
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                if let Some(x) = x {
                    diff += &format!("-{x}\n");
                }
                if let Some(y) = y {
                    diff += &format!("+{y}\n");
                }
            }
        }
    }
    Some(diff)
}

fn check_all(dir: &str, want_code: i32) {
    let cases = fixtures(dir);
    assert!(!cases.is_empty(), "no fixtures in {dir}");
    let mut failures = Vec::new();
    for rel in &cases {
        let (code, text) = snapshot(rel);
        if code != want_code {
            failures.push(format!("{rel}: exit {code}, expected {want_code}\n{text}"));
        }
        if let Some(diff) = compare(rel, &text) {
            failures.push(diff);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ (APPHOST_BLESS=1 accepts the new output):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_manifests_pass_and_match_their_snapshots() {
    check_all("manifests/valid", 0);
}

#[test]
fn invalid_manifests_fail_and_match_their_snapshots() {
    let cases = fixtures("manifests/invalid");
    assert!(cases.len() >= 30, "only {} invalid fixtures", cases.len());
    check_all("manifests/invalid", 1);
}

#[test]
fn every_snapshot_has_its_fixture() {
    for dir in ["manifests/valid", "manifests/invalid"] {
        for e in fs::read_dir(common::repo().join(dir)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            if let Some(fixture) = name.strip_suffix(".out") {
                assert!(
                    Path::new(&common::repo().join(dir).join(fixture)).exists(),
                    "{dir}/{name} is a snapshot of a fixture that no longer exists"
                );
            }
        }
    }
}

#[test]
fn toml_and_json5_give_the_same_app() {
    // full.toml sets every key the manifest knows; full.json5 says the same in JSON5.
    let toml = apphost::check(&common::repo().join("manifests/valid/full.toml"));
    let json5 = apphost::check(&common::repo().join("manifests/valid/full.json5"));
    let (Some(toml), Some(json5)) = (toml.app, json5.app) else {
        panic!("both fixtures must check");
    };
    assert_eq!(json5.manifest, "full.json5");
    // Only the file they came from differs.
    let json5 = apphost::manifest::App {
        manifest: toml.manifest.clone(),
        ..json5
    };
    assert_eq!(toml, json5);
    // The comparison sees every part: one changed value makes them differ.
    let changed = fs::read_to_string(common::repo().join("manifests/valid/full.json5"))
        .unwrap()
        .replace("\"max-functions\": 200", "\"max-functions\": 201");
    let other = apphost::check_text(&common::repo().join("manifests/valid/full.json5"), changed);
    let other = other.app.expect("the changed fixture checks");
    let other = apphost::manifest::App {
        manifest: toml.manifest.clone(),
        ..other
    };
    assert_ne!(other, toml);
    // The same errors with positions: both formats point at the unknown key's line and column.
    let j = common::run(
        &["check", "manifests/invalid/json5-unknown-key.json5"],
        None,
    );
    assert!(
        j.stderr.contains("json5-unknown-key.json5:5:22"),
        "{}",
        j.stderr
    );
    assert!(j.stderr.contains("did you mean `width`?"), "{}", j.stderr);
}
