//! The `probe` subcommand: connect to a server with rustls, record the chain it sends (any
//! chain is accepted, so that a chain certpin would refuse can still be shown), and tell which
//! pins a policy could use; with `--policy`, also certpin's verdict on that chain.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certpin::host::HostName;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion};
use rustls::{SignatureScheme, crypto::ring::default_provider};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Serialize;

use crate::certs::{CertificateInfo, ChainKey, Role, chain_keys, first_unreadable};
use crate::check::{Trust, VerdictReport};
use crate::output::{Failure, Status, print_json};

/// How long to wait to connect, and for each read or write of the handshake.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `certpin probe HOST[:PORT] [--connect ADDR:PORT] [--policy FILE] [--anchor ROOT.pem]... [--at UNIX]`
#[derive(clap::Args)]
pub struct Args {
    /// The server: HOST, HOST:PORT or [IPv6]:PORT (port 443 by default). HOST is the TLS
    /// server name (SNI) and the host the policy is applied to.
    #[arg(value_name = "HOST[:PORT]")]
    target: String,
    /// Connect to this address instead of resolving HOST.
    #[arg(long, value_name = "ADDR:PORT")]
    connect: Option<String>,
    /// Also verify the chain against this policy document (exit 1 unless `PIN_OK`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    #[command(flatten)]
    trust: Trust,
}

/// A `ServerCertVerifier` that accepts every chain and keeps it. Handshake signatures are still
/// checked, so the server is known to hold the leaf's private key.
#[derive(Debug)]
struct RecordingVerifier {
    algorithms: WebPkiSupportedAlgorithms,
    chain: Mutex<Vec<Vec<u8>>>,
}

impl ServerCertVerifier for RecordingVerifier {
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

/// What `probe` found.
#[derive(Serialize)]
struct ProbeReport {
    host: String,
    port: u16,
    /// The address connected to.
    address: String,
    protocol: String,
    cipher_suite: String,
    /// The certificates the server sent, in its order.
    chain: Vec<CertificateInfo>,
    /// The keys a policy could pin: leaf, intermediates, root when known.
    pins: Vec<ChainKey>,
    recommendation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<VerdictReport>,
}

/// A finished handshake: where it went and what the server sent.
struct Handshake {
    address: SocketAddr,
    protocol: String,
    cipher_suite: String,
    chain: Vec<Vec<u8>>,
}

/// Runs `certpin probe`.
pub fn run(args: &Args, json: bool) -> Result<Status, Failure> {
    let (host_text, port) = split_target(&args.target)?;
    let host = HostName::parse(&host_text)
        .map_err(|_| Failure(format!("{host_text}: not a valid host name or IP address")))?;
    let store = args.policy.as_ref().map(|policy| args.trust.store(policy)).transpose()?;
    let anchors = args.trust.anchor_certificates()?;
    let addresses: Vec<SocketAddr> = match &args.connect {
        Some(address) => address.to_socket_addrs(),
        None => (host_text.as_str(), port).to_socket_addrs(),
    }
    .map_err(|error| Failure(format!("{}: cannot resolve: {error}", args.target)))?
    .collect();
    let handshake = handshake(&host, &addresses)
        .map_err(|problem| Failure(format!("{}: {problem}", args.target)))?;
    // The chain is the server's: anything in it may be malformed.
    if let Some(index) = first_unreadable(&handshake.chain) {
        return Err(Failure(format!(
            "{}: the server sent certificate [{index}], which is not a DER X.509 certificate",
            args.target
        )));
    }
    let pins = chain_keys(&handshake.chain, &anchors);
    let report = ProbeReport {
        host: host.to_string(),
        port,
        address: handshake.address.to_string(),
        protocol: handshake.protocol,
        cipher_suite: handshake.cipher_suite,
        chain: handshake.chain.iter().map(|der| CertificateInfo::of(der)).collect(),
        recommendation: recommendation(&pins),
        pins,
        verdict: store.map(|store| {
            let name = host.to_string();
            VerdictReport::verify(&store, &handshake.chain, &name, Some(port), args.trust.time())
        }),
    };
    if json {
        print_json(&report);
    } else {
        print_report(&report);
    }
    Ok(report.verdict.as_ref().map_or(Status::Ok, VerdictReport::status))
}

/// `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT` (a bare IPv6 address has no port).
fn split_target(target: &str) -> Result<(String, u16), Failure> {
    let bad_port = || Failure(format!("{target}: the port must be a number from 1 to 65535"));
    let parse_port = |text: &str| text.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad_port);
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) =
            rest.split_once(']').ok_or_else(|| Failure(format!("{target}: missing ']'")))?;
        let port = match after {
            "" => 443,
            _ => parse_port(after.strip_prefix(':').ok_or_else(bad_port)?)?,
        };
        return Ok((host.to_owned(), port));
    }
    match target.split_once(':') {
        Some((host, port)) if !port.contains(':') => Ok((host.to_owned(), parse_port(port)?)),
        _ => Ok((target.to_owned(), 443)),
    }
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

/// Connects to one of `addresses` and completes a TLS handshake as `host`.
fn handshake(host: &HostName, addresses: &[SocketAddr]) -> Result<Handshake, String> {
    let (mut socket, address) = connect(addresses)?;
    let io = |error: std::io::Error| format!("{address}: {error}");
    socket.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    socket.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let provider = default_provider();
    let verifier = Arc::new(RecordingVerifier {
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

/// Which keys to pin, in a sentence: a CA key (intermediate or root) rather than the leaf,
/// plus a backup key that is not on the chain (RFC 7469).
fn recommendation(pins: &[ChainKey]) -> String {
    let choices: Vec<String> = pins
        .iter()
        .filter(|key| key.role != Role::Leaf)
        .map(|key| format!("the {} ({})", key.role.name(), key.pin))
        .collect();
    let backup = "plus a backup pin for a key that is not on this chain (a spare key you hold, or \
                  another CA's)";
    match choices.is_empty() {
        true => format!("only the leaf is known: pin its key, {backup}"),
        false => format!(
            "pin {}, {backup}. Pinning only the leaf breaks when its certificate is renewed \
             with a new key",
            choices.join(" or ")
        ),
    }
}

/// The report as text: the session, the chain, the pins, the advice and any verdict.
fn print_report(report: &ProbeReport) {
    println!(
        "{}:{} (connected to {}), {}, {}",
        report.host, report.port, report.address, report.protocol, report.cipher_suite
    );
    println!("\nchain sent by the server:");
    for (index, certificate) in report.chain.iter().enumerate() {
        println!("  [{index}] {}", certificate.subject);
        certificate.print("      ");
    }
    println!("\npins for a policy:");
    for key in &report.pins {
        println!("  {:<12}  {}  {} ({})", key.role.name(), key.pin, key.subject, key.source);
    }
    println!("\nrecommendation: {}", report.recommendation);
    if let Some(verdict) = &report.verdict {
        println!("\nverdict: {}", verdict.result);
        print!("{}", verdict.explanation);
    }
}
