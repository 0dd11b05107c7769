//! Trust on first use through the C ABI: a domain marked `PIN_DOMAIN_TOFU` with no pins gets
//! `PIN_ERR_NOT_PINNED` with `PIN_VERDICT_TOFU_FIRST_USE` and the leaf's pin and fingerprint in
//! the `pin_verdict`; the app remembers the pin with `pin_store_add`; from then on the same key
//! passes and any other key is refused with an explanation that shows both.

mod policy_support;

use std::process::Command;

use certpin::*;
use policy_support::*;

/// The fingerprint `openssl x509 -noout -fingerprint -sha256` prints for a testdata/ DER file
/// (`sha256 Fingerprint=AB:CD:...`). Fails (never skips) when the openssl CLI cannot be run.
fn openssl_fingerprint(file: &str) -> String {
    let output = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-inform", "DER", "-in"])
        .arg(testdata_path(file))
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run openssl ({error}): the fingerprint check needs the OpenSSL CLI; \
                 install it with `apt-get install --no-install-recommends openssl`"
            )
        });
    assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("ASCII");
    let (_, hex) = text.trim().split_once('=').expect("NAME Fingerprint=HEX");
    hex.to_owned()
}

/// Checks a first-use verdict: its result and flags, and that it offers the leaf's pin (as in
/// pins.txt) and fingerprint (as openssl prints it).
#[track_caller]
fn expect_first_use(v: &Verdict, leaf_file: &str, leaf_name: &str, leaf_der: &[u8]) {
    v.expect(PIN_ERR_NOT_PINNED, PIN_VERDICT_TOFU_FIRST_USE, "first use");
    assert_eq!(v.leaf_pin, pin(leaf_name), "pin_verdict.leaf_pin is pins.txt's {leaf_name}");
    assert_eq!(v.leaf_fingerprint, fingerprint(leaf_der), "pin_verdict.leaf_fingerprint");
    assert_eq!(v.leaf_fingerprint.len(), 95, "32 hex pairs and 31 colons");
    let openssl = openssl_fingerprint(leaf_file);
    assert_eq!(v.leaf_fingerprint, openssl, "as `openssl x509 -fingerprint -sha256` prints");
    assert!(v.explanation.contains("trust on first use"), "{}", v.explanation);
    assert!(v.explanation.contains(&v.leaf_pin), "{}", v.explanation);
    assert!(v.explanation.contains(&v.leaf_fingerprint), "{}", v.explanation);
}

/// Checks a verdict on a key other than the remembered one: refused, and explained with the
/// remembered pin beside the new leaf's pin and fingerprint.
#[track_caller]
fn expect_key_change(v: &Verdict, remembered: &str, new_leaf_name: &str, new_leaf_der: &[u8]) {
    v.expect(PIN_ERR_PIN_MISMATCH, 0, "another key after the first use");
    for part in [remembered, pin(new_leaf_name), &fingerprint(new_leaf_der)] {
        assert!(v.explanation.contains(part), "the explanation shows {part}:\n{}", v.explanation);
    }
    assert_eq!(v.leaf_pin, pin(new_leaf_name));
    assert_eq!(v.leaf_fingerprint, fingerprint(new_leaf_der));
}

#[test]
fn tofu_with_pins_only_learns_a_self_signed_style_server() {
    // No anchor of the store's own: the built-in roots, which know neither sample root, so
    // the leaf alone is as untrusted as a device's self-signed certificate.
    let store = Store::new();
    let s = samples();
    let server: Vec<&[u8]> = vec![&s.leaf];
    expect_code(
        store.set_domain(HOST, &[], Some(&options(PIN_DOMAIN_TOFU | PIN_DOMAIN_PINS_ONLY))),
        PIN_OK,
        "a TOFU pins-only domain with no pins",
    );
    let first = store.verify(&server, HOST, T);
    expect_first_use(&first, "leaf.der", "leaf", &s.leaf);
    // The app shows the fingerprint, the user accepts: remember the key.
    expect_code(store.add(HOST, &first.leaf_pin), PIN_OK, "remember the leaf's pin");
    store.verify(&server, HOST, T).expect(PIN_OK, 0, "the same key, later");
    store.verify(&server, HOST, AFTER_VALIDITY).expect(PIN_OK, 0, "pins only: dates not checked");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "the same key with its intermediate");
    let changed = store.verify(&mitm(), HOST, T);
    expect_key_change(&changed, &first.leaf_pin, "mitm-leaf", &s.mitm);
}

#[test]
fn tofu_with_a_truly_self_signed_certificate() {
    let store = Store::new();
    let s = samples();
    let device = "printer.local";
    store.domain(device, &[], PIN_DOMAIN_TOFU | PIN_DOMAIN_PINS_ONLY, 0, 0);
    let first = store.verify(&[&s.rogue], device, T);
    expect_first_use(&first, "rogue-ca.der", "rogue-ca", &s.rogue);
    expect_code(store.add(device, &first.leaf_pin), PIN_OK, "remember");
    store.verify(&[&s.rogue], device, T).expect(PIN_OK, 0, "the same self-signed certificate");
    let changed = store.verify(&[&s.ec_leaf], device, T);
    expect_key_change(&changed, &first.leaf_pin, "ec-leaf", &s.ec_leaf);
}

#[test]
fn tofu_with_ca_validation_learns_a_valid_chain_and_refuses_the_proxy() {
    let store = Store::with_proxy_installed();
    let s = samples();
    store.domain(HOST, &[], PIN_DOMAIN_TOFU, 0, 0);
    let first = store.verify(&genuine(), HOST, T);
    expect_first_use(&first, "leaf.der", "leaf", &s.leaf);
    expect_code(store.add(HOST, &first.leaf_pin), PIN_OK, "remember");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "the same key");
    let changed = store.verify(&mitm_appending_genuine(), HOST, T);
    expect_key_change(&changed, &first.leaf_pin, "mitm-leaf", &s.mitm);
    // Without pins-only, the chain must still validate.
    store.verify(&genuine(), HOST, AFTER_VALIDITY).expect(PIN_ERR_EXPIRED, 0, "expired chain");
    store.verify(&[&s.leaf], HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "no intermediate");
}

#[test]
fn tofu_first_use_of_an_invalid_chain_fails_with_its_own_code_and_offers_nothing() {
    // Without pins-only the chain must validate before its key can be offered: a proxy the
    // store does not trust, or an expired leaf, fails for that, and the verdict must not
    // carry PIN_VERDICT_TOFU_FIRST_USE ("the host has no pin yet (PIN_ERR_NOT_PINNED); the
    // leaf's pin and fingerprint are offered to show, compare out of band and remember"): an
    // app acting on the flag would offer the user the key of a chain that failed.
    let store = Store::with_genuine_root();
    let s = samples();
    store.domain(HOST, &[], PIN_DOMAIN_TOFU, 0, 0);
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "untrusted proxy");
    let expired: Vec<&[u8]> = vec![&s.expired, &s.intermediate];
    store.verify(&expired, HOST, T).expect(PIN_ERR_EXPIRED, 0, "expired leaf");
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "another host, not TOFU");
    // The explanation says what the entry is: trust on first use with nothing learned yet.
    let v = store.verify(&mitm(), HOST, T);
    assert!(v.explanation.contains("trust on first use, no key learned yet"), "{}", v.explanation);
    assert!(!v.explanation.contains("enforced"), "{}", v.explanation);
}

#[test]
fn a_tofu_domain_from_a_document_and_its_learned_pin_survive_an_export() {
    let store = Store::new();
    let s = samples();
    store.load_ok(r#"{"certpin_policy": 1, "domains": {"device.local": {"tofu": true, "trust": "pins_only"}}}"#);
    let first = store.verify(&[&s.ec_leaf], "device.local", T);
    expect_first_use(&first, "ec-leaf.der", "ec-leaf", &s.ec_leaf);
    expect_code(store.add("device.local", &first.leaf_pin), PIN_OK, "remember");
    // What the app saves, and loads on its next start.
    let saved = store.export();
    let next_start = Store::new();
    next_start.load_ok(&saved);
    next_start.verify(&[&s.ec_leaf], "device.local", T).expect(PIN_OK, 0, "remembered key");
    let changed = next_start.verify(&[&s.leaf], "device.local", T);
    expect_key_change(&changed, &first.leaf_pin, "leaf", &s.leaf);
    assert_eq!(next_start.export(), saved);
}

#[test]
fn remembering_a_pin_moves_the_generation_and_a_second_key_can_be_added() {
    let store = Store::new();
    let s = samples();
    store.domain("printer.local", &[], PIN_DOMAIN_TOFU | PIN_DOMAIN_PINS_ONLY, 0, 0);
    let first = store.verify(&[&s.rogue], "printer.local", T);
    let generation = store.generation();
    assert_eq!(first.generation, generation, "the verdict's generation");
    expect_code(store.add("printer.local", &first.leaf_pin), PIN_OK, "remember");
    let learned = store.generation();
    assert_ne!(learned, generation, "learning a pin changes the policy");
    expect_code(store.add("printer.local", &first.leaf_pin), PIN_OK, "remember again");
    assert_eq!(store.generation(), learned, "remembering the same pin again is a no-op");
    // A device that rotates its key: the user accepts the new one too.
    let rotated = store.verify(&[&s.ec_leaf], "printer.local", T);
    rotated.expect(PIN_ERR_PIN_MISMATCH, 0, "the new key before it is accepted");
    expect_code(store.add("printer.local", &rotated.leaf_pin), PIN_OK, "accept the new key");
    store.verify(&[&s.ec_leaf], "printer.local", T).expect(PIN_OK, 0, "new key");
    store.verify(&[&s.rogue], "printer.local", T).expect(PIN_OK, 0, "old key");
}

#[test]
fn learned_keys_survive_a_restart_and_a_reload_of_the_built_in_policy() {
    let s = samples();
    let built_in = r#"{"certpin_policy": 1, "version": 1, "domains": {
        "device.local": {"tofu": true, "trust": "pins_only"},
        "*.cams.local": {"tofu": true, "trust": "pins_only"}}}"#;
    let store = Store::new();
    store.load_ok(built_in);
    let first = store.verify(&[&s.ec_leaf], "device.local", T);
    expect_first_use(&first, "ec-leaf.der", "ec-leaf", &s.ec_leaf);
    expect_code(store.add("device.local", &first.leaf_pin), PIN_OK, "remember");
    // A host learned under a wildcard trust-on-first-use entry gets its own exact entry.
    let cam = store.verify(&[&s.leaf], "door.cams.local", T);
    expect_code(store.add("door.cams.local", &cam.leaf_pin), PIN_OK, "remember the camera");

    // The restart the README describes: the saved store, then the built-in policy again.
    let dir = std::env::temp_dir().join(format!("certpin-tofu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.json");
    let c_path = cstring(path.to_str().unwrap());
    // SAFETY: a live store and a NUL-terminated path.
    expect_code(unsafe { pin_store_save(store.ptr(), c_path.as_ptr()) }, PIN_OK, "save");
    let next_start = Store::new();
    // SAFETY: a live store and a NUL-terminated path; no error buffer.
    let code =
        unsafe { pin_store_load_file(next_start.ptr(), c_path.as_ptr(), std::ptr::null_mut(), 0) };
    expect_code(code, PIN_OK, "load_file");
    next_start.load_ok(built_in);
    for store in [&store, &next_start] {
        // The built-in policy loaded again over the learned keys keeps them too.
        store.load_ok(built_in);
        store.verify(&[&s.ec_leaf], "device.local", T).expect(PIN_OK, 0, "remembered key");
        let changed = store.verify(&[&s.leaf], "device.local", T);
        expect_key_change(&changed, &first.leaf_pin, "leaf", &s.leaf);
        store.verify(&[&s.leaf], "door.cams.local", T).expect(PIN_OK, 0, "remembered camera");
        let v = store.verify(&[&s.ec_leaf], "door.cams.local", T);
        v.expect(PIN_ERR_PIN_MISMATCH, 0, "another key for the camera");
    }
    // A policy without the entries drops their keys; with them again, a first use again.
    next_start.load_ok(r#"{"certpin_policy": 1, "domains": {}}"#);
    next_start.load_ok(built_in);
    let again = next_start.verify(&[&s.leaf], "device.local", T);
    again.expect(PIN_ERR_NOT_PINNED, PIN_VERDICT_TOFU_FIRST_USE, "the entry went, and its key");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_keys_learned_on_first_use_carry_over_to_a_new_policy() {
    // Pins the app gave (an enforced entry) are not learned keys: a policy that turns the host
    // over to trust on first use starts it with nothing learned, exactly as, or under a
    // wildcard, pattern.
    let s = samples();
    let enforced = format!(
        r#"{{"certpin_policy": 1, "version": 1, "domains": {{
        "device.local": {{"pins": ["{ec}", "{leaf}"], "trust": "pins_only"}},
        "door.cams.local": {{"pins": ["{ec}", "{leaf}"], "trust": "pins_only"}}}}}}"#,
        ec = pin("ec-leaf"),
        leaf = pin("leaf"),
    );
    let tofu = r#"{"certpin_policy": 1, "version": 1, "domains": {
        "device.local": {"tofu": true, "trust": "pins_only"},
        "*.cams.local": {"tofu": true, "trust": "pins_only"}}}"#;
    let store = Store::new();
    store.load_ok(&enforced);
    for host in ["device.local", "door.cams.local"] {
        store.verify(&[&s.ec_leaf], host, T).expect(PIN_OK, 0, &format!("{host}: enforced"));
    }
    store.load_ok(tofu);
    for host in ["device.local", "door.cams.local"] {
        let v = store.verify(&[&s.ec_leaf], host, T);
        v.expect(PIN_ERR_NOT_PINNED, PIN_VERDICT_TOFU_FIRST_USE, &format!("{host}: first use"));
        expect_code(store.add(host, &v.leaf_pin), PIN_OK, &format!("{host}: remember"));
        store.verify(&[&s.ec_leaf], host, T).expect(PIN_OK, 0, &format!("{host}: learned"));
    }
    // The other way: learned keys do not join the pins of an entry, exact or wildcard, that
    // the new policy enforces; only its own pins count there.
    let enforced_wildcard = format!(
        r#"{{"certpin_policy": 1, "version": 1, "domains": {{
        "device.local": {{"pins": ["{root}", "{leaf}"], "trust": "pins_only"}},
        "*.cams.local": {{"pins": ["{root}", "{leaf}"], "trust": "pins_only"}}}}}}"#,
        root = pin("root-ca"),
        leaf = pin("leaf"),
    );
    store.load_ok(&enforced_wildcard);
    for host in ["device.local", "door.cams.local"] {
        let v = store.verify(&[&s.ec_leaf], host, T);
        v.expect(PIN_ERR_PIN_MISMATCH, 0, &format!("{host}: the learned key is not a pin now"));
        store.verify(&[&s.leaf], host, T).expect(PIN_OK, 0, &format!("{host}: its own pins"));
    }
}
