//! The watcher's cost: start-up and resident memory of `apphost dev` on a 10,000-file frontend,
//! against `apphost run` of the same folder (the floor), launched in turn.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::host::{self, Host};
use super::{START_TIMEOUT, copy_dir, quantile, sorted};

const MODES: [&str; 2] = ["run", "dev"];

/// One mode's launches.
#[derive(Default)]
pub struct Launches {
    start_ms: Vec<f64>,
    rss_mib: Vec<f64>,
    /// `apphost dev` only: launch → every file fingerprinted.
    ready_ms: Vec<f64>,
}

struct Launch {
    start_ms: f64,
    rss_mib: f64,
    ready_ms: Option<f64>,
}

/// `runs` launches of each mode after one untimed warm-up each, on one copy of the fixture
/// with 10,000 files of 1 KiB in 100 folders added under `web/`.
pub fn measure(fixture: &Path, display: &str, runs: usize) -> [Launches; 2] {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let app = tmp.path().join("app");
    copy_dir(fixture, &app);
    std::fs::write(app.join("web/case.js"), "window.BENCH_CASE = \"start\";\n").unwrap();
    generate(&app.join("web/generated"), 100, 100, 1024);
    let mut out = [Launches::default(), Launches::default()];
    for run in 0..=runs {
        for (k, mode) in MODES.into_iter().enumerate() {
            let home = tempfile::tempdir().expect("a temporary folder");
            let launch = launch_once(mode, &app, home.path(), display);
            if run == 0 {
                continue;
            }
            let ready = launch.ready_ms.map_or(String::new(), |ms| {
                format!(", every file fingerprinted at {ms:.0} ms")
            });
            eprintln!(
                "start-up run {run} apphost {mode}: {:.0} ms, {:.1} MiB{ready}",
                launch.start_ms, launch.rss_mib
            );
            out[k].start_ms.push(launch.start_ms);
            out[k].rss_mib.push(launch.rss_mib);
            out[k].ready_ms.extend(launch.ready_ms);
        }
    }
    out
}

fn launch_once(mode: &str, app: &Path, home: &Path, display: &str) -> Launch {
    let env = [
        ("APPHOST_TRACE_CALLS", "1"),
        // The watcher's "N files fingerprinted" line says when it is done.
        ("APPHOST_LOG", "warn,apphost::watch=debug"),
    ];
    let mut host = Host::launch(mode, app, home, display, &env);
    let (loaded, ()) = host.wait("the page's DOMContentLoaded call", START_TIMEOUT, |l| {
        (l.starts_with("apphost-call ") && l.ends_with(" bench.loaded")).then_some(())
    });
    let start_ms = (loaded - host.spawned).as_secs_f64() * 1e3;
    let ready_ms = (mode == "dev").then(|| {
        let at = host.seen_or_wait("the watcher's fingerprints", START_TIMEOUT, |l| {
            l.contains("files fingerprinted in")
        });
        (at - host.spawned).as_secs_f64() * 1e3
    });
    std::thread::sleep(Duration::from_secs(1));
    let mut reads: Vec<f64> = (0..5)
        .map(|i| {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(200));
            }
            let kib = host::vm_rss_kib(host.pid());
            kib.unwrap_or_else(|| host.fail("no VmRSS: the process is gone")) as f64 / 1024.0
        })
        .collect();
    reads.sort_by(f64::total_cmp);
    Launch {
        start_ms,
        rss_mib: reads[reads.len() / 2],
        ready_ms,
    }
}

/// `folders` × `files` files of `bytes` bytes each, no two alike.
fn generate(dir: &Path, folders: usize, files: usize, bytes: usize) {
    for d in 0..folders {
        let folder = dir.join(format!("d{d:03}"));
        std::fs::create_dir_all(&folder).unwrap();
        for f in 0..files {
            let line = format!("// generated file {d}/{f}\n");
            let text = line.repeat(bytes / line.len() + 1);
            std::fs::write(folder.join(format!("f{f:04}.js")), &text[..bytes]).unwrap();
        }
    }
}

pub fn table(runs: usize, start: &[Launches; 2]) -> String {
    let mut out = format!(
        "\nstart-up on a 10,000-file frontend, {runs} runs each, alternating \
         (floor: apphost run of the same folder)\n\n\
         | program | start p50 ms | start max ms | VmRSS p50 MiB | watcher ready p50 ms |\n\
         | --- | ---: | ---: | ---: | ---: |\n"
    );
    let mut medians = Vec::new();
    for (mode, l) in MODES.iter().zip(start) {
        let start_ms = sorted(l.start_ms.iter().copied());
        let rss = sorted(l.rss_mib.iter().copied());
        let ready = sorted(l.ready_ms.iter().copied());
        let ready = match ready.is_empty() {
            true => "–".to_owned(),
            false => format!("{:.0}", quantile(&ready, 0.5)),
        };
        let (s50, r50) = (quantile(&start_ms, 0.5), quantile(&rss, 0.5));
        let _ = writeln!(
            out,
            "| apphost {mode} | {s50:.0} | {:.0} | {r50:.1} | {ready} |",
            start_ms[start_ms.len() - 1],
        );
        medians.push((s50, r50));
    }
    let ((run_ms, run_mib), (dev_ms, dev_mib)) = (medians[0], medians[1]);
    let _ = writeln!(
        out,
        "\ndev − run (medians): start-up {:+.0} ms ({:.2}×), VmRSS {:+.1} MiB ({:.2}×)",
        dev_ms - run_ms,
        dev_ms / run_ms,
        dev_mib - run_mib,
        dev_mib / run_mib,
    );
    out
}
