//! What the host tells WebKit's automation about itself when a WebDriver session starts.
//!
//! WebKitWebDriver matches a session's `browserName` (and `browserVersion`) against the
//! application info the app reports. wry reports its own (`wry` and wry's version) from an
//! `automation-started` handler it connects when the first webview is built, so a client asking
//! for `browserName: "apphost"` failed with "Failed to match capabilities". wry keeps its web
//! context's handle private, so we reach the context through the webview, and connect an *after*
//! handler: it runs once wry's has, whatever order they were connected in, and the last
//! `set_application_info` is the one WebKit answers with.

use gtk::glib::ObjectExt as _;
use webkit2gtk::{ApplicationInfo, AutomationSession, AutomationSessionExt as _, WebViewExt as _};
use wry::WebViewExtUnix as _;

/// The browser name a WebDriver session may ask for (a fixed part of the product's contract).
pub const BROWSER_NAME: &str = "apphost";

/// Makes every automation session of `webview`'s web context report apphost and its version.
/// Call it once, for the first webview, when automation is on.
pub fn report_identity(webview: &wry::WebView) {
    let Some(context) = webview.webview().context() else {
        tracing::warn!("automation: the webview has no web context; it reports itself as wry");
        return;
    };
    context.connect_local("automation-started", true, |values| {
        match values.get(1).map(|v| v.get::<AutomationSession>()) {
            Some(Ok(session)) => {
                session.set_application_info(&application_info());
                tracing::debug!("automation: session started, reported as {BROWSER_NAME}");
            }
            _ => tracing::warn!("automation: unexpected automation-started arguments"),
        }
        None
    });
}

fn application_info() -> ApplicationInfo {
    let info = ApplicationInfo::new();
    info.set_name(BROWSER_NAME);
    let (major, minor, micro) = version_numbers(env!("CARGO_PKG_VERSION"));
    info.set_version(major, minor, micro);
    info
}

/// `1.2.3-beta.1` → (1, 2, 3): WebKit takes three numbers; a missing or odd part counts as 0.
fn version_numbers(version: &str) -> (u64, u64, u64) {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let mut parts = core.split('.').map(|p| p.parse().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

#[cfg(test)]
mod tests {
    use super::version_numbers;

    #[test]
    fn versions_become_three_numbers() {
        assert_eq!(version_numbers("0.1.0"), (0, 1, 0));
        assert_eq!(version_numbers("1.22.333"), (1, 22, 333));
        assert_eq!(version_numbers("2.0.0-beta.1+build.5"), (2, 0, 0));
        assert_eq!(version_numbers("3"), (3, 0, 0));
    }
}
