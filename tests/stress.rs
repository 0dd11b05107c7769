//! A bounded concurrency stress test of one store shared by raw pointer, as C callers share
//! it: readers verify the genuine and the MITM sample chains (detailed and through the warm
//! verdict cache) while writers swap the policy of the pinned host back and forth (policy
//! documents and signed updates) and add pins for other hosts.
//!
//! Every verdict is checked against the policy of the generation it reports. Only the policy
//! writers change the pinned host's policy; they record, under one lock held across the call,
//! the generations read before and after each change: the change's own generation lies in
//! between (pin writers race), so the policy at a generation is known exactly outside those
//! windows and is one of two inside them.
//!
//! The run is bounded in time ([`RUN_FOR`]) and in iterations (the `MAX_*` constants), and
//! also runs under ThreadSanitizer (`.ci/sanitizers.sh`).

use std::ffi::{CStr, CString, c_char};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin::*;
use ring::signature::{Ed25519KeyPair, KeyPair};

const LEAF: &[u8] = include_bytes!("../testdata/leaf.der");
const INTERMEDIATE: &[u8] = include_bytes!("../testdata/intermediate-ca.der");
const ROOT: &[u8] = include_bytes!("../testdata/root-ca.der");
const ROGUE: &[u8] = include_bytes!("../testdata/rogue-ca.der");
const MITM_LEAF: &[u8] = include_bytes!("../testdata/mitm-leaf.der");
const PINS: &str = include_str!("../testdata/pins.txt");

/// 2030-01-01T00:00:00Z: inside every sample's validity and before the documents expire.
const T: u64 = 1_893_456_000;
const HOST: &CStr = c"api.example.com";
/// A backup pin no sample has, so that each policy is a valid configured set.
const BACKUP_PIN: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// How long the readers keep going once they have run [`MIN_READS`] rounds.
const RUN_FOR: Duration =
    if cfg!(debug_assertions) { Duration::from_millis(1500) } else { Duration::from_millis(2000) };
/// Rounds each reader runs at least, and at most.
const MIN_READS: usize = 20;
const MAX_READS: usize = 200_000;
/// Policy changes each policy writer makes at least, and at most.
const MIN_CHANGES: usize = 10;
const MAX_CHANGES: usize = 20_000;
/// Pins each pin writer adds at most: once they are done, the policy stays put between the
/// policy writers' changes long enough for cached verdicts to be hit.
const MAX_ADDS: usize = 2_000;

const DETAILED_READERS: usize = 2;
const CACHE_READERS: usize = 2;
const PIN_WRITERS: usize = 2;

/// The two policies for the pinned host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Pins the genuine intermediate: the genuine chain passes, the MITM chain does not.
    A,
    /// Pins the rogue CA: the MITM chain passes, the genuine chain does not.
    B,
}

impl Kind {
    fn bit(self) -> u8 {
        match self {
            Kind::A => 1,
            Kind::B => 2,
        }
    }

    fn pinned(self) -> &'static str {
        match self {
            Kind::A => sample_pin("intermediate-ca"),
            Kind::B => sample_pin("rogue-ca"),
        }
    }

    fn document(self, version: u64) -> String {
        format!(
            r#"{{"certpin_policy": 1, "version": {version}, "expires": "2045-12-01T00:00:00Z",
               "domains": {{"api.example.com": {{"pins": ["{}", "{BACKUP_PIN}"]}}}}}}"#,
            self.pinned()
        )
    }

    /// The verdict on a chain under this policy.
    fn expected(self, chain: Which) -> pin_result {
        match (self, chain) {
            (Kind::A, Which::Genuine) | (Kind::B, Which::Mitm) => PIN_OK,
            _ => PIN_ERR_PIN_MISMATCH,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Genuine,
    Mitm,
}

/// One change of the pinned host's policy: its generation is in `(before, after]`.
#[derive(Clone, Copy, Debug)]
struct Change {
    before: u64,
    after: u64,
    kind: Kind,
}

/// What a reader saw: the code for a chain, reached under a generation in `from..=to`
/// (`from == to` when the verdict reported it).
#[derive(Clone, Copy, Debug)]
struct Seen {
    chain: Which,
    code: pin_result,
    from: u64,
    to: u64,
}

fn sample_pin(name: &str) -> &'static str {
    PINS.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} is not in pins.txt"))
}

fn name_of(code: pin_result) -> String {
    // SAFETY: pin_result_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(pin_result_name(code)) }.to_string_lossy().into_owned()
}

/// The store pointer, shared between threads as a C caller shares it: the C API promises
/// that every function may be called on one store from many threads at once.
#[derive(Clone, Copy)]
struct Shared(*mut pin_store);
// SAFETY: see above; the store outlives every thread (scoped threads).
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer (a method, so that closures capture the whole `Shared`, not its field).
    fn ptr(self) -> *mut pin_store {
        self.0
    }

    fn generation(self) -> u64 {
        let mut generation = 0;
        // SAFETY: a live store and a writable u64.
        assert_eq!(unsafe { pin_store_policy_generation(self.0, &mut generation) }, PIN_OK);
        generation
    }
}

fn chain_of(certs: &[&[u8]]) -> Vec<pin_bytes> {
    certs.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect()
}

/// The policies each generation may have had, as [`Kind::bit`]s, indexed by generation.
fn kinds_by_generation(changes: &[Change], last: u64) -> Vec<u8> {
    let mut kinds = vec![0u8; last as usize + 1];
    for (index, change) in changes.iter().enumerate() {
        let next_before = changes.get(index + 1).map_or(last, |next| next.before);
        let previous = index.checked_sub(1).map_or(0, |i| changes[i].kind.bit());
        for generation in change.before + 1..=next_before {
            let exact = generation > change.after;
            kinds[generation as usize] =
                if exact { change.kind.bit() } else { change.kind.bit() | previous };
        }
    }
    kinds
}

#[test]
fn verdicts_follow_the_policy_of_their_generation_under_concurrent_writers() {
    let store = pin_store_new();
    assert!(!store.is_null());
    let shared = Shared(store);
    for anchor in [ROOT, ROGUE] {
        // SAFETY: a live store and `anchor.len()` readable bytes.
        let code = unsafe { pin_store_add_trust_anchor(store, anchor.as_ptr(), anchor.len()) };
        assert_eq!(code, PIN_OK);
    }
    let key = Ed25519KeyPair::from_seed_unchecked(&[42; 32]).expect("an Ed25519 seed");
    let public = CString::new(STANDARD.encode(key.public_key().as_ref())).unwrap();
    // SAFETY: a live store and a NUL-terminated key.
    assert_eq!(unsafe { pin_store_add_update_key(store, public.as_ptr()) }, PIN_OK);

    // Policy A, loaded before any thread starts: its generation is known exactly.
    let first = Kind::A.document(1);
    // SAFETY: a live store and `first.len()` readable bytes.
    let code =
        unsafe { pin_store_load_policy(store, first.as_ptr(), first.len(), ptr::null_mut(), 0) };
    assert_eq!(code, PIN_OK);
    let g0 = shared.generation();
    // The policy writers' lock: held across each change so that (before, after, kind) is
    // recorded in the order the changes were made, with the version counter.
    let policy_log = Mutex::new((1u64, vec![Change { before: g0 - 1, after: g0, kind: Kind::A }]));

    let chains: [(Which, &[&[u8]]); 2] =
        [(Which::Genuine, &[LEAF, INTERMEDIATE]), (Which::Mitm, &[MITM_LEAF])];
    let readers_done = AtomicBool::new(false);
    let threads = DETAILED_READERS + CACHE_READERS + PIN_WRITERS + 2;
    let start = Barrier::new(threads);
    let began = Instant::now();

    let (seen, pins_added) = thread::scope(|scope| {
        let policy_writer = |signed: bool| {
            let (policy_log, start, readers_done, key) = (&policy_log, &start, &readers_done, &key);
            move || {
                start.wait();
                let mut changes = 0;
                let mut error = [0 as c_char; 256];
                while changes < MIN_CHANGES
                    || (changes < MAX_CHANGES && !readers_done.load(Ordering::Relaxed))
                {
                    let mut log = policy_log.lock().unwrap();
                    let version = log.0 + 1;
                    let kind =
                        if log.1.last().unwrap().kind == Kind::A { Kind::B } else { Kind::A };
                    let document = kind.document(version);
                    let before = shared.generation();
                    let code = if signed {
                        let signature = key.sign(document.as_bytes());
                        let signature = signature.as_ref();
                        // SAFETY: a live store, readable document and signature, a writable
                        // error buffer.
                        unsafe {
                            pin_store_apply_update(
                                shared.ptr(),
                                document.as_ptr(),
                                document.len(),
                                signature.as_ptr(),
                                signature.len(),
                                T,
                                error.as_mut_ptr(),
                                error.len(),
                            )
                        }
                    } else {
                        // SAFETY: as above.
                        unsafe {
                            pin_store_load_policy(
                                shared.ptr(),
                                document.as_ptr(),
                                document.len(),
                                error.as_mut_ptr(),
                                error.len(),
                            )
                        }
                    };
                    let after = shared.generation();
                    assert_eq!(
                        code,
                        PIN_OK,
                        "{} of version {version}: {}",
                        if signed { "signed update" } else { "document" },
                        // SAFETY: written NUL-terminated on failure.
                        unsafe { CStr::from_ptr(error.as_ptr()) }.to_string_lossy()
                    );
                    assert!(after > before, "a policy change moves the generation");
                    log.0 = version;
                    log.1.push(Change { before, after, kind });
                    drop(log);
                    changes += 1;
                    // Leave the policy in place for a moment, so that cached verdicts are hit.
                    thread::sleep(Duration::from_millis(1));
                }
            }
        };
        scope.spawn(policy_writer(false));
        scope.spawn(policy_writer(true));

        let mut pin_writers = Vec::new();
        for writer in 0..PIN_WRITERS {
            let (start, readers_done) = (&start, &readers_done);
            pin_writers.push(scope.spawn(move || {
                start.wait();
                let pin = CString::new(BACKUP_PIN).unwrap();
                let mut added = 0;
                while added < MAX_ADDS && !readers_done.load(Ordering::Relaxed) {
                    let host = CString::new(format!("w{writer}-{added}.example.org")).unwrap();
                    // SAFETY: a live store and NUL-terminated strings.
                    let code = unsafe { pin_store_add(shared.ptr(), host.as_ptr(), pin.as_ptr()) };
                    assert_eq!(code, PIN_OK, "pin for another host");
                    added += 1;
                }
                added
            }));
        }

        let mut readers = Vec::new();
        for reader in 0..DETAILED_READERS + CACHE_READERS {
            let detailed = reader < DETAILED_READERS;
            let (start, chains) = (&start, &chains);
            readers.push(scope.spawn(move || {
                // `pin_bytes` holds raw pointers: each thread makes its own.
                let chains = chains.map(|(which, certs)| (which, chain_of(certs)));
                start.wait();
                let mut seen = Vec::new();
                let mut explanation = [0 as c_char; 1024];
                while seen.len() < MIN_READS
                    || (seen.len() < MAX_READS && began.elapsed() < RUN_FOR)
                {
                    let (which, chain) = &chains[(seen.len() + reader) % 2];
                    let which = *which;
                    if detailed {
                        let mut verdict = pin_verdict {
                            result: u32::MAX,
                            flags: u32::MAX,
                            policy_generation: 0,
                            leaf_pin: [0; 52],
                            leaf_fingerprint: [0; 96],
                        };
                        // SAFETY: a live store, a readable chain, writable outputs.
                        let code = unsafe {
                            pin_verify_chain_detailed(
                                shared.ptr(),
                                chain.as_ptr(),
                                chain.len(),
                                HOST.as_ptr(),
                                443,
                                T,
                                &mut verdict,
                                explanation.as_mut_ptr(),
                                explanation.len(),
                            )
                        };
                        assert_eq!(verdict.result, code);
                        assert_eq!(verdict.flags, 0, "no report, expiry or TOFU note");
                        let generation = verdict.policy_generation;
                        seen.push(Seen { chain: which, code, from: generation, to: generation });
                    } else {
                        let from = shared.generation();
                        // SAFETY: a live store, a readable chain, a NUL-terminated host.
                        let code = unsafe {
                            pin_verify_chain_at(
                                shared.ptr(),
                                chain.as_ptr(),
                                chain.len(),
                                HOST.as_ptr(),
                                T,
                            )
                        };
                        let to = shared.generation();
                        seen.push(Seen { chain: which, code, from, to });
                    }
                }
                seen
            }));
        }
        let seen: Vec<Vec<Seen>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        readers_done.store(true, Ordering::Relaxed);
        let added: usize = pin_writers.into_iter().map(|w| w.join().unwrap()).sum();
        (seen, added)
    });
    let elapsed = began.elapsed();

    let (version, changes) = policy_log.into_inner().unwrap();
    let last = shared.generation();
    let kinds = kinds_by_generation(&changes, last);
    let mut verdicts = 0;
    let mut under = [0usize; 2];
    for (reader, seen) in seen.iter().enumerate() {
        for s in seen {
            assert!(s.from >= g0 && s.to <= last && s.from <= s.to, "reader {reader}: {s:?}");
            let possible = kinds[s.from as usize..=s.to as usize].iter().fold(0, |all, k| all | k);
            assert_ne!(possible, 0, "generation {}..={} has no recorded policy", s.from, s.to);
            let allowed: Vec<pin_result> = [Kind::A, Kind::B]
                .into_iter()
                .filter(|kind| possible & kind.bit() != 0)
                .map(|kind| kind.expected(s.chain))
                .collect();
            assert!(
                allowed.contains(&s.code),
                "reader {reader}: {:?} chain gave {} under generations {}..={} \
                 (policies {possible:#b})",
                s.chain,
                name_of(s.code),
                s.from,
                s.to
            );
            if s.code == PIN_OK {
                under[(s.chain == Which::Mitm) as usize] += 1;
            }
            verdicts += 1;
        }
    }
    // The run did what it is for: both policies were in force while readers verified.
    assert!(changes.len() > 2 * MIN_CHANGES, "{} policy changes", changes.len());
    assert!(under[0] > 0 && under[1] > 0, "trusted verdicts per chain: {under:?}");

    // After the run: the last change is the policy, at the last version.
    let mut current = 0;
    // SAFETY: a live store and a writable u64.
    assert_eq!(unsafe { pin_store_policy_version(store, &mut current) }, PIN_OK);
    assert_eq!(current, version);
    let last_kind = changes.last().unwrap().kind;
    for (which, certs) in chains {
        let chain = chain_of(certs);
        // SAFETY: a live store, a readable chain, a NUL-terminated host.
        let code =
            unsafe { pin_verify_chain_at(store, chain.as_ptr(), chain.len(), HOST.as_ptr(), T) };
        assert_eq!(code, last_kind.expected(which), "{which:?} after the run");
    }
    eprintln!(
        "stress: {verdicts} verdicts, {} policy changes, {pins_added} pins added, \
         generations {g0}..={last}, {elapsed:.2?}",
        changes.len() - 1
    );
    // SAFETY: made by pin_store_new; every thread has ended.
    unsafe { pin_store_free(store) };
}

#[test]
fn generation_windows_are_attributed_conservatively() {
    // Change 1 landed somewhere in (5, 8]; change 2 in (10, 11].
    let changes = [
        Change { before: 2, after: 3, kind: Kind::A },
        Change { before: 5, after: 8, kind: Kind::B },
        Change { before: 10, after: 11, kind: Kind::A },
    ];
    let kinds = kinds_by_generation(&changes, 13);
    let (a, b, both) = (Kind::A.bit(), Kind::B.bit(), Kind::A.bit() | Kind::B.bit());
    assert_eq!(kinds[3..=13], [a, a, a, both, both, both, b, b, both, a, a]);
}
