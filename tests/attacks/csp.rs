//! Attacks on the content policy, from a hostile page in the real webview: injected inline
//! code, `data:`/`blob:` scripts, `eval`, an injected `<base>` redirecting the page's own
//! nonce-stamped scripts, SVG opened as a document, and the host's own pages. The app uses the
//! default policy (no `csp` key), so these hold the default to its promise.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::harness::{Session, launch, repo};

fn app() -> Session {
    launch(&repo().join("tests/apps/attacks-csp"))
}

/// The host still answers: an IPC call round-trips and the app's page is served.
fn healthy(s: &Session) {
    assert!(s.host_running(), "the host died");
    let info = s.js_async(
        "window.apphost.invoke('app.info').then(i => done(i.id), e => done('error ' + e.code))",
    );
    assert_eq!(info, "dev.apphost.test.attacks-csp");
    let status = s.js_async("fetch('app://localhost/chunk.js').then(r => done(r.status))");
    assert_eq!(status, 200);
}

/// An attacker's server on loopback: answers every request with a script that marks the page,
/// and records the request lines it was sent.
struct Evil {
    origin: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Evil {
    fn start() -> Evil {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut reader = BufReader::new(&conn);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                log.lock().unwrap().push(line.trim_end().to_owned());
                let body = "window.pwned = 'evil server';";
                let _ = (&conn).write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\n\
                         Access-Control-Allow-Origin: *\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        Evil { origin, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// XSS markup put into the page (`innerHTML`, a created `<script>`, an event attribute) does
/// not run under the nonce; the page's own inline and external scripts did.
#[test]
fn injected_inline_code_does_not_run() {
    let s = app();
    assert_eq!(
        s.js("return [window.ownInline, window.ownExternal]"),
        json!([true, true])
    );
    let outcome = s.js_async(
        "const out = document.getElementById('out');
         out.innerHTML = '<img src=x onerror=\"window.pwned=1\"><svg onload=\"window.pwned=2\"></svg>';
         const s = document.createElement('script');
         s.textContent = 'window.pwned = 3';
         document.body.append(s);
         const a = document.createElement('a');
         a.setAttribute('onclick', 'window.pwned = 4');
         a.click();
         setTimeout(() => done(String(window.pwned)), 300);",
    );
    assert_eq!(outcome, "undefined");
    healthy(&s);
}

/// Injected `<script src="data:…">` and a script from a `blob:` the page wrote are refused:
/// the default policy admits neither. (A script that knows the page's nonce can run anything;
/// the nonce is what injected markup does not have. `check` warns about `data:` and `blob:` in
/// `script-src`, which would admit these without it.)
#[test]
fn data_and_blob_scripts_do_not_run() {
    let s = app();
    let outcome = s.js_async(
        "const run = (src) => new Promise(r => {
           const el = document.createElement('script');
           el.src = src;
           el.onload = () => r('ran');
           el.onerror = () => r('refused');
           document.head.append(el);
         });
         const blob = URL.createObjectURL(new Blob(['window.pwned = 1'], {type: 'text/javascript'}));
         Promise.all([run('data:text/javascript,window.pwned=2'), run(blob)])
           .then(r => done([r, String(window.pwned)]));",
    );
    assert_eq!(outcome, json!([["refused", "refused"], "undefined"]));
    healthy(&s);
}

/// Strings never become code: `eval`, `new Function` and string timers are refused.
#[test]
fn eval_and_string_code_are_refused() {
    let s = app();
    let outcome = s.js_async(
        "const r = [];
         try { eval('window.pwned = 1'); r.push('eval ran'); } catch (e) { r.push(e.name); }
         try { new Function('window.pwned = 2')(); r.push('Function ran'); } catch (e) { r.push(e.name); }
         setTimeout('window.pwned = 3', 0);
         setTimeout(() => done([r, String(window.pwned)]), 200);",
    );
    assert_eq!(outcome, json!([["EvalError", "EvalError"], "undefined"]));
    healthy(&s);
}

/// An injected `<base href>` would make the page's own loader (which hands its nonce on) fetch
/// `chunk.js` from the attacker, and the nonce would vouch for it. The default policy's
/// `base-uri 'self'` ignores the `<base>`: the chunk comes from the app, the attacker's server
/// is never asked.
#[test]
fn an_injected_base_cannot_redirect_the_pages_own_scripts() {
    let evil = Evil::start();
    let s = app();
    let outcome = s.js_async(&format!(
        "document.getElementById('out').innerHTML = '<base href=\"{}/\">';
         window.load('chunk.js').then(r => done([r, document.baseURI, window.chunkRan || 0,
                                                 String(window.pwned)]));",
        evil.origin
    ));
    assert_eq!(
        outcome,
        json!([
            "loaded app://localhost/chunk.js",
            "app://localhost/index.html",
            1,
            "undefined"
        ])
    );
    assert_eq!(evil.requests(), Vec::<String>::new());
    healthy(&s);
}

/// An SVG opened as a document (top level) runs no script: it is served under the app's policy.
#[test]
fn an_svg_opened_as_a_document_runs_no_script() {
    let s = app();
    s.goto("app://localhost/evil.svg");
    crate::harness::wait_until(std::time::Duration::from_secs(10), || {
        s.js("return document.readyState") == "complete"
    })
    .expect("the SVG loads");
    assert_eq!(s.js("return document.documentElement.localName"), "svg");
    assert_eq!(
        s.js("const e = document.documentElement;
              return [e.getAttribute('data-ran'), e.getAttribute('data-onload')]"),
        json!([null, null])
    );
    s.goto("app://localhost/index.html");
    s.wait_for_js("return window.ownExternal === true");
    healthy(&s);
}

/// The host's error pages run nothing a URL puts in them: the path is escaped, and the page's
/// policy admits no script at all.
#[test]
fn an_error_page_runs_nothing_from_its_url() {
    let s = app();
    s.goto("app://localhost/%3Cimg%20src=x%20onerror=window.pwned=1%3E%3Cscript%3Ewindow.pwned=2%3C/script%3E");
    crate::harness::wait_until(std::time::Duration::from_secs(10), || {
        s.js("return document.readyState") == "complete"
    })
    .expect("the 404 page loads");
    assert_eq!(
        s.js(
            "return [document.title, document.querySelectorAll('img, script').length,
                      String(window.pwned)]"
        ),
        json!(["404 Not Found", 0, "undefined"])
    );
    s.goto("app://localhost/index.html");
    s.wait_for_js("return window.ownExternal === true");
    healthy(&s);
}

/// Every HTML answer has a nonce of its own and is never stored: a nonce read once (from a
/// leaked page, a cache) is worth nothing for the next load.
#[test]
fn every_html_answer_has_a_fresh_nonce_and_is_not_stored() {
    let s = app();
    let heads: Value = s.js_async(
        "const head = (u, a) => fetch(u, {headers: {accept: a}}).then(r => [r.status,
           r.headers.get('cache-control'),
           (r.headers.get('content-security-policy').match(/'nonce-([0-9a-f]+)'/) || [])[1]]);
         Promise.all([head('index.html', 'text/html'), head('index.html', 'text/html'),
                      head('missing.html', 'text/html'), head('missing.html', 'text/html')])
           .then(done, e => done(String(e)));",
    );
    let rows = heads.as_array().expect("four answers");
    let mut nonces: Vec<&str> = Vec::new();
    for (row, status) in rows.iter().zip([200, 200, 404, 404]) {
        assert_eq!(row[0], status, "{heads}");
        assert_eq!(row[1], "no-store", "{heads}");
        let nonce = row[2]
            .as_str()
            .unwrap_or_else(|| panic!("no nonce: {heads}"));
        assert_eq!(nonce.len(), 32, "{heads}");
        nonces.push(nonce);
    }
    nonces.sort_unstable();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a nonce came twice: {heads}");
    // The page the window shows carries a nonce of its own too, not one fetched above.
    let shown = s.js("return window.pageNonce");
    assert!(
        !rows.iter().any(|r| r[2] == shown),
        "{shown} was served twice"
    );
    healthy(&s);
}
