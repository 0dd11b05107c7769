//! Hostile and unusual chains (issue 12): every chain within the input limits is decided in
//! bounded time; long honest chains and chains with junk still validate; an issuer whose
//! keyUsage forbids signing certificates is refused, and path building goes on past it.

mod common;

#[path = "support/hostile_chains.rs"]
mod hostile_chains;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use certpin::*;
use common::{SharedStore, Store, cstring, expect, explain, name_of, pin_of, verify_ptr};
use hostile_chains::{HOST, T, ca_params, families, leaf, padding_for_limit, self_signed};
use rcgen::{CustomExtension, Issuer, KeyPair, KeyUsagePurpose};

/// The bound on one verification of any hostile chain: 10 times the 50 ms the release build
/// must meet on this project's machines (`cargo bench --bench hostile_chains` prints the
/// worst case), 100 times in a debug build; times `CERTPIN_TEST_TIME_SCALE` (a whole number,
/// 1 when unset), which the sanitizer runs set.
fn work_bound() -> Duration {
    let scale: u32 = std::env::var("CERTPIN_TEST_TIME_SCALE")
        .map_or(1, |scale| scale.parse().expect("CERTPIN_TEST_TIME_SCALE is a whole number"));
    Duration::from_millis(if cfg!(debug_assertions) { 5000 } else { 500 }) * scale
}

/// Runs `work` on its own thread and waits at most [`work_bound`] for it: past the bound the
/// test fails at once (the thread, and the store it uses, are left behind).
fn within_bound<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let _ = send.send(work());
    });
    match receive.recv_timeout(work_bound()) {
        Ok(value) => value,
        Err(_) => panic!("{what}: not decided after {:?}", work_bound()),
    }
}

fn store_for(anchors: &[Vec<u8>], pins: &[String]) -> Store {
    let store = Store::new();
    for anchor in anchors {
        expect(store.add_anchor(anchor), PIN_OK, "anchor");
    }
    for pin in pins {
        store.pin(HOST, pin);
    }
    store
}

fn as_slices(chain: &[Vec<u8>]) -> Vec<&[u8]> {
    chain.iter().map(Vec::as_slice).collect()
}

#[test]
fn every_hostile_chain_is_decided_within_the_bound_on_every_call() {
    let families = families(padding_for_limit());
    for family in &families {
        assert!(family.chain.len() <= CERTPIN_MAX_CHAIN_LEN, "{}", family.name);
        assert!(family.chain.iter().all(|c| c.len() <= CERTPIN_MAX_CERT_LEN), "{}", family.name);
        // Freed below by hand: a call past the bound keeps using it on its own thread.
        let owned = std::mem::ManuallyDrop::new(store_for(&family.anchors, &family.pins));
        let store = SharedStore(owned.ptr());
        // Refusals are not cached: every call does the work again.
        for call in 0..2 {
            let chain = family.chain.clone();
            let (code, took) = within_bound(&family.name, move || {
                let store = store;
                let started = Instant::now();
                let code = verify_ptr(store.0, &as_slices(&chain), &cstring(HOST), T);
                (code, started.elapsed())
            });
            eprintln!("{}: {} in {took:?}", family.name, name_of(code));
            assert_ne!(code, PIN_OK, "{}", family.name);
            assert!(took < work_bound(), "{} (call {call}): {took:?}", family.name);
        }
        // SAFETY: made by pin_store_new; no call uses it any more.
        unsafe { pin_store_free(store.0) };
    }
}

/// A CA named `cn` with its own key, issued by `issuer`.
fn ca_signed_by(cn: &str, issuer: &Issuer<'_, KeyPair>) -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("key");
    let params = ca_params(cn, 0);
    let der = params.signed_by(&key, issuer).expect("CA").der().to_vec();
    (der, Issuer::new(params, key))
}

#[test]
fn a_long_honest_chain_among_many_certificates_validates() {
    // As path-building suites send (BetterTLS: 35 intermediates): the longest path webpki
    // builds (6 intermediates), among decoys that share its names with other keys, unrelated
    // CAs, and the limit's worth of certificates.
    let (root, root_issuer) = self_signed("Honest Root", 0);
    let mut path = Vec::new();
    let mut issuer = root_issuer;
    for level in (1..=6).rev() {
        let (der, next) = ca_signed_by(&format!("Honest CA {level}"), &issuer);
        path.push(der);
        issuer = next;
    }
    let mut chain = vec![leaf(&issuer)];
    // Decoys first, so that path building meets them before the genuine certificates.
    for n in 0..(CERTPIN_MAX_CHAIN_LEN - 1 - path.len()) {
        let decoy = match n % 3 {
            0 => self_signed(&format!("Honest CA {}", 1 + n % 6), 0).0,
            1 => self_signed(&format!("Unrelated CA {n}"), 0).0,
            _ => self_signed("Honest Root", 0).0,
        };
        chain.push(decoy);
    }
    chain.extend(path.iter().rev().cloned());
    assert_eq!(chain.len(), CERTPIN_MAX_CHAIN_LEN);
    let store = store_for(&[root], &[pin_of(&path[0]), hostile_chains::foreign_pin()]);
    for (what, chain) in [("35 certificates", &chain[..35]), ("the limit", &chain[..])] {
        let mut chain = chain.to_vec();
        // The genuine path must be in the chain: keep its certificates at the end.
        if chain.len() < CERTPIN_MAX_CHAIN_LEN {
            chain.truncate(chain.len() - path.len());
            chain.extend(path.iter().rev().cloned());
        }
        let started = Instant::now();
        let (code, explanation) = explain(&store, &as_slices(&chain), HOST, T);
        expect(code, PIN_OK, &format!("{what}: {explanation}"));
        assert!(started.elapsed() < work_bound(), "{what}: {:?}", started.elapsed());
    }
}

#[test]
fn unusable_extra_certificates_are_ignored_and_listed() {
    let (root, root_issuer) = self_signed("Junk Test Root", 0);
    let (intermediate, issuer) = ca_signed_by("Junk Test CA", &root_issuer);
    let leaf = leaf(&issuer);
    // An unused intermediate with an unknown critical extension.
    let mut critical = ca_params("Junk Test CA", 0);
    let mut extension = CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 9], vec![0]);
    extension.set_criticality(true);
    critical.custom_extensions = vec![extension];
    let critical = critical.self_signed(&KeyPair::generate().unwrap()).unwrap().der().to_vec();
    let v1_root = common::testdata("hostile/v1-root.der");
    let unique_id = common::testdata("hostile/unique-id.der");
    let garbage = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    let chain: Vec<&[u8]> =
        vec![&leaf, &critical, &intermediate, &v1_root, &unique_id, &garbage, &intermediate];
    let store = store_for(&[root], &[pin_of(&intermediate), hostile_chains::foreign_pin()]);
    let (code, explanation) = explain(&store, &chain, HOST, T);
    expect(code, PIN_OK, &explanation);
    for index in [1, 3, 4, 5, 6] {
        let line = explanation.lines().skip_while(|l| !l.starts_with(&format!("    [{index}]")));
        let next = line.clone().nth(1).unwrap_or_default();
        assert!(next.contains("ignored for path building"), "[{index}]: {explanation}");
    }
    assert!(explanation.contains("ignored for path building: does not parse"), "{explanation}");
    assert!(explanation.contains("repeats an earlier certificate"), "{explanation}");
    // The leaf must still parse.
    let (code, _) = explain(&store, &[&garbage, &intermediate], HOST, T);
    expect(code, PIN_ERR_BAD_CERTIFICATE, "a garbage leaf");
}

/// A CA certificate for `cn` with `key`, issued by `issuer`, with `usages` as its keyUsage.
fn ca_with_usage(
    cn: &str,
    key: &KeyPair,
    issuer: &Issuer<'_, KeyPair>,
    usages: Vec<KeyUsagePurpose>,
) -> Vec<u8> {
    let mut params = ca_params(cn, 0);
    params.key_usages = usages;
    params.signed_by(key, issuer).expect("CA").der().to_vec()
}

#[test]
fn an_issuer_whose_key_usage_forbids_signing_certificates_is_refused() {
    let (root, root_issuer) = self_signed("Usage Root", 0);
    let key = KeyPair::generate().unwrap();
    // cA=TRUE, but keyUsage digitalSignature only: its key must not verify certificates.
    let no_cert_sign =
        ca_with_usage("Usage CA", &key, &root_issuer, vec![KeyUsagePurpose::DigitalSignature]);
    // The same CA (name and key), cross-signed with keyCertSign by another root.
    let (other_root, other_issuer) = self_signed("Other Usage Root", 0);
    let good = ca_with_usage("Usage CA", &key, &other_issuer, vec![KeyUsagePurpose::KeyCertSign]);
    let issuer = Issuer::new(ca_params("Usage CA", 0), key);
    let leaf = leaf(&issuer);

    let store = store_for(&[root.clone(), other_root.clone()], &[]);
    let (code, explanation) = explain(&store, &[&leaf, &no_cert_sign], HOST, T);
    expect(code, PIN_ERR_INVALID_CHAIN, &explanation);
    assert!(explanation.contains("no keyCertSign"), "{explanation}");
    assert!(explanation.contains(&pin_of(&no_cert_sign)), "names the issuer: {explanation}");
    assert!(explanation.contains("CN=Usage CA"), "{explanation}");
    // The cross-signed alternative, sent after the bad one: path building goes on to it.
    let (code, explanation) = explain(&store, &[&leaf, &no_cert_sign, &good], HOST, T);
    expect(code, PIN_OK, &explanation);

    // A trust anchor given as a certificate whose keyUsage forbids signing certificates.
    let anchor_key = KeyPair::generate().unwrap();
    let mut anchor_params = ca_params("Usage Anchor", 0);
    anchor_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let anchor = anchor_params.self_signed(&anchor_key).unwrap().der().to_vec();
    let anchor_issuer = Issuer::new(anchor_params, anchor_key);
    let direct_leaf = hostile_chains::leaf(&anchor_issuer);
    let store = store_for(&[anchor], &[]);
    let (code, explanation) = explain(&store, &[&direct_leaf], HOST, T);
    expect(code, PIN_ERR_INVALID_CHAIN, &explanation);
    assert!(explanation.contains("CN=Usage Anchor"), "{explanation}");
}

/// A CA named `cn` with its own P-384 key, issued by `issuer`.
fn p384_ca_signed_by(
    cn: &str,
    issuer: &Issuer<'_, KeyPair>,
) -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("P-384 key");
    let params = ca_params(cn, 0);
    let der = params.signed_by(&key, issuer).expect("CA").der().to_vec();
    (der, Issuer::new(params, key))
}

#[test]
fn the_signature_budget_ends_path_building_among_costly_decoys() {
    // The budget is about 10.7 P-384 checks (`src/signature_budget.rs`), below webpki's own cap
    // of 100 checks. Each decoy is a CA of the leaf's issuer's name, with its own P-384 key,
    // issued by the trusted root: webpki checks the decoy's signature (it verifies), then the
    // leaf's against the decoy's key (it fails). Four decoys and the genuine path are ten
    // checks: accepted. Five decoys are twelve: the budget runs out before the genuine path is
    // checked, and the chain is refused however long webpki's own count would have gone on.
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("P-384 key");
    let root_params = ca_params("Budget Root", 0);
    let root = root_params.self_signed(&root_key).expect("root").der().to_vec();
    let root_issuer = Issuer::new(root_params, root_key);
    let (genuine, genuine_issuer) = p384_ca_signed_by("Budget Issuing CA", &root_issuer);
    let leaf = leaf(&genuine_issuer);
    let decoys: Vec<Vec<u8>> =
        (0..5).map(|_| p384_ca_signed_by("Budget Issuing CA", &root_issuer).0).collect();
    let store =
        store_for(std::slice::from_ref(&root), &[pin_of(&genuine), hostile_chains::foreign_pin()]);
    for (decoy_count, expected) in [(0, PIN_OK), (4, PIN_OK), (5, PIN_ERR_INVALID_CHAIN)] {
        // Decoys first: path building meets them before the genuine issuer.
        let mut chain = vec![leaf.as_slice()];
        chain.extend(decoys[..decoy_count].iter().map(Vec::as_slice));
        chain.push(&genuine);
        let (code, explanation) = explain(&store, &chain, HOST, T);
        eprintln!("{decoy_count} decoys: {}\n{explanation}", name_of(code));
        expect(code, expected, &format!("{decoy_count} P-384 decoys"));
        assert_eq!(
            explanation.contains("path building stopped: the chain needed more signature checks"),
            expected != PIN_OK,
            "{decoy_count} decoys: the explanation names the spent budget when, and only when, it refused"
        );
    }
    // A refusal for another reason does not blame the budget.
    let unpinned = store_for(&[root], &[hostile_chains::foreign_pin()]);
    let (code, explanation) = explain(&unpinned, &[&leaf, &genuine], HOST, T);
    expect(code, PIN_ERR_PIN_MISMATCH, "no decoys, no pinned key");
    assert!(!explanation.contains("path building stopped"), "{explanation}");
}
