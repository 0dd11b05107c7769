//! The `certpin` command-line tool, run as a process: pins against openssl's, offline checks,
//! lint findings, signed updates applied through the library, and a probe of a real TLS
//! server on 127.0.0.1.

#[path = "../../tests/support/tls_server.rs"]
mod tls_server;

#[path = "support/run.rs"]
mod run;

use run::certpin;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin::PinError;
use certpin::store::PinStore;
use certpin::update::UpdateKey;
use ring::signature::{ED25519, UnparsedPublicKey};
use serde_json::Value;
use tls_server::{Served, TlsServer};

/// 2027-01-01T00:00:00Z: inside the samples' validity.
const AT: &str = "1798761600";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `certpin --json ARGS`, expecting `code`, and parses standard output.
fn certpin_json(args: &[&str], code: i32) -> Value {
    let output = certpin(&[&["--json"], args].concat());
    assert_eq!(output.status.code(), Some(code), "{args:?}: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON document")
}

/// `NAME -> sha256/...` from testdata/pins.txt (computed with openssl).
fn openssl_pins() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(tls_server::testdata().join("pins.txt")).unwrap();
    text.lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, pin)| (name.to_owned(), pin.to_owned()))
        .collect()
}

/// A fresh, empty directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn pin_equals_openssl_for_every_sample_in_pem_and_der() {
    let pins = openssl_pins();
    assert!(pins.len() >= 9);
    for extension in ["pem", "der"] {
        let files: Vec<String> =
            pins.keys().map(|name| format!("testdata/{name}.{extension}")).collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let report = certpin_json(&[&["pin"], files.as_slice()].concat(), 0);
        let certificates = report["certificates"].as_array().unwrap();
        assert_eq!(certificates.len(), pins.len());
        for (certificate, (name, pin)) in certificates.iter().zip(&pins) {
            assert_eq!(certificate["file"], format!("testdata/{name}.{extension}"));
            assert_eq!(certificate["pin"], pin.as_str(), "{name}.{extension}");
        }
    }
}

#[test]
fn pin_reads_every_certificate_of_a_pem_file_with_its_details() {
    let report = certpin_json(&["pin", "testdata/chain.pem"], 0);
    let certificates = report["certificates"].as_array().unwrap();
    assert_eq!(certificates.len(), 2);
    let (leaf, intermediate) = (&certificates[0], &certificates[1]);
    assert_eq!(leaf["index"], 0);
    assert_eq!(intermediate["index"], 1);
    assert_eq!(leaf["pin"], openssl_pins()["leaf"].as_str());
    assert_eq!(intermediate["pin"], openssl_pins()["intermediate-ca"].as_str());
    assert_eq!(leaf["subject"], "CN=api.example.com");
    assert!(leaf["issuer"].as_str().unwrap().contains("CN=certpin Sample Intermediate CA"));
    assert_eq!(leaf["not_before"], "2026-01-01T00:00:00Z");
    assert_eq!(leaf["not_after"], "2046-01-01T00:00:00Z");
    // The fingerprint is openssl's.
    let openssl = Command::new("openssl")
        .args(["x509", "-in", "testdata/leaf.pem", "-noout", "-fingerprint", "-sha256"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("openssl runs");
    let openssl = String::from_utf8(openssl.stdout).unwrap();
    let fingerprint = openssl.trim().rsplit_once('=').unwrap().1;
    assert_eq!(leaf["sha256_fingerprint"], fingerprint);

    let text = stdout(&certpin(&["pin", "testdata/chain.pem"]));
    assert!(text.contains("testdata/chain.pem [1]"), "{text}");
    assert!(text.contains(&format!("pin         {}", openssl_pins()["intermediate-ca"])), "{text}");
}

#[test]
fn check_trusts_the_genuine_chain_and_refuses_the_mitm_chain() {
    let genuine = certpin(&[
        "check",
        "--policy",
        "testdata/policy.json",
        "--host",
        "api.example.com",
        "--anchor",
        "testdata/root-ca.pem",
        "--at",
        AT,
        "testdata/chain.pem",
    ]);
    assert_eq!(genuine.status.code(), Some(0), "{}", stderr(&genuine));
    assert!(stdout(&genuine).starts_with("PIN_OK"), "{}", stdout(&genuine));

    let mitm = [
        "check",
        "--policy",
        "testdata/policy.json",
        "--host",
        "api.example.com",
        "--anchor",
        "testdata/root-ca.pem",
        "--anchor",
        "testdata/rogue-ca.pem",
        "--at",
        AT,
        "testdata/mitm-chain.pem",
    ];
    let refused = certpin(&mitm);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stdout(&refused).contains("PIN_ERR_PIN_MISMATCH"), "{}", stdout(&refused));
    let report = certpin_json(&mitm, 1);
    assert_eq!(report["result"], "PIN_ERR_PIN_MISMATCH");
    assert_eq!(report["pattern"], "api.example.com");
    assert!(report["explanation"].as_str().unwrap().contains("CN=Rogue Proxy CA"));
}

/// `(severity, check, key)` of every finding of a lint report.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (text(&f["severity"]), text(&f["check"]), text(&f["key"])))
        .collect()
}

fn assert_found(found: &[(String, String, String)], severity: &str, check: &str, key: &str) {
    let wanted = (severity.to_owned(), check.to_owned(), key.to_owned());
    assert!(found.contains(&wanted), "no {wanted:?} in {found:#?}");
}

#[test]
fn lint_flags_each_problem_of_the_bad_sample() {
    let args = [
        "lint",
        "testdata/policy-bad.json",
        "--chain",
        "testdata/chain.pem",
        "--anchor",
        "testdata/root-ca.pem",
        "--at",
        AT,
    ];
    let report = certpin_json(&args, 1);
    let found = findings(&report);
    for (severity, check, key) in [
        ("error", "unknown-key", r#"domains."api.example.com".expire"#),
        ("error", "missing-backup", r#"domains."cdn.example.net".pins"#),
        ("error", "bad-pin", r#"domains."static.example.net".pins[1]"#),
        ("error", "backup-on-chain", r#"domains."api.example.com".pins"#),
        ("warning", "single-ca", r#"domains."api.example.com".pins"#),
        ("error", "expired", r#"domains."**.example.com".expires"#),
        ("warning", "expiring", r#"domains."static.example.net".expires"#),
        ("warning", "overlap", r#"domains."api.example.com""#),
    ] {
        assert_found(&found, severity, check, key);
    }
    assert_eq!(found.len(), 8, "{found:#?}");
    let overlap = report["findings"].as_array().unwrap().iter().find(|f| f["check"] == "overlap");
    let message = overlap.unwrap()["message"].as_str().unwrap();
    assert!(message.contains(r#"domains."**.example.com""#) && message.contains("wins"));

    // Without the chain, the chain checks are not made; the text report is aligned per line.
    let output = certpin(&["lint", "testdata/policy-bad.json", "--at", AT]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("testdata/policy-bad.json: 4 error(s), 2 warning(s)"), "{text}");
    assert!(!text.contains("backup-on-chain"));
    assert!(text.contains("unknown key (did you mean \"expires\"?)"), "{text}");
}

#[test]
fn lint_flags_a_generated_bad_document() {
    let dir = scratch("lint");
    let (a, b) = (&openssl_pins()["intermediate-ca"], &openssl_pins()["ec-intermediate-ca"]);
    let document = format!(
        r#"{{"certpin_policy": 1, "version": 1, "expires": "2026-12-01", "domain": {{}},
            "domains": {{
              "*.example.org": {{"pins": ["{a}", "{b}"]}},
              "**.api.example.org": {{"pins": ["{a}", "{b}"], "mode": "report_only"}},
              "old.example.org": {{"exclude": true}},
              "A.example.": {{"pins": ["{a}", "{b}"]}},
              "a.example": {{"pins": ["{a}", "{a}"]}},
              "x..y": {{"tofu": true}},
              "tofu.example": {{"tofu": true, "warn_after": "later"}},
              "solo.example": {{"pins": ["{a}"], "mode": "enforce"}}
            }}}}"#
    );
    let file = dir.join("bad.json");
    std::fs::write(&file, document).unwrap();
    let found = findings(&certpin_json(&["lint", path_str(&file), "--at", AT], 1));
    for (severity, check, key) in [
        ("error", "unknown-key", "domain"),
        ("warning", "expired", "expires"),
        ("warning", "weaker-wins", r#"domains."**.api.example.org""#),
        ("warning", "weaker-wins", r#"domains."old.example.org""#),
        ("error", "duplicate-pattern", r#"domains."a.example""#),
        ("error", "bad-pin", r#"domains."a.example".pins[1]"#),
        ("error", "bad-pattern", r#"domains."x..y""#),
        ("error", "bad-date", r#"domains."tofu.example".warn_after"#),
        ("error", "missing-backup", r#"domains."solo.example".pins"#),
    ] {
        assert_found(&found, severity, check, key);
    }

    // What serde or parse_document refuse is reported too: bad JSON, a key given twice.
    std::fs::write(&file, r#"{"certpin_policy": 1, "domains": {"#).unwrap();
    let found = findings(&certpin_json(&["lint", path_str(&file)], 1));
    assert_eq!(found, [("error".into(), "bad-json".into(), "line 1 column 34".into())]);
    let twice = r#"{"certpin_policy": 1, "domains": {"a.example": {"exclude": true},
                   "a.example": {"exclude": true}}}"#;
    std::fs::write(&file, twice).unwrap();
    let found = findings(&certpin_json(&["lint", path_str(&file)], 1));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, "invalid");
}

/// Lints `document` (written to a scratch file) at [`AT`], expecting exit `code`.
fn lint_document(name: &str, document: &str, code: i32) -> Vec<(String, String, String)> {
    let file = scratch(name).join("policy.json");
    std::fs::write(&file, document).unwrap();
    findings(&certpin_json(&["lint", path_str(&file), "--at", AT], code))
}

#[test]
fn lint_reports_the_library_configuration_check() {
    let (a, b) = (&openssl_pins()["intermediate-ca"], &openssl_pins()["ec-intermediate-ca"]);
    // Each of these the library refuses; lint says so, with the library's own rule.
    for (entry, check, key) in [
        (r#"{"single_pin": true}"#, "no-pins", r#"domains."api.example.com".pins"#),
        (r#"{"mode": "report_only"}"#, "no-pins", r#"domains."api.example.com".pins"#),
        (
            r#"{"single_pin": true, "trust": "pins_only"}"#,
            "no-pins",
            r#"domains."api.example.com".pins"#,
        ),
        (
            r#"{"exclude": true, "mode": "report_only"}"#,
            "exclusion-with-options",
            r#"domains."api.example.com""#,
        ),
        (
            r#"{"exclude": true, "expires": "2030-01-01"}"#,
            "exclusion-with-options",
            r#"domains."api.example.com""#,
        ),
        (
            &format!(r#"{{"pins": ["{a}", "{b}"], "mode": "report_only", "trust": "pins_only"}}"#),
            "report-only-without-ca",
            r#"domains."api.example.com""#,
        ),
    ] {
        let document = format!(
            r#"{{"certpin_policy": 1, "unpinned_hosts": "refuse", "domains": {{"api.example.com": {entry}}}}}"#
        );
        let found = lint_document("lint-config", &document, 1);
        assert_found(&found, "error", check, key);
        assert_eq!(found.len(), 1, "{entry}: reported once: {found:#?}");
    }
}

#[test]
fn lint_counts_an_entry_whose_pins_have_expired_as_an_error() {
    let (a, b) = (&openssl_pins()["intermediate-ca"], &openssl_pins()["ec-intermediate-ca"]);
    let document = format!(
        r#"{{"certpin_policy": 1, "expires": "2026-06-01", "domains": {{
             "api.example.com": {{"pins": ["{a}", "{b}"], "expires": "2026-12-31"}}}}}}"#
    );
    let found = lint_document("lint-expired", &document, 1);
    assert_found(&found, "error", "expired", r#"domains."api.example.com".expires"#);
    // The document's own expiry passed: a warning (it still loads; only updates refuse it).
    assert_found(&found, "warning", "expired", "expires");
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[test]
fn lint_reports_every_exclusion_or_report_only_entry_that_wins_over_an_enforced_one() {
    let (a, b) = (&openssl_pins()["intermediate-ca"], &openssl_pins()["ec-intermediate-ca"]);
    let document = format!(
        r#"{{"certpin_policy": 1, "domains": {{
             "example.com": {{"include_subdomains": true, "pins": ["{a}", "{b}"]}},
             "legacy.example.com": {{"exclude": true}},
             "*.cdn.example.com": {{"pins": ["{a}"], "mode": "report_only"}},
             "api.example.com": {{"include_subdomains": true, "pins": ["{a}", "{b}"]}},
             "*.example.com": {{"exclude": true}}
           }}}}"#
    );
    let found = lint_document("lint-weaker", &document, 0);
    for key in [
        r#"domains."legacy.example.com""#,
        r#"domains."*.cdn.example.com""#,
        r#"domains."*.example.com""#,
    ] {
        assert_found(&found, "warning", "weaker-wins", key);
    }
    // api.example.com's own entry wins over the `*.` exclusion on api.example.com (it names
    // more labels), so that overlap is no exclusion winning.
    assert!(
        !found.iter().any(|(_, check, key)| check == "weaker-wins" && key.contains("api.example")),
        "{found:#?}"
    );
    assert_eq!(found.iter().filter(|(_, check, _)| check == "weaker-wins").count(), 3);
}

#[test]
fn lint_passes_a_clean_document_and_warnings_alone() {
    let clean = [
        "lint",
        "testdata/policy.json",
        "--chain",
        "testdata/chain.pem",
        "--anchor",
        "testdata/root-ca.pem",
        "--at",
        AT,
    ];
    let report = certpin_json(&clean, 0);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert!(stdout(&certpin(&clean)).contains("no problems found"));

    let dir = scratch("lint-warnings");
    let (a, b) = (&openssl_pins()["intermediate-ca"], &openssl_pins()["ec-intermediate-ca"]);
    let soon = format!(
        r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{"pins": ["{a}", "{b}"],
            "expires": "2027-01-10"}}}}}}"#
    );
    let file = dir.join("soon.json");
    std::fs::write(&file, soon).unwrap();
    let report = certpin_json(&["lint", path_str(&file), "--at", AT], 0);
    assert_eq!(report["warnings"], 1);
    assert_eq!(report["findings"][0]["check"], "expiring");
}

#[test]
fn lint_passes_what_a_store_exports_for_a_single_added_pin() {
    // pin_store_add makes a one-pin set; its export marks it `single_pin` so that it loads
    // back, and lint must accept the key and the waived backup rule as the library does.
    let store = PinStore::new();
    store.add_pin("api.example.com", &openssl_pins()["intermediate-ca"]).unwrap();
    let exported = store.export_policy();
    assert!(exported.contains("single_pin"), "{exported}");
    let dir = scratch("lint-single-pin");
    let file = dir.join("exported.json");
    std::fs::write(&file, exported).unwrap();
    let report = certpin_json(&["lint", path_str(&file), "--at", AT], 0);
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{report:#}");
}

#[test]
fn lint_matches_a_root_by_key_and_signature_not_by_name() {
    // ISRG Root X1's published pin.
    const ISRG_ROOT_X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
    let dir = scratch("lint-fake-isrg");
    fake_isrg_chain(&dir);
    let (leaf, fake_root) = (dir.join("leaf.pem"), dir.join("fake-root.pem"));
    let pin_of = |file: &Path| {
        certpin_json(&["pin", path_str(file)], 0)["certificates"][0]["pin"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (leaf_pin, fake_root_pin) = (pin_of(&leaf), pin_of(&fake_root));
    let policy = dir.join("policy.json");
    let lint_with = |root_pin: &str, extra: &[&str], code: i32| {
        let document = format!(
            r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{"pins": ["{root_pin}", "{leaf_pin}"]}}}}}}"#
        );
        std::fs::write(&policy, document).unwrap();
        let args = [&["lint", path_str(&policy), "--chain", path_str(&leaf)][..], extra].concat();
        certpin_json(&args, code)
    };
    // The leaf's issuer is named as ISRG Root X1 but signed with another key: the chain does
    // not validate, so lint names no root for it (by name it would have found ISRG's).
    let report = lint_with(ISRG_ROOT_X1, &[], 2);
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("does not validate"), "{error}");
    // With the made-up root as an anchor, the root on the chain is that anchor, by its key:
    // ISRG's pin is then a backup off the chain, and the anchor's pin is on it.
    let anchor = ["--anchor", path_str(&fake_root)];
    let report = lint_with(ISRG_ROOT_X1, &anchor, 0);
    assert_eq!(report["errors"], 0, "{report:#}");
    let report = lint_with(&fake_root_pin, &anchor, 1);
    let finding = &report["findings"][0];
    assert_eq!(finding["check"], "backup-on-chain");
    assert!(finding["message"].as_str().unwrap().contains("(root, leaf)"), "{finding}");
}

#[test]
fn keygen_and_sign_make_updates_the_library_applies() {
    let dir = scratch("keys");
    let key = dir.join("update.key");
    let made = certpin_json(&["keygen", "--out", path_str(&key)], 0);
    let public_key = made["public_key"].as_str().unwrap().to_owned();
    assert_eq!(STANDARD.decode(&public_key).unwrap().len(), 32);
    assert!(std::fs::read_to_string(&key).unwrap().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A key is never overwritten.
    let again = certpin(&["keygen", "--out", path_str(&key)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));

    let document = dir.join("policy.json");
    std::fs::copy(tls_server::testdata().join("policy.json"), &document).unwrap();
    let signed = certpin_json(&["sign", "--key", path_str(&key), path_str(&document)], 0);
    assert_eq!(signed["public_key"], public_key.as_str());
    let signature_file = dir.join("policy.json.sig");
    assert_eq!(signed["signature_file"], path_str(&signature_file));
    let signature_text = std::fs::read_to_string(&signature_file).unwrap();
    assert!(signature_text.ends_with('\n'));
    let bytes = std::fs::read(&document).unwrap();

    // The signature is Ed25519 over the document's exact bytes.
    let signature = STANDARD.decode(signature_text.trim()).unwrap();
    let public = STANDARD.decode(&public_key).unwrap();
    UnparsedPublicKey::new(&ED25519, &public).verify(&bytes, &signature).expect("valid");

    // And the library applies it, and refuses a tampered document.
    let store = PinStore::new();
    store.add_update_key(UpdateKey::from_base64(&public_key).unwrap()).unwrap();
    let mut tampered = bytes.clone();
    let at = tampered.iter().position(|b| *b == b'1').unwrap();
    tampered[at] = b'2';
    let refused = store.apply_update(&tampered, signature_text.as_bytes(), 1_798_761_600);
    assert_eq!(refused.unwrap_err().error, PinError::BadSignature);
    store.apply_update(&bytes, signature_text.as_bytes(), 1_798_761_600).expect("applies");
    assert_eq!(store.snapshot().version, 1);
}

/// Runs the openssl CLI, which must succeed; its standard output.
fn openssl(args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is missing: apt-get install openssl");
    assert!(output.status.success(), "openssl {args:?}: {}", stderr(&output));
    output.stdout
}

#[test]
fn keygen_writes_a_key_openssl_reads_and_sign_takes_pkcs8_v1_and_v2() {
    let dir = scratch("keys-openssl");
    let key = dir.join("update.key");
    let made = certpin_json(&["keygen", "--out", path_str(&key)], 0);
    // OpenSSL 3.0 reads it (it refuses PKCS#8 v2), as an Ed25519 key with the same public key.
    let text =
        String::from_utf8(openssl(&["pkey", "-in", path_str(&key), "-noout", "-text"])).unwrap();
    assert!(text.starts_with("ED25519 Private-Key"), "{text}");
    let spki = openssl(&["pkey", "-in", path_str(&key), "-pubout", "-outform", "DER"]);
    assert_eq!(STANDARD.encode(&spki[spki.len() - 32..]), made["public_key"].as_str().unwrap());
    // And openssl's signature with it is the one certpin makes (Ed25519 is deterministic).
    let document = dir.join("policy.json");
    std::fs::copy(tls_server::testdata().join("policy.json"), &document).unwrap();
    let by_openssl = openssl(&[
        "pkeyutl",
        "-sign",
        "-rawin",
        "-inkey",
        path_str(&key),
        "-in",
        path_str(&document),
    ]);
    let signed = certpin_json(&["sign", "--key", path_str(&key), path_str(&document)], 0);
    assert_eq!(signed["signature"], STANDARD.encode(&by_openssl).as_str());

    // sign takes a v1 key from openssl and a v2 key (ring's, as keygen wrote before).
    let v1 = dir.join("openssl.key");
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", path_str(&v1)]);
    let v2 = dir.join("ring.key");
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(pkcs8.as_ref())
    );
    std::fs::write(&v2, pem).unwrap();
    for key in [&v1, &v2] {
        let out = dir.join("policy.json.sig");
        let _ = std::fs::remove_file(&out);
        let signed = certpin_json(&["sign", "--key", path_str(key), path_str(&document)], 0);
        let store = PinStore::new();
        let public = signed["public_key"].as_str().unwrap();
        store.add_update_key(UpdateKey::from_base64(public).unwrap()).unwrap();
        let signature = std::fs::read(&out).unwrap();
        let bytes = std::fs::read(&document).unwrap();
        store.apply_update(&bytes, &signature, 1_798_761_600).expect("applies");
    }
}

#[test]
fn sign_refuses_documents_that_cannot_be_updates() {
    let dir = scratch("sign-refuses");
    let key = dir.join("update.key");
    assert_eq!(certpin(&["keygen", "--out", path_str(&key)]).status.code(), Some(0));
    let (a, b) = (&openssl_pins()["intermediate-ca"], &openssl_pins()["ec-intermediate-ca"]);
    let entry = format!(r#""domains": {{"api.example.com": {{"pins": ["{a}", "{b}"]}}}}"#);
    for (name, document, problem) in [
        ("no-version.json", format!(r#"{{"certpin_policy": 1, "expires": "2030-01-01", {entry}}}"#), "version"),
        ("no-expiry.json", format!(r#"{{"certpin_policy": 1, "version": 2, {entry}}}"#), "expires"),
        (
            "one-pin.json",
            r#"{"certpin_policy": 1, "version": 2, "expires": "2030-01-01", "domains": {"a.example": {"pins": ["sha256/AQvmDL/x7gydMfUF8tH/KLQT4Jsrw2AIMv5DHvQlEe8="]}}}"#.to_owned(),
            r#"domains."a.example": an enforced pin set needs at least two pins"#,
        ),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, document).unwrap();
        let output = certpin(&["sign", "--key", path_str(&key), path_str(&file)]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let message = stderr(&output);
        assert!(message.contains(name) && message.contains(problem), "{name}: {message}");
        assert!(!dir.join(format!("{name}.sig")).exists());
    }
}

#[test]
fn probe_shows_the_served_chain_and_the_verdict() {
    let server = TlsServer::start(Served::Genuine);
    let address = server.address();
    let pins = openssl_pins();
    let probe = ["probe", "api.example.com", "--connect", &address];

    // The sample root is private: against the built-in roots the chain does not validate,
    // and probe says so, and why, and recommends nothing.
    let output = certpin(&probe);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains(&pins["leaf"]) && text.contains(&pins["intermediate-ca"]), "{text}");
    assert!(
        text.contains("does NOT validate") && text.contains("PIN_ERR_UNKNOWN_ISSUER"),
        "{text}"
    );
    assert!(text.contains("recommendation: none"), "{text}");
    assert!(!text.contains("recommendation: pin"), "{text}");

    let with_anchor = [&probe[..], &["--anchor", "testdata/root-ca.pem"]].concat();
    let output = certpin(&with_anchor);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("recommendation: pin the intermediate"));
    let report = certpin_json(&with_anchor, 0);
    assert_eq!(report["validated"], true);
    assert_eq!(report["host"], "api.example.com");
    assert_eq!(report["address"], address.as_str());
    let chain: Vec<&str> =
        report["chain"].as_array().unwrap().iter().map(|c| c["pin"].as_str().unwrap()).collect();
    assert_eq!(chain, [&pins["leaf"], &pins["intermediate-ca"]]);
    let roles: Vec<(&str, &str)> = report["pins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| (key["role"].as_str().unwrap(), key["pin"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("leaf", pins["leaf"].as_str()),
            ("intermediate", pins["intermediate-ca"].as_str()),
            ("root", pins["root-ca"].as_str()),
        ]
    );

    let verify = ["--policy", "testdata/policy.json", "--anchor", "testdata/root-ca.pem"];
    let output = certpin(&[&probe[..], &verify, &["--at", AT]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("verdict: PIN_OK"), "{}", stdout(&output));
}

#[test]
fn probe_of_a_mitm_server_fails_the_policy() {
    let server = TlsServer::start(Served::Mitm);
    let address = server.address();
    let args = [
        "probe",
        "api.example.com",
        "--connect",
        &address,
        "--policy",
        "testdata/policy.json",
        "--anchor",
        "testdata/root-ca.pem",
        "--anchor",
        "testdata/rogue-ca.pem",
        "--at",
        AT,
    ];
    let report = certpin_json(&args, 1);
    assert_eq!(report["verdict"]["result"], "PIN_ERR_PIN_MISMATCH");
    assert_eq!(report["chain"][0]["pin"], openssl_pins()["mitm-leaf"].as_str());
}

#[test]
fn probe_recommends_no_pin_from_a_chain_that_does_not_validate() {
    // A MITM server that sends its rogue CA along: the chain ends in a self-signed root, but
    // nothing the tool trusts issued it.
    let data = tls_server::testdata();
    let server = TlsServer::start_files(
        &data.join("mitm-leaf.pem"),
        &data.join("mitm-leaf.key"),
        Some(&data.join("rogue-ca.pem")),
    );
    let address = server.address();
    let probe = ["probe", "api.example.com", "--connect", &address];
    let output = certpin(&probe);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("does NOT validate"), "{text}");
    assert!(!text.contains("recommendation: pin"), "{text}");
    let report = certpin_json(&probe, 1);
    assert_eq!(report["validated"], false);
    assert_eq!(report["validation"]["result"], "PIN_ERR_UNKNOWN_ISSUER");
    assert_eq!(report["pins"].as_array().unwrap().len(), 0, "{report:#}");
    assert!(report["recommendation"].is_null(), "{report:#}");
    // The chain it sent is still shown, for the record.
    assert_eq!(report["chain"][1]["pin"], openssl_pins()["rogue-ca"].as_str());
}

/// A CA named exactly as webpki-roots' ISRG Root X1, with a made-up key, and a leaf for
/// api.example.com it signed: PEM files in `dir` (`fake-root.pem`, `leaf.pem`, `leaf.key`).
fn fake_isrg_chain(dir: &Path) {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer,
        KeyPair,
    };
    let mut name = DistinguishedName::new();
    for (kind, text) in [
        (DnType::CountryName, "US"),
        (DnType::OrganizationName, "Internet Security Research Group"),
        (DnType::CommonName, "ISRG Root X1"),
    ] {
        name.push(kind, DnValue::PrintableString(text.try_into().unwrap()));
    }
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name = name;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let root = ca.clone().self_signed(&ca_key).unwrap();
    let leaf = CertificateParams::new(vec!["api.example.com".to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf.signed_by(&leaf_key, &Issuer::from_params(&ca, &ca_key)).unwrap();
    std::fs::write(dir.join("fake-root.pem"), root.pem()).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("leaf.key"), leaf_key.serialize_pem()).unwrap();
}

#[test]
fn probe_matches_a_root_by_key_and_signature_not_by_name() {
    const ISRG_ROOT_X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
    let dir = scratch("probe-fake-isrg");
    fake_isrg_chain(&dir);
    let server = TlsServer::start_files(&dir.join("leaf.pem"), &dir.join("leaf.key"), None);
    let address = server.address();
    let probe = ["probe", "api.example.com", "--connect", &address];
    // The issuer's name is ISRG Root X1's, its key is not: no validation, no ISRG pin.
    let output = certpin(&probe);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(!text.contains(ISRG_ROOT_X1), "{text}");
    assert!(text.contains("does NOT validate"), "{text}");

    // Given the made-up root as an anchor, the chain validates, and the root listed is the
    // anchor that signed it, with its own key.
    let fake_root = dir.join("fake-root.pem");
    let with_anchor = [&probe[..], &["--anchor", path_str(&fake_root)]].concat();
    let report = certpin_json(&with_anchor, 0);
    let fake_root_pin = certpin_json(&["pin", path_str(&fake_root)], 0)["certificates"][0]["pin"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = report["pins"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(root["role"], "root");
    assert_eq!(root["pin"], fake_root_pin.as_str());
    assert!(root["source"].as_str().unwrap().starts_with("anchor "), "{root}");
    assert!(!serde_json::to_string(&report).unwrap().contains(ISRG_ROOT_X1));
}

#[test]
fn errors_name_the_file_and_exit_2() {
    let missing = "testdata/no-such-file.pem";
    for args in [
        vec!["pin", missing],
        vec!["check", "--policy", missing, "--host", "a.example", "testdata/chain.pem"],
        vec!["check", "--policy", "testdata/policy.json", "--host", "a.example", missing],
        vec!["lint", missing],
        vec!["sign", "--key", missing, "testdata/policy.json"],
    ] {
        let output = certpin(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(missing), "{args:?}: {}", stderr(&output));
    }
    // A file that is no certificate, and a policy the library refuses, say which and why.
    let output = certpin(&["pin", "testdata/policy.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("testdata/policy.json: certificate [0] is not"));
    let output = certpin(&[
        "check",
        "--policy",
        "testdata/policy-bad.json",
        "--host",
        "api.example.com",
        "testdata/chain.pem",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("testdata/policy-bad.json: line"), "{}", stderr(&output));
    // --json failures are still one JSON document on stdout.
    let report = certpin_json(&["pin", missing], 2);
    assert!(report["error"].as_str().unwrap().contains(missing));
}
