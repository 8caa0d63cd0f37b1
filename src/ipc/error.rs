//! The errors a page's `invoke` rejects with: a stable `code` and a human `message`. File
//! errors also carry a stable `kind`, so a page can tell "no such file" from "not allowed"
//! without parsing an OS message in some language.

use std::io;

/// Every code `IpcError::code` can return, for the docs and the JS typings.
pub const CODES: &[&str] = &[
    "not_found",
    "forbidden",
    "bad_args",
    "too_large",
    "timeout",
    "handler_error",
    "unavailable",
    "io_error",
    "limit_exceeded",
    "cancelled",
];

/// Every name `IoKind::name` can return, for the docs and the JS typings.
pub const IO_KINDS: &[&str] = &[
    "not_found",
    "already_exists",
    "permission_denied",
    "not_a_directory",
    "is_a_directory",
    "directory_not_empty",
    "invalid_data",
    "other",
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IpcError {
    /// No endpoint of that name is declared in app.toml.
    #[error("no endpoint `{0}` is declared in app.toml")]
    NotFound(String),
    /// Wrong origin, missing key, or a window without the grant.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadArgs(String),
    #[error("the payload is larger than the {0} bytes allowed (security.max-payload)")]
    TooLarge(usize),
    #[error("the call took longer than {0} ms")]
    Timeout(u64),
    #[error("{0}")]
    Handler(String),
    /// The host cannot do this here (no notification daemon, no clipboard…).
    #[error("{0}")]
    Unavailable(String),
    /// The OS refused a file operation the scope allowed. `message` names the path as the page
    /// wrote it, never the resolved one.
    #[error("{message}")]
    Io { kind: IoKind, message: String },
    /// A script went past one of its sandbox limits (operations, memory, sizes, depth…); the
    /// message names the limit. Wall time is `Timeout`.
    #[error("{0}")]
    LimitExceeded(String),
    /// The page cancelled the call (an `AbortSignal`); a script stops at its next operation.
    #[error("the call was cancelled")]
    Cancelled,
}

/// Why a file operation failed, in words that stay the same across OSes and Rust versions.
/// Declared in the order of [`IO_KINDS`], which holds the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoKind {
    NotFound,
    AlreadyExists,
    PermissionDenied,
    NotADirectory,
    IsADirectory,
    DirectoryNotEmpty,
    InvalidData,
    Other,
}

impl IoKind {
    pub fn of(e: &io::Error) -> IoKind {
        use io::ErrorKind as K;
        match e.kind() {
            K::NotFound => IoKind::NotFound,
            K::AlreadyExists => IoKind::AlreadyExists,
            // A read-only file system refuses a write just like a read-only file does.
            K::PermissionDenied | K::ReadOnlyFilesystem => IoKind::PermissionDenied,
            K::NotADirectory => IoKind::NotADirectory,
            K::IsADirectory => IoKind::IsADirectory,
            K::DirectoryNotEmpty => IoKind::DirectoryNotEmpty,
            K::InvalidData => IoKind::InvalidData,
            _ => IoKind::Other,
        }
    }

    /// Its entry in [`IO_KINDS`]: the variants are declared in the table's order.
    pub fn name(self) -> &'static str {
        IO_KINDS[self as usize]
    }
}

impl IpcError {
    pub fn code(&self) -> &'static str {
        match self {
            IpcError::NotFound(_) => "not_found",
            IpcError::Forbidden(_) => "forbidden",
            IpcError::BadArgs(_) => "bad_args",
            IpcError::TooLarge(_) => "too_large",
            IpcError::Timeout(_) => "timeout",
            IpcError::Handler(_) => "handler_error",
            IpcError::Unavailable(_) => "unavailable",
            IpcError::Io { .. } => "io_error",
            IpcError::LimitExceeded(_) => "limit_exceeded",
            IpcError::Cancelled => "cancelled",
        }
    }

    /// An OS error about `path`, which must be the path as the page wrote it: the OS's own
    /// message never names a path, so nothing resolved leaks through it.
    pub fn io(path: &str, e: &io::Error) -> IpcError {
        IpcError::Io {
            kind: IoKind::of(e),
            message: format!("`{path}`: {e}"),
        }
    }

    /// An `io_error` with a message of the caller's, its kind taken from std's (so callers
    /// outside this module need not name [`IoKind`]).
    pub fn io_message(kind: io::ErrorKind, message: String) -> IpcError {
        IpcError::Io {
            kind: IoKind::of(&io::Error::from(kind)),
            message,
        }
    }

    /// `{"code": …, "message": …}`, what the promise rejects with; `io_error` adds `kind`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        if let IpcError::Io { kind, .. } = self {
            v["kind"] = kind.name().into();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_come_from_os_errors() {
        let cases = [
            (libc_errno::ENOENT, IoKind::NotFound),
            (libc_errno::EEXIST, IoKind::AlreadyExists),
            (libc_errno::EACCES, IoKind::PermissionDenied),
            (libc_errno::EPERM, IoKind::PermissionDenied),
            (libc_errno::EROFS, IoKind::PermissionDenied),
            (libc_errno::ENOTDIR, IoKind::NotADirectory),
            (libc_errno::EISDIR, IoKind::IsADirectory),
            (libc_errno::ENOTEMPTY, IoKind::DirectoryNotEmpty),
            (libc_errno::EIO, IoKind::Other),
        ];
        for (errno, kind) in cases {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(IoKind::of(&e), kind, "{e}");
        }
        let utf8 = io::Error::new(io::ErrorKind::InvalidData, "stream did not contain UTF-8");
        assert_eq!(IoKind::of(&utf8), IoKind::InvalidData);
    }

    /// Linux errno values, spelled out so the test needs no libc dependency.
    mod libc_errno {
        pub const EPERM: i32 = 1;
        pub const ENOENT: i32 = 2;
        pub const EIO: i32 = 5;
        pub const EACCES: i32 = 13;
        pub const EEXIST: i32 = 17;
        pub const ENOTDIR: i32 = 20;
        pub const EISDIR: i32 = 21;
        pub const EROFS: i32 = 30;
        pub const ENOTEMPTY: i32 = 39;
    }

    #[test]
    fn every_kind_has_its_own_stable_name() {
        let all = [
            (IoKind::NotFound, "not_found"),
            (IoKind::AlreadyExists, "already_exists"),
            (IoKind::PermissionDenied, "permission_denied"),
            (IoKind::NotADirectory, "not_a_directory"),
            (IoKind::IsADirectory, "is_a_directory"),
            (IoKind::DirectoryNotEmpty, "directory_not_empty"),
            (IoKind::InvalidData, "invalid_data"),
            (IoKind::Other, "other"),
        ];
        for (kind, name) in all {
            assert_eq!(kind.name(), name);
        }
        assert_eq!(all.len(), IO_KINDS.len());
    }

    #[test]
    fn io_errors_carry_code_kind_and_the_written_path() {
        let e = IpcError::io(
            "$APPDATA/x.txt",
            &io::Error::from_raw_os_error(libc_errno::ENOENT),
        );
        assert_eq!(e.code(), "io_error");
        let v = e.to_json();
        assert_eq!(v["code"], "io_error");
        assert_eq!(v["kind"], "not_found");
        let message = v["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("`$APPDATA/x.txt`: "), "{message}");
        assert_eq!(
            v.as_object().map(|o| o.len()),
            Some(3),
            "code, message, kind"
        );
        let e = IpcError::io_message(io::ErrorKind::IsADirectory, "`$HOME` is a folder".into());
        assert_eq!(e.to_json()["kind"], "is_a_directory");
        assert_eq!(e.to_string(), "`$HOME` is a folder");
        // Other codes keep their two fields.
        assert_eq!(
            IpcError::BadArgs("b".into()).to_json(),
            json!({"code": "bad_args", "message": "b"})
        );
    }
}
