//! Packaging.

pub mod embed;
pub mod format;
