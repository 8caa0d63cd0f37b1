//! The CSP lint: warnings for policies that let injected code run, which is what a CSP is for.
//!
//! - Sources in the script directives (`script-src`, `script-src-elem`, `script-src-attr`, or
//!   `default-src` where no `script-src` stands in for it) that admit code an attacker can
//!   write or host: `data:`, `blob:`, `*` and bare `https:`/`http:`, `'unsafe-eval'`, and
//!   `'unsafe-inline'` where no nonce switches it off.
//! - A nonce policy without `object-src 'none'` (plugins run outside the nonce) or without
//!   `base-uri` (an injected `<base href>` makes the page's own nonce-stamped `<script src>`
//!   load from another host, and the nonce vouches for it).
//!
//! These are warnings: the app still runs, and an app may have reasons.

use super::super::path::KeyPath;
use super::Ctx;

/// A directive as the manifest wrote it: name, sources, and where to point.
pub(super) type Directive = (String, Vec<String>, KeyPath);

const SCRIPT_DIRECTIVES: &[&str] = &["script-src", "script-src-elem", "script-src-attr"];

/// Lints `directives` (the manifest's `csp`, or none for the default policy) with `nonce`, the
/// directives that carry a nonce; `csp` is where to point about a directive that is missing.
pub(super) fn lint(cx: &mut Ctx, directives: &[Directive], nonce: &[&str], csp: &KeyPath) {
    let find = |name: &str| directives.iter().find(|(d, _, _)| d == name);
    let default = find("default-src");
    let mut scripts: Vec<&Directive> = directives
        .iter()
        .filter(|(d, _, _)| SCRIPT_DIRECTIVES.contains(&d.as_str()))
        .collect();
    if find("script-src").is_none()
        && let Some(d) = default
    {
        scripts.push(d);
    }
    let mut nonced = false;
    for (name, sources, path) in scripts {
        // `default-src` carries the nonce for `script-src` when that is left out.
        let carries = nonce.contains(&name.as_str())
            || (name == "default-src" && nonce.contains(&"script-src"));
        let is_none = sources.len() == 1 && sources[0] == "'none'";
        nonced |= carries && !is_none && name != "script-src-attr";
        for src in sources {
            if let Some((why, hint)) = risky(src, carries) {
                cx.warn(
                    path.clone(),
                    format!("`{src}` in `{name}` lets injected code run: {why}"),
                )
                .hint(hint);
            }
        }
    }
    if !nonced {
        return;
    }
    let object_none = match find("object-src") {
        Some((_, s, _)) => s.len() == 1 && s[0] == "'none'",
        None => default.is_some_and(|(_, s, _)| s.len() == 1 && s[0] == "'none'"),
    };
    if !object_none {
        let at = find("object-src").map_or_else(|| csp.clone(), |(_, _, p)| p.clone());
        cx.warn(
            at,
            "a nonce policy without `object-src 'none'`: plugin content is not held to the nonce",
        )
        .hint("add `object-src 'none'`");
    }
    if find("base-uri").is_none() {
        cx.warn(
            csp.clone(),
            "a nonce policy without `base-uri`: an injected `<base href>` makes the page's own \
             nonce-stamped scripts load from another host",
        )
        .hint("add `base-uri 'self'` (or `'none'` if no page uses `<base>`)");
    }
}

/// Why `src` in a script directive admits code an attacker controls, and what to write
/// instead; `nonced` when the directive carries a nonce (which switches `'unsafe-inline'` off,
/// as the security lint already says).
fn risky(src: &str, nonced: bool) -> Option<(&'static str, &'static str)> {
    let s = src.to_ascii_lowercase();
    Some(match s.as_str() {
        "data:" => (
            "a `<script src=\"data:…\">` runs whatever it holds, nonce or not",
            "remove `data:`; keep scripts in files",
        ),
        "blob:" => (
            "code the page writes into a Blob runs as a script",
            "remove `blob:`; workers can come from the app's own files",
        ),
        "*" => (
            "scripts from any host run",
            "name the hosts, or keep scripts in the app's own files (`'self'`)",
        ),
        "http:" | "https:" => (
            "scripts from any host over that scheme run",
            "name the hosts, or keep scripts in the app's own files (`'self'`)",
        ),
        "'unsafe-eval'" => (
            "`eval` and `new Function` turn strings into code",
            "remove it; WebAssembly needs only `'wasm-unsafe-eval'`",
        ),
        "'unsafe-inline'" if !nonced => (
            "an injected `<script>` or `onerror=` attribute runs",
            "put scripts in files or in the page's own `<script>` tags with a nonce (`csp-nonce`)",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    fn lint(policy: &str, nonce: Option<&str>) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("web")).unwrap();
        std::fs::write(dir.path().join("web/index.html"), "<!doctype html>").unwrap();
        let file = dir.path().join("app.toml");
        let nonce = nonce.map_or(String::new(), |n| format!("csp-nonce = {n}\n"));
        let text = format!(
            "[app]\nid = \"com.example.lint\"\nname = \"Lint\"\n[security]\ncsp = \"{policy}\"\n{nonce}"
        );
        std::fs::write(&file, &text).unwrap();
        let checked = crate::check_text(&file, text);
        assert!(checked.app.is_some(), "{}", checked.render());
        checked.render()
    }

    const STRICT: &str = "default-src 'self'; object-src 'none'; base-uri 'self'";

    #[test]
    fn a_strict_nonce_policy_is_clean() {
        assert_eq!(lint(STRICT, None), "", "the default nonce directives");
        assert_eq!(lint("default-src 'none'; base-uri 'none'", None), "");
        // No nonce, so nothing to protect with object-src/base-uri; 'self' alone is clean.
        assert_eq!(lint("default-src 'self'", Some("[]")), "");
    }

    #[test]
    fn script_sources_that_let_injected_code_run_are_named() {
        for (src, words) in [
            ("data:", "`data:` in `script-src`"),
            ("blob:", "`blob:` in `script-src`"),
            ("*", "`*` in `script-src`"),
            ("https:", "`https:` in `script-src`"),
            ("'unsafe-eval'", "`'unsafe-eval'` in `script-src`"),
        ] {
            let text = lint(&format!("{STRICT}; script-src 'self' {src}"), None);
            assert!(text.contains(words), "{src}: {text}");
            assert!(text.contains("app.toml:5:7"), "{src}: {text}");
            assert!(text.contains("warning"), "{src}: {text}");
        }
        // `default-src` stands in for `script-src` when that is left out.
        let text = lint(
            "default-src 'self' data:; object-src 'none'; base-uri 'self'",
            None,
        );
        assert!(text.contains("`data:` in `default-src`"), "{text}");
        // ... and not when `script-src` is there.
        assert_eq!(
            lint(
                "default-src 'self' data:; script-src 'self'; object-src 'none'; base-uri 'self'",
                None
            ),
            ""
        );
        // 'unsafe-inline' without a nonce lets injected scripts run.
        let text = lint(
            "default-src 'self'; script-src 'self' 'unsafe-inline'",
            Some("[\"style-src\"]"),
        );
        assert!(text.contains("`'unsafe-inline'` in `script-src`"), "{text}");
        // With a nonce, browsers ignore it: the security lint says that, not this one.
        let text = lint(
            &format!("{STRICT}; script-src 'self' 'unsafe-inline'"),
            None,
        );
        assert!(!text.contains("lets injected code run"), "{text}");
        assert!(text.contains("browsers ignore 'unsafe-inline'"), "{text}");
    }

    #[test]
    fn a_nonce_policy_needs_object_src_none_and_base_uri() {
        let text = lint("default-src 'self'", None);
        assert!(text.contains("without `object-src 'none'`"), "{text}");
        assert!(text.contains("without `base-uri`"), "{text}");
        let text = lint(
            "default-src 'self'; object-src 'self'; base-uri 'self'",
            None,
        );
        assert!(text.contains("without `object-src 'none'`"), "{text}");
        assert!(!text.contains("without `base-uri`"), "{text}");
        // No nonce on scripts: nothing for a <base> to redirect.
        assert_eq!(lint("default-src 'self'", Some("[\"style-src\"]")), "");
    }
}
