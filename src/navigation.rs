//! Where a window may go. The decision is pure ([`classify`]); [`decide`] acts on it: it lets
//! WebKit load the URL, hands it to the system browser, or refuses it and logs why. Both read
//! the generation current at the time of the navigation, so a changed `allow-navigation` or
//! `open-external` applies to the next one.

use std::process::{Command, Stdio};

use crate::manifest::Security;
use crate::pattern::wildcard_match;
use crate::protocol::Origins;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Load it in the window.
    Allow,
    /// Open it with `xdg-open`, never in the window.
    External,
    Block,
}

/// The app's own pages first, then `allow-navigation`, then `open-external`; everything else is
/// blocked.
pub fn classify(url: &str, sec: &Security, origins: &Origins) -> Verdict {
    if origins.is_app_url(url) {
        return Verdict::Allow;
    }
    if sec.allow_navigation.iter().any(|p| wildcard_match(p, url)) {
        return Verdict::Allow;
    }
    if sec.open_external.iter().any(|p| wildcard_match(p, url)) {
        return Verdict::External;
    }
    Verdict::Block
}

/// What the webview should do with a navigation (`new_window` for `window.open` and
/// `target=_blank`, which never open a webview window of their own). True lets it load.
pub fn decide(url: &str, sec: &Security, origins: &Origins, new_window: bool) -> bool {
    match classify(url, sec, origins) {
        Verdict::Allow if !new_window => true,
        Verdict::Allow => {
            tracing::warn!(
                "blocked a new window for {url}: pages cannot open windows; declare it as a [[window]]"
            );
            false
        }
        Verdict::External => {
            open_external(url);
            false
        }
        Verdict::Block => {
            tracing::warn!(
                "blocked navigation to {url}: not the app's own pages and not in security.allow-navigation or security.open-external"
            );
            false
        }
    }
}

/// Hands the URL to the desktop's opener. The child is reaped on a thread of its own, so no
/// zombie is left and the UI thread never waits.
pub fn open_external(url: &str) {
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
mod tests {
    use super::{Verdict::*, *};

    #[test]
    fn verdicts() {
        let sec = Security {
            csp: vec![],
            csp_nonce: vec![],
            allow_navigation: vec!["https://docs.example.com/*".into()],
            open_external: vec!["https://*".into(), "mailto:*".into()],
            max_payload: 1 << 20,
            cross_origin_isolated: false,
        };
        for (url, want) in [
            ("app://localhost/", Allow),
            ("app://localhost", Allow),
            ("app://localhost/a/b.html?x#y", Allow),
            ("app://localhost.evil.com/", Block),
            ("app://localhost:8080/", Block),
            ("app://other/", Block),
            ("https://docs.example.com/guide", Allow),
            ("https://docs.example.com.evil.com/", External),
            ("https://example.org/", External),
            ("mailto:a@b.c", External),
            ("http://example.org/", Block),
            ("file:///etc/passwd", Block),
            ("javascript:alert(1)", Block),
            ("data:text/html,hi", Block),
            ("about:blank", Block),
        ] {
            assert_eq!(classify(url, &sec, &Origins::app()), want, "{url}");
        }
        let app = Origins::app();
        assert!(decide("app://localhost/x", &sec, &app, false));
        assert!(!decide("app://localhost/x", &sec, &app, true));
        assert!(!decide("file:///", &sec, &app, false));
        // A dev server is an app page only while it is the dev server.
        assert_eq!(classify("http://localhost:5173/", &sec, &app), Block);
        let dev = Origins::with_dev_server("http://localhost:5173").unwrap();
        assert_eq!(classify("http://localhost:5173/", &sec, &dev), Allow);
    }
}
