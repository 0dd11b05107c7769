//! `pin_verify_chain` and friends: the verdict on a chain the server sent.

use std::ffi::c_char;
use std::time::{SystemTime, UNIX_EPOCH};

use super::buffer::write_truncated;
use super::store::pin_store;
use super::{ffi_boundary, try_cstr, try_optional_mut, try_ref, try_slice};
use crate::explain::{explain, fingerprint, headline};
use crate::limits::{CERTPIN_MAX_CERT_LEN, CERTPIN_MAX_CHAIN_LEN, CERTPIN_MAX_HOST_LEN};
use crate::pin::Pin;
use crate::result::{PinError, pin_result, result_code};
use crate::verify::Verdict;

/// One DER certificate, borrowed: `len` bytes at `data`. certpin never keeps the pointer
/// after the call returns.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct pin_bytes {
    /// The certificate's DER bytes. Must not be NULL, even when `len` is 0.
    pub data: *const u8,
    /// The number of bytes at `data`, at most `CERTPIN_MAX_CERT_LEN`.
    pub len: usize,
}

/// The verdict on a chain as the server sent it, at the current time.
///
/// `chain[0]` is the leaf; the rest are untrusted intermediates in any order. `host` is the
/// DNS name or IP address literal the app meant to reach. The chain is validated as Web PKI
/// server authentication (signatures, dates, basic and name constraints, EKU serverAuth, the
/// host name) against the store's anchors (or the built-in roots); where the host has pins,
/// a path passes only if one of its certificates (leaf, intermediates used, anchor) has a
/// pinned key, and the chain passes if any valid path does. Certificates the server sent that
/// are not on the validated path never count.
///
/// Everything is borrowed for the call only. The store may be changed by other threads at the
/// same time: the verdict is reached on one consistent state of it.
///
/// Returns `PIN_OK` when trusted; otherwise `PIN_ERR_NULL_ARGUMENT` (store, chain, host or a
/// certificate's data is NULL), `PIN_ERR_EMPTY_CHAIN`, `PIN_ERR_INVALID_ARGUMENT` (more than
/// `CERTPIN_MAX_CHAIN_LEN` certificates, one above `CERTPIN_MAX_CERT_LEN` bytes, host not
/// UTF-8 or above `CERTPIN_MAX_HOST_LEN` bytes), `PIN_ERR_BAD_HOST`, `PIN_ERR_BAD_CERTIFICATE`,
/// `PIN_ERR_UNKNOWN_ISSUER`, `PIN_ERR_EXPIRED`, `PIN_ERR_NOT_YET_VALID`,
/// `PIN_ERR_HOST_MISMATCH`, `PIN_ERR_INVALID_CHAIN` or `PIN_ERR_PIN_MISMATCH`.
///
/// # Safety
/// `store` must be NULL or a live store, `chain` NULL or `chain_len` readable `pin_bytes`
/// whose `data` point to `len` readable bytes, `host` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_verify_chain(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
) -> pin_result {
    // SAFETY: forwarded as they came; see the safety section.
    unsafe { pin_verify_chain_at(store, chain, chain_len, host, now()) }
}

/// `pin_verify_chain` at `unix_time` (seconds since the Unix epoch) instead of now.
///
/// # Safety
/// As for `pin_verify_chain`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_verify_chain_at(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    unix_time: u64,
) -> pin_result {
    ffi_boundary(|| {
        // SAFETY: the caller passes NULL or valid pointers (see the safety section).
        let outcome = unsafe {
            let mut slots = [&[][..]; CERTPIN_MAX_CHAIN_LEN];
            read_arguments(store, chain, chain_len, host, &mut slots)
                .and_then(|(store, certs, host)| store.store.verify_result(certs, host, unix_time))
        };
        result_code(&outcome)
    })
}

/// `pin_verify_chain`, and a human-readable explanation of the verdict written into
/// `explanation`: the result, the host, the policy (pattern) that applied and its pins, and
/// each certificate of the chain with its `sha256/` pin and subject (on a pin mismatch, also
/// the valid path that held no pinned key). Paste a pin from it into your policy.
///
/// The text is written like `snprintf`: cut to fit `explanation_len` bytes (a cut text ends
/// in `"...\n"`), always NUL-terminated, written for every result including argument errors.
/// With `explanation` NULL or `explanation_len` 0 nothing is written and no text is made.
/// 4096 bytes hold the explanation of any usual chain.
///
/// Returns the same verdict `pin_verify_chain` would.
///
/// # Safety
/// As for `pin_verify_chain`; `explanation` must be NULL or `explanation_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_verify_chain_explain(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    explanation: *mut c_char,
    explanation_len: usize,
) -> pin_result {
    // SAFETY: forwarded as they came; see the safety section.
    unsafe {
        pin_verify_chain_explain_at(
            store,
            chain,
            chain_len,
            host,
            now(),
            explanation,
            explanation_len,
        )
    }
}

/// `pin_verify_chain_explain` at `unix_time` (seconds since the Unix epoch) instead of now.
///
/// # Safety
/// As for `pin_verify_chain_explain`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_verify_chain_explain_at(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    unix_time: u64,
    explanation: *mut c_char,
    explanation_len: usize,
) -> pin_result {
    // SAFETY: forwarded as they came (no `pin_verdict` wanted, port unknown); see the safety
    // section.
    unsafe {
        pin_verify_chain_detailed(
            store,
            chain,
            chain_len,
            host,
            0,
            unix_time,
            std::ptr::null_mut(),
            explanation,
            explanation_len,
        )
    }
}

/// Everything known about a verdict, for apps that act on more than its result.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct pin_verdict {
    /// The verdict: the same value the call returns.
    pub result: pin_result,
    /// `PIN_VERDICT_*` bits: report-only mismatch, pins expired or expiring, trust on first
    /// use, report delivered.
    pub flags: u32,
    /// The store's policy generation the verdict was reached under (see
    /// `pin_store_policy_generation`).
    pub policy_generation: u64,
    /// The leaf's `sha256/` pin, NUL-terminated (empty if the leaf did not parse): what a
    /// trust-on-first-use app shows and remembers with `pin_store_add`.
    pub leaf_pin: [c_char; 52],
    /// The SHA-256 fingerprint of the leaf certificate, as `AB:CD:...` (95 characters),
    /// NUL-terminated (empty if there is no leaf).
    pub leaf_fingerprint: [c_char; 96],
}

/// The verdict with all its details: `pin_verify_chain_explain_at`, plus the port (for
/// failure reports; 0 when unknown) and a `pin_verdict` filled in for every outcome that got
/// as far as reading the arguments (`verdict` may be NULL when not wanted).
///
/// Returns the same verdict `pin_verify_chain_at` would.
///
/// # Safety
/// As for `pin_verify_chain_explain`; `verdict` must be NULL or point to a writable
/// `pin_verdict`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_verify_chain_detailed(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    port: u16,
    unix_time: u64,
    verdict: *mut pin_verdict,
    explanation: *mut c_char,
    explanation_len: usize,
) -> pin_result {
    ffi_boundary(|| {
        let port = (port != 0).then_some(port);
        let mut slots = [&[][..]; CERTPIN_MAX_CHAIN_LEN];
        // SAFETY: `verdict` is NULL or writable (caller); checked before any work. A bad one
        // is an argument error like any other: no verdict, but the explanation is written.
        let (verdict, outcome) = match unsafe { try_optional_mut(verdict) } {
            // SAFETY: forwarded as they came; see the safety section.
            Ok(verdict) => (verdict, unsafe {
                verdict_for(store, chain, chain_len, host, port, unix_time, &mut slots)
            }),
            Err(error) => (None, Err(error)),
        };
        let text = explanation_text(&outcome, !explanation.is_null() && explanation_len > 0);
        if let Some(text) = text {
            // SAFETY: `explanation` has `explanation_len` writable bytes (caller).
            unsafe { write_truncated(&text, explanation, explanation_len) };
        }
        let code = outcome.as_ref().map_or_else(|e| e.code(), |(v, _)| result_code(&v.result));
        if let Some(out) = verdict {
            *out = verdict_details(code, &outcome);
        }
        code
    })
}

fn verdict_details(
    code: pin_result,
    outcome: &Result<(Verdict, &[&[u8]]), PinError>,
) -> pin_verdict {
    let mut details = pin_verdict {
        result: code,
        flags: 0,
        policy_generation: 0,
        leaf_pin: [0; 52],
        leaf_fingerprint: [0; 96],
    };
    if let Ok((verdict, certs)) = outcome {
        details.flags = verdict.notes;
        details.policy_generation = verdict.generation;
        if let Some(leaf) = certs.first() {
            if let Ok(pin) = Pin::of_certificate(leaf) {
                copy_into(pin.text().as_str(), &mut details.leaf_pin);
            }
            copy_into(&fingerprint(leaf), &mut details.leaf_fingerprint);
        }
    }
    details
}

/// Copies ASCII `text` into a fixed C array, NUL-terminated (`text` always fits by design).
fn copy_into<const N: usize>(text: &str, out: &mut [c_char; N]) {
    for (slot, byte) in out.iter_mut().zip(text.bytes().take(N - 1)) {
        *slot = byte as c_char;
    }
}

/// Reads and checks the arguments of a verification: the store, the certificates (into
/// `slots`, so that the common path allocates nothing) and the host.
///
/// # Safety
/// As for `pin_verify_chain`.
unsafe fn read_arguments<'a, 's>(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    slots: &'s mut [&'a [u8]; CERTPIN_MAX_CHAIN_LEN],
) -> Result<(&'a pin_store, &'s [&'a [u8]], &'a str), PinError> {
    // SAFETY: the caller passes NULL or valid pointers (see the safety section).
    let (store, entries, host) = unsafe {
        (
            try_ref(store)?,
            try_slice(chain, chain_len, CERTPIN_MAX_CHAIN_LEN)?,
            try_cstr(host, CERTPIN_MAX_HOST_LEN)?,
        )
    };
    if entries.is_empty() {
        return Err(PinError::EmptyChain);
    }
    for (slot, cert) in slots.iter_mut().zip(entries) {
        // SAFETY: each entry's `data` points to `len` readable bytes (caller).
        *slot = unsafe { try_slice(cert.data, cert.len, CERTPIN_MAX_CERT_LEN)? };
    }
    Ok((store, &slots[..entries.len()], host))
}

/// Reads the arguments and reaches the full verdict (delivering a failure report if one is
/// due). Argument errors come back as `Err`; the verdict (trusted or not) as `Ok`, with the
/// certificates it was reached on (read into `slots`).
///
/// # Safety
/// As for `pin_verify_chain`.
unsafe fn verdict_for<'a, 's>(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    port: Option<u16>,
    unix_time: u64,
    slots: &'s mut [&'a [u8]; CERTPIN_MAX_CHAIN_LEN],
) -> Result<(Verdict, &'s [&'a [u8]]), PinError> {
    // SAFETY: as the caller guarantees.
    let (store, certs, host) = unsafe { read_arguments(store, chain, chain_len, host, slots)? };
    let verdict = store.store.verify(certs, host, port, unix_time);
    Ok((verdict, certs))
}

/// The explanation of an outcome, made only when there is a buffer to write it into.
fn explanation_text(
    outcome: &Result<(Verdict, &[&[u8]]), PinError>,
    wanted: bool,
) -> Option<String> {
    if !wanted {
        return None;
    }
    Some(match outcome {
        Ok((verdict, certs)) => explain(verdict, certs),
        Err(error) => headline(error.code()),
    })
}

/// Seconds since the Unix epoch now (0 if the clock is set before 1970).
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
