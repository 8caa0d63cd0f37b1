//! Placeholder: the cold-start benchmark lands here.
fn main() {}
