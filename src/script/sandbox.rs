//! The Rhai engine a script runs in, and the per-call budget its progress callback enforces.
//!
//! The engine starts from `Engine::new_raw()` (no packages, no module resolver, `print` going
//! nowhere) and gets back only the standard library's pure parts — arithmetic, logic,
//! strings, arrays, maps, blobs, math, iterators; no clock (`no_time`), no `eval`, no
//! `import`. Rhai's own limits cover operations, call depth, expression depth, value sizes,
//! variables and functions; wall time and memory are this module's: a thread-local
//! [`Budget`] that each call installs and the progress callback checks after every operation.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rhai::packages::{Package, StandardPackage};
use rhai::{Dynamic, Engine, Shared};

use super::alloc;
use crate::manifest::Limits;

/// What one call may still spend: the clock and the bytes its thread may add.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub deadline: Instant,
    /// [`alloc::allocated`] when the call started.
    pub memory_base: isize,
    pub max_memory: isize,
}

thread_local! {
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Why the progress callback stopped a run (the token rhai hands back in `ErrorTerminated`).
pub const TIMEOUT: &str = "timeout";
pub const MEMORY: &str = "memory";

/// The clock is read every this many operations (it costs more than an operation); memory
/// after every one, since one operation can allocate up to the largest value size.
const CLOCK_EVERY: u64 = 128;

impl Budget {
    pub fn new(limits: &Limits) -> Budget {
        Budget {
            deadline: Instant::now() + limits.timeout,
            memory_base: alloc::allocated(),
            max_memory: isize::try_from(limits.max_memory).unwrap_or(isize::MAX),
        }
    }

    /// Runs `f` with this budget installed on the current thread, restoring the previous one
    /// after (a call nested in another thread-local context keeps its own).
    pub fn run<T>(self, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<Budget>);
        impl Drop for Restore {
            fn drop(&mut self) {
                BUDGET.with(|b| b.set(self.0));
            }
        }
        let _restore = Restore(BUDGET.with(|b| b.replace(Some(self))));
        f()
    }

    /// The time left to the running call, for host functions that wait (HTTP).
    pub fn remaining() -> Option<Duration> {
        BUDGET
            .with(Cell::get)
            .map(|b| b.deadline.saturating_duration_since(Instant::now()))
    }

    /// Bytes the running call has added on this thread so far.
    pub fn used(&self) -> isize {
        alloc::allocated().wrapping_sub(self.memory_base)
    }
}

fn progress(ops: u64) -> Option<Dynamic> {
    let b = BUDGET.with(Cell::get)?;
    if b.used() > b.max_memory {
        return Some(MEMORY.into());
    }
    if ops.is_multiple_of(CLOCK_EVERY) && Instant::now() >= b.deadline {
        return Some(TIMEOUT.into());
    }
    None
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
    e.on_print(|s| tracing::info!(target: "apphost::script", "{s}"));
    e.on_debug(|s, source, pos| {
        tracing::debug!(target: "apphost::script", "{}:{pos}: {s}", source.unwrap_or("script"));
    });
    e.on_progress(progress);
    e
}

/// The engine's language and limits without its library: enough to compile a script the way
/// [`engine`] will, at a fraction of the cost (`apphost check` runs on every start).
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
        .set_max_string_size(size(limits.max_string_size))
        .set_max_array_size(size(limits.max_array_size))
        .set_max_map_size(size(limits.max_map_size))
        .set_max_variables(size(limits.max_variables))
        .set_max_functions(size(limits.max_functions));
    e
}
