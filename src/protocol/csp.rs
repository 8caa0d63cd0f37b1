//! The Content-Security-Policy of one HTML response, and the nonces stamped into its tags.
//!
//! Each HTML response gets a fresh nonce. The directives named in `csp-nonce` carry it, and the
//! page's own `<script>`/`<style>` tags are stamped with it, so the author's inline code runs
//! while code injected later (an XSS, or a runtime-created `<style>`) does not.

use crate::manifest::{Security, csp_text};

/// The policy for one response, and which tags to stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub header: String,
    pub stamp_scripts: bool,
    pub stamp_styles: bool,
}

/// 128 bits from the OS CSPRNG, hex-encoded.
pub fn fresh_nonce() -> Result<String, getrandom::Error> {
    crate::random::hex(16)
}

/// The header value with `'nonce-…'` added to each nonce directive. A nonce directive missing
/// from the policy is added with `default-src`'s sources, so that inline tags of the page's own
/// keep working under the default `default-src 'self'`; it is not added where that would loosen
/// the policy (no `default-src`, or `'none'`) or break it (`'unsafe-inline'`, which a nonce
/// switches off).
///
/// `media`, this launch's loopback media origin, joins `media-src` where that (or `default-src`
/// standing in for it) admits `'self'`: the app's own media files are served from there, and
/// nothing else is. A policy that keeps the app's own media out keeps them out there too.
pub fn policy(sec: &Security, nonce: &str, media: Option<&str>) -> Policy {
    let token = format!("'nonce-{nonce}'");
    let default = sec
        .csp
        .iter()
        .find(|(d, _)| d == "default-src")
        .map(|(_, s)| s);
    let mut directives: Vec<(String, Vec<String>)> = Vec::new();
    let (mut scripts, mut styles) = (false, false);
    let mut note = |d: &str| {
        if d.starts_with("script-src") {
            scripts = true;
        } else {
            styles = true;
        }
    };
    for (d, sources) in &sec.csp {
        let mut sources = sources.clone();
        if sec.csp_nonce.contains(d) && !is_none(&sources) {
            sources.push(token.clone());
            note(d);
        }
        directives.push((d.clone(), sources));
    }
    for d in &sec.csp_nonce {
        if sec.csp.iter().any(|(name, _)| name == d) {
            continue;
        }
        let Some(default) = default else { continue };
        if is_none(default) || default.iter().any(|s| s == "'unsafe-inline'") {
            continue;
        }
        let mut sources = default.clone();
        sources.push(token.clone());
        directives.push((d.clone(), sources));
        note(d);
    }
    if let Some(origin) = media {
        admit_media(&mut directives, default, origin);
    }
    Policy {
        header: csp_text(&directives),
        stamp_scripts: scripts,
        stamp_styles: styles,
    }
}

fn admit_media(
    directives: &mut Vec<(String, Vec<String>)>,
    default: Option<&Vec<String>>,
    origin: &str,
) {
    let has_self = |s: &[String]| s.iter().any(|s| s == "'self'");
    match directives.iter_mut().find(|(d, _)| d == "media-src") {
        Some((_, sources)) if has_self(sources) => sources.push(origin.to_owned()),
        Some(_) => {}
        None => {
            if let Some(default) = default.filter(|d| has_self(d)) {
                let mut sources = default.clone();
                sources.push(origin.to_owned());
                directives.push(("media-src".to_owned(), sources));
            }
        }
    }
}

fn is_none(sources: &[String]) -> bool {
    sources.len() == 1 && sources[0] == "'none'"
}

/// Adds ` nonce="…"` to every `<script>` (if `scripts`) and `<style>` (if `styles`) start tag.
/// Comments and the raw text inside script and style elements are skipped, so a `"<script>"`
/// string in a script is left alone. Works on bytes: the page need not be UTF-8.
pub fn stamp(html: &[u8], nonce: &str, scripts: bool, styles: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(html.len() + 64);
    let mut i = 0;
    while let Some(off) = html[i..].iter().position(|&b| b == b'<') {
        let lt = i + off;
        out.extend_from_slice(&html[i..lt]);
        let rest = &html[lt..];
        if rest.starts_with(b"<!--") {
            let end = find(rest, b"-->").map_or(html.len(), |e| lt + e + 3);
            out.extend_from_slice(&html[lt..end]);
            i = end;
            continue;
        }
        let tag = ["script", "style"]
            .into_iter()
            .find(|t| starts_tag(&rest[1..], t.as_bytes()));
        let Some(tag) = tag else {
            out.push(b'<');
            i = lt + 1;
            continue;
        };
        let name_end = lt + 1 + tag.len();
        out.extend_from_slice(&html[lt..name_end]);
        if (tag == "script" && scripts) || (tag == "style" && styles) {
            out.extend_from_slice(format!(" nonce=\"{nonce}\"").as_bytes());
        }
        // Copy the rest of the element up to its end tag untouched.
        let close = format!("</{tag}");
        let end = find_ci(&html[name_end..], close.as_bytes()).map_or(html.len(), |e| name_end + e);
        out.extend_from_slice(&html[name_end..end]);
        i = end;
        if i < html.len() {
            out.extend_from_slice(&html[i..i + close.len()]);
            i += close.len();
        }
    }
    out.extend_from_slice(&html[i..]);
    out
}

/// `rest` begins with the tag name `name` (any case), followed by the end of the name.
fn starts_tag(rest: &[u8], name: &[u8]) -> bool {
    rest.len() > name.len()
        && rest[..name.len()].eq_ignore_ascii_case(name)
        && matches!(
            rest[name.len()],
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'
        )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(csp: &[(&str, &[&str])], nonce: &[&str]) -> Security {
        Security {
            csp: csp
                .iter()
                .map(|(d, s)| (d.to_string(), s.iter().map(|s| s.to_string()).collect()))
                .collect(),
            csp_nonce: nonce.iter().map(|s| s.to_string()).collect(),
            allow_navigation: vec![],
            open_external: vec![],
            max_payload: 1 << 20,
            cross_origin_isolated: false,
        }
    }

    #[test]
    fn nonce_directives() {
        let p = policy(
            &sec(
                &[("default-src", &["'self'"])],
                &["script-src", "style-src"],
            ),
            "N",
            None,
        );
        assert_eq!(
            p.header,
            "default-src 'self'; script-src 'self' 'nonce-N'; style-src 'self' 'nonce-N'"
        );
        assert!(p.stamp_scripts && p.stamp_styles);

        let p = policy(
            &sec(
                &[
                    ("default-src", &["'self'"]),
                    ("style-src", &["'self'", "'unsafe-inline'"]),
                ],
                &["script-src"],
            ),
            "N",
            None,
        );
        assert_eq!(
            p.header,
            "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'nonce-N'"
        );
        assert!(p.stamp_scripts && !p.stamp_styles);

        // Opting out of every nonce leaves the policy as written.
        let p = policy(&sec(&[("default-src", &["'self'"])], &[]), "N", None);
        assert_eq!(p.header, "default-src 'self'");
        assert!(!p.stamp_scripts && !p.stamp_styles);

        // Never loosen 'none', never invent a restriction that was not there.
        let p = policy(
            &sec(
                &[("script-src", &["'none'"]), ("img-src", &["*"])],
                &["script-src", "style-src"],
            ),
            "N",
            None,
        );
        assert_eq!(p.header, "script-src 'none'; img-src *");
        let p = policy(
            &sec(
                &[("default-src", &["'self'", "'unsafe-inline'"])],
                &["style-src"],
            ),
            "N",
            None,
        );
        assert_eq!(p.header, "default-src 'self' 'unsafe-inline'");
    }

    #[test]
    fn media_origin_joins_media_src_where_self_is_admitted() {
        let m = Some("http://127.0.0.1:9");
        let header = |csp: &[(&str, &[&str])]| policy(&sec(csp, &[]), "N", m).header;
        assert_eq!(
            header(&[("default-src", &["'self'"])]),
            "default-src 'self'; media-src 'self' http://127.0.0.1:9"
        );
        assert_eq!(
            header(&[
                ("default-src", &["'self'"]),
                ("media-src", &["'self'", "blob:"])
            ]),
            "default-src 'self'; media-src 'self' blob: http://127.0.0.1:9"
        );
        // The app keeps its own media out, or admits only others: so it stays.
        assert_eq!(
            header(&[("default-src", &["'self'"]), ("media-src", &["'none'"])]),
            "default-src 'self'; media-src 'none'"
        );
        assert_eq!(
            header(&[
                ("default-src", &["'self'"]),
                ("media-src", &["https://cdn.example"])
            ]),
            "default-src 'self'; media-src https://cdn.example"
        );
        assert_eq!(
            header(&[("default-src", &["'none'"])]),
            "default-src 'none'"
        );
        // No restriction on media at all: nothing to add.
        assert_eq!(header(&[("img-src", &["'self'"])]), "img-src 'self'");
    }

    #[test]
    fn stamping() {
        let s = |html: &str, scripts, styles| {
            String::from_utf8(stamp(html.as_bytes(), "N", scripts, styles)).unwrap()
        };
        assert_eq!(
            s(
                "<head><SCRIPT src=a.js></SCRIPT><style>p{}</style></head>",
                true,
                true
            ),
            r#"<head><SCRIPT nonce="N" src=a.js></SCRIPT><style nonce="N">p{}</style></head>"#
        );
        assert_eq!(
            s(
                "<script>let a = '<script>';</script><style>a</style>",
                true,
                false
            ),
            r#"<script nonce="N">let a = '<script>';</script><style>a</style>"#
        );
        assert_eq!(
            s(
                "<!-- <script> --><scripts></scripts><script\n>1</script>",
                true,
                true
            ),
            "<!-- <script> --><scripts></scripts><script nonce=\"N\"\n>1</script>"
        );
        assert_eq!(
            s("<p>a < b</p><script>", true, true),
            "<p>a < b</p><script nonce=\"N\">"
        );
        assert_eq!(s("<!-- open", true, true), "<!-- open");
        assert_eq!(s("<", true, true), "<");
        assert_eq!(s("<script", true, true), "<script");
        assert_eq!(
            String::from_utf8_lossy(&stamp(b"\xff<style>\xfe</style>", "N", true, true)),
            "\u{fffd}<style nonce=\"N\">\u{fffd}</style>"
        );
    }

    #[test]
    fn nonces_are_fresh() {
        let a = fresh_nonce().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, fresh_nonce().unwrap());
    }
}
