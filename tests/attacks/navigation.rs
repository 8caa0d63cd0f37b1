//! Attacks: navigation and the hand-off to the system's opener. Each test starts local HTTP
//! servers, an allowed one (`allowed`, reached through `allow-navigation`) and a hostile one
//! (`evil`), writes the app's manifest with their ports, and tries one way out of the window:
//! an HTTP redirect, a meta refresh, `location=` from a remote page, a framed remote page
//! setting `top.location`, local-document schemes, look-alike hosts, or `shell.open` with a
//! dangerous URL. Each asserts what the servers received (the hostile one: nothing), what the
//! stub `xdg-open` received, where the window is, and that the host still answers.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{self, Session, wait_until};

const HOME: &str = "app://localhost/index.html";
const ID: &str = "dev.apphost.test.attacks-nav";

/// A response: status, extra headers, body.
type Reply = (u16, Vec<(String, String)>, String);
/// A server's pages, by request target.
type Routes = fn(&str) -> Reply;

/// A local HTTP server that answers from a fixed table and records every request it gets as
/// `Host` header + path.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(routes: Routes) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || answer(stream, routes, &log));
            }
        });
        Server { port, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn wait_for(&self, request: &str) {
        wait_until(Duration::from_secs(10), || {
            self.seen().iter().any(|r| r == request)
        })
        .unwrap_or_else(|| panic!("never requested: {request}; got {:?}", self.seen()));
    }
}

fn answer(stream: TcpStream, routes: Routes, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split(' ').nth(1).unwrap_or("").to_owned();
    let mut host = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("host")
        {
            host = value.trim().to_owned();
        }
    }
    log.lock().unwrap().push(format!("{host}{path}"));
    let (status, headers, body) = routes(&path);
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    let _ = (&stream).write_all(out.as_bytes());
}

fn page(body: &str) -> Reply {
    (
        200,
        vec![],
        format!("<!doctype html><meta charset=utf-8>{body}"),
    )
}

/// The hostile server: a page that says it was reached.
fn evil_routes(_: &str) -> Reply {
    page("<title>evil</title>")
}

/// The two servers and the app, whose manifest allows `http://localhost:ALLOWED/ok/*` and names
/// the hostile server's port in `evil`.
struct Scene {
    allowed: Server,
    evil: Server,
    s: Session,
    _app: tempfile::TempDir,
}

/// The allowed server's pages. Their attacks need the hostile server's port: they read it from
/// the query (`?evil=PORT`).
fn allowed_routes(path: &str) -> Reply {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let evil = query.strip_prefix("evil=").unwrap_or("1");
    let to = format!("http://127.0.0.1:{evil}");
    match path {
        "/ok/redirect" => (
            302,
            vec![("Location".into(), format!("{to}/evil-redirect"))],
            String::new(),
        ),
        "/ok/redirect-external" => (
            302,
            vec![(
                "Location".into(),
                "https://www.example.com/redirected".into(),
            )],
            String::new(),
        ),
        "/ok/meta" => page(&format!(
            "<title>meta</title><meta http-equiv=refresh content=\"0;url={to}/evil-meta\">"
        )),
        "/ok/script" => page(&format!(
            "<title>script</title><script>document.title = 'tried'; location.href = '{to}/evil-script';</script>"
        )),
        "/ok/script-external" => page(
            "<title>script</title><script>document.title = 'tried'; location.href = 'https://www.example.com/scripted';</script>",
        ),
        "/ok/frame" => page(&format!(
            "<script>parent.postMessage('frame ran', '*'); top.location = '{to}/evil-top';</script>"
        )),
        "/ok/framing" => page(&format!(
            "<iframe src=\"{to}/evil-subframe\"></iframe><iframe src=\"/ok/inner\"></iframe>"
        )),
        _ => page("<title>ok page</title>"),
    }
}

impl Scene {
    /// Launches the app with `extra` lines added to `[security]` (`{A}`: the allowed port,
    /// `{B}`: the hostile one).
    fn new(extra: &str) -> Scene {
        let allowed = Server::start(allowed_routes);
        let evil = Server::start(evil_routes);
        let app = tempfile::tempdir().unwrap();
        let web = app.path().join("web");
        std::fs::create_dir(&web).unwrap();
        std::fs::copy(
            harness::repo().join("tests/apps/attacks-nav/web/index.html"),
            web.join("index.html"),
        )
        .unwrap();
        let security = format!(
            "csp = \"default-src 'self'; frame-src http://localhost:{{A}}\"\n\
             allow-navigation = [\"http://localhost:{{A}}/ok/*\"{extra}]\n"
        )
        .replace("{A}", &allowed.port.to_string())
        .replace("{B}", &evil.port.to_string());
        std::fs::write(
            app.path().join("app.toml"),
            format!(
                "[app]\nid = \"{ID}\"\nname = \"Nav attacks\"\n\n\
                 [[window]]\nlabel = \"main\"\ntitle = \"Nav attacks\"\nwidth = 640\nheight = 480\n\n\
                 [security]\n{security}\
                 open-external = [\"https://www.example.com/*\", \"mailto:*\", \"zoommtg:*\", \"file:*\", \"smb:*\", \"data:*\"]\n\n\
                 [endpoints.\"shell.open\"]\nbuiltin = \"shell.open\"\n\
                 [endpoints.\"app.info\"]\nbuiltin = \"app.info\"\n"
            ),
        )
        .unwrap();
        let s = harness::launch(app.path());
        assert_eq!(s.url(), HOME);
        Scene {
            allowed,
            evil,
            s,
            _app: app,
        }
    }

    fn a(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.allowed.port)
    }

    /// `location.href = url` from the app's page.
    fn go(&self, url: &str) {
        self.s.js(&format!(
            "setTimeout(() => {{ location.href = {url:?}; }}); return true"
        ));
    }

    /// The hostile server got nothing, the stub opener nothing, and the app (back home, if it
    /// left) still answers.
    fn assert_safe_and_healthy(&self) {
        assert_eq!(
            self.evil.seen(),
            Vec::<String>::new(),
            "the hostile server was reached"
        );
        assert_eq!(self.s.opened(), Vec::<String>::new(), "handed to xdg-open");
        healthy(&self.s);
    }
}

/// The window shows the app's page (after going back to it) and its bridge answers.
fn healthy(s: &Session) {
    if s.url() != HOME {
        s.goto(HOME);
    }
    s.wait_for_js("return document.title === 'nav home'");
    assert!(s.host_running());
    let info = s.js_async(
        "window.apphost.invoke('app.info').then(i => done(i.id), e => done('error: ' + e.code))",
    );
    assert_eq!(info, ID);
}

/// Waits long enough for a navigation the guard let through to have reached its server: the
/// same URL, allowed, arrives in a few tens of milliseconds.
fn settle() {
    std::thread::sleep(Duration::from_millis(800));
}

fn still_home(s: &Session) {
    assert_eq!(s.url(), HOME);
    assert_eq!(s.js("return document.title"), "nav home");
}

#[test]
fn http_redirect_from_an_allowed_page_to_another_site_is_refused() {
    let sc = Scene::new("");
    sc.go(&sc.a(&format!("/ok/redirect?evil={}", sc.evil.port)));
    sc.allowed.wait_for(&format!(
        "localhost:{}/ok/redirect?evil={}",
        sc.allowed.port, sc.evil.port
    ));
    settle();
    // The redirect's hop was refused: the load never committed, the window never left.
    still_home(&sc.s);
    assert!(
        sc.s.host_log()
            .contains("blocked navigation to http://127.0.0.1:")
    );
    sc.assert_safe_and_healthy();
}

#[test]
fn meta_refresh_on_an_allowed_page_to_another_site_is_refused() {
    let sc = Scene::new("");
    let meta = sc.a(&format!("/ok/meta?evil={}", sc.evil.port));
    sc.go(&meta);
    wait_until(Duration::from_secs(10), || sc.s.url() == meta).expect("the allowed page loads");
    settle();
    assert_eq!(sc.s.url(), meta, "the refresh never left the allowed page");
    sc.assert_safe_and_healthy();
}

#[test]
fn script_on_an_allowed_page_setting_location_to_another_site_is_refused() {
    let sc = Scene::new("");
    let script = sc.a(&format!("/ok/script?evil={}", sc.evil.port));
    sc.go(&script);
    wait_until(Duration::from_secs(10), || sc.s.url() == script).expect("the allowed page loads");
    sc.s.wait_for_js("return document.title === 'tried'");
    settle();
    assert_eq!(sc.s.url(), script);
    sc.assert_safe_and_healthy();
}

#[test]
fn framed_allowed_page_setting_top_location_is_refused() {
    let sc = Scene::new("");
    // Sandboxed with `allow-top-navigation`, so that WebKit itself lets the frame try.
    let frame = sc.a(&format!("/ok/frame?evil={}", sc.evil.port));
    sc.s.js(&format!(
        "const f = document.createElement('iframe');
         f.sandbox = 'allow-scripts allow-top-navigation';
         f.src = {frame:?};
         document.body.append(f);
         return true"
    ));
    sc.s.wait_for_js("return window.fromFrames.includes('frame ran')");
    settle();
    still_home(&sc.s);
    sc.assert_safe_and_healthy();
}

#[test]
fn frame_of_a_site_the_manifest_does_not_allow_does_not_load() {
    let sc = Scene::new("");
    // The allowed page (no CSP of its own) frames the hostile site and an allowed page.
    let framing = sc.a(&format!("/ok/framing?evil={}", sc.evil.port));
    sc.go(&framing);
    sc.allowed
        .wait_for(&format!("localhost:{}/ok/inner", sc.allowed.port));
    settle();
    assert_eq!(sc.s.url(), framing);
    assert!(sc.s.host_log().contains("/evil-subframe"));
    sc.assert_safe_and_healthy();
}

#[test]
fn local_document_schemes_never_fill_the_window_even_when_patterns_name_them() {
    let sc =
        Scene::new(", \"data:*\", \"blob:*\", \"javascript:*\", \"file:*\", \"view-source:*\"");
    let file = sc._app.path().join("web/index.html");
    for target in [
        "data:text/html,<title>pwned</title>".to_owned(),
        format!("file://{}", file.display()),
        format!("view-source:{}", sc.a("/ok/page")),
        "javascript:document.title='pwned'".to_owned(),
    ] {
        sc.go(&target);
        settle();
        still_home(&sc.s);
    }
    sc.s.js(
        "const b = new Blob(['<title>pwned</title>'], { type: 'text/html' });
             setTimeout(() => { location.href = URL.createObjectURL(b); });
             return true",
    );
    settle();
    still_home(&sc.s);
    let log = sc.s.host_log();
    assert!(log.contains("blocked data:text/html"), "{log}");
    assert!(log.contains("blocked blob:app://localhost/"), "{log}");
    // An allowed page still loads: the guard was not simply refusing everything.
    sc.go(&sc.a("/ok/page"));
    sc.allowed
        .wait_for(&format!("localhost:{}/ok/page", sc.allowed.port));
    sc.assert_safe_and_healthy();
}

#[test]
fn look_alike_hosts_ports_userinfo_and_paths_are_refused() {
    // `https://localhost:{B}/*` allowed: its `http:` downgrade is not.
    let sc = Scene::new(", \"https://localhost:{B}/*\"");
    let (a, b) = (sc.allowed.port, sc.evil.port);
    for url in [
        format!("http://localhost.:{a}/ok/trailing-dot"),
        format!("http://127.0.0.1:{a}/ok/other-name"),
        format!("http://localhost:{b}/ok/other-port"),
        format!("http://localhost:{a}@127.0.0.1:{b}/ok/userinfo"),
        format!("http://localhost:{a}/ok/../escaped"),
        format!("http://localhost:{a}/ok%2F..%2Fencoded"),
        format!("http://localhost:{a}/OK/case"),
        format!("http://localhost:{b}/downgrade"),
    ] {
        sc.go(&url);
        settle();
        still_home(&sc.s);
    }
    // The one allowed URL arrives, with the host it was allowed for.
    sc.go(&sc.a("/ok/page"));
    sc.allowed.wait_for(&format!("localhost:{a}/ok/page"));
    assert_eq!(sc.allowed.seen(), [format!("localhost:{a}/ok/page")]);
    sc.assert_safe_and_healthy();
}

#[test]
fn redirects_and_unasked_navigations_to_open_external_urls_never_reach_xdg_open() {
    let sc = Scene::new("");
    sc.go(&sc.a("/ok/redirect-external"));
    sc.allowed.wait_for(&format!(
        "localhost:{}/ok/redirect-external",
        sc.allowed.port
    ));
    settle();
    still_home(&sc.s);
    let script = sc.a("/ok/script-external");
    sc.go(&script);
    wait_until(Duration::from_secs(10), || sc.s.url() == script).expect("the allowed page loads");
    sc.s.wait_for_js("return document.title === 'tried'");
    settle();
    assert_eq!(sc.s.opened(), Vec::<String>::new());
    // A link the user follows is handed over.
    sc.s.goto(HOME);
    sc.s.wait_for_js("return document.title === 'nav home'");
    click_link(&sc.s, "https://www.example.com/clicked");
    wait_until(Duration::from_secs(5), || !sc.s.opened().is_empty()).expect("the click opened");
    assert_eq!(sc.s.opened(), ["https://www.example.com/clicked"]);
    still_home(&sc.s);
    healthy(&sc.s);
}

/// Adds a link to `href` and clicks it through WebDriver (a real click: a user action).
fn click_link(s: &Session, href: &str) {
    s.js(&format!(
        "document.getElementById('l')?.remove();
         const a = document.createElement('a');
         a.id = 'l'; a.href = {href:?}; a.textContent = 'link';
         document.body.prepend(a);
         return true"
    ));
    s.click("#l");
}

#[test]
fn blocked_links_never_reach_xdg_open_even_when_open_external_names_their_scheme() {
    let sc = Scene::new("");
    for href in [
        "file:///etc/passwd",
        "smb://fileserver/share/run.desktop",
        "data:text/html,<title>pwned</title>",
        "http://blocked.invalid/",
        "https://www.example.com/launch.desktop",
    ] {
        click_link(&sc.s, href);
        settle();
        still_home(&sc.s);
    }
    assert_eq!(sc.s.opened(), Vec::<String>::new());
    click_link(&sc.s, "mailto:someone@example.com");
    wait_until(Duration::from_secs(5), || !sc.s.opened().is_empty()).expect("the mail link");
    assert_eq!(sc.s.opened(), ["mailto:someone@example.com"]);
    healthy(&sc.s);
}

fn shell_open(s: &Session, url: &str) -> Value {
    s.js_async(&format!(
        "window.apphost.invoke('shell.open', {{ url: {url:?} }})
           .then(v => done(['ok', v]), e => done(['err', e.code]))"
    ))
}

#[test]
fn shell_open_refuses_file_shares_desktop_files_control_characters_and_options() {
    let sc = Scene::new("");
    for url in [
        "file:///etc/passwd",
        "FILE:///bin/sh",
        "smb://fileserver/share",
        "nfs://fileserver/export",
        "ssh://host",
        "sftp://host/file",
        "data:text/html,x",
        "https://www.example.com/evil.desktop",
        "https://www.example.com/evil%2Edesktop",
        "https://www.example.com/a\nb",
        "https://www.example.com/a\u{0}b",
        "https://www.example.com/\u{202e}fdp.exe",
        "https://www.example.com/\u{200b}",
        "-https://www.example.com/",
        "--help",
        "https://www.example.com@evil.net/",
        "https://www.example.com.evil.net/",
        "tg://resolve?domain=x",
        "http://www.example.com/downgrade",
    ] {
        assert_eq!(
            shell_open(&sc.s, url),
            json!(["err", "forbidden"]),
            "{url:?}"
        );
    }
    settle();
    assert_eq!(sc.s.opened(), Vec::<String>::new());
    assert!(sc.s.host_log().contains("shell.open refused"));
    healthy(&sc.s);
}

#[test]
fn shell_open_hands_the_checked_normalised_url_to_xdg_open() {
    let sc = Scene::new("");
    for url in [
        "https://www.example.com/doc",
        "HTTPS://WWW.EXAMPLE.COM/a b",
        "https://www.example.com\\@evil.net/",
        "mailto:someone@example.com",
        "zoommtg://zoom.us/join?confno=1",
    ] {
        assert_eq!(shell_open(&sc.s, url), json!(["ok", null]), "{url:?}");
    }
    wait_until(Duration::from_secs(5), || sc.s.opened().len() >= 5).expect("five opened");
    let mut opened = sc.s.opened();
    opened.sort();
    assert_eq!(
        opened,
        [
            "https://www.example.com/@evil.net/",
            "https://www.example.com/a%20b",
            "https://www.example.com/doc",
            "mailto:someone@example.com",
            "zoommtg://zoom.us/join?confno=1",
        ]
    );
    still_home(&sc.s);
    healthy(&sc.s);
}
