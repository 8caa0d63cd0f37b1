//! What the user wrote: the serde model of `app.toml` / `app.json5`.
//!
//! Strict (unknown keys are errors) and deliberately plain: every optional key is an `Option`
//! so that "required" and every cross-key rule live in `validate`, where messages can name the
//! key and its place. The JSON Schema (`apphost schema`) is generated from these same types, so
//! the doc comments here are what editors show.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// An apphost app manifest (`app.toml` or `app.json5`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "apphost app manifest")]
pub struct Manifest {
    /// Who the app is and where its files are.
    pub app: Option<AppSection>,
    /// The windows opened at start. With none declared, one window `main` shows `index.html`.
    #[serde(default)]
    pub window: Vec<WindowSection>,
    /// Content-Security-Policy, navigation and external-link rules.
    pub security: Option<SecuritySection>,
    /// The endpoints the page may call with `window.apphost.invoke(name, args)`. Nothing else
    /// is reachable.
    #[serde(default)]
    pub endpoints: BTreeMap<String, EndpointSection>,
    /// The menu bar: one entry per top-level menu.
    #[serde(default)]
    pub menu: Vec<MenuSection>,
    /// A system tray (status area) icon with its menu.
    pub tray: Option<TraySection>,
    /// Default limits for every script endpoint.
    pub scripts: Option<ScriptLimits>,
    /// Settings used only by `apphost dev`.
    pub dev: Option<DevSection>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AppSection {
    /// Reverse-DNS identifier, e.g. `dev.example.notes`. Names the app's data directories.
    pub id: Option<String>,
    /// Human-readable name, used as the default window title.
    pub name: Option<String>,
    /// Semantic version, e.g. `1.0.0`.
    pub version: Option<String>,
    /// Folder served at `app://localhost/`, relative to the manifest. Default `web`.
    pub frontend: Option<String>,
    /// Window and desktop icon: a PNG or ICO file, relative to the manifest.
    pub icon: Option<String>,
    /// Serve `index.html` for paths that match no file (client-side routers). Default false.
    pub spa_fallback: Option<bool>,
    /// Exit when the last window closes. Default true; set false for tray apps.
    pub quit_on_last_window_closed: Option<bool>,
}

/// The frontend folder when `[app] frontend` is not set.
pub const DEFAULT_FRONTEND: &str = "web";
/// A window's first page when its `url` is not set.
pub const DEFAULT_PAGE: &str = "index.html";

impl AppSection {
    pub fn frontend_or_default(&self) -> &str {
        self.frontend.as_deref().unwrap_or(DEFAULT_FRONTEND)
    }
}

impl WindowSection {
    pub fn url_or_default(&self) -> &str {
        self.url.as_deref().unwrap_or(DEFAULT_PAGE)
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WindowSection {
    /// Unique name of the window, used by the window API. Letters, digits, `-` and `_`.
    pub label: Option<String>,
    /// First page: a path inside the frontend folder. Default `index.html`.
    pub url: Option<String>,
    /// Title bar text. Default: the app's name.
    pub title: Option<String>,
    /// Inner width in logical pixels. Default 800.
    pub width: Option<u32>,
    /// Inner height in logical pixels. Default 600.
    pub height: Option<u32>,
    pub min_width: Option<u32>,
    pub min_height: Option<u32>,
    pub max_width: Option<u32>,
    pub max_height: Option<u32>,
    /// Position of the window's left edge on the screen; needs `y` too.
    pub x: Option<i32>,
    /// Position of the window's top edge on the screen; needs `x` too.
    pub y: Option<i32>,
    /// Centre the window on the screen. Default false.
    pub center: Option<bool>,
    /// Default true.
    pub resizable: Option<bool>,
    /// Default false.
    pub maximized: Option<bool>,
    /// Default false.
    pub fullscreen: Option<bool>,
    /// Title bar and borders. Default true.
    pub decorations: Option<bool>,
    /// Transparent window background (the page must not paint one). Default false.
    pub transparent: Option<bool>,
    /// Default false.
    pub always_on_top: Option<bool>,
    /// Shown at start. Default true; a hidden window can be shown through the window API.
    pub visible: Option<bool>,
    /// Focus the window when it opens. Default true.
    pub focused: Option<bool>,
    /// Web inspector. Default false; `apphost dev` turns it on.
    pub devtools: Option<bool>,
    /// Endpoints this window may call: names or globs such as `notes.*`. Default: every
    /// declared endpoint. `[]` allows none.
    pub endpoints: Option<Vec<String>>,
    /// What the window's pages may ask WebKit for; every other request is refused. Default
    /// `[]`. Names: `geolocation`, `notifications`, `clipboard-read`, `media` (camera,
    /// microphone, screen capture, WebRTC), `pointer-lock`, `eme` (encrypted media),
    /// `storage-access` (a framed site's cookies), `downloads` (asks where to save).
    #[schemars(with = "Option<Vec<Permission>>")]
    pub permissions: Option<Vec<String>>,
}

/// A power of WebKit's that a window's page may be granted (`[[window]] permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    Geolocation,
    Notifications,
    ClipboardRead,
    Media,
    PointerLock,
    Eme,
    StorageAccess,
    Downloads,
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::Geolocation,
        Permission::Notifications,
        Permission::ClipboardRead,
        Permission::Media,
        Permission::PointerLock,
        Permission::Eme,
        Permission::StorageAccess,
        Permission::Downloads,
    ];

    /// The name written in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Geolocation => "geolocation",
            Permission::Notifications => "notifications",
            Permission::ClipboardRead => "clipboard-read",
            Permission::Media => "media",
            Permission::PointerLock => "pointer-lock",
            Permission::Eme => "eme",
            Permission::StorageAccess => "storage-access",
            Permission::Downloads => "downloads",
        }
    }

    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecuritySection {
    /// Content-Security-Policy of every HTML page: one policy string, or a table of
    /// directives whose values are a source string or a list of sources.
    pub csp: Option<Csp>,
    /// Directives whose `<script>`/`<style>` tags get a fresh nonce on every response.
    /// Default `["script-src", "style-src"]`. Leave `style-src` out when the page creates
    /// `<style>` elements at run time: with a nonce in the policy they are refused.
    pub csp_nonce: Option<Vec<String>>,
    /// URL patterns a window may navigate to besides `app://localhost/`, matched part by part
    /// on the parsed URL (`https://*.example.com/*`; see the README's "URL patterns").
    #[serde(default)]
    pub allow_navigation: Vec<String>,
    /// URL patterns opened in the system browser instead of the window, e.g. `https://*` or
    /// `mailto:*`; `file:`, file shares and `.desktop` files never are.
    #[serde(default)]
    pub open_external: Vec<String>,
    /// Largest `invoke` payload, each way: bytes, or a string like `"32 MiB"`. Default 32 MiB.
    pub max_payload: Option<ByteSize>,
    /// Ask for cross-origin isolation, for `SharedArrayBuffer` and WebAssembly threads: every
    /// `app://` response then also carries `Cross-Origin-Embedder-Policy: require-corp`, and
    /// the host turns `SharedArrayBuffer` on for the app's web processes (WebKitGTK does not
    /// isolate a custom-scheme page by its headers). Resources from other origins load only
    /// if they allow it (CORP or CORS). Default false.
    pub cross_origin_isolated: Option<bool>,
}

/// A CSP as written: one policy string, or a table of directives.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(untagged)]
pub enum Csp {
    Policy(String),
    Directives(BTreeMap<String, Sources>),
}

/// One source (`"'self'"`) or several (`["'self'", "data:"]`).
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(untagged)]
pub enum Sources {
    One(String),
    Many(Vec<String>),
}

/// The policy when `csp` is not set: the app's own files only, no plugins, and no `<base>`
/// pointing elsewhere (which would make the page's own nonce-stamped scripts load from there).
pub const DEFAULT_CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'self'";

/// [`DEFAULT_CSP`] as directives.
pub fn default_csp() -> Vec<(String, Vec<String>)> {
    Csp::Policy(DEFAULT_CSP.to_owned()).directives()
}

/// Directives that get a nonce when `csp-nonce` is not set.
pub const DEFAULT_CSP_NONCE: &[&str] = &["script-src", "style-src"];

impl Csp {
    /// The directives in order, each with its sources. A policy string is split at `;`, its
    /// directive names lowercased (CSP names are case-insensitive); table keys are kept as
    /// written, so that validation can point at a misspelt one.
    pub fn directives(&self) -> Vec<(String, Vec<String>)> {
        match self {
            Csp::Policy(text) => text
                .split(';')
                .filter_map(|d| {
                    let mut words = d.split_whitespace();
                    let name = words.next()?.to_ascii_lowercase();
                    Some((name, words.map(str::to_owned).collect()))
                })
                .collect(),
            Csp::Directives(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_slice().to_vec()))
                .collect(),
        }
    }
}

impl Sources {
    pub fn as_slice(&self) -> &[String] {
        match self {
            Sources::One(s) => std::slice::from_ref(s),
            Sources::Many(v) => v,
        }
    }
}

/// String-or-table and string-or-list are written by hand so that a wrong shape gets a plain
/// "expected a string or a table" instead of serde's "did not match any variant".
impl<'de> Deserialize<'de> for Csp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Csp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a policy string or a table of directives")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Csp, E> {
                Ok(Csp::Policy(s.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Csp, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<String, Sources>()? {
                    out.insert(k, v);
                }
                Ok(Csp::Directives(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Sources;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a source string or a list of sources")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Sources, E> {
                Ok(Sources::One(s.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<Sources, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = s.next_element::<String>()? {
                    out.push(v);
                }
                Ok(Sources::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EndpointSection {
    /// A Rust handler shipped in the host, e.g. `fs.read_text`. Exactly one of `builtin` and
    /// `script`.
    pub builtin: Option<String>,
    /// A Rhai script, relative to the manifest, e.g. `scripts/notes.rhai`.
    pub script: Option<String>,
    /// The script function to call. Default: the last segment of the endpoint name.
    #[serde(rename = "fn")]
    pub function: Option<String>,
    /// Paths the endpoint may touch (fs builtins and scripts): globs starting with a
    /// variable (`$APPDATA`, `$APPCONFIG`, `$APPCACHE`, `$HOME`, `$DOCUMENTS`, `$DOWNLOADS`,
    /// `$TEMP`) or an absolute path, or `$USER_SELECTED` alone: exactly the paths the user
    /// picked in `dialog.open`/`dialog.save` during this run (and what lies below a picked
    /// folder). Nothing outside is reachable.
    pub scope: Option<Vec<String>>,
    /// URL patterns (`http`/`https`, matched part by part on the parsed URL) a script may
    /// fetch with `http_get`/`http_post`. Default: none.
    pub allow_urls: Option<Vec<String>>,
    /// Builtin endpoints a script may call with `invoke`. Default: none.
    pub invoke: Option<Vec<String>>,
    /// Scripts only: page events (names or `*` patterns, `"doc:*"`) handed to the script's
    /// `fn on_event(name, data)`, on a worker thread, with this endpoint's grants and limits.
    pub on: Option<Vec<String>>,
    /// Wall-clock limit for one call, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Script limits for this endpoint, overriding `[scripts]`.
    pub limits: Option<ScriptLimits>,
}

impl EndpointSection {
    /// The script function endpoint `name` calls: `fn`, or the name's last segment.
    pub fn function_or_default<'a>(&'a self, name: &'a str) -> &'a str {
        self.function
            .as_deref()
            .unwrap_or_else(|| name.rsplit('.').next().unwrap_or(name))
    }
}

/// Limits of the script sandbox. Unset values take safe defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScriptLimits {
    /// Wall-clock limit for one call, in milliseconds. Default 1000.
    pub timeout_ms: Option<u64>,
    /// Rhai operations per call. Default 5,000,000.
    pub max_operations: Option<u64>,
    /// Memory one call may hold, in bytes or as `"64 MiB"`. Default 64 MiB.
    pub max_memory: Option<ByteSize>,
    /// Default 64.
    pub max_call_depth: Option<u32>,
    /// Default 64.
    pub max_expr_depth: Option<u32>,
    /// Bytes in one string, in bytes or as `"16 MiB"`. Default 16 MiB. Checked where values
    /// enter or leave the script and by functions that make a value of a size an argument
    /// sets; inside a call, `max-memory` bounds everything.
    pub max_string_size: Option<ByteSize>,
    /// Items in one array (bytes in one blob), as a number or `"1M"`. Default 1,000,000.
    pub max_array_size: Option<Count>,
    /// Entries in one object map, as a number or `"1M"`. Default 1,000,000.
    pub max_map_size: Option<Count>,
    /// Default 1,000.
    pub max_variables: Option<u64>,
    /// Default 1,000.
    pub max_functions: Option<u64>,
}

/// A size in bytes: an integer, or a string such as `"64 MiB"`, `"512KB"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "ByteSizeSchema")]
pub struct ByteSize(pub u64);

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ByteSizeSchema {
    Bytes(u64),
    Text(String),
}

impl ByteSize {
    pub fn parse(s: &str) -> Option<u64> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().ok()?;
        let mul: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" => 1000,
            "kib" | "k" => 1 << 10,
            "mb" => 1_000_000,
            "mib" | "m" => 1 << 20,
            "gb" => 1_000_000_000,
            "gib" | "g" => 1 << 30,
            _ => return None,
        };
        n.checked_mul(mul)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size in bytes, or a string such as \"64 MiB\"")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<ByteSize, E> {
                u64::try_from(n)
                    .map(ByteSize)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(n))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ByteSize, E> {
                ByteSize::parse(s)
                    .map(ByteSize)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// A count: an integer, or a string such as `"100k"`, `"1M"` (decimal: k = 1,000, M =
/// 1,000,000, G = 1,000,000,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "ByteSizeSchema")]
pub struct Count(pub u64);

impl Count {
    pub fn parse(s: &str) -> Option<u64> {
        let s: String = s.chars().filter(|c| *c != '_' && *c != ',').collect();
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().ok()?;
        let mul: u64 = match unit.trim() {
            "" => 1,
            "k" | "K" => 1000,
            "M" => 1_000_000,
            "G" => 1_000_000_000,
            _ => return None,
        };
        n.checked_mul(mul)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or a string such as \"1M\"")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Count, E> {
                u64::try_from(n)
                    .map(Count)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Count, E> {
                Ok(Count(n))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Count, E> {
                Count::parse(s)
                    .map(Count)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MenuSection {
    /// The menu's title in the menu bar, e.g. `File`. Use `&` before a letter for a mnemonic.
    pub label: Option<String>,
    /// Optional id, for changing the menu from the page.
    pub id: Option<String>,
    /// The menu's entries.
    #[serde(default)]
    pub items: Vec<MenuItem>,
}

/// One menu entry. Its kind follows from its keys: `separator = true`; `predefined = "…"`;
/// `items = […]` (a submenu, with `label`); otherwise a normal item with `label`, which
/// becomes a check item when `checked` is set.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MenuItem {
    /// Unique id across all menus and the tray, for the menu API and the event payload.
    pub id: Option<String>,
    pub label: Option<String>,
    /// Keyboard shortcut, e.g. `CmdOrCtrl+Shift+N`, `Alt+F4`, `F5`.
    pub accelerator: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Makes this a check item, initially checked or not.
    pub checked: Option<bool>,
    /// Event delivered to every window's page (`apphost.on(name, cb)`) when activated.
    pub emit: Option<String>,
    /// Makes this a submenu holding these entries.
    pub items: Option<Vec<MenuItem>>,
    /// A separator line (`separator = true`).
    pub separator: Option<bool>,
    /// A standard item that the system implements.
    #[schemars(with = "Option<Predefined>")]
    pub predefined: Option<String>,
}

/// What a [`MenuItem`] is, decided by which keys it has (first match wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Separator,
    Predefined,
    Submenu,
    Item,
}

impl ItemKind {
    /// The keys an entry of this kind may have.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            ItemKind::Separator => &["separator"],
            ItemKind::Predefined => &["predefined", "label"],
            ItemKind::Submenu => &["items", "label", "id", "enabled"],
            ItemKind::Item => &["id", "label", "accelerator", "enabled", "checked", "emit"],
        }
    }

    /// "a separator", "an item"… for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ItemKind::Separator => "a separator",
            ItemKind::Predefined => "a predefined item",
            ItemKind::Submenu => "a submenu",
            ItemKind::Item => "an item",
        }
    }
}

impl MenuItem {
    pub fn kind(&self) -> ItemKind {
        if self.separator.is_some() {
            ItemKind::Separator
        } else if self.predefined.is_some() {
            ItemKind::Predefined
        } else if self.items.is_some() {
            ItemKind::Submenu
        } else {
            ItemKind::Item
        }
    }
}

/// Standard menu items implemented by the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Predefined {
    // Kept in step with `Predefined::NAMES`.
    Quit,
    About,
    Copy,
    Cut,
    Paste,
    SelectAll,
    Undo,
    Redo,
    Minimize,
    Maximize,
    Fullscreen,
    Hide,
    HideOthers,
    ShowAll,
    CloseWindow,
}

impl Predefined {
    pub const NAMES: &[(&str, Predefined)] = &[
        ("quit", Predefined::Quit),
        ("about", Predefined::About),
        ("copy", Predefined::Copy),
        ("cut", Predefined::Cut),
        ("paste", Predefined::Paste),
        ("select-all", Predefined::SelectAll),
        ("undo", Predefined::Undo),
        ("redo", Predefined::Redo),
        ("minimize", Predefined::Minimize),
        ("maximize", Predefined::Maximize),
        ("fullscreen", Predefined::Fullscreen),
        ("hide", Predefined::Hide),
        ("hide-others", Predefined::HideOthers),
        ("show-all", Predefined::ShowAll),
        ("close-window", Predefined::CloseWindow),
    ];

    pub fn from_name(name: &str) -> Option<Predefined> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TraySection {
    /// PNG or ICO file, relative to the manifest.
    pub icon: Option<String>,
    pub tooltip: Option<String>,
    /// Text beside the icon, where the desktop shows one.
    pub title: Option<String>,
    /// Event delivered to every window when the icon is clicked.
    pub emit: Option<String>,
    /// The tray icon's menu.
    #[serde(default)]
    pub menu: Vec<MenuItem>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DevSection {
    /// A framework dev server (e.g. `http://localhost:5173`) that `apphost dev` loads instead
    /// of the frontend folder.
    pub url: Option<String>,
    /// Watch files by polling instead of inotify (network drives, some containers); default
    /// false. `apphost dev` falls back to polling by itself when inotify runs out of watches.
    pub poll: Option<bool>,
    /// A command that starts the dev server (`npm run dev`), run by `apphost dev` in the app
    /// folder with the app, its output shown, and stopped when the app quits. Needs `url`.
    pub command: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{ByteSize, Count};

    #[test]
    fn predefined_names_match_the_serde_names() {
        for (name, p) in super::Predefined::NAMES {
            let parsed: super::Predefined =
                serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(parsed, *p);
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(ByteSize::parse("64 MiB"), Some(64 << 20));
        assert_eq!(ByteSize::parse("512KB"), Some(512_000));
        assert_eq!(ByteSize::parse("10"), Some(10));
        assert_eq!(ByteSize::parse("10 parsecs"), None);
        assert_eq!(Count::parse("100k"), Some(100_000));
        assert_eq!(Count::parse("1M"), Some(1_000_000));
        assert_eq!(Count::parse("1_000_000"), Some(1_000_000));
        assert_eq!(Count::parse("1 MiB"), None);
        assert_eq!(ByteSize::parse("99999999999999 GiB"), None);
    }

    #[test]
    fn script_size_limits_take_units() {
        let l: super::ScriptLimits = serde_json::from_value(serde_json::json!({
            "max-string-size": "64 KiB", "max-array-size": "10k", "max-map-size": 7
        }))
        .unwrap();
        assert_eq!(l.max_string_size, Some(ByteSize(65536)));
        assert_eq!(l.max_array_size, Some(Count(10_000)));
        assert_eq!(l.max_map_size, Some(Count(7)));
        let resolved = crate::manifest::Limits::default().apply(&l);
        assert_eq!(resolved.max_string_size, 65536);
        assert_eq!(resolved.max_array_size, 10_000);
    }
}
