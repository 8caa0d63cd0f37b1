//! Cross-origin isolation (`[security] cross-origin-isolated`): the headers that make a page's
//! `crossOriginIsolated` true, which is what WebKit asks before it offers `SharedArrayBuffer`
//! (and with it WebAssembly threads) and precise timers.
//!
//! A page is isolated when its response carries COOP `same-origin` (every `app://` response
//! already does, see [`super::response`]) and COEP `require-corp`. COEP goes on every response,
//! not only on pages: a worker's script must carry it too, or an isolated page may not start
//! the worker. CORP `same-origin` says the app's own files are for the app's pages only: an
//! isolated process may hold nothing another origin did not agree to share, and the app does
//! not share its files with sites a window navigates to.
//!
//! Without the opt-in nothing is added, and a page is not isolated.

use http::Response;
use http::header::{HeaderName, HeaderValue};

use super::Body;

/// The headers an isolated app adds to each of its responses.
pub const HEADERS: &[(&str, &str)] = &[
    ("cross-origin-embedder-policy", "require-corp"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// Adds the isolation headers to `r` when the app asks for isolation; does nothing otherwise.
pub fn apply(r: &mut Response<Body>, isolated: bool) {
    if !isolated {
        return;
    }
    for (name, value) in HEADERS {
        r.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use http::StatusCode;

    use super::*;

    fn headers(r: &Response<Body>) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = r
            .headers()
            .iter()
            .filter(|(n, _)| n.as_str().starts_with("cross-origin-"))
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn isolated_responses_get_coep_and_corp_besides_coop() {
        for status in [
            StatusCode::OK,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_MODIFIED,
        ] {
            let mut r = super::super::response(status, Body::Bytes(Cow::Borrowed(b"x")));
            apply(&mut r, true);
            assert_eq!(
                headers(&r),
                [
                    ("cross-origin-embedder-policy", "require-corp"),
                    ("cross-origin-opener-policy", "same-origin"),
                    ("cross-origin-resource-policy", "same-origin"),
                ]
                .map(|(n, v)| (n.to_owned(), v.to_owned())),
                "{status}"
            );
        }
    }

    #[test]
    fn without_the_opt_in_only_coop_is_sent() {
        let mut r = super::super::response(StatusCode::OK, Body::Bytes(Cow::Borrowed(b"x")));
        apply(&mut r, false);
        assert_eq!(
            headers(&r),
            [(
                "cross-origin-opener-policy".to_owned(),
                "same-origin".to_owned()
            )]
        );
    }

    #[test]
    fn applying_twice_does_not_repeat_a_header() {
        let mut r = super::super::response(StatusCode::OK, Body::Bytes(Cow::Borrowed(b"x")));
        apply(&mut r, true);
        apply(&mut r, true);
        for (name, _) in HEADERS {
            assert_eq!(r.headers().get_all(*name).iter().count(), 1, "{name}");
        }
    }
}
