//! Attacks: WebKit's own powers. A page (the app's own, or a remote one reached through
//! `allow-navigation`) asks WebKit for what a browser would prompt for: location,
//! notifications, the clipboard, camera and microphone, pointer lock, encrypted media; it
//! starts downloads, and the user drops a file on it or opens its context menu. Without a
//! grant in the window's `permissions`, each is refused, and the host goes on answering.
//! Also: the inspector server that `WEBKIT_INSPECTOR_SERVER` would open stays closed.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{self, Session, display, launch, launch_logging, wait_until};

const FIXTURE: &str = "tests/apps/attacks-webkit";

/// The fixture app in a folder of its own, with `window` (extra `[[window]]` keys) and `extra`
/// (more manifest) added.
fn app(window: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    std::fs::create_dir(&web).unwrap();
    for entry in std::fs::read_dir(harness::repo().join(FIXTURE).join("web")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), web.join(entry.file_name())).unwrap();
    }
    let manifest = std::fs::read_to_string(harness::repo().join(FIXTURE).join("app.toml")).unwrap();
    let manifest = manifest.replace("y = 0\n", &format!("y = 0\n{window}\n"));
    std::fs::write(
        dir.path().join("app.toml"),
        format!("{manifest}\n{extra}\n"),
    )
    .unwrap();
    dir
}

fn run(dir: &Path) -> Session {
    launch(dir)
}

/// Runs `promise` (a JS expression) in the page and gives what it settles to, or `"timeout"`
/// after 8 s: a request that never settles must fail the test, not hang it.
fn settle(s: &Session, promise: &str) -> Value {
    s.js_async(&format!(
        "Promise.race([Promise.resolve().then(() => {promise}),
           new Promise(r => setTimeout(() => r('timeout'), 8000))]).then(done, e => done('rejected: ' + (e && e.name)))"
    ))
}

/// The page still runs scripts, and the host still serves its files.
fn healthy(s: &Session) {
    assert!(s.host_running(), "the host died");
    let text =
        s.js_async("fetch('/secret.txt').then(r => r.text()).then(done, e => done(String(e)))");
    assert_eq!(
        text,
        json!("a file the page tries to save on the user's disk\n")
    );
}

/// Every file named `name` below the session's home or in the host's working folder (WebKit
/// saves a download under the page's name in `~/Downloads`, or in the working folder when
/// there is none).
fn saved(s: &Session, name: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(s.home())
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == name)
        .map(|e| e.path().to_path_buf())
        .collect();
    let here = harness::repo().join(name);
    if here.exists() {
        found.push(here);
    }
    found
}

#[test]
fn geolocation_is_denied() {
    let dir = app("", "");
    let s = run(dir.path());
    let code = settle(
        &s,
        "new Promise(r => navigator.geolocation.getCurrentPosition(
           p => r('position'), e => r(e.code), { timeout: 6000 }))",
    );
    // 1 = PERMISSION_DENIED (a granted request without a location service gives 2 or 3).
    assert_eq!(code, json!(1));
    s.wait_for_log("GeolocationPermissionRequest denied");
    healthy(&s);
}

#[test]
fn notification_permission_is_denied() {
    let dir = app("", "");
    let s = run(dir.path());
    let answer = settle(&s, "Notification.requestPermission()");
    assert_eq!(answer, json!("denied"));
    // WebKit keeps no answer it was not told to remember: the page may ask again, and is
    // refused again.
    assert_eq!(s.js("return Notification.permission"), json!("default"));
    healthy(&s);
}

/// The grant path is real: the same request in a window granted `geolocation` is allowed, and
/// reaches the location service (there is none here: the answer is "unavailable", not
/// "denied").
#[test]
fn geolocation_granted_by_the_manifest_reaches_the_provider() {
    let dir = app(r#"permissions = ["geolocation"]"#, "");
    let s = run(dir.path());
    let code = settle(
        &s,
        "new Promise(r => navigator.geolocation.getCurrentPosition(
           p => r('position'), e => r(e.code), { timeout: 6000 }))",
    );
    s.wait_for_log("GeolocationPermissionRequest allowed");
    // 2 = POSITION_UNAVAILABLE, 3 = TIMEOUT: past the permission, no location service.
    assert!(code == json!(2) || code == json!(3), "{code}");
    healthy(&s);
}

#[test]
fn clipboard_read_is_denied() {
    let dir = app("", "");
    let s = run(dir.path());
    // A user gesture first, so that only the permission stands in the way.
    s.js("window.__clip = null;
         document.getElementById('lock').addEventListener('click', () => {
           window.__clip = navigator.clipboard.readText().then(t => 'read: ' + t, e => e.name);
         });
         return true");
    s.click("#lock");
    let outcome = settle(&s, "window.__clip");
    assert_eq!(outcome, json!("NotAllowedError"));
    // And the old way, `execCommand('paste')`, reads nothing.
    assert_eq!(s.js("return document.execCommand('paste')"), json!(false));
    healthy(&s);
}

#[test]
fn camera_and_microphone_are_denied() {
    let dir = app("", "");
    let s = run(dir.path());
    let outcome = s.js_async(
        "if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
           done('no getUserMedia');
         } else {
           navigator.mediaDevices.getUserMedia({ audio: true, video: true })
             .then(() => done('got a stream'), e => done(e.name));
         }",
    );
    assert_eq!(outcome, json!("no getUserMedia"));
    assert_eq!(s.js("return typeof RTCPeerConnection"), json!("undefined"));
    healthy(&s);
}

#[test]
fn pointer_lock_is_refused() {
    let dir = app("", "");
    let s = run(dir.path());
    s.js("window.__lock = new Promise(resolve => {
           document.addEventListener('pointerlockchange',
             () => resolve(document.pointerLockElement ? 'locked' : 'unlocked'));
           document.addEventListener('pointerlockerror', () => resolve('error'));
         });
         const b = document.getElementById('lock');
         b.addEventListener('click', () => {
           const p = b.requestPointerLock();
           if (p && p.catch) p.catch(() => {});
         });
         return true");
    // A real click (XTEST): pointer lock needs the user's gesture in a focused window.
    real_click(&s, "lock");
    let outcome = settle(&s, "window.__lock");
    assert_eq!(outcome, json!("error"));
    assert_eq!(s.js("return document.pointerLockElement"), Value::Null);
    s.wait_for_log("PointerLockPermissionRequest denied");
    healthy(&s);
}

#[test]
fn encrypted_media_is_unavailable() {
    let dir = app("", "");
    let s = run(dir.path());
    let outcome = s.js_async(
        "if (!navigator.requestMediaKeySystemAccess) {
           done('no EME');
         } else {
           navigator.requestMediaKeySystemAccess('org.w3.clearkey', [{
             initDataTypes: ['cenc'],
             videoCapabilities: [{ contentType: 'video/mp4; codecs=\"avc1.42E01E\"' }],
           }]).then(() => done('access'), e => done(e.name));
         }",
    );
    assert_eq!(outcome, json!("no EME"));
    healthy(&s);
}

/// Clicks `#id` and waits for the host to say it refused the download.
fn refused_download(s: &Session, id: &str, file: &str) {
    s.click(&format!("#{id}"));
    s.wait_for_log("download of");
    let log = s.host_log();
    assert!(log.contains("refused"), "{log}");
    // WebKit would have written it to ~/Downloads by now if nothing stopped it.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(saved(s, file), Vec::<PathBuf>::new());
}

/// A remote page the window may show (`allow-navigation`) and its origin, served by
/// [`attachment_server`].
fn remote(window: &str) -> (tempfile::TempDir, Session, String) {
    let port = attachment_server(20);
    let origin = format!("http://127.0.0.1:{port}");
    let dir = app(
        window,
        &format!("[security]\nallow-navigation = [\"{origin}/*\"]\n"),
    );
    let s = run(dir.path());
    s.goto(&format!("{origin}/"));
    s.wait_for_js("return document.title === 'Remote'");
    (dir, s, origin)
}

/// Back on the app's page after a remote one: the host still serves and runs it.
fn back_home(s: &Session) {
    s.goto("app://localhost/index.html");
    s.wait_for_js(
        "return document.readyState === 'complete' && !!document.getElementById('ready')",
    );
    healthy(s);
}

#[test]
fn download_by_a_download_link_is_refused() {
    let (_dir, s, origin) = remote("");
    refused_download(&s, "dl", "plain.txt");
    assert_eq!(s.url(), format!("{origin}/"));
    back_home(&s);
}

/// Even where `allow-navigation` lets the window load `data:` URLs, the download is refused.
#[test]
fn download_of_a_data_url_is_refused() {
    let dir = app("", "[security]\nallow-navigation = [\"data:*\"]\n");
    let s = run(dir.path());
    refused_download(&s, "data", "from-data.txt");
    healthy(&s);
}

/// A one-thread HTTP server on loopback: `/` links to `/report.txt`, which is sent as an
/// attachment. Serves `limit` requests, then stops.
fn attachment_server(limit: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            let (kind, extra, body) = if head.starts_with("GET /plain.txt") {
                (
                    "text/plain",
                    "",
                    "plain text the page saves with <a download>",
                )
            } else if head.starts_with("GET /report.txt") {
                (
                    "text/plain",
                    "Content-Disposition: attachment; filename=\"report.txt\"\r\n",
                    "a report the remote page pushes onto the disk",
                )
            } else {
                (
                    "text/html",
                    "",
                    "<!doctype html><title>Remote</title>\
                     <a id=\"get\" href=\"/report.txt\" style=\"font-size:40px\">report</a><br>\
                     <a id=\"dl\" href=\"/plain.txt\" download=\"plain.txt\" style=\"font-size:40px\">plain</a>",
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn content_disposition_attachment_from_a_remote_page_is_refused() {
    let (_dir, s, origin) = remote("");
    refused_download(&s, "get", "report.txt");
    assert_eq!(s.url(), format!("{origin}/"));
    back_home(&s);
}

/// The same attachment, granted `downloads`, asks where to save; cancelling the dialog saves
/// nothing, and a path typed into it gets the file.
#[test]
fn downloads_granted_ask_where_to_save() {
    let (_dir, s, _) = remote(r#"permissions = ["downloads"]"#);
    s.click("#get");
    let dialog = harness::wait_window("Save download");
    harness::press_keys(&dialog, "Escape");
    s.wait_for_log("download cancelled in the save dialog");
    assert_eq!(saved(&s, "report.txt"), Vec::<PathBuf>::new());

    s.click("#get");
    wait_until(Duration::from_secs(10), || {
        harness::x_windows("Save download").len() == 1
    })
    .expect("a second save dialog");
    let dialog = harness::wait_window("Save download");
    let target = s.home().join("chosen.txt");
    // GTK's file chooser takes a typed path in its name field.
    harness::press_keys(&dialog, "ctrl+a");
    harness::type_text(&dialog, target.to_str().unwrap());
    harness::press_keys(&dialog, "Return");
    wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&target)
            .is_ok_and(|t| t == "a report the remote page pushes onto the disk")
    })
    .unwrap_or_else(|| panic!("{} was not saved\n{}", target.display(), s.host_log()));
    // Nowhere else.
    assert_eq!(saved(&s, "report.txt"), Vec::<PathBuf>::new());
    back_home(&s);
}

/// Clicks the middle of element `id` with the real pointer.
fn real_click(s: &Session, id: &str) {
    let window = harness::wait_window("WebKit attacks");
    let rect = s.js(&format!(
        "const r = document.getElementById('{id}').getBoundingClientRect();
         return [Math.round(r.left + 20), Math.round(r.top + r.height / 2)]"
    ));
    let (x, y) = (rect[0].to_string(), rect[1].to_string());
    xdotool(&["windowfocus", "--sync", &window]);
    xdotool(&["mousemove", "--window", &window, &x, &y]);
    xdotool(&["click", "1"]);
}

/// Runs xdotool on the test display.
fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display())
        .output()
        .expect("running xdotool");
    assert!(out.status.success(), "xdotool {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The drop guard's half that a test can reach without a real drag: whatever the page does
/// (even stopping the event in its own capture listener), a drop carrying files or a URL ends
/// cancelled, which is what keeps WebKit from loading it; the page's own listeners still run.
#[test]
fn a_dropped_file_is_cancelled_before_webkit_can_load_it() {
    let dir = app("", "");
    let s = run(dir.path());
    let outcome = s.js(
        "const seen = [];
         document.addEventListener('drop', e => { seen.push('page'); e.stopImmediatePropagation(); }, true);
         const dt = new DataTransfer();
         dt.setData('text/uri-list', 'file:///etc/passwd');
         const over = new DragEvent('dragover', { dataTransfer: dt, cancelable: true, bubbles: true });
         const drop = new DragEvent('drop', { dataTransfer: dt, cancelable: true, bubbles: true });
         document.body.dispatchEvent(over);
         document.body.dispatchEvent(drop);
         return [over.defaultPrevented, drop.defaultPrevented, seen]",
    );
    assert_eq!(outcome, json!([true, true, ["page"]]));
    healthy(&s);
}

/// A user drags a file (a link to a `file:` URL, the same `text/uri-list` a file manager
/// offers) from another window and drops it on the page. Even with `allow-navigation`
/// admitting `file:` URLs, the window stays on the app's page.
#[test]
#[ignore = "xdotool's pointer under Xvfb starts no GTK drag from the source window (the page sees no drop): the test cannot check its claim here"]
fn a_dropped_file_never_navigates() {
    let dir = app(
        "",
        "[[window]]\nlabel = \"source\"\nurl = \"source.html\"\ntitle = \"Drop source\"\n\
         width = 300\nheight = 200\nx = 600\ny = 0\n\n\
         [security]\nallow-navigation = [\"file:///*\"]\n",
    );
    let evil = dir.path().join("evil.html");
    std::fs::write(
        &evil,
        "<!doctype html><title>Dropped</title><script>document.title = 'Dropped and ran'</script>",
    )
    .unwrap();
    let source = dir.path().join("web/source.html");
    let page = std::fs::read_to_string(&source).unwrap();
    std::fs::write(
        &source,
        page.replace("__FILE_URL__", &format!("file://{}", evil.display())),
    )
    .unwrap();
    let s = run(dir.path());
    // What the page saw of the drag: proof that the drop really reached it.
    s.js("window.__drag = [];
         for (const t of ['dragenter', 'drop']) addEventListener(t, () => window.__drag.push(t));
         return true");
    let from = harness::wait_window("Drop source");
    let target = harness::wait_window("WebKit attacks");
    std::thread::sleep(Duration::from_millis(500));
    // Press on the link in the source window, move in steps (GTK starts a drag past a
    // threshold), and release over the middle of the target page.
    let _ = (&from, &target);
    // Absolute positions: the source window is at x = 600, the target at the origin.
    xdotool(&["mousemove", "--sync", "700", "60"]);
    std::thread::sleep(Duration::from_millis(300));
    xdotool(&["mousedown", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    for (x, y) in [
        (705, 62),
        (712, 66),
        (725, 70),
        (745, 80),
        (700, 100),
        (600, 150),
        (450, 200),
        (300, 220),
        (240, 240),
        (236, 244),
        (234, 246),
    ] {
        xdotool(&["mousemove", &x.to_string(), &y.to_string()]);
        std::thread::sleep(Duration::from_millis(200));
    }
    xdotool(&["mouseup", "1"]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(s.url(), "app://localhost/index.html");
    let seen = s.js("return window.__drag");
    assert!(
        seen.as_array().is_some_and(|a| a.contains(&json!("drop"))),
        "the drop never reached the page: {seen}"
    );
    assert_eq!(s.js("return document.title"), json!("WebKit attacks"));
    healthy(&s);
}

#[test]
fn context_menu_offers_no_new_window_download_or_inspector() {
    let dir = app("", "");
    let s = launch_logging(&["run", dir.path().to_str().unwrap()], "apphost=debug");
    let window = harness::wait_window("WebKit attacks");
    // Right-click on the download link: WebKit proposes open-in-new-window, download and copy.
    let rect = s.js(
        "const r = document.getElementById('download').getBoundingClientRect();
         return [Math.round(r.left + 20), Math.round(r.top + r.height / 2)]",
    );
    let (x, y) = (rect[0].to_string(), rect[1].to_string());
    xdotool(&["mousemove", "--window", &window, &x, &y]);
    xdotool(&["click", "3"]);
    s.wait_for_log("context menu: [");
    let log = s.host_log();
    let line = log
        .lines()
        .find(|l| l.contains("context menu: ["))
        .unwrap()
        .to_owned();
    assert!(line.contains("CopyLinkToClipboard"), "{line}");
    for gone in [
        "OpenLinkInNewWindow",
        "DownloadLinkToDisk",
        "InspectElement",
        "OpenImageInNewWindow",
    ] {
        assert!(!line.contains(gone), "{gone} offered: {line}");
    }
    harness::press_keys(&window, "Escape");
    healthy(&s);
}

/// A free loopback port (nothing listens once this returns).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `WEBKIT_INSPECTOR_SERVER` and `WEBKIT_INSPECTOR_HTTP_SERVER` would make WebKit serve every
/// page's inspector on a TCP port to anything on the machine. Without `devtools`, nothing
/// listens there, and the inspector's key does not open it.
#[test]
fn inspector_server_env_is_ignored_without_devtools() {
    let _serial = harness::serial();
    let dir = app("", "");
    let home = tempfile::tempdir().unwrap();
    let (inspector, http) = (free_port(), free_port());
    let log = home.path().join("host.log");
    let mut child = std::os::unix::process::CommandExt::process_group(
        Command::new(env!("CARGO_BIN_EXE_apphost"))
            .args(["run", dir.path().to_str().unwrap()])
            .env("DISPLAY", display())
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("APPHOST_LOG", "apphost=info")
            .env("WEBKIT_INSPECTOR_SERVER", format!("127.0.0.1:{inspector}"))
            .env("WEBKIT_INSPECTOR_HTTP_SERVER", format!("127.0.0.1:{http}"))
            .env_remove("APPHOST_AUTOMATION")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap()),
        0,
    )
    .spawn()
    .unwrap();
    let stop = |child: &mut std::process::Child| {
        // SAFETY: kill(2) with a negative pid signals exactly that process group.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGTERM) };
        let _ = child.wait();
    };
    let window = harness::wait_window("WebKit attacks");
    // The page has loaded: WebKit has long read its environment.
    wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("ignored: the inspector is off"))
    })
    .unwrap_or_else(|| {
        stop(&mut child);
        panic!(
            "no warning: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    std::thread::sleep(Duration::from_secs(1));
    let listening = |port: u16| TcpStream::connect(("127.0.0.1", port)).is_ok();
    let inspector_open = listening(inspector);
    let http_open = listening(http);
    harness::press_keys(&window, "ctrl+shift+i");
    std::thread::sleep(Duration::from_secs(1));
    let inspector_windows = xdotool_search("Inspector");
    let alive = child.try_wait().unwrap().is_none();
    stop(&mut child);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!inspector_open, "the inspector server listens\n{log}");
    assert!(!http_open, "the inspector's HTTP server listens\n{log}");
    assert_eq!(inspector_windows, Vec::<String>::new(), "{log}");
    assert!(alive, "the host died\n{log}");
}

/// X windows whose title contains `text`.
fn xdotool_search(text: &str) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(["search", "--name", text])
        .env("DISPLAY", display())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}
