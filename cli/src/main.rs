//! `certpin`: the command-line companion of the certpin library. It computes pins from
//! certificate files and live servers, checks chains against policy documents offline, lints
//! policy documents, and makes and signs policy updates.
//!
//! Exit status: 0 on success; 1 when the answer is negative (a verdict other than `PIN_OK`, a
//! lint error); 2 when the command could not do its job (a file missing or malformed, a
//! connection failed, bad usage).

mod certs;
mod check;
mod convert;
mod fetch;
mod keys;
mod lint;
mod monitor;
mod nsc;
mod nsc_export;
mod output;
mod probe;
mod trustkit;
mod validated;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::{Failure, Status, print_json};

/// Pin TLS server keys: compute pins, probe servers, check chains, lint and sign policies.
#[derive(Parser)]
#[command(
    name = "certpin",
    version,
    after_help = "Exit status: 0 success; 1 a verdict other than PIN_OK, or lint errors; \
                  2 the command failed (a file, a connection, usage)."
)]
struct Cli {
    /// Print one JSON document on standard output instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the pin, names, validity and fingerprint of each certificate in PEM or DER files.
    Pin(certs::Args),
    /// Connect to a server, show the chain it sends and the pins a policy could use.
    Probe(probe::Args),
    /// Verify a chain against a policy document offline, with certpin's explanation.
    Check(check::Args),
    /// Find problems in a policy document before it ships.
    Lint(lint::Args),
    /// Make an Ed25519 key pair for signing policy updates.
    Keygen(keys::KeygenArgs),
    /// Sign a policy document as an update, with a key from `keygen`.
    Sign(keys::SignArgs),
    /// Check the live chain of every host a policy pins, now and over the coming days.
    Monitor(monitor::Args),
    /// Make a policy from Android's Network Security Config or TrustKit's configuration.
    Import(convert::ImportArgs),
    /// Write a policy as another platform's configuration (Android's Network Security Config).
    Export(convert::ExportArgs),
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Pin(args) => certs::run(args, cli.json),
        Command::Probe(args) => probe::run(args, cli.json),
        Command::Check(args) => check::run(args, cli.json),
        Command::Lint(args) => lint::run(args, cli.json),
        Command::Keygen(args) => keys::keygen(args, cli.json),
        Command::Sign(args) => keys::sign(args, cli.json),
        Command::Monitor(args) => monitor::run(args, cli.json),
        Command::Import(args) => convert::import(args, cli.json),
        Command::Export(args) => convert::export(args, cli.json),
    };
    match outcome {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Negative) => ExitCode::from(1),
        Ok(Status::Incomplete) => ExitCode::from(2),
        Err(Failure(message)) => {
            eprintln!("certpin: {message}");
            if cli.json {
                print_json(&serde_json::json!({ "error": message }));
            }
            ExitCode::from(2)
        }
    }
}

/// Lets `certpin ... | head` end quietly, as other command-line tools do, instead of
/// panicking on a closed pipe (Rust ignores SIGPIPE by default).
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: runs first in main, before any other thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
