//! How long `apphost check` spends on a manifest once the text is in memory: parse into the span
//! tree, deserialize, validate (including file-existence checks and icon decoding) and resolve.
//! This is start-up cost for `run`/`dev` and the cost of every live manifest re-apply in `dev`.
//!
//!     cargo bench --bench manifest

#![allow(clippy::expect_used)] // a bench with a missing fixture should stop loudly

use std::hint::black_box;
use std::path::Path;

use apphost::manifest;
use criterion::{Criterion, criterion_group, criterion_main};

fn fixture(rel: &str) -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).expect("fixture");
    (path, text)
}

fn check(c: &mut Criterion) {
    for rel in [
        "manifests/valid/minimal.toml",
        "manifests/valid/full.toml",
        "manifests/valid/full.json5",
        "sample-apps/hello/app.toml",
        "manifests/invalid/type-errors.toml",
    ] {
        let (path, text) = fixture(rel);
        c.bench_function(&format!("check {rel}"), |b| {
            b.iter(|| {
                let checked = apphost::check_text(black_box(&path), black_box(text.clone()));
                black_box(checked.diagnostics.len())
            })
        });
    }
    let (_, text) = fixture("manifests/valid/full.toml");
    c.bench_function("parse only manifests/valid/full.toml", |b| {
        b.iter(|| manifest::parse::toml(black_box(&text)).map(|n| n.span.len()))
    });
}

criterion_group!(benches, check);
criterion_main!(benches);
