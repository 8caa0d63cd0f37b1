//! `apphost package`: what goes into the payload, and the executable written around it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::{embed, format};
use crate::manifest::{App, Handler};
use crate::source::{Lookup, Source, join};

/// How to package.
pub struct Options {
    /// The zstd level of compressed files: 3 by default, 19 with `--best`.
    pub level: i32,
    /// The apphost binary that gets the payload; `None` is the one running.
    pub host: Option<PathBuf>,
}

/// What was written, for the summary line (`apphost package` adds the time it took).
#[derive(Debug)]
pub struct Summary {
    pub files: usize,
    /// The app's files, as they are.
    pub raw_bytes: u64,
    pub payload_bytes: u64,
    pub exe_bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ratio = self.payload_bytes as f64 / self.raw_bytes.max(1) as f64;
        write!(
            f,
            "{} files, {} → payload {} ({ratio:.2}x), executable {}",
            self.files,
            size(self.raw_bytes),
            size(self.payload_bytes),
            size(self.exe_bytes),
        )
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// The app's files as the payload holds them: the manifest, the whole frontend folder, every
/// endpoint's script and the icons, by their paths in `source`. A file that resolves outside
/// the app folder, or cannot be read, stops packaging: the package would not run as the
/// folder does.
pub fn collect(source: &dyn Source, app: &App) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut paths = vec![app.manifest.clone()];
    walk(source, &app.frontend, &mut paths)?;
    for e in app.endpoints.values() {
        if let Handler::Script { path, .. } = &e.handler {
            paths.push(path.clone());
        }
    }
    paths.extend(app.icon.clone());
    paths.extend(app.tray.as_ref().map(|t| t.icon.clone()));
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|path| {
            let bytes = source
                .read(&path, u64::from(u32::MAX))
                .map_err(|e| anyhow::anyhow!("`{}` {e}", source.describe(&path)))?;
            Ok((path, bytes.into_owned()))
        })
        .collect()
}

fn walk(source: &dyn Source, dir: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let entries = source
        .list(dir)
        .with_context(|| format!("listing {}", source.describe(dir)))?;
    for entry in entries {
        let path = join(dir, &entry.name);
        if entry.is_dir {
            walk(source, &path, out)?;
            continue;
        }
        match source.lookup(&path) {
            Lookup::File(_) => out.push(path),
            // A dangling symlink: the folder serves nothing there either.
            Lookup::Missing => {}
            Lookup::Dir => walk(source, &path, out)?,
            Lookup::Outside => bail!(
                "`{}` resolves outside the app folder; copy the file in to package it",
                source.describe(&path)
            ),
            Lookup::Broken(why) => bail!("`{}` {why}", source.describe(&path)),
        }
    }
    Ok(())
}

/// Writes `files` (what [`collect`] returned for a checked app) as a packaged executable at
/// `output`: written whole beside it and renamed into place with mode 0755, so a failed run
/// leaves no half-written file.
pub fn package(
    files: Vec<(String, Vec<u8>)>,
    output: &Path,
    opts: &Options,
) -> anyhow::Result<Summary> {
    let host = match &opts.host {
        Some(h) => std::fs::read(h).with_context(|| format!("reading --host {}", h.display()))?,
        None => {
            let exe = std::env::current_exe().context("finding this apphost binary")?;
            std::fs::read(&exe).with_context(|| format!("reading {}", exe.display()))?
        }
    };
    let reads = super::formats_read_by(&host);
    if !reads.contains(&format::FORMAT_VERSION) {
        bail!(
            "the host binary reads payload format {reads:?}, not {} (this apphost writes it); \
             use an apphost build of the same version as --host",
            format::FORMAT_VERSION
        );
    }
    let count = files.len();
    let raw_bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
    let payload = format::write(files, opts.level, env!("CARGO_PKG_VERSION"))
        .context("writing the payload")?;
    let exe = embed::embed(&host, &payload).context("putting the payload into the host")?;
    crate::fs_util::replace_executable(output, &exe)
        .with_context(|| format!("writing {}", output.display()))?;
    Ok(Summary {
        files: count,
        raw_bytes,
        payload_bytes: payload.len() as u64,
        exe_bytes: exe.len() as u64,
    })
}
