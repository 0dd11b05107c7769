//! The static library the C, Objective-C and Java tests link: built fresh for the test run.
//!
//! `cargo test` builds the crate's rlib for the tests but not its staticlib, so a
//! `libcertpin.a` lying in `target/<profile>/` may be stale or missing. This runs
//! `cargo build --lib` (a no-op when nothing changed) into its own target directory beside the
//! test's, so it never waits on the `cargo test` that is running it, and returns the `.a`.
//!
//! Include it with `#[path = "support/static_lib.rs"] mod static_lib;`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The freshly built `libcertpin.a` (debug profile), built once per test binary.
pub fn static_library() -> PathBuf {
    static LIBRARY: OnceLock<PathBuf> = OnceLock::new();
    LIBRARY.get_or_init(build).clone()
}

fn build() -> PathBuf {
    // Test binaries run from <target dir>/<profile>/deps/ (under <triple>/ with --target).
    let exe = std::env::current_exe().expect("the test binary's path");
    let target_dir = exe
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "deps"))
        .and_then(|deps| deps.parent()?.parent())
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), Path::to_path_buf)
        .join("c-link");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--lib", "--quiet", "--target-dir"])
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // The outer run's sanitizer or coverage flags are for Rust test code, not this library.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo build --lib failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let library = target_dir.join("debug").join("libcertpin.a");
    assert!(library.is_file(), "{} was not built", library.display());
    library
}
