//! `pin_store_load_policy` on any bytes, into a new store or one that already has a policy.
//!
//! Checks: no panic; the documented codes; a refused document leaves the store's export,
//! generation and version as they were and writes a NUL-terminated UTF-8 error within the
//! buffer (nothing for a 0-byte or NULL buffer, nothing past it); a loaded one moves the
//! generation (if it changed the policy), writes no error, and round-trips: its export loads again (into the same store
//! and into a new one) and exports the same.

#![no_main]

use certpin::*;
use certpin_fuzz::abi::{OutBuf, Store, expect_one_of};
use certpin_fuzz::cases::{ERROR_LENS, PolicyCase};
use certpin_fuzz::samples::base_policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = PolicyCase::read(data);
    let store = Store::new();
    if case.config & 1 != 0 {
        let base = base_policy();
        assert_eq!(
            load(&store, base.as_bytes(), &mut OutBuf::new(256), false),
            PIN_OK,
            "the base policy was refused"
        );
    }
    let before = store.state();
    let mut error = OutBuf::new(ERROR_LENS[usize::from(case.config >> 1) & 7]);
    let null_error = case.config & 16 != 0;
    let code = load(&store, case.document, &mut error, null_error);
    certpin_fuzz::trace!(
        "load: {} {:?}",
        certpin_fuzz::abi::name(code),
        error.c_text().map(String::from_utf8_lossy)
    );
    if code != PIN_OK {
        assert_eq!(store.state(), before, "a refused document changed the store");
        check_error_text(&error, null_error);
        return;
    }
    assert!(error.untouched(), "a document that loaded wrote an error");
    let after = store.state();
    // The generation moves on a real change only (the same policy again is none).
    if after.export != before.export {
        assert!(after.generation > before.generation, "a new policy did not move the generation");
    } else {
        assert_eq!(after.generation, before.generation, "the same policy moved the generation");
    }

    let mut why = OutBuf::new(4096);
    let code = load(&store, after.export.as_bytes(), &mut why, false);
    assert_eq!(
        code,
        PIN_OK,
        "an export is refused: {:?}\n{}",
        why.c_text().map(String::from_utf8_lossy),
        after.export
    );
    assert_eq!(store.export(), after.export, "an export loaded back exports differently");
    let fresh = Store::new();
    let code = load(&fresh, after.export.as_bytes(), &mut why, false);
    assert_eq!(code, PIN_OK, "an export is refused by a new store");
    assert_eq!(
        fresh.export(),
        after.export,
        "an export loaded into a new store exports differently"
    );
    assert_eq!(fresh.version(), after.version, "the version did not survive the export");
});

/// `pin_store_load_policy` with the error buffer (or NULL with its length).
fn load(store: &Store, document: &[u8], error: &mut OutBuf, null_error: bool) -> pin_result {
    let error_ptr = if null_error { std::ptr::null_mut() } else { error.ptr() };
    // SAFETY: a live store, the document's bytes (a non-NULL pointer even when empty), and
    // NULL or `error.len()` writable bytes.
    let code = unsafe {
        pin_store_load_policy(
            store.ptr(),
            document.as_ptr(),
            document.len(),
            error_ptr,
            error.len(),
        )
    };
    expect_one_of(code, &[PIN_OK, PIN_ERR_BAD_CONFIG], "pin_store_load_policy")
}

/// The error of a refused document: cut to fit, NUL-terminated, UTF-8, nothing past the buffer.
#[track_caller]
fn check_error_text(error: &OutBuf, null_error: bool) {
    assert!(error.guard_intact(), "the error was written past its buffer");
    if null_error || error.is_empty() {
        assert!(error.untouched(), "an error was written into a NULL or 0-byte buffer");
        return;
    }
    let text = error.c_text().expect("the error is NUL-terminated within its buffer");
    let text = std::str::from_utf8(text).expect("the error is UTF-8 (cut at a character)");
    assert!(error.len() < 2 || !text.is_empty(), "a refused document gave an empty error");
    if error.len() > 4096 {
        assert!(text.contains(": "), "the error {text:?} names no key");
    }
}
