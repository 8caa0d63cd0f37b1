//! Errors and warnings about a manifest, and their rendering with a caret excerpt:
//!
//! ```text
//! error: unknown key `widht`
//!  --> app.toml:7:1
//!   |
//! 7 | widht = 900
//!   | ^^^^^ window[0].widht
//!   = help: did you mean `width`?
//! ```

use std::fmt::Write as _;

use super::Format;
use super::node::Span;
use super::path::KeyPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where in the manifest, as a key path; also used to find the span when none is set.
    pub path: Option<KeyPath>,
    /// Point at the key itself rather than its value.
    pub on_key: bool,
    pub span: Option<Span>,
    pub help: Option<Help>,
    /// A problem in another file than the manifest (a script's compile error): that file, and
    /// `span` is in its text.
    pub source: Option<Box<Source>>,
}

/// The `= help:` line. A hint that shows manifest syntax is written in both formats, so that an
/// `app.json5` is not told to write TOML; rendering picks the form of the file shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Help {
    Text(String),
    Syntax { toml: String, json5: String },
}

impl Help {
    pub fn text(&self, format: Format) -> &str {
        match (self, format) {
            (Help::Text(t), _) => t,
            (Help::Syntax { toml, .. }, Format::Toml) => toml,
            (Help::Syntax { json5, .. }, Format::Json5) => json5,
        }
    }
}

/// A file a diagnostic points into instead of the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Relative to the manifest's folder, as the manifest names it.
    pub file: String,
    pub text: String,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            path: None,
            on_key: false,
            span: None,
            help: None,
            source: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Self::error(message)
        }
    }

    pub fn at(mut self, path: KeyPath) -> Self {
        self.path = Some(path);
        self
    }

    pub fn at_key(mut self, path: KeyPath) -> Self {
        self.path = Some(path);
        self.on_key = true;
        self
    }

    pub fn span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Points the diagnostic at 1-based `line`:`column` (in characters) of `file`'s `text`.
    pub fn in_file(mut self, file: &str, text: String, line: usize, column: usize) -> Self {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let rest = text.get(line_start..).unwrap_or_default();
        let offset = line_start
            + rest
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i);
        let end = offset
            + rest
                .get(offset - line_start..)
                .and_then(|r| r.chars().next())
                .map_or(0, char::len_utf8);
        self.span = Some(offset..end);
        self.source = Some(Box::new(Source {
            file: file.to_owned(),
            text,
        }));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.hint(help);
        self
    }

    /// A help line showing syntax, as written in TOML and in JSON5.
    pub fn help_syntax(mut self, toml: impl Into<String>, json5: impl Into<String>) -> Self {
        self.hint_syntax(toml, json5);
        self
    }

    pub fn did_you_mean(mut self, suggestion: Option<&str>) -> Self {
        self.suggest(suggestion);
        self
    }

    /// Sets the help line of a diagnostic already built.
    pub fn hint(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(Help::Text(help.into()));
        self
    }

    /// Sets a help line showing syntax, as written in TOML and in JSON5.
    pub fn hint_syntax(&mut self, toml: impl Into<String>, json5: impl Into<String>) -> &mut Self {
        self.help = Some(Help::Syntax {
            toml: toml.into(),
            json5: json5.into(),
        });
        self
    }

    /// "did you mean …?" when there is a suggestion; otherwise leaves the help line alone.
    pub fn suggest(&mut self, suggestion: Option<&str>) -> &mut Self {
        if let Some(s) = suggestion {
            self.help = Some(Help::Text(format!("did you mean `{s}`?")));
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic against the manifest text it is about; syntax in the help line
    /// follows `file`'s format.
    pub fn render(&self, file: &str, text: &str) -> String {
        let help = self
            .help
            .as_ref()
            .map(|h| h.text(Format::of(std::path::Path::new(file))));
        let mut out = String::new();
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{level}: {}", self.message);
        let path_label = self
            .path
            .as_ref()
            .filter(|p| !p.is_root())
            .map(|p| p.to_string());
        match &self.span {
            Some(span) if span.start <= text.len() => {
                let start = floor_char_boundary(text, span.start);
                let span = start..floor_char_boundary(text, span.end.clamp(start, text.len()));
                let (line_no, col, line) = locate(text, span.start);
                let gutter = line_no.to_string().len();
                let pad = " ".repeat(gutter);
                let _ = writeln!(out, "{pad}--> {file}:{line_no}:{col}");
                let _ = writeln!(out, "{pad} |");
                let shown = line.replace('\t', "    ");
                let _ = writeln!(out, "{line_no} | {shown}");
                let prefix = &text[text[..span.start].rfind('\n').map_or(0, |i| i + 1)..span.start];
                let indent = width(prefix);
                let end = span
                    .end
                    .clamp(span.start, span.start + line.len() - prefix.len());
                let carets = width(&text[span.start..end]).max(1);
                let _ = write!(out, "{pad} | {}{}", " ".repeat(indent), "^".repeat(carets));
                match &path_label {
                    Some(p) => {
                        let _ = writeln!(out, " {p}");
                    }
                    None => out.push('\n'),
                }
                if let Some(help) = help {
                    let _ = writeln!(out, "{pad} = help: {help}");
                }
            }
            _ => {
                match &path_label {
                    Some(p) => {
                        let _ = writeln!(out, " --> {file} ({p})");
                    }
                    None => {
                        let _ = writeln!(out, " --> {file}");
                    }
                }
                if let Some(help) = help {
                    let _ = writeln!(out, "  = help: {help}");
                }
            }
        }
        out
    }
}

/// Display width of `s` in the excerpt: tabs shown as four spaces, other chars as one.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// 1-based line and column (in characters) of byte `offset`, and the text of that line.
pub fn locate(text: &str, offset: usize) -> (usize, usize, &str) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line_no = text[..offset].matches('\n').count() + 1;
    let col = text[line_start..offset].chars().count() + 1;
    let line = text[line_start..line_end].trim_end_matches('\r');
    (line_no, col, line)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let text = "[app]\nid = 'x'\n\n[[window]]\nwidht = 900\n";
        let start = text.find("widht").unwrap();
        let d = Diagnostic::error("unknown key `widht`")
            .at_key(crate::key_path!["window", 0, "widht"])
            .span(start..start + 5)
            .did_you_mean(Some("width"));
        assert_eq!(
            d.render("app.toml", text),
            "error: unknown key `widht`\n --> app.toml:5:1\n  |\n5 | widht = 900\n  | ^^^^^ window[0].widht\n  = help: did you mean `width`?\n"
        );
    }

    #[test]
    fn syntax_help_follows_the_file_format() {
        let d = Diagnostic::error("missing `emit`").help_syntax("`emit = \"x\"`", "`emit: \"x\"`");
        assert!(
            d.render("app.toml", "")
                .ends_with("= help: `emit = \"x\"`\n")
        );
        assert!(
            d.render("dir/app.json5", "")
                .ends_with("= help: `emit: \"x\"`\n")
        );
    }

    #[test]
    fn locates_multibyte_columns() {
        let text = "a = \"é\" x";
        let (l, c, _) = locate(text, text.find('x').unwrap());
        assert_eq!((l, c), (1, 9));
    }

    #[test]
    fn renders_without_span() {
        let d = Diagnostic::error("missing [app] section");
        assert_eq!(
            d.render("app.toml", ""),
            "error: missing [app] section\n --> app.toml\n"
        );
    }
}
