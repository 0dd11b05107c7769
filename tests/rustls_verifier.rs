//! `PinningVerifier` end to end: a rustls client and a rustls server in this process, over a
//! real TCP connection on 127.0.0.1, serving the genuine chain and two man-in-the-middle chains
//! from a rogue CA that the client's trust store (like a device with a proxy CA installed)
//! does trust.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use certpin::rustls_verifier::{PinningFailure, PinningVerifier};
use certpin::store::PinStore;
use certpin::{PinError, pin::Pin};
use rustls::crypto::ring::default_provider;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
}

fn cert(name: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(testdata(name)).expect(name)
}

/// Serves one TLS connection with `chain` (leaf first) and answers one request.
fn serve_once(chain: &[&str], key: &str) -> (u16, JoinHandle<()>) {
    let certs = chain.iter().map(|name| cert(name)).collect();
    let key = PrivateKeyDer::from_pem_file(testdata(key)).expect("key");
    let config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
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
    let name = ServerName::try_from("api.example.com").unwrap();
    let connection = ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    let outcome = tls.write_all(b"GET / HTTP/1.0\r\n\r\n").and_then(|_| {
        let mut response = String::new();
        tls.read_to_string(&mut response).map(|_| response)
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
    let store = PinStore::new();
    // certpin trusts the same roots as the device (the rogue proxy CA included): the MITM is
    // then refused for its pins, not for an unknown issuer.
    for root in ["root-ca.der", "rogue-ca.der"] {
        store.add_trust_anchor(&std::fs::read(testdata(root)).unwrap()).unwrap();
    }
    let intermediate =
        Pin::of_certificate(&std::fs::read(testdata("intermediate-ca.der")).unwrap())
            .unwrap()
            .to_string();
    store.add_pin("api.example.com", &intermediate).unwrap();
    store
        .add_pin("api.example.com", "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .unwrap();
    Arc::new(store)
}

fn pinning_client() -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinningVerifier::new(pinned_store())))
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
