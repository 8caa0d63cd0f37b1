//! `apphost package DIR -o FILE` and `apphost package --verify FILE`; and what a packaged
//! executable runs instead of this command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use crate::builtins::Launch;
use crate::generation::Mode;
use crate::pack::{self, Opened};
use crate::runtime::{self, Options, Setup};
use crate::source::Source;

/// Apps larger than this get a line before the work starts, not only after.
const ANNOUNCE_BYTES: u64 = 16 << 20;

pub fn run(
    dir: &Path,
    output: &Path,
    best: bool,
    host: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let checked = crate::check(dir);
    if !super::check::report(&checked, false) {
        eprintln!("not packaged: fix the errors above");
        return Ok(ExitCode::FAILURE);
    }
    let Some(app) = &checked.app else {
        return Ok(ExitCode::FAILURE);
    };
    let opts = pack::Options {
        level: if best {
            pack::format::BEST_LEVEL
        } else {
            pack::format::DEFAULT_LEVEL
        },
        host,
    };
    let started = Instant::now();
    let files = pack::build::collect(checked.source.as_ref(), app)?;
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    if bytes > ANNOUNCE_BYTES {
        eprintln!(
            "packaging {} files ({:.0} MiB) at zstd level {}…",
            files.len(),
            bytes as f64 / f64::from(1 << 20),
            opts.level
        );
    }
    let summary = pack::package(files, output, &opts)?;
    eprintln!(
        "packaged {}: {summary}, in {:.2} s",
        output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn verify(file: &Path) -> anyhow::Result<ExitCode> {
    let opened = pack::verify(file)?;
    let payload = opened.source.payload();
    eprintln!(
        "{}: payload format {}, written by apphost {}, {} files, every hash checked",
        file.display(),
        payload.format_version(),
        payload.host_version(),
        payload.entries().len()
    );
    Ok(if super::check::report(&opened.checked, true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs a packaged executable's own app. Every argument goes to the app (`app.info`), none
/// to apphost: the folder beside it, the working folder and `[dev]` play no part.
pub fn run_packaged(opened: Opened, args: Vec<String>) -> anyhow::Result<ExitCode> {
    let Some(mut app) = super::run::accept(&opened.checked) else {
        return Ok(ExitCode::FAILURE);
    };
    tracing::debug!("start-up: manifest checked (packaged)");
    pack::launch::lock_down(&mut app);
    let setup = Setup {
        opts: Options::from_env(),
        source: opened.source as Arc<dyn Source>,
        mode: Mode::Run,
        launch: Launch {
            args,
            packaged: true,
        },
    };
    runtime::run(app, setup)?;
    Ok(ExitCode::SUCCESS)
}
