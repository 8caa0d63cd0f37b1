use super::{Verdict::*, *};

fn security(allow: &[&str], external: &[&str]) -> Security {
    Security {
        csp: vec![],
        csp_nonce: vec![],
        allow_navigation: allow.iter().map(|s| (*s).to_owned()).collect(),
        open_external: external.iter().map(|s| (*s).to_owned()).collect(),
        max_payload: 1 << 20,
        cross_origin_isolated: false,
    }
}

fn nav(url: &str) -> Navigation<'_> {
    Navigation {
        url,
        new_window: false,
        redirect: false,
        user_action: true,
    }
}

#[test]
fn verdicts() {
    let sec = security(&["https://docs.example.com/*"], &["https://*", "mailto:*"]);
    for (url, want) in [
        ("app://localhost/", Allow),
        ("app://localhost", Allow),
        ("app://localhost/a/b.html?x#y", Allow),
        ("app://localhost.evil.com/", Block),
        ("app://localhost:8080/", Block),
        ("app://localhost@evil/", Block),
        ("app://other/", Block),
        ("https://docs.example.com/guide", Allow),
        ("https://docs.example.com.evil.com/", External),
        ("https://docs.example.com@evil.com/", Block),
        ("https://u@docs.example.com/", Block),
        ("https://docs.example.com:8443/", Block), // `https://*`: the default port only
        ("https://example.org/", External),
        ("mailto:a@b.c", External),
        ("http://example.org/", Block),
        ("http://docs.example.com/guide", Block),
        ("file:///etc/passwd", Block),
        ("javascript:alert(1)", Block),
        ("data:text/html,hi", Block),
        ("about:blank", Block),
        ("not a url", Block),
    ] {
        assert_eq!(classify(url, &sec, &Origins::app()), want, "{url}");
    }
    let app = Origins::app();
    // A dev server is an app page only while it is the dev server.
    assert_eq!(classify("http://localhost:5173/", &sec, &app), Block);
    let dev = Origins::with_dev_server("http://localhost:5173").unwrap();
    assert_eq!(classify("http://localhost:5173/", &sec, &dev), Allow);
}

#[test]
fn every_hop_is_decided() {
    let sec = security(
        &["https://docs.example.com/*"],
        &["https://*.example.org/*"],
    );
    let app = Origins::app();
    let d = |n: Navigation| navigate(&n, &sec, &app);
    assert_eq!(d(nav("app://localhost/x")), Decision::Load);
    assert_eq!(d(nav("https://docs.example.com/a")), Decision::Load);
    assert_eq!(
        d(nav("https://www.example.org/a")),
        Decision::Open("https://www.example.org/a".into())
    );
    let refused = |n: Navigation| matches!(d(n), Decision::Refuse(_));
    // A redirect, or a navigation no one asked for, is never handed to the system.
    assert!(refused(Navigation {
        redirect: true,
        ..nav("https://www.example.org/a")
    }));
    assert!(refused(Navigation {
        user_action: false,
        ..nav("https://www.example.org/a")
    }));
    // A redirect to an allowed page loads; to anything else it is refused.
    assert_eq!(
        d(Navigation {
            redirect: true,
            ..nav("https://docs.example.com/b")
        }),
        Decision::Load
    );
    assert!(refused(Navigation {
        redirect: true,
        ..nav("https://evil.example/")
    }));
    // New windows: never, but an external URL is opened outside.
    assert!(refused(Navigation {
        new_window: true,
        ..nav("app://localhost/x")
    }));
    assert!(refused(Navigation {
        new_window: true,
        ..nav("data:text/html,x")
    }));
    assert_eq!(
        d(Navigation {
            new_window: true,
            ..nav("https://www.example.org/p")
        }),
        Decision::Open("https://www.example.org/p".into())
    );
    // Local documents pass for frames, and are judged again with the response.
    assert_eq!(d(nav("data:text/html,x")), Decision::Load);
    assert_eq!(d(nav("about:srcdoc")), Decision::Load);
    assert!(refused(nav("view-source:app://localhost/")));
    let named = security(&["view-source:*", "file:*", "javascript:*"], &[]);
    for url in [
        "view-source:https://ok.com/",
        "file:///etc/passwd",
        "javascript:1",
    ] {
        let n = nav(url);
        assert!(
            matches!(navigate(&n, &named, &app), Decision::Refuse(_)),
            "{url}"
        );
    }
    assert!(refused(nav("file:///etc/passwd")));
    assert!(refused(nav("javascript:alert(1)")));
}

#[test]
fn responses_fill_the_window_only_from_allowed_urls() {
    // Even a manifest that names them cannot put these at the top level.
    let sec = security(
        &[
            "data:*",
            "blob:*",
            "javascript:*",
            "file:*",
            "view-source:*",
            "https://ok.com/*",
        ],
        &[],
    );
    let app = Origins::app();
    for url in [
        "data:text/html,x",
        "blob:app://localhost/5c3e",
        "file:///etc/passwd",
        "view-source:https://ok.com/",
        "javascript:1",
        "https://evil.net/",
    ] {
        assert!(!response_allowed(url, true, &sec, &app), "{url}");
    }
    for url in ["app://localhost/index.html", "https://ok.com/a"] {
        assert!(response_allowed(url, true, &sec, &app), "{url}");
    }
    // Frames may hold local documents, the app's pages and allowed sites only.
    let none = security(&[], &[]);
    for (url, want) in [
        ("data:text/html,x", true),
        ("blob:app://localhost/5c3e", true),
        ("about:srcdoc", true),
        ("app://localhost/frame.html", true),
        ("https://evil.net/", false),
        ("file:///etc/passwd", false),
    ] {
        assert_eq!(response_allowed(url, false, &none, &app), want, "{url}");
    }
}

#[test]
fn only_safe_urls_reach_the_opener() {
    let sec = security(
        &[],
        &[
            "https://*",
            "http://*",
            "mailto:*",
            "zoommtg:*",
            "file:*",
            "smb:*",
            "nfs:*",
            "ssh:*",
            "sftp:*",
            "data:*",
        ],
    );
    for url in [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "smb://host/share",
        "nfs://host/export",
        "ssh://host",
        "sftp://host/x",
        "data:text/html,x",
        "https://example.com/run.desktop",
        "https://example.com/run.DESKTOP/",
        "https://example.com/run%2edesktop",
        "https://example.com/a\nb",
        "https://example.com/a\u{0}b",
        "https://example.com/\u{202e}txt.exe",
        "https://example.com/\u{200b}",
        "https://example.com/\u{85}",
        "-https://example.com/",
        "--help",
        " https://example.com/",
        "https://user@example.com/",
        "tg://resolve?domain=x",
        "relative/path",
    ] {
        assert!(external_url(url, &sec).is_err(), "{url:?}");
    }
    for (url, out) in [
        ("https://example.com/doc", "https://example.com/doc"),
        ("HTTPS://Example.com/a b", "https://example.com/a%20b"),
        (
            "https://example.com\\@evil.net/",
            "https://example.com/@evil.net/",
        ),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("zoommtg://zoom.us/join?c=1", "zoommtg://zoom.us/join?c=1"),
    ] {
        assert_eq!(external_url(url, &sec).as_deref(), Ok(out), "{url}");
    }
}
