//! Rules beyond types: required keys, forms, uniqueness, files that must exist, and the syntax
//! of accelerators, CSP directives, scopes and URL patterns. Each rule reports at a key path;
//! `check` turns paths into file:line:col. All problems are reported, not just the first.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path};
use std::str::FromStr;

use super::diagnostic::Diagnostic;
use super::model::*;
use super::path::KeyPath;
use super::suggest::closest;
use super::{SCOPE_VARS, is_endpoint_name};
use crate::builtins;
use crate::key_path;
use crate::pattern::wildcard_match;

/// CSP Level 3 directive names.
pub const CSP_DIRECTIVES: &[&str] = &[
    "default-src",
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "style-src",
    "style-src-elem",
    "style-src-attr",
    "img-src",
    "font-src",
    "connect-src",
    "media-src",
    "object-src",
    "frame-src",
    "child-src",
    "worker-src",
    "manifest-src",
    "fenced-frame-src",
    "base-uri",
    "form-action",
    "frame-ancestors",
    "sandbox",
    "upgrade-insecure-requests",
    "block-all-mixed-content",
    "report-uri",
    "report-to",
    "require-trusted-types-for",
    "trusted-types",
    "webrtc",
];

/// Directives whose tags the host can stamp with a nonce.
pub const NONCE_DIRECTIVES: &[&str] = &[
    "script-src",
    "script-src-elem",
    "style-src",
    "style-src-elem",
];

/// CSP keywords that only mean something in single quotes.
const CSP_KEYWORDS: &[&str] = &[
    "self",
    "none",
    "unsafe-inline",
    "unsafe-eval",
    "unsafe-hashes",
    "strict-dynamic",
    "report-sample",
    "wasm-unsafe-eval",
];

struct Ctx<'a> {
    dir: &'a Path,
    out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn error(&mut self, path: KeyPath, msg: impl Into<String>) -> &mut Diagnostic {
        self.push(Diagnostic::error(msg).at(path))
    }

    fn warn(&mut self, path: KeyPath, msg: impl Into<String>) -> &mut Diagnostic {
        self.push(Diagnostic::warning(msg).at(path))
    }

    fn push(&mut self, d: Diagnostic) -> &mut Diagnostic {
        self.out.push(d);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// `key` is missing from the table at `table`; the message points at the table.
    fn missing(&mut self, table: KeyPath, key: &str, what: &str) {
        self.out.push(
            Diagnostic::error(format!("missing required key `{key}` ({what})"))
                .at_key(table.key(key)),
        );
    }
}

/// In-place counterparts of `Diagnostic::help`/`did_you_mean`, for diagnostics already pushed.
trait Hint {
    fn hint(&mut self, h: impl Into<String>);
    fn suggest(&mut self, s: Option<&str>);
}

impl Hint for &mut Diagnostic {
    fn hint(&mut self, h: impl Into<String>) {
        self.help = Some(h.into());
    }
    fn suggest(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.help = Some(format!("did you mean `{s}`?"));
        }
    }
}

/// Checks `m`, whose relative paths are relative to `dir`.
pub fn validate(m: &Manifest, dir: &Path) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        dir,
        out: Vec::new(),
    };
    app(&mut cx, m);
    windows(&mut cx, m);
    if let Some(sec) = &m.security {
        security(&mut cx, sec);
    }
    endpoints(&mut cx, m);
    menus(&mut cx, m);
    if let Some(dev) = &m.dev
        && let Some(url) = &dev.url
    {
        let ok = url::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if !ok {
            cx.error(
                key_path!["dev", "url"],
                format!("dev URL `{url}` must be an http:// or https:// URL"),
            )
            .hint("e.g. `http://localhost:5173`");
        }
    }
    cx.out
}

fn app(cx: &mut Ctx, m: &Manifest) {
    let Some(app) = &m.app else {
        cx.out.push(
            Diagnostic::error("missing required section `[app]`")
                .at(KeyPath::root())
                .help("add `[app]` with at least `id = \"com.example.my-app\"` and `name = \"My App\"`"),
        );
        return;
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
    let frontend = app.frontend.as_deref().unwrap_or("web");
    if relative_inside(cx, p.key("frontend"), frontend, "the frontend folder") {
        let full = cx.dir.join(frontend);
        match std::fs::metadata(&full) {
            Ok(md) if md.is_dir() => {}
            Ok(_) => {
                cx.error(
                    p.key("frontend"),
                    format!("the frontend `{frontend}` is not a folder"),
                );
            }
            Err(e) => {
                let path = if app.frontend.is_some() {
                    p.key("frontend")
                } else {
                    p.clone()
                };
                cx.error(
                    path,
                    format!("the frontend folder `{frontend}` {}", io_problem(&e)),
                )
                .hint("create it, or point `frontend` at the folder that holds index.html");
            }
        }
    }
    if let Some(icon) = &app.icon {
        icon_file(cx, p.key("icon"), icon);
    }
}

fn is_reverse_dns(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Is `rel` a relative path that cannot leave the folder it is relative to?
fn stays_inside(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty()
        && !p.is_absolute()
        && !rel.contains('\\')
        && !p
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
}

/// Like [`stays_inside`] for a path relative to the app folder, reporting when not.
fn relative_inside(cx: &mut Ctx, path: KeyPath, rel: &str, what: &str) -> bool {
    if !stays_inside(rel) {
        cx.error(
            path,
            format!("{what} `{rel}` must be a relative path inside the app folder"),
        )
        .hint("apps are moved and packaged whole: keep every file they use inside the app folder");
        return false;
    }
    true
}

fn io_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        _ if e.raw_os_error() == Some(40) => "is a symlink loop".to_owned(),
        _ => format!("cannot be read: {e}"),
    }
}

fn existing_file(cx: &mut Ctx, path: KeyPath, rel: &str, what: &str) -> bool {
    if !relative_inside(cx, path.clone(), rel, what) {
        return false;
    }
    match std::fs::metadata(cx.dir.join(rel)) {
        Ok(md) if md.is_file() => true,
        Ok(_) => {
            cx.error(path, format!("{what} `{rel}` is not a file"));
            false
        }
        Err(e) => {
            cx.error(path, format!("{what} `{rel}` {}", io_problem(&e)));
            false
        }
    }
}

fn icon_file(cx: &mut Ctx, path: KeyPath, rel: &str) {
    if !existing_file(cx, path.clone(), rel, "icon") {
        return;
    }
    match crate::icon::load(&cx.dir.join(rel)) {
        Ok(_) => {}
        Err(e @ crate::icon::IconError::TooLarge { .. }) => {
            cx.error(path, format!("icon `{rel}` {e}"));
        }
        Err(e) => {
            cx.error(path, format!("icon `{rel}` cannot be used: {e}"))
                .hint("use a PNG or ICO image");
        }
    }
}

fn windows(cx: &mut Ctx, m: &Manifest) {
    let app = m.app.clone().unwrap_or_default();
    let frontend = app.frontend.as_deref().unwrap_or("web");
    let frontend_ok = stays_inside(frontend) && cx.dir.join(frontend).is_dir();
    let nav = m
        .security
        .as_ref()
        .map(|s| s.allow_navigation.as_slice())
        .unwrap_or_default();
    let mut labels: HashMap<&str, usize> = HashMap::new();

    if m.window.is_empty() && frontend_ok && !cx.dir.join(frontend).join("index.html").is_file() {
        cx.error(
            key_path!["app"],
            format!("no `[[window]]` is declared, and the default page `{frontend}/index.html` does not exist"),
        )
        .hint("add index.html, or declare a `[[window]]` with the `url` of the first page");
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

        let url = w.url.as_deref().unwrap_or("index.html");
        let url_path = p.key(if w.url.is_some() { "url" } else { "label" });
        if url.contains("://") {
            if !nav.iter().any(|pat| wildcard_match(pat, url)) {
                cx.error(p.key("url"), format!("`{url}` is outside the app, and `security.allow-navigation` does not allow it"))
                    .hint("add a matching pattern to `[security] allow-navigation`, or use a page inside the frontend folder");
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
            } else if !cx.dir.join(&rel).is_file() {
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
            cx.warn(p.key("center"), "`center = true` overrides `x` and `y`");
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

fn security(cx: &mut Ctx, s: &SecuritySection) {
    let p = key_path!["security"];
    let directives: Vec<(String, Vec<String>, KeyPath)> = match &s.csp {
        None => Vec::new(),
        Some(Csp::Policy(text)) => {
            let mut v = Vec::new();
            for part in text.split(';').map(str::trim).filter(|d| !d.is_empty()) {
                let mut words = part.split_whitespace();
                let name = words.next().unwrap_or_default().to_ascii_lowercase();
                v.push((name, words.map(str::to_owned).collect(), p.key("csp")));
            }
            if v.is_empty() {
                cx.error(p.key("csp"), "the CSP is empty")
                    .hint("leave `csp` out for the strict default, `default-src 'self'`");
            }
            v
        }
        Some(Csp::Directives(map)) => map
            .iter()
            .map(|(k, srcs)| (k.clone(), srcs.as_slice().to_vec(), p.key("csp").key(k)))
            .collect(),
    };
    for (name, sources, path) in &directives {
        if !CSP_DIRECTIVES.contains(&name.as_str()) {
            let d = Diagnostic::error(format!("unknown CSP directive `{name}`"))
                .did_you_mean(closest(name, CSP_DIRECTIVES.iter().copied()));
            cx.out.push(match &s.csp {
                Some(Csp::Directives(_)) => d.at_key(path.clone()),
                _ => d.at(path.clone()),
            });
        }
        for src in sources {
            if CSP_KEYWORDS.contains(&src.as_str()) {
                cx.warn(
                    path.clone(),
                    format!("`{src}` without quotes is a host name, not the CSP keyword"),
                )
                .hint(format!("write `'{src}'`"));
            }
        }
    }

    let nonce: Vec<&str> = match &s.csp_nonce {
        Some(list) => {
            for (i, d) in list.iter().enumerate() {
                if !NONCE_DIRECTIVES.contains(&d.as_str()) {
                    cx.error(
                        p.key("csp-nonce").index(i),
                        format!("`{d}` cannot carry a nonce"),
                    )
                    .hint(format!("choose among {}", NONCE_DIRECTIVES.join(", ")));
                }
            }
            list.iter().map(String::as_str).collect()
        }
        None => vec!["script-src", "style-src"],
    };
    for (name, sources, path) in &directives {
        if nonce.contains(&name.as_str()) && sources.iter().any(|s| s == "'unsafe-inline'") {
            cx.warn(
                path.clone(),
                format!("browsers ignore 'unsafe-inline' in `{name}` once it carries a nonce"),
            )
            .hint(format!(
                "to allow inline code, remove `{name}` from `security.csp-nonce`"
            ));
        }
    }

    for (key, list) in [
        ("allow-navigation", &s.allow_navigation),
        ("open-external", &s.open_external),
    ] {
        for (i, pat) in list.iter().enumerate() {
            url_pattern(cx, p.key(key).index(i), pat);
        }
    }
}

fn url_pattern(cx: &mut Ctx, path: KeyPath, pat: &str) {
    let scheme = pat.split_once(':').map(|(s, _)| s);
    let scheme_ok = scheme.is_some_and(|s| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok {
        cx.error(
            path,
            format!("URL pattern `{pat}` must start with a scheme"),
        )
        .hint("e.g. `https://*.example.com/*` or `mailto:*`");
    }
}

fn endpoints(cx: &mut Ctx, m: &Manifest) {
    for (name, e) in &m.endpoints {
        let p = key_path!["endpoints", name];
        if !is_endpoint_name(name) {
            cx.out.push(
                Diagnostic::error(format!("`{name}` is not a valid endpoint name"))
                    .at_key(p.clone())
                    .help("use dot-separated names of letters, digits, `_` and `-`, e.g. `notes.save`"),
            );
        }
        let builtin = e.builtin.as_deref().map(|b| (b, builtins::find(b)));
        match (&builtin, &e.script) {
            (None, None) => {
                cx.error(p.clone(), "an endpoint needs `builtin` or `script`")
                    .hint("e.g. `builtin = \"fs.read_text\"` or `script = \"scripts/notes.rhai\"`");
            }
            (Some(_), Some(_)) => {
                cx.error(
                    p.key("script"),
                    "an endpoint has either `builtin` or `script`, not both",
                );
            }
            _ => {}
        }
        if let Some((b, None)) = builtin {
            cx.error(p.key("builtin"), format!("unknown builtin `{b}`"))
                .suggest(closest(b, builtins::names()));
        }
        if let Some(script) = &e.script {
            if existing_file(cx, p.key("script"), script, "script")
                && Path::new(script).extension().and_then(|x| x.to_str()) != Some("rhai")
            {
                cx.warn(
                    p.key("script"),
                    format!("script `{script}` does not end in `.rhai`"),
                );
            }
            let f = e
                .function
                .clone()
                .unwrap_or_else(|| name.rsplit('.').next().unwrap_or(name).to_owned());
            if !is_identifier(&f) {
                let at = if e.function.is_some() {
                    p.key("fn")
                } else {
                    p.clone()
                };
                cx.error(at, format!("`{f}` is not a valid script function name"))
                    .hint("set `fn` to the name of a function in the script");
            }
        } else {
            for key in ["fn", "allow-urls", "invoke", "limits"] {
                let set = match key {
                    "fn" => e.function.is_some(),
                    "allow-urls" => e.allow_urls.is_some(),
                    "invoke" => e.invoke.is_some(),
                    _ => e.limits.is_some(),
                };
                if set && builtin.is_some() {
                    cx.error(
                        p.key(key),
                        format!("`{key}` applies only to script endpoints"),
                    );
                }
            }
        }

        let scoped = e.script.is_some() || matches!(builtin, Some((_, Some(b))) if b.scoped);
        match &e.scope {
            Some(scope) if !scoped => {
                cx.warn(
                    p.key("scope"),
                    format!(
                        "`scope` has no effect on builtin `{}`",
                        e.builtin.as_deref().unwrap_or_default()
                    ),
                );
                scope_patterns(cx, &p.key("scope"), scope);
            }
            Some(scope) => scope_patterns(cx, &p.key("scope"), scope),
            None if matches!(builtin, Some((_, Some(b))) if b.scoped) => {
                cx.error(
                    p.key("builtin"),
                    format!(
                        "`{}` needs a `scope`: file access is denied by default",
                        e.builtin.as_deref().unwrap_or_default()
                    ),
                )
                .hint("e.g. `scope = [\"$APPDATA/**\"]`");
            }
            None => {}
        }
        for (i, pat) in e.allow_urls.iter().flatten().enumerate() {
            url_pattern(cx, p.key("allow-urls").index(i), pat);
        }
        let invoked = e.invoke.iter().flatten().filter(|_| e.script.is_some());
        for (i, target) in invoked.enumerate() {
            match m.endpoints.get(target) {
                Some(t) if t.builtin.is_some() => {}
                Some(_) => {
                    cx.error(
                        p.key("invoke").index(i),
                        format!("`{target}` is not a builtin endpoint"),
                    )
                    .hint("scripts may invoke builtin endpoints only");
                }
                None => {
                    cx.error(
                        p.key("invoke").index(i),
                        format!("`{target}` is not a declared endpoint"),
                    )
                    .suggest(closest(target, m.endpoints.keys().map(String::as_str)));
                }
            }
        }
        if e.timeout_ms == Some(0) {
            cx.error(p.key("timeout-ms"), "`timeout-ms` must be at least 1");
        }
        if let Some(l) = &e.limits {
            if l.timeout_ms.is_some() {
                cx.error(
                    p.key("limits").key("timeout-ms"),
                    "set the timeout on the endpoint itself",
                )
                .hint(format!("move it to `endpoints.\"{name}\".timeout-ms`"));
            }
            limits(cx, p.key("limits"), l);
        }
    }
    if let Some(l) = &m.scripts {
        limits(cx, key_path!["scripts"], l);
    }
}

fn limits(cx: &mut Ctx, p: KeyPath, l: &ScriptLimits) {
    let fields: [(&str, Option<u64>); 10] = [
        ("timeout-ms", l.timeout_ms),
        ("max-operations", l.max_operations),
        ("max-memory", l.max_memory.map(|b| b.0)),
        ("max-call-depth", l.max_call_depth.map(u64::from)),
        ("max-expr-depth", l.max_expr_depth.map(u64::from)),
        ("max-string-size", l.max_string_size),
        ("max-array-size", l.max_array_size),
        ("max-map-size", l.max_map_size),
        ("max-variables", l.max_variables),
        ("max-functions", l.max_functions),
    ];
    for (key, v) in fields {
        if v == Some(0) {
            cx.error(p.key(key), format!("`{key}` must be at least 1"));
        }
    }
}

fn scope_patterns(cx: &mut Ctx, p: &KeyPath, scope: &[String]) {
    for (i, pat) in scope.iter().enumerate() {
        let at = p.index(i);
        if let Some(rest) = pat.strip_prefix('$') {
            let var: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !SCOPE_VARS.contains(&var.as_str()) {
                cx.error(at.clone(), format!("unknown scope variable `${var}`"))
                    .hint(match closest(&var, SCOPE_VARS.iter().copied()) {
                        Some(s) => format!("did you mean `${s}`?"),
                        None => format!(
                            "known variables: {}",
                            SCOPE_VARS
                                .iter()
                                .map(|v| format!("${v}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                continue;
            }
        } else if !Path::new(pat).is_absolute() {
            cx.error(at.clone(), format!("scope `{pat}` must start with a variable such as `$APPDATA` or be an absolute path"));
            continue;
        }
        if pat.split(['/', '\\']).any(|c| c == "..") {
            cx.error(at.clone(), format!("scope `{pat}` must not contain `..`"));
            continue;
        }
        if let Err(e) = globset::Glob::new(pat) {
            cx.error(
                at,
                format!("scope `{pat}` is not a valid glob: {}", e.kind()),
            );
        }
    }
}

fn is_identifier(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn event_name(cx: &mut Ctx, p: KeyPath, name: &str) {
    if name.is_empty()
        || name.len() > 128
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        cx.error(
            p,
            format!("event name `{name}` must be 1–128 characters without spaces"),
        );
    }
}

fn menus(cx: &mut Ctx, m: &Manifest) {
    let mut ids: BTreeMap<String, KeyPath> = BTreeMap::new();
    let mut accels: BTreeMap<String, KeyPath> = BTreeMap::new();
    for (i, menu) in m.menu.iter().enumerate() {
        let p = key_path!["menu", i];
        if menu.label.as_deref().is_none_or(|l| l.trim().is_empty()) {
            cx.missing(p.clone(), "label", "the menu's title, e.g. `\"File\"`");
        }
        if let Some(id) = &menu.id {
            unique_id(cx, &mut ids, p.key("id"), id);
        }
        if menu.items.is_empty() {
            cx.warn(p.clone(), "this menu has no `items`");
        }
        for (j, item) in menu.items.iter().enumerate() {
            menu_item(cx, &mut ids, &mut accels, p.key("items").index(j), item, 0);
        }
    }
    if let Some(tray) = &m.tray {
        let p = key_path!["tray"];
        match &tray.icon {
            Some(icon) => icon_file(cx, p.key("icon"), icon),
            None => cx.missing(p.clone(), "icon", "a PNG or ICO file for the tray"),
        }
        if let Some(e) = &tray.emit {
            event_name(cx, p.key("emit"), e);
        }
        for (j, item) in tray.menu.iter().enumerate() {
            menu_item(cx, &mut ids, &mut accels, p.key("menu").index(j), item, 0);
        }
    }
}

fn unique_id(cx: &mut Ctx, ids: &mut BTreeMap<String, KeyPath>, p: KeyPath, id: &str) {
    if id.is_empty() {
        cx.error(p, "a menu id must not be empty");
    } else if let Some(first) = ids.get(id) {
        cx.error(p, format!("menu id `{id}` is already used at {first}"));
    } else {
        ids.insert(id.to_owned(), p);
    }
}

fn menu_item(
    cx: &mut Ctx,
    ids: &mut BTreeMap<String, KeyPath>,
    accels: &mut BTreeMap<String, KeyPath>,
    p: KeyPath,
    item: &MenuItem,
    depth: usize,
) {
    let set: Vec<&str> = [
        ("id", item.id.is_some()),
        ("label", item.label.is_some()),
        ("accelerator", item.accelerator.is_some()),
        ("enabled", item.enabled.is_some()),
        ("checked", item.checked.is_some()),
        ("emit", item.emit.is_some()),
        ("items", item.items.is_some()),
        ("separator", item.separator.is_some()),
        ("predefined", item.predefined.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    let (kind, allowed): (&str, &[&str]) = if item.separator.is_some() {
        ("a separator", &["separator"])
    } else if item.predefined.is_some() {
        ("a predefined item", &["predefined", "label"])
    } else if item.items.is_some() {
        ("a submenu", &["items", "label", "id", "enabled"])
    } else {
        (
            "an item",
            &["id", "label", "accelerator", "enabled", "checked", "emit"],
        )
    };
    for key in &set {
        if !allowed.contains(key) {
            cx.error(p.key(key), format!("`{key}` does not apply to {kind}"));
        }
    }
    if item.separator == Some(false) {
        cx.error(
            p.key("separator"),
            "write `separator = true`, or leave the key out",
        );
    }
    if kind != "a separator"
        && kind != "a predefined item"
        && item.label.as_deref().is_none_or(|l| l.trim().is_empty())
    {
        cx.missing(p.clone(), "label", "the text shown in the menu");
    }
    if let Some(id) = &item.id {
        unique_id(cx, ids, p.key("id"), id);
    }
    if let Some(a) = &item.accelerator {
        match muda::accelerator::Accelerator::from_str(a) {
            Ok(acc) => {
                let key = format!("{acc:?}");
                if let Some(first) = accels.get(&key) {
                    cx.warn(
                        p.key("accelerator"),
                        format!("accelerator `{a}` is also used at {first}"),
                    );
                } else {
                    accels.insert(key, p.key("accelerator"));
                }
            }
            Err(e) => {
                cx.error(
                    p.key("accelerator"),
                    format!("invalid accelerator `{a}`: {e}"),
                )
                .hint(
                    "write modifiers and one key joined by `+`, e.g. `CmdOrCtrl+Shift+N` or `F5`",
                );
            }
        }
    }
    if let Some(name) = &item.predefined
        && Predefined::from_name(name).is_none()
    {
        let names = Predefined::NAMES.iter().map(|(n, _)| *n);
        cx.error(
            p.key("predefined"),
            format!("unknown predefined item `{name}`"),
        )
        .hint(match closest(name, names.clone()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("choose among {}", names.collect::<Vec<_>>().join(", ")),
        });
    }
    if let Some(e) = &item.emit {
        event_name(cx, p.key("emit"), e);
    }
    if kind == "an item" && item.emit.is_none() && item.id.is_none() {
        cx.warn(p.clone(), "this item does nothing when activated")
            .hint("give it `emit = \"event-name\"`");
    }
    if let Some(children) = &item.items {
        if depth >= 8 {
            cx.error(p.key("items"), "submenus nest deeper than 8 levels");
            return;
        }
        for (j, child) in children.iter().enumerate() {
            menu_item(cx, ids, accels, p.key("items").index(j), child, depth + 1);
        }
    }
}
