//! Where a window may go, and what may be handed to the system's opener. The decisions are
//! pure ([`classify`], [`navigate`], [`response_allowed`], [`external_url`]); [`decide`] acts on
//! them: it lets WebKit load the URL, hands it to `xdg-open`, or refuses it and logs why. Every
//! decision reads the generation current at the time, so a changed `allow-navigation` or
//! `open-external` applies to the next navigation.
//!
//! WebKit asks for every hop of a frame's navigation (a link, `location=`, a meta refresh, each
//! HTTP redirect, a frame setting `top.location`), for subframes alike, and cannot say which
//! frame asks (`src/runtime/policy.rs`); it says again, with the main-frame flag, once the
//! response is in. So local documents (`data:`, `blob:`, `about:`) pass the first question and
//! are refused at the second when they would fill the window itself.

use std::process::{Command, Stdio};

use url::Url;

use crate::manifest::Security;
use crate::pattern::{any_matches, has_userinfo, is_format_char};
use crate::protocol::Origins;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Load it in the window.
    Allow,
    /// Open it with `xdg-open`, never in the window.
    External,
    Block,
}

/// Never a page of the window, whatever `allow-navigation` says: they run with the opener's
/// authority (`data:`, `blob:`, `javascript:`), show local files (`file:`) or another page's
/// source (`view-source:`).
pub const NEVER_TOP_LEVEL: &[&str] = &["data", "blob", "javascript", "file", "view-source"];

/// Documents a frame of a page may hold (CSP `frame-src` decides for the app's pages), which
/// are refused once WebKit says they would fill the window.
const LOCAL_DOCUMENTS: &[&str] = &["data", "blob", "about"];

/// Never handed to `xdg-open`, whatever `open-external` says: local files, file shares and
/// remote file systems (a desktop opener mounts and runs what they name, CVE-2025-31477), the
/// browser's own schemes, and this host's.
pub const NEVER_OPENED: &[&str] = &[
    "file",
    "smb",
    "cifs",
    "nfs",
    "ssh",
    "sftp",
    "ftp",
    "ftps",
    "dav",
    "davs",
    "webdav",
    "webdavs",
    "afp",
    "afc",
    "mtp",
    "gphoto2",
    "obex",
    "archive",
    "burn",
    "computer",
    "network",
    "recent",
    "trash",
    "admin",
    "google-drive",
    "data",
    "blob",
    "javascript",
    "vbscript",
    "view-source",
    "about",
    "app",
    "jar",
];

/// The app's own pages first, then `allow-navigation`, then `open-external`; everything else is
/// blocked. A URL that does not parse, or carries userinfo, is blocked.
pub fn classify(url: &str, sec: &Security, origins: &Origins) -> Verdict {
    let Ok(parsed) = Url::parse(url) else {
        return Verdict::Block;
    };
    if has_userinfo(&parsed) {
        return Verdict::Block;
    }
    if origins.is_app_url(parsed.as_str()) {
        return Verdict::Allow;
    }
    if any_matches(&sec.allow_navigation, &parsed) {
        return Verdict::Allow;
    }
    if any_matches(&sec.open_external, &parsed) {
        return Verdict::External;
    }
    Verdict::Block
}

/// One navigation WebKit asks about.
#[derive(Debug, Clone, Copy)]
pub struct Navigation<'a> {
    pub url: &'a str,
    /// `window.open` or `target=_blank`: never a webview window of its own.
    pub new_window: bool,
    /// A hop of an HTTP redirect.
    pub redirect: bool,
    /// A link followed, a form sent, or anything done during a user's click or key press.
    pub user_action: bool,
}

/// What to do with a navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Load,
    /// Hand this (normalised) URL to `xdg-open`.
    Open(String),
    /// Refused, and why (for the log).
    Refuse(String),
}

/// The decision for a navigation of any frame (WebKit does not say which).
pub fn navigate(nav: &Navigation, sec: &Security, origins: &Origins) -> Decision {
    let url = nav.url;
    let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    let local = scheme
        .as_deref()
        .is_some_and(|s| LOCAL_DOCUMENTS.contains(&s));
    if let Some(s) = scheme
        .as_deref()
        .filter(|s| NEVER_TOP_LEVEL.contains(s) && !LOCAL_DOCUMENTS.contains(s))
    {
        // Not for frames either (and WebKit asks nothing more of `view-source:`).
        return Decision::Refuse(format!("`{s}:` is never loaded, whatever the patterns say"));
    }
    match classify(url, sec, origins) {
        _ if local && !nav.new_window => Decision::Load, // checked again with the response
        Verdict::Allow if !nav.new_window => Decision::Load,
        Verdict::Allow => Decision::Refuse(
            "pages cannot open windows; declare it as a [[window]]".into(),
        ),
        Verdict::External if nav.redirect => Decision::Refuse(
            "a redirect is never handed to the system browser".into(),
        ),
        Verdict::External if !nav.user_action => Decision::Refuse(
            "it matches security.open-external, but no link was followed and no user action asked for it".into(),
        ),
        Verdict::External => match external_url(url, sec) {
            Ok(url) => Decision::Open(url),
            Err(why) => Decision::Refuse(why),
        },
        Verdict::Block => Decision::Refuse(
            "not the app's own pages and not in security.allow-navigation or security.open-external".into(),
        ),
    }
}

/// Whether a response may be shown: in the window itself (`main_frame`) only the app's pages
/// and `allow-navigation`, never a [`NEVER_TOP_LEVEL`] scheme; in a frame, those and local
/// documents.
pub fn response_allowed(url: &str, main_frame: bool, sec: &Security, origins: &Origins) -> bool {
    let Ok(parsed) = Url::parse(url) else {
        return false;
    };
    let scheme = parsed.scheme();
    if main_frame && NEVER_TOP_LEVEL.contains(&scheme) {
        return false;
    }
    if !main_frame && LOCAL_DOCUMENTS.contains(&scheme) {
        return true;
    }
    classify(url, sec, origins) == Verdict::Allow
}

/// The URL to hand to `xdg-open` for `raw`, or why not: it must be free of control and format
/// characters, not start with `-`, parse, carry no userinfo, not be of a [`NEVER_OPENED`]
/// scheme nor name a `.desktop` file, and match `open-external`. The normalised form is what is
/// opened, so the opener reads the URL that was checked.
pub fn external_url(raw: &str, sec: &Security) -> Result<String, String> {
    if let Some(c) = raw.chars().find(|c| c.is_control() || is_format_char(*c)) {
        return Err(format!("the URL holds the character {c:?}"));
    }
    if raw.starts_with('-') || raw.starts_with(char::is_whitespace) {
        return Err("the URL starts with `-` or a space".into());
    }
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL ({e})"))?;
    if NEVER_OPENED.contains(&url.scheme()) {
        return Err(format!(
            "`{}:` URLs are never handed to the system",
            url.scheme()
        ));
    }
    if has_userinfo(&url) {
        return Err("URLs with userinfo (`…@`) are never opened".into());
    }
    let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
    if path
        .trim_end_matches('/')
        .to_ascii_lowercase()
        .ends_with(".desktop")
    {
        return Err("`.desktop` files are never opened".into());
    }
    if !any_matches(&sec.open_external, &url) {
        return Err("it does not match security.open-external".into());
    }
    let out = url.as_str().to_owned();
    // A URL starts with its scheme, a letter: xdg-open (which refuses `--`) never reads it as
    // an option.
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("not an absolute URL".into());
    }
    Ok(out)
}

/// Acts on [`navigate`]: true lets WebKit load it.
pub fn decide(nav: &Navigation, sec: &Security, origins: &Origins) -> bool {
    match navigate(nav, sec, origins) {
        Decision::Load => true,
        Decision::Open(url) => {
            open_external(&url);
            false
        }
        Decision::Refuse(why) => {
            let what = if nav.new_window {
                "a new window"
            } else {
                "navigation"
            };
            tracing::warn!("blocked {what} to {}: {why}", nav.url);
            false
        }
    }
}

/// Hands a URL [`external_url`] accepted to the desktop's opener. The child is reaped on a
/// thread of its own, so no zombie is left and the UI thread never waits.
pub fn open_external(url: &str) {
    if url.starts_with('-') {
        return;
    }
    tracing::info!("opening {url} in the system browser");
    let child = Command::new("xdg-open")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(e) => tracing::warn!("could not run xdg-open for {url}: {e}"),
    }
}

#[cfg(test)]
mod tests;
