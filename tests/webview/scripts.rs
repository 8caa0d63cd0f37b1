//! Script endpoints from the real page: computed JSON, bytes both ways, a limit, a builtin
//! through `invoke`, a runtime error with its file and line, and a page event reaching
//! `on_event`; progress reports and cancelling a running script. Fixture: `tests/apps/scripts`.

use std::time::Duration;

use serde_json::{Value, json};

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

/// The counter `calc.count` keeps in the store under `key` (read from the file, not the page).
fn counter(s: &crate::harness::Session, key: &str) -> i64 {
    let store = s.app_data("dev.apphost.test.scripts").join("store.json");
    let text = std::fs::read_to_string(store).unwrap_or_default();
    serde_json::from_str::<Value>(&text).unwrap_or_default()[key]
        .as_i64()
        .unwrap_or(0)
}

/// Waits until `key`'s counter stops moving, and checks it stays still.
fn stopped(s: &crate::harness::Session, key: &str) -> i64 {
    let mut last = counter(s, key);
    let settled = wait_until(Duration::from_secs(5), || {
        std::thread::sleep(Duration::from_millis(150));
        let now = counter(s, key);
        std::mem::replace(&mut last, now) == now
    });
    assert!(settled.is_some(), "`{key}` is still counting: {last}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        counter(s, key),
        last,
        "`{key}` counted on after it was cancelled"
    );
    last
}

/// Two counting scripts at once, one posted and one over `app://` (bytes): each call's
/// `onProgress` gets its own reports only; aborting one rejects it at once with `cancelled` and
/// stops its script (its store counter stops) while the other counts on; an aborted signal
/// never starts a call; and the host still answers after.
#[test]
fn progress_reaches_its_call_and_abort_stops_the_script() {
    let s = launch(&repo().join("tests/apps/scripts"));
    s.wait_for_js("return !!window.apphost");
    s.js(
        "window.t = { a: [], b: [], ca: new AbortController(), cb: new AbortController() };
          t.pa = apphost.invoke('calc.count', { key: 'a' },
                                { signal: t.ca.signal, onProgress: p => t.a.push(p) });
          t.pb = apphost.invoke('calc.count', { key: 'b', data: new Uint8Array([1]) },
                                { signal: t.cb.signal, onProgress: p => t.b.push(p) });
          t.pa.catch(() => {}); t.pb.catch(() => {});
          return true",
    );
    s.wait_for_js("return t.a.length >= 2 && t.b.length >= 2");
    let own = s.js("return [t.a.every(p => p.message.startsWith('a ')),
                           t.b.every(p => p.message.startsWith('b ')),
                           [...t.a, ...t.b].every(p => p.fraction >= 0 && p.fraction <= 1)]");
    assert_eq!(
        own,
        json!([true, true, true]),
        "{}",
        s.js("return [t.a, t.b]")
    );
    assert!(counter(&s, "a") > 0 && counter(&s, "b") > 0);

    // Abort the posted call: rejected at once, its script stops, the other counts on.
    let aborted = s.js_async(
        "const t0 = performance.now();
         t.ca.abort();
         t.pa.then(v => done(['ok', v]), e => done([e.code, performance.now() - t0]));",
    );
    assert_eq!(aborted[0], "cancelled", "{aborted}");
    assert!(aborted[1].as_f64().unwrap() < 50.0, "{aborted}");
    let a = stopped(&s, "a");
    let reports = s.js("return t.a.length");
    let b = counter(&s, "b");
    // The other call counts on (given time: each count is an atomic store write).
    assert!(
        wait_until(Duration::from_secs(5), || counter(&s, "b") > b).is_some(),
        "the other call stopped too"
    );
    assert_eq!(
        s.js("return t.a.length"),
        reports,
        "progress after the abort"
    );

    // Abort the bytes call (over app://) the same way.
    let aborted = s.js_async(
        "const t0 = performance.now();
         t.cb.abort();
         t.pb.then(v => done(['ok', v]), e => done([e.code, performance.now() - t0]));",
    );
    assert_eq!(aborted[0], "cancelled", "{aborted}");
    assert!(aborted[1].as_f64().unwrap() < 50.0, "{aborted}");
    stopped(&s, "b");
    assert_eq!(counter(&s, "a"), a);

    // A signal aborted already: rejected without calling.
    let early = s.js_async(
        "apphost.invoke('calc.count', { key: 'c' }, { signal: AbortSignal.abort() })
           .then(v => done(['ok', v]), e => done(e.code));",
    );
    assert_eq!(early, "cancelled");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(counter(&s, "c"), 0, "an aborted call started");
    // The host answers as before.
    assert_eq!(
        call(&s, "calc.stats", "{ values: [2, 4] }"),
        json!(["ok", { "count": 2, "sum": 6, "mean": 3, "min": 2, "max": 4 }])
    );
}
