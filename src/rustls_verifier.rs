//! A `rustls` server-certificate verifier backed by a [`PinStore`], so that Rust apps
//! (reqwest, hyper, tokio-rustls) get the same policy as the C API: certpin's own Web PKI
//! validation with the pins checked on the validated path.
//!
//! ```no_run
//! use std::sync::Arc;
//! use certpin::rustls_verifier::PinningVerifier;
//! use certpin::store::PinStore;
//!
//! let store = Arc::new(PinStore::new());
//! store.add_pin("api.example.com", "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
//! let config = rustls::ClientConfig::builder_with_provider(Arc::new(
//!     rustls::crypto::ring::default_provider(),
//! ))
//! .with_safe_default_protocol_versions()
//! .unwrap()
//! .dangerous()
//! .with_custom_certificate_verifier(Arc::new(PinningVerifier::new(store)))
//! .with_no_client_auth();
//! # Ok::<(), certpin::PinError>(())
//! ```

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::explain::explain;
use crate::result::PinError;
use crate::store::PinStore;

/// Verifies server certificates with a [`PinStore`]: the chain must be valid and, where the
/// host has pins, hold a pinned key on a validated path. Handshake signatures are checked with
/// *ring*'s algorithms, as rustls's own verifier does.
#[derive(Debug)]
pub struct PinningVerifier {
    store: Arc<PinStore>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinningVerifier {
    /// A verifier that asks `store` (shared: pins added later apply to later handshakes).
    pub fn new(store: Arc<PinStore>) -> Self {
        let algorithms = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        Self { store, algorithms }
    }
}

/// A refused certificate: the `PIN_ERR_*` code and certpin's explanation of the verdict.
/// rustls reports it as `CertificateError::Other`, or as the matching standard variant
/// (expired, unknown issuer, ...) where there is one.
#[derive(Debug)]
pub struct PinningFailure {
    /// Why the chain was refused.
    pub error: PinError,
    /// The explanation, as `pin_verify_chain_explain` gives it.
    pub explanation: String,
}

impl fmt::Display for PinningFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.explanation.trim_end())
    }
}

impl std::error::Error for PinningFailure {}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let host = match server_name {
            ServerName::DnsName(name) => name.as_ref().to_owned(),
            ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
            _ => return Err(CertificateError::NotValidForName.into()),
        };
        let chain: Vec<&[u8]> = std::iter::once(end_entity.as_ref())
            .chain(intermediates.iter().map(|cert| cert.as_ref()))
            .collect();
        if self.store.cached_trust(&chain, &host, now.as_secs()) {
            return Ok(ServerCertVerified::assertion());
        }
        let verdict = self.store.verify(&chain, &host, None, now.as_secs());
        let error = match verdict.result {
            Ok(()) => return Ok(ServerCertVerified::assertion()),
            Err(error) => error,
        };
        let certificate_error = match error {
            PinError::Expired => CertificateError::Expired,
            PinError::NotYetValid => CertificateError::NotValidYet,
            PinError::UnknownIssuer => CertificateError::UnknownIssuer,
            PinError::HostMismatch => CertificateError::NotValidForName,
            PinError::BadCertificate => CertificateError::BadEncoding,
            _ => CertificateError::Other(rustls::OtherError(Arc::new(PinningFailure {
                error,
                explanation: explain(&verdict, &chain),
            }))),
        };
        Err(certificate_error.into())
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
