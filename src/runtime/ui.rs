//! The UI thread's state, in one struct with one [`Ui::handle`] for every event (the shape of
//! tauri-runtime-wry's `handle_user_message`): the windows, the menu bar and its actions, the
//! tray, the web context, the scripts queued for each page, and the focused window. Whatever
//! the manifest's current generation says about windows, menus and the tray is applied here.

use std::collections::HashMap;
use std::sync::{Arc, mpsc};

use serde_json::Value;
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowId;
use wry::WebContext;

use super::{UserEvent, dialog, menu, ops, scheme, tray, window};
use crate::builtins::UiRequest;
use crate::generation::Core;
use crate::ipc::{self, IpcError};
use crate::manifest::{self, Predefined};

type Target = EventLoopWindowTarget<UserEvent>;

pub struct Ui {
    pub(super) protocol: Option<scheme::Scheme>,
    pub(super) core: Arc<Core>,
    pub(super) kit: window::Kit,
    pub(super) context: WebContext,
    pub(super) windows: HashMap<WindowId, window::Open>,
    /// Hidden windows, built once the first page has loaded.
    pub(super) later: Option<Vec<manifest::Window>>,
    pub(super) actions: menu::Actions,
    /// `None` until the first page has loaded; then the tray, if there is one.
    pub(super) tray: Option<Option<tray_icon::TrayIcon>>,
    pub(super) focused: Option<WindowId>,
    /// Scripts for each window's page, sent once per turn of the loop.
    pub(super) outbox: HashMap<String, String>,
    pub(super) proxy: EventLoopProxy<UserEvent>,
    /// The `app://` handler, until the first webview registers it on the shared context.
    /// `apphost dev`: the error overlay every page shows meanwhile.
    pub(super) overlay: Option<crate::dev::Overlay>,
    /// `apphost dev`: the file watcher, alive as long as the loop.
    pub(super) watcher: Option<Arc<crate::watch::Watcher>>,
    /// `apphost dev`: the `[dev] command` process, stopped with the loop.
    pub(super) dev_server: Option<crate::dev::server::DevServer>,
}

impl Ui {
    /// Opens the windows that are visible at start (all of them when none is).
    pub fn open_first(&mut self, target: &Target) -> anyhow::Result<()> {
        let app = Arc::clone(&self.core.current().app);
        let (mut now, mut later): (Vec<_>, Vec<_>) = app.windows.iter().partition(|w| w.visible);
        if now.is_empty() {
            now = std::mem::take(&mut later);
        }
        let later: Vec<manifest::Window> = later.into_iter().cloned().collect();
        self.later = Some(later).filter(|l| !l.is_empty());
        for (i, w) in now.into_iter().enumerate() {
            self.open(target, w, i == 0)?;
        }
        self.focused = self.windows.keys().next().copied();
        Ok(())
    }

    /// Builds window `w`. The scheme lives on the shared web context: registered with the
    /// first webview, it serves every window.
    pub(super) fn open(
        &mut self,
        target: &Target,
        w: &manifest::Window,
        first: bool,
    ) -> anyhow::Result<()> {
        let protocol = self.protocol.take();
        let open = window::open(target, &mut self.context, w, &self.kit, protocol, first)?;
        self.windows.insert(open.window.id(), open);
        Ok(())
    }

    fn quit_on_last(&self) -> bool {
        self.core.current().app.quit_on_last_window_closed
    }

    pub fn handle(&mut self, event: Event<'_, UserEvent>, target: &Target, flow: &mut ControlFlow) {
        *flow = ControlFlow::Wait;
        match event {
            Event::WindowEvent {
                window_id, event, ..
            } => match event {
                WindowEvent::CloseRequested => self.close(window_id, flow),
                WindowEvent::Focused(true) => self.focused = Some(window_id),
                _ => {}
            },
            Event::UserEvent(e) => self.user_event(e, target, flow),
            Event::MainEventsCleared => self.flush(),
            // tao exits the process after this: nothing is dropped, so stop the server and
            // give the terminal back here.
            Event::LoopDestroyed => {
                drop(self.dev_server.take());
                crate::dev::restore_terminal();
            }
            _ => {}
        }
    }

    fn user_event(&mut self, event: UserEvent, target: &Target, flow: &mut ControlFlow) {
        match event {
            UserEvent::Menu(id) => match self.actions.by_id.get(&id) {
                Some(menu::Action::Emit { event, id, check }) => {
                    let mut detail = serde_json::json!({ "id": id });
                    if let Some(c) = check {
                        detail["checked"] = c.is_checked().into();
                    }
                    let event = event.clone();
                    self.emit(None, &event, &detail.to_string());
                }
                Some(menu::Action::Native(kind)) => self.native(*kind, flow),
                None => {}
            },
            UserEvent::TrayClick => {
                let app = Arc::clone(&self.core.current().app);
                if let Some(event) = app.tray.as_ref().and_then(|t| t.emit.as_ref()) {
                    self.emit(None, event, r#"{"id":"tray"}"#);
                }
            }
            UserEvent::Loaded => *flow = ControlFlow::Exit,
            UserEvent::Deliver { label, script } => {
                self.outbox.entry(label).or_default().push_str(&script);
            }
            UserEvent::Emit {
                source,
                event,
                data,
            } => {
                let router = Arc::clone(&self.core.current().router);
                router.on_event(source.as_deref(), &event, &data);
                self.emit(source.as_deref(), &event, &data);
            }
            UserEvent::Ui(request, reply) => self.ui_request(request, reply, target, flow),
            UserEvent::FirstPageLoaded => self.first_page_loaded(target),
            UserEvent::PageLoaded { label } => self.page_loaded(label, target),
            UserEvent::Dev(action) => self.dev_action(action, target, flow),
        }
    }

    fn ui_request(
        &mut self,
        request: UiRequest,
        reply: mpsc::Sender<Result<Value, IpcError>>,
        target: &Target,
        flow: &mut ControlFlow,
    ) {
        let answer = match request {
            UiRequest::Exit(code) => {
                *flow = ControlFlow::ExitWithCode(code);
                Ok(Value::Null)
            }
            UiRequest::ListWindows => Ok(Value::from(
                self.windows
                    .values()
                    .map(|w| serde_json::json!({ "label": w.label, "visible": w.window.is_visible() }))
                    .collect::<Vec<_>>(),
            )),
            UiRequest::Window { label, op, .. } if op == "open" => {
                self.open_declared(&label, target)
            }
            UiRequest::Window { label, op, args } => {
                let quit_on_last = self.quit_on_last();
                ops::window_op(&label, &op, &args, &mut self.windows, quit_on_last, flow)
            }
            UiRequest::Menu { op, args } => menu::change(&self.actions, &op, &args),
            // These answer later, from a GTK callback.
            UiRequest::Clipboard { text } => return ops::clipboard(text, reply),
            UiRequest::Dialog { window, op, args } => {
                match self.windows.values().find(|w| w.label == window) {
                    Some(w) => return dialog::show(&op, &args, w.window.gtk_window(), reply),
                    None => Err(IpcError::Unavailable(format!(
                        "window `{window}` has closed"
                    ))),
                }
            }
        };
        let _ = reply.send(answer);
    }

    /// The tray, and the hidden windows: nobody looks at either before the first page.
    pub(super) fn first_page_loaded(&mut self, target: &Target) {
        if self.tray.is_none() {
            let app = Arc::clone(&self.core.current().app);
            self.tray = Some(app.tray.as_ref().and_then(|t| {
                let source = self.core.source();
                tray::create(
                    t,
                    &app,
                    source.as_ref(),
                    &mut self.actions,
                    self.proxy.clone(),
                )
            }));
        }
        for w in self.later.take().unwrap_or_default() {
            if let Err(e) = self.open(target, &w, false) {
                tracing::error!("{e:#}");
            }
        }
    }

    /// `window.open`: shows a declared window, building it first if it is not open.
    fn open_declared(&mut self, label: &str, target: &Target) -> Result<Value, IpcError> {
        if let Some((_, w)) = ops::find(&self.windows, label) {
            w.window.set_visible(true);
            w.window.set_focus();
            return Ok(Value::Null);
        }
        let app = Arc::clone(&self.core.current().app);
        let Some(declared) = app.windows.iter().find(|w| w.label == label) else {
            return Err(IpcError::BadArgs(format!(
                "no window `{label}` is declared in app.toml"
            )));
        };
        if let Some(pending) = &mut self.later {
            pending.retain(|w| w.label != label);
        }
        let mut declared = declared.clone();
        declared.visible = true;
        self.open(target, &declared, false)
            .map_err(|e| IpcError::Handler(format!("{e:#}")))?;
        Ok(Value::Null)
    }

    /// Queues `event` for the page of every window; `data` is JSON text.
    pub(super) fn emit(&mut self, source: Option<&str>, event: &str, data: &str) {
        let script = ipc::message::event_script(event, data, source);
        self.queue_for_all(&script);
    }

    /// Queues `script` for the page of every window.
    pub(super) fn queue_for_all(&mut self, script: &str) {
        for w in self.windows.values() {
            self.outbox
                .entry(w.label.clone())
                .or_default()
                .push_str(script);
        }
    }

    /// Sends each window's queued scripts as one.
    fn flush(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        let origins = self.core.current().origins.clone();
        for w in self.windows.values() {
            if let Some(script) = self.outbox.remove(&w.label) {
                window::deliver(&w.label, &w.webview, &script, &origins);
            }
        }
        // Scripts for windows that have closed meanwhile go nowhere.
        self.outbox.clear();
    }

    pub(super) fn close(&mut self, id: WindowId, flow: &mut ControlFlow) {
        let quit_on_last = self.quit_on_last();
        ops::close(&mut self.windows, id, quit_on_last, flow);
    }

    fn native(&mut self, kind: Predefined, flow: &mut ControlFlow) {
        use Predefined as P;
        let current = self.focused.filter(|id| self.windows.contains_key(id));
        let with = |f: &dyn Fn(&tao::window::Window)| {
            if let Some(w) = current.and_then(|id| self.windows.get(&id)) {
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
                for (id, w) in &self.windows {
                    if Some(*id) != current {
                        w.window.set_visible(false);
                    }
                }
            }
            P::ShowAll => self
                .windows
                .values()
                .for_each(|w| w.window.set_visible(true)),
            P::CloseWindow => {
                if let Some(id) = current {
                    self.close(id, flow);
                }
            }
            P::About | P::Copy | P::Cut | P::Paste | P::SelectAll | P::Undo | P::Redo => {}
        }
    }
}
