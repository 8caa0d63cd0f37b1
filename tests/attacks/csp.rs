//! Attacks: csp.
