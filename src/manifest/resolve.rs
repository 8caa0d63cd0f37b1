//! What the host runs: the manifest with defaults applied, paths made relative to the app's
//! [`Source`] in one normal form, and menu entries sorted into kinds. Built only from a
//! manifest that validated cleanly. The same `App` runs from a folder, a packaged payload or
//! files built into the host: nothing here names a place on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub use super::model::Permission;
use super::model::{self, ItemKind, Manifest, MenuItem, Predefined};
use crate::source::{Lookup, Source, normal};

pub const DEFAULT_WIDTH: u32 = 800;
pub const DEFAULT_HEIGHT: u32 = 600;

/// `PartialEq` lets `dev` skip a save that changed nothing the app runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The manifest's name in the source (`app.toml`).
    pub manifest: String,
    pub id: String,
    pub name: String,
    pub version: Option<String>,
    /// The frontend folder (`web`; `""` when it is the app folder itself).
    pub frontend: String,
    pub icon: Option<String>,
    pub spa_fallback: bool,
    pub quit_on_last_window_closed: bool,
    pub windows: Vec<Window>,
    pub security: Security,
    pub endpoints: BTreeMap<String, Endpoint>,
    pub menus: Vec<Menu>,
    pub tray: Option<Tray>,
    pub script_limits: Limits,
    pub dev_url: Option<String>,
    /// `[dev] poll`: the dev watcher polls instead of using inotify.
    pub dev_poll: bool,
    /// `[dev] command`: what starts the dev server.
    pub dev_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub label: String,
    /// Path (with query/fragment) inside the frontend, or an allowed external URL.
    pub url: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub min_width: Option<u32>,
    pub min_height: Option<u32>,
    pub max_width: Option<u32>,
    pub max_height: Option<u32>,
    pub position: Option<(i32, i32)>,
    pub center: bool,
    pub resizable: bool,
    pub maximized: bool,
    pub fullscreen: bool,
    pub decorations: bool,
    pub transparent: bool,
    pub always_on_top: bool,
    pub visible: bool,
    pub focused: bool,
    pub devtools: bool,
    /// Endpoint grants (names or `*` patterns); `None` grants every declared endpoint.
    pub endpoints: Option<Vec<String>>,
    /// What the window's pages may ask WebKit for; everything else is refused.
    pub permissions: BTreeSet<Permission>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// Directives in order, each with its sources.
    pub csp: Vec<(String, Vec<String>)>,
    /// Directives that get a per-response nonce.
    pub csp_nonce: Vec<String>,
    pub allow_navigation: Vec<String>,
    pub open_external: Vec<String>,
    /// Largest `invoke` payload in bytes, each way.
    pub max_payload: u64,
    /// Send the headers that make pages cross-origin isolated.
    pub cross_origin_isolated: bool,
}

/// `[security] max-payload` when not given.
pub const DEFAULT_MAX_PAYLOAD: u64 = 32 << 20;

impl Security {
    /// The policy as a header value, without nonces.
    pub fn csp_header(&self) -> String {
        csp_text(&self.csp)
    }
}

/// Directives joined into a `Content-Security-Policy` value.
pub fn csp_text(directives: &[(String, Vec<String>)]) -> String {
    directives
        .iter()
        .map(|(d, s)| {
            if s.is_empty() {
                d.clone()
            } else {
                format!("{d} {}", s.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    Builtin(String),
    Script { path: String, function: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub handler: Handler,
    pub scope: Vec<String>,
    pub allow_urls: Vec<String>,
    pub invoke: Vec<String>,
    /// Scripts only: event patterns whose page events go to the script's `on_event`.
    pub on: Vec<String>,
    /// `timeout-ms` as written on the endpoint: what bounds a builtin call. Scripts use
    /// `limits.timeout`, which already includes it.
    pub timeout: Option<Duration>,
    /// For scripts: `[scripts]` overridden by the endpoint's `limits` and `timeout-ms`.
    pub limits: Limits,
}

/// Script sandbox limits with every default applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub timeout: Duration,
    pub max_operations: u64,
    pub max_memory: u64,
    pub max_call_depth: u32,
    pub max_expr_depth: u32,
    pub max_string_size: u64,
    pub max_array_size: u64,
    pub max_map_size: u64,
    pub max_variables: u64,
    pub max_functions: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_millis(1000),
            max_operations: 5_000_000,
            max_memory: 64 << 20,
            max_call_depth: 64,
            max_expr_depth: 64,
            max_string_size: 16 << 20,
            max_array_size: 1_000_000,
            max_map_size: 1_000_000,
            max_variables: 1_000,
            max_functions: 1_000,
        }
    }
}

impl Limits {
    pub(crate) fn apply(mut self, l: &model::ScriptLimits) -> Self {
        if let Some(v) = l.timeout_ms {
            self.timeout = Duration::from_millis(v);
        }
        self.max_operations = l.max_operations.unwrap_or(self.max_operations);
        self.max_memory = l.max_memory.map_or(self.max_memory, |b| b.0);
        self.max_call_depth = l.max_call_depth.unwrap_or(self.max_call_depth);
        self.max_expr_depth = l.max_expr_depth.unwrap_or(self.max_expr_depth);
        self.max_string_size = l.max_string_size.map_or(self.max_string_size, |b| b.0);
        self.max_array_size = l.max_array_size.map_or(self.max_array_size, |c| c.0);
        self.max_map_size = l.max_map_size.map_or(self.max_map_size, |c| c.0);
        self.max_variables = l.max_variables.unwrap_or(self.max_variables);
        self.max_functions = l.max_functions.unwrap_or(self.max_functions);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub id: Option<String>,
    pub label: String,
    pub items: Vec<MenuEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    Item {
        id: Option<String>,
        label: String,
        accelerator: Option<String>,
        enabled: bool,
        /// `Some` makes it a check item.
        checked: Option<bool>,
        emit: Option<String>,
    },
    Submenu {
        id: Option<String>,
        label: String,
        enabled: bool,
        items: Vec<MenuEntry>,
    },
    Separator,
    Predefined {
        kind: Predefined,
        label: Option<String>,
    },
}

impl MenuEntry {
    /// Only for items that validated, so every key fits the item's kind.
    fn from_model(m: &MenuItem) -> Result<Self, String> {
        let label = || m.label.clone().unwrap_or_default();
        Ok(match m.kind() {
            ItemKind::Separator => MenuEntry::Separator,
            ItemKind::Predefined => {
                let name = m.predefined.as_deref().unwrap_or_default();
                MenuEntry::Predefined {
                    kind: Predefined::from_name(name)
                        .ok_or_else(|| format!("unknown predefined menu item `{name}`"))?,
                    label: m.label.clone(),
                }
            }
            ItemKind::Submenu => MenuEntry::Submenu {
                id: m.id.clone(),
                label: label(),
                enabled: m.enabled.unwrap_or(true),
                items: entries(m.items.as_deref().unwrap_or_default())?,
            },
            ItemKind::Item => MenuEntry::Item {
                id: m.id.clone(),
                label: label(),
                accelerator: m.accelerator.clone(),
                enabled: m.enabled.unwrap_or(true),
                checked: m.checked,
                emit: m.emit.clone(),
            },
        })
    }

    /// This entry and everything nested in it.
    pub fn count(&self) -> usize {
        match self {
            MenuEntry::Submenu { items, .. } => {
                1 + items.iter().map(MenuEntry::count).sum::<usize>()
            }
            _ => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tray {
    pub icon: String,
    pub tooltip: Option<String>,
    pub title: Option<String>,
    pub emit: Option<String>,
    pub menu: Vec<MenuEntry>,
}

fn entries(items: &[MenuItem]) -> Result<Vec<MenuEntry>, String> {
    items.iter().map(MenuEntry::from_model).collect()
}

/// `rel` (a path the manifest names, which validation kept inside the app) in normal form.
fn relative(rel: &str) -> Result<String, String> {
    normal(rel).ok_or_else(|| format!("`{rel}` is not a path inside the app folder"))
}

/// `rel`, which must be a file of `source`.
fn file(source: &dyn Source, rel: &str) -> Result<String, String> {
    let rel = relative(rel)?;
    match source.lookup(&rel) {
        Lookup::File(_) => Ok(rel),
        _ => Err(format!("`{}` is not a file", source.describe(&rel))),
    }
}

/// Builds the [`App`] from a manifest that `validate` accepted, whose paths are relative to
/// `source`'s root and whose own name there is `manifest`.
pub(super) fn resolve(m: &Manifest, source: &dyn Source, manifest: &str) -> Result<App, String> {
    let a = m.app.clone().unwrap_or_default();
    let name = a.name.clone().unwrap_or_default();
    let frontend = relative(a.frontend_or_default())?;
    match source.lookup(&frontend) {
        Lookup::Dir => {}
        Lookup::Outside => {
            return Err(format!(
                "the frontend folder `{}` resolves outside the app folder",
                source.describe(&frontend)
            ));
        }
        _ => {
            return Err(format!(
                "the frontend folder `{}` is not a folder",
                source.describe(&frontend)
            ));
        }
    }

    let mut windows: Vec<Window> = m.window.iter().map(|w| window(w, &name)).collect();
    if windows.is_empty() {
        windows.push(window(&model::WindowSection::default(), &name));
    }

    let sec = m.security.clone().unwrap_or_default();
    let csp = match &sec.csp {
        None => model::default_csp(),
        Some(csp) => csp.directives(),
    };
    let security = Security {
        csp,
        csp_nonce: sec.csp_nonce.clone().unwrap_or_else(|| {
            model::DEFAULT_CSP_NONCE
                .iter()
                .map(|d| d.to_string())
                .collect()
        }),
        allow_navigation: sec.allow_navigation.clone(),
        open_external: sec.open_external.clone(),
        max_payload: sec.max_payload.map_or(DEFAULT_MAX_PAYLOAD, |b| b.0),
        cross_origin_isolated: sec.cross_origin_isolated.unwrap_or(false),
    };

    let script_limits = Limits::default().apply(&m.scripts.clone().unwrap_or_default());
    let mut endpoints = BTreeMap::new();
    for (name, e) in &m.endpoints {
        let handler = match (&e.builtin, &e.script) {
            (Some(b), _) => Handler::Builtin(b.clone()),
            (None, Some(s)) => Handler::Script {
                path: file(source, s)?,
                function: e.function_or_default(name).to_owned(),
            },
            (None, None) => return Err(format!("endpoint `{name}` has no handler")),
        };
        let limits = script_limits.apply(&e.limits.clone().unwrap_or_default());
        endpoints.insert(
            name.clone(),
            Endpoint {
                handler,
                scope: e.scope.clone().unwrap_or_default(),
                allow_urls: e.allow_urls.clone().unwrap_or_default(),
                invoke: e.invoke.clone().unwrap_or_default(),
                on: e.on.clone().unwrap_or_default(),
                timeout: e.timeout_ms.map(Duration::from_millis),
                limits: Limits {
                    timeout: e.timeout_ms.map_or(limits.timeout, Duration::from_millis),
                    ..limits
                },
            },
        );
    }

    let menus = m
        .menu
        .iter()
        .map(|menu| {
            Ok(Menu {
                id: menu.id.clone(),
                label: menu.label.clone().unwrap_or_default(),
                items: entries(&menu.items)?,
            })
        })
        .collect::<Result<_, String>>()?;
    let tray = match &m.tray {
        Some(t) => Some(Tray {
            icon: file(source, t.icon.as_deref().unwrap_or_default())?,
            tooltip: t.tooltip.clone(),
            title: t.title.clone(),
            emit: t.emit.clone(),
            menu: entries(&t.menu)?,
        }),
        None => None,
    };
    let icon = match &a.icon {
        Some(i) => Some(file(source, i)?),
        None => None,
    };

    Ok(App {
        manifest: manifest.to_owned(),
        id: a.id.clone().unwrap_or_default(),
        name,
        version: a.version.clone(),
        frontend,
        icon,
        spa_fallback: a.spa_fallback.unwrap_or(false),
        quit_on_last_window_closed: a.quit_on_last_window_closed.unwrap_or(true),
        windows,
        security,
        endpoints,
        menus,
        tray,
        script_limits,
        dev_url: m.dev.as_ref().and_then(|d| d.url.clone()),
        dev_poll: m.dev.as_ref().and_then(|d| d.poll).unwrap_or(false),
        dev_command: m.dev.as_ref().and_then(|d| d.command.clone()),
    })
}

fn window(w: &model::WindowSection, app_name: &str) -> Window {
    Window {
        label: w.label.clone().unwrap_or_else(|| "main".to_owned()),
        url: w.url_or_default().to_owned(),
        title: w.title.clone().unwrap_or_else(|| app_name.to_owned()),
        width: w.width.unwrap_or(DEFAULT_WIDTH),
        height: w.height.unwrap_or(DEFAULT_HEIGHT),
        min_width: w.min_width,
        min_height: w.min_height,
        max_width: w.max_width,
        max_height: w.max_height,
        position: w.x.zip(w.y),
        center: w.center.unwrap_or(false),
        resizable: w.resizable.unwrap_or(true),
        maximized: w.maximized.unwrap_or(false),
        fullscreen: w.fullscreen.unwrap_or(false),
        decorations: w.decorations.unwrap_or(true),
        transparent: w.transparent.unwrap_or(false),
        always_on_top: w.always_on_top.unwrap_or(false),
        visible: w.visible.unwrap_or(true),
        focused: w.focused.unwrap_or(true),
        devtools: w.devtools.unwrap_or(false),
        endpoints: w.endpoints.clone(),
        // Validation refused unknown names.
        permissions: w
            .permissions
            .iter()
            .flatten()
            .filter_map(|p| Permission::from_name(p))
            .collect(),
    }
}
