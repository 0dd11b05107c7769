//! Writing text into buffers that C callers own.

use std::ffi::c_char;

use crate::result::PinError;

/// Copies `text` and a NUL into `out[..out_len]`, all or nothing: when it does not fit,
/// nothing is written and `PIN_ERR_BUFFER_TOO_SMALL` is returned.
///
/// # Safety
/// A non-NULL `out` must point to `out_len` writable bytes.
pub(crate) unsafe fn write_cstr(
    text: &str,
    out: *mut c_char,
    out_len: usize,
) -> Result<(), PinError> {
    if out.is_null() {
        return Err(PinError::NullArgument);
    }
    if text.len() >= out_len {
        return Err(PinError::BufferTooSmall);
    }
    // SAFETY: `out` has room for `text.len() + 1 <= out_len` bytes (caller and check above),
    // and a Rust string cannot overlap a buffer C handed in for writing.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), out.cast::<u8>(), text.len());
        *out.add(text.len()) = 0;
    }
    Ok(())
}

/// Copies as much of `text` as fits into `out[..out_len]`, cut at a character boundary and
/// always NUL-terminated (like `snprintf`). Writes nothing when `out` is NULL or `out_len` 0.
/// A cut text ends in `"...\n"` so that a reader sees it was cut.
///
/// # Safety
/// A non-NULL `out` must point to `out_len` writable bytes.
pub(crate) unsafe fn write_truncated(text: &str, out: *mut c_char, out_len: usize) {
    if out.is_null() || out_len == 0 {
        return;
    }
    const CUT: &str = "...\n";
    let room = out_len - 1;
    let (head, tail) = if text.len() <= room {
        (text, "")
    } else if room >= CUT.len() {
        (floor_boundary(text, room - CUT.len()), CUT)
    } else {
        (floor_boundary(text, room), "")
    };
    // SAFETY: head.len() + tail.len() <= room < out_len bytes are writable (caller).
    unsafe {
        let dst = out.cast::<u8>();
        std::ptr::copy_nonoverlapping(head.as_ptr(), dst, head.len());
        std::ptr::copy_nonoverlapping(tail.as_ptr(), dst.add(head.len()), tail.len());
        *dst.add(head.len() + tail.len()) = 0;
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn floor_boundary(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
