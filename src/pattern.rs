//! `*` wildcards, as used by window endpoint grants (`notes.*`) and URL patterns
//! (`https://*.example.com/*`). `*` matches any run of characters, nothing else is special.

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
mod tests {
    use super::wildcard_match as m;

    #[test]
    fn wildcards() {
        let cases = [
            ("notes.*", "notes.save", true),
            ("notes.*", "notes", false),
            ("notes.*", "files.read", false),
            ("*", "anything", true),
            ("app.info", "app.info", true),
            ("app.info", "app.infos", false),
            ("https://*", "https://example.com/x", true),
            ("https://*", "http://example.com", false),
            ("https://*.example.com/*", "https://a.example.com/p", true),
            (
                "https://*.example.com/*",
                "https://example.com.evil.org/p",
                false,
            ),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("a*a", "a", false),
            ("", "", true),
            ("", "x", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), want, "{p} ~ {t}");
        }
    }
}
