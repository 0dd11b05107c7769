//! The C API's pointer handling, through the exported functions and the checking helpers:
//! NULL everywhere, zero lengths, misaligned arrays, strings without a NUL or not UTF-8,
//! lengths past the limits, and the edges of the buffer writers.
//!
//! Written for Miri (`cargo +nightly miri test --lib ffi::pointer_tests`): every buffer handed
//! in is exactly as long as the call may touch (a boxed slice, no spare capacity), so an
//! over-read or over-write is reported, and every store is freed, so a leak is reported. The
//! certificates are the stored samples in `testdata/`, parsed but never signature-checked:
//! Miri cannot run ring's C code, so the few tests that reach it are ignored under Miri.

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;

use super::buffer::{write_cstr, write_truncated};
use super::*;
use crate::limits::*;
use crate::result::*;
use crate::store::CERTPIN_MAX_UPDATE_KEYS;

const LEAF: &[u8] = include_bytes!("../../testdata/leaf.der");
const INTERMEDIATE: &[u8] = include_bytes!("../../testdata/intermediate-ca.der");
const ROOT: &[u8] = include_bytes!("../../testdata/root-ca.der");
const ROGUE: &[u8] = include_bytes!("../../testdata/rogue-ca.der");
const MITM_LEAF: &[u8] = include_bytes!("../../testdata/mitm-leaf.der");
const POLICY: &[u8] = include_bytes!("../../testdata/policy.json");
const BAD_POLICY: &[u8] = include_bytes!("../../testdata/policy-bad.json");
const PINS: &str = include_str!("../../testdata/pins.txt");

/// 2030-01-01T00:00:00Z: inside every sample's validity.
const T: u64 = 1_893_456_000;
const HOST: &CStr = c"api.example.com";
/// The base64 of 32 bytes of 0x01: a well-formed update key.
const UPDATE_KEY: &CStr = c"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

/// The pin `testdata/pins.txt` gives for a sample.
fn sample_pin(name: &str) -> &'static str {
    PINS.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} is not in pins.txt"))
}

/// A store made by `pin_store_new`, freed by `pin_store_free` when dropped.
struct Store(*mut pin_store);

impl Store {
    fn new() -> Self {
        let store = pin_store_new();
        assert!(!store.is_null());
        Self(store)
    }

    fn generation(&self) -> u64 {
        let mut generation = u64::MAX;
        // SAFETY: a live store and a writable u64.
        assert_eq!(unsafe { pin_store_policy_generation(self.0, &mut generation) }, PIN_OK);
        generation
    }

    fn export(&self) -> String {
        let mut needed = 0;
        // SAFETY: a live store; `out` NULL is refused, `needed` is writable.
        let code = unsafe { pin_store_export_policy(self.0, ptr::null_mut(), 0, &mut needed) };
        assert_eq!(code, PIN_ERR_NULL_ARGUMENT);
        let mut out = buffer(needed, 0x55);
        // SAFETY: `out` has `needed` writable bytes.
        let code = unsafe { pin_store_export_policy(self.0, c_ptr(&mut out), needed, &mut needed) };
        assert_eq!(code, PIN_OK);
        text_of(&out)
    }

    fn add_anchor(&self, der: &[u8]) -> pin_result {
        // SAFETY: a live store and `der.len()` readable bytes.
        unsafe { pin_store_add_trust_anchor(self.0, der.as_ptr(), der.len()) }
    }

    fn load(&self, json: &[u8]) -> pin_result {
        // SAFETY: a live store, `json.len()` readable bytes, no error buffer.
        unsafe { pin_store_load_policy(self.0, json.as_ptr(), json.len(), ptr::null_mut(), 0) }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: made by `pin_store_new`, freed once, here.
        unsafe { pin_store_free(self.0) }
    }
}

/// Exactly `len` bytes of `fill`: no spare capacity for an over-run to land in unnoticed.
fn buffer(len: usize, fill: u8) -> Box<[u8]> {
    vec![fill; len].into_boxed_slice()
}

/// `bytes` followed by a NUL, in a buffer of exactly that length.
fn c_bytes(bytes: &[u8]) -> Box<[u8]> {
    [bytes, &[0]].concat().into_boxed_slice()
}

fn c_ptr(bytes: &mut [u8]) -> *mut c_char {
    bytes.as_mut_ptr().cast()
}

fn cstr_ptr(bytes: &[u8]) -> *const c_char {
    bytes.as_ptr().cast()
}

/// The NUL-terminated text at the start of `bytes` (which must hold a NUL).
fn text_of(bytes: &[u8]) -> String {
    let text = CStr::from_bytes_until_nul(bytes).expect("NUL-terminated");
    text.to_str().expect("UTF-8").to_owned()
}

/// The `pin_bytes` of a chain of DER certificates.
fn chain_of(certs: &[&[u8]]) -> Vec<pin_bytes> {
    certs.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect()
}

/// Verifies at `T`, through the code-only export.
fn verify_at(store: &Store, chain: &[pin_bytes], host: &CStr) -> pin_result {
    // SAFETY: a live store, `chain.len()` readable entries, a NUL-terminated host.
    unsafe { pin_verify_chain_at(store.0, chain.as_ptr(), chain.len(), host.as_ptr(), T) }
}

/// Verifies at `T` through the detailed export, with an explanation buffer of exactly
/// `explanation_len` bytes. Returns the code, the verdict and the explanation.
fn verify_detailed(
    store: *const pin_store,
    chain: *const pin_bytes,
    chain_len: usize,
    host: *const c_char,
    explanation_len: usize,
) -> (pin_result, pin_verdict, Box<[u8]>) {
    let mut verdict = pin_verdict {
        result: u32::MAX,
        flags: u32::MAX,
        policy_generation: u64::MAX,
        leaf_pin: [0x55; 52],
        leaf_fingerprint: [0x55; 96],
    };
    let mut explanation = buffer(explanation_len, 0x55);
    // SAFETY: the callers pass NULL or valid pointers; the buffers are as long as said.
    let code = unsafe {
        pin_verify_chain_detailed(
            store,
            chain,
            chain_len,
            host,
            443,
            T,
            &mut verdict,
            c_ptr(&mut explanation),
            explanation_len,
        )
    };
    (code, verdict, explanation)
}

/// A pointer one byte past an aligned buffer's start: misaligned for any `T` with an
/// alignment above 1. Only for handing to calls that must refuse it before reading.
fn misaligned<T>(storage: &[u64]) -> *const T {
    assert!(align_of::<T>() > 1);
    storage.as_ptr().cast::<u8>().wrapping_add(1).cast()
}

// --- the checking helpers -----------------------------------------------------------------

#[test]
fn try_ref_refuses_null() {
    let value = 7u32;
    // SAFETY: NULL, then a live value.
    unsafe {
        assert_eq!(try_ref::<u32>(ptr::null()), Err(PinError::NullArgument));
        assert_eq!(try_ref(&value), Ok(&7));
    }
}

#[test]
fn try_slice_refuses_null_even_when_empty() {
    let values = [1u32, 2, 3];
    // SAFETY: NULL or a dangling pointer are never read (refused, or length 0); the rest
    // are refused before any read (too long, misaligned), or valid.
    unsafe {
        assert_eq!(try_slice::<u32>(ptr::null(), 0, 8), Err(PinError::NullArgument));
        assert_eq!(try_slice::<u32>(ptr::null(), 3, 8), Err(PinError::NullArgument));
        let empty = try_slice::<u32>(ptr::NonNull::dangling().as_ptr(), 0, 8);
        assert_eq!(empty, Ok(&[][..]));
        assert_eq!(try_slice(values.as_ptr(), 3, 3), Ok(&values[..]));
        // Longer than the limit: refused although only 3 elements are there to read.
        assert_eq!(try_slice(values.as_ptr(), 4, 3), Err(PinError::InvalidArgument));
        assert_eq!(try_slice(values.as_ptr(), usize::MAX, 3), Err(PinError::InvalidArgument));
        let storage = [0u64; 2];
        let odd = misaligned::<u32>(&storage);
        assert_eq!(try_slice(odd, 1, 8), Err(PinError::InvalidArgument));
        assert_eq!(try_slice(odd, 0, 8), Err(PinError::InvalidArgument));
    }
}

#[test]
fn try_cstr_reads_at_most_max_len_plus_one_bytes() {
    const MAX: usize = 8;
    // Exactly MAX + 1 bytes and no NUL: Miri reports any read past them.
    let unterminated = buffer(MAX + 1, b'a');
    let at_limit = c_bytes(&[b'a'; MAX]);
    let empty = c_bytes(b"");
    // SAFETY: each pointer is NULL, NUL-terminated, or has MAX + 1 readable bytes.
    unsafe {
        assert_eq!(try_cstr(ptr::null(), MAX), Err(PinError::NullArgument));
        assert_eq!(try_cstr(cstr_ptr(&unterminated), MAX), Err(PinError::InvalidArgument));
        assert_eq!(try_cstr(cstr_ptr(&at_limit), MAX), Ok("aaaaaaaa"));
        assert_eq!(try_cstr(cstr_ptr(&empty), MAX), Ok(""));
        assert_eq!(try_cstr(cstr_ptr(&empty), 0), Ok(""));
        let one = c_bytes(b"a");
        assert_eq!(try_cstr(cstr_ptr(&one), 0), Err(PinError::InvalidArgument));
    }
}

#[test]
fn try_cstr_refuses_what_is_not_utf8() {
    let cases: [&[u8]; 5] = [
        b"\xff",
        b"api.\xfe.example",
        b"\xc3",             // a two-byte sequence cut short by the NUL
        b"\xed\xa0\x80",     // an encoded surrogate
        b"\xf0\x82\x82\xac", // an overlong encoding
    ];
    for bytes in cases {
        let text = c_bytes(bytes);
        // SAFETY: NUL-terminated.
        let read = unsafe { try_cstr(cstr_ptr(&text), 64) };
        assert_eq!(read, Err(PinError::InvalidArgument), "{bytes:?}");
    }
    let accented = c_bytes("bücher.example".as_bytes());
    // SAFETY: NUL-terminated.
    assert_eq!(unsafe { try_cstr(cstr_ptr(&accented), 64) }, Ok("bücher.example"));
}

// --- the buffer writers -------------------------------------------------------------------

#[test]
fn write_cstr_writes_all_or_nothing() {
    // SAFETY: NULL is refused before any write.
    assert_eq!(unsafe { write_cstr("abc", ptr::null_mut(), 4) }, Err(PinError::NullArgument));
    for text in ["abc", "é", "aé", ""] {
        for out_len in 0..=text.len() + 2 {
            let mut out = buffer(out_len, 0x55);
            // SAFETY: `out` has exactly `out_len` writable bytes (a dangling pointer for 0).
            let written = unsafe { write_cstr(text, c_ptr(&mut out), out_len) };
            if out_len > text.len() {
                assert_eq!(written, Ok(()), "{text:?} into {out_len}");
                assert_eq!(&out[..text.len()], text.as_bytes());
                assert_eq!(out[text.len()], 0);
                assert!(out[text.len() + 1..].iter().all(|b| *b == 0x55), "wrote past the NUL");
            } else {
                assert_eq!(written, Err(PinError::BufferTooSmall), "{text:?} into {out_len}");
                assert!(out.iter().all(|b| *b == 0x55), "wrote into a buffer too small");
            }
        }
    }
}

#[test]
fn write_truncated_cuts_at_character_boundaries() {
    // SAFETY: NULL means "no buffer": nothing is written.
    unsafe { write_truncated("abc", ptr::null_mut(), 16) };
    let texts = ["abcdefghij\n", "ééééé", "a€b€c€d€", "🔒🔒🔒", ""];
    for text in texts {
        for out_len in 0..=text.len() + 2 {
            let mut out = buffer(out_len, 0x55);
            // SAFETY: `out` has exactly `out_len` writable bytes (a dangling pointer for 0).
            unsafe { write_truncated(text, c_ptr(&mut out), out_len) };
            if out_len == 0 {
                continue;
            }
            let written = text_of(&out);
            let nul = written.len();
            assert!(nul < out_len);
            assert!(out[nul + 1..].iter().all(|b| *b == 0x55), "wrote past the NUL");
            if text.len() < out_len {
                assert_eq!(written, text, "fits into {out_len}");
            } else if let Some(head) = written.strip_suffix("...\n") {
                assert!(text.starts_with(head), "{written:?} is not a cut of {text:?}");
                assert!(out_len - 1 - head.len() - 4 < 4, "cut more than one character");
            } else {
                assert!(out_len - 1 < 4, "{written:?}: a cut text ends in \"...\\n\"");
                assert!(text.starts_with(&written), "{written:?} is not a cut of {text:?}");
            }
        }
    }
    // The exact cuts for a two-byte character: room 7 - "...\n" leaves 3 bytes, one "é".
    let mut out = buffer(8, 0x55);
    // SAFETY: 8 writable bytes.
    unsafe { write_truncated("ééééé", c_ptr(&mut out), 8) };
    assert_eq!(text_of(&out), "é...\n");
    let mut out = buffer(2, 0x55);
    // SAFETY: 2 writable bytes.
    unsafe { write_truncated("ééééé", c_ptr(&mut out), 2) };
    assert_eq!(&out[..], &[0, 0x55], "half a character is not written");
    let mut out = buffer(1, 0x55);
    // SAFETY: 1 writable byte.
    unsafe { write_truncated("abc", c_ptr(&mut out), 1) };
    assert_eq!(&out[..], &[0]);
}

// --- the exports: NULL, zero lengths, misaligned arrays, limits ----------------------------

#[test]
fn every_export_refuses_null() {
    let store = Store::new();
    let s = store.0;
    let null_c = ptr::null::<c_char>();
    let pin = CString::new(sample_pin("leaf")).unwrap();
    let mut out = buffer(CERTPIN_PIN_BUFFER_LEN, 0x55);
    let out_ptr = c_ptr(&mut out);
    let mut value = 0u64;
    let mut needed = 0usize;
    let signature = [0u8; 64];
    let chain = chain_of(&[LEAF]);
    let null_data = [pin_bytes { data: ptr::null(), len: 0 }];
    let null_data_long = [pin_bytes { data: ptr::null(), len: 5 }];
    // SAFETY: every pointer is NULL or valid for what the call may read or write.
    unsafe {
        pin_store_free(ptr::null_mut());
        let n = PIN_ERR_NULL_ARGUMENT;
        assert_eq!(pin_spki_sha256(ptr::null(), LEAF.len(), out_ptr, out.len()), n);
        assert_eq!(pin_spki_sha256(LEAF.as_ptr(), LEAF.len(), ptr::null_mut(), 52), n);
        assert_eq!(pin_store_add(ptr::null_mut(), HOST.as_ptr(), pin.as_ptr()), n);
        assert_eq!(pin_store_add(s, null_c, pin.as_ptr()), n);
        assert_eq!(pin_store_add(s, HOST.as_ptr(), null_c), n);
        assert_eq!(pin_store_add_trust_anchor(ptr::null_mut(), ROOT.as_ptr(), ROOT.len()), n);
        assert_eq!(pin_store_add_trust_anchor(s, ptr::null(), ROOT.len()), n);
        assert_eq!(pin_store_add_trust_anchor(s, ptr::null(), 0), n);
        assert_eq!(
            pin_store_set_domain(ptr::null_mut(), HOST.as_ptr(), ptr::null(), 0, ptr::null()),
            n
        );
        assert_eq!(pin_store_set_domain(s, null_c, ptr::null(), 0, ptr::null()), n);
        assert_eq!(pin_store_set_domain(s, HOST.as_ptr(), ptr::null(), 2, ptr::null()), n);
        let with_null_pin = [pin.as_ptr(), null_c];
        assert_eq!(
            pin_store_set_domain(s, HOST.as_ptr(), with_null_pin.as_ptr(), 2, ptr::null()),
            n
        );
        assert_eq!(pin_store_set_unpinned_hosts(ptr::null_mut(), PIN_UNPINNED_ALLOW), n);
        assert_eq!(pin_store_set_validation_profile(ptr::null_mut(), PIN_PROFILE_STRICT), n);
        assert_eq!(pin_store_set_verdict_cache(ptr::null_mut(), 1), n);
        assert_eq!(
            pin_store_load_policy(ptr::null_mut(), POLICY.as_ptr(), POLICY.len(), out_ptr, 52),
            n
        );
        assert_eq!(pin_store_load_policy(s, ptr::null(), 0, out_ptr, out.len()), n);
        assert_eq!(pin_store_export_policy(ptr::null(), out_ptr, out.len(), &mut needed), n);
        assert_eq!(pin_store_save(ptr::null(), c"/nonexistent/x".as_ptr()), n);
        assert_eq!(pin_store_save(s, null_c), n);
        assert_eq!(
            pin_store_load_file(ptr::null_mut(), c"/nonexistent/x".as_ptr(), out_ptr, 52),
            n
        );
        assert_eq!(pin_store_load_file(s, null_c, out_ptr, out.len()), n);
        assert_eq!(pin_store_policy_generation(ptr::null(), &mut value), n);
        assert_eq!(pin_store_policy_generation(s, ptr::null_mut()), n);
        assert_eq!(pin_store_policy_version(ptr::null(), &mut value), n);
        assert_eq!(pin_store_policy_version(s, ptr::null_mut()), n);
        assert_eq!(pin_store_set_report_callback(ptr::null_mut(), None, ptr::null_mut()), n);
        assert_eq!(pin_store_add_update_key(ptr::null_mut(), UPDATE_KEY.as_ptr()), n);
        assert_eq!(pin_store_add_update_key(s, null_c), n);
        let apply = |store, document: *const u8, signature: *const u8| {
            pin_store_apply_update(store, document, 2, signature, 64, T, ptr::null_mut(), 0)
        };
        assert_eq!(apply(ptr::null_mut(), b"{}".as_ptr(), signature.as_ptr()), n);
        assert_eq!(apply(s, ptr::null(), signature.as_ptr()), n);
        assert_eq!(apply(s, b"{}".as_ptr(), ptr::null()), n);
        assert_eq!(pin_verify_chain_at(ptr::null(), chain.as_ptr(), 1, HOST.as_ptr(), T), n);
        assert_eq!(pin_verify_chain_at(s, ptr::null(), 1, HOST.as_ptr(), T), n);
        assert_eq!(pin_verify_chain_at(s, ptr::null(), 0, HOST.as_ptr(), T), n);
        assert_eq!(pin_verify_chain_at(s, chain.as_ptr(), 1, null_c, T), n);
        assert_eq!(pin_verify_chain_at(s, null_data.as_ptr(), 1, HOST.as_ptr(), T), n);
        assert_eq!(pin_verify_chain_at(s, null_data_long.as_ptr(), 1, HOST.as_ptr(), T), n);
        let explain = |store, chain: *const pin_bytes, host| {
            pin_verify_chain_explain_at(store, chain, 1, host, T, ptr::null_mut(), 0)
        };
        assert_eq!(explain(ptr::null(), chain.as_ptr(), HOST.as_ptr()), n);
        assert_eq!(explain(s, ptr::null(), HOST.as_ptr()), n);
        assert_eq!(explain(s, chain.as_ptr(), null_c), n);
        assert_eq!(explain(s, null_data.as_ptr(), HOST.as_ptr()), n);
    }
    assert!(out.iter().all(|b| *b == 0x55), "a refused call wrote its output");
    assert_eq!(needed, 0, "a refused call wrote `needed`");
    assert_eq!(store.generation(), 0, "a refused call changed the store");
}

#[test]
fn argument_errors_still_fill_the_verdict_and_explanation() {
    let store = Store::new();
    let chain = chain_of(&[LEAF]);
    let text = "PIN_ERR_NULL_ARGUMENT: a required pointer was NULL\n";
    for explanation_len in [0, 1, 2, text.len(), text.len() + 1, text.len() + 2] {
        let (code, verdict, explanation) =
            verify_detailed(store.0, chain.as_ptr(), 1, ptr::null(), explanation_len);
        assert_eq!(code, PIN_ERR_NULL_ARGUMENT);
        assert_eq!(verdict.result, PIN_ERR_NULL_ARGUMENT);
        assert_eq!((verdict.flags, verdict.policy_generation), (0, 0));
        assert_eq!((verdict.leaf_pin[0], verdict.leaf_fingerprint[0]), (0, 0));
        if explanation_len == 0 {
            continue;
        }
        let written = text_of(&explanation);
        if explanation_len > text.len() {
            assert_eq!(written, text);
        } else {
            assert!(text.starts_with(written.trim_end_matches("...\n")), "{written:?}");
        }
    }
    // A NULL verdict is allowed; the code still comes back.
    // SAFETY: a live store, a readable chain, a NUL-terminated host, no outputs.
    let code = unsafe {
        pin_verify_chain_detailed(
            store.0,
            chain.as_ptr(),
            1,
            c"-bad-host-".as_ptr(),
            0,
            T,
            ptr::null_mut(),
            ptr::null_mut(),
            0,
        )
    };
    assert_eq!(code, PIN_ERR_BAD_HOST);
}

#[test]
fn zero_lengths_with_and_without_pointers() {
    let store = Store::new();
    let s = store.0;
    let chain = chain_of(&[LEAF]);
    let empty_cert = [pin_bytes { data: LEAF.as_ptr(), len: 0 }];
    let leaf_then_empty = [
        pin_bytes { data: LEAF.as_ptr(), len: LEAF.len() },
        pin_bytes { data: INTERMEDIATE.as_ptr(), len: 0 },
    ];
    let mut out = buffer(CERTPIN_PIN_BUFFER_LEN, 0x55);
    let dangling = ptr::NonNull::<u8>::dangling().as_ptr();
    // SAFETY: with length 0 nothing is read, whatever the (non-NULL) pointer.
    unsafe {
        assert_eq!(
            pin_verify_chain_at(s, chain.as_ptr(), 0, HOST.as_ptr(), T),
            PIN_ERR_EMPTY_CHAIN
        );
        let dangling_chain = ptr::NonNull::<pin_bytes>::dangling().as_ptr();
        assert_eq!(
            pin_verify_chain_at(s, dangling_chain, 0, HOST.as_ptr(), T),
            PIN_ERR_EMPTY_CHAIN
        );
        assert_eq!(verify_at(&store, &empty_cert, HOST), PIN_ERR_BAD_CERTIFICATE);
        // Only the leaf must parse: an empty extra certificate is ignored (no path here).
        assert_eq!(verify_at(&store, &leaf_then_empty, HOST), PIN_ERR_UNKNOWN_ISSUER);
        let code = pin_spki_sha256(dangling, 0, c_ptr(&mut out), out.len());
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        assert_eq!(pin_store_add_trust_anchor(s, dangling, 0), PIN_ERR_BAD_CERTIFICATE);
        assert_eq!(pin_store_load_policy(s, dangling, 0, ptr::null_mut(), 0), PIN_ERR_BAD_CONFIG);
        // No pins (NULL, length 0): allowed for an excluded domain, which takes none.
        let exclude =
            pin_domain_options { flags: PIN_DOMAIN_EXCLUDE, expires_at: 0, warn_after: 0 };
        let pattern = c"legacy.example.com".as_ptr();
        assert_eq!(pin_store_set_domain(s, pattern, ptr::null(), 0, &exclude), PIN_OK);
        let no_pins = ptr::NonNull::<*const c_char>::dangling().as_ptr();
        assert_eq!(pin_store_set_domain(s, pattern, no_pins, 0, &exclude), PIN_OK);
        // Enforced with no pins is a configuration error, not a pointer error.
        assert_eq!(
            pin_store_set_domain(s, HOST.as_ptr(), ptr::null(), 0, ptr::null()),
            PIN_ERR_BAD_CONFIG
        );
        // Empty strings are read (and refused for what they say).
        assert_eq!(pin_store_add(s, c"".as_ptr(), c"".as_ptr()), PIN_ERR_BAD_HOST);
        assert_eq!(pin_store_add(s, HOST.as_ptr(), c"".as_ptr()), PIN_ERR_BAD_PIN);
        assert_eq!(pin_store_add_update_key(s, c"".as_ptr()), PIN_ERR_INVALID_ARGUMENT);
        assert_eq!(pin_verify_chain_at(s, chain.as_ptr(), 1, c"".as_ptr(), T), PIN_ERR_BAD_HOST);
        // An export into no room: too small, but `needed` says how much.
        let mut needed = 0;
        assert_eq!(
            pin_store_export_policy(s, c_ptr(&mut []), 0, &mut needed),
            PIN_ERR_BUFFER_TOO_SMALL
        );
        assert!(needed > 1);
    }
    assert!(out.iter().all(|b| *b == 0x55));
}

#[test]
fn misaligned_arrays_are_refused_before_any_read() {
    let store = Store::new();
    let storage = [0u64; 16];
    let chain = misaligned::<pin_bytes>(&storage);
    let pins = misaligned::<*const c_char>(&storage);
    // SAFETY: the misaligned pointers are refused before they are read.
    unsafe {
        let code = pin_verify_chain_at(store.0, chain, 1, HOST.as_ptr(), T);
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let code = pin_store_set_domain(store.0, HOST.as_ptr(), pins, 2, ptr::null());
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
    }
    let text = "PIN_ERR_INVALID_ARGUMENT: an argument was malformed or out of range\n";
    let (code, verdict, explanation) =
        verify_detailed(store.0, chain, 1, HOST.as_ptr(), text.len() + 1);
    assert_eq!((code, verdict.result), (PIN_ERR_INVALID_ARGUMENT, PIN_ERR_INVALID_ARGUMENT));
    assert_eq!(text_of(&explanation), text);
    assert_eq!(store.generation(), 0);
}

#[test]
fn a_misaligned_verdict_is_refused_and_the_explanation_still_written() {
    let store = Store::new();
    let storage = [0u64; (size_of::<pin_verdict>() / 8) + 2];
    let verdict = misaligned::<pin_verdict>(&storage).cast_mut();
    let chain = chain_of(&[LEAF]);
    let mut explanation = buffer(256, 0x55);
    // SAFETY: the misaligned verdict is refused before it is written; the rest is valid.
    let code = unsafe {
        pin_verify_chain_detailed(
            store.0,
            chain.as_ptr(),
            chain.len(),
            HOST.as_ptr(),
            0,
            T,
            verdict,
            c_ptr(&mut explanation),
            explanation.len(),
        )
    };
    assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
    assert_eq!(
        text_of(&explanation),
        "PIN_ERR_INVALID_ARGUMENT: an argument was malformed or out of range\n"
    );
    assert!(storage.iter().all(|word| *word == 0), "the verdict was not written");
}

#[test]
fn lengths_past_the_limits_are_refused_before_any_read() {
    let store = Store::new();
    let s = store.0;
    let one_byte = [0x30u8];
    let one_entry = chain_of(&[LEAF]);
    let huge_cert = [pin_bytes { data: one_byte.as_ptr(), len: CERTPIN_MAX_CERT_LEN + 1 }];
    let one_pin = [c"sha256/x".as_ptr()];
    let mut error = buffer(128, 0x55);
    // SAFETY: each length is past its limit and refused before anything is read, so the
    // short buffers behind them are never over-read (Miri checks).
    unsafe {
        let chain_len = CERTPIN_MAX_CHAIN_LEN + 1;
        let code = pin_verify_chain_at(s, one_entry.as_ptr(), chain_len, HOST.as_ptr(), T);
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let code = pin_verify_chain_at(s, one_entry.as_ptr(), usize::MAX, HOST.as_ptr(), T);
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let code = pin_verify_chain_at(s, huge_cert.as_ptr(), 1, HOST.as_ptr(), T);
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let cert_len = CERTPIN_MAX_CERT_LEN + 1;
        let mut out = buffer(CERTPIN_PIN_BUFFER_LEN, 0x55);
        let code = pin_spki_sha256(one_byte.as_ptr(), cert_len, c_ptr(&mut out), out.len());
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        assert!(out.iter().all(|b| *b == 0x55));
        let code = pin_store_add_trust_anchor(s, one_byte.as_ptr(), cert_len);
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let json_len = CERTPIN_MAX_POLICY_LEN + 1;
        let code = pin_store_load_policy(s, one_byte.as_ptr(), json_len, c_ptr(&mut error), 128);
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let code = pin_store_set_domain(
            s,
            HOST.as_ptr(),
            one_pin.as_ptr(),
            CERTPIN_MAX_PINS + 1,
            ptr::null(),
        );
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        let signature = [0u8; 64];
        let code = pin_store_apply_update(
            s,
            one_byte.as_ptr(),
            json_len,
            signature.as_ptr(),
            64,
            T,
            c_ptr(&mut error),
            128,
        );
        assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        assert_eq!(text_of(&error), "the document is larger than CERTPIN_MAX_POLICY_LEN bytes");
        let code = pin_store_apply_update(
            s,
            b"{}".as_ptr(),
            2,
            signature.as_ptr(),
            257,
            T,
            c_ptr(&mut error),
            128,
        );
        assert_eq!(code, PIN_ERR_BAD_SIGNATURE);
        assert_eq!(text_of(&error), "the signature is not 64 bytes or their base64");
    }
    assert_eq!(store.generation(), 0);
}

#[test]
fn strings_without_a_nul_within_the_limit_are_refused() {
    let store = Store::new();
    let s = store.0;
    let chain = chain_of(&[LEAF]);
    // Each buffer is exactly limit + 1 bytes with no NUL: reading one byte more is an
    // over-read that Miri reports.
    let host = buffer(CERTPIN_MAX_HOST_LEN + 1, b'a');
    let pin = buffer(CERTPIN_MAX_PIN_LEN + 1, b'A');
    let key = buffer(129, b'A');
    let path = buffer(4097, b'a');
    let valid_pin = CString::new(sample_pin("leaf")).unwrap();
    // SAFETY: each string is NUL-terminated or has limit + 1 readable bytes.
    unsafe {
        let i = PIN_ERR_INVALID_ARGUMENT;
        assert_eq!(pin_store_add(s, cstr_ptr(&host), valid_pin.as_ptr()), i);
        assert_eq!(pin_store_add(s, HOST.as_ptr(), cstr_ptr(&pin)), i);
        assert_eq!(pin_store_set_domain(s, cstr_ptr(&host), ptr::null(), 0, ptr::null()), i);
        let pins = [valid_pin.as_ptr(), cstr_ptr(&pin)];
        assert_eq!(pin_store_set_domain(s, HOST.as_ptr(), pins.as_ptr(), 2, ptr::null()), i);
        assert_eq!(pin_verify_chain_at(s, chain.as_ptr(), 1, cstr_ptr(&host), T), i);
        assert_eq!(pin_store_add_update_key(s, cstr_ptr(&key)), i);
        assert_eq!(pin_store_save(s, cstr_ptr(&path)), i);
        assert_eq!(pin_store_load_file(s, cstr_ptr(&path), ptr::null_mut(), 0), i);
    }
    // At the limit the strings are read, and refused for what they say.
    let host = c_bytes(&[b'a'; CERTPIN_MAX_HOST_LEN]);
    let pin = c_bytes(&[b'A'; CERTPIN_MAX_PIN_LEN]);
    // SAFETY: NUL-terminated strings.
    unsafe {
        assert_eq!(pin_store_add(s, cstr_ptr(&host), valid_pin.as_ptr()), PIN_ERR_BAD_HOST);
        assert_eq!(pin_store_add(s, HOST.as_ptr(), cstr_ptr(&pin)), PIN_ERR_BAD_PIN);
        let code = pin_verify_chain_at(s, chain.as_ptr(), 1, cstr_ptr(&host), T);
        assert_eq!(code, PIN_ERR_BAD_HOST);
    }
    assert_eq!(store.generation(), 0);
}

#[test]
fn strings_that_are_not_utf8_are_refused() {
    let store = Store::new();
    let s = store.0;
    let chain = chain_of(&[LEAF]);
    let host = c_bytes(b"api.\xff.example.com");
    let pin = c_bytes(b"sha256/\xc3");
    let key = c_bytes(b"\xfe");
    let path = c_bytes(b"/tmp/\xff");
    let valid_pin = CString::new(sample_pin("leaf")).unwrap();
    // SAFETY: NUL-terminated strings.
    unsafe {
        let i = PIN_ERR_INVALID_ARGUMENT;
        assert_eq!(pin_store_add(s, cstr_ptr(&host), valid_pin.as_ptr()), i);
        assert_eq!(pin_store_add(s, HOST.as_ptr(), cstr_ptr(&pin)), i);
        assert_eq!(pin_verify_chain_at(s, chain.as_ptr(), 1, cstr_ptr(&host), T), i);
        assert_eq!(pin_store_add_update_key(s, cstr_ptr(&key)), i);
        assert_eq!(pin_store_save(s, cstr_ptr(&path)), i);
        assert_eq!(pin_store_load_file(s, cstr_ptr(&path), ptr::null_mut(), 0), i);
    }
    assert_eq!(store.generation(), 0);
}

#[test]
fn integer_arguments_out_of_range_are_refused() {
    let store = Store::new();
    let bad_flags = pin_domain_options { flags: 1 << 31, expires_at: 0, warn_after: 0 };
    let late = pin_domain_options { flags: 0, expires_at: CERTPIN_MAX_TIME + 1, warn_after: 0 };
    let pins = [c"sha256/x".as_ptr()];
    // SAFETY: a live store, readable options and pins.
    unsafe {
        assert_eq!(pin_store_set_verdict_cache(store.0, 2), PIN_ERR_INVALID_ARGUMENT);
        assert_eq!(pin_store_set_unpinned_hosts(store.0, 2), PIN_ERR_INVALID_ARGUMENT);
        let generation = store.0.as_ref().unwrap().store.generation();
        for profile in [2, u32::MAX] {
            let code = pin_store_set_validation_profile(store.0, profile);
            assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        }
        let store_ref = &store.0.as_ref().unwrap().store;
        assert_eq!(store_ref.generation(), generation, "an unknown profile changes nothing");
        assert_eq!(store_ref.snapshot().policy.validation_profile, Default::default());
        for options in [&bad_flags, &late] {
            let code = pin_store_set_domain(store.0, HOST.as_ptr(), pins.as_ptr(), 1, options);
            assert_eq!(code, PIN_ERR_INVALID_ARGUMENT, "the options are checked first");
            let code = pin_store_set_domain(store.0, HOST.as_ptr(), ptr::null(), 0, options);
            assert_eq!(code, PIN_ERR_INVALID_ARGUMENT);
        }
    }
    assert_eq!(store.generation(), 0);
}

// --- the exports on stored certificates and documents --------------------------------------

#[test]
fn stores_are_made_filled_and_freed_without_leaks() {
    for _ in 0..3 {
        let store = Store::new();
        let pin = CString::new(sample_pin("intermediate-ca")).unwrap();
        let backup = CString::new(sample_pin("ec-intermediate-ca")).unwrap();
        // SAFETY: a live store and NUL-terminated strings.
        unsafe {
            assert_eq!(pin_store_add(store.0, HOST.as_ptr(), pin.as_ptr()), PIN_OK);
            assert_eq!(pin_store_add(store.0, c"*.example.net".as_ptr(), backup.as_ptr()), PIN_OK);
            assert_eq!(pin_store_add(store.0, c"**.example.org".as_ptr(), pin.as_ptr()), PIN_OK);
            assert_eq!(pin_store_add(store.0, HOST.as_ptr(), pin.as_ptr()), PIN_OK, "a no-op");
            assert_eq!(
                pin_store_add(store.0, c"bad host".as_ptr(), pin.as_ptr()),
                PIN_ERR_BAD_HOST
            );
            let callback: pin_report_callback = Some(ignore_report);
            assert_eq!(pin_store_set_report_callback(store.0, callback, ptr::null_mut()), PIN_OK);
            assert_eq!(pin_store_set_report_callback(store.0, callback, ptr::null_mut()), PIN_OK);
            assert_eq!(pin_store_add_update_key(store.0, UPDATE_KEY.as_ptr()), PIN_OK);
        }
        assert_eq!(store.add_anchor(ROOT), PIN_OK);
        assert_eq!(store.generation(), 4, "three patterns and an anchor");
        // Dropped with the callback still registered: freed with the store.
    }
}

unsafe extern "C" fn ignore_report(_: *mut c_void, _: *const c_char, _: usize) {}

#[test]
fn spki_pins_of_stored_certificates() {
    let samples: [(&str, &[u8]); 5] = [
        ("leaf", LEAF),
        ("intermediate-ca", INTERMEDIATE),
        ("root-ca", ROOT),
        ("rogue-ca", ROGUE),
        ("mitm-leaf", MITM_LEAF),
    ];
    for (name, der) in samples {
        let mut out = buffer(CERTPIN_PIN_BUFFER_LEN, 0x55);
        // SAFETY: `der.len()` readable bytes, `out.len()` writable bytes.
        let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), c_ptr(&mut out), out.len()) };
        assert_eq!(code, PIN_OK, "{name}");
        assert_eq!(text_of(&out), sample_pin(name), "{name}");
        assert_eq!(out[CERTPIN_PIN_BUFFER_LEN - 1], 0, "the pin fills the buffer exactly");
    }
    let mut short = buffer(CERTPIN_PIN_BUFFER_LEN - 1, 0x55);
    // SAFETY: as above.
    let code =
        unsafe { pin_spki_sha256(LEAF.as_ptr(), LEAF.len(), c_ptr(&mut short), short.len()) };
    assert_eq!(code, PIN_ERR_BUFFER_TOO_SMALL);
    assert!(short.iter().all(|b| *b == 0x55), "written only on success");
    let with_trailing_byte = [LEAF, &[0]].concat();
    for broken in [&LEAF[..LEAF.len() - 1], &LEAF[1..], &with_trailing_byte, b"\x30\x00"] {
        let mut out = buffer(CERTPIN_PIN_BUFFER_LEN, 0x55);
        // SAFETY: as above.
        let code =
            unsafe { pin_spki_sha256(broken.as_ptr(), broken.len(), c_ptr(&mut out), out.len()) };
        assert_eq!(code, PIN_ERR_BAD_CERTIFICATE);
        assert!(out.iter().all(|b| *b == 0x55));
    }
}

#[test]
fn trust_anchors_from_stored_certificates() {
    let store = Store::new();
    assert_eq!(store.add_anchor(ROOT), PIN_OK);
    assert_eq!(store.generation(), 1);
    assert_eq!(store.add_anchor(ROOT), PIN_OK, "the same anchor twice is a no-op");
    assert_eq!(store.generation(), 1);
    assert_eq!(store.add_anchor(ROGUE), PIN_OK);
    assert_eq!(store.generation(), 2);
    for broken in [&ROOT[..ROOT.len() / 2], b"\x30\x03\x02\x01\x00", &[0xff; 3]] {
        assert_eq!(store.add_anchor(broken), PIN_ERR_BAD_CERTIFICATE);
    }
    assert_eq!(store.generation(), 2);
}

#[test]
fn policy_documents_load_and_export_round_trip() {
    let store = Store::new();
    assert_eq!(store.load(POLICY), PIN_OK);
    let mut version = 0;
    // SAFETY: a live store and a writable u64.
    assert_eq!(unsafe { pin_store_policy_version(store.0, &mut version) }, PIN_OK);
    assert_eq!(version, 1);
    let exported = store.export();
    assert!(exported.contains(sample_pin("intermediate-ca")), "{exported}");

    // The buffer edges: one byte short, then exactly the size, then NULL `needed`.
    let needed = exported.len() + 1;
    let mut short = buffer(needed - 1, 0x55);
    let mut reported = 0;
    // SAFETY: `short` has `needed - 1` writable bytes, `reported` is writable.
    let code =
        unsafe { pin_store_export_policy(store.0, c_ptr(&mut short), needed - 1, &mut reported) };
    assert_eq!((code, reported), (PIN_ERR_BUFFER_TOO_SMALL, needed));
    assert!(short.iter().all(|b| *b == 0x55), "written only on success");
    let mut exact = buffer(needed, 0x55);
    // SAFETY: `exact` has `needed` writable bytes.
    let code =
        unsafe { pin_store_export_policy(store.0, c_ptr(&mut exact), needed, ptr::null_mut()) };
    assert_eq!(code, PIN_OK);
    assert_eq!(text_of(&exact), exported);

    // Loaded back into a new store, the export is the same document.
    let copy = Store::new();
    assert_eq!(copy.load(exported.as_bytes()), PIN_OK);
    assert_eq!(copy.export(), exported);
    assert_eq!(copy.generation(), 1);
    assert_eq!(copy.load(exported.as_bytes()), PIN_OK);
    assert_eq!(copy.generation(), 1, "the same document again changes nothing");
}

#[test]
fn refused_documents_say_why_within_the_buffer_and_change_nothing() {
    let store = Store::new();
    assert_eq!(store.load(POLICY), PIN_OK);
    let before = (store.export(), store.generation());
    let mut full = String::new();
    for error_len in [0, 1, 2, 16, 4096] {
        let mut error = buffer(error_len, 0x55);
        // SAFETY: `error` has exactly `error_len` writable bytes.
        let code = unsafe {
            pin_store_load_policy(
                store.0,
                BAD_POLICY.as_ptr(),
                BAD_POLICY.len(),
                c_ptr(&mut error),
                error_len,
            )
        };
        assert_eq!(code, PIN_ERR_BAD_CONFIG);
        if error_len > 0 {
            let written = text_of(&error);
            assert!(written.len() < error_len);
            if error_len == 4096 {
                full = written;
            }
        }
    }
    assert!(full.contains("domains.\"api.example.com\""), "{full}");
    for broken in
        [&b"{"[..], b"[]", b"\xff", b"{\"certpin_policy\": 2}", &POLICY[..POLICY.len() / 2]]
    {
        assert_eq!(store.load(broken), PIN_ERR_BAD_CONFIG, "{}", String::from_utf8_lossy(broken));
    }
    assert_eq!((store.export(), store.generation()), before);
}

#[test]
fn verdict_details_on_stored_certificates_without_signature_checks() {
    // Hosts no pattern covers are refused before any signature is checked: the chain is
    // parsed and the verdict filled in, but ring is never called.
    let store = Store::new();
    // SAFETY: a live store.
    assert_eq!(unsafe { pin_store_set_unpinned_hosts(store.0, PIN_UNPINNED_REFUSE) }, PIN_OK);
    let chain = chain_of(&[LEAF, INTERMEDIATE]);
    assert_eq!(verify_at(&store, &chain, HOST), PIN_ERR_NOT_PINNED);
    let (code, verdict, explanation) =
        verify_detailed(store.0, chain.as_ptr(), chain.len(), HOST.as_ptr(), 4096);
    assert_eq!((code, verdict.result), (PIN_ERR_NOT_PINNED, PIN_ERR_NOT_PINNED));
    assert_eq!(verdict.policy_generation, 1);
    // SAFETY: the verdict's strings are NUL-terminated inside their arrays.
    let (pin, fingerprint) = unsafe {
        (
            CStr::from_ptr(verdict.leaf_pin.as_ptr()),
            CStr::from_ptr(verdict.leaf_fingerprint.as_ptr()),
        )
    };
    assert_eq!(pin.to_str(), Ok(sample_pin("leaf")));
    assert_eq!(fingerprint.to_bytes().len(), 95);
    let text = text_of(&explanation);
    assert!(text.starts_with("PIN_ERR_NOT_PINNED"), "{text}");
    assert!(text.contains(sample_pin("intermediate-ca")), "{text}");

    // The same explanation cut to every smaller buffer stays NUL-terminated inside it.
    for explanation_len in [1, 2, 3, 4, 5, 6, 64, text.len(), text.len() + 1] {
        let (_, _, cut) =
            verify_detailed(store.0, chain.as_ptr(), chain.len(), HOST.as_ptr(), explanation_len);
        let written = text_of(&cut);
        if explanation_len > text.len() {
            assert_eq!(written, text);
        } else {
            assert!(text.starts_with(written.trim_end_matches("...\n")), "{written:?}");
        }
    }

    // A certificate that does not parse, and a host that is not one.
    let garbage = [0x30, 0x03, 0x02, 0x01, 0x00];
    let broken = chain_of(&[&garbage, INTERMEDIATE]);
    assert_eq!(verify_at(&store, &broken, HOST), PIN_ERR_BAD_CERTIFICATE);
    let (code, verdict, _) = verify_detailed(store.0, broken.as_ptr(), 2, HOST.as_ptr(), 0);
    assert_eq!((code, verdict.leaf_pin[0]), (PIN_ERR_BAD_CERTIFICATE, 0));
    assert_eq!(verify_at(&store, &chain, c"api..example.com"), PIN_ERR_BAD_HOST);
}

#[test]
fn update_keys_and_refused_updates_without_signature_checks() {
    let store = Store::new();
    let s = store.0;
    // SAFETY: a live store and NUL-terminated strings.
    unsafe {
        assert_eq!(pin_store_add_update_key(s, UPDATE_KEY.as_ptr()), PIN_OK);
        assert_eq!(pin_store_add_update_key(s, UPDATE_KEY.as_ptr()), PIN_OK, "a no-op");
        let short = c"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==";
        assert_eq!(pin_store_add_update_key(s, short.as_ptr()), PIN_ERR_INVALID_ARGUMENT);
        for n in 1..CERTPIN_MAX_UPDATE_KEYS {
            let key = CString::new(base64_of_32(n as u8 + 1)).unwrap();
            assert_eq!(pin_store_add_update_key(s, key.as_ptr()), PIN_OK, "key {n}");
        }
        let one_too_many = CString::new(base64_of_32(0xee)).unwrap();
        assert_eq!(pin_store_add_update_key(s, one_too_many.as_ptr()), PIN_ERR_INVALID_ARGUMENT);
    }
    assert_eq!(store.generation(), 0, "update keys decide no verdict");

    // Signatures that are refused before any key is tried.
    let unsigned = c"the signature is not 64 bytes or their base64";
    for signature in [&[0u8; 63][..], &[0u8; 65], b"", b"not base64 at all"] {
        for error_len in [0, 1, 8, unsigned.count_bytes() + 1] {
            let mut error = buffer(error_len, 0x55);
            // SAFETY: readable document and signature, `error_len` writable bytes.
            let code = unsafe {
                pin_store_apply_update(
                    s,
                    POLICY.as_ptr(),
                    POLICY.len(),
                    signature.as_ptr(),
                    signature.len(),
                    T,
                    c_ptr(&mut error),
                    error_len,
                )
            };
            assert_eq!(code, PIN_ERR_BAD_SIGNATURE);
            if error_len > 0 {
                let written = text_of(&error);
                assert!(unsigned.to_str().unwrap().starts_with(written.trim_end_matches("...\n")));
            }
        }
    }
    // A well-formed signature with no key to check it against.
    let keyless = Store::new();
    let mut error = buffer(64, 0x55);
    let signature = [0u8; 64];
    // SAFETY: as above.
    let code = unsafe {
        pin_store_apply_update(
            keyless.0,
            POLICY.as_ptr(),
            POLICY.len(),
            signature.as_ptr(),
            64,
            T,
            c_ptr(&mut error),
            64,
        )
    };
    assert_eq!(code, PIN_ERR_BAD_SIGNATURE);
    assert_eq!(text_of(&error), "the store has no update key");
    assert_eq!(store.generation(), 0);
}

fn base64_of_32(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

#[test]
fn result_names_for_every_value() {
    let codes = [
        (PIN_OK, "PIN_OK"),
        (PIN_ERR_NULL_ARGUMENT, "PIN_ERR_NULL_ARGUMENT"),
        (PIN_ERR_INVALID_ARGUMENT, "PIN_ERR_INVALID_ARGUMENT"),
        (PIN_ERR_BAD_PIN, "PIN_ERR_BAD_PIN"),
        (PIN_ERR_BAD_HOST, "PIN_ERR_BAD_HOST"),
        (PIN_ERR_BAD_CERTIFICATE, "PIN_ERR_BAD_CERTIFICATE"),
        (PIN_ERR_EMPTY_CHAIN, "PIN_ERR_EMPTY_CHAIN"),
        (PIN_ERR_UNKNOWN_ISSUER, "PIN_ERR_UNKNOWN_ISSUER"),
        (PIN_ERR_EXPIRED, "PIN_ERR_EXPIRED"),
        (PIN_ERR_NOT_YET_VALID, "PIN_ERR_NOT_YET_VALID"),
        (PIN_ERR_HOST_MISMATCH, "PIN_ERR_HOST_MISMATCH"),
        (PIN_ERR_INVALID_CHAIN, "PIN_ERR_INVALID_CHAIN"),
        (PIN_ERR_PIN_MISMATCH, "PIN_ERR_PIN_MISMATCH"),
        (PIN_ERR_NOT_PINNED, "PIN_ERR_NOT_PINNED"),
        (PIN_ERR_BAD_CONFIG, "PIN_ERR_BAD_CONFIG"),
        (PIN_ERR_BAD_SIGNATURE, "PIN_ERR_BAD_SIGNATURE"),
        (PIN_ERR_STALE_UPDATE, "PIN_ERR_STALE_UPDATE"),
        (PIN_ERR_BUFFER_TOO_SMALL, "PIN_ERR_BUFFER_TOO_SMALL"),
        (PIN_ERR_IO, "PIN_ERR_IO"),
        (PIN_ERR_INTERNAL, "PIN_ERR_INTERNAL"),
    ];
    let read = |text: *const c_char| {
        assert!(!text.is_null());
        // SAFETY: the exports return static NUL-terminated strings.
        unsafe { CStr::from_ptr(text) }.to_str().expect("UTF-8").to_owned()
    };
    let mut descriptions = Vec::new();
    for (code, name) in codes {
        assert_eq!(read(pin_result_name(code)), name);
        let description = read(pin_result_description(code));
        assert!(!description.is_empty() && !descriptions.contains(&description), "{name}");
        descriptions.push(description);
    }
    let unknown_description = read(pin_result_description(19));
    for unknown in [19, 100, 254, 256, u32::MAX] {
        assert_eq!(read(pin_result_name(unknown)), "PIN_ERR_UNKNOWN");
        assert_eq!(read(pin_result_description(unknown)), unknown_description);
    }
    assert!(!descriptions.contains(&unknown_description));
    assert_eq!(read(pin_version()), env!("CARGO_PKG_VERSION"));
}

// --- not under Miri: the real-time clock, ring's C code ----------------------------------

#[test]
#[cfg_attr(miri, ignore = "reads the real-time clock (isolated under Miri)")]
fn verifying_now_reads_the_clock() {
    let store = Store::new();
    let chain = chain_of(&[LEAF]);
    // SAFETY: the store argument is NULL; the rest is valid.
    let code = unsafe { pin_verify_chain(ptr::null(), chain.as_ptr(), 1, HOST.as_ptr()) };
    assert_eq!(code, PIN_ERR_NULL_ARGUMENT);
    // SAFETY: as above.
    let code = unsafe {
        pin_verify_chain_explain(store.0, chain.as_ptr(), 0, HOST.as_ptr(), ptr::null_mut(), 0)
    };
    assert_eq!(code, PIN_ERR_EMPTY_CHAIN);
}

#[test]
#[cfg_attr(miri, ignore = "verifies signatures with ring's C code")]
fn stored_chains_verify_and_signed_updates_apply() {
    use ring::signature::{Ed25519KeyPair, KeyPair};

    let store = Store::new();
    assert_eq!(store.add_anchor(ROOT), PIN_OK);
    assert_eq!(store.add_anchor(ROGUE), PIN_OK);
    let genuine = chain_of(&[LEAF, INTERMEDIATE]);
    let mitm = chain_of(&[MITM_LEAF]);
    assert_eq!(verify_at(&store, &genuine, HOST), PIN_OK);
    assert_eq!(verify_at(&store, &genuine, HOST), PIN_OK, "from the verdict cache");
    assert_eq!(verify_at(&store, &mitm, HOST), PIN_OK, "unpinned: the rogue root is trusted");
    assert_eq!(store.load(POLICY), PIN_OK);
    assert_eq!(verify_at(&store, &genuine, HOST), PIN_OK);
    assert_eq!(verify_at(&store, &mitm, HOST), PIN_ERR_PIN_MISMATCH);

    let key = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).expect("seed");
    let public = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(key.public_key().as_ref())
    };
    let public = CString::new(public).unwrap();
    // SAFETY: a live store and a NUL-terminated key.
    assert_eq!(unsafe { pin_store_add_update_key(store.0, public.as_ptr()) }, PIN_OK);
    let document =
        String::from_utf8(POLICY.to_vec()).unwrap().replace("\"version\": 1", "\"version\": 2");
    let signature = key.sign(document.as_bytes());
    let mut error = buffer(256, 0x55);
    let apply = |signature: &[u8], error: &mut [u8]| {
        // SAFETY: readable document and signature, writable error buffer.
        unsafe {
            pin_store_apply_update(
                store.0,
                document.as_ptr(),
                document.len(),
                signature.as_ptr(),
                signature.len(),
                T,
                c_ptr(error),
                error.len(),
            )
        }
    };
    let mut forged = signature.as_ref().to_vec();
    forged[0] ^= 1;
    let generation = store.generation();
    assert_eq!(apply(&forged, &mut error), PIN_ERR_BAD_SIGNATURE);
    assert_eq!(text_of(&error), "the signature is not by a trusted update key");
    assert_eq!(store.generation(), generation);
    assert_eq!(apply(signature.as_ref(), &mut error), PIN_OK);
    assert_eq!(store.generation(), generation + 1);
    assert_eq!(apply(signature.as_ref(), &mut error), PIN_ERR_STALE_UPDATE);
    assert_eq!(verify_at(&store, &mitm, HOST), PIN_ERR_PIN_MISMATCH);
}
