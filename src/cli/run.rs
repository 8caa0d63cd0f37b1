//! `apphost run [DIR]`: the app in DIR, or the built-in demo.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use crate::assets::{Assets, Embedded, Folder};
use crate::generation::{AssetsFor, Mode};
use crate::manifest::App;
use crate::runtime::{self, Options, Setup};

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
    let assets: AssetsFor = if demo {
        // The demo's pages come straight from the binary; only its manifest is on disk.
        Box::new(
            |_: &App| Ok(Arc::new(Embedded::new(&crate::demo::DEMO, "web")) as Arc<dyn Assets>),
        )
    } else {
        Box::new(folder_assets)
    };
    let setup = Setup {
        opts: Options::from_env(),
        assets,
        mode: Mode::Run,
    };
    runtime::run(app, setup)?;
    Ok(ExitCode::SUCCESS)
}

/// Checks the manifest as `apphost check` does. Warnings are printed and the app runs; errors
/// are printed and the exit code returned.
pub fn load(dir: &Path) -> Result<App, ExitCode> {
    let checked = crate::check(dir);
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

/// The frontend folder the manifest names, read from disk.
pub fn folder_assets(app: &App) -> anyhow::Result<Arc<dyn Assets>> {
    let folder = Folder::new(&app.frontend)
        .with_context(|| format!("opening the frontend folder {}", app.frontend.display()))?;
    Ok(Arc::new(folder))
}
