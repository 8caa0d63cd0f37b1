//! `apphost dev DIR`: run the app and carry every saved change into it without a restart.

use std::path::Path;
use std::process::ExitCode;

use crate::generation::Mode;
use crate::runtime::{self, Options, Setup};

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let checked = crate::check(dir);
    let Some(app) = super::run::accept(&checked) else {
        return Ok(ExitCode::FAILURE);
    };
    let setup = Setup {
        opts: Options::from_env(),
        source: checked.source,
        mode: Mode::Dev,
        launch: Default::default(),
    };
    runtime::run(app, setup)?;
    Ok(ExitCode::SUCCESS)
}
