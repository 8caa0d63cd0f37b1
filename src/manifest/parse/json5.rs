//! The JSON5 side of [`super`]: a small structural parser that keeps spans and hands each
//! string and number token to the `json5` crate for decoding.

use super::{MAX_DEPTH, SyntaxError, err};
use crate::manifest::node::{Entry, Node, Value};

pub fn json5(text: &str) -> Result<Node, Vec<SyntaxError>> {
    let mut p = Json5 { text, pos: 0 };
    p.skip_ws().map_err(|e| vec![e])?;
    let node = p.value(0).map_err(|e| vec![e])?;
    p.skip_ws().map_err(|e| vec![e])?;
    if p.pos < text.len() {
        return Err(vec![err(
            "unexpected text after the end of the document",
            p.pos..p.next_char_end(),
        )]);
    }
    Ok(node)
}

struct Json5<'t> {
    text: &'t str,
    pos: usize,
}

impl Json5<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn next_char_end(&self) -> usize {
        self.pos + self.peek().map_or(0, char::len_utf8)
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        loop {
            let rest = self.rest();
            if rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(body) = rest.strip_prefix("/*") {
                match body.find("*/") {
                    Some(end) => self.pos += end + 4,
                    None => return Err(err("unterminated /* comment", self.pos..self.pos + 2)),
                }
            } else if let Some(c) = self.peek()
                && (json5::char::is_json5_whitespace(c) || json5::char::is_json5_line_terminator(c))
            {
                self.pos += c.len_utf8();
            } else {
                return Ok(());
            }
        }
    }

    fn expected(&self, what: &str) -> SyntaxError {
        match self.peek() {
            Some(c) => err(
                format!("expected {what}, found `{c}`"),
                self.pos..self.next_char_end(),
            ),
            None => err(
                format!("expected {what}, found the end of the file"),
                self.pos..self.pos,
            ),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let value = match self.peek() {
            Some('{') | Some('[') if depth >= MAX_DEPTH => {
                return Err(err(
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                    start..start + 1,
                ));
            }
            Some('{') => Value::Table(self.object(depth)?),
            Some('[') => Value::Array(self.array(depth)?),
            Some('"') | Some('\'') => Value::String(self.string()?),
            Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => self.number()?,
            Some(c) if json5::char::is_json5_identifier_start(c) => {
                let word = self.identifier();
                match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    "Infinity" => Value::Float(f64::INFINITY),
                    "NaN" => Value::Float(f64::NAN),
                    _ => {
                        return Err(err(
                            format!("expected a value, found `{word}` (strings need quotes)"),
                            start..self.pos,
                        ));
                    }
                }
            }
            _ => return Err(self.expected("a value")),
        };
        Ok(Node {
            span: start..self.pos,
            value,
        })
    }

    fn identifier(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek()
            && json5::char::is_json5_identifier(c)
        {
            self.pos += c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn object(&mut self, depth: usize) -> Result<Vec<Entry>, SyntaxError> {
        self.pos += 1; // {
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some('}') {
                self.pos += 1;
                return Ok(entries);
            }
            let key_start = self.pos;
            let key = match self.peek() {
                Some('"') | Some('\'') => self.string()?,
                Some(c) if json5::char::is_json5_identifier_start(c) => {
                    self.identifier().to_owned()
                }
                _ => return Err(self.expected("a key or `}`")),
            };
            let key_span = key_start..self.pos;
            if let Some(first) = entries.iter().find(|e| e.key == key) {
                let line = self.text[..first.key_span.start].matches('\n').count() + 1;
                return Err(err(
                    format!("duplicate key `{key}` (first defined on line {line})"),
                    key_span,
                ));
            }
            self.skip_ws()?;
            if self.peek() != Some(':') {
                return Err(self.expected("`:`"));
            }
            self.pos += 1;
            self.skip_ws()?;
            let node = self.value(depth + 1)?;
            entries.push(Entry {
                key,
                key_span,
                node,
            });
            self.skip_ws()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                _ => return Err(self.expected("`,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Node>, SyntaxError> {
        self.pos += 1; // [
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(']') {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {}
                _ => return Err(self.expected("`,` or `]`")),
            }
        }
    }

    /// Finds the end of a quoted string, then lets the `json5` crate decode its escapes.
    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        let mut chars = self.text[start..].char_indices();
        let Some((_, quote)) = chars.next() else {
            return Err(self.expected("a string"));
        };
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '\n' | '\r' => break,
                c if c == quote => {
                    end = Some(start + i + 1);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            let line_end = self.text[start..]
                .find(['\n', '\r'])
                .map_or(self.text.len(), |i| start + i);
            return Err(err("unterminated string", start..line_end));
        };
        self.pos = end;
        json5::from_str::<String>(&self.text[start..end])
            .map_err(|e| err(format!("invalid string: {}", json5_message(&e)), start..end))
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')))
            .unwrap_or(self.rest().len());
        self.pos += len;
        let token = &self.text[start..self.pos];
        if let Ok(i) = json5::from_str::<i64>(token) {
            return Ok(Value::Int(i));
        }
        json5::from_str::<f64>(token)
            .map(Value::Float)
            .map_err(|_| err(format!("invalid number `{token}`"), start..self.pos))
    }
}

/// The json5 crate's message without its own " at line L column C" (the span says where).
fn json5_message(e: &json5::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::node::Span;

    fn keys(n: &Node) -> Vec<(&str, Span)> {
        match &n.value {
            Value::Table(es) => es
                .iter()
                .map(|e| (e.key.as_str(), e.key_span.clone()))
                .collect(),
            _ => vec![],
        }
    }

    #[test]
    fn json5_spans_keys_and_values() {
        let src =
            "{ // c\n  app: { id: 'a.b', 'n': \"x\\ty\" },\n  w: [1, 0x10, .5, +Infinity,],\n}";
        let n = json5(src).unwrap();
        let k = keys(&n);
        assert_eq!(k[0].0, "app");
        assert_eq!(&src[k[0].1.clone()], "app");
        let Value::Table(es) = &n.value else { panic!() };
        let app = &es[0].node;
        assert_eq!(&src[app.span.clone()], "{ id: 'a.b', 'n': \"x\\ty\" }");
        let Value::Table(app_es) = &app.value else {
            panic!()
        };
        assert_eq!(app_es[1].node.value, Value::String("x\ty".into()));
        let Value::Array(w) = &es[1].node.value else {
            panic!()
        };
        assert_eq!(w[0].value, Value::Int(1));
        assert_eq!(w[1].value, Value::Int(16));
        assert_eq!(w[2].value, Value::Float(0.5));
        assert_eq!(w[3].value, Value::Float(f64::INFINITY));
    }

    #[test]
    fn json5_syntax_errors_have_spans() {
        for (src, msg, at) in [
            (
                "{ a: 1 ",
                "expected `,` or `}`, found the end of the file",
                7,
            ),
            (
                "{ a: 1, ",
                "expected a key or `}`, found the end of the file",
                8,
            ),
            ("{ a 1 }", "expected `:`, found `1`", 4),
            ("{ a: 'x\n }", "unterminated string", 5),
            (
                "{ a: yes }",
                "expected a value, found `yes` (strings need quotes)",
                5,
            ),
            (
                "{ a: 1 } x",
                "unexpected text after the end of the document",
                9,
            ),
            (
                "{ a: 1, a: 2 }",
                "duplicate key `a` (first defined on line 1)",
                8,
            ),
            ("{ a: 1.2.3 }", "invalid number `1.2.3`", 5),
            (
                "{\n a: 1,\n a: 2 }",
                "duplicate key `a` (first defined on line 2)",
                10,
            ),
            ("/* x", "unterminated /* comment", 0),
        ] {
            let e = &json5(src).unwrap_err()[0];
            assert_eq!(e.message, msg, "{src}");
            assert_eq!(e.span.start, at, "{src}");
        }
    }
}
