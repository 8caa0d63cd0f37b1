//! Files built into the host with `include_dir`: the `apphost init` app template.

use include_dir::{Dir, include_dir};

pub static INIT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates/init");

/// Fills `{{name}}` and `{{id}}` in a template file.
pub fn render(text: &str, name: &str, id: &str) -> String {
    text.replace("{{name}}", name).replace("{{id}}", id)
}
