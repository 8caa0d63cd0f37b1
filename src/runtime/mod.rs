//! The UI thread: the tao event loop, one wry webview per window, muda menus, the tray. Other
//! threads (the `app://` workers, menu and tray callbacks) reach it only through
//! `EventLoopProxy<UserEvent>`, the shape of wry's `multiwindow` example. [`run`] only wires
//! things up: the state lives in [`ui::Ui`], and everything derived from the manifest that
//! requests read lives in the swappable [`Core`].

mod apply;
mod automation;
mod console;
mod dialog;
mod glib_log;
mod menu;
mod messages;
mod ops;
mod policy;
mod pool;
mod scheme;
mod tray;
mod ui;
mod webkit;
mod window;

use std::collections::HashMap;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::Context as _;
use muda::MenuId;
use tao::event_loop::EventLoopBuilder;
use tao::platform::unix::EventLoopBuilderExtUnix;
use wry::WebContext;

use crate::builtins::{Lasting, UiRequest, paths::AppDirs};
use crate::generation::{Core, EmitFn, Mode};
use crate::ipc::{self, IpcError};
use crate::manifest::App;
use crate::protocol;
use crate::source::Source;
use crate::watch::Watcher;

/// How the host was asked to run, beyond the manifest.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `APPHOST_AUTOMATION=1`: accept a WebKitWebDriver session.
    pub automation: bool,
    /// `APPHOST_EXIT_ON_LOAD=1`: exit once the first window's DOM is loaded (for benchmarks).
    pub exit_on_load: bool,
}

impl Options {
    pub fn from_env() -> Options {
        let on = |k: &str| std::env::var(k).is_ok_and(|v| v == "1");
        Options {
            automation: on("APPHOST_AUTOMATION"),
            exit_on_load: on("APPHOST_EXIT_ON_LOAD"),
        }
    }
}

#[derive(Debug)]
pub enum UserEvent {
    Menu(MenuId),
    TrayClick,
    /// The first page fired DOMContentLoaded (only with [`Options::exit_on_load`]).
    Loaded,
    /// The first window's page took too long to load: build the hidden windows anyway.
    FirstPageLoaded,
    /// A window's page finished loading.
    PageLoaded {
        label: String,
    },
    /// `apphost dev`: something changed on disk; carry it out on the UI thread.
    Dev(crate::dev::Action),
    /// A builtin needs the UI thread; the answer goes back on the channel.
    Ui(UiRequest, mpsc::Sender<Result<serde_json::Value, IpcError>>),
    /// A script for window `label`'s page: the answer to a posted call, or a call's progress.
    Deliver {
        label: String,
        script: String,
    },
    /// An event for every window; `source` is the emitting window, `data` checked JSON text.
    Emit {
        source: Option<String>,
        event: String,
        data: String,
    },
}

/// How the windows and their pages are set up, whatever the generation.
pub struct Setup {
    pub opts: Options,
    /// Where the app's files are read from (every generation reads the same source).
    pub source: Arc<dyn Source>,
    /// The arguments for the app, and whether it is packaged (`app.info`).
    pub launch: crate::builtins::Launch,
    pub mode: Mode,
}

/// Opens the app's windows and runs until the app quits. Returns only on a start-up error.
pub fn run(app: App, setup: Setup) -> anyhow::Result<()> {
    // First: it may start the host again, and must run before any thread does.
    webkit::drop_inspector_env(
        setup.mode == Mode::Dev || setup.opts.automation || app.windows.iter().any(|w| w.devtools),
    );
    if app.security.cross_origin_isolated {
        share_memory_with_workers();
    }
    // GLib's log into tracing, before GTK starts.
    glib_log::install();
    let mut builder = EventLoopBuilder::<UserEvent>::with_user_event();
    builder.with_app_id(&app.id);
    // tao panics when GTK cannot start (no display); say so plainly instead, without the
    // panic's own message and backtrace.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build()));
    std::panic::set_hook(hook);
    let event_loop = built.map_err(|_| {
        anyhow::anyhow!(
            "cannot open a window: GTK could not start (is DISPLAY set and an X server running?)"
        )
    })?;
    tracing::debug!("start-up: event loop ready");
    let proxy = event_loop.create_proxy();

    let menu_proxy = proxy.clone();
    muda::MenuEvent::set_event_handler(Some(move |e: muda::MenuEvent| {
        let _ = menu_proxy.send_event(UserEvent::Menu(e.id));
    }));

    let mut actions = menu::Actions::default();
    let bar = menu::menu_bar(&app, &mut actions);
    tracing::debug!("start-up: menus ready");
    let dirs = AppDirs::for_app(&app.id);
    let mut context = WebContext::new(Some(dirs.data.join("webview")));
    if setup.opts.automation {
        tracing::info!("automation on: this app accepts a WebDriver session");
        context.set_allows_automation(true);
    }
    let icon = app
        .icon
        .as_deref()
        .and_then(|i| window_icon(setup.source.as_ref(), i));
    let key = ipc::launch_key().context("no randomness for the launch key")?;
    // A script's `emit` reaches the windows the way a page's does, through the event loop.
    let emit: EmitFn = {
        let proxy = proxy.clone();
        Arc::new(move |source: &str, event: &str, data: &str| {
            let _ = proxy.send_event(UserEvent::Emit {
                source: Some(source.to_owned()),
                event: event.to_owned(),
                data: data.to_owned(),
            });
        })
    };
    let mut lasting = Lasting::new(&dirs, ui_channel(proxy.clone()));
    lasting.launch = Arc::new(setup.launch);
    // Media files over loopback HTTP (WebKitGTK cannot play them from app://): bound before the
    // first generation, whose pages' CSP admits its origin; serving once the core exists.
    let media = match crate::media::Media::bind() {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!("media files will not play: no loopback endpoint: {e}");
            None
        }
    };
    lasting.media = media.as_ref().map(crate::media::Media::origin);
    let core = Arc::new(Core::new(
        app,
        setup.source,
        key.clone(),
        setup.mode,
        lasting,
        Some(emit),
    )?);
    let first = core.current();
    let media_script = match media {
        Some(m) => {
            let base = m.base();
            let core = Arc::clone(&core);
            let serve = Arc::new(move |req: &http::Request<Vec<u8>>| {
                protocol::respond(&core.current().site, req)
            });
            match m.serve(serve) {
                Ok(()) => Some(window::media_script(&base)),
                Err(e) => {
                    tracing::warn!("media files will not play: {e}");
                    None
                }
            }
        }
        None => None,
    };
    // A running call's progress goes to its own window only, batched like answers.
    let tracked = {
        let proxy = proxy.clone();
        Arc::new(ipc::InFlight::new(Arc::new(
            move |label: &str, id, fraction, message: Option<&str>| {
                let _ = proxy.send_event(UserEvent::Deliver {
                    label: label.to_owned(),
                    script: ipc::message::progress_script(id, fraction, message),
                });
            },
        )))
    };
    let calls = Arc::new(messages::Calls {
        core: Arc::clone(&core),
        stash: Arc::default(),
        pool: pool::Pool::new("apphost-worker", 2).context("starting the worker threads")?,
        overflow: pool::Pool::new("apphost-overflow", 4).context("starting the worker threads")?,
        proxy: proxy.clone(),
        own_threads: Arc::default(),
        tracked,
        admitted: Arc::default(),
    });
    let mut kit = window::Kit {
        bridge: String::new(),
        core: Arc::clone(&core),
        calls: Arc::clone(&calls),
        icon,
        menu: bar,
        proxy: proxy.clone(),
        report_load: setup.opts.exit_on_load,
        console: None,
        dev: None,
        waiting: false,
        media: media_script,
    };
    let dev = setup.mode == Mode::Dev;
    // The page's console goes to the terminal in dev always, in run at APPHOST_LOG=debug.
    let console = dev || tracing::enabled!(tracing::Level::DEBUG);
    kit.set_page_scripts(&key, &first, console, dev);
    let scheme = {
        let core = Arc::clone(&core);
        scheme::Scheme {
            handler: protocol_handler(Arc::clone(&calls)),
            max_body: Box::new(move || core.current().router.max_payload() as u64),
        }
    };
    let mut ui = ui::Ui {
        protocol: Some(scheme),
        core,
        kit,
        context,
        windows: HashMap::new(),
        later: None,
        actions,
        tray: None,
        focused: None,
        outbox: HashMap::new(),
        proxy: proxy.clone(),
        overlay: None,
        watcher: None,
        dev_server: None,
    };
    if setup.mode == Mode::Dev {
        ui.start_dev_server()?;
    }
    ui.open_first(&event_loop)?;
    if setup.mode == Mode::Dev {
        ui.watcher = Some(dev_loop(&ui.core, &proxy)?);
    }
    // WebDriver clients ask for the browser `apphost`, not wry's own name.
    if let Some(first) = ui.windows.values().next().filter(|_| setup.opts.automation) {
        automation::report_identity(&first.webview);
    }
    {
        let proxy = proxy.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            let _ = proxy.send_event(UserEvent::FirstPageLoaded);
        });
    }
    tracing::debug!("start-up: windows open");
    event_loop.run(move |event, target, flow| ui.handle(event, target, flow))
}

/// What `[security] cross-origin-isolated` asks for, as far as WebKitGTK allows it. WebKitGTK
/// does not isolate a page from a custom scheme whatever its headers say, so
/// `SharedArrayBuffer` (and with it WebAssembly threads) stays off. JavaScriptCore's own
/// switch turns it on for this app's web processes, which read it from the environment they
/// inherit: only when the app asks, since it gives up the protection against Spectre-style
/// timing attacks that an isolated browser page gets from process isolation instead.
///
/// The environment cannot be changed safely once threads run, so the host starts itself again
/// with the switch set (`exec`: same process, same arguments) before any window exists.
fn share_memory_with_workers() {
    use std::os::unix::process::CommandExt as _;
    const SWITCH: &str = "JSC_useSharedArrayBuffer";
    if std::env::var_os(SWITCH).is_some() {
        return;
    }
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let err = std::process::Command::new("/proc/self/exe")
        .arg0(argv0)
        .args(args)
        .env(SWITCH, "1")
        .exec();
    tracing::warn!("cross-origin-isolated: SharedArrayBuffer stays off (restarting failed: {err})");
}

/// Starts the dev loop: the watcher, and the reloader that turns what it sees into actions for
/// this thread.
fn dev_loop(
    core: &Arc<Core>,
    proxy: &tao::event_loop::EventLoopProxy<UserEvent>,
) -> anyhow::Result<Arc<Watcher>> {
    let generation = core.current();
    let to_ui = |proxy: tao::event_loop::EventLoopProxy<UserEvent>| -> crate::dev::Send {
        Box::new(move |action| {
            let _ = proxy.send_event(UserEvent::Dev(action));
        })
    };
    crate::dev::keys(to_ui(proxy.clone()));
    let send = to_ui(proxy.clone());
    let reloader_core = Arc::clone(core);
    let folder = core
        .source()
        .folder()
        .context("`apphost dev` runs an app folder on disk")?
        .to_path_buf();
    let layout = crate::dev::Reloader::layout(&folder, &generation.app);
    let opts = crate::watch::Options {
        poll: generation.app.dev_poll,
    };
    // The reloader runs on a thread of its own, fed by the watcher: it needs ticks while a
    // paused reload waits for quiet, and it tells the watcher when a manifest moved the
    // frontend (the watcher is built after its callback, hence the slot).
    let slot: Arc<std::sync::OnceLock<std::sync::Weak<Watcher>>> = Arc::default();
    let watcher_slot = Arc::clone(&slot);
    let (batches, inbox) = mpsc::channel::<crate::watch::Batch>();
    std::thread::Builder::new()
        .name("apphost-dev-reloader".into())
        .spawn(move || {
            // Built here: it compiles every script first, which is no work for start-up.
            let mut reloader = crate::dev::Reloader::new(reloader_core, send);
            loop {
                let next = if reloader.wants_tick() {
                    inbox.recv_timeout(crate::dev::TICK)
                } else {
                    inbox
                        .recv()
                        .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
                };
                match next {
                    Ok(mut batch) => {
                        // Newest wins: whatever queued while the last batch was applied.
                        while let Ok(more) = inbox.try_recv() {
                            batch.merge(more);
                        }
                        reloader.on_batch(&batch);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        reloader.on_tick(std::time::Instant::now());
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                if let Some(layout) = reloader.layout_changed.take()
                    && let Some(watcher) = watcher_slot.get().and_then(std::sync::Weak::upgrade)
                {
                    watcher.set_layout(layout);
                }
            }
        })
        .context("starting the dev reloader")?;
    let watcher = Watcher::start(layout, opts, move |batch| {
        let _ = batches.send(batch);
    })
    .context("starting the file watcher")?;
    let watcher = Arc::new(watcher);
    let _ = slot.set(Arc::downgrade(&watcher));
    apply::say(&format!(
        "watching {} (save a file to see it applied; keys: r reloads, q quits)",
        core.source().describe("")
    ));
    Ok(watcher)
}

/// The window icon `rel` of `source`; a problem is logged, and the window has none.
pub(crate) fn window_icon(source: &dyn Source, rel: &str) -> Option<tao::window::Icon> {
    match crate::icon::load(source, rel) {
        Ok(i) => tao::window::Icon::from_rgba(i.pixels, i.width, i.height)
            .map_err(|e| tracing::warn!("window icon: {e}"))
            .ok(),
        Err(e) => {
            tracing::warn!("window icon {}: {e}", source.describe(rel));
            None
        }
    }
}

/// Serves `app://` on the worker pool: the frontend, and under `/__apphost/` the IPC calls
/// that carry bytes or large JSON (a slow one on a thread of its own, as posted calls). A panic
/// inside becomes a 500, not a hung request or a dead host.
fn protocol_handler(calls: Arc<messages::Calls>) -> scheme::Handler {
    Box::new(move |window, request, responder| {
        // The generation in force when the request arrived serves it to the end.
        let generation = calls.core.current();
        let path = request.uri().path();
        let ipc = path.starts_with(ipc::http::ROOT);
        let quick = !ipc
            || path
                .strip_prefix(ipc::http::PREFIX)
                .is_none_or(|endpoint| generation.router.is_quick(endpoint));
        // A call is admitted before it queues: past its window's bound it is refused here,
        // without holding its body in a queue.
        let admission = if ipc {
            match calls.admitted.admit(&window) {
                Ok(a) => Some(a),
                Err(e) => {
                    let refusal = ipc::http::refuse(&generation.router, &request, &e);
                    responder.respond(refusal.map(protocol::Body::Bytes));
                    return;
                }
            }
        } else {
            None
        };
        let job_calls = Arc::clone(&calls);
        calls.spawn(quick, move || {
            let _admission = admission;
            let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if request.uri().path() == protocol::WAITING_PATH {
                    protocol::waiting_page()
                } else if ipc {
                    ipc::http::respond(
                        &generation.router,
                        &job_calls.stash,
                        &job_calls.tracked,
                        &window,
                        &request,
                    )
                    .map(protocol::Body::Bytes)
                } else {
                    protocol::respond(&generation.site, &request)
                }
            }))
            .unwrap_or_else(|_| {
                tracing::error!("the app:// handler panicked on {}", request.uri());
                protocol::internal_error()
            });
            responder.respond(response);
        });
    })
}

/// Carries builtin requests to the UI thread and waits for the answer, as long as `limit` says.
fn ui_channel(proxy: tao::event_loop::EventLoopProxy<UserEvent>) -> crate::builtins::Ui {
    Box::new(move |request, limit: Option<Duration>| {
        let (tx, rx) = mpsc::channel();
        let gone = || IpcError::Unavailable("the app is shutting down".into());
        proxy
            .send_event(UserEvent::Ui(request, tx))
            .map_err(|_| gone())?;
        match limit {
            Some(limit) => rx.recv_timeout(limit).map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => {
                    IpcError::Timeout(u64::try_from(limit.as_millis()).unwrap_or(u64::MAX))
                }
                mpsc::RecvTimeoutError::Disconnected => gone(),
            })?,
            None => rx.recv().map_err(|_| gone())?,
        }
    })
}
