//! Where an app's files live, by scope variable (`$APPDATA`…), from the `directories` crate,
//! and the one place a path the app or its page writes (`$APPDATA/notes/a.md`, `/srv/x`) turns
//! into a real path. It only expands text: it never touches the disk and never decides what
//! may be reached (that is the scope's job).

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

/// The scope pattern that grants what the user picked in `dialog.open`/`dialog.save`.
pub const USER_SELECTED: &str = "$USER_SELECTED";

/// The paths the user picked in a file dialog during this run of the host (not persisted; kept
/// across `apphost dev` reloads, which are the same process). Each is stored canonical, as it
/// was at the pick, and matched literally: glob characters in a picked name are just
/// characters.
#[derive(Debug, Default)]
pub struct Picked(Mutex<Vec<Pick>>);

/// One picked path: a file grants itself, a folder itself and everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub path: PathBuf,
    pub folder: bool,
}

impl Picked {
    /// Records `path` as the user's pick, canonicalised now: fully if it exists, else (a new
    /// name in a save dialog) its folder, with the name added. Returns the canonical path, or
    /// `None` when not even the folder exists (nothing is granted then).
    pub fn add(&self, path: &Path, folder: bool) -> Option<PathBuf> {
        let real = std::fs::canonicalize(path).ok().or_else(|| {
            let name = path.file_name()?;
            Some(std::fs::canonicalize(path.parent()?).ok()?.join(name))
        })?;
        let pick = Pick {
            path: real.clone(),
            folder,
        };
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !all.contains(&pick) {
            all.push(pick);
        }
        Some(real)
    }

    pub fn all(&self) -> Vec<Pick> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The picks of this process, which the native dialogs record into.
pub fn user_selected() -> Arc<Picked> {
    static PICKED: LazyLock<Arc<Picked>> = LazyLock::new(Arc::default);
    Arc::clone(&PICKED)
}

#[derive(Debug, Clone)]
pub struct AppDirs {
    pub data: PathBuf,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub home: PathBuf,
    pub documents: PathBuf,
    pub downloads: PathBuf,
    pub temp: PathBuf,
    /// What `$USER_SELECTED` grants.
    pub picked: Arc<Picked>,
}

impl AppDirs {
    /// The folders for app `id`: `$XDG_DATA_HOME/<id>` and so on. Without a home folder (no
    /// `$HOME`), everything falls back to a folder under the system's temp folder.
    pub fn for_app(id: &str) -> AppDirs {
        let temp = std::env::temp_dir();
        let fallback = temp.join(format!("apphost-{id}"));
        let base = directories::BaseDirs::new();
        let user = directories::UserDirs::new();
        let under = |f: fn(&directories::BaseDirs) -> &std::path::Path, name: &str| {
            base.as_ref()
                .map_or_else(|| fallback.join(name), |b| f(b).join(id))
        };
        let home = base
            .as_ref()
            .map_or_else(|| fallback.clone(), |b| b.home_dir().to_path_buf());
        AppDirs {
            data: under(|b| b.data_dir(), "data"),
            config: under(|b| b.config_dir(), "config"),
            cache: under(|b| b.cache_dir(), "cache"),
            documents: user
                .as_ref()
                .and_then(|u| u.document_dir())
                .map_or_else(|| home.join("Documents"), |p| p.to_path_buf()),
            downloads: user
                .as_ref()
                .and_then(|u| u.download_dir())
                .map_or_else(|| home.join("Downloads"), |p| p.to_path_buf()),
            home,
            temp,
            picked: user_selected(),
        }
    }

    /// Every variable pointing to its own folder under `root` (`root/data`, `root/home`…), so
    /// that tests can keep everything inside a temporary folder.
    pub fn under(root: &Path) -> AppDirs {
        AppDirs {
            data: root.join("data"),
            config: root.join("config"),
            cache: root.join("cache"),
            home: root.join("home"),
            documents: root.join("documents"),
            downloads: root.join("downloads"),
            temp: root.join("temp"),
            picked: Arc::default(),
        }
    }

    /// `$VAR/rest` → the variable's folder and `rest` (without its leading `/`). `None` for a
    /// path without a known variable; `$APPDATAX` and `$APPDATA.x` name no variable.
    pub fn split<'p>(&self, path: &'p str) -> Option<(&Path, &'p str)> {
        let body = path.strip_prefix('$')?;
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let (name, rest) = body.split_at(end);
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        // All leading slashes go: `join` would let `$HOME//etc` replace the folder.
        Some((self.var(name)?.as_path(), rest.trim_start_matches('/')))
    }

    /// An absolute path as it is, `$VAR` or `$VAR/rest` expanded. A relative path or an unknown
    /// variable is an error whose message quotes `path` as written.
    pub fn expand(&self, path: &str) -> Result<PathBuf, String> {
        if let Some((dir, rest)) = self.split(path) {
            return Ok(if rest.is_empty() {
                dir.to_path_buf()
            } else {
                dir.join(rest)
            });
        }
        if path.starts_with('$') {
            let known: Vec<String> = crate::manifest::SCOPE_VARS
                .iter()
                .map(|v| format!("${v}"))
                .collect();
            return Err(format!(
                "`{path}` does not start with a known variable ({})",
                known.join(", ")
            ));
        }
        if Path::new(path).is_absolute() {
            return Ok(PathBuf::from(path));
        }
        Err(format!(
            "`{path}` must be absolute or start with a variable such as `$APPDATA`"
        ))
    }

    /// The folder a scope variable (without `$`) names.
    pub fn var(&self, name: &str) -> Option<&PathBuf> {
        Some(match name {
            "APPDATA" => &self.data,
            "APPCONFIG" => &self.config,
            "APPCACHE" => &self.cache,
            "HOME" => &self.home,
            "DOCUMENTS" => &self.documents,
            "DOWNLOADS" => &self.downloads,
            "TEMP" => &self.temp,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_variable_has_a_folder() {
        let dirs = AppDirs::under(Path::new("/r"));
        for v in crate::manifest::SCOPE_VARS {
            assert!(dirs.var(v).is_some(), "${v}");
        }
    }

    #[test]
    fn split_and_expand() {
        let dirs = AppDirs::under(Path::new("/r"));
        let split = [
            ("$APPDATA", Some(("/r/data", ""))),
            ("$APPDATA/", Some(("/r/data", ""))),
            ("$APPDATA/notes/a.md", Some(("/r/data", "notes/a.md"))),
            ("$HOME//etc/passwd", Some(("/r/home", "etc/passwd"))),
            ("$TEMP/x", Some(("/r/temp", "x"))),
            ("$APPDATAX/x", None),
            ("$APPDATA.x", None),
            ("$appdata/x", None),
            ("$/x", None),
            ("$", None),
            ("/abs/x", None),
            ("rel/x", None),
            ("", None),
        ];
        for (path, want) in split {
            let got = dirs.split(path).map(|(d, r)| (d.to_path_buf(), r));
            let want = want.map(|(d, r)| (PathBuf::from(d), r));
            assert_eq!(got, want, "{path}");
        }
        let expand = [
            ("$APPDATA", Ok("/r/data")),
            ("$DOCUMENTS/a/b.txt", Ok("/r/documents/a/b.txt")),
            ("$HOME//etc", Ok("/r/home/etc")),
            ("/srv/x/../y", Ok("/srv/x/../y")),
            ("/", Ok("/")),
            ("$FOO/x", Err("known variable")),
            ("$APPDATA2", Err("known variable")),
            ("notes/a.md", Err("must be absolute")),
            ("./a", Err("must be absolute")),
            ("", Err("must be absolute")),
        ];
        for (path, want) in expand {
            match (dirs.expand(path), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, PathBuf::from(want), "{path}"),
                (Err(got), Err(want)) => {
                    assert!(got.contains(want), "{path}: {got}");
                    assert!(got.contains(&format!("`{path}`")), "{path}: {got}");
                }
                (got, want) => panic!("{path}: {got:?}, expected {want:?}"),
            }
        }
    }
}
