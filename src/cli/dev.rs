//! `apphost dev DIR`: run the app and carry every saved change into it without a restart.

use std::path::Path;
use std::process::ExitCode;

use crate::generation::Mode;
use crate::runtime::{self, Options, Setup};

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let app = match super::run::load(dir) {
        Ok(app) => app,
        Err(code) => return Ok(code),
    };
    let setup = Setup {
        opts: Options::from_env(),
        assets: Box::new(super::run::folder_assets),
        mode: Mode::Dev,
    };
    runtime::run(app, setup)?;
    Ok(ExitCode::SUCCESS)
}
