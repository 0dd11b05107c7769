//! `PinningVerifier` end to end: a rustls client and a rustls server in this process, over a
//! real TCP connection on 127.0.0.1, serving the genuine chain and two man-in-the-middle chains
//! from a rogue CA that the client's trust store (like a device with a proxy CA installed)
//! does trust, and the genuine (public) chain from a server that lacks its private key. Then
//! the README's error mapping: each certpin verdict and the rustls error the verifier returns.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use certpin::rustls_verifier::{PinningFailure, PinningVerifier};
use certpin::store::PinStore;
use certpin::{PinError, pin::Pin};
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::ring::default_provider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::version::{TLS12, TLS13};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, ProtocolVersion, RootCertStore, ServerConfig,
    ServerConnection, SupportedProtocolVersion,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
}

fn cert(name: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(testdata(name)).expect(name)
}

/// Serves one TLS connection with `chain` (leaf first) and answers one request.
fn serve_once(chain: &[&str], key: &str) -> (u16, JoinHandle<()>) {
    serve_once_with(chain, key, &[&TLS13, &TLS12])
}

/// Always presents one certificate chain and signs with one key, whether or not they match:
/// rustls's own `with_single_cert` refuses a key that is not the leaf's, and a server that
/// has the public chain without its private key is exactly what must be refused.
#[derive(Debug)]
struct AnyKey(Arc<CertifiedKey>);

impl ResolvesServerCert for AnyKey {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

/// As [`serve_once`], offering only `versions`, and signing the handshake with `key` even
/// when it is not the leaf's key.
fn serve_once_with(
    chain: &[&str],
    key: &str,
    versions: &[&'static SupportedProtocolVersion],
) -> (u16, JoinHandle<()>) {
    let certs = chain.iter().map(|name| cert(name)).collect();
    let key = PrivateKeyDer::from_pem_file(testdata(key)).expect("key");
    let provider = Arc::new(default_provider());
    let signing_key = provider.key_provider.load_private_key(key).expect("a usable key");
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(AnyKey(Arc::new(CertifiedKey::new(certs, signing_key)))));
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        let connection = ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(connection, socket);
        let mut request = [0u8; 64];
        // A refused handshake ends here with an error: that is the point of the test.
        if tls.read(&mut request).is_ok() {
            let _ = tls.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello");
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (port, server)
}

/// Connects to the server as `api.example.com` and returns the response or the TLS error.
fn fetch(port: u16, config: ClientConfig) -> Result<String, rustls::Error> {
    fetch_version(port, config).map(|(response, _)| response)
}

/// As [`fetch`], also returning the protocol version the connection used.
fn fetch_version(
    port: u16,
    config: ClientConfig,
) -> Result<(String, Option<ProtocolVersion>), rustls::Error> {
    let name = ServerName::try_from("api.example.com").unwrap();
    let connection = ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    let outcome = tls.write_all(b"GET / HTTP/1.0\r\n\r\n").and_then(|_| {
        let mut response = String::new();
        tls.read_to_string(&mut response).map(|_| (response, tls.conn.protocol_version()))
    });
    outcome.map_err(|error| {
        error
            .into_inner()
            .and_then(|inner| inner.downcast::<rustls::Error>().ok())
            .map(|boxed| *boxed)
            .expect("a TLS error")
    })
}

fn pinned_store() -> Arc<PinStore> {
    pinned_store_of("")
}

/// The store for the RSA samples (`prefix` "") or the ECDSA ones ("ec-").
fn pinned_store_of(prefix: &str) -> Arc<PinStore> {
    let store = PinStore::new();
    // certpin trusts the same roots as the device (the rogue proxy CA included): the MITM is
    // then refused for its pins, not for an unknown issuer.
    for root in [format!("{prefix}root-ca.der"), "rogue-ca.der".to_owned()] {
        store.add_trust_anchor(&std::fs::read(testdata(&root)).unwrap()).unwrap();
    }
    let intermediate = format!("{prefix}intermediate-ca.der");
    let intermediate =
        Pin::of_certificate(&std::fs::read(testdata(&intermediate)).unwrap()).unwrap().to_string();
    store.add_pin("api.example.com", &intermediate).unwrap();
    store
        .add_pin("api.example.com", "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .unwrap();
    Arc::new(store)
}

fn pinning_client() -> ClientConfig {
    pinning_client_of(pinned_store())
}

fn pinning_client_of(store: Arc<PinStore>) -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinningVerifier::new(store)))
        .with_no_client_auth()
}

/// The control: rustls's own verifier with the device's roots, the rogue CA among them.
fn platform_client() -> ClientConfig {
    let mut roots = RootCertStore::empty();
    for root in ["root-ca.pem", "rogue-ca.pem"] {
        roots.add(cert(root)).unwrap();
    }
    ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn pin_failure(error: &rustls::Error) -> &PinningFailure {
    match error {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            other.0.downcast_ref::<PinningFailure>().expect("a PinningFailure")
        }
        other => panic!("expected a pinning failure, got {other:?}"),
    }
}

#[test]
fn genuine_chain_connects() {
    let (port, server) = serve_once(&["leaf.pem", "intermediate-ca.pem"], "leaf.key");
    let response = fetch(port, pinning_client()).expect("the genuine chain is trusted");
    assert!(response.starts_with("HTTP/1.0 200 OK"), "{response}");
    server.join().unwrap();
}

#[test]
fn mitm_chain_is_refused_for_its_pins() {
    let (port, server) = serve_once(&["mitm-leaf.pem"], "mitm-leaf.key");
    let error = fetch(port, pinning_client()).expect_err("the MITM chain is refused");
    let failure = pin_failure(&error);
    assert_eq!(failure.error, PinError::PinMismatch);
    assert!(failure.explanation.contains("CN=Rogue Proxy CA"), "{}", failure.explanation);
    server.join().unwrap();
}

#[test]
fn mitm_chain_with_the_genuine_intermediate_appended_is_refused() {
    let (port, server) = serve_once(&["mitm-leaf.pem", "intermediate-ca.pem"], "mitm-leaf.key");
    let error = fetch(port, pinning_client()).expect_err("an appended pin does not count");
    assert_eq!(pin_failure(&error).error, PinError::PinMismatch);
    server.join().unwrap();
}

#[test]
fn without_certpin_the_same_client_accepts_the_mitm() {
    let (port, server) = serve_once(&["mitm-leaf.pem"], "mitm-leaf.key");
    let response = fetch(port, platform_client()).expect("plain Web PKI trusts the proxy CA");
    assert!(response.starts_with("HTTP/1.0 200 OK"), "{response}");
    server.join().unwrap();
}

/// The genuine chain is public (any client sees it); only its private key proves the server
/// is the genuine one. A server with the genuine RSA or ECDSA chain that signs the handshake
/// with another key of the same kind is refused in TLS 1.2 (ServerKeyExchange) and TLS 1.3
/// (CertificateVerify); with the leaf's own key, the same server connects with that version
/// (the control).
#[test]
fn the_genuine_chain_without_its_private_key_is_refused() {
    let cases = [
        ("", ["leaf.pem", "intermediate-ca.pem"], "leaf.key", "mitm-leaf.key"),
        ("ec-", ["ec-leaf.pem", "ec-intermediate-ca.pem"], "ec-leaf.key", "ec-intermediate-ca.key"),
    ];
    for (prefix, chain, own_key, other_key) in cases {
        for (version, wire) in
            [(&TLS12, ProtocolVersion::TLSv1_2), (&TLS13, ProtocolVersion::TLSv1_3)]
        {
            let what = format!("{prefix}chain, {wire:?}");
            let (port, server) = serve_once_with(&chain, own_key, &[version]);
            let (response, used) = fetch_version(port, pinning_client_of(pinned_store_of(prefix)))
                .unwrap_or_else(|error| panic!("{what}: the leaf's own key connects: {error}"));
            assert!(response.starts_with("HTTP/1.0 200 OK"), "{what}: {response}");
            assert_eq!(used, Some(wire), "{what}");
            server.join().unwrap();

            let (port, server) = serve_once_with(&chain, other_key, &[version]);
            let error = fetch(port, pinning_client_of(pinned_store_of(prefix)))
                .expect_err(&format!("{what}: a handshake signed with another key is refused"));
            assert!(
                matches!(error, rustls::Error::InvalidCertificate(CertificateError::BadSignature)),
                "{what}: {error:?}"
            );
            server.join().unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The error mapping, as the README states it: expiry, not-yet-valid, unknown issuer, a name
// mismatch and a malformed certificate map to rustls's own variants; every other refusal is
// `CertificateError::Other` holding a `PinningFailure` with the `PinError` and the explanation.

/// 2027-01-01, inside the samples' validity (2026-01-01 .. 2046-01-01).
const AT: u64 = 1_798_761_600;

fn verify_with(
    store: Arc<PinStore>,
    chain: &[Vec<u8>],
    host: &str,
    time: u64,
) -> Result<(), rustls::Error> {
    let verifier = PinningVerifier::new(store);
    let certs: Vec<CertificateDer<'_>> = chain.iter().map(|der| der.as_slice().into()).collect();
    let name = ServerName::try_from(host).unwrap();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(time));
    verifier.verify_server_cert(&certs[0], &certs[1..], &name, &[], now).map(|_| ())
}

fn der(name: &str) -> Vec<u8> {
    std::fs::read(testdata(name)).unwrap()
}

fn genuine_chain() -> Vec<Vec<u8>> {
    vec![der("leaf.der"), der("intermediate-ca.der")]
}

#[test]
fn each_verdict_maps_to_the_documented_rustls_error() {
    use CertificateError as E;
    let standard = |result: Result<(), rustls::Error>| match result {
        Err(rustls::Error::InvalidCertificate(error)) => error,
        other => panic!("expected InvalidCertificate, got {other:?}"),
    };
    let genuine = genuine_chain();
    assert_eq!(verify_with(pinned_store(), &genuine, "api.example.com", AT), Ok(()));
    let expired = standard(verify_with(pinned_store(), &genuine, "api.example.com", 2_398_377_601));
    assert_eq!(expired, E::Expired);
    let early = standard(verify_with(pinned_store(), &genuine, "api.example.com", 1_767_225_599));
    assert_eq!(early, E::NotValidYet);
    // A store that trusts only the genuine root: the rogue CA's chain has an unknown issuer.
    let genuine_root_only = Arc::new(PinStore::new());
    genuine_root_only.add_trust_anchor(&der("root-ca.der")).unwrap();
    let mitm = vec![der("mitm-leaf.der")];
    let unknown = standard(verify_with(genuine_root_only, &mitm, "api.example.com", AT));
    assert_eq!(unknown, E::UnknownIssuer);
    let other_name = standard(verify_with(pinned_store(), &genuine, "mail.example.com", AT));
    assert_eq!(other_name, E::NotValidForName);
    let garbage = vec![b"not a certificate".to_vec(), der("intermediate-ca.der")];
    let malformed = standard(verify_with(pinned_store(), &garbage, "api.example.com", AT));
    assert_eq!(malformed, E::BadEncoding);

    // Everything else is Other(PinningFailure) with certpin's code: a pin mismatch, and a
    // chain whose signature does not verify.
    let mismatch = verify_with(pinned_store(), &mitm, "api.example.com", AT).unwrap_err();
    assert_eq!(pin_failure(&mismatch).error, PinError::PinMismatch);
    assert!(pin_failure(&mismatch).to_string().contains("CN=Rogue Proxy CA"));
    let mut tampered = genuine_chain();
    let last = tampered[0].len() - 1;
    tampered[0][last] ^= 1;
    let invalid = verify_with(pinned_store(), &tampered, "api.example.com", AT).unwrap_err();
    assert_eq!(pin_failure(&invalid).error, PinError::InvalidChain);
}

/// The verifier asks for the host rustls connects to: an IP address server name is checked as
/// an address, against the leaf's IP address names (a leaf for 192.0.2.1 and 2001:db8::1,
/// pinned on its intermediate, passes for those and for no other address).
#[test]
fn an_ip_server_name_is_checked_as_an_address() {
    let pki = common::Hierarchy::new("IP", &["192.0.2.1", "2001:db8::1"]);
    let store = PinStore::new();
    store.add_trust_anchor(pki.root.der()).unwrap();
    for pin in [pki.intermediate.pin(), common::UNRELATED_PIN.to_owned()] {
        store.add_pin("192.0.2.1", &pin).unwrap();
        store.add_pin("2001:db8::1", &pin).unwrap();
    }
    let verifier = PinningVerifier::new(Arc::new(store));
    let certs: Vec<CertificateDer<'_>> = pki.chain().iter().map(|der| (*der).into()).collect();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(common::T));
    let verify = |address: &str| {
        let name = ServerName::try_from(address).unwrap();
        verifier.verify_server_cert(&certs[0], &certs[1..], &name, &[], now).map(|_| ())
    };
    assert_eq!(verify("192.0.2.1"), Ok(()));
    assert_eq!(verify("2001:db8::1"), Ok(()));
    let other = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
    assert_eq!(verify("192.0.2.2"), Err(other.clone()));
    assert_eq!(verify("2001:db8::2"), Err(other));
}

/// A repeat of a trusted chain is answered from the store's verdict cache; a repeat of a
/// refused one is refused again with the same error (failures are never cached).
#[test]
fn repeats_give_the_same_answer() {
    let store = pinned_store();
    for _ in 0..3 {
        assert_eq!(
            verify_with(Arc::clone(&store), &genuine_chain(), "api.example.com", AT),
            Ok(())
        );
        let mitm = vec![der("mitm-leaf.der")];
        let error = verify_with(Arc::clone(&store), &mitm, "api.example.com", AT).unwrap_err();
        assert_eq!(pin_failure(&error).error, PinError::PinMismatch);
    }
    let chain = genuine_chain();
    let chain: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    assert!(store.cached_trust(&chain, "api.example.com", AT), "the trusted chain was cached");
}

/// The verifier takes the chain from rustls, not through the C API's checks: the documented
/// limits (`CERTPIN_MAX_CHAIN_LEN` certificates, `CERTPIN_MAX_CERT_LEN` bytes each) still hold,
/// refused as `PinError::InvalidArgument` however harmless the extra certificates would be.
#[test]
fn chains_past_the_documented_limits_are_refused() {
    use certpin::{CERTPIN_MAX_CERT_LEN, CERTPIN_MAX_CHAIN_LEN};
    let mut at_limit = genuine_chain();
    while at_limit.len() < CERTPIN_MAX_CHAIN_LEN {
        at_limit.push(der("intermediate-ca.der"));
    }
    assert_eq!(verify_with(pinned_store(), &at_limit, "api.example.com", AT), Ok(()));
    let mut too_long = at_limit.clone();
    too_long.push(der("intermediate-ca.der"));
    let error = verify_with(pinned_store(), &too_long, "api.example.com", AT).unwrap_err();
    assert_eq!(pin_failure(&error).error, PinError::InvalidArgument, "one certificate too many");
    let mut too_large = genuine_chain();
    too_large.push(vec![0x30; CERTPIN_MAX_CERT_LEN + 1]);
    let error = verify_with(pinned_store(), &too_large, "api.example.com", AT).unwrap_err();
    assert_eq!(pin_failure(&error).error, PinError::InvalidArgument, "one byte too many");
    let mut largest = genuine_chain();
    largest.push(vec![0x30; CERTPIN_MAX_CERT_LEN]);
    assert_eq!(
        verify_with(pinned_store(), &largest, "api.example.com", AT),
        Ok(()),
        "junk at the size limit is ignored"
    );
}
