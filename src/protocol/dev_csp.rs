//! The policy of pages a framework dev server serves in `apphost dev` (`[dev] url`). Those pages
//! do not come through `app://`, so apphost cannot send a header or stamp nonces: `dev.js`
//! puts this policy in a `<meta http-equiv>` as the page's head appears. It is the app's own
//! policy, widened only as far as the dev server needs: its WebSocket origin (`ws://` for hot
//! module replacement) and `app://localhost` (the bridge's transport for bytes and large
//! calls) in `connect-src`. `'self'` already means the dev server on its own pages.

use crate::manifest::{Security, csp_text};

/// The dev server page's policy, and what was added to the app's (for the terminal).
pub fn dev_server_policy(sec: &Security, dev_origin: &str) -> (String, Vec<String>) {
    let ws = dev_origin
        .strip_prefix("http://")
        .map(|rest| format!("ws://{rest}"))
        .or_else(|| {
            dev_origin
                .strip_prefix("https://")
                .map(|rest| format!("wss://{rest}"))
        });
    let extras: Vec<String> = ws.into_iter().chain([super::ORIGIN.to_owned()]).collect();
    let mut directives = sec.csp.clone();
    let default = directives
        .iter()
        .find(|(d, _)| d == "default-src")
        .map(|(_, s)| s.clone());
    let connect = match directives.iter_mut().find(|(d, _)| d == "connect-src") {
        Some((_, sources)) => Some(sources),
        // Without connect-src, default-src governs connections: spell it out to widen it.
        None => default.map(|sources| {
            directives.push(("connect-src".to_owned(), sources));
            let last = directives.len() - 1;
            &mut directives[last].1
        }),
    };
    let mut added = Vec::new();
    if let Some(sources) = connect {
        sources.retain(|s| s != "'none'");
        for extra in extras {
            if !sources.contains(&extra) {
                added.push(format!("connect-src += {extra}"));
                sources.push(extra);
            }
        }
    }
    (csp_text(&directives), added)
}

#[cfg(test)]
mod tests {
    use super::dev_server_policy;
    use crate::manifest::Security;

    fn sec(csp: &[(&str, &[&str])]) -> Security {
        Security {
            csp: csp
                .iter()
                .map(|(d, s)| (d.to_string(), s.iter().map(|x| x.to_string()).collect()))
                .collect(),
            csp_nonce: vec!["script-src".into()],
            allow_navigation: vec![],
            open_external: vec![],
            max_payload: 1,
            cross_origin_isolated: false,
        }
    }

    #[test]
    fn widened_only_for_the_dev_server() {
        let (csp, added) = dev_server_policy(
            &sec(&[("default-src", &["'self'"])]),
            "http://localhost:5173",
        );
        assert_eq!(
            csp,
            "default-src 'self'; connect-src 'self' ws://localhost:5173 app://localhost"
        );
        assert_eq!(
            added,
            [
                "connect-src += ws://localhost:5173",
                "connect-src += app://localhost"
            ]
        );
        let (csp, _) = dev_server_policy(
            &sec(&[
                ("default-src", &["'none'"]),
                ("script-src", &["'self'"]),
                ("connect-src", &["'none'"]),
            ]),
            "https://127.0.0.1:8443",
        );
        assert_eq!(
            csp,
            "default-src 'none'; script-src 'self'; connect-src wss://127.0.0.1:8443 app://localhost"
        );
        // No policy on connections: nothing to widen, nothing said.
        let (csp, added) = dev_server_policy(&sec(&[("img-src", &["'self'"])]), "http://x:1");
        assert_eq!(csp, "img-src 'self'");
        assert!(added.is_empty());
    }
}
