//! The dev loop on bad input, without a window: a real [`Core`] on a copy of `tests/apps/dev`,
//! a [`Reloader`] whose actions land in a channel, and files really changed on disk before
//! each batch. Whatever is saved, the reloader must not panic, must keep the last good
//! generation, and must say what is wrong (overlay or terminal line) until it is fixed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};

use serde_json::{Value, json};

use super::{Action, Overlay, Reloader};
use crate::builtins::paths::AppDirs;
use crate::builtins::{Lasting, Ui};
use crate::generation::{Core, Mode};
use crate::ipc::{Body, Call, Encoded, IpcError};
use crate::manifest::Change;
use crate::watch::{Batch, classify};

mod files;
mod manifests;

const ORIGIN: &str = "app://localhost";

/// A running dev loop on a temporary copy of a fixture app.
struct Dev {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    core: Arc<Core>,
    reloader: Reloader,
    actions: Receiver<Action>,
    /// What the overlay shows, as the UI thread knows it from the actions so far.
    overlay: Option<Overlay>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Removes a file, a symlink or a whole folder.
fn remove_any(path: &Path) {
    let Ok(md) = std::fs::symlink_metadata(path) else {
        return;
    };
    if md.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else {
        std::fs::remove_file(path).unwrap();
    }
}

/// Every file under `dir` (not following symlinks), and `dir` itself.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(walk(&entry.path()));
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

impl Dev {
    /// The dev fixture app, `tests/apps/dev`.
    fn start() -> Dev {
        Dev::start_on("tests/apps/dev")
    }

    /// A copy of the app in `fixture` (relative to the crate).
    fn start_on(fixture: &str) -> Dev {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap().join("app");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture), &root);
        let checked = crate::check(&root);
        let app = checked
            .app
            .clone()
            .filter(|_| !checked.has_errors())
            .unwrap_or_else(|| panic!("{}", checked.render()));
        let dirs = AppDirs::under(&tmp.path().join("dirs"));
        let ui: Ui = Box::new(|_, _| Err(IpcError::Unavailable("no UI in this test".into())));
        let lasting = Lasting::new(&dirs, ui);
        let source = Arc::clone(&checked.source);
        let core = Core::new(app, source, "k".repeat(64), Mode::Dev, lasting, None).unwrap();
        let core = Arc::new(core);
        let (tx, actions) = mpsc::channel();
        let reloader = Reloader::new(
            Arc::clone(&core),
            Box::new(move |action| {
                let _ = tx.send(action);
            }),
        );
        Dev {
            _tmp: tmp,
            root,
            core,
            reloader,
            actions,
            overlay: None,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let path = self.path(rel);
        remove_any(&path);
        std::fs::write(path, bytes).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Hands the reloader the batch the watcher would make of `paths` (as it classifies them
    /// with the current layout) and returns the actions it sent.
    fn batch_of(&mut self, paths: &[PathBuf]) -> Vec<Action> {
        let layout = Reloader::layout(&self.root, &self.core.current().app);
        let mut batch = Batch::default();
        for path in paths {
            if let Some(kind) = classify(path, &layout) {
                batch.merge(Batch {
                    kinds: vec![kind],
                    paths: vec![path.clone()],
                });
            }
        }
        assert!(!batch.is_empty(), "nothing to report in {paths:?}");
        self.reloader.on_batch(&batch);
        let actions: Vec<Action> = self.actions.try_iter().collect();
        for action in &actions {
            if let Action::Overlay(overlay) = action {
                assert_ne!(
                    &self.overlay, overlay,
                    "an overlay action that changes nothing"
                );
                self.overlay = overlay.clone();
            }
        }
        actions
    }

    /// The batch after saving the files `rels`.
    fn saved(&mut self, rels: &[&str]) -> Vec<Action> {
        let paths: Vec<PathBuf> = rels.iter().map(|rel| self.path(rel)).collect();
        self.batch_of(&paths)
    }

    fn generation(&self) -> u64 {
        self.core.current().number
    }

    fn endpoints(&self) -> Vec<String> {
        self.core.current().app.endpoints.keys().cloned().collect()
    }

    /// Calls `endpoint` without arguments, as a page would.
    fn call(&self, endpoint: &str) -> Result<Value, IpcError> {
        self.call_with(endpoint, &Value::Null)
    }

    /// Calls `endpoint` through the current generation's router, as a page would.
    fn call_with(&self, endpoint: &str, args: &Value) -> Result<Value, IpcError> {
        let args = args.to_string();
        let generation = self.core.current();
        let key = self.core.key().to_owned();
        let call = Call {
            window: "main",
            origin: Some(ORIGIN),
            key: Some(&key),
            endpoint,
            body: Body::Json(args.as_bytes()),
        };
        match generation.router.handle(&call)? {
            Encoded::Json(bytes) => Ok(serde_json::from_slice(&bytes).unwrap()),
            Encoded::Bytes(bytes) => Ok(json!({ "bytes": bytes })),
        }
    }

    fn overlay_title(&self) -> Option<&str> {
        self.overlay.as_ref().map(|o| o.title.as_str())
    }
}

fn applies(actions: &[Action]) -> Vec<&Vec<Change>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Apply { changes, .. } => Some(changes),
            _ => None,
        })
        .collect()
}

fn reloads(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Reload { .. } | Action::Css { .. }))
        .count()
}

fn says(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(line) => Some(line.as_str()),
            _ => None,
        })
        .collect()
}

fn manifest_title() -> String {
    Overlay::manifest("").title
}
