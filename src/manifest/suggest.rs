//! "Did you mean" for near-miss keys and names.

/// The candidate closest to `word`, if it is close enough to be a plausible typo. Keys that
/// differ only in separators or case (`min_width`, `minWidth` for `min-width`) always match.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let squash = |s: &str| s.replace(['-', '_'], "").to_ascii_lowercase();
    let word_squashed = squash(word);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = if squash(c) == word_squashed {
            0
        } else {
            strsim::damerau_levenshtein(&word.to_ascii_lowercase(), &c.to_ascii_lowercase())
        };
        let limit = (c.chars().count().max(word.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_other_spellings() {
        let keys = ["width", "height", "min-width", "title"];
        assert_eq!(closest("widht", keys), Some("width"));
        assert_eq!(closest("min_width", keys), Some("min-width"));
        assert_eq!(closest("minWidth", keys), Some("min-width"));
        assert_eq!(closest("colour", keys), None);
        assert_eq!(closest("width", keys), None);
    }
}
