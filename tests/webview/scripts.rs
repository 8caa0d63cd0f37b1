//! Script endpoints from the real page: computed JSON, bytes both ways, a limit, a builtin
//! through `invoke`, a runtime error with its file and line, and a page event reaching
//! `on_event`. Fixture: `tests/apps/scripts`.

use std::time::Duration;

use serde_json::json;

use crate::harness::{launch, repo, wait_until};
use crate::ipc::call;

#[test]
fn script_endpoints_from_the_page() {
    let s = launch(&repo().join("tests/apps/scripts"));
    s.wait_for_js("return !!window.apphost");
    assert_eq!(
        call(&s, "calc.stats", "{ values: [3, 1, 4, 1, 5] }"),
        json!(["ok", { "count": 5, "sum": 14, "mean": 2, "min": 1, "max": 5 }])
    );
    let bytes = s.js_async(
        "window.apphost.invoke('calc.echo', new Uint8Array([1, 2, 3])).then(
           b => done([b instanceof ArrayBuffer, Array.from(new Uint8Array(b))]), e => done(e))",
    );
    assert_eq!(bytes, json!([true, [3, 2, 1]]));
    assert_eq!(
        call(&s, "calc.bomb", "null"),
        json!(["err", "limit_exceeded"])
    );
    assert_eq!(call(&s, "calc.spin", "null"), json!(["err", "timeout"]));
    assert_eq!(
        call(&s, "calc.about", "null"),
        json!([
            "ok",
            format!("Scripts fixture on apphost {}", env!("CARGO_PKG_VERSION"))
        ])
    );
    let message = s.js_async(
        "window.apphost.invoke('calc.fails').then(v => done(v), e => done([e.code, e.message]))",
    );
    assert_eq!(message[0], "handler_error");
    let text = message[1].as_str().unwrap_or_default();
    assert!(text.starts_with("scripts/calc.rhai:41:"), "{text}");
    assert!(text.contains("no luck"), "{text}");
    // The host is still healthy after all that.
    assert_eq!(
        call(&s, "calc.stats", "{ values: [] }"),
        json!(["ok", { "count": 0 }])
    );

    // A page event reaches the listening endpoint's `on_event`, which writes to the store.
    s.js("window.apphost.emit('note:saved', { id: 7 })");
    let seen = wait_until(Duration::from_secs(5), || {
        call(&s, "store.get", "{ key: 'last-event' }")
            == json!(["ok", { "name": "note:saved", "data": { "id": 7 } }])
    });
    assert!(seen.is_some(), "on_event did not run");
}

/// A script's `emit` reaches the page with the source `script:<endpoint>`.
#[test]
fn a_script_emits_to_the_page() {
    let s = launch(&repo().join("tests/apps/scripts"));
    s.wait_for_js("return !!window.apphost");
    s.js("window.got = null; window.apphost.on('calc:done', (d, m) => { window.got = [d, m.source]; }); return true");
    assert_eq!(call(&s, "calc.announce", "{ n: 5 }"), json!(["ok", true]));
    s.wait_for_js("return window.got !== null");
    assert_eq!(
        s.js("return window.got"),
        json!([{ "n": 5 }, "script:calc.announce"])
    );
}
