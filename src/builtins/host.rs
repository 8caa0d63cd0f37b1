//! The builtins bound to their Rust code: the [`Dispatch`] the IPC router hands checked calls
//! to. Handlers that touch windows or the app run on the UI thread through [`Ui`]; the rest
//! run right here, on the worker thread.

use serde_json::{Value, json};

use super::store::Store;
use crate::ipc::{Args, Dispatch, IpcError, Reply};
use crate::manifest::{App, Endpoint, Handler, Security};
use crate::runtime::navigation;

/// A request for the UI thread.
#[derive(Debug, Clone, PartialEq)]
pub enum UiRequest {
    Exit(i32),
    /// The labels of open windows, with their state.
    ListWindows,
    /// `window.<op>` on the window `label`.
    Window {
        label: String,
        op: String,
        args: Value,
    },
}

/// Carries a [`UiRequest`] to the UI thread and waits for its answer.
pub type Ui = Box<dyn Fn(UiRequest) -> Result<Value, IpcError> + Send + Sync>;

pub struct Host {
    id: String,
    name: String,
    version: Option<String>,
    security: Security,
    store: Store,
    ui: Ui,
}

impl Host {
    pub fn new(app: &App, dirs: &super::paths::AppDirs, ui: Ui) -> Host {
        Host {
            id: app.id.clone(),
            name: app.name.clone(),
            version: app.version.clone(),
            security: app.security.clone(),
            store: Store::new(dirs.data.join("store.json")),
            ui,
        }
    }
}

impl Dispatch for Host {
    fn dispatch(
        &self,
        _name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
    ) -> Result<Reply, IpcError> {
        let Handler::Builtin(builtin) = &endpoint.handler else {
            return Err(IpcError::Unavailable(
                "script (Rhai) endpoints are not in this build yet".into(),
            ));
        };
        let args = match args {
            Args::Json(v) => v,
            Args::Bytes(_) => {
                return Err(IpcError::BadArgs(format!(
                    "`{builtin}` takes JSON arguments, not bytes"
                )));
            }
        };
        let (group, op) = builtin.split_once('.').unwrap_or((builtin, ""));
        let value = match group {
            "app" => self.app(op, &args)?,
            "store" => self.store.call(op, &args)?,
            "window" => {
                let label = match args.get("label") {
                    None | Some(Value::Null) => window.to_owned(),
                    Some(Value::String(l)) => l.clone(),
                    Some(_) => return Err(IpcError::BadArgs("`label` must be a string".into())),
                };
                if op == "list" {
                    (self.ui)(UiRequest::ListWindows)?
                } else {
                    (self.ui)(UiRequest::Window {
                        label,
                        op: op.to_owned(),
                        args,
                    })?
                }
            }
            "shell" if op == "open" => self.shell_open(&args)?,
            _ => {
                return Err(IpcError::Unavailable(format!(
                    "`{builtin}` is not available in this build yet"
                )));
            }
        };
        Ok(Reply::Json(value))
    }
}

impl Host {
    fn app(&self, op: &str, args: &Value) -> Result<Value, IpcError> {
        match op {
            "info" => Ok(json!({
                "id": self.id,
                "name": self.name,
                "version": self.version,
                "host_version": env!("CARGO_PKG_VERSION"),
            })),
            "exit" => {
                let code = match args.get("code") {
                    None | Some(Value::Null) => 0,
                    Some(c) => c
                        .as_i64()
                        .and_then(|c| i32::try_from(c).ok())
                        .ok_or_else(|| IpcError::BadArgs("`code` must be an integer".into()))?,
                };
                (self.ui)(UiRequest::Exit(code))
            }
            _ => Err(IpcError::NotFound(format!("app.{op}"))),
        }
    }

    /// Opens a URL with the system's handler, only if `security.open-external` allows it.
    fn shell_open(&self, args: &Value) -> Result<Value, IpcError> {
        let url = args
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| IpcError::BadArgs("expected { url: string }".into()))?;
        if navigation::classify(url, &self.security) != navigation::Verdict::External {
            return Err(IpcError::Forbidden(format!(
                "`{url}` does not match security.open-external"
            )));
        }
        navigation::open_external(url);
        Ok(Value::Null)
    }
}
