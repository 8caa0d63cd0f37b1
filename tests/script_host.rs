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
    // URLs that a string-prefix match of `http://127.0.0.1:PORT/ok*` would let through: the
    // pattern is matched on the parsed URL, and nothing is sent.
    for url in [
        format!("http://127.0.0.1:{port}/ok/../elsewhere"),
        format!("http://127.0.0.1:{port}/ok/%2e%2e/elsewhere"),
        format!("http://user:pw@127.0.0.1:{port}/ok"),
        format!("http://127.0.0.1:{}/ok", port.wrapping_add(1)),
        format!("https://127.0.0.1:{port}/ok"),
        "file:///etc/passwd".to_owned(),
        "not a url".to_owned(),
    ] {
        f.contained("a.http_allowed", json!({ "url": url }), "forbidden");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
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
fn an_edited_module_recompiles_its_importers_and_a_broken_one_keeps_the_last_good() {
    let f = fixture();
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(8));
    // `lib/math` is imported by `lib/util`, which `modules.rhai` imports: an edit two levels
    // down is seen by the next call (the length changes, so the stamp does within one tick).
    let math = f.dir.path().join("scripts/lib/math.rhai");
    std::fs::write(&math, "fn times(a, b) { a * b * 10 }\n").unwrap();
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(80));
    // Broken: the last version that compiled stays in force, call after call.
    std::fs::write(&math, "fn times(a, b) {\n    a *\n}\n").unwrap();
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(80));
    assert_eq!(f.call("m.twice", json!(5)).unwrap(), json!(100));
    // The dev watcher's hook names the importer and the module's own line.
    let refreshed = f.host.scripts().refresh("scripts/lib/math.rhai");
    assert_eq!(
        refreshed.len(),
        1,
        "{:?}",
        refreshed.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    assert_eq!(refreshed[0].0, "scripts/modules.rhai");
    let e = refreshed[0].1.as_ref().unwrap_err().to_string();
    assert!(e.contains("scripts/lib/math.rhai:3:1"), "{e}");
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(80));
    // Fixed: compiled ahead by the hook, and the next call runs it.
    std::fs::write(&math, "fn times(a, b) { a * b + 1 }\n").unwrap();
    let refreshed = f.host.scripts().refresh("scripts/lib/math.rhai");
    assert!(refreshed[0].1.is_ok(), "{:?}", refreshed[0].1);
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(9));
    // A file nothing imports refreshes nothing.
    assert!(
        f.host
            .scripts()
            .refresh("scripts/lib/nothing.rhai")
            .is_empty()
    );
    // A module deleted: the last good version stays too.
    std::fs::remove_file(&math).unwrap();
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(9));
    let refreshed = f.host.scripts().refresh("scripts/lib/math.rhai");
    let e = refreshed[0].1.as_ref().unwrap_err().to_string();
    assert!(
        e.contains(
            "scripts/lib/util.rhai:2:8: import `lib/math`: scripts/lib/math.rhai does not exist"
        ),
        "{e}"
    );
}

#[test]
fn a_call_runs_only_the_imports_of_the_top_level() {
    // A top-level statement other than `import` never runs: here it would fail the call.
    let f = script_fixture::modules_fixture(&[
        ("scripts/lib/one.rhai", "fn f() { 1 }\n"),
        (
            "scripts/main.rhai",
            "import \"lib/one\" as one;\nthrow \"top level ran\";\nfn run() { one::f() }\n",
        ),
    ]);
    assert_eq!(f.call("m.run", Value::Null).unwrap(), json!(1));
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

/// What `apphost check` warns about, pinned: a script function with a built-in's name and one
/// parameter fewer takes that built-in's method calls. And what a module's functions see: its
/// top-level constants (exported or not) as `global::NAME`, and not by their bare name.
#[test]
fn a_script_function_takes_a_builtins_method_calls() {
    let f = script_fixture::modules_fixture(&[
        (
            "scripts/lib/t.rhai",
            "export const SEP = \" \";\nconst SEVEN = 7;\nfn words(s) { s.split(SEP) }\nfn parts(s) { s.split(global::SEP) }\nfn seven() { global::SEVEN }\n",
        ),
        (
            "scripts/main.rhai",
            "import \"lib/t\" as t;\nfn push(args) { \"mine\" }\nfn run() {\n    let a = [];\n    let pushed = a.push(1);\n    let words = \"found\";\n    try { t::words(\"a b\"); } catch (e) { words = \"not found\"; }\n    #{ pushed: pushed, a: a, seven: t::seven(), sep: t::SEP, words: words, split: t::parts(\"a b\") }\n}\n",
        ),
    ]);
    assert_eq!(
        f.call("m.run", Value::Null).unwrap(),
        json!({"pushed": "mine", "a": [], "seven": 7, "sep": " ", "words": "not found", "split": ["a", "b"]})
    );
}

/// An error inside a module's function names the module's file and line, not the importer's.
#[test]
fn an_error_in_a_module_function_names_the_module() {
    let f = script_fixture::modules_fixture(&[
        (
            "scripts/lib/bad.rhai",
            "fn boom(x) {\n    let y = x;\n    throw \"bad module\";\n}\n",
        ),
        (
            "scripts/main.rhai",
            "import \"lib/bad\" as bad;\nfn run() {\n    bad::boom(1)\n}\n",
        ),
    ]);
    let e = f.call("m.run", Value::Null).unwrap_err();
    assert_eq!(e.code(), "handler_error", "{e}");
    assert!(e.to_string().starts_with("scripts/lib/bad.rhai:3:"), "{e}");
}

/// A CSV file through `csv_parse` comes back to the page as JSON in the header's column order.
#[test]
fn library_csv_keeps_column_order_and_round_trips() {
    let f = fixture();
    let text = "name,age,city\nAda,36,London\n\"Hopper, Grace\",85,\"New\nYork\"\n";
    let rows = f.call("l.csv_rows", json!({ "text": text })).unwrap();
    assert_eq!(
        rows.to_string(),
        r#"[{"name":"Ada","age":"36","city":"London"},{"name":"Hopper, Grace","age":"85","city":"New\nYork"}]"#
    );
    assert_eq!(
        f.call("l.csv_round_trip", json!({ "text": text })).unwrap(),
        json!(text)
    );
    let tsv = "b\ta\n1\t2\n";
    assert_eq!(
        f.call("l.tsv_round_trip", json!({ "text": tsv })).unwrap(),
        json!(tsv)
    );
    let options = json!({ "delimiter": ";", "header": false, "trim": true });
    assert_eq!(
        f.call(
            "l.csv_options",
            json!({ "text": " a ; b \n", "options": options })
        )
        .unwrap(),
        json!([["a", "b"]])
    );
    assert_eq!(
        f.call("l.csv_from_maps", Value::Null).unwrap(),
        json!("id,name,ok\n0,n0,true\n1,n1,false\n2,n2,true\n")
    );
}

/// Bad input is an error a script catches, and uncaught a `handler_error` at the script's line.
#[test]
fn library_errors_are_catchable_and_name_the_place() {
    let f = fixture();
    let ragged = "a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4,5\n";
    assert_eq!(
        f.call("l.csv_caught", json!({ "text": ragged })).unwrap(),
        json!(
            "caught: csv_parse: record 3 (line 4): found 5 fields, the header has 4 (pass flexible: true to allow ragged rows)"
        )
    );
    let e = f.call("l.csv_rows", json!({ "text": ragged })).unwrap_err();
    assert_eq!(e.code(), "handler_error");
    let message = e.to_string();
    assert!(message.contains("scripts/library.rhai:3"), "{message}");
    assert!(message.contains("record 3 (line 4)"), "{message}");
    let e = f.contained("l.regex_bad", Value::Null, "handler_error");
    assert!(
        e.to_string().contains("regex_match: invalid pattern"),
        "{e}"
    );
    let e = f.contained("l.date_bad", Value::Null, "handler_error");
    assert!(e.to_string().contains("date_parse: \"2023-02-29\""), "{e}");
    assert_eq!(
        f.call("l.hex_bad", Value::Null).unwrap(),
        json!("hex_decode: 'g' at position 1 is not a hex digit")
    );
}

#[test]
fn library_text_json_regex_encodings_dates_and_math() {
    let f = fixture();
    assert_eq!(
        f.call("l.pretty", json!({ "text": r#"{"b":1,"a":[2]}"# }))
            .unwrap(),
        json!("{\n  \"b\": 1,\n  \"a\": [\n    2\n  ]\n}")
    );
    assert_eq!(
        f.call("l.text", Value::Null).unwrap(),
        json!({
            "lines": ["one", "two", "three"],
            "words": ["It's", "a", "well-known", "fact"],
            "join": "a-1-true",
            "pad_start": "007",
            "pad_end": "ab..",
            "repeat": "ababab",
            "title": "Hello World",
            "trim_start": "x  ",
            "trim_end": "  y",
            "builder": "a1b\n\n",
            "builder_len": 5,
            "split_limit": ["a", "b,c"],
        })
    );
    let regex = f.call("l.regex", Value::Null).unwrap();
    assert_eq!(
        regex["find"].to_string(),
        r#"{"text":"size=42","start":3,"end":10,"groups":["size","42"],"named":{"key":"size"}}"#
    );
    assert_eq!(
        regex,
        json!({
            "count": 2,
            "find": regex["find"].clone(),
            "none": null,
            "all": ["1", "22", "333"],
            "replace": "home:ada work:bob",
            "split": ["a", "b", "c"],
            "escape": "a\\.b",
        })
    );
    assert_eq!(
        f.call("l.encodings", Value::Null).unwrap(),
        json!({
            "base64": "aGVsbG8=",
            "decoded": "hello",
            "url": "-_8",
            "hex": "6869",
            "unhex": "hi",
            "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "hmac": "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            "uuid": 36,
            "uuid_v7": "7",
        })
    );
    let dates = f.call("l.dates", Value::Null).unwrap();
    assert_eq!(
        dates,
        json!({
            "t": 1_706_697_000_000i64,
            "plain": 1_706_659_200_000i64,
            "with_format": 1_706_697_000_000i64,
            "formatted": "2024-01-31 10:30",
            "parts": {"year": 2024, "month": 1, "day": 31, "hour": 10, "minute": 30,
                      "second": 0, "millisecond": 0, "weekday": 3, "offset_minutes": 0},
            "back": 1_706_697_000_000i64,
            "plus_month": "2024-02-29",
            "duration": 5_400_000,
            "iso_duration": 5_400_000,
            "duration_text": "1h 30m",
            "local_offset": "i64",
        })
    );
    assert!(
        dates["parts"]
            .to_string()
            .starts_with(r#"{"year":2024,"month":1,"#),
        "{}",
        dates["parts"]
    );
    assert_eq!(
        f.call("l.math", Value::Null).unwrap(),
        json!({
            "sum": 6, "fsum": 9.5, "mean": 2.375, "median": 2.25, "min": 1, "max": 4,
            "round": 1.235, "clamp": 10, "empty": null,
        })
    );
}
