//! Files built into the host with `include_dir`: the `apphost init` app template and the JS
//! API's typings.

use include_dir::{Dir, include_dir};

pub static INIT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates/init");

/// The `apphost init` template as a source.
pub fn init() -> std::sync::Arc<dyn crate::source::Source> {
    std::sync::Arc::new(crate::source::Builtin::new(&INIT, "", "the init template"))
}

/// TypeScript declarations of `window.apphost`, written into new apps.
pub const TYPINGS: &str = include_str!("../js/apphost.d.ts");

/// Fills `{{name}}` and `{{id}}` in a template file.
pub fn render(text: &str, name: &str, id: &str) -> String {
    text.replace("{{name}}", name).replace("{{id}}", id)
}

#[cfg(test)]
mod tests {
    /// The typings name every builtin, error code and io_error kind the host has.
    #[test]
    fn typings_are_complete() {
        let quoted = |s: &str| super::TYPINGS.contains(&format!("\"{s}\""));
        for name in crate::builtins::names() {
            assert!(quoted(name), "js/apphost.d.ts lacks the builtin `{name}`");
        }
        for code in crate::ipc::CODES.iter().chain(crate::ipc::IO_KINDS) {
            assert!(quoted(code), "js/apphost.d.ts lacks `{code}`");
        }
    }
}
