//! The custom-protocol transport: `POST app://localhost/__apphost/ipc/<endpoint>` with the launch
//! key in `X-Apphost-Key` and the arguments as the body (`application/json`, or
//! `application/octet-stream` for bytes). The reply is JSON or bytes with status 200, or
//! `{code, message}` with a 4xx/5xx status.

use std::borrow::Cow;

use http::{Method, Request, Response, StatusCode, header};

use super::{Body, Call, Encoded, IpcError, Router};

/// Where calls go: `app://localhost/__apphost/ipc/<endpoint>`.
pub const PREFIX: &str = "/__apphost/ipc/";
pub const KEY_HEADER: &str = "x-apphost-key";

pub fn respond(
    router: &Router,
    window: &str,
    req: &Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    match handle(router, window, req) {
        Ok(Encoded::Json(b)) => reply(StatusCode::OK, "application/json", b),
        Ok(Encoded::Bytes(b)) => reply(StatusCode::OK, "application/octet-stream", b),
        Err(e) => {
            if !matches!(
                e,
                IpcError::NotFound(_) | IpcError::BadArgs(_) | IpcError::Handler(_)
            ) {
                tracing::warn!(window, uri = %req.uri(), "refused call: {e}");
            }
            reply(
                status(&e),
                "application/json",
                e.to_json().to_string().into_bytes(),
            )
        }
    }
}

fn handle(router: &Router, window: &str, req: &Request<Vec<u8>>) -> Result<Encoded, IpcError> {
    if req.method() != Method::POST {
        return Err(IpcError::BadArgs("calls are POST requests".into()));
    }
    let endpoint = req.uri().path().strip_prefix(PREFIX).unwrap_or_default();
    let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let bytes = text(header::CONTENT_TYPE.as_str())
        .is_some_and(|t| t.starts_with("application/octet-stream"));
    let body = if bytes {
        Body::Bytes(req.body())
    } else {
        Body::Json(req.body())
    };
    // WebKit sends no `Origin` with a same-origin request to a custom scheme, but it does send
    // the `Referer`; a cross-origin request carries `Origin`. So: Origin first, else the
    // referring page's origin, else unknown (refused).
    let referer = text(header::REFERER.as_str()).and_then(origin_of);
    let origin = text(header::ORIGIN.as_str()).or(referer.as_deref());
    router.handle(&Call {
        window,
        origin,
        key: text(KEY_HEADER),
        endpoint,
        body,
    })
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    })
}

pub fn status(e: &IpcError) -> StatusCode {
    match e {
        IpcError::NotFound(_) => StatusCode::NOT_FOUND,
        IpcError::Forbidden(_) => StatusCode::FORBIDDEN,
        IpcError::BadArgs(_) => StatusCode::BAD_REQUEST,
        IpcError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        IpcError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        IpcError::Handler(_) => StatusCode::INTERNAL_SERVER_ERROR,
        IpcError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        IpcError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Built on the protocol's own response, so calls carry the headers every `app://` answer does.
fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response<Cow<'static, [u8]>> {
    let mut r = crate::protocol::response(status, Cow::Owned(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}
