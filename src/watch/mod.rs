//! The file watcher behind `apphost dev`. So far its pure parts: what a changed path is to
//! the host ([`classify`]) and the guard against an app that reloads itself forever
//! ([`guard`]).

pub mod classify;
pub mod guard;

pub use classify::{Kind, Layout, classify, is_ignored};
pub use guard::{Admit, ReloadGuard};
