#!/usr/bin/env bash
# Sets up this machine (system packages, Rust), builds apphost and runs the sample app.
# Extra arguments go to apphost: `scripts/run-sample.sh check` checks the sample instead.
# `SAMPLE=hello scripts/run-sample.sh` runs sample-apps/hello instead of the notes app.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --locked --release --quiet
verb=${1:-run}
exec target/release/apphost "$verb" "sample-apps/${SAMPLE:-notes}" "${@:2}"
