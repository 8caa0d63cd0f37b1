//! Posted messages from a window's page, on the UI thread: calls go to a worker (handlers never
//! run here), events to the event loop, cancels to the table of calls in flight, and answers
//! come back as scripts. Each call is entered in that table here, before its worker starts, so
//! the page's cancel (a later message) always finds it.
//!
//! A quick call (files, the store, app info) with nothing else in flight is waited for, up to
//! [`QUICK_WAIT`], so that its answer goes out in this same turn of the loop instead of through
//! the event-loop proxy: that wake-up costs about a fifth of a round trip. Anything slower, or
//! anything while other calls are in flight, is answered through [`UserEvent::Deliver`] and
//! batched, one script per window per turn.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tao::event_loop::EventLoopProxy;

use super::UserEvent;
use super::pool::Pool;
use crate::generation::{Core, Generation};
use crate::ipc::message::{self, Kind};
use crate::ipc::stash::Stash;
use crate::ipc::{Body, Call, InFlight, IpcError};

/// How long the UI thread waits for a quick call before it answers through the event loop.
const QUICK_WAIT: Duration = Duration::from_micros(500);
/// The first part of that wait spins rather than sleeps: a quick builtin is usually done in
/// tens of µs, and waking a sleeping thread costs about as much again. The page is waiting for
/// this answer meanwhile, so the spin takes a core from nobody.
const SPIN: Duration = Duration::from_micros(100);

/// At most this many slow calls (scripts, and calls that wait on the UI thread or the user) have
/// a thread of their own; beyond it (a runaway loop in the page) they queue on `overflow`,
/// never on the pool of quick calls.
const OWN_THREADS: usize = 64;

/// At most this many calls of one window, over both transports together, are queued or
/// running at once. A page that floods the host (a runaway loop, a hostile script) gets every
/// call past it refused at once with `unavailable`, so that queued calls (each holding its
/// arguments) cost bounded memory, and its later calls are answered again once some finish.
pub const MAX_CALLS_PER_WINDOW: usize = 1024;

/// How many calls each window has queued or running, bounded by [`MAX_CALLS_PER_WINDOW`].
#[derive(Default)]
pub struct Admissions {
    counts: Mutex<HashMap<String, usize>>,
}

/// A call's place among its window's calls; dropping it (once the call is answered) frees it.
pub struct Admission {
    table: Arc<Admissions>,
    window: String,
}

impl Admissions {
    /// A place for one more call of `window`, or `unavailable` when it has
    /// [`MAX_CALLS_PER_WINDOW`] calls queued or running already.
    pub fn admit(self: &Arc<Self>, window: &str) -> Result<Admission, IpcError> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(window.to_owned()).or_insert(0);
        if *n >= MAX_CALLS_PER_WINDOW {
            return Err(IpcError::Unavailable(format!(
                "this window has {MAX_CALLS_PER_WINDOW} calls in flight already: \
                 wait for some to finish"
            )));
        }
        *n += 1;
        Ok(Admission {
            table: Arc::clone(self),
            window: window.to_owned(),
        })
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut counts = self.table.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.window) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.window);
            }
        }
    }
}

/// What every window's message handler shares.
pub struct Calls {
    /// Each call runs on the generation in force when it arrives, to its end.
    pub core: Arc<Core>,
    pub stash: Arc<Stash>,
    pub pool: Pool,
    /// Where slow calls queue past [`OWN_THREADS`].
    pub overflow: Pool,
    pub proxy: EventLoopProxy<UserEvent>,
    /// Calls running on a thread of their own.
    pub own_threads: Arc<AtomicUsize>,
    /// The calls pages may cancel, and where their progress goes.
    pub tracked: Arc<InFlight>,
    /// How many calls each window has queued or running (both transports).
    pub admitted: Arc<Admissions>,
}

impl Calls {
    /// Runs a call's `job`: a quick one on the pool; a slow one (scripts run long, dialogs wait
    /// for the user, window calls for the UI thread) on a thread of its own, so that it never
    /// holds up the pool's quick calls and file requests.
    pub fn spawn(&self, quick: bool, job: impl FnOnce() + Send + 'static) {
        let own = &self.own_threads;
        if quick {
            self.pool.spawn(job);
        } else if own.fetch_add(1, Ordering::AcqRel) >= OWN_THREADS {
            own.fetch_sub(1, Ordering::AcqRel);
            self.overflow.spawn(job);
        } else {
            let count = Arc::clone(own);
            let spawned = std::thread::Builder::new()
                .name("apphost-call".into())
                .spawn(move || {
                    job();
                    count.fetch_sub(1, Ordering::AcqRel);
                });
            if let Err(e) = spawned {
                own.fetch_sub(1, Ordering::AcqRel);
                tracing::error!("no thread for a call: {e}");
            }
        }
    }
}

/// One window's message handler.
pub struct Inbox {
    pub label: String,
    pub calls: Arc<Calls>,
    /// Set once the webview is built; weak, because the webview owns this handler.
    pub webview: Rc<std::cell::OnceCell<std::rc::Weak<wry::WebView>>>,
    pub in_flight: Arc<AtomicUsize>,
}

impl Inbox {
    pub fn receive(&self, request: &http::Request<String>) {
        let Ok(msg) = message::parse(request.body()) else {
            tracing::debug!(window = self.label, "ignored a malformed posted message");
            return;
        };
        // The webview's current URL: an iframe's messages arrive as its main frame's, which is
        // why the key (which only the main frame's bridge holds) is checked too.
        let origin = crate::ipc::http::origin_of(&request.uri().to_string());
        let generation = self.calls.core.current();
        if let Err(e) = generation
            .router
            .check_caller(origin.as_deref(), msg.key.as_deref())
        {
            // No answer at all: an answer could settle a call of the real page's.
            tracing::warn!(window = self.label, "ignored a posted message: {e}");
            return;
        }
        let payload = msg.kind.payload().to_owned();
        match msg.kind {
            Kind::Call { id, endpoint, .. } => self.call(generation, id, endpoint, payload),
            Kind::Emit { event, .. } => self.emit(&generation, event, payload),
            Kind::Log { level, .. } => super::console::print(&self.label, &level, &payload),
            Kind::Cancel { id } => {
                self.calls.tracked.cancel(&self.label, id);
            }
        }
    }

    fn call(&self, generation: Arc<Generation>, id: u64, endpoint: String, args: String) {
        crate::ipc::trace_arrival(&endpoint);
        let admission = match self.calls.admitted.admit(&self.label) {
            Ok(a) => a,
            Err(e) => {
                // Answered through the event loop, batched with other answers: a flood of
                // refusals costs one script per window per turn, not one each.
                let script = message::reply_script(id, Err(e), &self.calls.stash, &self.label);
                let _ = self.calls.proxy.send_event(UserEvent::Deliver {
                    label: self.label.clone(),
                    script,
                });
                return;
            }
        };
        let quick = generation.router.is_quick(&endpoint);
        let wait = quick && self.in_flight.load(Ordering::Acquire) == 0;
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Arc::new(Slot::new(wait));
        let registration = self.calls.tracked.register(&self.label, id);
        let job = {
            let calls = Arc::clone(&self.calls);
            let slot = Arc::clone(&slot);
            let in_flight = Arc::clone(&self.in_flight);
            let label = self.label.clone();
            move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let call = Call {
                        window: &label,
                        origin: None,
                        key: None,
                        endpoint: &endpoint,
                        body: Body::Json(args.as_bytes()),
                    };
                    let registration = registration?;
                    generation
                        .router
                        .handle_running(&call, registration.running())
                }))
                .unwrap_or_else(|_| {
                    tracing::error!("the handler of `{endpoint}` panicked");
                    Err(IpcError::Handler(format!("`{endpoint}` failed")))
                });
                let script = message::reply_script(id, result, &calls.stash, &label);
                in_flight.fetch_sub(1, Ordering::AcqRel);
                drop(admission);
                if let Some(script) = slot.fill(script) {
                    let _ = calls.proxy.send_event(UserEvent::Deliver { label, script });
                }
            }
        };
        self.calls.spawn(quick, job);
        if wait && let Some(script) = slot.wait(QUICK_WAIT) {
            self.evaluate(&script);
        }
    }

    fn emit(&self, generation: &Generation, event: String, data: String) {
        let checked = message::check_event_name(&event).and_then(|()| {
            let max = generation.router.max_payload();
            if data.len() > max {
                Err(IpcError::TooLarge(max))
            } else if !message::nests_within(&data, message::EVENT_DEPTH_MAX) {
                Err(IpcError::BadArgs(format!(
                    "event data nests deeper than {} levels",
                    message::EVENT_DEPTH_MAX
                )))
            } else {
                Ok(())
            }
        });
        match checked {
            Ok(()) => {
                let _ = self.calls.proxy.send_event(UserEvent::Emit {
                    source: Some(self.label.clone()),
                    event,
                    data,
                });
            }
            Err(e) => tracing::warn!(window = self.label, "ignored event: {e}"),
        }
    }

    fn evaluate(&self, script: &str) {
        if let Some(webview) = self.webview.get().and_then(std::rc::Weak::upgrade) {
            let origins = &self.calls.core.current().origins;
            super::window::deliver(&self.label, &webview, script, origins);
        }
    }
}

/// Where a worker leaves an answer the UI thread may be waiting for.
struct Slot {
    state: Mutex<State>,
    ready: Condvar,
    /// Set with the answer, so that the spinning waiter need not take the lock to look.
    filled: AtomicBool,
}

enum State {
    Waiting,
    Ready(String),
    /// Nobody waits: the worker sends the answer through the event loop.
    Gone,
}

impl Slot {
    fn new(waited_for: bool) -> Slot {
        Slot {
            state: Mutex::new(if waited_for {
                State::Waiting
            } else {
                State::Gone
            }),
            ready: Condvar::new(),
            filled: AtomicBool::new(false),
        }
    }

    /// Leaves the answer for the waiting UI thread, or hands it back when nobody waits.
    fn fill(&self, script: String) -> Option<String> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            State::Waiting => {
                *state = State::Ready(script);
                self.filled.store(true, Ordering::Release);
                self.ready.notify_one();
                None
            }
            _ => Some(script),
        }
    }

    /// The answer if it comes within `limit`; otherwise the worker will send it.
    fn wait(&self, limit: Duration) -> Option<String> {
        let start = std::time::Instant::now();
        while !self.filled.load(Ordering::Acquire) && start.elapsed() < SPIN.min(limit) {
            std::hint::spin_loop();
        }
        let limit = limit.saturating_sub(start.elapsed());
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (mut state, _) = self
            .ready
            .wait_timeout_while(state, limit, |s| matches!(s, State::Waiting))
            .unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *state, State::Gone) {
            State::Ready(script) => Some(script),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_has_at_most_its_bound_of_calls() {
        let table = Arc::new(Admissions::default());
        let held: Vec<Admission> = (0..MAX_CALLS_PER_WINDOW)
            .map(|_| table.admit("main").unwrap())
            .collect();
        let refused = table.admit("main").err().unwrap();
        assert_eq!(refused.code(), "unavailable");
        // Another window is not held up by this one's flood.
        let other = table.admit("other").unwrap();
        drop(other);
        drop(held);
        assert!(
            table.counts.lock().unwrap().is_empty(),
            "nothing left behind"
        );
        assert!(table.admit("main").is_ok());
    }

    #[test]
    fn a_slot_hands_over_once() {
        let s = Slot::new(true);
        assert_eq!(s.fill("a".into()), None);
        assert_eq!(s.wait(Duration::ZERO).as_deref(), Some("a"));
        // Too late: the worker keeps the answer and sends it itself.
        let s = Slot::new(true);
        assert_eq!(s.wait(Duration::from_micros(10)), None);
        assert_eq!(s.fill("b".into()).as_deref(), Some("b"));
        let s = Slot::new(false);
        assert_eq!(s.fill("c".into()).as_deref(), Some("c"));
    }

    #[test]
    fn a_slot_wakes_its_waiter() {
        let s = Arc::new(Slot::new(true));
        let t = {
            let s = Arc::clone(&s);
            std::thread::spawn(move || s.fill("late".into()))
        };
        let got = s.wait(Duration::from_secs(5));
        assert_eq!(t.join().unwrap(), None);
        assert_eq!(got.as_deref(), Some("late"));
    }
}
