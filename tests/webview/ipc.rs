//! `window.apphost` in the real webview: every builtin group called from the page, events
//! between windows, and the refusals (a window without the grant, an iframe of another origin,
//! calls without the key). Fixture: `tests/apps/ipc`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{self, Session, launch, repo};

const APP_ID: &str = "dev.apphost.test.ipc";

fn app() -> Session {
    let s = launch(&repo().join("tests/apps/ipc"));
    s.wait_for_js("return Array.isArray(window.events)");
    s
}

/// `invoke(endpoint, args)` from the page: `["ok", value]` or `["err", code]` (plus the
/// `kind` of an `io_error`).
pub fn call(s: &Session, endpoint: &str, args: &str) -> Value {
    s.js_async(&format!(
        "window.apphost.invoke({endpoint:?}, {args}).then(
           v => done(['ok', v instanceof ArrayBuffer ? {{ bytes: v.byteLength }} : v]),
           e => done(e.kind ? ['err', e.code, e.kind] : ['err', e.code]))"
    ))
}

#[test]
fn json_bytes_events_and_the_store() {
    let s = app();
    assert_eq!(
        call(&s, "app.info", "null"),
        json!(["ok", {
            "id": APP_ID, "name": "IPC fixture", "version": null,
            "host_version": env!("CARGO_PKG_VERSION"), "args": [], "packaged": false
        }])
    );
    // JSON round trips, small (posted) and large (over app://).
    assert_eq!(
        call(&s, "echo", "{ a: [1, 'two', null, true], b: { c: 1.5 } }"),
        json!(["ok", { "a": [1, "two", null, true], "b": { "c": 1.5 } }])
    );
    assert_eq!(
        call(&s, "echo", "'x'.repeat(300000)")
            .pointer("/1")
            .map(|v| v.as_str().map(str::len)),
        Some(Some(300_000))
    );
    // Bytes both ways, without number-array inflation: 1 MiB in, an ArrayBuffer out.
    let bytes = s.js_async(
        "const a = new Uint8Array(1 << 20); for (let i = 0; i < a.length; i++) a[i] = i % 251;
         window.apphost.invoke('echo', a).then(b => {
           const v = new Uint8Array(b);
           done([b instanceof ArrayBuffer, v.length, v[0], v[1000], v[a.length - 1]]);
         }, e => done(e))",
    );
    assert_eq!(
        bytes,
        json!([true, 1 << 20, 0, 1000 % 251, ((1 << 20) - 1) % 251])
    );
    // An object with one bytes field: the bytes travel raw, the other fields beside them.
    assert_eq!(
        call(&s, "echo", "{ name: 'é', data: new Uint8Array([1, 2, 3]) }"),
        json!(["ok", { "bytes": 3 }])
    );
    // A large answer to a small posted call comes through the one-time stash.
    assert_eq!(
        call(&s, "store.set", "{ key: 'big', value: 'y'.repeat(100000) }"),
        json!(["ok", null])
    );
    assert_eq!(
        s.js_async(
            "window.apphost.invoke('store.get', { key: 'big' }).then(v => done(v.length), e => done(e))"
        ),
        100_000
    );
    // 200 calls in flight at once all come back, each with its own answer.
    let all = s.js_async(
        "Promise.all(Array.from({ length: 200 }, (_, i) => window.apphost.invoke('echo', { i })))
           .then(r => done(r.every((v, i) => v.i === i) && r.length), e => done(e))",
    );
    assert_eq!(all, 200);

    // The store.
    assert_eq!(
        call(&s, "store.set", "{ key: 'a', value: { n: [1, 2] } }"),
        json!(["ok", null])
    );
    assert_eq!(
        call(&s, "store.get", "{ key: 'a' }"),
        json!(["ok", { "n": [1, 2] }])
    );
    assert_eq!(call(&s, "store.keys", "null"), json!(["ok", ["a", "big"]]));
    assert_eq!(
        call(&s, "store.delete", "{ key: 'a' }"),
        json!(["ok", true])
    );
    assert_eq!(call(&s, "store.clear", "null"), json!(["ok", null]));
    assert_eq!(call(&s, "store.keys", "null"), json!(["ok", []]));
    let on_disk = std::fs::read_to_string(s.app_data(APP_ID).join("store.json")).unwrap();
    assert_eq!(on_disk.trim(), "{}");

    // Refusals with stable codes.
    assert_eq!(call(&s, "store.get", "{}"), json!(["err", "bad_args"]));
    assert_eq!(call(&s, "nope", "null"), json!(["err", "not_found"]));
    assert_eq!(
        call(&s, "echo", "{ n: 1n }"),
        json!(["err", "bad_args"]),
        "BigInt"
    );
    assert_eq!(
        call(&s, "echo", "new Uint8Array(5 << 20)"),
        json!(["err", "too_large"])
    );
    assert_eq!(
        call(&s, "notification.show", "{ title: 'hi' }"),
        json!(["err", "unavailable"]),
        "no D-Bus session bus here"
    );
    // shell.open: only what open-external allows.
    assert_eq!(
        call(&s, "shell.open", "{ url: 'https://www.example.com/doc' }"),
        json!(["ok", null])
    );
    assert_eq!(
        call(&s, "shell.open", "{ url: 'file:///etc/passwd' }"),
        json!(["err", "forbidden"])
    );
    harness::wait_until(Duration::from_secs(5), || !s.opened().is_empty()).unwrap();
    assert_eq!(s.opened(), ["https://www.example.com/doc"]);

    // Events: from this window to every window, itself included, with the source's label.
    assert_eq!(
        s.js_async("window.apphost.emit('hello', { n: 1 }).then(() => done('sent'), e => done(e))"),
        "sent"
    );
    s.wait_for_js("return window.events.some(e => e[0] === 'hello')");
    let hello: Vec<Value> = events(&s, "hello");
    assert_eq!(hello, [json!(["hello", { "n": 1 }, "main"])]);
    assert_eq!(
        s.js_async("window.apphost.emit('', 1).then(() => done('sent'), e => done(e.code))"),
        "bad_args"
    );
    // on/once/off.
    let listeners = s.js_async(
        "const got = [];
         const off = window.apphost.on('l', d => got.push(['on', d]));
         window.apphost.once('l', d => got.push(['once', d]));
         window.apphost.emit('l', 1)
           .then(() => new Promise(r => setTimeout(r, 200)))
           .then(() => { off(); return window.apphost.emit('l', 2); })
           .then(() => new Promise(r => setTimeout(r, 200)))
           .then(() => done(got));",
    );
    assert_eq!(listeners, json!([["on", 1], ["once", 1]]));
}

fn events(s: &Session, name: &str) -> Vec<Value> {
    s.js("return window.events")
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[0] == name)
        .cloned()
        .collect()
}

#[test]
fn windows_and_menus() {
    let s = app();
    let main = harness::wait_window("IPC fixture");
    let list = |s: &Session| {
        let mut v: Vec<(String, bool)> = call(s, "window.list", "null")[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["label"].as_str().unwrap().to_owned(),
                    w["visible"] == true,
                )
            })
            .collect();
        v.sort();
        v
    };
    // The hidden window is built once the first page has loaded.
    harness::wait_until(Duration::from_secs(5), || list(&s).len() == 3).unwrap();
    assert_eq!(
        list(&s),
        [
            ("extra".into(), false),
            ("limited".into(), true),
            ("main".into(), true)
        ]
    );
    assert_eq!(
        call(&s, "window.open", "{ label: 'extra' }"),
        json!(["ok", null])
    );
    harness::wait_window("Extra window");
    assert_eq!(list(&s)[0], ("extra".into(), true));
    assert_eq!(
        call(&s, "window.hide", "{ label: 'extra' }"),
        json!(["ok", null])
    );
    assert_eq!(list(&s)[0], ("extra".into(), false));
    assert_eq!(
        call(&s, "window.show", "{ label: 'extra' }"),
        json!(["ok", null])
    );
    assert_eq!(
        call(&s, "window.close", "{ label: 'extra' }"),
        json!(["ok", null])
    );
    assert_eq!(list(&s).len(), 2);
    assert_eq!(
        call(&s, "window.open", "{ label: 'nope' }"),
        json!(["err", "bad_args"])
    );
    // The caller's own window by default.
    assert_eq!(
        call(&s, "window.set_title", "{ title: 'Renamed' }"),
        json!(["ok", null])
    );
    harness::wait_window("Renamed");
    assert_eq!(
        call(&s, "window.set_size", "{ width: 500, height: 300 }"),
        json!(["ok", null])
    );
    s.wait_for_js("return window.innerWidth === 500");
    assert_eq!(
        call(&s, "window.set_size", "{ width: 0, height: 300 }"),
        json!(["err", "bad_args"])
    );
    for op in ["minimize", "maximize", "unmaximize", "focus"] {
        assert_eq!(
            call(&s, &format!("window.{op}"), "null"),
            json!(["ok", null]),
            "{op}"
        );
    }

    // Menus: a real accelerator press, then the item disabled, enabled, renamed.
    let main = harness::x_windows("Renamed").pop().unwrap_or(main);
    harness::press_keys(&main, "ctrl+shift+p");
    s.wait_for_js("return window.events.some(e => e[0] === 'test:ping')");
    assert_eq!(
        events(&s, "test:ping"),
        [json!(["test:ping", { "id": "ping" }, null])]
    );
    assert_eq!(
        call(&s, "menu.set_enabled", "{ id: 'ping', enabled: false }"),
        json!(["ok", null])
    );
    harness::press_keys(&main, "ctrl+shift+p");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        events(&s, "test:ping").len(),
        1,
        "a disabled item does nothing"
    );
    assert_eq!(
        call(&s, "menu.set_enabled", "{ id: 'ping', enabled: true }"),
        json!(["ok", null])
    );
    assert_eq!(
        call(&s, "menu.set_text", "{ id: 'ping', text: 'Pong' }"),
        json!(["ok", null])
    );
    harness::press_keys(&main, "ctrl+shift+p");
    harness::wait_until(Duration::from_secs(5), || {
        events(&s, "test:ping").len() == 2
    })
    .expect("the re-enabled item works");
    // A check item: set from the page, then toggled by its accelerator.
    assert_eq!(
        call(&s, "menu.set_checked", "{ id: 'toggle', checked: true }"),
        json!(["ok", null])
    );
    harness::press_keys(&main, "ctrl+shift+t");
    s.wait_for_js("return window.events.some(e => e[0] === 'test:toggle')");
    assert_eq!(
        events(&s, "test:toggle"),
        [json!(["test:toggle", { "id": "toggle", "checked": false }, null])]
    );
    assert_eq!(
        call(&s, "menu.set_checked", "{ id: 'ping', checked: true }"),
        json!(["err", "bad_args"])
    );
    assert_eq!(
        call(&s, "menu.set_text", "{ id: 'nope', text: 'x' }"),
        json!(["err", "bad_args"])
    );
}

#[test]
fn clipboard_and_dialogs() {
    let s = app();
    let main = harness::wait_window("IPC fixture");
    // The system clipboard: what the page writes, a real Ctrl+V pastes.
    assert_eq!(
        call(&s, "clipboard.write_text", "{ text: 'from apphost ✓' }"),
        json!(["ok", null])
    );
    assert_eq!(
        call(&s, "clipboard.read_text", "null"),
        json!(["ok", "from apphost ✓"])
    );
    s.js("document.getElementById('paste').focus(); return true");
    harness::press_keys(&main, "ctrl+v");
    s.wait_for_js("return document.getElementById('paste').value === 'from apphost ✓'");
    assert_eq!(
        call(&s, "clipboard.write_text", "{}"),
        json!(["err", "bad_args"])
    );

    // Each dialog is native, modal, and answered with real keys. The page stays responsive
    // while one is open: the UI thread is not blocked.
    s.start_call(
        "confirm",
        "dialog.confirm",
        "{ title: 'Sure?', message: 'Delete it?' }",
    );
    let d = harness::wait_window("Sure?");
    assert_eq!(
        call(&s, "app.info", "null")[1]["id"],
        APP_ID,
        "the page answers while a dialog is open"
    );
    harness::press_keys(&d, "Return");
    assert_eq!(s.outcome("confirm"), json!(["ok", true]));
    s.start_call(
        "no",
        "dialog.confirm",
        "{ title: 'Really?', message: 'Delete it?' }",
    );
    let d = harness::wait_window("Really?");
    harness::press_keys(&d, "Escape");
    assert_eq!(s.outcome("no"), json!(["ok", false]));
    s.start_call(
        "msg",
        "dialog.message",
        "{ title: 'Note', message: 'Saved.', kind: 'warning' }",
    );
    let d = harness::wait_window("Note");
    harness::press_keys(&d, "Return");
    assert_eq!(s.outcome("msg"), json!(["ok", null]));

    let dir = s.app_data(APP_ID).join("files");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    s.start_call(
        "save",
        "dialog.save",
        "{ title: 'Save as', default_path: '$APPDATA/files/draft.md' }",
    );
    let d = harness::wait_window("Save as");
    std::thread::sleep(Duration::from_millis(300));
    harness::press_keys(&d, "Return");
    assert_eq!(
        s.outcome("save"),
        json!(["ok", dir.join("draft.md").to_str().unwrap()])
    );
    s.start_call(
        "open",
        "dialog.open",
        "{ title: 'Pick', default_path: '$APPDATA/files/a.txt' }",
    );
    let d = harness::wait_window("Pick");
    std::thread::sleep(Duration::from_millis(300));
    harness::press_keys(&d, "Return");
    assert_eq!(
        s.outcome("open"),
        json!(["ok", dir.join("a.txt").to_str().unwrap()])
    );
    s.start_call(
        "cancel",
        "dialog.open",
        "{ title: 'Pick again', multiple: true }",
    );
    let d = harness::wait_window("Pick again");
    harness::press_keys(&d, "Escape");
    assert_eq!(s.outcome("cancel"), json!(["ok", null]));
    assert_eq!(call(&s, "dialog.message", "{}"), json!(["err", "bad_args"]));
    assert_eq!(
        call(&s, "dialog.open", "{ default_path: '$NOPE/x' }"),
        json!(["err", "bad_args"])
    );
}

#[test]
fn refusals_reach_nothing() {
    let s = app();
    // The window granted only app.info reported its outcomes through `emit`.
    s.wait_for_js("return window.events.some(e => e[0] === 'limited:report')");
    assert_eq!(
        events(&s, "limited:report"),
        [json!(["limited:report", {
            "info": ["ok", APP_ID],
            "store": ["err", "forbidden"],
            "echo": ["err", "forbidden"],
            "dialog": ["err", "forbidden"],
        }, "limited"])]
    );
    // The sandboxed iframe (an opaque origin): no bridge, but WebKit's message handler is
    // there, and its three posts (a call and an event with a guessed key, an event with none)
    // reach the host, which refuses them for the key: its posts arrive as the main frame's, so
    // the origin check passes them. Its fetches to app:// never reach the host: WebKit refuses
    // a cross-origin request from an opaque origin to the custom scheme (the same-origin
    // fetches below are the ones that test the key over app://).
    s.wait_for_js("return window.frameReport !== null");
    let frame = s.js("return window.frameReport");
    assert_eq!(
        frame,
        json!({
            "bridge": "undefined",
            "origin": "null",
            "handler": "object",
            "fetchKeyed": "failed",
            "fetchBare": "failed",
        })
    );
    let key_refusal = "ignored a posted message: the call does not carry this launch's key";
    harness::wait_until(Duration::from_secs(5), || {
        s.host_log().matches(key_refusal).count() == 3
    })
    .unwrap_or_else(|| {
        panic!(
            "the frame's posts were not refused for their key:\n{}",
            s.host_log()
        )
    });
    // A keyless call posted by the page itself (a script that bypasses the bridge).
    s.js(
        "window.webkit.messageHandlers.ipc.postMessage(JSON.stringify(
           { t: 'c', i: 1, e: 'store.set', a: { key: 'keyless', value: 1 } })); return true",
    );
    harness::wait_until(Duration::from_secs(5), || {
        s.host_log().matches(key_refusal).count() == 4
    })
    .expect("the keyless post was refused for its key");
    // Without the key over app:// too, and with a wrong one, from the app's own page.
    let status = s.js_async(
        "fetch('app://localhost/__apphost/ipc/store.set', { method: 'POST',
           body: JSON.stringify({ key: 'fetched', value: 1 }) })
           .then(async r => done([r.status, (await r.json()).code]))",
    );
    assert_eq!(status, json!([403, "forbidden"]));
    let status = s.js_async(
        "fetch('app://localhost/__apphost/ipc/store.set', { method: 'POST',
           headers: { 'X-Apphost-Key': 'f'.repeat(64), 'Content-Type': 'application/json' },
           body: JSON.stringify({ key: 'wrong-key', value: 1 }) })
           .then(async r => done([r.status, await r.json()]))",
    );
    assert_eq!(
        status,
        json!([403, { "code": "forbidden", "message": "the call does not carry this launch's key" }])
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        call(&s, "store.keys", "null"),
        json!(["ok", []]),
        "nothing was stored"
    );
    assert!(
        events(&s, "frame:probe").is_empty(),
        "the frame's events went nowhere"
    );
    // The key is on none of the page's globals.
    assert_eq!(
        s.js("return JSON.stringify(Object.keys(window.apphost))"),
        "[\"invoke\",\"emit\",\"on\",\"once\",\"off\"]"
    );
    assert_eq!(
        s.js("return Object.isFrozen(window.apphost) && !delete window.apphost"),
        true
    );
}

#[test]
fn app_exit_ends_the_process() {
    let s = app();
    assert!(s.host_running());
    // Later, so that WebDriver's answer to this script is not cut off by the exit.
    s.js("setTimeout(() => window.apphost.invoke('app.exit', { code: 0 }), 200); return true");
    harness::wait_until(Duration::from_secs(10), || !s.host_running()).expect("the host exited");
}

#[test]
fn files_inside_the_scope_and_nothing_outside() {
    let s = app();
    let data = s.app_data(APP_ID);
    let files = data.join("files");
    std::fs::create_dir_all(&files).unwrap();
    // Outside the scope: a secret beside it, reached by `..` and through symlinks planted
    // inside it (the page itself cannot make links).
    std::fs::write(data.join("secret.txt"), "secret").unwrap();
    std::fs::create_dir_all(data.join("private")).unwrap();
    std::fs::write(data.join("private/key.txt"), "key").unwrap();
    std::os::unix::fs::symlink(data.join("secret.txt"), files.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(data.join("private"), files.join("linkdir")).unwrap();

    let ok = |endpoint: &str, args: &str, want: Value| {
        assert_eq!(
            call(&s, endpoint, args),
            json!(["ok", want]),
            "{endpoint} {args}"
        );
    };
    ok(
        "fs.mkdir",
        "{ path: '$APPDATA/files/notes/2024' }",
        Value::Null,
    );
    ok(
        "fs.write_text",
        "{ path: '$APPDATA/files/notes/a.md', text: 'héllo' }",
        Value::Null,
    );
    ok(
        "fs.read_text",
        "{ path: '$APPDATA/files/notes/a.md' }",
        json!("héllo"),
    );
    ok(
        "fs.exists",
        "{ path: '$APPDATA/files/notes/a.md' }",
        json!(true),
    );
    ok(
        "fs.exists",
        "{ path: '$APPDATA/files/notes/b.md' }",
        json!(false),
    );
    let bytes = s.js_async(
        "window.apphost.invoke('fs.write_bytes', { path: '$APPDATA/files/b.bin', data: new Uint8Array([0, 255, 7]) })
           .then(() => window.apphost.invoke('fs.read_bytes', { path: '$APPDATA/files/b.bin' }))
           .then(b => done([b instanceof ArrayBuffer, ...new Uint8Array(b)]), e => done(e))",
    );
    assert_eq!(bytes, json!([true, 0, 255, 7]));
    assert_eq!(std::fs::read(files.join("b.bin")).unwrap(), [0, 255, 7]);
    let stat = call(&s, "fs.stat", "{ path: '$APPDATA/files/notes/a.md' }");
    assert_eq!(
        (&stat[1]["kind"], &stat[1]["size"]),
        (&json!("file"), &json!(6))
    );
    ok(
        "fs.rename",
        "{ from: '$APPDATA/files/notes/a.md', to: '$APPDATA/files/notes/c.md' }",
        Value::Null,
    );
    let listed = call(&s, "fs.list", "{ path: '$APPDATA/files/notes' }");
    let names: Vec<&str> = listed[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2024", "c.md"]);
    ok(
        "fs.remove",
        "{ path: '$APPDATA/files/notes/c.md' }",
        Value::Null,
    );
    assert_eq!(
        call(&s, "fs.read_text", "{ path: '$APPDATA/files/notes/c.md' }"),
        json!(["err", "io_error", "not_found"])
    );

    // Nothing outside the scope, however it is named.
    for path in [
        "$APPDATA/files/../secret.txt",
        "$APPDATA/files/notes/../../secret.txt",
        "$APPDATA/files/link.txt",
        "$APPDATA/files/linkdir/key.txt",
        "$APPDATA/secret.txt",
    ] {
        assert_eq!(
            call(&s, "fs.read_text", &format!("{{ path: {path:?} }}")),
            json!(["err", "forbidden"]),
            "{path}"
        );
    }
    let absolute = data.join("secret.txt");
    assert_eq!(
        call(
            &s,
            "fs.read_text",
            &format!("{{ path: {:?} }}", absolute.to_str().unwrap())
        ),
        json!(["err", "forbidden"])
    );
    assert_eq!(
        call(&s, "fs.read_text", "{ path: '/etc/passwd' }"),
        json!(["err", "forbidden"])
    );
    assert_eq!(
        call(
            &s,
            "fs.write_text",
            "{ path: '$APPDATA/files/linkdir/new.txt', text: 'x' }"
        ),
        json!(["err", "forbidden"])
    );
    assert_eq!(
        call(
            &s,
            "fs.rename",
            "{ from: '$APPDATA/files/b.bin', to: '$APPDATA/b.bin' }"
        ),
        json!(["err", "forbidden"])
    );
    assert_eq!(
        call(&s, "fs.read_text", "{ path: 'relative.txt' }"),
        json!(["err", "bad_args"])
    );
    // The refusal names the path as the page wrote it, never where it really is.
    let message = s.js_async(
        "window.apphost.invoke('fs.read_text', { path: '$APPDATA/files/link.txt' })
           .then(() => done('read'), e => done(e.message))",
    );
    let home = s.home().to_str().unwrap().to_owned();
    assert!(
        !message.as_str().unwrap().contains(&home),
        "leaks the real path: {message}"
    );
    // And nothing outside changed.
    assert_eq!(
        std::fs::read_to_string(data.join("secret.txt")).unwrap(),
        "secret"
    );
    assert!(!data.join("private/new.txt").exists());
    assert!(!data.join("b.bin").exists());
}

#[test]
fn another_origin_shown_in_the_window_receives_nothing() {
    let s = app();
    let main = harness::wait_window("IPC fixture");
    // A page of another origin (a local server the manifest's `allow-navigation` admits), with
    // a `window.apphost` of its own that would catch what is meant for the app's pages.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in other.incoming().flatten() {
            let mut head = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut head);
            let body = "<!doctype html><title>other</title>";
            let _ = std::io::Write::write_all(
                &mut stream,
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes(),
            );
        }
    });
    s.goto(&format!("http://127.0.0.1:{port}/"));
    s.wait_for_js("return document.title === 'other'");
    assert_eq!(
        s.js("return typeof window.apphost"),
        "undefined",
        "no bridge there"
    );
    s.js("window.caught = [];
         const keep = (...a) => { window.caught.push(a); };
         window.apphost = { __dispatch: keep, __reply: keep };
         return true");
    // A menu event is for every window's page: not for this one.
    harness::press_keys(&main, "ctrl+shift+p");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(s.js("return window.caught"), json!([]));
    // Back home, the same event arrives.
    s.goto("app://localhost/index.html");
    s.wait_for_js("return Array.isArray(window.events)");
    harness::press_keys(&main, "ctrl+shift+p");
    s.wait_for_js("return window.events.some(e => e[0] === 'test:ping')");
}
