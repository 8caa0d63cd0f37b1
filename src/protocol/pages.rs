//! The host's own small pages: 404 and the other errors, and the dev server's waiting page.
//! They carry their own strict CSP (no script at all, styles only by a fresh nonce), whatever
//! the app's policy says, and are never stored.

use std::borrow::Cow;

use http::{Response, StatusCode, header};

use super::{Body, fresh_nonce, response, set, stamp};

/// A page of the host's own: `html` with its `<style>` stamped with a fresh nonce, under a
/// policy that admits that style and nothing else. Without randomness the page goes unstyled.
pub(super) fn own_page(status: StatusCode, html: &[u8]) -> Response<Body> {
    let (csp, body) = match fresh_nonce() {
        Ok(n) => (
            format!(
                "default-src 'none'; style-src 'nonce-{n}'; base-uri 'none'; form-action 'none'"
            ),
            stamp(html, &n, false, true),
        ),
        Err(e) => {
            tracing::error!("no randomness for a CSP nonce: {e}");
            (
                "default-src 'none'; base-uri 'none'; form-action 'none'".to_owned(),
                html.to_vec(),
            )
        }
    };
    let len = body.len();
    let mut r = response(status, Body::Bytes(Cow::Owned(body)));
    set(&mut r, header::CONTENT_TYPE, "text/html; charset=utf-8");
    set(&mut r, header::CONTENT_SECURITY_POLICY, &csp);
    set(&mut r, header::CACHE_CONTROL, "no-store");
    set(&mut r, header::CONTENT_LENGTH, &len.to_string());
    r
}

pub fn not_found(path: &str) -> Response<Body> {
    page(
        StatusCode::NOT_FOUND,
        &format!(
            "<code>{}</code> is not in this app's frontend folder.",
            escape(path)
        ),
    )
}

pub fn error(status: StatusCode, message: &str) -> Response<Body> {
    page(status, &escape(message))
}

fn page(status: StatusCode, message_html: &str) -> Response<Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font:15px/1.5 system-ui,sans-serif;margin:3em auto;max-width:36em;\
         color:#333}}h1{{font-size:1.4em}}code{{background:#f1f1f1;padding:0 .25em}}\
         small{{color:#888}}</style></head><body><h1>{title}</h1><p>{message_html}</p>\
         <small>apphost · app://localhost/</small></body></html>"
    );
    own_page(status, html.as_bytes())
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
