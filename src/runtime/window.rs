//! One `[[window]]`: a tao window with the manifest's options, the menu bar, and a wry webview
//! on the shared web context.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use anyhow::Context as _;
use tao::dpi::{LogicalPosition, LogicalSize, PhysicalPosition};
use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::WindowExtUnix;
use tao::window::{Fullscreen, Icon, Window, WindowBuilder};
use wry::{
    NewWindowResponse, WebContext, WebView, WebViewBuilder, WebViewBuilderExtUnix,
    WebViewExtUnix as _,
};

use super::UserEvent;
use super::messages::{Calls, Inbox};
use crate::generation::{Core, Generation};
use crate::manifest;
use crate::protocol::Origins;

/// Everything a window's webview shares with the others.
pub struct Kit {
    /// `bridge.js` with this launch's key, the origins and the payload limit it was built for.
    pub bridge: String,
    /// The generation in force when a page navigates decides where it may go.
    pub core: Arc<Core>,
    pub icon: Option<Icon>,
    pub menu: Option<muda::Menu>,
    pub proxy: EventLoopProxy<UserEvent>,
    /// Report DOMContentLoaded of the first page to the event loop (the start-up benchmark).
    pub report_load: bool,
    /// `console.js` with its config, when the page's console goes to the terminal.
    pub console: Option<String>,
    /// `dev.js` with its config, in `apphost dev`; devtools are on in every window then.
    pub dev: Option<String>,
    /// The dev server does not answer yet: windows show a waiting page meanwhile.
    pub waiting: bool,
    /// `media.js` with this launch's media base, for every frame, when media is served.
    pub media: Option<String>,
    pub calls: Arc<Calls>,
}

impl Kit {
    /// The scripts each webview built from now on is given, for `generation`: the bridge, and
    /// `console.js` and `dev.js` when `console` and `dev` say so.
    pub fn set_page_scripts(
        &mut self,
        key: &str,
        generation: &Generation,
        console: bool,
        dev: bool,
    ) {
        let origins = generation.origins.list();
        self.bridge = bridge_script(key, &origins, generation.router.max_payload());
        self.console = console.then(|| console_script(key, &origins));
        self.dev = dev.then(|| dev_script(generation));
    }
}

pub struct Open {
    pub label: String,
    pub window: Window,
    pub webview: Rc<WebView>,
}

/// The page bridge with this launch's key, the origins it may install itself on, and the
/// payload limit. Only the main frame of the app's own pages gets it.
fn bridge_script(key: &str, origins: &[String], max_payload: usize) -> String {
    let config = serde_json::json!({ "key": key, "origins": origins, "maxPayload": max_payload });
    include_str!("bridge.js").replace("__APPHOST_CONFIG__", &config.to_string())
}

/// `media.js`, pointing the media elements of the app's own pages at `base`.
pub fn media_script(base: &str) -> String {
    let config = serde_json::json!({ "base": base });
    include_str!("media.js").replace("__APPHOST_MEDIA_CONFIG__", &config.to_string())
}

/// `console.js`, posting with this launch's key from the app's own pages only.
fn console_script(key: &str, origins: &[String]) -> String {
    let config = serde_json::json!({ "key": key, "origins": origins });
    include_str!("console.js").replace("__APPHOST_CONSOLE_CONFIG__", &config.to_string())
}

/// `dev.js`, active on the app's own pages only; with a dev server, the policy its pages get.
fn dev_script(generation: &Generation) -> String {
    let origins = generation.origins.list();
    let server = generation.origins.dev_server().map(|origin| {
        let (csp, _) = crate::protocol::dev_server_policy(&generation.app.security, origin);
        serde_json::json!({ "origin": origin, "csp": csp })
    });
    let config = serde_json::json!({ "origins": origins, "devServer": server });
    include_str!("dev.js").replace("__APPHOST_DEV_CONFIG__", &config.to_string())
}

/// Runs `script` in the webview's page if the page is one of the app's own, the only pages that
/// may receive answers and events (a site reached through `allow-navigation` could define its
/// own `window.apphost` to catch them); drops it otherwise.
pub fn deliver(label: &str, webview: &WebView, script: &str, origins: &Origins) {
    match webview.url() {
        Ok(url) if origins.is_app_url(&url) => {
            if let Err(e) = webview.evaluate_script(script) {
                tracing::warn!("window `{label}`: could not deliver to the page: {e}");
            }
        }
        Ok(url) => tracing::debug!("window `{label}` shows {url}: not delivered there"),
        Err(e) => tracing::warn!("window `{label}`: no URL: {e}"),
    }
}

pub fn open(
    target: &EventLoopWindowTarget<UserEvent>,
    context: &mut WebContext,
    w: &manifest::Window,
    kit: &Kit,
    protocol: Option<super::scheme::Scheme>,
    first: bool,
) -> anyhow::Result<Open> {
    let mut b = WindowBuilder::new()
        .with_title(&w.title)
        .with_inner_size(LogicalSize::new(w.width, w.height))
        .with_resizable(w.resizable)
        .with_maximized(w.maximized)
        .with_decorations(w.decorations)
        .with_transparent(w.transparent)
        .with_always_on_top(w.always_on_top)
        .with_visible(w.visible)
        .with_focused(w.focused)
        .with_window_icon(kit.icon.clone());
    if w.min_width.is_some() || w.min_height.is_some() {
        b = b.with_min_inner_size(LogicalSize::new(
            w.min_width.unwrap_or(0),
            w.min_height.unwrap_or(0),
        ));
    }
    if w.max_width.is_some() || w.max_height.is_some() {
        b = b.with_max_inner_size(LogicalSize::new(
            w.max_width.unwrap_or(u16::MAX.into()),
            w.max_height.unwrap_or(u16::MAX.into()),
        ));
    }
    if let Some((x, y)) = w.position {
        b = b.with_position(LogicalPosition::new(x, y));
    }
    if w.fullscreen {
        b = b.with_fullscreen(Some(Fullscreen::Borderless(None)));
    }
    let window = b
        .build(target)
        .with_context(|| format!("creating window `{}`", w.label))?;
    if w.center && w.position.is_none() {
        center(&window, LogicalSize::new(w.width, w.height));
    }
    let vbox = window
        .default_vbox()
        .context("the window has no GTK box to hold the webview")?;

    let popup = Arc::clone(&kit.core);
    let start = if kit.waiting {
        format!(
            "{}{}",
            crate::protocol::ORIGIN,
            crate::protocol::WAITING_PATH
        )
    } else {
        kit.core.current().origins.start_url(&w.url)
    };
    let mut wb = WebViewBuilder::new_with_web_context(context)
        .with_id(&w.label)
        .with_devtools(w.devtools || kit.dev.is_some())
        .with_transparent(w.transparent)
        .with_focused(w.focused)
        .with_initialization_script_for_main_only(kit.bridge.as_str(), true)
        .with_new_window_req_handler(move |url, _| {
            super::policy::new_window(&url, &popup);
            NewWindowResponse::Deny
        });
    for script in [&kit.console, &kit.dev].into_iter().flatten() {
        wb = wb.with_initialization_script_for_main_only(script.as_str(), true);
    }
    wb = wb.with_initialization_script_for_main_only(super::webkit::DROP_GUARD, false);
    if let Some(script) = &kit.media {
        wb = wb.with_initialization_script_for_main_only(script.as_str(), false);
    }
    {
        // Hidden windows are built once the first page has loaded, off the start-up path; in
        // dev, a page that loads while there is an error gets the overlay again.
        let proxy = kit.proxy.clone();
        let label = w.label.clone();
        wb = wb.with_on_page_load_handler(move |event, _| {
            if let wry::PageLoadEvent::Finished = event {
                let _ = proxy.send_event(UserEvent::PageLoaded {
                    label: label.clone(),
                });
            }
        });
    }
    let slot = Rc::new(std::cell::OnceCell::new());
    let inbox = Inbox {
        label: w.label.clone(),
        calls: Arc::clone(&kit.calls),
        webview: Rc::clone(&slot),
        in_flight: Arc::new(AtomicUsize::new(0)),
    };
    let loaded = (first && kit.report_load).then(|| kit.proxy.clone());
    if loaded.is_some() {
        wb = wb.with_initialization_script_for_main_only(
            "document.addEventListener('DOMContentLoaded', () => window.ipc.postMessage('apphost:loaded'))",
            true,
        );
    }
    wb = wb.with_ipc_handler(move |req| match &loaded {
        Some(proxy) if req.body() == "apphost:loaded" => {
            let _ = proxy.send_event(UserEvent::Loaded);
        }
        _ => inbox.receive(&req),
    });
    let webview = Rc::new(
        wb.build_gtk(vbox)
            .with_context(|| format!("creating the webview of window `{}`", w.label))?,
    );
    // The page is loaded once the scheme is there to serve it, and its requests name the window.
    super::scheme::set_label(&webview.webview(), &w.label);
    super::webkit::install(
        &webview.webview(),
        &w.label,
        Arc::clone(&kit.core),
        kit.dev.is_some(),
    );
    super::policy::guard(&webview.webview(), Arc::clone(&kit.core)); // every hop, every frame
    if let Some(scheme) = protocol {
        super::scheme::register(&webview.webview(), scheme)?;
    }
    webview
        .load_url(&start)
        .with_context(|| format!("window `{}`: loading {start}", w.label))?;
    let _ = slot.set(Rc::downgrade(&webview));
    // After the webview, so that WebKit starts loading the page while GTK builds the menu bar
    // (muda puts the bar on top of the box either way).
    if let Some(menu) = &kit.menu
        && let Err(e) = menu.init_for_gtk_window(window.gtk_window(), Some(vbox))
    {
        tracing::warn!("window `{}`: no menu bar: {e}", w.label);
    }
    Ok(Open {
        label: w.label.clone(),
        window,
        webview,
    })
}

/// Centres on the current monitor. The requested size is used, not the window's: GTK has not
/// sized a window that is not yet shown.
fn center(window: &Window, size: LogicalSize<u32>) {
    let Some(monitor) = window.current_monitor() else {
        return;
    };
    let m = monitor.size();
    let size: tao::dpi::PhysicalSize<u32> = size.to_physical(monitor.scale_factor());
    let origin = monitor.position();
    window.set_outer_position(PhysicalPosition::new(
        origin.x + (m.width.saturating_sub(size.width) / 2) as i32,
        origin.y + (m.height.saturating_sub(size.height) / 2) as i32,
    ));
}
