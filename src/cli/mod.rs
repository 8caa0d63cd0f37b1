//! The command line: one small file per subcommand.

mod check;
mod dev;
mod init;
pub mod package;
mod run;
mod schema;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Run a web frontend and its app.toml manifest as a native desktop app.
#[derive(Debug, Parser)]
#[command(name = "apphost", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the app in DIR (without DIR: the built-in demo).
    Run {
        /// App folder holding app.toml or app.json5.
        dir: Option<PathBuf>,
        /// Arguments for the app (after `--`); the page reads them from `app.info`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the app in DIR and apply every saved change live: styles swap in place, pages
    /// reload with their state kept, scripts and the manifest are re-applied without a restart.
    Dev {
        /// App folder holding app.toml or app.json5.
        dir: PathBuf,
    },
    /// Check a manifest: print every problem with its file:line:col, or a summary of the app.
    ///
    /// Exits 1 when there are errors, 0 when there are none (warnings allowed).
    Check {
        /// App folder, or a manifest file (app.toml / app.json5).
        target: PathBuf,
    },
    /// Package the app in DIR as one self-contained executable: the host and the whole app,
    /// run from any folder on any machine with the system webview.
    ///
    /// The app is checked first and not packaged with errors. The same inputs give the same
    /// bytes. `--verify FILE` checks a packaged executable instead.
    Package {
        /// App folder holding app.toml or app.json5.
        #[arg(required_unless_present = "verify")]
        dir: Option<PathBuf>,
        /// The executable to write (mode 0755; written whole, then renamed into place).
        #[arg(short, long, required_unless_present = "verify")]
        output: Option<PathBuf>,
        /// Compress harder (zstd level 19 instead of 3): smaller, slower to package.
        #[arg(long)]
        best: bool,
        /// The apphost binary to put the app into (default: this one), e.g. a release build.
        #[arg(long, value_name = "FILE")]
        host: Option<PathBuf>,
        /// Check the packaged executable FILE (every file's hash, its manifest) and print its
        /// app's summary.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["dir", "output", "best", "host"])]
        verify: Option<PathBuf>,
    },
    /// Create a small working app in DIR.
    Init {
        /// Folder to create (must be absent or empty).
        dir: PathBuf,
        /// App name (default: from the folder's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Print the JSON Schema of app.toml / app.json5.
    Schema,
}

/// Runs the command; the exit code it returns is the process's.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    match cli.command {
        Command::Check { target } => check::run(&target),
        Command::Schema => schema::run(),
        Command::Init { dir, name } => init::run(&dir, name.as_deref()),
        Command::Run { dir, args } => run::run(dir.as_deref(), args),
        Command::Dev { dir } => dev::run(&dir),
        Command::Package {
            verify: Some(file), ..
        } => package::verify(&file),
        Command::Package {
            dir: Some(dir),
            output: Some(output),
            best,
            host,
            verify: None,
        } => package::run(&dir, &output, best, host),
        Command::Package { .. } => {
            eprintln!("apphost package: give DIR and -o FILE, or --verify FILE");
            Ok(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
