//! Menu accelerators such as `CmdOrCtrl+Shift+N`: muda parses them, apphost explains a bad one.
//!
//! muda's own errors name the whole text rather than the part that is wrong, and ask the user to
//! report an unknown key to muda's tracker — the wrong audience for someone writing an
//! `app.toml`. Both the manifest check and the menu builder use [`parse`], so the two say the
//! same thing.

use std::fmt;

use muda::accelerator::Accelerator;

/// How to write an accelerator, appended to every complaint about one.
pub const HOW_TO_WRITE: &str =
    "write modifiers as CmdOrCtrl, Ctrl, Alt, Shift, Super and a key such as A, F5, Enter";

/// Why an accelerator was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceleratorError {
    /// The text as written.
    pub text: String,
    /// What is wrong with it, e.g. `unknown modifier "Shft"`.
    pub problem: String,
}

impl fmt::Display for AcceleratorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "accelerator {:?}: {}; {HOW_TO_WRITE}",
            self.text, self.problem
        )
    }
}

impl std::error::Error for AcceleratorError {}

/// Parses `text` as muda does; on failure says which part is wrong.
pub fn parse(text: &str) -> Result<Accelerator, AcceleratorError> {
    text.parse::<Accelerator>().map_err(|_| AcceleratorError {
        text: text.to_owned(),
        problem: diagnose(text),
    })
}

/// The modifier names muda accepts (compared without case).
const MODIFIERS: &[&str] = &[
    "cmdorctrl",
    "cmdorcontrol",
    "commandorctrl",
    "commandorcontrol",
    "ctrl",
    "control",
    "alt",
    "option",
    "shift",
    "super",
    "cmd",
    "command",
    "meta",
];

fn is_modifier(token: &str) -> bool {
    MODIFIERS.iter().any(|m| m.eq_ignore_ascii_case(token))
}

fn is_key(token: &str) -> bool {
    !is_modifier(token) && token.parse::<Accelerator>().is_ok()
}

/// Splits the way muda does (the last `+` starts the key; `Ctrl++` means the `+` key) and
/// names the first part that muda would refuse.
fn diagnose(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "it is empty".to_owned();
    }
    let (modifiers, key) = match text.rfind('+') {
        Some(at) if text[at + 1..].trim().is_empty() => (text[..at].trim_end_matches('+'), "+"),
        Some(at) => (&text[..at], text[at + 1..].trim()),
        None => ("", text),
    };
    if !modifiers.is_empty() {
        for token in modifiers.split('+').map(str::trim) {
            if token.is_empty() {
                return "an empty part between two `+`".to_owned();
            }
            if is_modifier(token) {
                continue;
            }
            if is_key(token) {
                return format!("more than one key (\"{token}\" and \"{key}\")");
            }
            return format!("unknown modifier \"{token}\"");
        }
    }
    if is_modifier(key) {
        return format!("no key after the modifier \"{key}\"");
    }
    format!("unknown key \"{key}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_accelerators_parse() {
        for text in [
            "CmdOrCtrl+N",
            "Ctrl+Shift+X",
            "F5",
            "Alt+Enter",
            "super + a",
        ] {
            assert!(parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn each_mistake_is_named() {
        let cases = [
            ("Ctrl+Shft+X", "unknown modifier \"Shft\""),
            ("Ctrl+Shift+Foo", "unknown key \"Foo\""),
            ("Ctrl+A+B", "more than one key (\"A\" and \"B\")"),
            ("Ctrl+Shift", "no key after the modifier \"Shift\""),
            ("Ctrl++X", "an empty part between two `+`"),
            // muda splits `Ctrl++` as the `+` key, which it has no code for.
            ("Ctrl++", "unknown key \"+\""),
            ("", "it is empty"),
            ("  ", "it is empty"),
        ];
        for (text, problem) in cases {
            let e = parse(text).map(|_| ()).unwrap_err();
            assert_eq!(e.problem, problem, "{text}");
        }
    }

    #[test]
    fn the_message_is_apphosts_own() {
        let e = parse("Ctrl+Shft+X").map(|_| ()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "accelerator \"Ctrl+Shft+X\": unknown modifier \"Shft\"; write modifiers as \
             CmdOrCtrl, Ctrl, Alt, Shift, Super and a key such as A, F5, Enter"
        );
        assert!(!e.to_string().contains("github"));
    }
}
