//! Rules beyond types: required keys, forms, uniqueness, files that must exist, and the syntax
//! of accelerators, CSP directives, scopes and URL patterns. Each rule reports at a key path;
//! `check` turns paths into file:line:col. All problems are reported, not just the first.
//!
//! One file per manifest area; this one holds what they share.

mod app;
mod csp;
mod endpoints;
mod menus;
mod scripts;
mod security;

use std::path::{Component, Path};

use crate::source::{Lookup, Source, normal};

use super::diagnostic::Diagnostic;
use super::model::Manifest;
use super::path::KeyPath;
use crate::key_path;

pub use security::{CSP_DIRECTIVES, NONCE_DIRECTIVES};

pub(super) struct Ctx<'a> {
    /// Where the app's files are; paths in the manifest are relative to its root.
    pub(super) source: &'a dyn Source,
    pub(super) out: Vec<Diagnostic>,
    pub(super) scripts: &'a dyn super::ScriptCheck,
    /// Scripts and modules already warned about (several endpoints may share one).
    pub(super) warned_scripts: Vec<String>,
}

impl Ctx<'_> {
    /// What the app's file (or folder) `rel` is; a path that leaves the app is [`Lookup::Outside`].
    pub(super) fn look(&self, rel: &str) -> Lookup {
        match normal(rel) {
            Some(rel) => self.source.lookup(&rel),
            None => Lookup::Outside,
        }
    }

    pub(super) fn is_dir(&self, rel: &str) -> bool {
        matches!(self.look(rel), Lookup::Dir)
    }

    pub(super) fn is_file(&self, rel: &str) -> bool {
        matches!(self.look(rel), Lookup::File(_))
    }

    pub(super) fn error(&mut self, path: KeyPath, msg: impl Into<String>) -> &mut Diagnostic {
        self.push(Diagnostic::error(msg).at(path))
    }

    pub(super) fn warn(&mut self, path: KeyPath, msg: impl Into<String>) -> &mut Diagnostic {
        self.push(Diagnostic::warning(msg).at(path))
    }

    pub(super) fn push(&mut self, d: Diagnostic) -> &mut Diagnostic {
        self.out.push(d);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// `key` is missing from the table at `table`; the message points at the table.
    pub(super) fn missing(&mut self, table: KeyPath, key: &str, what: &str) {
        self.out.push(
            Diagnostic::error(format!("missing required key `{key}` ({what})"))
                .at_key(table.key(key)),
        );
    }
}

/// Checks `m`, whose relative paths are relative to `source`'s root; scripts compile with
/// `scripts`.
pub fn validate(
    m: &Manifest,
    source: &dyn Source,
    scripts: &dyn super::ScriptCheck,
) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        source,
        out: Vec::new(),
        scripts,
        warned_scripts: Vec::new(),
    };
    let frontend_ok = app::app(&mut cx, m);
    app::windows(&mut cx, m, frontend_ok);
    if let Some(sec) = &m.security {
        security::security(&mut cx, sec);
    }
    endpoints::endpoints(&mut cx, m);
    menus::menus(&mut cx, m);
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
    if let Some(dev) = &m.dev
        && dev.command.is_some()
        && dev.url.is_none()
    {
        cx.error(
            key_path!["dev", "command"],
            "`[dev] command` needs `[dev] url`: apphost waits for that URL to answer",
        )
        .hint_syntax(
            "e.g. `url = \"http://localhost:5173\"`",
            "e.g. `url: \"http://localhost:5173\"`",
        );
    }
    if let Some(command) = m.dev.as_ref().and_then(|d| d.command.as_deref())
        && command.trim().is_empty()
    {
        cx.error(key_path!["dev", "command"], "`[dev] command` is empty");
    }
    cx.out
}

pub(super) fn is_reverse_dns(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Is `rel` a relative path that cannot leave the folder it is relative to?
pub(super) fn stays_inside(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty()
        && !p.is_absolute()
        && !rel.contains('\\')
        && !p
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
}

/// Like [`stays_inside`] for a path relative to the app folder, reporting when not.
pub(super) fn relative_inside(cx: &mut Ctx, path: KeyPath, rel: &str, what: &str) -> bool {
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

/// Why `lookup` found nothing usable, as the end of a sentence that names the file.
pub(super) fn problem(lookup: &Lookup) -> String {
    match lookup {
        Lookup::Missing => "does not exist".to_owned(),
        Lookup::Outside => "resolves outside the app folder".to_owned(),
        Lookup::Broken(why) => why.clone(),
        Lookup::Dir => "is a folder".to_owned(),
        Lookup::File(_) => "is a file".to_owned(),
    }
}

pub(super) fn existing_file(cx: &mut Ctx, path: KeyPath, rel: &str, what: &str) -> bool {
    if !relative_inside(cx, path.clone(), rel, what) {
        return false;
    }
    match cx.look(rel) {
        Lookup::File(_) => true,
        Lookup::Dir => {
            cx.error(path, format!("{what} `{rel}` is not a file"));
            false
        }
        other => {
            cx.error(path, format!("{what} `{rel}` {}", problem(&other)));
            false
        }
    }
}

pub(super) fn icon_file(cx: &mut Ctx, path: KeyPath, rel: &str) {
    if !existing_file(cx, path.clone(), rel, "icon") {
        return;
    }
    match crate::icon::load(cx.source, &normal(rel).unwrap_or_default()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_dns_ids() {
        for ok in ["com.example.notes", "dev.apphost.hello", "a.b", "io.x-y.z9"] {
            assert!(is_reverse_dns(ok), "{ok}");
        }
        for bad in [
            "notes",
            "",
            "com..x",
            ".com.x",
            "com.9x",
            "com.ex ample",
            "com.é.x",
        ] {
            assert!(!is_reverse_dns(bad), "{bad}");
        }
    }

    #[test]
    fn paths_that_stay_inside() {
        for ok in ["web", "web/index.html", "a/./b", "icons/app.png"] {
            assert!(stays_inside(ok), "{ok}");
        }
        for bad in ["", "/etc", "../web", "web/../../x", "web\\..\\x", "a/.."] {
            assert!(!stays_inside(bad), "{bad}");
        }
    }

    #[test]
    fn validation_reports_every_problem_with_a_path() {
        let m = Manifest {
            app: Some(crate::manifest::model::AppSection {
                id: Some("x".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let nowhere = crate::source::Folder::lenient(Path::new("/nonexistent"));
        let ds = validate(&m, &nowhere, &crate::script::Checker);
        let paths: Vec<String> = ds
            .iter()
            .filter_map(|d| d.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert!(paths.contains(&"app.id".to_owned()), "{paths:?}");
        assert!(paths.contains(&"app.name".to_owned()), "{paths:?}");
        assert!(
            paths.contains(&"app".to_owned()),
            "frontend missing: {paths:?}"
        );
    }
}
