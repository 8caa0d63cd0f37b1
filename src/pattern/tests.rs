//! Table tests for both matchers, and a property test of the glob matcher against a slow,
//! obviously correct reference.

use proptest::prelude::*;

use super::wildcard_match as m;
use super::{Glob, check_glob, glob_match, literal_prefix};

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

#[test]
fn globs() {
    let cases = [
        // `*` stays within a segment.
        ("*.md", "a.md", true),
        ("*.md", ".md", true),
        ("*.md", "a.txt", false),
        ("*.md", "d/a.md", false),
        ("*", "", false),
        ("*", "x", true),
        ("a*", "a", true),
        ("*a*b", "xaxxb", true),
        ("*a*b", "xaxxbc", false),
        ("a*b*c", "abbbc", true),
        ("/srv/x/*.md", "/srv/x/a.md", true),
        ("/srv/x/*.md", "/srv/x/y/a.md", false),
        ("/srv/x/*.md", "/srv/xa.md", false),
        // `**` is any number of whole segments, including none.
        ("**", "", true),
        ("**", "a", true),
        ("**", "a/b/c", true),
        ("a/**", "a", true),
        ("a/**", "a/b", true),
        ("a/**", "a/b/c", true),
        ("a/**", "ab", false),
        ("a/**", "b/a", false),
        ("**/*.md", "a.md", true),
        ("**/*.md", "x/y/a.md", true),
        ("**/*.md", "x/y/a.txt", false),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/x/y/c", false),
        ("a/**/**/b", "a/b", true),
        ("**/x/**", "a/x/b", true),
        ("**/x/**", "a/y/b", false),
        // `?`, classes, escapes.
        ("?.txt", "a.txt", true),
        ("?.txt", ".txt", false),
        ("?.txt", "ab.txt", false),
        ("?", "/", false),
        ("[a-c]1", "b1", true),
        ("[a-c]1", "d1", false),
        ("[!a-c]1", "d1", true),
        ("[!a-c]1", "a1", false),
        ("[^x]", "y", true),
        ("[]]", "]", true),
        ("[!]]", "]", false),
        ("[a-]", "-", true),
        ("[\\]]", "]", true),
        ("\\*", "*", true),
        ("\\*", "a", false),
        ("a\\?", "a?", true),
        ("a\\?", "ab", false),
        ("\\[x]", "[x]", true),
        ("]", "]", true),
        ("日?", "日本", true),
        // Alternatives, nested ones too, which may span segments.
        ("*.{md,txt}", "a.txt", true),
        ("*.{md,txt}", "a.rs", false),
        ("{a,b/c}/x", "b/c/x", true),
        ("{a,b/c}/x", "b/x", false),
        ("{a,{b,c}d}", "cd", true),
        ("{a,{b,c}d}", "d", false),
        ("x{}y", "xy", true),
        ("x{,y}", "x", true),
        ("[{]", "{", true),
        ("\\{a,b}", "{a,b}", false),
        ("a,b", "a,b", true),
        // Plain text.
        ("", "", true),
        ("", "a", false),
        ("a/b", "a/b", true),
        ("a/b", "a/b/", false),
        ("a/b", "a", false),
        ("$APPDATA", "$APPDATA", true),
        // Invalid patterns match nothing.
        ("[a", "[a", false),
        ("a**", "a", false),
    ];
    for (p, path, want) in cases {
        assert_eq!(glob_match(p, path), want, "{p} ~ {path}");
    }
}

#[test]
fn below() {
    let cases = [
        ("notes/*.md", "", true),
        ("notes/*.md", "notes", true),
        ("notes/*.md", "notes/a.md", true),
        ("notes/*.md", "notes/sub", false),
        ("notes/*.md", "notes/a.md/x", false),
        ("notes/*.md", "other", false),
        ("*.md", "", true),
        ("*.md", "sub", false),
        ("*.md", "sub/x", false),
        ("**/*.md", "a/b/c", true),
        ("a/**", "a/b/c", true),
        ("a/**", "b", false),
        ("{a,b}/x", "b", true),
        ("{a,b}/x", "c", false),
    ];
    for (p, path, want) in cases {
        let g = Glob::new(p).unwrap();
        assert_eq!(g.matches_below(path), want, "{p} below {path}");
    }
}

#[test]
fn syntax_errors() {
    let cases = [
        ("[bad", "unclosed character class; missing ']'"),
        ("[]", "unclosed character class; missing ']'"),
        ("[!]", "unclosed character class; missing ']'"),
        ("[a/b]", "unclosed character class; missing ']'"),
        ("[z-a]", "invalid range `z-a` in a character class"),
        ("{a,b", "unclosed alternate group; missing '}'"),
        ("a}", "unopened alternate group; missing '{'"),
        ("a\\", "dangling '\\'"),
        ("a\\/b", "dangling '\\'"),
        ("a**", "`**` must be a whole path segment, as in `a/**/b`"),
        ("**a", "`**` must be a whole path segment, as in `a/**/b`"),
        (
            "a/***/b",
            "`**` must be a whole path segment, as in `a/**/b`",
        ),
    ];
    for (p, want) in cases {
        assert_eq!(check_glob(p), Err(want.to_string()), "{p}");
    }
    let many = "{a,b}".repeat(9); // 512 alternatives
    assert!(check_glob(&many).is_err_and(|e| e.contains("alternatives")));
    for ok in [
        "**",
        "$APPDATA/notes/**",
        "/srv/x/*.md",
        "a/{b,c}/[!.]*",
        "",
    ] {
        assert_eq!(check_glob(ok), Ok(()), "{ok}");
    }
}

#[test]
fn literal_prefixes() {
    let cases = [
        ("$APPDATA/notes/**", "$APPDATA/notes", "**"),
        ("$APPDATA/**", "$APPDATA", "**"),
        ("/srv/x/*.md", "/srv/x", "*.md"),
        ("/srv/x/a.md", "/srv/x/a.md", ""),
        ("$HOME/a\\[1\\]/*.md", "$HOME/a[1]", "*.md"),
        ("$HOME/a]b/x", "$HOME/a]b/x", ""),
        ("$DOCUMENTS/{a,b}/x", "$DOCUMENTS", "{a,b}/x"),
        ("$DOCUMENTS/x{a,b/c}", "$DOCUMENTS", "x{a,b/c}"),
        ("/*", "/", "*"),
        ("**", "", "**"),
    ];
    for (p, base, rest) in cases {
        assert_eq!(literal_prefix(p), (base.to_string(), rest), "{p}");
    }
}

/// Exponential, obviously right: `*` and `?` within a segment, `**` over segments.
fn reference(pattern: &str, path: &str) -> bool {
    fn name(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => name(rest, s) || (!s.is_empty() && name(p, &s[1..])),
            Some(('?', rest)) => !s.is_empty() && name(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && name(rest, &s[1..]),
        }
    }
    fn segs(p: &[&str], s: &[&str]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((&"**", rest)) => segs(rest, s) || (!s.is_empty() && segs(p, &s[1..])),
            Some((first, rest)) => {
                let chars = |t: &str| t.chars().collect::<Vec<_>>();
                !s.is_empty() && name(&chars(first), &chars(s[0])) && segs(rest, &s[1..])
            }
        }
    }
    let split = |t: &str| -> Vec<String> {
        match t {
            "" => vec![],
            t => t.split('/').map(str::to_owned).collect(),
        }
    };
    let (p, s) = (split(pattern), split(path));
    let p: Vec<&str> = p.iter().map(String::as_str).collect();
    let s: Vec<&str> = s.iter().map(String::as_str).collect();
    segs(&p, &s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agrees_with_the_reference(
        pattern in prop::collection::vec(prop_oneof!["\\*\\*", "[ab.*?]{0,3}"], 0..5),
        path in prop::collection::vec("[ab.]{0,3}", 0..5),
    ) {
        let (pattern, path) = (pattern.join("/"), path.join("/"));
        prop_assume!(check_glob(&pattern).is_ok());
        let want = reference(&pattern, &path);
        prop_assert_eq!(glob_match(&pattern, &path), want, "{} ~ {}", pattern, path);
    }

    #[test]
    fn a_match_is_reached_through_its_folders(
        pattern in prop::collection::vec(prop_oneof!["\\*\\*", "[ab*?]{0,2}"], 0..4),
        path in prop::collection::vec("[ab]{1,2}", 0..4),
    ) {
        let (pattern, path) = (pattern.join("/"), path.join("/"));
        let Ok(g) = Glob::new(&pattern) else { return Ok(()); };
        if g.matches(&path) {
            let segments: Vec<&str> = path.split('/').collect();
            for n in 0..segments.len() {
                let folder = segments[..n].join("/");
                prop_assert!(g.matches_below(&folder), "{} below {}", pattern, folder);
            }
        }
    }

    #[test]
    fn escaped_text_matches_itself_only(text in "[a-c*?\\[\\]{},]{0,8}", other in "[a-c]{0,8}") {
        let escaped: String = text.chars().flat_map(|c| ['\\', c]).collect();
        prop_assert!(glob_match(&escaped, &text));
        prop_assert_eq!(glob_match(&escaped, &other), text == other);
    }
}
