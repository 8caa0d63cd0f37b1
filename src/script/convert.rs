//! JSON and bytes from the page to Rhai values and back. Integers stay integers (`INT`), bytes
//! become a blob, and a blob returned whole goes back as raw bytes.

use rhai::{Array, Blob, Dynamic, Map};
use serde_json::{Number, Value};

use crate::ipc::{Args, IpcError, Reply};

/// The arguments as the script function's one parameter. A call with bytes and JSON fields
/// (`{path, data: Uint8Array}`) arrives as the fields' map with the bytes under `data`: the
/// transport keeps the bytes, not the field's name.
pub fn args(args: Args) -> Dynamic {
    match args {
        Args::Json(v) => from_json(v),
        Args::Bytes(b) => Dynamic::from_blob(b),
        Args::Mixed(v, b) => {
            let mut map = from_json(v).try_cast::<Map>().unwrap_or_default();
            map.insert("data".into(), Dynamic::from_blob(b));
            map.into()
        }
    }
}

pub fn from_json(v: Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or(f64::NAN).into(),
        },
        Value::String(s) => s.into(),
        Value::Array(a) => a.into_iter().map(from_json).collect::<Array>().into(),
        Value::Object(o) => o
            .into_iter()
            .map(|(k, v)| (k.into(), from_json(v)))
            .collect::<Map>()
            .into(),
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
    to_json(&v).map(Reply::Json).map_err(IpcError::Handler)
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

/// JSON for a Rhai value. Blobs inside a structure become arrays of numbers; a value JSON has
/// no form for (a function pointer, a host type) is an error naming its type.
pub fn to_json(v: &Dynamic) -> Result<Value, String> {
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
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return Ok(s.as_str().into());
    }
    if let Some(b) = v.read_lock::<Blob>() {
        return Ok(b.iter().map(|&x| Value::from(x)).collect());
    }
    if let Some(a) = v.read_lock::<Array>() {
        return a
            .iter()
            .map(to_json)
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    if let Some(m) = v.read_lock::<Map>() {
        return m
            .iter()
            .map(|(k, v)| Ok((k.to_string(), to_json(v)?)))
            .collect::<Result<serde_json::Map<_, _>, String>>()
            .map(Value::Object);
    }
    Err(format!(
        "a value of type `{}` has no JSON form",
        v.type_name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_and_ints_stay_ints() {
        let v =
            json!({"a": [1, 2.5, "x", null, true], "b": {"c": -7}, "big": 18446744073709551615u64});
        let d = from_json(v.clone());
        assert!(d.read_lock::<Map>().is_some());
        let back = to_json(&d).unwrap();
        assert_eq!(back["a"], json!([1, 2.5, "x", null, true]));
        assert_eq!(back["b"]["c"], json!(-7));
        assert!(back["a"][0].is_i64());
        assert!(back["big"].is_f64());
    }

    #[test]
    fn bytes_become_blobs_and_go_back_raw() {
        let d = args(Args::Bytes(vec![1, 2, 3]));
        assert!(d.is_blob());
        assert_eq!(reply(d, 10).unwrap(), Reply::Bytes(vec![1, 2, 3]));
        let d = args(Args::Mixed(json!({"path": "p"}), vec![9]));
        let m = d.cast::<Map>();
        assert!(m["data"].is_blob());
        assert_eq!(m["path"].to_string(), "p");
    }

    #[test]
    fn results_past_the_payload_limit_are_too_large_before_conversion() {
        let big = from_json(json!({"a": ["x".repeat(600), "y".repeat(600)]}));
        assert_eq!(reply(big.clone(), 1000), Err(IpcError::TooLarge(1000)));
        assert!(reply(big, 2000).is_ok());
    }

    #[test]
    fn values_without_json_form_are_errors() {
        let f = Dynamic::from(rhai::FnPtr::new("f").unwrap());
        assert!(to_json(&f).unwrap_err().contains("has no JSON form"));
    }
}
