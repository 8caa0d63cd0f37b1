//! Throughput of the IPC router alone, no webview: one small JSON call through every check the
//! host makes (origin, launch key, payload size, declared endpoint, the window's grant glob),
//! JSON decode, a trivial echoing `Dispatch`, and the reply's encoding; and a call the window is
//! not granted, which is refused at the grant check. A third case adds what the host does around
//! the router for a posted call: parsing the bridge's message and building the reply script.
//! `thrpt` is calls per second.
//!
//!     cargo bench --locked --bench router

#![allow(clippy::expect_used)] // a bench whose manifest does not resolve should stop loudly

use std::hint::black_box;
use std::sync::Arc;

use apphost::ipc::message::{self, Kind};
use apphost::ipc::stash::Stash;
use apphost::ipc::{Args, Body, Call, Dispatch, IpcError, Reply, Router};
use apphost::manifest::Endpoint;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Resolved like any app, from a temporary folder.
const MANIFEST: &str = r#"
[app]
id = "dev.apphost.bench.router"
name = "router bench"

[[window]]
label = "main"
endpoints = ["bench.*"]

[endpoints."bench.echo"]
builtin = "app.info"

[endpoints."admin.reset"]
builtin = "app.info"
"#;

const ORIGIN: &str = "app://localhost";

/// Answers with the arguments, as `app.echo` does.
struct Echo;

impl Dispatch for Echo {
    fn dispatch(&self, _: &str, _: &Endpoint, _: &str, args: Args) -> Result<Reply, IpcError> {
        Ok(match args {
            Args::Json(v) => Reply::Json(v),
            Args::Bytes(b) | Args::Mixed(_, b) => Reply::Bytes(b),
        })
    }
}

fn router(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir(dir.path().join("web")).expect("creating web/");
    std::fs::write(dir.path().join("web/index.html"), "").expect("writing index.html");
    let file = dir.path().join("app.toml");
    std::fs::write(&file, MANIFEST).expect("writing app.toml");
    let checked = apphost::check(&file);
    let app = checked
        .app
        .as_ref()
        .unwrap_or_else(|| panic!("the bench manifest does not resolve:\n{}", checked.render()));
    let key = apphost::ipc::launch_key().expect("a launch key");
    let router = Router::new(app, key.clone(), vec![ORIGIN.into()], Arc::new(Echo));
    let call = |endpoint| Call {
        window: "main",
        origin: Some(ORIGIN),
        key: Some(&key),
        endpoint,
        body: Body::Json(br#"{"a":1,"b":"x"}"#),
    };
    let (granted, refused) = (call("bench.echo"), call("admin.reset"));
    assert!(router.handle(&granted).is_ok());
    assert_eq!(
        router.handle(&refused).map_err(|e| e.code()),
        Err("forbidden")
    );

    let mut group = c.benchmark_group("router");
    group.throughput(Throughput::Elements(1));
    group.bench_function("small JSON call, granted", |b| {
        b.iter(|| router.handle(black_box(&granted)))
    });
    group.bench_function("small JSON call, not granted", |b| {
        b.iter(|| router.handle(black_box(&refused)))
    });
    // As the runtime's message handler does it, minus the webview and the worker thread.
    let posted = format!(r#"{{"k":"{key}","t":"c","i":7,"e":"bench.echo","a":{{"a":1,"b":"x"}}}}"#);
    let stash = Stash::default();
    let receive = |text: &str| {
        let msg = message::parse(text).expect("a call message");
        router.check_caller(Some(ORIGIN), msg.key.as_deref())?;
        let Kind::Call { id, endpoint, args } = msg.kind else {
            unreachable!("a call message")
        };
        let call = Call {
            endpoint: &endpoint,
            body: Body::Json(args.map_or("null", |a| a.get()).as_bytes()),
            ..granted
        };
        let result = router.handle_from_caller(&call);
        Ok::<_, IpcError>(message::reply_script(id, result, &stash, "main"))
    };
    let script = receive(&posted).expect("a reply script");
    assert_eq!(script, r#"window.apphost.__reply(7,1,{"a":1,"b":"x"});"#);
    group.bench_function("posted small JSON call, message to reply script", |b| {
        b.iter(|| receive(black_box(&posted)))
    });
    group.finish();
}

criterion_group!(benches, router);
criterion_main!(benches);
