//! Cold start of `sample-apps/hello`: from process launch until the first window's page has fired
//! DOMContentLoaded and the process has exited. Three programs are compared:
//!
//! - **host**: `apphost run sample-apps/hello` with `APPHOST_EXIT_ON_LOAD=1`, which exits as soon
//!   as the page reports `apphost:loaded` over IPC;
//! - **packaged**: the same app made into one executable by `apphost package` (same host
//!   build), run the same way: what a packaged app adds is finding and checking its payload;
//! - **floor**: a bare tao + wry window serving the same `web/` directory through a custom
//!   protocol, the least any wry-based host can do. It lives in this binary (`--floor DIR`).
//!
//! After one untimed warm-up run of each (warm disk caches), they run alternately. Each run records
//! wall time from spawn to exit and the peak resident memory of the whole process tree (the
//! process plus WebKit's helper processes), sampled from `/proc` every ~2 ms. Without `DISPLAY` an
//! Xvfb server is started for the duration.
//!
//!     cargo bench --locked --bench coldstart
//!     COLDSTART_RUNS=20 cargo bench --locked --bench coldstart

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that goes wrong should stop loudly

mod common;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Xvfb;

const TIMEOUT: Duration = Duration::from_secs(30);
const SAMPLE_EVERY: Duration = Duration::from_millis(2);
const LOADED: &str = "apphost:loaded";

fn main() {
    // Cargo passes extra arguments (`--bench`, filters) to harness = false benches: ignore them.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--floor") {
        let dir = args
            .get(i + 1)
            .expect("--floor needs the frontend directory");
        floor(PathBuf::from(dir));
    }
    bench();
}

/// The floor: a bare wry hello-world that serves a directory and exits on DOMContentLoaded.
fn floor(dir: PathBuf) -> ! {
    use tao::event::Event;
    use tao::event_loop::{ControlFlow, EventLoopBuilder};
    use tao::platform::unix::WindowExtUnix;
    use tao::window::WindowBuilder;
    use wry::{WebViewBuilder, WebViewBuilderExtUnix};

    let event_loop = EventLoopBuilder::<()>::with_user_event().build();
    let window = WindowBuilder::new()
        .with_title("floor")
        .with_inner_size(tao::dpi::LogicalSize::new(800.0, 600.0))
        .build(&event_loop)
        .expect("floor: creating the window");
    let proxy = event_loop.create_proxy();
    let _webview = WebViewBuilder::new()
        .with_custom_protocol("app".into(), move |_id, req| common::serve(&dir, req.uri().path()))
        .with_url("app://localhost/index.html")
        .with_initialization_script(
            "document.addEventListener('DOMContentLoaded', () => window.ipc.postMessage('apphost:loaded'))",
        )
        .with_ipc_handler(move |req| {
            if req.body() == LOADED {
                let _ = proxy.send_event(());
            }
        })
        .build_gtk(window.default_vbox().unwrap())
        .expect("floor: creating the webview");
    event_loop.run(move |event, _, control_flow| {
        *control_flow = match event {
            Event::UserEvent(()) => ControlFlow::Exit,
            _ => ControlFlow::Wait,
        };
    })
}

fn bench() {
    let runs = std::env::var("COLDSTART_RUNS").map_or(10, |v| {
        let n: usize = v.parse().expect("COLDSTART_RUNS must be a number");
        n.max(1)
    });
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-apps/hello");
    let (xvfb, display) = Xvfb::display();
    let log = std::env::temp_dir().join(format!("coldstart-{}.log", std::process::id()));
    let packaged_dir = tempfile::tempdir().unwrap();
    let packaged = packaged_dir.path().join("hello");
    let made = Command::new(env!("CARGO_BIN_EXE_apphost"))
        .args([
            "package".as_ref(),
            app.as_os_str(),
            "-o".as_ref(),
            packaged.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    let command = |name: &str| {
        let (exe, args) = match name {
            "host" => (
                env!("CARGO_BIN_EXE_apphost").into(),
                vec!["run".into(), app.clone()],
            ),
            "packaged" => (packaged.clone(), vec![]),
            _ => (
                std::env::current_exe().unwrap(),
                vec!["--floor".into(), app.join("web")],
            ),
        };
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .env("APPHOST_EXIT_ON_LOAD", "1")
            .env("APPHOST_LOG", "warn");
        cmd.env("DISPLAY", &display);
        cmd
    };
    let programs = ["host", "packaged", "floor"];
    for name in programs {
        measure(name, command(name), &log); // warm-up, untimed
    }
    let mut results: [Vec<Run>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for i in 1..=runs {
        for (k, name) in programs.into_iter().enumerate() {
            let run = measure(name, command(name), &log);
            let (ms, mib, n) = (run.wall_ms, run.peak_mib, run.procs);
            eprintln!("run {i:>2} {name:<5} {ms:>6.1} ms {mib:>6.1} MiB {n} processes");
            results[k].push(run);
        }
    }
    let _ = std::fs::remove_file(&log);

    println!("coldstart of sample-apps/hello, {runs} runs each");
    println!(
        "{:<6} {:>28}  {:>28}  {:>5}",
        "", "wall ms: median/mean/min/max", "peak MiB: median/mean/min/max", "procs"
    );
    let mut medians = Vec::new();
    for (name, rs) in programs.iter().zip(&results) {
        let (wall, wall_cols) = stats(rs.iter().map(|r| r.wall_ms));
        let (mem, mem_cols) = stats(rs.iter().map(|r| r.peak_mib));
        let procs = rs.iter().map(|r| r.procs).max().unwrap_or(0);
        println!("{name:<6} {wall_cols}  {mem_cols}  {procs:>5}");
        medians.push((wall, mem));
    }
    let (host, packaged, floor) = (medians[0], medians[1], medians[2]);
    println!("host/floor wall (median): {:.2}x", host.0 / floor.0);
    println!("host/floor peak memory (median): {:.2}x", host.1 / floor.1);
    println!("packaged/host wall (median): {:.3}x", packaged.0 / host.0);
    println!(
        "packaged/host peak memory (median): {:.3}x",
        packaged.1 / host.1
    );
    drop(xvfb);
}

#[derive(Clone, Copy)]
struct Run {
    wall_ms: f64,
    peak_mib: f64,
    /// The most processes seen in the tree at once.
    procs: usize,
}

/// Runs `cmd` to completion, sampling the tree's memory until the child itself exits.
fn measure(name: &str, mut cmd: Command, log: &Path) -> Run {
    // Output goes to a file, not a pipe: WebKit helpers inherit it and may outlive the parent,
    // and GTK's D-Bus warnings are only worth showing when the run fails.
    let out = std::fs::File::create(log).expect("creating the output log");
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{name}: spawn failed: {e}"));
    let mut tree = Tree::default();
    let (mut peak_kib, mut procs) = (0, 0);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: no exit within {TIMEOUT:?}; output:\n{}", read(log));
        }
        let (kib, n) = tree.sample(child.id());
        peak_kib = peak_kib.max(kib);
        procs = procs.max(n);
        std::thread::sleep(SAMPLE_EVERY);
    };
    let wall = start.elapsed();
    assert!(
        status.success(),
        "{name}: exited with {status}; output:\n{}",
        read(log)
    );
    Run {
        wall_ms: wall.as_secs_f64() * 1e3,
        peak_mib: peak_kib as f64 / 1024.0,
        procs,
    }
}

/// The run's output, for a panic message; the file goes, as the benchmark ends there.
fn read(path: &Path) -> String {
    let out = std::fs::read_to_string(path).unwrap_or_default();
    let _ = std::fs::remove_file(path);
    out
}

/// Parent pids seen during one run. A process's parent only changes when the parent dies, so
/// each `/proc/PID/stat` is read once: re-reading all of them every 2 ms would take CPU from the
/// program being measured (this machine has 2 cores).
#[derive(Default)]
struct Tree {
    parent: HashMap<u32, u32>,
}

impl Tree {
    /// Sums VmRSS (KiB) over `root` and its live descendants; also returns how many those are.
    fn sample(&mut self, root: u32) -> (u64, usize) {
        let entries = std::fs::read_dir("/proc").into_iter().flatten().flatten();
        for pid in entries.filter_map(|e| e.file_name().to_str()?.parse().ok()) {
            if let Entry::Vacant(slot) = self.parent.entry(pid)
                && let Some(ppid) = ppid(pid)
            {
                slot.insert(ppid);
            }
        }
        let mut tree = vec![root];
        let mut i = 0;
        while let Some(&pid) = tree.get(i) {
            tree.extend(self.parent.iter().filter(|e| *e.1 == pid).map(|e| *e.0));
            i += 1;
        }
        // A child that has forked but not yet exec'd (how GLib starts WebKit's helpers) shares
        // its parent's pages, so its VmRSS would count the parent twice: skip it.
        let exe = |pid: u32| std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        let rss: Vec<u64> = (tree.iter())
            .filter(|&&pid| pid == root || exe(pid) != exe(self.parent[&pid]))
            .filter_map(|&pid| vm_rss_kib(pid))
            .collect();
        (rss.iter().sum(), rss.len())
    }
}

/// Field 4 of `/proc/PID/stat`. The command name (field 2) is in parentheses and may contain
/// spaces or ')', so the fields are counted from after the last ')'.
fn ppid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// None for processes that are gone or are zombies (no VmRSS line).
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Median, mean, min and max, formatted as table columns.
fn stats(values: impl Iterator<Item = f64>) -> (f64, String) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let (median, mean) = (
        (v[(n - 1) / 2] + v[n / 2]) / 2.0,
        v.iter().sum::<f64>() / n as f64,
    );
    let cols = format!("{median:>7.1}{mean:>7.1}{:>7.1}{:>7.1}", v[0], v[n - 1]);
    (median, cols)
}
