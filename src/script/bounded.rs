//! The standard library's functions whose output size an argument sets, replaced by versions
//! that check it before they allocate: `pad` (strings, arrays, blobs), `blob(n)`, `replace`,
//! splitting a string, `to_chars`, a blob's `to_array`. Each checks the value it would make
//! against the per-value limit and [`reserve`]s the memory, then behaves exactly as rhai's own.
//! Registered in the engine's global namespace, these are found before the standard library's
//! (same names and parameter types), so a script cannot reach the unchecked ones.
//!
//! Everything else the standard library makes is at most a small multiple of values the script
//! already holds, and the memory bound catches it after the operation.

use rhai::{Array, Blob, Dynamic, Engine, EvalAltResult, INT, ImmutableString};

use super::sandbox::{Size, check_len, reserve, too_large};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// About what one item of an array costs: the `Dynamic` and, for a string piece, its shared
/// allocation.
const ITEM: usize = std::mem::size_of::<Dynamic>();
const PIECE: usize = ITEM + 48;

fn count(n: INT) -> Res<usize> {
    usize::try_from(n).map_err(|_| too_large(format!("a length of {n} is out of range")))
}

/// About the bytes a deep copy of `v` takes (an explicit stack: values can nest deeper than
/// the Rust stack would like).
fn approx_bytes(v: &Dynamic) -> usize {
    let mut total = 0usize;
    let mut stack = vec![v.clone()];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(ITEM);
        if let Some(s) = v.read_lock::<ImmutableString>() {
            total = total.saturating_add(s.len());
        } else if let Some(b) = v.read_lock::<Blob>() {
            total = total.saturating_add(b.len());
        } else if let Some(a) = v.read_lock::<Array>() {
            stack.extend(a.iter().cloned());
        } else if let Some(m) = v.read_lock::<rhai::Map>() {
            total = total.saturating_add(m.len() * 32);
            stack.extend(m.values().cloned());
        }
    }
    total
}

/// The bytes of `missing` characters of padding made of `fill` (not empty): whole copies of
/// `fill`, then its first characters.
pub(super) fn padding_bytes(fill: &str, missing: usize) -> usize {
    let fill_chars = fill.chars().count().max(1);
    (missing / fill_chars)
        .saturating_mul(fill.len())
        .saturating_add(
            fill.chars()
                .take(missing % fill_chars)
                .map(char::len_utf8)
                .sum(),
        )
}

fn pad_chars(s: &mut ImmutableString, len: INT, fill: &str) -> Res<()> {
    if len <= 0 || fill.is_empty() {
        return Ok(());
    }
    let len = count(len)?;
    let have = s.chars().count();
    if len <= have {
        return Ok(());
    }
    let fill_chars = fill.chars().count();
    let missing = len - have;
    let bytes = padding_bytes(fill, missing);
    let total = s.len().saturating_add(bytes);
    check_len(Size::String, total)?;
    reserve(total)?;
    let p = s.make_mut();
    for _ in 0..missing / fill_chars {
        p.push_str(fill);
    }
    p.extend(fill.chars().take(missing % fill_chars));
    Ok(())
}

fn replace(s: &mut ImmutableString, find: &str, with: &str) -> Res<()> {
    if s.is_empty() {
        return Ok(());
    }
    if with.len() > find.len() {
        let hits = if find.is_empty() {
            s.chars().count() + 1
        } else {
            s.matches(find).count()
        };
        let total = s
            .len()
            .saturating_add(hits.saturating_mul(with.len() - find.len()));
        check_len(Size::String, total)?;
        reserve(total)?;
    } else {
        reserve(s.len())?;
    }
    *s = s.replace(find, with).into();
    Ok(())
}

/// Reserves for splitting `s` into at most `pieces` strings, then makes them.
fn split_into<'a>(s: &'a str, pieces: usize, make: impl FnOnce(&'a str) -> Array) -> Res<Array> {
    check_len(Size::Array, pieces)?;
    reserve(pieces.saturating_mul(PIECE).saturating_add(s.len()))?;
    Ok(make(s))
}

/// How many pieces splitting `s` at `delimiter` gives (the most `segments` allows).
fn pieces(s: &str, delimiter: &str, segments: usize) -> usize {
    let n = if delimiter.is_empty() {
        s.chars().count() + 2
    } else {
        s.matches(delimiter).count() + 1
    };
    n.min(segments)
}

/// Splits as rhai's `split`/`split_rev` do, into at most `n` segments if given.
fn split(s: &mut ImmutableString, d: &str, n: Option<INT>, rev: bool) -> Res<Array> {
    if n.is_some_and(|n| n <= 1) || s.is_empty() || (!d.is_empty() && !s.contains(d)) {
        return Ok(vec![Dynamic::from(s.clone())]);
    }
    let n = n.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let total = pieces(s, d, n.unwrap_or(usize::MAX));
    split_into(s, total, |s| match (rev, n) {
        (false, None) => s.split(d).map(Into::into).collect(),
        (false, Some(n)) => s.splitn(n, d).map(Into::into).collect(),
        (true, None) => s.rsplit(d).map(Into::into).collect(),
        (true, Some(n)) => s.rsplitn(n, d).map(Into::into).collect(),
    })
}

fn split_char(s: &mut ImmutableString, d: char, n: Option<INT>, rev: bool) -> Res<Array> {
    let mut buf = [0u8; 4];
    let d = d.encode_utf8(&mut buf);
    split(s, d, n, rev)
}

/// Registers the checked versions on `engine` (after the standard library).
pub fn register(engine: &mut Engine) {
    engine.register_fn("pad", |s: &mut ImmutableString, len: INT, c: char| {
        let mut buf = [0u8; 4];
        pad_chars(s, len, c.encode_utf8(&mut buf))
    });
    engine.register_fn("pad", |s: &mut ImmutableString, len: INT, fill: &str| {
        pad_chars(s, len, fill)
    });
    engine.register_fn("pad", |a: &mut Array, len: INT, item: Dynamic| -> Res<()> {
        let Ok(len) = usize::try_from(len) else {
            return Ok(());
        };
        if len <= a.len() {
            return Ok(());
        }
        check_len(Size::Array, len)?;
        reserve((len - a.len()).saturating_mul(approx_bytes(&item)))?;
        a.resize(len, item);
        Ok(())
    });
    engine.register_fn("pad", |b: &mut Blob, len: INT, value: INT| -> Res<()> {
        if len <= 0 {
            return Ok(());
        }
        let len = count(len)?;
        if len > b.len() {
            check_len(Size::Array, len)?;
            reserve(len - b.len())?;
            b.resize(len, (value & 0xff) as u8);
        }
        Ok(())
    });
    fn blob(len: INT, value: INT) -> Res<Blob> {
        if len <= 0 {
            return Ok(Blob::new());
        }
        let len = count(len)?;
        check_len(Size::Array, len)?;
        reserve(len)?;
        Ok(vec![(value & 0xff) as u8; len])
    }
    engine.register_fn("blob", |len: INT| blob(len, 0));
    engine.register_fn("blob", blob);
    engine.register_fn("to_array", |b: &mut Blob| -> Res<Array> {
        check_len(Size::Array, b.len())?;
        reserve(b.len().saturating_mul(ITEM))?;
        Ok(b.iter().map(|&x| INT::from(x).into()).collect())
    });

    engine.register_fn("replace", |s: &mut ImmutableString, f: &str, w: &str| {
        replace(s, f, w)
    });
    engine.register_fn("replace", |s: &mut ImmutableString, f: &str, w: char| {
        replace(s, f, w.encode_utf8(&mut [0u8; 4]))
    });
    engine.register_fn("replace", |s: &mut ImmutableString, f: char, w: &str| {
        replace(s, f.encode_utf8(&mut [0u8; 4]), w)
    });
    engine.register_fn("replace", |s: &mut ImmutableString, f: char, w: char| {
        replace(
            s,
            f.encode_utf8(&mut [0u8; 4]),
            w.encode_utf8(&mut [0u8; 4]),
        )
    });

    engine.register_fn("to_chars", |s: &str| -> Res<Array> {
        let n = s.chars().count();
        split_into(s, n, |s| s.chars().map(Into::into).collect())
    });
    engine.register_fn("split", |s: &mut ImmutableString| -> Res<Array> {
        if s.is_empty() {
            return Ok(vec![Dynamic::from(s.clone())]);
        }
        let n = s.split_whitespace().count();
        split_into(s, n, |s| s.split_whitespace().map(Into::into).collect())
    });
    engine.register_fn("split", |s: &mut ImmutableString, d: &str| {
        split(s, d, None, false)
    });
    engine.register_fn("split", |s: &mut ImmutableString, d: &str, n: INT| {
        split(s, d, Some(n), false)
    });
    engine.register_fn("split", |s: &mut ImmutableString, d: char| {
        split_char(s, d, None, false)
    });
    engine.register_fn("split", |s: &mut ImmutableString, d: char, n: INT| {
        split_char(s, d, Some(n), false)
    });
    engine.register_fn("split_rev", |s: &mut ImmutableString, d: &str| {
        split(s, d, None, true)
    });
    engine.register_fn("split_rev", |s: &mut ImmutableString, d: &str, n: INT| {
        split(s, d, Some(n), true)
    });
    engine.register_fn("split_rev", |s: &mut ImmutableString, d: char| {
        split_char(s, d, None, true)
    });
    engine.register_fn("split_rev", |s: &mut ImmutableString, d: char, n: INT| {
        split_char(s, d, Some(n), true)
    });
}
