//! Script endpoints: what a trivial script call costs beyond the builtin path, measured through
//! `Router::handle` with a real `Host` (the same small JSON call to `app.echo` and to a Rhai
//! `fn echo(args) { args }`); and fairness: 8 calls of about 200 ms of work each started at once
//! on this machine's cores, each call's latency printed (they should finish together, none
//! starved).
//!
//!     cargo bench --locked --bench script
//!     SCRIPT_FAIR_MS=200 cargo bench --locked --bench script -- fairness   # only the second part

#![allow(clippy::expect_used)] // a bench whose fixture does not resolve should stop loudly

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

fn main() {
    let b = setup();
    let only_fairness = std::env::args().any(|a| a == "fairness");
    if !only_fairness {
        let mut c = Criterion::default().configure_from_args();
        overhead(&mut c, &b);
        c.final_summary();
    }
    fairness(&b);
}
