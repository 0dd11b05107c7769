//! Signed policy updates, through the C ABI: every call below is one of the exported
//! `extern "C"` functions, called with real pointers as a C caller would make them. The signing
//! keys are real Ed25519 keys made here with `ring`; the certificates are the samples in
//! `testdata/` (valid 2026..2046), verified at a fixed time.
//!
//! After every refused update the store must be exactly as it was: the same policy version,
//! generation and exported document, and the same verdicts.

use std::collections::{BTreeSet, HashMap};
use std::ffi::{CStr, CString, c_char};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use certpin::*;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

/// 2027-01-01T00:00:00Z: the fixed time every update is applied and every chain verified at.
const NOW: u64 = 1_798_761_600;
/// Comfortably after [`NOW`]: the expiry of every update meant to be fresh.
const FAR: &str = "2028-01-01T00:00:00Z";
const HOST: &str = "api.example.com";
const HOST_C: &CStr = c"api.example.com";

/// Backup pins: keys no sample certificate has (an enforced pin set needs a backup).
const BACKUP: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ROGUE_BACKUP: &str = "sha256/q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";

const LEAF: &[u8] = include_bytes!("../testdata/leaf.der");
const INTERMEDIATE: &[u8] = include_bytes!("../testdata/intermediate-ca.der");
const ROOT: &[u8] = include_bytes!("../testdata/root-ca.der");
const ROGUE_CA: &[u8] = include_bytes!("../testdata/rogue-ca.der");
const MITM_LEAF: &[u8] = include_bytes!("../testdata/mitm-leaf.der");

const GENUINE: &[&[u8]] = &[LEAF, INTERMEDIATE];
const MITM: &[&[u8]] = &[MITM_LEAF];

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The `sha256/` pin of a DER certificate, computed by `pin_spki_sha256` (so the tests keep
/// working when `testdata/` is regenerated with new keys).
fn pin_of(der: &[u8]) -> String {
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    // SAFETY: `der` is `der.len()` readable bytes and `out` `out.len()` writable ones.
    let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.as_mut_ptr(), out.len()) };
    assert_eq!(code, PIN_OK);
    // SAFETY: written NUL-terminated on success.
    unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap().to_owned()
}

/// Pins the genuine intermediate CA (and a backup): the genuine chain passes, the MITM fails.
fn genuine_pins() -> Vec<String> {
    vec![pin_of(INTERMEDIATE), BACKUP.to_owned()]
}

/// Pins the rogue CA (and a backup): the MITM chain passes, the genuine one fails.
fn rogue_pins() -> Vec<String> {
    vec![pin_of(ROGUE_CA), ROGUE_BACKUP.to_owned()]
}

/// A policy document with the given document-level fields (`"version": 2, "expires": ...`)
/// pinning [`HOST`] to `pins`.
fn policy_json(head: &str, pins: &[String]) -> String {
    let pins = pins.iter().map(|pin| format!("\"{pin}\"")).collect::<Vec<_>>().join(", ");
    format!(
        "{{\"certpin_policy\": 1, {head}, \"domains\": {{\"{HOST}\": {{\"pins\": [{pins}]}}}}}}\n"
    )
}

/// An update document: `version`, expiring at `expires`, pinning [`HOST`] to `pins`.
fn update_expiring(version: u64, expires: &str, pins: &[String]) -> Vec<u8> {
    policy_json(&format!("\"version\": {version}, \"expires\": \"{expires}\""), pins).into_bytes()
}

/// An update document: `version`, expiring at [`FAR`], pinning [`HOST`] to `pins`.
fn update(version: u64, pins: &[String]) -> Vec<u8> {
    update_expiring(version, FAR, pins)
}

/// The policy built into the app: version 1, pinning only the rogue CA (so the genuine chain
/// fails until an update replaces it).
fn built_in_policy() -> Vec<u8> {
    update(1, &rogue_pins())
}

/// An Ed25519 update-signing key, made fresh for each test.
struct Signer(Ed25519KeyPair);

impl Signer {
    fn new() -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Self(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
    }

    /// The public key as the app embeds it: the standard base64 of its 32 bytes.
    fn public_key(&self) -> String {
        STANDARD.encode(self.0.public_key().as_ref())
    }

    /// The raw 64-byte detached signature over `document`.
    fn sign(&self, document: &[u8]) -> Vec<u8> {
        self.0.sign(document).as_ref().to_vec()
    }

    /// The signature as `certpin sign` writes it: base64 and a newline.
    fn sign_base64(&self, document: &[u8]) -> Vec<u8> {
        format!("{}\n", STANDARD.encode(self.sign(document))).into_bytes()
    }
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new().fill(&mut bytes).unwrap();
    bytes
}

/// Everything about a store an update may change, as a C caller can observe it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    version: u64,
    generation: u64,
    policy: String,
    genuine: pin_result,
    mitm: pin_result,
}

/// What `pin_store_apply_update` returned and wrote into its error buffer (`None`: the buffer
/// was left as it was, without a NUL).
struct Applied {
    code: pin_result,
    error: Option<String>,
}

/// Bytes of the error buffer handed to `pin_store_apply_update`.
const ERROR_LEN: usize = 512;

/// Reads the text a call wrote into `buffer`, which was filled with a non-NUL byte before the
/// call: `None` if nothing NUL-terminated was written.
fn written_text(buffer: &[c_char]) -> Option<String> {
    let bytes: Vec<u8> = buffer.iter().map(|&c| c as u8).collect();
    CStr::from_bytes_until_nul(&bytes).ok().map(|text| text.to_string_lossy().into_owned())
}

/// An owned `pin_store`, freed on drop, driven only through the C ABI.
struct Store(*mut pin_store);

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: made by `pin_store_new`, freed once, no other user left.
        unsafe { pin_store_free(self.0) };
    }
}

impl Store {
    /// A store trusting the genuine root and the rogue CA (so that both chains are valid and
    /// only the pins tell them apart), with no policy and no update key.
    fn with_anchors() -> Self {
        let store = Self(pin_store_new());
        assert!(!store.0.is_null());
        for anchor in [ROOT, ROGUE_CA] {
            // SAFETY: a live store; `anchor` is `anchor.len()` readable bytes.
            let code =
                unsafe { pin_store_add_trust_anchor(store.0, anchor.as_ptr(), anchor.len()) };
            assert_eq!(code, PIN_OK);
        }
        store
    }

    /// What an app has at start: the anchors, the built-in policy (version 1) and the update
    /// keys it embeds.
    fn started(keys: &[&Signer]) -> Self {
        let store = Self::with_anchors();
        store.load_policy(&built_in_policy());
        for key in keys {
            assert_eq!(store.add_update_key(&key.public_key()), PIN_OK);
        }
        assert_eq!(store.version(), 1);
        assert_eq!(store.verify(GENUINE), PIN_ERR_PIN_MISMATCH);
        assert_eq!(store.verify(MITM), PIN_OK);
        store
    }

    /// Loads a policy document as an app loads its built-in one (no signature).
    fn load_policy(&self, json: &[u8]) {
        let mut error = [0 as c_char; ERROR_LEN];
        // SAFETY: a live store, `json` readable, `error` writable for their lengths.
        let code = unsafe {
            pin_store_load_policy(self.0, json.as_ptr(), json.len(), error.as_mut_ptr(), ERROR_LEN)
        };
        assert_eq!(code, PIN_OK, "load_policy: {:?}", written_text(&error));
    }

    fn add_update_key(&self, key: &str) -> pin_result {
        let key = CString::new(key).unwrap();
        // SAFETY: a live store and a NUL-terminated string.
        unsafe { pin_store_add_update_key(self.0, key.as_ptr()) }
    }

    fn apply(&self, document: &[u8], signature: &[u8]) -> Applied {
        self.apply_at(document, signature, NOW)
    }

    fn apply_at(&self, document: &[u8], signature: &[u8], unix_time: u64) -> Applied {
        // Filled with a non-NUL byte, so that an unwritten buffer shows as `None`.
        let mut error = [b'#' as c_char; ERROR_LEN];
        // SAFETY: a live store; `document`, `signature` readable and `error` writable for their
        // lengths.
        let code = unsafe {
            pin_store_apply_update(
                self.0,
                document.as_ptr(),
                document.len(),
                signature.as_ptr(),
                signature.len(),
                unix_time,
                error.as_mut_ptr(),
                ERROR_LEN,
            )
        };
        Applied { code, error: written_text(&error) }
    }

    fn version(&self) -> u64 {
        let mut version = u64::MAX;
        // SAFETY: a live store and a writable u64.
        assert_eq!(unsafe { pin_store_policy_version(self.0, &mut version) }, PIN_OK);
        version
    }

    fn generation(&self) -> u64 {
        let mut generation = u64::MAX;
        // SAFETY: a live store and a writable u64.
        assert_eq!(unsafe { pin_store_policy_generation(self.0, &mut generation) }, PIN_OK);
        generation
    }

    fn export(&self) -> String {
        let mut needed = 0usize;
        // SAFETY: a live store; NULL `out` is refused, `needed` writable.
        let code = unsafe { pin_store_export_policy(self.0, null_mut(), 0, &mut needed) };
        assert_eq!(code, PIN_ERR_NULL_ARGUMENT);
        let mut out = vec![0 as c_char; needed];
        // SAFETY: a live store; `out` has `needed` writable bytes.
        let code = unsafe { pin_store_export_policy(self.0, out.as_mut_ptr(), needed, null_mut()) };
        assert_eq!(code, PIN_OK);
        written_text(&out).unwrap()
    }

    fn verify(&self, chain: &[&[u8]]) -> pin_result {
        verify(self.0, chain)
    }

    fn state(&self) -> State {
        State {
            version: self.version(),
            generation: self.generation(),
            policy: self.export(),
            genuine: self.verify(GENUINE),
            mitm: self.verify(MITM),
        }
    }

    /// Applies a signed update that must be accepted.
    #[track_caller]
    fn accept(&self, document: &[u8], signature: &[u8]) {
        let before = self.generation();
        let applied = self.apply(document, signature);
        assert_eq!(applied.code, PIN_OK, "refused: {:?}", applied.error);
        assert_ne!(self.generation(), before, "an applied update moves the generation");
    }

    /// Applies an update that must be refused with `code`, with an error text containing every
    /// one of `words`, and leave the store exactly as it was.
    #[track_caller]
    fn refuse(&self, document: &[u8], signature: &[u8], code: pin_result, words: &[&str]) {
        self.refuse_at(document, signature, NOW, code, words);
    }

    #[track_caller]
    fn refuse_at(
        &self,
        document: &[u8],
        signature: &[u8],
        unix_time: u64,
        code: pin_result,
        words: &[&str],
    ) {
        let before = self.state();
        let applied = self.apply_at(document, signature, unix_time);
        assert_eq!(
            applied.code,
            code,
            "expected {}, got {} ({:?})",
            name(code),
            name(applied.code),
            applied.error
        );
        let error = applied.error.expect("a refused update says why in the error buffer");
        for word in words {
            assert!(
                error.to_lowercase().contains(&word.to_lowercase()),
                "the error {error:?} does not mention {word:?}"
            );
        }
        assert_eq!(self.state(), before, "a refused update changed the store");
    }
}

/// A chain as C passes it: borrowed `pin_bytes`, leaf first.
fn entries(chain: &[&[u8]]) -> Vec<pin_bytes> {
    chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect()
}

/// The verdict on `chain` for [`HOST`] at [`NOW`].
fn verify(store: *const pin_store, chain: &[&[u8]]) -> pin_result {
    let entries = entries(chain);
    // SAFETY: a live store, `entries` readable with each `data` readable, the host
    // NUL-terminated.
    unsafe { pin_verify_chain_at(store, entries.as_ptr(), entries.len(), HOST_C.as_ptr(), NOW) }
}

/// The verdict on `chain` for [`HOST`] at [`NOW`] with `pin_verify_chain_detailed`: the result
/// and the policy generation it was reached under.
fn verify_detailed(store: *const pin_store, chain: &[&[u8]]) -> (pin_result, u64) {
    let entries = entries(chain);
    let mut verdict = pin_verdict {
        result: u32::MAX,
        flags: 0,
        policy_generation: u64::MAX,
        leaf_pin: [0; 52],
        leaf_fingerprint: [0; 96],
    };
    // SAFETY: as for `verify`; `verdict` writable; no explanation wanted (NULL, 0).
    let code = unsafe {
        pin_verify_chain_detailed(
            store,
            entries.as_ptr(),
            entries.len(),
            HOST_C.as_ptr(),
            443,
            NOW,
            &mut verdict,
            null_mut(),
            0,
        )
    };
    assert_eq!(verdict.result, code, "the verdict holds the result the call returned");
    (code, verdict.policy_generation)
}

fn name(code: pin_result) -> String {
    // SAFETY: a static NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(pin_result_name(code)) }.to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------------------------
// Accepted updates
// ---------------------------------------------------------------------------------------------

#[test]
fn a_signed_newer_update_replaces_the_built_in_policy() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let before = store.state();
    assert_eq!(before.genuine, PIN_ERR_PIN_MISMATCH);
    assert_eq!(before.mitm, PIN_OK);

    let document = update(2, &genuine_pins());
    let applied = store.apply(&document, &signer.sign(&document));
    assert_eq!(applied.code, PIN_OK, "{:?}", applied.error);

    let after = store.state();
    assert_eq!(after.version, 2);
    assert!(after.generation > before.generation, "{after:?} after {before:?}");
    assert_eq!(after.genuine, PIN_OK);
    assert_eq!(after.mitm, PIN_ERR_PIN_MISMATCH);
    // The exported policy is the update's: its version, expiry and pins.
    assert!(after.policy.contains("\"version\": 2"), "{}", after.policy);
    assert!(after.policy.contains(FAR), "{}", after.policy);
    for pin in genuine_pins() {
        assert!(after.policy.contains(&pin), "{}", after.policy);
    }
    assert!(!after.policy.contains(&pin_of(ROGUE_CA)), "{}", after.policy);
}

#[test]
fn a_base64_signature_works_like_the_raw_one() {
    let signer = Signer::new();
    let raw = Store::started(&[&signer]);
    let text = Store::started(&[&signer]);
    let document = update(2, &genuine_pins());
    let signature = signer.sign_base64(&document);
    assert_eq!(signature.last(), Some(&b'\n'));
    assert_eq!(signature.len(), 89, "88 base64 characters and a newline");

    raw.accept(&document, &signer.sign(&document));
    text.accept(&document, &signature);
    assert_eq!(text.state(), raw.state());

    // Without the newline, too.
    let next = update(3, &genuine_pins());
    text.accept(&next, signature_without_newline(&signer.sign_base64(&next)));
    assert_eq!(text.version(), 3);
}

fn signature_without_newline(signature: &[u8]) -> &[u8] {
    signature.strip_suffix(b"\n").unwrap()
}

#[test]
fn updates_signed_by_any_trusted_key_apply_during_a_rotation() {
    let old_key = Signer::new();
    let new_key = Signer::new();
    let store = Store::started(&[&old_key, &new_key]);

    // Adding a key twice is a no-op: the generation stays.
    let generation = store.generation();
    assert_eq!(store.add_update_key(&old_key.public_key()), PIN_OK);
    assert_eq!(store.generation(), generation);

    let v2 = update(2, &genuine_pins());
    store.accept(&v2, &old_key.sign(&v2));
    assert_eq!(store.version(), 2);
    let v3 = update(3, &rogue_pins());
    store.accept(&v3, &new_key.sign_base64(&v3));
    assert_eq!(store.version(), 3);
    assert_eq!(store.verify(GENUINE), PIN_ERR_PIN_MISMATCH);
    let v4 = update(4, &genuine_pins());
    store.accept(&v4, &old_key.sign(&v4));
    assert_eq!(store.version(), 4);
    assert_eq!(store.verify(GENUINE), PIN_OK);

    // A third key, never trusted, still cannot sign.
    let stranger = Signer::new();
    let v5 = update(5, &rogue_pins());
    store.refuse(&v5, &stranger.sign(&v5), PIN_ERR_BAD_SIGNATURE, &["trusted update key"]);
}

// ---------------------------------------------------------------------------------------------
// Bad signatures
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_signatures_are_refused_and_change_nothing() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let document = update(2, &genuine_pins());
    let good = signer.sign(&document);
    let words = &["signature"][..];

    // Random bytes of the right length.
    store.refuse(&document, &random_bytes(64), PIN_ERR_BAD_SIGNATURE, &["trusted update key"]);
    // A genuine signature, by a key the store does not trust.
    let stranger = Signer::new();
    store.refuse(
        &document,
        &stranger.sign(&document),
        PIN_ERR_BAD_SIGNATURE,
        &["trusted update key"],
    );
    store.refuse(
        &document,
        &stranger.sign_base64(&document),
        PIN_ERR_BAD_SIGNATURE,
        &["trusted update key"],
    );
    // Truncated: 63 raw bytes, and the base64 missing its last character.
    store.refuse(&document, &good[..63], PIN_ERR_BAD_SIGNATURE, &["64 bytes"]);
    let text = signer.sign_base64(&document);
    store.refuse(&document, &text[..87], PIN_ERR_BAD_SIGNATURE, &["64 bytes"]);
    store.refuse(&document, &text[..80], PIN_ERR_BAD_SIGNATURE, &["64 bytes"]);
    // One byte longer, and empty.
    let mut long = good.clone();
    long.push(0);
    store.refuse(&document, &long, PIN_ERR_BAD_SIGNATURE, words);
    store.refuse(&document, &good[..0], PIN_ERR_BAD_SIGNATURE, words);
    // The base64 of 65 bytes is 88 characters too: not a signature either.
    let long_text = STANDARD.encode(&long).into_bytes();
    assert_eq!(long_text.len(), 88);
    store.refuse(&document, &long_text, PIN_ERR_BAD_SIGNATURE, words);

    // A tampered signature: one bit of the raw form, one character of the base64.
    for index in [0, 31, 32, 63] {
        let mut tampered = good.clone();
        tampered[index] ^= 0x01;
        store.refuse(&document, &tampered, PIN_ERR_BAD_SIGNATURE, &["trusted update key"]);
    }
    let mut tampered = text.clone();
    tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
    store.refuse(&document, &tampered, PIN_ERR_BAD_SIGNATURE, &["trusted update key"]);

    // A tampered document that is still a well-formed, newer update: only the signature
    // can tell. One character of a pin changed...
    let pin = pin_of(INTERMEDIATE);
    let at = find(&document, pin.as_bytes()) + "sha256/".len();
    let mut flipped = document.clone();
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    assert_ne!(flipped, document);
    store.refuse(&flipped, &good, PIN_ERR_BAD_SIGNATURE, &["trusted update key"]);
    // ...or a space added.
    let mut spaced = document.clone();
    spaced.insert(1, b' ');
    store.refuse(&spaced, &good, PIN_ERR_BAD_SIGNATURE, &["trusted update key"]);
    // The tampered documents are fine but for the signature: signed, they apply.
    let fresh = Store::started(&[&signer]);
    fresh.accept(&spaced, &signer.sign(&spaced));

    // After all that, the genuine signature still applies.
    store.accept(&document, &good);
    assert_eq!(store.version(), 2);
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|window| window == needle).unwrap()
}

#[test]
fn a_store_without_an_update_key_refuses_every_update() {
    let signer = Signer::new();
    let store = Store::started(&[]);
    let document = update(2, &genuine_pins());
    store.refuse(&document, &signer.sign(&document), PIN_ERR_BAD_SIGNATURE, &["no update key"]);
    store.refuse(
        &document,
        &signer.sign_base64(&document),
        PIN_ERR_BAD_SIGNATURE,
        &["no update key"],
    );
}

// ---------------------------------------------------------------------------------------------
// Stale, expired and malformed updates
// ---------------------------------------------------------------------------------------------

#[test]
fn older_and_equal_versions_are_stale() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let v3 = update(3, &genuine_pins());
    store.accept(&v3, &signer.sign(&v3));

    let v2 = update(2, &rogue_pins());
    store.refuse(&v2, &signer.sign(&v2), PIN_ERR_STALE_UPDATE, &["version 2", "not newer", "3"]);
    let v1 = update(1, &rogue_pins());
    store.refuse(&v1, &signer.sign(&v1), PIN_ERR_STALE_UPDATE, &["version 1", "not newer"]);
    // Equal: another document with the same version number is stale too.
    let other_v3 = update(3, &rogue_pins());
    store.refuse(&other_v3, &signer.sign(&other_v3), PIN_ERR_STALE_UPDATE, &["not newer"]);
    // And a newer one still applies.
    let v4 = update(4, &rogue_pins());
    store.accept(&v4, &signer.sign(&v4));
    assert_eq!(store.verify(MITM), PIN_OK);
}

#[test]
fn expired_updates_are_stale() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);

    // A second before NOW, and exactly NOW: expired.
    let before = update_expiring(2, "2026-12-31T23:59:59Z", &genuine_pins());
    store.refuse(&before, &signer.sign(&before), PIN_ERR_STALE_UPDATE, &["expired"]);
    let at = update_expiring(2, "2027-01-01T00:00:00Z", &genuine_pins());
    store.refuse(&at, &signer.sign(&at), PIN_ERR_STALE_UPDATE, &["expired", "2027-01-01"]);
    // The same document a second earlier is still fresh.
    let applied = store.apply_at(&at, &signer.sign(&at), NOW - 1);
    assert_eq!(applied.code, PIN_OK, "{:?}", applied.error);
    assert_eq!(store.version(), 2);
}

#[test]
fn signed_but_malformed_documents_are_bad_config() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let refuse = |document: &[u8], words: &[&str]| {
        store.refuse(document, &signer.sign(document), PIN_ERR_BAD_CONFIG, words);
        store.refuse(document, &signer.sign_base64(document), PIN_ERR_BAD_CONFIG, words);
    };

    // Not JSON at all, and JSON cut short.
    refuse(b"not json", &["line 1"]);
    let document = update(2, &genuine_pins());
    refuse(&document[..document.len() / 2], &["line"]);
    // Valid JSON, but without a version, with version 0, or without an expiry.
    refuse(
        policy_json(&format!("\"expires\": \"{FAR}\""), &genuine_pins()).as_bytes(),
        &["version"],
    );
    refuse(
        policy_json(&format!("\"version\": 0, \"expires\": \"{FAR}\""), &genuine_pins()).as_bytes(),
        &["version"],
    );
    refuse(policy_json("\"version\": 2", &genuine_pins()).as_bytes(), &["expires"]);
    refuse(&update_expiring(2, "next year", &genuine_pins()), &["expires"]);
    // A policy problem: an enforced pin set without a backup, and a pin that is not one.
    refuse(&update(2, &genuine_pins()[..1]), &["api.example.com"]);
    refuse(
        &update(2, &[pin_of(INTERMEDIATE), "sha256/nope".to_owned()]),
        &["pins[1]", "not a pin"],
    );
    // An unknown field: a typo must not be ignored in a signed document.
    refuse(
        policy_json(
            &format!("\"version\": 2, \"expires\": \"{FAR}\", \"expire\": 1"),
            &genuine_pins(),
        )
        .as_bytes(),
        &["unknown field"],
    );
}

// ---------------------------------------------------------------------------------------------
// The order of the checks
// ---------------------------------------------------------------------------------------------

#[test]
fn the_signature_is_checked_first_then_the_document_then_version_then_expiry() {
    let signer = Signer::new();
    let stranger = Signer::new();
    let store = Store::started(&[&signer]);
    let v3 = update(3, &genuine_pins());
    store.accept(&v3, &signer.sign(&v3));

    // Badly signed AND malformed: the signature is checked first.
    let garbage = b"{\"certpin_policy\": 1, \"version\": 1, \"domains\": ".to_vec();
    store.refuse(&garbage, &stranger.sign(&garbage), PIN_ERR_BAD_SIGNATURE, &["trusted"]);
    store.refuse(&garbage, &random_bytes(64), PIN_ERR_BAD_SIGNATURE, &["trusted"]);
    store.refuse(&garbage, &random_bytes(7), PIN_ERR_BAD_SIGNATURE, &["signature"]);

    // Signed, malformed AND old (version 1 < 3) AND expired: the document is checked next.
    let malformed_old = update_expiring(1, "2020-01-01", &[pin_of(INTERMEDIATE), "x".to_owned()]);
    store.refuse(&malformed_old, &signer.sign(&malformed_old), PIN_ERR_BAD_CONFIG, &["pins[1]"]);

    // Signed, well formed, old AND expired: stale, and for its version (checked first).
    let old_expired = update_expiring(2, "2020-01-01", &genuine_pins());
    store.refuse(&old_expired, &signer.sign(&old_expired), PIN_ERR_STALE_UPDATE, &["not newer"]);
    // Newer but expired: stale for its expiry.
    let new_expired = update_expiring(4, "2020-01-01", &genuine_pins());
    store.refuse(&new_expired, &signer.sign(&new_expired), PIN_ERR_STALE_UPDATE, &["expired"]);
}

// ---------------------------------------------------------------------------------------------
// Re-applying the last accepted update when the app starts again
// ---------------------------------------------------------------------------------------------

#[test]
fn the_last_accepted_update_is_reapplied_at_start() {
    let signer = Signer::new();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("updates-reapply-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (document_path, signature_path) = (dir.join("policy.json"), dir.join("policy.sig"));

    // First run: the update arrives, is applied, and is kept as it came (document and
    // signature, not the store's export, which is not what was signed).
    let first_run = {
        let store = Store::started(&[&signer]);
        let document = update(2, &genuine_pins());
        let signature = signer.sign_base64(&document);
        store.accept(&document, &signature);
        std::fs::write(&document_path, &document).unwrap();
        std::fs::write(&signature_path, &signature).unwrap();
        store.state()
    };

    // The app starts again: built-in policy first, then the kept update on top.
    let store = Store::started(&[&signer]);
    let document = std::fs::read(&document_path).unwrap();
    let signature = std::fs::read(&signature_path).unwrap();
    store.accept(&document, &signature);
    let again = store.state();
    assert_eq!((again.version, &again.policy), (2, &first_run.policy));
    assert_eq!((again.genuine, again.mitm), (PIN_OK, PIN_ERR_PIN_MISMATCH));

    // Applying it a second time to the store that has it: equal version, stale.
    store.refuse(&document, &signature, PIN_ERR_STALE_UPDATE, &["version 2", "not newer"]);

    // Started after the kept update expired: it is refused and the built-in policy stays.
    let late = Store::started(&[&signer]);
    late.refuse_at(&document, &signature, 1_830_297_600, PIN_ERR_STALE_UPDATE, &["expired"]);
    assert_eq!(late.version(), 1);

    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scratch directory for one test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("updates-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Store {
    fn save(&self, path: &std::path::Path) {
        let path = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a live store and a NUL-terminated path.
        assert_eq!(unsafe { pin_store_save(self.0, path.as_ptr()) }, PIN_OK);
    }

    fn load_file(&self, path: &std::path::Path) {
        let path = CString::new(path.to_str().unwrap()).unwrap();
        let mut error = [0 as c_char; ERROR_LEN];
        // SAFETY: a live store, a NUL-terminated path, `error` writable.
        let code =
            unsafe { pin_store_load_file(self.0, path.as_ptr(), error.as_mut_ptr(), ERROR_LEN) };
        assert_eq!(code, PIN_OK, "load_file: {:?}", written_text(&error));
    }

    fn min_update_version(&self) -> u64 {
        let mut version = u64::MAX;
        // SAFETY: a live store and a writable u64.
        assert_eq!(unsafe { pin_store_min_update_version(self.0, &mut version) }, PIN_OK);
        version
    }

    fn set_min_update_version(&self, version: u64) {
        // SAFETY: a live store.
        assert_eq!(unsafe { pin_store_set_min_update_version(self.0, version) }, PIN_OK);
    }
}

#[test]
fn anti_rollback_survives_a_restart_through_save_and_load_file() {
    let signer = Signer::new();
    let dir = scratch("rollback");
    let saved = dir.join("store.json");
    let (v3, v5) = (update(3, &rogue_pins()), update(5, &genuine_pins()));
    let (v3_signature, v5_signature) = (signer.sign(&v3), signer.sign(&v5));

    let first_run = Store::started(&[&signer]);
    assert_eq!(first_run.min_update_version(), 0);
    first_run.accept(&v5, &v5_signature);
    assert_eq!(first_run.min_update_version(), 5, "an accepted update raises the floor");
    first_run.save(&saved);
    assert!(std::fs::read_to_string(&saved).unwrap().contains("\"min_update_version\": 5"));

    // The next start: the saved store, then the built-in policy (version 1) on top of it.
    let store = Store::with_anchors();
    store.load_file(&saved);
    store.load_policy(&built_in_policy());
    assert_eq!(store.add_update_key(&signer.public_key()), PIN_OK);
    assert_eq!((store.version(), store.min_update_version()), (1, 5), "a load never lowers it");
    // An older, validly signed, unexpired document no longer applies...
    store.refuse(&v3, &v3_signature, PIN_ERR_STALE_UPDATE, &["version 3", "5"]);
    // ...while the accepted one, kept and re-applied at start, still does.
    store.accept(&v5, &v5_signature);
    assert_eq!((store.verify(GENUINE), store.verify(MITM)), (PIN_OK, PIN_ERR_PIN_MISMATCH));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_app_that_keeps_the_version_its_own_way_restores_it_in_one_call() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let generation = store.generation();
    store.set_min_update_version(5);
    assert_eq!(store.min_update_version(), 5);
    assert_eq!(store.generation(), generation, "the floor decides no verdict");
    // It never goes down.
    store.set_min_update_version(2);
    assert_eq!(store.min_update_version(), 5);
    let v4 = update(4, &genuine_pins());
    store.refuse(&v4, &signer.sign(&v4), PIN_ERR_STALE_UPDATE, &["version 4", "already"]);
    let v5 = update(5, &genuine_pins());
    store.accept(&v5, &signer.sign(&v5));
    // SAFETY: NULL store and NULL output are refused.
    unsafe {
        assert_eq!(pin_store_set_min_update_version(null_mut(), 1), PIN_ERR_NULL_ARGUMENT);
        assert_eq!(pin_store_min_update_version(store.0, null_mut()), PIN_ERR_NULL_ARGUMENT);
        assert_eq!(pin_store_min_update_version(null(), null_mut()), PIN_ERR_NULL_ARGUMENT);
    }
}

/// `openssl base64` of `bytes`: wrapped at 64 columns, as an operator would make a signature
/// from raw bytes.
fn openssl_base64(bytes: &[u8]) -> Vec<u8> {
    let dir = scratch("openssl-base64");
    let file = dir.join("signature.bin");
    std::fs::write(&file, bytes).unwrap();
    let output = std::process::Command::new("openssl")
        .arg("base64")
        .arg("-in")
        .arg(&file)
        .output()
        .expect("the openssl CLI is missing: apt-get install openssl");
    assert!(output.status.success());
    output.stdout
}

#[test]
fn a_signature_wrapped_by_openssl_base64_or_spaced_out_applies() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let document = update(2, &genuine_pins());
    let wrapped = openssl_base64(&signer.sign(&document));
    let text = String::from_utf8(wrapped.clone()).unwrap();
    assert_eq!(text.lines().map(str::len).collect::<Vec<_>>(), [64, 24], "{text}");
    store.accept(&document, &wrapped);

    // Any white space anywhere: CRLF, tabs, spaces between groups.
    let next = update(3, &genuine_pins());
    let plain = STANDARD.encode(signer.sign(&next));
    let spaced: String = plain
        .as_bytes()
        .chunks(8)
        .map(|group| std::str::from_utf8(group).unwrap())
        .collect::<Vec<_>>()
        .join(" \t\r\n");
    store.accept(&next, spaced.as_bytes());
    assert_eq!(store.version(), 3);

    // White space is all that is dropped: a character too many or too few is still refused.
    let last = update(4, &genuine_pins());
    let good = STANDARD.encode(signer.sign(&last));
    let missing = format!("{}\n{}", &good[..64], &good[65..]);
    store.refuse(&last, missing.as_bytes(), PIN_ERR_BAD_SIGNATURE, &["base64"]);
}

#[test]
fn keys_learned_by_trust_on_first_use_survive_an_update_that_keeps_the_entry() {
    let signer = Signer::new();
    let tofu = |version: u64, extra: &str| {
        format!(
            "{{\"certpin_policy\": 1, \"version\": {version}, \"expires\": \"{FAR}\",
               \"domains\": {{\"{HOST}\": {{\"tofu\": true}}{extra}}}}}"
        )
        .into_bytes()
    };
    let store = Store::with_anchors();
    store.load_policy(&tofu(1, ""));
    assert_eq!(store.add_update_key(&signer.public_key()), PIN_OK);
    assert_eq!(store.verify(GENUINE), PIN_ERR_NOT_PINNED, "first use");
    let leaf = CString::new(pin_of(LEAF)).unwrap();
    // SAFETY: a live store and NUL-terminated strings.
    assert_eq!(unsafe { pin_store_add(store.0, HOST_C.as_ptr(), leaf.as_ptr()) }, PIN_OK);
    assert_eq!((store.verify(GENUINE), store.verify(MITM)), (PIN_OK, PIN_ERR_PIN_MISMATCH));

    // An update that keeps the entry (and adds another) keeps the learned key.
    let extra = format!(", \"other.example\": {{\"pins\": [\"{BACKUP}\", \"{ROGUE_BACKUP}\"]}}");
    let v2 = tofu(2, &extra);
    store.accept(&v2, &signer.sign(&v2));
    assert_eq!((store.verify(GENUINE), store.verify(MITM)), (PIN_OK, PIN_ERR_PIN_MISMATCH));
    assert!(store.export().contains(&pin_of(LEAF)));
    // So does the built-in policy loaded again.
    store.load_policy(&tofu(1, ""));
    assert_eq!((store.verify(GENUINE), store.verify(MITM)), (PIN_OK, PIN_ERR_PIN_MISMATCH));

    // An update without the entry drops it, and its key with it.
    let v3 = update(3, &[BACKUP.to_owned(), ROGUE_BACKUP.to_owned()]);
    let v3 = String::from_utf8(v3).unwrap().replace(HOST, "other.example").into_bytes();
    store.accept(&v3, &signer.sign(&v3));
    assert!(!store.export().contains(&pin_of(LEAF)));
    let v4 = tofu(4, "");
    store.accept(&v4, &signer.sign(&v4));
    assert_eq!(store.verify(MITM), PIN_ERR_NOT_PINNED, "a first use again, once the entry went");
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_update_keys_are_invalid_arguments() {
    let store = Store::with_anchors();
    let generation = store.generation();
    let key_of = |len: usize| STANDARD.encode(random_bytes(len));
    let good = key_of(32);
    assert_eq!(good.len(), 44);
    let bad = [
        "not base64!".to_owned(),
        "".to_owned(),
        "   ".to_owned(),
        key_of(31),
        key_of(33),
        key_of(64),
        key_of(16),
        // Unpadded, and with a character outside the standard alphabet.
        good.trim_end_matches('=').to_owned(),
        format!("{}-", &good[..43]),
        // The key with a `sha256/` prefix, as if it were a pin.
        format!("sha256/{good}"),
        // Longer than any key string is read.
        "A".repeat(4096),
    ];
    for key in &bad {
        assert_eq!(store.add_update_key(key), PIN_ERR_INVALID_ARGUMENT, "{key:?}");
    }
    assert_eq!(store.generation(), generation, "a refused key changes nothing");

    // At most 16 keys.
    for _ in 0..16 {
        assert_eq!(store.add_update_key(&key_of(32)), PIN_OK);
    }
    let generation = store.generation();
    assert_eq!(store.add_update_key(&key_of(32)), PIN_ERR_INVALID_ARGUMENT);
    assert_eq!(store.generation(), generation);

    // A store full of keys that do not sign this update still refuses it.
    store.load_policy(&built_in_policy());
    let signer = Signer::new();
    let document = update(2, &genuine_pins());
    store.refuse(&document, &signer.sign(&document), PIN_ERR_BAD_SIGNATURE, &["trusted"]);
}

#[test]
fn null_arguments_are_refused() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let before = store.state();
    let key = CString::new(signer.public_key()).unwrap();
    let document = update(2, &genuine_pins());
    let signature = signer.sign(&document);
    let mut value = 7u64;

    // SAFETY: every pointer is NULL or valid for its length; the store is live.
    unsafe {
        assert_eq!(pin_store_add_update_key(null_mut(), key.as_ptr()), PIN_ERR_NULL_ARGUMENT);
        assert_eq!(pin_store_add_update_key(store.0, null()), PIN_ERR_NULL_ARGUMENT);

        let (doc, doc_len) = (document.as_ptr(), document.len());
        let (sig, sig_len) = (signature.as_ptr(), signature.len());
        let e = null_mut();
        assert_eq!(
            pin_store_apply_update(null_mut(), doc, doc_len, sig, sig_len, NOW, e, 0),
            PIN_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            pin_store_apply_update(store.0, null(), doc_len, sig, sig_len, NOW, e, 0),
            PIN_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            pin_store_apply_update(store.0, null(), 0, sig, sig_len, NOW, e, 0),
            PIN_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            pin_store_apply_update(store.0, doc, doc_len, null(), sig_len, NOW, e, 0),
            PIN_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            pin_store_apply_update(store.0, doc, doc_len, null(), 0, NOW, e, 0),
            PIN_ERR_NULL_ARGUMENT
        );

        assert_eq!(pin_store_policy_version(null(), &mut value), PIN_ERR_NULL_ARGUMENT);
        assert_eq!(pin_store_policy_version(store.0, null_mut()), PIN_ERR_NULL_ARGUMENT);
        assert_eq!(pin_store_policy_generation(null(), &mut value), PIN_ERR_NULL_ARGUMENT);
        assert_eq!(pin_store_policy_generation(store.0, null_mut()), PIN_ERR_NULL_ARGUMENT);
    }
    assert_eq!(value, 7, "nothing is written on a refused call");
    assert_eq!(store.state(), before);

    // The error buffer is optional: NULL, or a length of 0.
    // SAFETY: valid pointers and lengths; a NULL error buffer with length 0, then a real
    // buffer with length 0 (nothing may be written to it).
    unsafe {
        let stale = update(1, &genuine_pins());
        let sig = signer.sign(&stale);
        let call = |error: *mut c_char, len: usize| {
            pin_store_apply_update(
                store.0,
                stale.as_ptr(),
                stale.len(),
                sig.as_ptr(),
                sig.len(),
                NOW,
                error,
                len,
            )
        };
        assert_eq!(call(null_mut(), 0), PIN_ERR_STALE_UPDATE);
        assert_eq!(call(null_mut(), 64), PIN_ERR_STALE_UPDATE);
        let mut untouched = [b'#' as c_char; 8];
        assert_eq!(call(untouched.as_mut_ptr(), 0), PIN_ERR_STALE_UPDATE);
        assert_eq!(untouched, [b'#' as c_char; 8]);
        // A small buffer gets the start of the reason, NUL-terminated.
        let mut small = [b'#' as c_char; 8];
        assert_eq!(call(small.as_mut_ptr(), small.len()), PIN_ERR_STALE_UPDATE);
        assert_eq!(written_text(&small).map(|text| text.len()), Some(7));
    }
    assert_eq!(store.state(), before);
}

#[test]
fn documents_up_to_the_size_limit_are_read() {
    let signer = Signer::new();
    // One byte over (white space, signed): refused before anything else is looked at.
    let store = Store::started(&[&signer]);
    let before = store.state();
    let mut document = update(2, &genuine_pins());
    document.resize(CERTPIN_MAX_POLICY_LEN + 1, b' ');
    let applied = store.apply(&document, &signer.sign(&document));
    assert_eq!(applied.code, PIN_ERR_INVALID_ARGUMENT, "{:?}", applied.error);
    assert_eq!(store.state(), before);
    // Exactly at the limit: applied.
    document.truncate(CERTPIN_MAX_POLICY_LEN);
    store.accept(&document, &signer.sign(&document));
    assert_eq!((store.version(), store.verify(GENUINE)), (2, PIN_OK));
}

/// `pin_store_apply_update` promises: "On any failure the store is exactly as it was, and
/// `error` (optional) says why." A C caller that declares `char error[256];` and logs it after
/// any failure must never read an unterminated buffer. Refusals made while reading the
/// arguments must say why as well.
#[test]
fn refusals_of_the_arguments_also_say_why() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    let document = update(2, &genuine_pins());

    // A signature longer than any signature form is read (256 bytes; here a good one in
    // base64, padded with white space).
    let mut long = signer.sign_base64(&document);
    long.resize(300, b' ');
    store.refuse(&document, &long, PIN_ERR_BAD_SIGNATURE, &["signature"]);

    // A document over the size limit.
    let mut big = document.clone();
    big.resize(CERTPIN_MAX_POLICY_LEN + 1, b' ');
    store.refuse(&big, &signer.sign(&big), PIN_ERR_INVALID_ARGUMENT, &["bytes"]);
}

// ---------------------------------------------------------------------------------------------
// Verifications racing the swap
// ---------------------------------------------------------------------------------------------

/// The store pointer, shared between threads as a C caller shares it.
#[derive(Clone, Copy)]
struct SharedStore(*mut pin_store);

impl SharedStore {
    /// The pointer (a method, so that closures capture the whole `Sync` wrapper, not the
    /// raw pointer field).
    fn ptr(&self) -> *mut pin_store {
        self.0
    }
}

// SAFETY: a `pin_store` may be used from many threads at once (the header's contract); the
// store outlives every thread (they are scoped).
unsafe impl Send for SharedStore {}
// SAFETY: as above.
unsafe impl Sync for SharedStore {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Pinned {
    /// The genuine intermediate: genuine OK, MITM mismatch.
    Genuine,
    /// The rogue CA: MITM OK, genuine mismatch.
    Rogue,
}

impl Pinned {
    fn of_version(version: u64) -> Self {
        if version.is_multiple_of(2) { Pinned::Genuine } else { Pinned::Rogue }
    }

    fn pins(self) -> Vec<String> {
        match self {
            Pinned::Genuine => genuine_pins(),
            Pinned::Rogue => rogue_pins(),
        }
    }

    /// The verdicts (genuine, MITM) under this policy.
    fn verdicts(self) -> (pin_result, pin_result) {
        match self {
            Pinned::Genuine => (PIN_OK, PIN_ERR_PIN_MISMATCH),
            Pinned::Rogue => (PIN_ERR_PIN_MISMATCH, PIN_OK),
        }
    }
}

const READERS: usize = 4;
const LAST_VERSION: u64 = 50;

/// Raises its flag when dropped.
struct Flag<'a>(&'a AtomicBool);

impl Drop for Flag<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

#[test]
fn verdicts_racing_updates_each_match_exactly_one_policy() {
    let signer = Signer::new();
    let store = Store::started(&[&signer]);
    // Built-in v1 pins the rogue CA: `Pinned::of_version(1)`.
    let mut policy_of: HashMap<u64, Pinned> = HashMap::new();
    policy_of.insert(store.generation(), Pinned::of_version(1));
    // Signed before the race starts, so that the writer swaps as fast as it can.
    let updates: Vec<(u64, Vec<u8>, Vec<u8>)> = (2..=LAST_VERSION)
        .map(|version| {
            let document = update(version, &Pinned::of_version(version).pins());
            let signature = signer.sign(&document);
            (version, document, signature)
        })
        .collect();

    let shared = SharedStore(store.0);
    let done = AtomicBool::new(false);
    let start = Barrier::new(READERS + 2);
    let seen: Mutex<Vec<(u64, bool, pin_result)>> = Mutex::new(Vec::new());
    let polled: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());
    let started = Instant::now();

    thread::scope(|scope| {
        for _ in 0..READERS {
            scope.spawn(|| {
                let mut mine = Vec::new();
                start.wait();
                // At least a few rounds each, then until the writer is done.
                while mine.len() < 20 || !done.load(Ordering::Acquire) {
                    for (genuine, chain) in [(true, GENUINE), (false, MITM)] {
                        let (code, generation) = verify_detailed(shared.ptr(), chain);
                        assert!(
                            code == PIN_OK || code == PIN_ERR_PIN_MISMATCH,
                            "an unexpected verdict mid-swap: {}",
                            name(code)
                        );
                        mine.push((generation, genuine, code));
                        // Plain verification, mid-swap, gives one of the allowed outcomes.
                        let plain = verify(shared.ptr(), chain);
                        assert!(plain == PIN_OK || plain == PIN_ERR_PIN_MISMATCH, "{plain}");
                    }
                    if started.elapsed() > Duration::from_secs(5) {
                        break;
                    }
                }
                seen.lock().unwrap().extend(mine);
            });
        }
        // A poller: reading the generation takes far less time than a verification, so it
        // sees any state published between the old policy and the new one, however briefly.
        scope.spawn(|| {
            let (mut generations, mut last_version) = (BTreeSet::new(), 0);
            start.wait();
            while !done.load(Ordering::Acquire) {
                let (mut generation, mut version) = (0u64, 0u64);
                // SAFETY: a live store and writable u64s.
                unsafe {
                    assert_eq!(pin_store_policy_generation(shared.ptr(), &mut generation), PIN_OK);
                    assert_eq!(pin_store_policy_version(shared.ptr(), &mut version), PIN_OK);
                }
                assert!(
                    version >= last_version,
                    "the version went back: {version} < {last_version}"
                );
                last_version = version;
                generations.insert(generation);
            }
            *polled.lock().unwrap() = generations;
        });

        start.wait();
        // Set even if an assertion below fails, so that no thread is left running.
        let _done = Flag(&done);
        for (version, document, signature) in &updates {
            let applied = store.apply(document, signature);
            assert_eq!(applied.code, PIN_OK, "v{version}: {:?}", applied.error);
            // Only this thread writes, so the generation now is the one of this update.
            let previous = policy_of.insert(store.generation(), Pinned::of_version(*version));
            assert_eq!(previous, None, "every update gets a new generation");
            thread::sleep(Duration::from_millis(5));
        }
    });

    assert_eq!(store.version(), LAST_VERSION);
    let seen = seen.into_inner().unwrap();
    let mut generations = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for &(generation, genuine, code) in &seen {
        let policy = policy_of.get(&generation).unwrap_or_else(|| {
            panic!("generation {generation} was never published ({policy_of:?})")
        });
        let (genuine_code, mitm_code) = policy.verdicts();
        let expected = if genuine { genuine_code } else { mitm_code };
        assert_eq!(
            code,
            expected,
            "{} chain under generation {generation} ({policy:?}): {}",
            if genuine { "genuine" } else { "MITM" },
            name(code)
        );
        generations.insert(generation);
        policies.insert(*policy);
    }
    assert!(generations.len() > 2, "the readers saw only generations {generations:?}");
    // Every state anyone could observe is the state before or after one whole update.
    for generation in polled.into_inner().unwrap() {
        assert!(
            policy_of.contains_key(&generation),
            "generation {generation} was published but is no update's ({policy_of:?})"
        );
    }
    assert_eq!(policies.len(), 2, "the readers saw only {policies:?}");
    // The final state, as a check on the bookkeeping.
    let (genuine_code, mitm_code) = Pinned::of_version(LAST_VERSION).verdicts();
    assert_eq!((store.verify(GENUINE), store.verify(MITM)), (genuine_code, mitm_code));
}
