//! The errors a page's `invoke` rejects with: a stable `code` and a human `message`.

/// Every code `IpcError::code` can return, for the docs and the JS typings.
pub const CODES: &[&str] = &[
    "not_found",
    "forbidden",
    "bad_args",
    "too_large",
    "timeout",
    "handler_error",
    "unavailable",
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
        }
    }

    /// `{"code": …, "message": …}`, what the promise rejects with.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code(), "message": self.to_string() })
    }
}
