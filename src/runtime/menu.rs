//! `[[menu]]` and the tray's menu as muda menus, and what activating each item does.
//!
//! muda's GTK backend implements only the edit commands (copy, paste…) and About as predefined
//! items. Quit, minimize, maximize, fullscreen, hide, hide-others, show-all and close-window are
//! built here as plain items whose action the runtime carries out, so they work on Linux too.

use std::collections::HashMap;

use muda::accelerator::Accelerator;
use muda::{
    AboutMetadata, CheckMenuItem, IsMenuItem, Menu, MenuId, MenuItem, PredefinedMenuItem, Submenu,
};

use crate::manifest::{App, MenuEntry, Predefined};

/// What activating an item does.
#[derive(Clone)]
pub enum Action {
    /// Deliver `event` to every window's page with the item's id (and state, for check items).
    Emit {
        event: String,
        id: String,
        check: Option<CheckMenuItem>,
    },
    /// A window or app command the runtime carries out.
    Native(Predefined),
}

/// An item the `menu.*` builtins can change, by its manifest id.
pub enum Handle {
    Item(MenuItem),
    Check(CheckMenuItem),
    Submenu(Submenu),
}

/// The actions of every item built so far, by muda id, and the items that have a manifest id.
#[derive(Default)]
pub struct Actions {
    pub by_id: HashMap<MenuId, Action>,
    pub items: HashMap<String, Handle>,
    next: usize,
}

impl Actions {
    fn fresh_id(&mut self) -> MenuId {
        self.next += 1;
        MenuId::new(format!("apphost:{}", self.next))
    }
}

/// The menu bar for every window, or `None` when the manifest declares no menu.
pub fn menu_bar(app: &App, actions: &mut Actions) -> Option<Menu> {
    if app.menus.is_empty() {
        return None;
    }
    let bar = Menu::new();
    for m in &app.menus {
        let sub = Submenu::new(&m.label, true);
        for item in items(&m.items, app, actions) {
            warn_on_err(sub.append(item.as_ref()), &m.label);
        }
        warn_on_err(bar.append(&sub), &m.label);
    }
    Some(bar)
}

/// A context menu (the tray's) from a list of entries.
pub fn context_menu(entries: &[MenuEntry], app: &App, actions: &mut Actions) -> Menu {
    let menu = Menu::new();
    for item in items(entries, app, actions) {
        warn_on_err(menu.append(item.as_ref()), "tray");
    }
    menu
}

fn items(entries: &[MenuEntry], app: &App, actions: &mut Actions) -> Vec<Box<dyn IsMenuItem>> {
    entries.iter().map(|e| item(e, app, actions)).collect()
}

fn item(entry: &MenuEntry, app: &App, actions: &mut Actions) -> Box<dyn IsMenuItem> {
    match entry {
        MenuEntry::Separator => Box::new(PredefinedMenuItem::separator()),
        MenuEntry::Submenu {
            id,
            label,
            enabled,
            items: children,
        } => {
            let mid = id.clone().map_or_else(|| actions.fresh_id(), MenuId::new);
            let sub = Submenu::with_id(mid, label, *enabled);
            for child in items(children, app, actions) {
                warn_on_err(sub.append(child.as_ref()), label);
            }
            if let Some(id) = id {
                actions
                    .items
                    .insert(id.clone(), Handle::Submenu(sub.clone()));
            }
            Box::new(sub)
        }
        MenuEntry::Item {
            id,
            label,
            accelerator,
            enabled,
            checked,
            emit,
        } => {
            let mid = id.clone().map_or_else(|| actions.fresh_id(), MenuId::new);
            let accel = accelerator.as_deref().and_then(parse_accelerator);
            let (boxed, check, handle): (Box<dyn IsMenuItem>, _, _) = match checked {
                Some(on) => {
                    let c = CheckMenuItem::with_id(mid.clone(), label, *enabled, *on, accel);
                    (Box::new(c.clone()), Some(c.clone()), Handle::Check(c))
                }
                None => {
                    let i = MenuItem::with_id(mid.clone(), label, *enabled, accel);
                    (Box::new(i.clone()), None, Handle::Item(i))
                }
            };
            if let Some(id) = id {
                actions.items.insert(id.clone(), handle);
            }
            if let Some(event) = emit {
                actions.by_id.insert(
                    mid.clone(),
                    Action::Emit {
                        event: event.clone(),
                        id: id.clone().unwrap_or_else(|| mid.0.clone()),
                        check,
                    },
                );
            }
            boxed
        }
        MenuEntry::Predefined { kind, label } => predefined(*kind, label.as_deref(), app, actions),
    }
}

fn predefined(
    kind: Predefined,
    label: Option<&str>,
    app: &App,
    actions: &mut Actions,
) -> Box<dyn IsMenuItem> {
    use Predefined as P;
    match kind {
        P::Copy => Box::new(PredefinedMenuItem::copy(label)),
        P::Cut => Box::new(PredefinedMenuItem::cut(label)),
        P::Paste => Box::new(PredefinedMenuItem::paste(label)),
        P::SelectAll => Box::new(PredefinedMenuItem::select_all(label)),
        P::Undo => Box::new(PredefinedMenuItem::undo(label)),
        P::Redo => Box::new(PredefinedMenuItem::redo(label)),
        P::About => {
            let about = AboutMetadata {
                name: Some(app.name.clone()),
                version: app.version.clone(),
                ..Default::default()
            };
            let text = label.map_or_else(|| format!("About {}", app.name), str::to_owned);
            Box::new(PredefinedMenuItem::about(Some(&text), Some(about)))
        }
        native => {
            let (default_label, accel) = native_label(native);
            let mid = actions.fresh_id();
            actions.by_id.insert(mid.clone(), Action::Native(native));
            Box::new(MenuItem::with_id(
                mid,
                label.unwrap_or(default_label),
                true,
                accel.and_then(parse_accelerator),
            ))
        }
    }
}

/// Label and accelerator of the items the runtime carries out itself.
fn native_label(kind: Predefined) -> (&'static str, Option<&'static str>) {
    use Predefined as P;
    match kind {
        P::Quit => ("Quit", Some("CmdOrCtrl+Q")),
        P::CloseWindow => ("Close Window", Some("CmdOrCtrl+W")),
        P::Minimize => ("Minimize", None),
        P::Maximize => ("Maximize", None),
        P::Fullscreen => ("Toggle Full Screen", Some("F11")),
        P::Hide => ("Hide", None),
        P::HideOthers => ("Hide Others", None),
        P::ShowAll => ("Show All", None),
        _ => ("", None),
    }
}

/// `menu.set_enabled {id, enabled}`, `menu.set_checked {id, checked}`, `menu.set_text {id,
/// text}`. Every window's menu bar and the tray show the change: they share the items.
pub fn change(
    actions: &Actions,
    op: &str,
    args: &serde_json::Value,
) -> Result<serde_json::Value, crate::ipc::IpcError> {
    use crate::ipc::IpcError;
    let bad = |m: &str| IpcError::BadArgs(m.to_owned());
    let id = args
        .get("id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("expected { id: string, … }"))?;
    let item = actions
        .items
        .get(id)
        .ok_or_else(|| IpcError::BadArgs(format!("no menu item has the id `{id}` in app.toml")))?;
    let flag = |k: &str| {
        args.get(k)
            .and_then(|v| v.as_bool())
            .ok_or_else(|| IpcError::BadArgs(format!("expected {{ id, {k}: boolean }}")))
    };
    match (op, item) {
        ("set_enabled", Handle::Item(i)) => i.set_enabled(flag("enabled")?),
        ("set_enabled", Handle::Check(c)) => c.set_enabled(flag("enabled")?),
        ("set_enabled", Handle::Submenu(s)) => s.set_enabled(flag("enabled")?),
        ("set_checked", Handle::Check(c)) => c.set_checked(flag("checked")?),
        ("set_checked", _) => {
            return Err(IpcError::BadArgs(format!(
                "`{id}` is not a check item (give it `checked` in app.toml)"
            )));
        }
        ("set_text", item) => {
            let text = args
                .get("text")
                .and_then(|v| v.as_str())
                .ok_or_else(|| bad("expected { id, text: string }"))?;
            match item {
                Handle::Item(i) => i.set_text(text),
                Handle::Check(c) => c.set_text(text),
                Handle::Submenu(s) => s.set_text(text),
            }
        }
        _ => return Err(IpcError::NotFound(format!("menu.{op}"))),
    }
    Ok(serde_json::Value::Null)
}

fn parse_accelerator(text: &str) -> Option<Accelerator> {
    crate::manifest::accelerator::parse(text)
        .map_err(|e| tracing::warn!("ignoring {e}"))
        .ok()
}

fn warn_on_err(r: Result<(), muda::Error>, what: &str) {
    if let Err(e) = r {
        tracing::warn!("menu `{what}`: {e}");
    }
}
