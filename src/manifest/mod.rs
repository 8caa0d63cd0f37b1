//! The app manifest: reading `app.toml`/`app.json5`, checking it, and resolving it into the
//! [`App`] the rest of the host runs.
//!
//! Only this module knows what the user wrote ([`model`]); everything else takes an [`App`].
//! [`check`] never panics and never stops at the first problem: it returns every diagnostic
//! it can find, each with a key path and, where the text has one, a span.

pub mod accelerator;
pub mod diagnostic;
pub mod diff;
pub mod model;
pub mod node;
pub mod parse;
pub mod path;
mod resolve;
pub mod suggest;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use diagnostic::{Diagnostic, Severity};
pub use diff::{Change, WindowChange, diff};
pub use model::{Manifest, Predefined};
pub use path::KeyPath;
pub use resolve::*;

use crate::source::{Folder, ReadError, Source};

/// The function `on = [...]` endpoints' scripts define to receive events.
pub const EVENT_FN: &str = "on_event";

/// The largest `max-call-depth` and `max-expr-depth` a manifest may set: rhai recurses on the
/// native stack, and a worker thread's 2 MiB must hold the deepest script (checked by
/// `tests/script_attacks.rs` at this depth).
pub const MAX_SCRIPT_DEPTH: u32 = 256;

/// What checking a manifest needs from the script engine: compile a script under an endpoint's
/// limits, with every module it imports, and say what it defines and what looks wrong in it.
/// It is given to [`check_with`] rather than called, so that this module does not depend on
/// the engine (`crate::check` passes the real one).
pub trait ScriptCheck {
    /// Checks the script `file` of `source` (a path relative to the app, as the source names
    /// it), whose text is `text`.
    fn check(&self, source: &dyn Source, file: &str, text: &str, limits: &Limits) -> ScriptReport;
}

/// What [`ScriptCheck::check`] found in one script.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptReport {
    /// The functions the script defines, with their parameter counts (when it compiles).
    pub functions: Vec<(String, usize)>,
    /// Why the script, or a module it imports, does not compile.
    pub error: Option<ScriptProblem>,
    /// What compiles but will not do what it seems to.
    pub warnings: Vec<ScriptProblem>,
}

/// A problem in a script or in a module it imports: the message and where, 1-based.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptProblem {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// The module the problem is in (its path relative to the app, and its text); `None`: the
    /// checked script itself.
    pub module: Option<(String, String)>,
    pub help: Option<String>,
}

/// The names a manifest has in an app folder (or a packaged payload), in the order they are
/// looked for; a folder may hold one of them, not both.
pub const NAMES: [&str; 2] = ["app.toml", "app.json5"];

/// Manifests larger than this are refused before parsing; real ones are a few KiB.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// How many type errors to report at most from one manifest.
const MAX_ERRORS: usize = 50;

/// Variables a `scope` glob may start with.
pub const SCOPE_VARS: &[&str] = &[
    "APPDATA",
    "APPCONFIG",
    "APPCACHE",
    "HOME",
    "DOCUMENTS",
    "DOWNLOADS",
    "TEMP",
];

/// `notes.save`, `app.info`, `files`: dot-separated names of letters, digits, `_` and `-`.
pub fn is_endpoint_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json5,
}

impl Format {
    /// How the manifest at `file` is read: `.json5`/`.json` is JSON5, anything else TOML.
    pub fn of(file: &Path) -> Format {
        match file.extension().and_then(|e| e.to_str()) {
            Some("json5") | Some("json") => Format::Json5,
            _ => Format::Toml,
        }
    }
}

/// The outcome of checking one manifest.
#[derive(Debug)]
pub struct Checked {
    /// The manifest file, as the caller named it (for messages).
    pub file: PathBuf,
    /// Where the app's files are read from; the resolved app's paths are relative to it.
    pub source: Arc<dyn Source>,
    /// Its text, when it could be read.
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    /// The resolved app, when there were no errors.
    pub app: Option<App>,
}

impl Checked {
    fn new(source: Arc<dyn Source>, file: &Path, text: String) -> Self {
        Checked {
            file: file.to_path_buf(),
            source,
            text,
            diagnostics: Vec::new(),
            app: None,
        }
    }

    /// The manifest could not be read at all.
    fn unreadable(source: Arc<dyn Source>, file: &Path, message: String) -> Self {
        let mut c = Checked::new(source, file, String::new());
        c.diagnostics.push(Diagnostic::error(message));
        c
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Every diagnostic, rendered with its excerpt, errors first.
    pub fn render(&self) -> String {
        let file = self.file.display().to_string();
        let dir = self.file.parent().unwrap_or(Path::new(""));
        let mut ds: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        ds.sort_by_key(|d| {
            (
                d.severity,
                d.source.is_some(),
                d.span.as_ref().map(|s| s.start),
            )
        });
        ds.iter()
            .map(|d| match &d.source {
                Some(s) => d.render(&dir.join(&s.file).display().to_string(), &s.text),
                None => d.render(&file, &self.text),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Finds the manifest for `target`: the file itself, or `app.toml` / `app.json5` in a folder.
pub fn locate(target: &Path) -> Result<PathBuf, String> {
    let md = std::fs::metadata(target).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("`{}` does not exist", target.display()),
        _ => format!("cannot read `{}`: {e}", target.display()),
    })?;
    let named_like_a_manifest = matches!(
        target.extension().and_then(|e| e.to_str()),
        Some("toml" | "json5")
    );
    if !md.is_dir() {
        return Ok(target.to_path_buf());
    }
    if named_like_a_manifest {
        return Err(format!(
            "`{}` is a folder, not a manifest file",
            target.display()
        ));
    }
    let [toml, json5] = NAMES.map(|name| target.join(name));
    match (
        toml.exists() || toml.is_symlink(),
        json5.exists() || json5.is_symlink(),
    ) {
        (true, true) => Err(format!(
            "`{}` has both app.toml and app.json5; keep one",
            target.display()
        )),
        (true, false) => Ok(toml),
        (false, true) => Ok(json5),
        (false, false) => Err(format!(
            "`{}` has no app.toml or app.json5 (run `apphost init {}` to create an app)",
            target.display(),
            target.display()
        )),
    }
}

/// Reads and checks the manifest at `target` (a manifest file or an app folder on disk); its
/// scripts are compiled with `scripts`.
pub fn check_with(target: &Path, scripts: &dyn ScriptCheck) -> Checked {
    let file = match locate(target) {
        Ok(f) => f,
        Err(msg) => {
            return Checked::unreadable(Arc::new(Folder::lenient(target)), target, msg);
        }
    };
    let (dir, name) = split(&file);
    check_in(Arc::new(Folder::lenient(&dir)), &name, scripts)
}

/// Reads and checks the manifest `name` at the root of `source` (a folder, a packaged payload,
/// files built into the host).
pub fn check_in(source: Arc<dyn Source>, name: &str, scripts: &dyn ScriptCheck) -> Checked {
    let file = PathBuf::from(source.describe(name));
    let text = match source.read(name, MAX_MANIFEST_BYTES) {
        Ok(bytes) => bytes,
        Err(e) => {
            let shown = file.display();
            let msg = match e {
                ReadError::Dir => format!("`{shown}` is a folder, not a manifest file"),
                ReadError::TooLarge { len, limit } => {
                    format!("`{shown}` is {len} bytes; a manifest may be at most {limit} bytes")
                }
                e => format!("`{shown}` {e}"),
            };
            return Checked::unreadable(source, &file, msg);
        }
    };
    match utf8(&file, text.into_owned()) {
        Ok(text) => checked(source, name, &file, text, scripts),
        Err(msg) => Checked::unreadable(source, &file, msg),
    }
}

/// Checks manifest `text` as if read from `file` (whose folder holds the app's files). The
/// format follows the file's extension: `.json5`/`.json` is JSON5, anything else TOML.
pub fn check_text_with(file: &Path, text: String, scripts: &dyn ScriptCheck) -> Checked {
    let (dir, name) = split(file);
    checked(Arc::new(Folder::lenient(&dir)), &name, file, text, scripts)
}

/// A manifest file's folder and name.
fn split(file: &Path) -> (PathBuf, String) {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

fn checked(
    source: Arc<dyn Source>,
    name: &str,
    file: &Path,
    text: String,
    scripts: &dyn ScriptCheck,
) -> Checked {
    let mut checked = Checked::new(source, file, text);
    let parsed = match Format::of(Path::new(name)) {
        Format::Toml => parse::toml(&checked.text),
        Format::Json5 => parse::json5(&checked.text),
    };
    let root = match parsed {
        Ok(root) => root,
        Err(errors) => {
            checked.diagnostics = errors
                .into_iter()
                .map(|e| Diagnostic::error(format!("syntax: {}", e.message)).span(e.span))
                .collect();
            return checked;
        }
    };
    let (manifest, type_errors) = node::from_node_all::<Manifest>(&root, MAX_ERRORS);
    let pruned: Vec<KeyPath> = type_errors.iter().map(|e| e.path.clone()).collect();
    checked.diagnostics = type_errors
        .into_iter()
        .map(|e| {
            let mut d = Diagnostic::error(e.message).at(e.path);
            d.span = e.span;
            d.did_you_mean(e.suggestion.as_deref())
        })
        .collect();
    let Some(manifest) = manifest else {
        return checked;
    };
    let source = Arc::clone(&checked.source);
    // Validate what was left after the type errors were pruned, without repeating them as
    // "missing" or "invalid" keys.
    for mut d in validate::validate(&manifest, source.as_ref(), scripts) {
        if d.path
            .as_ref()
            .is_some_and(|p| pruned.iter().any(|bad| p.starts_with(bad)))
        {
            continue;
        }
        place(&mut d, &root);
        checked.diagnostics.push(d);
    }
    if !checked.has_errors() {
        match resolve::resolve(&manifest, source.as_ref(), name) {
            Ok(app) => checked.app = Some(app),
            Err(msg) => checked.diagnostics.push(Diagnostic::error(msg)),
        }
    }
    checked
}

/// Gives a diagnostic the span of its key path, or of the nearest ancestor the text has
/// (a missing key points at the table that lacks it).
fn place(d: &mut Diagnostic, root: &node::Node) {
    if d.span.is_some() {
        return;
    }
    let mut path = d.path.clone();
    let mut exact = true;
    while let Some(p) = path {
        if let Some((node, key_span)) = root.lookup(&p) {
            d.span = match key_span {
                Some(k) if d.on_key || !exact => Some(k.clone()),
                _ if p.is_root() => None,
                _ => Some(node.span.clone()),
            };
            return;
        }
        exact = false;
        path = p.parent();
    }
}

/// The manifest's bytes as text, or a message that says where the first bad byte is.
fn utf8(file: &Path, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, col, _) = diagnostic::locate(
            std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default(),
            at,
        );
        format!(
            "`{}` is not valid UTF-8 (invalid byte at {line}:{col}); is it a text file?",
            file.display()
        )
    })
}

/// The JSON Schema of the manifest, generated from [`model::Manifest`].
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Manifest);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
