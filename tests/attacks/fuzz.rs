//! Bounded fuzzing (proptest) of the parsers a page can reach: the `app://` request handler
//! (files and IPC), the posted-message parser, the `X-Apphost-Args` decoder, and the glob
//! matcher behind every fs scope. Each property says what must always hold, not only "no panic".
//!
//! The default case count keeps a debug run short; a longer bounded run:
//!
//! ```text
//! PROPTEST_CASES=200000 cargo test --release --locked --test attacks fuzz
//! ```
//!
//! (`PROPTEST_CASES` sets every property's count; 200,000 each, 1.6 million cases in all, took
//! 106 s here with no failure.) Nothing is persisted: a failure proptest finds (it prints the
//! minimal input) becomes a named regression test in `tests/attacks/ipc.rs` or beside the code.

use std::sync::OnceLock;

use apphost::ipc::{self, CODES, message};
use apphost::pattern::glob_match;
use proptest::prelude::*;
use serde_json::Value;

use super::ipc::{Host, KEY, host};

/// Cases per property when `PROPTEST_CASES` is not set: a debug run stays within seconds.
const CASES: u32 = 4096;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One host for every case (building it per case would dominate the run).
fn shared() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(host)
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("HEAD".to_owned()),
        Just("POST".to_owned()),
        Just("OPTIONS".to_owned()),
        Just("PUT".to_owned()),
        "[A-Z]{1,8}",
    ]
}

/// Paths built from the pieces that matter: the app's files, the IPC prefixes, dot segments,
/// encodings, queries.
fn path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("index.html".to_owned()),
        Just("__apphost".to_owned()),
        Just("ipc".to_owned()),
        Just("reply".to_owned()),
        Just("notes.save".to_owned()),
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%2F".to_owned()),
        Just("%00".to_owned()),
        Just("".to_owned()),
        "[a-zA-Z0-9._~%-]{0,12}",
    ];
    let root = prop_oneof![
        Just(""),
        Just("/__apphost/ipc"),
        Just("/__apphost/reply"),
        Just("/__apphost"),
    ];
    (
        root,
        prop::collection::vec(piece, 0..6),
        prop::option::of("[a-z0-9=&%]{0,12}"),
    )
        .prop_map(|(root, pieces, query)| {
            let mut p = format!("{root}/{}", pieces.join("/"));
            if let Some(q) = query {
                p.push('?');
                p.push_str(&q);
            }
            p
        })
}

fn header() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        // What a call of the app's own page carries, so that calls get past the caller check.
        Just(("x-apphost-key".to_owned(), KEY.to_owned())),
        Just((
            "referer".to_owned(),
            "app://localhost/index.html".to_owned()
        )),
        Just(("origin".to_owned(), "app://localhost".to_owned())),
        any_header(),
    ]
}

fn any_header() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        Just("range".to_owned()),
        Just("origin".to_owned()),
        Just("referer".to_owned()),
        Just("content-type".to_owned()),
        Just("x-apphost-key".to_owned()),
        Just("x-apphost-args".to_owned()),
        Just("x-apphost-call".to_owned()),
        Just("if-none-match".to_owned()),
        Just("accept-encoding".to_owned()),
        "[a-z-]{1,12}",
    ];
    let value = prop_oneof![
        Just("bytes=0-".to_owned()),
        Just("bytes=-5".to_owned()),
        Just("bytes=5-1".to_owned()),
        Just("bytes=0-1,3-4".to_owned()),
        Just("bytes=99999999999999999999-".to_owned()),
        Just("app://localhost".to_owned()),
        Just("app://localhost/index.html".to_owned()),
        Just("application/octet-stream".to_owned()),
        Just("application/json".to_owned()),
        Just(KEY.to_owned()),
        Just("18446744073709551616".to_owned()),
        "[ -~]{0,24}",
    ];
    (name, value)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"{}".to_vec()),
        Just(b"[1,2,3]".to_vec()),
        Just(b"{\"key\":\"a\",\"value\":1}".to_vec()),
        (1usize..3000).prop_map(|n| {
            let mut v = vec![b'['; n];
            v.extend(vec![b']'; n]);
            v
        }),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
}

type Request = (String, String, Vec<(String, String)>, Vec<u8>);

fn request() -> impl Strategy<Value = Request> {
    (
        method(),
        path(),
        prop::collection::vec(header(), 0..5),
        body(),
    )
}

fn build(req: &Request) -> Option<http::Request<Vec<u8>>> {
    let (method, path, headers, body) = req;
    let mut b = http::Request::builder()
        .method(method.as_str())
        .uri(format!("app://localhost{path}"));
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    // Some generated URIs or headers are not valid HTTP: WebKit would never hand them over.
    b.body(body.clone()).ok()
}

/// An IPC answer is 2xx with JSON or bytes, or a refusal `{code, message}` with a code of the
/// stable list and the status that code maps to.
fn check_ipc_answer(res: &http::Response<std::borrow::Cow<'static, [u8]>>) -> Result<(), String> {
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if res
        .headers()
        .get("cache-control")
        .is_none_or(|v| v != "no-store")
    {
        return Err("an IPC answer without no-store".into());
    }
    match status {
        200 if ct == "application/json" || ct == "application/octet-stream" => Ok(()),
        204 | 403 if ct == "text/plain" => Ok(()), // a CORS preflight
        _ => {
            let v: Value = serde_json::from_slice(res.body()).map_err(|e| format!("{e}"))?;
            let code = v["code"].as_str().unwrap_or("");
            if !CODES.contains(&code) || !v["message"].is_string() {
                return Err(format!("status {status} with {v}"));
            }
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any request to `app://`: the site (files) never panics and answers with a status below
    /// 500 and the security headers every answer carries; under `/__apphost/` the IPC
    /// transport answers with a stable code.
    #[test]
    fn fuzz_app_requests_get_a_well_formed_answer(req in request()) {
        let Some(r) = build(&req) else { return Ok(()) };
        let h = shared();
        let generation = h.core.current();
        if r.uri().path().starts_with(ipc::http::ROOT) {
            let res = ipc::http::respond(&generation.router, &h.stash, &h.in_flight, "main", &r);
            prop_assert!(check_ipc_answer(&res).is_ok(), "{req:?}: {:?}", check_ipc_answer(&res));
        } else {
            let res = apphost::protocol::respond(&generation.site, &r);
            let status = res.status().as_u16();
            prop_assert!((200..500).contains(&status), "{req:?} → {status}");
            prop_assert_eq!(
                res.headers().get("x-content-type-options").map(|v| v.as_bytes()),
                Some(&b"nosniff"[..]),
                "{:?}", req
            );
            if status == 206 {
                prop_assert!(res.headers().contains_key("content-range"), "{req:?}");
            }
        }
    }

    /// Calls from the app's own page (the right origin and key) with any endpoint, content
    /// type, call id, `X-Apphost-Args` and body: a well-formed answer, 200 only for a declared
    /// endpoint.
    #[test]
    fn fuzz_keyed_calls_get_a_well_formed_answer(
        endpoint in prop_oneof![Just("notes.save".to_owned()), Just("app.info".to_owned()), "[a-zA-Z.%?/_-]{0,16}"],
        content_type in prop_oneof![Just("application/json"), Just("application/octet-stream"), Just("text/plain")],
        call_id in prop::option::of(prop_oneof![any::<u64>().prop_map(|i| i.to_string()), "[ -~]{0,8}"]),
        args in prop::option::of("[ -~]{0,24}"),
        body in body(),
    ) {
        let mut b = http::Request::builder()
            .method("POST")
            .uri(format!("app://localhost/__apphost/ipc/{endpoint}"))
            .header("referer", "app://localhost/index.html")
            .header("x-apphost-key", KEY)
            .header("content-type", content_type);
        if let Some(id) = &call_id {
            b = b.header("x-apphost-call", id.as_str());
        }
        if let Some(a) = &args {
            b = b.header("x-apphost-args", a.as_str());
        }
        let Ok(req) = b.body(body) else { return Ok(()) };
        let h = shared();
        let generation = h.core.current();
        let res = ipc::http::respond(&generation.router, &h.stash, &h.in_flight, "main", &req);
        prop_assert!(check_ipc_answer(&res).is_ok(), "{:?}", check_ipc_answer(&res));
        if res.status() == 200 {
            prop_assert!(endpoint == "notes.save" || endpoint == "app.info", "{endpoint}");
        }
    }

    /// Anything posted: the parser never panics; what it accepts has a payload that is one JSON
    /// value (it goes into a script as it is).
    #[test]
    fn fuzz_posted_messages_parse_or_are_refused(text in prop_oneof![
        "[ -~]{0,80}",
        posted_message(),
    ]) {
        if let Ok(m) = message::parse(&text) {
            let payload = m.kind.payload();
            prop_assert!(
                serde_json::from_str::<Box<serde_json::value::RawValue>>(payload).is_ok(),
                "{text:?} → {payload:?}"
            );
        }
    }

    /// What the bridge posts always parses back to the same call.
    #[test]
    fn fuzz_bridge_calls_round_trip(id in any::<u64>(), endpoint in "\\PC{0,20}", args in json_value()) {
        let text = format!(
            r#"{{"k":"{KEY}","t":"c","i":{id},"e":{},"a":{}}}"#,
            serde_json::to_string(&endpoint).unwrap(),
            args
        );
        let m = message::parse(&text).unwrap();
        prop_assert_eq!(m.key.as_deref(), Some(KEY));
        let payload = m.kind.payload().to_owned();
        match m.kind {
            message::Kind::Call { id: got, endpoint: e, .. } => {
                prop_assert_eq!(got, id);
                prop_assert_eq!(e, endpoint);
            }
            other => prop_assert!(false, "{other:?}"),
        }
        prop_assert_eq!(
            serde_json::from_str::<Value>(&payload).unwrap(),
            serde_json::from_str::<Value>(&args).unwrap()
        );
    }

    /// The `X-Apphost-Args` decoder: never panics, decodes what `encodeURIComponent` wrote
    /// back to the same bytes, and through the transport a mixed call either runs with those
    /// fields or is `bad_args`.
    #[test]
    fn fuzz_args_header_decodes(raw in "\\PC{0,40}", side in json_value(), data in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = ipc::http::decode_args_header(&raw);
        let encoded = percent_encoding::utf8_percent_encode(&side, &crate::ipc::COMPONENT).to_string();
        prop_assert_eq!(ipc::http::decode_args_header(&encoded), side.as_bytes());
        let h = shared();
        for header in [encoded.as_str(), raw.as_str()] {
            let Ok(req) = http::Request::builder()
                .method("POST")
                .uri("app://localhost/__apphost/ipc/notes.save")
                .header("referer", "app://localhost/index.html")
                .header("x-apphost-key", KEY)
                .header("content-type", "application/octet-stream")
                .header("x-apphost-args", header)
                .body(data.clone()) else { continue };
            let generation = h.core.current();
            let res = ipc::http::respond(&generation.router, &h.stash, &h.in_flight, "main", &req);
            let status = res.status().as_u16();
            prop_assert!(status == 200 || status == 400, "{header:?} → {status}");
            prop_assert!(check_ipc_answer(&res).is_ok());
        }
    }

    /// The glob matcher never panics on any pattern or path.
    #[test]
    fn fuzz_glob_never_panics(pattern in "[a-c/*?\\[\\]{},!\\\\.-]{0,24}", path in "[a-c/.*?\\[]{0,24}") {
        let _ = glob_match(&pattern, &path);
    }

    /// A literal, every special character escaped, matches exactly itself (CVE-2022-41874:
    /// a file named `a[b]*.txt` must grant only itself).
    #[test]
    fn fuzz_escaped_literal_is_equality(a in "[ab/*?\\[\\]{},!\\\\-]{0,12}", b in "[ab/*?\\[\\]{},!\\\\-]{0,12}") {
        prop_assert!(glob_match(&escape(&a), &a), "{a:?} does not match itself");
        prop_assert_eq!(glob_match(&escape(&a), &b), a == b, "{:?} vs {:?}", a, b);
    }

    /// `**`: matches every path; `lit/**` matches `lit` and everything below it, and nothing
    /// beside it; `**/name` matches `name` at any depth.
    #[test]
    fn fuzz_double_star(
        lit in "[a-c*?\\[]{1,6}",
        rest in prop::collection::vec("[a-c*?\\[]{1,4}", 0..4),
        other in "[a-c]{1,6}",
    ) {
        let below = rest.join("/");
        prop_assert!(glob_match("**", &below));
        let pattern = format!("{}/**", escape(&lit));
        prop_assert!(glob_match(&pattern, &lit));
        let path = if below.is_empty() { lit.clone() } else { format!("{lit}/{below}") };
        prop_assert!(glob_match(&pattern, &path), "{pattern} vs {path}");
        if other != lit {
            let beside = format!("{other}/{below}");
            prop_assert!(!glob_match(&pattern, &beside), "{pattern} vs {beside}");
        }
        let deep = format!("**/{}", escape(&lit));
        let at_depth = if below.is_empty() { lit.clone() } else { format!("{below}/{lit}") };
        prop_assert!(glob_match(&deep, &at_depth), "{deep} vs {at_depth}");
    }
}

/// A glob matching exactly `text`: every glob character escaped.
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | ',' | '!' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// JSON text of a small arbitrary value.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(|v| v.to_string())
}

/// Messages shaped like the bridge's, with fields dropped, added, retyped or cut short.
fn posted_message() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just(format!(r#""k":"{KEY}""#)),
        Just(r#""k":null"#.to_owned()),
        Just(r#""t":"c""#.to_owned()),
        Just(r#""t":"e""#.to_owned()),
        Just(r#""t":"x""#.to_owned()),
        Just(r#""t":"l""#.to_owned()),
        Just(r#""t":"zz""#.to_owned()),
        any::<u64>().prop_map(|i| format!(r#""i":{i}"#)),
        Just(r#""i":-1"#.to_owned()),
        Just(r#""i":1e3"#.to_owned()),
        Just(r#""e":"notes.save""#.to_owned()),
        Just(r#""e":1"#.to_owned()),
        json_value().prop_map(|v| format!(r#""a":{v}"#)),
        json_value().prop_map(|v| format!(r#""d":{v}"#)),
        (1usize..5000).prop_map(|n| format!(r#""a":{}{}"#, "[".repeat(n), "]".repeat(n))),
        Just(r#""zz":1"#.to_owned()),
    ];
    (prop::collection::vec(field, 0..7), 0usize..3).prop_map(|(fields, cut)| {
        let text = format!("{{{}}}", fields.join(","));
        // Sometimes cut short, on a character boundary.
        let keep = text.len().saturating_sub(cut * 3);
        let mut end = keep;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].to_owned()
    })
}
