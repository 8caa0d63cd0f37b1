//! `[app]` and `[[window]]`.

use std::collections::HashMap;

use super::super::model::{AppSection, DEFAULT_FRONTEND, Manifest, Permission, WindowSection};
use super::super::path::KeyPath;
use super::super::suggest::closest;
use super::{Ctx, Diagnostic, icon_file, is_reverse_dns, problem, relative_inside, stays_inside};
use crate::key_path;
use crate::pattern::wildcard_match;
use crate::source::Lookup;

/// Checks `[app]`. Returns whether the frontend folder is usable, so that `windows` can look
/// for pages inside it.
pub(super) fn app(cx: &mut Ctx, m: &Manifest) -> bool {
    let Some(app) = &m.app else {
        cx.out.push(
            Diagnostic::error("missing required section `app`")
                .at(KeyPath::root())
                .help_syntax(
                    "add `[app]` with at least `id = \"com.example.my-app\"` and `name = \"My App\"`",
                    "add `app: { id: \"com.example.my-app\", name: \"My App\" }`",
                ),
        );
        // Nothing more to report about [app]; pages are still looked for in the default folder.
        return cx.is_dir(DEFAULT_FRONTEND);
    };
    let p = key_path!["app"];
    match &app.id {
        None => cx.missing(
            p.clone(),
            "id",
            "a reverse-DNS id such as `com.example.notes`",
        ),
        Some(id) if !is_reverse_dns(id) => {
            cx.error(p.key("id"), format!("`{id}` is not a reverse-DNS id"))
                .hint("use two or more dot-separated names of letters, digits and `-`, e.g. `com.example.notes`");
        }
        Some(_) => {}
    }
    match &app.name {
        None => cx.missing(p.clone(), "name", "the app's display name"),
        Some(n) if n.trim().is_empty() => {
            cx.error(p.key("name"), "the app's name is empty");
        }
        Some(_) => {}
    }
    if let Some(v) = &app.version
        && let Err(e) = semver::Version::parse(v)
    {
        cx.error(
            p.key("version"),
            format!("`{v}` is not a semantic version: {e}"),
        )
        .hint("write it as MAJOR.MINOR.PATCH, e.g. `1.0.0`");
    }
    let frontend = app.frontend_or_default();
    let mut frontend_ok = false;
    if relative_inside(cx, p.key("frontend"), frontend, "the frontend folder") {
        match cx.look(frontend) {
            Lookup::Dir => frontend_ok = true,
            Lookup::File(_) => {
                cx.error(
                    p.key("frontend"),
                    format!("the frontend `{frontend}` is not a folder"),
                );
            }
            other => {
                let path = if app.frontend.is_some() {
                    p.key("frontend")
                } else {
                    p.clone()
                };
                cx.error(
                    path,
                    format!("the frontend folder `{frontend}` {}", problem(&other)),
                )
                .hint("create it, or point `frontend` at the folder that holds index.html");
            }
        }
    }
    if let Some(icon) = &app.icon {
        icon_file(cx, p.key("icon"), icon);
    }
    frontend_ok
}

pub(super) fn windows(cx: &mut Ctx, m: &Manifest, frontend_ok: bool) {
    let frontend = m
        .app
        .as_ref()
        .map_or(DEFAULT_FRONTEND, AppSection::frontend_or_default);
    let nav = m
        .security
        .as_ref()
        .map(|s| s.allow_navigation.as_slice())
        .unwrap_or_default();
    let mut labels: HashMap<&str, usize> = HashMap::new();

    if m.window.is_empty() && frontend_ok && !cx.is_file(&format!("{frontend}/index.html")) {
        cx.error(
            key_path!["app"],
            format!("no `[[window]]` is declared, and the default page `{frontend}/index.html` does not exist"),
        )
        .hint_syntax(
            "add index.html, or declare a `[[window]]` with the `url` of the first page",
            "add index.html, or declare `window: [{ url: \"…\" }]` with the first page",
        );
    }

    for (i, w) in m.window.iter().enumerate() {
        let p = key_path!["window", i];
        match &w.label {
            None if i > 0 => cx.missing(
                p.clone(),
                "label",
                "a unique window name, e.g. `\"settings\"`",
            ),
            None => {}
            Some(l) => {
                if l.is_empty()
                    || !l
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    cx.error(
                        p.key("label"),
                        format!("window label `{l}` may use only letters, digits, `-` and `_`"),
                    );
                }
                if let Some(first) = labels.insert(l.as_str(), i) {
                    cx.error(
                        p.key("label"),
                        format!("window label `{l}` is already used by window[{first}]"),
                    );
                }
            }
        }
        if w.label.is_none() && i == 0 {
            labels.insert("main", 0);
        }

        let url = w.url_or_default();
        let url_path = p.key(if w.url.is_some() { "url" } else { "label" });
        if url.contains("://") {
            if !url::Url::parse(url).is_ok_and(|u| crate::pattern::any_matches(nav, &u)) {
                cx.error(p.key("url"), format!("`{url}` is outside the app, and `security.allow-navigation` does not allow it"))
                    .hint("add a matching pattern to `security.allow-navigation`, or use a page inside the frontend folder");
            }
        } else if frontend_ok {
            let file = url
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .trim_start_matches('/');
            let file = if file.is_empty() || file.ends_with('/') {
                format!("{file}index.html")
            } else {
                file.to_owned()
            };
            let rel = format!("{frontend}/{file}");
            if !stays_inside(&file) {
                cx.error(
                    url_path,
                    format!("the window's page `{url}` must be a path inside the frontend folder"),
                );
            } else if !cx.is_file(&rel) {
                cx.error(
                    url_path,
                    format!("the window's page `{rel}` does not exist"),
                );
            }
        }

        sizes(cx, &p, w);
        if w.x.is_some() != w.y.is_some() {
            let (has, lacks) = if w.x.is_some() {
                ("x", "y")
            } else {
                ("y", "x")
            };
            cx.error(p.key(has), format!("`{has}` needs `{lacks}` as well"));
        }
        if w.center == Some(true) && w.x.is_some() {
            cx.warn(p.key("center"), "`center` overrides `x` and `y`");
        }
        if w.fullscreen == Some(true) && w.maximized == Some(true) {
            cx.warn(
                p.key("maximized"),
                "`maximized` has no effect on a fullscreen window",
            );
        }
        if let Some(grants) = &w.endpoints {
            for (j, g) in grants.iter().enumerate() {
                if !m.endpoints.keys().any(|name| wildcard_match(g, name)) {
                    cx.warn(
                        p.key("endpoints").index(j),
                        format!("`{g}` matches no declared endpoint"),
                    )
                    .suggest(closest(g, m.endpoints.keys().map(String::as_str)));
                }
            }
        }
        permissions(cx, &p, w);
    }
}

/// `permissions`: known names only, each once.
fn permissions(cx: &mut Ctx, p: &KeyPath, w: &WindowSection) {
    let Some(names) = &w.permissions else {
        return;
    };
    let known = || Permission::ALL.iter().map(|p| p.name());
    for (j, name) in names.iter().enumerate() {
        let at = p.key("permissions").index(j);
        if Permission::from_name(name).is_none() {
            let list = known().collect::<Vec<_>>().join("`, `");
            cx.error(at, format!("unknown permission `{name}`"))
                .hint(format!("the permissions are `{list}`"))
                .suggest(closest(name, known()));
        } else if names[..j].contains(name) {
            cx.warn(at, format!("permission `{name}` is listed twice"));
        }
    }
}

fn sizes(cx: &mut Ctx, p: &KeyPath, w: &WindowSection) {
    for (key, v) in [
        ("width", w.width),
        ("height", w.height),
        ("min-width", w.min_width),
        ("min-height", w.min_height),
        ("max-width", w.max_width),
        ("max-height", w.max_height),
    ] {
        if v == Some(0) {
            cx.error(p.key(key), format!("`{key}` must be at least 1"));
        }
    }
    for (dim, size, min, max) in [
        ("width", w.width, w.min_width, w.max_width),
        ("height", w.height, w.min_height, w.max_height),
    ] {
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            cx.error(
                p.key(&format!("min-{dim}")),
                format!("`min-{dim}` ({lo}) is larger than `max-{dim}` ({hi})"),
            );
            continue;
        }
        if let Some(s) = size {
            if let Some(lo) = min.filter(|lo| s < *lo) {
                cx.error(
                    p.key(dim),
                    format!("`{dim}` ({s}) is below `min-{dim}` ({lo})"),
                );
            }
            if let Some(hi) = max.filter(|hi| s > *hi) {
                cx.error(
                    p.key(dim),
                    format!("`{dim}` ({s}) is above `max-{dim}` ({hi})"),
                );
            }
        }
    }
}
