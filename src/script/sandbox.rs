//! The Rhai engine a script runs in, and the per-call budget its progress callback enforces.
//!
//! The engine starts from `Engine::new_raw()` (no packages, `print` going nowhere) and gets back
//! only the standard library's pure parts — arithmetic, logic, strings, arrays, maps, blobs,
//! math, iterators; no clock (`no_time`), no `eval`; `import` reaches only the modules compiled
//! with the script ([`super::modules`]). Rhai's own
//! limits cover operations, call depth, expression depth, variables and functions; wall time,
//! memory, cancellation and value sizes are this module's: a thread-local [`Budget`] that each
//! call installs and the progress callback checks after every operation.
//!
//! **Sizes without quadratic costs.** Rhai's `max-string-size`/`max-array-size`/`max-map-size`
//! walk the whole value after every change to it, so building an array element by element costs
//! O(n²). The engine is built without them; instead:
//! - the memory a call holds (the counting allocator, [`super::alloc`]) is checked after every
//!   operation, whatever grew: this is what bounds a running script;
//! - the per-value sizes are checked in O(1) where values cross the sandbox's edge (arguments,
//!   what host and library functions return, the result, events, stored values: [`check_len`])
//!   and by every function whose output size an argument sets (`pad`, `blob(n)`, `replace`,
//!   splitting: [`super::bounded`]), which also [`reserve`] the memory before allocating, so
//!   that no single operation can allocate far past the budget.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rhai::packages::{Package, StandardPackage};
use rhai::{Dynamic, Engine, EvalAltResult, Position, Shared};

use super::alloc;
use crate::manifest::Limits;

/// What one call may still spend: the clock, the bytes its thread may add, the sizes of single
/// values, and whether the page cancelled it.
#[derive(Debug, Clone)]
pub struct Budget {
    pub deadline: Instant,
    /// [`alloc::allocated`] when the call started.
    pub memory_base: isize,
    pub max_memory: isize,
    pub limits: Limits,
    cancel: Option<Arc<AtomicBool>>,
}

thread_local! {
    static BUDGET: RefCell<Option<Budget>> = const { RefCell::new(None) };
    /// The running call's memory base and bound, read after every operation: a plain `Cell`
    /// (the full budget is read every [`CLOCK_EVERY`] operations).
    static MEMORY_BOUND: Cell<Option<(isize, isize)>> = const { Cell::new(None) };
    /// The running call's cancel flag, read after every operation too: an operation can be a
    /// slow host call (a store write), so every 128 of them could be seconds.
    static CANCEL_FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Why the progress callback stopped a run (the token rhai hands back in `ErrorTerminated`).
pub const TIMEOUT: &str = "timeout";
pub const MEMORY: &str = "memory";
pub const CANCELLED: &str = "cancelled";

/// The clock is read every this many operations (it costs more than an operation); memory and
/// the cancel flag after every one.
const CLOCK_EVERY: u64 = 128;

/// What kind of value [`check_len`] measures, and so which limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Bytes of a string: `max-string-size`.
    String,
    /// Items of an array, or bytes of a blob: `max-array-size`.
    Array,
    /// Entries of an object map: `max-map-size`.
    Map,
}

impl Budget {
    pub fn new(limits: &Limits) -> Budget {
        Budget {
            deadline: Instant::now() + limits.timeout,
            memory_base: alloc::allocated(),
            max_memory: isize::try_from(limits.max_memory).unwrap_or(isize::MAX),
            limits: *limits,
            cancel: None,
        }
    }

    /// This budget, stopped at the next operation once `flag` is set.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Budget {
        self.cancel = Some(flag);
        self
    }

    /// Runs `f` with this budget installed on the current thread, restoring the previous one
    /// after (a call nested in another thread-local context keeps its own).
    pub fn run<T>(self, f: impl FnOnce() -> T) -> T {
        struct Restore(
            Option<Budget>,
            Option<(isize, isize)>,
            Option<Arc<AtomicBool>>,
        );
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                BUDGET.with(|b| *b.borrow_mut() = previous);
                MEMORY_BOUND.with(|m| m.set(self.1));
                let flag = self.2.take();
                CANCEL_FLAG.with(|c| *c.borrow_mut() = flag);
            }
        }
        let bound = MEMORY_BOUND.with(|m| m.replace(Some((self.memory_base, self.max_memory))));
        let flag = CANCEL_FLAG.with(|c| c.replace(self.cancel.clone()));
        let _restore = Restore(BUDGET.with(|b| b.borrow_mut().replace(self)), bound, flag);
        f()
    }

    /// The time left to the running call, for host functions that wait (HTTP).
    pub fn remaining() -> Option<Duration> {
        with_budget(|b| b.deadline.saturating_duration_since(Instant::now()))
    }

    /// Bytes the running call has added on this thread so far.
    pub fn used(&self) -> isize {
        alloc::allocated().wrapping_sub(self.memory_base)
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Why the call must stop now, if it must; `clock` also reads the clock and the cancel flag.
    fn stop(&self, clock: bool) -> Option<&'static str> {
        if self.used() > self.max_memory {
            Some(MEMORY)
        } else if clock && self.cancelled() {
            Some(CANCELLED)
        } else if clock && Instant::now() >= self.deadline {
            Some(TIMEOUT)
        } else {
            None
        }
    }
}

fn with_budget<T>(f: impl FnOnce(&Budget) -> T) -> Option<T> {
    BUDGET.with(|b| b.borrow().as_ref().map(f))
}

fn progress(ops: u64) -> Option<Dynamic> {
    if let Some((base, max)) = MEMORY_BOUND.with(Cell::get)
        && alloc::allocated().wrapping_sub(base) > max
    {
        return Some(MEMORY.into());
    }
    let cancelled = CANCEL_FLAG.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    });
    if cancelled {
        return Some(CANCELLED.into());
    }
    if !ops.is_multiple_of(CLOCK_EVERY) {
        return None;
    }
    with_budget(|b| b.stop(true)).flatten().map(Dynamic::from)
}

type Res<T> = Result<T, Box<EvalAltResult>>;

/// For native functions that work for long (a library function looping over a large input):
/// the same checks as between two operations — memory, the clock, cancellation. Outside a call
/// it never stops anything.
pub fn checkpoint() -> Res<()> {
    match with_budget(|b| b.stop(true)).flatten() {
        Some(why) => Err(EvalAltResult::ErrorTerminated(why.into(), Position::NONE).into()),
        None => Ok(()),
    }
}

/// A limit error naming the one limit that was hit; rhai adds the calling line.
pub fn too_large(message: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge(message, Position::NONE).into()
}

/// Refuses to go on when allocating about `bytes` more would pass the call's `max-memory`:
/// called before an allocation whose size an argument sets, so that one operation cannot
/// allocate far past the budget (the progress callback only sees it after the operation).
pub fn reserve(bytes: usize) -> Res<()> {
    let over = with_budget(|b| {
        let after = b
            .used()
            .saturating_add(isize::try_from(bytes).unwrap_or(isize::MAX));
        (after > b.max_memory).then_some(b.max_memory)
    })
    .flatten();
    match over {
        Some(max) => Err(too_large(format!(
            "this would take about {bytes} more bytes of memory, past max-memory ({max})"
        ))),
        None => Ok(()),
    }
}

/// Checks one value's size against its limit (`len` in bytes for strings and blobs, items for
/// arrays, entries for maps). O(1): callers pass a length they know.
pub fn check_len(kind: Size, len: usize) -> Res<()> {
    match limits().and_then(|l| len_error(&l, kind, len)) {
        Some(message) => Err(too_large(message)),
        None => Ok(()),
    }
}

/// The running call's limits (none outside a call).
pub fn limits() -> Option<Limits> {
    with_budget(|b| b.limits)
}

/// Why a value of `len` is too large for `limits`, naming the one limit it passes.
pub fn len_error(limits: &Limits, kind: Size, len: usize) -> Option<String> {
    let (max, limit, what, unit) = match kind {
        Size::String => (
            limits.max_string_size,
            "max-string-size",
            "a string",
            "bytes",
        ),
        Size::Array => (
            limits.max_array_size,
            "max-array-size",
            "an array or blob",
            "items",
        ),
        Size::Map => (
            limits.max_map_size,
            "max-map-size",
            "an object map",
            "entries",
        ),
    };
    (u64::try_from(len).unwrap_or(u64::MAX) > max)
        .then(|| format!("{what} of {len} {unit} is larger than {limit} ({max})"))
}

/// The standard library minus the clock, built once and shared by every engine.
fn std_library() -> rhai::Shared<rhai::Module> {
    static LIB: OnceLock<Shared<rhai::Module>> = OnceLock::new();
    LIB.get_or_init(|| StandardPackage::new().as_shared_module())
        .clone()
}

/// A sandboxed engine for `limits`, without the host API (see [`super::api`]).
pub fn engine(limits: &Limits) -> Engine {
    let mut e = parser(limits);
    e.register_global_module(std_library());
    super::bounded::register(&mut e);
    e.on_print(|s| tracing::info!(target: "apphost::script", "{s}"));
    e.on_debug(|s, source, pos| {
        tracing::debug!(target: "apphost::script", "{}:{pos}: {s}", source.unwrap_or("script"));
    });
    e.on_progress(progress);
    e
}

/// The engine's language and limits without its library: enough to compile a script the way
/// [`engine`] will, at a fraction of the cost (`apphost check` runs on every start). Value
/// sizes are left unset on purpose (see the module's documentation).
pub fn parser(limits: &Limits) -> Engine {
    let mut e = Engine::new_raw();
    // `import` and `export` are on: modules resolve inside the app's `scripts/` folder only
    // (see `super::modules`).
    e.disable_symbol("eval");
    let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let depth = usize::try_from(limits.max_expr_depth).unwrap_or(usize::MAX);
    e.set_max_operations(limits.max_operations)
        .set_max_call_levels(usize::try_from(limits.max_call_depth).unwrap_or(usize::MAX))
        .set_max_expr_depths(depth, depth)
        .set_max_variables(size(limits.max_variables))
        .set_max_functions(size(limits.max_functions));
    e
}
