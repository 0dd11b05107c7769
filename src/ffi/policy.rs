//! Policy calls: per-domain rules, the unpinned-host rule, policy documents, saving and
//! loading, and the policy generation.

use std::ffi::c_char;
use std::io::Read;
use std::path::Path;

use super::buffer::{write_cstr, write_truncated};
use super::store::pin_store;
use super::{ffi_result, try_cstr, try_mut, try_optional_mut, try_ref, try_slice};
use crate::document::DocumentError;
use crate::limits::CERTPIN_MAX_POLICY_LEN;
use crate::limits::{
    CERTPIN_MAX_HOST_LEN, CERTPIN_MAX_PIN_LEN, CERTPIN_MAX_PINS, CERTPIN_MAX_TIME,
};
use crate::policy::{Enforcement, PinRules, TrustMode, UnpinnedHosts, ValidationProfile};
use crate::result::{PinError, pin_result};

/// Domain flag: report-only. A mismatch still gives `PIN_OK` (the chain must be valid) and
/// a failure report.
pub const PIN_DOMAIN_REPORT_ONLY: u32 = 1;
/// Domain flag: pins only. The leaf's key must be pinned; no CA, date or name checks apply:
/// the pin is the server's identity (for self-signed or private certificates).
pub const PIN_DOMAIN_PINS_ONLY: u32 = 2;
/// Domain flag: exclude. The hosts this pattern covers get no pinning from a broader
/// pattern (TrustKit's `kTSKExcludeSubdomainFromParentPolicy`); give no pins with it.
pub const PIN_DOMAIN_EXCLUDE: u32 = 4;
/// Domain flag: trust on first use. While the pattern has no pins, verdicts are
/// `PIN_ERR_NOT_PINNED` with `PIN_VERDICT_TOFU_FIRST_USE` and the leaf's pin in the
/// `pin_verdict`; remember it with `pin_store_add`.
pub const PIN_DOMAIN_TOFU: u32 = 8;

const DOMAIN_FLAGS: u32 =
    PIN_DOMAIN_REPORT_ONLY | PIN_DOMAIN_PINS_ONLY | PIN_DOMAIN_EXCLUDE | PIN_DOMAIN_TOFU;

/// Unpinned hosts (hosts no pattern covers) get plain validation. The default.
pub const PIN_UNPINNED_ALLOW: u32 = 0;
/// Unpinned hosts are refused with `PIN_ERR_NOT_PINNED`.
pub const PIN_UNPINNED_REFUSE: u32 = 1;

/// How a domain's pins apply. Zeroed, it means: enforced, CA and pins, never expires.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct pin_domain_options {
    /// `PIN_DOMAIN_*` bits; any other bit is `PIN_ERR_INVALID_ARGUMENT`.
    pub flags: u32,
    /// Unix time from which the pins are no longer enforced (fail open; the verdict carries
    /// `PIN_VERDICT_PINS_EXPIRED`). 0: never. At most `CERTPIN_MAX_TIME`.
    pub expires_at: u64,
    /// Unix time from which verdicts carry `PIN_VERDICT_PINS_EXPIRING`, to ship new pins in
    /// time. 0: no warning. Must not be after `expires_at`.
    pub warn_after: u64,
}

/// Sets the whole entry for a host pattern: its pins and how they apply, replacing whatever
/// the pattern had. Unlike `pin_store_add`, this checks the entry as a configuration, by the
/// same rules as a policy document (otherwise `PIN_ERR_BAD_CONFIG`): an enforced or
/// report-only entry needs at least one pin, and an enforced one (not trust-on-first-use) at
/// least two, one of them a backup (as TrustKit requires); `PIN_DOMAIN_EXCLUDE` takes no pins,
/// no other flag and no dates; report-only needs CA validation; `warn_after` must not come
/// after `expires_at`. Keys learned by trust on first use stay when the entry stays
/// trust-on-first-use.
///
/// `pins` is an array of `pins_len` NUL-terminated pin strings (NULL is accepted when
/// `pins_len` is 0); `options` may be NULL for the defaults. Everything is borrowed for the
/// call only. On any error the store is unchanged.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (unknown flag bits,
/// a date above `CERTPIN_MAX_TIME`, too many pins, a string not UTF-8 or too long), `PIN_ERR_BAD_HOST`, `PIN_ERR_BAD_PIN`,
/// `PIN_ERR_BAD_CONFIG`.
///
/// # Safety
/// `store` must be NULL or a live store, `host_pattern` NULL or NUL-terminated, `pins` NULL or
/// `pins_len` readable pointers to NUL-terminated strings, `options` NULL or readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_set_domain(
    store: *mut pin_store,
    host_pattern: *const c_char,
    pins: *const *const c_char,
    pins_len: usize,
    options: *const pin_domain_options,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers (see the safety section).
        let (store, pattern) =
            unsafe { (try_ref(store)?, try_cstr(host_pattern, CERTPIN_MAX_HOST_LEN)?) };
        let pin_ptrs: &[*const c_char] = if pins.is_null() && pins_len == 0 {
            &[]
        } else {
            // SAFETY: as above.
            unsafe { try_slice(pins, pins_len, CERTPIN_MAX_PINS)? }
        };
        let pin_texts = pin_ptrs
            .iter()
            // SAFETY: each entry is NULL or a NUL-terminated string (caller).
            .map(|pin| unsafe { try_cstr(*pin, CERTPIN_MAX_PIN_LEN) })
            .collect::<Result<Vec<&str>, _>>()?;
        // SAFETY: as above; NULL means the defaults.
        let rules = match options.is_null() {
            true => PinRules::default(),
            // SAFETY: as above.
            false => domain_rules(unsafe { try_ref(options)? })?,
        };
        store.store.set_domain(pattern, &pin_texts, rules)
    })
}

fn domain_rules(options: &pin_domain_options) -> Result<PinRules, PinError> {
    if options.flags & !DOMAIN_FLAGS != 0
        || options.expires_at > CERTPIN_MAX_TIME
        || options.warn_after > CERTPIN_MAX_TIME
    {
        return Err(PinError::InvalidArgument);
    }
    let has = |flag: u32| options.flags & flag != 0;
    Ok(PinRules {
        enforcement: if has(PIN_DOMAIN_REPORT_ONLY) {
            Enforcement::ReportOnly
        } else {
            Enforcement::Enforce
        },
        trust: if has(PIN_DOMAIN_PINS_ONLY) { TrustMode::PinsOnly } else { TrustMode::CaAndPins },
        expires_at: (options.expires_at != 0).then_some(options.expires_at),
        warn_after: (options.warn_after != 0).then_some(options.warn_after),
        excluded: has(PIN_DOMAIN_EXCLUDE),
        tofu: has(PIN_DOMAIN_TOFU),
    })
}

/// Sets what happens to hosts no pattern covers: `PIN_UNPINNED_ALLOW` (plain validation, the
/// default) or `PIN_UNPINNED_REFUSE` (`PIN_ERR_NOT_PINNED`). Excluded domains
/// (`PIN_DOMAIN_EXCLUDE`) are covered, so they get plain validation either way.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (another value).
///
/// # Safety
/// `store` must be NULL or a live store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_set_unpinned_hosts(
    store: *mut pin_store,
    rule: u32,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or a live store.
        let store = unsafe { try_ref(store)? };
        let rule = match rule {
            PIN_UNPINNED_ALLOW => UnpinnedHosts::Allow,
            PIN_UNPINNED_REFUSE => UnpinnedHosts::Refuse,
            _ => return Err(PinError::InvalidArgument),
        };
        store.store.set_unpinned_hosts(rule)
    })
}

/// Validation profile: rustls-webpki's Web PKI rules alone. The default.
pub const PIN_PROFILE_WEBPKI: u32 = 0;
/// Validation profile: Web PKI, and every candidate path must also pass the strict RFC 5280
/// and CA/Browser Forum checks (see README: "Strict validation profile"). A path that fails one
/// is skipped and path building goes on; when none is left the verdict is
/// `PIN_ERR_INVALID_CHAIN` and the explanation names the check and the certificate.
pub const PIN_PROFILE_STRICT: u32 = 1;

/// Sets the X.509 rules every path must follow: `PIN_PROFILE_WEBPKI` (the default) or
/// `PIN_PROFILE_STRICT`. The profile is part of the policy: a policy document's
/// `"validation_profile"` sets it too (a document without the key means `"webpki"`), and it is
/// exported and saved with the policy. A change starts a new policy generation. Pins-only
/// domains (`PIN_DOMAIN_PINS_ONLY`) validate no path, so no profile applies to them.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (another value: the
/// store is unchanged).
///
/// # Safety
/// `store` must be NULL or a live store.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_set_validation_profile(
    store: *mut pin_store,
    profile: u32,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or a live store.
        let store = unsafe { try_ref(store)? };
        let profile = match profile {
            PIN_PROFILE_WEBPKI => ValidationProfile::WebPki,
            PIN_PROFILE_STRICT => ValidationProfile::Strict,
            _ => return Err(PinError::InvalidArgument),
        };
        store.store.set_validation_profile(profile)
    })
}

/// Replaces the store's policy (every domain, the unpinned-host rule and the validation
/// profile; the trust anchors stay) with a JSON policy document of `json_len` bytes (see
/// README: "Policy documents"). Keys learned by trust on first use stay where the document
/// keeps their entry, and the anti-rollback floor (`min_update_version`) only ever rises.
/// A document with any problem is refused whole with `PIN_ERR_BAD_CONFIG`, the store keeps its
/// previous policy, and `error` (optional: NULL or `error_len` 0 for none) receives the
/// offending key and why, e.g. `domains."api.example.com".pins[1]: not a pin ...`, cut to fit
/// and NUL-terminated.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (longer than
/// `CERTPIN_MAX_POLICY_LEN`), `PIN_ERR_BAD_CONFIG`.
///
/// # Safety
/// `store` must be NULL or a live store, `json` NULL or `json_len` readable bytes, `error`
/// NULL or `error_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_load_policy(
    store: *mut pin_store,
    json: *const u8,
    json_len: usize,
    error: *mut c_char,
    error_len: usize,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers (see the safety section).
        let (store, json) =
            unsafe { (try_ref(store)?, try_slice(json, json_len, CERTPIN_MAX_POLICY_LEN)?) };
        let loaded = store.store.load_policy(json);
        // SAFETY: `error` is NULL or has `error_len` writable bytes (caller).
        unsafe { report_document_error(loaded, error, error_len) }
    })
}

/// Writes a document error's text into the caller's buffer and turns it into `BAD_CONFIG`.
///
/// # Safety
/// `error` must be NULL or `error_len` writable bytes.
unsafe fn report_document_error(
    loaded: Result<(), DocumentError>,
    error: *mut c_char,
    error_len: usize,
) -> Result<(), PinError> {
    loaded.map_err(|problem| {
        // SAFETY: as the caller guarantees.
        unsafe { write_truncated(&problem.to_string(), error, error_len) };
        PinError::BadConfig
    })
}

/// Writes the store's policy as a JSON document (configured and learned pins alike; the
/// format `pin_store_load_policy` reads) into `out`, NUL-terminated. `needed` (may be NULL)
/// receives the bytes needed, NUL included, whatever the outcome, so a caller can size the
/// buffer and call again. `out` is written only on success.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `store` must be NULL or a live store, `out` NULL or `out_len` writable bytes, `needed` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_export_policy(
    store: *const pin_store,
    out: *mut c_char,
    out_len: usize,
    needed: *mut usize,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or a live store.
        let store = unsafe { try_ref(store)? };
        // SAFETY: `needed` is NULL or writable (caller).
        let needed = unsafe { try_optional_mut(needed)? };
        let document = store.store.export_policy();
        if let Some(needed) = needed {
            *needed = document.len() + 1;
        }
        // SAFETY: `out` is NULL (refused) or has `out_len` writable bytes (caller).
        unsafe { write_cstr(&document, out, out_len) }
    })
}

/// Saves the store's policy document to the file at `path`, atomically: it is written to a
/// temporary file beside it, flushed to disk and renamed over it, and the directory is
/// flushed, so that after a crash the file holds the old document or the new one, whole,
/// never a torn one. The document includes the keys learned by trust on first use and the
/// anti-rollback floor (`min_update_version`), which `pin_store_load_file` restores.
///
/// A symbolic link at `path` is followed: the file it points to is replaced (in its own
/// directory, which is the one flushed) and the link stays. The file keeps its permission
/// bits; a new file gets 0666 less the umask. The temporary file is created exclusively
/// under a random name (`.NAME.tmp-` and 16 hex digits), so no leftover file can collide.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (path not UTF-8 or
/// longer than 4096 bytes), `PIN_ERR_IO` (the file could not be written; it is unchanged).
///
/// # Safety
/// `store` must be NULL or a live store, `path` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_save(
    store: *const pin_store,
    path: *const c_char,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers.
        let (store, path) = unsafe { (try_ref(store)?, try_cstr(path, MAX_PATH_LEN)?) };
        store.store.save(Path::new(path)).map_err(|_| PinError::Io)
    })
}

/// Loads a policy document from the file at `path`, as `pin_store_load_policy` does.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (path not UTF-8 or
/// longer than 4096 bytes, or a file longer than `CERTPIN_MAX_POLICY_LEN`, as for
/// `pin_store_load_policy`), `PIN_ERR_IO` (unreadable; `error` says why), `PIN_ERR_BAD_CONFIG`.
///
/// # Safety
/// `store` must be NULL or a live store, `path` NULL or NUL-terminated, `error` NULL or
/// `error_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_load_file(
    store: *mut pin_store,
    path: *const c_char,
    error: *mut c_char,
    error_len: usize,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers.
        let (store, path) = unsafe { (try_ref(store)?, try_cstr(path, MAX_PATH_LEN)?) };
        let json = read_bounded(Path::new(path)).map_err(|problem| {
            // SAFETY: `error` is NULL or has `error_len` writable bytes (caller).
            unsafe { write_truncated(&format!("{path}: {problem}"), error, error_len) };
            // Past the limit is the limit's code, as for a document passed in memory.
            match problem.kind() {
                std::io::ErrorKind::FileTooLarge => PinError::InvalidArgument,
                _ => PinError::Io,
            }
        })?;
        let loaded = store.store.load_policy(&json);
        // SAFETY: as above.
        unsafe { report_document_error(loaded, error, error_len) }
    })
}

/// Most bytes read from a file path string.
const MAX_PATH_LEN: usize = 4096;

/// The file's bytes, refusing a file longer than a policy document may be.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(CERTPIN_MAX_POLICY_LEN as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > CERTPIN_MAX_POLICY_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than a policy document may be ({CERTPIN_MAX_POLICY_LEN} bytes)"),
        ));
    }
    Ok(bytes)
}

/// Writes the store's policy generation into `generation`. It changes whenever the effective
/// policy changes (pins, rules, anchors, documents): when it differs from the one a pooled
/// connection or cached TLS session was verified under, drop them.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// `store` must be NULL or a live store, `generation` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_policy_generation(
    store: *const pin_store,
    generation: *mut u64,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers.
        let (store, out) = unsafe { (try_ref(store)?, try_mut(generation)?) };
        *out = store.store.generation();
        Ok(())
    })
}
