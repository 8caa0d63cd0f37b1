//! `app.toml` and `app.json5` text → [`Node`] tree, or syntax errors with spans.
//!
//! TOML goes through `toml`'s spanned, error-recovering parser. JSON5 has a small structural
//! parser here (objects, arrays, comments, spans) that hands each string and number token to
//! the `json5` crate for decoding, so escapes and number forms follow that crate exactly.

mod json5;

pub use json5::json5;

use super::node::{Entry, Node, Span, Value};

/// Deeper nesting than any manifest needs; bounds recursion on hostile input.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

fn err(message: impl Into<String>, span: Span) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        span,
    }
}

pub fn toml(text: &str) -> Result<Node, Vec<SyntaxError>> {
    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    // The TOML parser recurses on nested inline arrays and tables; refuse absurd nesting before
    // it sees the text.
    if let Some(span) = nesting_beyond(text, MAX_DEPTH) {
        return Err(vec![err(
            format!("nesting deeper than {MAX_DEPTH} levels"),
            span,
        )]);
    }

    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| {
                let span = e.span().unwrap_or(0..0);
                let mut msg = e.message().trim_end().to_owned();
                if msg == "duplicate key"
                    && let Some(key) = text.get(span.clone())
                {
                    msg = format!("duplicate key `{key}`");
                }
                err(msg, span)
            })
            .collect());
    }

    fn convert(v: &Spanned<DeValue<'_>>) -> Node {
        let span = v.span();
        let value = match v.get_ref() {
            DeValue::String(s) => Value::String(s.to_string()),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Value::Int(n),
                // Out of i64 range: keep the text so the type error can show it.
                Err(_) => Value::Float(i.as_str().parse().unwrap_or(f64::INFINITY)),
            },
            DeValue::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Datetime(d) => Value::Datetime(d.to_string()),
            DeValue::Array(items) => Value::Array(items.iter().map(convert).collect()),
            DeValue::Table(t) => Value::Table(convert_table(t)),
        };
        Node { span, value }
    }

    fn convert_table(t: &DeTable<'_>) -> Vec<Entry> {
        t.iter()
            .map(|(k, v)| Entry {
                key: k.get_ref().to_string(),
                key_span: k.span(),
                node: convert(v),
            })
            .collect()
    }

    Ok(Node {
        span: table.span(),
        value: Value::Table(convert_table(table.get_ref())),
    })
}

/// The span of the first bracket that opens nesting deeper than `max`, counting `[` and `{`
/// outside strings and comments. Conservative: it only has to bound recursion.
fn nesting_beyond(text: &str, max: usize) -> Option<Span> {
    let mut depth = 0usize;
    let mut in_str: Option<char> = None;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if let Some(q) = in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q || c == '\n' {
                in_str = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => in_str = Some(c),
            '#' => in_comment = true,
            '[' | '{' => {
                depth += 1;
                if depth > max {
                    return Some(i..i + 1);
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert!(json5(&deep).unwrap_err()[0].message.contains("nesting"));
        let deep_toml = format!("a = {}", "[".repeat(100_000));
        assert!(toml(&deep_toml).unwrap_err()[0].message.contains("nesting"));
    }

    #[test]
    fn toml_reports_every_syntax_error() {
        let src = "a = \nb = [1,\n[c\n";
        let errs = toml(src).unwrap_err();
        assert!(errs.len() >= 2, "{errs:?}");
        assert!(errs.iter().all(|e| e.span.end <= src.len()));
    }

    #[test]
    fn toml_keeps_key_spans() {
        let src = "[app]\nid = \"x\"\n[[window]]\nlabel = 'm'\n";
        let n = toml(src).unwrap();
        let (node, key) = n.lookup(&crate::key_path!["window", 0, "label"]).unwrap();
        assert_eq!(&src[key.unwrap().clone()], "label");
        assert_eq!(&src[node.span.clone()], "'m'");
    }
}
