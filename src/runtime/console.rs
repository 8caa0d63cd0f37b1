//! The page's console in the terminal: lines that `console.js` posts (console calls, uncaught
//! errors, unhandled rejections), printed to stderr with the window's label and the source
//! line, in colour only when stderr is a terminal.

use std::io::{IsTerminal as _, Write as _};

use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    text: String,
    #[serde(default)]
    source: String,
}

/// Prints one posted console line; malformed ones are dropped.
pub fn print(label: &str, level: &str, payload: &str) {
    let Ok(line) = serde_json::from_str::<Line>(payload) else {
        return;
    };
    let colour = std::io::stderr().is_terminal();
    let text = format_line(label, level, &line.text, &line.source, colour);
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `[main] console.warn: text  (app://localhost/app.js:12)`; errors red, warnings yellow.
pub fn format_line(label: &str, level: &str, text: &str, source: &str, colour: bool) -> String {
    let (on, off) = match (colour, level) {
        (false, _) => ("", ""),
        (true, "error" | "uncaught" | "unhandled rejection") => ("\x1b[31m", "\x1b[0m"),
        (true, "warn") => ("\x1b[33m", "\x1b[0m"),
        (true, _) => ("\x1b[2m", "\x1b[0m"),
    };
    let what = match level {
        "uncaught" | "unhandled rejection" => level.to_owned(),
        other => format!("console.{other}"),
    };
    // Control characters from the page must not drive the terminal.
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    let at = if source.is_empty() {
        String::new()
    } else {
        format!("  ({source})")
    };
    format!("{on}[{label}] {what}:{off} {clean}{at}")
}

#[cfg(test)]
mod tests {
    use super::format_line;

    #[test]
    fn lines() {
        assert_eq!(
            format_line("main", "log", "hi", "app://localhost/a.js:3", false),
            "[main] console.log: hi  (app://localhost/a.js:3)"
        );
        assert_eq!(
            format_line("w", "uncaught", "TypeError: x", "", false),
            "[w] uncaught: TypeError: x"
        );
        assert_eq!(
            format_line("w", "error", "bad", "", true),
            "\x1b[31m[w] console.error:\x1b[0m bad"
        );
        assert_eq!(
            format_line("w", "log", "a\x1b[2Jb", "", false),
            "[w] console.log: a\u{fffd}[2Jb"
        );
    }
}
