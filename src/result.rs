//! The result codes of the C API and the Rust error type they come from.
//!
//! `pin_result` is a plain `uint32_t` in C, with one constant per outcome, rather than a Rust
//! enum: a value that crosses the boundary is then always defined, whatever integer it holds.
//! Inside the crate, failures are [`PinError`], an enum whose discriminants are the same numbers.

use std::ffi::CStr;
use std::fmt;

/// The outcome of a certpin call: `PIN_OK` (0) or one of the `PIN_ERR_*` codes.
///
/// The numeric values are ABI and are never renumbered or reused.
#[allow(non_camel_case_types)]
pub type pin_result = u32;

/// Trusted: a valid chain, pinned where the host has pins. For other calls: success.
pub const PIN_OK: pin_result = 0;
/// A required pointer was NULL.
pub const PIN_ERR_NULL_ARGUMENT: pin_result = 1;
/// Not UTF-8, a length out of range, or other malformed input.
pub const PIN_ERR_INVALID_ARGUMENT: pin_result = 2;
/// The pin string is not `sha256/` followed by the base64 of exactly 32 bytes.
pub const PIN_ERR_BAD_PIN: pin_result = 3;
/// The host or host pattern is not a valid DNS name or IP address.
pub const PIN_ERR_BAD_HOST: pin_result = 4;
/// A certificate's DER could not be parsed.
pub const PIN_ERR_BAD_CERTIFICATE: pin_result = 5;
/// The chain was empty (`chain_len` was 0).
pub const PIN_ERR_EMPTY_CHAIN: pin_result = 6;
/// No path leads from the leaf to a trust anchor.
pub const PIN_ERR_UNKNOWN_ISSUER: pin_result = 7;
/// A certificate on the path has expired.
pub const PIN_ERR_EXPIRED: pin_result = 8;
/// A certificate on the path is not yet valid.
pub const PIN_ERR_NOT_YET_VALID: pin_result = 9;
/// The leaf certificate is not valid for the host.
pub const PIN_ERR_HOST_MISMATCH: pin_result = 10;
/// Any other path-validation failure (signature, key usage, constraints, ...).
pub const PIN_ERR_INVALID_CHAIN: pin_result = 11;
/// The chain is valid, but no pinned key is on any valid path.
pub const PIN_ERR_PIN_MISMATCH: pin_result = 12;
/// The host has no pins and the store's policy requires them.
pub const PIN_ERR_NOT_PINNED: pin_result = 13;
/// A policy document could not be read.
pub const PIN_ERR_BAD_CONFIG: pin_result = 14;
/// A signed policy update failed its signature check.
pub const PIN_ERR_BAD_SIGNATURE: pin_result = 15;
/// A signed policy update is not newer than the current one.
pub const PIN_ERR_STALE_UPDATE: pin_result = 16;
/// An output buffer was too small; nothing was written.
pub const PIN_ERR_BUFFER_TOO_SMALL: pin_result = 17;
/// A file could not be read or written (beyond the contract; the store is unchanged).
pub const PIN_ERR_IO: pin_result = 18;
/// A bug (a caught panic): the call had no effect.
pub const PIN_ERR_INTERNAL: pin_result = 255;

/// Why a certpin operation failed; each variant is one `PIN_ERR_*` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum PinError {
    /// `PIN_ERR_NULL_ARGUMENT`
    NullArgument = PIN_ERR_NULL_ARGUMENT,
    /// `PIN_ERR_INVALID_ARGUMENT`
    InvalidArgument = PIN_ERR_INVALID_ARGUMENT,
    /// `PIN_ERR_BAD_PIN`
    BadPin = PIN_ERR_BAD_PIN,
    /// `PIN_ERR_BAD_HOST`
    BadHost = PIN_ERR_BAD_HOST,
    /// `PIN_ERR_BAD_CERTIFICATE`
    BadCertificate = PIN_ERR_BAD_CERTIFICATE,
    /// `PIN_ERR_EMPTY_CHAIN`
    EmptyChain = PIN_ERR_EMPTY_CHAIN,
    /// `PIN_ERR_UNKNOWN_ISSUER`
    UnknownIssuer = PIN_ERR_UNKNOWN_ISSUER,
    /// `PIN_ERR_EXPIRED`
    Expired = PIN_ERR_EXPIRED,
    /// `PIN_ERR_NOT_YET_VALID`
    NotYetValid = PIN_ERR_NOT_YET_VALID,
    /// `PIN_ERR_HOST_MISMATCH`
    HostMismatch = PIN_ERR_HOST_MISMATCH,
    /// `PIN_ERR_INVALID_CHAIN`
    InvalidChain = PIN_ERR_INVALID_CHAIN,
    /// `PIN_ERR_PIN_MISMATCH`
    PinMismatch = PIN_ERR_PIN_MISMATCH,
    /// `PIN_ERR_NOT_PINNED`
    NotPinned = PIN_ERR_NOT_PINNED,
    /// `PIN_ERR_BAD_CONFIG`
    BadConfig = PIN_ERR_BAD_CONFIG,
    /// `PIN_ERR_BAD_SIGNATURE`
    BadSignature = PIN_ERR_BAD_SIGNATURE,
    /// `PIN_ERR_STALE_UPDATE`
    StaleUpdate = PIN_ERR_STALE_UPDATE,
    /// `PIN_ERR_BUFFER_TOO_SMALL`
    BufferTooSmall = PIN_ERR_BUFFER_TOO_SMALL,
    /// `PIN_ERR_IO`
    Io = PIN_ERR_IO,
    /// `PIN_ERR_INTERNAL`
    Internal = PIN_ERR_INTERNAL,
}

impl PinError {
    /// The `pin_result` code of this error.
    pub const fn code(self) -> pin_result {
        self as pin_result
    }
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", result_name(self.code()), result_description(self.code()))
    }
}

impl std::error::Error for PinError {}

/// The code of a Rust result: `PIN_OK` or the error's code.
pub fn result_code<T>(result: &Result<T, PinError>) -> pin_result {
    match result {
        Ok(_) => PIN_OK,
        Err(e) => e.code(),
    }
}

/// One row per code: (value, name, description), NUL-terminated so that the C API can hand
/// them out as they are. The single source of the names and texts.
const RESULTS: &[(pin_result, &CStr, &CStr)] = &[
    (PIN_OK, c"PIN_OK", c"trusted"),
    (PIN_ERR_NULL_ARGUMENT, c"PIN_ERR_NULL_ARGUMENT", c"a required pointer was NULL"),
    (
        PIN_ERR_INVALID_ARGUMENT,
        c"PIN_ERR_INVALID_ARGUMENT",
        c"an argument was malformed or out of range",
    ),
    (
        PIN_ERR_BAD_PIN,
        c"PIN_ERR_BAD_PIN",
        c"the pin is not \"sha256/\" followed by the base64 of 32 bytes",
    ),
    (PIN_ERR_BAD_HOST, c"PIN_ERR_BAD_HOST", c"the host is not a valid DNS name or IP address"),
    (PIN_ERR_BAD_CERTIFICATE, c"PIN_ERR_BAD_CERTIFICATE", c"a certificate could not be parsed"),
    (PIN_ERR_EMPTY_CHAIN, c"PIN_ERR_EMPTY_CHAIN", c"the chain has no certificate"),
    (
        PIN_ERR_UNKNOWN_ISSUER,
        c"PIN_ERR_UNKNOWN_ISSUER",
        c"no path leads from the leaf to a trusted root",
    ),
    (PIN_ERR_EXPIRED, c"PIN_ERR_EXPIRED", c"a certificate on the path has expired"),
    (
        PIN_ERR_NOT_YET_VALID,
        c"PIN_ERR_NOT_YET_VALID",
        c"a certificate on the path is not yet valid",
    ),
    (PIN_ERR_HOST_MISMATCH, c"PIN_ERR_HOST_MISMATCH", c"the certificate is not valid for the host"),
    (PIN_ERR_INVALID_CHAIN, c"PIN_ERR_INVALID_CHAIN", c"the chain failed validation"),
    (
        PIN_ERR_PIN_MISMATCH,
        c"PIN_ERR_PIN_MISMATCH",
        c"the chain is valid but no pinned key is on any valid path",
    ),
    (
        PIN_ERR_NOT_PINNED,
        c"PIN_ERR_NOT_PINNED",
        c"the host has no pins and the policy requires them",
    ),
    (PIN_ERR_BAD_CONFIG, c"PIN_ERR_BAD_CONFIG", c"the policy document could not be read"),
    (
        PIN_ERR_BAD_SIGNATURE,
        c"PIN_ERR_BAD_SIGNATURE",
        c"the policy update's signature is not valid",
    ),
    (
        PIN_ERR_STALE_UPDATE,
        c"PIN_ERR_STALE_UPDATE",
        c"the policy update is not newer than the current policy",
    ),
    (
        PIN_ERR_BUFFER_TOO_SMALL,
        c"PIN_ERR_BUFFER_TOO_SMALL",
        c"the output buffer is too small; nothing was written",
    ),
    (PIN_ERR_IO, c"PIN_ERR_IO", c"a file could not be read or written"),
    (PIN_ERR_INTERNAL, c"PIN_ERR_INTERNAL", c"internal error (a bug); the call had no effect"),
];

fn row(code: pin_result) -> Option<&'static (pin_result, &'static CStr, &'static CStr)> {
    RESULTS.iter().find(|(value, _, _)| *value == code)
}

/// The name of a code (`"PIN_ERR_PIN_MISMATCH"`), or `"PIN_ERR_UNKNOWN"` for any other value.
pub fn result_name_cstr(code: pin_result) -> &'static CStr {
    row(code).map_or(c"PIN_ERR_UNKNOWN", |(_, name, _)| name)
}

/// A one-line description of a code, or `"unknown result code"` for any other value.
pub fn result_description_cstr(code: pin_result) -> &'static CStr {
    row(code).map_or(c"unknown result code", |(_, _, text)| text)
}

/// [`result_name_cstr`] as a `&str`.
pub fn result_name(code: pin_result) -> &'static str {
    result_name_cstr(code).to_str().unwrap_or("PIN_ERR_UNKNOWN")
}

/// [`result_description_cstr`] as a `&str`.
pub fn result_description(code: pin_result) -> &'static str {
    result_description_cstr(code).to_str().unwrap_or("unknown result code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_distinct_name() {
        let mut names: Vec<_> = RESULTS.iter().map(|(_, n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RESULTS.len());
        assert_eq!(result_name(PinError::PinMismatch.code()), "PIN_ERR_PIN_MISMATCH");
        assert_eq!(result_name(19), "PIN_ERR_UNKNOWN");
        assert_eq!(result_name(u32::MAX), "PIN_ERR_UNKNOWN");
    }
}
