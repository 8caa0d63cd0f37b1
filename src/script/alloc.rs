//! A counting global allocator: every thread keeps the net number of bytes it has allocated,
//! so that a script call can be stopped once it holds more than `max-memory`. Rhai's own size
//! limits look at one value at a time (a string, an array, a map) and index assignment skips
//! the map check; the allocator sees everything a call allocates, whatever the value.
//!
//! The counter is per thread because a call runs on one thread from start to end: the call
//! notes the counter when it starts and the sandbox's progress callback compares. Bytes freed
//! on another thread than the one that allocated them make the counters drift, which is why a
//! call measures the difference from its own start, never the absolute value.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    /// Net bytes this thread has allocated (it wraps instead of overflowing: only differences
    /// are read).
    static ALLOCATED: Cell<isize> = const { Cell::new(0) };
}

#[inline]
fn add(n: isize) {
    // `try_with`: a thread being torn down may still allocate after its locals are gone.
    let _ = ALLOCATED.try_with(|c| c.set(c.get().wrapping_add(n)));
}

/// `Layout::size` never exceeds `isize::MAX`, so the cast is exact.
#[inline]
fn signed(n: usize) -> isize {
    n as isize
}

// SAFETY: every method forwards to `System` with the same arguments; the counting itself
// touches only a const-initialised thread-local `Cell` with no destructor, which never
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(signed(layout.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(signed(layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        add(-signed(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(signed(new_size).wrapping_sub(signed(layout.size())));
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The net bytes the current thread has allocated so far; compare two readings.
pub fn allocated() -> isize {
    ALLOCATED.try_with(Cell::get).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_what_this_thread_holds() {
        let before = super::allocated();
        let v = vec![0u8; 1 << 20];
        let during = super::allocated();
        drop(v);
        let after = super::allocated();
        assert!(during - before >= 1 << 20, "{}", during - before);
        assert!(after - before < 1 << 10, "{}", after - before);
    }
}
