//! URL patterns (`security.allow-navigation`, `security.open-external`), matched on parsed URLs,
//! never on string prefixes: a URL is parsed with the `url` crate (WHATWG rules, the ones WebKit
//! follows), and its scheme, host, port and path are compared one by one with the pattern's.
//!
//! What a pattern means:
//!
//! - `scheme://host[:port][/path]` (hierarchical):
//!   - the scheme is literal (no `*`), compared case-insensitively;
//!   - the host is `*` (any host), `*.example.com` (one or more labels in front of
//!     `example.com`, not `example.com` itself), or a literal host; a literal host and the URL's
//!     are both normalised first (lower case, IDNA to punycode, IPv4 forms), so a look-alike in
//!     another script never equals an ASCII host, and `ok.com.` (trailing dot) is not `ok.com`;
//!   - no port means the scheme's default port only; `:8080` that port only; `:*` any port;
//!   - the path is matched with `*` standing for any run of characters (`/` included); no path
//!     means any path. The URL's path is the parsed one (dot segments resolved, `\` read as `/`
//!     for web schemes), the query and fragment are never looked at;
//!   - userinfo, `?` and `#` cannot be written in a pattern.
//! - `scheme:rest` (opaque, e.g. `mailto:*`, `zoommtg:*`): the scheme is literal and `rest`, with
//!   `*` wildcards, is matched against everything after `scheme:`. Web schemes (`http`, `https`,
//!   `ws`, `wss`, `ftp`) must use the hierarchical form.
//!
//! A URL with userinfo (`https://ok.com@evil.net/`, `https://user:pw@ok.com/`) matches no
//! pattern at all.

use url::Url;

/// Why a pattern cannot be used, with a hint on what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPattern {
    scheme: String,
    form: Form,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    Hierarchical {
        host: HostPattern,
        port: PortPattern,
        /// Wildcard over the URL's path; `None`: any path.
        path: Option<String>,
    },
    /// Wildcard over what follows `scheme:`.
    Opaque(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// A normalised host, as `Url::host_str` gives it.
    Exact(String),
    /// `.example.com` for `*.example.com`.
    Below(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortPattern {
    Default,
    Any,
    Exact(u16),
}

/// Schemes whose URLs must be written `scheme://host/…`.
const WEB_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp"];

fn error(message: String, hint: &str) -> PatternError {
    PatternError {
        message,
        hint: hint.to_owned(),
    }
}

impl UrlPattern {
    pub fn parse(pattern: &str) -> Result<UrlPattern, PatternError> {
        let scheme = pattern.split_once(':').map(|(s, _)| s).filter(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        let Some(scheme) = scheme else {
            return Err(error(
                format!("URL pattern `{pattern}` must start with a scheme"),
                "e.g. `https://*.example.com/*` or `mailto:*`",
            ));
        };
        if let Some(c) = pattern
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || *c == '\\' || is_format_char(*c))
        {
            return Err(error(
                format!("URL pattern `{}` contains {c:?}", pattern.escape_debug()),
                "patterns cannot hold spaces, control characters or `\\`: percent-encode them",
            ));
        }
        let scheme = scheme.to_ascii_lowercase();
        let rest = &pattern[scheme.len() + 1..];
        let Some(rest) = rest.strip_prefix("//") else {
            if WEB_SCHEMES.contains(&scheme.as_str()) {
                return Err(error(
                    format!("URL pattern `{pattern}` needs `{scheme}://` and a host"),
                    "e.g. `https://example.com/*`, or `https://*` for any site",
                ));
            }
            return Ok(UrlPattern {
                scheme,
                form: Form::Opaque(rest.to_owned()),
            });
        };
        if rest.contains(['?', '#']) {
            return Err(error(
                format!("URL pattern `{pattern}` has a query or fragment"),
                "patterns match scheme, host, port and path; leave out `?…` and `#…`",
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        if authority.contains('@') {
            return Err(error(
                format!("URL pattern `{pattern}` has userinfo (`…@`)"),
                "write only the host; URLs with userinfo never match any pattern",
            ));
        }
        let (host, port) = split_port(authority).ok_or_else(|| {
            error(
                format!("URL pattern `{pattern}` has a bad port"),
                "a port is a number up to 65535, or `*` for any port",
            )
        })?;
        let host = host_pattern(&scheme, host).map_err(|why| {
            error(
                format!("URL pattern `{pattern}`: {why}"),
                "the host is `*`, `*.example.com` (any subdomain) or a host name; for every page of a site write `https://example.com/*`",
            )
        })?;
        let path = match path {
            None | Some("/*") => None,
            Some(p) => {
                check_path(p).map_err(|why| {
                    error(
                        format!("URL pattern `{pattern}`: {why}"),
                        "write the path as it appears in a URL (percent-encoded), with `*` for any run of characters",
                    )
                })?;
                Some(p.to_owned())
            }
        };
        Ok(UrlPattern {
            scheme,
            form: Form::Hierarchical { host, port, path },
        })
    }

    /// The scheme the pattern names, in lower case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the pattern's path (or opaque part) spells `text` literally, e.g. `.desktop`.
    pub fn names(&self, text: &str) -> bool {
        match &self.form {
            Form::Hierarchical { path, .. } => path.as_deref().is_some_and(|p| p.contains(text)),
            Form::Opaque(rest) => rest.contains(text),
        }
    }

    pub fn matches(&self, url: &Url) -> bool {
        if url.scheme() != self.scheme || has_userinfo(url) {
            return false;
        }
        match &self.form {
            Form::Opaque(rest) => {
                let after = &url.as_str()[url.scheme().len() + 1..];
                super::wildcard_match(rest, after)
            }
            Form::Hierarchical { host, port, path } => {
                if url.cannot_be_a_base() {
                    return false;
                }
                let host_ok = match host {
                    HostPattern::Any => true,
                    HostPattern::Exact(h) => url.host_str().unwrap_or("") == h,
                    HostPattern::Below(suffix) => url.domain().is_some_and(|d| {
                        d.strip_suffix(suffix.as_str()).is_some_and(|labels| {
                            !labels.is_empty() && labels.split('.').all(|l| !l.is_empty())
                        })
                    }),
                };
                let port_ok = match port {
                    PortPattern::Any => true,
                    PortPattern::Default => url.port().is_none(),
                    PortPattern::Exact(p) => url.port_or_known_default() == Some(*p),
                };
                host_ok
                    && port_ok
                    && path
                        .as_deref()
                        .is_none_or(|p| super::wildcard_match(p, url.path()))
            }
        }
    }
}

/// Whether `url` parses and matches one of `patterns` (an unusable pattern matches nothing).
pub fn any_matches<S: AsRef<str>>(patterns: &[S], url: &Url) -> bool {
    patterns
        .iter()
        .filter_map(|p| UrlPattern::parse(p.as_ref()).ok())
        .any(|p| p.matches(url))
}

pub fn has_userinfo(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Unicode format characters (category Cf): bidi overrides and isolates, zero-width joiners and
/// spaces, the BOM, tags. They change how a URL reads, not where it leads.
pub fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}' | '\u{8E2}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}')
}

/// `host[:port]` (an IPv6 host in brackets) into the host and the port pattern.
fn split_port(authority: &str) -> Option<(&str, PortPattern)> {
    let colon = if authority.starts_with('[') {
        let end = authority.find(']')?;
        match &authority[end + 1..] {
            "" => None,
            rest if rest.starts_with(':') => Some(end + 1),
            _ => return None,
        }
    } else {
        authority.find(':')
    };
    let Some(i) = colon else {
        return Some((authority, PortPattern::Default));
    };
    let port = match &authority[i + 1..] {
        "*" => PortPattern::Any,
        digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            PortPattern::Exact(digits.parse().ok()?)
        }
        _ => return None,
    };
    Some((&authority[..i], port))
}

fn host_pattern(scheme: &str, host: &str) -> Result<HostPattern, String> {
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if let Some(parent) = host.strip_prefix("*.") {
        if parent.contains('*') {
            return Err("`*` in a host stands only for whole labels at its left".into());
        }
        return match normalise_host(scheme, parent)? {
            Normalised::Domain(d) => Ok(HostPattern::Below(format!(".{d}"))),
            Normalised::Other(_) => Err(format!("`*.{parent}` needs a domain name after `*.`")),
        };
    }
    if host.contains('*') {
        return Err(
            "`*` in a host is the whole host or its leftmost labels (`*.example.com`)".into(),
        );
    }
    if host.is_empty() && scheme != "file" {
        return Err("the host is missing".into());
    }
    match normalise_host(scheme, host)? {
        Normalised::Domain(h) | Normalised::Other(h) => Ok(HostPattern::Exact(h)),
    }
}

enum Normalised {
    Domain(String),
    Other(String),
}

/// The host as a URL of this scheme would carry it, by the same parser.
fn normalise_host(scheme: &str, host: &str) -> Result<Normalised, String> {
    let url = Url::parse(&format!("{scheme}://{host}/"))
        .map_err(|e| format!("`{host}` is not a valid host ({e})"))?;
    let parsed = url.host_str().unwrap_or("").to_owned();
    if parsed.ends_with('.') && !host.ends_with('.') {
        return Err(format!("`{host}` is not a valid host"));
    }
    Ok(match url.domain() {
        Some(_) => Normalised::Domain(parsed),
        None => Normalised::Other(parsed),
    })
}

/// A pattern path is compared with the parsed URL's path as it is: it must be written as that
/// parser writes paths, or it could never match.
fn check_path(path: &str) -> Result<(), String> {
    if let Some(c) = path
        .chars()
        .find(|c| !c.is_ascii() || matches!(c, '"' | '<' | '>' | '`' | '{' | '}' | '^' | '|'))
    {
        return Err(format!("{c:?} in the path must be percent-encoded"));
    }
    let bytes = path.as_bytes();
    for (i, _) in path.match_indices('%') {
        let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(i + 1) && hex(i + 2)) {
            return Err("`%` must start a percent-escape like `%20`".into());
        }
    }
    if path.split('/').any(|seg| {
        matches!(
            seg.to_ascii_lowercase().as_str(),
            "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e"
        )
    }) {
        return Err("`.` and `..` segments are resolved in URLs, so they never match".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
