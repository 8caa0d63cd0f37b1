//! Attacks: ipc.
