//! Attacks: navigation.
