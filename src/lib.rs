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
pub mod pattern;
pub mod protocol;
pub mod random;
pub mod runtime;
pub mod script;
pub mod templates;
pub mod watch;
