//! The verdict cache answers only what a full verification would. Every test here reads
//! through `pin_verify_chain_at`, the call the cache answers, and compares with what the
//! cache must not change: the code a full verification gives (a store with the cache off is
//! the oracle). Whether an answer came from the cache is observed by counting allocations: a
//! cached answer allocates nothing, a full verification allocates (see
//! `tests/warm_path_allocations.rs`).
//!
//! The probes that must miss (another byte, another host spelling, one certificate fewer) are
//! found in the *same slot* as the cached entry, so that the cache's byte comparison is what
//! refuses them, not an empty slot. Slots are found through `certpin::cache::VerdictCache`
//! itself: a probe is in the same slot when remembering it evicts the entry.

mod common;
#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::ffi::c_char;

use certpin::cache::{VerdictCache, Window};
use certpin::*;
use common::*;
use counting_alloc::counted;

/// 2027-01-01, inside the samples' validity (2026-01-01 .. 2046-01-01).
const AT: u64 = 1_798_761_600;
const HOST: &str = "api.example.com";

/// The samples' chain (leaf, intermediate), its root and a store pinning the intermediate.
struct Fixture {
    store: Store,
    certs: Vec<Vec<u8>>,
}

impl Fixture {
    fn new() -> Self {
        Self::with_cache(true)
    }

    fn with_cache(enabled: bool) -> Self {
        let store = Store::with_anchors(&[&testdata("root-ca.der")]);
        let certs = vec![testdata("leaf.der"), testdata("intermediate-ca.der")];
        store.pin(HOST, &pin_of(&certs[1]));
        set_cache(&store, enabled);
        Self { store, certs }
    }

    fn chain(&self) -> Vec<&[u8]> {
        self.certs.iter().map(Vec::as_slice).collect()
    }

    /// `pin_verify_chain_at` for the fixture's chain and host.
    fn verify(&self, time: u64) -> u32 {
        verify(&self.store, &self.chain(), HOST, time)
    }
}

fn set_cache(store: &Store, enabled: bool) {
    // SAFETY: a live store.
    expect(unsafe { pin_store_set_verdict_cache(store.ptr(), enabled.into()) }, PIN_OK, "cache");
}

/// `pin_verify_chain_at`, and whether the answer came from the cache (no allocation).
fn verify_counted(store: &Store, chain: &[&[u8]], host: &str, time: u64) -> (u32, bool) {
    // The arguments are made outside the counted call.
    let host = cstring(host);
    let entries = pin_bytes_of(chain);
    let (code, allocations) = counted(|| {
        // SAFETY: a live store, `entries.len()` entries pointing at live certificates, a
        // NUL-terminated host.
        unsafe {
            pin_verify_chain_at(store.ptr(), entries.as_ptr(), entries.len(), host.as_ptr(), time)
        }
    });
    (code, allocations == 0)
}

/// `pin_store_set_domain(store, pattern, pins, options)`.
fn set_domain(store: &Store, pattern: &str, pins: &[&str], options: &pin_domain_options) {
    let pattern = cstring(pattern);
    let pins: Vec<_> = pins.iter().map(|pin| cstring(pin)).collect();
    let ptrs: Vec<*const c_char> = pins.iter().map(|pin| pin.as_ptr()).collect();
    // SAFETY: a live store, `ptrs.len()` NUL-terminated pins, options.
    let code = unsafe {
        pin_store_set_domain(store.ptr(), pattern.as_ptr(), ptrs.as_ptr(), ptrs.len(), options)
    };
    expect(code, PIN_OK, "pin_store_set_domain");
}

/// The detailed verdict's flags (the detailed call never reads the cache).
fn verdict_flags(store: &Store, chain: &[&[u8]], time: u64) -> (u32, u32) {
    let entries = pin_bytes_of(chain);
    let host = cstring(HOST);
    let mut verdict = std::mem::MaybeUninit::<pin_verdict>::uninit();
    // SAFETY: as in verify_counted, with a writable verdict and no explanation buffer.
    let code = unsafe {
        pin_verify_chain_detailed(
            store.ptr(),
            entries.as_ptr(),
            entries.len(),
            host.as_ptr(),
            443,
            time,
            verdict.as_mut_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    expect(code, PIN_OK, "pin_verify_chain_detailed");
    // SAFETY: written by the call on success.
    (code, unsafe { verdict.assume_init() }.flags)
}

#[test]
fn a_store_change_invalidates_cached_verdicts() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    assert_eq!(verify_counted(&f.store, &f.chain(), HOST, AT), (PIN_OK, true), "cached");
    // Replace the pins with ones the chain does not hold: the cached PIN_OK must not answer.
    set_domain(
        &f.store,
        HOST,
        &[UNRELATED_PIN, UNRELATED_PIN_2],
        &pin_domain_options { flags: 0, expires_at: 0, warn_after: 0 },
    );
    assert_eq!(f.verify(AT), PIN_ERR_PIN_MISMATCH);
    assert_eq!(f.verify(AT), PIN_ERR_PIN_MISMATCH, "failures are never cached as successes");
}

#[test]
fn a_time_outside_the_validity_windows_misses_the_cache() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    // The first and the last second of the window are inside it, and answered from the cache.
    assert_eq!(verify_counted(&f.store, &f.chain(), HOST, NOT_AFTER), (PIN_OK, true));
    assert_eq!(verify_counted(&f.store, &f.chain(), HOST, NOT_BEFORE), (PIN_OK, true));
    assert_eq!(f.verify(NOT_AFTER + 1), PIN_ERR_EXPIRED);
    assert_eq!(f.verify(NOT_BEFORE - 1), PIN_ERR_NOT_YET_VALID);
    assert_eq!(verify_counted(&f.store, &f.chain(), HOST, AT), (PIN_OK, true));
}

/// The cache window is the intersection of every certificate's validity, not the leaf's
/// alone: an intermediate (or leaf) that expires, or starts, inside the others' validity ends
/// the cached verdict exactly there.
#[test]
fn every_certificate_of_the_chain_bounds_the_cached_verdict() {
    let (early, late) = (T - 1000, T + 1000);
    // (what, intermediate validity, leaf validity, the time the window ends, its code there)
    let cases = [
        ("intermediate expires first", (NOT_BEFORE, late), (NOT_BEFORE, NOT_AFTER)),
        ("leaf expires first", (NOT_BEFORE, NOT_AFTER), (NOT_BEFORE, late)),
        ("intermediate starts last", (early, NOT_AFTER), (NOT_BEFORE, NOT_AFTER)),
        ("leaf starts last", (NOT_BEFORE, NOT_AFTER), (early, NOT_AFTER)),
    ];
    for (what, (int_from, int_until), (leaf_from, leaf_until)) in cases {
        let root = Pki::root("Cache Root").self_signed();
        let intermediate =
            Pki::intermediate("Cache Intermediate").valid(int_from, int_until).signed_by(&root);
        let leaf = Pki::leaf(&[HOST]).valid(leaf_from, leaf_until).signed_by(&intermediate);
        let chain = [leaf.der(), intermediate.der()];
        let store = Store::with_anchors(&[root.der()]);
        store.pin(HOST, &intermediate.pin());
        let oracle = Store::with_anchors(&[root.der()]);
        oracle.pin(HOST, &intermediate.pin());
        set_cache(&oracle, false);

        assert_eq!(verify(&store, &chain, HOST, T), PIN_OK, "{what}");
        assert_eq!(verify_counted(&store, &chain, HOST, T), (PIN_OK, true), "{what}: cached");
        let (from, until) = (int_from.max(leaf_from), int_until.min(leaf_until));
        assert_eq!(verify_counted(&store, &chain, HOST, from), (PIN_OK, true), "{what}");
        assert_eq!(verify_counted(&store, &chain, HOST, until), (PIN_OK, true), "{what}");
        for (time, code) in [(from - 1, PIN_ERR_NOT_YET_VALID), (until + 1, PIN_ERR_EXPIRED)] {
            expect(verify(&oracle, &chain, HOST, time), code, &format!("{what}: full, at {time}"));
            expect(verify(&store, &chain, HOST, time), code, &format!("{what}: cached, at {time}"));
        }
    }
}

/// A pin set's warning and expiry dates change the verdict's notes (the result stays
/// `PIN_OK`), and only note-free verdicts are cached: a verification on or after either date
/// is checked in full, never answered by a verdict cached before it.
#[test]
fn a_warning_or_expiry_date_ends_the_cached_verdict() {
    let dated = |warn_after, expires_at| pin_domain_options { flags: 0, expires_at, warn_after };
    // (options, the first second a full verdict carries a note, that note)
    let cases = [
        (dated(AT + 100, AT + 200), AT + 100, PIN_VERDICT_PINS_EXPIRING),
        (dated(0, AT + 200), AT + 200, PIN_VERDICT_PINS_EXPIRED),
    ];
    for (options, date, note) in cases {
        let f = Fixture::new();
        let pins = [pin_of(&f.certs[1]), UNRELATED_PIN.to_owned()];
        set_domain(&f.store, HOST, &[&pins[0], &pins[1]], &options);
        let chain = f.chain();
        assert_eq!(f.verify(AT), PIN_OK);
        assert_eq!(verify_counted(&f.store, &chain, HOST, date - 1), (PIN_OK, true), "cached");
        for time in [date, date, AT + 300] {
            assert_eq!(
                verify_counted(&f.store, &chain, HOST, time),
                (PIN_OK, false),
                "at {time}, on or after the date {date}: checked in full"
            );
        }
        assert_eq!(verdict_flags(&f.store, &chain, date).1 & note, note);
        assert_eq!(verdict_flags(&f.store, &chain, date - 1), (PIN_OK, 0));
    }
}

#[test]
fn the_cache_can_be_turned_off_and_on() {
    let f = Fixture::new();
    // SAFETY: a live store, or NULL.
    unsafe {
        assert_eq!(pin_store_set_verdict_cache(f.store.ptr(), 2), PIN_ERR_INVALID_ARGUMENT);
        assert_eq!(pin_store_set_verdict_cache(std::ptr::null_mut(), 1), PIN_ERR_NULL_ARGUMENT);
    }
    let chain = f.chain();
    assert_eq!(verify_counted(&f.store, &chain, HOST, AT), (PIN_OK, false), "cold");
    assert_eq!(verify_counted(&f.store, &chain, HOST, AT), (PIN_OK, true), "on: cached");
    set_cache(&f.store, false);
    for _ in 0..3 {
        assert_eq!(verify_counted(&f.store, &chain, HOST, AT), (PIN_OK, false), "off: in full");
    }
    set_cache(&f.store, true);
    assert_eq!(verify_counted(&f.store, &chain, HOST, AT), (PIN_OK, true), "on again");
    // A store made with the cache off never fills it.
    let off = Fixture::with_cache(false);
    for _ in 0..3 {
        assert_eq!(verify_counted(&off.store, &off.chain(), HOST, AT), (PIN_OK, false));
    }
}

// ---------------------------------------------------------------------------------------------
// Probes in the cached entry's own slot

/// Whether `probe` (host, chain) lands in the slot of `cached`: remembering the probe evicts
/// the cached entry exactly then.
fn same_slot(cached: (&str, &[&[u8]]), probe: (&str, &[&[u8]])) -> bool {
    let cache = VerdictCache::default();
    let always = Window { from: 0, until: u64::MAX };
    cache.remember(0, cached.0, cached.1, always);
    assert!(cache.holds(0, cached.0, cached.1, AT));
    cache.remember(0, probe.0, probe.1, always);
    !cache.holds(0, cached.0, cached.1, AT)
}

/// Checks that `probe`, in the slot of the fixture's cached chain, gets the code a full
/// verification gives (never the cached `PIN_OK`), and that the cached entry still answers.
fn assert_probe_misses(f: &Fixture, host: &str, chain: &[&[u8]], what: &str) {
    assert!(same_slot((HOST, &f.chain()), (host, chain)), "{what}: not in the same slot");
    let oracle = Fixture::with_cache(false);
    let full = verify(&oracle.store, chain, host, AT);
    assert_ne!(full, PIN_OK, "{what}: the probe must be one a full verification refuses");
    assert_eq!(verify_counted(&f.store, &f.chain(), HOST, AT), (PIN_OK, true), "{what}");
    expect(verify(&f.store, chain, host, AT), full, what);
    expect(verify(&f.store, chain, host, AT), full, &format!("{what}, again"));
}

/// Finds the first certificate of `certs` changed in one byte (the byte XOR 1..=255, at each
/// of its last 64 positions from the end: 16320 candidates) that lands in the slot of the
/// unchanged chain.
fn one_byte_off_in_the_same_slot(certs: &[Vec<u8>], which: usize) -> Vec<Vec<u8>> {
    let original: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let len = certs[which].len();
    for position in (len - 64..len).rev() {
        for flip in 1..=255u8 {
            let mut changed = certs.to_vec();
            changed[which][position] ^= flip;
            let probe: Vec<&[u8]> = changed.iter().map(Vec::as_slice).collect();
            if same_slot((HOST, &original), (HOST, &probe)) {
                return changed;
            }
        }
    }
    panic!("no one-byte change of certificate {which} lands in the cached slot");
}

#[test]
fn one_changed_byte_in_the_same_slot_misses_the_cache() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    for which in [0, 1] {
        let changed = one_byte_off_in_the_same_slot(&f.certs, which);
        let differing =
            (0..f.certs[which].len()).filter(|&i| changed[which][i] != f.certs[which][i]).count();
        assert_eq!(differing, 1);
        let probe: Vec<&[u8]> = changed.iter().map(Vec::as_slice).collect();
        assert_probe_misses(&f, HOST, &probe, &format!("certificate {which}, one byte changed"));
    }
}

#[test]
fn one_changed_host_byte_in_the_same_slot_misses_the_cache() {
    let f = Fixture::new();
    assert_eq!(f.verify(AT), PIN_OK);
    let chain = f.chain();
    // Any ASCII byte but NUL and upper case (another spelling of the same, pinned, name).
    let hosts = (0..HOST.len()).flat_map(|position| {
        (1..=0x7fu8).filter(|b| !b.is_ascii_uppercase()).map(move |byte| {
            let mut host = HOST.as_bytes().to_vec();
            host[position] = byte;
            String::from_utf8(host).unwrap()
        })
    });
    let host = hosts
        .filter(|host| host != HOST)
        .find(|host| same_slot((HOST, &chain), (host, &chain)))
        .expect("a one-byte change of the host lands in the cached slot");
    assert_probe_misses(&f, &host, &chain, &format!("host {host:?}"));
}

/// A chain that is the cached one minus its last certificate, in the cached slot: the lengths
/// of the certificates it has agree, so only the count tells them apart. The host spellings
/// (case, trailing dot) are one pinned name, each its own cache key: one of them puts both
/// chains in one slot.
#[test]
fn a_chain_with_a_certificate_fewer_in_the_same_slot_misses_the_cache() {
    let certs = [testdata("leaf.der"), testdata("intermediate-ca.der")];
    let full: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    let shorter = &full[..1];
    let letters: Vec<usize> =
        HOST.bytes().enumerate().filter(|(_, b)| b.is_ascii_lowercase()).map(|(i, _)| i).collect();
    let mut spellings = (0..1u32 << letters.len()).flat_map(|mask| {
        let mut host = HOST.as_bytes().to_vec();
        for (bit, &i) in letters.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                host[i] = host[i].to_ascii_uppercase();
            }
        }
        let host = String::from_utf8(host).unwrap();
        [format!("{host}."), host]
    });
    let host = spellings
        .find(|host| same_slot((host, &full), (host, shorter)))
        .expect("a spelling puts the chain and the chain minus one certificate in one slot");

    let store = Store::with_anchors(&[&testdata("root-ca.der")]);
    store.pin(HOST, &pin_of(&certs[1]));
    assert_eq!(verify(&store, &full, &host, AT), PIN_OK, "{host}");
    assert_eq!(verify_counted(&store, &full, &host, AT), (PIN_OK, true), "{host}: cached");
    expect(verify(&store, shorter, &host, AT), PIN_ERR_UNKNOWN_ISSUER, &host);
}

/// The cache holds many verdicts: a chain cached for another spelling of the host, in
/// another slot, leaves the first cached (both are answered without a full verification).
#[test]
fn verdicts_in_other_slots_stay_cached_side_by_side() {
    let f = Fixture::new();
    let chain = f.chain();
    let other = ["API.example.com", "Api.example.com", "aPi.example.com", "api.example.com."]
        .into_iter()
        .find(|host| !same_slot((HOST, &chain), (host, &chain)))
        .expect("a spelling in another slot");
    assert_eq!(f.verify(AT), PIN_OK);
    assert_eq!(verify(&f.store, &chain, other, AT), PIN_OK);
    assert_eq!(verify_counted(&f.store, &chain, HOST, AT), (PIN_OK, true), "{HOST}");
    assert_eq!(verify_counted(&f.store, &chain, other, AT), (PIN_OK, true), "{other}");
}

/// The longest chain certpin takes (`CERTPIN_MAX_CHAIN_LEN` certificates: the genuine chain
/// with its intermediate sent again and again) is cached like any other.
#[test]
fn a_chain_of_the_most_certificates_is_cached() {
    let f = Fixture::new();
    let mut chain = f.chain();
    chain.resize(CERTPIN_MAX_CHAIN_LEN, chain[1]);
    assert_eq!(verify(&f.store, &chain, HOST, AT), PIN_OK);
    assert_eq!(verify_counted(&f.store, &chain, HOST, AT), (PIN_OK, true));
}
