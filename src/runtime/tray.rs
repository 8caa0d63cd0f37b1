//! `[tray]` with tray-icon. A desktop without a tray (or without a D-Bus session bus) gets a
//! logged warning, and the app runs on without one.

use tao::event_loop::EventLoopProxy;
use tray_icon::{TrayIcon, TrayIconBuilder, TrayIconEvent};

use super::{UserEvent, menu};
use crate::manifest::{App, Tray};
use crate::source::Source;

pub fn create(
    t: &Tray,
    app: &App,
    source: &dyn Source,
    actions: &mut menu::Actions,
    proxy: EventLoopProxy<UserEvent>,
) -> Option<TrayIcon> {
    let icon = match crate::icon::load(source, &t.icon) {
        Ok(i) => match tray_icon::Icon::from_rgba(i.pixels, i.width, i.height) {
            Ok(icon) => icon,
            Err(e) => {
                tracing::warn!("tray icon: {e}; running without a tray");
                return None;
            }
        },
        Err(e) => {
            tracing::warn!(
                "tray icon {}: {e}; running without a tray",
                source.describe(&t.icon)
            );
            return None;
        }
    };
    let mut b = TrayIconBuilder::new()
        .with_icon(icon)
        .with_tooltip(t.tooltip.clone().unwrap_or_else(|| app.name.clone()));
    if let Some(title) = &t.title {
        b = b.with_title(title);
    }
    if !t.menu.is_empty() {
        b = b.with_menu(Box::new(menu::context_menu(&t.menu, app, actions)));
    }
    if t.emit.is_some() {
        TrayIconEvent::set_event_handler(Some(move |e: TrayIconEvent| {
            if let TrayIconEvent::Click { .. } = e {
                let _ = proxy.send_event(UserEvent::TrayClick);
            }
        }));
    }
    match b.build() {
        Ok(tray) => Some(tray),
        Err(e) => {
            tracing::warn!("no tray icon: {e}; the app runs without one");
            None
        }
    }
}
