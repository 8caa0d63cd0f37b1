use super::*;
use crate::manifest::{Handler, Limits};

struct Echo;

impl Dispatch for Echo {
    fn dispatch(
        &self,
        name: &str,
        _: &Endpoint,
        window: &str,
        args: Args,
    ) -> Result<Reply, IpcError> {
        match (name, args) {
            ("fail", _) => Err(IpcError::Handler("it failed".into())),
            ("big", _) => Ok(Reply::Bytes(vec![0; 2048])),
            (_, Args::Json(v)) => Ok(Reply::Json(
                serde_json::json!({ "window": window, "args": v }),
            )),
            (_, Args::Bytes(b)) => Ok(Reply::Bytes(b)),
            (_, Args::Mixed(v, b)) => Ok(Reply::Json(
                serde_json::json!({ "side": v, "len": b.len() }),
            )),
        }
    }

    /// `wait` runs until cancelled (at most 5 s), `report` reports progress.
    fn dispatch_running(
        &self,
        name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
        running: &Running,
    ) -> Result<Reply, IpcError> {
        match name {
            "wait" => {
                let start = std::time::Instant::now();
                while !running.is_cancelled() {
                    if start.elapsed() > std::time::Duration::from_secs(5) {
                        return Ok(Reply::Json("not cancelled".into()));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Err(IpcError::Cancelled)
            }
            "report" => {
                running.progress(0.5, Some("half"));
                Ok(Reply::Json(serde_json::Value::Null))
            }
            _ => self.dispatch(name, endpoint, window, args),
        }
    }
}

fn endpoint() -> Endpoint {
    Endpoint {
        handler: Handler::Builtin("app.info".into()),
        scope: vec![],
        allow_urls: vec![],
        invoke: vec![],
        on: vec![],
        timeout: None,
        limits: Limits::default(),
    }
}

fn router() -> Router {
    let mut endpoints = BTreeMap::new();
    for name in [
        "notes.load",
        "notes.save",
        "app.info",
        "fail",
        "big",
        "wait",
        "report",
    ] {
        endpoints.insert(name.to_owned(), endpoint());
    }
    Router {
        key: "k".repeat(64),
        origins: vec!["app://localhost".into()],
        endpoints,
        grants: HashMap::from([
            ("main".to_owned(), None),
            (
                "notes".to_owned(),
                Some(vec!["notes.*".to_owned(), "big".to_owned()]),
            ),
            ("bare".to_owned(), Some(vec![])),
        ]),
        max_payload: 1024,
        dispatch: Arc::new(Echo),
    }
}

fn call<'a>(window: &'a str, endpoint: &'a str, body: Body<'a>, key: &'a str) -> Call<'a> {
    Call {
        window,
        origin: Some("app://localhost"),
        key: Some(key),
        endpoint,
        body,
    }
}

/// The `app://` transport with a table of calls of its own.
fn respond(
    r: &Router,
    stash: &stash::Stash,
    window: &str,
    req: &::http::Request<Vec<u8>>,
) -> ::http::Response<std::borrow::Cow<'static, [u8]>> {
    http::respond(r, stash, &Arc::default(), window, req)
}

fn json(v: serde_json::Value) -> Encoded {
    Encoded::Json(v.to_string().into_bytes())
}

fn code(r: Result<Encoded, IpcError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn permission_matrix() {
    let r = router();
    let key = r.key().to_owned();
    let cases = [
        ("main", "notes.load", "ok"),
        ("main", "app.info", "ok"),
        ("main", "nope", "not_found"),
        ("notes", "notes.save", "ok"),
        ("notes", "app.info", "forbidden"),
        ("notes", "nope", "not_found"),
        ("bare", "app.info", "forbidden"),
        ("bare", "notes.load", "forbidden"),
        ("ghost", "app.info", "forbidden"),
    ];
    for (window, ep, want) in cases {
        assert_eq!(
            code(r.handle(&call(window, ep, Body::Json(b"{}"), &key))),
            want,
            "{window} → {ep}"
        );
    }
}

#[test]
fn origin_and_key_come_first() {
    let r = router();
    let key = r.key().to_owned();
    let mut c = call("main", "nope", Body::Json(b"{}"), &key);
    c.origin = Some("https://evil.example");
    assert_eq!(
        code(r.handle(&c)),
        "forbidden",
        "an unknown endpoint is not revealed"
    );
    c.origin = None;
    assert_eq!(code(r.handle(&c)), "forbidden");
    c.origin = Some("app://localhost.evil");
    assert_eq!(code(r.handle(&c)), "forbidden");
    let mut c = call("main", "app.info", Body::Json(b"{}"), "wrong");
    assert_eq!(code(r.handle(&c)), "forbidden");
    c.key = None;
    assert_eq!(code(r.handle(&c)), "forbidden");
    let short = &key[..63];
    assert_eq!(
        code(r.handle(&call("main", "app.info", Body::Json(b"{}"), short))),
        "forbidden"
    );
}

#[test]
fn payloads() {
    let r = router();
    let key = r.key().to_owned();
    let ok = r.handle(&call(
        "main",
        "app.info",
        Body::Json(br#"{"a":[1,2]}"#),
        &key,
    ));
    assert_eq!(
        ok,
        Ok(json(
            serde_json::json!({ "window": "main", "args": { "a": [1, 2] } })
        ))
    );
    let empty = r.handle(&call("main", "app.info", Body::Json(b""), &key));
    assert_eq!(
        empty,
        Ok(json(serde_json::json!({ "window": "main", "args": null })))
    );
    let bytes = r.handle(&call("main", "app.info", Body::Bytes(&[0, 255, 7]), &key));
    assert_eq!(bytes, Ok(Encoded::Bytes(vec![0, 255, 7])));
    for bad in [&b"{"[..], b"nul", b"\xff\xfe", b"{\"a\":1}x"] {
        assert_eq!(
            code(r.handle(&call("main", "app.info", Body::Json(bad), &key))),
            "bad_args"
        );
    }
    let big = vec![b' '; 1025];
    assert_eq!(
        code(r.handle(&call("main", "app.info", Body::Json(&big), &key))),
        "too_large"
    );
    assert_eq!(
        code(r.handle(&call("main", "app.info", Body::Bytes(&big), &key))),
        "too_large"
    );
    // A reply over the limit is refused too.
    assert_eq!(
        code(r.handle(&call("main", "big", Body::Json(b""), &key))),
        "too_large"
    );
    assert_eq!(
        code(r.handle(&call("main", "fail", Body::Json(b""), &key))),
        "handler_error"
    );
}

#[test]
fn errors_have_stable_codes() {
    let all = [
        IpcError::NotFound("x".into()),
        IpcError::Forbidden("x".into()),
        IpcError::BadArgs("x".into()),
        IpcError::TooLarge(1),
        IpcError::Timeout(1),
        IpcError::Handler("x".into()),
        IpcError::Unavailable("x".into()),
        IpcError::Io {
            kind: error::IoKind::Other,
            message: "x".into(),
        },
        IpcError::LimitExceeded("x".into()),
        IpcError::Cancelled,
    ];
    let codes: Vec<&str> = all.iter().map(IpcError::code).collect();
    assert_eq!(codes, CODES);
    assert_eq!(
        all[0].to_json()["message"],
        "no endpoint `x` is declared in app.toml"
    );
}

#[test]
fn keys_are_fresh_and_long() {
    let a = launch_key().unwrap();
    assert_eq!(a.len(), 64);
    assert_ne!(a, launch_key().unwrap());
    assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
}

#[test]
fn http_transport() {
    let r = router();
    let key = r.key().to_owned();
    let req = |method: &str, path: &str, ct: &str, key: &str, body: &[u8]| {
        ::http::Request::builder()
            .method(method)
            .uri(format!("app://localhost{path}"))
            .header("origin", "app://localhost")
            .header("content-type", ct)
            .header(http::KEY_HEADER, key)
            .body(body.to_vec())
            .unwrap()
    };
    let res = respond(
        &r,
        &stash::Stash::default(),
        "main",
        &req(
            "POST",
            "/__apphost/ipc/app.info",
            "application/json",
            &key,
            b"[1]",
        ),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let body: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
    assert_eq!(body, serde_json::json!({"args": [1], "window": "main"}));
    let res = respond(
        &r,
        &stash::Stash::default(),
        "main",
        &req(
            "POST",
            "/__apphost/ipc/app.info",
            "application/octet-stream",
            &key,
            &[1, 2],
        ),
    );
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(&res.body()[..], &[1, 2]);
    for (method, path, key, status, code) in [
        (
            "GET",
            "/__apphost/ipc/app.info",
            key.as_str(),
            400,
            "bad_args",
        ),
        ("POST", "/__apphost/ipc/app.info", "bad", 403, "forbidden"),
        (
            "POST",
            "/__apphost/ipc/missing",
            key.as_str(),
            404,
            "not_found",
        ),
        (
            "POST",
            "/__apphost/ipc/fail",
            key.as_str(),
            500,
            "handler_error",
        ),
    ] {
        let res = respond(
            &r,
            &stash::Stash::default(),
            "main",
            &req(method, path, "application/json", key, b""),
        );
        assert_eq!(res.status(), status, "{method} {path}");
        let v: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
        assert_eq!(v["code"], code);
    }
}

#[test]
fn origin_from_the_referer_when_webkit_sends_no_origin() {
    let r = router();
    let key = r.key().to_owned();
    let req = |headers: &[(&str, &str)]| {
        let mut b = ::http::Request::builder()
            .method("POST")
            .uri("app://localhost/__apphost/ipc/app.info");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.header(http::KEY_HEADER, key.as_str())
            .body(Vec::new())
            .unwrap()
    };
    let status = |headers: &[(&str, &str)]| {
        respond(&r, &stash::Stash::default(), "main", &req(headers)).status()
    };
    assert_eq!(status(&[("referer", "app://localhost/index.html")]), 200);
    assert_eq!(status(&[("referer", "app://localhost.evil/x")]), 403);
    assert_eq!(status(&[("referer", "https://evil.example/")]), 403);
    assert_eq!(status(&[]), 403);
    // A cross-origin request carries Origin, which wins over any Referer.
    assert_eq!(
        status(&[
            ("origin", "https://evil.example"),
            ("referer", "app://localhost/")
        ]),
        403
    );
    assert_eq!(status(&[("origin", "null")]), 403);
}

#[test]
fn mixed_arguments_and_stashed_replies() {
    let r = router();
    let key = r.key().to_owned();
    let stash = stash::Stash::default();
    let req = |method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]| {
        let mut b = ::http::Request::builder()
            .method(method)
            .uri(format!("app://localhost{path}"))
            .header("referer", "app://localhost/index.html");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(body.to_vec()).unwrap()
    };
    // `{path: "é", data: bytes}`: the other fields travel percent-encoded in a header.
    let res = respond(
        &r,
        &stash,
        "main",
        &req(
            "POST",
            "/__apphost/ipc/notes.save",
            &[
                (http::KEY_HEADER, key.as_str()),
                ("content-type", "application/octet-stream"),
                (http::ARGS_HEADER, "%7B%22path%22%3A%22%C3%A9%22%7D"),
            ],
            &[1, 2, 3],
        ),
    );
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
    assert_eq!(v, serde_json::json!({ "side": { "path": "é" }, "len": 3 }));
    // Side arguments count against the payload limit too.
    let side = format!("%7B%22p%22%3A%22{}%22%7D", "x".repeat(1020));
    let res = respond(
        &r,
        &stash,
        "main",
        &req(
            "POST",
            "/__apphost/ipc/notes.save",
            &[
                (http::KEY_HEADER, key.as_str()),
                ("content-type", "application/octet-stream"),
                (http::ARGS_HEADER, side.as_str()),
            ],
            &[1, 2, 3, 4, 5, 6],
        ),
    );
    assert_eq!(res.status(), 413);

    let token = stash.put("main", Encoded::Bytes(vec![7; 5])).unwrap();
    let path = format!("{}{token}", http::REPLY_PREFIX);
    let get = |window: &str, key: &str| {
        respond(
            &r,
            &stash,
            window,
            &req("GET", &path, &[(http::KEY_HEADER, key)], b""),
        )
    };
    assert_eq!(get("main", "wrong").status(), 403, "the key is needed");
    assert_eq!(get("other", &key).status(), 404, "only the calling window");
    let res = get("main", &key);
    assert_eq!(res.status(), 200);
    assert_eq!(&res.body()[..], &[7; 5]);
    assert_eq!(get("main", &key).status(), 404, "only once");
}

#[test]
fn a_dev_server_page_gets_cors_and_nobody_else_does() {
    let mut r = router();
    r.origins.push("http://localhost:5173".into());
    let key = r.key().to_owned();
    let send = |method: &str, origin: &str, key: &str| {
        let req = ::http::Request::builder()
            .method(method)
            .uri("app://localhost/__apphost/ipc/app.info")
            .header("origin", origin)
            .header("content-type", "application/json")
            .header(http::KEY_HEADER, key)
            .body(b"1".to_vec())
            .unwrap();
        respond(&r, &stash::Stash::default(), "main", &req)
    };
    // The preflight carries no key and only asks.
    let pre = send("OPTIONS", "http://localhost:5173", "");
    assert_eq!(pre.status(), 204);
    assert_eq!(
        pre.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert!(
        pre.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("x-apphost-key")
    );
    let ok = send("POST", "http://localhost:5173", &key);
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    // Another origin: no CORS headers, and the call is refused all the same.
    for method in ["OPTIONS", "POST"] {
        let other = send(method, "http://localhost:5174", &key);
        assert_eq!(other.status(), 403, "{method}");
        assert!(other.headers().get("access-control-allow-origin").is_none());
    }
    // The key is still needed.
    assert_eq!(send("POST", "http://localhost:5173", "nope").status(), 403);
}

/// A call that names its id: cancelled by its own window only, its progress to its own id, and
/// out of the table once it has answered.
#[test]
fn http_calls_can_be_cancelled_by_their_window_only() {
    type Seen = std::sync::Mutex<Vec<(String, u64, f64, Option<String>)>>;
    let r = Arc::new(router());
    let key = r.key().to_owned();
    let seen: Arc<Seen> = Arc::default();
    let log = Arc::clone(&seen);
    let in_flight = Arc::new(InFlight::new(Arc::new(
        move |w: &str, id, f, m: Option<&str>| {
            log.lock()
                .unwrap()
                .push((w.to_owned(), id, f, m.map(str::to_owned)));
        },
    )));
    let req = move |endpoint: &str, id: &str| {
        ::http::Request::builder()
            .method("POST")
            .uri(format!("app://localhost/__apphost/ipc/{endpoint}"))
            .header("referer", "app://localhost/index.html")
            .header(http::KEY_HEADER, key.as_str())
            .header(http::CALL_HEADER, id)
            .body(Vec::new())
            .unwrap()
    };
    let send = |window: &'static str, endpoint: &str, id: &str| {
        let (r, in_flight, req) = (Arc::clone(&r), Arc::clone(&in_flight), req(endpoint, id));
        std::thread::spawn(move || {
            let res = http::respond(&r, &stash::Stash::default(), &in_flight, window, &req);
            let v: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
            (res.status().as_u16(), v)
        })
    };
    let waiting = send("main", "wait", "41");
    let entered = || {
        let start = std::time::Instant::now();
        while in_flight.is_empty() && start.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::yield_now();
        }
    };
    entered();
    assert!(!in_flight.cancel("notes", 41), "another window's cancel");
    assert!(in_flight.cancel("main", 41));
    let (status, v) = waiting.join().unwrap();
    assert_eq!((status, v["code"].as_str()), (499, Some("cancelled")));
    assert!(in_flight.is_empty(), "the call left the table");

    let (status, _) = send("notes", "report", "7").join().unwrap();
    assert_eq!(status, 403, "not granted: never entered, no progress");
    let (status, _) = send("main", "report", "7").join().unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        *seen.lock().unwrap(),
        [("main".to_owned(), 7, 0.5, Some("half".to_owned()))]
    );
    let (status, v) = send("main", "report", "seven").join().unwrap();
    assert_eq!((status, v["code"].as_str()), (400, Some("bad_args")));
    assert!(in_flight.is_empty());
}

/// A call whose cancel arrived before it did never reaches its handler.
#[test]
fn a_call_cancelled_before_it_starts_does_not_start() {
    let r = router();
    let key = r.key().to_owned();
    let in_flight = Arc::new(InFlight::default());
    in_flight.cancel("main", 3);
    let registration = in_flight.register("main", 3).unwrap();
    let c = call("main", "report", Body::Json(b"null"), &key);
    assert_eq!(
        r.handle_running(&c, registration.running())
            .map_err(|e| e.code()),
        Err("cancelled")
    );
    assert_eq!(code(r.handle_running(&c, &Running::detached())), "ok");
}

#[test]
fn endpoint_names_are_taken_exactly() {
    assert_eq!(endpoint_name("notes.save"), Ok("notes.save"));
    assert_eq!(
        endpoint_name("Notes.Save"),
        Ok("Notes.Save"),
        "well-formed, but another name"
    );
    for raw in [
        "notes%2Esave",
        "notes%2esave",
        "notes.save/",
        "notes.save?x",
        "notes.save#x",
        " notes.save",
        "notes..save",
        "ｎotes.save",
        "nоtes.save",
        "notes.save\u{0}",
        "",
    ] {
        assert_eq!(
            endpoint_name(raw).map_err(|e| e.code()),
            Err("not_found"),
            "{raw:?}"
        );
    }
    // The app:// transport names the endpoint with its query string, undecoded.
    let r = router();
    let key = r.key().to_owned();
    for path in [
        "notes.save?x",
        "notes.save/",
        "notes%2Esave",
        "Notes.Save",
        "notes.save%3Fx",
        "%EF%BD%8Eotes.save",
    ] {
        let req = ::http::Request::builder()
            .method("POST")
            .uri(format!("app://localhost/__apphost/ipc/{path}"))
            .header("origin", "app://localhost")
            .header(http::KEY_HEADER, key.as_str())
            .body(b"{}".to_vec())
            .unwrap();
        assert_eq!(http::endpoint_of(&req), path);
        let res = respond(&r, &stash::Stash::default(), "main", &req);
        assert_eq!(res.status(), 404, "{path}");
    }
}

#[test]
fn origins_are_parsed_exactly() {
    for (url, origin) in [
        ("app://localhost/index.html", Some("app://localhost")),
        ("app://localhost", Some("app://localhost")),
        ("APP://localhost/", Some("app://localhost")),
        ("app://LOCALHOST/", Some("app://LOCALHOST")),
        ("app://localhost:80/", Some("app://localhost:80")),
        ("app://localhost:0/", Some("app://localhost:0")),
        ("app://localhost.evil/", Some("app://localhost.evil")),
        ("app://localhost@evil/", None),
        ("app://user:pw@localhost/", None),
        ("http://localhost:80/", Some("http://localhost")),
        ("null", None),
        ("", None),
        ("about:blank", None),
    ] {
        assert_eq!(http::origin_of(url).as_deref(), origin, "{url}");
    }
    let r = router();
    for origin in [
        "app://localhost.evil",
        "app://LOCALHOST",
        "APP://LOCALHOST:80",
        "app://localhost:0",
        "app://localhost/",
        "app://localhost@evil",
        "null",
        " app://localhost",
    ] {
        assert!(!r.accepts_origin(origin), "{origin}");
    }
    assert!(r.accepts_origin("app://localhost"));
}
