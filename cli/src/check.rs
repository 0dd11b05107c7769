//! The `check` subcommand: certpin's verdict on a chain file for a host, offline. Also the
//! policy store and verdict report that `probe --policy` shares.

use std::path::{Path, PathBuf};

use certpin::PIN_OK;
use certpin::explain::explain;
use certpin::result::{result_code, result_name};
use certpin::store::PinStore;
use certpin::verify::{Verdict, notes};
use serde::Serialize;

use crate::certs::read_certificates;
use crate::output::{Failure, Status, now, print_json, read_file};

/// `certpin check --policy FILE --host HOST [--anchor ROOT.pem]... [--at UNIX] CHAIN.pem`
#[derive(clap::Args)]
pub struct Args {
    /// The policy document (JSON) to verify against.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// The host the chain was presented for.
    #[arg(long)]
    host: String,
    #[command(flatten)]
    trust: Trust,
    /// The chain the server sent, leaf first: PEM, or one DER certificate.
    #[arg(value_name = "CHAIN.pem")]
    chain: PathBuf,
}

/// The trust anchors and the time a verification uses (shared by `check`, `probe` and `lint`).
#[derive(clap::Args)]
pub struct Trust {
    /// A root certificate (PEM or DER) of a private CA: trusted when verifying (instead of
    /// the built-in Mozilla roots, webpki-roots), and named as the chain's root. Repeatable.
    #[arg(long = "anchor", value_name = "ROOT.pem")]
    pub anchors: Vec<PathBuf>,
    /// Check at this time (Unix seconds) instead of now.
    #[arg(long, value_name = "UNIX")]
    pub at: Option<u64>,
}

impl Trust {
    /// The time to check at.
    pub fn time(&self) -> u64 {
        self.at.unwrap_or_else(now)
    }

    /// Every certificate of the `--anchor` files, with the file it came from.
    pub fn anchor_certificates(&self) -> Result<Vec<(PathBuf, Vec<u8>)>, Failure> {
        let mut anchors = Vec::new();
        for path in &self.anchors {
            for der in read_certificates(path)? {
                anchors.push((path.clone(), der));
            }
        }
        Ok(anchors)
    }

    /// A store holding the policy document at `policy` and the `--anchor` roots.
    pub fn store(&self, policy: &Path) -> Result<PinStore, Failure> {
        let store = PinStore::new();
        store.load_policy(&read_file(policy)?).map_err(|error| Failure::file(policy, error))?;
        for (path, der) in self.anchor_certificates()? {
            store.add_trust_anchor(&der).map_err(|error| {
                Failure::file(&path, format!("not usable as a trust anchor: {error}"))
            })?;
        }
        Ok(store)
    }
}

/// A verdict as `check` and `probe` report it.
#[derive(Serialize)]
pub struct VerdictReport {
    /// `PIN_OK` or the `PIN_ERR_*` name.
    pub result: &'static str,
    /// The `pin_result` code.
    pub code: u32,
    /// The host, in normal form.
    pub host: String,
    /// The time the chain was checked at (Unix seconds).
    pub checked_at: u64,
    /// The policy pattern that applied to the host, if any.
    pub pattern: Option<String>,
    /// The pinned key found on the validated path, if any.
    pub matched_pin: Option<String>,
    /// The verdict's notes (`pins_expired`, `pins_expiring`, `report_only_mismatch`,
    /// `tofu_first_use`, `reported`).
    pub notes: Vec<&'static str>,
    /// certpin's explanation, as `pin_verify_chain_explain` writes it.
    pub explanation: String,
}

impl VerdictReport {
    /// Verifies `chain` (DER, leaf first) for `host` with `store` at `unix_time`.
    pub fn verify(
        store: &PinStore,
        chain: &[Vec<u8>],
        host: &str,
        port: Option<u16>,
        unix_time: u64,
    ) -> Self {
        let chain: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
        let verdict = store.verify(&chain, host, port, unix_time);
        let code = result_code(&verdict.result);
        Self {
            result: result_name(code),
            code,
            host: verdict.host.as_ref().map_or_else(|| host.to_owned(), ToString::to_string),
            checked_at: unix_time,
            pattern: verdict.pin_set.as_ref().map(|set| set.pattern.to_string()),
            matched_pin: verdict.matched_pin.map(|pin| pin.to_string()),
            notes: note_names(&verdict),
            explanation: explain(&verdict, &chain),
        }
    }

    /// `Ok` for `PIN_OK`, `Negative` for any other verdict.
    pub fn status(&self) -> Status {
        if self.code == PIN_OK { Status::Ok } else { Status::Negative }
    }
}

/// The names of the verdict's note bits.
fn note_names(verdict: &Verdict) -> Vec<&'static str> {
    notes::ALL.iter().filter(|note| verdict.notes & note.bit != 0).map(|note| note.name).collect()
}

/// Runs `certpin check`.
pub fn run(args: &Args, json: bool) -> Result<Status, Failure> {
    let store = args.trust.store(&args.policy)?;
    let chain = read_certificates(&args.chain)?;
    let report = VerdictReport::verify(&store, &chain, &args.host, None, args.trust.time());
    if json {
        print_json(&report);
    } else {
        // The explanation's first line is the verdict: `PIN_OK: trusted`.
        print!("{}", report.explanation);
    }
    Ok(report.status())
}
