//! One generation of a running app, and the pointer that swaps it.
//!
//! A [`Generation`] is everything the host derives from one resolved [`App`]: the router with
//! its endpoints and grants, the site the `app://` protocol serves, the script endpoints, the
//! CSP and navigation rules, and the origins whose pages are the app's own. One function builds
//! it ([`Generation::build`]); [`Core`] holds the current one behind one `ArcSwap`. The
//! protocol handler, both IPC transports and the navigation guard load it per request, so a
//! call that started on an old generation finishes on it (it holds its `Arc`), and the next one
//! runs on the new. What must outlive a generation (the launch key, the store, the data
//! folders, the way to the UI thread, the [`Source`] the app is read from) lives in [`Core`]
//! and [`Lasting`].
//!
//! The UI thread's own state (windows, menus, the tray) is not here: the runtime applies a
//! manifest's changes to it itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

use crate::builtins::{Host, Lasting};
use crate::ipc::Router;
use crate::manifest::App;
use crate::protocol::{Origins, Site};
use crate::script::{Emitter, Scripts};
use crate::source::Source;

/// How the host runs the app: `apphost run` trusts `app://localhost` alone; `apphost dev` also
/// trusts and loads from `[dev] url` when the manifest names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    Dev,
}

/// Sends a script's event to the windows: (source, event, JSON text).
pub type EmitFn = Arc<dyn Fn(&str, &str, &str) + Send + Sync>;

impl std::fmt::Debug for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generation")
            .field("number", &self.number)
            .field("app", &self.app.manifest)
            .finish_non_exhaustive()
    }
}

pub struct Generation {
    /// Counts from 1 at start-up; each accepted manifest change adds one.
    pub number: u64,
    pub app: Arc<App>,
    pub origins: Origins,
    pub router: Arc<Router>,
    pub site: Arc<Site>,
    pub scripts: Arc<Scripts>,
}

impl Generation {
    /// Everything the host runs for `app`, ready to be swapped in. Builds nothing on the UI
    /// thread and compiles no script (scripts compile on their first call, or when the dev
    /// watcher sees them change).
    fn build(app: App, number: u64, core: &CoreParts) -> anyhow::Result<Generation> {
        let origins = match (core.mode, &app.dev_url) {
            (Mode::Dev, Some(url)) => {
                Origins::with_dev_server(url).map_err(|e| anyhow::anyhow!("[dev] url: {e}"))?
            }
            _ => Origins::app(),
        };
        let frontend = core.source.sub(&app.frontend).map_err(|e| {
            anyhow::anyhow!(
                "opening the frontend folder {}: {e}",
                core.source.describe(&app.frontend)
            )
        })?;
        let host = Host::build(&app, Arc::clone(&core.source), &core.lasting);
        let scripts = Arc::clone(host.scripts());
        if let Some(emit) = &core.emit {
            let emit = Arc::clone(emit);
            let emitter: Emitter = Box::new(move |source, event, data| emit(source, event, data));
            scripts.connect_emit(emitter);
        }
        let router = Router::new(&app, core.key.clone(), origins.list(), Arc::new(host));
        let site = Site {
            files: frontend,
            security: app.security.clone(),
            spa_fallback: app.spa_fallback,
            media: core.lasting.media.clone(),
        };
        Ok(Generation {
            number,
            origins,
            router: Arc::new(router),
            site: Arc::new(site),
            scripts,
            app: Arc::new(app),
        })
    }
}

/// What every generation is built with.
struct CoreParts {
    key: String,
    mode: Mode,
    lasting: Lasting,
    source: Arc<dyn Source>,
    emit: Option<EmitFn>,
}

/// The current generation, and what outlives every generation.
pub struct Core {
    parts: CoreParts,
    current: ArcSwap<Generation>,
    count: AtomicU64,
}

impl Core {
    /// The first generation of `app`, whose files are read from `source` (every later
    /// generation reads the same source). `key` is this launch's key; `emit` connects
    /// scripts' events to the windows (`None` where there are none, as in tests).
    pub fn new(
        app: App,
        source: Arc<dyn Source>,
        key: String,
        mode: Mode,
        lasting: Lasting,
        emit: Option<EmitFn>,
    ) -> anyhow::Result<Core> {
        let parts = CoreParts {
            key,
            mode,
            lasting,
            source,
            emit,
        };
        let first = Generation::build(app, 1, &parts)?;
        Ok(Core {
            parts,
            current: ArcSwap::from_pointee(first),
            count: AtomicU64::new(1),
        })
    }

    /// The generation in force now; hold it for the whole of a request.
    pub fn current(&self) -> Arc<Generation> {
        self.current.load_full()
    }

    /// Builds a generation of `app` and swaps it in. On an error nothing changes: the last
    /// good generation stays in force.
    pub fn replace(&self, app: App) -> anyhow::Result<Arc<Generation>> {
        let number = self.count.fetch_add(1, Ordering::AcqRel) + 1;
        let next = Arc::new(Generation::build(app, number, &self.parts)?);
        self.current.store(Arc::clone(&next));
        Ok(next)
    }

    /// This launch's key.
    pub fn key(&self) -> &str {
        &self.parts.key
    }

    /// Where the app's files are read from.
    pub fn source(&self) -> &Arc<dyn Source> {
        &self.parts.source
    }
}
