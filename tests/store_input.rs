//! What every entry point does with bad input, through the C ABI: malformed pins and host
//! patterns (refused, store unchanged), non-UTF-8 and over-long strings, NULL pointers,
//! chain and certificate length limits, garbage DER, `pin_spki_sha256` against openssl's pins
//! and its output buffer, and the result-code names.

mod common;

use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin::*;
use common::*;
use sha2::{Digest, Sha256};

const HOST: &str = "api.example.com";

struct Fixture {
    genuine: Hierarchy,
    rogue: Cert,
    mitm: Cert,
}

fn fx() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let names = [HOST, "www.example.com", "a.b.example.com", "example.com", "example.org"];
        let genuine = Hierarchy::new("Genuine", &names);
        let rogue = Pki::root("Rogue Proxy CA").self_signed();
        let mitm = Pki::leaf(&names).cn("MITM Leaf").signed_by(&rogue);
        Fixture { genuine, rogue, mitm }
    })
}

/// A store trusting both roots, with the genuine root pinned for api.example.com and the
/// genuine intermediate for everything under example.com; example.org is not pinned.
fn pinned_store() -> Store {
    let f = fx();
    let store = Store::with_anchors(&[f.genuine.root.der(), f.rogue.der()]);
    store.pin(HOST, &f.genuine.root.pin());
    store.pin("**.example.com", &f.genuine.intermediate.pin());
    store
}

fn genuine() -> Vec<&'static [u8]> {
    fx().genuine.chain().to_vec()
}

/// The verdicts that show a store's state: both chains for the exactly pinned name, for names
/// pinned by the `**.` pattern (one label down, two labels down, the apex) and for an unpinned
/// name. A change anywhere that covers one of them (a pin, or an empty entry that shadows a
/// broader pattern) changes at least one verdict.
fn verdicts(store: &Store) -> Vec<(String, u32)> {
    let f = fx();
    let chains: [(&str, Vec<&[u8]>); 2] = [("genuine", genuine()), ("mitm", vec![f.mitm.der()])];
    let mut out = Vec::new();
    for (which, chain) in &chains {
        for host in [HOST, "www.example.com", "a.b.example.com", "example.com", "example.org"] {
            out.push((format!("{which} chain, {host}"), verify(store, chain, host, T)));
        }
    }
    out
}

#[track_caller]
fn assert_unchanged(store: &Store, before: &[(String, u32)], after_what: &str) {
    let after = verdicts(store);
    for ((case, was), (_, is)) in before.iter().zip(&after) {
        expect(*is, *was, &format!("{case}, after {after_what}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed pins and patterns

#[test]
fn malformed_pins_are_refused_and_change_nothing() {
    let store = pinned_store();
    let before = verdicts(&store);
    assert!(before.iter().any(|(_, code)| *code == PIN_ERR_PIN_MISMATCH), "a pinned case");
    assert!(before.iter().any(|(_, code)| *code == PIN_OK), "an unpinned case");
    let good = &fx().genuine.root.pin();
    let body = good.strip_prefix("sha256/").unwrap();
    let b64 = |bytes: &[u8]| format!("sha256/{}", STANDARD.encode(bytes));
    let bad = vec![
        String::new(),
        "sha256/".to_owned(),
        body.to_owned(),                                                  // no prefix
        format!("sha1/{body}"),                                           // wrong algorithm
        format!("SHA256/{body}"),                                         // wrong case
        format!("sha-256/{body}"),                                        // wrong name
        format!("sha256:{body}"),                                         // wrong separator
        format!("pin-sha256=\"{body}\""),                                 // the HPKP header form
        format!(" {good}"),                                               // leading space
        format!("{good} "),                                               // trailing space
        format!("{good}\n"),                                              // trailing newline
        format!("sha256/ {}", &body[1..]),                                // space inside
        format!("sha256/{}", &body[..43]),                                // padding missing
        format!("{good}="),                                               // extra padding
        format!("{good}A"),                                               // extra character
        format!("sha256/{}", body.replace('=', "A")), // 33 bytes' worth, unpadded
        format!("sha256/!{}", &body[1..]),            // not base64
        format!("sha256/{}A=", "-_".repeat(21)),      // base64url ("+/" in standard)
        b64(&[7u8; 31]),                              // 31 bytes
        b64(&[7u8; 33]),                              // 33 bytes
        b64(&[7u8; 64]),                              // a SHA-512
        b64(&[7u8; 20]),                              // a SHA-1
        "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+=".to_owned(), // non-canonical
        "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=".to_owned(), // non-canonical
        "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A".to_owned(), // last '=' replaced
        format!("sha256/{}", "=".repeat(44)),
    ];
    // The variants above start from a canonical pin (it round-trips), so each differs from a
    // valid pin only in the way its comment says.
    assert_eq!(STANDARD.encode(STANDARD.decode(body).unwrap()), body);
    for pin in &bad {
        for pattern in [HOST, "www.example.com", "**.example.com", "*.example.com"] {
            expect(store.add(pattern, pin), PIN_ERR_BAD_PIN, &format!("{pattern} / {pin:?}"));
        }
    }
    assert_unchanged(&store, &before, "malformed pins");
}

#[test]
fn malformed_patterns_are_refused_and_change_nothing() {
    let store = pinned_store();
    let before = verdicts(&store);
    // The rogue root's pin: had any of these patterns been taken as covering one of the names
    // checked, that name's verdict would change (the MITM chain would pass where the genuine
    // pins apply, or the genuine chain would fail where none did).
    let rogue_pin = fx().rogue.pin();
    let long_label = format!("*.{}.com", "a".repeat(64));
    let bad = [
        "",
        ".",
        "*",
        "**",
        "*.",
        "**.",
        "***.example.com",
        "*example.com",
        "**example.com",
        "a*.example.com",
        "*a.example.com",
        "www.*.com",
        "*.*.example.com",
        "**.*.example.com",
        "*.**.example.com",
        "example.*",
        "*.example.com*",
        ".example.com",
        "*..example.com",
        "*.example..com",
        "* .example.com",
        "*.exa mple.com",
        "*.example.com:443",
        "*.127.0.0.1",
        "**.192.0.2.1",
        "*.0.2.1",
        "*.[2001:db8::1]",
        "**.2001:db8::1",
        "*.::1",
        "[192.0.2.1]",
        "example.123",
        "0x7f.1",
        long_label.as_str(),
    ];
    for pattern in bad {
        expect(store.add(pattern, &rogue_pin), PIN_ERR_BAD_HOST, &format!("{pattern:?}"));
    }
    // Both malformed: either refusal is fine, as long as nothing changes.
    let code = store.add("*.*.example.com", "sha1/xyz");
    assert!(code == PIN_ERR_BAD_HOST || code == PIN_ERR_BAD_PIN, "{}", name_of(code));
    assert_unchanged(&store, &before, "malformed patterns");
    // And the store still takes good input.
    store.pin("www.example.com", UNRELATED_PIN);
    expect(verify(&store, &genuine(), "www.example.com", T), PIN_ERR_PIN_MISMATCH, "after");
}

#[test]
fn strings_that_are_not_utf8_are_invalid_arguments() {
    let store = pinned_store();
    let before = verdicts(&store);
    let good_pin = cstring(&fx().genuine.root.pin());
    let not_utf8: [&[u8]; 5] = [
        b"api.example.\xff\0",
        b"\xc3(.example.com\0",        // a broken two-byte sequence
        b"\xed\xa0\x80.example.com\0", // an encoded surrogate
        b"\xc0\xae.example.com\0",     // an overlong '.'
        b"api.example.com\x80\0",
    ];
    for bytes in not_utf8 {
        let text = CStr::from_bytes_with_nul(bytes).unwrap();
        // SAFETY: a live store and NUL-terminated strings.
        let code = unsafe { pin_store_add(store.ptr(), text.as_ptr(), good_pin.as_ptr()) };
        expect(code, PIN_ERR_INVALID_ARGUMENT, &format!("pattern {bytes:?}"));
        let host = cstring(HOST);
        // SAFETY: as above.
        let code = unsafe { pin_store_add(store.ptr(), host.as_ptr(), text.as_ptr()) };
        expect(code, PIN_ERR_INVALID_ARGUMENT, &format!("pin {bytes:?}"));
        expect(
            verify_ptr(store.ptr(), &genuine(), text, T),
            PIN_ERR_INVALID_ARGUMENT,
            &format!("host {bytes:?}"),
        );
    }
    assert_unchanged(&store, &before, "non-UTF-8 strings");
}

/// `len` bytes of `fill` with no NUL anywhere: the library must stop reading at its limit
/// (it reads at most limit + 1 bytes), so this is a valid argument to pass.
fn unterminated(len: usize, fill: u8) -> Vec<u8> {
    vec![fill; len]
}

#[test]
fn strings_longer_than_their_limit_are_invalid_arguments() {
    let store = pinned_store();
    let before = verdicts(&store);
    let good_pin = cstring(&fx().genuine.root.pin());
    let host = cstring(HOST);

    // One byte over the limit, with no NUL within it (nor anywhere).
    let long_host = unterminated(CERTPIN_MAX_HOST_LEN + 1, b'a');
    let long_pin = unterminated(CERTPIN_MAX_PIN_LEN + 1, b'A');
    let host_ptr = long_host.as_ptr().cast::<c_char>();
    let pin_ptr = long_pin.as_ptr().cast::<c_char>();
    // SAFETY: a live store; each string is NUL-terminated or has limit + 1 readable bytes.
    unsafe {
        let code = pin_store_add(store.ptr(), host_ptr, good_pin.as_ptr());
        expect(code, PIN_ERR_INVALID_ARGUMENT, "pattern of MAX_HOST_LEN + 1, no NUL");
        let code = pin_store_add(store.ptr(), host.as_ptr(), pin_ptr);
        expect(code, PIN_ERR_INVALID_ARGUMENT, "pin of MAX_PIN_LEN + 1, no NUL");
        let entries = pin_bytes_of(&genuine());
        let code = pin_verify_chain_at(store.ptr(), entries.as_ptr(), entries.len(), host_ptr, T);
        expect(code, PIN_ERR_INVALID_ARGUMENT, "host of MAX_HOST_LEN + 1, no NUL");
    }

    // Far over the limit, NUL-terminated.
    let very_long = cstring(&"a".repeat(100_000));
    // SAFETY: as above.
    unsafe {
        let code = pin_store_add(store.ptr(), very_long.as_ptr(), good_pin.as_ptr());
        expect(code, PIN_ERR_INVALID_ARGUMENT, "pattern of 100000 bytes");
        let code = pin_store_add(store.ptr(), host.as_ptr(), very_long.as_ptr());
        expect(code, PIN_ERR_INVALID_ARGUMENT, "pin of 100000 bytes");
    }
    expect(verify_ptr(store.ptr(), &genuine(), &very_long, T), PIN_ERR_INVALID_ARGUMENT, "host");

    // Exactly at the limit: read, then refused for what it says.
    let at_limit_host = "a".repeat(CERTPIN_MAX_HOST_LEN);
    let at_limit_pin = format!("sha256/{}", "A".repeat(CERTPIN_MAX_PIN_LEN - 7));
    expect(store.add(&at_limit_host, &fx().genuine.root.pin()), PIN_ERR_BAD_HOST, "host at limit");
    expect(store.add(HOST, &at_limit_pin), PIN_ERR_BAD_PIN, "pin at limit");
    expect(verify(&store, &genuine(), &at_limit_host, T), PIN_ERR_BAD_HOST, "host at limit");
    assert_unchanged(&store, &before, "over-long strings");
}

// ---------------------------------------------------------------------------------------------
// NULL pointers

#[test]
fn null_pointers_are_null_arguments() {
    let store = pinned_store();
    let before = verdicts(&store);
    let chain = genuine();
    let entries = pin_bytes_of(&chain);
    let host = cstring(HOST);
    let pin = cstring(&fx().genuine.root.pin());
    let mut out = [0 as c_char; 64];
    let root = fx().genuine.root.der();
    // SAFETY: every pointer is NULL or valid for what the call reads or writes.
    unsafe {
        let s = store.ptr();
        let n = entries.len();
        let cases: Vec<(&str, u32)> = vec![
            ("add: store", pin_store_add(null_mut(), host.as_ptr(), pin.as_ptr())),
            ("add: pattern", pin_store_add(s, null(), pin.as_ptr())),
            ("add: pin", pin_store_add(s, host.as_ptr(), null())),
            ("add: all", pin_store_add(null_mut(), null(), null())),
            ("anchor: store", pin_store_add_trust_anchor(null_mut(), root.as_ptr(), root.len())),
            ("anchor: der", pin_store_add_trust_anchor(s, null(), root.len())),
            ("anchor: der, len 0", pin_store_add_trust_anchor(s, null(), 0)),
            ("verify: store", pin_verify_chain_at(null(), entries.as_ptr(), n, host.as_ptr(), T)),
            ("verify: chain", pin_verify_chain_at(s, null(), n, host.as_ptr(), T)),
            ("verify: chain, len 0", pin_verify_chain_at(s, null(), 0, host.as_ptr(), T)),
            ("verify: host", pin_verify_chain_at(s, entries.as_ptr(), n, null(), T)),
            ("verify now: store", pin_verify_chain(null(), entries.as_ptr(), n, host.as_ptr())),
            ("verify now: chain", pin_verify_chain(s, null(), n, host.as_ptr())),
            ("verify now: host", pin_verify_chain(s, entries.as_ptr(), n, null())),
            (
                "explain: store",
                pin_verify_chain_explain_at(
                    null(),
                    entries.as_ptr(),
                    n,
                    host.as_ptr(),
                    T,
                    null_mut(),
                    0,
                ),
            ),
            (
                "explain: chain",
                pin_verify_chain_explain_at(s, null(), n, host.as_ptr(), T, null_mut(), 0),
            ),
            (
                "explain: host",
                pin_verify_chain_explain_at(s, entries.as_ptr(), n, null(), T, null_mut(), 0),
            ),
            (
                "explain now: host",
                pin_verify_chain_explain(s, entries.as_ptr(), n, null(), null_mut(), 0),
            ),
            ("spki: der", pin_spki_sha256(null(), root.len(), out.as_mut_ptr(), out.len())),
            ("spki: der, len 0", pin_spki_sha256(null(), 0, out.as_mut_ptr(), out.len())),
            ("spki: out", pin_spki_sha256(root.as_ptr(), root.len(), null_mut(), 52)),
            ("spki: out, len 0", pin_spki_sha256(root.as_ptr(), root.len(), null_mut(), 0)),
        ];
        for (what, code) in cases {
            expect(code, PIN_ERR_NULL_ARGUMENT, what);
        }
    }
    assert!(out.iter().all(|&b| b == 0), "nothing written on error");
    assert_unchanged(&store, &before, "NULL arguments");
}

#[test]
fn a_null_certificate_pointer_is_a_null_argument_even_with_length_zero() {
    let store = pinned_store();
    let [leaf, int] = fx().genuine.chain();
    let host = cstring(HOST);
    let cases = [
        ("leaf NULL, len 0", [pin_bytes { data: null(), len: 0 }, entry(int)]),
        ("leaf NULL, len of the leaf", [pin_bytes { data: null(), len: leaf.len() }, entry(int)]),
        ("intermediate NULL, len 0", [entry(leaf), pin_bytes { data: null(), len: 0 }]),
        ("intermediate NULL", [entry(leaf), pin_bytes { data: null(), len: int.len() }]),
    ];
    for (what, entries) in cases {
        // SAFETY: a live store and host; the NULL data pointer is what is tested.
        let code = unsafe {
            pin_verify_chain_at(store.ptr(), entries.as_ptr(), entries.len(), host.as_ptr(), T)
        };
        expect(code, PIN_ERR_NULL_ARGUMENT, what);
    }
}

fn entry(der: &[u8]) -> pin_bytes {
    pin_bytes { data: der.as_ptr(), len: der.len() }
}

#[test]
fn freeing_null_is_a_no_op() {
    // SAFETY: NULL is documented as a no-op.
    unsafe { pin_store_free(null_mut()) };
    // And a store can be made and freed many times over.
    for _ in 0..100 {
        let store = pin_store_new();
        assert!(!store.is_null());
        // SAFETY: freshly made, freed once.
        unsafe { pin_store_free(store) };
    }
}

// ---------------------------------------------------------------------------------------------
// Chain and certificate limits, garbage DER

#[test]
fn an_empty_chain_is_refused() {
    let store = pinned_store();
    let entries = pin_bytes_of(&genuine());
    let host = cstring(HOST);
    // SAFETY: a live store, a valid (unused) chain pointer, a NUL-terminated host.
    let code = unsafe { pin_verify_chain_at(store.ptr(), entries.as_ptr(), 0, host.as_ptr(), T) };
    expect(code, PIN_ERR_EMPTY_CHAIN, "chain_len 0");
    let (code, text) = {
        let mut buffer = [0 as c_char; 256];
        // SAFETY: as above, with a 256-byte buffer.
        let code = unsafe {
            pin_verify_chain_explain_at(
                store.ptr(),
                entries.as_ptr(),
                0,
                host.as_ptr(),
                T,
                buffer.as_mut_ptr(),
                buffer.len(),
            )
        };
        // SAFETY: the buffer holds a NUL-terminated text.
        (code, unsafe { CStr::from_ptr(buffer.as_ptr()) }.to_string_lossy().into_owned())
    };
    expect(code, PIN_ERR_EMPTY_CHAIN, "explained chain_len 0");
    assert!(text.starts_with("PIN_ERR_EMPTY_CHAIN"), "{text}");
}

#[test]
fn the_chain_length_limit_is_enforced() {
    let store = pinned_store();
    let [leaf, int] = fx().genuine.chain();
    // The leaf and the intermediate sent over and over, up to the limit: still valid.
    let mut chain: Vec<&[u8]> = vec![leaf];
    chain.resize(CERTPIN_MAX_CHAIN_LEN, int);
    expect(verify(&store, &chain, HOST, T), PIN_OK, "CERTPIN_MAX_CHAIN_LEN certificates");
    chain.push(int);
    expect(verify(&store, &chain, HOST, T), PIN_ERR_INVALID_ARGUMENT, "one over the limit");
    // A huge chain_len is refused before any entry is read (only 2 entries exist here).
    let entries = pin_bytes_of(&[leaf, int]);
    let host = cstring(HOST);
    for len in [CERTPIN_MAX_CHAIN_LEN + 1, usize::MAX / 16, usize::MAX] {
        // SAFETY: the library must refuse the length without reading past the two entries.
        let code =
            unsafe { pin_verify_chain_at(store.ptr(), entries.as_ptr(), len, host.as_ptr(), T) };
        expect(code, PIN_ERR_INVALID_ARGUMENT, &format!("chain_len {len}"));
    }
}

#[test]
fn the_certificate_length_limit_is_enforced() {
    let store = pinned_store();
    let [leaf, int] = fx().genuine.chain();
    let huge = vec![0x30u8; CERTPIN_MAX_CERT_LEN + 1];
    expect(verify(&store, &[&huge, int], HOST, T), PIN_ERR_INVALID_ARGUMENT, "huge leaf");
    expect(verify(&store, &[leaf, &huge], HOST, T), PIN_ERR_INVALID_ARGUMENT, "huge intermediate");
    let at_limit = vec![0x30u8; CERTPIN_MAX_CERT_LEN];
    expect(verify(&store, &[&at_limit, int], HOST, T), PIN_ERR_BAD_CERTIFICATE, "at the limit");
    // A huge length is refused before anything is read (the data is 1 byte long).
    let byte = [0x30u8];
    let entries = [pin_bytes { data: byte.as_ptr(), len: usize::MAX }, entry(int)];
    let host = cstring(HOST);
    // SAFETY: the library must refuse the length without reading the data.
    let code = unsafe { pin_verify_chain_at(store.ptr(), entries.as_ptr(), 2, host.as_ptr(), T) };
    expect(code, PIN_ERR_INVALID_ARGUMENT, "len usize::MAX");
    // Anchors and pin_spki_sha256 have the same limit.
    expect(store.add_anchor(&huge), PIN_ERR_INVALID_ARGUMENT, "huge anchor");
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    // SAFETY: `huge.len()` readable bytes, an out buffer of its length.
    let code = unsafe { pin_spki_sha256(huge.as_ptr(), huge.len(), out.as_mut_ptr(), out.len()) };
    expect(code, PIN_ERR_INVALID_ARGUMENT, "huge certificate for pin_spki_sha256");
}

#[test]
fn garbage_certificates_are_bad_certificates() {
    let store = pinned_store();
    let [leaf, int] = fx().genuine.chain();
    let mut trailing = leaf.to_vec();
    trailing.push(0);
    let garbage: Vec<(&str, Vec<u8>)> = vec![
        ("text", b"not a certificate".to_vec()),
        ("one byte", vec![0x30]),
        ("empty SEQUENCE", vec![0x30, 0x00]),
        ("truncated leaf", leaf[..leaf.len() / 2].to_vec()),
        ("leaf minus its last byte", leaf[..leaf.len() - 1].to_vec()),
        ("leaf with a trailing byte", trailing),
        ("PEM instead of DER", testdata("leaf.pem")),
        ("a private key", testdata("leaf.key")),
        ("zeros", vec![0; 1000]),
    ];
    for (what, bytes) in &garbage {
        expect(
            verify(&store, &[bytes, int], HOST, T),
            PIN_ERR_BAD_CERTIFICATE,
            &format!("leaf: {what}"),
        );
        // Only the leaf must parse: junk among the intermediates is ignored (issue 12).
        expect(verify(&store, &[leaf, int, bytes], HOST, T), PIN_OK, &format!("extra: {what}"));
        expect(store.add_anchor(bytes), PIN_ERR_BAD_CERTIFICATE, &format!("anchor: {what}"));
    }
    // A zero-length certificate (non-NULL pointer) has no DER to parse.
    let empty: &[u8] = &[];
    expect(verify(&store, &[empty, int], HOST, T), PIN_ERR_BAD_CERTIFICATE, "empty leaf");
    expect(verify(&store, &[leaf, int, empty], HOST, T), PIN_OK, "an empty extra certificate");
    expect(verify(&store, &[leaf, empty], HOST, T), PIN_ERR_UNKNOWN_ISSUER, "empty intermediate");
}

#[test]
fn a_garbage_anchor_leaves_the_store_as_it_was() {
    let (leaf, int, root) =
        (testdata("leaf.der"), testdata("intermediate-ca.der"), testdata("root-ca.der"));
    let store = Store::new();
    expect(store.add_anchor(b"garbage"), PIN_ERR_BAD_CERTIFICATE, "garbage anchor");
    expect(store.add_anchor(&root[..root.len() - 1]), PIN_ERR_BAD_CERTIFICATE, "truncated root");
    let one = [0x30u8];
    // SAFETY: a non-NULL pointer with length 0.
    let code = unsafe { pin_store_add_trust_anchor(store.ptr(), one.as_ptr(), 0) };
    expect(code, PIN_ERR_BAD_CERTIFICATE, "empty anchor");
    // Still no anchor of its own: the built-in roots, which do not know the sample root.
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_ERR_UNKNOWN_ISSUER, "still built-in");
    expect(store.add_anchor(&root), PIN_OK, "the sample root");
    expect(store.add_anchor(&root), PIN_OK, "the sample root again");
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_OK, "sample root trusted");
    expect(store.add_anchor(b"garbage"), PIN_ERR_BAD_CERTIFICATE, "garbage anchor later");
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_OK, "still trusted");
}

// ---------------------------------------------------------------------------------------------
// pin_spki_sha256

#[test]
fn pins_match_the_ones_openssl_computed_for_every_sample() {
    let pins = testdata_pins();
    assert_eq!(pins.len(), 9, "every sample in pins.txt");
    for (name, want) in pins {
        assert_eq!(pin_of(&testdata(&format!("{name}.der"))), want, "{name}");
    }
}

#[test]
fn a_v1_root_has_a_pin_though_no_server_certificate_could_be_v1() {
    // webpki parses an X.509 v1 certificate as a trust anchor, not as a server certificate; a
    // root that old is still pinnable (and addable as an anchor). The pin, from openssl:
    //   openssl x509 -inform der -in testdata/hostile/v1-root.der -pubkey -noout |
    //   openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
    let v1_root = testdata("hostile/v1-root.der");
    assert_eq!(pin_of(&v1_root), "sha256/R1kglxvNYiszBw0s3MOJR4hAOEwsOe9EjWWoVS6UBB0=");
    expect(Store::new().add_anchor(&v1_root), PIN_OK, "a v1 root as a trust anchor");
}

#[test]
fn pins_are_the_sha256_of_the_subject_public_key_info() {
    // rcgen's own SPKI encoding, hashed here: the same value pin_spki_sha256 gives.
    let f = fx();
    for cert in [&f.genuine.root, &f.genuine.intermediate, &f.genuine.leaf, &f.rogue, &f.mitm] {
        let want = format!("sha256/{}", STANDARD.encode(Sha256::digest(cert.spki_der())));
        assert_eq!(cert.pin(), want);
    }
}

#[test]
fn the_pin_buffer_needs_52_bytes_and_is_untouched_when_short() {
    let der = testdata("leaf.der");
    let pins = testdata_pins();
    let want = &pins.iter().find(|(name, _)| name == "leaf").expect("leaf in pins.txt").1;
    assert_eq!(CERTPIN_PIN_BUFFER_LEN, 52);
    for len in [0, 1, 7, 50, 51] {
        let mut out = [0x5a as c_char; 64];
        // SAFETY: `der.len()` readable bytes; `len` <= 64 writable bytes.
        let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.as_mut_ptr(), len) };
        expect(code, PIN_ERR_BUFFER_TOO_SMALL, &format!("buffer of {len}"));
        assert!(out.iter().all(|&b| b == 0x5a), "buffer of {len}: nothing written");
    }
    for len in [52, 53, 64] {
        let mut out = [0x5a as c_char; 64];
        // SAFETY: as above.
        let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.as_mut_ptr(), len) };
        expect(code, PIN_OK, &format!("buffer of {len}"));
        // SAFETY: on success the buffer holds a NUL-terminated string.
        let text = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap();
        assert_eq!(text, want.as_str());
        assert!(out[52..].iter().all(|&b| b == 0x5a), "nothing written past the NUL");
    }
}

#[test]
fn pin_spki_sha256_refuses_bad_input_and_writes_nothing() {
    let mut out = [0x5a as c_char; 64];
    let garbage = b"not a certificate";
    let der = testdata("leaf.der");
    let mut trailing = der.clone();
    trailing.push(0);
    // SAFETY: every pointer is valid for its stated length.
    unsafe {
        let code = pin_spki_sha256(garbage.as_ptr(), garbage.len(), out.as_mut_ptr(), out.len());
        expect(code, PIN_ERR_BAD_CERTIFICATE, "garbage");
        let code = pin_spki_sha256(der.as_ptr(), der.len() - 1, out.as_mut_ptr(), out.len());
        expect(code, PIN_ERR_BAD_CERTIFICATE, "truncated");
        let code = pin_spki_sha256(trailing.as_ptr(), trailing.len(), out.as_mut_ptr(), out.len());
        expect(code, PIN_ERR_BAD_CERTIFICATE, "trailing byte");
        let code = pin_spki_sha256(der.as_ptr(), 0, out.as_mut_ptr(), out.len());
        expect(code, PIN_ERR_INVALID_ARGUMENT, "der_len 0");
    }
    assert!(out.iter().all(|&b| b == 0x5a), "nothing written");
}

// ---------------------------------------------------------------------------------------------
// Result names, descriptions and version

const CONTRACT_CODES: &[(u32, &str)] = &[
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
    (PIN_ERR_INTERNAL, "PIN_ERR_INTERNAL"),
];

#[test]
fn every_contract_code_has_its_name_and_value() {
    let values: Vec<u32> = CONTRACT_CODES.iter().map(|(v, _)| *v).collect();
    assert_eq!(values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 255]);
    for (code, name) in CONTRACT_CODES {
        assert_eq!(name_of(*code), *name, "code {code}");
        // SAFETY: a static NUL-terminated string for any value.
        let description = unsafe { CStr::from_ptr(pin_result_description(*code)) };
        assert!(!description.to_bytes().is_empty(), "{name} has a description");
    }
}

/// Every `PIN_OK` / `PIN_ERR_*` result code the committed header defines, by name. The project
/// may add codes beyond the contract's (it has: 18 is `PIN_ERR_IO`), so "unknown" means "not
/// in the header", not "not in the contract".
fn header_codes() -> Vec<(u32, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("include/certpin.h");
    let header = std::fs::read_to_string(path).expect("include/certpin.h");
    header
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("#define ")?.split_whitespace();
            let (name, value) = (words.next()?, words.next()?);
            let is_result = name == "PIN_OK" || name.starts_with("PIN_ERR_");
            is_result.then(|| (value.parse().expect("a numeric code"), name.to_owned()))
        })
        .collect()
}

#[test]
fn every_header_code_has_its_own_name() {
    let codes = header_codes();
    for (code, name) in CONTRACT_CODES {
        assert!(codes.contains(&(*code, name.to_string())), "{name} = {code} is in the header");
    }
    for (code, name) in &codes {
        assert_eq!(name_of(*code), name, "code {code}");
    }
}

#[test]
fn unknown_codes_have_the_unknown_name() {
    let known: Vec<u32> = header_codes().into_iter().map(|(code, _)| code).collect();
    let candidates = (0..=300).chain([1000, i32::MAX as u32, u32::MAX - 1, u32::MAX]);
    let unknown: Vec<u32> = candidates.filter(|code| !known.contains(code)).collect();
    for code in [19, 254, 256, u32::MAX] {
        assert!(unknown.contains(&code), "{code} is not a defined code");
    }
    for code in unknown {
        assert_eq!(name_of(code), "PIN_ERR_UNKNOWN", "code {code}");
        // SAFETY: a static NUL-terminated string for any value.
        let description = unsafe { CStr::from_ptr(pin_result_description(code)) };
        assert!(!description.to_bytes().is_empty(), "code {code} has a description");
    }
    // The same static string every time.
    assert_eq!(pin_result_name(254), pin_result_name(u32::MAX));
}

#[test]
fn the_version_matches_the_header_macros() {
    // SAFETY: a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(pin_version()) }.to_str().unwrap();
    let macros = format!("{CERTPIN_VERSION_MAJOR}.{CERTPIN_VERSION_MINOR}.{CERTPIN_VERSION_PATCH}");
    assert_eq!(version, macros);
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}
