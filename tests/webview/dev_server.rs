//! `apphost dev` beyond the folder's own files, in the real webview: a framework dev server
//! (`[dev] url`, `[dev] command`) and the keys read from a terminal.

use std::time::Duration;

use serde_json::json;

use crate::common::copy_dir;
use crate::harness::{launch_with, repo, wait_until};

#[test]
fn a_dev_server_is_waited_for_and_trusted_exactly() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/apps/devserver"), dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The command starts the server a moment late: the window waits on apphost's own page.
    let mut toml = std::fs::read_to_string(dir.path().join("app.toml")).unwrap();
    toml.push_str(&format!(
        "\n[dev]\nurl = \"http://127.0.0.1:{port}\"\n\
         command = \"sleep 1; exec python3 -m http.server {port} --bind 127.0.0.1 --directory site\"\n"
    ));
    std::fs::write(dir.path().join("app.toml"), toml).unwrap();
    let s = launch_with(&["dev", dir.path().to_str().unwrap()]);
    let home = format!("http://127.0.0.1:{port}/");
    wait_until(Duration::from_secs(20), || s.url().starts_with(&home))
        .unwrap_or_else(|| panic!("never left the waiting page: {}", s.url()));
    s.wait_for_js("return window.fromServer === true");
    // The app's CSP reached the page: its inline script was refused.
    assert_eq!(s.js("return window.inlineRan === undefined"), true);
    // The bridge works from exactly that origin, posted calls and app:// calls alike.
    let info =
        s.js_async("window.apphost.invoke('app.info').then(v => done(v.name), e => done(e))");
    assert_eq!(info, "Dev server fixture");
    let echo = s.js_async(
        "window.apphost.invoke('app.echo', new Uint8Array([1, 2, 3]))
           .then(b => done(Array.from(new Uint8Array(b))), e => done(e))",
    );
    assert_eq!(echo, json!([1, 2, 3]));
    // A save in the frontend folder is the dev server's business (its hot module replacement):
    // apphost does not reload its pages as well.
    s.js("window.marker = 'kept'; return true");
    std::fs::write(dir.path().join("web/index.html"), "<p>changed</p>").unwrap();
    s.wait_for_log("frontend index.html → left to the dev server");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.js("return window.marker"), "kept");
    // The server goes with the app, however the app ends (here: killed by the harness).
    let server = format!("http.server\0{port}");
    assert!(
        running(&server),
        "the dev server is not found among the processes"
    );
    drop(s);
    wait_until(Duration::from_secs(5), || !running(&server))
        .expect("the dev server outlived the app");
}

/// Under a real terminal (a pty from util-linux's `script`): single keys, no Enter.
#[test]
fn keys_from_a_terminal() {
    use std::io::{Read as _, Write as _};
    use std::sync::{Arc, Mutex};
    let _serial = crate::harness::serial();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/apps/dev"), dir.path());
    let home = tempfile::tempdir().unwrap();
    let command = format!(
        "'{}' dev '{}'",
        env!("CARGO_BIN_EXE_apphost"),
        dir.path().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("DISPLAY", crate::harness::display())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("running util-linux's script");
    let seen = Arc::new(Mutex::new(String::new()));
    {
        let seen = Arc::clone(&seen);
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    let wait_for = |text: &str| {
        wait_until(Duration::from_secs(15), || {
            seen.lock().unwrap().contains(text)
        })
        .unwrap_or_else(|| panic!("never printed {text:?}:\n{}", seen.lock().unwrap()));
    };
    let mut keys = child.stdin.take().unwrap();
    wait_for("keys: r reloads, q quits");
    keys.write_all(b"h").unwrap();
    wait_for("keys: r reloads every window, q quits");
    keys.write_all(b"r").unwrap();
    wait_for("page    r → reloaded 1 window(s)");
    keys.write_all(b"q").unwrap();
    let mut status = None;
    wait_until(Duration::from_secs(10), || {
        status = child.try_wait().unwrap();
        status.is_some()
    })
    .unwrap_or_else(|| {
        let _ = child.kill();
        panic!("q did not quit:\n{}", seen.lock().unwrap())
    });
    assert!(status.unwrap().success());
}

/// Whether a live process's command line (NUL-separated, as /proc has it) contains `needle`.
fn running(needle: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'));
        !zombie
            && std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
    })
}
