//! `[security]`: the CSP, its nonces, and URL patterns.

use super::super::model::{Csp, DEFAULT_CSP_NONCE, SecuritySection};
use super::super::path::KeyPath;
use super::super::suggest::closest;
use super::{Ctx, Diagnostic};
use crate::key_path;

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

pub(super) fn security(cx: &mut Ctx, s: &SecuritySection) {
    let p = key_path!["security"];
    let directives: Vec<(String, Vec<String>, KeyPath)> = match &s.csp {
        None => Vec::new(),
        Some(csp) => {
            let table = matches!(csp, Csp::Directives(_));
            let list = csp.directives();
            if list.is_empty() && !table {
                cx.error(p.key("csp"), "the CSP is empty")
                    .hint("leave `csp` out for the strict default, `default-src 'self'`");
            }
            list.into_iter()
                .map(|(name, sources)| {
                    let at = if table {
                        p.key("csp").key(&name)
                    } else {
                        p.key("csp")
                    };
                    (name, sources, at)
                })
                .collect()
        }
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
        None => DEFAULT_CSP_NONCE.to_vec(),
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

    if s.csp.is_some() {
        super::csp::lint(cx, &directives, &nonce, &p.key("csp"));
    }

    for (i, pat) in s.allow_navigation.iter().enumerate() {
        let path = p.key("allow-navigation").index(i);
        if let Some(pattern) = navigation_pattern(cx, path.clone(), pat)
            && crate::navigation::NEVER_TOP_LEVEL.contains(&pattern.scheme())
        {
            cx.warn(
                path,
                format!(
                    "`{}:` pages are never loaded in a window, whatever this pattern says",
                    pattern.scheme()
                ),
            )
            .hint("frames of the app's pages may still hold `data:` and `blob:` documents (CSP `frame-src` decides); remove the pattern");
        }
    }
    for (i, pat) in s.open_external.iter().enumerate() {
        let path = p.key("open-external").index(i);
        let Some(pattern) = navigation_pattern(cx, path.clone(), pat) else {
            continue;
        };
        if crate::navigation::NEVER_OPENED.contains(&pattern.scheme()) {
            cx.warn(
                path,
                format!(
                    "`{}:` URLs are never handed to the system, whatever this pattern says",
                    pattern.scheme()
                ),
            )
            .hint("only web, mail and app-specific schemes are opened; remove the pattern");
        } else if pattern.names(".desktop") {
            cx.warn(
                path,
                "`.desktop` files are never opened, whatever this pattern says",
            )
            .hint("remove the pattern");
        }
    }
}

/// Checks one pattern of `allow-navigation` or `open-external` (see `crate::pattern::UrlPattern`
/// for what it means); an unusable one is an error that says why.
fn navigation_pattern(
    cx: &mut Ctx,
    path: KeyPath,
    pat: &str,
) -> Option<crate::pattern::UrlPattern> {
    match crate::pattern::UrlPattern::parse(pat) {
        Ok(pattern) => Some(pattern),
        Err(e) => {
            cx.error(path, e.message).hint(e.hint);
            None
        }
    }
}

/// A script's `allow-urls` pattern: a URL pattern as for navigation (matched part by part on
/// the parsed URL by `script::http`), over `http` or `https`, the only schemes scripts fetch.
pub(super) fn url_pattern(cx: &mut Ctx, path: KeyPath, pat: &str) {
    if let Some(pattern) = navigation_pattern(cx, path.clone(), pat)
        && !matches!(pattern.scheme(), "http" | "https")
    {
        cx.error(
            path,
            format!(
                "scripts fetch only `http` and `https`, not `{}:`",
                pattern.scheme()
            ),
        )
        .hint("e.g. `https://api.example.com/*`");
    }
}

#[cfg(test)]
mod tests {
    /// `cross-origin-isolated` is a plain bool, off unless written; any other value is an error
    /// that names the key and where it is.
    #[test]
    fn cross_origin_isolated_is_a_bool_off_by_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("web")).unwrap();
        std::fs::write(dir.path().join("web/index.html"), "<!doctype html>").unwrap();
        let file = dir.path().join("app.toml");
        let head = "[app]\nid = \"com.example.coi\"\nname = \"Coi\"\n[security]\n";
        let check = |text: String| {
            std::fs::write(&file, &text).unwrap();
            crate::check_text(&file, text)
        };
        for (line, want) in [
            ("", false),
            ("cross-origin-isolated = false\n", false),
            ("cross-origin-isolated = true\n", true),
        ] {
            let checked = check(format!("{head}{line}"));
            let app = checked.app.unwrap_or_else(|| panic!("{line}"));
            assert_eq!(app.security.cross_origin_isolated, want, "{line}");
        }
        let checked = check(format!("{head}cross-origin-isolated = \"yes\"\n"));
        assert!(checked.app.is_none());
        let text = checked.render();
        assert!(text.contains("app.toml:5:25"), "{text}");
        assert!(text.contains("security.cross-origin-isolated"), "{text}");
    }

    /// A URL pattern is parsed at load: an unusable one is an error at its file:line:col, and
    /// one that names what is never loaded or opened is a warning.
    #[test]
    fn url_patterns_are_checked_where_they_are_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("web")).unwrap();
        std::fs::write(dir.path().join("web/index.html"), "<!doctype html>").unwrap();
        let file = dir.path().join("app.toml");
        let head = "[app]\nid = \"com.example.nav\"\nname = \"Nav\"\n[security]\n";
        let check = |text: String| {
            std::fs::write(&file, &text).unwrap();
            crate::check_text(&file, text)
        };
        let checked = check(format!(
            "{head}allow-navigation = [\"https://ok.com/*\", \"https://ok.com*\"]\n"
        ));
        assert!(checked.app.is_none());
        let text = checked.render();
        assert!(text.contains("app.toml:5:41"), "{text}");
        assert!(text.contains("security.allow-navigation[1]"), "{text}");
        assert!(text.contains("whole host or its leftmost labels"), "{text}");

        let checked = check(format!(
            "{head}allow-navigation = [\"data:*\"]\nopen-external = [\"https://*\", \"smb:*\", \"https://x.org/*.desktop\", \"zoommtg:*\"]\n"
        ));
        let text = checked.render();
        assert!(checked.app.is_some(), "{text}");
        assert!(
            text.contains("`data:` pages are never loaded in a window"),
            "{text}"
        );
        assert!(
            text.contains("`smb:` URLs are never handed to the system"),
            "{text}"
        );
        assert!(text.contains("security.open-external[1]"), "{text}");
        assert!(text.contains("`.desktop` files are never opened"), "{text}");
        assert!(text.contains("security.open-external[2]"), "{text}");
        assert!(!text.contains("open-external[0]"), "{text}");
        assert!(!text.contains("open-external[3]"), "{text}");
    }
}
