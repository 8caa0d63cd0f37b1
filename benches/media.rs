//! Media from `app://`: what playing and reading the app's own media files costs, against the
//! same files from a plain HTTP server on 127.0.0.1 (the floor), in the same kind of page.
//!
//! The bench copies `benches/apps/media` into a temporary folder, adds `clip.webm` (VP8/Vorbis,
//! 64x48, 2 s, 6 KB) from `tests/apps/media`, and two sparse files of zeros: 256 MiB and 1 GiB.
//! The floor is a small HTTP/1.1 server in this bench (one thread per connection, `Range`,
//! `Connection: close`, `Cache-Control: no-store`) serving that same `web/` folder. Each case is
//! one `apphost run` of the copy (`web/case.js` says which), with fresh `XDG_*_HOME` folders;
//! the page (`web/bench.js`) times with `performance.now()` (whole milliseconds in WebKitGTK)
//! and prints each result through `console.log`. Without `DISPLAY` an Xvfb server is started.
//!
//! Rows (medians of `MEDIA_RUNS` runs, default 5, app:// and floor alternating; min–max
//! after them):
//!
//! - **first frame, clip.webm (ms)**: from setting a muted, playing `<video>`'s `src` to the
//!   first `requestVideoFrameCallback` (or `playing`, where WebKit has no rVFC: the `via` note
//!   says which), after one untimed load of each;
//! - **loadeddata, clip.webm (ms)**: from setting `src` to `loadeddata`, the same loads;
//! - **fetch 256 MiB (MB/s)**: `fetch` and a stream reader counting the bytes of the 256 MiB
//!   file, from the call to the last chunk (1 MB = 10^6 bytes);
//! - **host peak memory, 1 GiB over app:// (MiB)**: a second launch reads the 1 GiB file the
//!   same way; the host's peak resident memory (VmHWM, reset to the idle VmRSS through
//!   `/proc/PID/clear_refs` just before the read, and VmRSS sampled every 10 ms besides) minus
//!   its idle VmRSS. Target: < 64 MiB. Its read time is printed beside it.
//!
//! The columns are app://, the floor, and app:// / floor (for times: how many times slower;
//! for throughput: the share of the floor's rate). A row whose loads failed says so instead of
//! a number, with the page's error (code 4 is `MEDIA_ERR_SRC_NOT_SUPPORTED`: WebKitGTK does not
//! play media from a custom scheme by itself, WebKit bug 146351).
//!
//!     cargo bench --locked --bench media
//!     MEDIA_RUNS=20 MEDIA_CASES=speed,memory cargo bench --locked --bench media

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that goes wrong should stop loudly

#[allow(dead_code)] // the floors' file server is not needed here
mod common;
#[path = "media/floor.rs"]
mod floor;
#[allow(dead_code)] // the dev bench's save bookkeeping is not needed here
#[path = "dev/host.rs"]
mod host;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::Xvfb;
use host::Host;
use serde_json::{Value, json};

const CASES: [&str; 2] = ["speed", "memory"];
const LARGE: &str = "large-256m.bin";
const HUGE: &str = "huge-1g.bin";
/// The page's pause between `ready` and the 1 GiB read, in which the idle memory is read.
const PAUSE_MS: u64 = 1500;

fn main() {
    let runs: usize = std::env::var("MEDIA_RUNS").map_or(5, |r| {
        r.parse::<usize>()
            .expect("MEDIA_RUNS must be a number")
            .max(1)
    });
    let cases = std::env::var("MEDIA_CASES").unwrap_or_else(|_| CASES.join(","));
    let cases: Vec<&str> = cases.split(',').map(str::trim).collect();
    if let Some(unknown) = cases.iter().find(|c| !CASES.contains(c)) {
        panic!(
            "MEDIA_CASES: `{unknown}` is not one of {}",
            CASES.join(", ")
        );
    }

    let (xvfb, display) = Xvfb::display();
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    build_app(&app);
    let floor = floor::Server::start(app.join("web"));
    let base = format!("http://127.0.0.1:{}/", floor.port());

    let mut out = String::new();
    writeln!(
        out,
        "\nmedia bench (MEDIA_RUNS={runs}; medians [min-max]; floor = {base})"
    )
    .unwrap();
    writeln!(
        out,
        "{:<44} {:>22} {:>22} {:>14}",
        "", "app://", "floor (http)", "app:// / floor"
    )
    .unwrap();
    if cases.contains(&"speed") {
        let results = run_case(&app, tmp.path(), &display, "speed", &base, runs, None);
        speed_rows(&mut out, &results);
    }
    if cases.contains(&"memory") {
        let mut peak = None;
        let results = run_case(
            &app,
            tmp.path(),
            &display,
            "memory",
            &base,
            runs,
            Some(&mut peak),
        );
        memory_row(&mut out, &results, peak);
    }
    print!("{out}");
    drop(floor);
    drop(xvfb);
}

/// The bench app with its fixtures: `benches/apps/media`, the clip, and the sparse files.
fn build_app(app: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&root.join("benches/apps/media"), app);
    std::fs::copy(
        root.join("tests/apps/media/web/clip.webm"),
        app.join("web/clip.webm"),
    )
    .unwrap();
    for (name, len) in [(LARGE, 256u64 << 20), (HUGE, 1 << 30)] {
        let f = std::fs::File::create(app.join("web").join(name)).unwrap();
        f.set_len(len).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The host's memory around the 1 GiB read, in KiB.
#[derive(Clone, Copy)]
struct Peak {
    idle: u64,
    peak: u64,
}

/// Runs one case in a fresh host and returns the page's reports (`bench:` lines) in order.
/// With `peak`, the host's memory is watched from the page's `ready` on.
fn run_case(
    app: &Path,
    tmp: &Path,
    display: &str,
    case: &str,
    floor: &str,
    runs: usize,
    peak: Option<&mut Option<Peak>>,
) -> Vec<Value> {
    let config = json!({
        "case": case,
        "floor": floor,
        "runs": runs,
        "clip": "clip.webm",
        "large": LARGE,
        "huge": HUGE,
        "pauseMs": PAUSE_MS,
    });
    std::fs::write(
        app.join("web/case.js"),
        format!("window.BENCH = {config};\n"),
    )
    .unwrap();
    let home = tempfile::tempdir_in(tmp).unwrap();
    // The page's console reaches stderr when the runtime logs at debug.
    let mut host = Host::launch(
        "run",
        app,
        home.path(),
        display,
        &[("APPHOST_LOG", "warn,apphost::runtime=debug")],
    );
    let pid = host.pid();
    let timeout = Duration::from_secs(120);
    let mut reports = Vec::new();
    let mut watcher = None;
    loop {
        let (_, report) = host.wait(
            &format!("{case}: the page's next report"),
            timeout,
            |line| {
                let text = host::page_log(line)?.strip_prefix("bench:")?;
                serde_json::from_str::<Value>(text).ok()
            },
        );
        let what = report["case"].as_str().unwrap_or("").to_owned();
        eprintln!("{case}: {report}");
        match what.as_str() {
            "done" => break,
            "ready" => watcher = Some(Watcher::start(pid)),
            _ => reports.push(report),
        }
    }
    if let (Some(peak), Some(w)) = (peak, watcher) {
        *peak = w.finish();
    }
    reports
}

/// Watches a process's memory from the page's `ready` on: reads the idle VmRSS half-way through
/// the page's pause, resets VmHWM to it, and samples VmRSS every 10 ms until finished.
struct Watcher {
    stop: Arc<AtomicBool>,
    idle: Arc<AtomicU64>,
    sampled: Arc<AtomicU64>,
    hwm_reset: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    pid: u32,
}

impl Watcher {
    fn start(pid: u32) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let idle = Arc::new(AtomicU64::new(0));
        let sampled = Arc::new(AtomicU64::new(0));
        let hwm_reset = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, idle, sampled, hwm_reset) = (
                stop.clone(),
                idle.clone(),
                sampled.clone(),
                hwm_reset.clone(),
            );
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(PAUSE_MS / 2));
                let now = status_kib(pid, "VmRSS").unwrap_or(0);
                idle.store(now, Ordering::SeqCst);
                sampled.store(now, Ordering::SeqCst);
                let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
                hwm_reset.store(reset, Ordering::SeqCst);
                while !stop.load(Ordering::SeqCst) {
                    if let Some(rss) = status_kib(pid, "VmRSS") {
                        sampled.fetch_max(rss, Ordering::SeqCst);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        Watcher {
            stop,
            idle,
            sampled,
            hwm_reset,
            thread,
            pid,
        }
    }

    fn finish(self) -> Option<Peak> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap();
        let idle = self.idle.load(Ordering::SeqCst);
        let mut peak = self.sampled.load(Ordering::SeqCst);
        if self.hwm_reset.load(Ordering::SeqCst)
            && let Some(hwm) = status_kib(self.pid, "VmHWM")
        {
            peak = peak.max(hwm);
        }
        (idle > 0).then_some(Peak { idle, peak })
    }
}

/// A `kB` line of `/proc/PID/status`.
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rest = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(str::to_owned))?;
    rest.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The numbers of one row, per source (`app`, `floor`), and the errors met.
#[derive(Default)]
struct Samples {
    values: BTreeMap<String, Vec<f64>>,
    errors: BTreeMap<String, Vec<String>>,
}

impl Samples {
    fn collect(reports: &[Value], case: &str, value: impl Fn(&Value) -> Option<f64>) -> Samples {
        let mut s = Samples::default();
        for r in reports.iter().filter(|r| r["case"] == case) {
            let from = r["from"].as_str().unwrap_or("?").to_owned();
            match (r.get("error"), value(r)) {
                (None, Some(v)) => s.values.entry(from).or_default().push(v),
                (Some(e), _) => s.errors.entry(from).or_default().push(error_text(e)),
                (None, None) => s
                    .errors
                    .entry(from)
                    .or_default()
                    .push(format!("no value in {r}")),
            }
        }
        s
    }

    /// `median [min-max]`, or the first error and how many runs failed.
    fn cell(&self, from: &str, decimals: usize) -> String {
        let errors = self.errors.get(from).map_or(0, Vec::len);
        match self.values.get(from) {
            Some(v) if errors == 0 => {
                let (med, min, max) = stats(v);
                format!("{med:.decimals$} [{min:.decimals$}-{max:.decimals$}]")
            }
            _ => {
                let first = self.errors.get(from).and_then(|e| e.first());
                let n = errors + self.values.get(from).map_or(0, Vec::len);
                format!(
                    "FAILED {errors}/{n}: {}",
                    first.map_or("no result", String::as_str)
                )
            }
        }
    }

    fn median(&self, from: &str) -> Option<f64> {
        let v = self.values.get(from)?;
        (!self.errors.contains_key(from)).then(|| stats(v).0)
    }
}

fn error_text(e: &Value) -> String {
    match e.as_u64() {
        Some(4) => "error 4 (MEDIA_ERR_SRC_NOT_SUPPORTED)".to_owned(),
        Some(code) => format!("media error {code}"),
        None => e.as_str().map_or_else(|| e.to_string(), str::to_owned),
    }
}

fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn speed_rows(out: &mut String, reports: &[Value]) {
    let frame = Samples::collect(reports, "first-frame", |r| r["frame"].as_f64());
    let via: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["via"].as_str())
        .take(1)
        .collect();
    let loaded = Samples::collect(reports, "first-frame", |r| r["loadeddata"].as_f64());
    let rate = Samples::collect(reports, "throughput", |r| {
        Some(r["bytes"].as_f64()? / r["ms"].as_f64()? / 1e3)
    });
    for (label, s, decimals) in [
        (
            format!(
                "first frame, clip.webm (ms, {})",
                via.first().unwrap_or(&"?")
            ),
            &frame,
            0,
        ),
        ("loadeddata, clip.webm (ms)".to_owned(), &loaded, 0),
        ("fetch 256 MiB (MB/s)".to_owned(), &rate, 0),
    ] {
        let ratio = match (s.median("app"), s.median("floor")) {
            (Some(a), Some(f)) if f > 0.0 => format!("{:.2}x", a / f),
            _ => "-".to_owned(),
        };
        writeln!(
            out,
            "{label:<44} {:>22} {:>22} {ratio:>14}",
            s.cell("app", decimals),
            s.cell("floor", decimals)
        )
        .unwrap();
    }
    for r in reports.iter().filter(|r| r["case"] == "failed") {
        writeln!(out, "the page failed: {}", r["error"]).unwrap();
    }
}

fn memory_row(out: &mut String, reports: &[Value], peak: Option<Peak>) {
    let label = "host peak memory, 1 GiB over app:// (MiB)";
    let read = reports.iter().find(|r| r["case"] == "memory");
    let Some(read) = read else {
        writeln!(out, "{label:<44} FAILED: the page reported no read").unwrap();
        return;
    };
    if let Some(e) = read.get("error") {
        writeln!(out, "{label:<44} FAILED: {}", error_text(e)).unwrap();
        return;
    }
    let bytes = read["bytes"].as_u64().unwrap_or(0);
    let ms = read["ms"].as_f64().unwrap_or(0.0);
    let grew = peak.map_or("?".to_owned(), |p| {
        format!("{}", p.peak.saturating_sub(p.idle) >> 10)
    });
    let idle = peak.map_or("?".to_owned(), |p| format!("{}", p.idle >> 10));
    let whole = if bytes == 1 << 30 {
        String::new()
    } else {
        format!("; WRONG LENGTH {bytes}")
    };
    writeln!(
        out,
        "{label:<44} {grew:>22} {:>22} {:>14}   (target < 64; idle {idle} MiB; read in {:.1} s = {:.0} MB/s{whole})",
        "-",
        "-",
        ms / 1e3,
        bytes as f64 / ms.max(1.0) / 1e3,
    )
    .unwrap();
}
