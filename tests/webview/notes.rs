//! `sample-apps/notes` end to end, as a user would use it: the welcome note, a new note through
//! the real Ctrl+N accelerator, real typing with autosave to a file and the store, search,
//! export through the native save dialog, a reload that keeps everything, and delete through
//! the native confirm dialog.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{self, launch, repo};

#[test]
fn notes_app_end_to_end() {
    drive(&launch(&repo().join("sample-apps/notes")));
}

/// Uses the notes app in session `s` as a user would (see the module's doc); `package.rs`
/// drives the packaged app through it too.
pub fn drive(s: &harness::Session) {
    s.wait_for_js("return window.notesReady === true");
    let data = s.app_data("dev.apphost.notes");
    let win = harness::wait_window("Notes");

    // First run: one welcome note, open, saved to disk.
    assert_eq!(
        s.js("return document.querySelectorAll('#list li').length"),
        1
    );
    let welcome = s.js("return document.querySelector('#list li.selected').dataset.id");
    let welcome = welcome.as_str().unwrap().to_owned();
    harness::wait_until(Duration::from_secs(5), || {
        data.join(format!("notes/{welcome}.md")).is_file()
    })
    .expect("the welcome note's body is a file");

    // Ctrl+N (the File menu's accelerator) makes a new note and opens it.
    harness::press_keys(&win, "ctrl+n");
    s.wait_for_js("return document.querySelectorAll('#list li').length === 2");
    let id = s.js("return document.querySelector('#list li.selected').dataset.id");
    let id = id.as_str().unwrap().to_owned();
    assert_ne!(id, welcome);

    // Real typing into the title and the body; autosave follows.
    s.js("document.getElementById('title').focus(); return true");
    harness::type_text(&win, "Groceries");
    // xdotool returns once the keys are sent, not once the page has them: on a busy machine
    // the last ones would land in the body after the focus moves.
    s.wait_for_js("return document.getElementById('title').value === 'Groceries'");
    s.js("document.getElementById('body').focus(); return true");
    harness::type_text(&win, "apples and pears");
    let body = data.join(format!("notes/{id}.md"));
    harness::wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&body).is_ok_and(|t| t == "apples and pears")
    })
    .unwrap_or_else(|| panic!("autosave wrote {:?}", std::fs::read_to_string(&body)));
    harness::wait_until(Duration::from_secs(5), || {
        index_titles(&data).contains(&"Groceries".to_owned())
    })
    .unwrap_or_else(|| panic!("the index in the store: {:?}", index_titles(&data)));

    // Search filters by body text.
    s.js("document.getElementById('search').focus(); return true");
    harness::type_text(&win, "pears");
    s.wait_for_js("return document.querySelectorAll('#list li').length === 1");
    assert_eq!(
        s.js("return document.querySelector('#list li').dataset.id"),
        json!(id)
    );
    s.js("const q = document.getElementById('search'); q.value = ''; q.dispatchEvent(new Event('input')); return true");
    s.wait_for_js("return document.querySelectorAll('#list li').length === 2");

    // Export through the native save dialog, into $DOCUMENTS.
    let docs = s.home().join("Documents");
    std::fs::create_dir_all(&docs).unwrap();
    s.click("#export");
    let dialog = harness::wait_window("Export note");
    std::thread::sleep(Duration::from_millis(300));
    harness::press_keys(&dialog, "Return");
    let exported = docs.join("Groceries.md");
    harness::wait_until(Duration::from_secs(5), || exported.is_file())
        .unwrap_or_else(|| panic!("nothing exported into {}", docs.display()));
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap(),
        "apples and pears"
    );

    // A reload keeps everything.
    s.js("location.reload(); return true");
    std::thread::sleep(Duration::from_millis(300));
    s.wait_for_js(
        "return window.notesReady === true && document.querySelectorAll('#list li').length === 2",
    );
    let titles =
        s.js("return [...document.querySelectorAll('#list li')].map(li => li.textContent)");
    assert!(titles.to_string().contains("Groceries"), "{titles}");

    // Delete through the native confirm dialog.
    s.js(&format!(
        "document.querySelector('#list li[data-id=\"{id}\"]').click(); return true"
    ));
    s.wait_for_js(&format!(
        "return document.querySelector('#list li.selected').dataset.id === '{id}'"
    ));
    s.click("#delete");
    let dialog = harness::wait_window("Delete note");
    harness::press_keys(&dialog, "Return");
    s.wait_for_js("return document.querySelectorAll('#list li').length === 1");
    harness::wait_until(Duration::from_secs(5), || !body.exists()).expect("the body file is gone");
    harness::wait_until(Duration::from_secs(5), || {
        !index_titles(&data).contains(&"Groceries".to_owned())
    })
    .unwrap_or_else(|| panic!("the index still lists it: {:?}", index_titles(&data)));
}

/// The titles in the store's index of notes.
fn index_titles(data: &std::path::Path) -> Vec<String> {
    let store: Value = std::fs::read_to_string(data.join("store.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    store["notes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
