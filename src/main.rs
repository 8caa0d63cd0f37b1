use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    init_logging();
    tracing::debug!("start-up: main");
    // A packaged executable runs its own app and takes no subcommand.
    match apphost::pack::own_app() {
        Ok(Some(opened)) => {
            tracing::debug!("start-up: payload opened");
            let args = std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            return finish(apphost::cli::package::run_packaged(opened, args));
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    let cli = apphost::cli::Cli::parse();
    finish(apphost::cli::run(cli))
}

fn finish(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `APPHOST_LOG` filters (e.g. `debug`, `apphost=trace`); info by default, to stderr, with
/// the chattiest dependencies turned down.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("APPHOST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
