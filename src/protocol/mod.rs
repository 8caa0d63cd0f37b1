//! `app://localhost/`: one pure function from a request to a response. It knows nothing of
//! windows or threads; the runtime calls it off the UI thread and hands the result to WebKit.
//!
//! Every response, errors included, carries `nosniff`, a referrer policy and COOP; every HTML
//! response carries the app's CSP with a fresh nonce.

mod csp;
mod dev_csp;
mod isolation;
mod origin;
mod pages;
mod path;
mod range;

use std::borrow::Cow;
use std::sync::Arc;

use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};

use crate::manifest::Security;
use crate::source::{Asset, Lookup, Part, Source};

pub use csp::{Policy, fresh_nonce, policy, stamp};
pub use dev_csp::dev_server_policy;
pub use origin::Origins;
pub use path::{Refusal, SafePath, normalise};
pub use range::Wanted;

/// The one host name the frontend is served from.
pub const HOST: &str = "localhost";
/// The URL scheme.
pub const SCHEME: &str = "app";
/// Where pages come from: `app://localhost/`.
pub const ORIGIN: &str = "app://localhost";

/// Where windows wait in `apphost dev` until the dev server answers (under [`ORIGIN`]).
pub const WAITING_PATH: &str = "/__apphost/dev/waiting";

/// What a response carries: bytes made for it (pages, errors, IPC answers), or a part of one
/// of the app's files, which is read only as it is sent.
pub enum Body {
    Bytes(Cow<'static, [u8]>),
    File(Part),
}

impl Body {
    pub const EMPTY: Body = Body::Bytes(Cow::Borrowed(&[]));

    pub fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body in memory (a file part is read whole).
    pub fn into_bytes(self) -> std::io::Result<Cow<'static, [u8]>> {
        match self {
            Body::Bytes(b) => Ok(b),
            Body::File(p) => p.into_bytes(),
        }
    }
}

impl From<Cow<'static, [u8]>> for Body {
    fn from(b: Cow<'static, [u8]>) -> Body {
        Body::Bytes(b)
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Bytes(b) => write!(f, "Body::Bytes({} bytes)", b.len()),
            Body::File(p) => write!(f, "Body::File({} bytes)", p.len()),
        }
    }
}

/// The waiting page: no script, so the strictest policy.
pub fn waiting_page() -> Response<Body> {
    pages::own_page(StatusCode::OK, include_bytes!("waiting.html"))
}

/// What the protocol serves and how.
pub struct Site {
    /// The frontend folder: nothing outside it is served.
    pub files: Arc<dyn Source>,
    pub security: Security,
    /// Serve `index.html` for unknown paths that look like page routes.
    pub spa_fallback: bool,
    /// The loopback origin of this launch's media (`src/media`), added to `media-src` where
    /// that admits `'self'`.
    pub media: Option<String>,
}

/// Answers one `app://` request. Never panics on any request; malformed ones get a 4xx.
pub fn respond(site: &Site, req: &Request<Vec<u8>>) -> Response<Body> {
    let mut r = answer(site, req);
    isolation::apply(&mut r, site.security.cross_origin_isolated);
    r
}

fn answer(site: &Site, req: &Request<Vec<u8>>) -> Response<Body> {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        let mut r = pages::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET and HEAD are served here.",
        );
        set(&mut r, header::ALLOW, "GET, HEAD");
        return r;
    }
    // Exactly `localhost`: no port, no user info, no other spelling.
    if req.uri().authority().map(|a| a.as_str()) != Some(HOST) {
        return pages::error(
            StatusCode::NOT_FOUND,
            "Unknown host: only app://localhost/ is served.",
        );
    }
    let path = match normalise(req.uri().path()) {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(uri = %req.uri(), "refused app:// path: {why}");
            return pages::error(StatusCode::BAD_REQUEST, &format!("Refused path: {why}."));
        }
    };
    let (asset, rel) = match find(site, &path, accepts_html(req)) {
        Found::Asset(asset, rel) => (asset, rel),
        Found::Redirect(to) => {
            let mut r = pages::error(StatusCode::PERMANENT_REDIRECT, "This is a folder.");
            set(&mut r, header::LOCATION, &to);
            return r;
        }
        Found::Nothing => {
            return pages::not_found(&format!("/{}", path.rel));
        }
        Found::Broken => {
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This file is damaged or cannot be read; the app's log says why.",
            );
        }
    };
    let mut r = serve(site, req, asset, &rel);
    if head {
        *r.body_mut() = Body::EMPTY;
    }
    r
}

enum Found {
    Asset(Asset, String),
    Redirect(String),
    Nothing,
    Broken,
}

fn find(site: &Site, path: &SafePath, wants_page: bool) -> Found {
    let rel = if path.dir {
        join(&path.rel, "index.html")
    } else {
        path.rel.clone()
    };
    match site.files.lookup(&rel) {
        Lookup::File(a) => return Found::Asset(a, rel),
        Lookup::Dir if !path.dir => {
            let last = path.rel.rsplit('/').next().unwrap_or_default();
            return Found::Redirect(format!("{}/", pct(last)));
        }
        Lookup::Outside => {
            tracing::warn!("refused /{rel}: it resolves outside the frontend folder");
            return Found::Nothing;
        }
        Lookup::Broken(why) => {
            // A packaged file that fails its integrity check, a FIFO, an unreadable file.
            tracing::error!("refused /{rel}: it {why}");
            return Found::Broken;
        }
        Lookup::Dir | Lookup::Missing => {}
    }
    if site.spa_fallback
        && wants_page
        && let Lookup::File(a) = site.files.lookup("index.html")
    {
        return Found::Asset(a, "index.html".to_owned());
    }
    Found::Nothing
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Percent-encodes what a relative URL segment cannot hold as it is.
fn pct(seg: &str) -> String {
    seg.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A navigation (or anything that asks for HTML) rather than a script's fetch of a data file.
fn accepts_html(req: &Request<Vec<u8>>) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

fn serve(site: &Site, req: &Request<Vec<u8>>, asset: Asset, rel: &str) -> Response<Body> {
    // A source map is JSON (mime_guess says text/plain for `.map`).
    let mime = if rel.ends_with(".map") {
        mime_guess::mime::APPLICATION_JSON
    } else {
        mime_guess::from_path(rel).first_or_octet_stream()
    };
    let content_type = content_type(&mime);
    if mime.essence_str() == "text/html" {
        return serve_html(site, asset, content_type);
    }
    let etag = format!("\"{}\"", asset.tag);
    let len = asset.len;
    if matches_etag(req, &etag) {
        let mut r = response(StatusCode::NOT_MODIFIED, Body::EMPTY);
        set(&mut r, header::ETAG, &etag);
        return r;
    }
    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    // A range applies only to the version named in If-Range, when one is named.
    let if_range_ok = req
        .headers()
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v == etag));
    let wanted = if if_range_ok {
        range::parse(range_header, len)
    } else {
        Wanted::Whole
    };
    let (status, part) = match wanted {
        Wanted::Whole => (StatusCode::OK, 0..len),
        Wanted::Part(r) => (StatusCode::PARTIAL_CONTENT, r),
        Wanted::Unsatisfiable => {
            let mut r = pages::error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "The range starts past the end of the file.",
            );
            set(&mut r, header::CONTENT_RANGE, &format!("bytes */{len}"));
            return r;
        }
    };
    let is_head = req.method() == Method::HEAD;
    let body = if is_head {
        Ok(Body::EMPTY)
    } else {
        asset.part(part.clone()).map(Body::File)
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("reading /{rel}: {e}");
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The file could not be read.",
            );
        }
    };
    let mut r = response(status, body);
    set(&mut r, header::CONTENT_TYPE, &content_type);
    set(&mut r, header::ETAG, &etag);
    set(&mut r, header::ACCEPT_RANGES, "bytes");
    set(&mut r, header::CACHE_CONTROL, "no-cache");
    if renders_as_document(&mime) {
        // Opened as a document (top level, a frame, an `<object>`), SVG and XML run their
        // inline scripts unless a policy says otherwise: they get the app's, with no nonce.
        set(
            &mut r,
            header::CONTENT_SECURITY_POLICY,
            &crate::manifest::csp_text(&site.security.csp),
        );
    }
    set(
        &mut r,
        header::CONTENT_LENGTH,
        &(part.end - part.start).to_string(),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            &mut r,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{len}", part.start, part.end.saturating_sub(1)),
        );
    }
    r
}

/// HTML gets the CSP with a fresh nonce stamped into its tags. Because the body changes with
/// every response, it is never cached or served in ranges.
fn serve_html(site: &Site, asset: Asset, content_type: String) -> Response<Body> {
    let len = asset.len;
    let html = match asset.read(0..len) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("reading a page: {e}");
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be read.",
            );
        }
    };
    let nonce = match fresh_nonce() {
        Ok(n) => n,
        Err(e) => {
            tracing::error!("no randomness for a CSP nonce: {e}");
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "No randomness for a CSP nonce.",
            );
        }
    };
    let p = policy(&site.security, &nonce, site.media.as_deref());
    let body = Body::Bytes(if p.stamp_scripts || p.stamp_styles {
        Cow::Owned(stamp(&html, &nonce, p.stamp_scripts, p.stamp_styles))
    } else {
        html
    });
    let mut r = response(StatusCode::OK, body);
    set(&mut r, header::CONTENT_TYPE, &content_type);
    set(&mut r, header::CACHE_CONTROL, "no-store");
    let len = r.body().len().to_string();
    set(&mut r, header::CONTENT_LENGTH, &len);
    if !set(&mut r, header::CONTENT_SECURITY_POLICY, &p.header) {
        return pages::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The CSP is not a valid header value.",
        );
    }
    r
}

/// Types other than HTML that WebKit renders as a document that can run script.
fn renders_as_document(mime: &mime_guess::Mime) -> bool {
    mime.subtype() == "xml" || mime.suffix().is_some_and(|s| s == "xml")
}

fn matches_etag(req: &Request<Vec<u8>>, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The Content-Type with `charset=utf-8` on text. Text in a frontend is UTF-8.
pub fn content_type(mime: &mime_guess::Mime) -> String {
    let essence = mime.essence_str();
    let texty = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.subtype().as_str(),
            "javascript" | "json" | "xml" | "manifest+json" | "svg+xml" | "xhtml+xml"
        )
        || mime.suffix().is_some_and(|s| s == "json" || s == "xml");
    if texty {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_owned()
    }
}

/// A response with the headers every response carries.
pub(crate) fn response<B>(status: StatusCode, body: B) -> Response<B> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// Sets a header; false (and nothing set) if the value cannot be a header value.
pub(crate) fn set<B>(r: &mut Response<B>, name: HeaderName, value: &str) -> bool {
    match HeaderValue::from_str(value) {
        Ok(v) => {
            r.headers_mut().insert(name, v);
            true
        }
        Err(_) => false,
    }
}

/// The answer to a request that cannot be read as one.
pub fn bad_request(why: &str) -> Response<Body> {
    pages::error(StatusCode::BAD_REQUEST, why)
}

/// The answer when serving a request failed in a way the protocol did not foresee.
pub fn internal_error() -> Response<Body> {
    pages::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The host failed to serve this request.",
    )
}

#[cfg(test)]
mod tests;
