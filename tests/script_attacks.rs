//! The script sandbox against hostile scripts (`tests/scripts/*.rhai`): each attack must be
//! contained with the right error code, and the engine must answer a normal call right after.
//! No window: a real `Host` and `Router` over a temporary app folder, store and scope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod script_fixture;

use std::sync::Arc;
use std::time::{Duration, Instant};

use apphost::ipc::{Body, Encoded, InFlight};
use script_fixture::{fixture, modules_fixture};
use serde_json::{Value, json};

#[test]
fn a_normal_call_answers() {
    let f = fixture();
    assert_eq!(
        f.call("a.ping", json!({"x": [1, 2.5]})).unwrap(),
        json!({"pong": {"x": [1, 2.5]}})
    );
}

#[test]
fn an_infinite_loop_times_out() {
    let f = fixture();
    let started = Instant::now();
    let e = f.contained("a.spin", Value::Null, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(e.to_string().contains("300 ms"), "{e}");
}

#[test]
fn operations_are_counted() {
    let e = fixture().contained("a.count", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-operations"), "{e}");
}

#[test]
fn a_recursion_bomb_hits_the_call_depth() {
    let e = fixture().contained("a.recursion", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-call-depth"), "{e}");
}

#[test]
fn size_bombs_are_stopped() {
    let f = fixture();
    for bomb in [
        "a.string_doubling",
        "a.array_bomb",
        "a.nested_arrays",
        "a.blob_doubling",
    ] {
        f.contained(bomb, Value::Null, "limit_exceeded");
    }
}

#[test]
fn a_map_grown_by_index_assignment_is_stopped_by_memory() {
    let e = fixture().contained("a.map_bomb", Value::Null, "limit_exceeded");
    assert!(
        e.to_string().contains("max-memory") || e.to_string().contains("max-map-size"),
        "{e}"
    );
}

#[test]
fn a_map_past_max_map_size_does_not_leave_the_script() {
    // Inside a call, max-memory bounds what a script builds (rhai's own per-value checks walk
    // the whole value on every change: quadratic). A value larger than its limit is refused
    // where it leaves: as the result, through `to_json`, an event, the store. Each grows a map
    // to 50 entries past max-map-size = 10, in another way.
    let f = fixture();
    for attack in [
        "a.map_index_bypass",
        "a.map_merge_bypass",
        "a.map_fill_bypass",
        "a.map_nested_bypass",
    ] {
        let e = f.contained(attack, Value::Null, "limit_exceeded");
        assert!(
            e.to_string()
                .contains("an object map of 50 entries is larger than max-map-size (10)"),
            "{attack}: {e}"
        );
    }
}

#[test]
fn one_operation_cannot_allocate_past_the_budget() {
    // max-string-size and max-array-size are raised out of the way: what stops these is the
    // memory they would take, checked before they allocate (a failed allocation would abort
    // the whole host).
    let f = fixture();
    for attack in [
        "a.pad_string_bomb",
        "a.pad_string_gigabyte",
        "a.pad_array_bomb",
        "a.pad_array_items",
        "a.blob_bomb",
        "a.replace_bomb",
        "a.split_bomb",
        "a.chars_bomb",
        "a.blob_to_array_bomb",
    ] {
        let e = f.contained(attack, Value::Null, "limit_exceeded");
        let m = e.to_string();
        assert!(m.contains("past max-memory (33554432)"), "{attack}: {m}");
        assert!(m.contains("scripts/attacks.rhai:"), "{attack}: {m}");
    }
}

#[test]
fn growing_one_element_at_a_time_is_linear() {
    // 200,000 steps within the default 1 s: rhai's own size checks made this quadratic (50,000
    // pushes took 2 s). The time is measured in benches/script.rs; this is that it works.
    let f = fixture();
    for (endpoint, n) in [
        ("g.pushes", 200_000),
        ("g.string_builds", 200_000),
        ("g.map_builds", 50_000),
    ] {
        assert_eq!(
            f.call(endpoint, json!({ "n": n })).unwrap(),
            json!(n),
            "{endpoint}"
        );
    }
}

#[test]
fn many_near_limit_strings_hit_the_memory_bound() {
    // Rhai sums the strings inside one array or map, but not across a map grown by index
    // assignment, nor across call frames: the memory bound covers both.
    let f = fixture();
    for attack in ["a.near_limit_strings", "a.strings_in_frames"] {
        let e = f.contained(attack, Value::Null, "limit_exceeded");
        assert!(e.to_string().contains("max-memory"), "{e}");
    }
}

#[test]
fn eval_does_not_compile_and_imports_stay_in_scripts() {
    let f = fixture();
    let e = f.contained("c.eval", Value::Null, "handler_error");
    assert!(e.to_string().contains("scripts/eval.rhai:1:"), "{e}");
    // `import "../../secret"`: refused at the import, before anything is read.
    let e = f.contained("c.import", Value::Null, "handler_error");
    assert!(
        e.to_string()
            .contains("scripts/import.rhai:1:8: import path `../../secret` has `..`"),
        "{e}"
    );
    // Legal imports work: nested, with an exported constant computed by the module's top
    // level, and from inside a function.
    assert_eq!(f.call("m.twice", json!(4)).unwrap(), json!(8));
    assert_eq!(f.call("m.quad", json!(3)).unwrap(), json!(12));
    assert_eq!(f.call("m.limit", Value::Null).unwrap(), json!(10));
    assert_eq!(f.call("m.inside", Value::Null).unwrap(), json!(42));
}

/// `scripts/main.rhai` importing what each case writes, and the start of the error it must get.
#[test]
fn imports_that_cannot_be_followed_are_refused_at_the_import() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[(
                "scripts/main.rhai",
                "import \"/etc/passwd\" as p;\nfn run() { 0 }\n",
            )],
            "scripts/main.rhai:1:8: import path `/etc/passwd` is absolute",
        ),
        (
            &[(
                "scripts/main.rhai",
                "import \"lib\\\\util\" as p;\nfn run() { 0 }\n",
            )],
            "has a backslash",
        ),
        (
            &[(
                "scripts/main.rhai",
                "import \"lib//util\" as p;\nfn run() { 0 }\n",
            )],
            "has an empty segment",
        ),
        (
            &[(
                "scripts/main.rhai",
                "fn run() {\n    import \"lib/../../app\" as p;\n}\n",
            )],
            "scripts/main.rhai:2:12: import path `lib/../../app` has `..`",
        ),
        (
            &[(
                "scripts/main.rhai",
                "import \"lib/nowhere\" as p;\nfn run() { 0 }\n",
            )],
            "scripts/main.rhai:1:8: import `lib/nowhere`: scripts/lib/nowhere.rhai does not exist",
        ),
        (
            &[(
                "scripts/main.rhai",
                "fn run() { let x = \"a\"; import x as p; }\n",
            )],
            "scripts/main.rhai:1:32: an import path must be a string constant",
        ),
        // A symlink out of scripts/, to a file still inside the app: refused.
        (
            &[
                ("other.rhai", "fn x() { 1 }\n"),
                ("scripts/lib/out.rhai", "->other.rhai"),
                (
                    "scripts/main.rhai",
                    "import \"lib/out\" as o;\nfn run() { o::x() }\n",
                ),
            ],
            "import `lib/out`: scripts/lib/out.rhai resolves outside `scripts/`",
        ),
        // A symlink out of the app.
        (
            &[
                ("scripts/lib/out.rhai", "->dirs/secret.txt"),
                (
                    "scripts/main.rhai",
                    "import \"lib/out\" as o;\nfn run() { 0 }\n",
                ),
            ],
            "resolves outside `scripts/`",
        ),
        // a imports b imports a: the chain is named, at the import that closes it.
        (
            &[
                ("scripts/lib/a.rhai", "import \"lib/b\" as b;\n"),
                ("scripts/lib/b.rhai", "\nimport \"lib/a\" as a;\n"),
                (
                    "scripts/main.rhai",
                    "import \"lib/a\" as a;\nfn run() { 0 }\n",
                ),
            ],
            "scripts/lib/b.rhai:2:8: import cycle: scripts/lib/a.rhai → scripts/lib/b.rhai → scripts/lib/a.rhai",
        ),
        // An endpoint script that imports itself.
        (
            &[(
                "scripts/main.rhai",
                "import \"main\" as me;\nfn run() { 0 }\n",
            )],
            "import cycle: scripts/main.rhai → scripts/main.rhai",
        ),
        // A module that does not compile: its own file, line and column.
        (
            &[
                (
                    "scripts/lib/bad.rhai",
                    "fn ok() { 1 }\nfn broken() {\n    1 +\n}\n",
                ),
                (
                    "scripts/main.rhai",
                    "import \"lib/bad\" as b;\nfn run() { b::ok() }\n",
                ),
            ],
            "scripts/lib/bad.rhai:4:1:",
        ),
        // eval stays off inside modules too.
        (
            &[
                ("scripts/lib/ev.rhai", "fn x() { eval(\"1\") }\n"),
                (
                    "scripts/main.rhai",
                    "import \"lib/ev\" as e;\nfn run() { e::x() }\n",
                ),
            ],
            "scripts/lib/ev.rhai:1:",
        ),
    ];
    for (files, want) in cases {
        let f = modules_fixture(files);
        let e = f.contained("m.run", Value::Null, "handler_error");
        assert!(e.to_string().contains(want), "{files:?}: {e}");
    }
}

#[test]
fn imports_nested_too_deep_or_too_many_are_refused() {
    // lib/m0 imports lib/m1 … imports lib/m19: deeper than 16 levels.
    let mut files: Vec<(String, String)> = (0..20)
        .map(|i| {
            (
                format!("scripts/lib/m{i}.rhai"),
                format!("import \"lib/m{}\" as next;\nfn f() {{ {i} }}\n", i + 1),
            )
        })
        .collect();
    files.push(("scripts/lib/m20.rhai".into(), "fn f() { 20 }\n".into()));
    files.push((
        "scripts/main.rhai".into(),
        "import \"lib/m0\" as m;\nfn run() { m::f() }\n".into(),
    ));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = modules_fixture(&borrowed).contained("m.run", Value::Null, "handler_error");
    assert!(
        e.to_string()
            .contains("imports nested deeper than 16 levels"),
        "{e}"
    );

    // 70 modules side by side, each fine.
    let mut files: Vec<(String, String)> = (0..70)
        .map(|i| {
            (
                format!("scripts/lib/s{i}.rhai"),
                "fn f() { 1 }\n".to_owned(),
            )
        })
        .collect();
    let imports: String = (0..70)
        .map(|i| format!("import \"lib/s{i}\" as s{i};\n"))
        .collect();
    files.push((
        "scripts/main.rhai".into(),
        format!("{imports}fn run() {{ 0 }}\n"),
    ));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = modules_fixture(&borrowed).contained("m.run", Value::Null, "handler_error");
    assert!(e.to_string().contains("more than 64 modules"), "{e}");
}

#[test]
fn a_module_top_level_runs_in_the_call_with_its_budget_and_grants() {
    // An endless loop at a module's top level is the call's timeout, not a hang at compile.
    let f = modules_fixture(&[
        ("scripts/lib/spin.rhai", "loop {}\nfn f() { 1 }\n"),
        (
            "scripts/main.rhai",
            "import \"lib/spin\" as s;\nfn run() { s::f() }\n",
        ),
    ]);
    let started = Instant::now();
    f.contained("m.run", Value::Null, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );

    // The module reads files with the importing endpoint's scope: `m.run` has one,
    // `m.unscoped` none.
    let f = modules_fixture(&[
        (
            "scripts/lib/cfg.rhai",
            "export const EXISTS = fs_exists(\"$APPDATA/notes\");\n",
        ),
        (
            "scripts/main.rhai",
            "import \"lib/cfg\" as c;\nfn run() { c::EXISTS }\n",
        ),
    ]);
    assert_eq!(f.call("m.run", Value::Null).unwrap(), json!(true));
    f.contained("m.unscoped", Value::Null, "forbidden");

    // An error at a module's top level names the module's file and line.
    let f = modules_fixture(&[
        ("scripts/lib/boom.rhai", "fn f() { 1 }\n\nthrow \"boom\";\n"),
        (
            "scripts/main.rhai",
            "import \"lib/boom\" as b;\nfn run() { b::f() }\n",
        ),
    ]);
    let e = f.contained("m.run", Value::Null, "handler_error");
    assert!(
        e.to_string()
            .contains("scripts/lib/boom.rhai:3:1: the script threw boom"),
        "{e}"
    );

    // An import in a loop runs each time, up to the engine's bound of imports per call.
    let f = modules_fixture(&[
        ("scripts/lib/one.rhai", "fn f() { 1 }\n"),
        (
            "scripts/main.rhai",
            "fn run() {\n    let n = 0;\n    loop { import \"lib/one\" as o; n += o::f(); }\n}\n",
        ),
    ]);
    f.contained("m.run", Value::Null, "limit_exceeded");
}

#[test]
fn deep_nesting_and_too_many_functions_are_limits() {
    let f = fixture();
    let e = f.contained("a.deep", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-expr-depth"), "{e}");
    let e = f.contained("a.many_fns", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-functions"), "{e}");
}

#[test]
fn the_deepest_allowed_nesting_fits_a_worker_stack() {
    // Worker threads have std's default 2 MiB stack; so does this one, explicitly.
    let f = Arc::new(fixture());
    let g = f.clone();
    let run = move || {
        assert_eq!(g.call("d.calls", json!({"n": 250})).unwrap(), json!(250));
        let e = g.call("d.calls", json!({"n": 100000})).unwrap_err();
        assert_eq!(e.code(), "limit_exceeded", "{e}");
        assert_eq!(g.call("d.nested", Value::Null).unwrap(), json!(1));
    };
    let t = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .unwrap();
    t.join().unwrap();
    assert_eq!(f.call("a.ping", json!(1)).unwrap(), json!({"pong": 1}));
}

#[test]
fn too_many_variables() {
    let e = fixture().contained("a.variables", Value::Null, "limit_exceeded");
    assert!(e.to_string().contains("max-variables"), "{e}");
}

#[test]
fn files_outside_the_scope_are_refused() {
    let f = fixture();
    f.contained("a.fs_dotdot", Value::Null, "forbidden");
    f.contained("a.fs_symlink", Value::Null, "forbidden");
    let secret = f.dir.path().join("dirs/secret.txt");
    f.contained("a.fs_absolute", json!({"path": secret}), "forbidden");
    f.contained("a.fs_absolute", json!({"path": "/etc/passwd"}), "forbidden");
    assert_eq!(f.call("a.fs_inside", Value::Null).unwrap(), json!("hello"));
    assert_eq!(
        f.call("a.catches", Value::Null).unwrap(),
        json!("forbidden")
    );
}

#[test]
fn invoke_reaches_granted_builtins_only() {
    let f = fixture();
    f.contained("a.invoke_undeclared", Value::Null, "forbidden");
    f.contained("a.invoke_ungranted", Value::Null, "forbidden");
    f.contained("a.invoke_script", Value::Null, "forbidden");
    assert_eq!(
        f.call("a.invoke_granted", json!({"n": 7})).unwrap(),
        json!({"n": 7})
    );
}

#[test]
fn a_huge_return_value_is_too_large() {
    let f = fixture();
    f.contained("a.huge_return", Value::Null, "too_large");
    // 200,000 numbers: refused before the JSON is built.
    f.contained("a.huge_json_return", Value::Null, "too_large");
}

#[test]
fn bad_arithmetic_and_odd_inputs_are_handler_errors() {
    let f = fixture();
    f.contained("a.overflow", Value::Null, "handler_error");
    f.contained("a.divide", json!({"by": 0}), "handler_error");
    f.contained("a.divide", json!({"by": "zero"}), "handler_error");
    f.contained("a.divide", json!(null), "handler_error");
    f.contained("a.bad_step", Value::Null, "handler_error");
    // Out-of-range substrings are clamped by rhai, not errors.
    assert_eq!(f.call("a.bad_substring", Value::Null).unwrap(), json!(3));
    let deep = "[".repeat(100) + "]".repeat(100).as_str();
    let body = deep.as_bytes();
    let nested = serde_json::from_slice::<Value>(body).unwrap();
    assert_eq!(
        f.call_body("a.ping", Body::Json(body)).unwrap(),
        Encoded::Json(serde_json::to_vec(&json!({ "pong": nested })).unwrap())
    );
}

#[test]
fn runtime_errors_name_the_file_and_line() {
    let f = fixture();
    let e = f.contained("a.throws", Value::Null, "handler_error");
    let m = e.to_string();
    assert!(m.contains("scripts/attacks.rhai:"), "{m}");
    assert!(m.contains("bad thing"), "{m}");
    let line = m.split(':').nth(1).unwrap().parse::<u32>().unwrap();
    let text = std::fs::read_to_string(f.dir.path().join("scripts/attacks.rhai")).unwrap();
    let expected = text
        .lines()
        .position(|l| l.contains("throw \"bad thing\""))
        .unwrap()
        + 1;
    assert_eq!(line as usize, expected, "{m}");
    let e = f.contained("a.missing", Value::Null, "handler_error");
    assert!(e.to_string().contains("no function `nowhere`"), "{e}");
    let e = f.contained("a.no_json", Value::Null, "handler_error");
    assert!(e.to_string().contains("no JSON form"), "{e}");
}

/// A cancelled call stops at its next operation — a bare loop, or a loop of host calls — and
/// answers `cancelled`; another window's cancel does not reach it; its worker is free at once
/// (the next call answers) and the table of calls in flight is empty again.
#[test]
fn cancelling_stops_a_looping_script() {
    let f = fixture();
    let table = Arc::new(InFlight::default());
    // The storing loop's counter, as its last finished write left it.
    let store = f.dir.path().join("dirs/data/store.json");
    let read = || {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
        v["forever"].as_i64().unwrap()
    };
    for (id, endpoint) in [(1, "a.forever"), (2, "a.forever_storing")] {
        let registration = table.register("main", id).unwrap();
        std::thread::scope(|s| {
            let running = registration.running().clone();
            let f = &f;
            let call = s.spawn(move || {
                let result = f.call_running(endpoint, Value::Null, &running);
                (result, Instant::now())
            });
            std::thread::sleep(Duration::from_millis(300));
            assert!(!table.cancel("other", id), "another window's cancel");
            std::thread::sleep(Duration::from_millis(200));
            assert!(!call.is_finished(), "{endpoint} runs until cancelled");
            let written = (id == 2).then(read);
            let cancelled_at = Instant::now();
            assert!(table.cancel("main", id));
            let (result, ended) = call.join().unwrap();
            let e = result.expect_err(endpoint);
            assert_eq!(e.code(), "cancelled", "{endpoint}: {e}");
            match written {
                // A bare loop stops within operations of the cancel.
                None => {
                    let late = ended.duration_since(cancelled_at);
                    assert!(
                        late < Duration::from_millis(500),
                        "{endpoint} stopped {late:?} after"
                    );
                }
                // A loop of host calls stops after the call under way: one store write
                // (durable, so its time is the disk's: under a loaded CI it took 0.8 s) may
                // finish after the cancel, and one more that had finished between the read
                // and the cancel; no other write starts.
                Some(before) => {
                    let after = read();
                    assert!(
                        after <= before + 2,
                        "{endpoint} wrote {} times after the cancel",
                        after - before
                    );
                }
            }
        });
        drop(registration);
        assert!(table.is_empty());
        assert_eq!(f.call("a.ping", json!(id)).unwrap(), json!({"pong": id}));
    }
    // The storing loop really stopped: its counter no longer moves.
    let before = read();
    assert!(before > 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(read(), before);

    // A cancel that came first: the call never starts.
    table.cancel("main", 3);
    let registration = table.register("main", 3).unwrap();
    let started = Instant::now();
    let e = f
        .call_running("a.forever", Value::Null, registration.running())
        .unwrap_err();
    assert_eq!(e.code(), "cancelled");
    assert!(started.elapsed() < Duration::from_millis(100));
}

/// The data library's bombs: a CSV of a million empty fields, one quoted field of 16 MB, a
/// pattern that compiles huge, a pattern matching everywhere in 1 MB, repeats and pads of a
/// terabyte. Each stops at a limit or with a clear error, and the engine answers after.
#[test]
fn library_bombs_are_contained() {
    let f = fixture();
    for (attack, limit) in [
        ("l.csv_bomb", "max-map-size"),
        ("l.csv_wide_bomb", "max-array-size"),
        ("l.csv_quoted_bomb", "max-string-size"),
        ("l.regex_replace_bomb", "max-string-size"),
        ("l.repeat_bomb", "max-string-size"),
        ("l.pad_start_bomb", "max-string-size"),
        ("l.join_bomb", "max-string-size"),
    ] {
        let e = f.contained(attack, Value::Null, "limit_exceeded");
        assert!(e.to_string().contains(limit), "{attack}: {e}");
    }
    // So many matches pass the array size or the memory, whichever comes first.
    let e = f.contained("l.regex_huge_input", Value::Null, "limit_exceeded");
    let message = e.to_string();
    assert!(
        message.contains("max-array-size") || message.contains("max-memory"),
        "{message}"
    );
    let e = f.contained("l.regex_bomb", Value::Null, "handler_error");
    assert!(e.to_string().contains("too large once compiled"), "{e}");
    let started = Instant::now();
    assert_eq!(
        f.call("l.regex_nested_stars", Value::Null).unwrap(),
        json!(false)
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "(a*)*b on 1 MB took {:?}",
        started.elapsed()
    );
}
