//! The attack suite: each test tries one attack drawn from an advisory against Tauri, Electron,
//! Neutralino or Wails (or from WebKit's own defaults) and asserts the safe outcome, and that
//! the host still answers afterwards. The README's "Attack suite" table maps every case to the
//! advisory it derives from.
//!
//! Attacks from a page run in the real webview (WebKitGTK under Xvfb, through the same harness
//! as `tests/webview`); the others are hostile files, scripts and hand-made requests.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../webview/harness.rs"]
mod harness;

mod csp;
mod files;
mod fuzz;
mod ipc;
mod navigation;
mod package;
mod webkit;
