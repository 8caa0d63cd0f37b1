//! The `Range` request header (RFC 9110 §14), single ranges of bytes only. A header we do not
//! understand, or a list of several ranges, is ignored and the whole file is sent, as the RFC
//! allows.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Whole,
    Part(Range<u64>),
    /// 416: the range starts past the end.
    Unsatisfiable,
}

pub fn parse(header: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if len == 0 => Wanted::Unsatisfiable,
            Some(n) => Wanted::Part(len.saturating_sub(n)..len),
            None => Wanted::Whole,
        },
        // bytes=A-
        (false, true) => match number(first) {
            Some(a) if a >= len => Wanted::Unsatisfiable,
            Some(a) => Wanted::Part(a..len),
            None => Wanted::Whole,
        },
        // bytes=A-B, B inclusive.
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a > b => Wanted::Whole,
            (Some(a), Some(_)) if a >= len => Wanted::Unsatisfiable,
            (Some(a), Some(b)) => Wanted::Part(a..b.saturating_add(1).min(len)),
            _ => Wanted::Whole,
        },
        (true, true) => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::{Wanted::*, *};

    #[test]
    fn ranges() {
        let cases: &[(Option<&str>, u64, Wanted)] = &[
            (None, 10, Whole),
            (Some("bytes=0-3"), 10, Part(0..4)),
            (Some("bytes=2-"), 10, Part(2..10)),
            (Some("bytes=-3"), 10, Part(7..10)),
            (Some("bytes=-30"), 10, Part(0..10)),
            (Some("bytes=5-100"), 10, Part(5..10)),
            (Some("bytes=9-9"), 10, Part(9..10)),
            (Some(" bytes= 1 - 2 "), 10, Part(1..3)),
            (Some("bytes=10-"), 10, Unsatisfiable),
            (Some("bytes=10-20"), 10, Unsatisfiable),
            (Some("bytes=-0"), 10, Unsatisfiable),
            (Some("bytes=0-"), 0, Unsatisfiable),
            (Some("bytes=-5"), 0, Unsatisfiable),
            (Some("bytes=3-1"), 10, Whole),
            (Some("bytes=0-1,4-5"), 10, Whole),
            (Some("items=0-1"), 10, Whole),
            (Some("bytes=a-b"), 10, Whole),
            (Some("bytes=+1-2"), 10, Whole),
            (Some("bytes=-"), 10, Whole),
            (Some("bytes=99999999999999999999999-"), 10, Whole),
            (Some("bytes=0-18446744073709551615"), 10, Part(0..10)),
        ];
        for (h, len, want) in cases {
            assert_eq!(&parse(*h, *len), want, "{h:?} of {len}");
        }
    }
}
