//! Helpers shared by the integration tests: run the built `apphost` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the folder `from` (files and subfolders) to `to`, which is created.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

pub fn apphost() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_apphost"));
    c.current_dir(repo()).env_remove("APPHOST_LOG");
    c
}

/// An app whose manifest misspells a key (`widht`, at app.toml:6:1): `check` refuses it.
pub fn misspelt_app() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("web")).unwrap();
    std::fs::write(tmp.path().join("web/index.html"), "<p>x</p>").unwrap();
    std::fs::write(
        tmp.path().join("app.toml"),
        "[app]\nid = \"dev.example.x\"\nname = \"X\"\n\n[[window]]\nwidht = 3\n",
    )
    .unwrap();
    tmp
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], cwd: Option<&Path>) -> Run {
    let mut c = apphost();
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run apphost");
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "apphost {args:?} panicked:\n{}",
        run.stderr
    );
    run
}
