//! Version and result-code texts.

use std::ffi::c_char;

use super::ffi_boundary;
use crate::result::{result_description_cstr, result_name_cstr};

/// Major version of the library this header was generated from.
pub const CERTPIN_VERSION_MAJOR: u32 = 0;
/// Minor version of the library this header was generated from.
pub const CERTPIN_VERSION_MINOR: u32 = 1;
/// Patch version of the library this header was generated from.
pub const CERTPIN_VERSION_PATCH: u32 = 0;

/// The library's version, `"MAJOR.MINOR.PATCH"`: a static string, never NULL, never freed.
/// Compare it with the `CERTPIN_VERSION_*` macros to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn pin_version() -> *const c_char {
    ffi_boundary(|| {
        const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
            concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
        ) {
            Ok(version) => version,
            Err(_) => panic!("the package version contains a NUL"),
        };
        VERSION.as_ptr()
    })
}

/// The name of a result code: `"PIN_OK"`, `"PIN_ERR_PIN_MISMATCH"`, ... Any integer is
/// accepted; an unknown value gets `"PIN_ERR_UNKNOWN"`. A static string: never NULL, never
/// freed, safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn pin_result_name(result: u32) -> *const c_char {
    ffi_boundary(|| result_name_cstr(result).as_ptr())
}

/// A one-line English description of a result code (`"the chain is valid but no pinned key is
/// on any valid path"`). Any integer is accepted. A static string: never NULL, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn pin_result_description(result: u32) -> *const c_char {
    ffi_boundary(|| result_description_cstr(result).as_ptr())
}
