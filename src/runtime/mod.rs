//! The UI thread: the tao event loop, one wry webview per window, muda menus, the tray. Other
//! threads (the `app://` workers, menu and tray callbacks) reach it only through
//! `EventLoopProxy<UserEvent>`, the shape of wry's `multiwindow` example.

mod automation; // apphost-auto
mod dialog;
mod glib_log; // apphost-auto
mod menu;
mod messages;
pub mod navigation;
mod ops;
mod pool;
mod tray;
mod window;

use std::collections::HashMap;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::Context as _;
use muda::MenuId;
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tao::platform::unix::{EventLoopBuilderExtUnix, WindowExtUnix};
use tao::window::WindowId;
use wry::{RequestAsyncResponder, WebContext, WebViewId};

use crate::assets::Assets;
use crate::builtins::{Host, UiRequest, paths::AppDirs};
use crate::ipc::{self, IpcError, Router};
use crate::manifest::{App, Predefined};
use crate::protocol::{self, Site};

pub use window::start_url;

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
    /// The first window's page finished loading (or took too long to): time to build the
    /// hidden windows.
    FirstPageLoaded,
    /// A builtin needs the UI thread; the answer goes back on the channel.
    Ui(UiRequest, mpsc::Sender<Result<serde_json::Value, IpcError>>),
    /// A script for window `label`'s page: the answer to a posted call.
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

type ProtocolHandler =
    Box<dyn Fn(WebViewId, http::Request<Vec<u8>>, RequestAsyncResponder) + Send + Sync>;

/// Opens the app's windows and runs until the app quits. Returns only on a start-up error.
pub fn run(app: App, assets: Arc<dyn Assets>, opts: Options) -> anyhow::Result<()> {
    glib_log::install(); // apphost-auto: GLib's log into tracing, before GTK starts
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
    // Built after the first page has loaded: asking D-Bus for a tray costs start-up time and
    // nobody looks at the tray before the window.
    let mut tray: Option<Option<tray_icon::TrayIcon>> = None;
    tracing::debug!("start-up: menus ready");
    let dirs = AppDirs::for_app(&app.id);
    let mut context = WebContext::new(Some(dirs.data.join("webview")));
    if opts.automation {
        tracing::info!("automation on: this app accepts a WebDriver session");
        context.set_allows_automation(true);
    }

    let icon = app
        .icon
        .as_deref()
        .and_then(|p| match crate::icon::load(p) {
            Ok(i) => tao::window::Icon::from_rgba(i.pixels, i.width, i.height)
                .map_err(|e| tracing::warn!("window icon: {e}"))
                .ok(),
            Err(e) => {
                tracing::warn!("window icon {}: {e}", p.display());
                None
            }
        });
    let key = ipc::launch_key().context("no randomness for the launch key")?;
    let host = Host::new(&app, &dirs, ui_channel(proxy.clone()));
    // A script's `emit` reaches the windows the way a page's does, through the event loop.
    if let Some(scripts) = host.scripts() {
        let proxy = proxy.clone();
        scripts.connect_emit(Box::new(move |source, event, data| {
            let _ = proxy.send_event(UserEvent::Emit {
                source: Some(source.to_owned()),
                event: event.to_owned(),
                data: data.to_owned(),
            });
        }));
    }
    let origins = vec![protocol::ORIGIN.to_owned()];
    let router = Arc::new(Router::new(
        &app,
        key.clone(),
        origins.clone(),
        Arc::new(host),
    ));
    let calls = Arc::new(messages::Calls {
        router: Arc::clone(&router),
        stash: Arc::default(),
        pool: pool::Pool::new("apphost-worker", 2).context("starting the worker threads")?,
        overflow: pool::Pool::new("apphost-overflow", 4).context("starting the worker threads")?,
        proxy: proxy.clone(),
        own_threads: Arc::default(),
    });
    let shared = window::Shared {
        bridge: window::bridge_script(&key, &origins, router.max_payload()),
        calls,
        security: Arc::new(app.security.clone()),
        icon,
        menu: bar,
        proxy: proxy.clone(),
        report_load: opts.exit_on_load,
    };
    let site = Arc::new(Site {
        assets,
        security: app.security.clone(),
        spa_fallback: app.spa_fallback,
    });
    let mut protocol = Some(protocol_handler(site, Arc::clone(&shared.calls)));
    let mut windows: HashMap<WindowId, window::Open> = HashMap::new();
    // Visible windows now; hidden ones (shown later through the API) once the first page has
    // loaded, so that their web processes do not slow the first paint.
    let (mut now, mut later): (Vec<_>, Vec<_>) = app.windows.iter().partition(|w| w.visible);
    if now.is_empty() {
        now = std::mem::take(&mut later);
    }
    let later: Vec<crate::manifest::Window> = later.into_iter().cloned().collect();
    let mut later = Some(later).filter(|l| !l.is_empty());
    for (i, w) in now.into_iter().enumerate() {
        // The scheme lives on the shared web context: registered once, it serves every window.
        let open = window::open(
            &event_loop,
            &mut context,
            w,
            &shared,
            protocol.take(),
            i == 0,
        )?;
        windows.insert(open.window.id(), open);
    }
    // apphost-auto: report `apphost` to WebDriver rather than wry's own name.
    if let Some(first) = windows.values().next().filter(|_| opts.automation) {
        automation::report_identity(&first.webview);
    }
    {
        let proxy = proxy.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(2));
            let _ = proxy.send_event(UserEvent::FirstPageLoaded);
        });
    }
    tracing::debug!("start-up: windows open");
    let mut focused = windows.keys().next().copied();
    // Scripts for each window's page, sent once per turn of the loop.
    let mut outbox: HashMap<String, String> = HashMap::new();
    let quit_on_last = app.quit_on_last_window_closed;

    event_loop.run(move |event, target, flow| {
        *flow = ControlFlow::Wait;
        match event {
            Event::WindowEvent {
                window_id, event, ..
            } => match event {
                WindowEvent::CloseRequested => {
                    close(&mut windows, window_id, quit_on_last, flow);
                }
                WindowEvent::Focused(true) => focused = Some(window_id),
                _ => {}
            },
            Event::UserEvent(UserEvent::Menu(id)) => match actions.by_id.get(&id) {
                Some(menu::Action::Emit { event, id, check }) => {
                    let mut detail = serde_json::json!({ "id": id });
                    if let Some(c) = check {
                        detail["checked"] = c.is_checked().into();
                    }
                    emit(&windows, &mut outbox, None, event, &detail.to_string());
                }
                Some(menu::Action::Native(kind)) => {
                    native(*kind, &mut windows, focused, quit_on_last, flow);
                }
                None => {}
            },
            Event::UserEvent(UserEvent::TrayClick) => {
                if let Some(event) = app.tray.as_ref().and_then(|t| t.emit.as_ref()) {
                    emit(&windows, &mut outbox, None, event, r#"{"id":"tray"}"#);
                }
            }
            Event::UserEvent(UserEvent::Loaded) => *flow = ControlFlow::Exit,
            Event::UserEvent(UserEvent::Deliver { label, script }) => {
                outbox.entry(label).or_default().push_str(&script);
            }
            Event::UserEvent(UserEvent::Emit { source, event, data }) => {
                shared.calls.router.on_event(source.as_deref(), &event, &data);
                emit(&windows, &mut outbox, source.as_deref(), &event, &data);
            }
            Event::MainEventsCleared => flush(&windows, &mut outbox),
            Event::UserEvent(UserEvent::Ui(request, reply)) => {
                let answer = match request {
                    UiRequest::Exit(code) => {
                        *flow = ControlFlow::ExitWithCode(code);
                        Ok(serde_json::Value::Null)
                    }
                    UiRequest::ListWindows => Ok(serde_json::Value::from(
                        windows
                            .values()
                            .map(|w| serde_json::json!({ "label": w.label, "visible": w.window.is_visible() }))
                            .collect::<Vec<_>>(),
                    )),
                    UiRequest::Window { label, op, args } => {
                        if op == "open" {
                            ops::open_declared(&label, &app, &mut windows, &mut later, target, &mut context, &shared)
                        } else {
                            ops::window_op(&label, &op, &args, &mut windows, quit_on_last, flow)
                        }
                    }
                    UiRequest::Menu { op, args } => menu::change(&actions, &op, &args),
                    // These answer later, from a GTK callback.
                    UiRequest::Clipboard { text } => return ops::clipboard(text, reply),
                    UiRequest::Dialog { window, op, args } => {
                        match windows.values().find(|w| w.label == window) {
                            Some(w) => return dialog::show(&op, &args, w.window.gtk_window(), reply),
                            None => Err(IpcError::Unavailable(format!("window `{window}` has closed"))),
                        }
                    }
                };
                let _ = reply.send(answer);
            }
            Event::UserEvent(UserEvent::FirstPageLoaded) => {
                if tray.is_none() {
                    let t = app.tray.as_ref();
                    tray = Some(t.and_then(|t| tray::create(t, &app, &mut actions, proxy.clone())));
                }
                for w in later.take().unwrap_or_default() {
                    match window::open(target, &mut context, &w, &shared, None, false) {
                        Ok(open) => {
                            windows.insert(open.window.id(), open);
                        }
                        Err(e) => tracing::error!("{e:#}"),
                    }
                }
            }
            _ => {}
        }
    })
}

/// Serves `app://` on the worker pool: the frontend, and under `/__apphost/` the IPC calls
/// that carry bytes or large JSON (a slow one on a thread of its own, as posted calls). A panic
/// inside becomes a 500, not a hung request or a dead host.
fn protocol_handler(site: Arc<Site>, calls: Arc<messages::Calls>) -> ProtocolHandler {
    Box::new(move |webview, request, responder| {
        let path = request.uri().path();
        let ipc = path.starts_with(ipc::http::ROOT);
        let quick = !ipc
            || path
                .strip_prefix(ipc::http::PREFIX)
                .is_none_or(|endpoint| calls.router.is_quick(endpoint));
        let site = Arc::clone(&site);
        let job_calls = Arc::clone(&calls);
        let window = webview.to_owned();
        calls.spawn(quick, move || {
            let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if ipc {
                    ipc::http::respond(&job_calls.router, &job_calls.stash, &window, &request)
                } else {
                    protocol::respond(&site, &request)
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

/// Queues `event` for the page of every window; `data` is JSON text.
fn emit(
    windows: &HashMap<WindowId, window::Open>,
    outbox: &mut HashMap<String, String>,
    source: Option<&str>,
    event: &str,
    data: &str,
) {
    let script = ipc::message::event_script(event, data, source);
    for w in windows.values() {
        outbox.entry(w.label.clone()).or_default().push_str(&script);
    }
}

/// Sends each window's queued scripts as one.
fn flush(windows: &HashMap<WindowId, window::Open>, outbox: &mut HashMap<String, String>) {
    if outbox.is_empty() {
        return;
    }
    for w in windows.values() {
        if let Some(script) = outbox.remove(&w.label) {
            window::deliver(&w.label, &w.webview, &script);
        }
    }
    // Scripts for windows that have closed meanwhile go nowhere.
    outbox.clear();
}

fn close(
    windows: &mut HashMap<WindowId, window::Open>,
    id: WindowId,
    quit_on_last: bool,
    flow: &mut ControlFlow,
) {
    if let Some(w) = windows.remove(&id) {
        tracing::debug!("window `{}` closed", w.label);
    }
    if windows.is_empty() && quit_on_last {
        *flow = ControlFlow::Exit;
    }
}

fn native(
    kind: Predefined,
    windows: &mut HashMap<WindowId, window::Open>,
    focused: Option<WindowId>,
    quit_on_last: bool,
    flow: &mut ControlFlow,
) {
    use Predefined as P;
    let current = focused.filter(|id| windows.contains_key(id));
    let with = |f: &dyn Fn(&tao::window::Window)| {
        if let Some(w) = current.and_then(|id| windows.get(&id)) {
            f(&w.window);
        }
    };
    match kind {
        P::Quit => *flow = ControlFlow::Exit,
        P::Minimize => with(&|w| w.set_minimized(true)),
        P::Maximize => with(&|w| w.set_maximized(!w.is_maximized())),
        P::Fullscreen => with(&|w| {
            let on = w.fullscreen().is_none();
            w.set_fullscreen(on.then_some(tao::window::Fullscreen::Borderless(None)));
        }),
        P::Hide => with(&|w| w.set_visible(false)),
        P::HideOthers => {
            for (id, w) in windows.iter() {
                if Some(*id) != current {
                    w.window.set_visible(false);
                }
            }
        }
        P::ShowAll => windows.values().for_each(|w| w.window.set_visible(true)),
        P::CloseWindow => {
            if let Some(id) = current {
                close(windows, id, quit_on_last, flow);
            }
        }
        P::About | P::Copy | P::Cut | P::Paste | P::SelectAll | P::Undo | P::Redo => {}
    }
}
