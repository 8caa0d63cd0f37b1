//! What the GUI benches share: a private X server when there is no display, and the static file
//! server of their bare-wry floor programs.

use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A private X server, killed on drop (so also when a run panics).
pub struct Xvfb {
    child: Child,
    display: u32,
}

impl Xvfb {
    /// The `DISPLAY` the benched programs get, and the server behind it if one had to be
    /// started (keep it alive as long as they run).
    pub fn display() -> (Option<Xvfb>, String) {
        match std::env::var("DISPLAY") {
            Ok(d) if !d.is_empty() => (None, d),
            _ => {
                let x = Xvfb::start();
                let d = format!(":{}", x.display);
                (Some(x), d)
            }
        }
    }

    /// Xvfb picks a free display itself and writes its number when it accepts connections
    /// (`-displayfd`): no race with other X servers starting at the same time.
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args("-displayfd 1 -screen 0 1280x800x24 -nolisten tcp".split(' '))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Xvfb: install xvfb (scripts/setup.sh does)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        let Ok(display) = line.trim().parse() else {
            let _ = child.kill();
            panic!("Xvfb reported no display within 10 s: {:?}", child.wait());
        };
        Xvfb { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // SIGKILL leaves Xvfb no chance to remove these, and they would make :N look taken.
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{}", self.display));
        let _ = std::fs::remove_file(format!("/tmp/.X{}-lock", self.display));
    }
}

/// A floor's `app://` handler for the page's files: `dir/path`, 404 for anything else.
pub fn serve(dir: &Path, path: &str) -> http::Response<Cow<'static, [u8]>> {
    let rel = match path.trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    let response = http::Response::builder();
    let file = (!rel.split('/').any(|s| s == "..")).then(|| std::fs::read(dir.join(rel)));
    let Some(Ok(bytes)) = file else {
        return response.status(404).body(Vec::new().into()).unwrap();
    };
    let mime = match rel.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" => "text/html",
        "css" => "text/css",
        "js" => "text/javascript",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    let response = response.header(http::header::CONTENT_TYPE, mime);
    response.body(bytes.into()).unwrap()
}
