//! A standard WebDriver client drives the app the way a user's CI would: Selenium for Python
//! from the virtual environment `scripts/setup.sh` makes, running `selenium_smoke.py` with
//! `webdriver.WebKitGTK`, apphost as the browser binary and `APPHOST_AUTOMATION=1`.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::harness::{display, repo, serial, wait_until, which};

/// The venv's Python: `APPHOST_SELENIUM_VENV` if set, else where `scripts/setup.sh` puts it.
fn venv_python() -> PathBuf {
    std::env::var_os("APPHOST_SELENIUM_VENV")
        .map_or_else(|| repo().join("target/selenium-venv"), PathBuf::from)
        .join("bin/python")
}

#[test]
fn selenium_for_python_drives_the_app() {
    let python = venv_python();
    // Not a skip: a CI that forgot the setup must see it.
    assert!(
        python.is_file(),
        "no Selenium virtual environment ({} is missing): run scripts/setup.sh, which creates it",
        python.display()
    );
    assert!(
        which("WebKitWebDriver"),
        "GUI tests need WebKitWebDriver: install webkit2gtk-driver (scripts/setup.sh does)"
    );
    let _serial = serial();
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out.txt");
    let err = home.path().join("err.txt");
    let app = repo().join("tests/apps/site");
    let mut child = std::os::unix::process::CommandExt::process_group(
        Command::new(&python)
            .arg(repo().join("tests/webview/selenium_smoke.py"))
            .arg(env!("CARGO_BIN_EXE_apphost"))
            .arg(&app)
            .args(["fixture home", "dev.apphost.test.site"])
            .env("DISPLAY", display())
            .env("APPHOST_AUTOMATION", "1")
            .env("APPHOST_LOG", "apphost=info")
            // A private home, as in the harness: the app's data must not reach the real one.
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap()),
        0,
    )
    .spawn()
    .expect("starting the venv's python");
    let mut status = None;
    let finished = wait_until(Duration::from_secs(90), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    // Python leads a process group holding WebKitWebDriver, the host and WebKit's processes:
    // whatever is left of it goes, pass or fail.
    if let Ok(pgid) = i32::try_from(child.id())
        && pgid > 1
    {
        // SAFETY: kill(2) with a negative pid signals exactly that process group.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
    }
    let _ = child.wait();
    let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let report = format!("--- stdout\n{}--- stderr\n{}", read(&out), read(&err));
    assert!(
        finished.is_some(),
        "selenium_smoke.py ran over 90 s\n{report}"
    );
    assert!(
        status.is_some_and(|s| s.success()),
        "selenium_smoke.py failed ({status:?})\n{report}"
    );
    assert!(read(&out).contains("ok: 'fixture home'"), "{report}");
}
