//! The notes sample's `notes.search` script (sample-apps/notes/scripts/notes.rhai) through the
//! real router and host, over a temporary store and notes folder: ranking, tags, snippets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use apphost::builtins::Host;
use apphost::builtins::paths::AppDirs;
use apphost::ipc::{Body, Call, Encoded, IpcError, Router};
use serde_json::{Value, json};

fn search(router: &Router, query: &str) -> Value {
    let key = "k".repeat(64);
    let body = json!({ "query": query }).to_string();
    let call = Call {
        window: "main",
        origin: Some("app://localhost"),
        key: Some(&key),
        endpoint: "notes.search",
        body: Body::Json(body.as_bytes()),
    };
    match router.handle(&call) {
        Ok(Encoded::Json(b)) => serde_json::from_slice(&b).unwrap(),
        other => panic!("{other:?}"),
    }
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

#[test]
fn search_ranks_titles_bodies_and_tags() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checked = apphost::check(&repo.join("sample-apps/notes"));
    let app = checked.app.clone().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dirs = AppDirs::under(tmp.path());
    let notes = dirs.data.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    let index = json!([
        { "id": "a", "title": "Groceries", "modified": 3 },
        { "id": "b", "title": "Trip", "modified": 2 },
        { "id": "c", "title": "Pears and more pears", "modified": 1 },
        { "id": "d", "title": "No body", "modified": 4 },
    ]);
    std::fs::write(
        dirs.data.join("store.json"),
        json!({ "notes": index }).to_string(),
    )
    .unwrap();
    std::fs::write(notes.join("a.md"), "apples and pears\n#shopping #home").unwrap();
    std::fs::write(notes.join("b.md"), "#travel Pack: pears for the train.").unwrap();
    std::fs::write(notes.join("c.md"), "Recipes. #home\n#cooking").unwrap();
    let ui = Box::new(|_, _| Err(IpcError::Unavailable("no UI".into())));
    let host = Arc::new(Host::new(&app, checked.source.clone(), &dirs, ui));
    let router = Router::new(&app, "k".repeat(64), vec!["app://localhost".into()], host);

    // Title hits weigh ten times body hits; equal scores: newest first.
    let hits = search(&router, "pears");
    assert_eq!(ids(&hits), ["c", "a", "b"], "{hits}");
    assert_eq!(hits[0]["score"], 20);
    assert_eq!(hits[1]["tags"], json!(["shopping", "home"]));
    assert_eq!(
        hits[2]["snippet"],
        json!("#travel Pack: pears for the train.")
    );
    // Every word must match; case does not matter.
    assert_eq!(ids(&search(&router, "PEARS apples")), ["a"]);
    // Tags: a `#tag` word must be one of the note's hashtags.
    assert_eq!(ids(&search(&router, "#home")), ["a", "c"]);
    assert_eq!(ids(&search(&router, "#home recipes")), ["c"]);
    assert_eq!(ids(&search(&router, "#nowhere")), Vec::<&str>::new());
    // A note without a body file is searched by title.
    assert_eq!(ids(&search(&router, "body")), ["d"]);
}
