//! The payload format of `apphost package` (`apphost::pack::format`), in memory, no window:
//!
//! 1. `Payload::open` of a payload of 10,000 files of ~1 KiB (target ≤ 1 ms);
//! 2. `write` at level 3 of 100 MB of assets: ~60 MB of generated JS, CSS and JSON with the
//!    redundancy of real code, and ~40 MB of incompressible "media" (`.mp4`, `.png`), which is
//!    stored (target ≤ 1 s); with the single-threaded cost of its hashing and compression
//!    beside it, to say where the time goes;
//! 3. payload size / raw size for a text-heavy app: this repository's own text files (`src/`,
//!    `js/`, `sample-apps/`, `templates/`, `README.md`) as separate files, at levels 3 and 19
//!    (target ≤ 0.36 at level 3);
//! 4. bytes per file beyond its blob (index entry and alignment) for 10,000 small files;
//! 5. `read` of a 64 MiB stored entry (which hashes it) against `std::fs::read` of the same
//!    bytes from a file (in the page cache after the first run).
//!
//! 1 and 5 also run under criterion; every case is timed again by hand for the summary table
//! printed at the end (medians of `PACKAGE_RUNS` runs, default 5; 101 for `open`).
//!
//!     cargo bench --locked --bench package
//!     PACKAGE_RUNS=11 PACKAGE_SUMMARY_ONLY=1 cargo bench --locked --bench package

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that goes wrong should stop loudly

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use apphost::pack::format::{self, Codec, DEFAULT_LEVEL, Payload};
use criterion::{Criterion, Throughput};
use sha2::Digest as _;

/// xorshift64*: the same bytes on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }
}

fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

const WORDS: [&str; 48] = [
    "value", "event", "options", "state", "render", "window", "element", "config", "result",
    "items", "index", "label", "handler", "request", "response", "status", "message", "title",
    "button", "dialog", "content", "layout", "theme", "color", "width", "height", "offset",
    "timer", "cache", "store", "entry", "record", "filter", "search", "query", "route", "page",
    "view", "model", "update", "remove", "create", "select", "toggle", "notes", "files", "user",
    "settings",
];

/// Code-like text: a few dozen names, numbers and punctuation in the shapes of JS, CSS and
/// JSON, so it compresses about as real sources do.
fn code(seed: u64, len: usize, kind: &str) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = String::with_capacity(len + 256);
    while out.len() < len {
        let w = |rng: &mut Rng| WORDS[rng.below(WORDS.len())];
        let (a, b, c, n) = (w(&mut rng), w(&mut rng), w(&mut rng), rng.below(1000));
        let _ = match (kind, rng.below(6)) {
            ("css", 0..=2) => writeln!(out, ".{a}-{b} {{ margin: {n}px {}px; }}", n / 3),
            ("css", _) => writeln!(
                out,
                "#{a} .{c} {{ color: #{:06x}; width: {n}%; }}",
                rng.next() >> 40
            ),
            ("json", _) => writeln!(
                out,
                r#"  {{"id": {n}, "{a}": "{b} {c}", "{c}": [{n}, {}]}},"#,
                rng.below(99)
            ),
            (_, 0) => writeln!(out, "export function {a}_{b}({c}, options = {{}}) {{"),
            (_, 1) => writeln!(
                out,
                "  const {a} = await window.apphost.invoke(\"{b}.{c}\", {{ id: {n} }});"
            ),
            (_, 2) => writeln!(
                out,
                "  if ({a}.{b} !== undefined && {a}.{b}.length > {n}) return {c}({a});"
            ),
            (_, 3) => writeln!(
                out,
                "  document.querySelector(\"#{a}-{n}\").classList.toggle(\"{b}\");"
            ),
            (_, 4) => writeln!(out, "}}\n"),
            _ => writeln!(out, "  // {a} the {b} before {c} changes"),
        };
    }
    out.truncate(len);
    out.into_bytes()
}

/// ~60 MB of code in files of 2 MB down to 20 KB, and ~40 MB of media.
fn assets() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut seed = 0;
    for (count, size, dir, ext) in [
        (8, 2_000_000, "js", "js"),
        (4, 1_500_000, "css", "css"),
        (4, 1_000_000, "data", "json"),
        (300, 100_000, "js/modules", "js"),
        (400, 20_000, "js/components", "js"),
        (10, 3_000_000, "media", "mp4"),
        (100, 100_000, "img", "png"),
    ] {
        for i in 0..count {
            seed += 1;
            let content = match ext {
                "mp4" | "png" => noise(seed, size),
                _ => code(seed, size, ext),
            };
            files.push((format!("web/{dir}/f{i:03}.{ext}"), content));
        }
    }
    files
}

/// This repository's own text files, as an app of text would be.
fn repo_text() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = [
        "rs", "js", "css", "html", "md", "toml", "json", "rhai", "svg", "txt",
    ];
    let mut files = Vec::new();
    for dir in ["src", "js", "sample-apps", "templates", "README.md"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.unwrap();
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if entry.file_type().is_file() && text.contains(&ext) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace('\\', "/");
                files.push((rel, std::fs::read(path).unwrap()));
            }
        }
    }
    files
}

fn small_files(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let path = format!("web/d{:02}/file{i:05}.js", i / 100);
            (path, code(i as u64, 1024, "js"))
        })
        .collect()
}

fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn raw_len(files: &[(String, Vec<u8>)]) -> usize {
    files.iter().map(|(_, c)| c.len()).sum()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let runs: usize = std::env::var("PACKAGE_RUNS").map_or(5, |r| r.parse().unwrap());
    let summary_only = std::env::var_os("PACKAGE_SUMMARY_ONLY").is_some();
    let host = format::HOST_VERSION;
    let line = |s: String| eprintln!("{s}");

    // 1 and 4: 10,000 small files.
    let small = small_files(10_000);
    let small_raw = raw_len(&small);
    let payload = format::write(small, DEFAULT_LEVEL, host).unwrap();
    let p = Payload::open(&payload).unwrap();
    let blobs: u64 = p.entries().iter().map(|e| e.stored_len).sum();
    // An index entry is 60 bytes besides its path and MIME type.
    let index: usize = p
        .entries()
        .iter()
        .map(|e| 60 + e.path.len() + e.mime.len())
        .sum();
    let blobs_offset = p.entries()[0].offset;
    let padding = payload.len() as u64 - blobs_offset - blobs;
    let open = median(101, || Payload::open(&payload).unwrap());

    // 5: a 64 MiB stored file, in the payload and on disk.
    let big = noise(5, 64 << 20);
    let tmp = tempfile::tempdir().unwrap();
    let on_disk = tmp.path().join("video.mp4");
    std::fs::write(&on_disk, &big).unwrap();
    let big_payload = format::write(vec![("video.mp4".into(), big)], DEFAULT_LEVEL, host).unwrap();
    let bp = Payload::open(&big_payload).unwrap();
    let video = &bp.entries()[0];
    assert_eq!(video.codec, Codec::Stored);

    if !summary_only {
        let mut c = Criterion::default().configure_from_args();
        let mut group = c.benchmark_group("package");
        group.bench_function("open, 10,000 files", |b| {
            b.iter(|| Payload::open(black_box(&payload)).unwrap())
        });
        group.throughput(Throughput::Bytes(64 << 20));
        group.sample_size(20);
        group.bench_function("read 64 MiB stored (hashed)", |b| {
            b.iter(|| bp.read(black_box(video)).unwrap())
        });
        group.bench_function("std::fs::read 64 MiB", |b| {
            b.iter(|| std::fs::read(black_box(&on_disk)).unwrap())
        });
        group.finish();
        c.final_summary();
    }

    line(String::new());
    line("package bench summary".into());
    line(format!(
        "1. open, 10,000 files ({:.1} MB payload)      {:>9.3} ms   (target <= 1 ms)",
        payload.len() as f64 / 1e6,
        ms(open)
    ));

    // 2: 100 MB of assets.
    let assets = assets();
    let assets_raw = raw_len(&assets);
    let text_raw: usize = assets
        .iter()
        .filter(|(p, _)| !p.ends_with(".mp4") && !p.ends_with(".png"))
        .map(|(_, c)| c.len())
        .sum();
    let mut written = 0;
    let write = median(runs, || {
        written = format::write(assets.clone(), DEFAULT_LEVEL, host)
            .unwrap()
            .len();
    });
    let clone = median(runs, || assets.clone());
    let hash = median(runs.min(3), || {
        for (_, c) in &assets {
            black_box(sha2::Sha256::digest(c));
        }
    });
    let compress = median(runs.min(3), || {
        for (p, c) in &assets {
            if !p.ends_with(".mp4") && !p.ends_with(".png") {
                black_box(zstd::bulk::compress(c, DEFAULT_LEVEL).unwrap());
            }
        }
    });
    line(format!(
        "2. write {:.0} MB ({:.0} MB text), level 3       {:>9.1} ms   (target <= 1000 ms; \
         {:.2}x raw; {} threads)",
        assets_raw as f64 / 1e6,
        text_raw as f64 / 1e6,
        ms(write.saturating_sub(clone)),
        written as f64 / assets_raw as f64,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    ));
    line(format!(
        "   single-threaded parts: sha256 of all {:>7.1} ms, zstd-3 of the text {:>7.1} ms, \
         copying the input {:>5.1} ms (subtracted above)",
        ms(hash),
        ms(compress),
        ms(clone)
    ));

    // 3: real text.
    let text = repo_text();
    let text_raw = raw_len(&text);
    for level in [DEFAULT_LEVEL, format::BEST_LEVEL] {
        let len = format::write(text.clone(), level, host).unwrap().len();
        line(format!(
            "3. text app, {} files {:.2} MB, level {level:>2}      {:>9.3}x  (target <= 0.36 at 3)",
            text.len(),
            text_raw as f64 / 1e6,
            len as f64 / text_raw as f64
        ));
    }

    line(format!(
        "4. per-file overhead, 10,000 files            {:>9.1} B    (index entry {:.1} + \
         padding {:.1}, header and hash {}; raw {:.1} MB -> {:.1} MB)",
        (payload.len() as u64 - blobs) as f64 / 1e4,
        index as f64 / 1e4,
        padding as f64 / 1e4,
        blobs_offset - index as u64,
        small_raw as f64 / 1e6,
        payload.len() as f64 / 1e6
    ));

    let read = median(runs, || bp.read(video).unwrap());
    let fs_read = median(runs, || std::fs::read(&on_disk).unwrap());
    let gbs = |d: Duration| (64 << 20) as f64 / d.as_secs_f64() / 1e9;
    line(format!(
        "5. read 64 MiB stored (hashed)                {:>9.1} ms = {:.2} GB/s; \
         std::fs::read {:.1} ms = {:.2} GB/s ({:.2}x)",
        ms(read),
        gbs(read),
        ms(fs_read),
        gbs(fs_read),
        read.as_secs_f64() / fs_read.as_secs_f64()
    ));
}
