//! Media from the app's own files over loopback HTTP.
//!
//! WebKitGTK plays `<audio>`/`<video>` through GStreamer, whose source element reads `http(s)`
//! and `blob:` URLs only: a custom scheme fails with `MEDIA_ERR_SRC_NOT_SUPPORTED` (WebKit bug
//! 146351). So each launch serves the frontend's **media files only** on `127.0.0.1`, at an
//! ephemeral port, under a per-launch secret, and the page's media script (`media.js`) points
//! media elements there. The files are the same ones `app://` serves, through the same
//! function ([`crate::protocol::respond`]): ranges, ETags, the packaged payload, a dev reload.
//!
//! What a request must carry, checked in this order before anything is read:
//! - `GET` or `HEAD`, HTTP/1.x, no body;
//! - `Host: 127.0.0.1:<port>` exactly (a DNS-rebinding page names its own host);
//! - the secret as the first path segment (128 bits, compared in constant time);
//! - no `Origin`, or `app://localhost` (a media element without `crossorigin` sends none);
//! - a path whose type is audio or video (`.mp3`, `.webm`, …); nothing else is served here.
//!
//! So another local process, or a web page in a browser on this machine, reaches nothing
//! without the secret, which lives in this process and its pages only. With it (a process that
//! can read this process's memory can read the files anyway), it reaches the app's media files
//! and nothing else: not its pages, scripts, data, or IPC.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};

use crate::protocol::{self, Body};

/// The only page origin that may ask for media with CORS (a `crossorigin` element).
const APP_ORIGIN: &str = "app://localhost";
/// Request heads larger than this are refused.
const MAX_HEAD: usize = 16 * 1024;
/// At most this many connections are served at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 32;
/// A connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(30);

/// Answers one media request: `app://localhost/<path>` with the media request's headers.
pub type Serve = Arc<dyn Fn(&Request<Vec<u8>>) -> Response<Body> + Send + Sync>;

/// The bound, not yet serving, media endpoint of this launch.
pub struct Media {
    listener: TcpListener,
    port: u16,
    secret: String,
}

impl Media {
    /// Binds `127.0.0.1` at a port the kernel picks, with a fresh secret.
    pub fn bind() -> io::Result<Media> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let port = listener.local_addr()?.port();
        let secret = crate::random::hex(16).map_err(io::Error::other)?;
        Ok(Media {
            listener,
            port,
            secret,
        })
    }

    /// `http://127.0.0.1:<port>`: what the page's `media-src` admits.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>/<secret>`: what the app's file paths are appended to.
    pub fn base(&self) -> String {
        format!("{}/{}", self.origin(), self.secret)
    }

    /// Serves on a thread of its own for the life of the process.
    pub fn serve(self, serve: Serve) -> io::Result<()> {
        let guard = Arc::new(Guard {
            host: format!("127.0.0.1:{}", self.port),
            secret: self.secret,
        });
        let listener = self.listener;
        std::thread::Builder::new()
            .name("apphost-media".into())
            .spawn(move || accept(&listener, &guard, &serve))?;
        Ok(())
    }
}

fn accept(listener: &TcpListener, guard: &Arc<Guard>, serve: &Serve) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!("media: more than {MAX_CONNECTIONS} connections; one closed");
            continue;
        }
        let (guard, serve, count) = (Arc::clone(guard), Arc::clone(serve), Arc::clone(&open));
        let spawned = std::thread::Builder::new()
            .name("apphost-media-conn".into())
            .spawn(move || {
                if let Err(e) = connection(stream, &guard, &serve) {
                    tracing::debug!("media: connection ended: {e}");
                }
                count.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Serves requests on one connection until it closes, errs, idles, or asks to close.
fn connection(stream: TcpStream, guard: &Guard, serve: &Serve) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(MAX_HEAD, stream.try_clone()?);
    let mut out = stream;
    loop {
        let head = match read_head(&mut reader)? {
            Head::Closed => return Ok(()),
            Head::TooLarge => {
                let r = plain(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
                return write(&mut out, r, false, false);
            }
            Head::Bytes(h) => h,
        };
        let (answer, is_head, keep) = match guard.check(&head) {
            Ok(Checked { request, keep }) => {
                let is_head = request.method() == http::Method::HEAD;
                (finish(serve(&request), &request), is_head, keep)
            }
            Err(status) => (plain(status), false, false),
        };
        write(&mut out, answer, is_head, keep)?;
        if !keep {
            return Ok(());
        }
    }
}

enum Head {
    Bytes(Vec<u8>),
    Closed,
    TooLarge,
}

/// Reads up to and including the blank line that ends a request head.
fn read_head(reader: &mut BufReader<TcpStream>) -> io::Result<Head> {
    let mut head = Vec::new();
    loop {
        let n = match reader.read_until(b'\n', &mut head) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Head::Closed);
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(Head::Closed);
        }
        if head.len() > MAX_HEAD {
            return Ok(Head::TooLarge);
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(Head::Bytes(head));
        }
    }
}

/// What every request is checked against.
struct Guard {
    /// `127.0.0.1:<port>`.
    host: String,
    secret: String,
}

struct Checked {
    /// The same file as an `app://localhost/` request, with the headers that matter to it.
    request: Request<Vec<u8>>,
    keep: bool,
}

impl Guard {
    fn check(&self, head: &[u8]) -> Result<Checked, StatusCode> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(StatusCode::BAD_REQUEST),
        }
        let method = req.method.unwrap_or_default();
        if method != "GET" && method != "HEAD" {
            return Err(StatusCode::METHOD_NOT_ALLOWED);
        }
        let one = |name: &str| -> Result<Option<&[u8]>, StatusCode> {
            let mut found = req
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name));
            let first = found.next().map(|h| h.value);
            if found.next().is_some() {
                return Err(StatusCode::BAD_REQUEST); // two Hosts, two Origins: refused
            }
            Ok(first)
        };
        if one("host")? != Some(self.host.as_bytes()) {
            return Err(StatusCode::MISDIRECTED_REQUEST);
        }
        if one("content-length")?.is_some_and(|v| v != b"0") || one("transfer-encoding")?.is_some()
        {
            return Err(StatusCode::BAD_REQUEST);
        }
        let target = req.path.unwrap_or_default();
        let path = target.split(['?', '#']).next().unwrap_or_default();
        let Some((secret, rest)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
            return Err(StatusCode::NOT_FOUND);
        };
        if !same(secret.as_bytes(), self.secret.as_bytes()) {
            return Err(StatusCode::NOT_FOUND);
        }
        if one("origin")?.is_some_and(|o| o != APP_ORIGIN.as_bytes()) {
            return Err(StatusCode::FORBIDDEN);
        }
        if !is_media(rest) {
            return Err(StatusCode::FORBIDDEN);
        }
        let mut b = Request::builder()
            .method(method)
            .uri(format!("{APP_ORIGIN}/{rest}"));
        for name in ["range", "if-range", "if-none-match"] {
            if let Some(v) = one(name)? {
                b = b.header(name, v);
            }
        }
        let keep = req.version == Some(1)
            && !one("connection")?.is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
        let request = b.body(Vec::new()).map_err(|_| StatusCode::BAD_REQUEST)?;
        Ok(Checked { request, keep })
    }
}

/// Compares in time that depends on the lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the (still percent-encoded) path names an audio or video file by its extension.
pub fn is_media(path: &str) -> bool {
    let Some(mime) = mime_guess::from_path(path).first() else {
        return false;
    };
    let t = mime.type_();
    t == mime_guess::mime::AUDIO
        || t == mime_guess::mime::VIDEO
        || mime.essence_str() == "application/ogg"
}

/// The protocol's answer with the headers a media response carries here; an error keeps its
/// status and loses its page (nothing here is a document).
fn finish(mut r: Response<Body>, request: &Request<Vec<u8>>) -> Response<Body> {
    let ok = r.status().is_success() || r.status() == StatusCode::NOT_MODIFIED;
    let served_media = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_media_type);
    if !ok || (r.status() != StatusCode::NOT_MODIFIED && !served_media) {
        let status = if ok {
            StatusCode::FORBIDDEN
        } else {
            r.status()
        };
        tracing::debug!("media: {} {} → {status}", request.method(), request.uri());
        let mut p = plain(status);
        if let Some(range) = r.headers().get(header::CONTENT_RANGE) {
            p.headers_mut().insert(header::CONTENT_RANGE, range.clone());
        }
        r = p;
    }
    let h = r.headers_mut();
    // A cross-origin-isolated page may embed it; only the app's origin may read it with CORS.
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static(APP_ORIGIN),
    );
    // For `crossorigin="use-credentials"`; there are no credentials here to give away.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    r
}

fn is_media_type(content_type: &str) -> bool {
    let t = content_type.trim_start();
    t.starts_with("audio/") || t.starts_with("video/") || t.starts_with("application/ogg")
}

fn plain(status: StatusCode) -> Response<Body> {
    let text = status.canonical_reason().unwrap_or("refused").as_bytes();
    let mut r = protocol::response(status, Body::Bytes(text.into()));
    protocol::set(&mut r, header::CONTENT_TYPE, "text/plain; charset=utf-8");
    protocol::set(&mut r, header::CONTENT_LENGTH, &text.len().to_string());
    r
}

/// Writes the response: its head, then its body straight from the file (the kernel copies a
/// file part to the socket), or nothing after a HEAD.
fn write(out: &mut TcpStream, r: Response<Body>, is_head: bool, keep: bool) -> io::Result<()> {
    let (parts, body) = r.into_parts();
    let mut head = Vec::with_capacity(512);
    write!(
        head,
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    )?;
    let mut has_len = false;
    for (name, value) in &parts.headers {
        has_len |= name == header::CONTENT_LENGTH;
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if !has_len {
        write!(head, "content-length: {}\r\n", body.len())?;
    }
    let connection = if keep { "keep-alive" } else { "close" };
    write!(head, "connection: {connection}\r\n\r\n")?;
    out.write_all(&head)?;
    if !is_head {
        match body {
            Body::Bytes(b) => out.write_all(&b)?,
            Body::File(part) => {
                part.copy_to(out)?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests;
