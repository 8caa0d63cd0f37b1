//! What the GUI benches share: a private X server when there is no display, and the static file
//! server of their bare-wry floor programs.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

    fn start() -> Xvfb {
        let socket = |n: u32| PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let display = (90..130)
            .find(|&n| !socket(n).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .expect("no free X display in :90..:130");
        let child = Command::new("Xvfb")
            .args(format!(":{display} -screen 0 1280x800x24 -nolisten tcp").split(' '))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Xvfb: install xvfb (scripts/setup.sh does)");
        let mut xvfb = Xvfb { child, display };
        let start = Instant::now();
        while !socket(display).exists() {
            if let Some(status) = xvfb.child.try_wait().unwrap() {
                panic!("Xvfb :{display} exited with {status} before it was ready");
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "Xvfb :{display} not ready after 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        xvfb
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
