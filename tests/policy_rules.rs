//! The pinning-policy rules, through the C ABI, on the sample certificates of testdata/ at
//! fixed times: pins per domain and which pattern applies, exclusions, the backup-pin rule,
//! expiry and its warning, report-only, pins-only trust, hosts no pattern covers, and the
//! policy generation.
//!
//! In every MITM test the store trusts both the genuine root and the rogue proxy root (a
//! device with a proxy CA installed), so a MITM chain is valid and only pins can refuse it:
//! it fails with `PIN_ERR_PIN_MISMATCH`, never for an unknown issuer.

mod policy_support;

use certpin::*;
use policy_support::*;

// ---------------------------------------------------------------------------------------------
// Pins per domain, and which pattern applies

#[test]
fn the_samples_behave_as_described() {
    // The baseline every other test builds on: with no pins, both chains are valid.
    let store = Store::with_proxy_installed();
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine chain, no pins");
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "genuine chain for www, no pins");
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "MITM chain, no pins, rogue CA trusted");
    store.verify(&mitm_www(), WWW, T).expect(PIN_OK, 0, "MITM chain for www, rogue CA trusted");
    let store = Store::with_genuine_root();
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "rogue CA not trusted");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "rogue CA not trusted");
}

#[test]
fn pins_added_under_one_pattern_accumulate() {
    let store = Store::with_proxy_installed();
    expect_code(store.add(HOST, BACKUP_PIN), PIN_OK, "add a backup pin");
    store.verify(&genuine(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "only the backup pinned");
    expect_code(store.add(HOST, pin("intermediate-ca")), PIN_OK, "add the intermediate's pin");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "the second pin matches");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM");
    // The same pattern spelt differently is the same pattern: a third pin accumulates too.
    expect_code(store.add("API.Example.COM.", pin("leaf")), PIN_OK, "add under another spelling");
    let v = store.verify(&mitm(), HOST, T);
    v.expect(PIN_ERR_PIN_MISMATCH, 0, "MITM");
    assert!(v.explanation.contains("(3 pins, enforced, CA and pins)"), "{}", v.explanation);
    for p in [BACKUP_PIN, pin("intermediate-ca"), pin("leaf")] {
        assert!(v.explanation.contains(p), "the explanation lists {p}:\n{}", v.explanation);
    }
}

/// Whether `pattern`, pinned to the genuine pins, applies to api.example.com: the genuine
/// chain passes either way; the MITM chain is refused only where the pattern applies.
fn applies_to_api(pattern: &str) -> bool {
    let store = Store::with_proxy_installed();
    store.domain(pattern, &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, &format!("genuine chain, {pattern}"));
    let v = store.verify(&mitm(), HOST, T);
    match v.result {
        PIN_ERR_PIN_MISMATCH => true,
        PIN_OK => false,
        other => panic!("{pattern}: MITM gave {}\n{}", name_of(other), v.explanation),
    }
}

#[test]
fn wildcard_patterns_cover_what_they_say() {
    for (pattern, applies) in [
        ("api.example.com", true),
        ("API.Example.COM.", true),
        ("www.example.com", false),
        ("*.example.com", true),
        ("**.example.com", true),
        ("**.api.example.com", true),
        ("*.api.example.com", false),
        ("*.com", false),
        ("**.com", true),
        ("**.pi.example.com", false),
        ("**.xample.com", false),
        ("*.example.org", false),
    ] {
        assert_eq!(applies_to_api(pattern), applies, "does {pattern} apply to {HOST}?");
    }
}

#[test]
fn include_subdomains_in_a_document_makes_the_name_cover_its_subdomains() {
    let [current, backup] = genuine_pins();
    let with = |include: bool| {
        format!(
            r#"{{"certpin_policy": 1, "domains": {{
                 "example.com": {{"pins": ["{current}", "{backup}"], "include_subdomains": {include}}}
               }}}}"#
        )
    };
    let store = Store::with_proxy_installed();
    store.load_ok(&with(true));
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine api");
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "genuine www");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM api, subdomains on");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM www, subdomains on");
    let v = store.verify(&mitm(), HOST, T);
    assert!(v.explanation.contains("policy: **.example.com"), "{}", v.explanation);

    store.load_ok(&with(false));
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "MITM api, example.com alone is pinned");
    store.verify(&mitm_www(), WWW, T).expect(PIN_OK, 0, "MITM www, example.com alone is pinned");

    // The wildcard keys of a document work as the C patterns do.
    for (key, api, www) in
        [("*.example.com", true, true), ("**.example.com", true, true), ("*.com", false, false)]
    {
        let store = Store::with_proxy_installed();
        store.load_ok(&format!(
            r#"{{"certpin_policy": 1, "domains": {{"{key}": {{"pins": ["{current}", "{backup}"]}}}}}}"#
        ));
        // A covered host's MITM chain is a pin mismatch; an uncovered one's passes.
        let code = |covered| if covered { PIN_ERR_PIN_MISMATCH } else { PIN_OK };
        expect_code(store.verify(&mitm(), HOST, T).result, code(api), &format!("{key}, {HOST}"));
        expect_code(store.verify(&mitm_www(), WWW, T).result, code(www), &format!("{key}, {WWW}"));
    }
}

#[test]
fn the_most_specific_pattern_wins() {
    let store = Store::with_proxy_installed();
    store.domain("**.example.com", &unrelated_pins(), 0, 0, 0);
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "exact entry for api");
    store.verify(&genuine(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "www falls to **.");
    store.domain("*.example.com", &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "*. beats **. for www");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM www under *.");
    store.domain(HOST, &unrelated_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "exact beats *.");
    // Only the most specific entry applies, even where it is weaker than a broader one.
    store.domain(HOST, &[BACKUP_PIN], PIN_DOMAIN_REPORT_ONLY, 0, 0);
    store.verify(&mitm(), HOST, T).expect(
        PIN_OK,
        PIN_VERDICT_REPORT_ONLY_MISMATCH,
        "a report-only exact entry under an enforced **.",
    );
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "www stays enforced");
}

#[test]
fn set_domain_replaces_the_entry_and_add_keeps_its_rules() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine pins");
    store.domain(HOST, &unrelated_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "the old pins are gone");
    store.domain(HOST, &unrelated_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    expect_code(store.add(HOST, pin("root-ca")), PIN_OK, "add to a report-only entry");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "the added pin matches");
    store.verify(&mitm(), HOST, T).expect(
        PIN_OK,
        PIN_VERDICT_REPORT_ONLY_MISMATCH,
        "pin_store_add kept the entry report-only",
    );
}

// ---------------------------------------------------------------------------------------------
// Exclusions

/// `**.example.com` pinned to the genuine pins, api.example.com excluded from it.
fn excluded_api(store: &Store) {
    store.domain("**.example.com", &genuine_pins(), 0, 0, 0);
    expect_code(
        store.set_domain(HOST, &[], Some(&options(PIN_DOMAIN_EXCLUDE))),
        PIN_OK,
        "exclude api.example.com",
    );
}

#[test]
fn an_excluded_host_gets_plain_validation_while_its_parent_stays_pinned() {
    let store = Store::with_proxy_installed();
    excluded_api(&store);
    let v = store.verify(&mitm(), HOST, T);
    v.expect(PIN_OK, 0, "MITM for the excluded host: the rogue CA is trusted");
    assert!(v.explanation.contains("excluded from pinning"), "{}", v.explanation);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine chain, excluded host");
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "genuine chain, www under **.");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM www under **.");
    // Plain validation is still validation.
    let untrusting = Store::with_genuine_root();
    excluded_api(&untrusting);
    untrusting.verify(&mitm(), HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "untrusted rogue CA");
    // Excluded hosts are covered, so refusing unpinned hosts does not refuse them.
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse unpinned");
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "excluded host, unpinned refused");
}

#[test]
fn an_excluded_host_in_a_document_gets_plain_validation() {
    let [current, backup] = genuine_pins();
    let store = Store::with_proxy_installed();
    store.load_ok(&format!(
        r#"{{"certpin_policy": 1, "unpinned_hosts": "refuse", "domains": {{
             "example.com": {{"pins": ["{current}", "{backup}"], "include_subdomains": true}},
             "api.example.com": {{"exclude": true}}
           }}}}"#
    ));
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "MITM for the excluded host");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM www");
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "genuine www");
}

#[test]
fn an_excluded_entry_takes_no_pins_and_no_other_option() {
    let store = Store::with_proxy_installed();
    let generation = store.generation();
    for (pins, flags, what) in [
        (&[pin("leaf"), BACKUP_PIN][..], PIN_DOMAIN_EXCLUDE, "exclude with two pins"),
        (&[BACKUP_PIN][..], PIN_DOMAIN_EXCLUDE, "exclude with one pin"),
        (&[][..], PIN_DOMAIN_EXCLUDE | PIN_DOMAIN_TOFU, "exclude with TOFU"),
        (&[][..], PIN_DOMAIN_EXCLUDE | PIN_DOMAIN_REPORT_ONLY, "exclude with report-only"),
        (&[][..], PIN_DOMAIN_EXCLUDE | PIN_DOMAIN_PINS_ONLY, "exclude with pins only"),
    ] {
        expect_code(store.set_domain(HOST, pins, Some(&options(flags))), PIN_ERR_BAD_CONFIG, what);
    }
    for (expires_at, warn_after, what) in
        [(T, 0, "exclude with an expiry"), (0, T, "exclude with a warning date")]
    {
        let options = pin_domain_options { flags: PIN_DOMAIN_EXCLUDE, expires_at, warn_after };
        expect_code(store.set_domain(HOST, &[], Some(&options)), PIN_ERR_BAD_CONFIG, what);
    }
    assert_eq!(store.generation(), generation, "refused entries change nothing");

    // The same rule in a document: `exclude` and nothing else (`include_subdomains` only
    // names the pattern, as `**.name` would).
    for other in [
        r#""mode": "report_only""#,
        r#""mode": "enforce""#,
        r#""trust": "pins_only""#,
        r#""expires": "2030-01-01""#,
        r#""warn_after": "2030-01-01""#,
        r#""single_pin": true"#,
        r#""tofu": true"#,
        &format!(r#""pins": ["{BACKUP_PIN}"]"#),
    ] {
        let (code, error) = store.load(&format!(
            r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{"exclude": true, {other}}}}}}}"#
        ));
        expect_code(code, PIN_ERR_BAD_CONFIG, &format!("exclude with {other}"));
        assert!(error.contains("takes no pins and no other option"), "{other}: {error}");
    }
    store.load_ok(
        r#"{"certpin_policy": 1, "domains": {"api.example.com": {"exclude": true, "include_subdomains": true}}}"#,
    );
}

#[test]
fn an_entry_without_pins_never_unpins_its_hosts() {
    let [current, backup] = genuine_pins();
    let store = Store::with_proxy_installed();
    let pinned = format!(
        r#"{{"certpin_policy": 1, "unpinned_hosts": "refuse", "domains": {{
             "api.example.com": {{"pins": ["{current}", "{backup}"]}}}}}}"#
    );
    store.load_ok(&pinned);
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "pinned");
    // Each of these would make the host unpinned: a MITM chain from a trusted rogue CA would
    // pass, even with unpinned hosts refused. Only `exclude` or an expiry may do that.
    for entry in [
        r#"{"single_pin": true}"#,
        r#"{"single_pin": true, "trust": "pins_only"}"#,
        r#"{"trust": "pins_only"}"#,
        r#"{"mode": "report_only"}"#,
        r#"{"pins": [], "mode": "report_only"}"#,
        r#"{"pins": [], "include_subdomains": true}"#,
    ] {
        let (code, error) = store.load(&format!(
            r#"{{"certpin_policy": 1, "unpinned_hosts": "refuse", "domains": {{"api.example.com": {entry}}}}}"#
        ));
        expect_code(code, PIN_ERR_BAD_CONFIG, entry);
        assert!(error.contains("needs at least one pin"), "{entry}: {error}");
        store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "the pins stay");
    }
    // The same rule through the C API, for every flag that enforces or reports.
    let generation = store.generation();
    for flags in [0, PIN_DOMAIN_REPORT_ONLY, PIN_DOMAIN_PINS_ONLY] {
        let code = store.set_domain(HOST, &[], Some(&options(flags)));
        expect_code(code, PIN_ERR_BAD_CONFIG, &format!("no pins, flags {flags}"));
    }
    assert_eq!(store.generation(), generation);
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "the pins stay");
}

// ---------------------------------------------------------------------------------------------
// Specificity: the most fixed labels win, then exact before `*.` before `**.`

#[test]
fn a_host_named_in_full_beats_a_one_label_wildcard() {
    let [current, backup] = genuine_pins();
    // The entry naming api.example.com (with its subdomains) and an exclusion of `*.`.
    let store = Store::with_proxy_installed();
    store.load_ok(&format!(
        r#"{{"certpin_policy": 1, "domains": {{
             "api.example.com": {{"include_subdomains": true, "pins": ["{current}", "{backup}"]}},
             "*.example.com": {{"exclude": true}}
           }}}}"#
    ));
    let v = store.verify(&mitm(), HOST, T);
    v.expect(PIN_ERR_PIN_MISMATCH, 0, "api.example.com's own entry applies, not *.'s exclusion");
    assert!(v.explanation.contains("policy: **.api.example.com"), "{}", v.explanation);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine api");
    store.verify(&mitm_www(), WWW, T).expect(PIN_OK, 0, "www is excluded by *.");

    // The same through the C API, and with a report-only `*.` instead of an exclusion.
    for flags in [PIN_DOMAIN_EXCLUDE, PIN_DOMAIN_REPORT_ONLY] {
        let store = Store::with_proxy_installed();
        store.domain("**.api.example.com", &genuine_pins(), 0, 0, 0);
        let pins: &[&str] = if flags == PIN_DOMAIN_EXCLUDE { &[] } else { &[BACKUP_PIN] };
        store.domain("*.example.com", pins, flags, 0, 0);
        store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "**.api beats *.");
    }

    // What the contract states still holds: the exact name first; `*.` before a `**.` of the
    // parent (equal fixed labels); among `**.`, the longest suffix.
    let store = Store::with_proxy_installed();
    store.domain("**.api.example.com", &unrelated_pins(), 0, 0, 0);
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "exact beats **.name");
    store.domain("**.example.com", &unrelated_pins(), 0, 0, 0);
    store.domain("*.example.com", &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "*. beats **. of the same parent");
}

// ---------------------------------------------------------------------------------------------
// The backup-pin rule

#[test]
fn an_enforced_entry_with_one_pin_is_refused_and_changes_nothing() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &unrelated_pins(), 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "before");
    let generation = store.generation();
    for (pins, what) in [
        (&[pin("leaf")][..], "one pin"),
        (&[pin("leaf"), pin("leaf")][..], "the same pin twice is one pin"),
        (&[][..], "no pin"),
    ] {
        for opts in [None, Some(options(0)), Some(options(PIN_DOMAIN_PINS_ONLY))] {
            let code = store.set_domain(HOST, pins, opts.as_ref());
            expect_code(code, PIN_ERR_BAD_CONFIG, &format!("enforced, {what}"));
        }
    }
    assert_eq!(store.generation(), generation, "the generation did not move");
    let v = store.verify(&genuine(), HOST, T);
    v.expect(PIN_ERR_PIN_MISMATCH, 0, "after: the old entry still applies");
    assert_eq!(v.generation, generation);
    // With a backup it is accepted.
    store.domain(HOST, &[pin("leaf"), BACKUP_PIN], 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "current key and a backup");
}

#[test]
fn a_report_only_or_tofu_entry_needs_no_backup() {
    let store = Store::with_proxy_installed();
    expect_code(
        store.set_domain(HOST, &[pin("leaf")], Some(&options(PIN_DOMAIN_REPORT_ONLY))),
        PIN_OK,
        "report-only with one pin",
    );
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine, report-only");
    store.verify(&mitm(), HOST, T).expect(PIN_OK, PIN_VERDICT_REPORT_ONLY_MISMATCH, "MITM");
    expect_code(
        store.set_domain(WWW, &[], Some(&options(PIN_DOMAIN_TOFU))),
        PIN_OK,
        "TOFU with no pin",
    );
    expect_code(
        store.set_domain(WWW, &[pin("leaf")], Some(&options(PIN_DOMAIN_TOFU))),
        PIN_OK,
        "TOFU with one pin",
    );
}

#[test]
fn a_document_with_one_enforced_pin_is_refused_naming_the_domain() {
    let store = Store::with_proxy_installed();
    let leaf = pin("leaf");
    let (code, error) = store.load(&format!(
        r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{"pins": ["{leaf}"]}}}}}}"#
    ));
    expect_code(code, PIN_ERR_BAD_CONFIG, "one enforced pin");
    assert!(
        error.starts_with(r#"domains."api.example.com": an enforced pin set needs at least two"#),
        "{error}"
    );
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "nothing was pinned");
}

#[test]
fn set_domain_checks_its_arguments() {
    let store = Store::with_proxy_installed();
    let generation = store.generation();
    let pins = genuine_pins();
    for flags in [16, 0x100, 1 << 31, u32::MAX] {
        let code = store.set_domain(HOST, &pins, Some(&options(flags)));
        expect_code(code, PIN_ERR_INVALID_ARGUMENT, &format!("flags {flags:#x}"));
    }
    expect_code(store.set_domain(HOST, &[pins[0], "sha1/abc"], None), PIN_ERR_BAD_PIN, "bad pin");
    expect_code(store.set_domain("a..b", &pins, None), PIN_ERR_BAD_HOST, "bad pattern");
    expect_code(store.set_domain("*.*.example.com", &pins, None), PIN_ERR_BAD_HOST, "bad *");
    let pattern = cstring(HOST);
    // SAFETY: NULL where the contract allows it to be refused; everything else is valid.
    unsafe {
        let code = pin_store_set_domain(
            std::ptr::null_mut(),
            pattern.as_ptr(),
            [].as_ptr(),
            0,
            [].as_ptr(),
        );
        expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL store");
        let code = pin_store_set_domain(store.ptr(), std::ptr::null(), [].as_ptr(), 0, [].as_ptr());
        expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL pattern");
        let code = pin_store_set_domain(
            store.ptr(),
            pattern.as_ptr(),
            std::ptr::null(),
            2,
            std::ptr::null(),
        );
        expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL pins with a length");
        let one = [std::ptr::null::<std::ffi::c_char>(); 2];
        let code =
            pin_store_set_domain(store.ptr(), pattern.as_ptr(), one.as_ptr(), 2, std::ptr::null());
        expect_code(code, PIN_ERR_NULL_ARGUMENT, "a NULL pin");
    }
    assert_eq!(store.generation(), generation, "failed calls change nothing");
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "nothing was pinned");
}

// ---------------------------------------------------------------------------------------------
// Expiry

#[test]
fn pins_are_enforced_until_expires_at_and_fail_open_from_it() {
    let expires = T + 30 * DAY;
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, expires, 0);
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM long before expiry");
    store.verify(&mitm(), HOST, expires - 1).expect(PIN_ERR_PIN_MISMATCH, 0, "MITM at expiry-1");
    for time in [expires, expires + 1, expires + 365 * DAY] {
        let v = store.verify(&mitm(), HOST, time);
        v.expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, &format!("MITM at expiry+{}", time - expires));
        assert!(v.explanation.contains("pins were NOT enforced"), "{}", v.explanation);
        store.verify(&genuine(), HOST, time).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, "genuine");
    }
    store.verify(&genuine(), HOST, expires - 1).expect(PIN_OK, 0, "genuine before expiry");
}

#[test]
fn expired_pins_still_leave_plain_validation() {
    let expires = T - DAY;
    let store = Store::with_genuine_root();
    store.domain(HOST, &genuine_pins(), 0, expires, 0);
    let v = store.verify(&mitm(), HOST, T);
    v.expect(PIN_ERR_UNKNOWN_ISSUER, PIN_VERDICT_PINS_EXPIRED, "untrusted MITM, pins expired");
    let s = samples();
    let expired_leaf: Vec<&[u8]> = vec![&s.expired, &s.intermediate];
    store.verify(&expired_leaf, HOST, T).expect(
        PIN_ERR_EXPIRED,
        PIN_VERDICT_PINS_EXPIRED,
        "expired leaf, pins expired",
    );
}

#[test]
fn verdicts_warn_between_warn_after_and_expires_at() {
    let warn = T + 10 * DAY;
    let expires = T + 30 * DAY;
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, expires, warn);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "before the warning");
    store.verify(&genuine(), HOST, warn - 1).expect(PIN_OK, 0, "a second before the warning");
    for time in [warn, warn + DAY, expires - 1] {
        let v = store.verify(&genuine(), HOST, time);
        v.expect(PIN_OK, PIN_VERDICT_PINS_EXPIRING, "genuine, expiring");
        assert!(v.explanation.contains("past its warning date"), "{}", v.explanation);
        store.verify(&mitm(), HOST, time).expect(
            PIN_ERR_PIN_MISMATCH,
            PIN_VERDICT_PINS_EXPIRING,
            "MITM, expiring: still enforced",
        );
    }
    store.verify(&genuine(), HOST, expires).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, "expired");
    store.verify(&mitm(), HOST, expires).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, "MITM, expired");
    // A warning date with no expiry warns from then on, forever enforced.
    store.domain(HOST, &genuine_pins(), 0, 0, warn);
    store.verify(&mitm(), HOST, T + 3650 * DAY).expect(
        PIN_ERR_PIN_MISMATCH,
        PIN_VERDICT_PINS_EXPIRING,
        "warning without expiry",
    );
}

#[test]
fn a_warning_after_the_expiry_is_refused() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    let generation = store.generation();
    let bad = pin_domain_options { flags: 0, expires_at: T, warn_after: T + 1 };
    expect_code(
        store.set_domain(HOST, &genuine_pins(), Some(&bad)),
        PIN_ERR_BAD_CONFIG,
        "warn>exp",
    );
    assert_eq!(store.generation(), generation);
    store.verify(&genuine(), HOST, T + 1).expect(PIN_OK, 0, "the old entry, no expiry");
    // The same moment for both is allowed: the expiry wins.
    store.domain(HOST, &genuine_pins(), 0, T, T);
    store.verify(&mitm(), HOST, T).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, "warn == expires");
    store.verify(&mitm(), HOST, T - 1).expect(PIN_ERR_PIN_MISMATCH, 0, "before both");
}

#[test]
fn document_dates_bound_the_pins_to_the_second() {
    // 2027-06-01T00:00:00Z, written three ways.
    let expires = 1_811_808_000;
    let [current, backup] = genuine_pins();
    for text in ["2027-06-01", "2027-06-01T00:00:00Z", "2027-06-01T02:00:00+02:00"] {
        let store = Store::with_proxy_installed();
        store.load_ok(&format!(
            r#"{{"certpin_policy": 1, "domains": {{"api.example.com": {{
                 "pins": ["{current}", "{backup}"], "expires": "{text}", "warn_after": "2027-05-01"}}}}}}"#
        ));
        store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, text);
        store.verify(&mitm(), HOST, expires - 1).expect(
            PIN_ERR_PIN_MISMATCH,
            PIN_VERDICT_PINS_EXPIRING,
            text,
        );
        store.verify(&mitm(), HOST, expires).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, text);
    }
}

// ---------------------------------------------------------------------------------------------
// Report-only

#[test]
fn report_only_accepts_a_valid_mismatching_chain_and_reports_it() {
    let mut store = Store::with_proxy_installed();
    let reports = store.collect_reports();
    store.domain(HOST, &genuine_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "genuine chain");
    assert!(reports.lock().unwrap().is_empty(), "a match is not reported");
    let v = store.verify(&mitm(), HOST, T);
    v.expect(PIN_OK, PIN_VERDICT_REPORT_ONLY_MISMATCH | PIN_VERDICT_REPORTED, "MITM, report-only");
    assert!(v.explanation.contains("accepted because the pin set is report-only"));
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "one report delivered");
    let report: serde_json::Value = serde_json::from_str(&reports[0]).expect("JSON report");
    assert_eq!(report["hostname"], HOST);
    assert_eq!(report["certpin-result"], "PIN_OK");
    assert_eq!(report["certpin-enforced"], false);
}

#[test]
fn report_only_still_refuses_an_invalid_chain_with_its_own_code() {
    let mut store = Store::with_genuine_root();
    let reports = store.collect_reports();
    store.domain(HOST, &genuine_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    let s = samples();
    let expired_leaf: Vec<&[u8]> = vec![&s.expired, &s.intermediate];
    store.verify(&expired_leaf, HOST, T).expect(PIN_ERR_EXPIRED, 0, "expired leaf");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "rogue CA not trusted");
    // A chain for another host, under a report-only pattern that covers that host.
    store.domain("**.example.com", &unrelated_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    store.verify(&genuine(), "other.example.com", T).expect(
        PIN_ERR_HOST_MISMATCH,
        0,
        "a chain for another host",
    );
    assert!(reports.lock().unwrap().is_empty(), "invalid chains are not pin failures");
}

#[test]
fn report_only_with_pins_only_trust_is_refused_as_a_configuration() {
    // Report-only "still gives PIN_OK (the chain must be valid)". Under pins-only trust only
    // the pin makes a chain valid, so a report-only pins-only domain would accept any chain at
    // all: certpin refuses the combination instead of checking nothing.
    let store = Store::with_genuine_root();
    let generation = store.generation();
    let options = pin_domain_options {
        flags: PIN_DOMAIN_REPORT_ONLY | PIN_DOMAIN_PINS_ONLY,
        expires_at: 0,
        warn_after: 0,
    };
    let code = store.set_domain(HOST, &genuine_pins(), Some(&options));
    expect_code(code, PIN_ERR_BAD_CONFIG, "report-only with pins-only trust");
    assert_eq!(store.generation(), generation, "a refused entry changes nothing");
    let (code, text) = store.load(&format!(
        r#"{{"certpin_policy": 1, "domains": {{"{HOST}": {{"pins": ["{}", "{}"], "mode": "report_only", "trust": "pins_only"}}}}}}"#,
        genuine_pins()[0],
        genuine_pins()[1]
    ));
    expect_code(code, PIN_ERR_BAD_CONFIG, "the same in a document");
    assert!(text.contains("report-only needs CA validation"), "{text}");
    // Report-only with CA validation still refuses an untrusted MITM leaf for its issuer.
    store.domain(HOST, &genuine_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "untrusted MITM leaf");
}

// ---------------------------------------------------------------------------------------------
// Pins-only trust

#[test]
fn pins_only_accepts_a_pinned_leaf_without_ca_date_or_name_checks() {
    // No anchor of the store's own: the built-in roots, which know neither sample root.
    let store = Store::new();
    let s = samples();
    store.domain(HOST, &[pin("mitm-leaf"), BACKUP_PIN], PIN_DOMAIN_PINS_ONLY, 0, 0);
    store.verify(&mitm(), HOST, T).expect(PIN_OK, 0, "pinned leaf, untrusted issuer");
    store.verify(&mitm(), HOST, AFTER_VALIDITY).expect(PIN_OK, 0, "pinned leaf, expired");
    store.verify(&mitm(), HOST, 0).expect(PIN_OK, 0, "pinned leaf, not yet valid");
    // A host not in the leaf's names.
    store.domain("printer.local", &[pin("leaf"), BACKUP_PIN], PIN_DOMAIN_PINS_ONLY, 0, 0);
    store.verify(&[&s.leaf], "printer.local", T).expect(PIN_OK, 0, "leaf for another name");
    // A self-signed certificate as the server's only certificate.
    store.domain("10.0.0.7", &[pin("rogue-ca"), BACKUP_PIN], PIN_DOMAIN_PINS_ONLY, 0, 0);
    store.verify(&[&s.rogue], "10.0.0.7", T).expect(PIN_OK, 0, "self-signed, pinned");
    // Without the pin, the same chains are refused for their pins.
    store.verify(&[&s.leaf], "10.0.0.7", T).expect(PIN_ERR_PIN_MISMATCH, 0, "another key");
    let v = store.verify(&genuine(), HOST, T);
    v.expect(PIN_ERR_PIN_MISMATCH, 0, "the genuine leaf is not the pinned one");
    assert!(v.explanation.contains("pins only (no CA, date or name checks)"), "{}", v.explanation);
}

#[test]
fn pins_only_counts_the_leaf_alone() {
    // The genuine chain is valid here, and its intermediate and root are pinned; but under
    // pins-only trust only the leaf's key is the server's identity.
    let store = Store::with_genuine_root();
    let upstream = [pin("intermediate-ca"), pin("root-ca")];
    store.domain(HOST, &upstream, PIN_DOMAIN_PINS_ONLY, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "intermediate's pin");
    store.domain(HOST, &upstream, 0, 0, 0);
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "the same pins under CA and pins");
}

// ---------------------------------------------------------------------------------------------
// Hosts no pattern covers

#[test]
fn unpinned_hosts_are_allowed_by_default_and_refused_on_request() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "unpinned host, default");
    store.verify(&mitm_www(), WWW, T).expect(PIN_OK, 0, "unpinned host, MITM, default");
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    store.verify(&genuine(), WWW, T).expect(PIN_ERR_NOT_PINNED, 0, "unpinned host, refused");
    store.verify(&mitm_www(), WWW, T).expect(PIN_ERR_NOT_PINNED, 0, "unpinned MITM, refused");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "pinned host, refused rule");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "pinned host, MITM");
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_ALLOW), PIN_OK, "allow again");
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "unpinned host, allowed again");
    let untrusting = Store::with_genuine_root();
    untrusting.verify(&mitm_www(), WWW, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "plain validation");
}

#[test]
fn an_unknown_unpinned_rule_is_refused_and_changes_nothing() {
    let store = Store::with_proxy_installed();
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    let generation = store.generation();
    for rule in [2, 3, 0x100, u32::MAX] {
        expect_code(store.set_unpinned_hosts(rule), PIN_ERR_INVALID_ARGUMENT, &format!("{rule}"));
    }
    assert_eq!(store.generation(), generation);
    store.verify(&genuine(), WWW, T).expect(PIN_ERR_NOT_PINNED, 0, "still refused");
    // SAFETY: NULL store, refused.
    let code = unsafe { pin_store_set_unpinned_hosts(std::ptr::null_mut(), PIN_UNPINNED_ALLOW) };
    expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL store");
}

#[test]
fn unpinned_hosts_in_a_document() {
    let store = Store::with_proxy_installed();
    let [current, backup] = genuine_pins();
    store.load_ok(&format!(
        r#"{{"certpin_policy": 1, "unpinned_hosts": "refuse",
             "domains": {{"api.example.com": {{"pins": ["{current}", "{backup}"]}}}}}}"#
    ));
    store.verify(&genuine(), WWW, T).expect(PIN_ERR_NOT_PINNED, 0, "refused by the document");
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "pinned host");
    store.load_ok(r#"{"certpin_policy": 1}"#);
    store.verify(&genuine(), WWW, T).expect(PIN_OK, 0, "a document without the key allows");
}

// ---------------------------------------------------------------------------------------------
// The policy generation

#[test]
fn the_generation_moves_on_every_effective_change_and_verdicts_carry_it() {
    let store = Store::new();
    let s = samples();
    let mut seen = vec![store.generation()];
    let mut changed = |what: &str| {
        let now = store.generation();
        assert!(!seen.contains(&now), "{what}: generation {now} was seen before: {seen:?}");
        seen.push(now);
        let v = store.verify(&genuine(), HOST, T);
        assert_eq!(v.generation, now, "{what}: pin_verdict.policy_generation");
    };
    expect_code(store.add_anchor(&s.root), PIN_OK, "anchor");
    changed("add an anchor");
    expect_code(store.add(HOST, pin("leaf")), PIN_OK, "add");
    changed("add a pin");
    expect_code(store.add(HOST, BACKUP_PIN), PIN_OK, "add");
    changed("add a second pin");
    store.domain(WWW, &genuine_pins(), 0, 0, 0);
    changed("set a domain");
    store.domain(WWW, &genuine_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    changed("change a domain's rules");
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    changed("refuse unpinned hosts");
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_ALLOW), PIN_OK, "allow");
    changed("allow unpinned hosts");
    store.load_ok(r#"{"certpin_policy": 1, "version": 1}"#);
    changed("load a document");
    expect_code(store.add_anchor(&s.rogue), PIN_OK, "anchor");
    changed("add a second anchor");
}

#[test]
fn a_call_that_changes_nothing_keeps_the_generation() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    let generation = store.generation();
    let s = samples();
    expect_code(store.add(HOST, pin("intermediate-ca")), PIN_OK, "a pin already there");
    expect_code(store.add("API.EXAMPLE.COM.", BACKUP_PIN), PIN_OK, "the same, spelt otherwise");
    expect_code(store.add_anchor(&s.root), PIN_OK, "an anchor already there");
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "the same rule");
    assert_eq!(store.generation(), generation, "no-ops");
    assert_eq!(store.verify(&genuine(), HOST, T).generation, generation);
}

#[test]
fn a_failed_call_keeps_the_generation() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    let generation = store.generation();
    expect_code(store.add(HOST, "sha256/short"), PIN_ERR_BAD_PIN, "bad pin");
    expect_code(store.add("bad host", pin("leaf")), PIN_ERR_BAD_HOST, "bad host");
    expect_code(store.add_anchor(b"not DER"), PIN_ERR_BAD_CERTIFICATE, "bad anchor");
    expect_code(store.set_domain(HOST, &[pin("leaf")], None), PIN_ERR_BAD_CONFIG, "one pin");
    expect_code(store.set_unpinned_hosts(7), PIN_ERR_INVALID_ARGUMENT, "bad rule");
    expect_code(store.load("{").0, PIN_ERR_BAD_CONFIG, "bad document");
    assert_eq!(store.generation(), generation, "failed calls");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "the policy is intact");
}

#[test]
fn setting_a_domain_to_what_it_already_is_keeps_the_generation() {
    // README, "Policy generation": it changes "not on a call that changes nothing".
    let store = Store::with_proxy_installed();
    let expiring = pin_domain_options { flags: 0, expires_at: T + DAY, warn_after: T };
    expect_code(store.set_domain(HOST, &genuine_pins(), Some(&expiring)), PIN_OK, "set");
    let generation = store.generation();
    expect_code(store.set_domain(HOST, &genuine_pins(), Some(&expiring)), PIN_OK, "set again");
    assert_eq!(store.generation(), generation, "the same entry again");
}

#[test]
fn loading_the_same_document_again_keeps_the_generation() {
    // README, "Policy generation": it changes "not on a call that changes nothing".
    let store = Store::with_proxy_installed();
    let [current, backup] = genuine_pins();
    let document = format!(
        r#"{{"certpin_policy": 1, "version": 2,
             "domains": {{"api.example.com": {{"pins": ["{current}", "{backup}"]}}}}}}"#
    );
    store.load_ok(&document);
    let generation = store.generation();
    store.load_ok(&document);
    assert_eq!(store.generation(), generation, "the same document again");
    store.load_ok(&store.export());
    assert_eq!(store.generation(), generation, "the store's own export");
}

#[test]
fn the_result_alone_agrees_with_the_detailed_verdict_as_the_policy_changes() {
    // pin_verify_chain_at may answer from the verdict cache; whatever the policy becomes, it
    // must give what pin_verify_chain_detailed gives, at every time.
    let store = Store::with_proxy_installed();
    let s = samples();
    let chains: [(Vec<&[u8]>, &str); 5] = [
        (genuine(), HOST),
        (genuine(), WWW),
        (mitm(), HOST),
        (mitm_www(), WWW),
        (vec![&s.leaf], HOST),
    ];
    let times = [T, T + DAY - 1, T + DAY, T + 2 * DAY, AFTER_VALIDITY];
    let check = |state: &str| {
        for (chain, host) in &chains {
            for time in times {
                let detailed = store.verify(chain, host, time).result;
                for round in 0..2 {
                    let plain = store.verify_at(chain, host, time);
                    assert!(
                        plain == detailed,
                        "{state}: {host} at {time}, call {round}: pin_verify_chain_at gave {}, \
                         pin_verify_chain_detailed {}",
                        name_of(plain),
                        name_of(detailed)
                    );
                }
            }
        }
    };
    check("no pins");
    store.domain("**.example.com", &genuine_pins(), 0, 0, 0);
    check("**.example.com pinned");
    store.domain("**.example.com", &genuine_pins(), 0, T + DAY, T);
    check("pins expiring");
    store.domain("**.example.com", &unrelated_pins(), 0, 0, 0);
    check("other pins");
    store.domain(HOST, &[], PIN_DOMAIN_EXCLUDE, 0, 0);
    check("api excluded");
    store.domain(HOST, &[pin("leaf"), BACKUP_PIN], PIN_DOMAIN_PINS_ONLY, 0, 0);
    check("api pins-only");
    store.domain(HOST, &[], PIN_DOMAIN_TOFU, 0, 0);
    check("api TOFU");
    expect_code(store.add(HOST, pin("leaf")), PIN_OK, "remember");
    check("api TOFU, learned");
    store.domain("**.example.com", &unrelated_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    check("report-only");
    store.load_ok(r#"{"certpin_policy": 1, "unpinned_hosts": "refuse"}"#);
    check("unpinned hosts refused");
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_ALLOW), PIN_OK, "allow");
    check("allowed again");
}
