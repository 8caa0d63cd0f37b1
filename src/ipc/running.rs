//! Calls in flight that their page can follow and stop. A call the page numbered (every posted
//! call, and an `app://` call that names its id) gets a [`Running`]: a cancel flag that the
//! script engine checks between operations, and a sink for the script's `progress` reports,
//! coalesced here so that a script reporting in a tight loop costs the page at most one event
//! per [`PROGRESS_EVERY`] (the latest report at that moment wins; one made just before the call
//! ends may never be sent: the answer follows anyway).
//!
//! [`InFlight`] finds a call by its window and id, so a cancel message reaches only calls of the
//! window that sent it. It is bounded ([`MAX_IN_FLIGHT`]), and a call leaves it when it
//! finishes: [`Registration`] removes it on drop, after a panic too.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::IpcError;

/// At most one progress event per call in this time.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(50);
/// A progress message is cut to this many characters.
pub const PROGRESS_MESSAGE_MAX: usize = 256;
/// At most this many calls, of every window together, can be cancelled at once; further calls
/// run to their end (their page still stops waiting for them when it cancels).
pub const MAX_IN_FLIGHT: usize = 4096;
/// Cancels of calls the table does not hold (yet: an `app://` call whose request arrives after
/// its cancel), remembered so that the call starts cancelled.
const EARLY_CANCELS: usize = 256;

/// Where a call's coalesced progress goes: the fraction (0 to 1) and the message, if any.
pub type ProgressSink = Box<dyn Fn(f64, Option<&str>) + Send + Sync>;

/// Where the progress of every call in an [`InFlight`] goes: (window, call id, fraction,
/// message).
pub type Deliver = dyn Fn(&str, u64, f64, Option<&str>) + Send + Sync;

/// A call in flight as its handler sees it. Cloning shares it. A detached one (calls nobody
/// follows: tests, events, scripts' own calls) is never cancelled and drops progress.
#[derive(Clone, Default)]
pub struct Running(Option<Arc<Inner>>);

struct Inner {
    cancelled: Arc<AtomicBool>,
    sink: Option<ProgressSink>,
    /// When the last progress event went out.
    last: Mutex<Option<Instant>>,
}

impl Running {
    /// A call its page follows: `sink` receives its progress (`None`: the page asked for none).
    pub fn new(sink: Option<ProgressSink>) -> Running {
        Running(Some(Arc::new(Inner {
            cancelled: Arc::default(),
            sink,
            last: Mutex::new(None),
        })))
    }

    /// A call nobody follows.
    pub fn detached() -> Running {
        Running(None)
    }

    /// The flag the script engine watches; `None` for a detached call, which nothing cancels.
    pub fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        self.0.as_ref().map(|i| Arc::clone(&i.cancelled))
    }

    pub fn is_cancelled(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|i| i.cancelled.load(Ordering::Relaxed))
    }

    fn cancel(&self) {
        if let Some(i) = &self.0 {
            i.cancelled.store(true, Ordering::Relaxed);
        }
    }

    /// A progress report of the running call: `fraction` is clamped to 0..1 (NaN is 0), the
    /// message cut to [`PROGRESS_MESSAGE_MAX`] characters. Dropped for a detached or cancelled
    /// call, and when the last event went out less than [`PROGRESS_EVERY`] ago.
    pub fn progress(&self, fraction: f64, message: Option<&str>) {
        self.progress_at(Instant::now(), fraction, message);
    }

    /// [`Running::progress`] at time `now`; whether it was sent.
    fn progress_at(&self, now: Instant, fraction: f64, message: Option<&str>) -> bool {
        let Some(inner) = &self.0 else {
            return false;
        };
        let Some(sink) = &inner.sink else {
            return false;
        };
        if inner.cancelled.load(Ordering::Relaxed) {
            return false;
        }
        {
            let mut last = inner.last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| now.saturating_duration_since(t) < PROGRESS_EVERY) {
                return false;
            }
            *last = Some(now);
        }
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        sink(fraction, message.map(cut));
        true
    }

    fn same(&self, other: &Running) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// `text`'s first [`PROGRESS_MESSAGE_MAX`] characters.
fn cut(text: &str) -> &str {
    match text.char_indices().nth(PROGRESS_MESSAGE_MAX) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The calls in flight that a page may cancel, by window and id. One table for the whole
/// process: a call keeps running on the generation it started on, and its cancel may arrive
/// after the manifest changed.
#[derive(Default)]
pub struct InFlight {
    state: Mutex<State>,
    /// `None`: progress goes nowhere (tests).
    deliver: Option<Arc<Deliver>>,
}

type CallKey = (String, u64);

#[derive(Default)]
struct State {
    calls: HashMap<CallKey, Running>,
    early: VecDeque<CallKey>,
}

/// A call's place in [`InFlight`]; dropping it (when the call has finished) frees the place.
pub struct Registration {
    running: Running,
    /// `None` when the table was full: the call runs, but cannot be cancelled.
    place: Option<(Arc<InFlight>, CallKey)>,
}

impl Registration {
    pub fn running(&self) -> &Running {
        &self.running
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some((table, key)) = self.place.take() {
            let mut state = table.lock();
            if state.calls.get(&key).is_some_and(|r| r.same(&self.running)) {
                state.calls.remove(&key);
            }
        }
    }
}

impl InFlight {
    /// A table whose calls' progress goes to `deliver`.
    pub fn new(deliver: Arc<Deliver>) -> InFlight {
        InFlight {
            state: Mutex::default(),
            deliver: Some(deliver),
        }
    }

    /// Enters call `id` of `window`. A call that `window` already has running under `id` is
    /// refused (`bad_args`): its cancel could not tell them apart.
    pub fn register(self: &Arc<Self>, window: &str, id: u64) -> Result<Registration, IpcError> {
        let key = (window.to_owned(), id);
        let sink = self.deliver.as_ref().map(|deliver| {
            let (deliver, window) = (Arc::clone(deliver), key.0.clone());
            Box::new(move |fraction, message: Option<&str>| {
                deliver(&window, id, fraction, message);
            }) as ProgressSink
        });
        let running = Running::new(sink);
        let mut state = self.lock();
        if state.calls.contains_key(&key) {
            return Err(IpcError::BadArgs(format!(
                "call {id} of this window is still running: call ids must be unique"
            )));
        }
        if let Some(i) = state
            .early
            .iter()
            .position(|(w, i)| *i == id && w == window)
        {
            state.early.remove(i);
            running.cancel();
        }
        if state.calls.len() >= MAX_IN_FLIGHT {
            tracing::warn!(
                window,
                "more than {MAX_IN_FLIGHT} calls in flight: call {id} cannot be cancelled"
            );
            return Ok(Registration {
                running,
                place: None,
            });
        }
        state.calls.insert(key.clone(), running.clone());
        Ok(Registration {
            running,
            place: Some((Arc::clone(self), key)),
        })
    }

    /// Cancels call `id` of `window`: its script stops at its next operation. Only that
    /// window's calls are reached. Whether such a call was running; if not, the cancel is
    /// remembered for a while in case the call has not arrived yet.
    pub fn cancel(&self, window: &str, id: u64) -> bool {
        let key = (window.to_owned(), id);
        let mut state = self.lock();
        if let Some(running) = state.calls.get(&key) {
            running.cancel();
            return true;
        }
        if state.early.len() >= EARLY_CANCELS {
            state.early.pop_front();
        }
        state.early.push_back(key);
        false
    }

    /// How many calls the table holds.
    pub fn len(&self) -> usize {
        self.lock().calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = Arc<Mutex<Vec<(f64, Option<String>)>>>;

    fn sink() -> (Seen, ProgressSink) {
        let seen: Seen = Arc::default();
        let log = Arc::clone(&seen);
        let sink: ProgressSink = Box::new(move |f, m| {
            log.lock().unwrap().push((f, m.map(str::to_owned)));
        });
        (seen, sink)
    }

    #[test]
    fn a_cancel_reaches_only_its_own_window() {
        let table = Arc::new(InFlight::default());
        let main = table.register("main", 1).unwrap();
        let other = table.register("other", 1).unwrap();
        assert_eq!(table.len(), 2);
        assert!(table.cancel("other", 1));
        assert!(other.running().is_cancelled());
        assert!(!main.running().is_cancelled(), "same id, another window");
        assert!(!table.cancel("main", 2), "no such call");
        assert!(!main.running().is_cancelled());
        assert!(table.cancel("main", 1));
        assert!(main.running().is_cancelled());
        let flag = main.running().cancel_flag().unwrap();
        assert!(
            flag.load(Ordering::Relaxed),
            "the engine sees the same flag"
        );
    }

    #[test]
    fn calls_leave_the_table_when_they_finish() {
        let table = Arc::new(InFlight::default());
        for id in 0..100_000 {
            let r = table.register("main", id).unwrap();
            if id % 3 == 0 {
                table.cancel("main", id);
            }
            drop(r);
        }
        assert!(table.is_empty());
        // Cancels of finished calls are remembered, but only so many.
        assert!(table.lock().early.len() <= EARLY_CANCELS);
    }

    #[test]
    fn the_table_is_bounded_and_ids_are_unique() {
        let table = Arc::new(InFlight::default());
        let held: Vec<_> = (0..MAX_IN_FLIGHT as u64)
            .map(|id| table.register("main", id).unwrap())
            .collect();
        assert_eq!(
            table.register("main", 5).err().map(|e| e.code().to_owned()),
            Some("bad_args".to_owned())
        );
        // Past the bound a call still runs, untracked: its cancel finds nothing.
        let extra = table.register("main", u64::MAX).unwrap();
        assert_eq!(table.len(), MAX_IN_FLIGHT);
        assert!(!table.cancel("main", u64::MAX));
        assert!(!extra.running().is_cancelled());
        drop(held);
        drop(extra);
        assert!(table.is_empty());
    }

    #[test]
    fn a_cancel_that_overtakes_its_call_still_stops_it() {
        let table = Arc::new(InFlight::default());
        assert!(!table.cancel("main", 9));
        assert!(!table.register("other", 9).unwrap().running().is_cancelled());
        assert!(table.register("main", 9).unwrap().running().is_cancelled());
        // Remembered once only.
        assert!(!table.register("main", 9).unwrap().running().is_cancelled());
    }

    #[test]
    fn a_finished_call_does_not_take_a_newer_one_out() {
        let table = Arc::new(InFlight::default());
        let first = table.register("main", 1).unwrap();
        // Forced out of the table by hand, as if it had finished, and the id reused.
        table.lock().calls.clear();
        let second = table.register("main", 1).unwrap();
        drop(first);
        assert_eq!(table.len(), 1);
        assert!(table.cancel("main", 1));
        assert!(second.running().is_cancelled());
    }

    #[test]
    fn progress_is_coalesced_clamped_and_cut() {
        let (seen, sink) = sink();
        let r = Running::new(Some(sink));
        let t0 = Instant::now();
        assert!(r.progress_at(t0, 0.1, Some("first")));
        // A flood within the interval: nothing more goes out.
        for i in 0..1_000_000 {
            assert!(!r.progress_at(t0 + Duration::from_nanos(i % 1000), 0.2, None));
        }
        assert!(!r.progress_at(t0 + PROGRESS_EVERY / 2, 0.3, None));
        assert!(r.progress_at(t0 + PROGRESS_EVERY, 7.0, None));
        let later = t0 + PROGRESS_EVERY * 2;
        let long = "é".repeat(PROGRESS_MESSAGE_MAX + 10);
        assert!(r.progress_at(later, f64::NAN, Some(&long)));
        assert!(r.progress_at(later + PROGRESS_EVERY, -3.0, None));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0], (0.1, Some("first".into())));
        assert_eq!(seen[1], (1.0, None));
        assert_eq!(seen[2].0, 0.0);
        assert_eq!(
            seen[2].1.as_deref().map(|m| m.chars().count()),
            Some(PROGRESS_MESSAGE_MAX)
        );
        assert_eq!(seen[3], (0.0, None));
    }

    #[test]
    fn progress_goes_nowhere_when_nobody_follows() {
        let r = Running::detached();
        assert!(!r.progress_at(Instant::now(), 0.5, None));
        assert!(r.cancel_flag().is_none());
        assert!(!r.is_cancelled());
        let seen: Arc<Mutex<Vec<(String, u64, f64)>>> = Arc::default();
        let log = Arc::clone(&seen);
        let table = Arc::new(InFlight::new(Arc::new(
            move |w: &str, id, f, _: Option<&str>| {
                log.lock().unwrap().push((w.to_owned(), id, f));
            },
        )));
        let a = table.register("main", 1).unwrap();
        let b = table.register("main", 2).unwrap();
        b.running().progress(0.25, None);
        table.cancel("main", 1);
        assert!(!a.running().progress_at(Instant::now(), 0.5, None));
        assert_eq!(
            *seen.lock().unwrap(),
            [("main".to_owned(), 2, 0.25)],
            "to its own call only, and none once cancelled"
        );
    }
}
