//! Property tests (the fuzz target) for the manifest reader: whatever the text, `check_text`
//! returns diagnostics whose spans lie inside the text and render, and never panics.
//!
//! A normal `cargo test` runs 256 cases per property. A longer, still bounded run:
//!
//!     PROPTEST_CASES=20000 cargo test --release --test manifest_props

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

use apphost::manifest::{self, Checked, parse};
use proptest::prelude::*;

fn fixture(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests/valid")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// Every diagnostic points inside the text, on character boundaries, and renders.
fn assert_well_formed(c: &Checked) {
    for d in &c.diagnostics {
        if let Some(span) = &d.span {
            assert!(
                span.start <= span.end && span.end <= c.text.len(),
                "{span:?} outside the text"
            );
            assert!(c.text.is_char_boundary(span.start) && c.text.is_char_boundary(span.end));
        }
        let r = d.render("app.toml", &c.text);
        assert!(
            r.starts_with("error: ") || r.starts_with("warning: "),
            "{r}"
        );
    }
    assert_eq!(c.app.is_some(), !c.has_errors());
}

/// Text that is mostly manifest syntax, so that the parsers get past the first character.
fn manifest_soup() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "[app]",
        "[[window]]",
        "[security]",
        "[endpoints.\"a.b\"]",
        "[[menu]]",
        "[tray]",
        "\n",
        " = ",
        "id",
        "name",
        "label",
        "width",
        "\"x\"",
        "'y'",
        "1",
        "-1",
        "1.5",
        "true",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        "#c\n",
        "\"\"\"",
        "items",
        "csp",
        "é",
        "\\",
        "\"",
        ":",
        "//",
        "/*",
        "null",
        "0x1F",
        "Infinity",
        "\t",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), "[\\[\\]{}=\"',.:#\\n a-z0-9-]{1,8}")
            .prop_map(|(a, s)| Edit::Insert(a, s)),
        (any::<usize>(), 1usize..80).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_owned();
    let boundary = |s: &str, i: usize| {
        let mut i = i % (s.len() + 1);
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    for e in edits {
        match e {
            Edit::Delete(a, n) => {
                let a = boundary(&s, *a);
                let b = boundary(&s, (a + n).min(s.len()));
                s.replace_range(a..b.max(a), "");
            }
            Edit::Insert(a, t) => {
                let a = boundary(&s, *a);
                s.insert_str(a, t);
            }
            Edit::Duplicate(a, n) => {
                let a = boundary(&s, *a);
                let b = boundary(&s, (a + n).min(s.len())).max(a);
                let piece = s[a..b].to_owned();
                s.insert_str(b, &piece);
            }
        }
    }
    s
}

proptest! {
    #[test]
    fn any_text_as_toml(text in any::<String>()) {
        assert_well_formed(&apphost::check_text(Path::new("/nonexistent/app.toml"), text));
    }

    #[test]
    fn any_text_as_json5(text in any::<String>()) {
        assert_well_formed(&apphost::check_text(Path::new("/nonexistent/app.json5"), text));
    }

    #[test]
    fn manifest_like_soup(text in manifest_soup()) {
        assert_well_formed(&apphost::check_text(Path::new("/nonexistent/app.toml"), text.clone()));
        assert_well_formed(&apphost::check_text(Path::new("/nonexistent/app.json5"), text));
    }

    #[test]
    fn edited_valid_manifests(edits in prop::collection::vec(edit(), 1..6)) {
        for name in ["full.toml", "full.json5"] {
            let (path, text) = fixture(name);
            assert_well_formed(&apphost::check_text(&path, apply(&text, &edits)));
        }
    }

    /// JSON is JSON5: any JSON document parses, with the same structure.
    #[test]
    fn json_documents_parse_as_json5(v in json_value()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        let node = parse::json5(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert!(same(&node, &v), "{text}");
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        (-1e9f64..1e9).prop_map(J::from),
        any::<String>().prop_map(J::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map("[a-z\\-é ]{0,6}", inner, 0..6)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

fn same(n: &manifest::node::Node, v: &serde_json::Value) -> bool {
    use manifest::node::Value as N;
    use serde_json::Value as J;
    match (&n.value, v) {
        (N::Null, J::Null) => true,
        (N::Bool(a), J::Bool(b)) => a == b,
        (N::Int(a), J::Number(b)) => b.as_i64() == Some(*a),
        (N::Float(a), J::Number(b)) => b
            .as_f64()
            .is_some_and(|b| (a - b).abs() <= 1e-9 * b.abs().max(1.0)),
        (N::String(a), J::String(b)) => a == b,
        (N::Array(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (N::Table(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|e| b.get(&e.key).is_some_and(|y| same(&e.node, y)))
        }
        _ => false,
    }
}
