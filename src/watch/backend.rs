//! The notify side: a debounced recursive watch on the app folder by the OS's notification
//! API, or polling instead (asked for, or when inotify runs out of watches). Debounced events
//! go to the watcher's worker thread through a channel.
//!
//! Polling is the worker's own stat-compare of the folder ([`super::files::Files::rescan`]),
//! not notify's `PollWatcher`: that one compares modification times in whole seconds
//! (notify 8.2 `poll.rs`), so a second save within the same second is missed, unless it is
//! told to read every file at every interval, which on a network drive costs far more.

use std::io;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::Context;
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer_opt,
};

/// Long enough to fold an editor's save (temp file, rename, delete) into one flush, short
/// enough that a stylesheet swap feels immediate.
const DEBOUNCE: Duration = Duration::from_millis(25);
/// How often the debouncer looks for expired events; it must not exceed `DEBOUNCE`.
const TICK: Duration = Duration::from_millis(10);
/// Polling stats every file of the app folder at this interval.
pub(super) const POLL_INTERVAL: Duration = Duration::from_millis(200);

pub(super) const WATCH_LIMIT_ADVICE: &str = "\
the system's limit on inotify watches is reached, so apphost falls back to polling the app \
folder (slower, and costs some CPU). To raise the limit now: \
`sudo sysctl fs.inotify.max_user_watches=524288`; to keep it after a reboot: \
`echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-inotify.conf` then \
`sudo sysctl --system`.";

/// What the worker thread receives.
pub(super) enum Msg {
    Events(Vec<DebouncedEvent>),
    Errors(Vec<notify::Error>),
    Stop,
}

/// How changes are found. Dropping a native watch stops notify's threads (they exit within
/// one tick).
pub(super) enum Backend {
    Native {
        _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    },
    /// The worker compares the folder every [`POLL_INTERVAL`].
    Poll,
}

impl Backend {
    /// Watches `dir` recursively, by polling when `poll` is set or when the native watcher
    /// reports that the watch limit is reached.
    pub(super) fn start(dir: &Path, poll: bool, tx: &Sender<Msg>) -> anyhow::Result<Backend> {
        if poll {
            return Ok(Backend::Poll);
        }
        match Self::start_native(dir, tx) {
            Ok(backend) => Ok(backend),
            Err(e) if is_watch_limit(&e) => {
                tracing::warn!("{WATCH_LIMIT_ADVICE}");
                Ok(Backend::Poll)
            }
            Err(e) => Err(e).with_context(|| format!("cannot watch {}", dir.display())),
        }
    }

    pub(super) fn is_poll(&self) -> bool {
        matches!(self, Backend::Poll)
    }

    fn start_native(dir: &Path, tx: &Sender<Msg>) -> notify::Result<Backend> {
        // Symlinks are not followed: one to `/` or to a parent would make the watch (and the
        // inotify watch count) cover the whole disk.
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut debouncer: Debouncer<RecommendedWatcher, RecommendedCache> = new_debouncer_opt(
            DEBOUNCE,
            Some(TICK),
            handler(tx),
            RecommendedCache::new(),
            config,
        )?;
        debouncer.watch(dir, RecursiveMode::Recursive)?;
        Ok(Backend::Native {
            _debouncer: debouncer,
        })
    }
}

fn handler(tx: &Sender<Msg>) -> impl FnMut(DebounceEventResult) + Send + 'static {
    let tx = tx.clone();
    move |result| {
        // A send fails only once the worker has stopped, when nothing is wanted any more.
        let _ = tx.send(match result {
            Ok(events) => Msg::Events(events),
            Err(errors) => Msg::Errors(errors),
        });
    }
}

/// Whether an error means that inotify has no watches left. notify reports ENOSPC from
/// `inotify_add_watch` as `MaxFilesWatch`, but an ENOSPC may also arrive as a plain I/O error.
pub(super) fn is_watch_limit(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.kind() == io::ErrorKind::StorageFull,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_limit_is_recognised_in_both_forms() {
        let limit = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let enospc = notify::Error::io(io::Error::from_raw_os_error(28));
        let other = notify::Error::io(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(is_watch_limit(&limit));
        assert!(is_watch_limit(&enospc));
        assert!(!is_watch_limit(&other));
        assert!(!is_watch_limit(&notify::Error::path_not_found()));
    }

    #[test]
    fn the_advice_says_how_to_raise_the_limit_for_good() {
        assert!(WATCH_LIMIT_ADVICE.contains("sudo sysctl fs.inotify.max_user_watches=524288"));
        assert!(WATCH_LIMIT_ADVICE.contains("/etc/sysctl.d/"));
    }
}
