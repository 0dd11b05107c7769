//! Signed policy updates: trusting update keys and applying updates.

use std::ffi::c_char;

use super::buffer::write_truncated;
use super::store::pin_store;
use super::{ffi_result, try_cstr, try_mut, try_ref, try_slice};
use crate::limits::CERTPIN_MAX_POLICY_LEN;
use crate::result::{PinError, pin_result};
use crate::update::UpdateKey;

/// Most bytes accepted for a detached signature (its base64 form, with white space).
const MAX_SIGNATURE_LEN: usize = 256;

/// Trusts an Ed25519 public key to sign policy updates. `public_key` is the standard base64 of
/// the key's 32 bytes, as `certpin keygen` prints it for the app to embed. Several keys may be
/// trusted (for rotating the signing key); adding one twice is a no-op.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (not the base64 of 32
/// bytes, or more than 16 keys).
///
/// # Safety
/// `store` must be NULL or a live store, `public_key` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_add_update_key(
    store: *mut pin_store,
    public_key: *const c_char,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers.
        let (store, key) = unsafe { (try_ref(store)?, try_cstr(public_key, 128)?) };
        store.store.add_update_key(UpdateKey::from_base64(key)?)
    })
}

/// Applies a signed policy update: `document` (a policy document carrying `version` and
/// `expires`) and `signature`, the detached Ed25519 signature over the document's exact bytes
/// (64 raw bytes, or their base64 as `certpin sign` writes it).
///
/// The checks, in order: the signature is by a trusted update key (`PIN_ERR_BAD_SIGNATURE`);
/// the document is well formed (`PIN_ERR_BAD_CONFIG`); its version is strictly greater than
/// the store's current one, and not below the highest version the store has accepted (see
/// `pin_store_min_update_version`) (`PIN_ERR_STALE_UPDATE`: no rollback to an older signed
/// document); it has not expired at `unix_time` (`PIN_ERR_STALE_UPDATE`). Only then does the
/// new policy replace the old, in one atomic swap: concurrent verifications see the old
/// policy or the new, never a mix. On any failure the store is exactly as it was, and `error` (optional)
/// says why.
///
/// The trust anchors, update keys and report callback are not part of the document and stay.
/// Keys learned by trust on first use stay where the update keeps their entry. An accepted
/// update raises the anti-rollback floor to its version.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (document larger
/// than `CERTPIN_MAX_POLICY_LEN`), `PIN_ERR_BAD_SIGNATURE`, `PIN_ERR_BAD_CONFIG`,
/// `PIN_ERR_STALE_UPDATE`.
///
/// # Safety
/// `store` must be NULL or a live store, `document` and `signature` NULL or readable for
/// their lengths, `error` NULL or `error_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_apply_update(
    store: *mut pin_store,
    document: *const u8,
    document_len: usize,
    signature: *const u8,
    signature_len: usize,
    unix_time: u64,
    error: *mut c_char,
    error_len: usize,
) -> pin_result {
    ffi_result(|| {
        // Every refusal says why, argument errors included: a C caller may log `error` after
        // any failure and must never read an unterminated buffer.
        let refuse = |code: PinError, problem: &str| {
            // SAFETY: `error` is NULL or has `error_len` writable bytes (caller).
            unsafe { write_truncated(problem, error, error_len) };
            code
        };
        // SAFETY: the caller passes NULL or valid pointers (see the safety section).
        let store = unsafe { try_ref(store) }.map_err(|e| refuse(e, "store is NULL"))?;
        // SAFETY: as above.
        let document = unsafe { try_slice(document, document_len, CERTPIN_MAX_POLICY_LEN) }
            .map_err(|e| match e {
                PinError::NullArgument => refuse(e, "document is NULL"),
                _ => refuse(e, "the document is larger than CERTPIN_MAX_POLICY_LEN bytes"),
            })?;
        // SAFETY: as above.
        let signature = unsafe { try_slice(signature, signature_len, MAX_SIGNATURE_LEN) }.map_err(
            |e| match e {
                PinError::NullArgument => refuse(e, "signature is NULL"),
                _ => {
                    refuse(PinError::BadSignature, "the signature is not 64 bytes or their base64")
                }
            },
        )?;
        store
            .store
            .apply_update(document, signature, unix_time)
            .map_err(|refused| refuse(refused.error, &refused.problem))
    })
}

/// Writes the version number of the store's policy (from the last document loaded or update
/// applied; 0 if none) into `version`.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `store` must be NULL or a live store, `version` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_policy_version(
    store: *const pin_store,
    version: *mut u64,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers.
        let (store, out) = unsafe { (try_ref(store)?, try_mut(version)?) };
        *out = store.store.snapshot().version;
        Ok(())
    })
}

/// Raises the store's anti-rollback floor to `version`: from now on a signed update whose
/// version is below it is `PIN_ERR_STALE_UPDATE`, whatever policy is loaded. For an app that
/// keeps the highest accepted update version its own way (`pin_store_save` and
/// `pin_store_load_file` keep it in the policy file as `min_update_version`): read it with
/// `pin_store_min_update_version` after each accepted update, and restore it with this call at
/// start, before applying any update. The floor never goes down: a lower `version` changes
/// nothing. It decides no verdict, so the policy generation stays.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `store` must be NULL or a live store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_set_min_update_version(
    store: *mut pin_store,
    version: u64,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or a live store.
        let store = unsafe { try_ref(store)? };
        store.store.raise_min_update_version(version);
        Ok(())
    })
}

/// Writes the store's anti-rollback floor into `version`: the highest signed-update version it
/// has accepted or been given (by `pin_store_set_min_update_version` or a loaded document's
/// `min_update_version`); 0 if none.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `store` must be NULL or a live store, `version` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_min_update_version(
    store: *const pin_store,
    version: *mut u64,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers.
        let (store, out) = unsafe { (try_ref(store)?, try_mut(version)?) };
        *out = store.store.snapshot().min_update_version;
        Ok(())
    })
}
