//! Turning the path of an `app://localhost/…` URL into a path inside the frontend folder.
//!
//! The rule is strict on purpose: a browser already resolves `.` and `..` before it sends a
//! request, so a dot segment, an encoded separator or a backslash that reaches us was written by
//! someone trying to leave the folder. Those are refused outright instead of "cleaned up".

use std::fmt;

/// Why a request path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `.` or `..`, plain or percent-encoded.
    DotSegment,
    /// `\`, or a `/` or `\` that was percent-encoded inside a segment.
    Separator,
    /// NUL or another control character.
    ControlChar,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// Longer than [`MAX_PATH`].
    TooLong,
}

/// Longer request paths are refused; no frontend needs them.
pub const MAX_PATH: usize = 4096;

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::DotSegment => "`.` and `..` segments are not allowed",
            Refusal::Separator => "backslashes and encoded separators are not allowed",
            Refusal::ControlChar => "control characters are not allowed",
            Refusal::BadEscape => "a `%` must be followed by two hex digits",
            Refusal::NotUtf8 => "the decoded path is not UTF-8",
            Refusal::TooLong => "the path is too long",
        })
    }
}

/// A request path made safe: relative, `/`-separated, every segment a plain name. Empty for the
/// root. `dir` is true when the request path ended in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafePath {
    pub rel: String,
    pub dir: bool,
}

/// Normalises the raw (still percent-encoded) path of a request URI. Empty segments (`a//b`, a
/// leading `//`) are dropped, so the result can never be absolute.
pub fn normalise(raw: &str) -> Result<SafePath, Refusal> {
    if raw.len() > MAX_PATH {
        return Err(Refusal::TooLong);
    }
    if raw.contains('\\') {
        return Err(Refusal::Separator);
    }
    let mut segments = Vec::new();
    for seg in raw.split('/').filter(|s| !s.is_empty()) {
        let bytes = percent_decode(seg)?;
        let name = String::from_utf8(bytes).map_err(|_| Refusal::NotUtf8)?;
        if name.contains(['/', '\\']) {
            return Err(Refusal::Separator);
        }
        if name.chars().any(char::is_control) {
            return Err(Refusal::ControlChar);
        }
        if name == "." || name == ".." {
            return Err(Refusal::DotSegment);
        }
        segments.push(name);
    }
    Ok(SafePath {
        rel: segments.join("/"),
        dir: raw.ends_with('/') || segments.is_empty(),
    })
}

fn percent_decode(seg: &str) -> Result<Vec<u8>, Refusal> {
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3).ok_or(Refusal::BadEscape)?;
            let hi = (hex[0] as char).to_digit(16).ok_or(Refusal::BadEscape)?;
            let lo = (hex[1] as char).to_digit(16).ok_or(Refusal::BadEscape)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        normalise(raw).unwrap().rel
    }

    #[test]
    fn plain_paths() {
        assert_eq!(ok("/"), "");
        assert_eq!(ok(""), "");
        assert_eq!(ok("/index.html"), "index.html");
        assert_eq!(ok("/a/b/c.js"), "a/b/c.js");
        assert_eq!(ok("/a%20b.css"), "a b.css");
        assert_eq!(ok("/caf%C3%A9.txt"), "café.txt");
        assert_eq!(ok("//etc/passwd"), "etc/passwd");
        assert_eq!(ok("/a//b"), "a/b");
        assert_eq!(ok("/..a/b..c/...."), "..a/b..c/....");
        assert!(normalise("/docs/").unwrap().dir);
        assert!(normalise("/").unwrap().dir);
        assert!(!normalise("/docs").unwrap().dir);
    }

    #[test]
    fn refusals() {
        use Refusal::*;
        let cases = [
            ("/..", DotSegment),
            ("/a/../b", DotSegment),
            ("/./a", DotSegment),
            ("/%2e%2e/x", DotSegment),
            ("/%2E%2e/x", DotSegment),
            ("/.%2e/x", DotSegment),
            ("/a%2fb", Separator),
            ("/a%5cb", Separator),
            ("/a\\b", Separator),
            ("/a%00b", ControlChar),
            ("/a%0ab", ControlChar),
            ("/a%", BadEscape),
            ("/a%zz", BadEscape),
            ("/a%ff", NotUtf8),
        ];
        for (raw, want) in cases {
            assert_eq!(normalise(raw), Err(want), "{raw}");
        }
        assert_eq!(normalise(&"/a".repeat(3000)), Err(TooLong));
    }
}
