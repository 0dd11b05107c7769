//! `pin_spki_sha256` on raw bytes, with output buffers of 0 to 60 bytes.
//!
//! Checks: no panic; the documented codes; on failure the buffer is untouched; on success it
//! holds a NUL-terminated 51-character `sha256/` pin and nothing past it; a buffer under 52
//! bytes is refused for a certificate that has a pin; and the pin is the one verification
//! checks: a pins-only domain pinned to it accepts the certificate as its leaf whenever the
//! certificate parses for verification at all.

#![no_main]

use certpin::*;
use certpin_fuzz::abi::{Chain, OutBuf, Store, c_ptr, c_string, expect_one_of, is_pin};
use certpin_fuzz::cases::SpkiCase;
use certpin_fuzz::samples::{BACKUP_PINS, IN_2030};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let case = SpkiCase::read(data);
    let (code, pin) = spki_sha256(case.der, case.out_len);
    let pin = if case.out_len < CERTPIN_PIN_BUFFER_LEN {
        // Again with a buffer a pin fits: if there is a pin, the first call said too small.
        let (_, pin) = spki_sha256(case.der, CERTPIN_PIN_BUFFER_LEN);
        if pin.is_some() {
            assert_eq!(
                code, PIN_ERR_BUFFER_TOO_SMALL,
                "a certificate with a pin, {} bytes",
                case.out_len
            );
        }
        pin
    } else {
        pin
    };
    let Some(pin) = pin else { return };
    certpin_fuzz::trace!("pin_spki_sha256: {pin}");

    let store = Store::new();
    let host = c_string(b"device.example");
    let pins = [c_string(pin.as_bytes()), c_string(BACKUP_PINS[0].as_bytes())];
    let pointers = [c_ptr(&pins[0]), c_ptr(&pins[1])];
    let options = pin_domain_options { flags: PIN_DOMAIN_PINS_ONLY, expires_at: 0, warn_after: 0 };
    // SAFETY: a live store, NUL-terminated strings, two pins, readable options.
    let code =
        unsafe { pin_store_set_domain(store.ptr(), c_ptr(&host), pointers.as_ptr(), 2, &options) };
    expect_one_of(code, &[PIN_OK], "pin_store_set_domain");
    let chain = Chain::new([case.der]);
    // SAFETY: a live store, one certificate, a NUL-terminated host.
    let verdict = unsafe {
        pin_verify_chain_at(store.ptr(), chain.ptr(), chain.len(), c_ptr(&host), IN_2030.unix())
    };
    expect_one_of(
        verdict,
        &[PIN_OK, PIN_ERR_BAD_CERTIFICATE, PIN_ERR_INVALID_ARGUMENT],
        "pin_verify_chain_at (pins only, pinned to pin_spki_sha256's pin)",
    );
});

/// Calls `pin_spki_sha256` with an `out_len`-byte buffer and checks what it wrote. Returns
/// the code, and the pin when it succeeded.
fn spki_sha256(der: &[u8], out_len: usize) -> (pin_result, Option<String>) {
    let mut out = OutBuf::new(out_len);
    // SAFETY: `der.len()` readable bytes (a non-NULL pointer even when empty), `out_len`
    // writable ones.
    let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.ptr(), out.len()) };
    expect_one_of(
        code,
        &[PIN_OK, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_BAD_CERTIFICATE, PIN_ERR_BUFFER_TOO_SMALL],
        "pin_spki_sha256",
    );
    if der.is_empty() {
        assert_eq!(
            code, PIN_ERR_INVALID_ARGUMENT,
            "an empty certificate is not refused as documented"
        );
    }
    if code != PIN_OK {
        assert!(out.untouched(), "pin_spki_sha256 wrote into the buffer and failed ({code})");
        return (code, None);
    }
    assert!(out_len >= CERTPIN_PIN_BUFFER_LEN, "a pin was written into {out_len} bytes");
    assert!(out.guard_intact(), "pin_spki_sha256 wrote past the buffer");
    let text = out.c_text().expect("the pin is NUL-terminated");
    let text = std::str::from_utf8(text).expect("the pin is ASCII");
    assert_eq!(text.len(), 51, "the pin is not 51 characters");
    assert!(is_pin(text), "{text:?} is not a sha256/ pin");
    (code, Some(text.to_owned()))
}
