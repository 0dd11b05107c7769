//! `pin_spki_sha256`: the pin of a certificate's public key.

use std::ffi::c_char;

use super::buffer::write_cstr;
use super::{ffi_result, try_slice};
use crate::limits::CERTPIN_MAX_CERT_LEN;
use crate::pin::Pin;
use crate::result::{PinError, pin_result};

/// Writes the NUL-terminated `"sha256/..."` pin of a DER certificate's public key into `out`:
/// the same value as
/// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`.
///
/// `out` needs `CERTPIN_PIN_BUFFER_LEN` (52) bytes. It is written only on success.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT`, `PIN_ERR_INVALID_ARGUMENT` (`der_len` is 0 or
/// above `CERTPIN_MAX_CERT_LEN`), `PIN_ERR_BAD_CERTIFICATE`, `PIN_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `der` must be NULL or `der_len` readable bytes; `out` NULL or `out_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_spki_sha256(
    der: *const u8,
    der_len: usize,
    out: *mut c_char,
    out_len: usize,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or valid pointers (see the function's safety section).
        let der = unsafe { try_slice(der, der_len, CERTPIN_MAX_CERT_LEN)? };
        if out.is_null() {
            return Err(PinError::NullArgument);
        }
        if der.is_empty() {
            return Err(PinError::InvalidArgument);
        }
        let pin = Pin::of_certificate(der)?;
        // SAFETY: `out` is non-NULL and has `out_len` writable bytes (caller).
        unsafe { write_cstr(pin.text().as_str(), out, out_len) }
    })
}
