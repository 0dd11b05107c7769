//! `pin_verify_chain_at`, `pin_verify_chain_explain_at` and `pin_verify_chain_detailed` on a
//! chain carved from the input (0 to 17 certificates: one past the limit), in a store the
//! input also builds: 0 to 2 trust anchors, pins added one by one or as one domain with
//! rules, the unpinned-host rule, a report callback.
//!
//! Checks: no call panics (`PIN_ERR_INTERNAL`); the three calls agree on the verdict, also
//! when repeated and at a second moment (the verdict cache must answer as a full verification
//! would); explanations are NUL-terminated within buffers of 0, 1, a small size and 4096
//! bytes, cut the same text, and write nothing past the buffer; the `pin_verdict` is filled
//! consistently; reports are NUL-terminated JSON.

#![no_main]

use std::cell::Cell;
use std::ffi::c_void;

use certpin::*;
use certpin_fuzz::abi::{
    Chain, OutBuf, PIN_SET_RESULTS, Store, blank_verdict, c_ptr, c_string, check_explanation,
    check_report, check_verdict, checked, expect_one_of, explain_at,
};
use certpin_fuzz::cases::VerifyCase;
use libfuzzer_sys::fuzz_target;

/// Every code a verification may return (the header's list for `pin_verify_chain`, plus
/// `PIN_ERR_NOT_PINNED`, which the unpinned-host rule and trust on first use give).
const VERDICTS: &[pin_result] = &[
    PIN_OK,
    PIN_ERR_INVALID_ARGUMENT,
    PIN_ERR_BAD_HOST,
    PIN_ERR_BAD_CERTIFICATE,
    PIN_ERR_EMPTY_CHAIN,
    PIN_ERR_UNKNOWN_ISSUER,
    PIN_ERR_EXPIRED,
    PIN_ERR_NOT_YET_VALID,
    PIN_ERR_HOST_MISMATCH,
    PIN_ERR_INVALID_CHAIN,
    PIN_ERR_PIN_MISMATCH,
    PIN_ERR_NOT_PINNED,
];

fuzz_target!(|data: &[u8]| {
    let case = VerifyCase::read(data);
    // Declared before the store, so that it outlives the store's callback.
    let reports = Cell::new(0usize);
    let store = Store::new();
    build_store(&store, &case, &reports);

    let ders: Vec<_> = case.chain.iter().map(|cert| cert.der()).collect();
    let chain = Chain::new(ders.iter().map(|der| &der[..]));
    let host = c_string(case.host);
    let time = case.time.unix();

    // SAFETY (all calls below): a live store, a chain of `len()` entries each pointing to its
    // bytes, a NUL-terminated host, and buffers of the lengths passed.
    let verdict =
        unsafe { pin_verify_chain_at(store.ptr(), chain.ptr(), chain.len(), c_ptr(&host), time) };
    expect_one_of(verdict, VERDICTS, "pin_verify_chain_at");
    certpin_fuzz::trace!("{case:?}\nverdict at {time}: {}", certpin_fuzz::abi::name(verdict));
    if case.config & 8 != 0 && verdict == PIN_ERR_PIN_MISMATCH {
        assert!(reports.get() > 0, "a pin mismatch made no report");
    }

    // The explanation into a buffer it fits, then into the sizes the contract names. With a
    // report callback the texts differ (only the first verdict says a report was delivered).
    let explain = |buf: &mut OutBuf| explain_at(&store, &chain, &host, time, buf);
    let mut whole = OutBuf::new(1 << 16);
    assert_eq!(explain(&mut whole), verdict, "explain_at and verify_chain_at disagree");
    let full = check_explanation(&whole, verdict, None);
    certpin_fuzz::trace!("{full}");
    let same_text = (case.config & 8 == 0).then_some(full.as_str());
    for len in [0, 1, usize::from(case.small), 4096] {
        let mut buf = OutBuf::new(len);
        assert_eq!(explain(&mut buf), verdict, "explain_at (len {len}) disagrees");
        check_explanation(&buf, verdict, same_text);
    }
    // A NULL buffer with a length: nothing is written, same verdict.
    let null = unsafe {
        pin_verify_chain_explain_at(
            store.ptr(),
            chain.ptr(),
            chain.len(),
            c_ptr(&host),
            time,
            std::ptr::null_mut(),
            4096,
        )
    };
    assert_eq!(null, verdict, "explain_at with a NULL buffer disagrees");

    let generation = store.generation();
    let detailed = |moment: u64| {
        let mut details = blank_verdict();
        let mut buf = OutBuf::new(usize::from(case.small));
        let code = unsafe {
            pin_verify_chain_detailed(
                store.ptr(),
                chain.ptr(),
                chain.len(),
                c_ptr(&host),
                case.port,
                moment,
                &mut details,
                buf.ptr(),
                buf.len(),
            )
        };
        checked(code, "pin_verify_chain_detailed");
        check_verdict(&details, code, generation);
        check_explanation(&buf, code, None);
        code
    };
    assert_eq!(detailed(time), verdict, "verify_chain_detailed and verify_chain_at disagree");

    // Again, and at the second moment: what a cached verdict answers must be what a full
    // verification finds.
    let again =
        unsafe { pin_verify_chain_at(store.ptr(), chain.ptr(), chain.len(), c_ptr(&host), time) };
    assert_eq!(again, verdict, "pin_verify_chain_at changed its verdict on the same input");
    let later = case.later.unix();
    let cached =
        unsafe { pin_verify_chain_at(store.ptr(), chain.ptr(), chain.len(), c_ptr(&host), later) };
    checked(cached, "pin_verify_chain_at (later)");
    assert_eq!(
        cached,
        detailed(later),
        "at {later} pin_verify_chain_at (cached: verified OK at {time}) and a full verification disagree"
    );
    assert_eq!(store.generation(), generation, "a verification changed the policy generation");
});

/// Fills the store as the case says, checking each call's result.
fn build_store(store: &Store, case: &VerifyCase<'_>, reports: &Cell<usize>) {
    for anchor in &case.anchors {
        let der = anchor.der();
        // SAFETY: a live store and `der.len()` readable bytes.
        let code = unsafe { pin_store_add_trust_anchor(store.ptr(), der.as_ptr(), der.len()) };
        expect_one_of(
            code,
            &[PIN_OK, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_BAD_CERTIFICATE],
            "pin_store_add_trust_anchor",
        );
    }
    if case.config & 32 != 0 {
        // SAFETY: a live store.
        let code = unsafe { pin_store_set_verdict_cache(store.ptr(), 0) };
        expect_one_of(code, &[PIN_OK], "pin_store_set_verdict_cache");
    }
    if case.config & 4 != 0 {
        // SAFETY: a live store.
        let code = unsafe { pin_store_set_unpinned_hosts(store.ptr(), PIN_UNPINNED_REFUSE) };
        expect_one_of(code, &[PIN_OK], "pin_store_set_unpinned_hosts");
    }
    let patterns: Vec<_> =
        case.pins.iter().map(|(pattern, _)| c_string(&pattern.text(case.host))).collect();
    let pins: Vec<_> = case.pins.iter().map(|(_, pin)| c_string(pin.text())).collect();
    if case.config & 16 != 0 {
        // One domain: the first pin's pattern (the host when there is no pin: trust on
        // first use takes none).
        let pattern = patterns.first().cloned().unwrap_or_else(|| c_string(case.host));
        let pointers: Vec<_> = pins.iter().map(|pin| c_ptr(pin)).collect();
        let array = if pointers.is_empty() { std::ptr::null() } else { pointers.as_ptr() };
        let options = pin_domain_options {
            flags: case.domain_flags.into(),
            expires_at: case.expires.unix(),
            warn_after: case.warn.unix(),
        };
        // SAFETY: a live store, a NUL-terminated pattern, NULL or `len()` NUL-terminated pins.
        let code = unsafe {
            pin_store_set_domain(store.ptr(), c_ptr(&pattern), array, pointers.len(), &options)
        };
        expect_one_of(code, PIN_SET_RESULTS, "pin_store_set_domain");
    } else {
        for (pattern, pin) in patterns.iter().zip(&pins) {
            // SAFETY: a live store and two NUL-terminated strings.
            let code = unsafe { pin_store_add(store.ptr(), c_ptr(pattern), c_ptr(pin)) };
            expect_one_of(
                code,
                &[PIN_OK, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_BAD_HOST, PIN_ERR_BAD_PIN],
                "pin_store_add",
            );
        }
    }
    if case.config & 8 != 0 {
        let userdata = reports.as_ptr().cast::<c_void>();
        // SAFETY: a live store; `check_report` has the callback's type and `reports`
        // outlives the store's use in this run (the store is freed before it goes).
        let code =
            unsafe { pin_store_set_report_callback(store.ptr(), Some(check_report), userdata) };
        expect_one_of(code, &[PIN_OK], "pin_store_set_report_callback");
    }
}
