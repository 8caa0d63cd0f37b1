//! Text helpers rhai's standard library lacks: `lines`, `words`, `join`, `pad_start`/`pad_end`,
//! `repeat`, `trim_start`/`trim_end`, `to_title`, and a string builder. (Rhai already has
//! `split`, `split(delim, n)`, `trim`, `contains`, `index_of`, `starts_with`, `ends_with`,
//! `sub_string`, `to_upper`, `to_lower`, `replace`, `pad`, `len`, `to_chars`.) Every function
//! whose output size an argument sets checks it and reserves the memory before it allocates.

use rhai::{Array, Dynamic, Engine, INT, ImmutableString};

use super::{PIECE, Res, Size, check_len, error, reserve};

/// Makes the strings `pieces` (counted first, so the array's size is checked before it exists).
fn pieces<'a, I: Iterator<Item = &'a str>>(
    text: &'a str,
    count: usize,
    make: impl Fn() -> I,
) -> Res<Array> {
    check_len(Size::Array, count)?;
    reserve(count.saturating_mul(PIECE).saturating_add(text.len()))?;
    Ok(make()
        .map(|s| Dynamic::from(ImmutableString::from(s)))
        .collect())
}

fn lines(text: &str) -> Res<Array> {
    pieces(text, text.lines().count(), || text.lines())
}

/// A word: a run of letters, digits and `_`, with `'`, `’` or `-` allowed between two of them
/// (`it's`, `well-known`).
fn word_spans(text: &str) -> impl Iterator<Item = &str> + Clone {
    let inner = |c: char| c == '\'' || c == '’' || c == '-';
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(word)?;
        let tail = &rest[start..];
        let mut end = tail.len();
        let mut chars = tail.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if word(c) {
                continue;
            }
            let joins = inner(c) && chars.peek().is_some_and(|&(_, n)| word(n));
            if !joins {
                end = i;
                break;
            }
        }
        let found = &tail[..end];
        rest = &tail[end..];
        Some(found)
    })
}

fn words(text: &str) -> Res<Array> {
    let spans = word_spans(text);
    pieces(text, spans.clone().count(), || spans.clone())
}

/// The text `join` and the builder add for a value: strings as they are, `()` as nothing,
/// numbers, booleans and characters as text; arrays and maps are refused.
fn text_of(f: &str, v: &Dynamic, out: &mut String) -> Res<()> {
    if v.is_unit() {
        return Ok(());
    }
    if let Some(s) = v.read_lock::<ImmutableString>() {
        out.push_str(&s);
        return Ok(());
    }
    if v.is_int() || v.is_float() || v.is_bool() || v.is_char() {
        out.push_str(&v.to_string());
        return Ok(());
    }
    Err(error(format!(
        "{f}: {} is not text (join strings, numbers, booleans, characters)",
        v.type_name()
    )))
}

fn join(items: &Array, separator: &str) -> Res<String> {
    // Strings' lengths are known; other scalars are short.
    let total = items
        .iter()
        .map(|v| v.read_lock::<ImmutableString>().map_or(24, |s| s.len()))
        .fold(0usize, usize::saturating_add)
        .saturating_add(
            separator
                .len()
                .saturating_mul(items.len().saturating_sub(1)),
        );
    check_len(Size::String, total)?;
    reserve(total)?;
    let mut out = String::with_capacity(total);
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        text_of("join", v, &mut out).map_err(|_| {
            error(format!(
                "join: item {} is {}, not text",
                i + 1,
                v.type_name()
            ))
        })?;
    }
    check_len(Size::String, out.len())?;
    Ok(out)
}

/// `s` padded to `len` characters with copies of `fill` before it (`start`) or after it.
fn pad(f: &str, s: &str, len: INT, fill: &str, start: bool) -> Res<String> {
    if fill.is_empty() {
        return Err(error(format!("{f}: the fill text is empty")));
    }
    let have = s.chars().count();
    let Ok(len) = usize::try_from(len) else {
        return Ok(s.to_owned());
    };
    if len <= have {
        return Ok(s.to_owned());
    }
    let missing = len - have;
    let fill_chars = fill.chars().count();
    let padding_bytes = super::super::bounded::padding_bytes(fill, missing);
    let total = s.len().saturating_add(padding_bytes);
    check_len(Size::String, total)?;
    reserve(total)?;
    let mut out = String::with_capacity(total);
    if !start {
        out.push_str(s);
    }
    for _ in 0..missing / fill_chars {
        out.push_str(fill);
    }
    out.extend(fill.chars().take(missing % fill_chars));
    if start {
        out.push_str(s);
    }
    Ok(out)
}

fn repeat(s: &str, n: INT) -> Res<String> {
    let Ok(n) = usize::try_from(n) else {
        return Ok(String::new());
    };
    let total = s.len().saturating_mul(n);
    check_len(Size::String, total)?;
    reserve(total)?;
    Ok(s.repeat(n))
}

/// The first letter of each word upper case, the rest lower case.
fn to_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if at_start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            at_start = false;
        } else {
            out.push(c);
            at_start = !(c == '\'' || c == '’');
        }
    }
    out
}

/// A string built piece by piece without copying it on each addition (`s += x` in a loop
/// copies when the string is shared).
#[derive(Debug, Clone, Default)]
pub struct TextBuilder {
    text: String,
}

impl TextBuilder {
    fn add(&mut self, f: &str, v: &Dynamic, newline: bool) -> Res<()> {
        let mut scalar = String::new();
        let piece = match v.read_lock::<ImmutableString>() {
            Some(s) => s.clone(),
            None => {
                text_of(f, v, &mut scalar)?;
                scalar.into()
            }
        };
        let total = self
            .text
            .len()
            .saturating_add(piece.len())
            .saturating_add(usize::from(newline));
        check_len(Size::String, total)?;
        if self.text.capacity() < total {
            // What growing the buffer may take: a copy into twice the size.
            reserve(total.saturating_mul(2).saturating_sub(self.text.capacity()))?;
        }
        self.text.push_str(&piece);
        if newline {
            self.text.push('\n');
        }
        Ok(())
    }
}

/// Registers the text functions and the `TextBuilder` type.
pub fn register(engine: &mut Engine) {
    engine.register_fn("lines", |s: &str| lines(s));
    engine.register_fn("words", |s: &str| words(s));
    engine.register_fn("join", |a: &mut Array, sep: &str| join(a, sep));
    engine.register_fn("join", |a: &mut Array| join(a, ""));
    for (name, start) in [("pad_start", true), ("pad_end", false)] {
        engine.register_fn(name, move |s: &str, len: INT, fill: &str| {
            pad(name, s, len, fill, start)
        });
        engine.register_fn(name, move |s: &str, len: INT, fill: char| {
            pad(name, s, len, fill.encode_utf8(&mut [0u8; 4]), start)
        });
        engine.register_fn(name, move |s: &str, len: INT| pad(name, s, len, " ", start));
    }
    engine.register_fn("repeat", |s: &str, n: INT| repeat(s, n));
    engine.register_fn("repeat", |c: char, n: INT| {
        repeat(c.encode_utf8(&mut [0u8; 4]), n)
    });
    // In place, like rhai's own `trim`.
    engine.register_fn("trim_start", |s: &mut ImmutableString| {
        let t = s.trim_start();
        if t.len() != s.len() {
            *s = t.into();
        }
    });
    engine.register_fn("trim_end", |s: &mut ImmutableString| {
        let t = s.trim_end();
        if t.len() != s.len() {
            *s = t.into();
        }
    });
    engine.register_fn("to_title", |s: &str| to_title(s));

    engine
        .register_type_with_name::<TextBuilder>("TextBuilder")
        .register_fn("text_builder", TextBuilder::default)
        .register_fn("add", |b: &mut TextBuilder, v: Dynamic| {
            b.add("add", &v, false)
        })
        .register_fn("add_line", |b: &mut TextBuilder, v: Dynamic| {
            b.add("add_line", &v, true)
        })
        .register_fn("add_line", |b: &mut TextBuilder| {
            b.add("add_line", &Dynamic::UNIT, true)
        })
        .register_get("len", |b: &mut TextBuilder| {
            INT::try_from(b.text.chars().count()).unwrap_or(INT::MAX)
        })
        .register_fn("clear", |b: &mut TextBuilder| b.text.clear())
        .register_fn("build", |b: &mut TextBuilder| b.text.clone())
        .register_fn("to_string", |b: &mut TextBuilder| b.text.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &Array) -> Vec<String> {
        a.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn lines_handle_crlf_and_a_missing_last_newline() {
        assert_eq!(strings(&lines("a\r\nb\n\nc").unwrap()), ["a", "b", "", "c"]);
        assert!(lines("").unwrap().is_empty());
    }

    #[test]
    fn words_keep_inner_apostrophes_and_hyphens() {
        assert_eq!(
            strings(&words("It's a well-known -fact, n'est-ce pas? café_42!").unwrap()),
            [
                "It's",
                "a",
                "well-known",
                "fact",
                "n'est-ce",
                "pas",
                "café_42"
            ]
        );
        assert!(words("  ,, ").unwrap().is_empty());
    }

    #[test]
    fn join_writes_scalars_and_refuses_structures() {
        let a: Array = vec!["a".into(), 1.into(), Dynamic::UNIT, true.into()];
        assert_eq!(join(&a, ",").unwrap(), "a,1,,true");
        let nested: Array = vec!["a".into(), Dynamic::from_array(vec![])];
        let e = join(&nested, ",").unwrap_err().to_string();
        assert!(e.contains("item 2 is array"), "{e}");
    }

    #[test]
    fn pads_count_characters_and_are_bounded() {
        assert_eq!(pad("pad_start", "7", 3, "0", true).unwrap(), "007");
        assert_eq!(pad("pad_end", "é", 4, "ab", false).unwrap(), "éaba");
        assert_eq!(pad("pad_start", "long", 2, " ", true).unwrap(), "long");
        let limits = crate::manifest::Limits::default();
        crate::script::sandbox::Budget::new(&limits).run(|| {
            let e = pad("pad_start", "x", 1 << 40, "ab", true).unwrap_err();
            assert!(e.to_string().contains("max-string-size"), "{e}");
            let e = repeat("x", 1 << 40).unwrap_err();
            assert!(e.to_string().contains("max-string-size"), "{e}");
            assert_eq!(repeat("ab", 3).unwrap(), "ababab");
            assert_eq!(repeat("ab", -1).unwrap(), "");
        });
    }

    #[test]
    fn title_case() {
        assert_eq!(to_title("hello WORLD, it's ÉTÉ"), "Hello World, It's Été");
    }

    #[test]
    fn the_builder_is_bounded() {
        let limits = crate::manifest::Limits {
            max_string_size: 10,
            ..Default::default()
        };
        crate::script::sandbox::Budget::new(&limits).run(|| {
            let mut b = TextBuilder::default();
            b.add("add", &"abc".into(), false).unwrap();
            b.add("add_line", &7.into(), true).unwrap();
            assert_eq!(b.text, "abc7\n");
            let e = b.add("add", &"123456".into(), false).unwrap_err();
            assert!(e.to_string().contains("max-string-size"), "{e}");
        });
    }
}
