//! The meaning of URL patterns, as a table: each look-alike, downgrade and encoding trick
//! against the pattern it tries to pass.

use super::*;

fn m(pattern: &str, url: &str) -> bool {
    let p = UrlPattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e:?}"));
    Url::parse(url).is_ok_and(|u| p.matches(&u))
}

#[test]
fn hierarchical_patterns_compare_parts() {
    for (pattern, url, want) in [
        ("https://ok.com/*", "https://ok.com/", true),
        ("https://ok.com/*", "https://ok.com/a/b?c=1#d", true),
        ("https://ok.com/*", "https://OK.com/x", true),
        ("https://ok.com/*", "https://ok.com:443/x", true),
        ("https://ok.com", "https://ok.com/any/path", true),
        // Look-alikes of the host.
        ("https://ok.com/*", "https://ok.com.evil.net/", false),
        ("https://ok.com/*", "https://ok.com@evil.net/", false),
        ("https://ok.com/*", "https://ok.com:x@evil.net/", false),
        ("https://ok.com/*", "https://user@ok.com/", false),
        ("https://ok.com/*", "https://user:pw@ok.com/", false),
        ("https://ok.com/*", "https://ok.com./", false),
        ("https://ok.com/*", "https://ok.com%2eevil.net/", false),
        ("https://ok.com/*", "https://ok%2ecom.evil.net/", false),
        ("https://ok.com/*", "https://evil.net/ok.com/", false),
        (
            "https://ok.com/*",
            "https://evil.net/?https://ok.com/",
            false,
        ),
        ("https://ok.com/*", "https://evilok.com/", false),
        // `\` is `/` in web URLs: this one is ok.com, as WebKit would load it.
        ("https://ok.com/*", "https://ok.com\\@evil.net/", true),
        ("https://ok.com/*", "https://evil.net\\@ok.com/", false),
        // Port and scheme.
        ("https://ok.com/*", "https://ok.com:8443/", false),
        ("https://ok.com/*", "http://ok.com/", false),
        ("https://ok.com/*", "wss://ok.com/", false),
        ("https://ok.com:8443/*", "https://ok.com:8443/x", true),
        ("https://ok.com:8443/*", "https://ok.com/x", false),
        ("http://localhost:*/*", "http://localhost:5173/", true),
        ("http://localhost:*/*", "http://localhost/", true),
        (
            "http://localhost:*/*",
            "http://localhost.evil.net:5173/",
            false,
        ),
        // IDN: compared after IDNA; a Cyrillic look-alike is another host.
        ("https://ok.com/*", "https://\u{43e}k.com/", false),
        ("https://ok.com/*", "https://xn--k-0tb.com/", false),
        ("https://\u{43e}k.com/*", "https://ok.com/", false),
        ("https://\u{43e}k.com/*", "https://xn--k-0tb.com/", true),
        ("https://bücher.de/*", "https://xn--bcher-kva.de/x", true),
        ("https://bücher.de/*", "https://BÜCHER.de/x", true),
        ("https://ok.com/*", "https://\u{ff4f}\u{ff4b}.com/", true), // full-width: IDNA maps it to ok.com
        // Subdomain wildcards: whole labels on the left, not the parent itself.
        ("https://*.ok.com/*", "https://a.ok.com/", true),
        ("https://*.ok.com/*", "https://a.b.ok.com/x", true),
        ("https://*.ok.com/*", "https://ok.com/", false),
        ("https://*.ok.com/*", "https://evilok.com/", false),
        ("https://*.ok.com/*", "https://a.ok.com.evil.net/", false),
        ("https://*.ok.com/*", "https://a.ok.com./", false),
        ("https://*.ok.com/*", "https://127.0.0.1/", false),
        ("https://*", "https://anything.example/x", true),
        ("https://*", "http://anything.example/x", false),
        ("https://*", "https://u@anything.example/x", false),
        // Paths: parsed, then matched; dot segments and encoded dots resolved first.
        ("https://ok.com/docs/*", "https://ok.com/docs/a", true),
        (
            "https://ok.com/docs/*",
            "https://ok.com/docs/../admin",
            false,
        ),
        (
            "https://ok.com/docs/*",
            "https://ok.com/docs/%2e%2e/admin",
            false,
        ),
        (
            "https://ok.com/docs/*",
            "https://ok.com/docs/.%2E/admin",
            false,
        ),
        ("https://ok.com/docs/*", "https://ok.com/docsx", false),
        ("https://ok.com/docs/*", "https://ok.com/DOCS/a", false),
        ("https://ok.com/docs/*", "https://ok.com/docs\\a", true),
        ("https://ok.com/a", "https://ok.com/a?x=1", true),
        ("https://ok.com/a", "https://ok.com/ab", false),
        // Hosts as IP addresses, in their normal form.
        ("http://127.0.0.1:8000/*", "http://127.0.0.1:8000/", true),
        ("http://127.0.0.1:8000/*", "http://2130706433:8000/", true),
        ("http://127.0.0.1:8000/*", "http://localhost:8000/", false),
        ("http://[::1]:8000/*", "http://[0:0::1]:8000/x", true),
        // Opaque patterns.
        ("mailto:*", "mailto:a@example.com", true),
        ("mailto:*", "MAILTO:a@example.com", true),
        ("mailto:*", "https://example.com/", false),
        ("zoommtg:*", "zoommtg://zoom.us/join?x=1", true),
        ("zoommtg:*", "zoommtg://u@zoom.us/", false),
        ("tel:+1*", "tel:+15550100", true),
        ("tel:+1*", "tel:+44", false),
    ] {
        assert_eq!(m(pattern, url), want, "{pattern} vs {url}");
    }
}

#[test]
fn bad_patterns_are_refused_with_a_reason() {
    for (pattern, says) in [
        ("example.com/*", "must start with a scheme"),
        ("*", "must start with a scheme"),
        ("*://ok.com/*", "must start with a scheme"),
        ("https://ok.com*", "whole host or its leftmost labels"),
        ("https://ok.*.com/*", "whole host or its leftmost labels"),
        ("https://*ok.com/*", "whole host or its leftmost labels"),
        ("https://*.*.com/*", "only for whole labels"),
        ("https://ok.com@evil.net/*", "userinfo"),
        ("https://user@ok.com/*", "userinfo"),
        ("https://ok.com:99999/*", "bad port"),
        ("https://ok.com:/*", "bad port"),
        ("https://ok.com:8x/*", "bad port"),
        ("https://ok.com/*?q=1", "query or fragment"),
        ("https://ok.com/#x", "query or fragment"),
        ("https://ok.com/a b", "contains"),
        ("https://ok.com\\@evil.net/*", "contains"),
        ("https://ok.com/\u{202e}moc", "contains"),
        ("https:ok.com/*", "needs `https://`"),
        ("https:*", "needs `https://`"),
        ("https:///x", "host is missing"),
        ("https://ok.com/docs/../*", "segments"),
        ("https://ok.com/%zz", "percent-escape"),
        ("https://ok.com/ü", "percent-encoded"),
        ("https://exa mple.com/", "contains"),
        ("https://ok%.com/", "not a valid host"),
    ] {
        let e = UrlPattern::parse(pattern).expect_err(pattern);
        assert!(e.message.contains(says), "{pattern}: {e:?}");
        assert!(!e.hint.is_empty(), "{pattern}");
    }
}

#[test]
fn sane_patterns_of_existing_manifests_still_mean_what_they_meant() {
    for p in [
        "https://*",
        "mailto:*",
        "https://*.example.com/*",
        "https://status.example.com/*",
        "https://docs.example.com/*",
        "data:*",
        "http://localhost:5173/*",
    ] {
        assert!(UrlPattern::parse(p).is_ok(), "{p}");
    }
    assert!(m("https://*.example.com/*", "https://www.example.com/doc"));
    assert!(any_matches(
        &["mailto:*", "https://*"],
        &Url::parse("https://x.org/").unwrap()
    ));
    assert!(!any_matches(
        &["https://ok.com*"],
        &Url::parse("https://ok.com.evil.net/").unwrap()
    ));
}
