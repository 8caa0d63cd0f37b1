//! The posted-message transport, the fast path for small JSON calls and for events: the bridge
//! posts `{"k": key, "t": "c", "i": id, "e": endpoint, "a": args}` (a call) or
//! `{"k": key, "t": "e", "e": event, "d": data}` (an event) or `{"k": key, "t": "x", "i": id}`
//! (cancel call `id` of this window) through WebKit's script message handler, and the host
//! answers with a script that settles the call. A running call's progress reaches its page as
//! a script too. Pure functions: the runtime wires them to the webview.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::stash::Stash;
use super::{Encoded, IpcError};

/// Larger JSON answers (and every bytes answer) go through the [`Stash`] instead of the script.
pub const INLINE_MAX: usize = 64 * 1024;

/// The longest event name, in characters.
pub const EVENT_NAME_MAX: usize = 128;

#[derive(Debug)]
pub struct Message<'a> {
    pub key: Option<String>,
    pub kind: Kind<'a>,
}

#[derive(Debug)]
pub enum Kind<'a> {
    Call {
        id: u64,
        endpoint: String,
        args: Option<&'a RawValue>,
    },
    Emit {
        event: String,
        data: Option<&'a RawValue>,
    },
    /// A line of the page's console (`console.js`): its level, and `{text, source}`.
    Log {
        level: String,
        data: Option<&'a RawValue>,
    },
    /// The page stopped waiting for its call `id` (an `AbortSignal`).
    Cancel { id: u64 },
}

/// The message as it is on the wire (serde cannot flatten a borrowed `RawValue` into an enum).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    k: Option<String>,
    t: &'a str,
    i: Option<u64>,
    #[serde(default)]
    e: String,
    #[serde(borrow)]
    a: Option<&'a RawValue>,
    #[serde(borrow)]
    d: Option<&'a RawValue>,
}

pub fn parse(text: &str) -> Result<Message<'_>, String> {
    let w: Wire<'_> =
        serde_json::from_str(text).map_err(|e| format!("not an apphost message: {e}"))?;
    let kind = match (w.t, w.i) {
        ("c", Some(id)) => Kind::Call {
            id,
            endpoint: w.e,
            args: w.a,
        },
        ("e", None) => Kind::Emit {
            event: w.e,
            data: w.d,
        },
        ("l", None) => Kind::Log {
            level: w.e,
            data: w.d,
        },
        ("x", Some(id)) => Kind::Cancel { id },
        (t, _) => return Err(format!("not an apphost message of kind `{t}`")),
    };
    Ok(Message { key: w.k, kind })
}

impl Kind<'_> {
    /// The JSON text of a call's arguments or an event's data (`null` when absent).
    pub fn payload(&self) -> &str {
        let raw = match self {
            Kind::Call { args, .. } => args,
            Kind::Emit { data, .. } | Kind::Log { data, .. } => data,
            Kind::Cancel { .. } => &None,
        };
        raw.map_or("null", |r| r.get())
    }
}

/// Event names: 1 to 128 characters, no control characters.
pub fn check_event_name(name: &str) -> Result<(), IpcError> {
    let n = name.chars().count();
    if n == 0 || n > EVENT_NAME_MAX || name.chars().any(char::is_control) {
        return Err(IpcError::BadArgs(format!(
            "an event name is 1 to {EVENT_NAME_MAX} characters without control characters"
        )));
    }
    Ok(())
}

/// How deep event data may nest: serde_json's own limit, which call arguments meet when they
/// are parsed. Event data is passed on as text, so it is measured instead.
pub const EVENT_DEPTH_MAX: usize = 128;

/// Whether the JSON `text` nests at most `max` arrays and objects deep: a scan of the brackets
/// outside strings, in constant memory. Data nested deeper is refused rather than handed to every
/// page, whose script parser could overflow its stack on it and lose the rest of the batch.
pub fn nests_within(text: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// The script that settles call `id` in the page: `__reply(id, 1, value)` for a JSON answer,
/// `(id, 0, {code, message})` for a refusal, `(id, 2, "token")` when the answer waits in the
/// stash for the bridge to fetch.
pub fn reply_script(
    id: u64,
    result: Result<Encoded, IpcError>,
    stash: &Stash,
    window: &str,
) -> String {
    let (status, payload) = match result {
        Ok(Encoded::Json(text)) if text.len() <= INLINE_MAX => {
            // The router encoded this from a `serde_json::Value`: valid JSON, hence a valid
            // JavaScript expression (ES2019 made JSON a subset of JavaScript).
            (1, String::from_utf8_lossy(&text).into_owned())
        }
        Ok(large) => match stash.put(window, large) {
            Ok(token) => (2, format!("\"{token}\"")),
            Err(e) => (
                0,
                IpcError::Unavailable(format!("no randomness for a reply token: {e}"))
                    .to_json()
                    .to_string(),
            ),
        },
        Err(e) => (0, e.to_json().to_string()),
    };
    format!("window.apphost.__reply({id},{status},{payload});")
}

/// The script that tells call `id`'s `onProgress` how far it is: `fraction` in 0..1 (the
/// caller has clamped it), `message` or `null`.
pub fn progress_script(id: u64, fraction: f64, message: Option<&str>) -> String {
    format!(
        "window.apphost.__progress({id},{},{});",
        serde_json::Value::from(fraction),
        message.map_or(serde_json::Value::Null, serde_json::Value::from)
    )
}

/// The script that delivers `event` with `data` (JSON text the host has validated) to a page;
/// `source` is the emitting window, `None` for the host's own events (menus, the tray).
pub fn event_script(event: &str, data: &str, source: Option<&str>) -> String {
    format!(
        "window.apphost.__dispatch({},{data},{});",
        serde_json::Value::from(event),
        source.map_or(serde_json::Value::Null, serde_json::Value::from)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_calls_and_events() {
        let m = parse(r#"{"k":"abc","t":"c","i":7,"e":"notes.save","a":{"x":[1,2]}}"#).unwrap();
        assert_eq!(m.key.as_deref(), Some("abc"));
        assert!(matches!(&m.kind, Kind::Call { id: 7, endpoint, .. } if endpoint == "notes.save"));
        assert_eq!(m.kind.payload(), r#"{"x":[1,2]}"#);
        let m = parse(r#"{"t":"e","e":"ping"}"#).unwrap();
        assert_eq!(m.key, None);
        assert!(matches!(&m.kind, Kind::Emit { event, .. } if event == "ping"));
        assert_eq!(m.kind.payload(), "null");
        let m = parse(r#"{"k":"a","t":"x","i":12}"#).unwrap();
        assert!(matches!(m.kind, Kind::Cancel { id: 12 }));
        assert_eq!(m.kind.payload(), "null");
        let m = parse(r#"{"k":"a","t":"c","i":1,"e":"a\u002eb"}"#).unwrap();
        assert!(matches!(&m.kind, Kind::Call { endpoint, .. } if endpoint == "a.b"));
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"t":"x"}"#,
            r#"{"t":"c","e":"a"}"#,
            r#"{"t":"x","i":"1"}"#,
            r#"{"t":"c","i":-1,"e":"a"}"#,
            r#"{"t":"c","i":1,"e":"a","a":}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nesting_is_measured_outside_strings() {
        assert!(nests_within("null", 0));
        assert!(nests_within("[[1]]", 2));
        assert!(!nests_within("[[1]]", 1));
        assert!(nests_within(r#"{"a":"[[[[\"[["}"#, 1));
        assert!(!nests_within(r#"{"a":{"b":[]}}"#, 2));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(!nests_within(&deep, EVENT_DEPTH_MAX));
        let edge = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(nests_within(&edge, EVENT_DEPTH_MAX));
    }

    #[test]
    fn replies_inline_or_through_the_stash() {
        let stash = Stash::default();
        let s = reply_script(3, Ok(Encoded::Json(b"{\"a\":1}".to_vec())), &stash, "main");
        assert_eq!(s, "window.apphost.__reply(3,1,{\"a\":1});");
        let s = reply_script(4, Err(IpcError::NotFound("x".into())), &stash, "main");
        assert!(
            s.starts_with("window.apphost.__reply(4,0,{\"code\":\"not_found\""),
            "{s}"
        );
        let s = reply_script(5, Ok(Encoded::Bytes(vec![9; 3])), &stash, "main");
        let token = s
            .strip_prefix("window.apphost.__reply(5,2,\"")
            .and_then(|t| t.strip_suffix("\");"))
            .unwrap();
        assert_eq!(stash.take("main", token), Some(Encoded::Bytes(vec![9; 3])));
        let big = Encoded::Json(format!("\"{}\"", "x".repeat(INLINE_MAX)).into_bytes());
        assert!(reply_script(6, Ok(big), &stash, "main").contains("(6,2,"));
    }

    #[test]
    fn events_are_quoted() {
        assert_eq!(
            event_script("a\"b</script>", "[1]", Some("main")),
            r#"window.apphost.__dispatch("a\"b</script>",[1],"main");"#
        );
        assert_eq!(
            event_script("menu:new", "{}", None),
            r#"window.apphost.__dispatch("menu:new",{},null);"#
        );
        assert_eq!(
            progress_script(4, 0.5, Some("row \"7\"</script>")),
            r#"window.apphost.__progress(4,0.5,"row \"7\"</script>");"#
        );
        assert_eq!(
            progress_script(5, 1.0, None),
            "window.apphost.__progress(5,1.0,null);"
        );
        assert_eq!(check_event_name("x"), Ok(()));
        assert_eq!(check_event_name(&"x".repeat(128)), Ok(()));
        for bad in ["", "a\nb", "\u{0}"] {
            assert_eq!(check_event_name(bad).unwrap_err().code(), "bad_args");
        }
        assert!(check_event_name(&"x".repeat(129)).is_err());
    }
}
