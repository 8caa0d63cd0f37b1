//! Key order for object maps. Rhai's maps are sorted by key, but a converter must give back a
//! JSON object or a CSV row with its keys in the order they came in. A map made from ordered
//! input remembers that order in its tag (rhai's per-value `tag`): the tag numbers an entry in
//! the running call's table of *shapes* (distinct key orders), so 5,000 rows of one CSV file
//! share one shape and cost one tag each.
//!
//! Writing a map back out ([`keys`]) lists the keys of its shape that it still has, in the
//! shape's order, then any others in sorted order. A map without a shape (a literal, a map made
//! by merging two others) lists its keys sorted. The table lives for one call ([`scope`]);
//! across calls, order lives in the JSON text.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map};

/// The shapes of the running call; tag `n` (from 1) is `shapes[n - 1]`.
#[derive(Default)]
struct Table {
    shapes: Vec<Rc<[String]>>,
    index: HashMap<Rc<[String]>, i32>,
    /// The shapes found last, checked before anything is allocated: the objects of one JSON
    /// array (and the objects nested in them) come with the same few key orders again and again.
    recent: Vec<i32>,
}

/// How many shapes [`Table::recent`] keeps.
const RECENT: usize = 4;

thread_local! {
    static TABLE: RefCell<Option<Table>> = const { RefCell::new(None) };
}

/// Runs `f` with a fresh table of shapes on this thread (the previous one restored after).
pub fn scope<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Table>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            TABLE.with(|t| *t.borrow_mut() = previous);
        }
    }
    let _restore = Restore(TABLE.with(|t| t.borrow_mut().replace(Table::default())));
    f()
}

/// The tag for maps whose keys came in this order; 0 (no shape) when they are already sorted,
/// when there are fewer than two, or outside a [`scope`].
pub fn shape<'a>(keys: impl ExactSizeIterator<Item = &'a str> + Clone) -> i32 {
    if keys.len() < 2 || is_sorted(keys.clone()) {
        return 0;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        let Some(t) = t.as_mut() else {
            return 0;
        };
        let same = |tag: i32| {
            usize::try_from(tag - 1)
                .ok()
                .and_then(|i| t.shapes.get(i))
                .is_some_and(|shape| shape.iter().map(String::as_str).eq(keys.clone()))
        };
        if let Some(&tag) = t.recent.iter().find(|&&tag| same(tag)) {
            return tag;
        }
        let shape: Rc<[String]> = keys.map(str::to_owned).collect();
        let tag = match t.index.get(&shape) {
            Some(&tag) => tag,
            None => {
                let Ok(tag) = i32::try_from(t.shapes.len() + 1) else {
                    return 0;
                };
                t.shapes.push(Rc::clone(&shape));
                t.index.insert(shape, tag);
                tag
            }
        };
        if t.recent.len() == RECENT {
            t.recent.remove(0);
        }
        t.recent.push(tag);
        tag
    })
}

fn is_sorted<'a>(mut keys: impl Iterator<Item = &'a str>) -> bool {
    let Some(mut last) = keys.next() else {
        return true;
    };
    for k in keys {
        if k <= last {
            return false;
        }
        last = k;
    }
    true
}

/// `map` as a value that remembers `tag` (from [`shape`]).
pub fn with_shape(map: Map, tag: i32) -> Dynamic {
    let mut d = Dynamic::from_map(map);
    if tag != 0 {
        d.set_tag(tag);
    }
    d
}

/// The keys of `map` (the map inside `value`, whose tag says its shape) in remembered order.
pub fn keys(tag: i32, map: &Map) -> Vec<&str> {
    let shape = (tag > 0)
        .then(|| {
            TABLE.with(|t| {
                let t = t.borrow();
                let i = usize::try_from(tag - 1).ok()?;
                t.as_ref()?.shapes.get(i).cloned()
            })
        })
        .flatten();
    let Some(shape) = shape else {
        return map.keys().map(|k| k.as_str()).collect();
    };
    let mut out: Vec<&str> = shape
        .iter()
        .filter_map(|k| map.get_key_value(k.as_str()).map(|(k, _)| k.as_str()))
        .collect();
    if out.len() < map.len() {
        let known: HashSet<&str> = shape.iter().map(String::as_str).collect();
        out.extend(
            map.keys()
                .map(|k| k.as_str())
                .filter(|k| !known.contains(k)),
        );
    }
    out
}

/// Gives `value` (a map) the key order `order`: keys it lacks are skipped when it is written.
pub fn set_order(value: &mut Dynamic, order: &[&str]) {
    let tag = shape(order.iter().copied());
    value.set_tag(tag);
}

/// `m.key_order()`: the keys of a map in the order it will be written; `m.set_key_order(keys)`:
/// give a map (say, a literal, which rhai sorts) the order to write its keys in. Both take the
/// value itself (`Dynamic`), since the order lives in its tag.
///
/// Also `to_json` for maps, in place of rhai's own (which writes keys sorted): registered with
/// raw arguments, since only the value itself carries its order.
pub fn register(engine: &mut Engine) {
    engine.register_raw_fn(
        "to_json",
        [TypeId::of::<Map>()],
        |_, args: &mut [&mut Dynamic]| -> Result<String, Box<EvalAltResult>> {
            let Some(map) = args.first() else {
                return Ok(String::new());
            };
            super::api::json_text(map)
        },
    );
    engine.register_fn("key_order", |v: &mut Dynamic| -> Array {
        let tag = v.tag();
        match v.read_lock::<Map>() {
            Some(m) => keys(tag, &m)
                .into_iter()
                .map(|k| Dynamic::from(ImmutableString::from(k)))
                .collect(),
            None => Array::new(),
        }
    });
    engine.register_fn(
        "set_key_order",
        |v: &mut Dynamic, order: Array| -> Result<(), Box<EvalAltResult>> {
            if !v.is_map() {
                return Err(
                    format!("set_key_order: a map is needed, not {}", v.type_name()).into(),
                );
            }
            let names: Vec<ImmutableString> = order
                .into_iter()
                .map(|k| k.into_immutable_string())
                .collect::<Result<_, _>>()
                .map_err(|t| format!("set_key_order: keys are strings, not {t}"))?;
            let names: Vec<&str> = names.iter().map(ImmutableString::as_str).collect();
            set_order(v, &names);
            Ok(())
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(keys: &[&str]) -> Map {
        keys.iter().map(|k| ((*k).into(), Dynamic::UNIT)).collect()
    }

    #[test]
    fn a_shape_gives_back_its_order_and_extra_keys_follow_sorted() {
        scope(|| {
            let tag = shape(["name", "age", "city"].into_iter());
            assert_ne!(tag, 0);
            let m = map(&["city", "name", "age"]);
            assert_eq!(keys(tag, &m), ["name", "age", "city"]);
            let m = map(&["zeta", "age", "alpha", "name"]);
            assert_eq!(keys(tag, &m), ["name", "age", "alpha", "zeta"]);
            assert_eq!(shape(["name", "age", "city"].into_iter()), tag, "shared");
        });
    }

    /// Runs `script`'s `f()` in a real engine inside a call's scope; returns its string result.
    fn run(script: &str) -> String {
        let limits = crate::manifest::Limits::default();
        let engine = super::super::build_engine(&limits);
        let ast = engine.compile(script).unwrap();
        scope(|| {
            super::super::sandbox::Budget::new(&limits).run(|| {
                engine
                    .call_fn::<ImmutableString>(&mut rhai::Scope::new(), &ast, "f", ())
                    .unwrap()
                    .to_string()
            })
        })
    }

    #[test]
    fn order_survives_what_the_readme_says_it_survives() {
        let json = r#"let m = parse_json(`{"name":"a","age":1,"city":"x"}`);"#;
        let cases = [
            // Reading, updating, removing keys; a new key comes after, sorted.
            (
                "m.age += 1; m.remove(\"city\"); m.b = 1; m.a = 2; to_json(m)",
                r#"{"name":"a","age":2,"a":2,"b":1}"#,
            ),
            // Copies: a variable, an array item, a function's argument and result.
            (
                "let b = m; let a = [b]; to_json(id(a[0]))",
                r#"{"name":"a","age":1,"city":"x"}"#,
            ),
            ("m.to_json()", r#"{"name":"a","age":1,"city":"x"}"#),
            (
                "to_json([m, #{z: 1, y: 2}])",
                r#"[{"name":"a","age":1,"city":"x"},{"y":2,"z":1}]"#,
            ),
            (
                "m.key_order().map(|k| k).reduce(|s, k| s + k, \"\")",
                "nameagecity",
            ),
            // Merging makes a new map: sorted.
            (
                "to_json(m + #{q: 1})",
                r#"{"age":1,"city":"x","name":"a","q":1}"#,
            ),
            (
                "let l = #{b: 1, a: 2}; l.set_key_order([\"b\", \"a\"]); to_json(l)",
                r#"{"b":1,"a":2}"#,
            ),
        ];
        for (body, want) in cases {
            let script = format!("fn id(x) {{ x }}\nfn f() {{ {json} {body} }}");
            assert_eq!(run(&script), want, "{body}");
        }
    }

    #[test]
    fn sorted_or_unscoped_keys_need_no_shape() {
        scope(|| assert_eq!(shape(["a", "b", "c"].into_iter()), 0));
        assert_eq!(shape(["b", "a"].into_iter()), 0);
        // A tag from elsewhere (a script's own `set_tag`) changes nothing but order.
        let m = map(&["b", "a"]);
        assert_eq!(keys(77, &m), ["a", "b"]);
    }
}
