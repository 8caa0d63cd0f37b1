//! apphost: a prebuilt desktop app host. A web frontend plus an `app.toml` manifest run as a
//! native desktop app, with no per-app Rust build.
//!
//! Modules are named after what they are; the binary (`main.rs`, `cli/`) only parses
//! arguments and dispatches.

pub mod assets;
pub mod builtins;
pub mod cli;
pub mod demo;
pub mod dev;
pub mod fs_util;
pub mod generation;
pub mod icon;
pub mod ipc;
pub mod manifest;
pub mod navigation;
pub mod pack;
pub mod pattern;
pub mod protocol;
pub mod random;
pub mod runtime;
pub mod script;
pub mod templates;
pub mod watch;

/// Checks the app at `target` (a manifest file or an app folder) as `apphost check` does:
/// the manifest, and every script it names compiled in the sandbox.
pub fn check(target: &std::path::Path) -> manifest::Checked {
    manifest::check_with(target, &script::Checker)
}

/// [`check`] of manifest `text` as if read from `file`.
pub fn check_text(file: &std::path::Path, text: String) -> manifest::Checked {
    manifest::check_text_with(file, text, &script::Checker)
}
