//! `http_get`/`http_post` for scripts, through libsoup 3 (already linked by WebKitGTK): one
//! session per request on the calling worker thread, no redirects (a redirect could lead
//! outside `allow-urls`), and a timeout from the call's remaining time.

use rhai::{Dynamic, EvalAltResult, INT, Map};
use soup::prelude::*;

use super::api::host_error;
use super::sandbox::Budget;
use crate::ipc::IpcError;

/// Sends one request if `url` matches one of `allowed`; answers `#{status, body}` with the body
/// as text (lossy UTF-8). A body longer than `max_body` bytes is an error: it is read in chunks
/// and never held whole beyond that.
pub fn request(
    allowed: &[String],
    method: &str,
    url: &str,
    body: Option<(Vec<u8>, &str)>,
    max_body: usize,
) -> Result<Map, Box<EvalAltResult>> {
    // Matched on the parsed URL, part by part, and what is sent is that parsed URL: no
    // look-alike host, user info or other port gets past a pattern as a string prefix would
    // let it (the class of a Tauri HTTP-plugin advisory).
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| crate::pattern::any_matches(allowed, u));
    let Some(parsed) = parsed else {
        return Err(host_error(IpcError::Forbidden(format!(
            "`{url}` does not match this endpoint's `allow-urls`"
        ))));
    };
    let url = parsed.as_str();
    let failed = |e: String| host_error(IpcError::Handler(format!("{method} {url}: {e}")));
    let message = soup::Message::new(method, url).map_err(|e| failed(e.to_string()))?;
    message.set_flags(soup::MessageFlags::NO_REDIRECT);
    if let Some((bytes, content_type)) = body {
        message.set_request_body_from_bytes(
            Some(content_type),
            Some(&soup::glib::Bytes::from_owned(bytes)),
        );
    }
    let session = soup::Session::new();
    // libsoup counts whole seconds; the call's own clock stops the script right after.
    let left = Budget::remaining().unwrap_or_default();
    let seconds = u32::try_from(left.as_millis().div_ceil(1000)).unwrap_or(u32::MAX);
    session.set_timeout(seconds.max(1));
    let stream = session
        .send(&message, None::<&soup::gio::Cancellable>)
        .map_err(|e| failed(e.to_string()))?;
    let mut bytes = Vec::new();
    loop {
        let chunk = stream
            .read_bytes(64 << 10, None::<&soup::gio::Cancellable>)
            .map_err(|e| failed(e.to_string()))?;
        if chunk.is_empty() {
            break;
        }
        if bytes.len() + chunk.len() > max_body {
            return Err(host_error(IpcError::TooLarge(max_body)));
        }
        bytes.extend_from_slice(&chunk);
    }
    let mut out = Map::new();
    out.insert("status".into(), INT::from(message.status_code()).into());
    out.insert(
        "body".into(),
        Dynamic::from(String::from_utf8_lossy(&bytes).into_owned()),
    );
    Ok(out)
}
