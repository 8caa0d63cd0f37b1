//! `app://` on the WebKit context, registered by apphost itself rather than through wry, so
//! that a response can be a stream: wry's responder takes the whole body in memory and copies
//! it once more into a GLib buffer, which makes a 1 GB file cost 2 GB. Here bytes that live as
//! long as the process (a packaged app's stored files) are lent to WebKit without a copy, bytes
//! made for a response are handed over without one, and a file larger than [`STREAM_ABOVE`] is
//! read by WebKit a buffer at a time, on GIO's worker threads, as the page consumes it.
//!
//! The request arrives on the UI thread. The handler answers on a worker, and the answer comes
//! back to the UI thread through a one-shot channel awaited on GLib's main context, which is
//! the loop tao runs: nothing non-`Send` ever leaves the UI thread.

use std::borrow::Cow;
use std::io::Read;

use gio::glib;
use gio::prelude::*;
use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue, Request, Response};
use webkit2gtk::{
    SecurityManagerExt as _, URISchemeRequest, URISchemeRequestExt as _, URISchemeResponse,
    URISchemeResponseExt as _, WebContextExt as _, WebView, WebViewExt as _,
};

use crate::protocol::{self, Body};
use crate::source::Part;

/// Files up to this size are read into memory on the worker; larger ones are streamed.
/// Streaming costs a GIO thread hop per buffer, which a small file does not need.
pub const STREAM_ABOVE: u64 = 256 * 1024;

/// Request bodies are read up to the app's `max-payload` and this much framing, plus one byte:
/// a larger one is cut there, which the IPC refuses as `too_large`.
const SLACK: u64 = 64 * 1024;

/// Where the window's label is kept on its WebKit view, for the handler to tell windows apart.
const LABEL: &str = "apphost-window-label";

/// What serves one request: the window's label, the request, and where the answer goes.
pub type Handler = Box<dyn Fn(String, Request<Vec<u8>>, Responder) + 'static>;

/// The scheme, ready to be registered.
pub struct Scheme {
    pub handler: Handler,
    /// The largest request body accepted, read per request (a reload may change it).
    pub max_body: Box<dyn Fn() -> u64 + 'static>,
}

/// Registers the scheme on the web context of `webview`, the first one built, before it loads
/// anything (wry does not expose the context itself). The context's later webviews share it.
pub fn register(webview: &WebView, scheme: Scheme) -> anyhow::Result<()> {
    let Scheme { handler, max_body } = scheme;
    let ctx = webview
        .context()
        .ok_or_else(|| anyhow::anyhow!("the webview has no web context"))?;
    ctx.security_manager()
        .ok_or_else(|| anyhow::anyhow!("the web context has no security manager"))?
        .register_uri_scheme_as_secure(protocol::SCHEME);
    ctx.register_uri_scheme(protocol::SCHEME, move |request| {
        let label = request.web_view().map(|w| label_of(&w)).unwrap_or_default();
        let http = match to_http(request, max_body().saturating_add(SLACK)) {
            Ok(r) => r,
            Err(why) => {
                finish(request, protocol::bad_request(why));
                return;
            }
        };
        let (tx, rx) = futures_channel::oneshot::channel();
        let request = request.clone();
        glib::MainContext::default().spawn_local(async move {
            match rx.await {
                Ok(ready) => finish_ready(&request, ready),
                // The worker dropped the answer (the host is stopping): no hung request.
                Err(_) => finish(&request, protocol::internal_error()),
            }
        });
        handler(label, http, Responder(tx));
    });
    Ok(())
}

/// Names `webview` as the window `label` for requests it makes.
pub fn set_label(webview: &WebView, label: &str) {
    // SAFETY: LABEL is only ever set here, always to a String, and read back as one.
    unsafe { webview.set_data(LABEL, label.to_owned()) };
}

fn label_of(webview: &WebView) -> String {
    // SAFETY: see `set_label`: the value under LABEL is a String that lives with the view.
    unsafe { webview.data::<String>(LABEL) }
        .map(|p| unsafe { p.as_ref() }.clone())
        .unwrap_or_default()
}

/// Takes an answer on a worker thread; dropping it unanswered gives the page a 500.
pub struct Responder(futures_channel::oneshot::Sender<Response<Ready>>);

impl Responder {
    /// Prepares the body on this (worker) thread: a small file is read here, a large one is
    /// opened for streaming, and the UI thread only hands it over.
    pub fn respond(self, response: Response<Body>) {
        let _ = self.0.send(prepare(response));
    }
}

/// A body as WebKit takes it.
pub enum Ready {
    Bytes(glib::Bytes),
    Stream(Box<dyn Read + Send>, u64),
}

fn prepare(response: Response<Body>) -> Response<Ready> {
    let (parts, body) = response.into_parts();
    let ready = match body {
        Body::Bytes(Cow::Borrowed(b)) => Ready::Bytes(glib::Bytes::from_static(b)),
        Body::Bytes(Cow::Owned(v)) => Ready::Bytes(glib::Bytes::from_owned(v)),
        Body::File(Part::Lent(b)) => Ready::Bytes(glib::Bytes::from_static(b)),
        Body::File(Part::Shared(b, range)) => {
            Ready::Bytes(glib::Bytes::from_owned(Slice(b, range)))
        }
        Body::File(Part::File(f)) if f.limit() > STREAM_ABOVE => {
            let len = f.limit();
            Ready::Stream(Box::new(f), len)
        }
        Body::File(part) => match part.into_bytes() {
            Ok(b) => Ready::Bytes(glib::Bytes::from_owned(b.into_owned())),
            Err(e) => return read_failed(&e),
        },
    };
    Response::from_parts(parts, ready)
}

fn read_failed(e: &std::io::Error) -> Response<Ready> {
    tracing::warn!("reading a file to serve: {e}");
    prepare(protocol::internal_error())
}

/// A range of shared bytes, lent to GLib for as long as it needs them.
struct Slice(std::sync::Arc<[u8]>, std::ops::Range<usize>);

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.0[self.1.clone()]
    }
}

/// The WebKit request as an `http` one, its body read (WebKit holds it in memory already)
/// up to `max + 1` bytes.
fn to_http(request: &URISchemeRequest, max: u64) -> Result<Request<Vec<u8>>, &'static str> {
    let uri = request.uri().unwrap_or_default();
    let mut b = Request::builder()
        .uri(uri.as_str())
        .method(request.http_method().as_deref().unwrap_or("GET"));
    if let (Some(headers), Some(map)) = (request.http_headers(), b.headers_mut()) {
        headers.foreach(|k, v| {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_bytes(v.as_bytes()),
            ) {
                map.append(k, v);
            }
        });
    }
    let mut body = Vec::new();
    if let Some(stream) = request.http_body() {
        let mut buf = vec![0; 64 * 1024];
        loop {
            match stream.read(&mut buf[..], gio::Cancellable::NONE) {
                Ok(0) => break,
                Ok(n) => body.extend_from_slice(&buf[..n]),
                Err(e) => {
                    tracing::warn!("reading an app:// request body: {e}");
                    return Err("The request body could not be read.");
                }
            }
            if body.len() as u64 > max {
                // Enough to be refused as too large where the call is read, with the IPC's
                // own error; the rest is never copied.
                body.truncate(usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1));
                break;
            }
        }
    }
    b.body(body).map_err(|_| "The request is malformed.")
}

fn finish(request: &URISchemeRequest, response: Response<Body>) {
    finish_ready(request, prepare(response));
}

fn finish_ready(request: &URISchemeRequest, response: Response<Ready>) {
    let (parts, body) = response.into_parts();
    let (stream, len): (gio::InputStream, u64) = match body {
        Ready::Bytes(b) => {
            let len = b.len() as u64;
            (gio::MemoryInputStream::from_bytes(&b).upcast(), len)
        }
        Ready::Stream(r, len) => (gio::ReadInputStream::new(r).upcast(), len),
    };
    let out = URISchemeResponse::new(&stream, i64::try_from(len).unwrap_or(i64::MAX));
    out.set_status(u32::from(parts.status.as_u16()), None);
    if let Some(t) = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        out.set_content_type(t);
    }
    let headers = soup::MessageHeaders::new(soup::MessageHeadersType::Response);
    for (name, value) in &parts.headers {
        if let Ok(v) = value.to_str() {
            headers.append(name.as_str(), v);
        }
    }
    out.set_http_headers(headers);
    request.finish_with_response(&out);
}
