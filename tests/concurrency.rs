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
