//! The C API: a thin skin over the safe core. Every export runs inside [`ffi_boundary`] and
//! reads its arguments only through the checking helpers below, so that every call site reads
//! the same way: NULL is checked before a slice is made (even of length 0), lengths are
//! bounded, and C strings must be UTF-8.

use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::result::{PIN_ERR_INTERNAL, PinError, pin_result, result_code};

mod buffer;
mod pin;
mod policy;
mod report;
mod store;
mod update;
mod verify;
mod version;

pub use pin::*;
pub use policy::*;
pub use report::*;
pub use store::*;
pub use update::*;
pub use verify::*;
pub use version::*;

/// What an export returns when its body panicked.
pub(crate) trait PanicValue {
    fn on_panic() -> Self;
}

impl PanicValue for pin_result {
    fn on_panic() -> Self {
        PIN_ERR_INTERNAL
    }
}

impl<T> PanicValue for *mut T {
    fn on_panic() -> Self {
        std::ptr::null_mut()
    }
}

impl PanicValue for *const c_char {
    fn on_panic() -> Self {
        c"PIN_ERR_INTERNAL".as_ptr()
    }
}

impl PanicValue for () {
    fn on_panic() -> Self {}
}

/// Runs an export's body, turning a panic into the return type's panic value
/// (`PIN_ERR_INTERNAL`, NULL, ...). No panic ever unwinds into C.
pub(crate) fn ffi_boundary<R: PanicValue>(body: impl FnOnce() -> R) -> R {
    // The core publishes state only by whole-value swaps, so a panic part-way through a call
    // leaves nothing half-changed that unwind safety would have to worry about.
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| R::on_panic())
}

/// [`ffi_boundary`] for bodies that return a Rust `Result`: `Ok` becomes `PIN_OK`.
pub(crate) fn ffi_result(body: impl FnOnce() -> Result<(), PinError>) -> pin_result {
    ffi_boundary(|| result_code(&body()))
}

/// A shared reference from a pointer that C passed in, or `PIN_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// A non-NULL `ptr` must point to a live `T` for as long as the reference is used.
pub(crate) unsafe fn try_ref<'a, T>(ptr: *const T) -> Result<&'a T, PinError> {
    if !ptr.is_aligned() {
        return Err(PinError::InvalidArgument);
    }
    // SAFETY: the caller guarantees a non-NULL pointer is valid; `as_ref` checks NULL.
    unsafe { ptr.as_ref() }.ok_or(PinError::NullArgument)
}

/// An exclusive reference to an output C passed in, or `PIN_ERR_NULL_ARGUMENT`
/// (`PIN_ERR_INVALID_ARGUMENT` when misaligned).
///
/// # Safety
/// A non-NULL `ptr` must point to a writable `T` that nothing else uses during the call.
pub(crate) unsafe fn try_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, PinError> {
    if !ptr.is_aligned() {
        return Err(PinError::InvalidArgument);
    }
    // SAFETY: the caller guarantees a non-NULL pointer is valid; `as_mut` checks NULL.
    unsafe { ptr.as_mut() }.ok_or(PinError::NullArgument)
}

/// An optional output: `None` for NULL, else as [`try_mut`].
///
/// # Safety
/// As for [`try_mut`].
pub(crate) unsafe fn try_optional_mut<'a, T>(ptr: *mut T) -> Result<Option<&'a mut T>, PinError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: as the caller guarantees.
    unsafe { try_mut(ptr) }.map(Some)
}

/// A slice of `len` elements at `ptr`: NULL is refused even when `len` is 0, as is a
/// misaligned pointer or a `len` above `max_len`.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable `T`s for as long as the slice is used.
pub(crate) unsafe fn try_slice<'a, T>(
    ptr: *const T,
    len: usize,
    max_len: usize,
) -> Result<&'a [T], PinError> {
    if ptr.is_null() {
        return Err(PinError::NullArgument);
    }
    if len > max_len || !ptr.is_aligned() {
        return Err(PinError::InvalidArgument);
    }
    // SAFETY: non-NULL and aligned (checked), valid for `len` elements (caller), and
    // `len * size_of::<T>()` is at most `max_len * size_of::<T>()`, far below isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A UTF-8 string from a NUL-terminated C string of at most `max_len` bytes. At most
/// `max_len + 1` bytes are read, so a string missing its NUL cannot make the call run away
/// (a plain scan: Miri can check it, which it cannot do for libc's `strnlen`).
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string, or to at least `max_len + 1`
/// readable bytes.
pub(crate) unsafe fn try_cstr<'a>(ptr: *const c_char, max_len: usize) -> Result<&'a str, PinError> {
    if ptr.is_null() {
        return Err(PinError::NullArgument);
    }
    let bytes = ptr.cast::<u8>();
    let mut len = 0;
    // SAFETY: byte `len` is read only while `len <= max_len` and bytes `0..len` were not NUL,
    // which the caller guarantees are readable.
    while unsafe { *bytes.add(len) } != 0 {
        if len == max_len {
            return Err(PinError::InvalidArgument);
        }
        len += 1;
    }
    // SAFETY: the `len` bytes before the NUL were just read.
    let text = unsafe { std::slice::from_raw_parts(bytes, len) };
    std::str::from_utf8(text).map_err(|_| PinError::InvalidArgument)
}

#[cfg(test)]
mod boundary_tests;
#[cfg(test)]
mod pointer_tests;
