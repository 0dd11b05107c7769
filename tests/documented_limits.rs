//! The README's limits that `tests/limits.rs` does not reach, each at and past its value
//! through the C API: `CERTPIN_MAX_PATTERNS` host patterns through `pin_store_add`,
//! `CERTPIN_MAX_TIME` for expiry and warning dates, and the `CERTPIN_REPORT_MEMORY` reports
//! remembered for holding back duplicates. Past a limit a call fails with the documented code
//! and changes nothing.

mod common;

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use certpin::*;
use common::*;

/// The store's document and generation: what "changes nothing" compares.
fn state(store: &Store) -> (String, u64) {
    let mut needed = 0usize;
    // SAFETY: a live store; a NULL buffer asks for the size.
    unsafe { pin_store_export_policy(store.ptr(), std::ptr::null_mut(), 0, &mut needed) };
    let mut out = vec![0 as c_char; needed];
    // SAFETY: a buffer of the size asked for.
    let code =
        unsafe { pin_store_export_policy(store.ptr(), out.as_mut_ptr(), needed, &mut needed) };
    expect(code, PIN_OK, "pin_store_export_policy");
    // SAFETY: NUL-terminated on success.
    let text = unsafe { std::ffi::CStr::from_ptr(out.as_ptr()) }.to_str().unwrap().to_owned();
    let mut generation = 0;
    // SAFETY: a live store and a writable u64.
    expect(unsafe { pin_store_policy_generation(store.ptr(), &mut generation) }, PIN_OK, "gen");
    (text, generation)
}

fn load(store: &Store, json: &str) {
    // SAFETY: a live store, a readable document, no error buffer.
    let code = unsafe {
        pin_store_load_policy(store.ptr(), json.as_ptr(), json.len(), std::ptr::null_mut(), 0)
    };
    expect(code, PIN_OK, "pin_store_load_policy");
}

/// `CERTPIN_MAX_PATTERNS` counts host patterns of every kind (exact, `*.`, `**.`), not calls
/// or pins: the last pattern is accepted, one more is refused, and a pattern the store has
/// still takes pins.
#[test]
fn pattern_count_at_and_past_the_limit_through_pin_store_add() {
    let store = Store::new();
    // Quickly to one pattern below the limit: one document (two pins per domain, a backup).
    let domains: Vec<String> = (0..CERTPIN_MAX_PATTERNS - 1)
        .map(|i| {
            format!(r#""d{i}.example.org": {{"pins": ["{UNRELATED_PIN}", "{UNRELATED_PIN_2}"]}}"#)
        })
        .collect();
    load(&store, &format!(r#"{{"certpin_policy": 1, "domains": {{{}}}}}"#, domains.join(",")));
    // The last pattern allowed, a one-label wildcard: 10000 patterns, 19999 pins.
    let pin = |n: u8| format!("sha256/{}{}=", (b'B' + n) as char, "A".repeat(42));
    expect(store.add("*.last.example.org", &pin(0)), PIN_OK, "pattern 10000");
    let full = state(&store);
    // One more pattern of each kind is refused (with one pin the store would still be under
    // CERTPIN_MAX_PINS: the pattern count alone refuses it), and nothing changes.
    for pattern in ["one-more.example.org", "*.one-more.example.org", "**.one-more.example.org"] {
        expect(store.add(pattern, &pin(1)), PIN_ERR_INVALID_ARGUMENT, pattern);
        assert_eq!(state(&store), full, "{pattern}: the store is unchanged");
    }
    // A pattern the store has takes another pin: 20000 pins, still 10000 patterns.
    expect(store.add("d0.example.org", &pin(2)), PIN_OK, "a pin under an existing pattern");
    expect(store.add("*.last.example.org", &pin(3)), PIN_ERR_INVALID_ARGUMENT, "pin 20001");
}

fn set_dates(store: &Store, expires_at: u64, warn_after: u64) -> u32 {
    let pins = [cstring(UNRELATED_PIN), cstring(UNRELATED_PIN_2)];
    let ptrs: Vec<*const c_char> = pins.iter().map(|p| p.as_ptr()).collect();
    let options = pin_domain_options { flags: 0, expires_at, warn_after };
    let pattern = cstring("api.example.com");
    // SAFETY: a live store, two NUL-terminated pins, options.
    unsafe { pin_store_set_domain(store.ptr(), pattern.as_ptr(), ptrs.as_ptr(), 2, &options) }
}

/// `CERTPIN_MAX_TIME` (9999-12-31T23:59:59Z) is the last date accepted for an expiry or a
/// warning; the export writes it and reads it back; a second later is refused.
#[test]
fn dates_at_and_past_max_time() {
    assert_eq!(CERTPIN_MAX_TIME, 253_402_300_799, "9999-12-31T23:59:59Z");
    let store = Store::new();
    expect(set_dates(&store, CERTPIN_MAX_TIME, CERTPIN_MAX_TIME), PIN_OK, "both at the limit");
    expect(set_dates(&store, 0, CERTPIN_MAX_TIME), PIN_OK, "a warning at the limit, no expiry");
    expect(set_dates(&store, CERTPIN_MAX_TIME, CERTPIN_MAX_TIME - 1), PIN_OK, "at the limit");
    let at_limit = state(&store);
    assert!(at_limit.0.contains("9999-12-31T23:59:59Z"), "{}", at_limit.0);
    let copy = Store::new();
    load(&copy, &at_limit.0);
    assert_eq!(state(&copy).0, at_limit.0, "the export loads back to the same dates");
    for (expires_at, warn_after) in
        [(CERTPIN_MAX_TIME + 1, 0), (0, CERTPIN_MAX_TIME + 1), (u64::MAX, 0), (0, u64::MAX)]
    {
        let what = format!("expires_at {expires_at}, warn_after {warn_after}");
        expect(set_dates(&store, expires_at, warn_after), PIN_ERR_INVALID_ARGUMENT, &what);
        assert_eq!(state(&store), at_limit, "{what}: the store is unchanged");
    }
}

/// Counts the reports delivered to it; `userdata` is an `AtomicUsize`.
unsafe extern "C" fn count_report(userdata: *mut c_void, _report: *const c_char, _len: usize) {
    // SAFETY: the test passes a pointer to an AtomicUsize that outlives the store's use of it.
    unsafe { &*userdata.cast::<AtomicUsize>() }.fetch_add(1, Ordering::SeqCst);
}

/// A MITM verification for `api.example.com` on `port` at `time`: a pin failure, each port a
/// distinct report.
fn fail_on_port(store: &Store, port: u16, time: u64) -> u32 {
    let mitm = testdata("mitm-leaf.der");
    let entries = pin_bytes_of(&[&mitm]);
    let host = cstring("api.example.com");
    let mut verdict = std::mem::MaybeUninit::<pin_verdict>::uninit();
    // SAFETY: a live store, one entry pointing at a live certificate, a NUL-terminated host, a
    // writable verdict.
    let code = unsafe {
        pin_verify_chain_detailed(
            store.ptr(),
            entries.as_ptr(),
            entries.len(),
            host.as_ptr(),
            port,
            time,
            verdict.as_mut_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    expect(code, PIN_ERR_PIN_MISMATCH, &format!("port {port}"));
    code
}

/// The log of delivered reports holds `CERTPIN_REPORT_MEMORY` (1024) reports: a repeat of any
/// of 1024 recent reports is held back; the 1025th distinct report makes it forget the oldest
/// one (delivered again), and only that one.
#[test]
fn the_report_log_remembers_report_memory_reports() {
    assert_eq!(CERTPIN_REPORT_MEMORY, 1024);
    let store = Store::with_anchors(&[&testdata("root-ca.der"), &testdata("rogue-ca.der")]);
    store.pin("api.example.com", &pin_of(&testdata("intermediate-ca.der")));
    store.pin("api.example.com", UNRELATED_PIN);
    let delivered = AtomicUsize::new(0);
    let userdata = std::ptr::from_ref(&delivered).cast_mut().cast::<c_void>();
    // SAFETY: a live store; the callback is removed below, while the counter is alive.
    let code = unsafe { pin_store_set_report_callback(store.ptr(), Some(count_report), userdata) };
    expect(code, PIN_OK, "pin_store_set_report_callback");
    let count = || delivered.load(Ordering::SeqCst);
    let memory = CERTPIN_REPORT_MEMORY as u16;
    // Ports 1..=1024, one second apart: 1024 distinct reports, all delivered.
    let mut time = T;
    for port in 1..=memory {
        fail_on_port(&store, port, time);
        time += 1;
    }
    assert_eq!(count(), 1024);
    // Every one of them is remembered: repeats are held back.
    for port in [1, 2, 512, memory] {
        fail_on_port(&store, port, time);
    }
    assert_eq!(count(), 1024, "a full memory holds all 1024");
    // The 1025th distinct report is delivered, and the oldest (port 1) is forgotten.
    fail_on_port(&store, memory + 1, time);
    assert_eq!(count(), 1025);
    fail_on_port(&store, 2, time);
    assert_eq!(count(), 1025, "port 2 is still remembered: only one was forgotten");
    fail_on_port(&store, 1, time);
    assert_eq!(count(), 1026, "port 1 was forgotten and is delivered again");
    // SAFETY: a live store; NULL removes the callback before the counter goes away.
    let code = unsafe { pin_store_set_report_callback(store.ptr(), None, std::ptr::null_mut()) };
    expect(code, PIN_OK, "removing the callback");
}
