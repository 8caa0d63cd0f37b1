//! The demo app `apphost run` opens without a folder. It is built into the binary and read
//! from there like any other source: nothing is written to disk.

use std::sync::Arc;

use include_dir::{Dir, include_dir};

use crate::source::{Builtin, Source};

pub static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// The demo as a source whose root holds its `app.toml`.
pub fn source() -> Arc<dyn Source> {
    Arc::new(Builtin::new(&DEMO, "", "the built-in demo"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_checks_clean_from_the_binary() {
        let checked = crate::check_in(super::source(), crate::manifest::NAMES[0]);
        assert!(checked.diagnostics.is_empty(), "{}", checked.render());
        let app = checked.app.unwrap();
        assert_eq!(app.frontend, "web");
        assert!(matches!(
            checked.source.lookup("web/index.html"),
            crate::source::Lookup::File(_)
        ));
    }
}
