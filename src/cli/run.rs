//! `apphost run [DIR]`: the app in DIR, or the built-in demo.

use std::path::Path;
use std::process::ExitCode;

use crate::builtins::Launch;
use crate::generation::Mode;
use crate::manifest::Checked;
use crate::runtime::{self, Options, Setup};

pub fn run(dir: Option<&Path>, args: Vec<String>) -> anyhow::Result<ExitCode> {
    let checked = match dir {
        Some(dir) => crate::check(dir),
        None => crate::check_in(crate::demo::source(), crate::manifest::NAMES[0]),
    };
    let Some(app) = accept(&checked) else {
        return Ok(ExitCode::FAILURE);
    };
    tracing::debug!("start-up: manifest checked");
    let setup = Setup {
        opts: Options::from_env(),
        source: checked.source,
        mode: Mode::Run,
        launch: Launch {
            args,
            packaged: false,
        },
    };
    runtime::run(app, setup)?;
    Ok(ExitCode::SUCCESS)
}

/// The app of a manifest checked as `apphost check` does. Warnings are printed and the app
/// runs; errors are printed and there is no app.
pub fn accept(checked: &Checked) -> Option<crate::manifest::App> {
    if !checked.diagnostics.is_empty() {
        eprint!("{}", checked.render());
    }
    match &checked.app {
        Some(app) if !checked.has_errors() => Some(app.clone()),
        _ => {
            eprintln!(
                "\n{}: not started; fix the errors above (`apphost check` lists them too)",
                checked.file.display()
            );
            None
        }
    }
}
