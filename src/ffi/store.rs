//! `pin_store`: creating, filling and freeing a store.

use std::ffi::c_char;

use super::{ffi_boundary, ffi_result, try_cstr, try_ref, try_slice};
use crate::limits::{CERTPIN_MAX_CERT_LEN, CERTPIN_MAX_HOST_LEN, CERTPIN_MAX_PIN_LEN};
use crate::result::pin_result;
use crate::store::PinStore;

/// A set of pins and trust anchors. Opaque: create it with `pin_store_new` and free it with
/// `pin_store_free`.
///
/// Threads: every function may be called on one store from many threads at once. Readers
/// (verifications) never wait for writers (`pin_store_add...`); each call sees the store
/// either wholly before or wholly after any one change.
#[allow(non_camel_case_types)]
pub struct pin_store {
    pub(crate) store: PinStore,
}

/// Creates an empty store: no pins, and the built-in Mozilla roots as trust anchors.
///
/// Ownership: the caller owns the store and must free it with `pin_store_free`.
/// Returns NULL only if the allocation panicked.
#[unsafe(no_mangle)]
pub extern "C" fn pin_store_new() -> *mut pin_store {
    ffi_boundary(|| Box::into_raw(Box::new(pin_store { store: PinStore::new() })))
}

/// Frees a store made by `pin_store_new`. NULL is a no-op.
///
/// No other call may be using the store, and the pointer must not be used afterwards.
///
/// # Safety
/// `store` must be NULL or a pointer returned by `pin_store_new` and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_free(store: *mut pin_store) {
    ffi_boundary(|| {
        if !store.is_null() {
            // SAFETY: the caller passes a pointer from `pin_store_new`, freed only here, once.
            drop(unsafe { Box::from_raw(store) });
        }
    })
}

/// Pins a public key for a host pattern.
///
/// `pin` is `"sha256/"` + the base64 of the SHA-256 of the DER SubjectPublicKeyInfo (RFC 7469,
/// OkHttp's form). `host_pattern` is `"api.example.com"` (or an IP address), `"*.example.com"`
/// (exactly one more label) or `"**.example.com"` (the name itself and any depth below it);
/// it is normalised like a host (case, trailing dot, IDNA A-labels, canonical IP). Pins added
/// under the same pattern accumulate: add a backup pin the same way.
///
/// Both strings are borrowed for the call only (at most `CERTPIN_MAX_HOST_LEN` and
/// `CERTPIN_MAX_PIN_LEN` bytes). On any error the store is unchanged.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (not UTF-8, too
/// long, or the store would hold more than `CERTPIN_MAX_PINS` pins), `PIN_ERR_BAD_HOST`,
/// `PIN_ERR_BAD_PIN`, `PIN_ERR_BAD_CONFIG` (the pattern is excluded with `PIN_DOMAIN_EXCLUDE`:
/// a pin there would be ignored).
///
/// # Safety
/// `store` must be NULL or a live store; the strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_add(
    store: *mut pin_store,
    host_pattern: *const c_char,
    pin: *const c_char,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers (see the function's safety section).
        let (store, host_pattern, pin) = unsafe {
            (
                try_ref(store)?,
                try_cstr(host_pattern, CERTPIN_MAX_HOST_LEN)?,
                try_cstr(pin, CERTPIN_MAX_PIN_LEN)?,
            )
        };
        store.store.add_pin(host_pattern, pin)
    })
}

/// Trusts a DER certificate as a root. Once a store has any anchor of its own, the built-in
/// roots are no longer used by it. Adding the same anchor twice is a no-op.
///
/// `der` is borrowed for the call only (copied into the store), at most
/// `CERTPIN_MAX_CERT_LEN` bytes. On any error the store is unchanged.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (length out of
/// range, or more than `CERTPIN_MAX_ANCHORS` anchors), `PIN_ERR_BAD_CERTIFICATE`.
///
/// # Safety
/// `store` must be NULL or a live store; `der` NULL or `der_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_add_trust_anchor(
    store: *mut pin_store,
    der: *const u8,
    der_len: usize,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers (see the function's safety section).
        let (store, der) =
            unsafe { (try_ref(store)?, try_slice(der, der_len, CERTPIN_MAX_CERT_LEN)?) };
        store.store.add_trust_anchor(der)
    })
}

/// Turns the store's verdict cache on (`enabled` = 1, the default) or off (0). With it on,
/// `pin_verify_chain` and `pin_verify_chain_at` answer a repeat verification of an identical
/// chain (byte for byte) for the same host spelling, under the same policy generation and
/// inside every certificate's validity, from memory: no signature check, no allocation, no
/// lock. Only plain `PIN_OK` verdicts are cached; any store change invalidates them all. The
/// explaining and detailed calls always verify in full.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (not 0 or 1).
///
/// # Safety
/// `store` must be NULL or a live store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_set_verdict_cache(
    store: *mut pin_store,
    enabled: u32,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or a live store.
        let store = unsafe { try_ref(store)? };
        match enabled {
            0 | 1 => {
                store.store.set_verdict_cache(enabled == 1);
                Ok(())
            }
            _ => Err(crate::result::PinError::InvalidArgument),
        }
    })
}
