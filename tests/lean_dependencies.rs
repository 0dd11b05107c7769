//! A Rust user of the library gets the library's dependencies only: the CLI's (clap, plist,
//! roxmltree, quick-xml) live in `cli/`, and rustls comes only with the `rustls` feature. Read
//! from `cargo tree`, the same graph `cargo add certpin` would resolve.

use std::process::Command;

/// Crates that belong to the command-line tool or the TLS client, never to the default library.
const NOT_IN_THE_LIBRARY: &[&str] = &["clap", "rustls", "plist", "roxmltree", "quick-xml"];

/// The names of the crates in the library's normal dependency graph, with `features`.
fn library_dependencies(features: &[&str]) -> Vec<String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command.args(["tree", "--offline", "--locked", "-e", "normal", "-p", "certpin"]);
    command.args(["--prefix", "none", "--format", "{p}", "--manifest-path", manifest]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().unwrap_or_else(|error| panic!("{cargo} tree: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{cargo} tree: {}", String::from_utf8_lossy(&output.stderr));
    // Lines read `name vX.Y.Z [(path)] [(*)]`.
    stdout.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_owned).collect()
}

#[test]
fn the_default_library_has_no_cli_or_tls_client_dependency() {
    let names = library_dependencies(&[]);
    assert!(names.iter().any(|name| name == "rustls-webpki"), "{names:?}");
    let found: Vec<&&str> = NOT_IN_THE_LIBRARY
        .iter()
        .filter(|crate_name| names.iter().any(|n| n == *crate_name))
        .collect();
    assert!(found.is_empty(), "the library depends on {found:?}: {names:?}");
}

#[test]
fn the_rustls_feature_brings_rustls_and_nothing_of_the_cli() {
    let names = library_dependencies(&["rustls"]);
    assert!(names.iter().any(|name| name == "rustls"), "{names:?}");
    for cli_only in NOT_IN_THE_LIBRARY.iter().filter(|name| **name != "rustls") {
        assert!(!names.iter().any(|name| name == cli_only), "{cli_only}: {names:?}");
    }
}
