//! `apphost dev`: from what the watcher saw to what the running app does.
//!
//! [`Reloader::on_batch`] runs on a thread of its own that the watcher feeds, never on the UI
//! thread. It checks a changed manifest and swaps in a new generation (or, when the manifest
//! is broken, keeps the last good one and shows the error), compiles changed scripts, and
//! hands the UI thread one
//! [`Action`] per kind of change: swap stylesheets, reload pages, apply a manifest's changes to
//! windows, menus and the tray, show or clear the error overlay. The terminal gets one line per
//! change from whoever carries it out.

mod keys;
mod overlay;
pub mod server;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

pub use keys::{keys, restore_terminal};
pub use overlay::Overlay;

use crate::generation::{Core, Generation};
use crate::manifest::{self, App, Change};
use crate::source::{Lookup, Source};
use crate::watch::{Batch, Kind, Layout, ReloadGuard};

/// How often the batch feeder calls [`Reloader::on_tick`] while it wants ticks.
pub const TICK: std::time::Duration = std::time::Duration::from_millis(100);

/// What the UI thread is asked to do.
#[derive(Debug)]
pub enum Action {
    /// A new generation is in force: apply its `changes` to windows, menus and the tray.
    Apply {
        generation: Arc<Generation>,
        changes: Vec<Change>,
        started: Instant,
    },
    /// Stylesheets changed (paths relative to the frontend): swap them in every page.
    Css {
        paths: Vec<String>,
        started: Instant,
    },
    /// Other frontend files changed: reload every page, keeping its state.
    Reload {
        paths: Vec<String>,
        started: Instant,
    },
    /// Show the error overlay in every window (`None`: clear it).
    Overlay(Option<Overlay>),
    /// Print a line in the terminal, from the UI thread's turn (a script swap, a pause).
    Say(String),
    /// The `q` key: quit.
    Quit,
    /// The dev server answers now: load the pages from it.
    ServerUp,
}

/// Sends an [`Action`] to the UI thread.
pub type Send = Box<dyn Fn(Action) + std::marker::Send>;

/// The dev loop's memory between batches: the errors showing, the reload guard.
pub struct Reloader {
    core: Arc<Core>,
    /// The app folder (canonical), which the watcher's paths are in.
    folder: PathBuf,
    send: Send,
    guard: ReloadGuard,
    /// The manifest's diagnostics while it is broken.
    manifest_error: Option<String>,
    /// The app as the process started with it: what a restart-only key is compared with.
    started_with: Arc<App>,
    /// Changes that need a restart, said until the app restarts.
    restart: Vec<String>,
    /// The frontend folder's absence, while it is missing.
    frontend_missing: Option<String>,
    /// Script compile errors, by the endpoint script that does not compile (the error may be
    /// in a module it imports).
    script_errors: BTreeMap<String, String>,
    /// Frontend files saved while reloads were paused: reloaded once the app is quiet.
    held: Vec<String>,
    /// Where the watcher should look, when a manifest change moved the frontend.
    pub layout_changed: Option<Layout>,
}

impl Reloader {
    /// Also compiles every script of the app (a few ms each), so that each has a version
    /// that compiled before the first save can break it.
    pub fn new(core: Arc<Core>, send: Send) -> Reloader {
        let first = core.current();
        compile_scripts(&first);
        let folder = core
            .source()
            .folder()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Reloader {
            core,
            folder,
            send,
            guard: ReloadGuard::default(),
            manifest_error: None,
            started_with: Arc::clone(&first.app),
            restart: Vec::new(),
            frontend_missing: None,
            script_errors: BTreeMap::new(),
            held: Vec::new(),
            layout_changed: None,
        }
    }

    /// Whether [`Reloader::on_tick`] has something to do: changes held while reloads are
    /// paused. Whoever feeds the batches calls it then, about every [`TICK`].
    pub fn wants_tick(&self) -> bool {
        !self.held.is_empty()
    }

    /// Time passing without a batch: once a paused app has been quiet for the guard's window,
    /// the pages catch up with what was saved meanwhile, in one reload.
    pub fn on_tick(&mut self, now: Instant) {
        if !self.held.is_empty() && self.guard.quiet(now) && !self.broken() {
            let pages = std::mem::take(&mut self.held);
            self.reload(pages, now);
        }
    }

    /// Where the watcher looks for the files of `app`, whose folder is `folder` (canonical).
    pub fn layout(folder: &Path, app: &App) -> Layout {
        Layout {
            dir: folder.to_path_buf(),
            manifest: folder.join(&app.manifest),
            frontend: folder.join(&app.frontend),
        }
    }

    /// `path` (in the app folder) as the app's source names it.
    fn rel(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.folder).unwrap_or(path);
        rel.to_string_lossy().into_owned()
    }

    /// Carries out one batch of changes, in the order that makes each step see the last:
    /// the manifest first (it may add the endpoint a changed script serves), then scripts,
    /// then the frontend.
    pub fn on_batch(&mut self, batch: &Batch) {
        let started = Instant::now();
        let mut css = Vec::new();
        let mut pages = Vec::new();
        let mut scripts = Vec::new();
        let mut manifest = false;
        let mut others = Vec::new();
        for kind in &batch.kinds {
            match kind {
                Kind::Manifest => manifest = true,
                Kind::Stylesheet(rel) => css.push(rel.clone()),
                Kind::Frontend(rel) => pages.push(rel.clone()),
                Kind::Script(path) => scripts.push(path.clone()),
                Kind::Other(path) => others.push(path.clone()),
            }
        }
        let before = self.overlay();
        let current = self.core.current();
        // While the manifest does not check, any change may be the fix: its check also covers
        // the scripts and the folders it names.
        let recheck = manifest || self.manifest_error.is_some();
        if recheck {
            self.manifest_changed(started);
        }
        if !recheck || self.manifest_error.is_some() {
            // The current generation stays in force: compile its changed scripts now, so that
            // a broken one keeps the last version that compiled for the calls to come.
            for path in &scripts {
                self.script_changed(path);
            }
        }
        if !recheck {
            // An icon the manifest names changed on disk: show it again.
            let others: Vec<String> = others.iter().map(|p| self.rel(p)).collect();
            let icons = icon_changes(&current.app, &others);
            if !icons.is_empty() && !self.broken() {
                (self.send)(Action::Apply {
                    generation: current,
                    changes: icons,
                    started,
                });
            }
        }
        let missing = missing_frontend(self.core.source().as_ref(), &self.core.current().app);
        if let Some(text) = missing.as_ref().filter(|_| self.frontend_missing.is_none()) {
            (self.send)(Action::Say(format!(
                "{text}; pages are not reloaded meanwhile"
            )));
        }
        self.frontend_missing = missing;
        // Pages from a framework dev server are that server's to update (its own hot module
        // replacement); reloading them too would race it.
        let own_pages = self.core.current().origins.dev_server().is_none();
        if !own_pages && (!css.is_empty() || !pages.is_empty()) {
            let what: Vec<&str> = css.iter().chain(&pages).map(String::as_str).collect();
            (self.send)(Action::Say(format!(
                "frontend {} → left to the dev server, whose pages the windows show",
                what.join(", ")
            )));
        }
        if own_pages && !self.broken() {
            if !css.is_empty() {
                (self.send)(Action::Css {
                    paths: css,
                    started,
                });
            }
            if !pages.is_empty() {
                self.reload(pages, started);
            }
        }
        let after = self.overlay();
        if before != after {
            (self.send)(Action::Overlay(after));
        }
    }

    /// Whether the app shows an error and should not reload meanwhile (a reload would only
    /// lose the page's state to show the same error).
    fn broken(&self) -> bool {
        self.manifest_error.is_some() || self.frontend_missing.is_some()
    }

    fn reload(&mut self, pages: Vec<String>, started: Instant) {
        match self.guard.admit(started) {
            crate::watch::Admit::Yes => (self.send)(Action::Reload {
                paths: pages,
                started,
            }),
            crate::watch::Admit::Paused { why } => {
                self.hold(pages);
                (self.send)(Action::Say(format!(
                    "{why} Then the pages catch up with what was saved meanwhile."
                )));
            }
            crate::watch::Admit::StillPaused => self.hold(pages),
        }
    }

    fn hold(&mut self, pages: Vec<String>) {
        for page in pages {
            if !self.held.contains(&page) {
                self.held.push(page);
            }
        }
    }

    /// Checks the manifest again; swaps in a new generation when it is good.
    fn manifest_changed(&mut self, started: Instant) {
        let manifest = self.core.current().app.manifest.clone();
        let checked = crate::check_in(Arc::clone(self.core.source()), &manifest);
        let Some(app) = checked.app.as_ref().filter(|_| !checked.has_errors()) else {
            let text = checked.render();
            if self.manifest_error.as_deref() != Some(text.as_str()) {
                (self.send)(Action::Say(format!(
                    "manifest: {} error(s); the app keeps running as it was\n{text}",
                    checked.diagnostics.iter().filter(|d| d.is_error()).count()
                )));
            }
            self.manifest_error = Some(text);
            return;
        };
        let old = self.core.current();
        self.manifest_error = None;
        // A manifest that checks clean has scripts that compile.
        self.script_errors.clear();
        // Measured from the app the process started with: a later change does not make a
        // restart less needed, and a key changed back needs none.
        let restart: Vec<String> = manifest::diff(&self.started_with, app)
            .iter()
            .filter(|c| matches!(c, Change::Restart { .. }))
            .map(ToString::to_string)
            .collect();
        if !restart.is_empty() && restart != self.restart {
            (self.send)(Action::Say(format!("{manifest} {}", restart.join("; "))));
        }
        self.restart = restart;
        // Until the restart, the process runs on what it started with (`app.info` must not
        // name an id whose data folder is not the one in use).
        let mut app = app.clone();
        app.id.clone_from(&self.started_with.id);
        app.dev_poll = self.started_with.dev_poll;
        app.dev_command.clone_from(&self.started_with.dev_command);
        let app = &app;
        let changes = manifest::diff(&old.app, app);
        if changes.is_empty() {
            return;
        }
        match self.core.replace(app.clone()) {
            Ok(generation) => {
                compile_scripts(&generation);
                if old.app.frontend != app.frontend || old.app.manifest != app.manifest {
                    self.layout_changed = Some(Self::layout(&self.folder, app));
                }
                (self.send)(Action::Apply {
                    generation,
                    changes,
                    started,
                });
            }
            Err(e) => {
                self.manifest_error = Some(format!("{e:#}"));
            }
        }
    }

    /// Compiles every endpoint script that is `path` or imports it; errors are kept per
    /// endpoint script (for the overlay) until that script compiles again.
    fn script_changed(&mut self, path: &Path) {
        let started = Instant::now();
        let generation = self.core.current();
        let rel = self.rel(path);
        let compiled = generation.scripts.refresh(&rel);
        if compiled.is_empty() {
            return;
        }
        let mut cleared = false;
        let mut ok = Vec::new();
        for (script, result) in compiled {
            match result {
                Ok(()) => {
                    cleared |= self.script_errors.remove(&script).is_some();
                    ok.push(script);
                }
                Err(e) => {
                    let which = if script == rel {
                        String::new()
                    } else {
                        format!(" of {script}")
                    };
                    (self.send)(Action::Say(format!(
                        "script  {rel} → {e}; the last version{which} that compiled stays in force"
                    )));
                    self.script_errors.insert(script, e.to_string());
                }
            }
        }
        if ok.is_empty() {
            return;
        }
        let importers = if ok == [rel.as_str()] {
            String::new()
        } else {
            format!(" ({})", ok.join(", "))
        };
        (self.send)(Action::Say(format!(
            "script  {rel} → compiled{importers}; the next call runs it ({} ms){}",
            started.elapsed().as_millis(),
            if cleared { ", error cleared" } else { "" }
        )));
    }

    /// What the overlay should show now.
    fn overlay(&self) -> Option<Overlay> {
        if let Some(text) = &self.manifest_error {
            return Some(Overlay::manifest(text));
        }
        if let Some(text) = &self.frontend_missing {
            return Some(Overlay::frontend(text));
        }
        if !self.script_errors.is_empty() {
            let text: Vec<&str> = self.script_errors.values().map(String::as_str).collect();
            return Some(Overlay::script(&text.join("\n")));
        }
        if !self.restart.is_empty() {
            return Some(Overlay::restart(&self.restart.join("\n")));
        }
        None
    }
}

/// Compiles every script of `generation` now, off the calls' path (see
/// [`crate::script::Scripts::refresh_all`]).
fn compile_scripts(generation: &Generation) {
    for e in generation.scripts.refresh_all() {
        tracing::warn!("{e}");
    }
}

/// What to say while the frontend folder `app` serves from is gone (deleted, or renamed away).
fn missing_frontend(source: &dyn Source, app: &App) -> Option<String> {
    if matches!(source.lookup(&app.frontend), Lookup::Dir) {
        return None;
    }
    Some(format!(
        "the frontend folder `{}` is missing (deleted or renamed?)",
        app.frontend
    ))
}

/// The changes that show the app's or the tray's icon again when its file is among `paths`
/// (as the source names them).
fn icon_changes(app: &App, paths: &[String]) -> Vec<Change> {
    let mut changes = Vec::new();
    if app.icon.as_ref().is_some_and(|i| paths.contains(i)) {
        changes.push(Change::Icon(app.icon.clone()));
    }
    if let Some(tray) = &app.tray
        && paths.contains(&tray.icon)
    {
        changes.push(Change::Tray(Some(tray.clone())));
    }
    changes
}
