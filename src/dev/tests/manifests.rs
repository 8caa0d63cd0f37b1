//! The manifest saved broken in every way an editor or a slip can leave it, and a change that
//! needs a restart.

use std::path::Path;

use serde_json::{Value, json};

use super::{Dev, applies, manifest_title, reloads, remove_any, says};
use crate::dev::Action;
use crate::manifest::Change;
use crate::source::Lookup;

/// Every prefix of the manifest (by bytes, on char boundaries), as an editor that writes in
/// pieces leaves it: each is either a manifest that checks (and is applied) or an error shown
/// over the last good generation. Then the whole manifest back: no overlay, and `endpoint`
/// answers `args` with `answer` again.
fn every_prefix(fixture: &str, endpoint: &str, args: &Value, answer: &Value) {
    let mut dev = Dev::start_on(fixture);
    let full = dev.read("app.toml");
    let endpoints = dev.endpoints();
    assert_eq!(&dev.call_with(endpoint, args).unwrap(), answer);
    let (mut good, mut bad) = (0, 0);
    for end in (0..full.len()).filter(|&i| full.is_char_boundary(i)) {
        let before = dev.generation();
        dev.write("app.toml", &full[..end]);
        let actions = dev.saved(&["app.toml"]);
        let checked = crate::check(&dev.path("app.toml"));
        let applied = applies(&actions);
        if checked.app.is_some() && !checked.has_errors() {
            good += 1;
            assert!(applied.len() <= 1, "prefix {end}: {actions:?}");
            assert_eq!(dev.generation(), before + applied.len() as u64);
            assert_ne!(dev.overlay_title(), Some(manifest_title().as_str()));
        } else {
            bad += 1;
            assert!(applied.is_empty(), "prefix {end}: {actions:?}");
            assert_eq!(dev.generation(), before, "prefix {end}");
            let overlay = dev
                .overlay
                .as_ref()
                .expect("an overlay for a broken manifest");
            assert_eq!(overlay.title, manifest_title(), "prefix {end}");
            assert!(overlay.text.contains("app.toml"), "{}", overlay.text);
            assert_eq!(reloads(&actions), 0);
        }
    }
    assert!(good > 0 && bad > 0, "good {good}, bad {bad}");
    // A prefix cut inside the first string, then the whole manifest back.
    let cut = full.find("id = \"").unwrap() + 8;
    dev.write("app.toml", &full[..cut]);
    dev.saved(&["app.toml"]);
    assert_eq!(dev.overlay_title(), Some(manifest_title().as_str()));
    dev.write("app.toml", &full);
    let actions = dev.saved(&["app.toml"]);
    assert!(
        actions.iter().any(|a| matches!(a, Action::Overlay(None))),
        "{actions:?}"
    );
    assert_eq!(dev.overlay, None);
    assert_eq!(dev.endpoints(), endpoints);
    assert_eq!(&dev.call_with(endpoint, args).unwrap(), answer);
}

#[test]
fn every_prefix_of_the_dev_fixture_manifest() {
    every_prefix("tests/apps/dev", "dev.hello", &Value::Null, &json!("v1"));
}

#[test]
fn every_prefix_of_the_hello_manifest() {
    let answer = json!({ "greeting": "Hello, Ada!", "length": 3 });
    every_prefix(
        "sample-apps/hello",
        "hello.greet",
        &json!({ "name": "Ada" }),
        &answer,
    );
}

/// Puts something that is not a manifest at the manifest's path.
type Breaker = dyn Fn(&Path);

/// app.toml replaced by a folder, by binary bytes, by a dangling symlink and by a symlink into a
/// loop: each shows the overlay over the last good generation, and the real manifest back
/// clears it.
#[test]
fn manifest_replaced_by_what_is_not_a_manifest() {
    let mut dev = Dev::start();
    let full = dev.read("app.toml");
    let manifest = dev.path("app.toml");
    std::os::unix::fs::symlink(dev.path("loop-b"), dev.path("loop-a")).unwrap();
    std::os::unix::fs::symlink(dev.path("loop-a"), dev.path("loop-b")).unwrap();
    std::os::unix::fs::symlink(dev.path("web/loop"), dev.path("web/loop")).unwrap();
    let actions = dev.saved(&["loop-a", "loop-b", "web/loop"]);
    assert_eq!(dev.overlay, None, "{actions:?}");
    assert!(matches!(
        dev.core.current().site.files.lookup("loop"),
        Lookup::Broken(why) if why == "is a symlink loop"
    ));
    let breakers: [(&str, &Breaker); 5] = [
        ("a folder", &|p| {
            std::fs::create_dir_all(p.join("inner")).unwrap()
        }),
        ("binary bytes", &|p| {
            let bytes: Vec<u8> = (0..4096u32)
                .map(|i| (i * 7919 % 251) as u8 | 0x80)
                .collect();
            std::fs::write(p, bytes).unwrap();
        }),
        ("a dangling symlink", &|p| {
            std::os::unix::fs::symlink(p.with_file_name("gone.toml"), p).unwrap()
        }),
        ("a symlink into a loop", &|p| {
            std::os::unix::fs::symlink(p.with_file_name("loop-a"), p).unwrap()
        }),
        ("a symlink to itself", &|p| {
            std::os::unix::fs::symlink(p, p).unwrap()
        }),
    ];
    for (what, breaker) in breakers {
        remove_any(&manifest);
        breaker(&manifest);
        let actions = dev.saved(&["app.toml"]);
        assert!(applies(&actions).is_empty(), "{what}: {actions:?}");
        let overlay = dev
            .overlay
            .clone()
            .unwrap_or_else(|| panic!("{what}: no overlay"));
        assert_eq!(overlay.title, manifest_title(), "{what}");
        assert!(
            overlay.text.contains("app.toml"),
            "{what}: {}",
            overlay.text
        );
        assert!(
            says(&actions).iter().any(|l| l.contains("app.toml")),
            "{what}"
        );
        assert_eq!(dev.generation(), 1, "{what}");
        assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"), "{what}");
        // Pages are not reloaded into the broken state.
        assert_eq!(reloads(&dev.saved(&["web/app.js"])), 0, "{what}");

        dev.write("app.toml", &full);
        let actions = dev.saved(&["app.toml"]);
        assert!(
            actions.iter().any(|a| matches!(a, Action::Overlay(None))),
            "{what}"
        );
        assert_eq!(dev.overlay, None, "{what}");
        assert_eq!(
            dev.generation(),
            1,
            "{what}: the same manifest makes no generation"
        );
        assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"), "{what}");
    }
}
/// A change to `app.id` cannot be applied live: the overlay says a restart is needed, the rest
/// of the change is applied, and the overlay stays until the id is back.
#[test]
fn restart_only_change() {
    let mut dev = Dev::start();
    let full = dev.read("app.toml");
    let renamed = full
        .replace("dev.apphost.test.dev", "dev.apphost.test.other")
        .replace("width = 640", "width = 700");
    dev.write("app.toml", &renamed);
    let actions = dev.saved(&["app.toml"]);
    let applied = applies(&actions);
    assert_eq!(applied.len(), 1, "{actions:?}");
    // The id stays the one the process started with (its data folder is the one in use), so
    // the applied changes hold no restart; the terminal and the overlay say it.
    assert!(
        !applied[0]
            .iter()
            .any(|c| matches!(c, Change::Restart { .. }))
    );
    assert_eq!(dev.core.current().app.id, "dev.apphost.test.dev");
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Say(line) if line.contains("restart needed"))),
        "{actions:?}"
    );
    assert!(
        applied[0]
            .iter()
            .any(|c| matches!(c, Change::WindowChanged { label, .. } if label == "main"))
    );
    assert_eq!(dev.generation(), 2);
    assert_eq!(dev.core.current().app.windows[0].width, 700);
    let overlay = dev.overlay.clone().expect("a restart overlay");
    assert_eq!(overlay.title, "restart needed");
    assert!(overlay.text.contains("app.id"), "{}", overlay.text);
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));

    // A later change does not make the restart less needed.
    dev.write("app.toml", renamed.replace("width = 700", "width = 720"));
    let actions = dev.saved(&["app.toml"]);
    assert_eq!(applies(&actions).len(), 1, "{actions:?}");
    assert_eq!(dev.overlay_title(), Some("restart needed"), "{actions:?}");

    // The id the app started with, back: nothing needs a restart.
    dev.write("app.toml", &full);
    let actions = dev.saved(&["app.toml"]);
    assert_eq!(applies(&actions).len(), 1, "{actions:?}");
    assert_eq!(dev.overlay, None, "{actions:?}");
    assert_eq!(dev.generation(), 4);
}
