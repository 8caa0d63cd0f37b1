//! Drives the real host in the real webview: Xvfb (our own when `DISPLAY` is unset),
//! WebKitWebDriver, and fantoccini as the WebDriver client. WebKitWebDriver launches
//! `apphost run APP` with `APPHOST_AUTOMATION=1`, so the session controls the app's first window.
//!
//! GUI tests hold one lock while they run: they share a display, and a key press must reach the
//! window it was meant for.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The display every test uses: `DISPLAY` if set, else one Xvfb started once for this test
/// binary (and stopped by a watcher when the binary exits).
pub fn display() -> &'static str {
    static DISPLAY: OnceLock<String> = OnceLock::new();
    DISPLAY.get_or_init(|| {
        if let Ok(d) = std::env::var("DISPLAY")
            && !d.is_empty()
        {
            return d;
        }
        start_xvfb()
    })
}

#[allow(clippy::zombie_processes)] // the Xvfb watcher outlives the tests on purpose
fn start_xvfb() -> String {
    assert!(
        which("Xvfb"),
        "GUI tests need Xvfb and no DISPLAY is set: install xvfb (scripts/setup.sh does)"
    );
    let n = (140..200)
        .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
        .expect("a free X display number");
    // The shell watches this process and takes Xvfb down with it, even after a panic; it
    // outlives us by design, so it is not waited for.
    let script = format!(
        "Xvfb :{n} -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & x=$!; \
         while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; kill $x",
        pid = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .expect("starting Xvfb");
    let socket = format!("/tmp/.X11-unix/X{n}");
    wait_until(Duration::from_secs(10), || Path::new(&socket).exists())
        .unwrap_or_else(|| panic!("Xvfb :{n} did not start"));
    format!(":{n}")
}

pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

pub fn wait_until(limit: Duration, mut ok: impl FnMut() -> bool) -> Option<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ok() {
            return Some(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// One running app under WebDriver. Dropping it ends the session and every process it started.
pub struct Session {
    pub client: Client,
    pub rt: tokio::runtime::Runtime,
    driver: Child,
    /// Where the stub `xdg-open` records the URLs it was given, one a line.
    pub opened: PathBuf,
    _home: tempfile::TempDir,
    _serial: MutexGuard<'static, ()>,
}

pub fn launch(app: &Path) -> Session {
    launch_with(&["run", app.to_str().unwrap()])
}

/// Held by every test that puts a window on the shared display, for as long as the window lives.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts `apphost ARGS` under WebDriver.
pub fn launch_with(args: &[&str]) -> Session {
    launch_logging(args, "apphost=info")
}

/// Starts `apphost ARGS` under WebDriver with `APPHOST_LOG=log`.
pub fn launch_logging(args: &[&str], log: &str) -> Session {
    launch_program(Path::new(env!("CARGO_BIN_EXE_apphost")), args, log, None)
}

/// Starts `binary ARGS` (apphost, or an app it packaged) under WebDriver with
/// `APPHOST_LOG=log`, in the working folder `cwd` (default: the tests').
pub fn launch_program(binary: &Path, args: &[&str], log: &str, cwd: Option<&Path>) -> Session {
    let serial = serial();
    assert!(
        which("WebKitWebDriver"),
        "GUI tests need WebKitWebDriver: install webkit2gtk-driver (scripts/setup.sh does)"
    );
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let opened = home.path().join("opened.txt");
    let stub = bin.join("xdg-open");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&stub).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&stub, perms).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = Command::new("WebKitWebDriver");
    if let Some(cwd) = cwd {
        driver.current_dir(cwd);
    }
    let mut driver = std::os::unix::process::CommandExt::process_group(
        driver
            .arg(format!("--port={port}"))
            .env("DISPLAY", display())
            .env("APPHOST_AUTOMATION", "1")
            .env("APPHOST_LOG", log)
            .env("PATH", &path)
            // A private home: `$DOCUMENTS` and the like must not reach the real one.
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // The host's stderr (WebKitWebDriver passes its own on): kept in a file that tests
            // may read, and printed when a test fails.
            .stderr(std::fs::File::create(home.path().join("host.log")).unwrap()),
        0,
    )
    .spawn()
    .expect("starting WebKitWebDriver");
    wait_until(Duration::from_secs(10), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .expect("WebKitWebDriver did not listen");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The name apphost reports to WebKit: a session asking for it must match.
    let caps = json!({
        "browserName": "apphost",
        "webkitgtk:browserOptions": {
            "binary": binary,
            "args": args,
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    // An app that exits at start (a manifest that does not check, a damaged package) leaves
    // WebKitWebDriver waiting for it for ever: give up after a minute, with what it printed.
    let url = format!("http://127.0.0.1:{port}");
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps);
    let connect = builder.connect(&url);
    let client = match rt.block_on(async { tokio::time::timeout(SESSION_LIMIT, connect).await }) {
        Ok(client) => client.expect("a WebDriver session with the host"),
        Err(_) => {
            stop_group(&mut driver);
            let log = std::fs::read_to_string(home.path().join("host.log")).unwrap_or_default();
            panic!(
                "no WebDriver session with the host within {SESSION_LIMIT:?}; it printed:\n{log}"
            );
        }
    };
    let s = Session {
        client,
        rt,
        driver,
        opened,
        _home: home,
        _serial: serial,
    };
    s.wait_for_js("return document.readyState === 'complete'");
    s
}

impl Session {
    /// Runs a script in the page (a function body; `return` gives the value).
    pub fn js(&self, script: &str) -> Value {
        self.rt
            .block_on(self.client.execute(script, vec![]))
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs an async script: it must call `done(value)`.
    pub fn js_async(&self, script: &str) -> Value {
        let wrapped = format!("const done = arguments[arguments.length - 1];\n{script}");
        self.rt
            .block_on(self.client.execute_async(&wrapped, vec![]))
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
    }

    /// Waits up to 10 s for a script to return `true`.
    pub fn wait_for_js(&self, script: &str) {
        wait_until(Duration::from_secs(10), || {
            self.js(script) == Value::Bool(true)
        })
        .unwrap_or_else(|| panic!("timed out waiting for: {script}"));
    }

    pub fn click(&self, css: &str) {
        self.rt.block_on(async {
            let el = self
                .client
                .find(fantoccini::Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no element {css}: {e}"));
            el.click()
                .await
                .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
        });
    }

    pub fn url(&self) -> String {
        self.rt
            .block_on(self.client.current_url())
            .unwrap()
            .to_string()
    }

    pub fn goto(&self, url: &str) {
        self.rt.block_on(self.client.goto(url)).unwrap();
    }

    /// The session's `$HOME`-like folder: `data/` is `XDG_DATA_HOME`.
    pub fn home(&self) -> &Path {
        self._home.path()
    }

    /// The folder `$APPDATA` names for app `id`.
    pub fn app_data(&self, id: &str) -> PathBuf {
        self.home().join("data").join(id)
    }

    /// Starts `invoke(endpoint, args)` and keeps its outcome in `window.__outcomes[name]`, for a
    /// call that waits for the user (a dialog): read it with [`Session::outcome`].
    pub fn start_call(&self, name: &str, endpoint: &str, args: &str) {
        self.js(&format!(
            "window.__outcomes = window.__outcomes || {{}};
             window.__outcomes[{name:?}] = window.apphost.invoke({endpoint:?}, {args})
               .then(v => ['ok', v], e => ['err', e.code]);
             return true"
        ));
    }

    pub fn outcome(&self, name: &str) -> Value {
        self.js_async(&format!("window.__outcomes[{name:?}].then(done)"))
    }

    /// Whether the host process WebKitWebDriver started is still running.
    pub fn host_running(&self) -> bool {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return false;
        };
        let group = self.driver.id().to_string();
        dir.flatten().any(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid pgrp …
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            comm.ends_with("(apphost")
                && rest.split(' ').nth(2) == Some(group.as_str())
                && rest.split(' ').next() != Some("Z")
        })
    }

    /// What the host (and WebKitWebDriver) printed on stderr so far.
    pub fn host_log(&self) -> String {
        std::fs::read_to_string(self.home().join("host.log")).unwrap_or_default()
    }

    /// Waits up to 10 s for the host's stderr to contain `text`.
    pub fn wait_for_log(&self, text: &str) {
        wait_until(Duration::from_secs(10), || self.host_log().contains(text))
            .unwrap_or_else(|| panic!("the host never printed {text:?}"));
    }

    /// URLs the stub `xdg-open` received so far.
    pub fn opened(&self) -> Vec<String> {
        std::fs::read_to_string(&self.opened)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the host's stderr ---\n{}", self.host_log());
        }
        let client = self.client.clone();
        let _ = self
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), client.close()).await });
        stop_group(&mut self.driver);
    }
}

/// How long a session may take to start: the host is up in a second or two, ten under load.
const SESSION_LIMIT: Duration = Duration::from_secs(60);

/// Stops WebKitWebDriver and what it started: it leads a process group holding the host and
/// WebKit's processes. (Not `/usr/bin/kill -TERM -PGID`: procps reads `-11` as `-1`, which is
/// everything.)
fn stop_group(driver: &mut Child) {
    if let Ok(pgid) = i32::try_from(driver.id())
        && pgid > 1
    {
        // SAFETY: kill(2) with a negative pid signals exactly that process group.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
    }
    let _ = driver.wait();
}

/// X window ids whose title matches `name` exactly.
pub fn x_windows(name: &str) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(["search", "--name", &format!("^{}$", regex_escape(name))])
        .env("DISPLAY", display())
        .output()
        .expect("running xdotool (scripts/setup.sh installs it)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// xdotool matches titles as regular expressions: `Sure?` must match only itself.
fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = r"\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// Waits up to 10 s for an X window titled `name` and returns its id.
pub fn wait_window(name: &str) -> String {
    let mut found = None;
    wait_until(Duration::from_secs(10), || {
        found = x_windows(name).pop();
        found.is_some()
    })
    .unwrap_or_else(|| panic!("no window titled {name:?} appeared"));
    found.unwrap()
}

/// Types `text` (real key events) into the window, after giving it the input focus.
pub fn type_text(window: &str, text: &str) {
    focus(window);
    xdotool(&["type", "--delay", "20", text]);
}

/// Gives `window` the input focus. A window found by its title may not be mapped yet (X then
/// answers `BadMatch`), so this waits up to 10 s for it to take the focus.
fn focus(window: &str) {
    wait_until(Duration::from_secs(10), || {
        Command::new("xdotool")
            .args(["windowfocus", "--sync", window])
            .env("DISPLAY", display())
            .stderr(Stdio::null())
            .status()
            .expect("running xdotool")
            .success()
    })
    .unwrap_or_else(|| panic!("window {window} never took the input focus"));
}

fn xdotool(args: &[&str]) {
    let ok = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display())
        .status()
        .expect("running xdotool")
        .success();
    assert!(ok, "xdotool {args:?} failed");
}

/// A real key press (XTEST) into the window, after giving it the input focus.
pub fn press_keys(window: &str, keys: &str) {
    focus(window);
    xdotool(&["key", "--clearmodifiers", keys]);
}
