//! The host API a script sees, deny by default: everything that reaches outside the sandbox
//! (store, files, endpoints, network, windows) goes through the running call's [`Cx`], which
//! knows the endpoint and so its `scope`, `invoke` and `allow-urls` grants. File, store and
//! endpoint calls reuse the builtins' code: a script can do nothing a page could not do
//! through a builtin endpoint with the same grants.

use std::cell::RefCell;
use std::sync::Arc;

use rhai::{Blob, Dynamic, Engine, EvalAltResult, FLOAT, INT, Map, Position};
use serde_json::{Value, json};

use super::{Shared, convert};
use crate::ipc::{Args, IpcError, Reply, Running};
use crate::manifest::{Endpoint, Handler};

/// The call a host function serves.
pub struct Cx {
    pub shared: Arc<Shared>,
    /// The script endpoint's name and declaration (its grants).
    pub name: String,
    pub endpoint: Arc<Endpoint>,
    /// The calling window (events have none: `""`).
    pub window: String,
    /// The call as its page follows it: `progress` goes there (nowhere for an event's run).
    pub running: Running,
}

thread_local! {
    /// The running call's context. Host functions are registered once per engine and shared
    /// by every call, while a call runs on one thread from start to end: the thread says which
    /// call (and so which grants) a host function serves.
    static CX: RefCell<Option<Arc<Cx>>> = const { RefCell::new(None) };
}

impl Cx {
    /// Runs `f` with this context installed on the current thread.
    pub fn run<T>(self: Arc<Self>, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<Arc<Cx>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                CX.with(|c| *c.borrow_mut() = self.0.take());
            }
        }
        let _restore = Restore(CX.with(|c| c.borrow_mut().replace(self)));
        f()
    }
}

/// An error of the host API, carrying the code the page would get for the same refusal. A
/// script can catch it (`try { … } catch (e) { e.code }`); uncaught, the call rejects with it.
#[derive(Debug, Clone)]
pub struct HostError(pub IpcError);

type Res<T> = Result<T, Box<EvalAltResult>>;

fn fail(e: IpcError) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(HostError(e)), Position::NONE).into()
}

fn with_cx<T>(f: impl FnOnce(&Cx) -> Res<T>) -> Res<T> {
    let cx = CX.with(|c| c.borrow().clone());
    match cx {
        Some(cx) => f(&cx),
        None => Err(fail(IpcError::Unavailable(
            "host functions work only during a call".into(),
        ))),
    }
}

fn json_arg(v: &Dynamic) -> Res<Value> {
    convert::to_json(v).map_err(|e| match e {
        convert::Unfit::NoForm(m) => fail(IpcError::BadArgs(m)),
        convert::Unfit::TooLarge(m) => super::sandbox::too_large(m),
    })
}

/// `v` as JSON text, written straight from the value (keys in their remembered order).
pub(super) fn json_text(v: &Dynamic) -> Res<String> {
    convert::json_text(v).map_err(|e| match e {
        convert::Unfit::NoForm(m) => fail(IpcError::BadArgs(m)),
        convert::Unfit::TooLarge(m) => super::sandbox::too_large(m),
    })
}

/// A value from the host's JSON, checked against the call's limits like an argument.
fn from_json(v: Value) -> Res<Dynamic> {
    convert::from_json(v).map_err(|e| super::sandbox::too_large(e.to_string()))
}

impl Cx {
    /// A builtin under this endpoint's grants (its `scope` for files).
    fn builtin(&self, builtin: &str, args: Args) -> Res<Dynamic> {
        let endpoint = Endpoint {
            handler: Handler::Builtin(builtin.to_owned()),
            scope: self.endpoint.scope.clone(),
            allow_urls: Vec::new(),
            invoke: Vec::new(),
            on: Vec::new(),
            timeout: self.endpoint.timeout,
            limits: self.endpoint.limits,
        };
        let reply = self
            .shared
            .builtins
            .dispatch(builtin, &endpoint, &self.window, args)
            .map_err(fail)?;
        from_reply(reply)
    }

    fn fs(&self, op: &str, args: Value, bytes: Option<Vec<u8>>) -> Res<Dynamic> {
        let s = &self.shared;
        let reply = crate::builtins::fs::call(
            op,
            &args,
            bytes,
            &self.endpoint.scope,
            &s.dirs,
            s.max_payload,
        )
        .map_err(fail)?;
        from_reply(reply)
    }

    fn invoke(&self, name: &str, args: Dynamic) -> Res<Dynamic> {
        if !self.endpoint.invoke.iter().any(|n| n == name) {
            return Err(fail(IpcError::Forbidden(format!(
                "endpoint `{}` may not invoke `{name}` (add it to its `invoke` list)",
                self.name
            ))));
        }
        let Some(target) = self.shared.endpoints.get(name) else {
            return Err(fail(IpcError::NotFound(name.to_owned())));
        };
        if !matches!(target.handler, Handler::Builtin(_)) {
            return Err(fail(IpcError::Forbidden(format!(
                "`{name}` is not a builtin endpoint; scripts may invoke builtins only"
            ))));
        }
        let args = if args.is_blob() {
            Args::Bytes(args.cast::<Blob>())
        } else {
            Args::Json(json_arg(&args)?)
        };
        let reply = self
            .shared
            .builtins
            .dispatch(name, target, &self.window, args)
            .map_err(fail)?;
        from_reply(reply)
    }

    /// An HTTP request under `allow-urls`; the answer's body is bounded like an IPC payload.
    fn http(&self, method: &str, url: &str, body: Option<(Vec<u8>, &str)>) -> Res<Map> {
        let max = usize::try_from(self.shared.max_payload).unwrap_or(usize::MAX);
        super::http::request(&self.endpoint.allow_urls, method, url, body, max)
    }

    fn emit(&self, event: &str, data: &Dynamic) -> Res<()> {
        let data = json_arg(data)?.to_string();
        let max = usize::try_from(self.shared.max_payload).unwrap_or(usize::MAX);
        if data.len() > max {
            return Err(fail(IpcError::TooLarge(max)));
        }
        match self.shared.emit.get() {
            Some(emit) => {
                emit(
                    &format!("{}{}", super::SCRIPT_SOURCE, self.name),
                    event,
                    &data,
                );
                Ok(())
            }
            None => Err(fail(IpcError::Unavailable(
                "emit is not connected to the windows in this build".into(),
            ))),
        }
    }
}

fn from_reply(reply: Reply) -> Res<Dynamic> {
    match reply {
        Reply::Json(v) => from_json(v),
        Reply::JsonText(b) => from_json(
            serde_json::from_slice(&b).map_err(|e| fail(IpcError::Handler(e.to_string())))?,
        ),
        Reply::Bytes(b) => {
            super::sandbox::check_len(super::sandbox::Size::Array, b.len())?;
            Ok(Dynamic::from_blob(b))
        }
    }
}

/// Registers the host API on `engine`.
pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<HostError>("HostError")
        .register_get("code", |e: &mut HostError| e.0.code().to_owned())
        .register_get("message", |e: &mut HostError| e.0.to_string())
        .register_fn("to_string", |e: &mut HostError| {
            format!("{}: {}", e.0.code(), e.0)
        });

    engine.register_fn("log", |v: Dynamic| {
        let endpoint = CX.with(|c| c.borrow().as_ref().map(|c| c.name.clone()));
        tracing::info!(target: "apphost::script", "{}: {v}", endpoint.unwrap_or_default());
    });
    engine.register_fn("now", || -> INT {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| INT::try_from(d.as_millis()).unwrap_or(INT::MAX))
    });
    engine.register_fn("to_json", |v: Dynamic| -> Res<String> { json_text(&v) });
    engine.register_fn("parse_json", |s: &str| -> Res<Dynamic> {
        let v = serde_json::from_str(s)
            .map_err(|e| fail(IpcError::BadArgs(format!("not JSON: {e}"))))?;
        from_json(v)
    });

    engine.register_fn("store_get", |k: &str| {
        with_cx(|cx| cx.builtin("store.get", Args::Json(json!({ "key": k }))))
    });
    engine.register_fn("store_set", |k: &str, v: Dynamic| {
        with_cx(|cx| {
            let value = json_arg(&v)?;
            cx.builtin("store.set", Args::Json(json!({ "key": k, "value": value })))
                .map(drop)
        })
    });
    engine.register_fn("store_delete", |k: &str| {
        with_cx(|cx| cx.builtin("store.delete", Args::Json(json!({ "key": k }))))
    });
    engine.register_fn("store_keys", || {
        with_cx(|cx| cx.builtin("store.keys", Args::Json(Value::Null)))
    });

    for op in [
        "read_text",
        "read_bytes",
        "list",
        "exists",
        "stat",
        "mkdir",
        "remove",
    ] {
        engine.register_fn(format!("fs_{op}"), move |path: &str| {
            with_cx(|cx| cx.fs(op, json!({ "path": path }), None))
        });
    }
    engine.register_fn("fs_write_text", |path: &str, text: &str| {
        with_cx(|cx| cx.fs("write_text", json!({ "path": path, "text": text }), None))
    });
    engine.register_fn("fs_write_bytes", |path: &str, data: Blob| {
        with_cx(|cx| cx.fs("write_bytes", json!({ "path": path }), Some(data)))
    });
    engine.register_fn("fs_rename", |from: &str, to: &str| {
        with_cx(|cx| cx.fs("rename", json!({ "from": from, "to": to }), None))
    });

    engine.register_fn("invoke", |name: &str, args: Dynamic| {
        with_cx(|cx| cx.invoke(name, args))
    });
    engine.register_fn("invoke", |name: &str| {
        with_cx(|cx| cx.invoke(name, Dynamic::UNIT))
    });
    engine.register_fn("emit", |event: &str, data: Dynamic| {
        with_cx(|cx| cx.emit(event, &data))
    });
    engine.register_fn("emit", |event: &str| {
        with_cx(|cx| cx.emit(event, &Dynamic::UNIT))
    });

    // Coalesced by `Running` (one event per 50 ms at most): cheap enough to call in a loop.
    engine.register_fn("progress", |fraction: FLOAT| {
        with_cx(|cx| {
            cx.running.progress(fraction, None);
            Ok(())
        })
    });
    engine.register_fn("progress", |fraction: INT| {
        with_cx(|cx| {
            cx.running.progress(fraction as FLOAT, None);
            Ok(())
        })
    });
    engine.register_fn("progress", |fraction: FLOAT, message: &str| {
        with_cx(|cx| {
            cx.running.progress(fraction, Some(message));
            Ok(())
        })
    });
    engine.register_fn("progress", |fraction: INT, message: &str| {
        with_cx(|cx| {
            cx.running.progress(fraction as FLOAT, Some(message));
            Ok(())
        })
    });

    engine.register_fn("http_get", |url: &str| -> Res<Map> {
        with_cx(|cx| cx.http("GET", url, None))
    });
    engine.register_fn("http_post", |url: &str, body: Dynamic| -> Res<Map> {
        with_cx(|cx| {
            let body = if body.is_string() {
                let s = body.into_immutable_string().unwrap_or_default();
                (s.as_bytes().to_vec(), "text/plain; charset=utf-8")
            } else if body.is_blob() {
                (body.cast::<Blob>(), "application/octet-stream")
            } else {
                let json = json_arg(&body)?.to_string();
                (json.into_bytes(), "application/json")
            };
            cx.http("POST", url, Some(body))
        })
    });
}

pub(super) fn host_error(e: IpcError) -> Box<EvalAltResult> {
    fail(e)
}
