//! The panic boundary: a panic inside an export comes back as the return type's panic value
//! (`PIN_ERR_INTERNAL`, NULL, the static name), never unwinds into C, and leaves the store as
//! it was. The panic is caused honestly, through code an app can give certpin: a Rust report
//! sink that panics, reached through the real exported `pin_verify_chain_detailed`.

use std::ffi::{CStr, c_char};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::result::*;
use crate::store::ReportSink;

const INTERMEDIATE: &[u8] = include_bytes!("../../testdata/intermediate-ca.der");
const LEAF: &[u8] = include_bytes!("../../testdata/leaf.der");
const ROOT: &[u8] = include_bytes!("../../testdata/root-ca.der");
const ROGUE: &[u8] = include_bytes!("../../testdata/rogue-ca.der");
const MITM_LEAF: &[u8] = include_bytes!("../../testdata/mitm-leaf.der");
/// 2027-01-01, inside the samples' validity.
const AT: u64 = 1_798_761_600;

#[test]
fn a_panic_becomes_the_return_type_s_panic_value() {
    assert_eq!(ffi_boundary(|| -> pin_result { panic!("a bug") }), PIN_ERR_INTERNAL);
    assert!(ffi_boundary(|| -> *mut u8 { panic!("a bug") }).is_null());
    let name = ffi_boundary(|| -> *const c_char { panic!("a bug") });
    // SAFETY: the panic value is a static NUL-terminated string.
    assert_eq!(unsafe { CStr::from_ptr(name) }, c"PIN_ERR_INTERNAL");
    ffi_boundary(|| -> () { panic!("a bug") });
    assert_eq!(ffi_result(|| panic!("a bug")), PIN_ERR_INTERNAL);
    // Without a panic, the body's own value passes through.
    assert_eq!(ffi_boundary(|| -> pin_result { 7 }), 7);
    assert_eq!(ffi_result(|| Err(PinError::BadPin)), PIN_ERR_BAD_PIN);
    assert_eq!(ffi_result(|| Ok(())), PIN_OK);
}

fn verify_detailed(store: *const pin_store, chain: &[&[u8]]) -> pin_result {
    let entries: Vec<pin_bytes> =
        chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect();
    // SAFETY: a live store, `entries.len()` entries pointing at live certificates, a
    // NUL-terminated host, no verdict or explanation wanted.
    unsafe {
        pin_verify_chain_detailed(
            store,
            entries.as_ptr(),
            entries.len(),
            c"api.example.com".as_ptr(),
            443,
            AT,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    }
}

#[test]
#[cfg_attr(miri, ignore)] // verifies signatures (ring's C code)
fn a_panic_inside_an_export_is_pin_err_internal_and_changes_nothing() {
    let store = pin_store_new();
    // SAFETY: a live store and valid buffers.
    unsafe {
        assert_eq!(pin_store_add_trust_anchor(store, ROOT.as_ptr(), ROOT.len()), PIN_OK);
        assert_eq!(pin_store_add_trust_anchor(store, ROGUE.as_ptr(), ROGUE.len()), PIN_OK);
    }
    // SAFETY: the store is live until freed below; nothing else uses it meanwhile.
    let inner = unsafe { &(*store).store };
    let pin = crate::pin::Pin::of_certificate(INTERMEDIATE).unwrap().to_string();
    inner.add_pin("api.example.com", &pin).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    inner.set_report_sink(Some(ReportSink(Box::new(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
        panic!("the app's report sink panics");
    }))));
    let generation = inner.generation();
    let exported = inner.export_policy();

    // The MITM chain is a pin failure: the report is due, and the sink panics inside the call.
    assert_eq!(verify_detailed(store, &[MITM_LEAF]), PIN_ERR_INTERNAL);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the panic came from the sink");
    // The store is as it was, and every lock it has is still usable.
    assert_eq!((inner.generation(), inner.export_policy()), (generation, exported));
    assert_eq!(verify_detailed(store, &[LEAF, INTERMEDIATE]), PIN_OK);
    inner.set_report_sink(None);
    assert_eq!(verify_detailed(store, &[MITM_LEAF]), PIN_ERR_PIN_MISMATCH);
    let backup = c"sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    // SAFETY: a live store and NUL-terminated strings.
    let added = unsafe { pin_store_add(store, c"api.example.com".as_ptr(), backup.as_ptr()) };
    assert_eq!(added, PIN_OK);
    // SAFETY: made above, freed once.
    unsafe { pin_store_free(store) };
}
