//! What changed between two resolved manifests, as a list of [`Change`]s that `apphost dev`
//! applies one by one to the running app.
//!
//! Pure: no files, no windows. Each change names the smallest thing the applier has to redo,
//! and carries the new value where the applier needs one; everything else it reads from the
//! new [`App`], which it keeps whole. Two equal apps give no changes.
//!
//! Deliberately not changes:
//! - `dir` and `manifest`: `dev` watches one folder, and where the manifest was read from is
//!   not a setting.
//! - A window's `center` and `focused`: they act only when a window opens, and an open window
//!   keeps its place and focus; a window added later gets the new values.
//! - The order of the windows: windows are matched by label.

use super::resolve::{App, Endpoint, Handler, MenuEntry, Tray, Window};

/// Keys whose change a running process cannot take, and why. `app.id` names the data folder
/// the web context was opened on and the GTK application id the event loop registered; both
/// are fixed for the life of the process. Everything else a manifest says can be applied live
/// (a window's `transparent` by rebuilding that window, see [`WindowChange::Rebuild`]).
pub const RESTART_KEYS: &[(&str, &str)] = &[
    (
        "app.id",
        "it names the data folder and the GTK application id",
    ),
    (
        "dev.poll",
        "the file watcher is chosen when `apphost dev` starts",
    ),
    ("dev.command", "the dev server is started with the app"),
];

/// One thing to apply to the running app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Cannot be applied live: the app must be relaunched. Always listed first, so an applier
    /// may stop at it.
    Restart {
        key: &'static str,
        why: &'static str,
    },
    /// A window to open. A renamed label is a removal and an addition.
    WindowAdded(Window),
    /// The label of a window to close. Removals come before additions.
    WindowRemoved(String),
    /// Field changes of an open window, with their new values.
    WindowChanged {
        label: String,
        changes: Vec<WindowChange>,
    },
    /// The menu bar changed (or the app's name or version, which an About item shows): build
    /// it again whole.
    Menus,
    /// The tray was added, changed (also when it shows the app's name and that changed) or
    /// removed (`None`).
    Tray(Option<Tray>),
    /// `security.csp`, `security.csp-nonce` or `security.cross-origin-isolated`: the headers
    /// of pages served from now on. (One change for all three: each is read per response and
    /// takes effect when a page next loads.)
    Csp,
    /// `security.allow-navigation` or `security.open-external`.
    Navigation,
    /// Endpoint names, each list sorted. `changed` holds endpoints whose handler, grants or
    /// effective limits changed, including through `[scripts]`.
    Endpoints {
        added: Vec<String>,
        removed: Vec<String>,
        changed: Vec<String>,
    },
    /// The `[scripts]` defaults; the script endpoints they reach are also in
    /// [`Change::Endpoints`].
    ScriptLimits,
    /// `security.max-payload`, in bytes. Besides the host's own check, the page bridge a
    /// webview is built with carries it (to refuse oversized events early), and a built
    /// webview's initialization script cannot be replaced.
    MaxPayload(u64),
    DevUrl(Option<String>),
    /// The frontend folder, canonical.
    Frontend(String),
    SpaFallback(bool),
    /// `app.name` or `app.version` (what `app.info` answers and an About item shows).
    Info,
    Icon(Option<String>),
    QuitOnLastWindowClosed(bool),
}

/// One field of an open window, with its new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowChange {
    Title(String),
    Size {
        width: u32,
        height: u32,
    },
    MinSize(Option<u32>, Option<u32>),
    MaxSize(Option<u32>, Option<u32>),
    /// `None`: the manifest no longer places the window; it stays where it is.
    Position(Option<(i32, i32)>),
    Resizable(bool),
    Decorations(bool),
    AlwaysOnTop(bool),
    Visible(bool),
    Maximized(bool),
    Fullscreen(bool),
    /// The page to load, as the manifest gives it (a path in the frontend or a URL).
    Url(String),
    Devtools(bool),
    /// The window's endpoint grants; `None` grants every declared endpoint.
    Grants(Option<Vec<String>>),
    /// An option a built window or webview cannot change: close the window and open it again
    /// from the new manifest. When present it is the only change listed for the window.
    Rebuild {
        why: &'static str,
    },
}

/// The changes that turn the app running `old` into one running `new`, in the order they
/// should be applied: restarts, windows, then the rest.
pub fn diff(old: &App, new: &App) -> Vec<Change> {
    // Every field named, so that a field added to `App` does not compile until it is either
    // compared here or named as not a change.
    let App {
        manifest: _,
        id,
        name,
        version,
        frontend,
        icon,
        spa_fallback,
        quit_on_last_window_closed,
        windows: _,
        security,
        endpoints: _,
        menus,
        tray,
        script_limits,
        dev_url,
        dev_poll,
        dev_command,
    } = new;
    let mut out = Vec::new();
    if old.id != *id {
        out.extend(restart("app.id"));
    }
    if old.dev_poll != *dev_poll {
        out.extend(restart("dev.poll"));
    }
    if old.dev_command != *dev_command {
        out.extend(restart("dev.command"));
    }
    windows(old, new, &mut out);

    // The About item shows the name and version; a tray without a tooltip shows the name.
    let info_changed = old.name != *name || old.version != *version;
    if old.menus != *menus || (info_changed && menus.iter().any(|m| has_about(&m.items))) {
        out.push(Change::Menus);
    }
    let tray_shows_info = tray.as_ref().is_some_and(|t| {
        (t.tooltip.is_none() && old.name != *name) || (info_changed && has_about(&t.menu))
    });
    if old.tray != *tray || tray_shows_info {
        out.push(Change::Tray(tray.clone()));
    }

    let (os, ns) = (&old.security, security);
    if os.csp != ns.csp
        || os.csp_nonce != ns.csp_nonce
        || os.cross_origin_isolated != ns.cross_origin_isolated
    {
        out.push(Change::Csp);
    }
    if os.allow_navigation != ns.allow_navigation || os.open_external != ns.open_external {
        out.push(Change::Navigation);
    }
    endpoints(old, new, &mut out);
    if old.script_limits != *script_limits {
        out.push(Change::ScriptLimits);
    }
    if os.max_payload != ns.max_payload {
        out.push(Change::MaxPayload(ns.max_payload));
    }
    if old.dev_url != *dev_url {
        out.push(Change::DevUrl(dev_url.clone()));
    }
    if old.frontend != *frontend {
        out.push(Change::Frontend(frontend.clone()));
    }
    if old.spa_fallback != *spa_fallback {
        out.push(Change::SpaFallback(*spa_fallback));
    }
    if info_changed {
        out.push(Change::Info);
    }
    if old.icon != *icon {
        out.push(Change::Icon(icon.clone()));
    }
    if old.quit_on_last_window_closed != *quit_on_last_window_closed {
        out.push(Change::QuitOnLastWindowClosed(*quit_on_last_window_closed));
    }
    out
}

fn restart(key: &str) -> Option<Change> {
    RESTART_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|&(key, why)| Change::Restart { key, why })
}

fn windows(old: &App, new: &App, out: &mut Vec<Change>) {
    fn find<'a>(app: &'a App, label: &str) -> Option<&'a Window> {
        app.windows.iter().find(|w| w.label == label)
    }
    for w in &old.windows {
        if find(new, &w.label).is_none() {
            out.push(Change::WindowRemoved(w.label.clone()));
        }
    }
    for w in &new.windows {
        match find(old, &w.label) {
            None => out.push(Change::WindowAdded(w.clone())),
            Some(before) => {
                let changes = window_changes(before, w);
                if !changes.is_empty() {
                    out.push(Change::WindowChanged {
                        label: w.label.clone(),
                        changes,
                    });
                }
            }
        }
    }
}

/// The field changes of one window, or a lone `Rebuild`.
pub fn window_changes(old: &Window, new: &Window) -> Vec<WindowChange> {
    use WindowChange as C;
    // Every field named, so that a field added to `Window` does not compile until it is
    // compared here or named as open-time only.
    let Window {
        label: _,
        url,
        title,
        width,
        height,
        min_width,
        min_height,
        max_width,
        max_height,
        position,
        center: _,
        resizable,
        maximized,
        fullscreen,
        decorations,
        transparent,
        always_on_top,
        visible,
        focused: _,
        devtools,
        endpoints,
        // Read from the generation in force at each WebKit request and page load.
        permissions: _,
    } = new;
    if old.transparent != *transparent {
        // WebKitGTK picks the window's visual and the webview's background when they are
        // built; tao and wry offer no way to switch either afterwards.
        return vec![C::Rebuild {
            why: "`transparent` is fixed when a window is built",
        }];
    }
    let mut out = Vec::new();
    if old.title != *title {
        out.push(C::Title(title.clone()));
    }
    if (old.width, old.height) != (*width, *height) {
        out.push(C::Size {
            width: *width,
            height: *height,
        });
    }
    if (old.min_width, old.min_height) != (*min_width, *min_height) {
        out.push(C::MinSize(*min_width, *min_height));
    }
    if (old.max_width, old.max_height) != (*max_width, *max_height) {
        out.push(C::MaxSize(*max_width, *max_height));
    }
    if old.position != *position {
        out.push(C::Position(*position));
    }
    let flags = [
        (old.resizable, *resizable, C::Resizable as fn(bool) -> C),
        (old.decorations, *decorations, C::Decorations),
        (old.always_on_top, *always_on_top, C::AlwaysOnTop),
        (old.visible, *visible, C::Visible),
        (old.maximized, *maximized, C::Maximized),
        (old.fullscreen, *fullscreen, C::Fullscreen),
    ];
    for (before, after, change) in flags {
        if before != after {
            out.push(change(after));
        }
    }
    if old.url != *url {
        out.push(C::Url(url.clone()));
    }
    if old.devtools != *devtools {
        out.push(C::Devtools(*devtools));
    }
    if old.endpoints != *endpoints {
        out.push(C::Grants(endpoints.clone()));
    }
    out
}

fn endpoints(old: &App, new: &App, out: &mut Vec<Change>) {
    let added: Vec<String> = new
        .endpoints
        .keys()
        .filter(|k| !old.endpoints.contains_key(*k))
        .cloned()
        .collect();
    let removed: Vec<String> = old
        .endpoints
        .keys()
        .filter(|k| !new.endpoints.contains_key(*k))
        .cloned()
        .collect();
    let changed: Vec<String> = new
        .endpoints
        .iter()
        .filter(|(k, e)| old.endpoints.get(*k).is_some_and(|o| !same_endpoint(o, e)))
        .map(|(k, _)| k.clone())
        .collect();
    if !(added.is_empty() && removed.is_empty() && changed.is_empty()) {
        out.push(Change::Endpoints {
            added,
            removed,
            changed,
        });
    }
}

/// Equal as far as a call can tell: a builtin ignores script limits (resolve fills them in for
/// every endpoint), so a `[scripts]` edit does not list every builtin as changed.
fn same_endpoint(a: &Endpoint, b: &Endpoint) -> bool {
    match (&a.handler, &b.handler) {
        (Handler::Builtin(_), Handler::Builtin(_)) => {
            Endpoint {
                limits: b.limits,
                ..a.clone()
            } == *b
        }
        _ => a == b,
    }
}

/// Whether an About item (which shows the app's name and version) is among `entries`.
fn has_about(entries: &[MenuEntry]) -> bool {
    entries.iter().any(|e| match e {
        MenuEntry::Predefined { kind, .. } => *kind == super::Predefined::About,
        MenuEntry::Submenu { items, .. } => has_about(items),
        _ => false,
    })
}

mod display;

#[cfg(test)]
mod tests;
