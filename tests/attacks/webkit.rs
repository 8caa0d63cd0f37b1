//! Attacks: webkit.
