//! JSON and bytes from the page to Rhai values and back. Integers stay integers (`INT`), bytes
//! become a blob, a blob returned whole goes back as raw bytes, and an object's keys keep their
//! order ([`super::order`]).

use rhai::{Array, Blob, Dynamic, Map};
use serde_json::{Number, Value};

use super::order;
use super::sandbox::{self, Size};
use crate::ipc::{Args, IpcError, Reply};
use crate::manifest::Limits;

/// Why a value cannot cross the sandbox's edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Unfit {
    /// JSON has no form for it (a function pointer, a host type).
    NoForm(String),
    /// A string, array or map larger than its limit (the message names the limit).
    TooLarge(String),
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfit::NoForm(m) | Unfit::TooLarge(m) => f.write_str(m),
        }
    }
}

impl From<Unfit> for IpcError {
    fn from(u: Unfit) -> IpcError {
        match u {
            Unfit::NoForm(m) => IpcError::Handler(m),
            Unfit::TooLarge(m) => IpcError::LimitExceeded(m),
        }
    }
}

/// The running call's limits, checked on every string, array and map crossing the edge.
struct Edge(Option<Limits>);

impl Edge {
    fn now() -> Edge {
        Edge(sandbox::limits())
    }

    fn check(&self, kind: Size, len: usize) -> Result<(), Unfit> {
        match self
            .0
            .as_ref()
            .and_then(|l| sandbox::len_error(l, kind, len))
        {
            Some(m) => Err(Unfit::TooLarge(m)),
            None => Ok(()),
        }
    }
}

/// The arguments as the script function's one parameter. A call with bytes and JSON fields
/// (`{path, data: Uint8Array}`) arrives as the fields' map with the bytes under `data`: the
/// transport keeps the bytes, not the field's name.
pub fn args(args: Args) -> Result<Dynamic, Unfit> {
    let edge = Edge::now();
    match args {
        Args::Json(v) => edge.value_of(v),
        Args::Bytes(b) => {
            edge.check(Size::Array, b.len())?;
            Ok(Dynamic::from_blob(b))
        }
        Args::Mixed(v, b) => {
            edge.check(Size::Array, b.len())?;
            let fields = edge.value_of(v)?;
            let tag = fields.tag();
            let mut map = fields.try_cast::<Map>().unwrap_or_default();
            map.insert("data".into(), Dynamic::from_blob(b));
            Ok(order::with_shape(map, tag))
        }
    }
}

/// A value made from JSON, each string, array and map checked against the running call's
/// limits (none outside a call); objects remember their key order.
pub fn from_json(v: Value) -> Result<Dynamic, Unfit> {
    Edge::now().value_of(v)
}

impl Edge {
    fn value_of(&self, v: Value) -> Result<Dynamic, Unfit> {
        Ok(match v {
            Value::Null => Dynamic::UNIT,
            Value::Bool(b) => b.into(),
            Value::Number(n) => match n.as_i64() {
                Some(i) => i.into(),
                None => n.as_f64().unwrap_or(f64::NAN).into(),
            },
            Value::String(s) => {
                self.check(Size::String, s.len())?;
                s.into()
            }
            Value::Array(a) => {
                self.check(Size::Array, a.len())?;
                a.into_iter()
                    .map(|v| self.value_of(v))
                    .collect::<Result<Array, _>>()?
                    .into()
            }
            Value::Object(o) => {
                self.check(Size::Map, o.len())?;
                let tag = order::shape(o.keys().map(String::as_str));
                let map = o
                    .into_iter()
                    .map(|(k, v)| Ok((k.into(), self.value_of(v)?)))
                    .collect::<Result<Map, Unfit>>()?;
                order::with_shape(map, tag)
            }
        })
    }
}

/// A script's result: a blob as bytes, anything else as JSON. A result whose JSON would pass
/// `max` bytes (about: scalars count 8) is `too_large` before it is built, so a value near
/// `max-memory` never turns into several times that in JSON.
pub fn reply(v: Dynamic, max: usize) -> Result<Reply, IpcError> {
    if v.is_blob() {
        return Ok(Reply::Bytes(v.cast::<Blob>()));
    }
    if size(&v, max) > max {
        return Err(IpcError::TooLarge(max));
    }
    let mut out = Vec::new();
    Edge::now().write(&v, &mut out)?;
    Ok(Reply::JsonText(out))
}

/// `v` as JSON text, as [`to_json`] would give it, written straight from the value.
pub fn json_text(v: &Dynamic) -> Result<String, Unfit> {
    let mut out = Vec::new();
    Edge::now().write(v, &mut out)?;
    // Only UTF-8 goes in: strings, escapes, ASCII numbers and punctuation.
    String::from_utf8(out).map_err(|e| Unfit::NoForm(e.to_string()))
}

/// About the JSON size of `v`, counting no further than `max`.
fn size(v: &Dynamic, max: usize) -> usize {
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return s.len() + 2;
    }
    if let Some(b) = v.read_lock::<Blob>() {
        return b.len() * 4;
    }
    let mut total = 2;
    if let Some(a) = v.read_lock::<Array>() {
        for x in a.iter() {
            total += size(x, max) + 1;
            if total > max {
                break;
            }
        }
    } else if let Some(m) = v.read_lock::<Map>() {
        for (k, x) in m.iter() {
            total += k.len() + 4 + size(x, max);
            if total > max {
                break;
            }
        }
    } else {
        total = 8;
    }
    total
}

/// JSON for a Rhai value, each string, array and map checked against the running call's
/// limits. Blobs inside a structure become arrays of numbers; a value JSON has no form for (a
/// function pointer, a host type) is an error naming its type; a map's keys come in its
/// remembered order.
pub fn to_json(v: &Dynamic) -> Result<Value, Unfit> {
    Edge::now().json_of(v)
}

impl Edge {
    /// Appends `v`'s JSON to `out` (the same text `json_of` then `to_string` gives, without the
    /// `Value` in between: a large result is written once instead of built and written).
    fn write(&self, v: &Dynamic, out: &mut Vec<u8>) -> Result<(), Unfit> {
        use std::io::Write as _;
        let text = |out: &mut Vec<u8>, s: &str| {
            // Escaping a `str` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *out, s);
        };
        if v.is_unit() {
            out.extend_from_slice(b"null");
        } else if let Ok(b) = v.as_bool() {
            out.extend_from_slice(if b { b"true" } else { b"false" });
        } else if let Ok(i) = v.as_int() {
            let _ = write!(out, "{i}");
        } else if let Ok(f) = v.as_float() {
            match Number::from_f64(f) {
                Some(n) => {
                    let _ = write!(out, "{n}");
                }
                None => out.extend_from_slice(b"null"),
            }
        } else if let Ok(c) = v.as_char() {
            text(out, c.encode_utf8(&mut [0; 4]));
        } else if v.is_shared() {
            return self.write(&v.flatten_clone(), out);
        } else if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
            self.check(Size::String, s.len())?;
            text(out, s.as_str());
        } else if let Some(b) = v.read_lock::<Blob>() {
            self.check(Size::Array, b.len())?;
            out.push(b'[');
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{x}");
            }
            out.push(b']');
        } else if let Some(a) = v.read_lock::<Array>() {
            self.check(Size::Array, a.len())?;
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.write(x, out)?;
            }
            out.push(b']');
        } else if let Some(m) = v.read_lock::<Map>() {
            self.check(Size::Map, m.len())?;
            out.push(b'{');
            for (i, k) in order::keys(v.tag(), &m).into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                text(out, k);
                out.push(b':');
                self.write(&m[k], out)?;
            }
            out.push(b'}');
        } else {
            return Err(Unfit::NoForm(format!(
                "a value of type `{}` has no JSON form",
                v.type_name()
            )));
        }
        Ok(())
    }

    fn json_of(&self, v: &Dynamic) -> Result<Value, Unfit> {
        if v.is_unit() {
            return Ok(Value::Null);
        }
        if let Ok(b) = v.as_bool() {
            return Ok(b.into());
        }
        if let Ok(i) = v.as_int() {
            return Ok(i.into());
        }
        if let Ok(f) = v.as_float() {
            return Ok(Number::from_f64(f).map_or(Value::Null, Value::Number));
        }
        if let Ok(c) = v.as_char() {
            return Ok(c.to_string().into());
        }
        if v.is_shared() {
            // A value a closure captured: its own tag is inside.
            return self.json_of(&v.flatten_clone());
        }
        if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
            self.check(Size::String, s.len())?;
            return Ok(s.as_str().into());
        }
        if let Some(b) = v.read_lock::<Blob>() {
            self.check(Size::Array, b.len())?;
            return Ok(b.iter().map(|&x| Value::from(x)).collect());
        }
        if let Some(a) = v.read_lock::<Array>() {
            self.check(Size::Array, a.len())?;
            return a
                .iter()
                .map(|x| self.json_of(x))
                .collect::<Result<_, _>>()
                .map(Value::Array);
        }
        if let Some(m) = v.read_lock::<Map>() {
            self.check(Size::Map, m.len())?;
            return order::keys(v.tag(), &m)
                .into_iter()
                .map(|k| Ok((k.to_owned(), self.json_of(&m[k])?)))
                .collect::<Result<serde_json::Map<_, _>, Unfit>>()
                .map(Value::Object);
        }
        Err(Unfit::NoForm(format!(
            "a value of type `{}` has no JSON form",
            v.type_name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_and_ints_stay_ints() {
        let v =
            json!({"a": [1, 2.5, "x", null, true], "b": {"c": -7}, "big": 18446744073709551615u64});
        let d = from_json(v.clone()).unwrap();
        assert!(d.read_lock::<Map>().is_some());
        let back = to_json(&d).unwrap();
        assert_eq!(back["a"], json!([1, 2.5, "x", null, true]));
        assert_eq!(back["b"]["c"], json!(-7));
        assert!(back["a"][0].is_i64());
        assert!(back["big"].is_f64());
    }

    #[test]
    fn bytes_become_blobs_and_go_back_raw() {
        let d = args(Args::Bytes(vec![1, 2, 3])).unwrap();
        assert!(d.is_blob());
        assert_eq!(reply(d, 10).unwrap(), Reply::Bytes(vec![1, 2, 3]));
        let d = args(Args::Mixed(json!({"path": "p"}), vec![9])).unwrap();
        let m = d.cast::<Map>();
        assert!(m["data"].is_blob());
        assert_eq!(m["path"].to_string(), "p");
    }

    #[test]
    fn results_past_the_payload_limit_are_too_large_before_conversion() {
        let big = from_json(json!({"a": ["x".repeat(600), "y".repeat(600)]})).unwrap();
        assert_eq!(reply(big.clone(), 1000), Err(IpcError::TooLarge(1000)));
        assert_eq!(
            reply(big, 2000),
            Ok(Reply::JsonText(
                format!(
                    "{{\"a\":[\"{}\",\"{}\"]}}",
                    "x".repeat(600),
                    "y".repeat(600)
                )
                .into_bytes()
            ))
        );
    }

    #[test]
    fn written_json_is_the_json_values_text() {
        let v = json!({"b": [1, -2.5, "x\"y\n\u{1}", null, true, {"z": 1, "a": []}], "a": "é", "n": 1e300});
        order::scope(|| {
            let d = from_json(v.clone()).unwrap();
            let text = json_text(&d).unwrap();
            assert_eq!(text, to_json(&d).unwrap().to_string());
            assert_eq!(text, v.to_string());
            let blob = Dynamic::from_blob(vec![0, 255]);
            assert_eq!(json_text(&blob).unwrap(), "[0,255]");
            assert_eq!(json_text(&Dynamic::from(f64::NAN)).unwrap(), "null");
            assert_eq!(json_text(&Dynamic::from('"')).unwrap(), r#""\"""#);
        });
    }

    #[test]
    fn values_without_json_form_are_errors() {
        let f = Dynamic::from(rhai::FnPtr::new("f").unwrap());
        assert!(
            to_json(&f)
                .unwrap_err()
                .to_string()
                .contains("has no JSON form")
        );
    }
}
