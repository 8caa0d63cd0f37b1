//! The script host API and engine behaviour without a window: HTTP only to `allow-urls`, the
//! store, JSON, time and blobs, `emit` and page events reaching `on_event`, recompiling an edited
//! script, calls running in parallel, and `progress` reports coalesced. Fixture: `script_fixture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod script_fixture;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apphost::ipc::{Body, Encoded, Running};
use script_fixture::{fixture, fixture_with_port};
use serde_json::{Value, json};

#[test]
fn http_only_to_allowed_urls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut s = stream.unwrap();
            let request = read_request(&mut s);
            // `/ok-big`: more than the app's 1 MiB max-payload.
            let body = if request.starts_with("GET /ok-big") {
                "x".repeat(2 << 20)
            } else {
                "hi there".to_owned()
            };
            log.lock().unwrap().push(request);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let f = fixture_with_port(port);
    f.contained("a.http_denied", Value::Null, "forbidden");
    let url = format!("http://127.0.0.1:{port}/elsewhere");
    f.contained("a.http_allowed", json!({ "url": url }), "forbidden");
    let url = format!("http://127.0.0.1:{port}/ok");
    assert_eq!(
        f.call("a.http_allowed", json!({ "url": url })).unwrap(),
        json!({"status": 200, "body": "hi there"})
    );
    let url = format!("http://127.0.0.1:{port}/post");
    assert_eq!(
        f.call("a.http_post_allowed", json!({ "url": url }))
            .unwrap()["status"],
        200
    );
    let url = format!("http://127.0.0.1:{port}/ok-big");
    f.contained("a.http_allowed", json!({ "url": url }), "too_large");
    let seen = seen.lock().unwrap();
    assert!(seen[1].starts_with("POST /post"), "{}", seen[1]);
}

/// The whole request, headers and `Content-Length` bytes of body: closing with unread bytes
/// would make the kernel reset the connection under the client.
fn read_request(s: &mut std::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return text;
            }
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&data).into_owned(),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn host_api_store_json_time_and_blobs() {
    let f = fixture();
    assert_eq!(
        f.call("a.store_round_trip", json!({"n": 1, "s": [true]}))
            .unwrap(),
        json!({"got": {"n": 1, "s": [true]}, "after": null})
    );
    let v = json!({"i": 1, "f": 1.5, "s": "x", "a": [null, false], "m": {}});
    assert_eq!(f.call("a.json_roundtrip", v.clone()).unwrap(), v);
    assert_eq!(f.call("a.timestamps", Value::Null).unwrap(), json!(true));
    match f
        .call_body("a.echo_blob", Body::Bytes(&[1, 2, 255]))
        .unwrap()
    {
        Encoded::Bytes(b) => assert_eq!(b, vec![1, 2, 255]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn emit_and_events() {
    let f = fixture();
    // Not connected yet: unavailable, contained.
    f.contained("a.emits", json!(1), "unavailable");
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    f.host.scripts().connect_emit(Box::new(move |s, e, d| {
        let event = (s.to_owned(), e.to_owned(), d.to_owned());
        sink.lock().unwrap().push(event)
    }));
    assert_eq!(f.call("a.emits", json!({"id": 3})).unwrap(), json!(true));
    let source = "script:a.emits".to_owned();
    let expected = (
        source.clone(),
        "doc:changed".to_owned(),
        "{\"id\":3}".to_owned(),
    );
    assert_eq!(*got.lock().unwrap(), vec![expected]);
    // A script's own event does not go back to scripts (`a.listener` listens to `doc:*`).
    f.router
        .on_event(Some(&source), "doc:changed", "{\"id\":3}");
    std::thread::sleep(Duration::from_millis(300));
    let store = f.dir.path().join("dirs/data/store.json");
    let text = std::fs::read_to_string(&store).unwrap_or_default();
    assert!(!text.contains("last-event"), "{text}");

    // A page's `doc:saved` reaches the listening endpoint's on_event, off this thread.
    f.router.on_event(Some("main"), "other", "1");
    f.router.on_event(Some("main"), "doc:saved", "{\"id\":9}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&store).unwrap_or_default();
        if text.contains("doc:saved") {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                v["last-event"],
                json!({"name": "doc:saved", "data": {"id": 9}})
            );
            break;
        }
        assert!(Instant::now() < deadline, "on_event did not run: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_edited_script_is_recompiled() {
    let f = fixture();
    let path = f.dir.path().join("scripts/attacks.rhai");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("#{ pong: args }", "#{ pong: args, v: 2 }"),
    )
    .unwrap();
    // The length changed, so the stamp differs even within one mtime tick.
    let v = f.call("a.ping", json!(1)).unwrap();
    assert_eq!(v, json!({"pong": 1, "v": 2}));
    std::fs::write(
        &path,
        text.replace("#{ pong: args }", "#{ pong: args, v: 3 }"),
    )
    .unwrap();
    f.host.scripts().reload("scripts/attacks.rhai");
    assert_eq!(f.call("a.ping", json!(1)).unwrap()["v"], 3);
}

#[test]
fn calls_run_in_parallel_and_a_runaway_delays_nobody() {
    let f = Arc::new(fixture());
    let spinner = {
        let f = f.clone();
        std::thread::spawn(move || f.call("a.spin", Value::Null))
    };
    let started = Instant::now();
    for _ in 0..20 {
        f.call("a.ping", json!(1)).unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(spinner.join().unwrap().unwrap_err().code(), "timeout");
}

/// A script reporting progress a million times in a tight loop: its page gets at most one event
/// per 50 ms of the call (the first at once), each fraction within 0..1 and in order.
#[test]
fn a_progress_flood_stays_bounded() {
    type Seen = Arc<Mutex<Vec<(f64, Option<String>)>>>;
    let f = fixture();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let running = Running::new(Some(Box::new(move |fraction, message| {
        log.lock()
            .unwrap()
            .push((fraction, message.map(str::to_owned)));
    })));
    let started = Instant::now();
    assert_eq!(
        f.call_running("a.progress_flood", Value::Null, &running)
            .unwrap(),
        json!(true)
    );
    let elapsed = started.elapsed();
    let seen = seen.lock().unwrap().clone();
    let bound = elapsed.as_millis() / 50 + 1;
    assert!(!seen.is_empty());
    assert!(
        seen.len() as u128 <= bound,
        "{} events in {elapsed:?}",
        seen.len()
    );
    assert!(
        seen.iter().all(|(f, _)| (0.0..=1.0).contains(f)),
        "{seen:?}"
    );
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert_eq!(seen[0], (0.0, Some("flood".to_owned())));
    eprintln!("1e6 progress calls: {} events in {elapsed:?}", seen.len());
    // Nobody following: the same script runs, its reports go nowhere.
    assert_eq!(
        f.call("a.progress_flood", Value::Null).unwrap(),
        json!(true)
    );
}
