//! `apphost dev` in the real webview: a copy of `tests/apps/dev` is edited the way editors save
//! files, and the page shows the effect. Each test keeps one WebDriver session across all of
//! its edits: a session that survives them is the proof that nothing restarted.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::copy_dir;
use crate::harness::{Session, launch_with, press_keys, repo, wait_until, wait_window, x_windows};

/// A private copy of the dev fixture, running under `apphost dev`.
struct Dev {
    s: Session,
    dir: tempfile::TempDir,
}

/// How an editor writes a file.
#[derive(Clone, Copy, Debug)]
enum Save {
    /// Truncate and write (nano, many IDEs' default).
    InPlace,
    /// Write a temporary file beside it and rename it over (VS Code, JetBrains "safe write").
    TempRename,
    /// vim's `backupcopy=no`: probe file `4913`, rename the original to `x~`, write the new
    /// file, delete the backup.
    Vim,
    /// Delete, then create.
    DeleteCreate,
}

impl Dev {
    fn start() -> Dev {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("tests/apps/dev"), dir.path());
        let s = launch_with(&["dev", dir.path().to_str().unwrap()]);
        s.wait_for_js("return window.version === 1");
        Dev { s, dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    fn save(&self, rel: &str, text: &str, how: Save) {
        let path = self.path(rel);
        let dir = path.parent().unwrap();
        match how {
            Save::InPlace => std::fs::write(&path, text).unwrap(),
            Save::TempRename => {
                let tmp = dir.join(format!(
                    ".{}.tmp-save",
                    path.file_name().unwrap().to_str().unwrap()
                ));
                std::fs::write(&tmp, text).unwrap();
                std::fs::rename(&tmp, &path).unwrap();
            }
            Save::Vim => {
                let probe = dir.join("4913");
                std::fs::write(&probe, "").unwrap();
                std::fs::remove_file(&probe).unwrap();
                let backup = PathBuf::from(format!("{}~", path.display()));
                std::fs::rename(&path, &backup).unwrap();
                std::fs::write(&path, text).unwrap();
                std::fs::remove_file(&backup).unwrap();
            }
            Save::DeleteCreate => {
                std::fs::remove_file(&path).unwrap();
                std::fs::write(&path, text).unwrap();
            }
        }
    }

    /// Replaces `from` with `to` in the file, saved in place.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.save(rel, &text.replacen(from, to, 1), Save::TempRename);
    }

    fn js(&self, script: &str) -> Value {
        self.s.js(script)
    }

    fn wait_for(&self, script: &str) {
        self.s.wait_for_js(script);
    }

    fn call(&self, endpoint: &str) -> Value {
        self.s.js_async(&format!(
            "window.apphost.invoke({endpoint:?}).then(v => done(['ok', v]), e => done(['err', e.code, e.message]))"
        ))
    }

    /// The overlay's text, or null when there is none.
    fn overlay(&self) -> Value {
        self.js("const o = document.getElementById('apphost-dev-overlay');
             return o && o.shadowRoot ? o.shadowRoot.textContent : null")
    }

    fn wait_overlay(&self, shown: bool) -> String {
        let mut text = Value::Null;
        wait_until(Duration::from_secs(10), || {
            text = self.overlay();
            text.is_string() == shown
        })
        .unwrap_or_else(|| panic!("overlay never became shown={shown}; now {text}"));
        text.as_str().unwrap_or_default().to_owned()
    }
}

const BG: &str = "return getComputedStyle(document.body).backgroundColor";

#[test]
fn styles_swap_in_place_for_every_way_of_saving() {
    let d = Dev::start();
    d.js("window.marker = 42; return true");
    let colours = [
        (Save::InPlace, "rgb(1, 2, 3)"),
        (Save::TempRename, "rgb(4, 5, 6)"),
        (Save::Vim, "rgb(7, 8, 9)"),
        (Save::DeleteCreate, "rgb(10, 11, 12)"),
    ];
    for (how, colour) in colours {
        let css =
            format!("@import url(\"theme/base.css\");\nbody {{ background-color: {colour}; }}\n");
        d.save("web/style.css", &css, how);
        d.wait_for(&format!("{BG} === '{colour}'"));
        d.s.wait_for_log("style   style.css → swapped in place");
        // No reload: the page's own state survived the swap.
        assert_eq!(
            d.js("return window.marker"),
            42,
            "{how:?} reloaded the page"
        );
    }
    // A stylesheet that another imports is swapped through the one that imports it.
    d.edit("web/theme/base.css", "rgb(0, 0, 0)", "rgb(200, 0, 0)");
    d.wait_for(
        "return getComputedStyle(document.getElementById('title')).color === 'rgb(200, 0, 0)'",
    );
    assert_eq!(d.js("return window.marker"), 42);
    // Exactly one stylesheet link is left.
    assert_eq!(
        d.js("return document.querySelectorAll('link[rel=stylesheet]').length"),
        1
    );
}

#[test]
fn pages_reload_with_their_state_and_can_take_over() {
    let d = Dev::start();
    d.js("document.getElementById('name').value = 'Ada';
         document.getElementById('agree').checked = true;
         document.getElementById('notes').value = 'line 1\\nline 2';
         location.hash = '#part';
         window.scrollTo(0, 700);
         document.getElementById('notes').focus();
         return true");
    d.edit(
        "web/app.js",
        "window.version = 1;",
        "window.version = 2; console.warn('app.js version', window.version);",
    );
    d.wait_for("return window.version === 2");
    // The terminal says what was done, and shows the page's console with its source line.
    d.s.wait_for_log("apphost dev: page    app.js → reloaded 1 window(s), state kept");
    d.s.wait_for_log("[main] console.warn: app.js version 2  (app://localhost/app.js:1)");
    assert_eq!(
        d.js("return [document.getElementById('name').value, document.getElementById('agree').checked,
                     document.getElementById('notes').value, location.hash,
                     document.activeElement && document.activeElement.id]"),
        json!(["Ada", true, "line 1\nline 2", "#part", "notes"])
    );
    d.wait_for("return window.scrollY === 700");

    // A page that cancels `apphost:change` handles the change itself.
    d.js(
        "window.changes = [];
         window.addEventListener('apphost:change', e => { window.changes.push(e.detail); e.preventDefault(); });
         return true",
    );
    d.edit("web/index.html", "Dev fixture</h1>", "Dev fixture!</h1>");
    d.wait_for("return window.changes.length === 1");
    assert_eq!(
        d.js("return window.changes[0]"),
        json!({"paths": ["index.html"], "kind": "page"})
    );
    assert_eq!(
        d.js("return window.version"),
        2,
        "the page was reloaded anyway"
    );

    // A save that leaves the bytes as they were does nothing.
    let same = d.read("web/app.js");
    d.save("web/app.js", &same, Save::InPlace);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(d.js("return window.changes.length"), 1);

    // A burst of files (a `git checkout`) is a few reloads, not fifty: the watcher coalesces,
    // and the reload guard caps what a loaded machine lets through at 5 a second.
    d.js("window.changes = []; return true");
    for i in 0..50 {
        std::fs::write(d.path(&format!("web/gen{i}.js")), format!("// {i}\n")).unwrap();
    }
    d.wait_for("return window.changes.length >= 1");
    std::thread::sleep(Duration::from_millis(400));
    let batches = d.js("return window.changes.length").as_u64().unwrap();
    assert!(batches <= 5, "{batches} reloads for one burst");
}

#[test]
fn scripts_swap_and_a_broken_one_keeps_the_last_good_version() {
    let d = Dev::start();
    assert_eq!(d.call("dev.hello"), json!(["ok", "v1"]));
    d.save(
        "scripts/dev.rhai",
        "fn hello() {\n    \"v2\"\n}\n",
        Save::Vim,
    );
    wait_until(Duration::from_secs(10), || {
        d.call("dev.hello") == json!(["ok", "v2"])
    })
    .expect("the new script never ran");
    // A syntax error: the overlay names the file, line and column; calls run the last good code.
    d.save(
        "scripts/dev.rhai",
        "fn hello() {\n    \"v3\" +\n}\n",
        Save::InPlace,
    );
    let text = d.wait_overlay(true);
    assert!(text.contains("scripts/dev.rhai:3:1"), "{text}");
    assert_eq!(d.call("dev.hello"), json!(["ok", "v2"]));
    d.save(
        "scripts/dev.rhai",
        "fn hello() {\n    \"v4\"\n}\n",
        Save::InPlace,
    );
    d.wait_overlay(false);
    assert_eq!(d.call("dev.hello"), json!(["ok", "v4"]));
}

#[test]
fn the_manifest_is_reapplied_live() {
    let d = Dev::start();
    d.js("window.marker = 'kept'; return true");
    // Broken: the overlay shows the diagnostic with its line; the app runs on as it was.
    d.edit("app.toml", "width = 640", "widht = 640");
    let text = d.wait_overlay(true);
    assert!(text.contains("unknown key `widht`"), "{text}");
    assert!(text.contains("app.toml:10:1"), "{text}");
    assert!(text.contains("did you mean `width`?"), "{text}");
    assert_eq!(d.call("dev.hello"), json!(["ok", "v1"]));
    d.edit("app.toml", "widht = 640", "width = 640");
    d.wait_overlay(false);

    // A new endpoint is callable without a restart; a removed one is gone.
    assert_eq!(d.call("app.info")[1], "not_found");
    let mut toml = d.read("app.toml");
    toml.push_str("\n[endpoints.\"app.info\"]\nbuiltin = \"app.info\"\n");
    d.save("app.toml", &toml, Save::TempRename);
    wait_until(Duration::from_secs(10), || d.call("app.info")[0] == "ok")
        .expect("the new endpoint never answered");

    // A window added, retitled, removed.
    let mut toml = d.read("app.toml");
    toml.push_str(
        "\n[[window]]\nlabel = \"extra\"\ntitle = \"Extra window\"\nwidth = 300\nheight = 200\n",
    );
    d.save("app.toml", &toml, Save::InPlace);
    wait_window("Extra window");
    d.edit(
        "app.toml",
        "title = \"Extra window\"",
        "title = \"Renamed window\"",
    );
    wait_window("Renamed window");
    let without = d.read("app.toml").replace(
        "\n[[window]]\nlabel = \"extra\"\ntitle = \"Renamed window\"\nwidth = 300\nheight = 200\n",
        "\n",
    );
    d.save("app.toml", &without, Save::InPlace);
    wait_until(Duration::from_secs(10), || {
        x_windows("Renamed window").is_empty()
    })
    .expect("the removed window stayed open");

    // A hidden window opens once the manifest makes it visible.
    let mut toml = d.read("app.toml");
    toml.push_str("\n[[window]]\nlabel = \"later\"\ntitle = \"Later window\"\nvisible = false\n");
    d.save("app.toml", &toml, Save::InPlace);
    d.s.wait_for_log("window \"later\" added (hidden until shown)");
    assert!(x_windows("Later window").is_empty());
    d.edit("app.toml", "visible = false", "visible = true");
    wait_window("Later window");

    // The menu item's event changes: the same accelerator now emits the new event.
    let main = wait_window("Dev fixture");
    d.edit(
        "app.toml",
        "label = \"First\", accelerator = \"CmdOrCtrl+Shift+K\", emit = \"test:one\"",
        "label = \"Second\", accelerator = \"CmdOrCtrl+Shift+K\", emit = \"test:two\"",
    );
    d.s.wait_for_log("app.toml menu bar rebuilt");
    press_keys(&main, "ctrl+shift+k");
    d.wait_for("return window.events.includes('two')");
    assert!(
        !d.js("return window.events.includes('one')")
            .as_bool()
            .unwrap()
    );

    // The CSP applies to the next load of a page.
    d.edit(
        "app.toml",
        "csp = \"default-src 'self'\"",
        "csp = \"default-src 'self'; img-src 'self' data:\"",
    );
    wait_until(Duration::from_secs(10), || {
        d.s.js_async(
            "fetch('index.html').then(r => done(r.headers.get('content-security-policy')))",
        )
        .as_str()
        .is_some_and(|csp| csp.contains("img-src 'self' data:"))
    })
    .expect("the new CSP was never served");
    // Nothing above reloaded the page.
    assert_eq!(d.js("return window.marker"), "kept");
}
