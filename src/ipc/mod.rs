//! Calls from the page to the host: one pure function from a decoded call to a reply. It checks,
//! in this order, the caller's origin and the per-launch key (so that nothing about the app's
//! endpoints leaks to a caller without them), the payload size, that the endpoint is declared,
//! that the calling window is granted it, and the arguments; then it hands the call to a
//! [`Dispatch`]. The transports (a custom-protocol request, a posted message) only decode and
//! encode around it. A call its page numbered runs as a [`Running`] the page can cancel and get
//! progress from ([`running`]).

mod error;
pub mod http;
pub mod message;
pub mod running;
pub mod stash;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::manifest::{App, Endpoint};
use crate::pattern::wildcard_match;

pub use error::{CODES, IO_KINDS, IoKind, IpcError};
pub use running::{InFlight, Running};

/// What a call carries, as the transport decoded it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The label of the calling window (wry's webview id).
    pub window: &'a str,
    /// The origin of the calling document, if the transport knows it.
    pub origin: Option<&'a str>,
    pub key: Option<&'a str>,
    pub endpoint: &'a str,
    pub body: Body<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// UTF-8 JSON; empty means `null`.
    Json(&'a [u8]),
    /// Raw bytes (an ArrayBuffer or Uint8Array argument).
    Bytes(&'a [u8]),
    /// An object with one bytes field: the other fields as JSON (`side`), the field's bytes raw.
    Mixed { side: &'a [u8], data: &'a [u8] },
}

impl Body<'_> {
    /// What the payload limit counts: every byte the call carries.
    fn len(&self) -> usize {
        match self {
            Body::Json(b) | Body::Bytes(b) => b.len(),
            Body::Mixed { side, data } => side.len() + data.len(),
        }
    }
}

/// Decoded arguments as a handler receives them.
#[derive(Debug, Clone, PartialEq)]
pub enum Args {
    Json(Value),
    Bytes(Vec<u8>),
    /// `{path, data: Uint8Array}`: the JSON fields besides the bytes one, and its bytes.
    Mixed(Value, Vec<u8>),
}

/// What a handler returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Json(Value),
    /// JSON text already encoded (a script's result, written straight from its values).
    JsonText(Vec<u8>),
    Bytes(Vec<u8>),
}

/// A reply as it goes on the wire, encoded once, here, so that its size can be checked
/// against the limit without encoding it twice.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoded {
    /// UTF-8 JSON text.
    Json(Vec<u8>),
    Bytes(Vec<u8>),
}

/// Runs a call that passed every check.
pub trait Dispatch: Send + Sync {
    fn dispatch(
        &self,
        name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
    ) -> Result<Reply, IpcError>;

    /// [`Dispatch::dispatch`] for a call its page follows: a handler that can stop midway
    /// (a script) stops once `running` is cancelled, and reports progress to it. The default
    /// runs the call to its end.
    fn dispatch_running(
        &self,
        name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
        running: &Running,
    ) -> Result<Reply, IpcError> {
        let _ = running;
        self.dispatch(name, endpoint, window, args)
    }

    /// A page emitted `event` (`data`: JSON text); handlers that listen for it (script
    /// endpoints with `on`) start. Called on the UI thread: it must not wait for them.
    fn on_event(&self, _source: Option<&str>, _event: &str, _data: &str) {}

    /// Whether a call to `endpoint` finishes quickly on the worker that runs it (never waiting
    /// for the UI thread, the user or a script), so that a transport may wait a moment for it
    /// rather than queue its answer.
    fn is_quick(&self, _endpoint: &Endpoint) -> bool {
        false
    }
}

pub struct Router {
    key: String,
    origins: Vec<String>,
    endpoints: BTreeMap<String, Endpoint>,
    /// Window label → its grants; `None` grants every declared endpoint.
    grants: HashMap<String, Option<Vec<String>>>,
    max_payload: usize,
    dispatch: Arc<dyn Dispatch>,
}

impl Router {
    /// `origins`: where calls may come from (`app://localhost`, and in `dev` the dev server).
    pub fn new(
        app: &App,
        key: String,
        origins: Vec<String>,
        dispatch: Arc<dyn Dispatch>,
    ) -> Router {
        Router {
            key,
            origins,
            endpoints: app.endpoints.clone(),
            grants: app
                .windows
                .iter()
                .map(|w| (w.label.clone(), w.endpoints.clone()))
                .collect(),
            max_payload: usize::try_from(app.security.max_payload).unwrap_or(usize::MAX),
            dispatch,
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Runs a call: the caller's checks, then the call itself.
    pub fn handle(&self, call: &Call<'_>) -> Result<Encoded, IpcError> {
        self.check_caller(call.origin, call.key)?;
        self.handle_from_caller(call)
    }

    /// Whether calls are accepted from pages of `origin`.
    pub fn accepts_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|allowed| allowed == origin)
    }

    /// Refuses a caller from another origin or without this launch's key. It comes first, so
    /// that such a caller learns nothing about the app's endpoints.
    pub fn check_caller(&self, origin: Option<&str>, key: Option<&str>) -> Result<(), IpcError> {
        match origin {
            Some(o) if self.accepts_origin(o) => {}
            other => {
                return Err(IpcError::Forbidden(format!(
                    "calls are accepted only from the app's own pages, not from {}",
                    other.unwrap_or("an unknown origin")
                )));
            }
        }
        if !key.is_some_and(|k| same(k.as_bytes(), self.key.as_bytes())) {
            return Err(IpcError::Forbidden(
                "the call does not carry this launch's key".into(),
            ));
        }
        Ok(())
    }

    /// Runs a call whose caller a transport has already checked with [`Router::check_caller`].
    pub fn handle_from_caller(&self, call: &Call<'_>) -> Result<Encoded, IpcError> {
        self.handle_running(call, &Running::detached())
    }

    /// [`Router::handle_from_caller`] for a call its page follows (see [`Dispatch::dispatch_running`]).
    /// A call cancelled before it starts does not start.
    pub fn handle_running(&self, call: &Call<'_>, running: &Running) -> Result<Encoded, IpcError> {
        if call.body.len() > self.max_payload {
            return Err(IpcError::TooLarge(self.max_payload));
        }
        let name = endpoint_name(call.endpoint)?;
        let Some(endpoint) = self.endpoints.get(name) else {
            return Err(IpcError::NotFound(name.to_owned()));
        };
        if !self.granted(call.window, call.endpoint) {
            return Err(IpcError::Forbidden(format!(
                "window `{}` is not granted `{}` (see its `endpoints` in app.toml)",
                call.window, call.endpoint
            )));
        }
        let args = match call.body {
            Body::Bytes(b) => Args::Bytes(b.to_vec()),
            Body::Json(b) => Args::Json(decode(b)?),
            Body::Mixed { side, data } => Args::Mixed(decode(side)?, data.to_vec()),
        };
        if running.is_cancelled() {
            return Err(IpcError::Cancelled);
        }
        let reply = match self.dispatch.dispatch_running(
            call.endpoint,
            endpoint,
            call.window,
            args,
            running,
        )? {
            Reply::Json(v) => Encoded::Json(v.to_string().into_bytes()),
            Reply::JsonText(b) => Encoded::Json(b),
            Reply::Bytes(b) => Encoded::Bytes(b),
        };
        let (Encoded::Json(b) | Encoded::Bytes(b)) = &reply;
        if b.len() > self.max_payload {
            return Err(IpcError::TooLarge(self.max_payload));
        }
        Ok(reply)
    }

    fn granted(&self, window: &str, endpoint: &str) -> bool {
        match self.grants.get(window) {
            Some(None) => true,
            Some(Some(list)) => list.iter().any(|g| wildcard_match(g, endpoint)),
            None => false,
        }
    }

    /// Hands a page's event to the endpoints that listen for it (see [`Dispatch::on_event`]).
    pub fn on_event(&self, source: Option<&str>, event: &str, data: &str) {
        self.dispatch.on_event(source, event, data);
    }

    /// Whether a call to `endpoint` is quick (see [`Dispatch::is_quick`]); an unknown one is not.
    pub fn is_quick(&self, endpoint: &str) -> bool {
        self.endpoints
            .get(endpoint)
            .is_some_and(|e| self.dispatch.is_quick(e))
    }
}

/// The one canonical form of an endpoint name, shared by both transports: the name exactly as
/// the manifest validates it (dot-separated ASCII letters, digits, `_` and `-`). Nothing is
/// "fixed up": no case folding, no percent-decoding, no trimming of a trailing `/` or of a
/// `?query`, no Unicode normalisation. So `Notes.Save`, `notes%2Esave`, `notes.save/`,
/// `notes.save?x` or a fullwidth or Cyrillic look-alike never reach `notes.save`: a name that is
/// not well-formed is refused as `not_found`, as an undeclared one is.
pub fn endpoint_name(raw: &str) -> Result<&str, IpcError> {
    if crate::manifest::is_endpoint_name(raw) {
        Ok(raw)
    } else {
        Err(IpcError::NotFound(raw.to_owned()))
    }
}

/// JSON arguments; an empty body is `null`.
fn decode(bytes: &[u8]) -> Result<Value, IpcError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .map_err(|e| IpcError::BadArgs(format!("the arguments are not JSON: {e}")))
}

/// With `APPHOST_TRACE_CALLS=1`, one line per call arrival on stderr,
/// `apphost-call <µs> <endpoint>` on a monotonic clock: the IPC benchmark times round trips
/// from the gaps between arrivals, as its bare-wry floor does.
pub fn trace_arrival(endpoint: &str) {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    let start = START.get_or_init(|| {
        (std::env::var_os("APPHOST_TRACE_CALLS").is_some_and(|v| v == "1")).then(Instant::now)
    });
    if let Some(start) = start {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr().lock(),
            "apphost-call {} {endpoint}",
            start.elapsed().as_micros()
        );
    }
}

/// Compares in time that depends only on the lengths, so the key cannot be guessed byte by byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh per-launch key: 256 bits from the OS CSPRNG, hex.
pub fn launch_key() -> Result<String, getrandom::Error> {
    crate::random::hex(32)
}

#[cfg(test)]
mod tests;
