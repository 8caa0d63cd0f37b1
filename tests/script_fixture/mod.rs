//! The fixture app the script tests share: attack endpoints `a.<fn>` on
//! `tests/scripts/attacks.rhai` (and a few other scripts) in a temporary app folder, with a real
//! `Host` and `Router`, store and scope folders under the same temporary folder.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apphost::builtins::Host;
use apphost::builtins::paths::AppDirs;
use apphost::ipc::{Body, Call, Encoded, IpcError, Router, Running};
use apphost::manifest::{App, Checked};
use serde_json::{Value, json};

pub const ORIGIN: &str = "app://localhost";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub host: Arc<Host>,
    pub router: Router,
}

/// Attack endpoints `a.<fn>` on `scripts/attacks.rhai`, with the limits each needs to show its
/// own limit rather than another one first.
fn manifest(http_port: u16) -> String {
    let mut m = format!(
        r#"
[app]
id = "dev.apphost.test.attacks"
name = "attacks"

[security]
max-payload = "1 MiB"

[scripts]
timeout-ms = 2000
max-memory = "32 MiB"

[endpoints."app.echo"]
builtin = "app.echo"

[endpoints."app.info"]
builtin = "app.info"

[endpoints."admin.reset"]
builtin = "store.clear"

[endpoints."a.spin"]
script = "scripts/attacks.rhai"
timeout-ms = 300
limits = {{ max-operations = 1_000_000_000_000 }}

[endpoints."a.count"]
script = "scripts/attacks.rhai"
limits = {{ max-operations = 500_000 }}

[endpoints."a.variables"]
script = "scripts/attacks.rhai"
limits = {{ max-variables = 8 }}

[endpoints."a.map_index_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.map_merge_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.map_fill_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.map_nested_bypass"]
script = "scripts/attacks.rhai"
limits = {{ max-map-size = 10 }}

[endpoints."a.near_limit_strings"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.strings_in_frames"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.map_bomb"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.array_bomb"]
script = "scripts/attacks.rhai"
limits = {{ max-memory = "4 MiB" }}

[endpoints."a.huge_return"]
script = "scripts/attacks.rhai"
limits = {{ max-array-size = 2_000_000 }}

[endpoints."a.huge_json_return"]
script = "scripts/attacks.rhai"
limits = {{ max-array-size = 2_000_000 }}

[endpoints."a.invoke_granted"]
script = "scripts/attacks.rhai"
invoke = ["app.echo"]

[endpoints."a.http_allowed"]
script = "scripts/attacks.rhai"
allow-urls = ["http://127.0.0.1:{http_port}/ok*"]

[endpoints."a.http_post_allowed"]
script = "scripts/attacks.rhai"
allow-urls = ["http://127.0.0.1:{http_port}/*"]

[endpoints."a.listener"]
script = "scripts/attacks.rhai"
fn = "ping"
scope = ["$APPDATA/**"]
on = ["doc:*"]

[endpoints."a.missing"]
script = "scripts/missing.rhai"
fn = "nowhere"

[endpoints."d.calls"]
script = "scripts/deepest.rhai"
limits = {{ max-call-depth = 256, max-expr-depth = 256 }}

[endpoints."d.nested"]
script = "scripts/deepest.rhai"
limits = {{ max-call-depth = 256, max-expr-depth = 256 }}

[endpoints."a.deep"]
script = "scripts/deep.rhai"
fn = "run"

[endpoints."a.progress_flood"]
script = "scripts/attacks.rhai"
timeout-ms = 30000
limits = {{ max-operations = 1_000_000_000_000 }}

[endpoints."a.forever"]
script = "scripts/attacks.rhai"
timeout-ms = 30000
limits = {{ max-operations = 1_000_000_000_000 }}

[endpoints."a.forever_storing"]
script = "scripts/attacks.rhai"
timeout-ms = 30000
limits = {{ max-operations = 1_000_000_000_000 }}

[endpoints."a.many_fns"]
script = "scripts/many_fns.rhai"
fn = "run"
limits = {{ max-functions = 3 }}
"#
    );
    for f in [
        "ping",
        "recursion",
        "string_doubling",
        "nested_arrays",
        "blob_doubling",
        "fs_dotdot",
        "fs_symlink",
        "fs_absolute",
        "fs_inside",
        "invoke_undeclared",
        "invoke_ungranted",
        "invoke_script",
        "overflow",
        "divide",
        "bad_substring",
        "bad_step",
        "throws",
        "http_denied",
        "catches",
        "store_round_trip",
        "echo_blob",
        "json_roundtrip",
        "timestamps",
        "emits",
        "no_json",
        "sleepy",
    ] {
        let scope = if f.starts_with("fs_") || f == "catches" {
            "scope = [\"$APPDATA/notes/**\"]\n"
        } else {
            ""
        };
        m.push_str(&format!(
            "[endpoints.\"a.{f}\"]\nscript = \"scripts/attacks.rhai\"\n{scope}"
        ));
    }
    // Single operations whose size an argument sets, with the defaults but a smaller memory.
    for f in [
        "pad_string_bomb",
        "pad_string_gigabyte",
        "pad_array_bomb",
        "pad_array_items",
        "blob_bomb",
        "replace_bomb",
        "split_bomb",
        "chars_bomb",
        "blob_to_array_bomb",
    ] {
        m.push_str(&format!(
            "[endpoints.\"a.{f}\"]\nscript = \"scripts/attacks.rhai\"\nlimits = {{ max-string-size = 1_000_000_000_000_000, max-array-size = 1_000_000_000_000_000 }}\n"
        ));
    }
    // Growth one element at a time, with the default limits.
    for f in ["pushes", "string_builds", "map_builds"] {
        m.push_str(&format!(
            "[endpoints.\"g.{f}\"]\nscript = \"scripts/attacks.rhai\"\nfn = \"{f}\"\ntimeout-ms = 1000\nlimits = {{ max-memory = \"64 MiB\" }}\n"
        ));
    }
    for f in ["twice", "quad", "limit", "inside"] {
        m.push_str(&format!(
            "[endpoints.\"m.{f}\"]\nscript = \"scripts/modules.rhai\"\n"
        ));
    }
    // The data library (`scripts/library.rhai`) with the fixture's limits and smaller value
    // sizes than the defaults, which its bombs are written against; the quoted-field
    // bomb gets the memory to build its 32 MB input, so that the parser is what stops it.
    for f in [
        "csv_rows",
        "csv_options",
        "csv_round_trip",
        "tsv_round_trip",
        "csv_caught",
        "csv_from_maps",
        "pretty",
        "text",
        "regex",
        "regex_bad",
        "encodings",
        "hex_bad",
        "dates",
        "date_bad",
        "math",
        "csv_bomb",
        "csv_wide_bomb",
        "regex_bomb",
        "regex_nested_stars",
        "regex_replace_bomb",
        "repeat_bomb",
        "pad_start_bomb",
        "join_bomb",
    ] {
        m.push_str(&format!(
            "[endpoints.\"l.{f}\"]\nscript = \"scripts/library.rhai\"\nfn = \"{f}\"\nlimits = {{ {LIBRARY_SIZES} }}\n"
        ));
    }
    // A debug build is slow: these two get the time to reach their limit.
    m.push_str(
        "[endpoints.\"l.csv_quoted_bomb\"]\nscript = \"scripts/library.rhai\"\nfn = \"csv_quoted_bomb\"\ntimeout-ms = 4000\nlimits = { max-memory = \"160 MiB\", max-string-size = \"1 MiB\" }\n",
    );
    m.push_str(
        "[endpoints.\"l.regex_huge_input\"]\nscript = \"scripts/library.rhai\"\nfn = \"regex_huge_input\"\ntimeout-ms = 4000\nlimits = { max-memory = \"16 MiB\" }\n",
    );
    // Scripts that do not compile get a file each (a compile error fails the whole file).
    for f in ["eval", "import"] {
        m.push_str(&format!(
            "[endpoints.\"c.{f}\"]\nscript = \"scripts/{f}.rhai\"\nfn = \"run\"\n"
        ));
    }
    m
}

/// The value sizes the library's endpoints run with.
const LIBRARY_SIZES: &str =
    "max-string-size = \"1 MiB\", max-array-size = 100_000, max-map-size = 100_000";

pub fn fixture_with_port(port: u16) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("web")).unwrap();
    std::fs::write(root.join("web/index.html"), "").unwrap();
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    // `check` refuses scripts that do not compile: those start as placeholders and become
    // hostile once the app is resolved, as if edited while it runs.
    let late = [
        "eval.rhai",
        "import.rhai",
        "deep.rhai",
        "many_fns.rhai",
        "missing.rhai",
    ];
    for name in late {
        let placeholder = "fn run() { 0 }\nfn nowhere() { 0 }\n";
        std::fs::write(root.join("scripts").join(name), placeholder).unwrap();
    }
    copy_scripts(&src, &root.join("scripts"), &late);
    std::fs::write(root.join("app.toml"), manifest(port)).unwrap();
    let checked = apphost::check(&root.join("app.toml"));
    let app = checked
        .app
        .clone()
        .unwrap_or_else(|| panic!("{}", checked.render()));
    for name in late {
        std::fs::copy(src.join(name), root.join("scripts").join(name)).unwrap();
    }
    finish(dir, &app, &checked)
}

/// Copies the scripts in `from` (with their subfolders) to `to`, but those named in `late`.
fn copy_scripts(from: &Path, to: &Path, late: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        if p.is_dir() {
            copy_scripts(&p, &to.join(name), late);
        } else if !late.iter().any(|l| name == *l) {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

/// An app with the endpoint `m.run` (fn `run` of `scripts/main.rhai`, with the app's data
/// folder in scope), and `a.ping` for [`Fixture::contained`]. It is checked with a placeholder
/// `main.rhai`; then `files` (path in the app → text; a text starting with `->` makes a
/// symlink to the rest, relative to the app) are written, as if saved while the app runs:
/// hostile imports would not pass `check`.
pub fn modules_fixture(files: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("web")).unwrap();
    std::fs::write(root.join("web/index.html"), "").unwrap();
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::write(root.join("scripts/main.rhai"), "fn run() { 0 }\n").unwrap();
    std::fs::write(
        root.join("scripts/ping.rhai"),
        "fn ping(args) { #{ pong: args } }\n",
    )
    .unwrap();
    let manifest = r#"
[app]
id = "dev.apphost.test.modules"
name = "modules"

[scripts]
timeout-ms = 500
max-operations = 1_000_000_000_000

[endpoints."m.run"]
script = "scripts/main.rhai"
fn = "run"
scope = ["$APPDATA/**"]

[endpoints."m.unscoped"]
script = "scripts/main.rhai"
fn = "run"

[endpoints."a.ping"]
script = "scripts/ping.rhai"
"#;
    std::fs::write(root.join("app.toml"), manifest).unwrap();
    let checked = apphost::check(&root.join("app.toml"));
    let app = checked
        .app
        .clone()
        .unwrap_or_else(|| panic!("{}", checked.render()));
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        match text.strip_prefix("->") {
            Some(target) => std::os::unix::fs::symlink(root.join(target), &path).unwrap(),
            None => std::fs::write(&path, text).unwrap(),
        }
    }
    finish(dir, &app, &checked)
}

/// The host and router for `app` in `dir`, with store and scope folders under `dir/dirs`.
fn finish(dir: tempfile::TempDir, app: &App, checked: &Checked) -> Fixture {
    let root = dir.path();
    let dirs = AppDirs::under(&root.join("dirs"));
    std::fs::create_dir_all(dirs.data.join("notes")).unwrap();
    std::fs::write(root.join("dirs/secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(
        root.join("dirs/secret.txt"),
        dirs.data.join("notes/link.txt"),
    )
    .unwrap();
    let ui = Box::new(|_, _| Err(IpcError::Unavailable("no UI in this test".into())));
    let host = Arc::new(Host::new(app, checked.source.clone(), &dirs, ui));
    let router = Router::new(app, "k".repeat(64), vec![ORIGIN.into()], host.clone());
    Fixture { dir, host, router }
}

pub fn fixture() -> Fixture {
    fixture_with_port(9)
}

impl Fixture {
    pub fn call_body(&self, endpoint: &str, body: Body<'_>) -> Result<Encoded, IpcError> {
        let key = "k".repeat(64);
        self.router.handle(&Call {
            window: "main",
            origin: Some(ORIGIN),
            key: Some(&key),
            endpoint,
            body,
        })
    }

    /// A call its page follows through `running` (cancel, progress), as a transport makes it.
    pub fn call_running(
        &self,
        endpoint: &str,
        args: Value,
        running: &Running,
    ) -> Result<Value, IpcError> {
        let key = "k".repeat(64);
        self.router.check_caller(Some(ORIGIN), Some(&key))?;
        let text = args.to_string();
        let call = Call {
            window: "main",
            origin: None,
            key: None,
            endpoint,
            body: Body::Json(text.as_bytes()),
        };
        match self.router.handle_running(&call, running)? {
            Encoded::Json(b) => Ok(serde_json::from_slice(&b).unwrap()),
            Encoded::Bytes(b) => Ok(json!({ "bytes": b })),
        }
    }

    pub fn call(&self, endpoint: &str, args: Value) -> Result<Value, IpcError> {
        let text = args.to_string();
        match self.call_body(endpoint, Body::Json(text.as_bytes()))? {
            Encoded::Json(b) => Ok(serde_json::from_slice(&b).unwrap()),
            Encoded::Bytes(b) => Ok(json!({ "bytes": b })),
        }
    }

    /// Runs an attack, checks its code and that the engine still answers.
    pub fn contained(&self, endpoint: &str, args: Value, code: &str) -> IpcError {
        let started = Instant::now();
        let err = self
            .call(endpoint, args)
            .expect_err(&format!("{endpoint} should have failed"));
        assert_eq!(err.code(), code, "{endpoint}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{endpoint} took {:?}",
            started.elapsed()
        );
        assert_eq!(
            self.call("a.ping", json!(1)).unwrap(),
            json!({"pong": 1}),
            "after {endpoint}"
        );
        err
    }
}
