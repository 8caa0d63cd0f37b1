//! Script endpoints, in three parts:
//! - **overhead**: what a trivial script call costs beyond the builtin path, measured through
//!   `Router::handle` with a real `Host` (the same small JSON call to `app.echo` and to a Rhai
//!   `fn echo(args) { args }`);
//! - **data**: real data work in script endpoints of `benches/apps/script` through
//!   `Router::handle` (no window): building an array element by element, summing, CSV → maps
//!   (split-based and with `csv_parse`), a 1 MB JSON round trip, a regex scan of 1 MB; beside
//!   "before", the same scripts in a bare rhai engine configured as apphost's sandbox was before
//!   issue 11 (rhai's per-value size limits on: they walk the whole value after every change);
//!   then **page**: `apphost run` of that app, whose page (`web/bench.js`) times each job in its
//!   own JS and through `window.apphost.invoke` to the script endpoint, side by side in one run
//!   (needs a display; an Xvfb is started without `DISPLAY`);
//! - **fairness**: 8 calls of about 200 ms of work each started at once on this machine's
//!   cores, each call's latency printed (they should finish together, none starved).
//!
//! Commands:
//!
//!     cargo bench --locked --bench script
//!     cargo bench --locked --bench script -- data     # only the data and page parts
//!     SCRIPT_FAIR_MS=200 cargo bench --locked --bench script -- fairness   # only fairness

#![allow(clippy::expect_used, clippy::unwrap_used)] // a bench that goes wrong should stop loudly

#[allow(dead_code)] // the file server is for the GUI benches' floors
mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apphost::builtins::Host;
use apphost::builtins::paths::AppDirs;
use apphost::ipc::{Body, Call, IpcError, Router};
use criterion::{Criterion, Throughput};

const MANIFEST: &str = r#"
[app]
id = "dev.apphost.bench.script"
name = "script bench"

[scripts]
timeout-ms = 60000
max-operations = 1_000_000_000_000

[endpoints."app.echo"]
builtin = "app.echo"

[endpoints."s.echo"]
script = "scripts/bench.rhai"

[endpoints."s.noop"]
script = "scripts/bench.rhai"

[endpoints."s.work"]
script = "scripts/bench.rhai"
"#;

const SCRIPT: &str = r#"
fn echo(args) { args }
fn noop() { }
fn work(args) { let n = 0; for i in 0..args.n { n += i; } n }
"#;

const ORIGIN: &str = "app://localhost";

struct Bench {
    _dir: tempfile::TempDir,
    router: Arc<Router>,
    key: String,
}

fn setup() -> Bench {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    std::fs::create_dir_all(root.join("web")).expect("web/");
    std::fs::write(root.join("web/index.html"), "").expect("index.html");
    std::fs::create_dir_all(root.join("scripts")).expect("scripts/");
    std::fs::write(root.join("scripts/bench.rhai"), SCRIPT).expect("bench.rhai");
    std::fs::write(root.join("app.toml"), MANIFEST).expect("app.toml");
    let checked = apphost::check(&root.join("app.toml"));
    let app = checked
        .app
        .as_ref()
        .unwrap_or_else(|| panic!("the bench manifest does not resolve:\n{}", checked.render()));
    let dirs = AppDirs::under(&root.join("dirs"));
    let ui = Box::new(|_, _| Err(IpcError::Unavailable("no UI in the bench".into())));
    let host = Arc::new(Host::new(app, checked.source.clone(), &dirs, ui));
    let key = apphost::ipc::launch_key().expect("a launch key");
    let router = Arc::new(Router::new(app, key.clone(), vec![ORIGIN.into()], host));
    Bench {
        _dir: dir,
        router,
        key,
    }
}

impl Bench {
    fn call<'a>(&'a self, endpoint: &'a str, body: &'a [u8]) -> Call<'a> {
        Call {
            window: "main",
            origin: Some(ORIGIN),
            key: Some(&self.key),
            endpoint,
            body: Body::Json(body),
        }
    }
}

fn overhead(c: &mut Criterion, b: &Bench) {
    let body = br#"{"a":1,"b":"x"}"#;
    let builtin = b.call("app.echo", body);
    let script = b.call("s.echo", body);
    let noop = b.call("s.noop", b"null");
    assert_eq!(b.router.handle(&builtin), b.router.handle(&script));
    assert!(b.router.handle(&noop).is_ok());
    let mut group = c.benchmark_group("script");
    group.throughput(Throughput::Elements(1));
    group.bench_function("builtin app.echo, small JSON", |x| {
        x.iter(|| b.router.handle(black_box(&builtin)))
    });
    group.bench_function("script fn echo(args), small JSON", |x| {
        x.iter(|| b.router.handle(black_box(&script)))
    });
    group.bench_function("script fn noop(), null", |x| {
        x.iter(|| b.router.handle(black_box(&noop)))
    });
    group.finish();
}

/// 8 calls of about `SCRIPT_FAIR_MS` (200) ms of work each, started together.
fn fairness(b: &Bench) {
    let target = Duration::from_millis(
        std::env::var("SCRIPT_FAIR_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200),
    );
    // Calibrate n so that one call alone takes about the target.
    let time = |n: u64| {
        let body = format!(r#"{{"n":{n}}}"#);
        let started = Instant::now();
        b.router
            .handle(&b.call("s.work", body.as_bytes()))
            .expect("work");
        started.elapsed()
    };
    let mut n = 10_000u64;
    while time(n) < target / 4 {
        n *= 2;
    }
    let n = (n as f64 * target.as_secs_f64() / time(n).as_secs_f64()) as u64;
    let alone = time(n);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "fairness: one call alone {:.0} ms (n = {n}); 8 at once on {cores} cores:",
        alone.as_secs_f64() * 1e3
    );
    for round in 1..=3 {
        let start = Instant::now();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let router = Arc::clone(&b.router);
                let key = b.key.clone();
                std::thread::spawn(move || {
                    let body = format!(r#"{{"n":{n}}}"#);
                    let call = Call {
                        window: "main",
                        origin: Some(ORIGIN),
                        key: Some(&key),
                        endpoint: "s.work",
                        body: Body::Json(body.as_bytes()),
                    };
                    router.handle(&call).expect("work");
                    start.elapsed()
                })
            })
            .collect();
        let mut done: Vec<f64> = threads
            .into_iter()
            .map(|t| t.join().expect("a call thread").as_secs_f64() * 1e3)
            .collect();
        done.sort_by(f64::total_cmp);
        let ideal = alone.as_secs_f64() * 1e3 * 8.0 / cores as f64;
        println!(
            "  round {round}: finished at {} ms (first/last {:.2}; ideal all at ~{ideal:.0} ms)",
            done.iter()
                .map(|d| format!("{d:.0}"))
                .collect::<Vec<_>>()
                .join(", "),
            done[0] / done[done.len() - 1],
        );
    }
}

/// The data the jobs work on, written into `web/data/` of the bench app's copy: the same bytes
/// for the script endpoints and the page.
struct Data {
    small_csv: String,
    big_csv: String,
    json: String,
    prose: String,
}

const PATTERN: &str = "[a-z]+@[a-z]+\\.com";

/// `rows` rows of `name,age,city,note`, about 27 bytes each (5,000 rows ≈ 137 KB).
fn csv(rows: usize) -> String {
    const CITIES: [&str; 5] = ["Berlin", "Lyon", "Porto", "Oslo", "Kyoto"];
    let mut out = String::from("name,age,city,note\n");
    for i in 0..rows {
        out.push_str(&format!(
            "Name{i},{},{},note {}\n",
            20 + i % 60,
            CITIES[i % CITIES.len()],
            i * 7 % 1000
        ));
    }
    out
}

fn data() -> Data {
    let mut big_rows = 5000;
    while csv(big_rows).len() < 2_000_000 {
        big_rows += 5000;
    }
    let mut items = Vec::new();
    let mut json = String::new();
    while json.len() < 1_000_000 {
        let i = items.len();
        items.push(serde_json::json!({
            "id": i, "name": format!("item {i}"), "tags": ["alpha", "beta", "gamma"],
            "done": i % 2 == 0, "score": i as f64 * 1.5, "owner": {"name": "someone", "age": 42}
        }));
        if i % 1000 == 999 {
            json = serde_json::Value::Array(items.clone()).to_string();
        }
    }
    let mut prose = String::new();
    let mut i = 0;
    while prose.len() < 1_000_000 {
        prose.push_str("Lorem ipsum dolor sit amet, consectetur adipiscing elit; ");
        if i % 3 == 0 {
            let name = ["ada", "grace", "alan", "edsger", "barbara"][i % 5];
            prose.push_str(&format!("write to {name}@example.com today. "));
        }
        i += 1;
    }
    Data {
        small_csv: csv(5000),
        big_csv: csv(big_rows),
        json,
        prose,
    }
}

/// A temporary copy of `benches/apps/script` with the data files in `web/data/`.
fn script_app(d: &Data) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/apps/script");
    for entry in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let rel = entry.path().strip_prefix(&src).unwrap();
        let to = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let data = dir.path().join("web/data");
    std::fs::create_dir_all(&data).unwrap();
    for (name, text) in [
        ("5000.csv", &d.small_csv),
        ("2mb.csv", &d.big_csv),
        ("1mb.json", &d.json),
        ("1mb.txt", &d.prose),
    ] {
        std::fs::write(data.join(name), text).unwrap();
    }
    dir
}

/// A bare rhai engine with the standard library and no limits at all (no size checks, no
/// progress callback): the floor of what rhai itself costs. `before`: set up as apphost's
/// sandbox was before issue 11, with rhai's own per-value size limits at the old defaults (1 MiB
/// strings, 100,000 items/entries).
fn bare_engine(before: bool) -> rhai::Engine {
    let mut e = rhai::Engine::new_raw();
    e.register_global_module(rhai::packages::Package::as_shared_module(
        &rhai::packages::StandardPackage::new(),
    ));
    if before {
        e.set_max_operations(1_000_000_000)
            .set_max_string_size(1 << 20)
            .set_max_array_size(100_000)
            .set_max_map_size(100_000);
    }
    e
}

fn data_part(d: &Data, app: &std::path::Path) {
    let checked = apphost::check(&app.join("app.toml"));
    let manifest = checked
        .app
        .as_ref()
        .unwrap_or_else(|| panic!("the bench app does not resolve:\n{}", checked.render()));
    let dirs = AppDirs::under(&app.join("dirs"));
    let ui = Box::new(|_, _| Err(IpcError::Unavailable("no UI in the bench".into())));
    let host = Arc::new(Host::new(manifest, checked.source.clone(), &dirs, ui));
    let key = apphost::ipc::launch_key().expect("a launch key");
    let router = Router::new(manifest, key.clone(), vec![ORIGIN.into()], host);
    let call = |endpoint: &str, args: serde_json::Value| {
        let body = args.to_string();
        let started = Instant::now();
        router
            .handle(&Call {
                window: "main",
                origin: Some(ORIGIN),
                key: Some(&key),
                endpoint,
                body: Body::Json(body.as_bytes()),
            })
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        started.elapsed().as_secs_f64() * 1e3
    };
    let script = std::fs::read_to_string(app.join("scripts/bench.rhai")).unwrap();
    let engines = [bare_engine(true), bare_engine(false)];
    let ast = engines[0].compile(&script).unwrap();
    let run_bare = |engine: &rhai::Engine, f: &str, args: serde_json::Value| {
        let args: rhai::Dynamic = engine.parse_json(args.to_string(), true).unwrap().into();
        let started = Instant::now();
        let _ = engine
            .call_fn::<rhai::Dynamic>(&mut rhai::Scope::new(), &ast, f, (args,))
            .unwrap_or_else(|e| panic!("bare rhai, {f}: {e}"));
        started.elapsed().as_secs_f64() * 1e3
    };
    // The median of `runs` timings, after one warm-up run.
    let median = |runs: usize, f: &mut dyn FnMut() -> f64| {
        f();
        let mut t: Vec<f64> = (0..runs).map(|_| f()).collect();
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    println!(
        "data: script endpoints through Router::handle (median ms); before: rhai's own size checks, as before issue 11; rhai floor: a bare engine without limits, the script alone"
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>11}",
        "job", "before", "now", "rhai floor"
    );
    let jobs: Vec<(&str, &str, serde_json::Value, bool)> = vec![
        (
            "for i in 0..n { a.push(i) }, n = 10,000",
            "pushes",
            serde_json::json!({"n": 10_000}),
            true,
        ),
        (
            "for i in 0..n { a.push(i) }, n = 50,000",
            "pushes",
            serde_json::json!({"n": 50_000}),
            true,
        ),
        (
            "for i in 0..n { a.push(i) }, n = 100,000",
            "pushes",
            serde_json::json!({"n": 100_000}),
            true,
        ),
        (
            "sum of 1,000,000 integers",
            "sum",
            serde_json::json!({"n": 1_000_000}),
            true,
        ),
        (
            "CSV 5,000 rows → maps, split-based",
            "csv_split",
            serde_json::json!({"text": d.small_csv}),
            true,
        ),
        (
            "CSV 5,000 rows → maps, csv_parse",
            "csv_helper",
            serde_json::json!({"text": d.small_csv}),
            false,
        ),
        (
            "CSV 2 MB → maps, csv_parse",
            "csv_helper",
            serde_json::json!({"text": d.big_csv}),
            false,
        ),
        (
            "JSON 1 MB parse_json + to_json",
            "json_round_trip",
            serde_json::json!({"text": d.json}),
            false,
        ),
        (
            "regex_find_all over 1 MB",
            "regex_scan",
            serde_json::json!({"pattern": PATTERN, "text": d.prose}),
            false,
        ),
    ];
    for (label, f, args, compare) in jobs {
        let runs = if f == "pushes" && args["n"] == 50_000 || !compare {
            5
        } else {
            9
        };
        let bare = |engine: &rhai::Engine| {
            format!(
                "{:.2}",
                median(runs, &mut || run_bare(engine, f, args.clone()))
            )
        };
        let then = if compare {
            bare(&engines[0])
        } else {
            "—".into()
        };
        let floor = if compare {
            bare(&engines[1])
        } else {
            "—".into()
        };
        let now = median(runs, &mut || call(&format!("s.{f}"), args.clone()));
        println!("  {label:<44} {then:>10} {now:>10.2} {floor:>11}");
    }
}

/// `apphost run` of the bench app: the page times each job in its own JS and through `invoke`.
fn page_part(app: &std::path::Path) {
    let (xvfb, display) = common::Xvfb::display();
    let home = tempfile::tempdir().expect("a temporary folder");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_apphost"));
    cmd.arg("run").arg(app);
    for var in [
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
    ] {
        cmd.env(var, home.path().join(var));
    }
    let status = cmd
        .env("DISPLAY", &display)
        .env("APPHOST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .status()
        .expect("starting apphost run");
    assert!(status.success(), "apphost run of the bench app: {status}");
    drop(xvfb);
    let store = walkdir::WalkDir::new(home.path())
        .into_iter()
        .flatten()
        .find(|e| e.file_name() == "store.json")
        .expect("the page's report in the store");
    let store: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.path()).unwrap()).unwrap();
    let report = &store["report"];
    if let Some(e) = report["error"].as_str() {
        panic!("the bench page failed: {e}");
    }
    println!(
        "page: the same jobs in the page's own JS and through invoke → script endpoint (mean ms)"
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>8}",
        "job", "page JS", "script", "ratio"
    );
    for (name, r) in report.as_object().expect("a report object") {
        let script = r["script"]["ms"].as_f64().unwrap_or(f64::NAN);
        let (page, ratio) = match r["page"]["ms"].as_f64() {
            Some(p) => (format!("{p:.2}"), format!("{:.2}×", script / p)),
            None => ("—".into(), "—".into()),
        };
        println!("  {name:<44} {page:>10} {script:>10.2} {ratio:>8}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = |part: &str| args.iter().any(|a| a == part);
    let all = !only("fairness") && !only("data");
    if all {
        let b = setup();
        let mut c = Criterion::default().configure_from_args();
        overhead(&mut c, &b);
        c.final_summary();
    }
    if all || only("data") {
        let d = data();
        let app = script_app(&d);
        data_part(&d, app.path());
        page_part(app.path());
    }
    if all || only("fairness") {
        fairness(&setup());
    }
}
