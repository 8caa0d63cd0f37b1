//! The builtins bound to their Rust code: the [`Dispatch`] the IPC router hands checked calls
//! to. Handlers that touch windows, menus, the clipboard or dialogs run on the UI thread through
//! [`Ui`]; the rest run right here, on the worker thread.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::store::Store;
use crate::ipc::{Args, Dispatch, IpcError, Reply, Running};
use crate::manifest::{App, Endpoint, Handler, Security};
use crate::navigation;
use crate::script::Scripts;
use crate::source::Source;

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
    /// `clipboard.read_text` (`text` is `None`) or `clipboard.write_text`.
    Clipboard {
        text: Option<String>,
    },
    /// `dialog.<op>`, modal to the calling window.
    Dialog {
        window: String,
        op: String,
        args: Value,
    },
    /// `menu.<op>` on an item by its manifest id.
    Menu {
        op: String,
        args: Value,
    },
}

/// How long a builtin waits for the UI thread, unless it waits for the user (a dialog).
const UI_WAIT: Duration = Duration::from_secs(10);

/// Carries a [`UiRequest`] to the UI thread and waits for its answer, at most the given time
/// (`None`: as long as it takes).
pub type Ui = Box<dyn Fn(UiRequest, Option<Duration>) -> Result<Value, IpcError> + Send + Sync>;

/// What outlives a generation of the app: its data folders, its store (one lock for every
/// writer) and the way to the UI thread.
#[derive(Clone)]
pub struct Lasting {
    pub dirs: super::paths::AppDirs,
    pub store: Arc<Store>,
    pub ui: Arc<Ui>,
    pub launch: Arc<Launch>,
    /// The loopback origin that serves this launch's media files (`src/media`), which pages'
    /// `media-src` admits; `None` where there is none (tests, or binding failed).
    pub media: Option<String>,
}

/// How this process was started, as `app.info` tells the page.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// The command-line arguments meant for the app: a packaged app's own arguments (a file
    /// manager opening a file with it passes the file), or what follows `--` in `apphost run`.
    pub args: Vec<String>,
    /// Whether the app runs from a packaged executable.
    pub packaged: bool,
}

impl Lasting {
    pub fn new(dirs: &super::paths::AppDirs, ui: Ui) -> Lasting {
        Lasting {
            store: Arc::new(Store::new(dirs.data.join("store.json"))),
            dirs: dirs.clone(),
            ui: Arc::new(ui),
            launch: Arc::default(),
            media: None,
        }
    }
}

/// The builtins of one generation of the app: the [`Dispatch`] that scripts reach the store
/// and `invoke` through, and that [`Host`] hands builtin endpoints to.
pub struct Builtins {
    id: String,
    name: String,
    version: Option<String>,
    security: Security,
    store: Arc<Store>,
    dirs: super::paths::AppDirs,
    max_payload: u64,
    ui: Arc<Ui>,
    launch: Arc<Launch>,
}

impl Builtins {
    pub fn new(app: &App, lasting: &Lasting) -> Builtins {
        Builtins {
            id: app.id.clone(),
            name: app.name.clone(),
            version: app.version.clone(),
            security: app.security.clone(),
            store: Arc::clone(&lasting.store),
            dirs: lasting.dirs.clone(),
            max_payload: app.security.max_payload,
            ui: Arc::clone(&lasting.ui),
            launch: Arc::clone(&lasting.launch),
        }
    }
}

/// Every handler of one generation of the app: the builtins and the script endpoints.
pub struct Host {
    builtins: Arc<Builtins>,
    scripts: Arc<Scripts>,
}

impl Host {
    /// The handlers of `app` (whose files are in `source`), with a store and data folders of
    /// their own (tests, benches).
    pub fn new(app: &App, source: Arc<dyn Source>, dirs: &super::paths::AppDirs, ui: Ui) -> Host {
        Host::build(app, source, &Lasting::new(dirs, ui))
    }

    /// The handlers of one generation of `app`, sharing what lasts across generations.
    pub fn build(app: &App, source: Arc<dyn Source>, lasting: &Lasting) -> Host {
        let builtins = Arc::new(Builtins::new(app, lasting));
        let scripts = Scripts::new(
            app,
            source,
            &lasting.dirs,
            Arc::clone(&builtins) as Arc<dyn Dispatch>,
        );
        Host {
            builtins,
            scripts: Arc::new(scripts),
        }
    }

    /// The script engine, to connect `emit` to the windows.
    pub fn scripts(&self) -> &Arc<Scripts> {
        &self.scripts
    }
}

impl Dispatch for Host {
    fn dispatch(
        &self,
        name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
    ) -> Result<Reply, IpcError> {
        self.dispatch_running(name, endpoint, window, args, &Running::detached())
    }

    /// A script stops once `running` is cancelled; a builtin runs to its end.
    fn dispatch_running(
        &self,
        name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
        running: &Running,
    ) -> Result<Reply, IpcError> {
        match &endpoint.handler {
            Handler::Builtin(_) => self.builtins.dispatch(name, endpoint, window, args),
            Handler::Script { .. } => self.scripts.call(name, window, args, running),
        }
    }

    fn on_event(&self, source: Option<&str>, event: &str, data: &str) {
        self.scripts.on_event(source, event, data);
    }

    fn is_quick(&self, endpoint: &Endpoint) -> bool {
        matches!(&endpoint.handler, Handler::Builtin(b) if super::is_quick(b))
    }
}

impl Dispatch for Builtins {
    fn dispatch(
        &self,
        _name: &str,
        endpoint: &Endpoint,
        window: &str,
        args: Args,
    ) -> Result<Reply, IpcError> {
        let Handler::Builtin(builtin) = &endpoint.handler else {
            return Err(IpcError::Forbidden(
                "scripts may invoke builtin endpoints only".into(),
            ));
        };
        if builtin == "app.echo" {
            // Whatever came in goes back: JSON as JSON, bytes as bytes.
            return Ok(match args {
                Args::Json(v) => Reply::Json(v),
                Args::Bytes(b) | Args::Mixed(_, b) => Reply::Bytes(b),
            });
        }
        let (group, op) = builtin.split_once('.').unwrap_or((builtin, ""));
        let (args, bytes) = match args {
            Args::Json(v) => (v, None),
            Args::Bytes(b) => (Value::Null, Some(b)),
            Args::Mixed(v, b) => (v, Some(b)),
        };
        if bytes.is_some() && !super::find(builtin).is_some_and(|b| b.bytes) {
            return Err(IpcError::BadArgs(format!(
                "`{builtin}` takes JSON arguments, not bytes"
            )));
        }
        let ui = |request| (self.ui)(request, Some(UI_WAIT));
        let value = match group {
            "app" => self.app(op, &args)?,
            "store" => self.store.call(op, &args)?,
            "fs" => {
                return super::fs::call(
                    op,
                    &args,
                    bytes,
                    &endpoint.scope,
                    &self.dirs,
                    self.max_payload,
                );
            }
            "window" => {
                let label = match args.get("label") {
                    None | Some(Value::Null) => window.to_owned(),
                    Some(Value::String(l)) => l.clone(),
                    Some(_) => return Err(IpcError::BadArgs("`label` must be a string".into())),
                };
                if op == "list" {
                    ui(UiRequest::ListWindows)?
                } else {
                    ui(UiRequest::Window {
                        label,
                        op: op.to_owned(),
                        args,
                    })?
                }
            }
            "clipboard" => {
                let text = match op {
                    "read_text" => None,
                    _ => Some(string_arg(&args, "text")?.to_owned()),
                };
                ui(UiRequest::Clipboard { text })?
            }
            "dialog" => {
                let mut args = args;
                if let Some(p) = args.get("default_path").and_then(Value::as_str) {
                    let expanded = self.dirs.expand(p).map_err(IpcError::BadArgs)?;
                    args["default_path"] = Value::from(expanded.to_string_lossy().into_owned());
                }
                // A dialog waits for the user: as long as it takes, unless `timeout-ms` says.
                (self.ui)(
                    UiRequest::Dialog {
                        window: window.to_owned(),
                        op: op.to_owned(),
                        args,
                    },
                    endpoint.timeout,
                )?
            }
            "menu" => ui(UiRequest::Menu {
                op: op.to_owned(),
                args,
            })?,
            "notification" => super::notify::show(&self.name, &args)?,
            "shell" if op == "open" => self.shell_open(&args)?,
            _ => {
                return Err(IpcError::Unavailable(format!(
                    "`{builtin}` is not available in this build"
                )));
            }
        };
        Ok(Reply::Json(value))
    }
}

/// The string argument `key`, or `bad_args` naming it.
pub fn string_arg<'a>(args: &'a Value, key: &str) -> Result<&'a str, IpcError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| IpcError::BadArgs(format!("expected {{ {key}: string }}")))
}

impl Builtins {
    fn app(&self, op: &str, args: &Value) -> Result<Value, IpcError> {
        match op {
            "info" => Ok(json!({
                "id": self.id,
                "name": self.name,
                "version": self.version,
                "host_version": env!("CARGO_PKG_VERSION"),
                "args": self.launch.args,
                "packaged": self.launch.packaged,
            })),
            "exit" => {
                let code = match args.get("code") {
                    None | Some(Value::Null) => 0,
                    Some(c) => c
                        .as_i64()
                        .and_then(|c| i32::try_from(c).ok())
                        .ok_or_else(|| IpcError::BadArgs("`code` must be an integer".into()))?,
                };
                (self.ui)(UiRequest::Exit(code), Some(UI_WAIT))
            }
            _ => Err(IpcError::NotFound(format!("app.{op}"))),
        }
    }

    /// Opens a URL with the system's handler if `security.open-external` allows it and it is
    /// safe to hand over (`navigation::external_url`); what is opened is the normalised URL.
    fn shell_open(&self, args: &Value) -> Result<Value, IpcError> {
        let raw = string_arg(args, "url")?;
        let url = navigation::external_url(raw, &self.security).map_err(|why| {
            tracing::warn!("shell.open refused {}: {why}", raw.escape_debug());
            IpcError::Forbidden(format!("`{}` is not opened: {why}", raw.escape_debug()))
        })?;
        navigation::open_external(&url);
        Ok(Value::Null)
    }
}
