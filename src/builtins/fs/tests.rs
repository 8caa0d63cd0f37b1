//! Every op on a temporary tree, through `call` as the dispatcher will use it, and the helpers
//! the hostile cases share. Every error of a call made with `$VAR` paths is checked not to
//! name the real path.

use std::os::unix::fs::symlink;
use std::path::PathBuf;

use serde_json::json;

use super::*;

pub(super) const MAX: u64 = 1000;
pub(super) const DATA: &[&str] = &["$APPDATA/**"];

pub(super) struct Env {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub dirs: AppDirs,
}

/// `root/data/notes/a.md`, `root/home/secret.txt`, every variable under `root`.
pub(super) fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(tmp.path()).unwrap();
    let dirs = AppDirs::under(&root);
    fs::create_dir_all(root.join("data/notes")).unwrap();
    fs::create_dir_all(root.join("home")).unwrap();
    fs::write(root.join("data/notes/a.md"), "# a").unwrap();
    fs::write(root.join("home/secret.txt"), "secret").unwrap();
    Env {
        _tmp: tmp,
        root,
        dirs,
    }
}

impl Env {
    pub(super) fn p(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub(super) fn run(
        &self,
        scope: &[&str],
        op: &str,
        args: Value,
        data: Option<Vec<u8>>,
    ) -> Result<Reply, IpcError> {
        let scope: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
        let r = call(op, &args, data, &scope, &self.dirs, MAX);
        let by_var = ["path", "from", "to"]
            .iter()
            .filter_map(|k| args.get(k)?.as_str())
            .all(|p| p.starts_with('$'));
        if let (Err(e), true) = (&r, by_var) {
            let root = self.root.to_str().unwrap();
            assert!(
                !e.to_string().contains(root),
                "{op} {args}: {e} leaks the real path"
            );
        }
        r
    }

    pub(super) fn ok(&self, scope: &[&str], op: &str, args: Value) -> Value {
        match self.run(scope, op, args.clone(), None) {
            Ok(Reply::Json(v)) => v,
            other => panic!("{op} {args}: {other:?}"),
        }
    }

    /// `forbidden`, `bad_args`, `io_error:not_found`…
    pub(super) fn err(&self, scope: &[&str], op: &str, args: Value) -> String {
        let e = self.run(scope, op, args.clone(), None).unwrap_err();
        match e.to_json().get("kind").and_then(Value::as_str) {
            Some(kind) => format!("io_error:{kind}"),
            None => e.code().to_owned(),
        }
    }
}

#[test]
fn read_and_write() {
    let e = env();
    let w = |p: &str, t: &str| json!({"path": p, "text": t});
    assert_eq!(
        e.ok(DATA, "write_text", w("$APPDATA/notes/b.md", "hé")),
        Value::Null
    );
    assert_eq!(
        e.ok(DATA, "read_text", json!({"path": "$APPDATA/notes/b.md"})),
        "hé"
    );
    let bytes = Some(vec![0, 159, 255]);
    e.run(
        DATA,
        "write_bytes",
        json!({"path": "$APPDATA/bin"}),
        bytes.clone(),
    )
    .unwrap();
    let read = e.run(DATA, "read_bytes", json!({"path": "$APPDATA/bin"}), None);
    assert_eq!(read.unwrap(), Reply::Bytes(vec![0, 159, 255]));
    let r = |p: &str| json!({"path": p});
    assert_eq!(
        e.err(DATA, "read_text", r("$APPDATA/bin")),
        "io_error:invalid_data"
    );
    assert_eq!(
        e.err(DATA, "read_text", r("$APPDATA/none")),
        "io_error:not_found"
    );
    assert_eq!(
        e.err(DATA, "read_bytes", r("$APPDATA/notes")),
        "io_error:is_a_directory"
    );
    // No folder is created on the way.
    assert_eq!(
        e.err(DATA, "write_text", w("$APPDATA/new/x.md", "")),
        "io_error:not_found"
    );
    assert!(!e.p("data/new").exists());
    assert_eq!(
        e.err(DATA, "write_text", w("$APPDATA/notes", "")),
        "io_error:is_a_directory"
    );
    // Writing through a link inside the scope replaces its target and keeps the link.
    symlink(e.p("data/notes/a.md"), e.p("data/alias.md")).unwrap();
    e.ok(DATA, "write_text", w("$APPDATA/alias.md", "via link"));
    assert_eq!(
        fs::read_to_string(e.p("data/notes/a.md")).unwrap(),
        "via link"
    );
    assert!(
        fs::symlink_metadata(e.p("data/alias.md"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn bad_arguments() {
    let e = env();
    let cases = [
        ("read_text", json!({}), "bad_args"),
        ("read_text", json!({"path": 1}), "bad_args"),
        ("write_text", json!({"path": "$APPDATA/x"}), "bad_args"),
        ("write_bytes", json!({"path": "$APPDATA/x"}), "bad_args"),
        (
            "remove",
            json!({"path": "$APPDATA/notes", "recursive": "yes"}),
            "bad_args",
        ),
        ("rename", json!({"from": "$APPDATA/notes/a.md"}), "bad_args"),
        ("chmod", json!({"path": "$APPDATA/x"}), "not_found"),
    ];
    for (op, args, code) in cases {
        assert_eq!(e.err(DATA, op, args.clone()), code, "{op} {args}");
    }
    let bytes = e.run(
        DATA,
        "write_text",
        json!({"path": "$APPDATA/x"}),
        Some(vec![1]),
    );
    assert_eq!(bytes.unwrap_err().code(), "bad_args");
    assert!(!e.p("data/x").exists());
}

#[test]
fn list_stat_exists() {
    let e = env();
    fs::create_dir(e.p("data/notes/sub")).unwrap();
    symlink(e.p("data/notes/a.md"), e.p("data/notes/link.md")).unwrap();
    let list = e.ok(DATA, "list", json!({"path": "$APPDATA/notes"}));
    let got: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("a.md", "file"), ("link.md", "symlink"), ("sub", "dir")]
    );
    assert_eq!(list[0]["size"], 3);
    assert_eq!(list[1]["size"], 3, "a link's size is its target's");
    assert_eq!(
        e.err(DATA, "list", json!({"path": "$APPDATA/notes/a.md"})),
        "io_error:not_a_directory"
    );

    let st = e.ok(DATA, "stat", json!({"path": "$APPDATA/notes/a.md"}));
    assert_eq!(
        (
            st["kind"].clone(),
            st["size"].clone(),
            st["readonly"].clone()
        ),
        (json!("file"), json!(3), json!(false))
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    assert!(
        (now - st["modified"].as_f64().unwrap()).abs() < 60_000.0,
        "{st}"
    );
    let mut perms = fs::metadata(e.p("data/notes/a.md")).unwrap().permissions();
    perms.set_readonly(true);
    fs::set_permissions(e.p("data/notes/a.md"), perms).unwrap();
    assert_eq!(
        e.ok(DATA, "stat", json!({"path": "$APPDATA/notes/a.md"}))["readonly"],
        true
    );
    assert_eq!(
        e.ok(DATA, "stat", json!({"path": "$APPDATA/notes"}))["kind"],
        "dir"
    );
    assert_eq!(
        e.err(DATA, "stat", json!({"path": "$APPDATA/none"})),
        "io_error:not_found"
    );

    for (p, want) in [
        ("$APPDATA/notes/a.md", true),
        ("$APPDATA/notes", true),
        ("$APPDATA/none", false),
        ("$APPDATA/none/deeper", false),
    ] {
        assert_eq!(e.ok(DATA, "exists", json!({"path": p})), want, "{p}");
    }
}

#[test]
fn mkdir_remove_rename() {
    let e = env();
    let p = |p: &str| json!({"path": p});
    e.ok(DATA, "mkdir", p("$APPDATA/x/y/z"));
    assert!(e.p("data/x/y/z").is_dir());
    e.ok(DATA, "mkdir", p("$APPDATA/x/y/z")); // already there: fine
    assert_eq!(
        e.err(DATA, "mkdir", p("$APPDATA/notes/a.md")),
        "io_error:already_exists"
    );
    assert_eq!(
        e.err(DATA, "remove", p("$APPDATA/x")),
        "io_error:directory_not_empty"
    );
    e.ok(
        DATA,
        "remove",
        json!({"path": "$APPDATA/x", "recursive": true}),
    );
    assert!(!e.p("data/x").exists());
    e.ok(DATA, "mkdir", p("$APPDATA/empty"));
    e.ok(DATA, "remove", p("$APPDATA/empty"));
    assert_eq!(
        e.err(DATA, "remove", p("$APPDATA/none")),
        "io_error:not_found"
    );

    let mv = |a: &str, b: &str| json!({"from": a, "to": b});
    e.ok(DATA, "rename", mv("$APPDATA/notes", "$APPDATA/moved"));
    assert!(e.p("data/moved/a.md").is_file());
    assert_eq!(
        e.err(
            DATA,
            "rename",
            mv("$APPDATA/moved/a.md", "$APPDATA/no/a.md")
        ),
        "io_error:not_found"
    );
    e.ok(DATA, "remove", p("$APPDATA/moved/a.md"));
    assert!(!e.p("data/moved/a.md").exists());
}

/// The fs tests again, every open on the `O_NOFOLLOW` walk of kernels without `openat2`.
#[test]
fn the_same_without_openat2() {
    crate::fs_util::beneath::force_walk_on_this_thread();
    read_and_write();
    list_stat_exists();
    mkdir_remove_rename();
    use super::hostile_tests as h;
    h::hostile_paths_are_refused();
    h::list_hides_links_that_lead_out();
    h::links_are_removed_and_moved_as_themselves();
    h::folders_holding_ungranted_files_are_not_removed_or_moved_whole();
    h::glob_characters_in_a_folder_name_are_literal();
}
