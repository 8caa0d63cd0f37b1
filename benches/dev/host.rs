//! One `apphost` process under the dev bench: launched with private `XDG_*_HOME` folders, its
//! stderr read line by line on a thread of its own that stamps each line as it arrives, and
//! killed on drop (so also when a case panics).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub struct Host {
    name: String,
    child: Child,
    pub spawned: Instant,
    lines: Receiver<(Instant, String)>,
    /// Every line read so far, with when it arrived.
    seen: Vec<(Instant, String)>,
    /// The durations the host printed on its `apphost dev: … (N ms)` lines since the last
    /// [`Host::take_host_ms`].
    host_ms: Vec<u64>,
    /// The page's `console.log` texts since the last [`Host::settle`], not yet waited for:
    /// one save may bring several effects, in no fixed order.
    logs: Vec<(Instant, String)>,
}

impl Host {
    /// `apphost MODE APP`, with `XDG_*_HOME` under `home` and `env` on top.
    pub fn launch(
        mode: &str,
        app: &Path,
        home: &Path,
        display: &str,
        env: &[(&str, &str)],
    ) -> Host {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_apphost"));
        cmd.arg(mode).arg(app);
        for var in [
            "XDG_DATA_HOME",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
        ] {
            let dir = home.join(var);
            std::fs::create_dir_all(&dir).unwrap();
            cmd.env(var, dir);
        }
        // The bench's own APPHOST_LOG, if any, for a closer look at a slow save.
        let log = std::env::var("APPHOST_LOG").unwrap_or_else(|_| "warn".into());
        cmd.env("DISPLAY", display).env("APPHOST_LOG", log);
        cmd.envs(env.iter().copied());
        // stdin is not a terminal, so `apphost dev` reads no keys from it.
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let name = format!("apphost {mode}");
        let spawned = Instant::now();
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{name}: {e}"));
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        // The thread ends when the last holder of the pipe (WebKit's helpers inherit it) exits.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let at = Instant::now();
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                if tx.send((at, text)).is_err() {
                    return;
                }
                line.clear();
            }
        });
        Host {
            name,
            child,
            spawned,
            lines,
            seen: Vec::new(),
            host_ms: Vec::new(),
            logs: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the first line for which `want` says something, and returns
    /// when it arrived. Panics, with the end of the output, on a timeout, when the process is
    /// gone, or when the page reports an uncaught error.
    pub fn wait<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut want: impl FnMut(&str) -> Option<T>,
    ) -> (Instant, T) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, line) = match self.lines.recv_timeout(left) {
                Ok(next) => next,
                Err(RecvTimeoutError::Timeout) => self.fail(&format!(
                    "{what}: not seen within {} ms",
                    timeout.as_millis()
                )),
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("{what}: the process ended first"))
                }
            };
            self.note(at, &line);
            if line.contains("] uncaught: ") || line.contains("] unhandled rejection: ") {
                self.fail(&format!("{what}: the page failed"));
            }
            if let Some(found) = want(&line) {
                return (at, found);
            }
        }
    }

    /// When the first line that `want` accepts arrived: among the lines read so far, or else
    /// the next such line, as [`Host::wait`].
    pub fn seen_or_wait(
        &mut self,
        what: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> Instant {
        if let Some((at, _)) = self.seen.iter().find(|(_, line)| want(line)) {
            return *at;
        }
        self.wait(what, timeout, |line| want(line).then_some(())).0
    }

    /// Waits for the page's `console.log(text)`, exactly, or takes it from those already read
    /// since the last [`Host::settle`].
    pub fn wait_log(&mut self, text: &str, timeout: Duration) -> Instant {
        if let Some(i) = self.logs.iter().position(|(_, t)| t == text) {
            return self.logs.remove(i).0;
        }
        let at = self.wait(&format!("console.log({text:?})"), timeout, |line| {
            (page_log(line) == Some(text)).then_some(())
        });
        let i = self.logs.iter().rposition(|(_, t)| t == text);
        if let Some(i) = i {
            self.logs.remove(i);
        }
        at.0
    }

    /// Reads what has arrived without waiting, then forgets the host's durations and the
    /// page's logs: what is printed from now on belongs to the next save.
    pub fn settle(&mut self) {
        while let Ok((at, line)) = self.lines.try_recv() {
            self.note(at, &line);
        }
        self.host_ms.clear();
        self.logs.clear();
    }

    /// The longest duration the host printed since [`Host::settle`] (one save may bring more
    /// than one line, such as the manifest's changes and the generation's).
    pub fn take_host_ms(&mut self) -> Option<u64> {
        let ms = self.host_ms.iter().copied().max();
        self.host_ms.clear();
        ms
    }

    fn note(&mut self, at: Instant, line: &str) {
        if let Some(text) = page_log(line) {
            self.logs.push((at, text.to_owned()));
        }
        if let Some(rest) = line.strip_prefix("apphost dev: ")
            && let Some(ms) = trailing_ms(rest)
        {
            self.host_ms.push(ms);
        }
        self.seen.push((at, line.to_owned()));
    }

    /// The lines read from `before` ahead of `t` on, with when each arrived relative to `t`
    /// (ms).
    pub fn lines_around(&self, t: Instant, before: Duration) -> impl Iterator<Item = (f64, &str)> {
        let from = t.checked_sub(before).unwrap_or(t);
        (self.seen.iter())
            .filter(move |(at, _)| *at >= from)
            .map(move |(at, line)| {
                let ms = match at.checked_duration_since(t) {
                    Some(after) => after.as_secs_f64() * 1e3,
                    None => -(t - *at).as_secs_f64() * 1e3,
                };
                (ms, line.as_str())
            })
    }

    pub fn fail(&self, why: &str) -> ! {
        let tail = &self.seen[self.seen.len().saturating_sub(40)..];
        let tail: Vec<&str> = tail.iter().map(|(_, line)| line.as_str()).collect();
        panic!("{}: {why}; last output:\n{}", self.name, tail.join("\n"));
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of `[<label>] console.log: <text>  (<source:line>)`.
pub fn page_log(line: &str) -> Option<&str> {
    let rest = &line[line.find("] console.log: ")? + "] console.log: ".len()..];
    Some(rest.rsplit_once("  (").map_or(rest, |(text, _)| text))
}

/// `N` of a line that ends in `(N ms)`.
fn trailing_ms(line: &str) -> Option<u64> {
    let inner = line.strip_suffix(" ms)")?;
    inner[inner.rfind('(')? + 1..].parse().ok()
}

/// VmRSS of `pid`, in KiB.
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}
