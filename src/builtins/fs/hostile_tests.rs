//! Hostile paths: each must be refused, leave the files outside the scope untouched, and
//! never name the real path in a message (checked by [`Env::run`] for every `$VAR` call).

use std::os::unix::fs::symlink;

use serde_json::json;

use super::tests::{DATA, Env, MAX, env};
use super::*;

/// The tree every hostile case runs against, with links out of the scope and broken ones.
fn hostile_env() -> Env {
    let e = env();
    symlink(e.p("home"), e.p("data/out")).unwrap();
    symlink(e.p("home/secret.txt"), e.p("data/leak.txt")).unwrap();
    symlink(e.p("home/nothing"), e.p("data/dangle")).unwrap();
    symlink(e.p("data/loop"), e.p("data/loop")).unwrap();
    symlink(e.p("data/notes/a.md"), e.p("data/inside.md")).unwrap();
    e
}

#[test]
pub(super) fn hostile_paths_are_refused() {
    let e = hostile_env();
    let secret = e.p("home/secret.txt").display().to_string();
    let p = |p: &str| json!({"path": p});
    let w = |p: &str| json!({"path": p, "text": "pwned"});
    let mv = |a: &str, b: &str| json!({"from": a, "to": b});
    let cases = [
        ("read_text", p("$APPDATA/../home/secret.txt"), "forbidden"),
        (
            "read_text",
            p("$APPDATA/notes/../../home/secret.txt"),
            "forbidden",
        ),
        ("write_text", w("$APPDATA/../home/new.txt"), "forbidden"),
        ("read_text", p("$APPDATA/leak.txt"), "forbidden"),
        ("write_text", w("$APPDATA/leak.txt"), "forbidden"),
        ("stat", p("$APPDATA/leak.txt"), "forbidden"),
        ("read_text", p("$APPDATA/out/secret.txt"), "forbidden"),
        ("list", p("$APPDATA/out"), "forbidden"),
        ("write_text", w("$APPDATA/out/new.txt"), "forbidden"),
        ("mkdir", p("$APPDATA/out/newdir"), "forbidden"),
        ("remove", p("$APPDATA/out/secret.txt"), "forbidden"),
        ("write_text", w("$APPDATA/dangle"), "forbidden"),
        ("exists", p("$APPDATA/dangle"), "forbidden"),
        ("mkdir", p("$APPDATA/dangle/x"), "forbidden"),
        ("read_text", p("$APPDATA/loop"), "forbidden"),
        ("read_text", p(&secret), "forbidden"),
        ("read_text", p("/etc/passwd"), "forbidden"),
        ("exists", p("$HOME/secret.txt"), "forbidden"),
        ("exists", p("$HOME/nothing"), "forbidden"),
        ("write_text", w("$APPDATA/new/./x"), "forbidden"),
        ("write_text", w("$APPDATA/new/../x"), "forbidden"),
        ("write_text", w("$APPDATA/new//x"), "forbidden"),
        (
            "remove",
            json!({"path": "$APPDATA/notes/..", "recursive": true}),
            "forbidden",
        ),
        (
            "rename",
            mv("$APPDATA/notes/a.md", "$HOME/a.md"),
            "forbidden",
        ),
        (
            "rename",
            mv("$HOME/secret.txt", "$APPDATA/s.txt"),
            "forbidden",
        ),
        (
            "rename",
            mv("$APPDATA/notes/a.md", "$APPDATA/../home/a.md"),
            "forbidden",
        ),
        ("read_text", p("notes/a.md"), "bad_args"),
        ("read_text", p(""), "bad_args"),
        ("read_text", p("$SECRET/x"), "bad_args"),
        ("read_text", p("$APPDATAX/x"), "bad_args"),
    ];
    for (op, args, code) in cases {
        assert_eq!(e.err(DATA, op, args.clone()), code, "{op} {args}");
    }
    // The same words whether or not something exists out there: no oracle.
    let msg = |path: &str| {
        e.run(DATA, "exists", p(path), None)
            .unwrap_err()
            .to_string()
            .replace(path, "P")
    };
    assert_eq!(msg("$HOME/secret.txt"), msg("$HOME/nothing"));
    assert_eq!(
        msg("$APPDATA/../home/secret.txt"),
        msg("$APPDATA/../home/nothing")
    );

    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(e.p(dir))
            .unwrap()
            .map(|x| x.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("home"), ["secret.txt"]);
    assert_eq!(
        fs::read_to_string(e.p("home/secret.txt")).unwrap(),
        "secret"
    );
    assert!(e.p("data/notes/a.md").exists());
}

#[test]
pub(super) fn list_hides_links_that_lead_out() {
    let e = hostile_env();
    let list = e.ok(DATA, "list", json!({"path": "$APPDATA"}));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["inside.md", "notes"]);
}

#[test]
pub(super) fn links_are_removed_and_moved_as_themselves() {
    let e = hostile_env();
    e.ok(DATA, "remove", json!({"path": "$APPDATA/leak.txt"}));
    e.ok(
        DATA,
        "remove",
        json!({"path": "$APPDATA/out", "recursive": true}),
    );
    e.ok(DATA, "remove", json!({"path": "$APPDATA/inside.md"}));
    assert!(!e.p("data/leak.txt").exists() && !e.p("data/out").exists());
    assert_eq!(
        fs::read_to_string(e.p("home/secret.txt")).unwrap(),
        "secret"
    );
    assert!(e.p("data/notes/a.md").exists());
    // A moved link still leads out, so it is still refused.
    e.ok(
        DATA,
        "rename",
        json!({"from": "$APPDATA/dangle", "to": "$APPDATA/d2"}),
    );
    assert!(fs::symlink_metadata(e.p("data/d2")).unwrap().is_symlink());
    assert_eq!(
        e.err(
            DATA,
            "write_text",
            json!({"path": "$APPDATA/d2", "text": "x"})
        ),
        "forbidden"
    );
    assert!(!e.p("home/nothing").exists());
}

#[test]
fn narrow_and_missing_scopes() {
    let e = env();
    fs::write(e.p("data/notes/x.txt"), "x").unwrap();
    fs::create_dir(e.p("data/notes/sub")).unwrap();
    let md = &["$APPDATA/notes/*.md"];
    assert_eq!(
        e.ok(md, "read_text", json!({"path": "$APPDATA/notes/a.md"})),
        "# a"
    );
    assert_eq!(
        e.err(md, "read_text", json!({"path": "$APPDATA/notes/x.txt"})),
        "forbidden"
    );
    assert_eq!(
        e.err(
            md,
            "write_text",
            json!({"path": "$APPDATA/notes/y.txt", "text": ""})
        ),
        "forbidden"
    );
    assert_eq!(
        e.err(
            md,
            "write_text",
            json!({"path": "$APPDATA/notes/sub/b.md", "text": ""})
        ),
        "forbidden"
    );
    assert_eq!(
        e.err(md, "mkdir", json!({"path": "$APPDATA/notes/new"})),
        "forbidden"
    );
    assert_eq!(e.err(md, "list", json!({"path": "$APPDATA"})), "forbidden");
    let list = e.ok(md, "list", json!({"path": "$APPDATA/notes"}));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // Every parent mkdir creates must be granted too.
    let deep = &["$APPDATA/x/y/**"];
    assert_eq!(
        e.err(deep, "mkdir", json!({"path": "$APPDATA/x/y/z"})),
        "forbidden"
    );
    assert!(!e.p("data/x").exists());
    // No scope at all grants nothing.
    for op in ["read_text", "stat", "exists", "list", "mkdir", "remove"] {
        assert_eq!(
            e.err(&[], op, json!({"path": "$APPDATA/notes/a.md"})),
            "forbidden",
            "{op}"
        );
    }
}

#[test]
pub(super) fn folders_holding_ungranted_files_are_not_removed_or_moved_whole() {
    let e = env();
    fs::create_dir(e.p("data/d")).unwrap();
    fs::write(e.p("data/d/a.md"), "").unwrap();
    fs::write(e.p("data/d/secret.txt"), "").unwrap();
    fs::create_dir(e.p("data/wide")).unwrap();
    let scope = &["$APPDATA/d", "$APPDATA/d/*.md", "$APPDATA/wide/**"];
    let rm = json!({"path": "$APPDATA/d", "recursive": true});
    assert_eq!(e.err(scope, "remove", rm), "forbidden");
    let mv = json!({"from": "$APPDATA/d", "to": "$APPDATA/wide/d"});
    assert_eq!(e.err(scope, "rename", mv), "forbidden");
    assert!(e.p("data/d/secret.txt").exists());
    e.ok(scope, "remove", json!({"path": "$APPDATA/d/a.md"}));
}

#[test]
pub(super) fn glob_characters_in_a_folder_name_are_literal() {
    let e = env();
    let odd = e.p("we[i]rd{a,b}*");
    let dirs = AppDirs::under(&odd);
    fs::create_dir_all(&dirs.data).unwrap();
    let run =
        |scope: &str, op: &str, args: Value| call(op, &args, None, &[scope.to_owned()], &dirs, MAX);
    run(
        "$APPDATA/**",
        "write_text",
        json!({"path": "$APPDATA/a", "text": "ok"}),
    )
    .unwrap();
    assert_eq!(
        run("$APPDATA/**", "read_text", json!({"path": "$APPDATA/a"})).unwrap(),
        Reply::Json(json!("ok"))
    );
    // An absolute scope must escape them; unescaped, they are a glob that does not match.
    let raw = format!("{}/**", dirs.data.display());
    let escaped: String = dirs
        .data
        .display()
        .to_string()
        .chars()
        .flat_map(|c| {
            let special = "*?[]{}\\".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect();
    let escaped = format!("{escaped}/**");
    let read = json!({"path": "$APPDATA/a"});
    assert_eq!(
        run(&raw, "read_text", read.clone()).unwrap_err().code(),
        "forbidden"
    );
    run(&escaped, "read_text", read).unwrap();
}

#[test]
fn reads_are_bounded() {
    let e = env();
    fs::write(e.p("data/max"), vec![b'x'; MAX as usize]).unwrap();
    fs::write(e.p("data/over"), vec![b'x'; MAX as usize + 1]).unwrap();
    assert!(
        e.ok(DATA, "read_text", json!({"path": "$APPDATA/max"}))
            .is_string()
    );
    for op in ["read_text", "read_bytes"] {
        assert_eq!(
            e.err(DATA, op, json!({"path": "$APPDATA/over"})),
            "too_large"
        );
    }
    // A device never ends: refused before it is opened.
    assert_eq!(
        e.err(&["/dev/zero"], "read_bytes", json!({"path": "/dev/zero"})),
        "io_error:other"
    );
}
