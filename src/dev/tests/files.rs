//! Scripts that do not compile, a frontend folder that goes away, and a page that reloads
//! itself in a loop.

use serde_json::json;

use super::{Dev, applies, copy_dir, manifest_title, reloads, says, walk};
use crate::dev::{Action, Overlay};
use crate::source::Lookup;

/// A script that does not compile: the overlay points into it, calls run the last version that
/// compiled, and the fix clears the overlay and runs the new version.
#[test]
fn script_with_a_syntax_error() {
    let mut dev = Dev::start();
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));
    dev.write("scripts/dev.rhai", "fn hello() {\n    \"v2\" +\n}\n");
    let actions = dev.saved(&["scripts/dev.rhai"]);
    let overlay = dev.overlay.clone().expect("an overlay for a broken script");
    assert_eq!(overlay.title, Overlay::script("").title);
    assert!(
        overlay.text.contains("scripts/dev.rhai:3:1"),
        "{}",
        overlay.text
    );
    assert!(
        says(&actions)
            .iter()
            .any(|l| l.contains("scripts/dev.rhai"))
    );
    assert_eq!(dev.generation(), 1);
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));
    // Saving a page meanwhile still reloads it: the old script keeps serving.
    assert_eq!(reloads(&dev.saved(&["web/app.js"])), 1);

    dev.write("scripts/dev.rhai", "fn hello() {\n    \"v2\"\n}\n");
    let actions = dev.saved(&["scripts/dev.rhai"]);
    assert!(actions.iter().any(|a| matches!(a, Action::Overlay(None))));
    assert_eq!(dev.overlay, None);
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v2"));
    assert_eq!(dev.generation(), 1);
}

/// A module saved broken: the endpoint script that imports it keeps its last good version, the
/// overlay points into the module, and the module's fix alone clears it.
#[test]
fn module_imported_by_a_script() {
    let mut dev = Dev::start();
    std::fs::create_dir_all(dev.path("scripts/lib")).unwrap();
    dev.write("scripts/lib/greet.rhai", "fn word() { \"m1\" }\n");
    dev.write(
        "scripts/dev.rhai",
        "import \"lib/greet\" as greet;\nfn hello() { greet::word() }\n",
    );
    let actions = dev.saved(&["scripts/lib/greet.rhai", "scripts/dev.rhai"]);
    assert_eq!(dev.overlay, None, "{actions:?}");
    assert_eq!(dev.call("dev.hello").unwrap(), json!("m1"));

    dev.write("scripts/lib/greet.rhai", "fn word() {\n    \"m2\" +\n}\n");
    let actions = dev.saved(&["scripts/lib/greet.rhai"]);
    let overlay = dev.overlay.clone().expect("an overlay for a broken module");
    assert!(
        overlay.text.contains("scripts/lib/greet.rhai:3:1"),
        "{}",
        overlay.text
    );
    assert!(
        says(&actions)
            .iter()
            .any(|l| l.contains("the last version of scripts/dev.rhai")),
        "{actions:?}"
    );
    assert_eq!(dev.call("dev.hello").unwrap(), json!("m1"));

    dev.write("scripts/lib/greet.rhai", "fn word() { \"m3\" }\n");
    let actions = dev.saved(&["scripts/lib/greet.rhai"]);
    assert_eq!(dev.overlay, None, "{actions:?}");
    assert!(
        says(&actions)
            .iter()
            .any(|l| l.contains("compiled (scripts/dev.rhai)")),
        "{actions:?}"
    );
    assert_eq!(dev.call("dev.hello").unwrap(), json!("m3"));
}

/// A script broken before anything called it: calls keep the version the app started with.
#[test]
fn script_broken_before_its_first_call() {
    let mut dev = Dev::start();
    dev.write("scripts/dev.rhai", "fn hello() {\n");
    dev.saved(&["scripts/dev.rhai"]);
    assert_eq!(
        dev.overlay_title(),
        Some(Overlay::script("").title.as_str())
    );
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));
}

/// A broken script saved together with the manifest makes the manifest fail its check; fixing
/// the script alone is enough to clear that.
#[test]
fn script_fixed_after_the_manifest_check_failed_on_it() {
    let mut dev = Dev::start();
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));
    let manifest = dev.read("app.toml");
    dev.write("scripts/dev.rhai", "fn hello() {\n");
    dev.write("app.toml", manifest.replace("640", "700"));
    dev.saved(&["app.toml", "scripts/dev.rhai"]);
    assert_eq!(dev.overlay_title(), Some(manifest_title().as_str()));
    assert_eq!(dev.generation(), 1);
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));

    dev.write("scripts/dev.rhai", "fn hello() {\n    \"v2\"\n}\n");
    let actions = dev.saved(&["scripts/dev.rhai"]);
    assert_eq!(dev.overlay, None, "{actions:?}");
    assert_eq!(
        applies(&actions).len(),
        1,
        "the width change waited: {actions:?}"
    );
    assert_eq!(dev.generation(), 2);
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v2"));
}
/// The frontend folder deleted, then restored: no reload of a missing page, an overlay that
/// says why, the same generation, and all back to normal once the folder is back.
#[test]
fn frontend_folder_deleted_and_restored() {
    let mut dev = Dev::start();
    let web = dev.path("web");
    let kept = dev.root.with_file_name("web-kept");
    copy_dir(&web, &kept);
    let files = walk(&web);
    std::fs::remove_dir_all(&web).unwrap();
    let actions = dev.batch_of(&files);
    assert_eq!(reloads(&actions), 0, "{actions:?}");
    let overlay = dev
        .overlay
        .clone()
        .expect("an overlay for a missing frontend");
    assert!(overlay.text.contains("`web`"), "{}", overlay.text);
    assert!(
        says(&actions).iter().any(|l| l.contains("`web`")),
        "{actions:?}"
    );
    assert_eq!(dev.generation(), 1);
    assert_eq!(dev.call("dev.hello").unwrap(), json!("v1"));
    assert!(matches!(
        dev.core.current().site.files.lookup("index.html"),
        Lookup::Missing
    ));
    // The manifest saved meanwhile does not check (its frontend folder is gone).
    dev.saved(&["app.toml"]);
    assert_eq!(dev.overlay_title(), Some(manifest_title().as_str()));
    assert_eq!(dev.generation(), 1);

    copy_dir(&kept, &web);
    let actions = dev.batch_of(&walk(&web));
    assert_eq!(dev.overlay, None, "{actions:?}");
    assert_eq!(
        reloads(&actions),
        2,
        "a reload and a style swap: {actions:?}"
    );
    assert_eq!(dev.generation(), 1);
    assert!(matches!(
        dev.core.current().site.files.lookup("index.html"),
        Lookup::File(_)
    ));
}
/// More than 5 page reloads within a second: 5 happen, then one line says reloading is paused.
#[test]
fn reload_guard_pauses_a_reload_loop() {
    let mut dev = Dev::start();
    let mut all = Vec::new();
    for i in 0..8 {
        dev.write("web/app.js", format!("console.log({i});\n"));
        all.extend(dev.saved(&["web/app.js"]));
    }
    let reloaded = all
        .iter()
        .filter(|a| matches!(a, Action::Reload { .. }))
        .count();
    assert_eq!(reloaded, 5, "{all:?}");
    let said = says(&all);
    assert_eq!(said.len(), 1, "{all:?}");
    assert!(said[0].contains("paused"), "{}", said[0]);
    let paused = all.iter().position(|a| matches!(a, Action::Say(_)));
    let last_reload = all.iter().rposition(|a| matches!(a, Action::Reload { .. }));
    assert!(paused > last_reload, "{all:?}");
    assert_eq!(dev.overlay, None);

    // The pages catch up once the app has been quiet for the guard's window, in one reload.
    assert!(dev.reloader.wants_tick());
    dev.reloader.on_tick(std::time::Instant::now());
    assert_eq!(
        dev.actions.try_iter().count(),
        0,
        "caught up before the quiet period"
    );
    let later = std::time::Instant::now() + std::time::Duration::from_millis(1100);
    dev.reloader.on_tick(later);
    let caught_up: Vec<Action> = dev.actions.try_iter().collect();
    assert!(
        matches!(&caught_up[..], [Action::Reload { paths, .. }] if paths == &["app.js"]),
        "{caught_up:?}"
    );
    assert!(!dev.reloader.wants_tick());
}
