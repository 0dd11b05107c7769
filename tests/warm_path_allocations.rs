//! The verdict cache's promise: a warm verification (an identical chain, host and policy
//! generation) allocates nothing, and computing a pin hashes the key in place. Counted with a
//! global allocator that counts this thread's allocations while a flag is up.

mod common;
#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::ffi::c_char;

use certpin::*;
use common::{Store, cstring, pin_bytes_of, pin_of, testdata};
use counting_alloc::allocations_in;

/// 2027-01-01, inside the samples' validity window.
const AT: u64 = 1_798_761_600;

#[test]
fn a_warm_verification_allocates_nothing_and_a_cold_one_is_counted() {
    for prefix in ["", "ec-"] {
        let der = |name: &str| testdata(&format!("{prefix}{name}.der"));
        let (root, intermediate, leaf) = (der("root-ca"), der("intermediate-ca"), der("leaf"));
        let store = Store::with_anchors(&[&root]);
        store.pin("api.example.com", &pin_of(&intermediate));
        // The arguments are made once, outside the counted calls.
        let host = cstring("api.example.com");
        let chain = pin_bytes_of(&[&leaf, &intermediate]);
        let verify = || {
            // SAFETY: a live store, `chain.len()` entries pointing at live certificates, a
            // NUL-terminated host.
            unsafe {
                pin_verify_chain_at(store.ptr(), chain.as_ptr(), chain.len(), host.as_ptr(), AT)
            }
        };

        // The first verification is cold: it parses and checks, and the counter sees it.
        let mut first = PIN_ERR_INTERNAL;
        let cold = allocations_in(|| first = verify());
        assert_eq!(first, PIN_OK, "{prefix}chain");
        assert!(cold > 0, "{prefix}chain: a cold verification allocates; the counter is live");

        // The same chain again is answered from the cache without one allocation.
        let mut results = Vec::with_capacity(100);
        let warm = allocations_in(|| {
            for _ in 0..100 {
                results.push(verify());
            }
        });
        assert!(results.iter().all(|&r| r == PIN_OK), "{prefix}chain");
        assert_eq!(warm, 0, "{prefix}chain: 100 warm verifications allocated {warm} times");
    }
}

#[test]
fn a_pin_is_computed_without_copying_the_key() {
    let leaf = testdata("leaf.der");
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    let mut code = PIN_ERR_INTERNAL;
    let allocations = allocations_in(|| {
        // SAFETY: a valid slice and a buffer of the documented size.
        code = unsafe { pin_spki_sha256(leaf.as_ptr(), leaf.len(), out.as_mut_ptr(), out.len()) };
    });
    assert_eq!(code, PIN_OK);
    assert_eq!(allocations, 0, "pin_spki_sha256 allocated {allocations} times");
}

/// A plain ASCII host (letters, digits, hyphens, dots, in any case, a trailing dot) is put in
/// normal form in one pass with one allocation, the lower-cased copy; UTS #46 mapping, which
/// gives the same name, is kept for the names that need it (and costs more allocations).
#[test]
fn a_plain_ascii_host_is_normalised_with_one_allocation() {
    for host in ["API.Example.COM.", "Www.Example.Com", "a-b.c-d.example"] {
        let mut parsed = None;
        let allocations = allocations_in(|| parsed = Some(certpin::host::HostName::parse(host)));
        let name = parsed.unwrap().expect("a valid host").to_string();
        assert_eq!(name, host.trim_end_matches('.').to_ascii_lowercase());
        assert_eq!(allocations, 1, "{host}: {allocations} allocations");
    }
}
