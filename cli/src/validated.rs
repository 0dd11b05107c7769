//! The keys of a chain's validated path, for `probe`, `lint --chain` and `monitor`: what
//! certpin's own path building found, so the root is the trust anchor whose key verified the
//! signature, never one that merely carries the issuer's name.

use std::path::PathBuf;

use certpin::explain::anchor_name_text;
use certpin::host::HostName;
use certpin::pin::Pin;
use certpin::result::PinError;
use certpin::store::PinStore;
use certpin::verify::RejectedPath;

use crate::certs::{CertificateInfo, ChainKey, Role};
use crate::output::Failure;

/// The host name a chain is checked for when no host is given: `.invalid` is reserved (RFC
/// 2606), so no certificate is valid for it and the name check fails after path building.
const NO_HOST: &str = "certpin-no-host.invalid";

/// A store with no pins holding the `--anchor` roots (DER, with the file each came from):
/// certpin's plain validation, against them or the built-in roots.
pub fn anchor_store(anchors: &[(PathBuf, Vec<u8>)]) -> Result<PinStore, Failure> {
    let store = PinStore::new();
    for (path, der) in anchors {
        store.add_trust_anchor(der).map_err(|error| {
            Failure::file(path, format!("not usable as a trust anchor: {error}"))
        })?;
    }
    Ok(store)
}

/// The keys of the path `chain` validates on at `time` (leaf first, trust anchor last), for
/// `host` or, with `None`, whatever host the leaf is for; empty when it validates on none.
/// The path comes from a verification of `store` (anchors only: see [`anchor_store`]) with a
/// pin that no key has: a chain with a valid path is then refused with the first valid path
/// it was checked on (`rejected_path`), whether or not the leaf is for the host asked.
pub fn validated_keys(
    store: &PinStore,
    chain: &[Vec<u8>],
    host: Option<&HostName>,
    time: u64,
    anchors: &[(PathBuf, Vec<u8>)],
) -> Vec<ChainKey> {
    let nothing_has_it = Pin::of_spki(b"").to_string();
    let name = host.map_or_else(|| NO_HOST.to_owned(), HostName::to_string);
    if store.add_pin(&name, &nothing_has_it).is_err() {
        return Vec::new();
    }
    let served: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    let verdict = store.verify(&served, &name, None, time);
    let refused_on_path = matches!(
        (verdict.result, host),
        (Err(PinError::PinMismatch), _) | (Err(PinError::HostMismatch), None)
    );
    match (refused_on_path, verdict.rejected_path) {
        (true, Some(path)) => path_keys(&path, chain, anchors),
        _ => Vec::new(),
    }
}

/// The [`ChainKey`]s of a validated path: its certificates from the chain the server sent,
/// then its trust anchor (from an `--anchor` file with that key, or webpki-roots).
fn path_keys(
    path: &RejectedPath,
    chain: &[Vec<u8>],
    anchors: &[(PathBuf, Vec<u8>)],
) -> Vec<ChainKey> {
    let Some((anchor_pin, certificate_pins)) = path.pins.split_last() else { return Vec::new() };
    let mut keys: Vec<ChainKey> = path
        .chain_indexes
        .iter()
        .zip(certificate_pins)
        .enumerate()
        .map(|(place, (index, pin))| ChainKey {
            role: if place == 0 { Role::Leaf } else { Role::Intermediate },
            pin: *pin,
            subject: CertificateInfo::of(&chain[*index]).subject,
            source: "chain".to_owned(),
        })
        .collect();
    let anchor_file =
        anchors.iter().find(|(_, der)| Pin::of_certificate(der).ok() == Some(*anchor_pin));
    keys.push(ChainKey {
        role: Role::Root,
        pin: *anchor_pin,
        subject: anchor_name_text(&path.anchor_subject),
        source: anchor_file.map_or_else(
            || "webpki-roots".to_owned(),
            |(file, _)| format!("anchor {}", file.display()),
        ),
    });
    keys
}
