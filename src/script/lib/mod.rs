//! The scripts' standard library for data work: CSV/TSV, text, regular expressions, encodings
//! and hashes, dates and times, statistics. Everything is native Rust and reaches no file,
//! network or window (`uuid_v7` reads the clock, the `_local` date functions the system's time
//! zone), so it needs no grant.
//!
//! Each function stays inside the running call's limits the way [`super::bounded`] does: the
//! size of what it returns is checked with [`check_len`] (O(1), from a length it knows) before
//! it is built, memory is [`reserve`]d before an allocation whose size an argument sets, and a
//! loop over a large input calls [`checkpoint`] every few thousand steps so that the clock, the
//! memory bound and cancellation are honoured inside one native call. Bad input is a runtime
//! error that names the function and the place (`csv_parse: record 3 (line 4): …`): catchable
//! with `try { } catch (e) { }`, and uncaught a `handler_error` at the script's line.

mod csv;
mod encoding;
mod math;
mod regex;
mod text;
mod time;

use rhai::{Dynamic, Engine, EvalAltResult, Position};

pub(super) use super::sandbox::{Size, check_len, checkpoint, reserve};

pub(super) type Res<T> = Result<T, Box<EvalAltResult>>;

/// Loops over input call [`checkpoint`] once every this many steps (a step is a record, a
/// match, an item: each costs well under a microsecond, so a check costs nothing noticeable
/// and a call overshoots its deadline by a millisecond or so at most).
pub(super) const CHECK_EVERY: usize = 4096;

/// About what one item of an array costs: the `Dynamic` and, for a string, its shared
/// allocation (as [`super::bounded`] counts).
pub(super) const ITEM: usize = std::mem::size_of::<Dynamic>();
pub(super) const PIECE: usize = ITEM + 48;

/// A script-catchable error with `message` (which starts with the function's name).
pub(super) fn error(message: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE).into()
}

/// `to_json(value, pretty)`: JSON text, indented when `pretty`, keys in each map's remembered
/// order (the same conversion as `to_json(value)` and a call's result).
fn to_json(v: &Dynamic, pretty: bool) -> Res<String> {
    let json = super::convert::to_json(v).map_err(|e| match e {
        super::convert::Unfit::TooLarge(m) => super::sandbox::too_large(m),
        super::convert::Unfit::NoForm(m) => error(format!("to_json: {m}")),
    })?;
    let text = if pretty {
        serde_json::to_string_pretty(&json)
    } else {
        serde_json::to_string(&json)
    }
    .map_err(|e| error(format!("to_json: {e}")))?;
    check_len(Size::String, text.len())?;
    Ok(text)
}

/// Registers the whole library on `engine` (after the standard library and the host API, so
/// these are found first where a name is shared).
pub fn register(engine: &mut Engine) {
    csv::register(engine);
    text::register(engine);
    regex::register(engine);
    encoding::register(engine);
    time::register(engine);
    math::register(engine);
    engine.register_fn("to_json", |v: &mut Dynamic, pretty: bool| {
        to_json(v, pretty)
    });
}

/// A library error's message, as a script's `catch (e)` sees it.
#[cfg(test)]
#[allow(clippy::boxed_local)] // takes what `unwrap_err` gives
pub(super) fn message(e: Box<EvalAltResult>) -> String {
    match &*e {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        other => other.to_string(),
    }
}
