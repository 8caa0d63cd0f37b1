//! GLib's log (GTK, GIO, dconf, WebKit's UI side, appindicator…) routed into `tracing`.
//!
//! Without a D-Bus session bus (a CI machine, a bare X server, a container) several libraries
//! each print their own warning about it, in GLib's format, at start-up and again when the tray
//! is built. They all mean one thing, so they become one apphost line that says what is missing
//! and what to do; each original message is still there at debug level. Every other GLib message
//! goes on to `tracing` at the level GLib gave it, so real errors stay visible and `APPHOST_LOG`
//! filters them like the host's own.
//!
//! Only this process's messages come through here: WebKit's web and network processes log on
//! their own.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use gtk::glib::{self, LogField, LogLevel, LogWriterOutput};

/// Routes GLib's log into `tracing`. Safe to call more than once; only the first call counts
/// (GLib takes one writer per process).
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| glib::log_set_writer_func(write));
}

/// What a GLib message is, as far as the host cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A library complaining that it cannot reach the D-Bus session bus.
    NoSessionBus,
    /// Anything else: passed on as it is.
    Other,
}

/// The one line that stands for every [`Kind::NoSessionBus`] message.
pub const NO_SESSION_BUS: &str = "no D-Bus session bus: the tray icon, notifications and \
    settings (dconf) are unavailable; start the app inside a desktop session or under \
    `dbus-run-session`";

/// Words that only a failed session-bus connection puts in a message. Matched without case.
const SESSION_BUS_SIGNS: &[&str] = &[
    "dbus-launch",
    "dbus_session_bus_address",
    "session bus",
    "autolaunch d-bus",
    "accessibility bus",
    "org.freedesktop.dbus.error.serviceunknown",
    "org.freedesktop.dbus.error.noreply",
];

/// Domains whose warnings are about D-Bus when they name it (dconf saves settings over D-Bus;
/// appindicator and dbusmenu publish the tray over it; dbind is the accessibility bridge).
const BUS_DOMAINS: &[&str] = &[
    "dconf",
    "libayatana-appindicator",
    "LIBDBUSMENU-GLIB",
    "dbind",
    "GLib-GIO",
    "atk-bridge",
];

/// Sorts one message. Errors (`LogLevel::Error`, which aborts) are never noise: only warnings
/// and below that name a missing session bus are.
pub fn classify(level: LogLevel, domain: Option<&str>, message: &str) -> Kind {
    if matches!(level, LogLevel::Error) {
        return Kind::Other;
    }
    let lower = message.to_ascii_lowercase();
    let names_bus = SESSION_BUS_SIGNS.iter().any(|s| lower.contains(s));
    let bus_domain = domain.is_some_and(|d| BUS_DOMAINS.iter().any(|b| b.eq_ignore_ascii_case(d)));
    if names_bus || (bus_domain && lower.contains("d-bus")) {
        Kind::NoSessionBus
    } else {
        Kind::Other
    }
}

fn write(level: LogLevel, fields: &[LogField<'_>]) -> LogWriterOutput {
    let field = |key: &str| {
        fields
            .iter()
            .find(|f| f.key() == key)
            .and_then(LogField::value_str)
    };
    let domain = field("GLIB_DOMAIN");
    let message = field("MESSAGE").unwrap_or_default();
    let from = domain.unwrap_or("GLib");
    match classify(level, domain, message) {
        Kind::NoSessionBus => {
            static SAID: AtomicBool = AtomicBool::new(false);
            if !SAID.swap(true, Ordering::Relaxed) {
                tracing::warn!("{NO_SESSION_BUS}");
            }
            tracing::debug!("{from}: {message}");
        }
        Kind::Other => match level {
            LogLevel::Error | LogLevel::Critical => tracing::error!("{from}: {message}"),
            LogLevel::Warning => tracing::warn!("{from}: {message}"),
            LogLevel::Message => tracing::info!("{from}: {message}"),
            LogLevel::Info => tracing::debug!("{from}: {message}"),
            LogLevel::Debug => tracing::trace!("{from}: {message}"),
        },
    }
    LogWriterOutput::Handled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_bus_complaints_are_one_kind() {
        let noise = [
            (
                "dconf",
                "failed to commit changes to dconf: Failed to execute child process \
                 \u{201c}dbus-launch\u{201d} (No such file or directory)",
            ),
            (
                "libayatana-appindicator",
                "Unable to get the session bus: Cannot autolaunch D-Bus without X11 $DISPLAY",
            ),
            (
                "LIBDBUSMENU-GLIB",
                "Unable to get session bus: Cannot spawn a message bus without a machine-id",
            ),
            (
                "dbind",
                "Couldn't connect to accessibility bus: Failed to connect to socket \
                 /run/user/0/at-spi/bus_0: No such file or directory",
            ),
            (
                "GLib-GIO",
                "Error creating proxy: The connection is closed (g-io-error-quark, 18) D-Bus",
            ),
        ];
        for (domain, message) in noise {
            assert_eq!(
                classify(LogLevel::Warning, Some(domain), message),
                Kind::NoSessionBus,
                "{domain}: {message}"
            );
        }
    }

    #[test]
    fn everything_else_passes_through() {
        let other = [
            (
                LogLevel::Critical,
                Some("Gtk"),
                "gtk_widget_show: assertion 'GTK_IS_WIDGET (widget)' failed",
            ),
            (LogLevel::Warning, Some("Gtk"), "cannot open display: :99"),
            (
                LogLevel::Warning,
                Some("dconf"),
                "unable to open file '/x/user': Permission denied",
            ),
            (
                LogLevel::Warning,
                None,
                "some message from an unnamed domain",
            ),
            // An abort is never hidden, whatever it says.
            (
                LogLevel::Error,
                Some("dconf"),
                "cannot reach the session bus",
            ),
        ];
        for (level, domain, message) in other {
            assert_eq!(classify(level, domain, message), Kind::Other, "{message}");
        }
    }

    #[test]
    fn the_summary_names_what_is_lost_and_the_way_out() {
        for word in ["tray icon", "notifications", "dconf", "dbus-run-session"] {
            assert!(NO_SESSION_BUS.contains(word), "{word}");
        }
    }
}
