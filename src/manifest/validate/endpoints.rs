//! `[endpoints."name"]` and the `[scripts]` limits.

use std::path::Path;

use super::super::model::{EndpointSection, Manifest, ScriptLimits};
use super::super::path::KeyPath;
use super::super::suggest::closest;
use super::super::{SCOPE_VARS, is_endpoint_name};
use super::security::url_pattern;
use super::{Ctx, Diagnostic, existing_file, scripts};
use crate::builtins;
use crate::builtins::paths::USER_SELECTED;
use crate::key_path;
use crate::pattern::wildcard_match;

pub(super) fn endpoints(cx: &mut Ctx, m: &Manifest) {
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
                    .hint_syntax(
                        "e.g. `builtin = \"fs.read_text\"` or `script = \"scripts/notes.rhai\"`",
                        "e.g. `builtin: \"fs.read_text\"` or `script: \"scripts/notes.rhai\"`",
                    );
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
            let exists = existing_file(cx, p.key("script"), script, "script");
            if exists && Path::new(script).extension().and_then(|x| x.to_str()) != Some("rhai") {
                cx.warn(
                    p.key("script"),
                    format!("script `{script}` does not end in `.rhai`"),
                );
            }
            let f = e.function_or_default(name);
            if !is_identifier(f) {
                let at = if e.function.is_some() {
                    p.key("fn")
                } else {
                    p.clone()
                };
                cx.error(at, format!("`{f}` is not a valid script function name"))
                    .hint("set `fn` to the name of a function in the script");
            } else if exists {
                scripts::script(cx, m, &p, name, e);
            }
        } else {
            for key in ["fn", "allow-urls", "invoke", "on", "limits"] {
                let set = match key {
                    "fn" => e.function.is_some(),
                    "allow-urls" => e.allow_urls.is_some(),
                    "invoke" => e.invoke.is_some(),
                    "on" => e.on.is_some(),
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
                .hint_syntax(
                    "e.g. `scope = [\"$APPDATA/**\"]`",
                    "e.g. `scope: [\"$APPDATA/**\"]`",
                );
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
        if !reachable(m, name, e) {
            cx.warn(p.clone(), format!("no window may call `{name}`"))
                .hint("no window's `endpoints` matches it, no script invokes it, it has no `on`: grant it to a window, or remove it");
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

/// Whether anything can call endpoint `name`: a window (with no windows declared, `main` may
/// call every endpoint; a window without `endpoints` may too), an event it listens to, or a
/// script that invokes it.
fn reachable(m: &Manifest, name: &str, e: &EndpointSection) -> bool {
    let granted = m.window.is_empty()
        || m.window.iter().any(|w| {
            w.endpoints
                .as_ref()
                .is_none_or(|g| g.iter().any(|g| wildcard_match(g, name)))
        });
    let listens = e.on.as_ref().is_some_and(|on| !on.is_empty());
    let invoked = m
        .endpoints
        .values()
        .any(|other| other.script.is_some() && other.invoke.iter().flatten().any(|t| t == name));
    granted || listens || invoked
}

fn limits(cx: &mut Ctx, p: KeyPath, l: &ScriptLimits) {
    let fields: [(&str, Option<u64>); 10] = [
        ("timeout-ms", l.timeout_ms),
        ("max-operations", l.max_operations),
        ("max-memory", l.max_memory.map(|b| b.0)),
        ("max-call-depth", l.max_call_depth.map(u64::from)),
        ("max-expr-depth", l.max_expr_depth.map(u64::from)),
        ("max-string-size", l.max_string_size.map(|b| b.0)),
        ("max-array-size", l.max_array_size.map(|c| c.0)),
        ("max-map-size", l.max_map_size.map(|c| c.0)),
        ("max-variables", l.max_variables),
        ("max-functions", l.max_functions),
    ];
    for (key, v) in fields {
        if v == Some(0) {
            cx.error(p.key(key), format!("`{key}` must be at least 1"));
        }
    }
    // Rhai recurses on the native stack for calls and nesting: past these depths a script
    // could overflow a worker thread's stack, which aborts the process instead of failing.
    let depths = [
        ("max-call-depth", l.max_call_depth),
        ("max-expr-depth", l.max_expr_depth),
    ];
    for (key, v) in depths {
        if v.is_some_and(|v| v > super::super::MAX_SCRIPT_DEPTH) {
            cx.error(
                p.key(key),
                format!("`{key}` may be at most {}", super::super::MAX_SCRIPT_DEPTH),
            )
            .hint("deeper nesting could overflow the native stack and abort the app");
        }
    }
}

fn scope_patterns(cx: &mut Ctx, p: &KeyPath, scope: &[String]) {
    for (i, pat) in scope.iter().enumerate() {
        let at = p.index(i);
        if pat == USER_SELECTED {
            continue;
        }
        if let Some(rest) = pat.strip_prefix(USER_SELECTED) {
            cx.error(
                at.clone(),
                format!("`{USER_SELECTED}` takes nothing after it (`{pat}`)"),
            )
            .hint(format!(
                "`{USER_SELECTED}` alone grants exactly the files picked in a dialog, and what \
                 lies below a picked folder; `{rest}` would be read as a glob over the user's choice"
            ));
            continue;
        }
        if let Some(rest) = pat.strip_prefix('$') {
            let var: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !SCOPE_VARS.contains(&var.as_str()) {
                cx.error(at.clone(), format!("unknown scope variable `${var}`"))
                    .hint(
                        match closest(&var, SCOPE_VARS.iter().copied().chain(["USER_SELECTED"])) {
                            Some(s) => format!("did you mean `${s}`?"),
                            None => format!(
                                "known variables: {}",
                                SCOPE_VARS
                                    .iter()
                                    .map(|v| format!("${v}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        },
                    );
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
        if let Err(e) = crate::pattern::check_glob(pat) {
            cx.error(at, format!("scope `{pat}` is not a valid glob: {e}"));
            continue;
        }
        if let Some(what) = too_broad(pat) {
            cx.warn(at, format!("scope `{pat}` globs over {what}"))
                .hint(format!(
                    "for files the user chooses, use `{USER_SELECTED}` with `dialog.open`/`dialog.save`; \
                     otherwise name the folder the app needs (`$DOCUMENTS/my-app/**`)"
                ));
        }
    }
}

/// What a scope glob reaches if that is the whole home folder or the whole disk: a glob right
/// at `$HOME` or `/` (`$HOME/**`, `$HOME/*`, `/**`, `/*`).
fn too_broad(pat: &str) -> Option<&'static str> {
    let (base, rest) = crate::pattern::literal_prefix(pat);
    if rest.is_empty() {
        return None;
    }
    match base.trim_end_matches('/') {
        "$HOME" => Some("the whole home folder"),
        "" => Some("the root of the disk"),
        _ => None,
    }
}

fn is_identifier(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
