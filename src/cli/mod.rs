//! The command line: one small file per subcommand.

mod check;
mod dev;
mod init;
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
    /// Package the app in DIR as one self-contained executable (not yet available).
    Package {
        /// App folder holding app.toml or app.json5.
        dir: PathBuf,
        /// The executable to write.
        #[arg(short, long)]
        output: PathBuf,
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
        Command::Run { dir } => run::run(dir.as_deref()),
        Command::Dev { dir } => dev::run(&dir),
        Command::Package { .. } => {
            eprintln!(
                "apphost package: not yet available in this build; \
                 `apphost run DIR` runs an app from its folder meanwhile"
            );
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
