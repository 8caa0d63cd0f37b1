//! apphost: a prebuilt desktop app host. A web frontend plus an `app.toml` manifest run as a
//! native desktop app, with no per-app Rust build.
//!
//! Modules are named after what they are; the binary (`main.rs`, `cli/`) only parses
//! arguments and dispatches.

pub mod builtins;
pub mod cli;
pub mod demo;
pub mod dev;
pub mod fs_util;
pub mod generation;
pub mod icon;
pub mod ipc;
pub mod manifest;
pub mod media;
pub mod navigation;
pub mod pack;
pub mod pattern;
pub mod protocol;
pub mod random;
pub mod runtime;
pub mod script;
pub mod source;
pub mod templates;
pub mod watch;

/// Checks the app at `target` (a manifest file or an app folder) as `apphost check` does:
/// the manifest, and every script it names compiled in the sandbox.
pub fn check(target: &std::path::Path) -> manifest::Checked {
    manifest::check_with(target, &script::Checker)
}

/// [`check`] of the manifest `name` at the root of `source` (the built-in demo, a packaged
/// payload, or the folder a running app was started from).
pub fn check_in(source: std::sync::Arc<dyn source::Source>, name: &str) -> manifest::Checked {
    manifest::check_in(source, name, &script::Checker)
}

/// [`check`] of manifest `text` as if read from `file`.
pub fn check_text(file: &std::path::Path, text: String) -> manifest::Checked {
    manifest::check_text_with(file, text, &script::Checker)
}
