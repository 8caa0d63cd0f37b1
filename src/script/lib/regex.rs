//! Regular expressions through the `regex` crate: matching takes time linear in the text (no
//! backtracking), and a pattern is refused when it is longer than [`MAX_PATTERN`] bytes, nests
//! deeper than [`NEST`] or compiles to more than [`SIZE`] bytes (`a{1000}{1000}`). Compiled
//! patterns are kept in a small per-thread cache, so a loop calling `regex_match(p, line)`
//! compiles `p` once. Functions that make many results check the count and memory as they go.
//!
//! Positions (`start`, `end`) count characters, as rhai's `sub_string` and `index_of` do.

use std::cell::RefCell;

use ::regex::{Captures, Regex, RegexBuilder};
use rhai::{Array, Dynamic, Engine, INT, ImmutableString, Map};

use super::{CHECK_EVERY, PIECE, Res, Size, check_len, checkpoint, error, reserve};
use crate::script::{order, sandbox};

/// The longest pattern accepted, in bytes.
const MAX_PATTERN: usize = 16 << 10;
/// What one compiled pattern may take (the crate's default is 10 MiB).
const SIZE: usize = 1 << 20;
/// The lazy DFA's cache per pattern (past it the crate falls back to slower, still linear,
/// engines).
const DFA_SIZE: usize = 2 << 20;
/// How deep groups and repetitions may nest.
const NEST: u32 = 64;
/// Compiled patterns kept per thread.
const CACHE: usize = 32;

thread_local! {
    /// Most recently used last.
    static COMPILED: RefCell<Vec<(String, Regex)>> = const { RefCell::new(Vec::new()) };
}

fn compile(f: &str, pattern: &str) -> Res<Regex> {
    let cached = COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        let i = c.iter().position(|(p, _)| p == pattern)?;
        let hit = c.remove(i);
        let re = hit.1.clone();
        c.push(hit);
        Some(re)
    });
    if let Some(re) = cached {
        return Ok(re);
    }
    if pattern.len() > MAX_PATTERN {
        return Err(error(format!(
            "{f}: the pattern is {} bytes long, more than {MAX_PATTERN}",
            pattern.len()
        )));
    }
    let re = RegexBuilder::new(pattern)
        .size_limit(SIZE)
        .dfa_size_limit(DFA_SIZE)
        .nest_limit(NEST)
        .build()
        .map_err(|e| match e {
            ::regex::Error::CompiledTooBig(n) => error(format!(
                "{f}: the pattern is too large once compiled (more than {n} bytes); make its repetitions smaller"
            )),
            e => error(format!("{f}: invalid pattern: {e}")),
        })?;
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE {
            c.remove(0);
        }
        c.push((pattern.to_owned(), re.clone()));
    });
    Ok(re)
}

/// Byte offsets to character offsets, for offsets that only grow (one pass over the text).
struct Chars<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl Chars<'_> {
    fn at(&mut self, byte: usize) -> INT {
        if byte >= self.byte {
            self.chars += self.text[self.byte..byte].chars().count();
        } else {
            self.chars -= self.text[byte..self.byte].chars().count();
        }
        self.byte = byte;
        INT::try_from(self.chars).unwrap_or(INT::MAX)
    }
}

fn text(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

/// `#{text, start, end, groups, named}` for one match (not `match`: a reserved word in rhai,
/// so `m.match` would not compile); `tag` is the keys' shape.
fn found(re: &Regex, caps: &Captures<'_>, chars: &mut Chars<'_>, tag: i32) -> Dynamic {
    let Some(whole) = caps.get(0) else {
        return Dynamic::UNIT;
    };
    let group = |m: Option<::regex::Match<'_>>| m.map_or(Dynamic::UNIT, |m| text(m.as_str()));
    let groups: Array = caps.iter().skip(1).map(group).collect();
    let named: Map = re
        .capture_names()
        .flatten()
        .map(|name| (name.into(), group(caps.name(name))))
        .collect();
    let start = chars.at(whole.start());
    let end = chars.at(whole.end());
    let map: Map = [
        ("text".into(), text(whole.as_str())),
        ("start".into(), start.into()),
        ("end".into(), end.into()),
        ("groups".into(), groups.into()),
        ("named".into(), named.into()),
    ]
    .into_iter()
    .collect();
    order::with_shape(map, tag)
}

fn shape() -> i32 {
    order::shape(["text", "start", "end", "groups", "named"].into_iter())
}

fn find(pattern: &str, s: &str) -> Res<Dynamic> {
    let re = compile("regex_find", pattern)?;
    let mut chars = Chars {
        text: s,
        byte: 0,
        chars: 0,
    };
    Ok(match re.captures(s) {
        Some(caps) => found(&re, &caps, &mut chars, shape()),
        None => Dynamic::UNIT,
    })
}

fn find_all(pattern: &str, s: &str) -> Res<Array> {
    let re = compile("regex_find_all", pattern)?;
    let max = sandbox::limits().map_or(u64::MAX, |l| l.max_array_size);
    let tag = shape();
    let mut chars = Chars {
        text: s,
        byte: 0,
        chars: 0,
    };
    let mut out = Array::new();
    for caps in re.captures_iter(s) {
        out.push(found(&re, &caps, &mut chars, tag));
        if out.len() as u64 > max {
            check_len(Size::Array, out.len())?;
        }
        if out.len().is_multiple_of(CHECK_EVERY) {
            checkpoint()?;
        }
    }
    Ok(out)
}

fn replace(pattern: &str, s: &str, with: &str) -> Res<String> {
    let re = compile("regex_replace", pattern)?;
    let max = sandbox::limits().map_or(u64::MAX, |l| l.max_string_size);
    reserve(s.len())?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, caps) in re.captures_iter(s).enumerate() {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        caps.expand(with, &mut out);
        last = m.end();
        if out.len() as u64 > max {
            check_len(Size::String, out.len())?;
        }
        if (i + 1).is_multiple_of(CHECK_EVERY) {
            checkpoint()?;
        }
    }
    out.push_str(&s[last..]);
    check_len(Size::String, out.len())?;
    Ok(out)
}

fn split(pattern: &str, s: &str) -> Res<Array> {
    let re = compile("regex_split", pattern)?;
    let max = sandbox::limits().map_or(u64::MAX, |l| l.max_array_size);
    reserve(s.len())?;
    let mut out = Array::new();
    for piece in re.split(s) {
        out.push(text(piece));
        if out.len() as u64 > max {
            check_len(Size::Array, out.len())?;
        }
        if out.len().is_multiple_of(CHECK_EVERY) {
            reserve(CHECK_EVERY * PIECE)?;
            checkpoint()?;
        }
    }
    Ok(out)
}

/// Registers `regex_match`, `regex_find`, `regex_find_all`, `regex_replace`, `regex_split` and
/// `regex_escape`.
pub fn register(engine: &mut Engine) {
    engine.register_fn("regex_match", |pattern: &str, s: &str| -> Res<bool> {
        Ok(compile("regex_match", pattern)?.is_match(s))
    });
    engine.register_fn("regex_find", find);
    engine.register_fn("regex_find_all", find_all);
    engine.register_fn("regex_replace", replace);
    engine.register_fn("regex_split", split);
    engine.register_fn("regex_escape", |s: &str| ::regex::escape(s));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Limits;
    use crate::script::lib::message;

    #[test]
    fn finds_groups_names_and_character_positions() {
        order::scope(|| {
            let m = find(r"(?<word>\w+)@(\w+)?", "é café@x").unwrap();
            let json = crate::script::convert::to_json(&m).unwrap().to_string();
            assert_eq!(
                json,
                r#"{"text":"café@x","start":2,"end":8,"groups":["café","x"],"named":{"word":"café"}}"#
            );
            assert!(find("z", "abc").unwrap().is_unit());
            let all = find_all(r"\d+", "a1 b22 c333").unwrap();
            let starts: Vec<INT> = all
                .iter()
                .map(|m| m.read_lock::<Map>().unwrap()["start"].as_int().unwrap())
                .collect();
            assert_eq!(starts, [1, 4, 8]);
        });
    }

    #[test]
    fn replace_expands_groups_and_split_splits() {
        assert_eq!(
            replace(r"(?<y>\d{4})-(\d{2})", "on 2024-03 and 1999-12", "$2/${y}").unwrap(),
            "on 03/2024 and 12/1999"
        );
        let parts = split(r"\s*,\s*", "a , b,c").unwrap();
        let parts: Vec<String> = parts.iter().map(|v| v.to_string()).collect();
        assert_eq!(parts, ["a", "b", "c"]);
        assert!(compile("regex_match", "^a+$").unwrap().is_match("aaa"));
    }

    #[test]
    fn bad_and_catastrophic_patterns_are_refused() {
        let e = message(compile("regex_match", "(a").unwrap_err());
        assert!(e.starts_with("regex_match: invalid pattern"), "{e}");
        let e = message(compile("regex_match", "a{1000}{1000}").unwrap_err());
        assert!(e.contains("too large once compiled"), "{e}");
        let e = message(compile("regex_match", &"a".repeat(MAX_PATTERN + 1)).unwrap_err());
        assert!(e.contains("more than 16384"), "{e}");
        let deep = format!("{}{}", "(".repeat(100), ")".repeat(100));
        assert!(compile("regex_match", &deep).is_err());
    }

    #[test]
    fn nested_stars_run_in_linear_time() {
        let text = "a".repeat(1 << 20);
        let started = std::time::Instant::now();
        assert!(!compile("regex_match", "(a*)*b").unwrap().is_match(&text));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn empty_matches_on_a_large_text_hit_the_limits() {
        let text = "x".repeat(1 << 20);
        // Sizes, not time, are under test here (a debug build is slow).
        let limits = Limits {
            timeout: std::time::Duration::from_secs(60),
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            ..Limits::default()
        };
        let run = |f: &dyn Fn() -> Box<rhai::EvalAltResult>| {
            sandbox::Budget::new(&limits).run(|| format!("{:?}", f()))
        };
        // Each match is a map: the memory may run out before the array's size.
        let e = run(&|| find_all("", &text).unwrap_err());
        assert!(
            e.contains("max-array-size") || e.contains("\"memory\""),
            "{e}"
        );
        let e = run(&|| split("", &text).unwrap_err());
        assert!(e.contains("max-array-size"), "{e}");
        let e = run(&|| replace("", &text, "yy").unwrap_err());
        assert!(e.contains("max-string-size"), "{e}");
    }

    #[test]
    fn the_cache_keeps_recent_patterns() {
        for i in 0..(CACHE + 5) {
            compile("regex_match", &format!("a{i}")).unwrap();
        }
        COMPILED.with(|c| {
            let c = c.borrow();
            assert_eq!(c.len(), CACHE);
            assert_eq!(c.last().unwrap().0, format!("a{}", CACHE + 4));
        });
    }
}
