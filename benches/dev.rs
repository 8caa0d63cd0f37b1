//! `apphost dev`: from the moment a save is complete (the rename over the file returns) to the
//! moment its effect shows in the page, for each kind of change, plus what the watcher costs at
//! start-up on a big frontend.
//!
//! Each latency case runs `apphost dev` on a fresh copy of `benches/apps/dev` (the case picked
//! by `web/case.js`) and saves `DEV_SAVES` times (default 20), the way editors save: write
//! `NAME.tmp`, rename it over `NAME`. The page (`web/bench.js`) reports the effect with
//! `console.log("bench:…")`, which `apphost dev` prints on stderr; the bench stamps each stderr
//! line as it arrives. The first save comes 2 s after the page's first load. Cases and
//! targets:
//!
//! - **css**: `web/style.css` → the `<link>` dev.js swaps in has loaded and
//!   `getComputedStyle` shows the new width (p50 ≤ 60 ms, p95 ≤ 120 ms);
//! - **js**: `web/app.js` → the page has reloaded and logged, at DOMContentLoaded after dev.js
//!   restored it, the new version and the kept form value (p95 ≤ 250 ms);
//! - **rhai**: `scripts/bench.rhai` → the page, calling `bench.value` every ~1 ms, gets the new
//!   answer (p95 ≤ 50 ms). A call notices a changed script itself (by its modification time
//!   and length), so this times the call path more than the watcher;
//! - **manifest**: a broken `app.toml` → the `#apphost-dev-overlay` element is in the page
//!   (p95 ≤ 150 ms); then a valid one that adds `bench.added` → the page, calling it every
//!   ~1 ms, gets its first answer (p95 ≤ 200 ms); then one without it, untimed, to start over.
//!
//! "host ms" is the largest duration the host printed on its `apphost dev: … (N ms)` lines for
//! the save: from the reloader taking the batch (after the watcher's 25 ms debounce) to the
//! action being queued for the page; for a script, its compilation only.
//!
//! Start-up: `DEV_START_RUNS` (default 5) launches each of `apphost dev` and `apphost run`, in
//! turn after one untimed warm-up each, on one copy of the app with 10,000 files of 1 KiB in
//! 100 folders added to `web/`, generated at run time. Start-up is launch → the arrival of the
//! call the page makes at DOMContentLoaded (`APPHOST_TRACE_CALLS=1` prints it in both modes);
//! memory is the apphost process's VmRSS once settled (1 s after the watcher has fingerprinted
//! every file, the median of 5 reads 200 ms apart). `apphost run` is the floor.
//!
//! Every launch gets fresh `XDG_*_HOME` folders; without `DISPLAY` an Xvfb server is started.
//! A save whose effect does not show within 5 s stops the bench with the host's last output. A
//! save whose rename seemed to take over 2 ms (the bench was descheduled: its time is unknown)
//! is dropped and another one made. Each save is printed on stderr as it happens, with the
//! host's output around it when it was slower than its target. `DEV_CASES` picks cases, and
//! `APPHOST_LOG` is handed to the host for a closer look.
//!
//!     cargo bench --locked --bench dev
//!     DEV_SAVES=50 DEV_START_RUNS=10 DEV_CASES=css,js,rhai,manifest,start cargo bench --locked --bench dev

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that goes wrong should stop loudly

#[allow(dead_code)] // the floors' file server is not needed here
mod common;
#[path = "dev/host.rs"]
mod host;
#[path = "dev/start.rs"]
mod start;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Xvfb;
use host::Host;

const CASES: [&str; 5] = ["css", "js", "rhai", "manifest", "start"];
const SAVE_TIMEOUT: Duration = Duration::from_secs(5);
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Between the effect of one save and the next save: past the debounce, and few enough reloads
/// per second that the reload-loop guard (more than 5 within 1 s) never pauses them.
const GAP: Duration = Duration::from_millis(250);
/// From the page's first load to the first save.
const SETTLE: Duration = Duration::from_secs(2);
/// A rename takes some µs: one that seemed to take longer means the bench's thread was
/// descheduled around it (other builds share these 2 cores), and the save's time is unknown.
const HELD_UP_MS: f64 = 2.0;

fn main() {
    let count = |var: &str, default: usize| {
        std::env::var(var).map_or(default, |v| {
            let n: usize = v
                .parse()
                .unwrap_or_else(|_| panic!("{var} must be a number"));
            n.max(1)
        })
    };
    let start_runs = count("DEV_START_RUNS", 5);
    let (xvfb, display) = Xvfb::display();
    let bench = Bench {
        saves: count("DEV_SAVES", 20),
        fixture: Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/apps/dev"),
        display,
    };

    let cases = std::env::var("DEV_CASES").unwrap_or_else(|_| CASES.join(","));
    let cases: Vec<&str> = cases.split(',').map(str::trim).collect();
    if let Some(unknown) = cases.iter().find(|c| !CASES.contains(c)) {
        panic!("DEV_CASES: `{unknown}` is not one of {}", CASES.join(", "));
    }
    let mut rows = Vec::new();
    for case in &cases {
        match *case {
            "css" => rows.push(bench.css()),
            "js" => rows.push(bench.js()),
            "rhai" => rows.push(bench.rhai()),
            "manifest" => rows.extend(bench.manifest()),
            _ => {}
        }
    }
    let launches = (cases.contains(&"start"))
        .then(|| start::measure(&bench.fixture, &bench.display, start_runs));
    if !rows.is_empty() {
        print!("{}", table(bench.saves, &rows));
    }
    if let Some(launches) = launches {
        print!("{}", start::table(start_runs, &launches));
    }
    drop(xvfb);
}

struct Bench {
    saves: usize,
    fixture: PathBuf,
    display: String,
}

/// One timed save.
struct Sample {
    ms: f64,
    host_ms: Option<u64>,
}

/// A timed effect and what it should take.
struct Target {
    case: &'static str,
    p50: Option<f64>,
    p95: f64,
}

const CSS: Target = Target {
    case: "css save → new style applied",
    p50: Some(60.0),
    p95: 120.0,
};
const JS: Target = Target {
    case: "js save → reloaded, state kept",
    p50: None,
    p95: 250.0,
};
const RHAI: Target = Target {
    case: "rhai save → next call runs it",
    p50: None,
    p95: 50.0,
};
const OVERLAY: Target = Target {
    case: "broken app.toml → overlay shown",
    p50: None,
    p95: 150.0,
};
const ENDPOINT: Target = Target {
    case: "fixed app.toml → new endpoint callable",
    p50: None,
    p95: 200.0,
};

struct Row {
    target: &'static Target,
    samples: Vec<Sample>,
}

/// A running case: the temporary copy of the app and `apphost dev` on it.
struct Case {
    host: Host,
    app: PathBuf,
    /// A linear congruential generator's state, for the jitter of [`Case::pause`].
    jitter: u64,
    _tmp: tempfile::TempDir,
}

impl Case {
    /// Saves `rel` with `text`, waits for the page's `effect`, and returns the sample; then
    /// waits [`GAP`]. A save slower than the target's p95 (or one whose effect came first) is
    /// shown with what the host printed around it. `None`: the bench itself was held up during the save,
    /// so that it cannot say when the save happened.
    fn timed(
        &mut self,
        target: &Target,
        i: usize,
        rel: &str,
        text: &str,
        effect: &str,
    ) -> Option<Sample> {
        self.host.settle();
        let (before, saved) = save(&self.app.join(rel), text);
        let at = self.host.wait_log(effect, SAVE_TIMEOUT);
        let sample = Sample {
            ms: (at - saved).as_secs_f64() * 1e3,
            host_ms: self.host.take_host_ms(),
        };
        self.pause();
        let held = (saved - before).as_secs_f64() * 1e3;
        if held > HELD_UP_MS {
            eprintln!(
                "{} #{i}: dropped, the rename took {held:.1} ms",
                target.case
            );
            return None;
        }
        eprintln!("{} #{i}: {:.1} ms", target.case, sample.ms);
        // An effect seen before the rename began came from something else.
        if sample.ms > target.p95 || at < before {
            for (ms, line) in self.host.lines_around(saved, Duration::from_millis(300)) {
                eprintln!("    {ms:>+7.1} ms  {line}");
            }
        }
        Some(sample)
    }

    /// Waits [`GAP`] plus 0-9 ms, so that saves do not fall in step with the debouncer's
    /// 10 ms tick.
    fn pause(&mut self) {
        self.jitter = (self.jitter)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(GAP + Duration::from_millis((self.jitter >> 33) % 10));
    }
}

impl Bench {
    /// Copies the fixture, picks `case` and starts `apphost dev` on it; returns once the page
    /// logs `ready`.
    fn launch(&self, case: &str, ready: &str) -> Case {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let app = tmp.path().join("app");
        copy_dir(&self.fixture, &app);
        std::fs::write(
            app.join("web/case.js"),
            format!("window.BENCH_CASE = {case:?};\n"),
        )
        .unwrap();
        let mut host = Host::launch("dev", &app, &tmp.path().join("home"), &self.display, &[]);
        host.wait("the page's ready line", START_TIMEOUT, |line| {
            host::page_log(line)
                .is_some_and(|text| text.starts_with(ready))
                .then_some(())
        });
        // Saves are timed in the steady state: a reload within about half a second of the first
        // load took 190-430 ms here against 40-60 ms later (WebKit still busy after start-up).
        std::thread::sleep(SETTLE);
        Case {
            host,
            app,
            jitter: 1,
            _tmp: tmp,
        }
    }

    fn css(&self) -> Row {
        let mut case = self.launch("css", "bench:ready css ");
        self.sample(&CSS, |i| {
            let text = format!("#probe {{ width: {i}px; height: 1px; }}\n");
            case.timed(&CSS, i, "web/style.css", &text, &format!("bench:css {i}"))
        })
    }

    fn js(&self) -> Row {
        let mut case = self.launch("js", "bench:js 0 -");
        self.sample(&JS, |i| {
            let text = format!("window.APP_VERSION = {i};\n");
            // `-` instead of `kept` would be a reload that lost the state: a timeout.
            case.timed(&JS, i, "web/app.js", &text, &format!("bench:js {i} kept"))
        })
    }

    fn rhai(&self) -> Row {
        let mut case = self.launch("rhai", "bench:ready rhai ");
        self.sample(&RHAI, |i| {
            let text = format!("fn value(args) {{\n    {i}\n}}\n");
            let effect = format!("bench:rhai {i}");
            case.timed(&RHAI, i, "scripts/bench.rhai", &text, &effect)
        })
    }

    /// Calls `save(1)`, `save(2)`, … until it has given `saves` samples.
    fn sample(
        &self,
        target: &'static Target,
        mut save: impl FnMut(usize) -> Option<Sample>,
    ) -> Row {
        let mut samples = Vec::new();
        for i in 1.. {
            if samples.len() == self.saves {
                break;
            }
            self.check_attempts(target, i);
            samples.extend(save(i));
        }
        Row { target, samples }
    }

    /// Stops the bench when too many saves had to be dropped.
    fn check_attempts(&self, target: &Target, attempt: usize) {
        let most = 2 * self.saves + 10;
        assert!(
            attempt <= most,
            "{}: {most} saves without {} usable ones: the machine is too busy",
            target.case,
            self.saves
        );
    }

    /// Broken, then valid with `bench.added`, then valid without it (untimed), `saves` times.
    fn manifest(&self) -> [Row; 2] {
        let mut case = self.launch("manifest", "bench:ready manifest ");
        let base = std::fs::read_to_string(self.fixture.join("app.toml")).unwrap();
        let added = "\n[endpoints.\"bench.added\"]\nbuiltin = \"app.echo\"\n";
        let (mut overlay, mut endpoint) = (Vec::new(), Vec::new());
        for i in 1.. {
            if overlay.len() >= self.saves && endpoint.len() >= self.saves {
                break;
            }
            self.check_attempts(&ENDPOINT, i);
            let broken = format!("{base}{added}not-a-key = {i}\n");
            overlay.extend(case.timed(&OVERLAY, i, "app.toml", &broken, "bench:overlay on"));
            let valid = format!("{base}{added}# save {i}\n");
            endpoint.extend(case.timed(&ENDPOINT, i, "app.toml", &valid, "bench:endpoint on"));
            case.host.wait_log("bench:overlay off", SAVE_TIMEOUT);
            save(&case.app.join("app.toml"), &format!("{base}# reset {i}\n"));
            case.host.wait_log("bench:endpoint off", SAVE_TIMEOUT);
            case.pause();
        }
        [
            Row {
                target: &OVERLAY,
                samples: overlay,
            },
            Row {
                target: &ENDPOINT,
                samples: endpoint,
            },
        ]
    }
}

/// Writes `text` to `NAME.tmp` (a name the watcher ignores) and renames it over `path`, as
/// editors save; returns the time just before the rename and just after it.
fn save(path: &Path, text: &str) -> (Instant, Instant) {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text).unwrap();
    let before = Instant::now();
    std::fs::rename(&tmp, path).unwrap();
    (before, Instant::now())
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// The value at quantile `q` of `sorted` (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

fn table(saves: usize, rows: &[Row]) -> String {
    let mut out = format!(
        "\napphost dev: save → effect in the page, {saves} saves per case\n\n\
         | case | n | p50 ms | p95 ms | max ms | target | host ms p50 | met |\n\
         | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |\n"
    );
    for r in rows {
        let ms = sorted(r.samples.iter().map(|s| s.ms));
        let host = sorted(r.samples.iter().filter_map(|s| s.host_ms.map(|m| m as f64)));
        let (p50, p95) = (quantile(&ms, 0.5), quantile(&ms, 0.95));
        let t = r.target;
        let target = match t.p50 {
            Some(p50) => format!("p50 ≤ {p50:.0}, p95 ≤ {:.0}", t.p95),
            None => format!("p95 ≤ {:.0}", t.p95),
        };
        let met = p95 <= t.p95 && t.p50.is_none_or(|t| p50 <= t);
        let host = match host.is_empty() {
            true => "–".to_owned(),
            false => format!("{:.0}", quantile(&host, 0.5)),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {p50:.1} | {p95:.1} | {:.1} | {target} | {host} | {} |",
            t.case,
            ms.len(),
            ms[ms.len() - 1],
            if met { "yes" } else { "NO" },
        );
    }
    out
}
