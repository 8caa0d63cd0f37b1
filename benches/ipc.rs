//! IPC round trips through `window.apphost.invoke`, the host against bare-wry floors, in one run.
//!
//! The page (`benches/apps/ipc/web/bench.js`) runs each case after a warm-up: a no-op call
//! (`null` → `null`), a ~1 KB JSON echo and a 10 MiB binary echo, one call after another
//! (2,000 calls; 30 for 10 MiB, after 5 warm-up calls instead of 200), and 2,000 no-op calls
//! with 16 in flight. WebKitGTK's clocks tick in whole milliseconds, so the calls are timed
//! where they arrive: the host (`APPHOST_TRACE_CALLS=1`) and the floors print
//! `apphost-call <micros> <endpoint>` to stderr on every arrival, and in a sequential loop the gap
//! between two arrivals is one full round trip. `bench.mark` calls delimit the timed loops. The
//! page's own `Date.now()` mean per call is printed beside as a cross-check.
//!
//! Programs (each a fresh process, with `XDG_*_HOME` in a fresh temporary folder):
//! - **host**: `apphost run benches/apps/ipc`;
//! - **floor post** / **floor post-proxy** / **floor fetch**: this binary with
//!   `--floor KIND DIR`, a bare tao + wry window (see `ipc/floor.rs`). The post floors carry no
//!   bytes, so they skip the 10 MiB case.
//!
//! They run alternately `IPC_RUNS` times and the samples are pooled, so drift hits all of them.
//! Without `DISPLAY` an Xvfb server is started for the duration.
//!
//!     cargo bench --locked --bench ipc
//!     IPC_RUNS=5 IPC_PROGRAMS=host,post,post-proxy,fetch cargo bench --locked --bench ipc

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that goes wrong should stop loudly

mod common;
#[path = "ipc/floor.rs"]
mod floor;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Xvfb;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(120);

/// The page's cases, in the page's order.
struct Case {
    name: &'static str,
    endpoint: &'static str,
    calls: usize,
    in_flight: bool,
    bytes: bool,
}

const fn case(name: &'static str, endpoint: &'static str, calls: usize) -> Case {
    Case {
        name,
        endpoint,
        calls,
        in_flight: false,
        bytes: false,
    }
}

const CASES: [Case; 4] = [
    case("noop", "bench.noop", 2000),
    case("echo 1 KB JSON", "bench.echo", 2000),
    Case {
        bytes: true,
        ..case("echo 10 MiB bytes", "bench.echo", 30)
    },
    Case {
        in_flight: true,
        ..case("noop, 16 in flight", "bench.noop", 2000)
    },
];

#[derive(Clone, Copy, PartialEq)]
enum Program {
    Host,
    Floor(floor::Kind),
}

impl Program {
    fn name(self) -> &'static str {
        match self {
            Program::Host => "host",
            Program::Floor(floor::Kind::Post) => "floor post",
            Program::Floor(floor::Kind::PostProxy) => "floor post-proxy",
            Program::Floor(floor::Kind::Fetch) => "floor fetch",
        }
    }

    fn runs(self, case: &Case) -> bool {
        !case.bytes
            || !matches!(
                self,
                Program::Floor(floor::Kind::Post | floor::Kind::PostProxy)
            )
    }
}

/// One program's samples of one case, pooled over the runs.
#[derive(Default)]
struct Pool {
    /// Sequential cases: one round trip each.
    gaps_us: Vec<u64>,
    calls: usize,
    /// From the first to the last arrival that bounds the timed calls.
    busy_us: u64,
    page_ms: f64,
    page_calls: usize,
}

fn main() {
    // Cargo passes extra arguments (`--bench`, filters) to harness = false benches: ignore them.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--floor") {
        let kind = args.get(i + 1).and_then(|k| floor::Kind::parse(k));
        let dir = args.get(i + 2);
        let (Some(kind), Some(dir)) = (kind, dir) else {
            panic!("usage: --floor post|post-proxy|fetch DIR");
        };
        floor::run(kind, dir.into());
    }
    bench();
}

fn bench() {
    let runs = std::env::var("IPC_RUNS").map_or(3, |v| {
        let n: usize = v.parse().expect("IPC_RUNS must be a number");
        n.max(1)
    });
    let programs: Vec<Program> = std::env::var("IPC_PROGRAMS")
        .unwrap_or_else(|_| "host,post,fetch".into())
        .split(',')
        .map(|p| match p.trim() {
            "host" => Program::Host,
            k => Program::Floor(floor::Kind::parse(k).unwrap_or_else(|| {
                panic!("IPC_PROGRAMS: `{k}` is not host, post, post-proxy or fetch")
            })),
        })
        .collect();
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/apps/ipc");
    let (xvfb, display) = Xvfb::display();

    let mut pools: Vec<Vec<Pool>> = programs
        .iter()
        .map(|_| CASES.iter().map(|_| Pool::default()).collect())
        .collect();
    for run in 1..=runs {
        for (program, pools) in programs.iter().zip(&mut pools) {
            let trace = run_once(*program, &app, &display);
            let summary = record(*program, &trace, pools);
            eprintln!("run {run} {:<16} {summary}", program.name());
        }
    }
    print!("{}", table(&programs, &mut pools, runs));
    drop(xvfb);
}

/// What one run printed: every call's arrival, and the page's report.
struct Trace {
    arrivals: Vec<(u64, String)>,
    report: Value,
}

fn run_once(program: Program, app: &Path, display: &str) -> Trace {
    let name = program.name();
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let log = tmp.path().join("output.log");
    let mut cmd = match program {
        Program::Host => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_apphost"));
            cmd.arg("run").arg(app);
            cmd
        }
        Program::Floor(kind) => {
            let mut cmd = Command::new(std::env::current_exe().unwrap());
            cmd.args(["--floor", kind.name()]).arg(app.join("web"));
            cmd
        }
    };
    for var in [
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
    ] {
        cmd.env(var, tmp.path().join(var));
    }
    // A file, not a pipe: WebKit's helpers inherit it and may outlive the program.
    let out = std::fs::File::create(&log).expect("creating the output log");
    cmd.env("APPHOST_TRACE_CALLS", "1")
        .env("APPHOST_LOG", "warn")
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{name}: {e}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name}: no exit within {TIMEOUT:?}; output:\n{}",
                tail(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.success(),
        "{name}: exited with {status}; output:\n{}",
        tail(&log)
    );
    let arrivals = (output.lines())
        .filter_map(|line| {
            let rest = &line[line.find("apphost-call ")? + "apphost-call ".len()..];
            let (micros, endpoint) = rest.split_once(' ')?;
            Some((micros.parse().ok()?, endpoint.trim().to_owned()))
        })
        .collect();
    let report = match program {
        Program::Host => host_report(tmp.path()),
        Program::Floor(_) => (output.lines())
            .find_map(|l| l.strip_prefix("apphost-report "))
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .map_or(Value::Null, |r| r["value"].clone()),
    };
    if let Some(error) = report["error"].as_str() {
        panic!("{name}: the page failed: {error}");
    }
    Trace { arrivals, report }
}

/// The host keeps `bench.report`'s value in the app's store, somewhere under `XDG_DATA_HOME`.
fn host_report(home: &Path) -> Value {
    let store = walkdir::WalkDir::new(home)
        .into_iter()
        .flatten()
        .find(|e| e.file_name() == "store.json");
    let text = store.and_then(|e| std::fs::read_to_string(e.path()).ok());
    let store: Option<Value> = text.and_then(|t| serde_json::from_str(&t).ok());
    store.map_or(Value::Null, |s| s["report"].clone())
}

/// The last lines of a failed run's output.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Splits one run's arrivals into cases and adds them to `pools`; returns a one-line summary.
fn record(program: Program, trace: &Trace, pools: &mut [Pool]) -> String {
    let name = program.name();
    let t = &trace.arrivals;
    let marks: Vec<usize> = (0..t.len()).filter(|&i| t[i].1 == "bench.mark").collect();
    let cases: Vec<usize> = (0..CASES.len())
        .filter(|&c| program.runs(&CASES[c]))
        .collect();
    assert_eq!(
        marks.len(),
        2 * cases.len(),
        "{name}: expected a start and an end mark per case; arrivals: {}",
        t.len()
    );
    let mut summary = String::new();
    for (k, &c) in cases.iter().enumerate() {
        let (case, pool) = (&CASES[c], &mut pools[c]);
        let (start, end) = (marks[2 * k], marks[2 * k + 1]);
        let calls = &t[start + 1..end];
        assert!(
            calls.len() == case.calls && calls.iter().all(|(_, e)| e == case.endpoint),
            "{name}, {}: expected {} calls of {} between the marks, got {}",
            case.name,
            case.calls,
            case.endpoint,
            calls.len()
        );
        // Sequential: call i's round trip ends when call i + 1 (or the end mark) arrives.
        let first = if case.in_flight { start } else { start + 1 };
        let busy = t[end].0 - t[first].0;
        if !case.in_flight {
            let gaps = t[start + 1..=end].windows(2).map(|w| w[1].0 - w[0].0);
            pool.gaps_us.extend(gaps);
        }
        pool.calls += case.calls;
        pool.busy_us += busy;
        if let Some(ms) = trace.report[case.name]["ms"].as_f64() {
            pool.page_ms += ms;
            pool.page_calls += case.calls;
        }
        let rate = case.calls as f64 / (busy as f64 / 1e6);
        let _ = write!(summary, "{}: {rate:.0}/s  ", case.name);
    }
    summary
}

/// The value at quantile `q` (nearest rank), in ms.
fn quantile_ms(sorted: &[u64], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i] as f64 / 1e3
}

struct Row {
    p50: Option<f64>,
    p99: Option<f64>,
    per_s: f64,
}

fn row(pool: &mut Pool) -> Option<Row> {
    if pool.calls == 0 {
        return None;
    }
    pool.gaps_us.sort_unstable();
    let (p50, p99) = match pool.gaps_us.is_empty() {
        true => (None, None),
        false => (
            Some(quantile_ms(&pool.gaps_us, 0.5)),
            Some(quantile_ms(&pool.gaps_us, 0.99)),
        ),
    };
    let per_s = pool.calls as f64 / (pool.busy_us as f64 / 1e6);
    Some(Row { p50, p99, per_s })
}

fn table(programs: &[Program], pools: &mut [Vec<Pool>], runs: usize) -> String {
    let host = programs.iter().position(|&p| p == Program::Host);
    let mut out = format!(
        "\nIPC round trips, {runs} alternating runs per program, samples pooled\n\n\
         | case | program | p50 ms | p99 ms | calls/s | page ms/call | host/floor |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: |\n"
    );
    let ms = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.3}"));
    for (c, case) in CASES.iter().enumerate() {
        let host_row = host.and_then(|h| row(&mut pools[h][c]));
        for (p, program) in programs.iter().enumerate() {
            let Some(r) = row(&mut pools[p][c]) else {
                continue;
            };
            let pool = &pools[p][c];
            let page = (pool.page_calls > 0).then(|| pool.page_ms / pool.page_calls as f64);
            // Sequential cases compare medians; the in-flight case compares throughput.
            let ratio = match (&host_row, Some(p) == host) {
                (Some(h), false) => match (h.p50, r.p50) {
                    (Some(hp), Some(fp)) => format!("{:.2}×", hp / fp),
                    _ => format!("{:.2}×", r.per_s / h.per_s),
                },
                _ => "–".into(),
            };
            let per_s = match r.per_s < 100.0 {
                true => format!("{:.1}", r.per_s),
                false => format!("{:.0}", r.per_s),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {per_s} | {} | {ratio} |",
                case.name,
                program.name(),
                ms(r.p50),
                ms(r.p99),
                ms(page),
            );
        }
    }
    out.push_str(
        "\nhost/floor: host p50 ÷ floor p50 (in flight: floor calls/s ÷ host calls/s). \
         page ms/call: the page's Date.now() over the loop (1 ms ticks), a cross-check.\n",
    );
    out
}
