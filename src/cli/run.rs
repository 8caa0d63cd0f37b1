//! `apphost run [DIR]`: the app in DIR, or the built-in demo.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use crate::assets::{Assets, Embedded, Folder};
use crate::manifest::{self, App};
use crate::runtime::{self, Options};

pub fn run(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let demo = dir.is_none();
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => crate::demo::materialise()?,
    };
    let app = match load(&dir) {
        Ok(app) => app,
        Err(code) => return Ok(code),
    };
    tracing::debug!("start-up: manifest checked");
    let assets: Arc<dyn Assets> =
        if demo {
            // The demo's pages come straight from the binary; only its manifest is on disk.
            Arc::new(Embedded::new(&crate::demo::DEMO, "web"))
        } else {
            Arc::new(Folder::new(&app.frontend).with_context(|| {
                format!("opening the frontend folder {}", app.frontend.display())
            })?)
        };
    runtime::run(app, assets, Options::from_env())?;
    Ok(ExitCode::SUCCESS)
}

/// Checks the manifest as `apphost check` does. Warnings are printed and the app runs; errors
/// are printed and the exit code returned.
pub fn load(dir: &Path) -> Result<App, ExitCode> {
    let checked = manifest::check(dir);
    if !checked.diagnostics.is_empty() {
        eprint!("{}", checked.render());
    }
    match checked.app {
        Some(app) if !checked.has_errors() => Ok(app),
        _ => {
            eprintln!(
                "\n{}: not started; fix the errors above (`apphost check` lists them too)",
                checked.file.display()
            );
            Err(ExitCode::FAILURE)
        }
    }
}
