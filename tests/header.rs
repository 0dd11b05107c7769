//! The committed header is exactly what cbindgen generates from the sources, and every
//! `PIN_*` value in it is the contract's.
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
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/certpin.h"))
        .unwrap_or_default()
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

/// The result codes as `../shared/CONTRACT.md` fixes them. Outside code compiles against
/// these numbers: they never change.
const CONTRACT: &[(&str, u32)] = &[
    ("PIN_OK", 0),
    ("PIN_ERR_NULL_ARGUMENT", 1),
    ("PIN_ERR_INVALID_ARGUMENT", 2),
    ("PIN_ERR_BAD_PIN", 3),
    ("PIN_ERR_BAD_HOST", 4),
    ("PIN_ERR_BAD_CERTIFICATE", 5),
    ("PIN_ERR_EMPTY_CHAIN", 6),
    ("PIN_ERR_UNKNOWN_ISSUER", 7),
    ("PIN_ERR_EXPIRED", 8),
    ("PIN_ERR_NOT_YET_VALID", 9),
    ("PIN_ERR_HOST_MISMATCH", 10),
    ("PIN_ERR_INVALID_CHAIN", 11),
    ("PIN_ERR_PIN_MISMATCH", 12),
    ("PIN_ERR_NOT_PINNED", 13),
    ("PIN_ERR_BAD_CONFIG", 14),
    ("PIN_ERR_BAD_SIGNATURE", 15),
    ("PIN_ERR_STALE_UPDATE", 16),
    ("PIN_ERR_BUFFER_TOO_SMALL", 17),
    ("PIN_ERR_INTERNAL", 255),
];

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
    let defined = defined_results(&committed_header());
    for (name, value) in CONTRACT {
        assert!(
            defined.contains(&((*name).to_owned(), *value)),
            "{name} = {value} missing from the header"
        );
        let code = certpin::pin_result_name(*value);
        // SAFETY: pin_result_name returns a static NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(code) }.to_str().unwrap();
        assert_eq!(text, *name);
    }
    // Codes added beyond the contract take new numbers: none reuses a contract value.
    for (name, value) in defined.iter().filter(|(n, _)| n == "PIN_OK" || n.starts_with("PIN_ERR_"))
    {
        let in_contract = CONTRACT.iter().any(|(n, v)| n == name && v == value);
        let reuses = CONTRACT.iter().any(|(_, v)| v == value);
        assert!(in_contract || !reuses, "{name} = {value} reuses a contract value");
    }
}

/// Where the contract document is beside the repository, its table agrees with ours.
#[test]
fn contract_document_agrees_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/CONTRACT.md");
    let Ok(text) = std::fs::read_to_string(path) else { return };
    for line in text.lines() {
        let line = line.trim();
        let Some((name, rest)) = line.split_once('=') else { continue };
        let name = name.trim();
        if !name.starts_with("PIN_") {
            continue;
        }
        let value: u32 = rest.trim().split(',').next().unwrap().trim().parse().unwrap();
        assert!(CONTRACT.contains(&(name, value)), "CONTRACT.md has {name} = {value}");
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
