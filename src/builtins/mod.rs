//! The Rust handlers shipped in the host. This registry names them and says where each runs,
//! so that `apphost check` can refuse an unknown builtin before anything runs and the transports
//! can tell a quick call from a slow one without knowing any builtin's name; [`Host`] binds each
//! name to its handler.

pub mod fs;
mod host;
mod notify;
pub mod paths;
pub mod store;

pub use host::{Builtins, Host, Lasting, Launch, Ui, UiRequest};

/// One builtin endpoint handler.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    /// It touches the file system and is confined to the endpoint's `scope`.
    pub scoped: bool,
    /// It finishes in microseconds on the calling worker, never waiting for the UI thread or
    /// the user: a transport may wait a moment for its answer instead of queueing it.
    pub quick: bool,
    /// It takes raw bytes (an ArrayBuffer or typed array, alone or as one field of an object);
    /// every other builtin takes JSON only.
    pub bytes: bool,
    pub summary: &'static str,
}

/// A builtin that waits for the UI thread, the user or the desktop.
const fn b(name: &'static str, summary: &'static str) -> Builtin {
    Builtin {
        name,
        scoped: false,
        quick: false,
        bytes: false,
        summary,
    }
}

/// A builtin that answers at once on the worker.
const fn quick(name: &'static str, summary: &'static str) -> Builtin {
    Builtin {
        quick: true,
        ..b(name, summary)
    }
}

const fn fs(name: &'static str, summary: &'static str) -> Builtin {
    Builtin {
        scoped: true,
        ..quick(name, summary)
    }
}

pub const BUILTINS: &[Builtin] = &[
    quick(
        "app.info",
        "the app's id, name and version, and the host's version",
    ),
    b("app.exit", "exit the app"),
    Builtin {
        bytes: true,
        ..quick("app.echo", "the arguments back, unchanged (JSON or bytes)")
    },
    b("window.list", "the labels of the open windows"),
    b("window.open", "open a window the manifest declares"),
    b("window.close", "close a window"),
    b("window.show", "show a window"),
    b("window.hide", "hide a window"),
    b("window.focus", "focus a window"),
    b("window.minimize", "minimize a window"),
    b("window.maximize", "maximize a window"),
    b("window.unmaximize", "restore a maximized window"),
    b("window.set_title", "set a window's title"),
    b("window.set_size", "set a window's inner size"),
    fs("fs.read_text", "read a UTF-8 file"),
    fs("fs.read_bytes", "read a file as bytes"),
    fs("fs.write_text", "write a UTF-8 file atomically"),
    Builtin {
        bytes: true,
        ..fs("fs.write_bytes", "write bytes to a file atomically")
    },
    fs("fs.list", "list a directory"),
    fs("fs.stat", "size, kind and times of a path"),
    fs("fs.exists", "whether a path exists"),
    fs("fs.mkdir", "create a directory and its parents"),
    fs("fs.remove", "remove a file or an empty directory"),
    fs("fs.rename", "rename or move a path within the scope"),
    quick("store.get", "read a key of the app's persistent store"),
    quick("store.set", "write a key of the app's persistent store"),
    quick("store.delete", "delete a key of the app's persistent store"),
    quick("store.keys", "the keys of the app's persistent store"),
    quick("store.clear", "empty the app's persistent store"),
    b("clipboard.read_text", "the clipboard's text"),
    b("clipboard.write_text", "put text on the clipboard"),
    b("dialog.open", "a native open-file dialog"),
    b("dialog.save", "a native save-file dialog"),
    b("dialog.message", "a native message box"),
    b("dialog.confirm", "a native yes/no question"),
    b(
        "shell.open",
        "open a URL that `open-external` allows in the system browser",
    ),
    b("menu.set_enabled", "enable or disable a menu item"),
    b("menu.set_checked", "check or uncheck a check item"),
    b("menu.set_text", "change a menu item's label"),
    b("notification.show", "a desktop notification"),
];

/// Whether builtin `name` is [`Builtin::quick`] (an unknown name is not).
pub fn is_quick(name: &str) -> bool {
    find(name).is_some_and(|b| b.quick)
}

pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for b in super::BUILTINS {
            assert!(seen.insert(b.name), "duplicate {}", b.name);
            assert!(crate::manifest::is_endpoint_name(b.name), "{}", b.name);
            assert_eq!(b.scoped, b.name.starts_with("fs."));
            let group = b.name.split('.').next().unwrap();
            let quick =
                matches!(group, "fs" | "store") || matches!(b.name, "app.info" | "app.echo");
            assert_eq!(b.quick, quick, "{}", b.name);
            assert_eq!(
                b.bytes,
                matches!(b.name, "app.echo" | "fs.write_bytes"),
                "{}",
                b.name
            );
        }
    }
}
