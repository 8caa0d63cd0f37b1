//! Path → change kind: which part of the app a changed file belongs to, and which files are
//! noise (editor droppings, VCS and build folders). Pure functions of the path and the layout;
//! nothing here touches the file system.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// Where the parts of one app live. All paths are absolute and canonical (as `manifest::App`
/// resolves them), so that they can be compared with the paths the watcher reports under the
/// canonical app folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The app folder.
    pub dir: PathBuf,
    /// The manifest file (`app.toml` or `app.json5`).
    pub manifest: PathBuf,
    /// The frontend folder; may be `dir` itself.
    pub frontend: PathBuf,
}

/// What a changed file is to the host, which decides what `dev` does with it.
#[derive(PartialEq, Eq, Hash, Clone, Debug)]
pub enum Kind {
    /// The manifest: re-resolve the app.
    Manifest,
    /// A `.css` file under the frontend, relative to it and `/`-separated (swapped in place).
    Stylesheet(String),
    /// Any other file under the frontend, relative to it and `/`-separated (reload the page).
    Frontend(String),
    /// A `.rhai` file anywhere in the app folder, as an absolute path.
    Script(PathBuf),
    /// Any other file in the app folder (icons, …), as an absolute path.
    Other(PathBuf),
}

/// Folders whose whole content is never the app's source: version control, package managers'
/// downloads, build output and caches. They churn during `git checkout` or `npm install`.
const IGNORED_DIRS: &[&str] = &[".git", "node_modules", "target", ".cache"];

/// Whether a path, relative to the app folder, is editor or tool noise rather than a file of
/// the app. Editors write these while saving (swap files, backups, lock files, temp files that
/// are renamed over the real file); the real file's own event carries the change.
pub fn is_ignored(rel: &Path) -> bool {
    let mut components = rel.components().peekable();
    while let Some(component) = components.next() {
        let Component::Normal(name) = component else {
            continue;
        };
        let is_last = components.peek().is_none();
        if !is_last && IGNORED_DIRS.iter().any(|d| name == OsStr::new(d)) {
            return true;
        }
        if is_last {
            return is_noise_file(&name.to_string_lossy());
        }
    }
    false
}

/// Whether a folder, relative to the app folder, is one whose content is all noise, so that
/// walks need not enter it.
pub(crate) fn is_ignored_dir(rel: &Path) -> bool {
    let last_is_ignored = rel
        .file_name()
        .is_some_and(|name| IGNORED_DIRS.iter().any(|d| name == OsStr::new(d)));
    last_is_ignored || is_ignored(rel)
}

fn is_noise_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    // vim: swap files, and `4913`, the file it creates to test whether the folder is writable.
    let vim = [".swp", ".swx", ".swo"].iter().any(|s| lower.ends_with(s)) || name == "4913";
    // emacs: `.#name` lock links and `#name#` autosaves; many editors: `name~` backups.
    let emacs = name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with('~');
    // JetBrains "safe write" writes `name___jb_tmp___` then renames over the original.
    let jetbrains = name.ends_with("___jb_tmp___") || name.ends_with("___jb_old___");
    vim || emacs || jetbrains || lower.ends_with(".tmp") || name == ".DS_Store"
}

/// Which part of the app `path` (absolute) is, or `None` when it is outside the app folder,
/// is the folder itself, or is noise (see [`is_ignored`]). Only the path is looked at: the
/// caller knows whether it is a file.
pub fn classify(path: &Path, layout: &Layout) -> Option<Kind> {
    let rel = path.strip_prefix(&layout.dir).ok()?;
    if rel.as_os_str().is_empty() || is_ignored(rel) {
        return None;
    }
    // The manifest and scripts come first: with `frontend = "."` they are also under the
    // frontend, but they are not served and must not merely reload a page.
    if path == layout.manifest {
        return Some(Kind::Manifest);
    }
    if has_extension(path, "rhai") {
        return Some(Kind::Script(path.to_path_buf()));
    }
    if let Ok(in_frontend) = path.strip_prefix(&layout.frontend) {
        if in_frontend.as_os_str().is_empty() {
            return None;
        }
        let url_path = slash_separated(in_frontend);
        return Some(if has_extension(path, "css") {
            Kind::Stylesheet(url_path)
        } else {
            Kind::Frontend(url_path)
        });
    }
    Some(Kind::Other(path.to_path_buf()))
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// The form `app://localhost/` paths take, whatever the platform's separator.
fn slash_separated(rel: &Path) -> String {
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_and_tool_noise_is_ignored() {
        let table = [
            // vim
            ("web/.app.css.swp", true),
            ("web/.app.css.swx", true),
            ("web/.app.css.swo", true),
            ("web/app.css~", true),
            ("web/4913", true),
            ("4913", true),
            // emacs
            ("web/.#app.css", true),
            ("web/#app.css#", true),
            // JetBrains safe write
            ("web/app.css___jb_tmp___", true),
            ("web/app.css___jb_old___", true),
            // others
            ("web/upload.tmp", true),
            ("web/.DS_Store", true),
            (".DS_Store", true),
            (".git/index", true),
            (".git/objects/ab/cdef", true),
            ("node_modules/vite/index.js", true),
            ("web/node_modules/x/y.css", true),
            ("target/debug/app", true),
            (".cache/x", true),
            // real files, including near misses
            ("web/app.css", false),
            ("web/index.html", false),
            ("app.toml", false),
            ("scripts/notes.rhai", false),
            ("web/49130", false),
            ("web/#", false),
            ("web/.gitignore", false),
            ("web/target.js", false),
            ("web/node_modules", false),
            ("web/swp.js", false),
            ("web/tmp/x.js", false),
        ];
        for (rel, ignored) in table {
            assert_eq!(is_ignored(Path::new(rel)), ignored, "{rel}");
        }
    }

    #[test]
    fn walks_skip_noise_folders_themselves() {
        let table = [
            (".git", true),
            ("web/node_modules", true),
            ("target", true),
            (".cache", true),
            ("node_modules/x", true),
            ("web", false),
            ("web/css", false),
        ];
        for (rel, ignored) in table {
            assert_eq!(is_ignored_dir(Path::new(rel)), ignored, "{rel}");
        }
    }

    fn layout(frontend: &str) -> Layout {
        let dir = PathBuf::from("/apps/notes");
        Layout {
            manifest: dir.join("app.toml"),
            frontend: if frontend == "." {
                dir.clone()
            } else {
                dir.join(frontend)
            },
            dir,
        }
    }

    fn style(s: &str) -> Option<Kind> {
        Some(Kind::Stylesheet(s.into()))
    }

    fn page(s: &str) -> Option<Kind> {
        Some(Kind::Frontend(s.into()))
    }

    fn script(s: &str) -> Option<Kind> {
        Some(Kind::Script(s.into()))
    }

    fn other(s: &str) -> Option<Kind> {
        Some(Kind::Other(s.into()))
    }

    #[test]
    fn paths_classify_by_part_of_the_app() {
        let web = layout("web");
        let table = [
            ("/apps/notes/app.toml", Some(Kind::Manifest)),
            ("/apps/notes/web/app.css", style("app.css")),
            ("/apps/notes/web/css/theme.CSS", style("css/theme.CSS")),
            ("/apps/notes/web/index.html", page("index.html")),
            ("/apps/notes/web/js/main.js", page("js/main.js")),
            ("/apps/notes/web/img/logo.png", page("img/logo.png")),
            (
                "/apps/notes/scripts/notes.rhai",
                script("/apps/notes/scripts/notes.rhai"),
            ),
            ("/apps/notes/hooks.rhai", script("/apps/notes/hooks.rhai")),
            (
                "/apps/notes/web/inline.rhai",
                script("/apps/notes/web/inline.rhai"),
            ),
            (
                "/apps/notes/icons/app.png",
                other("/apps/notes/icons/app.png"),
            ),
            ("/apps/notes/README.md", other("/apps/notes/README.md")),
            ("/apps/notes/app.json5", other("/apps/notes/app.json5")),
            // noise, the folders themselves, and paths outside the app
            ("/apps/notes/web/app.css.swp", None),
            ("/apps/notes/web/.#index.html", None),
            ("/apps/notes/.git/HEAD", None),
            ("/apps/notes", None),
            ("/apps/notes/web", None),
            ("/apps/other/app.toml", None),
            ("/apps/notes-old/web/app.css", None),
            ("/etc/passwd", None),
        ];
        for (path, kind) in table {
            assert_eq!(classify(Path::new(path), &web), kind, "{path}");
        }
    }

    #[test]
    fn with_the_frontend_at_the_app_folder_manifest_and_scripts_keep_their_kind() {
        let root = layout(".");
        let table = [
            ("/apps/notes/app.toml", Some(Kind::Manifest)),
            (
                "/apps/notes/scripts/a.rhai",
                script("/apps/notes/scripts/a.rhai"),
            ),
            ("/apps/notes/style.css", style("style.css")),
            ("/apps/notes/index.html", page("index.html")),
            ("/apps/notes/icons/app.png", page("icons/app.png")),
            ("/apps/notes/index.html~", None),
            ("/apps/notes", None),
        ];
        for (path, kind) in table {
            assert_eq!(classify(Path::new(path), &root), kind, "{path}");
        }
    }
}
