//! `apphost schema`: the manifest's JSON Schema, generated from the manifest types.

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    println!("{}", crate::manifest::schema_json());
    Ok(ExitCode::SUCCESS)
}
