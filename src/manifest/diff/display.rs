//! One short line per change, for the dev terminal.

use std::fmt;

use super::{Change, WindowChange};

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Restart { key, why } => write!(f, "restart needed: {key} changed ({why})"),
            Change::WindowAdded(w) if !w.visible => {
                write!(f, "window {:?} added (hidden until shown)", w.label)
            }
            Change::WindowAdded(w) => write!(f, "window {:?} opened", w.label),
            Change::WindowRemoved(label) => write!(f, "window {label:?} closed"),
            Change::WindowChanged { label, changes } => {
                write!(f, "window {label:?}: ")?;
                for (i, c) in changes.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{c}")?;
                }
                Ok(())
            }
            Change::Menus => f.write_str("menu bar rebuilt"),
            Change::Tray(Some(_)) => f.write_str("tray updated"),
            Change::Tray(None) => f.write_str("tray removed"),
            Change::Csp => {
                f.write_str("page security headers changed (CSP, cross-origin isolation)")
            }
            Change::Navigation => f.write_str("allow-navigation/open-external changed"),
            Change::Endpoints {
                added,
                removed,
                changed,
            } => {
                f.write_str("endpoints:")?;
                for (mark, names) in [("+", added), ("−", removed), ("~", changed)] {
                    for n in names {
                        write!(f, " {mark}{n}")?;
                    }
                }
                Ok(())
            }
            Change::ScriptLimits => f.write_str("script limits changed"),
            Change::MaxPayload(n) => write!(f, "max-payload → {n} bytes"),
            Change::DevUrl(Some(url)) => write!(f, "dev url → {url}"),
            Change::DevUrl(None) => f.write_str("dev url removed: serving the frontend folder"),
            Change::Frontend(p) => write!(f, "frontend → {p}"),
            Change::SpaFallback(on) => write!(f, "spa-fallback → {on}"),
            Change::Info => f.write_str("app name/version changed"),
            Change::Icon(Some(p)) => write!(f, "icon → {p}"),
            Change::Icon(None) => f.write_str("icon removed"),
            Change::QuitOnLastWindowClosed(on) => {
                write!(f, "quit-on-last-window-closed → {on}")
            }
        }
    }
}

impl fmt::Display for WindowChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WindowChange as C;
        match self {
            C::Title(t) => write!(f, "title → {t:?}"),
            C::Size { width, height } => write!(f, "size → {width}x{height}"),
            C::MinSize(w, h) => write!(f, "min size → {}", dims(*w, *h)),
            C::MaxSize(w, h) => write!(f, "max size → {}", dims(*w, *h)),
            C::Position(Some((x, y))) => write!(f, "position → {x},{y}"),
            C::Position(None) => f.write_str("position → unset"),
            C::Resizable(b) => write!(f, "resizable → {b}"),
            C::Decorations(b) => write!(f, "decorations → {b}"),
            C::AlwaysOnTop(b) => write!(f, "always-on-top → {b}"),
            C::Visible(b) => write!(f, "visible → {b}"),
            C::Maximized(b) => write!(f, "maximized → {b}"),
            C::Fullscreen(b) => write!(f, "fullscreen → {b}"),
            C::Url(u) => write!(f, "url → {u}"),
            C::Devtools(b) => write!(f, "devtools → {b}"),
            C::Grants(None) => f.write_str("endpoints → every declared one"),
            C::Grants(Some(g)) if g.is_empty() => f.write_str("endpoints → none"),
            C::Grants(Some(g)) => write!(f, "endpoints → {}", g.join(", ")),
            C::Rebuild { why } => write!(f, "reopened ({why})"),
        }
    }
}

/// `400x300`, `width 400`, `height 300` or `unset`.
fn dims(w: Option<u32>, h: Option<u32>) -> String {
    match (w, h) {
        (Some(w), Some(h)) => format!("{w}x{h}"),
        (Some(w), None) => format!("width {w}"),
        (None, Some(h)) => format!("height {h}"),
        (None, None) => "unset".to_owned(),
    }
}
