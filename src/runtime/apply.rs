//! `apphost dev` on the UI thread: carrying out what the reloader asks ([`Action`]), and
//! applying a new generation's manifest changes to the windows, the menu bar and the tray.
//! Requests (files, calls, navigation) already run on the new generation by the time this runs:
//! only what lives on the UI thread is left to change here.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use tao::dpi::{LogicalPosition, LogicalSize};
use tao::event_loop::EventLoopWindowTarget;
use tao::platform::unix::WindowExtUnix;

use super::ui::Ui;
use super::{UserEvent, menu, ops, tray};
use crate::dev::server::DevServer;
use crate::dev::{Action, Overlay};
use crate::generation::Generation;
use crate::manifest::{self, Change, WindowChange};

type Target = EventLoopWindowTarget<UserEvent>;

/// Whether `change` alters what each page is given when its webview is built (the bridge's
/// origins and payload limit, a dev server page's policy).
fn rebuilds_pages(change: &Change, generation: &Generation) -> bool {
    match change {
        Change::DevUrl(_) | Change::MaxPayload(_) => true,
        Change::Csp => generation.origins.dev_server().is_some(),
        _ => false,
    }
}

/// Says what the dev server's pages get: the app's CSP, and what was added for the server.
fn say_dev_policy(generation: &Generation) {
    let Some(server) = generation.origins.dev_server() else {
        return;
    };
    let (_, added) = crate::protocol::dev_server_policy(&generation.app.security, server);
    let widened = if added.is_empty() {
        String::new()
    } else {
        format!(", widened: {}", added.join(", "))
    };
    say(&format!(
        "dev server {server}: pages load from it with the app's CSP{widened}"
    ));
}

/// One line in the dev terminal.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "apphost dev: {line}");
}

fn ms(started: Instant) -> String {
    format!("{} ms", started.elapsed().as_millis())
}

fn list(paths: &[String]) -> String {
    match paths {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        [] => String::new(),
    }
}

impl Ui {
    pub(super) fn dev_action(
        &mut self,
        action: Action,
        target: &Target,
        flow: &mut tao::event_loop::ControlFlow,
    ) {
        match action {
            Action::Quit => *flow = tao::event_loop::ControlFlow::Exit,
            Action::ServerUp => self.server_up(),
            Action::Css { paths, started } => {
                let script = format!(
                    "window.__apphost_dev&&window.__apphost_dev.css({});",
                    serde_json::Value::from(paths.clone())
                );
                self.queue_for_all(&script);
                say(&format!(
                    "style   {} → swapped in place in {} window(s) ({})",
                    list(&paths),
                    self.windows.len(),
                    ms(started)
                ));
            }
            Action::Reload { paths, started } => {
                self.reload_all(&paths);
                let what = if paths.is_empty() {
                    "r".to_owned()
                } else {
                    list(&paths)
                };
                say(&format!(
                    "page    {what} → reloaded {} window(s), state kept ({})",
                    self.windows.len(),
                    ms(started)
                ));
            }
            Action::Overlay(overlay) => {
                self.queue_for_all(&Overlay::script_for(overlay.as_ref()));
                if overlay.is_none() && self.overlay.is_some() {
                    say("errors fixed: overlay cleared");
                }
                self.overlay = overlay;
            }
            Action::Say(line) => say(&line),
            Action::Apply {
                generation,
                changes,
                started,
            } => {
                // `app.toml` or `app.json5`, as the app names it.
                let file = generation.app.manifest.clone();
                for change in &changes {
                    self.apply(change, &generation, target);
                    say(&format!("{file} {change}"));
                }
                // Each rebuilt once, however many of the changes ask for it.
                if changes
                    .iter()
                    .any(|c| matches!(c, Change::Menus | Change::Tray(_)))
                {
                    self.rebuild_menus(&generation);
                }
                if changes.iter().any(|c| rebuilds_pages(c, &generation)) {
                    self.new_page_scripts(&generation, target);
                }
                say(&format!(
                    "{file} → generation {} in force ({})",
                    generation.number,
                    ms(started)
                ));
            }
        }
    }

    /// `[dev] url` with a dev server: starts `[dev] command` if there is one, and when the
    /// server does not answer yet, has windows open on a waiting page until it does.
    pub(super) fn start_dev_server(&mut self) -> anyhow::Result<()> {
        let generation = self.core.current();
        if generation.origins.dev_server().is_none() {
            return Ok(());
        }
        say_dev_policy(&generation);
        let Some(url) = generation
            .app
            .dev_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
        else {
            return Ok(());
        };
        if let Some(command) = &generation.app.dev_command {
            say(&format!("starting `{command}`"));
            let folder = self
                .core
                .source()
                .folder()
                .ok_or_else(|| anyhow::anyhow!("`[dev] command` runs in an app folder on disk"))?
                .to_path_buf();
            self.dev_server = Some(DevServer::start(command, &folder)?);
        }
        if crate::dev::server::answers(&url) {
            return Ok(());
        }
        self.kit.waiting = true;
        say(&format!(
            "waiting for {url} to answer; the windows show a waiting page"
        ));
        let proxy = self.proxy.clone();
        std::thread::spawn(move || {
            let up = crate::dev::server::wait_for(&url, std::time::Duration::from_secs(300));
            let action = if up {
                Action::ServerUp
            } else {
                Action::Say(format!(
                    "the dev server at {url} did not answer within 5 minutes"
                ))
            };
            let _ = proxy.send_event(UserEvent::Dev(action));
        });
        Ok(())
    }

    /// The dev server answers: every window leaves the waiting page for its own.
    fn server_up(&mut self) {
        self.kit.waiting = false;
        let generation = self.core.current();
        for w in self.windows.values() {
            let declared = generation.app.windows.iter().find(|d| d.label == w.label);
            if let Some(d) = declared {
                let url = generation.origins.start_url(&d.url);
                if let Err(e) = w.webview.load_url(&url) {
                    say(&format!("window `{}`: could not load {url}: {e}", w.label));
                }
            }
        }
        say("dev server answers: windows loaded from it");
    }

    /// Gives every window the bridge and dev scripts of the new generation: they are fixed
    /// when a webview is built, so each open window is built again.
    fn new_page_scripts(&mut self, generation: &Arc<Generation>, target: &Target) {
        let (console, dev) = (self.kit.console.is_some(), self.kit.dev.is_some());
        self.kit
            .set_page_scripts(self.core.key(), generation, console, dev);
        say_dev_policy(generation);
        self.rebuild_windows(generation, target);
    }

    /// Asks every page to reload (pages may cancel through `apphost:change`).
    pub(super) fn reload_all(&mut self, paths: &[String]) {
        let script = format!(
            "window.__apphost_dev&&window.__apphost_dev.reload({});",
            serde_json::Value::from(paths.to_vec())
        );
        self.queue_for_all(&script);
    }

    /// A page finished loading: the first one brings up the tray and the hidden windows; in
    /// dev, any page gets the overlay again while there is an error.
    pub(super) fn page_loaded(&mut self, label: String, target: &Target) {
        if self.tray.is_none() {
            self.first_page_loaded(target);
        }
        if let Some(overlay) = &self.overlay {
            let script = Overlay::script_for(Some(overlay));
            self.outbox.entry(label).or_default().push_str(&script);
        }
    }

    /// Applies one manifest change to what lives on the UI thread.
    fn apply(&mut self, change: &Change, generation: &Arc<Generation>, target: &Target) {
        match change {
            Change::WindowAdded(w) => self.place(w, target),
            Change::WindowRemoved(label) => self.remove_window(label),
            Change::WindowChanged { label, changes } => {
                for c in changes {
                    self.change_window(label, c, generation, target);
                }
            }
            Change::Icon(path) => {
                let source = self.core.source();
                let icon = path
                    .as_deref()
                    .and_then(|p| super::window_icon(source.as_ref(), p));
                for w in self.windows.values() {
                    w.window.set_window_icon(icon.clone());
                }
                self.kit.icon = icon;
            }
            // Rebuilt once for the whole diff by the caller: the menu bar and tray, and the
            // scripts a page is given when its webview is built (see `rebuilds_pages`).
            Change::Menus | Change::Tray(_) | Change::DevUrl(_) | Change::MaxPayload(_) => {}
            Change::Frontend(_) | Change::SpaFallback(_) => self.reload_all(&[]),
            // Read per request or per call from the generation: nothing to do here.
            Change::Restart { .. }
            | Change::Csp
            | Change::Navigation
            | Change::Endpoints { .. }
            | Change::ScriptLimits
            | Change::Info
            | Change::QuitOnLastWindowClosed(_) => {}
        }
    }

    fn remove_window(&mut self, label: &str) {
        if let Some(pending) = &mut self.later {
            pending.retain(|w| w.label != label);
        }
        if let Some((id, _)) = ops::find(&self.windows, label) {
            // Removing a window from the manifest never quits the app.
            self.windows.remove(&id);
        }
    }

    fn change_window(
        &mut self,
        label: &str,
        change: &WindowChange,
        generation: &Arc<Generation>,
        target: &Target,
    ) {
        let declared = generation.app.windows.iter().find(|w| w.label == label);
        let Some((_, open)) = ops::find(&self.windows, label) else {
            // Not open (hidden and not yet built): built from the new manifest when it is
            // wanted, which is now if it was made visible.
            if let Some(w) = declared {
                self.place(w, target);
            }
            return;
        };
        let win = &open.window;
        match change {
            WindowChange::Title(t) => win.set_title(t),
            WindowChange::Size { width, height } => {
                win.set_inner_size(LogicalSize::new(*width, *height));
            }
            WindowChange::MinSize(w, h) => win.set_min_inner_size(
                (w.is_some() || h.is_some())
                    .then(|| LogicalSize::new(w.unwrap_or(0), h.unwrap_or(0))),
            ),
            WindowChange::MaxSize(w, h) => {
                win.set_max_inner_size((w.is_some() || h.is_some()).then(|| {
                    LogicalSize::new(w.unwrap_or(u16::MAX.into()), h.unwrap_or(u16::MAX.into()))
                }))
            }
            WindowChange::Position(Some((x, y))) => {
                win.set_outer_position(LogicalPosition::new(*x, *y));
            }
            WindowChange::Position(None) => {}
            WindowChange::Resizable(on) => win.set_resizable(*on),
            WindowChange::Decorations(on) => win.set_decorations(*on),
            WindowChange::AlwaysOnTop(on) => win.set_always_on_top(*on),
            WindowChange::Visible(on) => win.set_visible(*on),
            WindowChange::Maximized(on) => win.set_maximized(*on),
            WindowChange::Fullscreen(on) => {
                win.set_fullscreen(on.then_some(tao::window::Fullscreen::Borderless(None)))
            }
            WindowChange::Url(url) => {
                let url = generation.origins.start_url(url);
                if let Err(e) = open.webview.load_url(&url) {
                    say(&format!("window `{label}`: could not load {url}: {e}"));
                }
            }
            // Devtools are on in every window in dev; grants are read per call.
            WindowChange::Devtools(_) | WindowChange::Grants(_) => {}
            WindowChange::Rebuild { .. } => {
                if let Some(w) = declared {
                    self.rebuild(w, target);
                }
            }
        }
    }

    /// Builds every open window again from the new generation (their pages get the new bridge).
    fn rebuild_windows(&mut self, generation: &Arc<Generation>, target: &Target) {
        let open: Vec<String> = self.windows.values().map(|w| w.label.clone()).collect();
        for label in open {
            if let Some(w) = generation.app.windows.iter().find(|w| w.label == label) {
                self.rebuild(w, target);
            }
        }
    }

    /// A declared window not open yet: opened now if visible, else kept for when it is shown.
    fn place(&mut self, w: &manifest::Window, target: &Target) {
        if let Some(pending) = &mut self.later {
            pending.retain(|p| p.label != w.label);
        }
        if !w.visible {
            self.later.get_or_insert_with(Vec::new).push(w.clone());
        } else if let Err(e) = self.open(target, w, false) {
            say(&format!("window `{}` could not open: {e:#}", w.label));
        }
    }

    /// Closes window `w` and builds it again from its (new) declaration.
    fn rebuild(&mut self, w: &manifest::Window, target: &Target) {
        self.remove_window(&w.label);
        if let Err(e) = self.open(target, w, false) {
            say(&format!("window `{}` could not be rebuilt: {e:#}", w.label));
        }
    }

    /// A new menu bar on every window and a new tray, from the new generation; the old items'
    /// actions go with them.
    fn rebuild_menus(&mut self, generation: &Arc<Generation>) {
        let app = &generation.app;
        let mut actions = menu::Actions::default();
        let bar = menu::menu_bar(app, &mut actions);
        for w in self.windows.values() {
            if let Some(old) = &self.kit.menu {
                let _ = old.remove_for_gtk_window(w.window.gtk_window());
            }
            if let Some(bar) = &bar
                && let Some(vbox) = w.window.default_vbox()
                && let Err(e) = bar.init_for_gtk_window(w.window.gtk_window(), Some(vbox))
            {
                say(&format!("window `{}`: no menu bar: {e}", w.label));
            }
        }
        self.kit.menu = bar;
        if self.tray.is_some() {
            // Dropping the old icon takes it off the panel before the new one is added.
            self.tray = None;
            let source = Arc::clone(self.core.source());
            self.tray = Some(app.tray.as_ref().and_then(|t| {
                tray::create(t, app, source.as_ref(), &mut actions, self.proxy.clone())
            }));
        }
        self.actions = actions;
    }
}
