//! The `probe` subcommand: connect to a server with rustls, record the chain it sends (any
//! chain is accepted, so that a chain certpin would refuse can still be shown), validate it
//! with certpin (the built-in roots, or `--anchor`), and tell which keys of the validated path
//! a policy could pin; with `--policy`, also certpin's verdict on that chain. A chain that does
//! not validate is said to, with why, and gets no recommendation: a pin taken from it could be
//! an attacker's key.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use certpin::host::HostName;
use serde::Serialize;

use crate::certs::{CertificateInfo, ChainKey, Role, first_unreadable};
use crate::check::{Trust, VerdictReport};
use crate::fetch::handshake;
use crate::output::{Failure, Status, print_json};
use crate::validated::{anchor_store, validated_keys};

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
    let plain = anchor_store(&anchors)?;
    let validation = VerdictReport::verify(&plain, &handshake.chain, &name, Some(port), time);
    let validated = validation.status() == Status::Ok;
    let pins = match validated {
        true => validated_keys(&plain, &handshake.chain, Some(&host), time, &anchors),
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
