//! The worker thread: fingerprints the folder at start, then turns each flush of debounced
//! events into a [`Batch`] of real changes.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Instant;

use notify::EventKind;
use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify_debouncer_full::DebouncedEvent;

use super::backend::{self, Backend, Msg};
use super::files::Files;
use super::{Batch, Shared, classify, lock};

pub(super) fn run(shared: &Shared, dir: PathBuf, rx: Receiver<Msg>) {
    let started = Instant::now();
    let mut files = Files::new(dir);
    files.scan(&shared.stop);
    // Events that happened while the scan ran may have been read by it already, their new bytes
    // taken for the old: those are reported even when the bytes look unchanged.
    let ready_at = Instant::now();
    tracing::debug!(
        "watch: {} files fingerprinted in {:?}",
        files.len(),
        ready_at - started
    );
    shared.set_ready();

    let mut state = State {
        shared,
        files,
        ready_at,
        warned_limit: false,
    };
    // Stat-ing a big folder on a network drive can take a good part of the interval: the wait
    // grows with it, so that polling stays under about a tenth of a core.
    let mut poll_wait = backend::POLL_INTERVAL;
    loop {
        let polling = lock(&shared.backend).as_ref().is_some_and(Backend::is_poll);
        let first = if polling {
            match rx.recv_timeout(poll_wait) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(msg) => Some(msg),
                Err(_) => return,
            }
        };
        let mut changed = Vec::new();
        match first {
            None => {
                let started = Instant::now();
                state.files.rescan(&mut changed);
                poll_wait = backend::POLL_INTERVAL.max(started.elapsed() * 10);
            }
            Some(mut msg) => loop {
                // Take everything already queued, so that a burst (a checkout, a build) that
                // spans several debouncer flushes becomes one batch.
                if !state.handle(msg, &mut changed) {
                    return;
                }
                msg = match rx.try_recv() {
                    Ok(next) => next,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                };
            },
        }
        let batch = state.batch(&changed);
        if !batch.is_empty() {
            shared.push(batch);
        }
    }
}

struct State<'a> {
    shared: &'a Shared,
    files: Files,
    ready_at: Instant,
    warned_limit: bool,
}

impl State<'_> {
    /// Applies one message; `false` when the watcher is stopping.
    fn handle(&mut self, msg: Msg, changed: &mut Vec<PathBuf>) -> bool {
        match msg {
            Msg::Stop => return false,
            Msg::Events(events) => {
                for event in events {
                    self.event(&event, changed);
                }
            }
            Msg::Errors(errors) => {
                for error in errors {
                    self.error(&error, changed);
                }
            }
        }
        !self.shared.stop.load(Ordering::Relaxed)
    }

    fn event(&mut self, event: &DebouncedEvent, changed: &mut Vec<PathBuf>) {
        if event.need_rescan() {
            tracing::debug!("watch: events were lost, comparing the whole folder");
            self.files.rescan(changed);
            return;
        }
        if !is_content_event(&event.kind) {
            return;
        }
        for path in &event.paths {
            let before = changed.len();
            self.files.reconcile(path, changed);
            if changed.len() == before && event.time < self.ready_at && !path.is_dir() {
                changed.push(path.clone());
            }
        }
    }

    fn error(&mut self, error: &notify::Error, changed: &mut Vec<PathBuf>) {
        if !backend::is_watch_limit(error) {
            tracing::warn!("watch: {error}");
            return;
        }
        let mut backend = lock(&self.shared.backend);
        if backend.as_ref().is_none_or(Backend::is_poll) || self.warned_limit {
            return;
        }
        // Part of the folder (a new subfolder) is not watched: poll all of it instead.
        self.warned_limit = true;
        tracing::warn!("{}", backend::WATCH_LIMIT_ADVICE);
        *backend = Some(Backend::Poll);
        drop(backend);
        // Whatever changed in the unwatched part until now would be missed.
        self.files.rescan(changed);
    }

    fn batch(&self, changed: &[PathBuf]) -> Batch {
        let layout = lock(&self.shared.layout);
        let mut batch = Batch::default();
        for path in changed {
            if let Some(kind) = classify(path, &layout) {
                batch.kinds.push(kind);
                batch.paths.push(path.clone());
            }
        }
        batch.dedup();
        batch
    }
}

/// Whether an event may mean that a file's bytes or existence changed. Opens and reads are
/// dropped (the watcher's own fingerprinting causes them), and so are attribute changes
/// (chmod, touch) except a new modification time, which is how the poll watcher reports a
/// write. Closing a file written to is kept: a long write may have been fingerprinted
/// halfway through, and this is the event after the last byte.
fn is_content_event(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind, RenameMode};

    #[test]
    fn only_events_that_may_change_content_count() {
        let table = [
            (EventKind::Access(AccessKind::Open(AccessMode::Any)), false),
            (EventKind::Access(AccessKind::Read), false),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                false,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                true,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Permissions)),
                false,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Ownership)),
                false,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
                false,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                false,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)),
                true,
            ),
            (EventKind::Modify(ModifyKind::Data(DataChange::Any)), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), true),
            (EventKind::Create(CreateKind::File), true),
            (EventKind::Remove(RemoveKind::Folder), true),
            (EventKind::Any, true),
        ];
        for (kind, counts) in table {
            assert_eq!(is_content_event(&kind), counts, "{kind:?}");
        }
    }
}
