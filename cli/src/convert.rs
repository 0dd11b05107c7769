//! The `import` and `export` subcommands: a certpin policy from another platform's pinning
//! configuration (Android's Network Security Config, TrustKit's), and a policy written as
//! Android's. The platform files are read in nsc.rs and trustkit.rs and written in
//! nsc_export.rs; this module runs the commands and holds what both directions share.
//!
//! Every item of the source that the target cannot express, or whose meaning changes on the
//! way, gets one [`Note`]: nothing is dropped without a word. Where the lost item would have
//! weakened pinning, the pins stay enforced (fail closed) and the note says so.

use std::path::{Path, PathBuf};

use certpin::document::{Document, parse_document};
use certpin::host::{HostName, HostPattern};
use serde::Serialize;

use crate::output::{Failure, Status, print_json, read_file};

/// Configuration formats `import` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Source {
    /// Android's Network Security Config (res/xml/network_security_config.xml).
    AndroidNsc,
    /// TrustKit's configuration: an Info.plist (or a plist of its own) holding
    /// TSKConfiguration, or the same dictionary as JSON.
    Trustkit,
}

/// Configuration formats `export` writes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Target {
    /// Android's Network Security Config.
    AndroidNsc,
}

/// `certpin import --from FORMAT FILE [-o POLICY.json]`
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The format of FILE.
    #[arg(long, value_enum)]
    from: Source,
    /// The platform's configuration file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Write the policy document here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `certpin export --to FORMAT POLICY [-o FILE]`
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum)]
    to: Target,
    /// The policy document (JSON) to write out.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// Write the configuration here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// One item that could not be carried over as it was: where it is, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The item: `line 12 <trust-anchors>`, `TSKPinnedDomains."example.com".TSKReportUris`,
    /// `domains."*.example.com"`.
    pub item: String,
    /// What it meant, and what the output does instead.
    pub note: String,
}

impl Note {
    /// A note about `item`.
    pub fn new(item: impl Into<String>, note: impl Into<String>) -> Self {
        Self { item: item.into(), note: note.into() }
    }
}

/// Whether `name` is strictly below `parent` (`a.example.com` below `example.com`), by the
/// library's own `**.parent` rule; `false` when either is not a valid name.
pub fn is_below(name: &str, parent: &str) -> bool {
    let (Ok(host), Ok(pattern)) =
        (HostName::parse(name), HostPattern::parse(&format!("**.{parent}")))
    else {
        return false;
    };
    let HostPattern::AnyDepth(base) = &pattern else { return false };
    host.dns() != Some(base.as_str()) && pattern.matches(&host)
}

/// What `import --json` prints.
#[derive(Serialize)]
struct ImportReport<'a> {
    policy: &'a Document,
    notes: &'a [Note],
}

/// What `export --json` prints.
#[derive(Serialize)]
struct ExportReport<'a> {
    /// The configuration file's text.
    android_nsc: &'a str,
    notes: &'a [Note],
}

/// Runs `certpin import`: exit 0 when the policy means what the file meant, 1 when notes
/// were made (the policy is still written), 2 when the file cannot be read as the platform
/// reads it, or the result is not a policy the library loads.
pub fn import(args: &ImportArgs, json: bool) -> Result<Status, Failure> {
    let bytes = read_file(&args.file)?;
    let (document, notes) = match args.from {
        Source::AndroidNsc => crate::nsc::import(&bytes),
        Source::Trustkit => crate::trustkit::import(&bytes),
    }
    .map_err(|problem| Failure::file(&args.file, problem))?;
    let text = serde_json::to_string_pretty(&document).expect("a document serialises to JSON");
    // The library's reader is the judge of what a policy means: the result must load.
    parse_document(text.as_bytes()).map_err(|error| {
        Failure::file(&args.file, format!("the imported policy does not load: {error}"))
    })?;
    if let Some(path) = &args.output {
        write(path, &format!("{text}\n"))?;
    }
    if json {
        print_json(&ImportReport { policy: &document, notes: &notes });
    } else if args.output.is_none() {
        println!("{text}");
    }
    Ok(finish(&notes, json))
}

/// Runs `certpin export`: exit 0 when the file means what the policy means, 1 when notes were
/// made (the file is still written), 2 when the policy does not load or cannot be written.
pub fn export(args: &ExportArgs, json: bool) -> Result<Status, Failure> {
    let loaded = parse_document(&read_file(&args.policy)?)
        .map_err(|error| Failure::file(&args.policy, error))?;
    let (xml, notes) = match args.to {
        Target::AndroidNsc => crate::nsc_export::export(&loaded),
    }
    .map_err(|problem| Failure::file(&args.policy, problem))?;
    if let Some(path) = &args.output {
        write(path, &xml)?;
    }
    if json {
        print_json(&ExportReport { android_nsc: &xml, notes: &notes });
    } else if args.output.is_none() {
        print!("{xml}");
    }
    Ok(finish(&notes, json))
}

/// Prints the notes on standard error, one line each (unless they went into the JSON), and
/// tells how the command came out.
fn finish(notes: &[Note], json: bool) -> Status {
    if !json {
        for note in notes {
            eprintln!("note: {}: {}", note.item, note.note);
        }
    }
    if notes.is_empty() { Status::Ok } else { Status::Negative }
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|error| Failure::file(path, error))
}
