//! The `probe` subcommand: connect to a server with rustls, record the chain it sends (any
//! chain is accepted, so that a chain certpin would refuse can still be shown), validate it
//! with certpin (the built-in roots, or `--anchor`), and tell which keys of the validated path
//! a policy could pin; with `--policy`, also certpin's verdict on that chain. A chain that does
//! not validate is said to, with why, and gets no recommendation: a pin taken from it could be
//! an attacker's key.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certpin::explain::anchor_name_text;
use certpin::host::HostName;
use certpin::pin::Pin;
use certpin::result::PinError;
use certpin::store::PinStore;
use certpin::verify::RejectedPath;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion};
use rustls::{SignatureScheme, crypto::ring::default_provider};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Serialize;

use crate::certs::{CertificateInfo, ChainKey, Role, first_unreadable};
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
    /// Whether the chain validated for the host (Web PKI, against `--anchor` roots or the
    /// built-in ones), as `validation` says.
    validated: bool,
    /// certpin's verdict on the chain with no pins: plain validation, and why it failed.
    validation: VerdictReport,
    /// The keys a policy could pin: those of the validated path (leaf, intermediates, the
    /// trust anchor that signed it). Empty when the chain does not validate.
    pins: Vec<ChainKey>,
    /// Which keys to pin; `None` when the chain does not validate.
    recommendation: Option<String>,
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
    let time = args.trust.time();
    let name = host.to_string();
    let plain = PinStore::new();
    for (path, der) in &anchors {
        plain.add_trust_anchor(der).map_err(|error| {
            Failure::file(path, format!("not usable as a trust anchor: {error}"))
        })?;
    }
    let validation = VerdictReport::verify(&plain, &handshake.chain, &name, Some(port), time);
    let validated = validation.status() == Status::Ok;
    let pins = match validated {
        true => validated_keys(&plain, &handshake.chain, &host, time, &anchors),
        false => Vec::new(),
    };
    let report = ProbeReport {
        host: host.to_string(),
        port,
        address: handshake.address.to_string(),
        protocol: handshake.protocol,
        cipher_suite: handshake.cipher_suite,
        chain: handshake.chain.iter().map(|der| CertificateInfo::of(der)).collect(),
        recommendation: validated.then(|| recommendation(&pins)),
        validated,
        validation,
        pins,
        verdict: store
            .map(|store| VerdictReport::verify(&store, &handshake.chain, &name, Some(port), time)),
    };
    if json {
        print_json(&report);
    } else {
        print_report(&report);
    }
    // With a policy, its verdict is the answer; without, whether the chain validates.
    Ok(report.verdict.as_ref().unwrap_or(&report.validation).status())
}

/// The keys of the path a valid `chain` validated on, leaf first, trust anchor last: what
/// certpin's own path building found, so the root is the anchor whose key verified the
/// signature, never one that merely carries the issuer's name. The path comes from a
/// verification of `store` (anchors only) with a pin that no key has: a valid chain is then
/// refused with the first valid path it was checked on (`rejected_path`).
fn validated_keys(
    store: &PinStore,
    chain: &[Vec<u8>],
    host: &HostName,
    time: u64,
    anchors: &[(PathBuf, Vec<u8>)],
) -> Vec<ChainKey> {
    let nothing_has_it = Pin::of_spki(b"").to_string();
    let name = host.to_string();
    if store.add_pin(&name, &nothing_has_it).is_err() {
        return Vec::new();
    }
    let served: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    let verdict = store.verify(&served, &name, None, time);
    match (verdict.result, verdict.rejected_path) {
        (Err(PinError::PinMismatch), Some(path)) => path_keys(&path, chain, anchors),
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
    if !report.validated {
        println!("\nthe chain does NOT validate for {}:", report.host);
        print!("{}", report.validation.explanation);
        println!(
            "\nrecommendation: none. certpin recommends no pin from a chain it could not \
             validate: its keys may be an interceptor's. If the server uses a private CA, give \
             its root with --anchor."
        );
    } else {
        println!(
            "\nthe chain validates for {}. pins for a policy, from its validated path (leaf \
             first, trust anchor last):",
            report.host
        );
        for key in &report.pins {
            println!("  {:<12}  {}  {} ({})", key.role.name(), key.pin, key.subject, key.source);
        }
        if let Some(recommendation) = &report.recommendation {
            println!("\nrecommendation: {recommendation}");
        }
    }
    if let Some(verdict) = &report.verdict {
        println!("\nverdict: {}", verdict.result);
        print!("{}", verdict.explanation);
    }
}
