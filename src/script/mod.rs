//! Script endpoints: Rhai functions in the app's `scripts/*.rhai`, run in a sandbox
//! ([`sandbox`]) with a small host API ([`api`]). Scripts are read from the app's [`Source`].
//! Each script file is compiled once and its AST cached, keyed on the file's path and stamped
//! with the source's stamp of it (a folder's: modification time and length), so an edited
//! script is recompiled on its next call; the dev watcher compiles it ahead with
//! [`Scripts::refresh`], and a version that does not compile never replaces one that did. A
//! call runs on the thread that dispatches it (the IPC layer gives
//! every script call its own worker thread), so calls run in parallel and the per-thread
//! memory count and clock of [`sandbox::Budget`] belong to that call alone.
//!
//! Page events reach scripts too: an endpoint with `on = ["pattern", …]` has its script's
//! `on_event(name, data)` called on a fresh thread for each matching `emit`.

mod alloc;
mod api;
mod bounded;
mod convert;
mod error;
mod http;
mod lib;
mod order;
mod sandbox;

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rhai::{AST, CallFnOptions, Dynamic, Engine, Scope};

use crate::builtins::paths::AppDirs;
use crate::ipc::{Args, Dispatch, IpcError, Reply};
use crate::manifest::{App, Endpoint, Handler, Limits};
use crate::pattern::wildcard_match;
use crate::source::Source;

/// Sends an event to every window: (source, event, JSON text). The source is
/// [`SCRIPT_SOURCE`] followed by the endpoint's name; no window label contains `:`, so pages can
/// tell, and [`Scripts::on_event`] does not hand scripts' own events back to scripts (an
/// endpoint listening to what it emits would loop).
pub type Emitter = Box<dyn Fn(&str, &str, &str) + Send + Sync>;

/// How the source of an event a script emitted starts.
pub const SCRIPT_SOURCE: &str = "script:";

pub use crate::manifest::EVENT_FN;

pub use crate::manifest::MAX_SCRIPT_DEPTH as MAX_DEPTH;

/// At most this many event handlers run at once; further events are dropped with a warning,
/// so a page emitting in a loop cannot pile up threads.
const MAX_EVENT_RUNS: usize = 16;

/// What the host API reaches, shared by every call.
pub struct Shared {
    /// The builtins, for the store and `invoke` (the same code pages reach).
    pub builtins: Arc<dyn Dispatch>,
    pub endpoints: BTreeMap<String, Endpoint>,
    pub dirs: AppDirs,
    pub max_payload: u64,
    /// Set once the windows exist; until then `emit` fails with `unavailable`.
    pub emit: OnceLock<Emitter>,
}

/// One script endpoint, ready to run.
struct Prepared {
    name: String,
    endpoint: Arc<Endpoint>,
    /// The script's path in the source, which messages name too.
    file: String,
    function: String,
    /// Index into [`Scripts::engines`].
    engine: usize,
}

/// A compiled script and what it was compiled from.
struct Compiled {
    stamp: Option<String>,
    ast: Arc<AST>,
}

/// Scripts larger than this are not read (`apphost check` refuses them above 4 MiB).
const MAX_SCRIPT_BYTES: u64 = 64 << 20;

pub struct Scripts {
    shared: Arc<Shared>,
    source: Arc<dyn Source>,
    endpoints: HashMap<String, Prepared>,
    /// One engine per distinct set of limits (rhai's limits are the engine's), built on first
    /// use: registering the standard library is not work for the app's start-up.
    engines: Vec<(Limits, OnceLock<Engine>)>,
    /// Keyed on the path and the engine (parse-time limits differ between engines).
    cache: Mutex<HashMap<(String, usize), Arc<Compiled>>>,
    event_runs: AtomicUsize,
}

impl Scripts {
    /// `builtins` answers the builtin calls scripts make (store, `invoke`); the scripts are
    /// read from `source`.
    pub fn new(
        app: &App,
        source: Arc<dyn Source>,
        dirs: &AppDirs,
        builtins: Arc<dyn Dispatch>,
    ) -> Scripts {
        let mut engines: Vec<(Limits, OnceLock<Engine>)> = Vec::new();
        let mut endpoints = HashMap::new();
        for (name, e) in &app.endpoints {
            let Handler::Script { path, function } = &e.handler else {
                continue;
            };
            let engine = match engines.iter().position(|(l, _)| *l == e.limits) {
                Some(i) => i,
                None => {
                    engines.push((e.limits, OnceLock::new()));
                    engines.len() - 1
                }
            };
            endpoints.insert(
                name.clone(),
                Prepared {
                    name: name.clone(),
                    endpoint: Arc::new(e.clone()),
                    file: path.clone(),
                    function: function.clone(),
                    engine,
                },
            );
        }
        Scripts {
            shared: Arc::new(Shared {
                builtins,
                endpoints: app.endpoints.clone(),
                dirs: dirs.clone(),
                max_payload: app.security.max_payload,
                emit: OnceLock::new(),
            }),
            source,
            endpoints,
            engines,
            cache: Mutex::new(HashMap::new()),
            event_runs: AtomicUsize::new(0),
        }
    }

    /// Connects `emit` to the windows (once; later calls are ignored).
    pub fn connect_emit(&self, emit: Emitter) {
        let _ = self.shared.emit.set(emit);
    }

    /// Forgets the compiled form of `path` (as the resolved manifest names it): the next call
    /// compiles it again. Calls notice edits by themselves too, from the source's stamp of the
    /// file; the dev watcher compiles ahead with [`Scripts::refresh`].
    pub fn reload(&self, path: &str) {
        self.lock_cache().retain(|(p, _), _| p != path);
    }

    /// Runs script endpoint `name` for `window`.
    pub fn call(&self, name: &str, window: &str, args: Args) -> Result<Reply, IpcError> {
        let p = self
            .endpoints
            .get(name)
            .ok_or_else(|| IpcError::NotFound(name.to_owned()))?;
        let max = usize::try_from(self.shared.max_payload).unwrap_or(usize::MAX);
        self.run(
            p,
            window,
            &p.function,
            |ast| {
                let params = ast
                    .iter_functions()
                    .find(|f| f.name == p.function)
                    .map(|f| f.params.len());
                match params {
                    Some(0) => Ok(Vec::new()),
                    Some(1) => Ok(vec![convert::args(args)?]),
                    Some(n) => Err(IpcError::Handler(format!(
                        "{}: fn `{}` takes {n} parameters; an endpoint function takes its arguments as one (or none)",
                        p.file, p.function
                    ))),
                    None => Err(IpcError::Handler(format!(
                        "{} has no function `{}` (the endpoint's `fn`)",
                        p.file, p.function
                    ))),
                }
            },
            |value| convert::reply(value, max),
        )
    }

    /// Hands an event a page emitted to every endpoint whose `on` matches it, each on its own
    /// thread: the caller is the UI thread.
    pub fn on_event(self: &Arc<Self>, source: Option<&str>, event: &str, data: &str) {
        if source.is_some_and(|s| s.starts_with(SCRIPT_SOURCE)) {
            return;
        }
        for (name, p) in &self.endpoints {
            if !p.endpoint.on.iter().any(|pat| wildcard_match(pat, event)) {
                continue;
            }
            if self.event_runs.fetch_add(1, Ordering::SeqCst) >= MAX_EVENT_RUNS {
                self.event_runs.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(
                    "event `{event}` not handed to `{name}`: too many event handlers running"
                );
                continue;
            }
            let me = Arc::clone(self);
            let (name, window) = (name.clone(), source.unwrap_or_default().to_owned());
            let (ev, data) = (event.to_owned(), data.to_owned());
            let spawned = std::thread::Builder::new()
                .name("apphost-script-event".into())
                .spawn(move || {
                    if let Err(e) = me.event(&name, &window, &ev, &data) {
                        tracing::warn!("{name}: on_event(`{ev}`): {e}");
                    }
                    me.event_runs.fetch_sub(1, Ordering::SeqCst);
                });
            if let Err(e) = spawned {
                self.event_runs.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!("no thread for event `{event}`: {e}");
            }
        }
    }

    /// Calls `on_event(event, data)` in endpoint `name`'s script, on this thread.
    pub fn event(&self, name: &str, window: &str, event: &str, data: &str) -> Result<(), IpcError> {
        let p = self
            .endpoints
            .get(name)
            .ok_or_else(|| IpcError::NotFound(name.to_owned()))?;
        let data = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
        self.run(
            p,
            window,
            EVENT_FN,
            |_| {
                Ok(vec![
                    Dynamic::from(event.to_owned()),
                    convert::from_json(data)?,
                ])
            },
            |_| Ok(()),
        )
    }

    /// Compiles (or finds) `p`'s script and calls `function` with the arguments `args` makes,
    /// inside the call's budget and host context, catching panics; `out` turns the result
    /// into the reply. Both conversions run inside the call's limits and its table of key
    /// orders ([`order::scope`]).
    fn run<R>(
        &self,
        p: &Prepared,
        window: &str,
        function: &str,
        args: impl FnOnce(&AST) -> Result<Vec<Dynamic>, IpcError>,
        out: impl FnOnce(Dynamic) -> Result<R, IpcError>,
    ) -> Result<R, IpcError> {
        let (limits, engine) = self
            .engines
            .get(p.engine)
            .ok_or_else(|| IpcError::Handler("no engine for this endpoint".into()))?;
        let engine = engine.get_or_init(|| build_engine(limits));
        let compiled = self.compiled(p, engine, limits)?;
        let cx = Arc::new(api::Cx {
            shared: Arc::clone(&self.shared),
            name: p.name.clone(),
            endpoint: Arc::clone(&p.endpoint),
            window: window.to_owned(),
        });
        let budget = sandbox::Budget::new(limits);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            order::scope(|| {
                budget.run(|| {
                    let args = args(&compiled.ast)?;
                    let options = CallFnOptions::new().eval_ast(false).rewind_scope(false);
                    let value = cx
                        .run(|| {
                            engine.call_fn_with_options::<Dynamic>(
                                options,
                                &mut Scope::new(),
                                &compiled.ast,
                                function,
                                args,
                            )
                        })
                        .map_err(|e| error::runtime(&p.file, *e, limits))?;
                    out(value)
                })
            })
        }));
        outcome.unwrap_or_else(|_| {
            tracing::error!("a call to {} panicked; the host carries on", p.file);
            Err(IpcError::Handler(format!(
                "{}: the script engine failed on this call",
                p.file
            )))
        })
    }

    fn compiled(
        &self,
        p: &Prepared,
        engine: &Engine,
        limits: &Limits,
    ) -> Result<Arc<Compiled>, IpcError> {
        let stamp = self.source.stamp(&p.file);
        if let Some(c) = self.lock_cache().get(&(p.file.clone(), p.engine))
            && c.stamp == stamp
        {
            return Ok(Arc::clone(c));
        }
        // A save the watcher has not reported yet may be broken: the call runs the last version
        // that compiled (`compile` keeps it), and the error waits for the dev overlay.
        self.compile(p, engine, limits, stamp).or_else(|e| {
            self.lock_cache()
                .get(&(p.file.clone(), p.engine))
                .map(Arc::clone)
                .ok_or(e)
        })
    }

    /// Compiles `p`'s script as the source has it now and caches it. When that fails and an older
    /// version compiled, the older one stays in force (stamped as current, so that calls do
    /// not compile the broken text again and again) and the error is still returned: a broken
    /// save never takes a working endpoint down.
    fn compile(
        &self,
        p: &Prepared,
        engine: &Engine,
        limits: &Limits,
        stamp: Option<String>,
    ) -> Result<Arc<Compiled>, IpcError> {
        let key = (p.file.clone(), p.engine);
        let fresh = self
            .source
            .read(&p.file, MAX_SCRIPT_BYTES)
            .map_err(|e| IpcError::Handler(format!("{} {e}", p.file)))
            .and_then(|bytes| {
                let text = String::from_utf8_lossy(&bytes);
                engine
                    .compile(&text)
                    .map_err(|e| error::compile(&p.file, &e, limits))
            });
        let mut cache = self.lock_cache();
        match fresh {
            Ok(mut ast) => {
                ast.set_source(p.file.as_str());
                let compiled = Arc::new(Compiled {
                    stamp,
                    ast: Arc::new(ast),
                });
                cache.insert(key, Arc::clone(&compiled));
                Ok(compiled)
            }
            Err(e) => match cache.get(&key).map(|old| Arc::clone(&old.ast)) {
                Some(ast) => {
                    tracing::warn!("{e}; the last version that compiled stays in force");
                    cache.insert(key, Arc::new(Compiled { stamp, ast }));
                    Err(e)
                }
                None => Err(e),
            },
        }
    }

    /// Compiles every endpoint's script now (see [`Scripts::refresh`]), each file once, so that
    /// a script saved broken before its first call still has a version that compiled. Returns
    /// the errors of the files that do not compile.
    pub fn refresh_all(&self) -> Vec<IpcError> {
        let mut paths: Vec<&str> = self.endpoints.values().map(|p| p.file.as_str()).collect();
        paths.sort();
        paths.dedup();
        paths
            .into_iter()
            .filter_map(|p| self.refresh(p).err())
            .collect()
    }

    /// Compiles `path` (as the resolved manifest names it) for every endpoint that
    /// runs it, now, off the calls' path: the dev watcher calls this when the file changes, so
    /// the next call finds it ready. Calls already running finish on the code they started
    /// with. On a compile error the last version that compiled stays in force and the error
    /// (with `file:line:col`) is returned. `Ok(false)`: no endpoint runs this file.
    pub fn refresh(&self, path: &str) -> Result<bool, IpcError> {
        let stamp = self.source.stamp(path);
        let mut used = false;
        for p in self.endpoints.values().filter(|p| p.file == path) {
            used = true;
            let Some((limits, engine)) = self.engines.get(p.engine) else {
                continue;
            };
            let engine = engine.get_or_init(|| build_engine(limits));
            self.compile(p, engine, limits, stamp.clone())?;
        }
        Ok(used)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, usize), Arc<Compiled>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sandboxed engine of `limits` with the host API.
fn build_engine(limits: &Limits) -> Engine {
    let mut engine = sandbox::engine(limits);
    api::register(&mut engine);
    order::register(&mut engine);
    lib::register(&mut engine);
    engine
}

/// A problem `apphost check` reports in a script.
pub use crate::manifest::ScriptProblem as Problem;

/// The engine's side of checking a manifest: compiles each script it names.
pub struct Checker;

impl crate::manifest::ScriptCheck for Checker {
    fn functions(&self, text: &str, limits: &Limits) -> Result<Vec<(String, usize)>, Problem> {
        check(text, limits)
    }
}

/// Compiles `text` with the sandbox of `limits` and lists the functions it defines with their
/// parameter counts; a compile error is a [`Problem`].
pub fn check(text: &str, limits: &Limits) -> Result<Vec<(String, usize)>, Problem> {
    let engine = sandbox::parser(limits);
    match engine.compile(text) {
        Ok(ast) => Ok(ast
            .iter_functions()
            .map(|f| (f.name.to_owned(), f.params.len()))
            .collect()),
        Err(e) => Err(Problem {
            message: e.err_type().to_string(),
            line: e.position().line().unwrap_or(1),
            column: e.position().position().unwrap_or(1),
        }),
    }
}
