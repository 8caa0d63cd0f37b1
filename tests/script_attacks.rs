//! The script sandbox against hostile scripts (`tests/scripts/*.rhai`): each attack must be
//! contained with the right error code, and the engine must answer a normal call right after.
//! No window: a real `Host` and `Router` over a temporary app folder, store and scope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apphost::builtins::Host;
use apphost::builtins::paths::AppDirs;
use apphost::ipc::{Body, Call, Encoded, IpcError, Router};
use apphost::manifest;
use serde_json::{Value, json};

const ORIGIN: &str = "app://localhost";

struct Fixture {
    dir: tempfile::TempDir,
    host: Arc<Host>,
    router: Router,
}

/// Attack endpoints `a.<fn>` on `scripts/attacks.rhai`, with the limits each needs to show its
/// own limit rather than another one first.
fn manifest(http_port: u16) -> String {
    let mut m = format!(
        r#"
[app]
id = "dev.apphost.test.attacks"
name = "attacks"

[security]
max-payload = "1 MiB"

[scripts]
timeout-ms = 2000
max-memory = "32 MiB"

[endpoints."app.echo"]
builtin = "app.echo"

[endpoints."app.info"]
builtin = "app.info"

[endpoints."admin.reset"]
builtin = "store.clear"

[endpoints."a.spin"]
script = "scripts/attacks.rhai"
timeout-ms = 300
limits = {{ max-operations = 1_000_000_000_000 }}

[endpoints."a.variables"]
script = "scripts/attacks.rhai"
limits = {{ max-variables = 8 }}

[endpoints."a.map_index_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.map_merge_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.map_fill_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.map_nested_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.near_limit_strings"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.strings_in_frames"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.map_bomb"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.array_bomb"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.huge_return"]
script = "scripts/attacks.rhai"
limits = {{ max-array-size = 2_000_000 }}

[endpoints."a.invoke_granted"]
script = "scripts/attacks.rhai"
invoke = ["app.echo"]

[endpoints."a.http_allowed"]
script = "scripts/attacks.rhai"
allow-urls = ["http://127.0.0.1:{http_port}/ok*"]

[endpoints."a.http_post_allowed"]
script = "scripts/attacks.rhai"
allow-urls = ["http://127.0.0.1:{http_port}/*"]

[endpoints."a.listener"]
script = "scripts/attacks.rhai"
fn = "ping"
scope = ["$APPDATA/**"]
on = ["doc:*"]

[endpoints."a.missing"]
script = "scripts/missing.rhai"
fn = "nowhere"

[endpoints."d.calls"]
script = "scripts/deepest.rhai"
limits = {{ max-call-depth = 256, max-expr-depth = 256 }}

[endpoints."d.nested"]
script = "scripts/deepest.rhai"
limits = {{ max-call-depth = 256, max-expr-depth = 256 }}

[endpoints."a.deep"]
script = "scripts/deep.rhai"
fn = "run"

[endpoints."a.many_fns"]
script = "scripts/many_fns.rhai"
fn = "run"
limits = {{ max-functions = 3 }}
"#
    );
    for f in [
        "ping",
        "count",
        "recursion",
        "string_doubling",
        "nested_arrays",
        "blob_doubling",
        "fs_dotdot",
        "fs_symlink",
        "fs_absolute",
        "fs_inside",
        "invoke_undeclared",
        "invoke_ungranted",
        "invoke_script",
        "overflow",
        "divide",
        "bad_substring",
        "bad_step",
        "throws",
        "http_denied",
        "catches",
        "store_round_trip",
        "echo_blob",
        "json_roundtrip",
        "timestamps",
        "emits",
        "no_json",
        "sleepy",
    ] {
        let scope = if f.starts_with("fs_") || f == "catches" {
            "scope = [\"$APPDATA/notes/**\"]\n"
        } else {
            ""
        };
        m.push_str(&format!(
            "[endpoints.\"a.{f}\"]\nscript = \"scripts/attacks.rhai\"\n{scope}"
        ));
    }
    // Scripts that do not compile get a file each (a compile error fails the whole file).
    for f in ["eval", "import"] {
        m.push_str(&format!(
            "[endpoints.\"c.{f}\"]\nscript = \"scripts/{f}.rhai\"\nfn = \"run\"\n"
        ));
    }
    m
}

fn fixture_with_port(port: u16) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("web")).unwrap();
    std::fs::write(root.join("web/index.html"), "").unwrap();
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    // `check` refuses scripts that do not compile: those start as placeholders and become
    // hostile once the app is resolved, as if edited while it runs.
    let late = [
        "eval.rhai",
        "import.rhai",
        "deep.rhai",
        "many_fns.rhai",
        "missing.rhai",
    ];
    for name in late {
        let placeholder = "fn run() { 0 }\nfn nowhere() { 0 }\n";
        std::fs::write(root.join("scripts").join(name), placeholder).unwrap();
    }
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        if !late.iter().any(|l| name == *l) {
            std::fs::copy(&p, root.join("scripts").join(name)).unwrap();
        }
    }
    std::fs::write(root.join("app.toml"), manifest(port)).unwrap();
    let checked = manifest::check(&root.join("app.toml"));
    let app = checked
        .app
        .clone()
        .unwrap_or_else(|| panic!("{}", checked.render()));
    for name in late {
        std::fs::copy(src.join(name), root.join("scripts").join(name)).unwrap();
    }
    let dirs = AppDirs::under(&root.join("dirs"));
    std::fs::create_dir_all(dirs.data.join("notes")).unwrap();
    std::fs::write(root.join("dirs/secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(
        root.join("dirs/secret.txt"),
        dirs.data.join("notes/link.txt"),
    )
    .unwrap();
    let ui = Box::new(|_, _| Err(IpcError::Unavailable("no UI in this test".into())));
    let host = Arc::new(Host::new(&app, &dirs, ui));
    let router = Router::new(&app, "k".repeat(64), vec![ORIGIN.into()], host.clone());
    Fixture { dir, host, router }
}

fn fixture() -> Fixture {
    fixture_with_port(9)
}

impl Fixture {
    fn call_body(&self, endpoint: &str, body: Body<'_>) -> Result<Encoded, IpcError> {
        let key = "k".repeat(64);
        self.router.handle(&Call {
            window: "main",
            origin: Some(ORIGIN),
            key: Some(&key),
            endpoint,
            body,
        })
    }

    fn call(&self, endpoint: &str, args: Value) -> Result<Value, IpcError> {
        let text = args.to_string();
        match self.call_body(endpoint, Body::Json(text.as_bytes()))? {
            Encoded::Json(b) => Ok(serde_json::from_slice(&b).unwrap()),
            Encoded::Bytes(b) => Ok(json!({ "bytes": b })),
        }
    }

    /// Runs an attack, checks its code and that the engine still answers.
    fn contained(&self, endpoint: &str, args: Value, code: &str) -> IpcError {
        let started = Instant::now();
        let err = self
            .call(endpoint, args)
            .expect_err(&format!("{endpoint} should have failed"));
        assert_eq!(err.code(), code, "{endpoint}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{endpoint} took {:?}",
            started.elapsed()
        );
        assert_eq!(
            self.call("a.ping", json!(1)).unwrap(),
            json!({"pong": 1}),
            "after {endpoint}"
        );
        err
    }
}

#[test]
fn a_normal_call_answers() {
    let f = fixture();
    assert_eq!(
        f.call("a.ping", json!({"x": [1, 2.5]})).unwrap(),
        json!({"pong": {"x": [1, 2.5]}})
    );
}

#[test]
fn an_infinite_loop_times_out() {
    let f = fixture();
    let started = Instant::now();
    let e = f.contained("a.spin", Value::Null, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(e.to_string().contains("300 ms"), "{e}");
}

#[test]
fn operations_are_counted() {
    let e = fixture().contained("a.count", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-operations"), "{e}");
}

#[test]
fn a_recursion_bomb_hits_the_call_depth() {
    let e = fixture().contained("a.recursion", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-call-depth"), "{e}");
}

#[test]
fn size_bombs_are_stopped() {
    let f = fixture();
    for bomb in [
        "a.string_doubling",
        "a.array_bomb",
        "a.nested_arrays",
        "a.blob_doubling",
    ] {
        f.contained(bomb, Value::Null, "limit_exceeded");
    }
}

#[test]
fn a_map_grown_by_index_assignment_is_stopped_by_memory() {
    let e = fixture().contained("a.map_bomb", Value::Null, "limit_exceeded");
    assert!(
        e.to_string().contains("max-memory") || e.to_string().contains("max-map-size"),
        "{e}"
    );
}

#[test]
fn index_assignment_past_max_map_size() {
    // Older rhai versions did not check `m[k] = v` against max-map-size; 1.27 does, for every
    // way of growing a map tried here (max-map-size = 10, each grows to 50). The memory bound
    // does not depend on it (the test above).
    let f = fixture();
    for attack in [
        "a.map_index_bypass",
        "a.map_merge_bypass",
        "a.map_fill_bypass",
        "a.map_nested_bypass",
    ] {
        let e = f.contained(attack, Value::Null, "limit_exceeded");
        assert!(e.to_string().contains("max-map-size 10"), "{e}");
    }
}

#[test]
fn many_near_limit_strings_hit_the_memory_bound() {
    // Rhai sums the strings inside one array or map, but not across a map grown by index
    // assignment, nor across call frames: the memory bound covers both.
    let f = fixture();
    for attack in ["a.near_limit_strings", "a.strings_in_frames"] {
        let e = f.contained(attack, Value::Null, "limit_exceeded");
        assert!(e.to_string().contains("max-memory"), "{e}");
    }
}

#[test]
fn eval_and_import_do_not_compile() {
    let f = fixture();
    let e = f.contained("c.eval", Value::Null, "handler_error");
    assert!(e.to_string().contains("scripts/eval.rhai:1:"), "{e}");
    let e = f.contained("c.import", Value::Null, "handler_error");
    assert!(e.to_string().contains("scripts/import.rhai:1:"), "{e}");
}

#[test]
fn deep_nesting_and_too_many_functions_are_limits() {
    let f = fixture();
    let e = f.contained("a.deep", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-expr-depth"), "{e}");
    let e = f.contained("a.many_fns", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-functions"), "{e}");
}

#[test]
fn the_deepest_allowed_nesting_fits_a_worker_stack() {
    // Worker threads have std's default 2 MiB stack; so does this one, explicitly.
    let f = Arc::new(fixture());
    let g = f.clone();
    let run = move || {
        assert_eq!(g.call("d.calls", json!({"n": 250})).unwrap(), json!(250));
        let e = g.call("d.calls", json!({"n": 100000})).unwrap_err();
        assert_eq!(e.code(), "limit_exceeded", "{e}");
        assert_eq!(g.call("d.nested", Value::Null).unwrap(), json!(1));
    };
    let t = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap();
    t.join().unwrap();
    assert_eq!(f.call("a.ping", json!(1)).unwrap(), json!({"pong": 1}));
}

#[test]
fn too_many_variables() {
    let e = fixture().contained("a.variables", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-variables"), "{e}");
}

#[test]
fn files_outside_the_scope_are_refused() {
    let f = fixture();
    f.contained("a.fs_dotdot", Value::Null, "forbidden");
    f.contained("a.fs_symlink", Value::Null, "forbidden");
    let secret = f.dir.path().join("dirs/secret.txt");
    f.contained("a.fs_absolute", json!({"path": secret}), "forbidden");
    f.contained("a.fs_absolute", json!({"path": "/etc/passwd"}), "forbidden");
    assert_eq!(f.call("a.fs_inside", Value::Null).unwrap(), json!("hello"));
    assert_eq!(
        f.call("a.catches", Value::Null).unwrap(),
        json!("forbidden")
    );
}

#[test]
fn invoke_reaches_granted_builtins_only() {
    let f = fixture();
    f.contained("a.invoke_undeclared", Value::Null, "forbidden");
    f.contained("a.invoke_ungranted", Value::Null, "forbidden");
    f.contained("a.invoke_script", Value::Null, "forbidden");
    assert_eq!(
        f.call("a.invoke_granted", json!({"n": 7})).unwrap(),
        json!({"n": 7})
    );
}

#[test]
fn a_huge_return_value_is_too_large() {
    fixture().contained("a.huge_return", Value::Null, "too_large");
}

#[test]
fn bad_arithmetic_and_odd_inputs_are_handler_errors() {
    let f = fixture();
    f.contained("a.overflow", Value::Null, "handler_error");
    f.contained("a.divide", json!({"by": 0}), "handler_error");
    f.contained("a.divide", json!({"by": "zero"}), "handler_error");
    f.contained("a.divide", json!(null), "handler_error");
    f.contained("a.bad_step", Value::Null, "handler_error");
    // Out-of-range substrings are clamped by rhai, not errors.
    assert!(f.call("a.bad_substring", Value::Null).is_ok());
    let deep = "[".repeat(100) + "]".repeat(100).as_str();
    let body = deep.as_bytes();
    assert!(f.call_body("a.ping", Body::Json(body)).is_ok());
}

#[test]
fn runtime_errors_name_the_file_and_line() {
    let f = fixture();
    let e = f.contained("a.throws", Value::Null, "handler_error");
    let m = e.to_string();
    assert!(m.contains("scripts/attacks.rhai:"), "{m}");
    assert!(m.contains("bad thing"), "{m}");
    let line = m.split(':').nth(1).unwrap().parse::<u32>().unwrap();
    let text = std::fs::read_to_string(f.dir.path().join("scripts/attacks.rhai")).unwrap();
    let expected = text
        .lines()
        .position(|l| l.contains("throw \"bad thing\""))
        .unwrap()
        + 1;
    assert_eq!(line as usize, expected, "{m}");
    let e = f.contained("a.missing", Value::Null, "handler_error");
    assert!(e.to_string().contains("no function `nowhere`"), "{e}");
    let e = f.contained("a.no_json", Value::Null, "handler_error");
    assert!(e.to_string().contains("no JSON form"), "{e}");
}

#[test]
fn http_only_to_allowed_urls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
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
    f.host
        .scripts()
        .unwrap()
        .connect_emit(Box::new(move |s, e, d| {
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
    f.host
        .scripts()
        .unwrap()
        .reload(&path.canonicalize().unwrap());
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
