//! One store shared by raw pointer between threads, as C callers share it: verifications
//! running while pins and anchors are added must keep giving the expected verdicts, every
//! change must land, and a host that becomes pinned stays pinned.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use certpin::*;
use common::*;

const HOST: &str = "api.example.com";
/// Pinned only part-way through the run.
const LATE: &str = "late.example.net";
/// Never pinned, by any pattern.
const FREE: &str = "free.example.org";
const READERS: usize = 4;
/// Each reader runs at least this many rounds, and stops after [`RUN_FOR`] once it has.
const MIN_ROUNDS: usize = 50;
const RUN_FOR: Duration = Duration::from_millis(1500);

struct Fixture {
    genuine: Hierarchy,
    rogue: Cert,
    mitm: Cert,
    /// More roots for the writer to add while readers run.
    extra_roots: Vec<Cert>,
    /// A leaf valid for every name under example.net, for the many-writers test.
    wildcard: Hierarchy,
    /// The rogue root's leaf for every name under example.net.
    mitm_wildcard: Cert,
}

fn fx() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let names = [HOST, "www.example.com", LATE, FREE];
        let genuine = Hierarchy::new("Genuine", &names);
        let rogue = Pki::root("Rogue Proxy CA").self_signed();
        let mitm = Pki::leaf(&names).cn("MITM Leaf").signed_by(&rogue);
        let extra_roots =
            (0..24).map(|i| Pki::root(&format!("Extra Root {i}")).self_signed()).collect();
        let wildcard = Hierarchy::new("Wildcard", &["*.example.net"]);
        let mitm_wildcard = Pki::leaf(&["*.example.net"]).cn("MITM Wildcard").signed_by(&rogue);
        Fixture { genuine, rogue, mitm, extra_roots, wildcard, mitm_wildcard }
    })
}

#[test]
fn verdicts_hold_while_pins_and_anchors_are_added() {
    let f = fx();
    let store = Store::with_anchors(&[f.genuine.root.der(), f.rogue.der()]);
    store.pin(HOST, &f.genuine.intermediate.pin());
    let shared = SharedStore(store.ptr());
    let done = AtomicBool::new(false);
    let late_pinned = AtomicBool::new(false);
    let rounds = AtomicUsize::new(0);
    let start = Barrier::new(READERS + 1);
    let genuine: Vec<&[u8]> = f.genuine.chain().to_vec();
    let mitm: Vec<&[u8]> = vec![f.mitm.der(), f.genuine.intermediate.der()];

    thread::scope(|scope| {
        for reader in 0..READERS {
            let (genuine, mitm) = (&genuine, &mitm);
            let (done, late_pinned, rounds, start) = (&done, &late_pinned, &rounds, &start);
            scope.spawn(move || {
                let store = shared;
                let check = |chain: &[&[u8]], host: &str, want: u32, what: &str| {
                    let code = verify_ptr(store.0, chain, &cstring(host), T);
                    expect(code, want, &format!("reader {reader}: {what}"));
                };
                start.wait();
                let began = Instant::now();
                let mut round = 0;
                let mut saw_late_pinned = false;
                while round < MIN_ROUNDS
                    || (began.elapsed() < RUN_FOR && !done.load(Ordering::Relaxed))
                {
                    check(genuine, HOST, PIN_OK, "genuine chain, pinned host");
                    check(mitm, HOST, PIN_ERR_PIN_MISMATCH, "MITM chain, pinned host");
                    check(mitm, FREE, PIN_OK, "MITM chain, host never pinned");
                    check(genuine, LATE, PIN_OK, "genuine chain, late host");
                    // The late host's pin is the genuine root: before it is added the MITM
                    // chain passes, afterwards it never does again.
                    let pinned_before = late_pinned.load(Ordering::Acquire);
                    let code = verify_ptr(store.0, mitm, &cstring(LATE), T);
                    if pinned_before || saw_late_pinned {
                        expect(code, PIN_ERR_PIN_MISMATCH, &format!("reader {reader}: late host"));
                    } else {
                        assert!(
                            code == PIN_OK || code == PIN_ERR_PIN_MISMATCH,
                            "reader {reader}: late host, {}",
                            name_of(code)
                        );
                    }
                    saw_late_pinned |= code == PIN_ERR_PIN_MISMATCH;
                    round += 1;
                }
                rounds.fetch_add(round, Ordering::Relaxed);
            });
        }

        // The writer: pins for other hosts and for less specific patterns over the pinned
        // host (which must not apply to it), new anchors, and the late host's pin part-way through.
        start.wait();
        let _stop = StopOnDrop(&done);
        let began = Instant::now();
        let mut step = 0;
        while began.elapsed() < RUN_FOR / 2 || step < 100 {
            expect(
                store.add(&format!("host{step}.example.org"), UNRELATED_PIN),
                PIN_OK,
                "pin for another host",
            );
            if step % 10 == 0 {
                store.pin("**.example.com", UNRELATED_PIN);
                store.pin("*.example.com", UNRELATED_PIN_2);
                store.pin("**.com", UNRELATED_PIN);
                store.pin(HOST, &f.genuine.leaf.pin()); // a backup pin on the same path
            }
            if let Some(root) = f.extra_roots.get(step / 4) {
                expect(store.add_anchor(root.der()), PIN_OK, "extra anchor");
            }
            if !late_pinned.load(Ordering::Relaxed) && began.elapsed() >= RUN_FOR / 4 {
                store.pin(LATE, &f.genuine.root.pin());
                late_pinned.store(true, Ordering::Release);
            }
            step += 1;
        }
    });

    assert!(late_pinned.load(Ordering::Relaxed));
    assert!(rounds.load(Ordering::Relaxed) >= READERS * MIN_ROUNDS);
    // After the run: every change is there.
    let genuine: Vec<&[u8]> = f.genuine.chain().to_vec();
    expect(verify(&store, &mitm, LATE, T), PIN_ERR_PIN_MISMATCH, "late host, after");
    expect(verify(&store, &genuine, "www.example.com", T), PIN_ERR_PIN_MISMATCH, "*.example.com");
    for root in &f.extra_roots {
        let leaf = Pki::leaf(&["extra.example.org"]).signed_by(root);
        expect(verify(&store, &[leaf.der()], "extra.example.org", T), PIN_OK, "extra anchor");
    }
}

#[test]
fn concurrent_writers_lose_no_change() {
    let f = fx();
    let store = Store::with_anchors(&[f.wildcard.root.der()]);
    let shared = SharedStore(store.ptr());
    const WRITERS: usize = 4;
    const EACH: usize = 40;
    let start = Barrier::new(WRITERS);
    thread::scope(|scope| {
        for writer in 0..WRITERS {
            let start = &start;
            scope.spawn(move || {
                let store = shared;
                start.wait();
                for i in 0..EACH {
                    let pattern = cstring(&format!("w{writer}-{i}.example.net"));
                    let pin = cstring(UNRELATED_PIN);
                    // SAFETY: the store outlives the scope; the strings are NUL-terminated.
                    let code = unsafe { pin_store_add(store.0, pattern.as_ptr(), pin.as_ptr()) };
                    expect(code, PIN_OK, "concurrent pin_store_add");
                }
            });
        }
    });
    // Every host got its (unrelated) pin: each is now a mismatch; a host no writer touched is not.
    let chain = f.wildcard.chain();
    for writer in 0..WRITERS {
        for i in 0..EACH {
            let host = format!("w{writer}-{i}.example.net");
            expect(verify(&store, &chain, &host, T), PIN_ERR_PIN_MISMATCH, &host);
        }
    }
    expect(verify(&store, &chain, "untouched.example.net", T), PIN_OK, "untouched host");
}

#[test]
fn concurrent_anchor_writers_lose_no_anchor() {
    let f = fx();
    let store = Store::new();
    let shared = SharedStore(store.ptr());
    let start = Barrier::new(f.extra_roots.len());
    thread::scope(|scope| {
        for root in &f.extra_roots {
            let start = &start;
            scope.spawn(move || {
                let store = shared;
                start.wait();
                let der = root.der();
                // SAFETY: the store outlives the scope; `der.len()` readable bytes.
                let code = unsafe { pin_store_add_trust_anchor(store.0, der.as_ptr(), der.len()) };
                expect(code, PIN_OK, "concurrent pin_store_add_trust_anchor");
            });
        }
    });
    for root in &f.extra_roots {
        let leaf = Pki::leaf(&["extra.example.org"]).signed_by(root);
        expect(verify(&store, &[leaf.der()], "extra.example.org", T), PIN_OK, "anchor landed");
    }
}

#[test]
fn explanations_are_consistent_under_concurrent_use() {
    let f = fx();
    let store = Store::with_anchors(&[f.genuine.root.der(), f.rogue.der()]);
    store.pin(HOST, &f.genuine.root.pin());
    let shared = SharedStore(store.ptr());
    let mitm: Vec<&[u8]> = vec![f.mitm.der()];
    let rogue_pin = f.rogue.pin();
    thread::scope(|scope| {
        for _ in 0..READERS {
            let (mitm, rogue_pin) = (&mitm, &rogue_pin);
            scope.spawn(move || {
                let store = shared;
                for _ in 0..MIN_ROUNDS {
                    let entries = pin_bytes_of(mitm);
                    let host = cstring(HOST);
                    let mut buffer = vec![0u8; 4096];
                    // SAFETY: a live store, live chain, NUL-terminated host, 4096-byte buffer.
                    let code = unsafe {
                        pin_verify_chain_explain_at(
                            store.0,
                            entries.as_ptr(),
                            entries.len(),
                            host.as_ptr(),
                            T,
                            buffer.as_mut_ptr().cast(),
                            buffer.len(),
                        )
                    };
                    expect(code, PIN_ERR_PIN_MISMATCH, "explained MITM");
                    let text = std::ffi::CStr::from_bytes_until_nul(&buffer).unwrap();
                    let text = text.to_str().unwrap();
                    assert!(text.starts_with("PIN_ERR_PIN_MISMATCH"), "{text}");
                    assert!(text.contains(rogue_pin.as_str()), "{text}");
                }
            });
        }
        // Meanwhile, unrelated changes.
        for i in 0..MIN_ROUNDS {
            store.pin(&format!("other{i}.example.org"), UNRELATED_PIN);
        }
    });
}

#[test]
fn a_change_is_seen_by_the_next_verification() {
    // Readers keep verifying the MITM chain for the host the writer is about to pin, while the
    // writer keeps changing the store (so that verifications are always in flight, not answered
    // from a remembered verdict) and then pins that host. A verification that starts after
    // pin_store_add has returned must not answer from any state before it: a verdict reached
    // on the old state must not be remembered as if it were reached on the new one.
    let f = fx();
    let store = Store::with_anchors(&[f.wildcard.root.der(), f.rogue.der()]);
    let shared = SharedStore(store.ptr());
    let next = AtomicUsize::new(0);
    let pinned_upto = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let mitm: Vec<&[u8]> = vec![f.mitm_wildcard.der()];
    let genuine: Vec<&[u8]> = f.wildcard.chain().to_vec();
    let root_pin = f.wildcard.root.pin();
    thread::scope(|scope| {
        for reader in 0..READERS {
            let (next, pinned_upto, done, mitm) = (&next, &pinned_upto, &done, &mitm);
            scope.spawn(move || {
                let store = shared;
                let began = Instant::now();
                // Bounded by time too, so that a failing writer cannot leave readers spinning.
                while !done.load(Ordering::Relaxed) && began.elapsed() < RUN_FOR * 4 {
                    let pinned = pinned_upto.load(Ordering::Acquire);
                    let k = next.load(Ordering::Acquire);
                    let code = verify_ptr(store.0, mitm, &cstring(&format!("h{k}.example.net")), T);
                    if k < pinned {
                        expect(
                            code,
                            PIN_ERR_PIN_MISMATCH,
                            &format!("reader {reader}: h{k} pinned"),
                        );
                    } else {
                        assert!(
                            code == PIN_OK || code == PIN_ERR_PIN_MISMATCH,
                            "reader {reader}: h{k}: {}",
                            name_of(code)
                        );
                    }
                }
            });
        }
        // Stops the readers however the writer ends, a failed assertion included.
        let _stop = StopOnDrop(&done);
        let began = Instant::now();
        let mut k = 0;
        while k < 50 || (k < 1000 && began.elapsed() < RUN_FOR / 2) {
            let host = format!("h{k}.example.net");
            // Churn: each change invalidates what readers remembered, so they verify in full.
            for i in 0..20 {
                store.pin(&format!("churn{k}-{i}.example.org"), UNRELATED_PIN);
            }
            store.pin(&host, &root_pin);
            pinned_upto.store(k + 1, Ordering::Release);
            // Readers now verify the pinned host, some of them having started before the pin.
            thread::sleep(Duration::from_millis(1));
            expect(verify(&store, &mitm, &host, T), PIN_ERR_PIN_MISMATCH, &host);
            expect(verify(&store, &genuine, &host, T), PIN_OK, &host);
            next.store(k + 1, Ordering::Release);
            k += 1;
        }
    });
}

/// Sets the flag when dropped, also while unwinding from a panic.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

// --- the report callback's lifetime ----------------------------------------------------------

/// Set once the callback has been removed; every delivery after that is counted here.
static REMOVED: AtomicBool = AtomicBool::new(false);
static AFTER_REMOVAL: AtomicUsize = AtomicUsize::new(0);
static DELIVERED: AtomicUsize = AtomicUsize::new(0);

/// What the callback's userdata points to: freed by the test as soon as the callback is
/// removed, so that a late call reads freed memory (AddressSanitizer reports it).
struct Userdata {
    magic: u64,
}

const MAGIC: u64 = 0x5eed_cafe_f00d_d00d;

unsafe extern "C" fn counting_callback(
    userdata: *mut std::ffi::c_void,
    _report: *const std::ffi::c_char,
    _len: usize,
) {
    if REMOVED.load(Ordering::SeqCst) {
        AFTER_REMOVAL.fetch_add(1, Ordering::SeqCst);
    }
    // A slow callback widens the window in which a removal could race a delivery.
    thread::sleep(Duration::from_micros(200));
    // SAFETY: the store promises the userdata is live while the callback is registered.
    let magic = unsafe { std::ptr::read_volatile(&(*userdata.cast::<Userdata>()).magic) };
    assert_eq!(magic, MAGIC, "the callback ran with freed userdata");
    DELIVERED.fetch_add(1, Ordering::SeqCst);
}

/// A pinned store whose every verification of `mitm` (with a new port each time, so that no
/// report is held back as a repeat) is a pin failure with a report.
fn verify_mismatch(store: *const pin_store, chain: &[&[u8]], port: u16) -> u32 {
    let entries = pin_bytes_of(chain);
    let host = cstring(HOST);
    // SAFETY: a live store, readable entries, a NUL-terminated host; no outputs.
    unsafe {
        pin_verify_chain_detailed(
            store,
            entries.as_ptr(),
            entries.len(),
            host.as_ptr(),
            port,
            T,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    }
}

#[test]
fn a_removed_report_callback_is_never_called_again() {
    let f = fx();
    let store = Store::with_anchors(&[f.genuine.root.der()]);
    store.pin(HOST, UNRELATED_PIN);
    store.pin(HOST, UNRELATED_PIN_2);
    let chain: Vec<&[u8]> = f.genuine.chain().to_vec();
    let userdata = Box::into_raw(Box::new(Userdata { magic: MAGIC }));
    // SAFETY: a live store; the userdata lives until the callback is removed.
    let code = unsafe {
        pin_store_set_report_callback(store.ptr(), Some(counting_callback), userdata.cast())
    };
    expect(code, PIN_OK, "set the callback");
    let shared = SharedStore(store.ptr());
    let stop = AtomicBool::new(false);
    let next_port = AtomicUsize::new(1);
    thread::scope(|scope| {
        for _ in 0..2 {
            let (chain, stop, next_port) = (&chain, &stop, &next_port);
            scope.spawn(move || {
                let store = shared;
                while !stop.load(Ordering::Relaxed) {
                    let port = (next_port.fetch_add(1, Ordering::Relaxed) % 65_535 + 1) as u16;
                    expect(verify_mismatch(store.0, chain, port), PIN_ERR_PIN_MISMATCH, "MITM");
                }
            });
        }
        let began = Instant::now();
        while DELIVERED.load(Ordering::SeqCst) < 50 && began.elapsed() < Duration::from_secs(60) {
            thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: a live store; NULL removes the callback.
        let code = unsafe { pin_store_set_report_callback(shared.0, None, std::ptr::null_mut()) };
        REMOVED.store(true, Ordering::SeqCst);
        // SAFETY: made by Box::into_raw above; the callback is removed, so nothing uses it.
        drop(unsafe { Box::from_raw(userdata) });
        expect(code, PIN_OK, "remove the callback");
        // The verifying threads go on, and would deliver if the removal had not held.
        let delivered = DELIVERED.load(Ordering::SeqCst);
        thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        assert!(delivered >= 50, "only {delivered} deliveries before the removal");
    });
    assert_eq!(AFTER_REMOVAL.load(Ordering::SeqCst), 0, "deliveries after the removal");
}

/// The store and chain a re-entering callback uses, through its userdata.
struct Reentry {
    store: *mut pin_store,
    chain: Vec<Vec<u8>>,
    calls: AtomicUsize,
}

unsafe extern "C" fn reentering_callback(
    userdata: *mut std::ffi::c_void,
    _report: *const std::ffi::c_char,
    _len: usize,
) {
    // SAFETY: the test keeps the Reentry alive until the store is freed.
    let reentry = unsafe { &*userdata.cast::<Reentry>() };
    let call = reentry.calls.fetch_add(1, Ordering::SeqCst);
    let chain: Vec<&[u8]> = reentry.chain.iter().map(Vec::as_slice).collect();
    if call == 0 {
        // Verify again from inside the callback (a new port: a new report, delivered to this
        // same callback, nested), and change the store.
        expect(verify_mismatch(reentry.store, &chain, 2), PIN_ERR_PIN_MISMATCH, "nested verify");
        let pattern = cstring("other.example.org");
        let pin = cstring(UNRELATED_PIN);
        // SAFETY: a live store and NUL-terminated strings.
        let code = unsafe { pin_store_add(reentry.store, pattern.as_ptr(), pin.as_ptr()) };
        expect(code, PIN_OK, "add from inside the callback");
    } else if call == 1 {
        // Replace itself (with itself, same userdata) from inside a nested call.
        // SAFETY: a live store; the same callback and userdata.
        let code = unsafe {
            pin_store_set_report_callback(reentry.store, Some(reentering_callback), userdata)
        };
        expect(code, PIN_OK, "replace itself");
    } else {
        // Remove itself.
        // SAFETY: a live store.
        let code =
            unsafe { pin_store_set_report_callback(reentry.store, None, std::ptr::null_mut()) };
        expect(code, PIN_OK, "remove itself");
    }
}

#[test]
fn a_report_callback_may_reenter_the_store() {
    let f = fx();
    let store = Store::with_anchors(&[f.genuine.root.der()]);
    store.pin(HOST, UNRELATED_PIN);
    store.pin(HOST, UNRELATED_PIN_2);
    let chain: Vec<Vec<u8>> = f.genuine.chain().iter().map(|der| der.to_vec()).collect();
    let reentry = Box::new(Reentry { store: store.ptr(), chain, calls: AtomicUsize::new(0) });
    let userdata = std::ptr::from_ref(&*reentry).cast_mut().cast();
    // SAFETY: a live store; the Reentry outlives the store's use of it.
    let code =
        unsafe { pin_store_set_report_callback(store.ptr(), Some(reentering_callback), userdata) };
    expect(code, PIN_OK, "set the callback");
    let shared = SharedStore(store.ptr());
    let (done, receive) = std::sync::mpsc::channel();
    let chain: Vec<&[u8]> = reentry.chain.iter().map(Vec::as_slice).collect();
    thread::scope(|scope| {
        scope.spawn(move || {
            let store = shared;
            expect(verify_mismatch(store.0, &chain, 1), PIN_ERR_PIN_MISMATCH, "outer verify");
            // Removed by the third call: a later failure delivers nothing.
            expect(verify_mismatch(store.0, &chain, 3), PIN_ERR_PIN_MISMATCH, "after removal");
            expect(verify_mismatch(store.0, &chain, 4), PIN_ERR_PIN_MISMATCH, "after removal");
            let _ = done.send(());
        });
        if receive.recv_timeout(Duration::from_secs(60)).is_err() {
            panic!("a re-entering callback deadlocked");
        }
    });
    assert_eq!(reentry.calls.load(Ordering::SeqCst), 3, "outer, nested, then the removing call");
    drop(store);
    drop(reentry);
}
