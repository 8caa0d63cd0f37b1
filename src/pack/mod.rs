//! Packaging: turning an app folder into one executable.

pub mod embed;
