//! Path validation and pins, through the C ABI: where on the validated path a pin may sit,
//! MITM chains from a trusted rogue root (with genuine certificates appended, CVE-2016-2402),
//! cross-signed intermediates, validity windows, the other path failures, the built-in roots,
//! the openssl-made samples in testdata/, and the explanation of a verdict.

mod common;

use std::ffi::{CStr, c_char};
use std::sync::OnceLock;

use certpin::*;
use common::*;
use rcgen::ExtendedKeyUsagePurpose;

const HOST: &str = "api.example.com";

/// One genuine PKI and one MITM proxy, both trusted by the stores under test.
struct Fixture {
    genuine: Hierarchy,
    /// A user-installed proxy root (Charles, mitmproxy): trusted, but not the host's PKI.
    rogue: Cert,
    /// The proxy's leaf for the pinned host, issued directly by the rogue root.
    mitm: Cert,
    /// A second, unrelated genuine PKI, never trusted.
    stranger: Hierarchy,
}

fn fx() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let genuine = Hierarchy::new("Genuine", &[HOST, "www.example.com"]);
        let rogue = Pki::root("Rogue Proxy CA").self_signed();
        let mitm = Pki::leaf(&[HOST, "www.example.com"]).cn("MITM Leaf").signed_by(&rogue);
        let stranger = Hierarchy::new("Stranger", &[HOST]);
        Fixture { genuine, rogue, mitm, stranger }
    })
}

/// A store trusting the genuine root and the rogue root, with `pins` under `pattern`.
fn pinned_store(pattern: &str, pins: &[&str]) -> Store {
    let f = fx();
    let store = Store::with_anchors(&[f.genuine.root.der(), f.rogue.der()]);
    for pin in pins {
        store.pin(pattern, pin);
    }
    store
}

fn genuine_chain() -> Vec<&'static [u8]> {
    fx().genuine.chain().to_vec()
}

fn mitm_chain() -> Vec<&'static [u8]> {
    vec![fx().mitm.der()]
}

// ---------------------------------------------------------------------------------------------
// Where a pin may sit on the validated path

#[test]
fn a_pin_on_the_leaf_the_intermediate_or_the_root_passes() {
    let f = fx();
    for (level, pin) in [
        ("leaf", f.genuine.leaf.pin()),
        ("intermediate", f.genuine.intermediate.pin()),
        ("root (trust anchor)", f.genuine.root.pin()),
    ] {
        let store = pinned_store(HOST, &[&pin]);
        expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, &format!("pin on the {level}"));
    }
}

#[test]
fn a_pin_on_no_certificate_of_the_path_is_a_mismatch() {
    let store = pinned_store(HOST, &[UNRELATED_PIN]);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "unrelated pin");
    // A pin of a key that is a valid root elsewhere, but not on this path.
    let store = pinned_store(HOST, &[&fx().stranger.root.pin()]);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "another PKI's root");
}

#[test]
fn a_backup_pin_is_enough() {
    let f = fx();
    let store = pinned_store(HOST, &[UNRELATED_PIN, &f.genuine.root.pin()]);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, "second of two pins on the path");
    expect(verify(&store, &mitm_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "MITM with backup pins");

    let store = pinned_store(HOST, &[&f.genuine.leaf.pin(), UNRELATED_PIN]);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, "first of two pins on the path");

    let store = pinned_store(HOST, &[UNRELATED_PIN, UNRELATED_PIN_2]);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "neither pin on path");
}

#[test]
fn pins_given_twice_or_in_another_spelling_accumulate_once() {
    let f = fx();
    let store = pinned_store(HOST, &[UNRELATED_PIN]);
    store.pin("API.Example.COM.", UNRELATED_PIN);
    store.pin("api.example.com", UNRELATED_PIN);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "still one bad pin");
    store.pin("Api.Example.Com", &f.genuine.intermediate.pin());
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, "backup added via another spelling");
}

#[test]
fn a_host_without_pins_gets_plain_validation() {
    let f = fx();
    // Pins for another host only: api.example.com itself is not pinned.
    let store = pinned_store("other.example.org", &[UNRELATED_PIN]);
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, "genuine chain, no pins");
    // Without pins, a chain from any trusted root passes: that is what pinning is for.
    expect(verify(&store, &mitm_chain(), HOST, T), PIN_OK, "MITM chain, host not pinned");
    // Still a real validation: an untrusted PKI fails.
    expect(
        verify(&store, &f.stranger.chain(), HOST, T),
        PIN_ERR_UNKNOWN_ISSUER,
        "untrusted chain, host not pinned",
    );
}

// ---------------------------------------------------------------------------------------------
// MITM with a trusted rogue root

#[test]
fn a_mitm_chain_from_a_trusted_rogue_root_is_a_pin_mismatch() {
    let f = fx();
    for (level, pin) in [
        ("leaf", f.genuine.leaf.pin()),
        ("intermediate", f.genuine.intermediate.pin()),
        ("root", f.genuine.root.pin()),
    ] {
        let store = pinned_store(HOST, &[&pin]);
        expect(
            verify(&store, &mitm_chain(), HOST, T),
            PIN_ERR_PIN_MISMATCH,
            &format!("MITM leaf, pin on the genuine {level}"),
        );
        // The rogue root is a trusted anchor: the same chain passes for an unpinned name.
        expect(verify(&store, &mitm_chain(), "www.example.com", T), PIN_OK, "unpinned name");
    }
}

#[test]
fn genuine_certificates_appended_to_a_mitm_chain_do_not_count() {
    // CVE-2016-2402 (OkHttp): pins were checked against every certificate the server sent, so
    // a proxy could append the genuine pinned certificates after its own leaf.
    let f = fx();
    let (leaf, int, root) =
        (f.genuine.leaf.der(), f.genuine.intermediate.der(), f.genuine.root.der());
    let mitm = f.mitm.der();
    let rogue = f.rogue.der();
    let chains: [(&str, Vec<&[u8]>); 6] = [
        ("mitm + genuine intermediate", vec![mitm, int]),
        ("mitm + genuine leaf", vec![mitm, leaf]),
        ("mitm + genuine root", vec![mitm, root]),
        ("mitm + genuine intermediate, leaf, root", vec![mitm, int, leaf, root]),
        ("mitm + rogue root + genuine intermediate", vec![mitm, rogue, int]),
        ("mitm + genuine root, intermediate, rogue root", vec![mitm, root, int, rogue]),
    ];
    for (level, pin) in [
        ("leaf", f.genuine.leaf.pin()),
        ("intermediate", f.genuine.intermediate.pin()),
        ("root", f.genuine.root.pin()),
    ] {
        let store = pinned_store(HOST, &[&pin]);
        for (what, chain) in &chains {
            expect(
                verify(&store, chain, HOST, T),
                PIN_ERR_PIN_MISMATCH,
                &format!("{what}, pin on the genuine {level}"),
            );
        }
    }
}

#[test]
fn the_pinned_root_being_trusted_does_not_help_a_path_that_avoids_it() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    // Both roots are anchors; the MITM path ends at the rogue one.
    expect(verify(&store, &mitm_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "MITM path");
    // Adding the genuine root again changes nothing.
    expect(store.add_anchor(f.genuine.root.der()), PIN_OK, "re-adding an anchor");
    expect(verify(&store, &mitm_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "MITM path again");
    expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, "genuine path");
}

#[test]
fn a_mitm_leaf_for_another_name_is_a_host_mismatch_first() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    let other = Pki::leaf(&["evil.example.net"]).signed_by(&f.rogue);
    expect(verify(&store, &[other.der()], HOST, T), PIN_ERR_HOST_MISMATCH, "MITM leaf, other name");
}

// ---------------------------------------------------------------------------------------------
// Cross-signed intermediates: several valid paths, the pin on only one of them

struct Cross {
    root_a: Cert,
    root_b: Cert,
    /// The intermediate as root A issued it.
    int_by_a: Vec<u8>,
    /// The same subject and key, issued by root B.
    int_by_b: Vec<u8>,
    leaf: Cert,
    /// A newer root cross-signed by an older one (the Let's Encrypt ISRG X1 / DST X3 shape).
    new_root: Cert,
    old_root: Cert,
    new_by_old: Vec<u8>,
    /// An intermediate under the new root, and its leaf.
    new_int: Cert,
    new_leaf: Cert,
}

fn cross() -> &'static Cross {
    static CROSS: OnceLock<Cross> = OnceLock::new();
    CROSS.get_or_init(|| {
        let root_a = Pki::root("Cross Root A").self_signed();
        let root_b = Pki::root("Cross Root B").self_signed();
        let int = Pki::intermediate("Cross Intermediate").signed_by(&root_a);
        let int_by_b = int.cross_signed_by(&root_b);
        let leaf = Pki::leaf(&["cross.example.com"]).signed_by(&int);

        let new_root = Pki::root("New Root").self_signed();
        let old_root = Pki::root("Old Root").self_signed();
        let new_by_old = new_root.cross_signed_by(&old_root);
        let new_int = Pki::intermediate("New Intermediate").signed_by(&new_root);
        let new_leaf = Pki::leaf(&["chain.example.com"]).signed_by(&new_int);
        Cross {
            root_a,
            root_b,
            int_by_a: int.der().to_vec(),
            int_by_b,
            leaf,
            new_root,
            old_root,
            new_by_old,
            new_int,
            new_leaf,
        }
    })
}

#[test]
fn cross_signed_intermediate_passes_with_either_root_pinned_in_either_order() {
    let c = cross();
    let host = "cross.example.com";
    let a_first: Vec<&[u8]> = vec![c.leaf.der(), &c.int_by_a, &c.int_by_b];
    let b_first: Vec<&[u8]> = vec![c.leaf.der(), &c.int_by_b, &c.int_by_a];
    for (pinned, pin, want) in [
        ("root B", c.root_b.pin(), PIN_OK),
        ("root A", c.root_a.pin(), PIN_OK),
        ("a third key", fx().genuine.root.pin(), PIN_ERR_PIN_MISMATCH),
    ] {
        let store = Store::with_anchors(&[c.root_a.der(), c.root_b.der()]);
        store.pin(host, &pin);
        // webpki tries the intermediates in the order sent, so in one of the two orders the
        // first valid path found runs through the root that is not pinned: a verifier that
        // looked only at the first path would fail there.
        expect(verify(&store, &a_first, host, T), want, &format!("{pinned} pinned, A's first"));
        expect(verify(&store, &b_first, host, T), want, &format!("{pinned} pinned, B's first"));
    }
}

#[test]
fn cross_signed_paths_are_judged_one_by_one() {
    let c = cross();
    let host = "cross.example.com";
    let store = Store::with_anchors(&[c.root_a.der(), c.root_b.der()]);
    store.pin(host, &c.root_b.pin());
    // Each path alone: only the one through root B holds the pin.
    expect(verify(&store, &[c.leaf.der(), &c.int_by_b], host, T), PIN_OK, "path via B only");
    expect(
        verify(&store, &[c.leaf.der(), &c.int_by_a], host, T),
        PIN_ERR_PIN_MISMATCH,
        "path via A only",
    );
    // The intermediate's own key is on both paths.
    let store = Store::with_anchors(&[c.root_a.der(), c.root_b.der()]);
    store.pin(host, &pin_of(&c.int_by_a));
    expect(verify(&store, &[c.leaf.der(), &c.int_by_a], host, T), PIN_OK, "intermediate key, A");
    expect(verify(&store, &[c.leaf.der(), &c.int_by_b], host, T), PIN_OK, "intermediate key, B");
    assert_eq!(pin_of(&c.int_by_a), pin_of(&c.int_by_b), "one key, two certificates");
}

#[test]
fn a_pin_on_the_longer_path_through_a_cross_signed_root_passes() {
    let c = cross();
    let host = "chain.example.com";
    let chain: Vec<&[u8]> = vec![c.new_leaf.der(), c.new_int.der(), &c.new_by_old];
    // With both roots trusted, the first path found ends at the new root directly (anchors are
    // tried before intermediates); the pin on the old root is only on the longer path.
    for (pinned, pin, want) in [
        ("old root", c.old_root.pin(), PIN_OK),
        ("new root", c.new_root.pin(), PIN_OK),
        ("a third key", c.root_a.pin(), PIN_ERR_PIN_MISMATCH),
    ] {
        let store = Store::with_anchors(&[c.new_root.der(), c.old_root.der()]);
        store.pin(host, &pin);
        expect(verify(&store, &chain, host, T), want, &format!("{pinned} pinned, both trusted"));
    }
    // Only the old root trusted: the new root's key is on the path as the cross-signed cert.
    let store = Store::with_anchors(&[c.old_root.der()]);
    store.pin(host, &c.new_root.pin());
    expect(verify(&store, &chain, host, T), PIN_OK, "new key via the cross-signed certificate");
    let short: Vec<&[u8]> = vec![c.new_leaf.der(), c.new_int.der()];
    expect(verify(&store, &short, host, T), PIN_ERR_UNKNOWN_ISSUER, "without the cross cert");
}

// ---------------------------------------------------------------------------------------------
// Validity windows

/// Leaf valid from L0 to L1 inclusive, under a CA valid 2026..2046.
const L0: u64 = T - 30 * DAY;
const L1: u64 = T + 30 * DAY;

struct Windows {
    root: Cert,
    int: Cert,
    leaf: Cert,
    expired_int: Cert,
    leaf_under_expired: Cert,
    future_int: Cert,
    leaf_under_future: Cert,
}

fn windows() -> &'static Windows {
    static WINDOWS: OnceLock<Windows> = OnceLock::new();
    WINDOWS.get_or_init(|| {
        let root = Pki::root("Window Root").self_signed();
        let int = Pki::intermediate("Window Intermediate").signed_by(&root);
        let leaf = Pki::leaf(&["time.example.com"]).valid(L0, L1).signed_by(&int);
        let expired_int =
            Pki::intermediate("Expired Intermediate").valid(NOT_BEFORE, T - DAY).signed_by(&root);
        let leaf_under_expired = Pki::leaf(&["time.example.com"]).signed_by(&expired_int);
        let future_int =
            Pki::intermediate("Future Intermediate").valid(T + DAY, NOT_AFTER).signed_by(&root);
        let leaf_under_future = Pki::leaf(&["time.example.com"]).signed_by(&future_int);
        Windows { root, int, leaf, expired_int, leaf_under_expired, future_int, leaf_under_future }
    })
}

#[test]
fn a_leaf_is_valid_from_not_before_to_not_after_inclusive() {
    let w = windows();
    let store = Store::with_anchors(&[w.root.der()]);
    let chain = [w.leaf.der(), w.int.der()];
    let host = "time.example.com";
    expect(verify(&store, &chain, host, T), PIN_OK, "inside the window");
    expect(verify(&store, &chain, host, L0), PIN_OK, "at notBefore");
    expect(verify(&store, &chain, host, L1), PIN_OK, "at notAfter");
    expect(verify(&store, &chain, host, L0 - 1), PIN_ERR_NOT_YET_VALID, "a second before");
    expect(verify(&store, &chain, host, L1 + 1), PIN_ERR_EXPIRED, "a second after");
    expect(verify(&store, &chain, host, L1 + 365 * DAY), PIN_ERR_EXPIRED, "a year after");
    expect(verify(&store, &chain, host, 0), PIN_ERR_NOT_YET_VALID, "at the epoch");
    expect(verify(&store, &chain, host, u64::MAX), PIN_ERR_EXPIRED, "at u64::MAX");
}

#[test]
fn validity_is_checked_before_pins() {
    let w = windows();
    let host = "time.example.com";
    let chain = [w.leaf.der(), w.int.der()];
    for (what, pin) in [("pinned root", w.root.pin()), ("unrelated pin", UNRELATED_PIN.to_owned())]
    {
        let store = Store::with_anchors(&[w.root.der()]);
        store.pin(host, &pin);
        expect(verify(&store, &chain, host, L1 + 1), PIN_ERR_EXPIRED, &format!("{what}, expired"));
        expect(
            verify(&store, &chain, host, L0 - 1),
            PIN_ERR_NOT_YET_VALID,
            &format!("{what}, not yet valid"),
        );
    }
}

#[test]
fn an_expired_or_not_yet_valid_intermediate_fails_the_path() {
    let w = windows();
    let store = Store::with_anchors(&[w.root.der()]);
    let host = "time.example.com";
    let expired = [w.leaf_under_expired.der(), w.expired_int.der()];
    expect(verify(&store, &expired, host, T), PIN_ERR_EXPIRED, "expired intermediate");
    expect(verify(&store, &expired, host, T - DAY), PIN_OK, "its last second");
    let future = [w.leaf_under_future.der(), w.future_int.der()];
    expect(verify(&store, &future, host, T), PIN_ERR_NOT_YET_VALID, "future intermediate");
    expect(verify(&store, &future, host, T + DAY), PIN_OK, "its first second");
}

#[test]
fn the_samples_expired_leaf_is_expired() {
    let store = Store::with_anchors(&[&testdata("root-ca.der")]);
    let (leaf, int) = (testdata("expired-leaf.der"), testdata("intermediate-ca.der"));
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_ERR_EXPIRED, "testdata expired-leaf");
    // 2020-06-01, inside the leaf's window but before the intermediate's: not yet valid.
    expect(verify(&store, &[&leaf, &int], HOST, 1_590_969_600), PIN_ERR_NOT_YET_VALID, "2020");
}

// ---------------------------------------------------------------------------------------------
// Other path failures

#[test]
fn a_leaf_for_another_name_is_a_host_mismatch() {
    let store = pinned_store("unrelated.example.org", &[UNRELATED_PIN]);
    for host in ["other.example.com", "example.com", "api.example.com.evil.net", "192.0.2.1"] {
        expect(verify(&store, &genuine_chain(), host, T), PIN_ERR_HOST_MISMATCH, host);
    }
    // Pinned, with the right pin: the name still has to match.
    let store = pinned_store("other.example.com", &[&fx().genuine.root.pin()]);
    expect(
        verify(&store, &genuine_chain(), "other.example.com", T),
        PIN_ERR_HOST_MISMATCH,
        "pinned host, right pin, wrong name",
    );
}

#[test]
fn a_chain_to_no_trusted_root_is_an_unknown_issuer() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    expect(verify(&store, &f.stranger.chain(), HOST, T), PIN_ERR_UNKNOWN_ISSUER, "other PKI");
    expect(
        verify(&store, &[f.genuine.leaf.der()], HOST, T),
        PIN_ERR_UNKNOWN_ISSUER,
        "intermediate missing",
    );
    // Sending the untrusted root along does not make it trusted.
    let s = &f.stranger;
    expect(
        verify(&store, &[s.leaf.der(), s.intermediate.der(), s.root.der()], HOST, T),
        PIN_ERR_UNKNOWN_ISSUER,
        "untrusted root sent by the server",
    );
    // Neither does a self-signed leaf.
    let self_signed = Pki::leaf(&[HOST]).self_signed();
    expect(verify(&store, &[self_signed.der()], HOST, T), PIN_ERR_UNKNOWN_ISSUER, "self-signed");
}

#[test]
fn a_ca_certificate_as_leaf_is_an_invalid_chain() {
    let f = fx();
    let store = pinned_store("unrelated.example.org", &[UNRELATED_PIN]);
    let ca_leaf = Pki::leaf(&[HOST]).into_ca().signed_by(&f.genuine.intermediate);
    expect(
        verify(&store, &[ca_leaf.der(), f.genuine.intermediate.der()], HOST, T),
        PIN_ERR_INVALID_CHAIN,
        "CA:TRUE leaf",
    );
    // The intermediate itself sent as the leaf.
    expect(
        verify(&store, &[f.genuine.intermediate.der()], HOST, T),
        PIN_ERR_INVALID_CHAIN,
        "intermediate as leaf",
    );
}

#[test]
fn a_leaf_without_server_auth_is_an_invalid_chain() {
    let f = fx();
    let store = pinned_store("unrelated.example.org", &[UNRELATED_PIN]);
    let int = f.genuine.intermediate.der();
    let client = Pki::leaf(&[HOST])
        .eku(&[ExtendedKeyUsagePurpose::ClientAuth])
        .signed_by(&f.genuine.intermediate);
    expect(verify(&store, &[client.der(), int], HOST, T), PIN_ERR_INVALID_CHAIN, "clientAuth only");
    let code_signing = Pki::leaf(&[HOST])
        .eku(&[ExtendedKeyUsagePurpose::CodeSigning, ExtendedKeyUsagePurpose::EmailProtection])
        .signed_by(&f.genuine.intermediate);
    expect(
        verify(&store, &[code_signing.der(), int], HOST, T),
        PIN_ERR_INVALID_CHAIN,
        "codeSigning + emailProtection",
    );
    // No EKU extension at all is acceptable for server authentication (RFC 5280 4.2.1.12).
    let no_eku = Pki::leaf(&[HOST]).eku(&[]).signed_by(&f.genuine.intermediate);
    expect(verify(&store, &[no_eku.der(), int], HOST, T), PIN_OK, "no EKU extension");
    let both = Pki::leaf(&[HOST])
        .eku(&[ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth])
        .signed_by(&f.genuine.intermediate);
    expect(verify(&store, &[both.der(), int], HOST, T), PIN_OK, "clientAuth + serverAuth");
}

#[test]
fn an_issuer_that_is_not_a_ca_is_an_invalid_chain() {
    let f = fx();
    let store = pinned_store("unrelated.example.org", &[UNRELATED_PIN]);
    // A leaf (CA:FALSE) used to sign another leaf.
    let not_ca =
        Pki::leaf(&["issuer.example.com"]).cn("Not A CA").signed_by(&f.genuine.intermediate);
    let below = Pki::leaf(&[HOST]).signed_by(&not_ca);
    expect(
        verify(&store, &[below.der(), not_ca.der(), f.genuine.intermediate.der()], HOST, T),
        PIN_ERR_INVALID_CHAIN,
        "CA:FALSE issuer",
    );
    // pathlen:0 on the intermediate, with a second intermediate below it.
    let root = &f.genuine.root;
    let constrained = Pki::intermediate("Constrained Intermediate").path_len(0).signed_by(root);
    let sub = Pki::intermediate("Sub Intermediate").signed_by(&constrained);
    let leaf = Pki::leaf(&[HOST]).signed_by(&sub);
    expect(
        verify(&store, &[leaf.der(), sub.der(), constrained.der()], HOST, T),
        PIN_ERR_INVALID_CHAIN,
        "pathlen:0 exceeded",
    );
}

#[test]
fn a_leaf_whose_validity_dates_do_not_read_is_a_bad_certificate() {
    // webpki reads the dates only when it checks them, on path building: a leaf whose notAfter
    // has a letter for a digit parses, and is then refused as malformed, not as an invalid
    // chain.
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    let leaf = f.genuine.leaf.der();
    let times: Vec<usize> =
        leaf.windows(2).enumerate().filter(|(_, w)| *w == [0x17, 13]).map(|(at, _)| at).collect();
    assert_eq!(times.len(), 2, "a notBefore and a notAfter, as UTCTime");
    let mut bad_time = leaf.to_vec();
    bad_time[times[1] + 2 + 4] = b'x'; // the notAfter's day: YYMMDD
    assert_eq!(pin_of(&bad_time), f.genuine.leaf.pin(), "the changed leaf still parses, same key");
    let intermediate = f.genuine.intermediate.der();
    expect(verify(&store, &[leaf, intermediate], HOST, T), PIN_OK, "the leaf as issued");
    expect(
        verify(&store, &[&bad_time, intermediate], HOST, T),
        PIN_ERR_BAD_CERTIFICATE,
        "notAfter day 'x'",
    );
}

#[test]
fn a_bad_signature_is_an_invalid_chain() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    let int = &f.genuine.intermediate;
    // A byte of the leaf's TBS (its serial number) changed: still well-formed DER, same key.
    let serial = b"\x11certpin-serial";
    let leaf = Pki::leaf(&[HOST]).serial(serial).signed_by(int);
    expect(verify(&store, &[leaf.der(), int.der()], HOST, T), PIN_OK, "untampered leaf");
    let tampered = tamper(leaf.der(), serial, b"\x11certpin-serian");
    assert_eq!(pin_of(&tampered), leaf.pin(), "the tampered leaf still parses, same key");
    expect(verify(&store, &[&tampered, int.der()], HOST, T), PIN_ERR_INVALID_CHAIN, "TBS tampered");

    // The last byte of the signature value (the end of ECDSA's s).
    let mut bad_sig = leaf.der().to_vec();
    *bad_sig.last_mut().unwrap() ^= 0x01;
    expect(verify(&store, &[&bad_sig, int.der()], HOST, T), PIN_ERR_INVALID_CHAIN, "sig tampered");

    // The intermediate's TBS changed: the leaf still verifies under it, the root's signature
    // over it does not.
    let int_serial = b"\x22certpin-int-serial";
    let root = &f.genuine.root;
    let int2 = Pki::intermediate("Tamper Intermediate").serial(int_serial).signed_by(root);
    let leaf2 = Pki::leaf(&[HOST]).signed_by(&int2);
    expect(verify(&store, &[leaf2.der(), int2.der()], HOST, T), PIN_OK, "untampered intermediate");
    let int2_bad = tamper(int2.der(), int_serial, b"\x22certpin-int-serian");
    expect(
        verify(&store, &[leaf2.der(), &int2_bad], HOST, T),
        PIN_ERR_INVALID_CHAIN,
        "intermediate TBS tampered",
    );
}

// ---------------------------------------------------------------------------------------------
// Built-in roots and the openssl-made samples

#[test]
fn a_store_without_anchors_uses_the_built_in_roots() {
    let (leaf, int, root) =
        (testdata("leaf.der"), testdata("intermediate-ca.der"), testdata("root-ca.der"));
    let store = Store::new();
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_ERR_UNKNOWN_ISSUER, "built-in roots");
    expect(store.add_anchor(&root), PIN_OK, "adding the sample root");
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_OK, "sample root trusted");
    expect(verify(&store, &[&leaf, &int], "www.example.com", T), PIN_OK, "second SAN");
}

#[test]
fn rsa_and_ec_samples_verify_against_their_openssl_pins() {
    let pins = testdata_pins();
    let pin = |name: &str| pins.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let (leaf, int, root) =
        (testdata("leaf.der"), testdata("intermediate-ca.der"), testdata("root-ca.der"));
    let (mitm, rogue) = (testdata("mitm-leaf.der"), testdata("rogue-ca.der"));
    for level in ["root-ca", "intermediate-ca", "leaf"] {
        let store = Store::with_anchors(&[&root, &rogue]);
        store.pin(HOST, &pin(level));
        expect(verify(&store, &[&leaf, &int], HOST, T), PIN_OK, &format!("RSA, {level} pinned"));
        expect(
            verify(&store, &[&mitm], HOST, T),
            PIN_ERR_PIN_MISMATCH,
            &format!("RSA MITM, {level} pinned"),
        );
        expect(
            verify(&store, &[&mitm, &int, &leaf], HOST, T),
            PIN_ERR_PIN_MISMATCH,
            &format!("RSA MITM + genuine certs, {level} pinned"),
        );
    }
    let (ec_leaf, ec_int, ec_root) =
        (testdata("ec-leaf.der"), testdata("ec-intermediate-ca.der"), testdata("ec-root-ca.der"));
    for level in ["ec-root-ca", "ec-intermediate-ca", "ec-leaf"] {
        let store = Store::with_anchors(&[&ec_root, &rogue]);
        store.pin(HOST, &pin(level));
        expect(verify(&store, &[&ec_leaf, &ec_int], HOST, T), PIN_OK, &format!("EC, {level}"));
        expect(verify(&store, &[&mitm], HOST, T), PIN_ERR_PIN_MISMATCH, "MITM vs EC pins");
    }
    // The RSA leaf under the EC root: no path.
    let store = Store::with_anchors(&[&ec_root]);
    expect(verify(&store, &[&leaf, &int], HOST, T), PIN_ERR_UNKNOWN_ISSUER, "RSA chain, EC root");
}

#[test]
fn verification_at_the_current_time() {
    // The one test that depends on the clock: certificates valid 2000..2099 cover any today.
    let root = Pki::root("Now Root").valid(946_684_800, 4_102_444_799).self_signed();
    let leaf = Pki::leaf(&["now.example.com"]).valid(946_684_800, 4_102_444_799).signed_by(&root);
    let expired = Pki::leaf(&["now.example.com"]).valid(946_684_800, 978_307_200).signed_by(&root);
    let rogue = Pki::root("Now Rogue").valid(946_684_800, 4_102_444_799).self_signed();
    let mitm = Pki::leaf(&["now.example.com"]).valid(946_684_800, 4_102_444_799).signed_by(&rogue);
    let store = Store::with_anchors(&[root.der(), rogue.der()]);
    store.pin("now.example.com", &root.pin());
    let now = |chain: &[&[u8]]| {
        let entries = pin_bytes_of(chain);
        let host = cstring("now.example.com");
        // SAFETY: a live store, live certificates, a NUL-terminated host.
        unsafe { pin_verify_chain(store.ptr(), entries.as_ptr(), entries.len(), host.as_ptr()) }
    };
    expect(now(&[leaf.der()]), PIN_OK, "genuine, now");
    expect(now(&[mitm.der()]), PIN_ERR_PIN_MISMATCH, "MITM, now");
    expect(now(&[expired.der()]), PIN_ERR_EXPIRED, "expired in 2001, now");
}

// ---------------------------------------------------------------------------------------------
// Explanations

#[test]
fn a_mismatch_explanation_names_the_evidence() {
    let f = fx();
    let root_pin = f.genuine.root.pin();
    let store = pinned_store("**.example.com", &[UNRELATED_PIN, &root_pin]);
    let chain: Vec<&[u8]> = vec![f.mitm.der(), f.genuine.intermediate.der()];
    let (code, text) = explain(&store, &chain, "API.Example.COM.", T);
    expect(code, PIN_ERR_PIN_MISMATCH, "explained verdict");
    expect(verify(&store, &chain, "API.Example.COM.", T), code, "same verdict as pin_verify_chain");
    let wanted = [
        ("the result", "PIN_ERR_PIN_MISMATCH".to_owned()),
        ("the host in normal form", "api.example.com".to_owned()),
        ("the pattern that applied", "**.example.com".to_owned()),
        ("the first pin", UNRELATED_PIN.to_owned()),
        ("the backup pin", root_pin.clone()),
        ("the MITM leaf's pin", f.mitm.pin()),
        ("the MITM leaf's subject", "MITM Leaf".to_owned()),
        ("the appended intermediate's pin", f.genuine.intermediate.pin()),
        ("the appended intermediate's subject", "Genuine Intermediate CA".to_owned()),
        ("the rejected path's anchor pin", f.rogue.pin()),
        ("the rejected path's anchor", "Rogue Proxy CA".to_owned()),
    ];
    for (what, needle) in wanted {
        assert!(text.contains(&needle), "explanation lacks {what} ({needle}):\n{text}");
    }
    // The genuine root is pinned but was on no path: it appears only as a policy pin.
    assert_eq!(text.matches(&root_pin).count(), 1, "{text}");
    assert!(!text.contains("Genuine Root CA"), "the genuine root was not on the path:\n{text}");
    assert!(text.ends_with('\n'), "{text:?}");
}

#[test]
fn a_success_explanation_names_the_pinned_key() {
    let f = fx();
    let int_pin = f.genuine.intermediate.pin();
    let store = pinned_store(HOST, &[&int_pin]);
    let (code, text) = explain(&store, &genuine_chain(), HOST, T);
    expect(code, PIN_OK, "explained success");
    assert!(text.contains("PIN_OK"), "{text}");
    assert!(text.contains(&int_pin), "{text}");
    assert!(text.contains(&f.genuine.leaf.pin()), "{text}");
}

#[test]
fn explanations_give_the_same_verdict_as_plain_verification() {
    let f = fx();
    let w = windows();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    expect(store.add_anchor(w.root.der()), PIN_OK, "window root");
    let garbage: &[u8] = b"not a certificate";
    let cases: Vec<(Vec<&[u8]>, &str, u64)> = vec![
        (genuine_chain(), HOST, T),
        (mitm_chain(), HOST, T),
        (mitm_chain(), "www.example.com", T),
        (genuine_chain(), "other.example.com", T),
        (genuine_chain(), "bad host", T),
        (f.stranger.chain().to_vec(), HOST, T),
        (vec![w.leaf.der(), w.int.der()], "time.example.com", L1 + 1),
        (vec![w.leaf.der(), w.int.der()], "time.example.com", L0 - 1),
        (vec![garbage], HOST, T),
    ];
    for (chain, host, time) in cases {
        let plain = verify(&store, &chain, host, time);
        let (explained, text) = explain(&store, &chain, host, time);
        expect(explained, plain, &format!("{host} at {time}"));
        assert!(text.starts_with(name_of(plain)), "{text}");
    }
}

#[test]
fn a_small_buffer_gets_a_cut_nul_terminated_text_and_the_same_verdict() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    let chain: Vec<&[u8]> = vec![f.mitm.der(), f.genuine.intermediate.der()];
    let (_, full) = explain(&store, &chain, HOST, T);
    assert!(full.len() > 200, "{full}");
    for len in [5, 16, 64, 100, full.len(), full.len() + 1] {
        let (code, text) = explain_into(&store, &chain, HOST, T, len);
        expect(code, PIN_ERR_PIN_MISMATCH, &format!("buffer of {len}"));
        if len > full.len() {
            assert_eq!(text, full, "a buffer with room gets the whole text");
        } else {
            assert_eq!(text.len(), len - 1, "the cut text fills the buffer: {text:?}");
            assert!(text.ends_with("...\n"), "a cut text ends in ...\\n: {text:?}");
            assert_eq!(
                &text[..len - 5],
                &full[..len - 5],
                "the cut text is the start of the full one"
            );
        }
    }
    let (code, text) = explain_into(&store, &chain, HOST, T, 1);
    expect(code, PIN_ERR_PIN_MISMATCH, "buffer of 1");
    assert_eq!(text, "", "only the NUL fits");
}

#[test]
fn no_buffer_still_gives_the_verdict_and_writes_nothing() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    let entries = pin_bytes_of(&mitm_chain());
    let host = cstring(HOST);
    let call = |buffer: *mut c_char, len: usize| {
        // SAFETY: a live store and chain; `buffer` NULL or `len` writable bytes.
        unsafe {
            pin_verify_chain_explain_at(
                store.ptr(),
                entries.as_ptr(),
                entries.len(),
                host.as_ptr(),
                T,
                buffer,
                len,
            )
        }
    };
    expect(call(std::ptr::null_mut(), 0), PIN_ERR_PIN_MISMATCH, "NULL buffer, length 0");
    expect(call(std::ptr::null_mut(), 4096), PIN_ERR_PIN_MISMATCH, "NULL buffer, length 4096");
    let mut sentinel = [0x5a as c_char; 16];
    expect(call(sentinel.as_mut_ptr(), 0), PIN_ERR_PIN_MISMATCH, "buffer, length 0");
    assert!(sentinel.iter().all(|&b| b == 0x5a), "length 0: nothing written");
    // pin_verify_chain_explain (now) too: the MITM leaf is valid today only if today is
    // 2026..2046, so only the NULL handling is checked here.
    // SAFETY: as above, with no buffer.
    let code = unsafe {
        pin_verify_chain_explain(
            store.ptr(),
            entries.as_ptr(),
            entries.len(),
            host.as_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    assert!(
        [PIN_ERR_PIN_MISMATCH, PIN_ERR_NOT_YET_VALID, PIN_ERR_EXPIRED].contains(&code),
        "{}",
        name_of(code)
    );
}

#[test]
fn argument_errors_are_explained_too() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    let entries = pin_bytes_of(&genuine_chain());
    let mut buffer = [0x5a as c_char; 256];
    // SAFETY: a NULL host is what is tested; the buffer has its stated length.
    let code = unsafe {
        pin_verify_chain_explain_at(
            store.ptr(),
            entries.as_ptr(),
            entries.len(),
            std::ptr::null(),
            T,
            buffer.as_mut_ptr(),
            buffer.len(),
        )
    };
    expect(code, PIN_ERR_NULL_ARGUMENT, "NULL host");
    // SAFETY: the call wrote a NUL-terminated text into the buffer.
    let text = unsafe { CStr::from_ptr(buffer.as_ptr()) }.to_str().unwrap();
    assert!(text.starts_with("PIN_ERR_NULL_ARGUMENT"), "{text}");

    let (code, text) = explain(&store, &genuine_chain(), "exa mple.com", T);
    expect(code, PIN_ERR_BAD_HOST, "bad host");
    assert!(text.starts_with("PIN_ERR_BAD_HOST"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Repeat verifications (the store keeps a verdict cache)

#[test]
fn a_verdict_for_one_host_or_time_is_never_reused_for_another() {
    let f = fx();
    let store = pinned_store(HOST, &[&f.genuine.root.pin()]);
    for _ in 0..3 {
        expect(verify(&store, &mitm_chain(), "www.example.com", T), PIN_OK, "unpinned name");
        expect(verify(&store, &genuine_chain(), HOST, T), PIN_OK, "genuine chain");
    }
    // The same chains, other hosts: the verdicts must be reached anew.
    expect(verify(&store, &mitm_chain(), HOST, T), PIN_ERR_PIN_MISMATCH, "MITM, pinned name");
    expect(verify(&store, &mitm_chain(), "api.example.com.", T), PIN_ERR_PIN_MISMATCH, "spelling");
    expect(verify(&store, &genuine_chain(), "other.example.com", T), PIN_ERR_HOST_MISMATCH, "name");
    // The same chain and host after a change to the store.
    store.pin("www.example.com", &f.genuine.leaf.pin());
    expect(
        verify(&store, &mitm_chain(), "www.example.com", T),
        PIN_ERR_PIN_MISMATCH,
        "MITM, after www was pinned",
    );
    // The same chain, host and store at another time.
    expect(verify(&store, &genuine_chain(), HOST, NOT_AFTER + 1), PIN_ERR_EXPIRED, "later");
    expect(
        verify(&store, &genuine_chain(), HOST, NOT_BEFORE - 1),
        PIN_ERR_NOT_YET_VALID,
        "earlier",
    );
}
