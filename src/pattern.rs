//! Patterns: text wildcards, URL patterns and path globs. No file system here.
//!
//! - [`wildcard_match`]: `*` wildcards, as used by window endpoint grants (`notes.*`) and
//!   scripts' `allow-urls`. `*` matches any run of characters, nothing else is special.
//! - [`UrlPattern`]: URL patterns of `security.allow-navigation` and `security.open-external`,
//!   matched on the parsed URL, part by part (see `url.rs` for what a pattern means).
//! - [`glob_match`]: path globs over `/`-separated segments, as used by endpoint scopes
//!   (`$APPDATA/notes/**/*.md`). Callers resolve the literal folder part
//!   ([`literal_prefix`]) themselves and match only the rest here.

mod glob;
mod url;

pub use glob::{Glob, check_glob, glob_match, literal_prefix};
pub use url::{PatternError, UrlPattern, any_matches, has_userinfo, is_format_char};

pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*` at all
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests;
