use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;

use super::*;
use crate::protocol::Site;
use crate::source::Folder;

struct Running {
    _tmp: tempfile::TempDir,
    origin: String,
    base: String,
    host: String,
}

/// A frontend with media, a page, a script and a secret beside it, served by a media endpoint.
fn running() -> Running {
    let tmp = tempfile::tempdir().unwrap();
    let web = tmp.path().join("web");
    std::fs::create_dir_all(web.join("sub dir")).unwrap();
    std::fs::write(tmp.path().join("secret.mp3"), "OUTSIDE").unwrap();
    std::fs::write(web.join("index.html"), "<p>page</p>").unwrap();
    std::fs::write(web.join("app.js"), "1").unwrap();
    let tone: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(web.join("tone.wav"), &tone).unwrap();
    std::fs::write(web.join("sub dir/clip é.webm"), b"webm").unwrap();
    symlink(tmp.path().join("secret.mp3"), web.join("leak.mp3")).unwrap();
    let site = Site {
        files: Arc::new(Folder::new(&web).unwrap()),
        security: crate::manifest::Security {
            csp: vec![],
            csp_nonce: vec![],
            allow_navigation: vec![],
            open_external: vec![],
            max_payload: 1 << 20,
            cross_origin_isolated: false,
        },
        spa_fallback: true,
        media: None,
    };
    let media = Media::bind().unwrap();
    let (origin, base) = (media.origin(), media.base());
    let host = origin.trim_start_matches("http://").to_owned();
    media
        .serve(Arc::new(move |req| protocol::respond(&site, req)))
        .unwrap();
    Running {
        _tmp: tmp,
        origin,
        base,
        host,
    }
}

impl Running {
    fn secret_path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.base.trim_start_matches(&self.origin))
    }

    /// Sends `raw` as it is and reads until the server closes.
    fn raw(&self, raw: &[u8]) -> Vec<u8> {
        let mut s = TcpStream::connect(&self.host).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(raw).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    }

    fn get(&self, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: close\r\n\r\n",
            self.host
        );
        split(&self.raw(req.as_bytes()))
    }
}

/// Status, head and body of one response.
fn split(resp: &[u8]) -> (u16, String, Vec<u8>) {
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = String::from_utf8_lossy(&resp[..end]).into_owned();
    let status = head[9..12].parse().unwrap();
    (status, head.to_lowercase(), resp[end..].to_vec())
}

#[test]
fn serves_media_whole_and_in_ranges() {
    let r = running();
    let (status, head, body) = r.get(&r.secret_path("tone.wav"), "");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: audio/"), "{head}");
    assert!(head.contains("content-length: 100000\r\n"), "{head}");
    assert!(head.contains("accept-ranges: bytes"), "{head}");
    assert!(head.contains("cross-origin-resource-policy: cross-origin"));
    assert_eq!(body.len(), 100_000);
    assert_eq!(body[1000], (1000 % 251) as u8);

    let (status, head, body) = r.get(&r.secret_path("tone.wav"), "Range: bytes=99990-\r\n");
    assert_eq!(status, 206);
    assert!(
        head.contains("content-range: bytes 99990-99999/100000"),
        "{head}"
    );
    assert_eq!(
        body,
        (99_990..100_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<_>>()
    );

    // Percent-encoded names, as a page's URL carries them.
    let (status, _, body) = r.get(&r.secret_path("sub%20dir/clip%20%C3%A9.webm"), "");
    assert_eq!((status, &body[..]), (200, &b"webm"[..]));
}

#[test]
fn keep_alive_and_head() {
    let r = running();
    let p = r.secret_path("tone.wav");
    let req = format!(
        "HEAD {p} HTTP/1.1\r\nHost: {h}\r\n\r\nGET {p} HTTP/1.1\r\nHost: {h}\r\nRange: bytes=0-1\r\nConnection: close\r\n\r\n",
        h = r.host
    );
    let out = r.raw(req.as_bytes());
    let (status, head, rest) = split(&out);
    assert_eq!(status, 200);
    assert!(head.contains("content-length: 100000"));
    // The HEAD had no body: the second response follows at once.
    let (status, _, body) = split(&rest);
    assert_eq!((status, body), (206, vec![0, 1]));
}

#[test]
fn without_the_secret_nothing_is_served() {
    let r = running();
    assert_eq!(r.get("/tone.wav", "").0, 404);
    assert_eq!(r.get("/", "").0, 404);
    let wrong = r
        .secret_path("tone.wav")
        .replacen(|c: char| c.is_ascii_hexdigit(), "g", 1);
    assert_eq!(r.get(&wrong, "").0, 404);
    let short = format!("{}/tone.wav", &r.secret_path("")[..10]);
    assert_eq!(r.get(&short, "").0, 404);
    // The secret in the query, not the path, is no secret.
    let secret = r.base.rsplit('/').next().unwrap().to_owned();
    assert_eq!(r.get(&format!("/tone.wav?{secret}"), "").0, 404);
}

#[test]
fn other_hosts_and_origins_are_refused() {
    let r = running();
    let p = r.secret_path("tone.wav");
    let port = r.host.rsplit(':').next().unwrap();
    for host in [
        "evil.example".to_owned(),
        format!("localhost:{port}"),
        format!("evil.example:{port}"),
        "127.0.0.1".to_owned(),
    ] {
        let req = format!("GET {p} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        assert_eq!(split(&r.raw(req.as_bytes())).0, 421, "Host: {host}");
    }
    let no_host = format!("GET {p} HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(split(&r.raw(no_host.as_bytes())).0, 421);
    let two_hosts = format!(
        "GET {p} HTTP/1.1\r\nHost: {h}\r\nHost: {h}\r\nConnection: close\r\n\r\n",
        h = r.host
    );
    assert_eq!(split(&r.raw(two_hosts.as_bytes())).0, 400);
    for origin in [
        "http://evil.example",
        "null",
        "app://localhost.evil",
        "APP://LOCALHOST",
    ] {
        let (status, _, body) = r.get(&p, &format!("Origin: {origin}\r\n"));
        assert_eq!(status, 403, "Origin: {origin}");
        assert!(body.len() < 100);
    }
    let (status, head, _) = r.get(&p, "Origin: app://localhost\r\n");
    assert_eq!(status, 200);
    assert!(head.contains("access-control-allow-origin: app://localhost"));
}

#[test]
fn only_media_files_of_the_frontend() {
    let r = running();
    for (path, want) in [
        ("index.html", 403),
        ("app.js", 403),
        ("", 403),
        ("missing.mp3", 404),
        ("leak.mp3", 404),
        ("..%2Fsecret.mp3", 400),
        ("../secret.mp3", 400),
        ("%2e%2e/secret.mp3", 400),
        ("sub%20dir/..%2F..%2Fsecret.mp3", 400),
    ] {
        let (status, _, body) = r.get(&r.secret_path(path), "");
        assert_eq!(status, want, "{path}");
        assert!(
            !String::from_utf8_lossy(&body).contains("OUTSIDE"),
            "{path}"
        );
        assert!(!String::from_utf8_lossy(&body).contains("page"), "{path}");
    }
}

#[test]
fn malformed_requests_get_4xx_and_the_server_goes_on() {
    let r = running();
    let p = r.secret_path("tone.wav");
    let h = &r.host;
    for (raw, want) in [
        (format!("POST {p} HTTP/1.1\r\nHost: {h}\r\n\r\n"), 405),
        (
            format!("GET {p} HTTP/1.1\r\nHost: {h}\r\nContent-Length: 5\r\n\r\nhello"),
            400,
        ),
        (
            format!("GET {p} HTTP/1.1\r\nHost: {h}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        ("\x16\x03\x01 not http\r\n\r\n".to_owned(), 400),
        (
            format!(
                "GET {p} HTTP/1.1\r\nHost: {h}\r\nX: {}\r\n\r\n",
                "a".repeat(MAX_HEAD)
            ),
            431,
        ),
    ] {
        assert_eq!(
            split(&r.raw(raw.as_bytes())).0,
            want,
            "{}",
            &raw[..raw.len().min(60)]
        );
    }
    // A connection that sends nothing and one cut mid-head cost nothing lasting.
    drop(TcpStream::connect(h).unwrap());
    let mut cut = TcpStream::connect(h).unwrap();
    cut.write_all(b"GET / HT").unwrap();
    drop(cut);
    assert_eq!(r.get(&p, "").0, 200);
}

#[test]
fn media_types() {
    for p in [
        "a.mp3",
        "a.wav",
        "a.ogg",
        "a.oga",
        "a.opus",
        "a.flac",
        "a.webm",
        "a.mp4",
        "a.m4a",
        "x/a%20b.mkv",
    ] {
        assert!(is_media(p), "{p}");
    }
    for p in ["a.html", "a.js", "a.json", "a", "a.png", "a.vtt", "a.wasm"] {
        assert!(!is_media(p), "{p}");
    }
}
