//! Fetching the chain a server sends, for `probe` and `monitor`: a TLS handshake with rustls
//! that accepts any chain (certpin gives the verdict, not rustls) and still checks the
//! handshake signature, so the server is known to hold the leaf's key. The CLI's one TLS
//! client.

use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certpin::host::HostName;
use rustls::SignatureScheme;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::ring::default_provider;
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::certs::first_unreadable;

/// How long to wait to connect, and for each read or write of the handshake.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts every chain and keeps it; checks handshake signatures.
#[derive(Debug)]
struct KeepChain {
    algorithms: WebPkiSupportedAlgorithms,
    chain: Mutex<Vec<Vec<u8>>>,
}

impl ServerCertVerifier for KeepChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.to_vec()).collect();
        *self.chain.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = chain;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A finished handshake: where it went and what the server sent.
pub struct Handshake {
    /// The address connected to.
    pub address: SocketAddr,
    /// `TLS 1.3` or `TLS 1.2`.
    pub protocol: String,
    /// The negotiated cipher suite, as rustls names it.
    pub cipher_suite: String,
    /// The certificates the server sent (DER, its order), at least one, not yet checked to
    /// be readable.
    pub chain: Vec<Vec<u8>>,
}

/// The chain (DER, the server's order) that `address` sends for `host`, every certificate
/// readable; or why it could not be had, in one line.
pub fn fetch_chain(host: &HostName, address: SocketAddr) -> Result<Vec<Vec<u8>>, String> {
    let chain = handshake(host, &[address])?.chain;
    // The chain is the server's: anything in it may be malformed.
    if let Some(index) = first_unreadable(&chain) {
        return Err(format!(
            "{address} sent certificate [{index}], which is not a DER X.509 certificate"
        ));
    }
    Ok(chain)
}

/// A TCP connection to the first of `addresses` that answers.
fn connect(addresses: &[SocketAddr]) -> Result<(TcpStream, SocketAddr), String> {
    let mut last_error = String::from("the name has no address");
    for address in addresses {
        match TcpStream::connect_timeout(address, TIMEOUT) {
            Ok(socket) => return Ok((socket, *address)),
            Err(error) => last_error = format!("cannot connect to {address}: {error}"),
        }
    }
    Err(last_error)
}

/// Connects to the first of `addresses` that answers and completes a TLS handshake as `host`.
pub fn handshake(host: &HostName, addresses: &[SocketAddr]) -> Result<Handshake, String> {
    let (mut socket, address) = connect(addresses)?;
    let io = |error: std::io::Error| format!("{address}: {error}");
    socket.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    socket.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let provider = default_provider();
    let verifier = Arc::new(KeepChain {
        algorithms: provider.signature_verification_algorithms,
        chain: Mutex::new(Vec::new()),
    });
    let config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let mut tls = ClientConnection::new(Arc::new(config), host.server_name().to_owned())
        .map_err(|error| error.to_string())?;
    while tls.is_handshaking() {
        tls.complete_io(&mut socket)
            .map_err(|error| format!("TLS handshake with {address} failed: {error}"))?;
    }
    let protocol = match tls.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => "TLS 1.3".to_owned(),
        Some(ProtocolVersion::TLSv1_2) => "TLS 1.2".to_owned(),
        other => format!("{other:?}"),
    };
    let cipher_suite = tls
        .negotiated_cipher_suite()
        .map_or_else(String::new, |suite| format!("{:?}", suite.suite()));
    tls.send_close_notify();
    let _ = tls.complete_io(&mut socket);
    let chain = std::mem::take(&mut *verifier.chain.lock().unwrap_or_else(|p| p.into_inner()));
    if chain.is_empty() {
        return Err(format!("{address} sent no certificate"));
    }
    Ok(Handshake { address, protocol, cipher_suite, chain })
}
