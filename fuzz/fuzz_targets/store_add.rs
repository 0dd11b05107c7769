//! `pin_store_add`, `pin_store_set_domain` and `pin_store_set_unpinned_hosts` with fuzzed host
//! patterns and pin strings: any bytes (not UTF-8, inner NULs), NUL-terminated in allocations
//! of exactly their size, or with no NUL at all in the most bytes the library may read.
//!
//! Checks: no panic; the documented result codes; a call that fails leaves the exported
//! policy, the generation and the version exactly as they were; a call that changes the
//! export moves the generation, and an add or rule that changes nothing does not; an added
//! pin is in the export; and at the end, the store's own export loads back into a new store
//! and exports the same (`pin_store_export_policy` documents the format as the one
//! `pin_store_load_policy` reads).

#![no_main]

use certpin::*;
use certpin_fuzz::abi::{
    OutBuf, PIN_SET_RESULTS, Store, c_ptr, c_string, expect_one_of, unterminated,
};
use certpin_fuzz::cases::{CText, StoreCase, StoreOp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = StoreCase::read(data);
    let store = Store::new();
    // The same calls with each plain ASCII pattern spelled so that it takes the IDNA path.
    let shadow = Store::new();
    for op in &case.ops {
        let before = store.state();
        let code = apply(&store, op);
        certpin_fuzz::trace!("{op:?}: {}", certpin_fuzz::abi::name(code));
        let respelled = via_idna(op);
        let shadow_op = match (op, respelled.as_deref()) {
            (StoreOp::Add { pin, .. }, Some(pattern)) => {
                StoreOp::Add { pattern: CText::Terminated(pattern), pin: pin.clone() }
            }
            (StoreOp::SetDomain { pins, options, .. }, Some(pattern)) => StoreOp::SetDomain {
                pattern: CText::Terminated(pattern),
                pins: pins.clone(),
                options: *options,
            },
            _ => op.clone(),
        };
        assert_eq!(
            apply(&shadow, &shadow_op),
            code,
            "a pattern and its IDNA spelling differ: {op:?}"
        );
        let after = store.state();
        if code != PIN_OK {
            assert_eq!(after, before, "a refused {op:?} changed the store");
            continue;
        }
        assert_eq!(after.version, before.version, "{op:?} changed the policy version");
        if after.export != before.export {
            assert!(
                after.generation > before.generation,
                "{op:?} changed the policy, not the generation"
            );
        } else {
            assert_eq!(
                after.generation, before.generation,
                "{op:?} changed nothing but the generation"
            );
        }
        match op {
            StoreOp::Add { pin: CText::Terminated(pin), .. } => {
                // C reads the pin up to its first NUL.
                let pin = pin.split(|b| *b == 0).next().unwrap_or_default();
                let pin = String::from_utf8_lossy(pin);
                assert!(
                    after.export.contains(&format!("\"{pin}\"")),
                    "an added pin is not in the export"
                );
            }
            StoreOp::SetUnpinned(rule) => {
                let name = if *rule == PIN_UNPINNED_REFUSE { "refuse" } else { "allow" };
                assert!(after.export.contains(&format!("\"unpinned_hosts\": \"{name}\"")));
            }
            _ => {}
        }
    }
    assert_eq!(
        shadow.export(),
        store.export(),
        "patterns and their IDNA spellings make different policies"
    );
    round_trip(&store);
});

/// For a pattern the ASCII fast path of host parsing takes (letters, digits, `-` and `.`,
/// below an optional `*.` or `**.`), the same pattern followed by a soft hyphen (U+00AD),
/// which UTS #46 deletes: the IDNA path must read it as the same pattern.
fn via_idna(op: &StoreOp<'_>) -> Option<Vec<u8>> {
    let (StoreOp::Add { pattern: CText::Terminated(pattern), .. }
    | StoreOp::SetDomain { pattern: CText::Terminated(pattern), .. }) = op
    else {
        return None;
    };
    let name =
        pattern.strip_prefix(b"**.").or_else(|| pattern.strip_prefix(b"*.")).unwrap_or(pattern);
    let plain = !name.is_empty()
        && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.');
    (plain && pattern.len() + 2 <= CERTPIN_MAX_HOST_LEN)
        .then(|| [pattern, "\u{AD}".as_bytes()].concat())
}

/// Makes the call, checks its code against the documented ones, and returns it.
fn apply(store: &Store, op: &StoreOp<'_>) -> pin_result {
    match op {
        StoreOp::Add { pattern, pin } => {
            let (pattern_text, pin_text) =
                (c_text(pattern, CERTPIN_MAX_HOST_LEN), c_text(pin, CERTPIN_MAX_PIN_LEN));
            // SAFETY: a live store; each string is NUL-terminated, or has no NUL in the
            // `limit + 1` bytes allocated, the most the library may read.
            let code =
                unsafe { pin_store_add(store.ptr(), c_ptr(&pattern_text), c_ptr(&pin_text)) };
            if matches!(pattern, CText::Unterminated(_)) || matches!(pin, CText::Unterminated(_)) {
                expect_one_of(
                    code,
                    &[PIN_ERR_INVALID_ARGUMENT],
                    "pin_store_add (a string with no NUL)",
                )
            } else {
                // PIN_ERR_BAD_CONFIG: a pin under an excluded pattern.
                expect_one_of(code, PIN_SET_RESULTS, "pin_store_add")
            }
        }
        StoreOp::SetDomain { pattern, pins, options } => {
            let pattern_text = c_text(pattern, CERTPIN_MAX_HOST_LEN);
            let pin_texts: Vec<Option<Box<[u8]>>> =
                pins.iter().map(|pin| pin.as_ref().map(|pin| c_string(pin.text()))).collect();
            let pointers: Vec<_> = pin_texts
                .iter()
                .map(|pin| pin.as_deref().map_or(std::ptr::null(), c_ptr))
                .collect();
            // No pins: a NULL array, which the contract accepts for a length of 0.
            let array = if pointers.is_empty() { std::ptr::null() } else { pointers.as_ptr() };
            let options = options.map(|(flags, expires, warn)| pin_domain_options {
                flags,
                expires_at: expires.unix(),
                warn_after: warn.unix(),
            });
            let options_ptr = options.as_ref().map_or(std::ptr::null(), |o| o as *const _);
            // SAFETY: a live store, a pattern as above, `pointers.len()` pointers each NULL or
            // to a NUL-terminated string, options NULL or readable.
            let code = unsafe {
                pin_store_set_domain(
                    store.ptr(),
                    c_ptr(&pattern_text),
                    array,
                    pointers.len(),
                    options_ptr,
                )
            };
            if matches!(pattern, CText::Unterminated(_)) {
                expect_one_of(
                    code,
                    &[PIN_ERR_INVALID_ARGUMENT],
                    "pin_store_set_domain (a pattern with no NUL)",
                )
            } else if pins.iter().any(Option::is_none) {
                expect_one_of(
                    code,
                    &[PIN_ERR_NULL_ARGUMENT, PIN_ERR_INVALID_ARGUMENT],
                    "pin_store_set_domain (a NULL pin)",
                )
            } else {
                expect_one_of(code, PIN_SET_RESULTS, "pin_store_set_domain")
            }
        }
        StoreOp::SetUnpinned(rule) => {
            // SAFETY: a live store.
            let code = unsafe { pin_store_set_unpinned_hosts(store.ptr(), *rule) };
            let expected =
                if *rule <= PIN_UNPINNED_REFUSE { PIN_OK } else { PIN_ERR_INVALID_ARGUMENT };
            expect_one_of(code, &[expected], "pin_store_set_unpinned_hosts")
        }
    }
}

fn c_text(text: &CText<'_>, limit: usize) -> Box<[u8]> {
    match text {
        CText::Terminated(bytes) => c_string(bytes),
        CText::Unterminated(bytes) => unterminated(bytes, limit),
    }
}

/// The export loads into a new store, which then exports the same document.
fn round_trip(store: &Store) {
    let export = store.export();
    let fresh = Store::new();
    let mut error = OutBuf::new(4096);
    // SAFETY: a live store, the document's bytes, a 4096-byte error buffer.
    let code = unsafe {
        pin_store_load_policy(fresh.ptr(), export.as_ptr(), export.len(), error.ptr(), error.len())
    };
    expect_one_of(code, &[PIN_OK, PIN_ERR_BAD_CONFIG], "pin_store_load_policy (of an export)");
    if code != PIN_OK {
        let why = String::from_utf8_lossy(error.c_text().unwrap_or_default()).into_owned();
        panic!("a store's own export is refused by pin_store_load_policy: {why}\n{export}");
    }
    assert_eq!(fresh.export(), export, "an export loaded back exports differently");
}
