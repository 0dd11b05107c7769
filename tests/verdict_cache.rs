//! The verdict cache answers only what a full verification would: a repeat of an identical
//! trusted chain is answered from memory, and anything that could change the verdict (a store
//! change, a different byte, a time outside a validity window, a warning date) misses it.

use std::ffi::{CString, c_char};

use certpin::*;

/// 2027-01-01, inside the samples' validity (2026-01-01 .. 2046-01-01).
const AT: u64 = 1_798_761_600;
const SAMPLES_EXPIRE: u64 = 2_398_377_600; // 2046-01-01T00:00:00Z
const BACKUP: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/testdata/{name}.der", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn pin_of(der: &[u8]) -> CString {
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    // SAFETY: valid slice and a buffer of the documented size.
    let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.as_mut_ptr(), out.len()) };
    assert_eq!(code, PIN_OK);
    // SAFETY: NUL-terminated on success.
    unsafe { std::ffi::CStr::from_ptr(out.as_ptr()) }.to_owned()
}

struct Fixture {
    store: *mut pin_store,
    certs: Vec<Vec<u8>>,
    host: CString,
}

impl Fixture {
    fn new() -> Self {
        let store = pin_store_new();
        let root = sample("root-ca");
        let host = CString::new("api.example.com").unwrap();
        let certs = vec![sample("leaf"), sample("intermediate-ca")];
        // SAFETY: live store, valid buffers and strings.
        unsafe {
            assert_eq!(pin_store_add_trust_anchor(store, root.as_ptr(), root.len()), PIN_OK);
            assert_eq!(pin_store_add(store, host.as_ptr(), pin_of(&certs[1]).as_ptr()), PIN_OK);
        }
        Self { store, certs, host }
    }

    fn verify_at(&self, certs: &[Vec<u8>], time: u64) -> pin_result {
        let chain: Vec<pin_bytes> =
            certs.iter().map(|c| pin_bytes { data: c.as_ptr(), len: c.len() }).collect();
        // SAFETY: live store, chain of valid slices, NUL-terminated host.
        unsafe {
            pin_verify_chain_at(self.store, chain.as_ptr(), chain.len(), self.host.as_ptr(), time)
        }
    }

    fn verify(&self, time: u64) -> pin_result {
        self.verify_at(&self.certs, time)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: made by pin_store_new, freed once.
        unsafe { pin_store_free(self.store) };
    }
}

#[test]
fn a_store_change_invalidates_cached_verdicts() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    assert_eq!(f.verify(AT), PIN_OK);
    // Replace the pins with ones the chain does not hold: the cached PIN_OK must not answer.
    let pins =
        [CString::new(BACKUP).unwrap(), CString::new(BACKUP.replace("AAEC", "AAED")).unwrap()];
    let ptrs: Vec<*const c_char> = pins.iter().map(|p| p.as_ptr()).collect();
    // SAFETY: live store, two NUL-terminated pins, default options.
    let code = unsafe {
        pin_store_set_domain(f.store, f.host.as_ptr(), ptrs.as_ptr(), 2, std::ptr::null())
    };
    assert_eq!(code, PIN_OK);
    assert_eq!(f.verify(AT), PIN_ERR_PIN_MISMATCH);
    assert_eq!(f.verify(AT), PIN_ERR_PIN_MISMATCH, "failures are never cached as successes");
}

#[test]
fn a_time_outside_the_validity_windows_misses_the_cache() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    assert_eq!(f.verify(SAMPLES_EXPIRE), PIN_OK, "the last second of validity");
    assert_eq!(f.verify(SAMPLES_EXPIRE + 1), PIN_ERR_EXPIRED);
    assert_eq!(f.verify(1_767_225_599), PIN_ERR_NOT_YET_VALID, "a second before 2026-01-01");
    assert_eq!(f.verify(AT), PIN_OK);
}

#[test]
fn one_changed_byte_misses_the_cache() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    // Flip a byte of the leaf's signature: same slot, same lengths, but not the same chain.
    let mut tampered = f.certs.clone();
    let last = tampered[0].len() - 1;
    tampered[0][last] ^= 1;
    assert_eq!(f.verify_at(&tampered, AT), PIN_ERR_INVALID_CHAIN);
    // A chain with the intermediate missing, or another host, is not the cached one either.
    assert_eq!(f.verify_at(&f.certs[..1], AT), PIN_ERR_UNKNOWN_ISSUER);
    let other = CString::new("www.example.com").unwrap();
    let chain: Vec<pin_bytes> =
        f.certs.iter().map(|c| pin_bytes { data: c.as_ptr(), len: c.len() }).collect();
    // SAFETY: as in verify_at.
    let code =
        unsafe { pin_verify_chain_at(f.store, chain.as_ptr(), chain.len(), other.as_ptr(), AT) };
    assert_eq!(code, PIN_OK, "www.example.com is not pinned and the leaf names it");
}

#[test]
fn a_warning_date_ends_the_cached_verdict() {
    let f = Fixture::new();
    let pins = [pin_of(&f.certs[1]), CString::new(BACKUP).unwrap()];
    let ptrs: Vec<*const c_char> = pins.iter().map(|p| p.as_ptr()).collect();
    let options = pin_domain_options { flags: 0, expires_at: AT + 200, warn_after: AT + 100 };
    // SAFETY: live store, two pins, options.
    let code =
        unsafe { pin_store_set_domain(f.store, f.host.as_ptr(), ptrs.as_ptr(), 2, &options) };
    assert_eq!(code, PIN_OK);
    assert_eq!(f.verify(AT), PIN_OK);
    // After the warning date the full verdict carries a warning; the cache must not answer
    // for it (the detailed call shows the flag).
    let chain: Vec<pin_bytes> =
        f.certs.iter().map(|c| pin_bytes { data: c.as_ptr(), len: c.len() }).collect();
    let mut verdict = std::mem::MaybeUninit::<pin_verdict>::uninit();
    // SAFETY: as above, with a writable verdict.
    let code = unsafe {
        pin_verify_chain_detailed(
            f.store,
            chain.as_ptr(),
            chain.len(),
            f.host.as_ptr(),
            443,
            AT + 150,
            verdict.as_mut_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    assert_eq!(code, PIN_OK);
    // SAFETY: written by the call.
    assert_eq!(unsafe { verdict.assume_init() }.flags, PIN_VERDICT_PINS_EXPIRING);
}

#[test]
fn the_cache_can_be_turned_off() {
    let f = Fixture::new();
    // SAFETY: live store.
    unsafe {
        assert_eq!(pin_store_set_verdict_cache(f.store, 0), PIN_OK);
        assert_eq!(pin_store_set_verdict_cache(f.store, 2), PIN_ERR_INVALID_ARGUMENT);
        assert_eq!(pin_store_set_verdict_cache(std::ptr::null_mut(), 1), PIN_ERR_NULL_ARGUMENT);
    }
    assert_eq!(f.verify(AT), PIN_OK);
    assert_eq!(f.verify(AT), PIN_OK);
}

#[test]
fn a_warm_verification_is_much_faster_than_a_cold_one() {
    let f = Fixture::new();
    let time = |f: &Fixture| {
        let start = std::time::Instant::now();
        for _ in 0..50 {
            assert_eq!(f.verify(AT), PIN_OK);
        }
        start.elapsed()
    };
    let warm = time(&f);
    // SAFETY: live store.
    assert_eq!(unsafe { pin_store_set_verdict_cache(f.store, 0) }, PIN_OK);
    let cold = time(&f);
    // The benches measure the real ratio (hundreds); this only proves the cache is used.
    assert!(cold > warm * 10, "cold {cold:?} vs warm {warm:?}");
}
