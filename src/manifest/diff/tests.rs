//! Each case is an edit a user makes to `app.toml`, checked and resolved for real in a folder
//! that holds the files the manifests name.

use std::path::Path;

use super::{Change, WindowChange as W, diff};
use crate::check_text;
use crate::manifest::App;

const HEADERS: &str = "page security headers changed (CSP, cross-origin isolation)";
const APP: &str = "[app]\nid = \"com.example.diff\"\nname = \"Diff\"\n";

/// An app folder with two frontends, icons and a script.
fn folder() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/valid");
    for dir in ["web", "site", "icons", "scripts"] {
        std::fs::create_dir(root.join(dir)).unwrap();
    }
    for page in ["web/index.html", "web/other.html", "site/index.html"] {
        std::fs::write(root.join(page), "<!doctype html>").unwrap();
    }
    for icon in ["icons/app.png", "icons/tray.png"] {
        std::fs::copy(fixtures.join(icon), root.join(icon)).unwrap();
    }
    std::fs::write(
        root.join("scripts/notes.rhai"),
        "fn save(args) { args }\nfn load(args) { () }\n",
    )
    .unwrap();
    tmp
}

fn app(dir: &Path, toml: &str) -> App {
    // Resolving makes the manifest's path canonical, so the file must exist.
    let file = dir.join("app.toml");
    std::fs::write(&file, toml).unwrap();
    let checked = check_text(&file, toml.to_owned());
    match checked.app {
        Some(app) => app,
        None => panic!("{toml}\n{}", checked.render()),
    }
}

/// The changes from `old` to `new`, both written after the same `[app]` header.
fn changes(dir: &Path, old: &str, new: &str) -> Vec<Change> {
    let (a, b) = (
        app(dir, &format!("{APP}{old}")),
        app(dir, &format!("{APP}{new}")),
    );
    diff(&a, &b)
}

#[test]
fn equal_apps_and_open_time_only_edits_give_nothing() {
    let dir = folder();
    let two = "[[window]]\nlabel = \"a\"\n[[window]]\nlabel = \"b\"\nurl = \"other.html\"\n";
    let swapped = "[[window]]\nlabel = \"b\"\nurl = \"other.html\"\n[[window]]\nlabel = \"a\"\n";
    for (old, new) in [
        ("", ""),
        (two, two),
        // Windows are matched by label, not position.
        (two, swapped),
        // `center` and `focused` act only when a window opens.
        (
            "[[window]]\nlabel = \"a\"\n",
            "[[window]]\nlabel = \"a\"\ncenter = true\nfocused = false\n",
        ),
    ] {
        assert_eq!(changes(dir.path(), old, new), vec![], "{old} → {new}");
    }
}

#[test]
fn every_window_field() {
    let dir = folder();
    let cases: &[(&str, &str, Vec<W>)] = &[
        ("", "title = \"B\"", vec![W::Title("B".into())]),
        (
            "",
            "width = 900",
            vec![W::Size {
                width: 900,
                height: 600,
            }],
        ),
        ("", "min-width = 400", vec![W::MinSize(Some(400), None)]),
        (
            "max-width = 1000\nmax-height = 900",
            "max-height = 900",
            vec![W::MaxSize(None, Some(900))],
        ),
        ("", "x = 10\ny = 20", vec![W::Position(Some((10, 20)))]),
        ("x = 10\ny = 20", "", vec![W::Position(None)]),
        ("", "resizable = false", vec![W::Resizable(false)]),
        ("", "decorations = false", vec![W::Decorations(false)]),
        ("", "always-on-top = true", vec![W::AlwaysOnTop(true)]),
        ("", "visible = false", vec![W::Visible(false)]),
        ("", "maximized = true", vec![W::Maximized(true)]),
        ("", "fullscreen = true", vec![W::Fullscreen(true)]),
        (
            "",
            "url = \"other.html\"",
            vec![W::Url("other.html".into())],
        ),
        ("", "devtools = true", vec![W::Devtools(true)]),
        (
            "",
            "endpoints = [\"notes.*\"]",
            vec![W::Grants(Some(vec!["notes.*".into()]))],
        ),
        ("endpoints = []", "", vec![W::Grants(None)]),
        // Several at once, in field order.
        (
            "",
            "devtools = true\ntitle = \"B\"",
            vec![W::Title("B".into()), W::Devtools(true)],
        ),
        // A rebuild replaces the window, so the other edits need not be listed.
        (
            "",
            "transparent = true\ntitle = \"B\"",
            vec![W::Rebuild {
                why: "`transparent` is fixed when a window is built",
            }],
        ),
    ];
    for (old, new, want) in cases {
        let window = |extra: &str| format!("[[window]]\nlabel = \"main\"\n{extra}\n");
        let got = changes(dir.path(), &window(old), &window(new));
        let want = vec![Change::WindowChanged {
            label: "main".into(),
            changes: want.clone(),
        }];
        assert_eq!(got, want, "{old:?} → {new:?}");
    }
}

#[test]
fn windows_by_label() {
    let dir = folder();
    let a = "[[window]]\nlabel = \"a\"\n";
    let b = "[[window]]\nlabel = \"b\"\n";
    let c = "[[window]]\nlabel = \"c\"\n";
    let new = app(dir.path(), &format!("{APP}{a}{b}"));
    let added = new.windows[1].clone();
    assert_eq!(
        changes(dir.path(), a, &format!("{a}{b}")),
        vec![Change::WindowAdded(added.clone())]
    );
    assert_eq!(
        changes(dir.path(), &format!("{a}{b}"), b),
        vec![Change::WindowRemoved("a".into())]
    );
    // A renamed label: the old window goes first, then the new one opens.
    assert_eq!(
        changes(dir.path(), &format!("{a}{b}"), &format!("{a}{c}")),
        vec![
            Change::WindowRemoved("b".into()),
            Change::WindowAdded(crate::manifest::Window {
                label: "c".into(),
                ..added
            }),
        ]
    );
}

#[test]
fn restart_comes_first() {
    let dir = folder();
    let old = app(dir.path(), APP);
    let moved = APP.replace("com.example.diff", "com.example.other");
    let new = app(dir.path(), &format!("{moved}spa-fallback = true\n"));
    assert_eq!(
        diff(&old, &new),
        vec![
            Change::Restart {
                key: "app.id",
                why: "it names the data folder and the GTK application id",
            },
            Change::SpaFallback(true),
        ]
    );
    assert!(super::RESTART_KEYS.iter().any(|(k, _)| *k == "app.id"));
    assert_eq!(
        diff(&old, &new)[0].to_string(),
        "restart needed: app.id changed (it names the data folder and the GTK application id)"
    );
}

#[test]
fn a_full_app_against_itself_gives_nothing() {
    let full =
        crate::check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/valid/full.toml"));
    let app = full.app.unwrap();
    assert_eq!(diff(&app, &app.clone()), vec![]);
}

#[test]
fn window_changes_as_the_terminal_shows_them() {
    for (change, line) in [
        (W::MinSize(Some(400), Some(300)), "min size → 400x300"),
        (W::MaxSize(Some(1000), None), "max size → width 1000"),
        (W::MaxSize(None, None), "max size → unset"),
        (W::Position(Some((10, -20))), "position → 10,-20"),
        (W::Position(None), "position → unset"),
        (W::Resizable(false), "resizable → false"),
        (W::Decorations(false), "decorations → false"),
        (W::AlwaysOnTop(true), "always-on-top → true"),
        (W::Visible(false), "visible → false"),
        (W::Maximized(true), "maximized → true"),
        (W::Fullscreen(true), "fullscreen → true"),
        (W::Url("other.html".into()), "url → other.html"),
        (W::Devtools(true), "devtools → true"),
        (W::Grants(None), "endpoints → every declared one"),
        (
            W::Grants(Some(vec!["notes.*".into(), "app.info".into()])),
            "endpoints → notes.*, app.info",
        ),
        (
            W::Rebuild {
                why: "`transparent` is fixed when a window is built",
            },
            "reopened (`transparent` is fixed when a window is built)",
        ),
    ] {
        assert_eq!(change.to_string(), line);
    }
}

#[test]
fn tray_and_frontend_carry_their_new_values() {
    let dir = folder();
    let tray = "[tray]\nicon = \"icons/tray.png\"\n";
    let with_tray = app(dir.path(), &format!("{APP}{tray}"));
    assert_eq!(
        changes(dir.path(), "", tray),
        vec![Change::Tray(with_tray.tray.clone())]
    );
    assert_eq!(changes(dir.path(), tray, ""), vec![Change::Tray(None)]);
    let site = app(
        dir.path(),
        &APP.replace("name", "frontend = \"site\"\nname"),
    );
    assert_eq!(
        diff(&with_tray, &site),
        vec![Change::Tray(None), Change::Frontend(site.frontend.clone())]
    );
    assert!(site.frontend.ends_with("site"));
}

/// The rest of the manifest, as the dev terminal shows each change.
#[test]
fn every_section_as_the_terminal_shows_it() {
    let dir = folder();
    let notes = "[endpoints.\"notes.save\"]\nscript = \"scripts/notes.rhai\"\n\
                 [endpoints.\"app.info\"]\nbuiltin = \"app.info\"\n";
    let about = "[[menu]]\nlabel = \"&Help\"\nitems = [{ predefined = \"about\" }]\n";
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "[[window]]\nlabel = \"main\"\ntitle = \"A\"\n",
            "[[window]]\nlabel = \"main\"\ntitle = \"B\"\nwidth = 900\nmin-height = 300\n",
            &["window \"main\": title → \"B\", size → 900x600, min size → height 300"],
        ),
        (
            "",
            "[[window]]\nlabel = \"main\"\nendpoints = []\n",
            &["window \"main\": endpoints → none"],
        ),
        (
            "",
            "[[window]]\nlabel = \"second\"\n",
            &["window \"main\" closed", "window \"second\" opened"],
        ),
        (
            "[[menu]]\nlabel = \"File\"\nitems = [{ predefined = \"quit\" }]\n",
            "[[menu]]\nlabel = \"File\"\nitems = [{ predefined = \"quit\", label = \"Exit\" }]\n",
            &["menu bar rebuilt"],
        ),
        ("", "[tray]\nicon = \"icons/tray.png\"\n", &["tray updated"]),
        ("[tray]\nicon = \"icons/tray.png\"\n", "", &["tray removed"]),
        (
            "",
            "[security]\ncsp = \"default-src 'self'; img-src data:\"\n",
            &[HEADERS],
        ),
        ("", "[security]\ncsp-nonce = [\"script-src\"]\n", &[HEADERS]),
        ("", "[security]\ncross-origin-isolated = true\n", &[HEADERS]),
        // Writing the default out changes nothing.
        ("", "[security]\ncross-origin-isolated = false\n", &[]),
        (
            "",
            "[security]\nallow-navigation = [\"https://example.com/*\"]\n",
            &["allow-navigation/open-external changed"],
        ),
        (
            "",
            "[security]\nopen-external = [\"https://*\"]\n",
            &["allow-navigation/open-external changed"],
        ),
        (
            "",
            "[security]\nmax-payload = \"1 MiB\"\n",
            &["max-payload → 1048576 bytes"],
        ),
        ("", notes, &["endpoints: +app.info +notes.save"]),
        (
            &format!("{notes}[endpoints.\"notes.old\"]\nbuiltin = \"app.info\"\n"),
            &format!("{notes}[endpoints.\"notes.load\"]\nscript = \"scripts/notes.rhai\"\n"),
            &["endpoints: +notes.load −notes.old"],
        ),
        (
            notes,
            &notes.replace(
                "\"scripts/notes.rhai\"\n",
                "\"scripts/notes.rhai\"\ntimeout-ms = 5\n",
            ),
            &["endpoints: ~notes.save"],
        ),
        // `[scripts]` reaches script endpoints only; builtins do not use script limits.
        (
            notes,
            &format!("{notes}[scripts]\nmax-operations = 10\n"),
            &["endpoints: ~notes.save", "script limits changed"],
        ),
        (
            "",
            "[dev]\nurl = \"http://localhost:5173\"\n",
            &["dev url → http://localhost:5173"],
        ),
        (
            "[dev]\nurl = \"http://localhost:5173\"\n",
            "",
            &["dev url removed: serving the frontend folder"],
        ),
        ("", "spa-fallback = true\n", &["spa-fallback → true"]),
        ("", "version = \"1.0.0\"\n", &["app name/version changed"]),
        ("", "icon = \"icons/app.png\"\n", &["icon → icons/app.png"]),
        ("icon = \"icons/app.png\"\n", "", &["icon removed"]),
        (
            "",
            "quit-on-last-window-closed = false\n",
            &["quit-on-last-window-closed → false"],
        ),
        // The About item and a tray without a tooltip show the app's name and version.
        (
            about,
            &format!("version = \"2.0.0\"\n{about}"),
            &["menu bar rebuilt", "app name/version changed"],
        ),
        // With its own tooltip and no About item, the tray does not show the version.
        (
            "[tray]\nicon = \"icons/tray.png\"\ntooltip = \"T\"\n",
            "version = \"1.0.0\"\n[tray]\nicon = \"icons/tray.png\"\ntooltip = \"T\"\n",
            &["app name/version changed"],
        ),
    ];
    for (old, new, want) in cases {
        let got: Vec<String> = changes(dir.path(), old, new)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(got, *want, "{old:?} → {new:?}");
    }
}

#[test]
fn a_new_name_reaches_default_titles_and_the_tray_tooltip() {
    let dir = folder();
    let tray = "[tray]\nicon = \"icons/tray.png\"\n";
    let old = app(dir.path(), &format!("{APP}{tray}"));
    let new = app(
        dir.path(),
        &format!("{}{tray}", APP.replace("\"Diff\"", "\"Renamed\"")),
    );
    let lines: Vec<String> = diff(&old, &new).iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "window \"main\": title → \"Renamed\"",
            "tray updated",
            "app name/version changed",
        ]
    );
}
