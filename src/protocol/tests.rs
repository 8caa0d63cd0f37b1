use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use http::{Request, StatusCode};
use proptest::prelude::*;

use super::*;
use crate::source::{Builtin, Folder, Source};

const SECRET: &str = "TOP-SECRET-OUTSIDE";

/// A frontend folder `root/web`, with secrets beside it and symlinks pointing at them.
fn site(spa: bool) -> (tempfile::TempDir, Site) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let web = root.join("web");
    fs::create_dir_all(web.join("sub/deeper")).unwrap();
    fs::create_dir_all(root.join("private")).unwrap();
    fs::write(root.join("secret.txt"), SECRET).unwrap();
    fs::write(root.join("private/index.html"), SECRET).unwrap();
    fs::write(root.join("app.toml"), SECRET).unwrap();
    fs::write(
        web.join("index.html"),
        "<!doctype html><script>1</script><style>p{}</style><p>home</p>",
    )
    .unwrap();
    fs::write(web.join("app.js"), "console.log('é')").unwrap();
    fs::write(web.join("data.json"), "{}").unwrap();
    fs::write(web.join("pic.png"), [0x89, b'P', b'N', b'G']).unwrap();
    fs::write(web.join("sub/index.html"), "<p>sub</p>").unwrap();
    fs::write(web.join("sub/deeper/a b.txt"), "spaced").unwrap();
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(web.join("big.bin"), big).unwrap();
    symlink(root.join("secret.txt"), web.join("leak.txt")).unwrap();
    symlink(root.join("private"), web.join("leakdir")).unwrap();
    symlink("../secret.txt", web.join("sub/rel-leak.txt")).unwrap();
    symlink(web.join("app.js"), web.join("inside-link.js")).unwrap();
    let site = Site {
        files: Arc::new(Folder::new(&web).unwrap()),
        security: crate::manifest::Security {
            csp: vec![("default-src".into(), vec!["'self'".into()])],
            csp_nonce: vec!["script-src".into(), "style-src".into()],
            allow_navigation: vec![],
            open_external: vec![],
            max_payload: 1 << 20,
            cross_origin_isolated: false,
        },
        spa_fallback: spa,
        media: None,
    };
    (tmp, site)
}

fn get(site: &Site, uri: &str, headers: &[(&str, &str)]) -> Response<Body> {
    req(site, "GET", uri, headers)
}

fn req(site: &Site, method: &str, uri: &str, headers: &[(&str, &str)]) -> Response<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    raw(site, b.body(Vec::new()).unwrap()).map(|body| Body::Bytes(body.into_bytes().unwrap()))
}

/// The response as it leaves the protocol, a file part not yet read.
fn raw(site: &Site, req: Request<Vec<u8>>) -> Response<Body> {
    respond(site, &req)
}

fn bytes(r: &Response<Body>) -> &[u8] {
    match r.body() {
        Body::Bytes(b) => b,
        Body::File(_) => panic!("the test helpers read file parts"),
    }
}

fn hdr<'a>(r: &'a Response<Body>, name: &str) -> &'a str {
    r.headers().get(name).map_or("", |v| v.to_str().unwrap())
}

fn text(r: &Response<Body>) -> String {
    String::from_utf8_lossy(bytes(r)).into_owned()
}

/// Paths an attacker would try. Each must be refused (400) or not found (404), and none may
/// return a byte of what lies outside the frontend folder.
const HOSTILE: &[&str] = &[
    "/../secret.txt",
    "/../../../../etc/passwd",
    "/sub/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/sub\\..\\..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/secret.txt%00.html",
    "/%00",
    "/..%00/secret.txt",
    "//etc/passwd",
    "///etc/passwd",
    "/%2fetc%2fpasswd",
    "/etc/passwd",
    "/leak.txt",
    "/leakdir/index.html",
    "/leakdir/",
    "/sub/rel-leak.txt",
    "/%252e%252e/secret.txt",
    "/..;/secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/./../secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/app.toml",
    "/~/secret.txt",
    "/%",
    "/%zz",
];

#[test]
fn hostile_paths_never_leave_the_folder() {
    for spa in [false, true] {
        let (_tmp, site) = site(spa);
        for path in HOSTILE {
            for method in ["GET", "HEAD"] {
                let r = req(
                    &site,
                    method,
                    &format!("app://localhost{path}"),
                    &[("accept", "text/plain")],
                );
                assert!(
                    matches!(r.status(), StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND),
                    "{path}: {}",
                    r.status()
                );
                assert!(!text(&r).contains(SECRET), "{path} leaked");
            }
        }
    }
}

proptest! {
    #[test]
    fn random_paths_never_leak(segs in prop::collection::vec(
        prop::sample::select(vec![
            "..", ".", "%2e", "%2E%2e", "%2f", "%5c", "\\", "", "secret.txt", "leak.txt",
            "leakdir", "sub", "rel-leak.txt", "%00", "private", "index.html", "web", "%",
        ]),
        0..8,
    )) {
        let (_tmp, site) = site(true);
        let uri = format!("app://localhost/{}", segs.join("/"));
        if let Ok(uri) = uri.parse::<http::Uri>() {
            let r = respond(&site, &Request::get(uri).body(Vec::new()).unwrap());
            prop_assert!(!text(&r).contains(SECRET));
        }
    }
}

#[test]
fn pages_get_csp_and_nonces() {
    let (_tmp, site) = site(false);
    let r = get(&site, "app://localhost/", &[]);
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(hdr(&r, "content-type"), "text/html; charset=utf-8");
    let csp = hdr(&r, "content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert_eq!(
        csp,
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'"
        )
    );
    let body = text(&r);
    assert!(
        body.contains(&format!("<script nonce=\"{nonce}\">1</script>")),
        "{body}"
    );
    assert!(body.contains(&format!("<style nonce=\"{nonce}\">")));
    assert_eq!(hdr(&r, "content-length"), body.len().to_string());
    assert_eq!(hdr(&r, "cache-control"), "no-store");
    assert_eq!(hdr(&r, "etag"), "");
    // A fresh nonce each time.
    let again = get(&site, "app://localhost/index.html", &[]);
    assert_ne!(hdr(&again, "content-security-policy"), csp);
}

#[test]
fn security_headers_on_every_response() {
    let (_tmp, site) = site(false);
    for uri in ["/", "/app.js", "/missing", "/%2e%2e/x", "/big.bin"] {
        let r = get(
            &site,
            &format!("app://localhost{uri}"),
            &[("range", "bytes=0-1")],
        );
        assert_eq!(hdr(&r, "x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(hdr(&r, "referrer-policy"), "no-referrer", "{uri}");
        assert_eq!(
            hdr(&r, "cross-origin-opener-policy"),
            "same-origin",
            "{uri}"
        );
    }
    let r = req(&site, "POST", "app://localhost/app.js", &[]);
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(hdr(&r, "allow"), "GET, HEAD");
    assert_eq!(
        get(&site, "app://evil.com/app.js", &[]).status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn mime_types() {
    let (_tmp, site) = site(false);
    for (uri, want) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/pic.png", "image/png"),
        ("/big.bin", "application/octet-stream"),
        ("/sub/deeper/a%20b.txt", "text/plain; charset=utf-8"),
        ("/inside-link.js", "text/javascript; charset=utf-8"),
    ] {
        let r = get(&site, &format!("app://localhost{uri}"), &[]);
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(hdr(&r, "content-type"), want, "{uri}");
    }
    let svg: mime_guess::Mime = "image/svg+xml".parse().unwrap();
    assert_eq!(content_type(&svg), "image/svg+xml; charset=utf-8");
    let css = mime_guess::from_path("a.css").first_or_octet_stream();
    assert_eq!(content_type(&css), "text/css; charset=utf-8");
    let wasm = mime_guess::from_path("a.wasm").first_or_octet_stream();
    assert_eq!(content_type(&wasm), "application/wasm");
}

#[test]
fn ranges_head_and_etags() {
    let (_tmp, site) = site(false);
    let u = "app://localhost/big.bin";
    let r = get(&site, u, &[("range", "bytes=10-19")]);
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(hdr(&r, "content-range"), "bytes 10-19/1000000");
    assert_eq!(hdr(&r, "content-length"), "10");
    assert_eq!(bytes(&r), &(10..20u8).collect::<Vec<_>>()[..]);
    let r = get(&site, u, &[("range", "bytes=-2")]);
    assert_eq!(bytes(&r), &[(999_998 % 251) as u8, (999_999 % 251) as u8]);
    let r = get(&site, u, &[("range", "bytes=1000000-")]);
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(hdr(&r, "content-range"), "bytes */1000000");

    let r = req(&site, "HEAD", u, &[]);
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.body().is_empty());
    assert_eq!(hdr(&r, "content-length"), "1000000");
    assert_eq!(hdr(&r, "accept-ranges"), "bytes");

    let etag = hdr(&get(&site, u, &[]), "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 4);
    let r = get(&site, u, &[("if-none-match", &etag)]);
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.body().is_empty());
    let r = get(
        &site,
        u,
        &[("if-none-match", "\"other\", W/".to_owned().as_str())],
    );
    assert_eq!(r.status(), StatusCode::OK);
    let r = get(&site, u, &[("if-none-match", &format!("\"x\", W/{etag}"))]);
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // If-Range with a stale tag: the whole new file.
    let r = get(
        &site,
        u,
        &[("range", "bytes=0-1"), ("if-range", "\"stale\"")],
    );
    assert_eq!(r.status(), StatusCode::OK);
    let r = get(&site, u, &[("range", "bytes=0-1"), ("if-range", &etag)]);
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
}

#[test]
fn folders_fallback_and_404() {
    let (tmp, site) = site(false);
    let r = get(&site, "app://localhost/sub/", &[]);
    assert!(text(&r).contains("<p>sub</p>"));
    let r = get(&site, "app://localhost/sub", &[]);
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(hdr(&r, "location"), "sub/");
    let r = get(
        &site,
        "app://localhost/settings/profile",
        &[("accept", "text/html")],
    );
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = text(&r);
    assert!(
        body.contains("404 Not Found") && body.contains("/settings/profile"),
        "{body}"
    );
    assert_eq!(hdr(&r, "content-type"), "text/html; charset=utf-8");
    assert!(hdr(&r, "content-security-policy").contains("default-src 'none'"));
    let r = get(&site, "app://localhost/%3Cscript%3Ex", &[]);
    assert!(!text(&r).contains("<script>x"));

    let spa = Site {
        spa_fallback: true,
        media: None,
        ..site
    };
    let r = get(
        &spa,
        "app://localhost/settings/profile",
        &[("accept", "text/html,*/*")],
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert!(text(&r).contains("home"));
    // A script's fetch of a missing file is still a 404 with the fallback on.
    let r = get(&spa, "app://localhost/missing.json", &[("accept", "*/*")]);
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The folder vanishing under a running app: 404s, no panic.
    fs::remove_dir_all(tmp.path().join("web")).unwrap();
    assert_eq!(
        get(&spa, "app://localhost/", &[]).status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&spa, "app://localhost/app.js", &[]).status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn embedded_files_are_lent_not_copied() {
    static DIR: include_dir::Dir<'static> =
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates/init");
    let site = Site {
        files: Arc::new(Builtin::new(&DIR, "web", "templates")),
        security: crate::manifest::Security {
            csp: vec![],
            csp_nonce: vec![],
            allow_navigation: vec![],
            open_external: vec![],
            max_payload: 1 << 20,
            cross_origin_isolated: false,
        },
        spa_fallback: false,
        media: None,
    };
    let r = get(&site, "app://localhost/style.css", &[]);
    assert_eq!(r.status(), StatusCode::OK);
    assert!(matches!(r.body(), Body::Bytes(Cow::Borrowed(_))));
    let r = get(&site, "app://localhost/", &[]);
    assert!(text(&r).contains("<html"));
    assert!(
        matches!(r.body(), Body::Bytes(Cow::Borrowed(_))),
        "no nonce, no copy"
    );
    assert_eq!(
        get(&site, "app://localhost/app.toml", &[]).status(),
        StatusCode::NOT_FOUND
    );
    assert!(matches!(
        Builtin::new(&DIR, "", "templates").lookup("web"),
        crate::source::Lookup::Dir
    ));
    assert_eq!(
        get(&site, "app://localhost/nope", &[]).status(),
        StatusCode::NOT_FOUND
    );
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).exists());
}

#[test]
fn any_request_gets_an_http_answer() {
    let (_tmp, site) = site(true);
    // The exact answer to each (`None`: not a URI `http` parses, so WebKit's request could not
    // be handed over as one). A port or user info does not change what is served: WebKit
    // treats such a URL as another origin, and the navigation guard keeps windows off it.
    let weird = [
        ("app://localhost", Some(200)),
        ("app://localhost/?q=%ff", Some(200)),
        ("app://localhost/index.html#frag", Some(200)),
        ("app://localhost/a?b=../../secret.txt", Some(404)),
        ("app://LOCALHOST/", Some(404)),
        ("app://localhost:8080/", Some(200)),
        ("app://user@localhost/", Some(200)),
        ("app:/index.html", None),
    ];
    for (uri, want) in weird {
        let got = uri.parse::<http::Uri>().ok().map(|u| {
            let r = respond(&site, &Request::get(u).body(Vec::new()).unwrap());
            assert!(!text(&r).contains(SECRET), "{uri}");
            r.status().as_u16()
        });
        assert_eq!(got, want, "{uri}");
    }
    for range in [
        "bytes=",
        "bytes=--",
        "bytes=1-2-3",
        "bytes=18446744073709551616-",
    ] {
        // A range that does not parse is ignored: the whole file.
        let r = get(&site, "app://localhost/big.bin", &[("range", range)]);
        assert_eq!(
            (r.status().as_u16(), r.body().len()),
            (200, 1_000_000),
            "{range:?}"
        );
    }
}

#[test]
fn files_leave_unread_and_lent_bytes_uncopied() {
    let (_tmp, site) = site(false);
    let get_raw = |uri: &str, headers: &[(&str, &str)]| {
        let mut b = Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        raw(&site, b.body(Vec::new()).unwrap())
    };
    // A file is opened, positioned and handed over; serving it reads nothing yet.
    let r = get_raw("app://localhost/big.bin", &[]);
    assert!(matches!(r.body(), Body::File(Part::File(_))));
    assert_eq!(r.body().len(), 1_000_000);
    let r = get_raw("app://localhost/big.bin", &[("range", "bytes=999990-")]);
    assert_eq!(r.body().len(), 10);
    let (_, body) = r.into_parts();
    assert_eq!(
        &body.into_bytes().unwrap()[..],
        &(999_990..1_000_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<_>>()[..]
    );
    // A HEAD carries the length, no body.
    let r = raw(
        &site,
        Request::builder()
            .method("HEAD")
            .uri("app://localhost/big.bin")
            .body(Vec::new())
            .unwrap(),
    );
    assert!(r.body().is_empty());
    assert_eq!(hdr(&r, "content-length"), "1000000");

    static DIR: include_dir::Dir<'static> =
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates/init");
    let lent = Site {
        files: Arc::new(Builtin::new(&DIR, "web", "templates")),
        ..site
    };
    let r = raw(
        &lent,
        Request::builder()
            .uri("app://localhost/style.css")
            .body(Vec::new())
            .unwrap(),
    );
    assert!(matches!(r.body(), Body::File(Part::Lent(_))));
}
