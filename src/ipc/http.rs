//! The custom-protocol transport, for bytes and large JSON: `POST
//! app://localhost/__apphost/ipc/<endpoint>` with the launch key in `X-Apphost-Key` and the
//! arguments as the body (`application/json`, or `application/octet-stream` for bytes, with the
//! other fields of an object argument percent-encoded JSON in `X-Apphost-Args`). The reply is
//! JSON or bytes with status 200, or `{code, message}` with a 4xx/5xx status. A call may name
//! its id in `X-Apphost-Call` (the bridge's numbering, shared with posted calls): the page can
//! then cancel it and get its progress. A posted call's stashed answer is fetched with
//! `GET app://localhost/__apphost/reply/<token>`.

use std::borrow::Cow;
use std::sync::Arc;

use http::{Method, Request, Response, StatusCode, header};

use super::running::InFlight;
use super::stash::Stash;
use super::{Body, Call, Encoded, IpcError, Router, Running};

/// Everything under here is the host's, not the frontend's.
pub const ROOT: &str = "/__apphost/";
/// Where calls go: `app://localhost/__apphost/ipc/<endpoint>`.
pub const PREFIX: &str = "/__apphost/ipc/";
/// Where stashed answers are fetched: `app://localhost/__apphost/reply/<token>`.
pub const REPLY_PREFIX: &str = "/__apphost/reply/";
pub const KEY_HEADER: &str = "x-apphost-key";
pub const ARGS_HEADER: &str = "x-apphost-args";
/// The call's id in the page, so that the page can cancel it and follow its progress.
pub const CALL_HEADER: &str = "x-apphost-call";

/// Answers an `app://` request under [`ROOT`] from `window`; a call that names its id is
/// entered in `in_flight` while it runs.
pub fn respond(
    router: &Router,
    stash: &Stash,
    in_flight: &Arc<InFlight>,
    window: &str,
    req: &Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    let mut response = answer(router, stash, in_flight, window, req);
    allow_cross_origin(router, req, &mut response);
    response
}

/// The answer to a call refused before it ran (`e`), with the headers [`respond`] gives.
pub fn refuse(
    router: &Router,
    req: &Request<Vec<u8>>,
    e: &IpcError,
) -> Response<Cow<'static, [u8]>> {
    let mut response = reply(
        status(e),
        "application/json",
        e.to_json().to_string().into_bytes(),
    );
    allow_cross_origin(router, req, &mut response);
    response
}

/// A page from a dev server (`apphost dev` with `[dev] url`) calls `app://` cross-origin: its
/// requests carry `Origin`, and WebKit lets it read the answer only with CORS headers. They are
/// given to exactly the origins the router accepts calls from; the key is still checked.
fn allow_cross_origin(
    router: &Router,
    req: &Request<Vec<u8>>,
    r: &mut Response<Cow<'static, [u8]>>,
) {
    let Some(origin) = header_text(req, header::ORIGIN.as_str()) else {
        return;
    };
    if !router.accepts_origin(origin) {
        return;
    }
    let h = r.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    if req.method() == Method::OPTIONS {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::HeaderValue::from_static(
                "content-type, x-apphost-key, x-apphost-args, x-apphost-call",
            ),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            header::HeaderValue::from_static("600"),
        );
    }
}

fn answer(
    router: &Router,
    stash: &Stash,
    in_flight: &Arc<InFlight>,
    window: &str,
    req: &Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    if req.method() == Method::OPTIONS {
        // A CORS preflight carries no key: it only asks; the call that follows is checked.
        let status = match header_text(req, header::ORIGIN.as_str()) {
            Some(o) if router.accepts_origin(o) => StatusCode::NO_CONTENT,
            _ => StatusCode::FORBIDDEN,
        };
        return reply(status, "text/plain", Vec::new());
    }
    let result = if req.uri().path().starts_with(REPLY_PREFIX) {
        stashed(router, stash, window, req)
    } else {
        handle(router, in_flight, window, req)
    };
    match result {
        Ok(Encoded::Json(b)) => reply(StatusCode::OK, "application/json", b),
        Ok(Encoded::Bytes(b)) => reply(StatusCode::OK, "application/octet-stream", b),
        Err(e) => {
            if !matches!(
                e,
                IpcError::NotFound(_)
                    | IpcError::BadArgs(_)
                    | IpcError::Handler(_)
                    | IpcError::Io { .. }
                    | IpcError::Cancelled
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

fn handle(
    router: &Router,
    in_flight: &Arc<InFlight>,
    window: &str,
    req: &Request<Vec<u8>>,
) -> Result<Encoded, IpcError> {
    let endpoint = endpoint_of(req);
    super::trace_arrival(endpoint);
    check_caller(router, req)?;
    if req.method() != Method::POST {
        return Err(IpcError::BadArgs("calls are POST requests".into()));
    }
    let bytes = header_text(req, header::CONTENT_TYPE.as_str())
        .is_some_and(|t| t.starts_with("application/octet-stream"));
    let side = header_text(req, ARGS_HEADER).map(decode_args_header);
    let body = match (bytes, &side) {
        (false, _) => Body::Json(req.body()),
        (true, None) => Body::Bytes(req.body()),
        (true, Some(side)) => Body::Mixed {
            side,
            data: req.body(),
        },
    };
    // Entered only now, past the key: a caller without it cannot take a call id of the page's.
    let registration = match header_text(req, CALL_HEADER) {
        None => None,
        Some(id) => {
            let id = id
                .parse()
                .map_err(|_| IpcError::BadArgs(format!("`{CALL_HEADER}` is not a call id")))?;
            Some(in_flight.register(window, id)?)
        }
    };
    let call = Call {
        window,
        origin: None,
        key: None,
        endpoint,
        body,
    };
    match &registration {
        Some(r) => router.handle_running(&call, r.running()),
        None => router.handle_running(&call, &Running::detached()),
    }
}

/// The JSON text an [`ARGS_HEADER`] carries (the bridge writes it with `encodeURIComponent`):
/// percent-decoded once, byte for byte. A stray `%` stays as it is; whether the result is JSON
/// is the router's to say (`bad_args`).
pub fn decode_args_header(value: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(value).collect()
}

/// The endpoint a call names: everything after [`PREFIX`], its query string included and
/// nothing decoded, so that [`super::endpoint_name`] sees what the page sent
/// (`ipc/notes.save?x` names `notes.save?x`, which is refused, never `notes.save`). The bridge
/// writes a name through `encodeURIComponent`, which leaves every well-formed name as it is.
pub fn endpoint_of(req: &Request<Vec<u8>>) -> &str {
    req.uri()
        .path_and_query()
        .map_or("", |p| p.as_str())
        .strip_prefix(PREFIX)
        .unwrap_or_default()
}

fn stashed(
    router: &Router,
    stash: &Stash,
    window: &str,
    req: &Request<Vec<u8>>,
) -> Result<Encoded, IpcError> {
    check_caller(router, req)?;
    let token = req
        .uri()
        .path()
        .strip_prefix(REPLY_PREFIX)
        .unwrap_or_default();
    stash
        .take(window, token)
        .ok_or_else(|| IpcError::NotFound(format!("no stashed reply `{token}` for this window")))
}

/// WebKit sends no `Origin` with a same-origin request to a custom scheme, but it does send the
/// `Referer`; a cross-origin request carries `Origin`. So: Origin first, else the referring
/// page's origin, else unknown (refused). The key is read from [`KEY_HEADER`] only, where the
/// bridge puts it: never from the query string or the body (a form cannot set a header).
fn check_caller(router: &Router, req: &Request<Vec<u8>>) -> Result<(), IpcError> {
    let referer = header_text(req, header::REFERER.as_str()).and_then(origin_of);
    let origin = header_text(req, header::ORIGIN.as_str()).or(referer.as_deref());
    router.check_caller(origin, header_text(req, KEY_HEADER))
}

fn header_text<'a>(req: &'a Request<Vec<u8>>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `scheme://host[:port]` of a URL, parsed (never matched as a string prefix): the scheme as
/// the URL parser lowercases it, the host as it serialises it (`app://` is not a special scheme,
/// so `app://LOCALHOST` keeps its case and is not `app://localhost`), the port when it is not
/// the scheme's default. A URL with credentials in it (`app://localhost@evil/`,
/// `app://user@localhost/`) has no origin here: no page of the app is ever such a URL.
pub fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !u.username().is_empty() || u.password().is_some() {
        return None;
    }
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
        // The call needed more than the sandbox grants it; retrying will not help (so not 429).
        IpcError::LimitExceeded(_) => StatusCode::INSUFFICIENT_STORAGE,
        // nginx's "client closed request": the page stopped waiting before the answer.
        IpcError::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
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
