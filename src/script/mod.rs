//! Script endpoints: Rhai functions in the app's `scripts/*.rhai`, run in a sandbox
//! ([`sandbox`]) with a small host API ([`api`]). Scripts are read from the app's [`Source`].
//! Each script file is compiled once, with every module it imports ([`modules`]), and its AST
//! cached, keyed on the file's path and stamped with the source's stamp of it and of each
//! module (a folder's: modification time and length), so a script is recompiled on its next
//! call after an edit to it or to anything it imports; the dev watcher compiles ahead with
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
mod check;
mod convert;
mod error;
mod http;
mod lib;
mod modules;
mod order;
mod sandbox;

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rhai::{AST, CallFnOptions, Dynamic, Engine, Scope};

use crate::builtins::paths::AppDirs;
use crate::ipc::{Args, Dispatch, IpcError, Reply, Running};
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
    /// Every file it was compiled from, the script first and then each module it imports, with
    /// its stamp then: a change to any of them compiles it again.
    stamps: Vec<(String, Option<String>)>,
    ast: Arc<AST>,
}

/// The compiled scripts, and what each script's last compile looked at.
#[derive(Default)]
struct Cache {
    /// Keyed on the path and the engine (parse-time limits differ between engines).
    compiled: HashMap<(String, usize), Arc<Compiled>>,
    /// The module files each script's latest compile looked at, whether it compiled or not
    /// (a missing module too): [`Scripts::refresh`] of one of them compiles the script again.
    imports: HashMap<String, Vec<String>>,
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
    cache: Mutex<Cache>,
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
            cache: Mutex::default(),
            event_runs: AtomicUsize::new(0),
        }
    }

    /// Connects `emit` to the windows (once; later calls are ignored).
    pub fn connect_emit(&self, emit: Emitter) {
        let _ = self.shared.emit.set(emit);
    }

    /// Forgets the compiled form of `path` (as the resolved manifest names it) and of every
    /// script that imports it: the next call compiles them again. Calls notice edits by
    /// themselves too, from the source's stamps; the dev watcher compiles ahead with
    /// [`Scripts::refresh`].
    pub fn reload(&self, path: &str) {
        self.lock_cache()
            .compiled
            .retain(|_, c| !c.stamps.iter().any(|(f, _)| f == path));
    }

    /// Runs script endpoint `name` for `window`; it stops once `running` is cancelled, and its
    /// `progress` reports go to `running`.
    pub fn call(
        &self,
        name: &str,
        window: &str,
        args: Args,
        running: &Running,
    ) -> Result<Reply, IpcError> {
        let p = self
            .endpoints
            .get(name)
            .ok_or_else(|| IpcError::NotFound(name.to_owned()))?;
        let max = usize::try_from(self.shared.max_payload).unwrap_or(usize::MAX);
        self.run(
            p,
            window,
            running,
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
            &Running::detached(),
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
        running: &Running,
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
            running: running.clone(),
        });
        let mut budget = sandbox::Budget::new(limits);
        if let Some(flag) = running.cancel_flag() {
            budget = budget.with_cancel(flag);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            order::scope(|| {
                budget.run(|| {
                    let args = args(&compiled.ast)?;
                    // The compiled AST's top level is its imports only (see `modules::runnable`):
                    // run it when there are some.
                    let imports = !compiled.ast.statements().is_empty();
                    let options = CallFnOptions::new().eval_ast(imports).rewind_scope(false);
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
        let key = (p.file.clone(), p.engine);
        let cached = self.lock_cache().compiled.get(&key).map(Arc::clone);
        if let Some(c) = cached
            && c.stamps.iter().all(|(f, s)| self.source.stamp(f) == *s)
        {
            return Ok(c);
        }
        // A save the watcher has not reported yet may be broken: the call runs the last version
        // that compiled (`compile` keeps it), and the error waits for the dev overlay.
        self.compile(&p.file, p.engine, engine, limits)
            .or_else(|e| {
                self.lock_cache()
                    .compiled
                    .get(&key)
                    .map(Arc::clone)
                    .ok_or(e)
            })
    }

    /// Compiles script `file` with engine number `index` (`engine`, of `limits`), as the source
    /// has it and the modules it imports now, and caches it. When that fails and an older
    /// version compiled, the older one stays in force (stamped as current, so that calls do not
    /// compile the broken text again and again) and the error is still returned: a broken save,
    /// of the script or of a module it imports, never takes a working endpoint down.
    fn compile(
        &self,
        file: &str,
        index: usize,
        engine: &Engine,
        limits: &Limits,
    ) -> Result<Arc<Compiled>, IpcError> {
        let key = (file.to_owned(), index);
        let mut stamps = vec![(file.to_owned(), self.source.stamp(file))];
        let fresh = self
            .source
            .read(file, MAX_SCRIPT_BYTES)
            .map_err(|e| IpcError::Handler(format!("{file} {e}")))
            .and_then(|bytes| {
                let text = String::from_utf8_lossy(&bytes);
                let ast = engine
                    .compile(&*text)
                    .map_err(|e| error::compile(file, &e, limits))?;
                let loaded = modules::load(
                    engine,
                    self.source.as_ref(),
                    MAX_SCRIPT_BYTES,
                    file,
                    &text,
                    &ast,
                );
                stamps.extend(loaded.files);
                if let Some(e) = loaded.error {
                    return Err(load_error(e, limits));
                }
                let modules = loaded
                    .modules
                    .into_iter()
                    .map(|(path, m)| (path, m.ast))
                    .collect();
                Ok(modules::runnable(file, &ast, modules))
            });
        let imports = stamps.iter().skip(1).map(|(f, _)| f.clone()).collect();
        let old = {
            let mut cache = self.lock_cache();
            cache.imports.insert(file.to_owned(), imports);
            cache.compiled.get(&key).map(Arc::clone)
        };
        match (fresh, old) {
            (Ok(ast), _) => {
                let compiled = Arc::new(Compiled {
                    stamps,
                    ast: Arc::new(ast),
                });
                self.lock_cache()
                    .compiled
                    .insert(key, Arc::clone(&compiled));
                Ok(compiled)
            }
            (Err(e), Some(old)) => {
                tracing::warn!("{e}; the last version that compiled stays in force");
                // Stamped with every file either version read, so that a fix to any of them
                // (a missing module created, too) is noticed.
                for (f, _) in &old.stamps {
                    if !stamps.iter().any(|(g, _)| g == f) {
                        stamps.push((f.clone(), self.source.stamp(f)));
                    }
                }
                let ast = Arc::clone(&old.ast);
                self.lock_cache()
                    .compiled
                    .insert(key, Arc::new(Compiled { stamps, ast }));
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// Compiles every endpoint's script now (see [`Scripts::refresh`]), each file once per
    /// engine, so that a script saved broken before its first call still has a version that
    /// compiled. Returns the errors of the files that do not compile.
    pub fn refresh_all(&self) -> Vec<IpcError> {
        let mut files: Vec<&str> = self.endpoints.values().map(|p| p.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files
            .into_iter()
            .filter_map(|f| self.compile_everywhere(f).err())
            .collect()
    }

    /// Compiles, now and off the calls' path, every endpoint script that is `path` (as the
    /// resolved manifest names it) or imports it, directly or not: the dev watcher calls this
    /// when a file changes, so the next call finds it ready. Calls already running finish on
    /// the code they started with. Returns each such script with how its compile went; on a
    /// compile error the last version that compiled stays in force and the error says
    /// `file:line:col` (of the module, when the error is in one). Empty: no endpoint runs or
    /// imports `path`.
    pub fn refresh(&self, path: &str) -> Vec<(String, Result<(), IpcError>)> {
        let importers: Vec<String> = {
            let cache = self.lock_cache();
            let mut files: Vec<String> = self
                .endpoints
                .values()
                .map(|p| &p.file)
                .filter(|f| {
                    f.as_str() == path
                        || cache
                            .imports
                            .get(*f)
                            .is_some_and(|i| i.iter().any(|m| m == path))
                        || cache.compiled.iter().any(|((c, _), compiled)| {
                            c == *f && compiled.stamps.iter().any(|(m, _)| m == path)
                        })
                })
                .cloned()
                .collect();
            files.sort_unstable();
            files.dedup();
            files
        };
        importers
            .into_iter()
            .map(|f| {
                let result = self.compile_everywhere(&f);
                (f, result)
            })
            .collect()
    }

    /// Compiles script `file` for every engine an endpoint runs it with; the first error.
    fn compile_everywhere(&self, file: &str) -> Result<(), IpcError> {
        let mut engines: Vec<usize> = self
            .endpoints
            .values()
            .filter(|p| p.file == file)
            .map(|p| p.engine)
            .collect();
        engines.sort_unstable();
        engines.dedup();
        let mut result = Ok(());
        for index in engines {
            let Some((limits, engine)) = self.engines.get(index) else {
                continue;
            };
            let engine = engine.get_or_init(|| build_engine(limits));
            if let Err(e) = self.compile(file, index, engine, limits) {
                result = result.and(Err(e));
            }
        }
        result
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a script's modules did not load, as the error a call gets: at the module's
/// `file:line:col`, or at the `import` that cannot be followed.
fn load_error(e: modules::LoadError, limits: &Limits) -> IpcError {
    match e {
        modules::LoadError::Parse { file, error, .. } => error::compile(&file, &error, limits),
        modules::LoadError::Import {
            file, pos, message, ..
        } => IpcError::Handler(format!("{}: {message}", error::at(&file, pos))),
    }
}

/// The sandboxed engine of `limits` with the host API, resolving imports among the modules
/// compiled with the running script.
fn build_engine(limits: &Limits) -> Engine {
    let mut engine = sandbox::engine(limits);
    api::register(&mut engine);
    order::register(&mut engine);
    modules::Imports::install(&mut engine);
    lib::register(&mut engine);
    engine
}

pub use check::{Checker, check};
