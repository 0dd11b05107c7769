//! The committed header is exactly what cbindgen generates from the sources, and every
//! `PIN_*` value in it is the contract's (`tests/data/CONTRACT.md`, a copy of
//! `../shared/CONTRACT.md` that must equal it wherever that file exists).
//!
//! To regenerate after changing the API: `CERTPIN_BLESS=1 cargo test --test header`.

use std::path::Path;

fn generated_header() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let config =
        cbindgen::Config::from_file(Path::new(root).join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

fn committed_header() -> String {
    std::fs::read_to_string(repo("include/certpin.h")).unwrap_or_default()
}

#[test]
fn committed_header_is_fresh() {
    let fresh = generated_header();
    if std::env::var_os("CERTPIN_BLESS").is_some() {
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/certpin.h"), &fresh)
            .unwrap();
    }
    assert!(
        fresh == committed_header(),
        "include/certpin.h differs from a fresh cbindgen run: regenerate it with \
         `CERTPIN_BLESS=1 cargo test --test header` and commit it"
    );
}

/// The contract, as committed beside the tests: a copy of `../shared/CONTRACT.md`, so that
/// the values are checked in every checkout, not only where the shared file lies beside it.
const CONTRACT_COPY: &str = "tests/data/CONTRACT.md";

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The result codes the contract fixes: every line of its `typedef enum pin_result { ... }`
/// block, `NAME = VALUE, /* comment */`. Outside code compiles against these numbers: they
/// never change. A line in the block that does not read so fails the test, and so does a
/// missing block: the table is never quietly empty.
fn contract_results() -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(repo(CONTRACT_COPY)).expect(CONTRACT_COPY);
    let block = text
        .split_once("typedef enum pin_result {")
        .and_then(|(_, rest)| rest.split_once("} pin_result;"))
        .map(|(block, _)| block)
        .unwrap_or_else(|| panic!("{CONTRACT_COPY} has no `typedef enum pin_result` block"));
    let results: Vec<(String, u32)> = block
        .lines()
        .map(|line| line.split("/*").next().unwrap().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let parsed = line.trim_end_matches(',').split_once('=').and_then(|(name, value)| {
                let name = name.trim();
                let value = value.trim().parse().ok()?;
                name.starts_with("PIN_").then(|| (name.to_owned(), value))
            });
            parsed.unwrap_or_else(|| panic!("{CONTRACT_COPY}: cannot read `{line}`"))
        })
        .collect();
    assert!(results.contains(&("PIN_OK".to_owned(), 0)), "{CONTRACT_COPY}: no PIN_OK = 0");
    results
}

/// `NAME value` for every `#define PIN_...` line of a header.
fn defined_results(header: &str) -> Vec<(String, u32)> {
    header
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("#define ")?.split_whitespace();
            let name = words.next()?;
            let value = words.next()?.parse().ok()?;
            name.starts_with("PIN_").then(|| (name.to_owned(), value))
        })
        .collect()
}

#[test]
fn result_values_are_the_contract() {
    let contract = contract_results();
    let defined = defined_results(&committed_header());
    for (name, value) in &contract {
        assert!(
            defined.contains(&(name.clone(), *value)),
            "{name} = {value} (as {CONTRACT_COPY} fixes it) missing from the header"
        );
        let code = certpin::pin_result_name(*value);
        // SAFETY: pin_result_name returns a static NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(code) }.to_str().unwrap();
        assert_eq!(text, name);
    }
    // Codes added beyond the contract take new numbers: none reuses a contract value.
    for (name, value) in defined.iter().filter(|(n, _)| n == "PIN_OK" || n.starts_with("PIN_ERR_"))
    {
        let in_contract = contract.iter().any(|(n, v)| n == name && v == value);
        let reuses = contract.iter().any(|(_, v)| v == value);
        assert!(in_contract || !reuses, "{name} = {value} reuses a contract value");
    }
}

/// The committed copy is the contract itself: where `../shared/CONTRACT.md` lies beside the
/// repository (as on the project's machines), the copy equals it byte for byte. Elsewhere the
/// copy is all there is, and `result_values_are_the_contract` checks against it.
#[test]
fn contract_copy_is_the_shared_contract() {
    let copy = std::fs::read(repo(CONTRACT_COPY)).expect(CONTRACT_COPY);
    let shared = repo("../shared/CONTRACT.md");
    if let Ok(original) = std::fs::read(&shared) {
        assert!(
            copy == original,
            "{CONTRACT_COPY} differs from {}: copy it again (cp {} {CONTRACT_COPY})",
            shared.display(),
            shared.display()
        );
    }
}

#[test]
fn version_macros_match_the_package() {
    let header = committed_header();
    for (part, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define CERTPIN_VERSION_{part} {value}");
        assert!(header.contains(&line), "header lacks `{line}`");
    }
    // SAFETY: pin_version returns a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(certpin::pin_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}
