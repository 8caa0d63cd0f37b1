use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    init_logging();
    tracing::debug!("start-up: main");
    let cli = apphost::cli::Cli::parse();
    match apphost::cli::run(cli) {
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
