//! `pin_store_apply_update`: (a) raw document and signature bytes from the input, and (b)
//! documents signed here with the trusted test key (`fuzz/update-key.pk8`), as 64 raw bytes
//! or base64, with or without white space, so that the fuzzer gets past the signature check
//! into the document, version and expiry checks. A signed base update may be applied first.
//!
//! Checks: no panic; the documented codes; a refused update leaves the version, generation
//! and export as they were and writes a NUL-terminated error within its buffer; an applied
//! one raises the version, moves the generation, and cannot be applied again (no replay); a
//! document signed with the trusted key is never refused for its signature, and one signed by
//! no trusted key always is; and updates agree with `pin_store_load_policy` on which
//! documents are well formed.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin::*;
use certpin_fuzz::abi::{OutBuf, Store, expect_one_of};
use certpin_fuzz::cases::{ERROR_LENS, UpdateCase};
use certpin_fuzz::samples::{IN_2030, base_update, sign_update, update_public_key};
use libfuzzer_sys::fuzz_target;

/// A second trusted key (32 bytes that sign nothing here), for stores that trust two.
const OTHER_KEY: &std::ffi::CStr = c"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fuzz_target!(|data: &[u8]| {
    let case = UpdateCase::read(data);
    let store = Store::new();
    let trusts_key = case.mode & 16 == 0;
    if trusts_key {
        add_key(&store, update_public_key());
    }
    if case.mode & 8 != 0 {
        add_key(&store, OTHER_KEY);
    }
    if case.base_version != 0 && trusts_key {
        let base = base_update(case.base_version);
        let code = apply(&store, &base, &sign_update(&base), IN_2030.unix(), &mut OutBuf::new(256));
        assert_eq!(code, PIN_OK, "the signed base update was refused");
    }

    let document = case.document;
    let signed_here = case.mode & 1 != 0;
    let signature = if signed_here {
        let raw = sign_update(document);
        let mut signature =
            if case.mode & 2 != 0 { STANDARD.encode(raw).into_bytes() } else { raw.to_vec() };
        if case.mode & 4 != 0 {
            signature = [&b" \n"[..], &signature, b"\r\n\t"].concat();
        }
        signature
    } else {
        case.signature.to_vec()
    };
    // White space is allowed around the base64 form only.
    let well_signed = signed_here && trusts_key && (case.mode & 2 != 0 || case.mode & 4 == 0);

    let before = store.state();
    let mut error = OutBuf::new(ERROR_LENS[usize::from(case.error_len) % ERROR_LENS.len()]);
    let time = case.time.unix();
    let code = apply(&store, document, &signature, time, &mut error);
    certpin_fuzz::trace!(
        "{case:?}\nupdate: {} {:?}",
        certpin_fuzz::abi::name(code),
        error.c_text().map(String::from_utf8_lossy)
    );
    if well_signed {
        assert_ne!(
            code, PIN_ERR_BAD_SIGNATURE,
            "a document signed with the trusted key was refused for its signature"
        );
    }
    if !trusts_key {
        assert_eq!(
            code, PIN_ERR_BAD_SIGNATURE,
            "a store that trusts no signing key applied an update"
        );
    }
    if code == PIN_OK {
        assert!(error.untouched(), "an applied update wrote an error");
        let after = store.state();
        assert!(after.version > before.version, "an applied update did not raise the version");
        assert!(
            after.generation > before.generation,
            "an applied update did not move the generation"
        );
        let replay = apply(&store, document, &signature, time, &mut OutBuf::new(256));
        assert_eq!(replay, PIN_ERR_STALE_UPDATE, "the same update was applied twice");
        assert_eq!(store.state(), after, "a replayed update changed the store");
    } else {
        assert_eq!(store.state(), before, "a refused update changed the store");
        assert!(error.guard_intact(), "the error was written past its buffer");
        if error.is_empty() {
            assert!(error.untouched(), "an error was written into a 0-byte buffer");
        } else {
            let text = error.c_text().expect("the error is NUL-terminated within its buffer");
            std::str::from_utf8(text).expect("the error is UTF-8 (cut at a character)");
        }
    }

    // Past the signature, an update's document is read as pin_store_load_policy reads it,
    // and an update needs a version and an expiry besides.
    if code != PIN_ERR_BAD_SIGNATURE {
        let scratch = Store::new();
        let mut why = OutBuf::new(0);
        // SAFETY: a live store, the document's bytes, a 0-byte error buffer.
        let loads = unsafe {
            pin_store_load_policy(scratch.ptr(), document.as_ptr(), document.len(), why.ptr(), 0)
        };
        expect_one_of(loads, &[PIN_OK, PIN_ERR_BAD_CONFIG], "pin_store_load_policy");
        if loads == PIN_ERR_BAD_CONFIG {
            assert_eq!(
                code, PIN_ERR_BAD_CONFIG,
                "an update applied a document pin_store_load_policy refuses"
            );
        }
        if code == PIN_ERR_BAD_CONFIG && loads == PIN_OK && error.len() >= 256 {
            let text = String::from_utf8_lossy(error.c_text().unwrap_or_default());
            assert!(
                text.starts_with("version") || text.starts_with("expires"),
                "an update was refused as malformed for a document pin_store_load_policy reads: {text}"
            );
        }
    }
});

fn add_key(store: &Store, key: &std::ffi::CStr) {
    // SAFETY: a live store and a NUL-terminated key.
    let code = unsafe { pin_store_add_update_key(store.ptr(), key.as_ptr()) };
    expect_one_of(code, &[PIN_OK], "pin_store_add_update_key");
}

/// `pin_store_apply_update`, checked for the documented codes.
fn apply(
    store: &Store,
    document: &[u8],
    signature: &[u8],
    time: u64,
    error: &mut OutBuf,
) -> pin_result {
    // SAFETY: a live store, the document's and signature's bytes (non-NULL pointers even when
    // empty), `error.len()` writable bytes.
    let code = unsafe {
        pin_store_apply_update(
            store.ptr(),
            document.as_ptr(),
            document.len(),
            signature.as_ptr(),
            signature.len(),
            time,
            error.ptr(),
            error.len(),
        )
    };
    expect_one_of(
        code,
        &[PIN_OK, PIN_ERR_BAD_SIGNATURE, PIN_ERR_BAD_CONFIG, PIN_ERR_STALE_UPDATE],
        "pin_store_apply_update",
    )
}
