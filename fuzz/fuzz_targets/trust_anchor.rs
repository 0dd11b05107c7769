//! `pin_store_add_trust_anchor` on raw bytes, then a sample chain verified and explained
//! against the anchor.
//!
//! Checks: no panic; the documented codes; a refused anchor leaves the store as it was; a new
//! anchor moves the generation and adding it again changes nothing; and the pin of an
//! anchor that `pin_spki_sha256` gives (the pin an app computes for its root) is the pin
//! verification finds on a path that ends at that anchor.

#![no_main]

use certpin::*;
use certpin_fuzz::abi::{
    Chain, OutBuf, Store, c_ptr, c_string, check_explanation, checked, expect_one_of, explain_at,
};
use certpin_fuzz::cases::AnchorCase;
use certpin_fuzz::samples::{BACKUP_PINS, IN_2030, sample, sample_der};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = AnchorCase::read(data);
    let store = Store::new();
    if case.config & 8 != 0 {
        add_anchor(&store, sample_der(sample::ROOT));
    }
    let first = add_anchor(&store, case.der);
    if first == PIN_OK && case.config & 8 == 0 {
        assert_eq!(
            store.generation(),
            1,
            "the first anchor of a new store did not move the generation"
        );
    }
    if case.config & 4 != 0 && first == PIN_OK {
        let before = store.state();
        let again = add_anchor(&store, case.der);
        assert_eq!(again, PIN_OK, "adding an anchor a second time failed");
        assert_eq!(store.state(), before, "adding the same anchor twice changed the store");
    }

    let chain_samples: &[usize] = match case.config & 3 {
        0 => &[sample::LEAF, sample::INTERMEDIATE],
        1 => &[sample::EC_LEAF, sample::EC_INTERMEDIATE],
        2 => &[sample::MITM_LEAF],
        _ => &[sample::LEAF],
    };
    let chain = Chain::new(chain_samples.iter().map(|index| sample_der(*index)));
    let host = c_string(b"api.example.com");
    let time = IN_2030.unix();
    let verify = || {
        // SAFETY: a live store, the chain's entries, a NUL-terminated host.
        let code = unsafe {
            pin_verify_chain_at(store.ptr(), chain.ptr(), chain.len(), c_ptr(&host), time)
        };
        checked(code, "pin_verify_chain_at")
    };
    let plain = verify();
    certpin_fuzz::trace!(
        "anchor: {}, chain verdict: {}",
        certpin_fuzz::abi::name(first),
        certpin_fuzz::abi::name(plain)
    );
    if first != PIN_OK || case.config & 8 != 0 {
        return;
    }

    // The only anchor is the fuzzed one. Pin its key as pin_spki_sha256 computes it.
    let mut anchor_pin = OutBuf::new(CERTPIN_PIN_BUFFER_LEN);
    // SAFETY: the anchor's bytes and a 52-byte buffer.
    let code = unsafe {
        pin_spki_sha256(case.der.as_ptr(), case.der.len(), anchor_pin.ptr(), anchor_pin.len())
    };
    checked(code, "pin_spki_sha256");
    let pins: Vec<Box<[u8]>> = match (code, anchor_pin.c_text()) {
        (PIN_OK, Some(pin)) => vec![c_string(pin), c_string(BACKUP_PINS[0].as_bytes())],
        _ => BACKUP_PINS.iter().map(|pin| c_string(pin.as_bytes())).collect(),
    };
    let pointers: Vec<_> = pins.iter().map(|pin| c_ptr(pin)).collect();
    // SAFETY: a live store, a NUL-terminated pattern, two NUL-terminated pins, default options.
    let set = unsafe {
        pin_store_set_domain(
            store.ptr(),
            c_ptr(&host),
            pointers.as_ptr(),
            pointers.len(),
            std::ptr::null(),
        )
    };
    expect_one_of(set, &[PIN_OK], "pin_store_set_domain");
    let pinned = verify();
    if plain == PIN_OK && code == PIN_OK {
        // Every path ends at the only anchor, whose pin is pinned.
        assert_eq!(
            pinned, PIN_OK,
            "a chain that validates to an anchor is refused with that anchor's pin pinned"
        );
    }

    // The explanation of the verdict (on a mismatch: the rejected path and its anchor's name).
    let mut buf = OutBuf::new(4096);
    let code = explain_at(&store, &chain, &host, time, &mut buf);
    assert_eq!(code, pinned, "explain_at and verify_chain_at disagree");
    check_explanation(&buf, code, None);
});

/// Adds an anchor, checking the code and that a refusal changes nothing and a new anchor
/// moves the generation.
fn add_anchor(store: &Store, der: &[u8]) -> pin_result {
    let before = store.state();
    // SAFETY: a live store and `der.len()` readable bytes (a non-NULL pointer even when empty).
    let code = unsafe { pin_store_add_trust_anchor(store.ptr(), der.as_ptr(), der.len()) };
    expect_one_of(
        code,
        &[PIN_OK, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_BAD_CERTIFICATE],
        "pin_store_add_trust_anchor",
    );
    let after = store.state();
    if code == PIN_OK {
        assert!(after.generation >= before.generation, "the generation went back");
        assert_eq!(after.export, before.export, "an anchor changed the policy document");
    } else {
        assert_eq!(after, before, "a refused anchor changed the store");
    }
    code
}
