//! The demo app `apphost run` opens without a folder. It is built into the binary and written
//! out once per version to the user's cache folder, then run like any other app folder.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use include_dir::{Dir, include_dir};

pub static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// Writes the demo where it is missing or out of date, and returns its folder.
pub fn materialise() -> anyhow::Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .map(|d| d.cache_dir().to_path_buf())
        .unwrap_or_else(std::env::temp_dir);
    let dir = base
        .join("apphost")
        .join(format!("demo-{}", env!("CARGO_PKG_VERSION")));
    write_dir(&DEMO, &dir).with_context(|| format!("writing the demo app to {}", dir.display()))?;
    Ok(dir)
}

fn write_dir(d: &Dir<'_>, root: &Path) -> std::io::Result<()> {
    for f in d.files() {
        let path = root.join(f.path());
        if fs::read(&path).is_ok_and(|old| old == f.contents()) {
            continue;
        }
        // A reader (another `apphost run`) never sees half a file.
        crate::fs_util::write_atomic(&path, f.contents())?;
    }
    for sub in d.dirs() {
        write_dir(sub, root)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_is_written_and_checks_clean() {
        let tmp = tempfile::tempdir().unwrap();
        super::write_dir(&super::DEMO, tmp.path()).unwrap();
        let checked = crate::check(tmp.path());
        assert!(checked.diagnostics.is_empty(), "{}", checked.render());
        assert!(tmp.path().join("web/index.html").is_file());
        // A second write changes nothing and does not fail.
        super::write_dir(&super::DEMO, tmp.path()).unwrap();
    }
}
