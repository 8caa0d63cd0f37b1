//! Packaging: an app folder (manifest, frontend, scripts, icons) carried inside one executable.
//! `format` is the payload's byte layout, writer and reader; embedding it in the executable
//! and serving from it live elsewhere.

pub mod format;
