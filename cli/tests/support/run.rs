//! Running the `certpin` binary from the CLI tests.

use std::process::{Command, Output};

/// Runs `certpin ARGS` from the repository root (so `testdata/...` paths work).
pub fn certpin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certpin"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("certpin runs")
}
