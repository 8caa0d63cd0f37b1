//! Attacks on the IPC edges: endpoint names dressed up to reach a granted one, origins that
//! look like `app://localhost`, the launch key put where the bridge never puts it, a page of
//! another origin holding the real key, and floods (calls in flight, a huge body, deep JSON).
//! Each asserts the stable error code, and that a normal call still answers afterwards.
//!
//! Hand-made requests go through the lib's own entry points (`ipc::http::respond`, the posted
//! message parser and the router), on the same `Core` the host builds; page attacks run in the
//! real webview. Fixture: `tests/apps/attacks-ipc` (copied, with the port of the test's own
//! HTTP server written in).

use std::borrow::Cow;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apphost::builtins::Lasting;
use apphost::builtins::paths::AppDirs;
use apphost::generation::{Core, Mode};
use apphost::ipc::{self, Body, Call, InFlight, IpcError, message, stash::Stash};
use serde_json::{Value, json};

use crate::common::copy_dir;
use crate::harness::{self, Session, repo};

pub const KEY: &str = "4b65794b65794b65794b65794b65794b65794b65794b65794b65794b65794b65";

/// The fixture app, copied into a temporary folder with `port` for `__PORT__`.
pub fn fixture(port: u16) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    copy_dir(&repo().join("tests/apps/attacks-ipc"), &root);
    let manifest = root.join("app.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("__PORT__", &port.to_string())).unwrap();
    (tmp, root)
}

/// The host's core for the fixture, as `apphost run` builds it, with the key [`KEY`]: its
/// router and site answer hand-made requests.
pub struct Host {
    pub core: Core,
    pub stash: Stash,
    pub in_flight: Arc<InFlight>,
    _tmp: tempfile::TempDir,
}

pub fn host() -> Host {
    let (tmp, root) = fixture(9);
    let checked = apphost::check(&root);
    let app = checked
        .app
        .clone()
        .filter(|_| !checked.has_errors())
        .unwrap_or_else(|| panic!("{}", checked.render()));
    let dirs = AppDirs::under(&tmp.path().join("dirs"));
    let ui: apphost::builtins::Ui =
        Box::new(|_, _| Err(IpcError::Unavailable("no UI in this test".into())));
    let core = Core::new(
        app,
        Arc::clone(&checked.source),
        KEY.to_owned(),
        Mode::Run,
        Lasting::new(&dirs, ui),
        None,
    )
    .unwrap();
    Host {
        core,
        stash: Stash::default(),
        in_flight: Arc::default(),
        _tmp: tmp,
    }
}

impl Host {
    /// A hand-made `app://` request to the IPC transport: (status, JSON body or null).
    pub fn fetch(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Value) {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(body.to_vec()).unwrap();
        let generation = self.core.current();
        let res: http::Response<Cow<'static, [u8]>> = ipc::http::respond(
            &generation.router,
            &self.stash,
            &self.in_flight,
            "main",
            &req,
        );
        let v = serde_json::from_slice(res.body()).unwrap_or(Value::Null);
        (res.status().as_u16(), v)
    }

    /// A same-origin keyed call over `app://`, as the bridge makes it.
    pub fn call(&self, endpoint: &str, args: &str) -> (u16, Value) {
        self.fetch(
            "POST",
            &format!("app://localhost/__apphost/ipc/{endpoint}"),
            &[
                ("referer", "app://localhost/index.html"),
                ("x-apphost-key", KEY),
                ("content-type", "application/json"),
            ],
            args.as_bytes(),
        )
    }

    /// A posted message from a page at `page_url`, through the parser and the router as the
    /// runtime's inbox runs it: `None` when it is ignored unanswered (malformed, or refused
    /// before anything is known about the caller), else the call's outcome.
    pub fn post(&self, page_url: &str, text: &str) -> Option<Result<Value, IpcError>> {
        let msg = message::parse(text).ok()?;
        let generation = self.core.current();
        let origin = ipc::http::origin_of(page_url);
        generation
            .router
            .check_caller(origin.as_deref(), msg.key.as_deref())
            .ok()?;
        let payload = msg.kind.payload().to_owned();
        let message::Kind::Call { endpoint, .. } = msg.kind else {
            return Some(Ok(Value::Null));
        };
        let call = Call {
            window: "main",
            origin: None,
            key: None,
            endpoint: &endpoint,
            body: Body::Json(payload.as_bytes()),
        };
        Some(
            generation
                .router
                .handle_from_caller(&call)
                .map(|e| match e {
                    ipc::Encoded::Json(b) => serde_json::from_slice(&b).unwrap(),
                    ipc::Encoded::Bytes(b) => json!({ "bytes": b.len() }),
                }),
        )
    }

    /// A normal call answers: the host is healthy.
    pub fn healthy(&self) {
        assert_eq!(
            self.call("notes.save", r#"{"ok":1}"#),
            (200, json!({ "ok": 1 }))
        );
        assert_eq!(
            self.post(
                "app://localhost/index.html",
                &format!(r#"{{"k":"{KEY}","t":"c","i":1,"e":"notes.save","a":[1]}}"#)
            ),
            Some(Ok(json!([1])))
        );
    }
}

/// Names that look like `notes.save` (declared, granted) and must not reach it.
const LOOK_ALIKES: &[&str] = &[
    "Notes.Save",
    "NOTES.SAVE",
    "notes%2Esave",
    "notes%2esave",
    "notes.save/",
    "notes.save?x",
    "notes.save#x",
    "notes.save ",
    "notes.save%00",
    "notes.save\u{0}",
    "ｎｏｔｅｓ.ｓａｖｅ",
    "nоtes.save",
    "notes\u{2024}save",
    "notes.save\u{200b}",
];

/// Every look-alike of a granted name, on both transports (hand-made requests): `not_found`,
/// the same code on each, and the echo behind `notes.save` never runs.
#[test]
fn endpoint_look_alikes_reach_nothing() {
    let h = host();
    for raw in LOOK_ALIKES {
        // Posted: the name as the page wrote it, JSON-quoted.
        let text = format!(
            r#"{{"k":"{KEY}","t":"c","i":1,"e":{},"a":{{"reached":true}}}}"#,
            serde_json::to_string(raw).unwrap()
        );
        let posted = h.post("app://localhost/index.html", &text).unwrap();
        assert_eq!(
            posted.map_err(|e| e.code()),
            Err("not_found"),
            "posted {raw:?}"
        );
        // Over app://: as the bridge writes it (encodeURIComponent), and raw where the URL
        // parser lets it through as it is.
        let encoded: String = percent_encoding::utf8_percent_encode(raw, &COMPONENT).to_string();
        for path in [encoded.as_str(), raw] {
            if !path.is_ascii() || path.contains([' ', '\0', '#']) {
                continue;
            }
            let (status, body) = h.call(path, r#"{"reached":true}"#);
            assert_eq!(
                (status, &body["code"]),
                (404, &json!("not_found")),
                "app:// {path:?}: {body}"
            );
        }
    }
    h.healthy();
}

/// What `encodeURIComponent` leaves as it is: ASCII letters, digits and `-_.!~*'()`.
pub(crate) const COMPONENT: percent_encoding::AsciiSet = percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Origins that look like `app://localhost`, with the real key, on both transports:
/// `forbidden`, and nothing runs.
#[test]
fn origin_look_alikes_are_refused_with_the_real_key() {
    let h = host();
    for origin in [
        "app://localhost.evil",
        "app://localhost@evil",
        "APP://LOCALHOST:80",
        "app://LOCALHOST",
        "app://localhost:0",
        "app://localhost:80",
        "app://localhost/",
        "app://localhost.",
        "null",
        "http://localhost",
        "https://localhost",
        "app://lоcalhost",
        "",
    ] {
        let (status, body) = h.fetch(
            "POST",
            "app://localhost/__apphost/ipc/notes.save",
            &[("origin", origin), ("x-apphost-key", KEY)],
            b"{}",
        );
        assert_eq!(
            (status, &body["code"]),
            (403, &json!("forbidden")),
            "Origin {origin:?}"
        );
    }
    for referer in [
        "app://localhost.evil/index.html",
        "app://localhost@evil/index.html",
        "app://user@localhost/index.html",
        "app://LOCALHOST/index.html",
        "app://localhost:0/index.html",
        "app://localhost:80/",
        "http://127.0.0.1:8000/app://localhost/",
        "data:text/html,app://localhost/",
        "about:blank",
    ] {
        let (status, body) = h.fetch(
            "POST",
            "app://localhost/__apphost/ipc/notes.save",
            &[("referer", referer), ("x-apphost-key", KEY)],
            b"{}",
        );
        assert_eq!(
            (status, &body["code"]),
            (403, &json!("forbidden")),
            "Referer {referer:?}"
        );
        // A posted message from a page at that URL, with the real key: ignored unanswered.
        let text = format!(r#"{{"k":"{KEY}","t":"c","i":1,"e":"notes.save","a":1}}"#);
        assert_eq!(h.post(referer, &text), None, "posted from {referer:?}");
    }
    h.healthy();
}

/// The key in the query string, in a form body, or in a posted call's arguments instead of its
/// `k` field: not the key. `forbidden` (and a query string never names the endpoint either).
#[test]
fn the_key_counts_only_where_the_bridge_sends_it() {
    let h = host();
    let here = [("referer", "app://localhost/index.html")];
    for uri in [
        format!("app://localhost/__apphost/ipc/notes.save?x-apphost-key={KEY}"),
        format!("app://localhost/__apphost/ipc/notes.save?key={KEY}"),
        format!("app://localhost/__apphost/ipc/notes.save?k={KEY}"),
    ] {
        let (status, body) = h.fetch("POST", &uri, &here, b"{}");
        assert_eq!((status, &body["code"]), (403, &json!("forbidden")), "{uri}");
    }
    for (content_type, body) in [
        (
            "application/x-www-form-urlencoded",
            format!("x-apphost-key={KEY}&k={KEY}"),
        ),
        (
            "multipart/form-data; boundary=b",
            format!(
                "--b\r\nContent-Disposition: form-data; name=\"x-apphost-key\"\r\n\r\n{KEY}\r\n--b--\r\n"
            ),
        ),
        ("text/plain", format!("x-apphost-key: {KEY}")),
        (
            "application/json",
            format!(r#"{{"k":"{KEY}","key":"{KEY}"}}"#),
        ),
    ] {
        let (status, res) = h.fetch(
            "POST",
            "app://localhost/__apphost/ipc/notes.save",
            &[here[0], ("content-type", content_type)],
            body.as_bytes(),
        );
        assert_eq!(
            (status, &res["code"]),
            (403, &json!("forbidden")),
            "{content_type}"
        );
    }
    // The stashed-reply fetch too.
    let (status, res) = h.fetch(
        "GET",
        &format!("app://localhost/__apphost/reply/abc?x-apphost-key={KEY}"),
        &here,
        b"",
    );
    assert_eq!((status, &res["code"]), (403, &json!("forbidden")));
    // A posted call with the key among its arguments, or under another field name.
    for text in [
        format!(r#"{{"t":"c","i":1,"e":"notes.save","a":{{"k":"{KEY}"}}}}"#),
        format!(r#"{{"key":"{KEY}","t":"c","i":1,"e":"notes.save"}}"#),
        format!(r#"{{"K":"{KEY}","t":"c","i":1,"e":"notes.save"}}"#),
        format!(
            r#"{{"k":"{}","t":"c","i":1,"e":"notes.save"}}"#,
            KEY.to_uppercase()
        ),
        format!(r#"{{"k":" {KEY}","t":"c","i":1,"e":"notes.save"}}"#),
    ] {
        assert_eq!(h.post("app://localhost/index.html", &text), None, "{text}");
    }
    h.healthy();
}

/// A body past `max-payload` (the fixture's is 1 MiB), and JSON nested 100,000 deep on both
/// transports: `too_large`, `bad_args`, no stack overflow, and the host answers afterwards.
#[test]
fn huge_and_deep_payloads_are_clean_errors() {
    let h = host();
    let big = vec![b'1'; (1 << 20) + 1];
    let (status, body) = h.call("notes.save", std::str::from_utf8(&big).unwrap());
    assert_eq!((status, &body["code"]), (413, &json!("too_large")));
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let (status, body) = h.call("notes.save", &deep);
    assert_eq!((status, &body["code"]), (400, &json!("bad_args")), "{body}");
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let (status, body) = h.call("notes.save", &deep_object);
    assert_eq!((status, &body["code"]), (400, &json!("bad_args")));
    // Posted: the message parses (its arguments are kept raw), and the call is refused.
    for args in [&deep, &deep_object] {
        let text = format!(r#"{{"k":"{KEY}","t":"c","i":1,"e":"notes.save","a":{args}}}"#);
        let posted = h.post("app://localhost/index.html", &text).unwrap();
        assert_eq!(posted.map_err(|e| e.code()), Err("bad_args"));
    }
    // An unclosed one, and one nested past the limit inside the envelope itself.
    let text = format!(
        r#"{{"k":"{KEY}","t":"c","i":1,"e":"notes.save","a":{}}}"#,
        "[".repeat(depth)
    );
    assert_eq!(h.post("app://localhost/index.html", &text), None);
    h.healthy();
}

/// A CORS preflight and a keyed call from look-alike origins: the preflight is refused (403)
/// and no answer carries `Access-Control-Allow-Origin`, so a foreign page could not read an
/// answer even if one were given; only the app's own origin is ever named in it.
#[test]
fn look_alike_origins_get_no_cors() {
    let h = host();
    let generation = h.core.current();
    let send = |method: &str, origin: &str| {
        let req = http::Request::builder()
            .method(method)
            .uri("app://localhost/__apphost/ipc/notes.save")
            .header("origin", origin)
            .header("x-apphost-key", KEY)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "x-apphost-key")
            .body(b"{}".to_vec())
            .unwrap();
        let res = ipc::http::respond(&generation.router, &h.stash, &h.in_flight, "main", &req);
        (
            res.status().as_u16(),
            res.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned()),
        )
    };
    for origin in [
        "app://localhost.evil",
        "APP://LOCALHOST:80",
        "app://localhost@evil",
        "null",
        "http://127.0.0.1:5173",
    ] {
        assert_eq!(
            send("OPTIONS", origin),
            (403, None),
            "preflight from {origin}"
        );
        assert_eq!(send("POST", origin), (403, None), "call from {origin}");
    }
    assert_eq!(
        send("POST", "app://localhost"),
        (200, Some("app://localhost".to_owned()))
    );
    h.healthy();
}

// ---- In the real webview ----

/// A local HTTP server: `/page.html` is a page of another origin; `/hold` answers only once
/// released (what the fixture's `hold` script waits on).
struct Server {
    port: u16,
    released: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let released = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (r, h) = (Arc::clone(&released), Arc::clone(&held));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (r, h) = (Arc::clone(&r), Arc::clone(&h));
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let n = stream.read(&mut buf).unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                    if head.starts_with("GET /hold") {
                        if r.load(Ordering::SeqCst) {
                            answer(&mut stream, "text/plain", "held");
                        } else {
                            h.lock().unwrap().push(stream);
                        }
                    } else {
                        answer(
                            &mut stream,
                            "text/html",
                            "<!doctype html><title>other</title><p>another origin</p>",
                        );
                    }
                });
            }
        });
        Server {
            port,
            released,
            held,
        }
    }

    fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
        for mut s in self.held.lock().unwrap().drain(..) {
            answer(&mut s, "text/plain", "held");
        }
    }
}

fn answer(stream: &mut TcpStream, content_type: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn launch(port: u16) -> (Session, tempfile::TempDir) {
    let (tmp, root) = fixture(port);
    let s = harness::launch(&root);
    s.wait_for_js("return typeof window.apphost === 'object'");
    (s, tmp)
}

/// The launch key, as a compromised main page could take it (the threat model grants that
/// such a page has the window's grants): the bridge looks `fetch` up when it calls.
fn steal_key(s: &Session) -> String {
    let key = s.js_async(
        "const real = window.fetch;
         window.fetch = (url, init) => { window.__key = init.headers['X-Apphost-Key']; return real(url, init); };
         window.apphost.invoke('notes.save', new Uint8Array(1))
           .then(() => { window.fetch = real; done(window.__key); }, e => done(e))",
    );
    let key = key.as_str().unwrap().to_owned();
    assert_eq!(key.len(), 64, "{key}");
    key
}

/// The pid of the host process of session `s` (the one whose `$HOME` is the session's).
fn host_pid(s: &Session) -> u32 {
    let home = format!("HOME={}", s.home().display());
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        if comm.trim() == "apphost" && env.split(|b| *b == 0).any(|v| v == home.as_bytes()) {
            return pid;
        }
    }
    panic!("no host process for this session");
}

/// A `VmRSS`/`VmHWM` line of the host's status, in KiB.
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn call(s: &Session, endpoint: &str, args: &str) -> Value {
    s.js_async(&format!(
        "window.apphost.invoke({endpoint:?}, {args}).then(
           v => done(['ok', v instanceof ArrayBuffer ? {{ bytes: v.byteLength }} : v]),
           e => done(['err', e.code]))"
    ))
}

fn healthy(s: &Session) {
    assert_eq!(
        call(s, "notes.save", "{ ok: 1 }"),
        json!(["ok", { "ok": 1 }])
    );
    assert_eq!(
        call(s, "notes.save", "new Uint8Array(3)"),
        json!(["ok", { "bytes": 3 }])
    );
    assert!(!s.host_log().contains("panicked"), "{}", s.host_log());
}

/// From the page, each look-alike through the bridge on both transports (small JSON is
/// posted, bytes go over `app://`), and raw over `app://` with the real key: `not_found`
/// everywhere, and the echo never answers.
#[test]
fn endpoint_look_alikes_from_the_page_on_both_transports() {
    let server = Server::start();
    let (s, _tmp) = launch(server.port);
    let names = serde_json::to_string(LOOK_ALIKES).unwrap();
    let got = s.js_async(&format!(
        "const names = {names};
         const code = (p) => p.then(v => ['reached', v], e => e.code);
         Promise.all(names.map(n => Promise.all([
           code(window.apphost.invoke(n, {{ reached: true }})),
           code(window.apphost.invoke(n, new Uint8Array(2))),
         ]))).then(done)"
    ));
    let want: Vec<Value> = LOOK_ALIKES
        .iter()
        .map(|_| json!(["not_found", "not_found"]))
        .collect();
    assert_eq!(got, Value::Array(want));
    let key = steal_key(&s);
    let raw = s.js_async(&format!(
        "const paths = ['notes.save?x', 'notes.save/', 'notes%2Esave', 'Notes.Save', 'notes.save%3Fx',
                        'notes.save;x', 'notes.save/.', '%6Eotes.save', 'n%D0%BEtes.save'];
         Promise.all(paths.map(p => fetch('app://localhost/__apphost/ipc/' + p, {{
           method: 'POST', headers: {{ 'X-Apphost-Key': {key:?}, 'Content-Type': 'application/json' }},
           body: '{{\"reached\":true}}' }}).then(async r => [r.status, (await r.json()).code])))
           .then(done, e => done(String(e)))"
    ));
    assert_eq!(raw, Value::Array(vec![json!([404, "not_found"]); 9]));
    healthy(&s);
}

/// A page of another origin (a local HTTP server, reached through `allow-navigation`) holding
/// the REAL key: its posted call and event, and its `app://` call, are refused by the origin
/// check (the host says so), and nothing is stored.
#[test]
fn another_origin_with_the_real_key_is_refused() {
    let server = Server::start();
    let (s, _tmp) = launch(server.port);
    let key = steal_key(&s);
    let other = format!("http://127.0.0.1:{}", server.port);
    s.goto(&format!("{other}/page.html"));
    s.wait_for_js("return document.title === 'other'");
    assert_eq!(
        s.js("return typeof window.apphost"),
        "undefined",
        "no bridge there"
    );
    let report = s.js_async(&format!(
        "const key = {key:?};
         const handler = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.ipc;
         const report = {{ handler: typeof handler }};
         if (handler) {{
           handler.postMessage(JSON.stringify({{ k: key, t: 'c', i: 1, e: 'store.set', a: {{ key: 'posted', value: 1 }} }}));
           handler.postMessage(JSON.stringify({{ k: key, t: 'e', e: 'cross:event', d: 1 }}));
         }}
         fetch('app://localhost/__apphost/ipc/store.set', {{ method: 'POST',
           headers: {{ 'X-Apphost-Key': key, 'Content-Type': 'application/json' }},
           body: JSON.stringify({{ key: 'fetched', value: 1 }}) }})
           .then(r => r.status, e => 'failed')
           .then(f => {{ report.fetch = f; done(report); }})"
    ));
    assert_eq!(report, json!({ "handler": "object", "fetch": "failed" }));
    // The posted messages reached the host and were refused for their origin, not their key.
    let refusal = format!(
        "ignored a posted message: calls are accepted only from the app's own pages, not from {other}"
    );
    harness::wait_until(Duration::from_secs(5), || {
        s.host_log().matches(&refusal).count() >= 2
    })
    .unwrap_or_else(|| panic!("no origin refusal in the log:\n{}", s.host_log()));
    // The fetch: WebKit sends it (with `Origin`), the host refuses it for its origin, and without
    // CORS headers the page cannot even read the refusal.
    let fetch_refusal =
        format!("refused call: calls are accepted only from the app's own pages, not from {other}");
    harness::wait_until(Duration::from_secs(5), || {
        s.host_log().contains(&fetch_refusal)
    })
    .unwrap_or_else(|| panic!("no origin refusal of the fetch:\n{}", s.host_log()));
    assert!(!s.host_log().contains("does not carry this launch's key"));
    s.goto("app://localhost/index.html");
    s.wait_for_js("return typeof window.apphost === 'object'");
    assert_eq!(
        call(&s, "store.keys", "null"),
        json!(["ok", []]),
        "nothing was stored"
    );
    healthy(&s);
}

/// 100,000 calls in flight from one page (each with 2 KiB of arguments), to an endpoint that
/// waits: the host admits 1024 and refuses every other at once with `unavailable` (the app://
/// transport too, while they run), its memory stays bounded, and once they finish every call
/// answers again.
#[test]
fn a_flood_of_calls_in_flight_is_bounded() {
    let server = Server::start();
    let (s, _tmp) = launch(server.port);
    healthy(&s);
    let pid = host_pid(&s);
    let before = memory_kib(pid, "VmRSS:");
    let url = format!("http://127.0.0.1:{}/hold", server.port);
    s.js(&format!(
        "window.flood = {{ sent: 0, refused: 0, ok: 0, other: [] }};
         const pad = 'x'.repeat(2048);
         const burst = () => {{
           for (let i = 0; i < 5000; i++) {{
             window.apphost.invoke('hold', {{ url: {url:?}, pad }}).then(
               v => {{ if (v === 200) window.flood.ok++; else window.flood.other.push(v); }},
               e => {{ if (e.code === 'unavailable') window.flood.refused++; else window.flood.other.push(e.code); }});
           }}
           window.flood.sent += 5000;
           if (window.flood.sent < 100000) setTimeout(burst, 0);
         }};
         setTimeout(burst, 0);
         return true"
    ));
    harness::wait_until(Duration::from_secs(120), || {
        s.js("return window.flood.refused") == json!(100_000 - 1024)
    })
    .unwrap_or_else(|| panic!("refused: {}", s.js("return window.flood")));
    let during = memory_kib(pid, "VmRSS:");
    eprintln!("host RSS: {before} KiB before, {during} KiB with 1024 calls held");
    assert_eq!(
        s.js("return [window.flood.ok, window.flood.other]"),
        json!([0, []])
    );
    // The bound spans both transports.
    assert_eq!(
        call(&s, "notes.save", "new Uint8Array(3)"),
        json!(["err", "unavailable"])
    );
    assert_eq!(call(&s, "notes.save", "{}"), json!(["err", "unavailable"]));
    assert!(
        during < before + 100 * 1024,
        "the host grew from {before} KiB to {during} KiB"
    );
    server.release();
    harness::wait_until(Duration::from_secs(120), || {
        s.js("return window.flood.ok") == json!(1024)
    })
    .unwrap_or_else(|| panic!("answered: {}", s.js("return window.flood")));
    assert_eq!(s.js("return window.flood.other"), json!([]));
    healthy(&s);
}

/// A 1 GiB argument (max-payload 1 MiB): the bridge refuses it with `too_large` before it
/// sends anything, so the host's memory does not grow by it. A page that bypasses the bridge
/// with a raw 1 GiB `fetch` and the real key gets `too_large` from the host, which reads no
/// more than the limit of it, and keeps answering. (WebKit itself copies such a body into the
/// host process before the host sees it: that transient cost is WebKit's, see the README.)
#[test]
fn a_gigabyte_body_is_refused_with_bounded_memory() {
    let server = Server::start();
    let (s, _tmp) = launch(server.port);
    let key = steal_key(&s);
    healthy(&s);
    let pid = host_pid(&s);
    let before = memory_kib(pid, "VmHWM:");
    assert_eq!(
        call(&s, "notes.save", "new Uint8Array(1 << 30)"),
        json!(["err", "too_large"])
    );
    assert_eq!(
        call(&s, "notes.save", "{ data: 'x'.repeat((1 << 20) + 1) }"),
        json!(["err", "too_large"])
    );
    let peak = memory_kib(pid, "VmHWM:");
    assert!(
        peak < before + 64 * 1024,
        "the host's peak grew from {before} KiB to {peak} KiB"
    );
    let raw = s.js_async(&format!(
        "fetch('app://localhost/__apphost/ipc/notes.save', {{ method: 'POST',
           headers: {{ 'X-Apphost-Key': {key:?}, 'Content-Type': 'application/octet-stream' }},
           body: new Uint8Array(1 << 30) }})
           .then(async r => done([r.status, (await r.json()).code]), e => done(String(e)))"
    ));
    assert_eq!(raw, json!([413, "too_large"]));
    healthy(&s);
}

/// JSON nested 100,000 deep from the page, with the real key: over `app://` it is `bad_args`;
/// posted, a call costs the host no stack and an event is refused (never handed on to the
/// pages), and the host answers afterwards.
#[test]
fn deep_json_from_the_page_is_a_clean_error() {
    let server = Server::start();
    let (s, _tmp) = launch(server.port);
    let key = steal_key(&s);
    let got = s.js_async(&format!(
        "const deep = '['.repeat(100000) + ']'.repeat(100000);
         const post = window.webkit.messageHandlers.ipc;
         post.postMessage('{{\"k\":\"{key}\",\"t\":\"c\",\"i\":7,\"e\":\"notes.save\",\"a\":' + deep + '}}');
         post.postMessage('{{\"k\":\"{key}\",\"t\":\"e\",\"e\":\"deep\",\"d\":' + deep + '}}');
         fetch('app://localhost/__apphost/ipc/notes.save', {{ method: 'POST',
           headers: {{ 'X-Apphost-Key': {key:?}, 'Content-Type': 'application/json' }}, body: deep }})
           .then(async r => done([r.status, (await r.json()).code]), e => done(String(e)))"
    ));
    assert_eq!(got, json!([400, "bad_args"]));
    // The event is not handed on to the pages (whose script parser could overflow on it).
    s.wait_for_log("ignored event: event data nests deeper than 128 levels");
    assert!(s.host_running());
    healthy(&s);
}
