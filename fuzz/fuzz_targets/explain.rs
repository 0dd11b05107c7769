//! The verdict explanation (`pin_verify_chain_explain_at`, `pin_verify_chain_detailed`) for
//! fuzzed chains in a store with a fixed, rich policy: enforced, report-only, excluded,
//! pins-only, trust-on-first-use and expiring domains, the sample roots (or the built-in
//! ones) as anchors, and a report callback. `verify_chain` fuzzes the store; this target
//! holds the store still so that the fuzzer explores the verdicts and their texts.
//!
//! Checks: no panic; explanations are NUL-terminated, cut alike at every buffer size, and
//! agree with the `pin_verdict` (the leaf's pin and fingerprint that an app shows are the
//! ones the text shows); the flags and the text agree; a pin failure is reported; and trust
//! on first use works as the README says: remembering `verdict.leaf_pin` with
//! `pin_store_add(store, host, pin)` makes the next verdict `PIN_OK`.

#![no_main]

use std::cell::Cell;
use std::ffi::c_void;

use certpin::*;
use certpin_fuzz::abi::{
    Chain, OutBuf, Store, array_text, blank_verdict, c_ptr, c_string, check_explanation,
    check_report, check_verdict, checked, expect_one_of, explain_at,
};
use certpin_fuzz::cases::ExplainCase;
use certpin_fuzz::samples::{BACKUP_PINS, sample, sample_der, sample_pin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = ExplainCase::read(data);
    let reports = Cell::new(0usize);
    let store = Store::new();
    let document = policy(case.policy);
    let mut error = OutBuf::new(256);
    // SAFETY: a live store, the document's bytes, a 256-byte error buffer.
    let code = unsafe {
        pin_store_load_policy(
            store.ptr(),
            document.as_ptr(),
            document.len(),
            error.ptr(),
            error.len(),
        )
    };
    assert_eq!(
        code,
        PIN_OK,
        "a fixed policy was refused: {:?}",
        error.c_text().map(String::from_utf8_lossy)
    );
    for (bit, root) in [(1, sample::ROOT), (2, sample::EC_ROOT), (4, sample::ROGUE_CA)] {
        if case.config & bit != 0 {
            let der = sample_der(root);
            // SAFETY: a live store and the certificate's bytes.
            let code = unsafe { pin_store_add_trust_anchor(store.ptr(), der.as_ptr(), der.len()) };
            expect_one_of(code, &[PIN_OK], "pin_store_add_trust_anchor");
        }
    }
    let with_reports = case.config & 8 != 0;
    if with_reports {
        // SAFETY: a live store; `reports` outlives the store.
        let code = unsafe {
            pin_store_set_report_callback(
                store.ptr(),
                Some(check_report),
                reports.as_ptr().cast::<c_void>(),
            )
        };
        expect_one_of(code, &[PIN_OK], "pin_store_set_report_callback");
    }

    let ders: Vec<_> = case.chain.iter().map(|cert| cert.der()).collect();
    let chain = Chain::new(ders.iter().map(|der| &der[..]));
    let host = c_string(case.host_text());
    let time = case.time.unix();
    let generation = store.generation();

    // The whole verdict first, with a buffer any explanation fits.
    let mut details = blank_verdict();
    let mut whole = OutBuf::new(1 << 16);
    // SAFETY (all calls below): a live store, a chain of `len()` entries each pointing to its
    // bytes, a NUL-terminated host, and buffers of the lengths passed.
    let verdict = unsafe {
        pin_verify_chain_detailed(
            store.ptr(),
            chain.ptr(),
            chain.len(),
            c_ptr(&host),
            case.port,
            time,
            &mut details,
            whole.ptr(),
            whole.len(),
        )
    };
    checked(verdict, "pin_verify_chain_detailed");
    check_verdict(&details, verdict, generation);
    let text = check_explanation(&whole, verdict, None);
    certpin_fuzz::trace!(
        "policy {}: {}\nflags {:#x}\n{text}",
        case.policy % 6,
        String::from_utf8_lossy(&document),
        details.flags
    );
    check_text_against_verdict(&text, verdict, &details);
    if with_reports {
        let failed = verdict == PIN_ERR_PIN_MISMATCH
            || details.flags & PIN_VERDICT_REPORT_ONLY_MISMATCH != 0;
        assert_eq!(
            failed,
            reports.get() > 0,
            "a report was made for no pin failure, or none for one"
        );
        assert_eq!(
            details.flags & PIN_VERDICT_REPORTED != 0,
            reports.get() > 0,
            "PIN_VERDICT_REPORTED does not say whether a report was delivered"
        );
    }

    // The same explanation, cut to the sizes the contract names (with reports, later texts
    // no longer say a report was delivered: only the first line is compared then).
    let same_text = (!with_reports).then_some(text.as_str());
    for len in [0, 1, usize::from(case.small), 4096] {
        let mut buf = OutBuf::new(len);
        let code = explain_at(&store, &chain, &host, time, &mut buf);
        assert_eq!(code, verdict, "explain_at (len {len}) and verify_chain_detailed disagree");
        check_explanation(&buf, code, same_text);
    }

    // Trust on first use, as the README tells an app to do it.
    if details.flags & PIN_VERDICT_TOFU_FIRST_USE != 0 {
        let pin = c_string(array_text(&details.leaf_pin).as_bytes());
        let code = unsafe { pin_store_add(store.ptr(), c_ptr(&host), c_ptr(&pin)) };
        assert_eq!(
            code,
            PIN_OK,
            "remembering the TOFU leaf pin {:?} failed",
            String::from_utf8_lossy(&pin)
        );
        let next = unsafe {
            pin_verify_chain_at(store.ptr(), chain.ptr(), chain.len(), c_ptr(&host), time)
        };
        assert_eq!(
            next,
            PIN_OK,
            "after remembering the leaf pin a TOFU verdict offered, the same chain is refused with {}",
            certpin_fuzz::abi::name(next)
        );
    }
});

/// What the explanation must say, given the verdict.
fn check_text_against_verdict(text: &str, verdict: pin_result, details: &pin_verdict) {
    let leaf_pin = array_text(&details.leaf_pin);
    let fingerprint = array_text(&details.leaf_fingerprint);
    let flags = details.flags;
    if flags & PIN_VERDICT_TOFU_FIRST_USE != 0 {
        assert_eq!(verdict, PIN_ERR_NOT_PINNED, "a TOFU verdict is not PIN_ERR_NOT_PINNED");
        assert!(!leaf_pin.is_empty(), "a TOFU verdict offers no leaf pin to remember");
        assert!(text.contains("trust on first use"), "the TOFU explanation does not say so");
    }
    if flags & PIN_VERDICT_REPORT_ONLY_MISMATCH != 0 {
        assert_eq!(verdict, PIN_OK, "a report-only mismatch is not PIN_OK");
    }
    if flags & PIN_VERDICT_PINS_EXPIRED != 0 {
        assert!(text.contains("were NOT enforced"), "expired pins are not explained");
    }
    // The chain is listed once the host was read; the leaf's line shows the pin the
    // pin_verdict offers (an app pastes one or the other), and, on a mismatch or trust on
    // first use, its fingerprint.
    if text.contains("\n  chain sent by the server:\n") && !leaf_pin.is_empty() {
        assert!(
            text.contains(&format!("\n    [0] {leaf_pin}  ")),
            "the explanation's leaf pin is not pin_verdict.leaf_pin"
        );
        if verdict == PIN_ERR_PIN_MISMATCH || flags & PIN_VERDICT_TOFU_FIRST_USE != 0 {
            assert!(
                text.contains(&format!("certificate SHA-256 fingerprint: {fingerprint}\n")),
                "the explanation's fingerprint is not pin_verdict.leaf_fingerprint"
            );
        }
    }
}

/// The fixed policies, as documents (`index` modulo their number). Every trust-on-first-use
/// domain is an exact name, so that the README's `pin_store_add(store, host, pin)` adds to it.
fn policy(index: u8) -> Vec<u8> {
    let pin = |index: usize| sample_pin(index);
    let [b0, b1] = BACKUP_PINS;
    let (intermediate, root, ec_root, ec_intermediate) = (
        pin(sample::INTERMEDIATE),
        pin(sample::ROOT),
        pin(sample::EC_ROOT),
        pin(sample::EC_INTERMEDIATE),
    );
    let (leaf, ec_leaf, mitm, rogue) =
        (pin(sample::LEAF), pin(sample::EC_LEAF), pin(sample::MITM_LEAF), pin(sample::ROGUE_CA));
    let mut unpinned = "allow";
    let domains = match index % 6 {
        // Enforced CA and pins, with dates; report-only; an exclusion; a broad pattern.
        0 => format!(
            r#""api.example.com": {{"pins": ["{intermediate}", "{b0}"], "warn_after": "2028-01-01", "expires": "2040-01-01T00:00:00Z"}},
               "www.example.com": {{"pins": ["{b0}", "{b1}"]}},
               "*.cdn.example.com": {{"pins": ["{b0}"], "mode": "report_only"}},
               "legacy.example.com": {{"exclude": true}},
               "**.example.com": {{"pins": ["{root}", "{ec_root}"]}}"#
        ),
        // Report-only for a whole tree, an exclusion inside it, unpinned hosts refused.
        1 => {
            unpinned = "refuse";
            format!(
                r#""example.com": {{"pins": ["{b0}"], "mode": "report_only", "include_subdomains": true}},
                   "www.example.com": {{"exclude": true}},
                   "127.0.0.1": {{"pins": ["{b0}", "{b1}"]}}"#
            )
        }
        // Trust on first use, with and without the CA.
        2 => r#""api.example.com": {"tofu": true},
               "www.example.com": {"tofu": true, "trust": "pins_only"},
               "printer.local": {"tofu": true, "trust": "pins_only"},
               "::1": {"tofu": true}"#
            .to_owned(),
        // Pins only: the key is the identity.
        3 => format!(
            r#""api.example.com": {{"pins": ["{leaf}", "{ec_leaf}"], "trust": "pins_only"}},
               "**.example.com": {{"pins": ["{mitm}", "{b0}"], "trust": "pins_only"}},
               "printer.local": {{"pins": ["{leaf}", "{b0}"], "trust": "pins_only", "expires": "2027-06-01"}}"#
        ),
        // Expired and expiring pins around the sample times.
        4 => format!(
            r#""api.example.com": {{"pins": ["{b0}", "{b1}"], "expires": "2026-01-01T00:00:00Z"}},
               "www.example.com": {{"pins": ["{leaf}", "{b0}"], "warn_after": "2026-06-01", "expires": "2045-01-01"}},
               "xn--bcher-kva.example": {{"pins": ["{b0}", "{b1}"], "warn_after": "2020-01-01"}}"#
        ),
        // Anchors' and intermediates' keys pinned.
        _ => format!(
            r#""api.example.com": {{"pins": ["{root}", "{rogue}"]}},
               "www.example.com": {{"pins": ["{ec_intermediate}", "{b0}"], "include_subdomains": true}}"#
        ),
    };
    format!(r#"{{"certpin_policy": 1, "unpinned_hosts": "{unpinned}", "domains": {{{domains}}}}}"#)
        .into_bytes()
}
