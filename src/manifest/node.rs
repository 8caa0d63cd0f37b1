//! A format-neutral document tree in which every key and value keeps its byte span.
//!
//! `app.toml` and `app.json5` both parse into a [`Node`]; the manifest types are then deserialized
//! from it by [`from_node`], a serde `Deserializer` that knows where it is. That is what lets
//! both formats report the same errors with the same `file:line:col` and key path, and lets
//! [`from_node_all`] report every type error at once instead of stopping at the first.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::path::{KeyPath, Seg};

pub type Span = Range<usize>;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// TOML dates and times, kept as text: no manifest key takes one.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
    /// A value removed after it produced an error, so that deserialization can go on and find
    /// the next error. Never produced by a parser.
    Pruned,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub node: Node,
}

impl Value {
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Datetime(_) => "a datetime",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
            Value::Pruned => "nothing",
        }
    }
}

impl Node {
    /// The node at `path`, with the span of its key when the last segment is a key.
    pub fn lookup(&self, path: &KeyPath) -> Option<(&Node, Option<&Span>)> {
        let mut node = self;
        let mut key_span = None;
        for seg in path.segs() {
            match (seg, &node.value) {
                (Seg::Key(k), Value::Table(entries)) => {
                    let e = entries.iter().find(|e| &e.key == k)?;
                    key_span = Some(&e.key_span);
                    node = &e.node;
                }
                (Seg::Index(i), Value::Array(items)) => {
                    key_span = None;
                    node = items.get(*i)?;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }

    fn prune(&mut self, path: &KeyPath) -> bool {
        let mut node = self;
        for seg in path.segs() {
            node = match (seg, &mut node.value) {
                (Seg::Key(k), Value::Table(entries)) => {
                    match entries.iter_mut().find(|e| &e.key == k) {
                        Some(e) => &mut e.node,
                        None => return false,
                    }
                }
                (Seg::Index(i), Value::Array(items)) => match items.get_mut(*i) {
                    Some(n) => n,
                    None => return false,
                },
                _ => return false,
            };
        }
        if node.value == Value::Pruned {
            return false;
        }
        node.value = Value::Pruned;
        true
    }
}

/// What went wrong while mapping the tree onto the manifest types.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub message: String,
    pub path: KeyPath,
    pub span: Option<Span>,
    /// For unknown keys and names: the nearest expected one.
    pub suggestion: Option<String>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            path: KeyPath::root(),
            span: None,
            suggestion: None,
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::custom(format!("unknown key `{field}`"));
        e.suggestion = super::suggest::closest(field, expected.iter().copied()).map(str::to_owned);
        e
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::custom(format!(
            "unknown value `{variant}`, expected one of {}",
            expected
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        e.suggestion =
            super::suggest::closest(variant, expected.iter().copied()).map(str::to_owned);
        e
    }

    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Self::custom(format!(
            "expected {}, found {}",
            plain(&format_args!("{exp}")),
            describe(unexp)
        ))
    }

    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        Self::custom(format!(
            "invalid value {}, expected {}",
            describe(unexp),
            plain(&format_args!("{exp}"))
        ))
    }
}

/// Serde's names for what it expected ("u32", "struct WindowSection", "a sequence") in the
/// words of the manifest's formats.
fn plain(exp: &dyn fmt::Display) -> String {
    let s = exp.to_string();
    match s.as_str() {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "a table".to_owned(),
        "a boolean" => "`true` or `false`".to_owned(),
        _ if s.starts_with("struct ") => "a table".to_owned(),
        _ if s.starts_with("enum ") => "a string".to_owned(),
        _ => s,
    }
}

fn describe(u: de::Unexpected) -> String {
    match u {
        de::Unexpected::Bool(b) => format!("boolean `{b}`"),
        de::Unexpected::Signed(i) => format!("integer `{i}`"),
        de::Unexpected::Unsigned(i) => format!("integer `{i}`"),
        de::Unexpected::Float(f) => format!("float `{f}`"),
        de::Unexpected::Str(s) => format!("string {s:?}"),
        de::Unexpected::Seq => "an array".to_owned(),
        de::Unexpected::Map => "a table".to_owned(),
        de::Unexpected::Unit => "null".to_owned(),
        other => other.to_string(),
    }
}

/// Deserializes `T` from `root`, stopping at the first error.
pub fn from_node<T: DeserializeOwned>(root: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node: root,
        path: KeyPath::root(),
    })
}

/// Deserializes `T` from `root` and reports every error: after each one the offending value is
/// pruned and deserialization runs again, up to `max_errors` times. Returns the errors and, when
/// pruning got rid of all of them, the value of what was left (so that later checks can still
/// look at the rest of the document).
pub fn from_node_all<T: DeserializeOwned>(
    root: &Node,
    max_errors: usize,
) -> (Option<T>, Vec<DeError>) {
    let first = match from_node(root) {
        Ok(v) => return (Some(v), Vec::new()),
        Err(e) => e,
    };
    let mut tree = root.clone();
    let mut errors = vec![first];
    while errors.len() < max_errors {
        let last = errors.last().map(|e| e.path.clone()).unwrap_or_default();
        // An error on the whole document cannot be pruned away.
        if last.is_root() || !tree.prune(&last) {
            break;
        }
        match from_node::<T>(&tree) {
            Ok(v) => return (Some(v), errors),
            Err(e) => {
                if errors.contains(&e) {
                    break;
                }
                errors.push(e)
            }
        }
    }
    (None, errors)
}

struct NodeDe<'a> {
    node: &'a Node,
    path: KeyPath,
}

impl NodeDe<'_> {
    /// Gives an error raised for this node its place, unless a deeper node already did.
    fn locate(&self, mut e: DeError) -> DeError {
        if e.span.is_none() {
            e.span = Some(self.node.span.clone());
            e.path = self.path.clone();
        }
        e
    }
}

macro_rules! forward_to_any {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.deserialize_any(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null | Value::Pruned => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_str(s),
            Value::Datetime(s) => Err(de::Error::custom(format!(
                "expected {}, found datetime `{s}`",
                ExpectedOf(&visitor)
            ))),
            Value::Array(items) => visitor.visit_seq(SeqDe {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            Value::Table(entries) => visitor.visit_map(MapDe {
                entries: entries.iter(),
                current: None,
                path: &self.path,
            }),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null | Value::Pruned => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            other => Err(de::Error::custom(format!(
                "expected {}, found {}",
                plain(&ExpectedOf(&visitor)),
                other.kind()
            ))),
        };
        r.map_err(|e| self.locate(e))
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
}

/// Renders what a visitor expects ("a string", "struct Window"…).
struct ExpectedOf<'v, V>(&'v V);

impl<'de, V: Visitor<'de>> fmt::Display for ExpectedOf<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

struct SeqDe<'a, I> {
    items: I,
    path: &'a KeyPath,
}

impl<'de, 'a, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de> for SeqDe<'a, I> {
    type Error = DeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        for (i, node) in self.items.by_ref() {
            if node.value == Value::Pruned {
                continue;
            }
            let de = NodeDe {
                node,
                path: self.path.index(i),
            };
            return seed.deserialize(de).map(Some);
        }
        Ok(None)
    }
}

struct MapDe<'a, I> {
    entries: I,
    current: Option<&'a Entry>,
    path: &'a KeyPath,
}

impl<'de, 'a, I: Iterator<Item = &'a Entry>> de::MapAccess<'de> for MapDe<'a, I> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for entry in self.entries.by_ref() {
            if entry.node.value == Value::Pruned {
                continue;
            }
            self.current = Some(entry);
            let key: de::value::StrDeserializer<'_, DeError> =
                entry.key.as_str().into_deserializer();
            return seed.deserialize(key).map(Some).map_err(|mut e| {
                e.span = Some(entry.key_span.clone());
                e.path = self.path.key(&entry.key);
                e
            });
        }
        Ok(None)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        let Some(entry) = self.current.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        seed.deserialize(NodeDe {
            node: &entry.node,
            path: self.path.key(&entry.key),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn n(value: Value) -> Node {
        Node { span: 0..0, value }
    }
    fn entry(key: &str, span: Span, node: Node) -> Entry {
        Entry {
            key: key.into(),
            key_span: span,
            node,
        }
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        a: Option<u32>,
        b: Option<String>,
        c: Option<Vec<u8>>,
    }

    #[test]
    fn errors_carry_path_span_and_suggestion() {
        let root = n(Value::Table(vec![
            entry("aa", 1..3, n(Value::Int(1))),
            entry(
                "b",
                5..6,
                Node {
                    span: 8..10,
                    value: Value::Int(2),
                },
            ),
            entry(
                "c",
                11..12,
                n(Value::Array(vec![
                    n(Value::Int(1)),
                    Node {
                        span: 20..24,
                        value: Value::Int(300),
                    },
                ])),
            ),
        ]));
        let (rest, errs) = from_node_all::<S>(&root, 10);
        let rest = rest.unwrap();
        assert_eq!((rest.a, rest.c), (None, Some(vec![1])));
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert_eq!(errs[0].message, "unknown key `aa`");
        assert_eq!(errs[0].suggestion.as_deref(), Some("a"));
        assert_eq!(errs[0].span, Some(1..3));
        assert_eq!(errs[1].message, "expected a string, found integer `2`");
        assert_eq!(
            errs[2].message,
            "invalid value integer `300`, expected a whole number, 0 or more"
        );
        assert_eq!(errs[1].path.to_string(), "b");
        assert_eq!(errs[1].span, Some(8..10));
        assert_eq!(errs[2].path.to_string(), "c[1]");
        assert_eq!(errs[2].span, Some(20..24));
        assert!(errs[2].message.contains("300"), "{}", errs[2].message);
    }

    #[test]
    fn valid_tree_deserializes() {
        let root = n(Value::Table(vec![entry("a", 0..1, n(Value::Int(7)))]));
        let s: S = from_node(&root).unwrap();
        assert_eq!(s.a, Some(7));
    }
}
